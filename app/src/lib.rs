//! Billing Center: pages, components and server functions shared by the server and the browser.
//!
//! Code that only the server may run (database, configuration, mail) sits behind the `ssr`
//! feature; the browser bundle is built with `hydrate`.
#![recursion_limit = "256"]

pub mod accounts;
pub mod app;
#[cfg(feature = "ssr")]
pub mod config;
pub mod contact;
#[cfg(feature = "ssr")]
pub mod demo;
#[cfg(feature = "ssr")]
pub mod edge;
pub mod error;
pub mod funds;
#[cfg(feature = "ssr")]
pub mod housekeeping;
pub mod ledger;
pub mod messages;
pub mod money;
pub mod operators;
pub mod outbox;
pub mod overview;
pub mod preferences;
#[cfg(feature = "ssr")]
pub mod schedule;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod state;
pub mod team;
pub mod text;
pub mod time;
pub mod ui;
pub mod verification;
pub mod workspaces;

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

pub use app::{shell, App, SiteInfo};
