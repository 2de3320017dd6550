//! Screens of funds.
mod checkout;
mod instruments;
mod movements;
mod recharge;

pub use checkout::SandboxCheckoutPage;
pub use instruments::{
    request_id, CardTable, PrepaidCardsPage, RequestId, VoucherTable, VouchersPage,
};
pub use movements::{IncomeExpenditurePage, MovementRows, RecentMovements};
pub use recharge::{BalanceFacts, BalancesCard, RechargePage};
