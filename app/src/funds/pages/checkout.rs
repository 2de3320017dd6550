use super::recharge::status_label;
use crate::funds::api::{load_recharge_order, SandboxSettle};
use crate::funds::model::RechargeOrder;
use crate::i18n::*;
use crate::ui::DataState;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The sandbox payment provider's checkout page (development and demos): pay or fail the order.
#[component]
pub fn SandboxCheckoutPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let order_no = move || query.read().get("order").unwrap_or_default();
    let order = Resource::new(order_no, load_recharge_order);
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, checkout_title).to_string()) />
        <section class="auth card">
            <h1>{t!(i18n, checkout_title)}</h1>
            <p class="muted">{t!(i18n, checkout_intro)}</p>
            <DataState resource=order let:order>
                <Checkout order />
            </DataState>
        </section>
    }
}

#[component]
fn Checkout(order: RechargeOrder) -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SandboxSettle>::new();
    let pending = order.status == crate::funds::model::OrderStatus::Pending;
    let status = order.status;
    let number = order.order_no.clone();
    let button = move |outcome: &'static str, class: &'static str| {
        let order_no = number.clone();
        view! {
            <ActionForm action attr:class="inline-form">
                <input type="hidden" name="order_no" value=order_no />
                <input type="hidden" name="outcome" value=outcome />
                <button type="submit" class=class disabled=move || action.pending().get()>
                    {move || if outcome == "paid" { t_string!(i18n, checkout_pay) } else { t_string!(i18n, checkout_fail) }}
                </button>
            </ActionForm>
        }
    };
    view! {
        <dl class="facts">
            <dt>{t!(i18n, order_no)}</dt>
            <dd>{order.order_no.clone()}</dd>
            <dt>{t!(i18n, recharge_amount)}</dt>
            <dd class="amount-large" id="checkout-amount">{order.amount.clone()}</dd>
            <dt>{t!(i18n, order_status)}</dt>
            <dd>{move || status_label(i18n.get_locale(), status)}</dd>
        </dl>
        {pending.then(|| view! {
            <div class="form-links">
                {button("paid", "button")}
                {button("failed", "button secondary")}
            </div>
        })}
        <p><a href="/recharge">{t!(i18n, back_to_recharge)}</a></p>
    }
}
