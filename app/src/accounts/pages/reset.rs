use super::send_code::{CodeFlowCard, CodeSentNote, SendCodeForm};
use crate::accounts::api::ResetPassword;
use crate::i18n::*;
use crate::ui::{Field, FormError};
use leptos::prelude::*;

/// "Forgot password": a code to the address, then the code and a new password.
#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <CodeFlowCard
            title=Signal::derive(move || t_string!(i18n, reset_title).to_string())
            purpose="reset_password"
            next="/reset-password"
            second=|address| view! { <EnterNewPassword address /> }
        >
            <p><a href="/sign-in">{t!(i18n, nav_sign_in)}</a></p>
        </CodeFlowCard>
    }
}

#[component]
fn EnterNewPassword(address: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<ResetPassword>::new();
    let result = Signal::derive(move || action.value().get());
    view! {
        <CodeSentNote address />
        <ActionForm action attr:class="stack">
            <input type="hidden" name="address" value=address />
            <Field label=Signal::derive(move || t_string!(i18n, code_label).to_string()) name="code" autocomplete="one-time-code" required=true result />
            <Field
                label=Signal::derive(move || t_string!(i18n, new_password_label).to_string())
                name="password"
                kind="password"
                autocomplete="new-password"
                required=true
                hint=Signal::derive(move || t_string!(i18n, password_hint).to_string())
                result
            />
            <FormError result fields=&["code", "password"] />
            <button type="submit" class="button" disabled=move || action.pending().get()>{t!(i18n, reset_submit)}</button>
        </ActionForm>
        <div class="form-links">
            <SendCodeForm purpose="reset_password" next="/reset-password" address />
        </div>
    }
}
