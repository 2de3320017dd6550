//! The plain routes of funds: the payment provider's callback and the Income & expenditure CSV.
use crate::accounts::caller::Caller;
use crate::error::AppError;
use crate::server::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
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
    use crate::ledger::payment::{handle_callback, SIGNATURE_HEADER, TIMESTAMP_HEADER};
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
/// CSV, streamed page by page (never built whole in memory).
async fn export_movements(
    State(state): State<AppState>,
    caller: Result<Caller, AppError>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    use crate::ledger::movements::{csv_line, csv_row, page, CSV_HEADER};
    let account = match caller {
        Ok(caller) => caller.account_id,
        Err(error) => return error.into_response(),
    };
    let param = |name: &str| query.get(name).cloned().unwrap_or_default();
    let filter =
        match crate::ledger::api::movement_filter(&param("from"), &param("to"), &param("kind")) {
            Ok(filter) => filter,
            Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
        };
    // A byte-order mark first, so spreadsheet programs read the UTF-8 (Chinese, ¥) right.
    let head = format!("{}{}", crate::server::csv::BOM, csv_line(&CSV_HEADER));
    let rows = futures::stream::unfold(Some(None), move |cursor: Option<Option<i64>>| {
        let state = state.clone();
        let filter = filter.clone();
        async move {
            let before = cursor?;
            match page(&state.db, account, &filter, before, 1000).await {
                Ok(found) => {
                    let chunk: String = found.rows.iter().map(csv_row).collect();
                    Some((Ok::<_, std::io::Error>(chunk), found.next.map(Some)))
                }
                Err(error) => {
                    tracing::error!(%error, "export stopped");
                    Some((Err(std::io::Error::other("export failed")), None))
                }
            }
        }
    });
    // Fused: the body is polled once more after its end, which a bare `unfold` does not allow.
    let body = futures::StreamExt::fuse(futures::StreamExt::chain(
        futures::stream::once(async move { Ok(head) }),
        rows,
    ));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"income-expenditure.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        axum::body::Body::from_stream(body),
    )
        .into_response()
}
