//! The session cookie and the caller of a server function: who they are (`require_account`) and
//! where they come from (`client`).
use crate::accounts::service::{self, Client};
use crate::error::AppError;
use crate::preferences::cookie_value;
use axum::extract::ConnectInfo;
use http::request::Parts;
use http::{header, HeaderValue};
use leptos::prelude::*;
use std::net::SocketAddr;

/// The session cookie over plain HTTP (development on this machine).
pub const SESSION_COOKIE: &str = "bc_session";
/// Over HTTPS the `__Host-` prefix pins the cookie to this host, path `/`, Secure.
pub const SECURE_SESSION_COOKIE: &str = "__Host-bc_session";

fn parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// Whether browsers reach us over HTTPS: the configured public origin says, not a request
/// header a client could set.
fn is_https() -> bool {
    crate::state::app_state().is_ok_and(|state| state.config.public_origin.https)
}

/// The session token the request carries, if any.
pub fn session_token() -> Option<String> {
    token_from_headers(&parts()?.headers)
}

/// The session token in a request's `Cookie` headers (for handlers outside server functions).
/// Over HTTPS only the `__Host-` cookie counts: a plain one could have been planted by a sibling
/// subdomain or over plain HTTP.
pub fn token_from_headers(headers: &http::HeaderMap) -> Option<String> {
    let https = is_https();
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|cookies| {
            cookie_value(cookies, SECURE_SESSION_COOKIE).or_else(|| {
                (!https)
                    .then(|| cookie_value(cookies, SESSION_COOKIE))
                    .flatten()
            })
        })
        .filter(|token| !token.is_empty())
}

fn session_cookie(token: &str, max_age: Option<i64>) -> String {
    let https = is_https();
    let name = if https {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    };
    let secure = if https { "; Secure" } else { "" };
    // No Max-Age while signed in: the cookie ends with the browser; the server ends it sooner.
    let age = max_age
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax{secure}{age}")
}

fn append_cookie(cookie: &str) -> Result<(), AppError> {
    let response = use_context::<leptos_axum::ResponseOptions>().ok_or(AppError::Internal)?;
    let value = HeaderValue::from_str(cookie).map_err(|_| AppError::Internal)?;
    response.append_header(header::SET_COOKIE, value);
    Ok(())
}

/// Sends the cookie of a new session.
pub fn set_session_cookie(token: &str) -> Result<(), AppError> {
    append_cookie(&session_cookie(token, None))
}

/// Tells the browser to forget the session cookie.
pub fn clear_session_cookie() -> Result<(), AppError> {
    append_cookie(&session_cookie("", Some(0)))
}

/// The caller's network address and browser, for the security log and rate limits.
pub fn client() -> Client {
    let Some(parts) = parts() else {
        return Client::default();
    };
    let forwarded = crate::state::app_state()
        .map(|state| state.config.trust_forwarded_for)
        .unwrap_or(false)
        .then(|| forwarded_for(&parts))
        .flatten();
    let addr = forwarded.unwrap_or_else(|| {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|| "unknown".to_string())
    });
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(300).collect())
        .unwrap_or_default();
    Client { addr, user_agent }
}

/// Who is calling: their session, and the billing account it acts in with their role there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerSession {
    pub session_id: i64,
    pub user_id: i64,
    pub account: Option<(i64, crate::team::model::Role)>,
    /// The user's email (or phone).
    pub who: String,
}

impl From<crate::accounts::store::LiveSession> for CallerSession {
    fn from(live: crate::accounts::store::LiveSession) -> Self {
        Self {
            session_id: live.id,
            user_id: live.user_id,
            // A role the code does not know reads as no membership: nothing is allowed.
            account: live.account.and_then(|(id, role)| {
                crate::team::model::Role::from_code(&role).map(|role| (id, role))
            }),
            who: live.who,
        }
    }
}

/// The caller's live session, if any.
pub async fn current_session() -> Result<Option<CallerSession>, AppError> {
    let Some(token) = session_token() else {
        return Ok(None);
    };
    let state = crate::state::app_state()?;
    Ok(service::session(&state, &token)
        .await?
        .map(CallerSession::from))
}

/// The last address in `X-Forwarded-For`: the one our own proxy appended (earlier entries come
/// from the client and prove nothing).
fn forwarded_for(parts: &Parts) -> Option<String> {
    let header = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .last()?
        .to_str()
        .ok()?;
    let last = header.rsplit(',').next()?.trim();
    last.parse::<std::net::IpAddr>()
        .ok()
        .map(|ip| ip.to_string())
}

/// The caller's session, or `Unauthorized`: for what is the user's own (password, addresses,
/// sessions, security log), whatever billing account they act in.
pub async fn require_session() -> Result<CallerSession, AppError> {
    current_session().await?.ok_or(AppError::Unauthorized)
}

/// The caller acting in a billing account with a role that allows `permission`; `Unauthorized`
/// when signed out, `Forbidden` otherwise. Every server function that touches a billing
/// account's data starts here and passes on only the account it returns.
pub async fn require(
    permission: crate::team::model::Permission,
) -> Result<crate::accounts::caller::Caller, AppError> {
    let caller = crate::accounts::caller::Caller::from_session(require_session().await?)?;
    caller.may(permission)?;
    Ok(caller)
}

/// Whether the request comes straight from this machine: a loopback peer and no proxy headers
/// (a reverse proxy on the same host adds them). The development outbox answers only then.
pub fn from_this_machine() -> bool {
    parts().is_some_and(|parts| {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        is_local(peer, &parts.headers)
    })
}

fn is_local(peer: Option<std::net::IpAddr>, headers: &http::HeaderMap) -> bool {
    let proxied = ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|name| headers.contains_key(*name));
    peer.is_some_and(|ip| ip.is_loopback()) && !proxied
}

#[cfg(test)]
mod tests {
    use super::is_local;
    use http::{HeaderMap, HeaderValue};

    #[test]
    fn only_loopback_without_proxy_headers_is_local() {
        let none = HeaderMap::new();
        assert!(is_local(Some([127, 0, 0, 1].into()), &none));
        assert!(is_local(Some(std::net::Ipv6Addr::LOCALHOST.into()), &none));
        assert!(!is_local(Some([10, 0, 0, 7].into()), &none));
        assert!(!is_local(None, &none));
        let mut proxied = HeaderMap::new();
        proxied.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9"));
        assert!(!is_local(Some([127, 0, 0, 1].into()), &proxied));
    }
}
