//! Every scheduled job of the product, by name: the one list `server::jobs` runs. A new job is
//! a line here and a function in its area.
use crate::server::jobs::{Event, Job, Outcome};
use crate::state::AppState;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

type Run = Pin<Box<dyn Future<Output = Outcome> + Send>>;

const FIVE_MINUTES: Duration = Duration::from_secs(300);

pub fn jobs() -> Vec<Job> {
    vec![
        Job {
            name: "expire-instruments",
            every: FIVE_MINUTES,
            claimed: true,
            woken_by: None,
            work: expire_instruments,
        },
        Job {
            name: "card-expiry-reminders",
            every: FIVE_MINUTES,
            claimed: true,
            woken_by: None,
            work: card_reminders,
        },
        Job {
            name: "housekeeping",
            every: FIVE_MINUTES,
            claimed: true,
            woken_by: None,
            work: housekeeping,
        },
        // Each run rates what is due and catches up on what a stopped server missed; every
        // workspace-day is claimed on its own, so one replica's run is enough.
        Job {
            name: "rating",
            every: FIVE_MINUTES,
            claimed: true,
            woken_by: None,
            work: rating,
        },
        // Every replica helps: each report is claimed on its own.
        Job {
            name: "cloud-metering",
            every: Duration::from_secs(60),
            claimed: false,
            woken_by: None,
            work: cloud_metering,
        },
        // Every replica helps: each step of a period is claimed on its own. Money received
        // runs it at once, so that paying the arrears unlocks the workspaces then and there.
        Job {
            name: "arrears",
            every: Duration::from_secs(30),
            claimed: false,
            woken_by: Some(Event::FundsReceived),
            work: arrears,
        },
        // Every replica helps: each webhook attempt is claimed on its own.
        Job {
            name: "site-webhooks",
            every: Duration::from_secs(15),
            claimed: false,
            woken_by: None,
            work: site_webhooks,
        },
        // Every replica helps: each message is claimed on its own.
        Job {
            name: "deliver-messages",
            every: Duration::from_secs(15),
            claimed: false,
            woken_by: None,
            work: deliver_messages,
        },
    ]
}

/// Vouchers and prepaid cards past their expiry: what is left is voided.
fn expire_instruments(state: AppState, now: i64) -> Run {
    Box::pin(async move {
        crate::funds::deduction::expire_due(&state.db, now)
            .await
            .map(|n| n as u64)
            .map_err(|e| e.to_string())
    })
}

/// Yesterday's usage (in each site's zone), and any not yet rated, rated and deducted.
fn rating(state: AppState, now: i64) -> Run {
    Box::pin(async move {
        crate::metering::run::rate_due(&state, now)
            .await
            .map(|rated| rated.lines)
            .map_err(|e| e.to_string())
    })
}

/// What cloud-settled workspaces used, reported to their marketplace to collect.
fn cloud_metering(state: AppState, now: i64) -> Run {
    Box::pin(async move {
        crate::metering::cloud::report_due(&state, now)
            .await
            .map(|done| done.accepted)
            .map_err(|e| e.to_string())
    })
}

/// Accounts in arrears: the notice, the reminder, the lock, and the unlock once paid.
fn arrears(state: AppState, now: i64) -> Run {
    Box::pin(async move {
        crate::workspaces::arrears::review(&state, now)
            .await
            .map(|review| review.total())
            .map_err(|e| e.to_string())
    })
}

/// Workspace changes to the sites that asked to hear of them.
fn site_webhooks(state: AppState, now: i64) -> Run {
    Box::pin(async move {
        crate::workspaces::webhooks::deliver_due(&state, now)
            .await
            .map_err(|e| e.to_string())
    })
}

/// The reminder before a prepaid card expires.
fn card_reminders(state: AppState, now: i64) -> Run {
    Box::pin(async move {
        crate::funds::reminders::remind_expiring_cards(&state, now)
            .await
            .map(|n| n as u64)
            .map_err(|e| e.to_string())
    })
}

/// Rows nobody can use any more, and job runs older than a week.
fn housekeeping(state: AppState, now: i64) -> Run {
    Box::pin(async move {
        let forgotten = crate::housekeeping::forget_old_rows(&state.db, now)
            .await
            .map_err(|e| e.to_string())?;
        let runs = crate::server::jobs::forget_before(
            &state.db,
            now - crate::housekeeping::OUTBOX_KEPT_MS,
        )
        .await
        .map_err(|e| e.to_string())?;
        Ok(forgotten.total() + runs)
    })
}

/// Messages the requests that queued them could not send at once.
fn deliver_messages(state: AppState, _now: i64) -> Run {
    Box::pin(async move {
        state
            .delivery
            .deliver_due(&state.db)
            .await
            .map(|n| n as u64)
            .map_err(|e| e.to_string())
    })
}
