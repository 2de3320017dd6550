//! Server functions of the operator console. Each starts at `require_operator`: a customer who
//! is not an operator is refused, whatever id they send.
#[cfg(feature = "ssr")]
use super::model::AccountQuery;
use super::model::{AccountMatch, OperatorAccountView};
use crate::error::AppError;
use crate::funds::model::CodeBatchView;
use crate::ui::Page;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
async fn require_operator() -> Result<(crate::state::AppState, super::service::Operator), AppError>
{
    let user = crate::accounts::session::require_session().await?.user_id;
    let state = crate::state::app_state()?;
    let operator = super::service::operator(&state, user).await?;
    Ok((state, operator))
}

/// A page of the accounts matching `q` (id, email, phone or company name), older than the
/// account `before`.
#[server(endpoint = "operator/accounts")]
pub async fn find_accounts(
    #[server(default)] q: String,
    #[server(default)] before: Option<i64>,
) -> Result<Page<AccountMatch>, AppError> {
    let (state, _) = require_operator().await?;
    super::service::find_accounts(&state.db, &AccountQuery { q, before }).await
}

/// One customer's account with balances, vouchers, cards and latest movements.
#[server(endpoint = "operator/account")]
pub async fn operator_account(id: i64) -> Result<OperatorAccountView, AppError> {
    let (state, _) = require_operator().await?;
    super::service::account_view(&state, id).await
}

/// Credits a received bank transfer.
#[server(endpoint = "operator/transfer")]
pub async fn record_transfer(
    account_id: i64,
    amount: String,
    bank_reference: String,
    received_on: String,
) -> Result<(), AppError> {
    let (state, operator) = require_operator().await?;
    let transfer = super::service::Transfer {
        amount: &amount,
        bank_reference: &bank_reference,
        received_on: &received_on,
    };
    super::service::record_transfer(&state, &operator, account_id, &transfer).await?;
    back_to_account(account_id);
    Ok(())
}

/// After a successful form, back to the account's page without an earlier error in the address
/// (a plain form post comes back to where it was posted from).
#[cfg(feature = "ssr")]
fn back_to_account(account_id: i64) {
    leptos_axum::redirect(&format!("/operator/accounts/{account_id}"));
}

/// Gives a voucher. `request_id` comes with the form, so posting it twice gives once.
#[server(endpoint = "operator/voucher")]
pub async fn give_voucher(
    account_id: i64,
    kind: String,
    amount: String,
    validity_days: String,
    scope: String,
    request_id: String,
) -> Result<(), AppError> {
    let (state, operator) = require_operator().await?;
    let grant = super::service::VoucherGrant {
        kind: &kind,
        amount: &amount,
        validity_days: &validity_days,
        scope: &scope,
        request_id: &request_id,
    };
    super::service::give_voucher(&state, &operator, account_id, &grant).await?;
    back_to_account(account_id);
    Ok(())
}

/// Gives a prepaid card.
#[server(endpoint = "operator/card")]
pub async fn give_card(
    account_id: i64,
    amount: String,
    validity_days: String,
    request_id: String,
) -> Result<(), AppError> {
    let (state, operator) = require_operator().await?;
    super::service::give_card(
        &state,
        &operator,
        account_id,
        &amount,
        &validity_days,
        &request_id,
    )
    .await?;
    back_to_account(account_id);
    Ok(())
}

/// Makes a batch of voucher activation codes; its codes are then downloaded as CSV.
#[server(endpoint = "operator/codes")]
// A plain HTML form posts its fields by name, so each field is an argument; the service below
// takes them as one struct.
#[allow(clippy::too_many_arguments)]
pub async fn make_codes(
    currency: String,
    amount: String,
    quantity: String,
    validity_days: String,
    codes_expire_on: String,
    scope: String,
    note: String,
) -> Result<(), AppError> {
    let (state, operator) = require_operator().await?;
    let form = super::service::CodeBatchForm {
        currency: &currency,
        amount: &amount,
        quantity: &quantity,
        validity_days: &validity_days,
        codes_expire_on: &codes_expire_on,
        scope: &scope,
        note: &note,
    };
    let batch = super::service::make_codes(&state, &operator, &form).await?;
    leptos_axum::redirect(&format!("/operator/voucher-codes?batch={batch}"));
    Ok(())
}

/// The latest batches of activation codes.
#[server(endpoint = "operator/code-batches")]
pub async fn code_batches() -> Result<Vec<CodeBatchView>, AppError> {
    let (state, _) = require_operator().await?;
    crate::funds::codes::batches(&state.db, &state.config.time_zone).await
}

/// Locks (`lock` = "yes") or unlocks a workspace of the account by hand, with a reason.
#[server(endpoint = "operator/workspace-lock")]
pub async fn set_workspace_lock(
    account_id: i64,
    workspace: i64,
    #[server(default)] lock: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let (state, operator) = require_operator().await?;
    super::service::set_workspace_lock(
        &state,
        &operator,
        account_id,
        workspace,
        lock == "yes",
        &reason,
    )
    .await?;
    back_to_account(account_id);
    Ok(())
}

/// Lets the account settle through any cloud's account (`on` = "yes"), or only through its
/// sites' clouds.
#[server(endpoint = "operator/any-cloud")]
pub async fn set_any_cloud(account_id: i64, #[server(default)] on: String) -> Result<(), AppError> {
    let (state, operator) = require_operator().await?;
    super::service::set_any_cloud(&state, &operator, account_id, on == "yes").await?;
    back_to_account(account_id);
    Ok(())
}
