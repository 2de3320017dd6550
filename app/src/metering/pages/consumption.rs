use super::super::api::{consumption_details, consumption_filters, daily_line};
use super::super::model::{Collection, CollectionStatus, ConsumptionQuery, LineDetail, LineView};
use super::{counting_name, PaidBy};
use crate::cloud_accounts::pages::cloud_name;
use crate::i18n::*;
use crate::ui::{use_list_query, DataState, DateRange, FilterForm, ListTable, PagedList};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// Consumption details: every daily line of the account with quantity, unit price, amount
/// and what paid it; restatements beside what they correct; filters as a plain GET form;
/// paged; CSV of the filtered rows.
#[component]
pub fn ConsumptionPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_list_query::<ConsumptionQuery>();
    let page = Resource::new(
        move || query.get(),
        |q| consumption_details(q.from, q.to, q.workspace, q.item, q.before),
    );
    let choices = Resource::new(|| (), |_| consumption_filters());
    let workspace_options = move || {
        let current = query.get().workspace;
        let workspaces = match choices.get() {
            Some(Ok(choices)) => choices.workspaces,
            _ => Vec::new(),
        };
        workspaces
            .into_iter()
            .map(|(id, name)| {
                let selected = id.to_string() == current;
                view! { <option value=id.to_string() selected=selected>{name}</option> }
            })
            .collect_view()
    };
    let item_options = move || {
        let current = query.get().item;
        let locale = i18n.get_locale();
        let items = match choices.get() {
            Some(Ok(choices)) => choices.items,
            _ => Vec::new(),
        };
        items
            .into_iter()
            .map(|item| {
                let selected = item.code == current;
                view! { <option value=item.code.clone() selected=selected>{item.name.get(locale).to_string()}</option> }
            })
            .collect_view()
    };
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, consumption_title).to_string()) />
        <h1>{t!(i18n, consumption_title)}</h1>
        <p class="muted">{t!(i18n, consumption_intro)}" "<a href="/prices">{t!(i18n, prices_title)}</a></p>
        <FilterForm query>
            <DateRange from=move || query.get().from to=move || query.get().to />
            <div class="field">
                <label for="workspace">{t!(i18n, consumption_workspace)}</label>
                <select id="workspace" name="workspace">
                    <option value="">{t!(i18n, status_all)}</option>
                    <Transition>{workspace_options}</Transition>
                </select>
            </div>
            <div class="field">
                <label for="item">{t!(i18n, consumption_item)}</label>
                <select id="item" name="item">
                    <option value="">{t!(i18n, status_all)}</option>
                    <Transition>{item_options}</Transition>
                </select>
            </div>
        </FilterForm>
        <PagedList query resource=page rows=move |rows| view! { <LineTable rows /> } />
    }
}

#[component]
fn LineTable(rows: Vec<LineView>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ListTable id="daily-lines" items=rows empty=t!(i18n, consumption_empty) head=view! {
            <th scope="col">{t!(i18n, consumption_day)}</th>
            <th scope="col">{t!(i18n, consumption_workspace)}</th>
            <th scope="col">{t!(i18n, consumption_item)}</th>
            <th scope="col" class="amount">{t!(i18n, consumption_quantity)}</th>
            <th scope="col" class="amount">{t!(i18n, consumption_unit_price)}</th>
            <th scope="col" class="amount">{t!(i18n, recharge_amount)}</th>
            <th scope="col">{t!(i18n, consumption_paid_by)}</th>
        } row=move |line: LineView| view! { <LineRow line /> } />
    }
}

#[component]
fn LineRow(line: LineView) -> impl IntoView {
    let i18n = use_i18n();
    let (names, unit) = (line.item_name.clone(), line.unit.clone());
    let tier = (!line.tier.is_empty()).then(|| format!(" · {}", line.tier));
    let restated = line.revision > 0;
    let (previous, total, late) = (
        line.previous_amount.clone(),
        line.new_total.clone(),
        line.late_records,
    );
    view! {
        <tr data-line=line.id data-item=line.item_code.clone() class:restatement=restated>
            <td><a href=format!("/bills/consumption/{}", line.id)>{line.day.clone()}</a></td>
            <td class="wrap">{line.workspace_name.clone()}</td>
            <td class="wrap">
                {move || names.get(i18n.get_locale()).to_string()}{tier}
                {restated.then(|| view! {
                    <br /><span class="muted restated">
                        {move || t_string!(i18n, consumption_restatement, previous = previous.clone(), total = total.clone(), late = late.to_string()).to_string()}
                    </span>
                })}
            </td>
            <td class="amount">{line.quantity.clone()}<br /><span class="muted">{move || unit.get(i18n.get_locale()).to_string()}</span></td>
            <td class="amount">{line.unit_price.clone()}</td>
            <td class="amount">{line.amount.clone()}</td>
            <td class="wrap"><PaidBy parts=line.paid_by.clone() /></td>
        </tr>
    }
}

/// One daily line: its amount and what paid it, every revision of its day, and the hourly
/// values behind it with the counting rule that made them the day's quantity.
#[component]
pub fn DailyLinePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let detail = Resource::new(
        move || params.read().get("id").unwrap_or_default(),
        daily_line,
    );
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, consumption_line_title).to_string()) />
        <p><a href="/bills/consumption">{t!(i18n, consumption_title)}</a></p>
        <h1>{t!(i18n, consumption_line_title)}</h1>
        <DataState resource=detail let:detail>
            <LineFacts detail />
        </DataState>
    }
}

#[component]
fn LineFacts(detail: LineDetail) -> impl IntoView {
    let i18n = use_i18n();
    let LineDetail {
        line,
        counting,
        hours,
        revisions,
        collection,
    } = detail;
    let (names, unit) = (line.item_name.clone(), line.unit.clone());
    let tier = line.tier.clone();
    view! {
        <section class="card">
            <dl class="facts" id="line-facts">
                <dt>{t!(i18n, consumption_day)}</dt><dd>{line.day.clone()}</dd>
                <dt>{t!(i18n, consumption_workspace)}</dt><dd>{line.workspace_name.clone()}" · "<span class="muted">{line.workspace_uuid.clone()}</span></dd>
                <dt>{t!(i18n, consumption_item)}</dt><dd>{move || names.get(i18n.get_locale()).to_string()}{(!tier.is_empty()).then(|| format!(" · {tier}"))}</dd>
                <dt>{t!(i18n, consumption_counting)}</dt><dd id="counting-rule" data-counting=counting.code()>{move || counting_name(i18n.get_locale(), counting)}</dd>
                <dt>{t!(i18n, consumption_quantity)}</dt><dd>{line.quantity.clone()}" "{move || unit.get(i18n.get_locale()).to_string()}</dd>
                <dt>{t!(i18n, consumption_unit_price)}</dt><dd>{line.unit_price.clone()}</dd>
                <dt>{t!(i18n, recharge_amount)}</dt><dd id="line-amount">{line.amount.clone()}</dd>
                <dt>{t!(i18n, consumption_paid_by)}</dt><dd><PaidBy parts=line.paid_by.clone() /></dd>
            </dl>
        </section>
        {collection.map(|c| view! { <CollectionFacts collection=c /> })}
        <section class="card" aria-labelledby="line-revisions">
            <h2 id="line-revisions">{t!(i18n, consumption_revisions)}</h2>
            <ListTable id="revisions" items=revisions empty=t!(i18n, consumption_empty) head=view! {
                <th scope="col">{t!(i18n, consumption_revision)}</th>
                <th scope="col" class="amount">{t!(i18n, consumption_quantity)}</th>
                <th scope="col" class="amount">{t!(i18n, consumption_previous)}</th>
                <th scope="col" class="amount">{t!(i18n, recharge_amount)}</th>
                <th scope="col" class="amount">{t!(i18n, consumption_new_total)}</th>
                <th scope="col">{t!(i18n, consumption_why)}</th>
            } row=move |r: LineView| {
                let original = r.revision == 0;
                let late = r.late_records;
                view! {
                    <tr data-revision=r.revision>
                        <td><a href=format!("/bills/consumption/{}", r.id)>{r.revision}</a></td>
                        <td class="amount">{r.quantity}</td>
                        <td class="amount">{(!original).then(|| r.previous_amount.clone())}</td>
                        <td class="amount">{r.amount}</td>
                        <td class="amount">{r.new_total}</td>
                        <td class="wrap">{move || if original {
                            t_string!(i18n, consumption_original).to_string()
                        } else {
                            t_string!(i18n, consumption_late_records, late = late.to_string()).to_string()
                        }}</td>
                    </tr>
                }
            } />
        </section>
        <section class="card" aria-labelledby="line-hours">
            <h2 id="line-hours">{t!(i18n, consumption_hours)}</h2>
            <p class="muted">{move || counting_name(i18n.get_locale(), counting)}</p>
            <ListTable id="hours" items=hours empty=t!(i18n, consumption_empty) head=view! {
                <th scope="col">{t!(i18n, consumption_hour)}</th>
                <th scope="col" class="amount">{t!(i18n, consumption_quantity)}</th>
                <th scope="col" class="amount">{t!(i18n, consumption_records)}</th>
            } row=|h: super::super::model::HourValue| view! {
                <tr>
                    <td>{h.hour.text}</td>
                    <td class="amount">{h.quantity}</td>
                    <td class="amount">{h.records}</td>
                </tr>
            } />
        </section>
    }
}

/// What the cloud marketplace was asked to collect of a line, and what it said.
#[component]
fn CollectionFacts(collection: Collection) -> impl IntoView {
    let i18n = use_i18n();
    let Collection {
        cloud,
        amount,
        status,
        answer,
        accepted_at,
    } = collection;
    view! {
        <section class="card" aria-labelledby="line-collection">
            <h2 id="line-collection">{t!(i18n, consumption_collection)}</h2>
            <dl class="facts" id="collection" data-status=status.code()>
                <dt>{t!(i18n, consumption_collection_cloud)}</dt><dd>{move || cloud_name(i18n.get_locale(), cloud)}</dd>
                <dt>{t!(i18n, recharge_amount)}</dt><dd>{amount}</dd>
                <dt>{t!(i18n, consumption_collection_status)}</dt>
                <dd>{move || match status {
                    CollectionStatus::Pending => t_string!(i18n, collection_pending),
                    CollectionStatus::Accepted => t_string!(i18n, collection_accepted),
                    CollectionStatus::Refused => t_string!(i18n, collection_refused),
                }}{accepted_at.map(|at| format!(" · {}", at.text))}</dd>
                {(!answer.is_empty()).then(|| view! {
                    <dt>{t!(i18n, consumption_collection_answer)}</dt><dd class="wrap"><code>{answer}</code></dd>
                })}
            </dl>
        </section>
    }
}
