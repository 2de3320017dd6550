use super::super::api::{
    load_team, ChangeRole, InviteMember, LeaveAccount, RemoveMember, RevokeInvitation,
    SendTransferCode, TransferOwnership,
};
use super::super::model::{Member, PendingInvitation, Role, Team};
use super::{role_name, RoleSelect};
use crate::accounts::pages::AccountTabs;
use crate::i18n::*;
use crate::ui::{successes, DataState, DataTable, Field, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Account > Members: who belongs to the billing account with which role; an Owner invites,
/// changes roles, removes and hands over ownership. Everyone may leave.
#[component]
pub fn MembersPage() -> impl IntoView {
    let i18n = use_i18n();
    let invite = ServerAction::<InviteMember>::new();
    let changed = successes(Signal::derive(move || invite.value().get()));
    let team = Resource::new(move || changed.get(), |_| load_team());
    let query = use_query_map();
    let saved = move || query.read().get("saved");
    let transfer_step = move || query.read().get("step").is_some_and(|s| s == "transfer");
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, members_title).to_string()) />
        <AccountTabs />
        <h1>{t!(i18n, members_title)}</h1>
        {move || saved().map(|_| view! { <p class="note" role="status">{t!(i18n, saved)}</p> })}
        <DataState resource=team let:team>
            <MembersTable team=team.clone() />
            {team.can_manage.then(|| view! {
                <InviteForm action=invite />
                <Invitations rows=team.invitations.clone() />
                <TransferForm members=team.members.clone() step=transfer_step() />
            })}
            <LeaveForm />
        </DataState>
    }
}

/// The roles a role change or an invitation may give: an Owner is made by the hand-over only.
const NOT_OWNER: [Role; 3] = [Role::Finance, Role::Operations, Role::Viewer];

/// What a member's role may be changed to: an Owner keeps Owner in the list (their current
/// role), so stepping down is a change like any other.
fn changeable(current: Role) -> Vec<Role> {
    let mut roles = NOT_OWNER.to_vec();
    if current == Role::Owner {
        roles.insert(0, Role::Owner);
    }
    roles
}

#[component]
fn MembersTable(team: Team) -> impl IntoView {
    let i18n = use_i18n();
    let manage = team.can_manage;
    view! {
        <section class="card">
            <DataTable id="members" head=view! {
                <th scope="col">{t!(i18n, member_label)}</th>
                <th scope="col">{t!(i18n, member_role)}</th>
                <th scope="col">{t!(i18n, member_joined)}</th>
                {manage.then(|| view! { <th scope="col">{t!(i18n, member_actions)}</th> })}
            }>
                {team.members.into_iter().map(|m| view! { <MemberRow member=m manage /> }).collect_view()}
            </DataTable>
        </section>
    }
}

#[component]
fn MemberRow(member: Member, manage: bool) -> impl IntoView {
    let i18n = use_i18n();
    let change = ServerAction::<ChangeRole>::new();
    let changed = Signal::derive(move || change.value().get());
    let remove = ServerAction::<RemoveMember>::new();
    let removed = Signal::derive(move || remove.value().get());
    let name = member
        .email
        .clone()
        .or(member.phone.clone())
        .unwrap_or_default();
    let role = member.role;
    let id = member.user_id.to_string();
    let (change_id, remove_id, select_id) = (id.clone(), id.clone(), format!("role-{id}"));
    let you = member.is_you;
    view! {
        <tr data-member=name.clone()>
            <td class="wrap">{name.clone()}{you.then(|| view! { " " <span class="badge">{t!(i18n, member_you)}</span> })}</td>
            <td class="member-role">{move || role_name(i18n.get_locale(), role)}</td>
            <td>{member.joined_at.text.clone()}</td>
            {(manage && !you).then(move || view! {
                <td>
                    <ActionForm action=change attr:class="inline-form">
                        <input type="hidden" name="member" value=change_id />
                        <RoleSelect name="role" id=select_id roles=changeable(role) current=role />
                        <button type="submit" class="link-button">{t!(i18n, member_change_role)}</button>
                    </ActionForm>
                    <details class="confirm">
                        <summary>{t!(i18n, member_remove)}</summary>
                        <ActionForm action=remove attr:class="inline-form">
                            <input type="hidden" name="member" value=remove_id />
                            <button type="submit" class="button danger">{t!(i18n, member_remove_confirm)}</button>
                        </ActionForm>
                    </details>
                    <FormError result=changed fields=&[] />
                    <FormError result=removed fields=&[] />
                </td>
            })}
            {(manage && you).then(|| view! { <td></td> })}
        </tr>
    }
}

#[component]
fn InviteForm(action: ServerAction<InviteMember>) -> impl IntoView {
    let i18n = use_i18n();
    let result = Signal::derive(move || action.value().get());
    view! {
        <section class="card" aria-labelledby="invite-title">
            <h2 id="invite-title">{t!(i18n, invite_title)}</h2>
            <ActionForm action attr:class="stack" attr:id="invite-form">
                <Field label=Signal::derive(move || t_string!(i18n, address_label).to_string()) name="address" form="invite" required=true result />
                <div class="field">
                    <label for="invite-role">{t!(i18n, member_role)}</label>
                    <RoleSelect name="role" id="invite-role".to_string() roles=NOT_OWNER.to_vec() current=Role::Viewer />
                </div>
                <FormError result fields=&["address"] />
                <button type="submit" class="button" disabled=move || action.pending().get()>{t!(i18n, invite_submit)}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Invitations(rows: Vec<PendingInvitation>) -> impl IntoView {
    let i18n = use_i18n();
    if rows.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="card" aria-labelledby="invitations-title">
            <h2 id="invitations-title">{t!(i18n, invitations_title)}</h2>
            <DataTable id="invitations" head=view! {
                <th scope="col">{t!(i18n, address_label)}</th>
                <th scope="col">{t!(i18n, member_role)}</th>
                <th scope="col">{t!(i18n, invitation_expires)}</th>
                <th scope="col">{t!(i18n, member_actions)}</th>
            }>
                {rows.into_iter().map(|invitation| {
                    let revoke = ServerAction::<RevokeInvitation>::new();
                    let role = invitation.role;
                    view! {
                        <tr>
                            <td class="wrap">{invitation.address}</td>
                            <td>{move || role_name(i18n.get_locale(), role)}</td>
                            <td>{invitation.expires_at.text}</td>
                            <td>
                                <ActionForm action=revoke attr:class="inline-form">
                                    <input type="hidden" name="invitation" value=invitation.id.to_string() />
                                    <button type="submit" class="link-button">{t!(i18n, invitation_revoke)}</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </DataTable>
        </section>
    }
    .into_any()
}

/// Handing over ownership: a code to the Owner's own address first, then the choice.
#[component]
fn TransferForm(members: Vec<Member>, step: bool) -> impl IntoView {
    let i18n = use_i18n();
    let send = ServerAction::<SendTransferCode>::new();
    let sent = Signal::derive(move || send.value().get());
    let transfer = ServerAction::<TransferOwnership>::new();
    let result = Signal::derive(move || transfer.value().get());
    let is_owner = members.iter().any(|m| m.is_you && m.role == Role::Owner);
    let candidates: Vec<Member> = members
        .into_iter()
        .filter(|m| !m.is_you && m.role != Role::Owner)
        .collect();
    if !is_owner || candidates.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="card" aria-labelledby="transfer-title">
            <h2 id="transfer-title">{t!(i18n, transfer_title)}</h2>
            <p>{t!(i18n, transfer_explain)}</p>
            <ActionForm action=send attr:class="inline-form">
                <FormError result=sent fields=&[] />
                <button type="submit" class="button secondary">{t!(i18n, transfer_send_code)}</button>
            </ActionForm>
            {step.then(|| view! {
                <ActionForm action=transfer attr:class="stack">
                    <div class="field">
                        <label for="transfer-to">{t!(i18n, transfer_to)}</label>
                        <select name="to" id="transfer-to">
                            {candidates.into_iter().map(|m| {
                                let name = m.email.clone().or(m.phone.clone()).unwrap_or_default();
                                view! { <option value=m.user_id.to_string()>{name}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="transfer-then">{t!(i18n, transfer_then)}</label>
                        <RoleSelect name="then" id="transfer-then".to_string() roles=Role::ALL.to_vec() current=Role::Finance />
                    </div>
                    <Field label=Signal::derive(move || t_string!(i18n, code_label).to_string()) name="code" form="transfer" autocomplete="one-time-code" required=true result />
                    <FormError result fields=&["code"] />
                    <button type="submit" class="button danger">{t!(i18n, transfer_submit)}</button>
                </ActionForm>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn LeaveForm() -> impl IntoView {
    let i18n = use_i18n();
    let leave = ServerAction::<LeaveAccount>::new();
    let result = Signal::derive(move || leave.value().get());
    view! {
        <section class="card">
            <details class="confirm">
                <summary>{t!(i18n, leave_account)}</summary>
                <p>{t!(i18n, leave_explain)}</p>
                <ActionForm action=leave attr:class="inline-form">
                    <button type="submit" class="button danger" id="leave-account">{t!(i18n, leave_confirm)}</button>
                </ActionForm>
                <FormError result fields=&[] />
            </details>
        </section>
    }
}
