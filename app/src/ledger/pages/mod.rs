//! Screens of funds.
mod checkout;
mod recharge;

pub use checkout::SandboxCheckoutPage;
pub use recharge::{BalancesCard, RechargePage};
