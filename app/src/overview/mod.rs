//! The Overview page (spec section 1, "Account Overview").
mod page;

pub use page::OverviewPage;
