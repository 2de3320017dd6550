use super::super::api::{preview_bind_link, BindWorkspace};
use crate::i18n::*;
use crate::ui::{query_value, DataState, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

/// `/workspaces/bind?token=...`, where a site's bind link lands: what would be bound, and a
/// button to confirm. Signed out, the user signs in and comes back here.
#[component]
pub fn BindLinkPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let preview = Resource::new(token, preview_bind_link);
    let location = use_location();
    let here = move || format!("{}{}", location.pathname.get(), location.search.get());
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, workspace_bind_link_title).to_string()) />
        <section class="auth card">
            <h1>{t!(i18n, workspace_bind_link_title)}</h1>
            <p>
                <a id="bind-sign-in" href=move || format!("/sign-in?next={}", query_value(&here()))>{t!(i18n, workspace_bind_sign_in)}</a>
            </p>
            <DataState resource=preview let:preview>
                <dl class="facts" id="bind-preview">
                    <dt>{t!(i18n, workspace_name)}</dt><dd>{preview.name.clone()}</dd>
                    <dt>{t!(i18n, workspace_id)}</dt><dd>{preview.workspace_uuid.clone()}</dd>
                    <dt>{t!(i18n, site_code)}</dt><dd>{preview.site_code.clone()}</dd>
                    <dt>{t!(i18n, workspace_bind_expires)}</dt><dd>{preview.expires_at.text.clone()}</dd>
                </dl>
                <ConfirmBind token=token() />
            </DataState>
        </section>
    }
}

#[component]
fn ConfirmBind(token: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<BindWorkspace>::new();
    let result = Signal::derive(move || action.value().get());
    view! {
        <ActionForm action attr:class="stack">
            <input type="hidden" name="token" value=token />
            <FormError result fields=&[] />
            <button type="submit" class="button" id="confirm-bind" disabled=move || action.pending().get()>{t!(i18n, workspace_bind_confirm)}</button>
        </ActionForm>
    }
}
