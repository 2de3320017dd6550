use super::recharge::BalancesCard;
use crate::funds::api::{
    list_prepaid_cards, list_vouchers, new_request_id, ActivateVoucher, BuyPrepaidCard,
};
use crate::funds::model::{
    CardQuery, InstrumentStatus, PrepaidCardView, VoucherKind, VoucherQuery, VoucherView,
};
use crate::i18n::*;
use crate::team::model::Permission;
use crate::team::pages::IfAllowed;
use crate::ui::{
    successes, use_list_query, Field, FilterForm, FormError, ListTable, PagedList, SelectFilter,
};
use leptos::prelude::*;
use leptos_meta::Title;

/// Vouchers: activate one with a code; denomination, balance, status, activation time and
/// expiry of each.
#[component]
pub fn VouchersPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<ActivateVoucher>::new();
    let result = Signal::derive(move || action.value().get());
    let activated = successes(result);
    let query = use_list_query::<VoucherQuery>();
    let vouchers = Resource::new(
        move || (activated.get(), query.get()),
        |(_, q)| list_vouchers(q.status, q.before),
    );
    let account = Resource::new(|| (), |_| crate::accounts::api::current_account());
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, vouchers_title).to_string()) />
        <h1>{t!(i18n, vouchers_title)}</h1>
        <IfAllowed account permission=Permission::Recharge>
        <section class="card" aria-labelledby="activate-voucher">
            <h2 id="activate-voucher">{t!(i18n, voucher_activate)}</h2>
            <ActionForm action attr:class="stack narrow">
                <Field
                    label=Signal::derive(move || t_string!(i18n, voucher_code).to_string())
                    name="code"
                    required=true
                    autocomplete="off"
                    hint=Signal::derive(move || t_string!(i18n, voucher_code_hint).to_string())
                    result
                />
                <FormError result fields=&["code"] />
                <button type="submit" class="button" disabled=move || action.pending().get()>{t!(i18n, voucher_activate)}</button>
            </ActionForm>
        </section>
        </IfAllowed>
        <FilterForm query>
            <StatusFilter current=Signal::derive(move || query.get().status) />
        </FilterForm>
        <PagedList query resource=vouchers rows=|vouchers| view! { <VoucherTable vouchers /> } />
    }
}

/// Vouchers as a table (or the empty state).
#[component]
pub fn VoucherTable(vouchers: Vec<VoucherView>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ListTable id="vouchers" items=vouchers empty=t!(i18n, vouchers_empty) head=view! {
            <th scope="col">{t!(i18n, filter_kind)}</th>
            <th scope="col" class="amount">{t!(i18n, denomination)}</th>
            <th scope="col" class="amount">{t!(i18n, remaining)}</th>
            <th scope="col">{t!(i18n, order_status)}</th>
            <th scope="col">{t!(i18n, activated_at)}</th>
            <th scope="col">{t!(i18n, expires_at)}</th>
        } row=move |v: VoucherView| {
                let (kind, status) = (v.kind, v.status);
                view! {
                    <tr>
                        <td>{move || if kind == VoucherKind::Discount { t_string!(i18n, voucher_discount) } else { t_string!(i18n, voucher_regular) }}</td>
                        <td class="amount">{v.denomination}</td>
                        <td class="amount">{v.balance}</td>
                        <td>{move || instrument_status(i18n.get_locale(), status)}</td>
                        <td>{v.activated_at.text}</td>
                        <td>{v.expires_at.text}</td>
                    </tr>
                }
            } />
    }
}

/// A fresh request id for a form, anew whenever `renew` changes (after each submission). The
/// page makes it at its top, so the form may sit in a suspended view.
pub fn request_id(renew: Signal<usize>) -> Resource<Result<String, crate::error::AppError>> {
    Resource::new(move || renew.get(), |_| new_request_id())
}

/// The hidden `request_id` of a form that must act once however often it is posted.
#[component]
pub fn RequestId(request_id: Resource<Result<String, crate::error::AppError>>) -> impl IntoView {
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let id = request_id.await.unwrap_or_default();
                view! { <input type="hidden" name="request_id" value=id /> }
            })}
        </Suspense>
    }
}

/// Prepaid cards: buy one with cash, and the list of cards.
#[component]
pub fn PrepaidCardsPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<BuyPrepaidCard>::new();
    let result = Signal::derive(move || action.value().get());
    let query = use_list_query::<CardQuery>();
    let cards = Resource::new(
        move || (action.version().get(), query.get()),
        |(_, q)| list_prepaid_cards(q.status, q.before),
    );
    let key = request_id(Signal::derive(move || action.version().get()));
    let account = Resource::new(|| (), |_| crate::accounts::api::current_account());
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, cards_title).to_string()) />
        <h1>{t!(i18n, cards_title)}</h1>
        <BalancesCard reload=Signal::derive(move || action.version().get()) />
        <IfAllowed account permission=Permission::Recharge>
        <section class="card" aria-labelledby="buy-card">
            <h2 id="buy-card">{t!(i18n, buy_card)}</h2>
            <ActionForm action attr:class="stack narrow">
                <RequestId request_id=key />
                <Field
                    label=Signal::derive(move || t_string!(i18n, recharge_amount).to_string())
                    name="amount"
                    required=true
                    hint=Signal::derive(move || t_string!(i18n, card_hint).to_string())
                    result
                />
                <FormError result fields=&["amount"] />
                <button type="submit" class="button" disabled=move || action.pending().get()>{t!(i18n, buy_card)}</button>
            </ActionForm>
        </section>
        </IfAllowed>
        <FilterForm query>
            <StatusFilter current=Signal::derive(move || query.get().status) />
        </FilterForm>
        <PagedList query resource=cards rows=|cards| view! { <CardTable cards /> } />
    }
}

/// Prepaid cards as a table (or the empty state).
#[component]
pub fn CardTable(cards: Vec<PrepaidCardView>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ListTable id="prepaid-cards" items=cards empty=t!(i18n, cards_empty) head=view! {
            <th scope="col">{t!(i18n, card_no)}</th>
            <th scope="col" class="amount">{t!(i18n, denomination)}</th>
            <th scope="col" class="amount">{t!(i18n, remaining)}</th>
            <th scope="col">{t!(i18n, order_status)}</th>
            <th scope="col">{t!(i18n, purchased_at)}</th>
            <th scope="col">{t!(i18n, expires_at)}</th>
        } row=move |c: PrepaidCardView| {
                let status = c.status;
                view! {
                    <tr>
                        <td>{c.card_no}</td>
                        <td class="amount">{c.denomination}</td>
                        <td class="amount">{c.balance}</td>
                        <td>{move || instrument_status(i18n.get_locale(), status)}</td>
                        <td>{c.purchased_at.text}</td>
                        <td>{c.expires_at.text}</td>
                    </tr>
                }
            } />
    }
}

/// The status filter of the vouchers and cards lists.
#[component]
fn StatusFilter(current: Signal<String>) -> impl IntoView {
    let i18n = use_i18n();
    let options = move || {
        let locale = i18n.get_locale();
        std::iter::once(("", td_string!(locale, status_all).to_string()))
            .chain(
                InstrumentStatus::ALL
                    .into_iter()
                    .map(|status| (status.code(), instrument_status(locale, status).to_string())),
            )
            .collect::<Vec<_>>()
    };
    view! {
        <SelectFilter
            name="status"
            label=move || t_string!(i18n, filter_status).to_string()
            options
            current
        />
    }
}

fn instrument_status(locale: Locale, status: InstrumentStatus) -> &'static str {
    match status {
        InstrumentStatus::UsedUp => td_string!(locale, status_used_up),
        InstrumentStatus::Expired => td_string!(locale, status_expired),
        InstrumentStatus::Active => td_string!(locale, status_active),
    }
}
