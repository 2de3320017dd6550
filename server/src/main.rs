//! The Billing Center server: configuration, database, routes, and the HTTP layers around them.
use app::server::{config::Config, db::Db, demo, state::AppState};
use app::{shell, App, SiteInfo};
use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::*;
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, LeptosRoutes};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();

    let mut config = Config::from_env().unwrap_or_else(|error| fail(&error.to_string()));
    config.demo |= std::env::args().any(|arg| arg == "--demo");

    let mut leptos_options = get_configuration(None)
        .unwrap_or_else(|error| fail(&format!("leptos configuration: {error}")))
        .leptos_options;
    // cargo-leptos writes the hashed asset names next to the binary of a build with hash-files on.
    leptos_options.hash_files = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&*leptos_options.hash_file)))
        .is_some_and(|path| path.exists());

    if let Some(dir) = config.sqlite_dir() {
        if let Err(error) = std::fs::create_dir_all(&dir) {
            fail(&format!(
                "DATABASE_URL: cannot create {}: {error}",
                dir.display()
            ));
        }
    }
    let db = Db::connect(&config.database_url)
        .await
        .unwrap_or_else(|error| fail(&format!("DATABASE_URL: cannot open the database: {error}")));
    match std::env::args().nth(1).as_deref() {
        Some("reconcile") => reconcile(&db).await,
        Some("operator") => operator_command(&db).await,
        _ => {}
    }
    if config.demo {
        match demo::seed(&db).await {
            Ok(account) => tracing::info!(account, "demo data in place"),
            Err(error) => fail(&format!("demo data: {error}")),
        }
    }

    if config.payment_sandbox {
        tracing::warn!("BC_PAYMENT_SANDBOX is on: recharge orders are paid at the sandbox checkout and no money moves");
    }
    if config.dev_outbox {
        tracing::warn!("BC_DEV_OUTBOX is on: messages without real delivery are kept for the development outbox page");
    }
    let listen_addr = config.listen_addr;
    let state = AppState::new(leptos_options, db.clone(), config)
        .await
        .unwrap_or_else(|error| fail(&format!("start-up: {error}")));
    tokio::spawn(scheduled_work(state.clone()));
    tokio::spawn(deliver_messages(state.clone()));
    let router = routes(state);

    let listener = tokio::net::TcpListener::bind(listen_addr)
        .await
        .unwrap_or_else(|error| {
            fail(&format!(
                "BC_LISTEN_ADDR: cannot listen on {listen_addr}: {error}"
            ))
        });
    tracing::info!("listening on http://{listen_addr}");
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    if let Err(error) = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await
    {
        tracing::error!(%error, "server stopped with an error");
    }
    db.close().await;
    tracing::info!("stopped");
}

/// `server reconcile`: proves the books and exits 0 when they are right, 1 when not.
async fn reconcile(db: &Db) -> ! {
    let found = match db.pool().acquire().await {
        Ok(mut conn) => app::ledger::service::reconcile(&mut conn).await,
        Err(error) => Err(error),
    };
    match found {
        Ok(found) if found.is_empty() => {
            println!("ledger reconciles: every journal transaction balances, every balance equals its postings");
            std::process::exit(0)
        }
        Ok(found) => {
            println!("ledger does NOT reconcile: unbalanced journal transactions {:?}, drifted balances {:?}",
                found.unbalanced_transactions, found.drifted_balances);
            std::process::exit(1)
        }
        Err(error) => fail(&format!("reconcile: {error}")),
    }
}

/// `server operator grant|revoke <email>`: gives or takes the operator role.
async fn operator_command(db: &Db) -> ! {
    use app::operators::service::{grant, revoke};
    let args: Vec<String> = std::env::args().skip(2).collect();
    let outcome = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["grant", email] => grant(db, email, "command line")
            .await
            .map(|id| format!("account {id} ({email}) is an operator")),
        ["revoke", email] => revoke(db, email).await.map(|had| {
            if had {
                format!("{email} is no longer an operator")
            } else {
                format!("{email} was not an operator")
            }
        }),
        _ => fail("usage: server operator grant|revoke <email>"),
    };
    match outcome {
        Ok(message) => {
            println!("{message}");
            std::process::exit(0)
        }
        Err(error) => fail(&format!("operator: {error}")),
    }
}

/// Work that runs on a timer in every replica: expiring vouchers and prepaid cards, the
/// reminder before a card expires, and forgetting rows past keeping. Each expiry is a ledger entry with its own idempotency key
/// and each reminder is claimed before it is sent, so replicas racing each other act once.
async fn scheduled_work(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(300));
    loop {
        every.tick().await;
        let now = app::server::db::now_millis();
        let outcome = app::ledger::deduction::expire_due(&state.db, now).await;
        match outcome {
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, "vouchers and prepaid cards expired"),
            Err(error) => tracing::error!(%error, "scheduled expiry failed"),
        }
        let now = app::server::db::now_millis();
        match app::ledger::reminders::remind_expiring_cards(&state, now).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "prepaid card expiry reminders sent"),
            Err(error) => tracing::error!(%error, "card expiry reminders failed"),
        }
        match app::server::housekeeping::forget_old_rows(&state.db, now).await {
            Ok(forgotten) if forgotten.total() > 0 => {
                tracing::info!(?forgotten, "old rows removed")
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "housekeeping failed"),
        }
    }
}

/// Sends what the message queue holds that requests could not send at once, every 15 seconds
/// in every replica (each message is claimed before it is sent).
async fn deliver_messages(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(15));
    loop {
        every.tick().await;
        match state.delivery.deliver_due(&state.db).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "queued messages delivered"),
            Err(error) => tracing::error!(%error, "message delivery failed"),
        }
    }
}

fn routes(state: AppState) -> Router {
    let site = SiteInfo {
        brand_name: state.config.brand_name.clone(),
    };
    let context = {
        let state = state.clone();
        let site = site.clone();
        move || {
            provide_context(state.clone());
            provide_context(site.clone());
        }
    };
    let options = state.leptos_options.clone();
    let route_list = generate_route_list(App);

    let pkg_dir = format!("{}/{}", options.site_root, options.site_pkg_dir);
    // File names under /pkg change with their content (hash-files), so browsers may keep them.
    let hashed_assets = Router::new()
        .fallback_service(
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ));

    let router = Router::new()
        .route("/healthz", get(healthz))
        .route("/export/income-expenditure.csv", get(export_movements))
        .route("/operator/voucher-codes.csv", get(export_voucher_codes))
        .route(
            "/payments/callback/{provider}",
            axum::routing::post(payment_callback),
        )
        .nest_service(&format!("/{}", options.site_pkg_dir), hashed_assets)
        .leptos_routes_with_context(&state, route_list, context.clone(), {
            let options = options.clone();
            move || {
                provide_context(site.clone());
                shell(options.clone())
            }
        })
        .fallback(file_and_error_handler_with_context::<AppState, _>(
            context, shell,
        ))
        .layer(middleware::from_fn(server_fn_status))
        .layer(middleware::from_fn(refuse_control_characters))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            same_origin_writes,
        ))
        .layer(middleware::from_fn_with_state(state.clone(), known_host))
        .layer(CompressionLayer::new());
    with_security_headers(router, &options, state.config.public_origin.https)
        .layer(CatchPanicLayer::custom(|_| internal_error_page()))
        .layer(
            TraceLayer::new_for_http()
                // The path only: query strings carry addresses (`?address=...`), which have no
                // place in request logs.
                .make_span_with(|request: &http::Request<axum::body::Body>| {
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// Adds the headers that every response carries (HSTS when the public origin is HTTPS).
fn with_security_headers(
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
    let policy = HeaderValue::from_str(&policy).unwrap_or_else(|_| fail("content security policy"));
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
async fn known_host(State(state): State<AppState>, request: Request, next: Next) -> Response {
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

/// Refuses requests that change state unless they come from a page of this site: the Origin
/// header, or where a browser sends none (older ones, on form posts), the Referer, must be the
/// configured public origin. With SameSite=Lax cookies this stops cross-site form posts in
/// every browser.
async fn same_origin_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // Payment callbacks come from the provider, not a page, and prove themselves by signature.
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) || request.uri().path().starts_with("/payments/callback/")
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
async fn server_fn_status(request: Request, next: Next) -> Response {
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
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes) {
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
async fn refuse_control_characters(request: Request, next: Next) -> Response {
    let query_bad = request
        .uri()
        .query()
        .is_some_and(|query| app::text::form_has_control_characters(query.as_bytes()));
    if query_bad {
        return refused_text();
    }
    if !matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH
    ) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    // Server function and callback bodies are small; anything bigger is refused as too large.
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "The request is too large.").into_response();
    };
    // Both readings, whatever the Content-Type says: server functions decode their body by
    // their own encoding, not by the header a client chose.
    let bad = app::text::form_has_control_characters(&bytes)
        || app::text::json_has_control_characters(&bytes);
    if bad {
        return refused_text();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

fn refused_text() -> Response {
    let error = app::error::AppError::Rejected(
        "The request contains characters no field accepts (such as NUL); remove them and try again"
            .into(),
    );
    (
        StatusCode::BAD_REQUEST,
        [("serverfnerror", "text")],
        Json(error),
    )
        .into_response()
}

/// `host[:port]` of an absolute http(s) URL.
fn source_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    rest.split(['/', '?', '#'])
        .next()
        .filter(|host| !host.is_empty())
}

/// `POST /payments/callback/{provider}`: a payment provider reports an order's outcome.
async fn payment_callback(
    State(state): State<AppState>,
    axum::extract::Path(provider): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    use app::ledger::payment::{handle_callback, SIGNATURE_HEADER, TIMESTAMP_HEADER};
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
    headers: axum::http::HeaderMap,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    use app::ledger::movements::{csv_line, csv_row, page, CSV_HEADER};
    let account = match app::server::session::token_from_headers(&headers) {
        Some(token) => app::accounts::service::session(&state, &token)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let Some((_, account)) = account else {
        return (StatusCode::UNAUTHORIZED, "Please sign in first.").into_response();
    };
    let param = |name: &str| query.get(name).cloned().unwrap_or_default();
    let filter =
        match app::ledger::api::movement_filter(&param("from"), &param("to"), &param("kind")) {
            Ok(filter) => filter,
            Err(error) => return (StatusCode::BAD_REQUEST, error.to_string()).into_response(),
        };
    // A byte-order mark first, so spreadsheet programs read the UTF-8 (Chinese, ¥) right.
    let head = format!("\u{feff}{}", csv_line(&CSV_HEADER));
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

/// `GET /operator/voucher-codes.csv?batch=N`: a batch's activation codes, for operators only.
async fn export_voucher_codes(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    use app::error::AppError;
    let outcome = async {
        let token =
            app::server::session::token_from_headers(&headers).ok_or(AppError::Unauthorized)?;
        let (_, account) = app::accounts::service::session(&state, &token)
            .await?
            .ok_or(AppError::Unauthorized)?;
        let operator = app::operators::service::operator(&state, account).await?;
        let batch = query
            .get("batch")
            .and_then(|b| b.parse::<i64>().ok())
            .ok_or(AppError::NotFound)?;
        let csv = app::operators::service::codes_csv(&state, &operator, batch).await?;
        Ok::<_, AppError>((batch, csv))
    }
    .await;
    match outcome {
        Ok((batch, csv)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"voucher-codes-{batch}.csv\""),
                ),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            csv,
        )
            .into_response(),
        Err(AppError::Unauthorized) => {
            (StatusCode::UNAUTHORIZED, "Operators only; please sign in.").into_response()
        }
        Err(AppError::Rejected(message)) => (StatusCode::FORBIDDEN, message).into_response(),
        Err(AppError::NotFound) => (StatusCode::NOT_FOUND, "No such batch.").into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Please try again.").into_response(),
    }
}

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(serde_json::json!({"status": "ok", "database": "ok"})),
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "database": "unreachable"})),
            )
                .into_response()
        }
    }
}

/// What a request that panicked gets: a plain page, no details (they are in the log).
fn internal_error_page() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Error</title></head>\
             <body><h1>Something went wrong</h1><p>Please try again in a moment. \
             <a href=\"/\">Back to the overview</a></p></body></html>",
        ),
    )
        .into_response()
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

fn fail(message: &str) -> ! {
    eprintln!("billing-center: {message}");
    std::process::exit(2);
}

#[cfg(test)]
mod edge_tests;

#[cfg(test)]
mod tests {
    use super::*;

    async fn state_on(dir: &std::path::Path) -> AppState {
        let url = format!("sqlite://{}", dir.join("health.db").display());
        let config = Config::from_lookup(|name| (name == "DATABASE_URL").then(|| url.clone()))
            .expect("config");
        let db = Db::connect(&config.database_url).await.expect("database");
        let options = LeptosOptions::builder()
            .output_name("billing-center")
            .build();
        AppState::new(options, db, config).await.expect("state")
    }

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

    #[tokio::test]
    async fn health_follows_the_database() {
        let dir = std::env::temp_dir().join(format!("bc_health_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let state = state_on(&dir).await;
        assert_eq!(healthz(State(state.clone())).await.status(), StatusCode::OK);
        state.db.close().await;
        assert_eq!(
            healthz(State(state)).await.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
