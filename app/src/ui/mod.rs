//! Shared components driven by props: layout, navigation, data states, status pages.
mod data_state;
mod filter_links;
mod form;
mod layout;
pub mod list;
mod status_pages;
mod table;

pub use data_state::{DataState, ErrorPanel};
pub use filter_links::FilterLinks;
pub use form::{query_value, successes, Field, FormError, FormResult};
pub use layout::Layout;
pub use list::{
    use_list_query, DateRange, FilterForm, ListQuery, Page, PagedList, Pager, SelectFilter,
};
pub use status_pages::NotFoundPage;
pub use table::{DataTable, ListTable};

/// A page's `<Title>` text. On the server it is worked out now, while the page renders inside
/// its request: the head is filled in after the render, on whatever thread then runs it, where
/// reading the page's signals (the language) is not safe and under load panicked. In the browser
/// it stays reactive, so switching the language changes the title.
pub fn page_title(
    text: impl Fn() -> String + Send + Sync + 'static,
) -> leptos::text_prop::TextProp {
    #[cfg(feature = "ssr")]
    {
        text().into()
    }
    #[cfg(not(feature = "ssr"))]
    {
        text.into()
    }
}
