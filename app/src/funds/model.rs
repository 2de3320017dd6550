//! The words of funds: policy, balances, orders, movements, vouchers and cards as pages show them.
use crate::time::Stamp;
use serde::{Deserialize, Serialize};

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
    /// The settlement period of arrears: days from the charge that left the account owing
    /// until the workspaces the Billing Center account pays lock (spec section 5).
    pub arrears_days: i64,
    /// How many days before the end of that period the reminder goes out.
    pub arrears_reminder_days: i64,
}

impl Default for FundsPolicy {
    fn default() -> Self {
        Self {
            recharge_min: 1,
            recharge_max: 1_000_000,
            card_validity_days: 365,
            discount_tiers: vec![(100_000, 20_000), (30_000, 5_000), (10_000, 1_000)],
            card_reminder_days: 3,
            arrears_days: 14,
            arrears_reminder_days: 2,
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
        self.card_validity_days * crate::time::DAY_MS
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

/// Where a recharge order stands. Stored as its code; "expired" is shown for a pending order
/// past its deadline and never stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Paid,
    Failed,
    Expired,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 4] = [
        OrderStatus::Pending,
        OrderStatus::Paid,
        OrderStatus::Failed,
        OrderStatus::Expired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Failed => "failed",
            OrderStatus::Expired => "expired",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.code() == code)
    }
}

/// A stored status code, read back.
impl TryFrom<String> for OrderStatus {
    type Error = String;

    fn try_from(code: String) -> Result<Self, String> {
        Self::from_code(&code).ok_or_else(|| format!("no order status {code:?}"))
    }
}

/// A recharge order as the Recharge page lists it. Amounts cross the wire as decimal strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RechargeOrder {
    pub order_no: String,
    pub amount: String,
    pub currency: crate::money::Currency,
    pub status: OrderStatus,
    pub created_at: Stamp,
}

/// What the account holds and owes, formatted in its currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balances {
    pub currency: crate::money::Currency,
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
    pub created_at: Stamp,
    /// Why it moved.
    pub kind: crate::ledger::JournalKind,
    /// Cash, a voucher, a prepaid card or arrears.
    pub holding: crate::ledger::LedgerKind,
    pub instrument_id: i64,
    /// Signed, formatted: "+¥100.00", "-¥3.20".
    pub amount: String,
    pub reference: String,
}

/// A page of movements, newest first.
pub type MovementPage = crate::ui::Page<Movement>;

/// Income & expenditure's filters and place: days "YYYY-MM-DD" in the reader's zone (both
/// included) and a journal kind, as typed; `before` a posting id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MovementQuery {
    pub from: String,
    pub to: String,
    pub kind: String,
    #[serde(
        deserialize_with = "crate::ui::list::lenient_cursor",
        skip_serializing_if = "Option::is_none"
    )]
    pub before: Option<i64>,
}

crate::list_query!(MovementQuery, path: "/income-expenditure", export: "/export/income-expenditure.csv");

/// The filters and place of a list by status ("" for all, or a status code as the list's
/// enum spells it) with a row-id cursor: vouchers, prepaid cards, recharge orders.
macro_rules! status_query {
    ($(#[$doc:meta])* $name:ident, path: $path:expr, export: $export:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct $name {
            pub status: String,
            #[serde(
                deserialize_with = "crate::ui::list::lenient_cursor",
                skip_serializing_if = "Option::is_none"
            )]
            pub before: Option<i64>,
        }

        crate::list_query!($name, path: $path, export: $export);
    };
}

status_query!(
    /// The Vouchers list's filters and place.
    VoucherQuery, path: "/vouchers", export: "/export/vouchers.csv"
);
status_query!(
    /// The Prepaid cards list's filters and place.
    CardQuery, path: "/prepaid-cards", export: "/export/prepaid-cards.csv"
);
status_query!(
    /// The recharge orders' filters and place (on the Recharge page).
    OrderQuery, path: "/recharge", export: "/export/recharge-orders.csv"
);

/// Rows per page of the vouchers, cards and orders lists.
pub const ROWS_PER_PAGE: i64 = 50;

/// Rows per page of Income & expenditure.
pub const MOVEMENTS_PER_PAGE: i64 = 50;

/// A regular voucher pays before a discount voucher (spec section 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoucherKind {
    Regular,
    Discount,
}

impl VoucherKind {
    pub fn code(self) -> &'static str {
        match self {
            VoucherKind::Regular => "regular",
            VoucherKind::Discount => "discount",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [VoucherKind::Regular, VoucherKind::Discount]
            .into_iter()
            .find(|kind| kind.code() == code)
    }
}

/// Where a voucher or prepaid card stands: active with something left, used up, or expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstrumentStatus {
    Active,
    UsedUp,
    Expired,
}

impl InstrumentStatus {
    pub const ALL: [InstrumentStatus; 3] = [
        InstrumentStatus::Active,
        InstrumentStatus::UsedUp,
        InstrumentStatus::Expired,
    ];

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.code() == code)
    }

    pub fn code(self) -> &'static str {
        match self {
            InstrumentStatus::Active => "active",
            InstrumentStatus::UsedUp => "used_up",
            InstrumentStatus::Expired => "expired",
        }
    }
}

/// A voucher as the Vouchers page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoucherView {
    pub id: i64,
    pub kind: VoucherKind,
    pub denomination: String,
    pub balance: String,
    pub status: InstrumentStatus,
    pub scope: String,
    pub activated_at: Stamp,
    pub expires_at: Stamp,
}

/// A prepaid card as the Prepaid cards page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepaidCardView {
    pub card_no: String,
    pub denomination: String,
    pub balance: String,
    pub status: InstrumentStatus,
    pub purchased_at: Stamp,
    pub expires_at: Stamp,
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

/// A batch of voucher activation codes, as the operator console lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeBatchView {
    pub id: i64,
    pub denomination: String,
    pub scope: String,
    pub validity_days: i64,
    pub codes_expire_at: Stamp,
    pub quantity: i64,
    pub redeemed: i64,
    pub note: String,
    pub created_by: String,
    pub created_at: Stamp,
}

#[cfg(test)]
mod tests {
    use super::FundsPolicy;

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
