//! Kinds of ledger accounts and journal transactions.
use serde::{Deserialize, Serialize};

/// What a ledger account holds. The first four belong to a billing account (the customer's
/// holdings and debt); the rest are the house's side of every movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LedgerKind {
    /// Recharged money; never below zero.
    Cash,
    /// One voucher's remaining value; never below zero.
    Voucher,
    /// One prepaid card's remaining value; never below zero.
    PrepaidCard,
    /// What the customer owes after charges their funds did not cover; never above zero.
    Arrears,
    /// Money received from payment providers and bank transfers, on its way to cash.
    PaymentClearing,
    /// Charges for usage.
    Revenue,
    /// Value given away as vouchers.
    VoucherIssuance,
    /// Value given away as prepaid cards an operator issued.
    CardIssuance,
    /// Remaining value voided at expiry.
    Expired,
}

impl LedgerKind {
    pub fn code(self) -> &'static str {
        match self {
            LedgerKind::Cash => "cash",
            LedgerKind::Voucher => "voucher",
            LedgerKind::PrepaidCard => "prepaid_card",
            LedgerKind::Arrears => "arrears",
            LedgerKind::PaymentClearing => "payment_clearing",
            LedgerKind::Revenue => "revenue",
            LedgerKind::VoucherIssuance => "voucher_issuance",
            LedgerKind::CardIssuance => "card_issuance",
            LedgerKind::Expired => "expired",
        }
    }

    /// Whether the account belongs to a billing account (and keeps a running balance).
    pub fn is_holding(self) -> bool {
        matches!(
            self,
            LedgerKind::Cash | LedgerKind::Voucher | LedgerKind::PrepaidCard | LedgerKind::Arrears
        )
    }
}

/// Who made money move, as the journal records it (`actor`): one spelling for every movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor<'a> {
    /// The customer, signed in to their billing account.
    Account(i64),
    /// An operator in the console, named by account and email.
    Operator { account: i64, email: &'a str },
    /// A payment provider's signed callback.
    Provider(&'a str),
    /// The server itself (expiry, scheduled charges, demo data).
    System,
}

impl Actor<'_> {
    /// The journal's spelling of [`Actor::System`], for places that need a `&'static str`.
    pub const SYSTEM: &'static str = "system";
}

impl std::fmt::Display for Actor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Account(id) => write!(f, "account:{id}"),
            Actor::Operator { account, email } => write!(f, "operator:{account}:{email}"),
            Actor::Provider(name) => write!(f, "provider:{name}"),
            Actor::System => f.write_str(Actor::SYSTEM),
        }
    }
}

/// Why money moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JournalKind {
    Recharge,
    VoucherActivation,
    CardPurchase,
    /// A prepaid card an operator gave.
    CardIssue,
    DailyCharge,
    Expiry,
    Adjustment,
}

impl JournalKind {
    pub fn code(self) -> &'static str {
        match self {
            JournalKind::Recharge => "recharge",
            JournalKind::VoucherActivation => "voucher_activation",
            JournalKind::CardPurchase => "card_purchase",
            JournalKind::CardIssue => "card_issue",
            JournalKind::DailyCharge => "daily_charge",
            JournalKind::Expiry => "expiry",
            JournalKind::Adjustment => "adjustment",
        }
    }
}

/// The billing items' codes (spec section 6), which voucher scopes name. The price list with
/// its units and dates comes with metering; these codes are the ones it will use.
pub const BILLING_ITEMS: [&str; 14] = [
    "time_series",
    "logs",
    "apm_trace",
    "apm_profile",
    "rum_pv",
    "session_replay",
    "synthetic_test",
    "trigger",
    "sms",
    "network",
    "data_forwarding",
    "sensitive_data_scan",
    "scheduled_report",
    "central_pipeline",
];

/// The journal kinds Income & expenditure filters by ("" for all), in the order listed.
pub const MOVEMENT_KINDS: [&str; 8] = [
    "",
    "recharge",
    "voucher_activation",
    "card_purchase",
    "card_issue",
    "daily_charge",
    "expiry",
    "adjustment",
];

/// The rules of funds that are configuration (README, "Configuration"); amounts in major units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FundsPolicy {
    /// The smallest and largest online recharge (the defaults keep a typo like an extra zero
    /// from becoming a payment; large sums go by bank transfer).
    pub recharge_min: i64,
    pub recharge_max: i64,
    /// How long a prepaid card stays valid, bought or issued.
    pub card_validity_days: i64,
    /// Discount vouchers given with a prepaid card bought with cash, as (card at least,
    /// voucher), largest first (spec section 5).
    pub discount_tiers: Vec<(i64, i64)>,
    /// How many days before a card expires its holder is reminded by email.
    pub card_reminder_days: i64,
}

impl Default for FundsPolicy {
    fn default() -> Self {
        Self {
            recharge_min: 1,
            recharge_max: 1_000_000,
            card_validity_days: 365,
            discount_tiers: vec![(100_000, 20_000), (30_000, 5_000), (10_000, 1_000)],
            card_reminder_days: 3,
        }
    }
}

impl FundsPolicy {
    /// The discount voucher that comes with a card of `card_major`, if any.
    pub fn discount_for(&self, card_major: i64) -> Option<i64> {
        self.discount_tiers
            .iter()
            .find(|(at_least, _)| card_major >= *at_least)
            .map(|(_, voucher)| *voucher)
    }

    pub fn card_validity_ms(&self) -> i64 {
        self.card_validity_days * 86_400_000
    }

    /// Reads tiers written as "10000:1000,30000:5000" (any order; kept largest first).
    pub fn parse_tiers(text: &str) -> Result<Vec<(i64, i64)>, String> {
        let mut tiers = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (card, voucher) = part
                .split_once(':')
                .ok_or_else(|| format!("{part:?} is not CARD:VOUCHER"))?;
            let number = |t: &str| {
                t.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0 && *n <= 1_000_000_000_000)
                    .ok_or_else(|| format!("{t:?} is not a positive whole amount"))
            };
            tiers.push((number(card)?, number(voucher)?));
        }
        tiers.sort_by(|a, b| b.0.cmp(&a.0));
        Ok(tiers)
    }
}

/// A recharge order as the Recharge page lists it. Amounts cross the wire as decimal strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RechargeOrder {
    pub order_no: String,
    pub amount: String,
    pub currency: String,
    /// "pending", "paid", "failed" or "expired" (pending past its deadline).
    pub status: String,
    pub created_at: i64,
}

/// What the account holds and owes, formatted in its currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balances {
    pub currency: String,
    pub cash: String,
    /// What active, unexpired vouchers and prepaid cards still hold, in total.
    pub vouchers: String,
    pub prepaid_cards: String,
    pub arrears: String,
}

/// One increase or decrease of cash, a voucher, a prepaid card or arrears (Income &
/// expenditure).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    pub id: i64,
    pub created_at: i64,
    /// The journal kind: "recharge", "daily_charge", ...
    pub kind: String,
    /// "cash", "voucher", "prepaid_card" or "arrears".
    pub holding: String,
    pub instrument_id: i64,
    /// Signed, formatted: "+¥100.00", "-¥3.20".
    pub amount: String,
    pub reference: String,
}

/// A page of movements, newest first; `next` is the cursor of the following (older) page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovementPage {
    pub rows: Vec<Movement>,
    pub next: Option<i64>,
}

/// Rows per page of Income & expenditure.
pub const MOVEMENTS_PER_PAGE: i64 = 50;

/// A voucher as the Vouchers page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherView {
    pub id: i64,
    /// "regular" or "discount".
    pub kind: String,
    pub denomination: String,
    pub balance: String,
    /// "active", "used_up" or "expired".
    pub status: String,
    pub scope: String,
    pub activated_at: i64,
    pub expires_at: i64,
}

/// A prepaid card as the Prepaid cards page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepaidCardView {
    pub card_no: String,
    pub denomination: String,
    pub balance: String,
    /// "active", "used_up" or "expired".
    pub status: String,
    pub purchased_at: i64,
    pub expires_at: i64,
}

/// Where to send an offline bank transfer (from configuration); all empty when not configured.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankDetails {
    pub account_name: String,
    pub bank_name: String,
    pub account_number: String,
}

/// How the account can recharge here: online (and whether through the sandbox, where no money
/// moves) and the bank details for an offline transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RechargeOptions {
    pub online: bool,
    pub sandbox: bool,
    pub bank: BankDetails,
}

#[cfg(test)]
mod tests {
    use super::{Actor, FundsPolicy};

    #[test]
    fn actors_are_spelled_one_way() {
        assert_eq!(Actor::Account(7).to_string(), "account:7");
        assert_eq!(
            Actor::Operator {
                account: 3,
                email: "op@example.com"
            }
            .to_string(),
            "operator:3:op@example.com"
        );
        assert_eq!(Actor::Provider("sandbox").to_string(), "provider:sandbox");
        assert_eq!(Actor::System.to_string(), "system");
    }

    #[test]
    fn tiers_parse_and_pick_the_largest_that_applies() {
        let tiers = FundsPolicy::parse_tiers("10000:1000, 100000:20000,30000:5000").expect("tiers");
        assert_eq!(tiers, FundsPolicy::default().discount_tiers);
        let policy = FundsPolicy::default();
        assert_eq!(policy.discount_for(9_900), None);
        assert_eq!(policy.discount_for(10_000), Some(1_000));
        assert_eq!(policy.discount_for(99_900), Some(5_000));
        assert_eq!(policy.discount_for(250_000), Some(20_000));
        assert!(FundsPolicy::parse_tiers("10000").is_err());
        assert!(FundsPolicy::parse_tiers("10000:-5").is_err());
        assert_eq!(FundsPolicy::parse_tiers("").expect("none"), vec![]);
    }
}

/// A batch of voucher activation codes, as the operator console lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeBatchView {
    pub id: i64,
    pub denomination: String,
    pub scope: String,
    pub validity_days: i64,
    pub codes_expire_at: i64,
    pub quantity: i64,
    pub redeemed: i64,
    pub note: String,
    pub created_by: String,
    pub created_at: i64,
}
