use super::OperatorNav;
use crate::i18n::*;
use crate::operators::api::find_accounts;
use crate::operators::model::AccountMatch;
use crate::ui::{DataState, DataTable};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Operator console: find a customer's account by id, email, phone or company name.
#[component]
pub fn OperatorPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let found = Resource::new(q, find_accounts);
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, operator_title).to_string()) />
        <h1>{t!(i18n, operator_title)}</h1>
        <OperatorNav />
        <form method="get" action="/operator" class="card filter-form" role="search">
            <div class="field">
                <label for="q">{t!(i18n, operator_search)}</label>
                <input id="q" name="q" type="search" value=q />
            </div>
            <button type="submit" class="button">{t!(i18n, operator_find)}</button>
        </form>
        <section class="card">
            <DataState resource=found let:accounts>
                <AccountList accounts />
            </DataState>
        </section>
    }
}

#[component]
fn AccountList(accounts: Vec<AccountMatch>) -> impl IntoView {
    let i18n = use_i18n();
    if accounts.is_empty() {
        return view! { <p class="empty">{t!(i18n, operator_none_found)}</p> }.into_any();
    }
    view! {
        <DataTable id="accounts" head=view! {
            <th scope="col">"ID"</th>
            <th scope="col">{t!(i18n, company_name_label)}</th>
            <th scope="col">{t!(i18n, email_label)}</th>
            <th scope="col">{t!(i18n, phone_label)}</th>
            <th scope="col">{t!(i18n, currency_label)}</th>
        }>
            {accounts.into_iter().map(|a| view! {
                <tr>
                    <td>{a.id}</td>
                    <td><a href=format!("/operator/accounts/{}", a.id)>{a.company_name}</a></td>
                    <td>{a.email.unwrap_or_default()}</td>
                    <td>{a.phone.unwrap_or_default()}</td>
                    <td>{format!("{} · {}", a.site_code, a.currency)}</td>
                </tr>
            }).collect_view()}
        </DataTable>
    }
    .into_any()
}
