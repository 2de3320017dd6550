//! What the cloud marketplaces collect. Rating writes the cloud-settled part of a line in its
//! transaction; after commit this run gathers a cloud account's parts, at most once an hour,
//! into one report (its quantity the amount in minor units, its time and record key fixed
//! once), sends each due report in a call of its own to its marketplace (AWS BatchMeterUsage,
//! Alibaba Cloud PushMeteringData, Huawei Cloud's usage push), and keeps the marketplace's
//! answer. A failed call is retried with backoff with the very same record. Each attempt is
//! claimed by one conditional update whose lease outlasts the call and is its token: only the
//! attempt that holds the report writes its outcome, and an accepted report never changes. A
//! report past its marketplace's window is given back (its parts gathered again under a new
//! time) only when no attempt may have reached the marketplace; otherwise it is refused for an
//! operator to check. No transaction is open while a marketplace is called.
use super::store::{self, NewReport};
use crate::cloud_accounts::metering::{self, Report, Verdict};
use crate::state::AppState;
use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS};

/// Attempts before a report is given up (given back or refused like one past its window).
pub const MAX_ATTEMPTS: i64 = 20;
/// How long one attempt holds a report: well beyond the call's timeout.
const LEASE_MS: i64 = 5 * MINUTE_MS;
/// Cloud accounts gathered, and reports sent, per run.
const BATCH: i64 = 100;

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reported {
    pub gathered: u64,
    pub accepted: u64,
    pub refused: u64,
    pub retried: u64,
    /// Given back past their window, to be gathered again.
    pub expired: u64,
}

/// Gathers what is not yet reported, then sends what is due.
pub async fn report_due(state: &AppState, now: i64) -> Result<Reported, sqlx::Error> {
    let started = std::time::Instant::now();
    // Each step's time moves on with the run, so a slow call does not make a later lease (or
    // signature) start in the past.
    let at = || now + i64::try_from(started.elapsed().as_millis()).unwrap_or(DAY_MS);
    let mut done = Reported::default();
    let accounts = {
        let mut conn = state.db.pool().acquire().await?;
        store::unreported_accounts(&mut conn, now - now.rem_euclid(HOUR_MS), BATCH).await?
    };
    for account in accounts {
        match gather(state, account, at()).await {
            Ok(true) => done.gathered += 1,
            Ok(false) => {}
            // One account's failure holds up no other.
            Err(error) => tracing::error!(%error, account, "cloud-settled parts not gathered"),
        }
    }
    let due = {
        let mut conn = state.db.pool().acquire().await?;
        store::due_reports(&mut conn, at(), MAX_ATTEMPTS, BATCH).await?
    };
    if due.is_empty() {
        return Ok(done);
    }
    let http = match metering::client() {
        Ok(http) => http,
        Err(error) => {
            tracing::error!(%error, "no HTTP client for the marketplaces");
            return Ok(done);
        }
    };
    for report in due {
        // A marketplace this server cannot call: its reports wait, untouched.
        if !metering::configured(&state.marketplace_keys, report.cloud) {
            continue;
        }
        let now = at();
        let token = now + LEASE_MS;
        {
            let mut conn = state.db.pool().acquire().await?;
            if !store::claim_report(&mut conn, report.id, report.next_attempt_at, token).await? {
                continue;
            }
        }
        let verdict = match now > metering::deadline(&report) {
            true => Verdict::TooLate("past the marketplace's window".into()),
            false => metering::send(&http, &state.marketplace_keys, &report, now).await,
        };
        record(state, &report, token, verdict, at(), &mut done).await?;
    }
    Ok(done)
}

/// One cloud account's unreported parts into one report, in one transaction; `false` when
/// there was nothing to gather (or another replica gathered it).
async fn gather(state: &AppState, account: i64, now: i64) -> Result<bool, sqlx::Error> {
    let mut tx = state.db.begin_write().await?;
    let parts = store::unreported(&mut tx, account, 1000).await?;
    let Some(first) = parts.first() else {
        return Ok(false);
    };
    let most = metering::max_quantity();
    if first.amount > most {
        // No record carries it: refused by itself for an operator, so it holds up nothing.
        store::refuse_part(&mut tx, first.id, "larger than one marketplace record may carry").await?;
        tx.commit().await?;
        tracing::error!(part = first.id, amount = first.amount, "a cloud-settled part larger than one record");
        return Ok(false);
    }
    let currency = first.currency.clone();
    // As much as one record may carry; the rest waits for the next report.
    let mut quantity: i64 = 0;
    let mut taken = Vec::new();
    for part in parts.iter().filter(|p| p.currency == currency) {
        match quantity.checked_add(part.amount) {
            Some(sum) if sum <= most => {
                quantity = sum;
                taken.push(part);
            }
            _ => break,
        }
    }
    // Whole seconds: the time the record carries, and with the account its key.
    let metered_at = now - now.rem_euclid(SECOND_MS);
    // The period the record covers follows the account's last report (no overlap), at least
    // six minutes (Alibaba Cloud wants more than five) and at most a day.
    let oldest = taken.iter().map(|p| p.created_at).min().unwrap_or(metered_at);
    let since = store::last_report_at(&mut tx, account).await?.unwrap_or(oldest);
    let period_start = since.clamp(metered_at - DAY_MS, metered_at - 6 * MINUTE_MS);
    let period_start = period_start - period_start.rem_euclid(SECOND_MS);
    let record_key = crate::server::secrets::random_hex(16);
    let new = NewReport {
        cloud_account: account,
        quantity,
        currency: &currency,
        period_start,
        metered_at,
        record_key: &record_key,
        now,
    };
    let Some(report) = store::insert_report(&mut tx, &new).await? else {
        return Ok(false);
    };
    for part in taken {
        if !store::attach(&mut tx, part.id, report).await? {
            // Another replica is gathering the same parts: leave them to it.
            return Ok(false);
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// Keeps what became of a report's attempt (held by `token`).
async fn record(
    state: &AppState,
    report: &Report,
    token: i64,
    verdict: Verdict,
    now: i64,
    done: &mut Reported,
) -> Result<(), sqlx::Error> {
    let last = report.attempts + 1 >= MAX_ATTEMPTS;
    // Past the window, or out of attempts: given back when surely never received.
    let give_up = |answer: String, uncertain: bool| match report.uncertain == 0 && !uncertain {
        true => Verdict::TooLate(answer),
        false => Verdict::Refused(format!(
            "{answer}; an earlier attempt may have reached the marketplace: an operator checks what it collected"
        )),
    };
    let verdict = match verdict {
        Verdict::TooLate(answer) => give_up(answer, false),
        Verdict::Retry { answer, uncertain } if last => give_up(format!("gave up after {MAX_ATTEMPTS} attempts: {answer}"), uncertain),
        other => other,
    };
    let mut tx = state.db.begin_write().await?;
    let held = match &verdict {
        Verdict::Accepted(answer) => {
            done.accepted += 1;
            store::settle_report(&mut tx, report.id, token, "accepted", answer, now).await?
        }
        Verdict::Refused(answer) => {
            tracing::error!(report = report.id, %answer, "a marketplace report refused");
            done.refused += 1;
            store::settle_report(&mut tx, report.id, token, "refused", answer, now).await?
        }
        Verdict::TooLate(answer) => {
            tracing::warn!(report = report.id, %answer, "a report past its window given back");
            done.expired += 1;
            store::expire_report(&mut tx, report.id, token, answer, now).await?
        }
        Verdict::Retry { answer, uncertain } => {
            tracing::warn!(report = report.id, %answer, "a report not delivered; retried");
            done.retried += 1;
            let next = now + crate::workspaces::webhooks::backoff_ms(report.attempts);
            store::report_failed(&mut tx, report.id, token, next, *uncertain, answer).await?
        }
    };
    if !held {
        // Another attempt took the report over (this one outlived its lease): its word stands.
        tracing::error!(report = report.id, "a report's attempt outlived its lease; its outcome was not written");
        return Ok(());
    }
    tx.commit().await
}
