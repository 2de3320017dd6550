use crate::funds::api::{load_balances, recharge_options, recharge_orders, CreateRecharge};
use crate::funds::model::{Balances, BankDetails, OrderQuery, OrderStatus, RechargeOrder};
use crate::i18n::*;
use crate::team::model::Permission;
use crate::team::pages::IfAllowed;
use crate::ui::{
    use_list_query, DataState, Field, FilterForm, FormError, ListTable, PagedList, SelectFilter,
};
use leptos::prelude::*;
use leptos_meta::Title;

/// Recharge: the balances, a form for an online recharge, and the order history.
#[component]
pub fn RechargePage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<CreateRecharge>::new();
    let result = Signal::derive(move || action.value().get());
    let query = use_list_query::<OrderQuery>();
    let orders = Resource::new(move || query.get(), |q| recharge_orders(q.status, q.before));
    let options = Resource::new(|| (), |_| recharge_options());
    let account = Resource::new(|| (), |_| crate::accounts::api::current_account());
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, recharge_title).to_string()) />
        <h1>{t!(i18n, recharge_title)}</h1>
        <BalancesCard />
        <IfAllowed account permission=Permission::Recharge>
        <section class="card" aria-labelledby="recharge-online">
            <h2 id="recharge-online">{t!(i18n, recharge_online)}</h2>
            <Suspense>
                {move || Suspend::new(async move {
                    let options = options.await.ok()?;
                    if !options.online {
                        return Some(view! { <p class="notice" id="recharge-unavailable">{t!(i18n, recharge_unavailable)}</p> }.into_any());
                    }
                    Some(view! {
                        {options.sandbox.then(|| view! { <p class="notice" id="recharge-sandbox">{t!(i18n, recharge_sandbox)}</p> })}
                        <OnlineRecharge action result />
                    }.into_any())
                })}
            </Suspense>
        </section>
        </IfAllowed>
        <Suspense>
            {move || Suspend::new(async move {
                options.await.ok().map(|o| o.bank).filter(|b| !b.account_number.is_empty()).map(|bank| view! { <BankTransfer bank /> })
            })}
        </Suspense>
        <section class="card" aria-labelledby="recharge-orders">
            <h2 id="recharge-orders">{t!(i18n, recharge_orders)}</h2>
            <FilterForm query>
                <SelectFilter
                    name="status"
                    label=move || t_string!(i18n, filter_status).to_string()
                    options=move || {
                        let locale = i18n.get_locale();
                        std::iter::once(("", td_string!(locale, status_all).to_string()))
                            .chain(OrderStatus::ALL.into_iter().map(|status| {
                                (status.code(), status_label(locale, status).to_string())
                            }))
                            .collect::<Vec<_>>()
                    }
                    current=Signal::derive(move || query.get().status)
                />
            </FilterForm>
            <PagedList query resource=orders rows=|orders| view! { <OrdersTable orders /> } />
        </section>
    }
}

/// The online recharge form: an amount, then the provider's checkout.
#[component]
fn OnlineRecharge(
    action: ServerAction<CreateRecharge>,
    result: crate::ui::FormResult,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ActionForm action attr:class="stack narrow">
            <Field
                label=Signal::derive(move || t_string!(i18n, recharge_amount).to_string())
                name="amount"
                kind="text"
                required=true
                hint=Signal::derive(move || t_string!(i18n, recharge_amount_hint).to_string())
                result
            />
            <FormError result fields=&["amount"] />
            <button type="submit" class="button" disabled=move || action.pending().get()>{t!(i18n, recharge_submit)}</button>
        </ActionForm>
    }
}

/// Offline recharge: the configured bank account to transfer to.
#[component]
fn BankTransfer(bank: BankDetails) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card" aria-labelledby="recharge-bank">
            <h2 id="recharge-bank">{t!(i18n, recharge_bank)}</h2>
            <p class="muted">{t!(i18n, recharge_bank_intro)}</p>
            <dl class="facts" id="bank-details">
                <dt>{t!(i18n, bank_account_name)}</dt>
                <dd>{bank.account_name}</dd>
                <dt>{t!(i18n, bank_name)}</dt>
                <dd>{bank.bank_name}</dd>
                <dt>{t!(i18n, bank_account_number)}</dt>
                <dd>{bank.account_number}</dd>
            </dl>
        </section>
    }
}

/// Cash balance and arrears of the signed-in account; loaded again whenever `reload` changes
/// (the version of an action on the same page that moves money).
#[component]
pub fn BalancesCard(#[prop(optional, into)] reload: Option<Signal<usize>>) -> impl IntoView {
    let balances = Resource::new(move || reload.map(|r| r.get()), |_| load_balances());
    view! {
        <DataState resource=balances let:balances>
            <BalanceFacts balances />
        </DataState>
    }
}

/// Cash, vouchers, prepaid cards and arrears; with the Recharge button on the customer's own.
#[component]
pub fn BalanceFacts(
    balances: Balances,
    #[prop(default = true)] recharge_link: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card balances">
            <div class="balance">
                <p class="muted">{t!(i18n, cash_balance)}</p>
                <p class="amount-large" id="cash-balance">{balances.cash}</p>
            </div>
            <div class="balance">
                <p class="muted">{t!(i18n, vouchers_title)}</p>
                <p class="amount-large" id="voucher-balance">{balances.vouchers}</p>
            </div>
            <div class="balance">
                <p class="muted">{t!(i18n, cards_title)}</p>
                <p class="amount-large" id="card-balance">{balances.prepaid_cards}</p>
            </div>
            <div class="balance">
                <p class="muted">{t!(i18n, arrears)}</p>
                <p class="amount-large" id="arrears">{balances.arrears}</p>
            </div>
            {recharge_link.then(|| view! { <a class="button" href="/recharge">{t!(i18n, recharge_title)}</a> })}
        </section>
    }
}

#[component]
fn OrdersTable(orders: Vec<RechargeOrder>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ListTable id="recharge-orders-table" items=orders empty=t!(i18n, recharge_orders_empty) head=view! {
            <th scope="col">{t!(i18n, order_no)}</th>
            <th scope="col">{t!(i18n, log_time)}</th>
            <th scope="col" class="amount">{t!(i18n, recharge_amount)}</th>
            <th scope="col">{t!(i18n, order_status)}</th>
        } row=move |order: RechargeOrder| {
                let status = order.status;
                let number = order.order_no.clone();
                view! {
                    <tr data-order=number>
                        <td>{order.order_no}</td>
                        <td>{order.created_at.text}</td>
                        <td class="amount">{order.amount}</td>
                        <td class=format!("status status-{}", status.code())>{move || status_label(i18n.get_locale(), status)}</td>
                    </tr>
                }
            } />
    }
}

pub(super) fn status_label(locale: Locale, status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Paid => td_string!(locale, status_paid),
        OrderStatus::Failed => td_string!(locale, status_failed),
        OrderStatus::Expired => td_string!(locale, status_expired),
        OrderStatus::Pending => td_string!(locale, status_pending),
    }
}
