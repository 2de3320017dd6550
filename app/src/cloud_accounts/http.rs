//! The plain routes of the cloud accounts area: each marketplace's calls, and (with the
//! simulator on) the part of AWS the simulator plays: ResolveCustomer and the certificate its
//! SNS messages are signed with.
use super::aliyun::{self, Aliyun};
use super::aws::{self, Notifications, Registration};
use super::huawei::{self, Huawei};
use super::provider::{handle, Incoming, Marketplace};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};

/// The largest body a marketplace call may have.
pub const MAX_BODY: usize = 64 * 1024;

pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        (aliyun::PATH, get(|s, u, h, b| call(Aliyun, s, u, h, b))),
        (huawei::PATH, post(|s, u, h, b| call(Huawei, s, u, h, b))),
        (aws::REGISTER_PATH, post(|s, u, h, b| call(Registration, s, u, h, b))),
        (aws::SNS_PATH, post(|s, u, h, b| call(Notifications, s, u, h, b))),
        (aws::SIMULATOR_METERING_PATH, post(simulated_metering)),
        (aws::SIMULATOR_CERTIFICATE_PATH, get(simulated_certificate)),
    ]
}

async fn call<M: Marketplace>(
    marketplace: M,
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if body.len() > MAX_BODY {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response();
    }
    let request = Incoming {
        query: uri.query().unwrap_or_default(),
        headers: &headers,
        body: &body,
    };
    handle(&marketplace, &state, request).await
}

/// AWS's ResolveCustomer, as the simulator answers it.
async fn simulated_metering(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(keys) = state.marketplace_keys.aws.as_ref().filter(|_| state.config.marketplaces.simulator) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    use super::simulator::MeteringError;
    let json = |status: StatusCode, kind: &str, message: &str| {
        (status, [(header::CONTENT_TYPE, "application/x-amz-json-1.1")], serde_json::json!({"__type": kind, "message": message}).to_string())
            .into_response()
    };
    match super::simulator::resolve_customer(keys, &headers, uri.path(), &body, state.clock.now()) {
        Ok(customer) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
            serde_json::to_string(&customer).unwrap_or_default(),
        )
            .into_response(),
        Err(MeteringError::Signature) => json(StatusCode::UNAUTHORIZED, "InvalidSignatureException", "The request signature does not match."),
        Err(MeteringError::InvalidToken) => json(StatusCode::BAD_REQUEST, "InvalidTokenException", "Registration token is invalid."),
        Err(MeteringError::UnknownOperation) => json(StatusCode::BAD_REQUEST, "UnknownOperationException", "Unknown operation."),
    }
}

async fn simulated_certificate(State(state): State<AppState>) -> Response {
    if !state.config.marketplaces.simulator {
        return StatusCode::NOT_FOUND.into_response();
    }
    match super::simulator::sns_certificate(&state.db).await {
        Ok(pem) => ([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response(),
        Err(error) => {
            tracing::error!(%error, "simulator certificate");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
