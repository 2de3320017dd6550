use super::send_code::{CodeFlowCard, CodeSentNote, SendCodeForm};
use crate::accounts::api::Register;
use crate::i18n::*;
use crate::ui::{Field, FormError};
use crate::workspaces::api::list_sites;
use leptos::prelude::*;

/// Registration in two steps: the address gets a code, then the code and the company details
/// create the account.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <CodeFlowCard
            title=Signal::derive(move || t_string!(i18n, register_title).to_string())
            intro=Signal::derive(move || t_string!(i18n, register_intro).to_string())
            purpose="register"
            next="/register"
            second=|address| view! { <RegisterDetails address /> }
        >
            <p class="muted">{t!(i18n, have_account)}" "<a href="/sign-in">{t!(i18n, nav_sign_in)}</a></p>
        </CodeFlowCard>
    }
}

#[component]
fn RegisterDetails(address: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<Register>::new();
    let result = Signal::derive(move || action.value().get());
    let sites = Resource::new(|| (), |_| list_sites(None));
    let site_error = Signal::derive(move || {
        result
            .get()
            .and_then(|r| r.err())
            .and_then(|e| e.message_for("site_code"))
            .map(|message| message.text(i18n.get_locale()))
    });
    view! {
        <CodeSentNote address />
        <ActionForm action attr:class="stack">
            <input type="hidden" name="address" value=address />
            <Field label=Signal::derive(move || t_string!(i18n, code_label).to_string()) name="code" autocomplete="one-time-code" required=true result />
            <Field label=Signal::derive(move || t_string!(i18n, company_name_label).to_string()) name="company_name" autocomplete="organization" required=true result />
            <div class="field">
                <label for="field-site_code">{t!(i18n, site_label)}</label>
                <select id="field-site_code" name="site_code" aria-describedby="field-site_code-hint">
                    <Suspense>
                        {move || Suspend::new(async move {
                            sites.await.unwrap_or_default().into_iter().map(|site| {
                                let label = format!("{} · {} ({})", site.code, site.location, site.currency.code());
                                view! { <option value=site.code>{label}</option> }
                            }).collect_view()
                        })}
                    </Suspense>
                </select>
                <p class="hint" id="field-site_code-hint">{t!(i18n, site_hint)}</p>
                <p class="field-error" role="alert">{move || site_error.get()}</p>
            </div>
            <OptionalPassword result />
            <FormError result fields=&["code", "company_name", "site_code", "password"] />
            <button type="submit" class="button" disabled=move || action.pending().get()>{t!(i18n, register_submit)}</button>
        </ActionForm>
        <div class="form-links">
            <SendCodeForm purpose="register" next="/register" address />
            <a href="/register">{t!(i18n, use_other_address)}</a>
        </div>
    }
}

/// The optional password of a new sign-in (without one, the user signs in with codes).
#[component]
pub fn OptionalPassword(result: crate::ui::FormResult) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Field
            label=Signal::derive(move || t_string!(i18n, password_optional_label).to_string())
            name="password"
            kind="password"
            autocomplete="new-password"
            hint=Signal::derive(move || t_string!(i18n, password_hint).to_string())
            result
        />
    }
}
