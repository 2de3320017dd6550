//! What every request passes before any handler: the host and origin it names, the text it
//! carries, the status a server function's error answers with, and the headers every response
//! carries.
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use leptos::prelude::LeptosOptions;
use tower_http::set_header::SetResponseHeaderLayer;

/// Adds the headers that every response carries (HSTS when the public origin is HTTPS).
pub(super) fn with_security_headers(
    router: Router<AppState>,
    options: &LeptosOptions,
    https: bool,
) -> Router<AppState> {
    // The development reload socket (cargo leptos watch) is the one connection to another port.
    let reload = match options.env {
        leptos::config::Env::DEV => {
            format!(" ws://{}:{}", options.site_addr.ip(), options.reload_port)
        }
        leptos::config::Env::PROD => String::new(),
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'{reload}; \
         frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    );
    let policy = HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| panic!("the content security policy is a valid header"));
    let set = |name, value: HeaderValue| SetResponseHeaderLayer::if_not_present(name, value);
    let router = if https {
        router.layer(set(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ))
    } else {
        router
    };
    router
        .layer(set(header::CONTENT_SECURITY_POLICY, policy))
        .layer(set(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(set(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(set(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
}

/// Refuses requests that name another host than the configured public origin: a page on some
/// other site whose name an attacker points at this machine (DNS rebinding) must not reach it.
/// The health check answers any name, for load balancers.
pub(super) async fn known_host(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    if request.uri().path() == "/healthz"
        || host.is_some_and(|host| state.config.public_origin.is_host(host))
    {
        return next.run(request).await;
    }
    tracing::warn!(host = ?host, "refused a request for another host");
    (
        StatusCode::MISDIRECTED_REQUEST,
        "This server does not answer for that host name.",
    )
        .into_response()
}

/// The paths whose requests are signed by the party that sends them.
const SIGNED_PREFIXES: [&str; 4] = [
    "/payments/callback/",
    "/api/v1/",
    "/marketplace/",
    // The marketplaces' own services as the simulator plays them.
    "/dev/marketplace/",
];

/// Refuses requests that change state unless they come from a page of this site: the Origin
/// header, or where a browser sends none (older ones, on form posts), the Referer, must be the
/// configured public origin. With SameSite=Lax cookies this stops cross-site form posts in
/// every browser.
pub(super) async fn same_origin_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // Machine endpoints (payment callbacks, the site API, the marketplaces' calls) come from
    // another party, not a page, and prove themselves by signature.
    let path = request.uri().path();
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || SIGNED_PREFIXES.iter().any(|prefix| path.starts_with(prefix))
    {
        return next.run(request).await;
    }
    let headers = request.headers();
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let source = text(header::ORIGIN)
        .filter(|origin| *origin != "null")
        .or_else(|| text(header::REFERER));
    let origin = &state.config.public_origin;
    if let Some(source) = source {
        let scheme_matches = source.starts_with(if origin.https { "https://" } else { "http://" });
        if scheme_matches && source_host(source).is_some_and(|from| origin.is_host(from)) {
            return next.run(request).await;
        }
    }
    tracing::warn!(path = %request.uri().path(), "refused a request from another site");
    (
        StatusCode::FORBIDDEN,
        "This request did not come from a page of this site.",
    )
        .into_response()
}

/// Server functions answer every error with 500; this gives each its real status (400
/// undecodable, 401, 403, 404, 409, 422 field errors, 429 with Retry-After, 503 busy), so only
/// what failed on our side is a 500 in the logs. Form posts without JavaScript are redirects
/// back to the form and stay so.
pub(super) async fn server_fn_status(request: Request, next: Next) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    if api {
        // Account data: never kept by a browser or proxy cache.
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "Please try again.").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<crate::error::AppError>(&bytes) {
        parts.status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
        if let Some(seconds) = error.retry_after() {
            parts
                .headers
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Refuses NUL and other control characters anywhere in a request's query or form/JSON body
/// (line breaks and tabs excepted): no text field takes them, and a NUL byte breaks PostgreSQL
/// text. One check for every server function, export and callback, before any of them runs.
pub(super) async fn refuse_control_characters(request: Request, next: Next) -> Response {
    let query_bad = request
        .uri()
        .query()
        .is_some_and(|query| crate::text::form_has_control_characters(query.as_bytes()));
    if query_bad {
        return refused_text();
    }
    // Usage batches are larger than any form, may be gzip, and are checked field by field
    // by their own handler after their signature.
    if !matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH
    ) || request.uri().path() == crate::metering::http::USAGE_PATH
    {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    // Server function and callback bodies are small; anything bigger is refused as too large.
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.").into_response();
    };
    // Both readings, whatever the Content-Type says: server functions decode their body by
    // their own encoding, not by the header a client chose.
    let bad = crate::text::form_has_control_characters(&bytes)
        || crate::text::json_has_control_characters(&bytes);
    if bad {
        return refused_text();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

fn refused_text() -> Response {
    let error = crate::error::AppError::Rejected(crate::messages::Msg::ControlCharacters);
    (
        StatusCode::BAD_REQUEST,
        [("serverfnerror", "text")],
        Json(error),
    )
        .into_response()
}

/// `host[:port]` of an absolute http(s) URL.
pub fn source_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    rest.split(['/', '?', '#'])
        .next()
        .filter(|host| !host.is_empty())
}

#[cfg(test)]
mod tests {
    use super::source_host;

    #[test]
    fn source_hosts_are_read_from_origin_and_referer() {
        assert_eq!(source_host("http://127.0.0.1:3000"), Some("127.0.0.1:3000"));
        assert_eq!(
            source_host("https://billing.example.com/sign-in?x=1"),
            Some("billing.example.com")
        );
        assert_eq!(source_host("null"), None);
        assert_eq!(source_host("https://"), None);
    }
}
