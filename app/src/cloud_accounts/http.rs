//! The plain routes of the cloud accounts area: each marketplace's calls, and (with the
//! simulator on) the part of AWS the simulator plays: ResolveCustomer and the certificate its
//! SNS messages are signed with.
use super::aliyun::{self, Aliyun};
use super::aws::{self, Notifications, Registration};
use super::huawei::{self, Huawei};
use super::metering;
use super::provider::{handle, Incoming, Marketplace};
use super::simulated_metering::{self, Answer};
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
        (metering::SIMULATOR_ALIYUN_PATH, get(simulated_aliyun_query).post(simulated_aliyun_form)),
        (metering::SIMULATOR_HUAWEI_PATH, post(simulated_huawei)),
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

/// AWS's metering service as the simulator answers it: ResolveCustomer and BatchMeterUsage.
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
    let error = |status: StatusCode, kind: &str, message: &str| {
        aws_json((status, serde_json::json!({"__type": kind, "message": message})))
    };
    let now = state.clock.now();
    let refused = |e: MeteringError| match e {
        MeteringError::Signature => error(StatusCode::UNAUTHORIZED, "InvalidSignatureException", "The request signature does not match."),
        MeteringError::InvalidToken => error(StatusCode::BAD_REQUEST, "InvalidTokenException", "Registration token is invalid."),
        MeteringError::UnknownOperation => error(StatusCode::BAD_REQUEST, "UnknownOperationException", "Unknown operation."),
    };
    match super::simulator::verify_aws(keys, &headers, uri.path(), &body, now) {
        Err(e) => refused(e),
        Ok("AWSMPMeteringService.ResolveCustomer") => match super::simulator::resolve_customer(keys, &body) {
            Ok(customer) => aws_json((StatusCode::OK, serde_json::to_value(&customer).unwrap_or_default())),
            Err(e) => refused(e),
        },
        Ok(metering::AWS_TARGET) => aws_json(simulated_metering::batch_meter_usage(&state, &body, now).await),
        Ok(_) => refused(MeteringError::UnknownOperation),
    }
}

fn aws_json((status, body): Answer) -> Response {
    (status, [(header::CONTENT_TYPE, "application/x-amz-json-1.1")], body.to_string()).into_response()
}

fn json((status, body): Answer) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// Alibaba Cloud's PushMeteringData as the simulator answers it, by GET or by a POSTed form.
async fn simulated_aliyun_query(State(state): State<AppState>, uri: Uri) -> Response {
    let params = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    simulated_aliyun(&state, "GET", params).await
}

async fn simulated_aliyun_form(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let params = form_urlencoded::parse(&body).into_owned().collect();
    simulated_aliyun(&state, "POST", params).await
}

async fn simulated_aliyun(state: &AppState, method: &str, params: Vec<(String, String)>) -> Response {
    if !state.config.marketplaces.simulator {
        return StatusCode::NOT_FOUND.into_response();
    }
    json(simulated_metering::push_metering_data(state, method, params, state.clock.now()).await)
}

/// Huawei Cloud's usage push as the simulator answers it.
async fn simulated_huawei(State(state): State<AppState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if !state.config.marketplaces.simulator {
        return StatusCode::NOT_FOUND.into_response();
    }
    json(simulated_metering::usage_push(&state, &headers, &body, state.clock.now()).await)
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
