//! Billing accounts and their credentials (spec sections 2 and 3).
pub mod api;
pub mod model;
pub mod pages;
crate::server_only! {
    pub mod caller;
    pub mod password;
    pub mod service;
    pub mod session;
    pub mod store;
}

pub use model::AccountSummary;
