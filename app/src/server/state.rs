//! What every request handler and server function can reach.
use super::config::Config;
use super::db::Db;
use crate::error::AppError;
use axum::extract::FromRef;
use leptos::prelude::*;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The application state inside a server function (provided as context by the host).
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function's context");
        AppError::Internal
    })
}
