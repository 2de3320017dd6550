use super::super::api::{audit_log, load_team};
use super::super::model::{AuditAction, AuditEntry, AuditQuery};
use crate::accounts::pages::AccountTabs;
use crate::i18n::*;
use crate::ui::{use_list_query, DateRange, FilterForm, ListTable, PagedList, SelectFilter};
use leptos::prelude::*;
use leptos_meta::Title;

/// Account > Audit log: who did what in the billing account, when and from where, filtered by
/// person, action and dates (a plain GET form), paged, exportable as CSV.
#[component]
pub fn AuditLogPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_list_query::<AuditQuery>();
    let page = Resource::new(
        move || query.get(),
        |q| audit_log(q.person, q.action, q.from, q.to, q.before),
    );
    let team = Resource::new(|| (), |_| load_team());
    // The people who are members now; someone who left is still found by their lines.
    let people = move || {
        let current = query.get().person;
        let members = match team.get() {
            Some(Ok(team)) => team.members,
            _ => Vec::new(),
        };
        members
            .into_iter()
            .map(|m| {
                let id = m.user_id.to_string();
                let selected = id == current;
                view! { <option value=id selected=selected>{m.email.or(m.phone).unwrap_or_default()}</option> }
            })
            .collect_view()
    };
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, audit_title).to_string()) />
        <AccountTabs />
        <h1>{t!(i18n, audit_title)}</h1>
        <FilterForm query>
            <div class="field">
                <label for="person">{t!(i18n, audit_person)}</label>
                <select id="person" name="person">
                    <option value="">{t!(i18n, status_all)}</option>
                    <Transition>{people}</Transition>
                </select>
            </div>
            <SelectFilter
                name="action"
                label=move || t_string!(i18n, audit_action).to_string()
                options=move || {
                    let mut options = vec![("", t_string!(i18n, status_all).to_string())];
                    options.extend(AuditAction::ALL.into_iter().map(|a| (a.code(), action_name(i18n.get_locale(), a))));
                    options
                }
                current=move || query.get().action
            />
            <DateRange from=move || query.get().from to=move || query.get().to />
        </FilterForm>
        <PagedList query resource=page rows=|rows| view! { <AuditRows rows /> } />
    }
}

#[component]
fn AuditRows(rows: Vec<AuditEntry>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ListTable id="audit-log" items=rows empty=t!(i18n, audit_empty) head=view! {
            <th scope="col">{t!(i18n, log_time)}</th>
            <th scope="col">{t!(i18n, audit_person)}</th>
            <th scope="col">{t!(i18n, audit_action)}</th>
            <th scope="col">{t!(i18n, audit_detail)}</th>
            <th scope="col">{t!(i18n, audit_client_address)}</th>
        } row=move |entry: AuditEntry| {
                let action = entry.action;
                view! {
                    <tr data-action=action.code()>
                        <td>{entry.at.text}</td>
                        <td class="wrap">{entry.actor}{entry.by_operator.then(|| view! { " " <span class="badge">{t!(i18n, audit_by_operator)}</span> })}</td>
                        <td>{move || action_name(i18n.get_locale(), action)}</td>
                        <td class="wrap">{entry.detail}</td>
                        <td>{entry.client_addr}</td>
                    </tr>
                }
            } />
    }
}

fn action_name(locale: Locale, action: AuditAction) -> String {
    match action {
        AuditAction::RechargeOrdered => td_string!(locale, audit_recharge_ordered),
        AuditAction::RechargePaid => td_string!(locale, audit_recharge_paid),
        AuditAction::CardBought => td_string!(locale, audit_card_bought),
        AuditAction::VoucherActivated => td_string!(locale, audit_voucher_activated),
        AuditAction::MemberInvited => td_string!(locale, audit_member_invited),
        AuditAction::InvitationRevoked => td_string!(locale, audit_invitation_revoked),
        AuditAction::MemberJoined => td_string!(locale, audit_member_joined),
        AuditAction::RoleChanged => td_string!(locale, audit_role_changed),
        AuditAction::MemberRemoved => td_string!(locale, audit_member_removed),
        AuditAction::OwnershipTransferred => td_string!(locale, audit_ownership_transferred),
        AuditAction::ProfileUpdated => td_string!(locale, audit_profile_updated),
        AuditAction::OperatorTransfer => td_string!(locale, audit_operator_transfer),
        AuditAction::OperatorVoucher => td_string!(locale, audit_operator_voucher),
        AuditAction::OperatorCard => td_string!(locale, audit_operator_card),
        AuditAction::WorkspaceBound => td_string!(locale, audit_workspace_bound),
        AuditAction::WorkspaceUnbound => td_string!(locale, audit_workspace_unbound),
        AuditAction::OperatorWorkspaceLocked => td_string!(locale, audit_operator_workspace_locked),
        AuditAction::OperatorWorkspaceUnlocked => {
            td_string!(locale, audit_operator_workspace_unlocked)
        }
        AuditAction::WorkspaceSettlementChanged => {
            td_string!(locale, audit_workspace_settlement_changed)
        }
        AuditAction::CloudAccountLinked => td_string!(locale, audit_cloud_account_linked),
        AuditAction::OperatorAnyCloud => td_string!(locale, audit_operator_any_cloud),
    }
    .to_string()
}
