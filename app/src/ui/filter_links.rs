use leptos::prelude::*;
use leptos_router::components::A;

/// A row of links that filter a list through the query string: works as plain links without
/// JavaScript and as client-side navigation once hydrated. Each link is (label, href, active).
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
                        <A href=href attr:class="chip" attr:aria-current=active.then_some("true")>
                            {text}
                        </A>
                    }
                }
            />
        </nav>
    }
}
