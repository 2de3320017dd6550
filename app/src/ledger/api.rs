//! Server functions of funds: balances and cash recharge.
use super::model::{Balances, RechargeOrder};
use crate::error::AppError;
use leptos::prelude::*;

/// The caller's cash balance and arrears.
#[server(endpoint = "funds/balances")]
pub async fn load_balances() -> Result<Balances, AppError> {
    let account = crate::server::session::require_account().await?;
    let state = crate::server::state::app_state()?;
    super::recharge::balances(&state, account).await
}

/// Opens an online recharge order and goes to the provider's checkout.
#[server(endpoint = "funds/recharge")]
pub async fn create_recharge(amount: String) -> Result<(), AppError> {
    let account = crate::server::session::require_account().await?;
    let state = crate::server::state::app_state()?;
    let order_no = super::recharge::create_order(&state, account, &amount).await?;
    leptos_axum::redirect(&format!("/recharge/checkout?order={order_no}"));
    Ok(())
}

/// The caller's latest recharge orders.
#[server(endpoint = "funds/recharge/orders")]
pub async fn recharge_orders() -> Result<Vec<RechargeOrder>, AppError> {
    let account = crate::server::session::require_account().await?;
    let state = crate::server::state::app_state()?;
    super::recharge::orders(&state, account).await
}

/// One of the caller's recharge orders.
#[server(endpoint = "funds/recharge/order")]
pub async fn load_recharge_order(order_no: String) -> Result<RechargeOrder, AppError> {
    let account = crate::server::session::require_account().await?;
    let state = crate::server::state::app_state()?;
    super::recharge::order(&state, account, &order_no).await
}

/// The sandbox checkout's buttons: `outcome` "paid" or "failed".
#[server(endpoint = "funds/sandbox/settle")]
pub async fn sandbox_settle(order_no: String, outcome: String) -> Result<(), AppError> {
    let account = crate::server::session::require_account().await?;
    let state = crate::server::state::app_state()?;
    super::recharge::sandbox_settle(&state, account, &order_no, outcome == "paid").await?;
    leptos_axum::redirect(&format!("/recharge?order={order_no}"));
    Ok(())
}
