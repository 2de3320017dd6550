//! Alibaba Cloud Marketplace's SaaS SPI. The marketplace calls one GET address with `action`
//! (createInstance, renewInstance, expiredInstance, releaseInstance, refundRenewInstance) and
//! its parameters, and `token`: the lower-case hex MD5 of every other parameter sorted by name
//! and joined as `k=v&k=v`, then `&key=<the service provider's key>`. Parameters we do not know
//! are signed too, so they are kept. createInstance answers `{"instanceId"}` (the orderBizId,
//! the same on every repeat, with the link the buyer opens); the others `{"success":"true"}`.
//!
//! The protocol has no timestamp or nonce, so repeats are recognised by what they say: a
//! create by its orderBizId, a renewal by its order, a release by its instance, an expiry by
//! the instance and the end it expires (an expiry is believed only from ten minutes before the
//! subscription's end, so an old one replayed after a renewal is refused).
use super::provider::{Incoming, Marketplace, Refusal};
use super::store;
use super::subscriptions::{Applied, Change, Notice};
use crate::state::AppState;
use crate::workspaces::model::{Cloud, CloudAccountStatus};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use md5::{Digest, Md5};

pub const PATH: &str = "/marketplace/aliyun/spi";
/// How `expiredOn` is written, in Beijing time.
const EXPIRY_FORMAT: &str = "%Y-%m-%d %H:%M:%S";
const ZONE: &str = "Asia/Shanghai";
/// An expiry is believed from this long before the subscription's end (clocks differ).
const EXPIRY_EARLY_MS: i64 = 10 * crate::time::MINUTE_MS;

/// An id the marketplace sends (orderBizId, instanceId, orderId, aliUid): letters, digits, `_`
/// and `-`, so that no value can carry a `&k=v` of its own into the signed text.
fn id_ok(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The token of `params` (without `token`) under `key`, as the marketplace computes it.
pub fn token(params: &[(String, String)], key: &str) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().filter(|(k, _)| k != "token").collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    text.push_str("&key=");
    text.push_str(key);
    hex::encode(Md5::digest(text.as_bytes()))
}

pub struct Aliyun;

fn zone() -> crate::time::Zone {
    crate::time::Zone::named(ZONE).unwrap_or_else(|_| crate::time::Zone::utc())
}

impl Marketplace for Aliyun {
    async fn verify(&self, state: &AppState, request: &Incoming<'_>) -> Result<Option<Notice>, Refusal> {
        let key = state.marketplace_keys.aliyun.as_ref().ok_or(Refusal::Unconfigured)?;
        let params = request.params();
        let given = params
            .iter()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.to_ascii_lowercase())
            .ok_or(Refusal::BadSignature)?;
        if !crate::server::signing::equal(token(&params, key.expose()).as_bytes(), given.as_bytes()) {
            return Err(Refusal::BadSignature);
        }
        // The signed text `k=v&k=v` cannot tell a value with `&` or `=` in it from two
        // parameters: such a call is refused whatever its token.
        if params.iter().any(|(k, v)| k.contains(['&', '=']) || v.contains(['&', '='])) {
            return Err(Refusal::Malformed("a parameter holds & or ="));
        }
        let get = |name: &str| {
            params.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty())
        };
        let action = get("action").ok_or(Refusal::Malformed("action"))?;
        let expires = |required: bool| match get("expiredOn") {
            Some(text) => zone().parse_local(&text, EXPIRY_FORMAT).map(Some).ok_or(Refusal::Malformed("expiredOn")),
            None if required => Err(Refusal::Malformed("expiredOn")),
            None => Ok(None),
        };
        let instance = || get("instanceId").filter(|id| id_ok(id)).ok_or(Refusal::Malformed("instanceId"));
        let status = |status, expires_at| Change::Status { status, expires_at };
        let (subscription, call_key, change) = match action.as_str() {
            "createInstance" => {
                let order = get("orderBizId").filter(|id| id_ok(id)).ok_or(Refusal::Malformed("orderBizId"))?;
                let change = Change::Opened {
                    cloud_account: get("aliUid").filter(|u| id_ok(u)).ok_or(Refusal::Malformed("aliUid"))?,
                    product: get("productCode").unwrap_or_default().chars().take(64).collect(),
                    customer: None,
                    status: CloudAccountStatus::Active,
                    expires_at: expires(false)?,
                };
                (order.clone(), format!("create:{order}"), change)
            }
            "renewInstance" => {
                let instance = instance()?;
                let order = get("orderId").filter(|id| id_ok(id)).ok_or(Refusal::Malformed("orderId"))?;
                let change = status(CloudAccountStatus::Active, expires(true)?);
                (instance, format!("renew:{order}"), change)
            }
            "refundRenewInstance" => {
                let instance = instance()?;
                let change = status(CloudAccountStatus::Active, expires(true)?);
                (instance, format!("refund:{given}"), change)
            }
            "expiredInstance" => {
                let instance = instance()?;
                let mut conn = state.db.pool().acquire().await?;
                let row = store::subscription(&mut conn, Cloud::Aliyun, &instance)
                    .await?
                    .ok_or(Refusal::UnknownSubscription)?;
                let end = row.expires_at.unwrap_or(0);
                if end - EXPIRY_EARLY_MS > state.clock.now() {
                    return Err(Refusal::Malformed("the subscription has not reached its end"));
                }
                (instance.clone(), format!("expired:{instance}:{end}"), status(CloudAccountStatus::Suspended, None))
            }
            "releaseInstance" => {
                let instance = instance()?;
                (instance.clone(), format!("release:{instance}"), status(CloudAccountStatus::Ended, None))
            }
            _ => return Err(Refusal::Malformed("unknown action")),
        };
        Ok(Some(Notice { cloud: Cloud::Aliyun, call_key, action, subscription, change }))
    }

    fn answer(&self, state: &AppState, action: &str, outcome: Result<Option<&Applied>, &Refusal>) -> Response {
        match outcome {
            Ok(Some(applied)) if action == "createInstance" => {
                let origin = state.config.public_origin.url();
                Json(serde_json::json!({
                    "instanceId": applied.cloud_account.subscription_ref,
                    "appInfo": {
                        "frontEndUrl": format!("{origin}{}", applied.link_path),
                        "adminUrl": format!("{origin}/account/cloud-accounts"),
                    },
                }))
                .into_response()
            }
            Ok(_) => Json(serde_json::json!({"success": "true"})).into_response(),
            Err(refusal) => (status_of(refusal), Json(serde_json::json!({"success": "false", "message": refusal.to_string()}))).into_response(),
        }
    }
}

/// The HTTP status of a refusal, alike for every marketplace.
pub fn status_of(refusal: &Refusal) -> StatusCode {
    match refusal {
        Refusal::BadSignature | Refusal::Stale => StatusCode::UNAUTHORIZED,
        Refusal::Malformed(_) => StatusCode::BAD_REQUEST,
        Refusal::UnknownSubscription => StatusCode::NOT_FOUND,
        Refusal::Upstream(_) => StatusCode::BAD_GATEWAY,
        Refusal::Unconfigured | Refusal::Database => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The marketplace's side, for the simulator and tests: a signed SPI query for `params`.
pub fn signed_query(params: &[(&str, &str)], key: &str) -> String {
    let owned: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let token = token(&owned, key);
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        query.append_pair(k, v);
    }
    query.append_pair("token", &token);
    query.finish()
}

/// `ms` as the marketplace writes `expiredOn`.
pub fn expiry_text(ms: i64) -> String {
    zone().write_local(ms, EXPIRY_FORMAT)
}
