//! Team access (several people in one billing account): users' memberships and roles, the
//! permission table every area declares its actions against, invitations, switching the active
//! account, and the billing account's audit log.
pub mod api;
pub mod model;
pub mod pages;
crate::server_only! {
    pub mod audit;
    pub mod http;
    pub mod service;
    pub mod store;
}
#[cfg(test)]
pub mod testing;
