//! The development outbox: messages for channels without real delivery, kept and listed when
//! the outbox is switched on (`BC_DEV_OUTBOX=1`).
pub mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod store;

pub use page::OutboxPage;
