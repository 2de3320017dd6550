//! The development clock's server functions: read the time, move it forward.
use crate::error::AppError;
use crate::time::Stamp;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The server's time and how far it runs ahead of the system's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevClock {
    pub now: Stamp,
    pub lead_days: i64,
    pub lead_hours: i64,
}

/// The time as the server reads it. `NotFound` unless the development clock is on.
#[server(endpoint = "dev/clock")]
pub async fn load_dev_clock() -> Result<DevClock, AppError> {
    let state = crate::state::app_state()?;
    if !state.config.dev_clock {
        return Err(AppError::NotFound);
    }
    let (lead_days, lead_hours) = super::days_and_hours(crate::server::clock::lead());
    Ok(DevClock {
        now: state.config.time_zone.stamp(state.clock.now()),
        lead_days,
        lead_hours,
    })
}

/// Moves the time forward by `days` and `hours`, then runs every timer once at the new time
/// (what the move made due happens now, not at each timer's next turn). Only from this
/// machine, like the development outbox: the time is everyone's.
#[server(endpoint = "dev/clock/move")]
pub async fn move_dev_clock(days: String, hours: String) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    if !state.config.dev_clock || !crate::accounts::session::from_this_machine() {
        return Err(AppError::NotFound);
    }
    let step =
        super::parse_move(&days, &hours).map_err(|(field, msg)| AppError::field(field, msg))?;
    let lead = super::store::advance(&state.db, step, super::MAX_LEAD_MS, state.clock.now())
        .await?
        .ok_or_else(|| AppError::field("days", crate::messages::Msg::ClockTooFar))?;
    crate::server::clock::set_lead(lead);
    let now = state.clock.now();
    for job in crate::schedule::jobs() {
        crate::server::jobs::run_once(&state, &job, now).await;
    }
    // The lead in the address: the page reads the clock again.
    leptos_axum::redirect(&format!("/dev/clock?lead={lead}"));
    Ok(())
}
