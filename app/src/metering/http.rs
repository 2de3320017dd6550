//! The plain routes of metering: the usage ingestion API and consumption details' CSV.
use super::details;
use super::ingestion::{self, IngestError};
use super::model::{ConsumptionQuery, LineView};
use crate::edge::exports::{csv_list, Need};
use crate::error::AppError;
use crate::state::AppState;
use crate::team::model::Permission;
use crate::ui::Page;
use crate::workspaces::site_api::{Signed, SiteApiError};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use axum::Json;

pub const USAGE_PATH: &str = "/api/v1/usage";

pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        (
            USAGE_PATH,
            // The handler reads at most its own limit and answers 413 above it.
            post(usage).layer(DefaultBodyLimit::max(ingestion::MAX_BODY + 1)),
        ),
        (
            "/export/consumption.csv",
            csv_list(
                "consumption-details.csv",
                &details::CSV_HEADER,
                Need::Account(Permission::Read),
                lines_page,
                details::csv_row,
            ),
        ),
    ]
}

/// `POST /api/v1/usage`: a site's signed batch of usage records.
async fn usage(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        return refused(&IngestError::TooLarge);
    };
    let signed = Signed::from_headers(&headers);
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    match ingestion::ingest(&state, &signed, uri.path(), &body, gzip).await {
        Ok(answer) => (StatusCode::OK, Json(answer)).into_response(),
        Err(error) => {
            if matches!(
                error,
                IngestError::Site(SiteApiError::BadSignature | SiteApiError::UnknownKey)
            ) {
                tracing::warn!(%error, site = signed.site, "usage batch refused");
            }
            refused(&error)
        }
    }
}

fn refused(error: &IngestError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    (status, Json(serde_json::json!({"error": error.to_string()}))).into_response()
}

async fn lines_page(
    state: AppState,
    account: i64,
    query: ConsumptionQuery,
) -> Result<Page<LineView>, AppError> {
    details::lines(&state, account, &query).await
}
