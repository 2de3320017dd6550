use super::OperatorNav;
use crate::i18n::*;
use crate::operators::api::find_accounts;
use crate::operators::model::{AccountMatch, AccountQuery};
use crate::ui::{use_list_query, FilterForm, ListTable, PagedList};
use leptos::prelude::*;
use leptos_meta::Title;

/// Operator console: find a customer's account by id, email, phone or company name.
#[component]
pub fn OperatorPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_list_query::<AccountQuery>();
    let found = Resource::new(move || query.get(), |q| find_accounts(q.q, q.before));
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, operator_title).to_string()) />
        <h1>{t!(i18n, operator_title)}</h1>
        <OperatorNav />
        <FilterForm query role="search" submit=Signal::derive(move || t_string!(i18n, operator_find).to_string())>
            <div class="field">
                <label for="q">{t!(i18n, operator_search)}</label>
                <input id="q" name="q" type="search" value=move || query.get().q />
            </div>
        </FilterForm>
        <PagedList query resource=found rows=|accounts| view! { <AccountList accounts /> } />
    }
}

#[component]
fn AccountList(accounts: Vec<AccountMatch>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ListTable id="accounts" items=accounts empty=t!(i18n, operator_none_found) head=view! {
            <th scope="col">"ID"</th>
            <th scope="col">{t!(i18n, company_name_label)}</th>
            <th scope="col">{t!(i18n, email_label)}</th>
            <th scope="col">{t!(i18n, phone_label)}</th>
            <th scope="col">{t!(i18n, currency_label)}</th>
        } row=move |a: AccountMatch| view! {
                <tr>
                    <td>{a.id}</td>
                    <td><a href=format!("/operator/accounts/{}", a.id)>{a.company_name}</a></td>
                    <td>{a.email.unwrap_or_default()}</td>
                    <td>{a.phone.unwrap_or_default()}</td>
                    <td>{format!("{} · {}", a.site_code, a.currency)}</td>
                </tr>
            } />
    }
}
