//! Funds (spec section 5): recharge orders and payment callbacks, cash, vouchers, prepaid cards
//! and activation codes, the deduction order that pays a charge from them, expiry, balances,
//! income and expenditure, and reminders. Every movement is posted on the ledger core
//! (`crate::ledger`); nothing here writes a posting by hand.
pub mod api;
#[cfg(feature = "ssr")]
pub mod bench;
#[cfg(feature = "ssr")]
pub mod cash;
#[cfg(feature = "ssr")]
pub mod codes;
#[cfg(feature = "ssr")]
pub mod deduction;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod instruments;
pub mod model;
#[cfg(feature = "ssr")]
pub mod movements;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod payment;
#[cfg(feature = "ssr")]
pub mod recharge;
#[cfg(feature = "ssr")]
pub mod reminders;
#[cfg(feature = "ssr")]
pub mod store;
