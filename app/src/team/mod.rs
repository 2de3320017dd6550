//! Team access (several people in one billing account): users' memberships and roles, the
//! permission table every area declares its actions against, invitations, switching the active
//! account, and the billing account's audit log.
pub mod api;
#[cfg(feature = "ssr")]
pub mod audit;
#[cfg(feature = "ssr")]
pub mod http;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(test)]
pub mod testing;
