use super::super::api::{preview_cloud_link, LinkCloudAccount};
use super::{cloud_name, status_name};
use crate::i18n::*;
use crate::ui::{query_value, DataState, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

/// `/cloud-accounts/link?token=...`, where a marketplace sends the buyer after subscribing:
/// which cloud account would be linked, and a button to link it to this billing account.
/// Signed out, the user signs in and comes back here.
#[component]
pub fn CloudLinkPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let preview = Resource::new(token, preview_cloud_link);
    let location = use_location();
    let here = move || format!("{}{}", location.pathname.get(), location.search.get());
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, cloud_link_title).to_string()) />
        <section class="auth card">
            <h1>{t!(i18n, cloud_link_title)}</h1>
            <p>
                <a id="link-sign-in" href=move || format!("/sign-in?next={}", query_value(&here()))>{t!(i18n, workspace_bind_sign_in)}</a>
            </p>
            <DataState resource=preview let:preview>
                {
                    let (cloud, status) = (preview.cloud, preview.status);
                    view! {
                        <dl class="facts" id="link-preview">
                            <dt>{t!(i18n, cloud_provider)}</dt><dd>{move || cloud_name(i18n.get_locale(), cloud)}</dd>
                            <dt>{t!(i18n, cloud_account_id)}</dt><dd>{preview.cloud_account.clone()}</dd>
                            <dt>{t!(i18n, cloud_product)}</dt><dd>{preview.product_code.clone()}</dd>
                            <dt>{t!(i18n, workspace_state)}</dt><dd>{move || status_name(i18n.get_locale(), status)}</dd>
                        </dl>
                        {match preview.linked_here {
                            true => view! { <p class="note" id="linked-here"><a href="/account/cloud-accounts">{t!(i18n, cloud_link_done)}</a></p> }.into_any(),
                            false => view! { <ConfirmLink token=token() /> }.into_any(),
                        }}
                    }
                }
            </DataState>
        </section>
    }
}

#[component]
fn ConfirmLink(token: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<LinkCloudAccount>::new();
    let result = Signal::derive(move || action.value().get());
    view! {
        <ActionForm action attr:class="stack">
            <input type="hidden" name="token" value=token />
            <FormError result fields=&["token"] />
            <button type="submit" class="button" id="confirm-link" disabled=move || action.pending().get()>{t!(i18n, cloud_link_confirm)}</button>
        </ActionForm>
    }
}
