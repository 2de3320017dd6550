//! Funds (spec section 5): recharge orders and payment callbacks, cash, vouchers, prepaid cards
//! and activation codes, the deduction order that pays a charge from them, expiry, balances,
//! income and expenditure, and reminders. Every movement is posted on the ledger core
//! (`crate::ledger`); nothing here writes a posting by hand.
pub mod api;
pub mod model;
pub mod pages;
crate::server_only! {
    pub mod bench;
    pub mod cash;
    pub mod codes;
    pub mod deduction;
    pub mod http;
    pub mod instruments;
    pub mod movements;
    pub mod payment;
    pub mod recharge;
    pub mod reminders;
    pub mod store;
}
