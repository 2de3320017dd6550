//! Huawei Cloud KooGallery's SaaS interface, version 2. The marketplace POSTs JSON with
//! `activity` (newInstance, refreshInstance, updateInstanceStatus, releaseInstance) to one
//! address and adds `signature`, `timestamp` (Unix milliseconds, within 60 s) and `nonce` to
//! its query: `signature` = hex HMAC-SHA256 under the seller's access key of
//! `accessKey + nonce + timestamp + lower-case hex HMAC-SHA256(accessKey, body)`. Every answer
//! carries `resultCode` ("000000" for success) and a `Body-Sign` header,
//! `sign_type="HMAC-SHA256", signature="<base64 HMAC-SHA256 of the body>"`.
//!
//! newInstance is idempotent on orderId + orderLineId (a retry answers the first instanceId,
//! the businessId of the first call); every other call is recognised by its nonce, and its
//! change is a status, so a repeat changes nothing twice.
use super::provider::{Incoming, Marketplace, Refusal};
use super::subscriptions::{Applied, Change, Notice};
use crate::server::signing;
use crate::state::AppState;
use crate::workspaces::model::{Cloud, CloudAccountStatus};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub const PATH: &str = "/marketplace/huawei/v2";
pub const TOLERANCE_MS: i64 = 60 * crate::time::SECOND_MS;

/// The `signature` of a call, as the marketplace computes it.
pub fn signature(key: &str, nonce: &str, timestamp: &str, body: &[u8]) -> String {
    let body_mac = signing::sign_hex(key.as_bytes(), &[body]);
    signing::sign_hex(key.as_bytes(), &[key.as_bytes(), nonce.as_bytes(), timestamp.as_bytes(), body_mac.as_bytes()])
}

/// The `Body-Sign` header of an answer.
pub fn body_sign(key: &str, body: &[u8]) -> String {
    let mac = signing::mac(key.as_bytes(), &[body]);
    format!("sign_type=\"HMAC-SHA256\", signature=\"{}\"", data_encoding::BASE64.encode(&mac))
}

/// `expireTime`: UTC, `yyyyMMddHHmmss`, sometimes with milliseconds.
fn expiry(text: &str) -> Option<i64> {
    let text = text.trim();
    let seconds = text.get(..14)?;
    let ms: i64 = match text.get(14..) {
        Some("") | None => 0,
        Some(rest) if rest.len() == 3 => rest.parse().ok()?,
        Some(_) => return None,
    };
    Some(crate::time::Zone::utc().parse_local(seconds, "%Y%m%d%H%M%S")? + ms)
}

pub struct Huawei;

impl Marketplace for Huawei {
    async fn verify(&self, state: &AppState, request: &Incoming<'_>) -> Result<Option<Notice>, Refusal> {
        let key = state.marketplace_keys.huawei.as_ref().ok_or(Refusal::Unconfigured)?;
        let params = request.params();
        let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
        let (given, timestamp, nonce) = (get("signature"), get("timestamp"), get("nonce"));
        if nonce.is_empty() || nonce.len() > 128 {
            return Err(Refusal::BadSignature);
        }
        let body_mac = signing::sign_hex(key.expose().as_bytes(), &[request.body]);
        let parts: [&[u8]; 4] = [key.expose().as_bytes(), nonce.as_bytes(), timestamp.as_bytes(), body_mac.as_bytes()];
        if !signing::verify_hex(key.expose().as_bytes(), &parts, given) {
            return Err(Refusal::BadSignature);
        }
        let at: i64 = timestamp.parse().map_err(|_| Refusal::Stale)?;
        if state.clock.now().abs_diff(at) > TOLERANCE_MS as u64 {
            return Err(Refusal::Stale);
        }
        let body: Value = serde_json::from_slice(request.body).map_err(|_| Refusal::Malformed("body is not JSON"))?;
        let text = |name: &str| {
            body.get(name).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty() && v.len() <= 64).map(str::to_string)
        };
        let field = |name: &'static str| text(name).ok_or(Refusal::Malformed(name));
        let activity = field("activity")?;
        let expires = match text("expireTime") {
            Some(t) => Some(expiry(&t).ok_or(Refusal::Malformed("expireTime"))?),
            None => None,
        };
        let by_nonce = format!("nonce:{nonce}");
        let status = |status| Change::Status { status, expires_at: expires };
        let (subscription, call_key, change) = match activity.as_str() {
            "newInstance" => {
                let (order, line) = (field("orderId")?, field("orderLineId")?);
                // The customer comes in the body (buyerInfo) where the marketplace sends it;
                // otherwise the order stands for it until Query Order is asked.
                let customer = body
                    .pointer("/buyerInfo/customerId")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| text("customerId"))
                    .filter(|c| !c.is_empty() && c.len() <= 64)
                    .unwrap_or_else(|| format!("order {order}"));
                let change = Change::Opened {
                    cloud_account: customer,
                    product: text("productId").unwrap_or_default(),
                    customer: None,
                    status: CloudAccountStatus::Active,
                    expires_at: expires,
                };
                (field("businessId")?, format!("new:{order}:{line}"), change)
            }
            "refreshInstance" => (field("instanceId")?, by_nonce, status(CloudAccountStatus::Active)),
            "updateInstanceStatus" => {
                let next = match field("status")?.as_str() {
                    "FREEZE" => CloudAccountStatus::Suspended,
                    "UNFREEZE" => CloudAccountStatus::Active,
                    _ => return Err(Refusal::Malformed("status")),
                };
                (field("instanceId")?, by_nonce, Change::Status { status: next, expires_at: None })
            }
            "releaseInstance" => (field("instanceId")?, by_nonce, Change::Status { status: CloudAccountStatus::Ended, expires_at: None }),
            _ => return Err(Refusal::Malformed("activity")),
        };
        Ok(Some(Notice { cloud: Cloud::Huawei, call_key, action: activity, subscription, change }))
    }

    fn answer(&self, state: &AppState, action: &str, outcome: Result<Option<&Applied>, &Refusal>) -> Response {
        let (status, code, message) = match outcome {
            Ok(_) => (StatusCode::OK, "000000", "success".to_string()),
            Err(refusal) => (
                super::aliyun::status_of(refusal),
                match refusal {
                    Refusal::BadSignature | Refusal::Stale => "000001",
                    Refusal::Malformed(_) => "000002",
                    Refusal::UnknownSubscription => "000003",
                    _ => "000005",
                },
                refusal.to_string(),
            ),
        };
        let mut json = serde_json::json!({"resultCode": code, "resultMsg": message});
        if let (Ok(Some(applied)), "newInstance") = (outcome, action) {
            let origin = state.config.public_origin.url();
            json["instanceId"] = Value::from(applied.cloud_account.subscription_ref.clone());
            json["appInfo"] = serde_json::json!({
                "frontEndUrl": format!("{origin}{}", applied.link_path),
                "adminUrl": format!("{origin}/account/cloud-accounts"),
            });
        }
        let body = json.to_string();
        let mut response = (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body.clone()).into_response();
        if let Some(key) = state.marketplace_keys.huawei.as_ref() {
            if let Ok(value) = HeaderValue::from_str(&body_sign(key.expose(), body.as_bytes())) {
                response.headers_mut().insert("body-sign", value);
            }
        }
        response
    }
}

/// The marketplace's side, for the simulator and tests: the query a call of `body` carries.
pub fn signed_query(key: &str, body: &[u8], timestamp_ms: i64, nonce: &str) -> String {
    let timestamp = timestamp_ms.to_string();
    let signature = signature(key, nonce, &timestamp, body);
    form_urlencoded::Serializer::new(String::new())
        .append_pair("signature", &signature)
        .append_pair("timestamp", &timestamp)
        .append_pair("nonce", nonce)
        .finish()
}

/// `ms` as the marketplace writes `expireTime`.
pub fn expiry_text(ms: i64) -> String {
    crate::time::Zone::utc().write_local(ms, "%Y%m%d%H%M%S")
}
