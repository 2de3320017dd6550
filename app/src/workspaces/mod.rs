//! Workspaces and the sites they live on (spec sections 1 and 4): binding with the site's
//! proof, Workspace Management, and each site's signing keys.
pub mod api;
pub mod model;
pub mod pages;
crate::server_only! {
    pub mod arrears;
    pub mod binding;
    pub mod http;
    pub mod management;
    pub mod proof;
    pub mod settlement;
    pub mod simulator;
    pub mod site_api;
    pub mod site_keys;
    pub mod store;
    pub mod webhooks;
}

pub use api::ListSites;
pub use model::{Cloud, Site};
