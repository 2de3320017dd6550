use crate::i18n::*;
use leptos::prelude::*;
use leptos_meta::Title;

/// The page for an address that matches no route; answered with status 404.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, not_found_title).to_string()) />
        <section class="status-page">
            <p class="status-code">"404"</p>
            <h1>{t!(i18n, not_found_title)}</h1>
            <p>{t!(i18n, not_found_body)}</p>
            <a class="button" href="/">{t!(i18n, back_to_overview)}</a>
        </section>
    }
}
