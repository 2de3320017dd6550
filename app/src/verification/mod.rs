//! Verification codes sent by email or SMS, one service for every flow that needs proof of an
//! address (register, sign in, reset password, change email or phone).
pub mod model;
crate::server_only! {
    pub mod rules;
    pub mod service;
    pub mod store;
}

pub use model::{Address, AddressError, Channel, Purpose};
