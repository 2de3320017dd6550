//! The plain routes of funds: the payment provider's callback and the Income & expenditure CSV.
use crate::accounts::caller::Caller;
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Json;

pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/payments/callback/{provider}", post(payment_callback)),
        ("/export/income-expenditure.csv", get(export_movements)),
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

/// `GET /export/income-expenditure.csv?from&to&kind`: the signed-in account's movements as
/// CSV, streamed page by page.
async fn export_movements(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    axum::extract::Query(query): axum::extract::Query<crate::funds::model::MovementQuery>,
) -> Response {
    use crate::funds::movements::{csv_row, page, CSV_HEADER};
    let account = match caller {
        Ok(caller) => caller.account_id,
        Err(error) => return error.into_response(),
    };
    let filter = match crate::funds::api::movement_filter(
        &state.config.time_zone,
        &query.from,
        &query.to,
        &query.kind,
    ) {
        Ok(filter) => filter,
        Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
    };
    crate::server::csv::export("income-expenditure.csv", &CSV_HEADER, move |before| {
        let (state, filter) = (state.clone(), filter.clone());
        async move {
            let zone = crate::time::Zone::utc();
            let found = page(&state.db, &zone, account, &filter, before, 1000).await?;
            Ok((found.rows.iter().map(csv_row).collect(), found.next))
        }
    })
}
