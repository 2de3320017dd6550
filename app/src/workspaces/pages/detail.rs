use super::super::api::{load_workspace, UnbindWorkspace};
use super::super::model::{LockReason, WorkspaceDetail, WorkspaceEventKind, WorkspaceEventView};
use super::{settlement_name, state_name};
use crate::i18n::*;
use crate::team::model::Permission;
use crate::team::pages::IfAllowed;
use crate::ui::{DataState, FormError, ListTable};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// A workspace: its site, settlement method and state (with why it is locked), its history,
/// and unbinding (refused, with the reason, while it may not be unbound).
#[component]
pub fn WorkspaceDetailPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let detail = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        load_workspace,
    );
    let account = Resource::new(|| (), |_| crate::accounts::api::current_account());
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, workspace_detail_title).to_string()) />
        <p><a href="/workspaces">{t!(i18n, workspaces_title)}</a></p>
        <DataState resource=detail let:detail>
            {
                let (events, unbind) = (detail.events.clone(), detail.clone());
                view! {
                    <DetailCard detail />
                    <IfAllowed account permission=Permission::Workspaces>
                        <UnbindForm detail=unbind.clone() />
                    </IfAllowed>
                    <section class="card" aria-labelledby="workspace-history">
                        <h2 id="workspace-history">{t!(i18n, workspace_history)}</h2>
                        <EventTable events />
                    </section>
                }
            }
        </DataState>
    }
}

#[component]
fn DetailCard(detail: WorkspaceDetail) -> impl IntoView {
    let i18n = use_i18n();
    let w = detail.workspace;
    let (state, settlement, reason) = (w.state, w.settlement, detail.lock_reason);
    view! {
        <h1>{w.name}</h1>
        <section class="card">
            <dl class="facts" id="workspace-facts" data-state=state.code()>
                <dt>{t!(i18n, workspace_id)}</dt><dd>{w.workspace_uuid}</dd>
                <dt>{t!(i18n, site_code)}</dt><dd>{w.site_code}</dd>
                <dt>{t!(i18n, workspace_settlement)}</dt>
                <dd>
                    {move || settlement_name(i18n.get_locale(), settlement)}
                    " · "<a id="change-settlement-link" href=format!("/workspaces/{}/settlement", w.id)>{t!(i18n, settlement_change)}</a>
                </dd>
                <dt>{t!(i18n, workspace_state)}</dt>
                <dd class=format!("status status-{}", state.code())>
                    {move || state_name(i18n.get_locale(), state)}
                    {reason.map(|r| view! { " · " {move || lock_reason_name(i18n.get_locale(), r)} })}
                </dd>
                <dt>{t!(i18n, workspace_month_cost)}</dt><dd>{w.month_cost}</dd>
                <dt>{t!(i18n, workspace_bound_at)}</dt><dd>{w.bound_at.text}</dd>
            </dl>
        </section>
    }
}

#[component]
fn UnbindForm(detail: WorkspaceDetail) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<UnbindWorkspace>::new();
    let result = Signal::derive(move || action.value().get());
    if let Some(reason) = detail.unbind_refused {
        return view! {
            <p class="notice" id="unbind-refused">{move || reason.text(i18n.get_locale())}</p>
        }
        .into_any();
    }
    // Without JavaScript the checkbox is the confirmation; the server refuses without it.
    view! {
        <section class="card danger" aria-labelledby="unbind-title">
            <h2 id="unbind-title">{t!(i18n, workspace_unbind)}</h2>
            <p class="muted">{t!(i18n, workspace_unbind_intro)}</p>
            <ActionForm action attr:class="stack narrow">
                <input type="hidden" name="id" value=detail.workspace.id.to_string() />
                <label class="check"><input type="checkbox" name="confirm" value="yes" required=true />" "{t!(i18n, workspace_unbind_confirm)}</label>
                <FormError result fields=&["confirm"] />
                <button type="submit" class="button danger" id="unbind" disabled=move || action.pending().get()>{t!(i18n, workspace_unbind)}</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn EventTable(events: Vec<WorkspaceEventView>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ListTable id="workspace-events" items=events empty=t!(i18n, workspace_history_empty) head=view! {
            <th scope="col">{t!(i18n, log_time)}</th>
            <th scope="col">{t!(i18n, audit_action)}</th>
            <th scope="col">{t!(i18n, audit_detail)}</th>
            <th scope="col">{t!(i18n, audit_person)}</th>
        } row=move |e: WorkspaceEventView| {
            let kind = e.kind;
            view! {
                <tr data-kind=kind.code()>
                    <td>{e.at.text}</td>
                    <td>{move || event_name(i18n.get_locale(), kind)}</td>
                    <td class="wrap">{e.detail}</td>
                    <td class="wrap">{e.actor}</td>
                </tr>
            }
        } />
    }
}

fn event_name(locale: Locale, kind: WorkspaceEventKind) -> &'static str {
    match kind {
        WorkspaceEventKind::Bound => td_string!(locale, workspace_event_bound),
        WorkspaceEventKind::Unbound => td_string!(locale, workspace_event_unbound),
        WorkspaceEventKind::SettlementChanged => td_string!(locale, workspace_event_settlement),
        WorkspaceEventKind::Locked => td_string!(locale, workspace_event_locked),
        WorkspaceEventKind::Unlocked => td_string!(locale, workspace_event_unlocked),
    }
}

fn lock_reason_name(locale: Locale, reason: LockReason) -> &'static str {
    match reason {
        LockReason::Arrears => td_string!(locale, lock_reason_arrears),
        LockReason::SubscriptionEnded => td_string!(locale, lock_reason_subscription_ended),
        LockReason::Operator => td_string!(locale, lock_reason_operator),
    }
}
