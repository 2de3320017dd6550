use super::send_code::{CodeFlowCard, CodeSentNote, SendCodeForm};
use crate::accounts::api::SignIn;
use crate::i18n::*;
use crate::ui::{Field, FormError};
use leptos::prelude::*;
use leptos_meta::Title;

/// Sign-in with an address and a password.
#[component]
pub fn SignInPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignIn>::new();
    let result = Signal::derive(move || action.value().get());
    let query = leptos_router::hooks::use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, sign_in_title).to_string()) />
        <section class="auth card">
            <h1>{t!(i18n, sign_in_title)}</h1>
            <ActionForm action attr:class="stack">
                <input type="hidden" name="next" value=next />
                <Field label=Signal::derive(move || t_string!(i18n, address_label).to_string()) name="address" autocomplete="username" required=true result />
                <Field label=Signal::derive(move || t_string!(i18n, password_label).to_string()) name="password" kind="password" autocomplete="current-password" required=true result />
                <FormError result fields=&["address", "password"] />
                <button type="submit" class="button" disabled=move || action.pending().get()>{t!(i18n, sign_in_submit)}</button>
            </ActionForm>
            <ul class="form-links">
                <li><a href="/sign-in/code">{t!(i18n, sign_in_with_code)}</a></li>
                <li><a href="/reset-password">{t!(i18n, forgot_password)}</a></li>
                <li>{t!(i18n, no_account)}" "<a href="/register">{t!(i18n, nav_register)}</a></li>
            </ul>
        </section>
    }
}

/// Sign-in with a one-time code: the address gets a code, then the code signs in.
#[component]
pub fn SignInCodePage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <CodeFlowCard
            title=Signal::derive(move || t_string!(i18n, sign_in_code_title).to_string())
            purpose="sign_in"
            next="/sign-in/code"
            second=|address| view! { <EnterSignInCode address /> }
        >
            <p><a href="/sign-in">{t!(i18n, sign_in_with_password)}</a></p>
        </CodeFlowCard>
    }
}

#[component]
fn EnterSignInCode(address: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SignIn>::new();
    let result = Signal::derive(move || action.value().get());
    view! {
        <CodeSentNote address />
        <ActionForm action attr:class="stack">
            <input type="hidden" name="address" value=address />
            <Field label=Signal::derive(move || t_string!(i18n, code_label).to_string()) name="code" autocomplete="one-time-code" required=true result />
            <FormError result fields=&["code"] />
            <button type="submit" class="button" disabled=move || action.pending().get()>{t!(i18n, sign_in_submit)}</button>
        </ActionForm>
        <div class="form-links">
            <SendCodeForm purpose="sign_in" next="/sign-in/code" address />
            <a href="/sign-in/code">{t!(i18n, use_other_address)}</a>
        </div>
    }
}
