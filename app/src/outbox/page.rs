use super::api::{list_outbox, OutboxMessage};
use crate::i18n::*;
use crate::ui::DataState;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn OutboxPage() -> impl IntoView {
    let i18n = use_i18n();
    let messages = Resource::new(|| (), |_| list_outbox());
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, outbox_title).to_string()) />
        <h1>{t!(i18n, outbox_title)}</h1>
        <p class="lead">{t!(i18n, outbox_intro)}</p>
        <DataState resource=messages let:messages>
            <OutboxList messages />
        </DataState>
    }
}

#[component]
fn OutboxList(messages: Vec<OutboxMessage>) -> impl IntoView {
    let i18n = use_i18n();
    if messages.is_empty() {
        return view! { <p class="empty">{t!(i18n, outbox_empty)}</p> }.into_any();
    }
    view! {
        <ol class="outbox" id="outbox">
            {messages.into_iter().map(|m| {
                let address = m.address.clone();
                view! {
                <li class="card outbox-message" data-address=address>
                    <p class="muted">
                        <span class="badge">{m.channel}</span>" "{m.address}" · "
                        <span data-ms=m.created_at.ms>{m.created_at.text.clone()}</span>
                    </p>
                    <p class="outbox-subject">{m.subject}</p>
                    <pre class="outbox-body">{m.body}</pre>
                </li>
            }}).collect_view()}
        </ol>
    }
    .into_any()
}
