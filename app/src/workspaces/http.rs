//! The plain routes of the workspaces area: the site API and Workspace Management's CSV.
use super::management;
use super::model::{WorkspaceQuery, WorkspaceView};
use super::site_api::{self, Signed, SiteApiError};
use crate::edge::exports::{csv_list, Need};
use crate::error::AppError;
use crate::state::AppState;
use crate::team::model::Permission;
use crate::ui::Page;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, MethodRouter};
use axum::Json;

pub const ENTITLEMENT_PATH: &str = "/api/v1/site/entitlement";
pub const REGISTER_PATH: &str = "/api/v1/site/workspaces";

pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        (ENTITLEMENT_PATH, post(site_request)),
        (REGISTER_PATH, post(site_request)),
        (
            "/export/workspaces.csv",
            csv_list(
                "workspaces.csv",
                &management::CSV_HEADER,
                Need::Account(Permission::Read),
                workspaces_page,
                management::csv_row,
            ),
        ),
    ]
}

/// A signed request of a site: checked, then answered as JSON (an error as `{"error"}`).
async fn site_request(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let signed = Signed::from_headers(&headers);
    if body.len() > site_api::MAX_BODY {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            Json(serde_json::json!({"error": "body too large"})),
        )
            .into_response();
    }
    let path = uri.path();
    let answer = if path == REGISTER_PATH {
        site_api::register_workspace(&state, &signed, path, &body).await
    } else {
        site_api::answer_entitlement(&state, &signed, path, &body).await
    };
    match answer {
        Ok(entitlement) => (StatusCode::OK, Json(entitlement)).into_response(),
        Err(error) => {
            if matches!(error, SiteApiError::BadSignature | SiteApiError::UnknownKey) {
                tracing::warn!(%error, site = signed.site, "site request refused");
            }
            let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (status, Json(serde_json::json!({"error": error.to_string()}))).into_response()
        }
    }
}

async fn workspaces_page(
    state: AppState,
    account: i64,
    query: WorkspaceQuery,
) -> Result<Page<WorkspaceView>, AppError> {
    management::workspaces(&state, account, &query).await
}
