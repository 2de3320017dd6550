//! Workspaces and the sites they live on (spec sections 1 and 4).
pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod store;

pub use api::ListSites;
pub use model::{Cloud, Site};
