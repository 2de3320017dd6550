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

/// The HTTP client of every call this server makes to another party (marketplaces, sites):
/// a timeout, and no redirects (an allowed address must not send us elsewhere).
pub fn outbound_client(timeout: std::time::Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder().timeout(timeout).redirect(reqwest::redirect::Policy::none()).build()
}
