//! Server-only infrastructure: configuration, database, application state, demo data.
//! No business rules live here.
pub mod config;
pub mod db;
pub mod demo;
pub mod state;
#[cfg(test)]
pub mod testing;
