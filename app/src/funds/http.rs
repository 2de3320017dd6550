//! The plain routes of funds: the payment provider's callback and the CSV exports of its lists.
use super::model::{
    CardQuery, MovementPage, MovementQuery, OrderQuery, PrepaidCardView, RechargeOrder,
    VoucherQuery, VoucherView,
};
use super::{instruments, movements, recharge};
use crate::edge::exports::{csv_list, Need};
use crate::error::AppError;
use crate::state::AppState;
use crate::team::model::Permission;
use crate::ui::Page;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use axum::Json;

pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/payments/callback/{provider}", post(payment_callback)),
        (
            "/export/income-expenditure.csv",
            csv_list(
                "income-expenditure.csv",
                &movements::CSV_HEADER,
                Need::Account(Permission::Read),
                movement_page,
                movements::csv_row,
            ),
        ),
        (
            "/export/vouchers.csv",
            csv_list(
                "vouchers.csv",
                &instruments::VOUCHER_CSV_HEADER,
                Need::Account(Permission::Read),
                voucher_page,
                instruments::voucher_csv_row,
            ),
        ),
        (
            "/export/prepaid-cards.csv",
            csv_list(
                "prepaid-cards.csv",
                &instruments::CARD_CSV_HEADER,
                Need::Account(Permission::Read),
                card_page,
                instruments::card_csv_row,
            ),
        ),
        (
            "/export/recharge-orders.csv",
            csv_list(
                "recharge-orders.csv",
                &recharge::ORDER_CSV_HEADER,
                Need::Account(Permission::Read),
                order_page,
                recharge::order_csv_row,
            ),
        ),
    ]
}

/// `POST /payments/callback/{provider}`: a payment provider reports an order's outcome.
async fn payment_callback(
    State(state): State<AppState>,
    axum::extract::Path(provider): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    use crate::funds::payment::{handle_callback, SIGNATURE_HEADER, TIMESTAMP_HEADER};
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    match handle_callback(
        &state,
        &provider,
        &text(TIMESTAMP_HEADER),
        &text(SIGNATURE_HEADER),
        &body,
    )
    .await
    {
        Ok(settled) => (
            StatusCode::OK,
            Json(serde_json::json!({"result": format!("{settled:?}")})),
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, %provider, "payment callback refused");
            let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (
                status,
                Json(serde_json::json!({"error": error.to_string()})),
            )
                .into_response()
        }
    }
}

/// A page of Income & expenditure for the export, its days read in the reader's zone.
async fn movement_page(
    state: AppState,
    account: i64,
    query: MovementQuery,
) -> Result<MovementPage, AppError> {
    let zone = &state.config.time_zone;
    let filter = super::api::movement_filter(zone, &query.from, &query.to, &query.kind)?;
    Ok(movements::page(&state.db, zone, account, &filter, query.before, 1000).await?)
}

async fn voucher_page(
    state: AppState,
    account: i64,
    query: VoucherQuery,
) -> Result<Page<VoucherView>, AppError> {
    instruments::vouchers(&state, account, &query).await
}

async fn card_page(
    state: AppState,
    account: i64,
    query: CardQuery,
) -> Result<Page<PrepaidCardView>, AppError> {
    instruments::prepaid_cards(&state, account, &query).await
}

async fn order_page(
    state: AppState,
    account: i64,
    query: OrderQuery,
) -> Result<Page<RechargeOrder>, AppError> {
    recharge::orders(&state, account, &query).await
}
