use super::super::api::{current_price_list, price_versions, AddPriceVersion};
use super::super::model::{PriceRow, PriceVersion};
use super::counting_name;
use crate::i18n::*;
use crate::ui::{successes, DataState, Field, FormError, ListTable};
use leptos::prelude::*;
use leptos_meta::Title;

/// The price list of the account's currency in force today, and any version to come.
#[component]
pub fn PriceListPage() -> impl IntoView {
    let i18n = use_i18n();
    let list = Resource::new(|| (), |_| current_price_list());
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, prices_title).to_string()) />
        <h1>{t!(i18n, prices_title)}</h1>
        <p class="muted">{t!(i18n, prices_intro)}</p>
        <DataState resource=list let:list>
            <VersionCard version=list.current.clone() />
            {list.upcoming.into_iter().map(|version| view! { <VersionCard version /> }).collect_view()}
        </DataState>
    }
}

#[component]
fn VersionCard(version: PriceVersion) -> impl IntoView {
    let i18n = use_i18n();
    let (from, currency) = (version.effective_from.clone(), version.currency.clone());
    view! {
        <section class="card price-version" data-version=version.id data-currency=version.currency.clone()>
            <h2>{move || t_string!(i18n, prices_from, day = from.clone(), currency = currency.clone()).to_string()}</h2>
            {(!version.note.is_empty()).then(|| view! { <p class="muted">{version.note.clone()}</p> })}
            <PriceTable rows=version.rows />
        </section>
    }
}

#[component]
fn PriceTable(rows: Vec<PriceRow>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ListTable id="prices" items=rows empty=t!(i18n, consumption_empty) head=view! {
            <th scope="col">{t!(i18n, consumption_item)}</th>
            <th scope="col">{t!(i18n, prices_tier)}</th>
            <th scope="col" class="amount">{t!(i18n, consumption_unit_price)}</th>
            <th scope="col">{t!(i18n, prices_unit)}</th>
            <th scope="col">{t!(i18n, consumption_counting)}</th>
            <th scope="col">{t!(i18n, prices_vouchers)}</th>
        } row=move |row: PriceRow| {
            let (names, unit, counting, vouchers) = (row.item_name.clone(), row.unit.clone(), row.counting, row.vouchers_allowed);
            view! {
                <tr data-item=row.item_code.clone() data-tier=row.tier.clone()>
                    <td class="wrap">{move || names.get(i18n.get_locale()).to_string()}</td>
                    <td>{row.tier.clone()}</td>
                    <td class="amount">{row.unit_price.clone()}</td>
                    <td class="wrap">{move || unit.get(i18n.get_locale()).to_string()}</td>
                    <td class="wrap">{move || counting_name(i18n.get_locale(), counting)}</td>
                    <td>{move || if vouchers { t_string!(i18n, prices_vouchers_yes) } else { t_string!(i18n, prices_vouchers_no) }}</td>
                </tr>
            }
        } />
    }
}

/// The operator's price versions: every version of both currencies, and a form that adds one
/// (a whole table, from a later day), prefilled with the latest table of the currency.
#[component]
pub fn OperatorPricesPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<AddPriceVersion>::new();
    let result = Signal::derive(move || action.value().get());
    let added = successes(result);
    let versions = Resource::new(move || added.get(), |_| price_versions());
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, prices_title).to_string()) />
        <h1>{t!(i18n, prices_title)}</h1>
        <crate::operators::pages::OperatorNav />
        <DataState resource=versions let:versions>
            {
                let latest_table = |currency: &str| {
                    versions
                        .iter()
                        .rev()
                        .find(|v| v.currency == currency)
                        .map(|v| crate::metering::model::price_table(&v.rows))
                        .unwrap_or_default()
                };
                let (cny, usd) = (latest_table("CNY"), latest_table("USD"));
                view! {
                    <section class="card" aria-labelledby="add-version">
                        <h2 id="add-version">{t!(i18n, prices_add)}</h2>
                        <p class="muted">{t!(i18n, prices_add_intro)}</p>
                        <ActionForm action attr:class="stack">
                            <div class="field">
                                <label for="price-currency">{t!(i18n, currency_label)}</label>
                                <select id="price-currency" name="currency">
                                    <option value="CNY">"CNY"</option>
                                    <option value="USD">"USD"</option>
                                </select>
                            </div>
                            <Field label=Signal::derive(move || t_string!(i18n, prices_effective_from).to_string()) name="effective_from" kind="date" required=true result />
                            <Field label=Signal::derive(move || t_string!(i18n, operator_note).to_string()) name="note" result />
                            <Field label=Signal::derive(move || t_string!(i18n, prices_table).to_string()) name="prices" kind="textarea" value=cny.clone() required=true hint=Signal::derive(move || t_string!(i18n, prices_table_hint).to_string()) result />
                            <details>
                                <summary>{t!(i18n, prices_usd_table)}</summary>
                                <pre class="wrap">{usd.clone()}</pre>
                            </details>
                            <FormError result fields=&["currency", "effective_from", "note", "prices"] />
                            <button type="submit" class="button" disabled=move || action.pending().get()>{t!(i18n, prices_add)}</button>
                        </ActionForm>
                    </section>
                    {versions.iter().rev().cloned().map(|version| view! { <VersionCard version /> }).collect_view()}
                }
            }
        </DataState>
    }
}
