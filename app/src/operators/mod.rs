//! The operator console (spec section 7): operators find a customer's account and record
//! bank transfers, issue vouchers and prepaid cards, and make voucher activation codes. Every
//! money movement they cause is a journal transaction whose actor names them.
pub mod api;
pub mod model;
pub mod pages;
crate::server_only! {
    pub mod http;
    pub mod service;
    pub mod store;
}
