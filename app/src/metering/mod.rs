//! Metering and rating (spec section 6): the price list as data, the usage sites report, the
//! daily rating that deducts it through each workspace's settlement method, and consumption
//! details that show where every cent went.
pub mod api;
pub mod model;
pub mod pages;
crate::server_only! {
    pub mod bench;
    pub mod cloud;
    pub mod details;
    pub mod http;
    pub mod ingestion;
    pub mod prices;
    pub mod rating;
    pub mod run;
    pub mod simulator;
    pub mod store;
    #[cfg(test)]
    mod tests;
}
