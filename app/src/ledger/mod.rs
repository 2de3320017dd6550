//! The double-entry ledger (spec section 5): every movement of money is one journal
//! transaction whose postings sum to zero, and every balance a customer sees is a ledger
//! account's running balance that reconciles with its postings.
pub mod api;
#[cfg(feature = "ssr")]
pub mod bench;
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
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

pub use model::{JournalKind, LedgerKind};
