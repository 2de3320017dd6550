use super::tabs::AccountTabs;
use crate::accounts::api::{
    current_account, list_sessions, security_log, ChangePassword, EndSession, RequestCode,
};
use crate::accounts::model::SecurityEventKind;
use crate::accounts::model::{SecurityEvent, SessionInfo};
use crate::i18n::*;
use crate::ui::{successes, DataState, DataTable, Field, FormError, ListTable};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Account > Security: password, signed-in browsers, security log.
#[component]
pub fn SecurityPage() -> impl IntoView {
    let i18n = use_i18n();
    let change = ServerAction::<ChangePassword>::new();
    let send_code = ServerAction::<RequestCode>::new();
    let end = ServerAction::<EndSession>::new();
    let changed = successes(Signal::derive(move || change.value().get()));
    let account = Resource::new(move || changed.get(), |_| current_account());
    let sessions = Resource::new(
        move || (changed.get(), end.version().get()),
        |_| list_sessions(),
    );
    let log = Resource::new(
        move || (changed.get(), end.version().get()),
        |_| security_log(),
    );
    let query = use_query_map();
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, security_title).to_string()) />
        <AccountTabs />
        <h1>{t!(i18n, security_title)}</h1>
        <Show when=move || query.read().get("saved").is_some()>
            <p class="note" role="status">{t!(i18n, password_changed)}</p>
        </Show>
        <Show when=move || query.read().get("code").is_some()>
            <p class="note" role="status">
                {move || t!(i18n, code_sent, address = move || query.read().get("address").unwrap_or_default())}
            </p>
        </Show>
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">{t!(i18n, password_section)}</h2>
            <DataState resource=account let:account>
                <PasswordForm
                    has_password=account.as_ref().is_some_and(|a| a.has_password)
                    address=account.and_then(|a| a.email.or(a.phone)).unwrap_or_default()
                    action=change
                    send_code
                />
            </DataState>
        </section>
        <section class="card" aria-labelledby="sessions-title">
            <h2 id="sessions-title">{t!(i18n, sessions_section)}</h2>
            <DataState resource=sessions let:sessions>
                <SessionsTable sessions action=end />
            </DataState>
        </section>
        <section class="card" aria-labelledby="log-title">
            <h2 id="log-title">{t!(i18n, log_section)}</h2>
            <DataState resource=log let:events>
                <SecurityLog events />
            </DataState>
        </section>
    }
}

/// Changing the password needs the current one; setting a first one needs a fresh code sent
/// to the account's address (a session alone, perhaps left open on a shared computer, does not
/// give its holder a password to sign in with later).
#[component]
fn PasswordForm(
    has_password: bool,
    address: String,
    action: ServerAction<ChangePassword>,
    send_code: ServerAction<RequestCode>,
) -> impl IntoView {
    let i18n = use_i18n();
    let result = Signal::derive(move || action.value().get());
    let sent = Signal::derive(move || send_code.value().get());
    view! {
        {(!has_password).then(|| view! {
            <p class="muted">{t!(i18n, set_password_intro)}</p>
            <ActionForm action=send_code attr:class="inline-form">
                <input type="hidden" name="address" value=address.clone() />
                <input type="hidden" name="purpose" value="reset_password" />
                <input type="hidden" name="next" value="/account/security?code=sent" />
                <button type="submit" class="button secondary" disabled=move || send_code.pending().get()>
                    {t!(i18n, set_password_send_code)}
                </button>
            </ActionForm>
            <FormError result=sent fields=&[] />
        })}
        <ActionForm action attr:class="stack">
            {(!has_password).then(|| view! {
                <Field
                    label=Signal::derive(move || t_string!(i18n, code_label).to_string())
                    name="code"
                    kind="text"
                    autocomplete="one-time-code"
                    required=true
                    result
                />
            })}
            {has_password.then(|| view! {
                <Field
                    label=Signal::derive(move || t_string!(i18n, current_password_label).to_string())
                    name="current_password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    result
                />
            })}
            <Field
                label=Signal::derive(move || t_string!(i18n, new_password_label).to_string())
                name="new_password"
                kind="password"
                autocomplete="new-password"
                required=true
                hint=Signal::derive(move || t_string!(i18n, password_hint).to_string())
                result
            />
            <FormError result fields=&["current_password", "new_password", "code"] />
            <button type="submit" class="button" disabled=move || action.pending().get()>
                {move || if has_password { t_string!(i18n, change_password_submit) } else { t_string!(i18n, set_password_submit) }}
            </button>
        </ActionForm>
    }
}

#[component]
fn SessionsTable(sessions: Vec<SessionInfo>, action: ServerAction<EndSession>) -> impl IntoView {
    let i18n = use_i18n();
    let others = sessions.iter().any(|s| !s.current);
    view! {
        <DataTable id="sessions" head=view! {
            <th scope="col">{t!(i18n, session_device)}</th>
            <th scope="col">{t!(i18n, session_address)}</th>
            <th scope="col">{t!(i18n, session_started)}</th>
            <th scope="col">{t!(i18n, session_last_seen)}</th>
            <th scope="col"><span class="visually-hidden">{t!(i18n, session_end)}</span></th>
        }>
            {sessions.into_iter().map(|session| view! {
                <tr>
                    <td class="wrap">{session.user_agent}</td>
                    <td>{session.client_addr}</td>
                    <td>{session.created_at.text.clone()}</td>
                    <td>{session.last_seen_at.text.clone()}</td>
                    <td>
                        {if session.current {
                            view! { <strong>{t!(i18n, session_this)}</strong> }.into_any()
                        } else {
                            view! {
                                <ActionForm action attr:class="inline-form">
                                    <input type="hidden" name="session_id" value=session.id.to_string() />
                                    <button type="submit" class="link-button">{t!(i18n, session_end)}</button>
                                </ActionForm>
                            }.into_any()
                        }}
                    </td>
                </tr>
            }).collect_view()}
        </DataTable>
        {others.then(|| view! {
            <ActionForm action attr:class="inline-form">
                <input type="hidden" name="session_id" value="others" />
                <button type="submit" class="button secondary">{t!(i18n, sessions_end_others)}</button>
            </ActionForm>
        })}
    }
}

#[component]
fn SecurityLog(events: Vec<SecurityEvent>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ListTable id="security-log" items=events empty=t!(i18n, log_empty) head=view! {
            <th scope="col">{t!(i18n, log_time)}</th>
            <th scope="col">{t!(i18n, log_event)}</th>
            <th scope="col">{t!(i18n, session_address)}</th>
        } row=move |event: SecurityEvent| {
                let kind = event.kind;
                view! {
                    <tr data-kind=kind.code()>
                        <td>{event.created_at.text.clone()}</td>
                        <td>{move || event_label(i18n.get_locale(), kind)}</td>
                        <td>{event.client_addr}</td>
                    </tr>
                }
            } />
    }
}

fn event_label(locale: Locale, kind: SecurityEventKind) -> &'static str {
    use SecurityEventKind::*;
    match kind {
        Registered => td_string!(locale, event_registered),
        SignedIn => td_string!(locale, event_signed_in),
        SignInFailed => td_string!(locale, event_sign_in_failed),
        SignedOut => td_string!(locale, event_signed_out),
        CodeRequested => td_string!(locale, event_code_requested),
        PasswordReset => td_string!(locale, event_password_reset),
        PasswordChanged => td_string!(locale, event_password_changed),
        ProfileUpdated => td_string!(locale, event_profile_updated),
        SessionEnded => td_string!(locale, event_session_ended),
        CurrentAddressVerified => td_string!(locale, event_current_address_verified),
        EmailChanged => td_string!(locale, event_email_changed),
        PhoneChanged => td_string!(locale, event_phone_changed),
        PasswordChangeFailed => td_string!(locale, event_password_change_failed),
        VoucherCodeFailed => td_string!(locale, event_voucher_code_failed),
    }
}
