//! Kinds of ledger accounts and journal transactions.
use serde::{Deserialize, Serialize};

/// What a ledger account holds. The first four belong to a billing account (the customer's
/// holdings and debt); the rest are the house's side of every movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    /// What a cloud marketplace collects from its buyer for us: the part of a cloud-settled
    /// workspace's charge that vouchers and cards did not pay (one per cloud account).
    CloudSettlement,
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
            LedgerKind::CloudSettlement => "cloud_settlement",
        }
    }

    /// The kind a stored code names.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }

    pub const ALL: [LedgerKind; 10] = [
        LedgerKind::Cash,
        LedgerKind::Voucher,
        LedgerKind::PrepaidCard,
        LedgerKind::Arrears,
        LedgerKind::PaymentClearing,
        LedgerKind::Revenue,
        LedgerKind::VoucherIssuance,
        LedgerKind::CardIssuance,
        LedgerKind::Expired,
        LedgerKind::CloudSettlement,
    ];

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
#[serde(rename_all = "snake_case")]
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
    pub const ALL: [JournalKind; 7] = [
        JournalKind::Recharge,
        JournalKind::VoucherActivation,
        JournalKind::CardPurchase,
        JournalKind::CardIssue,
        JournalKind::DailyCharge,
        JournalKind::Expiry,
        JournalKind::Adjustment,
    ];

    /// The kind a stored code names.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }

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

/// Stored codes, read back.
impl TryFrom<String> for JournalKind {
    type Error = String;

    fn try_from(code: String) -> Result<Self, String> {
        Self::from_code(&code).ok_or_else(|| format!("no journal kind {code:?}"))
    }
}

impl TryFrom<String> for LedgerKind {
    type Error = String;

    fn try_from(code: String) -> Result<Self, String> {
        Self::from_code(&code).ok_or_else(|| format!("no ledger account kind {code:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::Actor;

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
    fn kinds_cross_the_wire_as_their_stored_codes() {
        for kind in super::JournalKind::ALL {
            let wire = serde_json::to_string(&kind).expect("json");
            assert_eq!(wire, format!("\"{}\"", kind.code()));
            assert_eq!(super::JournalKind::from_code(kind.code()), Some(kind));
        }
        for kind in super::LedgerKind::ALL {
            let wire = serde_json::to_string(&kind).expect("json");
            assert_eq!(wire, format!("\"{}\"", kind.code()));
        }
    }
}
