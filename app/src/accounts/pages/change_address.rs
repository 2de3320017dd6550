use super::send_code::CodeSentNote;
use super::tabs::AccountTabs;
use crate::accounts::api::ChangeAddress;
use crate::i18n::*;
use crate::ui::{Field, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Changing the sign-in email (`channel` "email") or phone ("sms"): prove the current address
/// with a code, then the new one with another. The step is in the query string, so every step
/// is a plain page and form.
#[component]
pub fn ChangeAddressPage(channel: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let step = move || query.read().get("step").unwrap_or_default();
    let address = Signal::derive(move || query.read().get("address").unwrap_or_default());
    let email = channel == "email";
    let title = move || {
        if email {
            t_string!(i18n, change_email)
        } else {
            t_string!(i18n, change_phone)
        }
    };
    view! {
        <Title text=crate::ui::page_title(move || title().to_string()) />
        <AccountTabs />
        <section class="auth card">
            <h1>{title}</h1>
            {move || match step().as_str() {
                "prove" => view! {
                    <StepForm channel step="prove_current" code=true submit=Signal::derive(move || t_string!(i18n, confirm).to_string()) />
                    <StepForm channel step="send_current" secondary=true submit=Signal::derive(move || t_string!(i18n, resend_code).to_string()) />
                }.into_any(),
                "new" => view! {
                    <p>{move || if email { t_string!(i18n, change_step_new_email) } else { t_string!(i18n, change_step_new_phone) }}</p>
                    <StepForm
                        channel
                        step="send_new"
                        new_address_label=Signal::derive(move || if email { t_string!(i18n, new_email_label) } else { t_string!(i18n, new_phone_label) }.to_string())
                        submit=Signal::derive(move || t_string!(i18n, send_code).to_string())
                    />
                }.into_any(),
                "confirm" => view! {
                    <CodeSentNote address />
                    <StepForm channel step="confirm_new" address code=true submit=Signal::derive(move || t_string!(i18n, confirm).to_string()) />
                    <StepForm channel step="send_new" address secondary=true submit=Signal::derive(move || t_string!(i18n, resend_code).to_string()) />
                }.into_any(),
                _ => view! {
                    <p>{t!(i18n, change_step_current)}</p>
                    <StepForm channel step="send_current" submit=Signal::derive(move || t_string!(i18n, send_code_current).to_string()) />
                }.into_any(),
            }}
        </section>
    }
}

/// One step's form: hidden channel and step, and the fields that step needs.
#[component]
fn StepForm(
    channel: &'static str,
    step: &'static str,
    submit: Signal<String>,
    #[prop(optional)] code: bool,
    #[prop(optional, into)] address: Option<Signal<String>>,
    #[prop(optional, into)] new_address_label: Option<Signal<String>>,
    #[prop(optional)] secondary: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<ChangeAddress>::new();
    let result = Signal::derive(move || action.value().get());
    let shown: &'static [&'static str] = match (code, new_address_label.is_some()) {
        (true, true) => &["code", "address"],
        (true, false) => &["code"],
        (false, true) => &["address"],
        (false, false) => &[],
    };
    view! {
        <ActionForm action attr:class="stack">
            <input type="hidden" name="channel" value=channel />
            <input type="hidden" name="step" value=step />
            {address.map(|address| view! { <input type="hidden" name="address" value=address /> })}
            {new_address_label.map(|label| view! {
                <Field label name="address" kind=if channel == "email" { "email" } else { "tel" } required=true result />
            })}
            {code.then(|| view! {
                <Field label=Signal::derive(move || t_string!(i18n, code_label).to_string()) name="code" autocomplete="one-time-code" required=true result />
            })}
            <FormError result fields=shown />
            <button type="submit" class=if secondary { "button secondary" } else { "button" } disabled=move || action.pending().get()>{submit}</button>
        </ActionForm>
    }
}
