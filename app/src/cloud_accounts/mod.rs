//! Cloud accounts (spec section 4, Account > Cloud accounts): subscriptions bought on the AWS,
//! Alibaba Cloud and Huawei Cloud marketplaces, each arriving through that marketplace's own
//! protocol (`aws.rs`, `aliyun.rs`, `huawei.rs`, one [`provider::Marketplace`] each, with a
//! simulator that signs as the marketplace does), linked to the billing account of the person
//! who completes the subscription, and then able to pay for workspaces.
pub mod api;
pub mod model;
pub mod pages;
crate::server_only! {
    pub mod aliyun;
    pub mod aws;
    pub mod http;
    pub mod huawei;
    pub mod listing;
    pub mod metering;
    pub mod provider;
    pub mod simulated_metering;
    pub mod simulator;
    pub mod store;
    pub mod subscriptions;
}

#[cfg(all(test, feature = "ssr"))]
mod tests;
