//! Shared components driven by props: layout, navigation, data states, status pages.
mod data_state;
mod filter_links;
mod layout;
mod status_pages;

pub use data_state::{DataState, ErrorPanel};
pub use filter_links::FilterLinks;
pub use layout::Layout;
pub use status_pages::NotFoundPage;
