//! Screens of funds.
mod checkout;
mod movements;
mod recharge;

pub use checkout::SandboxCheckoutPage;
pub use movements::IncomeExpenditurePage;
pub use recharge::{BalancesCard, RechargePage};
