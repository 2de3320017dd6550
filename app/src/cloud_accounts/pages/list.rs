use super::super::api::list_cloud_accounts;
use super::super::model::CloudAccountView;
use super::{cloud_name, status_name};
use crate::accounts::pages::AccountTabs;
use crate::i18n::*;
use crate::ui::{DataState, ListTable};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Account > Cloud accounts: the marketplace subscriptions linked to the billing account, their
/// status, and the workspaces each pays for.
#[component]
pub fn CloudAccountsPage() -> impl IntoView {
    let i18n = use_i18n();
    let accounts = Resource::new(|| (), |_| list_cloud_accounts());
    let query = use_query_map();
    let saved = move || query.read().get("saved");
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, cloud_accounts_title).to_string()) />
        <AccountTabs />
        <h1>{t!(i18n, cloud_accounts_title)}</h1>
        {move || saved().map(|_| view! { <p class="note" role="status" id="cloud-saved">{t!(i18n, cloud_account_linked)}</p> })}
        <p class="lead">{t!(i18n, cloud_accounts_intro)}</p>
        <section class="card">
            <DataState resource=accounts let:rows>
                <CloudAccountTable rows=rows.clone() />
            </DataState>
        </section>
    }
}

/// The cloud accounts as a table (the customer's page and the operator console).
#[component]
pub fn CloudAccountTable(rows: Vec<CloudAccountView>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ListTable id="cloud-accounts" items=rows empty=t!(i18n, cloud_accounts_empty) head=view! {
            <th scope="col">{t!(i18n, cloud_provider)}</th>
            <th scope="col">{t!(i18n, cloud_account_id)}</th>
            <th scope="col">{t!(i18n, cloud_product)}</th>
            <th scope="col">{t!(i18n, workspace_state)}</th>
            <th scope="col">{t!(i18n, cloud_expires)}</th>
            <th scope="col">{t!(i18n, cloud_workspaces)}</th>
        } row=move |c: CloudAccountView| {
            let (cloud, status) = (c.cloud, c.status);
            let workspaces = match c.workspaces.is_empty() {
                true => "—".to_string(),
                false => c.workspaces.join(", "),
            };
            view! {
                <tr data-status=status.code() data-cloud=cloud.code()>
                    <td>{move || cloud_name(i18n.get_locale(), cloud)}</td>
                    <td class="wrap">{c.cloud_account}</td>
                    <td class="wrap">{c.product_code}</td>
                    <td class=format!("status status-{}", status.code())>{move || status_name(i18n.get_locale(), status)}</td>
                    <td>{c.expires_at.map(|s| s.text).unwrap_or_else(|| "—".into())}</td>
                    <td class="wrap">{workspaces}</td>
                </tr>
            }
        } />
    }
}
