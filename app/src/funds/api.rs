//! Server functions of funds: balances and cash recharge.
use super::model::{Balances, PrepaidCardView, RechargeOrder, VoucherView};
#[cfg(feature = "ssr")]
use super::model::{CardQuery, OrderQuery, VoucherQuery};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::team::model::Permission;
use crate::ui::Page;
use leptos::prelude::*;

/// The caller's cash balance and arrears.
#[server(endpoint = "funds/balances")]
pub async fn load_balances() -> Result<Balances, AppError> {
    let account = crate::accounts::session::require(Permission::Read)
        .await?
        .account_id;
    let state = crate::state::app_state()?;
    super::recharge::balances(&state, account).await
}

/// Opens an online recharge order and goes to the provider's checkout.
#[server(endpoint = "funds/recharge")]
pub async fn create_recharge(amount: String) -> Result<(), AppError> {
    let caller = crate::accounts::session::require(Permission::Recharge).await?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    let order_no = super::recharge::create_order(&state, &caller.audit(&client), &amount).await?;
    leptos_axum::redirect(&format!("/recharge/checkout?order={order_no}"));
    Ok(())
}

/// A page of the caller's recharge orders, newest first, with `status` ("" for all) older
/// than the row `before`.
#[server(endpoint = "funds/recharge/orders")]
pub async fn recharge_orders(
    #[server(default)] status: String,
    #[server(default)] before: Option<i64>,
) -> Result<Page<RechargeOrder>, AppError> {
    let account = crate::accounts::session::require(Permission::Read)
        .await?
        .account_id;
    let state = crate::state::app_state()?;
    super::recharge::orders(&state, account, &OrderQuery { status, before }).await
}

/// One of the caller's recharge orders.
#[server(endpoint = "funds/recharge/order")]
pub async fn load_recharge_order(order_no: String) -> Result<RechargeOrder, AppError> {
    let account = crate::accounts::session::require(Permission::Read)
        .await?
        .account_id;
    let state = crate::state::app_state()?;
    super::recharge::order(&state, account, &order_no).await
}

/// The sandbox checkout's buttons: `outcome` "paid" or "failed".
#[server(endpoint = "funds/sandbox/settle")]
pub async fn sandbox_settle(order_no: String, outcome: String) -> Result<(), AppError> {
    let account = crate::accounts::session::require(Permission::Recharge)
        .await?
        .account_id;
    let state = crate::state::app_state()?;
    super::recharge::sandbox_settle(&state, account, &order_no, outcome == "paid").await?;
    leptos_axum::redirect(&format!("/recharge?order={order_no}"));
    Ok(())
}

/// Reads the Income & expenditure filters from the query string: dates "YYYY-MM-DD" (the range
/// includes both days) and a journal kind.
#[cfg(feature = "ssr")]
pub fn movement_filter(
    zone: &crate::time::Zone,
    from: &str,
    to: &str,
    kind: &str,
) -> Result<super::movements::MovementFilter, AppError> {
    let (from, to) = zone.day_range(from, to)?;
    if !super::model::MOVEMENT_KINDS.contains(&kind) {
        return Err(AppError::field("kind", crate::messages::Msg::ChooseType));
    }
    Ok(super::movements::MovementFilter {
        from,
        to,
        kind: kind.to_string(),
    })
}

/// A page of the caller's income and expenditure, newest first, older than `before`.
#[server(endpoint = "funds/movements")]
pub async fn income_expenditure(
    from: String,
    to: String,
    kind: String,
    before: Option<i64>,
) -> Result<super::model::MovementPage, AppError> {
    let account = crate::accounts::session::require(Permission::Read)
        .await?
        .account_id;
    let state = crate::state::app_state()?;
    let filter = movement_filter(&state.config.time_zone, &from, &to, &kind)?;
    Ok(super::movements::page(
        &state.db,
        &state.config.time_zone,
        account,
        &filter,
        before,
        super::model::MOVEMENTS_PER_PAGE,
    )
    .await?)
}

/// The caller's five latest movements (Overview).
#[server(endpoint = "funds/movements/recent")]
pub async fn recent_movements() -> Result<Vec<super::model::Movement>, AppError> {
    let account = crate::accounts::session::require(Permission::Read)
        .await?
        .account_id;
    let state = crate::state::app_state()?;
    let filter = super::movements::MovementFilter::default();
    Ok(super::movements::page(
        &state.db,
        &state.config.time_zone,
        account,
        &filter,
        None,
        5,
    )
    .await?
    .rows)
}

/// A page of the caller's vouchers, newest first, with `status` ("" for all) older than the
/// row `before`.
#[server(endpoint = "funds/vouchers")]
pub async fn list_vouchers(
    #[server(default)] status: String,
    #[server(default)] before: Option<i64>,
) -> Result<Page<VoucherView>, AppError> {
    let account = crate::accounts::session::require(Permission::Read)
        .await?
        .account_id;
    let state = crate::state::app_state()?;
    super::instruments::vouchers(&state, account, &VoucherQuery { status, before }).await
}

/// Activates a voucher code for the caller.
#[server(endpoint = "funds/vouchers/activate")]
pub async fn activate_voucher(code: String) -> Result<(), AppError> {
    let caller = crate::accounts::session::require(Permission::Recharge).await?;
    let state = crate::state::app_state()?;
    let currency = super::recharge::account_currency(&state, caller.account_id).await?;
    let client = crate::accounts::session::client();
    super::codes::activate(&state.db, &caller.audit(&client), currency, &code).await?;
    leptos_axum::redirect("/vouchers?activated=1");
    Ok(())
}

/// A page of the caller's prepaid cards, newest first, with `status` ("" for all) older
/// than the row `before`.
#[server(endpoint = "funds/cards")]
pub async fn list_prepaid_cards(
    #[server(default)] status: String,
    #[server(default)] before: Option<i64>,
) -> Result<Page<PrepaidCardView>, AppError> {
    let account = crate::accounts::session::require(Permission::Read)
        .await?
        .account_id;
    let state = crate::state::app_state()?;
    super::instruments::prepaid_cards(&state, account, &CardQuery { status, before }).await
}

/// Buys a prepaid card with cash. `request_id` comes with the form, so a form posted twice
/// buys once.
#[server(endpoint = "funds/cards/buy")]
pub async fn buy_prepaid_card(amount: String, request_id: String) -> Result<(), AppError> {
    let caller = crate::accounts::session::require(Permission::Recharge).await?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    super::instruments::buy_card(&state, &caller.audit(&client), &amount, &request_id).await?;
    leptos_axum::redirect("/prepaid-cards?bought=1");
    Ok(())
}

/// A fresh id for a form that must act once however often it is posted.
#[server(endpoint = "funds/request-id")]
pub async fn new_request_id() -> Result<String, AppError> {
    Ok(crate::server::secrets::random_hex(12))
}

/// How the caller can recharge: online (through the sandbox only when it is switched on) and
/// the bank details for offline transfers (an operator credits them when received).
#[server(endpoint = "funds/recharge/options")]
pub async fn recharge_options() -> Result<super::model::RechargeOptions, AppError> {
    crate::accounts::session::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    let bank = &state.config.bank_transfer;
    Ok(super::model::RechargeOptions {
        online: super::recharge::online_provider(&state).is_some(),
        sandbox: state.config.payment_sandbox,
        bank: super::model::BankDetails {
            account_name: bank.account_name.clone(),
            bank_name: bank.bank_name.clone(),
            account_number: bank.account_number.clone(),
        },
    })
}
