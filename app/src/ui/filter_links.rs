use leptos::prelude::*;

/// A row of links that filter a list through the query string: works as plain links without
/// JavaScript and as client-side navigation once hydrated (the router takes over every local
/// `<a>`). Each link is (label, href, active). Plain `<a>` rather than the router's `<A>`, whose
/// `aria-current` compares only the path and would mark every filter of a page as current.
#[component]
pub fn FilterLinks(
    #[prop(into)] label: Signal<String>,
    #[prop(into)] links: Signal<Vec<(String, String, bool)>>,
) -> impl IntoView {
    view! {
        <nav class="filter-links" aria-label=label>
            <For
                each=move || links.get()
                key=|link| link.clone()
                children=move |(text, href, active)| {
                    view! {
                        <a href=href class="chip" aria-current=active.then_some("true")>
                            {text}
                        </a>
                    }
                }
            />
        </nav>
    }
}
