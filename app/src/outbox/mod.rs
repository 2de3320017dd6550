//! The development outbox: messages that would have been sent by email or SMS, listed when no
//! real delivery is configured (issue #3, item 2).
pub mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod store;

pub use page::OutboxPage;
