//! The HTTP edge: one router for pages, server functions and the plain routes each area
//! declares (`<area>/http.rs`), and the checks every request passes (`guards.rs`). The server
//! binary only wires configuration, the database and this router together.
pub mod exports;
mod guards;
pub mod openapi;

use crate::state::AppState;
use crate::{shell, App, SiteInfo};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{extract::State, Json, Router};
use leptos::prelude::*;
use leptos_axum::{file_and_error_handler_with_context, generate_route_list, LeptosRoutes};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use self::guards::source_host;

/// Every plain route (outside pages and server functions), by path: the health check and what
/// each area declares. A new area adds its `routes()` here; the edge tests compare this list
/// with the one they try.
pub fn plain_routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    let mut routes = vec![
        ("/healthz", get(healthz)),
        ("/api/openapi.json", get(openapi_document)),
    ];
    routes.extend(crate::cloud_accounts::http::routes());
    routes.extend(crate::funds::http::routes());
    routes.extend(crate::metering::http::routes());
    routes.extend(crate::operators::http::routes());
    routes.extend(crate::team::http::routes());
    routes.extend(crate::workspaces::http::routes());
    routes
}

/// The whole HTTP side of the server: pages, server functions, the plain routes of every area,
/// assets, and the layers every request passes (host, origin, text and status checks, security
/// headers, compression, panics caught, request logs). Public so tests send requests to it
/// without a browser.
pub fn router(state: AppState) -> Router {
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

    let router = plain_routes()
        .into_iter()
        .fold(Router::new(), |router, (path, route)| {
            router.route(path, route)
        })
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
        .layer(middleware::from_fn(guards::server_fn_status))
        .layer(middleware::from_fn(guards::refuse_control_characters))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guards::same_origin_writes,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guards::known_host,
        ))
        .layer(CompressionLayer::new());
    guards::with_security_headers(router, &options, state.config.public_origin.https)
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

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
/// The machine API's description, for the people who integrate a site or a provider.
async fn openapi_document(State(state): State<AppState>) -> Response {
    axum::Json(openapi::document(&state.config.public_origin.url())).into_response()
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing::{db_test, state_for};

    db_test!(health_follows_the_database, |db| async move {
        let state = state_for(&db).await;
        assert_eq!(healthz(State(state.clone())).await.status(), StatusCode::OK);
        state.db.close().await;
        assert_eq!(
            healthz(State(state)).await.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    });
}
