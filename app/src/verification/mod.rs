//! Verification codes sent by email or SMS, one service for every flow that needs proof of an
//! address (register, sign in, reset password, change email or phone).
pub mod model;
#[cfg(feature = "ssr")]
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

pub use model::{Address, AddressError, Channel, Purpose};
