use crate::error::AppError;
use crate::funds::api::income_expenditure;
use crate::funds::model::{Movement, MovementQuery};
use crate::i18n::*;
use crate::ledger::LedgerKind;
use crate::ui::{
    use_list_query, DataState, DateRange, FilterForm, ListTable, PagedList, SelectFilter,
};
use leptos::prelude::*;
use leptos_meta::Title;

/// Income & expenditure: every movement of cash, vouchers, prepaid cards and arrears, filtered
/// by a plain GET form (works without JavaScript), paged by keyset, exportable as CSV.
#[component]
pub fn IncomeExpenditurePage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_list_query::<MovementQuery>();
    let page = Resource::new(
        move || query.get(),
        |q| income_expenditure(q.from, q.to, q.kind, q.before),
    );
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, movements_title).to_string()) />
        <h1>{t!(i18n, movements_title)}</h1>
        <FilterForm query>
            <DateRange from=move || query.get().from to=move || query.get().to />
            <SelectFilter
                name="kind"
                label=move || t_string!(i18n, filter_kind).to_string()
                options=move || {
                    crate::funds::model::MOVEMENT_KINDS
                        .into_iter()
                        .map(|kind| (kind, kind_label(i18n.get_locale(), kind).to_string()))
                        .collect::<Vec<_>>()
                }
                current=move || query.get().kind
            />
        </FilterForm>
        <PagedList query resource=page rows=move |rows| view! { <MovementRows rows empty=t!(i18n, movements_empty) /> } />
    }
}

/// The latest few movements (`latest`, from `recent_movements`) with a way to all of them
/// (Overview). The page makes the resource: one made inside a suspended view would be numbered
/// differently on the server and in the browser, and hydration would fail.
#[component]
pub fn RecentMovements(latest: Resource<Result<Vec<Movement>, AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card" aria-labelledby="recent-movements">
            <div class="card-head">
                <h2 id="recent-movements">{t!(i18n, recent_movements)}</h2>
                <a href="/income-expenditure">{t!(i18n, movements_all)}</a>
            </div>
            <DataState resource=latest let:rows>
                <MovementRows rows empty=t!(i18n, movements_none_yet) />
            </DataState>
        </section>
    }
}

/// Movements as a table, newest first, or `empty` when there are none (Income & expenditure,
/// Overview, operator console).
#[component]
pub fn MovementRows<E>(rows: Vec<Movement>, empty: E) -> impl IntoView
where
    E: IntoView + 'static,
{
    let i18n = use_i18n();
    view! {
        <ListTable id="movements" items=rows empty head=view! {
            <th scope="col">{t!(i18n, log_time)}</th>
            <th scope="col">{t!(i18n, filter_kind)}</th>
            <th scope="col">{t!(i18n, movement_holding)}</th>
            <th scope="col" class="amount">{t!(i18n, recharge_amount)}</th>
            <th scope="col">{t!(i18n, movement_reference)}</th>
        } row=|m: Movement| view! { <MovementRow movement=m /> } />
    }
}

#[component]
fn MovementRow(movement: Movement) -> impl IntoView {
    let i18n = use_i18n();
    let (kind, holding) = (movement.kind, movement.holding);
    let instrument = (movement.instrument_id > 0).then(|| format!(" #{}", movement.instrument_id));
    view! {
        <tr data-kind=kind.code()>
            <td>{movement.created_at.text.clone()}</td>
            <td>{move || kind_label(i18n.get_locale(), kind.code())}</td>
            <td>{move || holding_label(i18n.get_locale(), holding)}{instrument}</td>
            <td class="amount">{movement.amount}</td>
            <td class="wrap">{movement.reference}</td>
        </tr>
    }
}

fn kind_label(locale: Locale, kind: &str) -> &'static str {
    match kind {
        "recharge" => td_string!(locale, kind_recharge),
        "voucher_activation" => td_string!(locale, kind_voucher_activation),
        "card_purchase" => td_string!(locale, kind_card_purchase),
        "card_issue" => td_string!(locale, kind_card_issue),
        "daily_charge" => td_string!(locale, kind_daily_charge),
        "expiry" => td_string!(locale, kind_expiry),
        "adjustment" => td_string!(locale, kind_adjustment),
        _ => td_string!(locale, kind_all),
    }
}

fn holding_label(locale: Locale, holding: LedgerKind) -> &'static str {
    match holding {
        LedgerKind::Voucher => td_string!(locale, holding_voucher),
        LedgerKind::PrepaidCard => td_string!(locale, holding_prepaid_card),
        LedgerKind::Arrears => td_string!(locale, arrears),
        _ => td_string!(locale, holding_cash),
    }
}
