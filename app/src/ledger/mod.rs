//! The double-entry ledger core (spec section 5): every movement of money is one journal
//! transaction whose postings sum to zero, recorded once under its idempotency key, and every
//! balance is a ledger account's running balance that reconciles with its postings.
//!
//! It knows nothing of vouchers, cards or pages: the funds area (`crate::funds`) builds every
//! movement a customer sees on [`posting::post`]. Dependencies point one way, funds -> ledger.
pub mod model;
#[cfg(feature = "ssr")]
pub mod posting;
#[cfg(feature = "ssr")]
pub mod store;

pub use model::{Actor, JournalKind, LedgerKind};
#[cfg(feature = "ssr")]
pub use posting::{Entry, LedgerError, Leg, Posted};
