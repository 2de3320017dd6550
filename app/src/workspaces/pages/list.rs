use super::super::api::{list_sites, list_workspaces, BindWorkspace};
use super::super::model::{WorkspaceQuery, WorkspaceState, WorkspaceView};
use super::{settlement_name, state_name};
use crate::i18n::*;
use crate::team::model::Permission;
use crate::team::pages::IfAllowed;
use crate::ui::{use_list_query, Field, FilterForm, FormError, ListTable, PagedList, SelectFilter};
use leptos::prelude::*;
use leptos_meta::Title;

/// Workspace Management: bind a workspace with the code its site shows, and the bound
/// workspaces with site, settlement method, state and this month's cost, filtered (a plain GET
/// form), paged, exportable as CSV.
#[component]
pub fn WorkspacesPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_list_query::<WorkspaceQuery>();
    let page = Resource::new(
        move || query.get(),
        |q| list_workspaces(q.site, q.state, q.q, q.before),
    );
    let sites = Resource::new(|| (), |_| list_sites(None));
    let account = Resource::new(|| (), |_| crate::accounts::api::current_account());
    // Sites are data, so their choice is made here rather than from a fixed list.
    let site_options = move || {
        let current = query.get().site;
        let sites = match sites.get() {
            Some(Ok(sites)) => sites,
            _ => Vec::new(),
        };
        sites
            .into_iter()
            .map(|s| {
                let selected = s.code == current;
                view! { <option value=s.code.clone() selected=selected>{format!("{} · {}", s.code, s.location)}</option> }
            })
            .collect_view()
    };
    let state_options = move || {
        let locale = i18n.get_locale();
        std::iter::once(("", td_string!(locale, status_all).to_string()))
            .chain(
                WorkspaceState::ALL
                    .iter()
                    .map(|s| (s.code(), state_name(locale, *s).to_string())),
            )
            .collect::<Vec<_>>()
    };
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, workspaces_title).to_string()) />
        <h1>{t!(i18n, workspaces_title)}</h1>
        <IfAllowed account permission=Permission::Workspaces>
            <BindByCode />
        </IfAllowed>
        <FilterForm query>
            <div class="field">
                <label for="site">{t!(i18n, site_code)}</label>
                <select id="site" name="site">
                    <option value="">{t!(i18n, status_all)}</option>
                    <Transition>{site_options}</Transition>
                </select>
            </div>
            <SelectFilter name="state" label=Signal::derive(move || t_string!(i18n, workspace_state).to_string()) options=Signal::derive(state_options) current=Signal::derive(move || query.get().state) />
            <div class="field">
                <label for="q">{t!(i18n, workspace_search)}</label>
                <input id="q" name="q" type="search" maxlength="100" value=move || query.get().q />
            </div>
        </FilterForm>
        <PagedList query resource=page rows=move |rows| view! { <WorkspaceTable rows /> } />
    }
}

#[component]
fn BindByCode() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<BindWorkspace>::new();
    let result = Signal::derive(move || action.value().get());
    view! {
        <section class="card" aria-labelledby="bind-workspace">
            <h2 id="bind-workspace">{t!(i18n, workspace_bind)}</h2>
            <p class="muted">{t!(i18n, workspace_bind_intro)}</p>
            <ActionForm action attr:class="stack narrow">
                <Field label=Signal::derive(move || t_string!(i18n, workspace_id).to_string()) name="workspace_id" required=true autocomplete="off" result />
                <Field label=Signal::derive(move || t_string!(i18n, workspace_bind_code).to_string()) name="code" required=true autocomplete="off" result />
                <FormError result fields=&["workspace_id", "code"] />
                <button type="submit" class="button" disabled=move || action.pending().get()>{t!(i18n, workspace_bind)}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn WorkspaceTable(rows: Vec<WorkspaceView>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ListTable id="workspaces" items=rows empty=t!(i18n, workspaces_empty) head=view! {
            <th scope="col">{t!(i18n, workspace_name)}</th>
            <th scope="col">{t!(i18n, site_code)}</th>
            <th scope="col">{t!(i18n, workspace_settlement)}</th>
            <th scope="col">{t!(i18n, workspace_state)}</th>
            <th scope="col" class="amount">{t!(i18n, workspace_month_cost)}</th>
        } row=move |w: WorkspaceView| {
            let (state, settlement) = (w.state, w.settlement);
            let uuid = w.workspace_uuid.clone();
            view! {
                <tr data-workspace=uuid data-state=state.code()>
                    <td class="wrap"><a href=format!("/workspaces/{}", w.id)>{w.name}</a><br /><span class="muted">{w.workspace_uuid}</span></td>
                    <td>{w.site_code}</td>
                    <td>{move || settlement_name(i18n.get_locale(), settlement)}</td>
                    <td class=format!("status status-{}", state.code())>{move || state_name(i18n.get_locale(), state)}</td>
                    <td class="amount">{w.month_cost}</td>
                </tr>
            }
        } />
    }
}
