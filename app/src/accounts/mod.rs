//! Billing accounts and their credentials (spec sections 2 and 3).
pub mod api;
#[cfg(feature = "ssr")]
pub mod caller;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod store;

pub use model::AccountSummary;
