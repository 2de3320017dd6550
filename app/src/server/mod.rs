//! Server-only infrastructure: database, clock, limits, signing, delivery, CSV, jobs. No business
//! rules live here, and nothing here imports from an area or a page: areas build on it.
pub mod clock;
pub mod csv;
pub mod db;
pub mod delivery;
pub mod jobs;
pub mod limits;
pub mod scratch;
pub mod secrets;
pub mod signing;
#[cfg(test)]
pub mod testing;
