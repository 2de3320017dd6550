//! What every request handler and server function can reach.
use crate::config::Config;
use crate::error::AppError;
use crate::server::db::Db;
use crate::server::delivery::{Delivery, DeliveryError};
use crate::verification::rules::CodePolicy;
use crate::verification::service::Verifier;
use axum::extract::FromRef;
use leptos::prelude::*;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
    pub delivery: Arc<Delivery>,
    pub verifier: Verifier,
    /// The time (the system's; tests may fix and move it).
    pub clock: crate::server::clock::Clock,
    /// The sandbox payment provider's own signing secret; `None` unless the sandbox is on.
    pub sandbox_secret: Option<crate::config::Secret>,
    /// What every site's signing key is derived from (`workspaces::site_keys`).
    pub site_key_secret: crate::config::Secret,
    /// Each cloud marketplace's keys (`cloud_accounts::provider`).
    pub marketplace_keys: Arc<crate::cloud_accounts::provider::Keys>,
    /// The jobs that run at once when something happens (`server::jobs::Event`).
    pub wakeups: crate::server::jobs::Wakeups,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("delivery: {0}")]
    Delivery(#[from] DeliveryError),
}

impl AppState {
    /// Everything the server needs, built once at start-up from configuration and the database.
    pub async fn new(
        leptos_options: LeptosOptions,
        db: Db,
        config: Config,
    ) -> Result<Self, StateError> {
        let pepper = crate::server::secrets::get_or_create(&db, "verification_code_pepper").await?;
        let sandbox_secret = match config.payment_sandbox {
            true => Some(crate::config::Secret::new(
                crate::server::secrets::get_or_create(&db, "payment_sandbox_secret").await?,
            )),
            false => None,
        };
        let site_key_secret = crate::config::Secret::new(
            crate::workspaces::site_keys::server_secret(&db, &config).await?,
        );
        let marketplace_keys =
            Arc::new(crate::cloud_accounts::provider::Keys::load(&db, &config).await?);
        Ok(Self {
            marketplace_keys,
            wakeups: Default::default(),
            clock: crate::server::clock::Clock::system(),
            site_key_secret,
            sandbox_secret,
            leptos_options,
            delivery: Arc::new(Delivery::from_config(&config)?),
            verifier: Verifier::new(
                CodePolicy {
                    per_client_hour: config.codes_per_client.0,
                    per_client_day: config.codes_per_client.1,
                    ..CodePolicy::default()
                },
                pepper,
            ),
            db,
            config: Arc::new(config),
        })
    }
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
