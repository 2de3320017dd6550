use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One message in the development outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub channel: String,
    pub address: String,
    pub subject: String,
    pub body: String,
    pub created_at: crate::time::Stamp,
}

/// The newest messages (at most 100), newest first. `NotFound` unless the development outbox is
/// switched on (`BC_DEV_OUTBOX=1`), and to anyone not on this machine: a server started with
/// the outbox by mistake must not show sign-in codes to the world.
#[server(endpoint = "outbox/list")]
pub async fn list_outbox() -> Result<Vec<OutboxMessage>, AppError> {
    let state = crate::state::app_state()?;
    if !state.delivery.outbox_enabled() || !crate::accounts::session::from_this_machine() {
        return Err(AppError::NotFound);
    }
    Ok(super::store::newest(&state.db, &state.config.time_zone, 100).await?)
}
