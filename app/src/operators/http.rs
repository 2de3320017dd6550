//! The plain routes of the operator console: a batch of activation codes, the account search.
use crate::accounts::session::CallerSession;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};

pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/operator/voucher-codes.csv", get(export_voucher_codes)),
        (
            "/operator/accounts.csv",
            crate::edge::exports::csv_list(
                "accounts.csv",
                &crate::operators::service::ACCOUNT_CSV_HEADER,
                crate::edge::exports::Need::User,
                account_page,
                crate::operators::service::account_csv_row,
            ),
        ),
    ]
}

/// A page of the account search for the CSV, for operators only.
async fn account_page(
    state: AppState,
    user: i64,
    search: crate::operators::model::AccountQuery,
) -> Result<crate::ui::Page<crate::operators::model::AccountMatch>, AppError> {
    let operator = crate::operators::service::operator(&state, user).await?;
    if search.before.is_none() {
        // Customers' addresses leave the system here: who took them is kept in the log.
        tracing::info!(operator = %operator.actor, q = %search.q, "account search exported");
    }
    crate::operators::service::find_accounts(&state.db, &search).await
}

/// `GET /operator/voucher-codes.csv?batch=N`: a batch's activation codes, for operators only.
async fn export_voucher_codes(
    State(state): State<AppState>,
    caller: CallerSession,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Result<Response, AppError> {
    let operator = crate::operators::service::operator(&state, caller.user_id).await?;
    let batch = query
        .get("batch")
        .and_then(|b| b.parse::<i64>().ok())
        .ok_or(AppError::NotFound)?;
    let csv = crate::operators::service::codes_csv(&state, &operator, batch).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"voucher-codes-{batch}.csv\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        csv,
    )
        .into_response())
}
