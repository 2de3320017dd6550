use super::super::api::{load_invitation, AcceptAsNewUser, AcceptInvitation};
use super::role_name;
use crate::accounts::api::RequestCode;
use crate::i18n::*;
use crate::ui::{query_value, DataState, Field, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/invitations/accept?token=...`: what the invitation offers, and the way to accept it: at once
/// when signed in with the invited address, after signing in, or by creating a sign-in with a
/// code sent to that address.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let invitation = Resource::new(token, load_invitation);
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, invitation_title).to_string()) />
        <section class="auth card">
            <h1>{t!(i18n, invitation_title)}</h1>
            <DataState resource=invitation let:invitation>
                {
                    let role = invitation.role;
                    let company = invitation.company_name.clone();
                    view! {
                        <p id="invitation-offer">
                            {move || t_string!(i18n, invitation_offer, company = company.clone(), role = role_name(i18n.get_locale(), role)).to_string()}
                        </p>
                    }
                }
                {match (invitation.signed_in, invitation.yours) {
                    (true, true) => view! { <AcceptForm token=token() /> }.into_any(),
                    (true, false) => {
                        let address = invitation.address.clone();
                        view! {
                            <p class="form-error" role="alert">
                                {move || t_string!(i18n, invitation_other_user, address = address.clone()).to_string()}
                            </p>
                        }.into_any()
                    }
                    (false, _) => view! { <SignInOrCreate token=token() /> }.into_any(),
                }}
            </DataState>
        </section>
    }
}

#[component]
fn AcceptForm(token: String) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<AcceptInvitation>::new();
    let result = Signal::derive(move || action.value().get());
    view! {
        <ActionForm action attr:class="stack">
            <input type="hidden" name="token" value=token />
            <FormError result fields=&[] />
            <button type="submit" class="button" id="accept-invitation" disabled=move || action.pending().get()>{t!(i18n, invitation_accept)}</button>
        </ActionForm>
    }
}

#[component]
fn SignInOrCreate(token: String) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let here = format!("/invitations/accept?token={}", query_value(&token));
    let sign_in = format!("/sign-in?next={}", query_value(&here));
    let send = ServerAction::<RequestCode>::new();
    let sent = Signal::derive(move || send.value().get());
    let create = ServerAction::<AcceptAsNewUser>::new();
    let created = Signal::derive(move || create.value().get());
    let address = move || query.read().get("address");
    let token = StoredValue::new(token);
    view! {
        <p><a href=sign_in id="invitation-sign-in">{t!(i18n, invitation_sign_in)}</a></p>
        <h2>{t!(i18n, invitation_new_here)}</h2>
        <ActionForm action=send attr:class="stack">
            <input type="hidden" name="purpose" value="register" />
            <input type="hidden" name="next" value=here.clone() />
            <Field label=Signal::derive(move || t_string!(i18n, invitation_your_address).to_string()) name="address" form="invitee" autocomplete="username" required=true result=sent />
            <FormError result=sent fields=&["address"] />
            <button type="submit" class="button secondary" disabled=move || send.pending().get()>{t!(i18n, send_code)}</button>
        </ActionForm>
        <Show when=move || address().is_some()>
            <ActionForm action=create attr:class="stack">
                <input type="hidden" name="token" value=token.get_value() />
                <Field label=Signal::derive(move || t_string!(i18n, code_label).to_string()) name="code" autocomplete="one-time-code" required=true result=created />
                <crate::accounts::pages::OptionalPassword result=created />
                <FormError result=created fields=&["code", "password"] />
                <button type="submit" class="button" disabled=move || create.pending().get()>{t!(i18n, invitation_create_and_accept)}</button>
            </ActionForm>
        </Show>
    }
}
