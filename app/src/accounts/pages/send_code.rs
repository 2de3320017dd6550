use crate::accounts::api::RequestCode;
use crate::i18n::*;
use crate::ui::{Field, FormError};
use leptos::prelude::*;

/// Asks for a code for `purpose`, then comes back to `next` with the address in the query.
/// With `address` set it is a "send a new code" button for that address.
#[component]
pub fn SendCodeForm(
    purpose: &'static str,
    next: &'static str,
    #[prop(optional, into)] address: Option<Signal<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<RequestCode>::new();
    let result = Signal::derive(move || action.value().get());
    let resend = address.is_some();
    view! {
        <ActionForm action attr:class="stack">
            <input type="hidden" name="purpose" value=purpose />
            <input type="hidden" name="next" value=next />
            {match address {
                Some(address) => view! {
                    <input type="hidden" name="address" value=address />
                    <FormError result fields=&[] />
                }.into_any(),
                None => view! {
                    <Field
                        label=Signal::derive(move || t_string!(i18n, address_label).to_string())
                        name="address"
                        autocomplete="username"
                        required=true
                        result
                    />
                    <FormError result fields=&["address"] />
                }.into_any(),
            }}
            <button type="submit" class=if resend { "button secondary" } else { "button" } disabled=move || action.pending().get()>
                {move || if resend { t_string!(i18n, resend_code) } else { t_string!(i18n, send_code) }}
            </button>
        </ActionForm>
    }
}

/// "A code is on its way to …", shown on the second step of every code flow.
#[component]
pub fn CodeSentNote(#[prop(into)] address: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    view! { <p class="note" role="status">{move || t!(i18n, code_sent, address = move || address.get())}</p> }
}

/// The card of a flow that starts with a code: the first step asks for the address and sends
/// the code; once the address is in the query string, `second` renders the next step for it.
/// `footer` holds the links under the card.
#[component]
pub fn CodeFlowCard<S, V>(
    #[prop(into)] title: Signal<String>,
    purpose: &'static str,
    next: &'static str,
    second: S,
    #[prop(optional, into)] intro: Option<Signal<String>>,
    children: ChildrenFn,
) -> impl IntoView
where
    S: Fn(Signal<String>) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let address = super::address_in_query();
    let second = StoredValue::new(second);
    view! {
        <leptos_meta::Title text=crate::ui::page_title(move || title.get()) />
        <section class="auth card">
            <h1>{move || title.get()}</h1>
            <Show
                when=move || address.get().is_some()
                fallback=move || view! {
                    {intro.map(|intro| view! { <p class="muted">{intro}</p> })}
                    <SendCodeForm purpose next />
                }
            >
                {second.with_value(|second| second(Signal::derive(move || address.get().unwrap_or_default())))}
            </Show>
            {children()}
        </section>
    }
}
