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

/// Why money moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JournalKind {
    Recharge,
    VoucherActivation,
    CardPurchase,
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
            JournalKind::DailyCharge => "daily_charge",
            JournalKind::Expiry => "expiry",
            JournalKind::Adjustment => "adjustment",
        }
    }
}

/// The smallest and largest online recharge, in major units (decision: keeps typos like an
/// extra zero from becoming a payment; large sums go by bank transfer).
pub const RECHARGE_MIN: i64 = 1;
pub const RECHARGE_MAX: i64 = 1_000_000;

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

/// How long a bought prepaid card stays valid, in days (decision until it is configuration).
pub const CARD_VALIDITY_DAYS: i64 = 365;

/// Where to send an offline bank transfer (from configuration); all empty when not configured.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankDetails {
    pub account_name: String,
    pub bank_name: String,
    pub account_number: String,
}
