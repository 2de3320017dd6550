//! Screens of funds.
mod checkout;
mod instruments;
mod movements;
mod recharge;

pub use checkout::SandboxCheckoutPage;
pub use instruments::{PrepaidCardsPage, VouchersPage};
pub use movements::IncomeExpenditurePage;
pub use recharge::{BalancesCard, RechargePage};
