//! Server-only infrastructure: configuration, database, application state, demo data.
//! No business rules live here.
pub mod clock;
pub mod config;
pub mod csv;
pub mod db;
pub mod delivery;
pub mod demo;
pub mod housekeeping;
pub mod jobs;
pub mod limits;
pub mod scratch;
pub mod secrets;
pub mod session;
pub mod signing;
pub mod state;
#[cfg(test)]
pub mod testing;
