//! What the cloud marketplaces collect. Rating writes the cloud-settled part of a line in its
//! transaction; after commit this run gathers a cloud account's parts into one report (one
//! record a run, its quantity the amount in minor units, its time fixed once), sends the due
//! reports to their marketplace (AWS BatchMeterUsage, Alibaba Cloud PushMeteringData, Huawei
//! Cloud's usage push), and keeps the marketplace's answer. A failed call is retried with
//! backoff with the very same record, which the marketplace takes as a repeat; each attempt
//! is claimed by one conditional update, so with several replicas a report goes out once per
//! attempt. No transaction is open while a marketplace is called.
use super::store::{self, NewReport};
use crate::cloud_accounts::metering::{self, Report, Verdict};
use crate::state::AppState;
use crate::time::{DAY_MS, MINUTE_MS, SECOND_MS};
use crate::workspaces::model::Cloud;

/// Attempts before a report is given up (about three days of backoff); it then stays
/// pending and is not sent again by itself (the operator console does not list such reports
/// yet: `cloud_reports` with 20 attempts).
pub const MAX_ATTEMPTS: i64 = 20;
/// How long one attempt holds a report before another replica may try it.
const LEASE_MS: i64 = 60 * SECOND_MS;
/// Cloud accounts gathered, and reports sent, per run.
const BATCH: i64 = 100;

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reported {
    pub gathered: u64,
    pub accepted: u64,
    pub refused: u64,
    pub retried: u64,
}

/// Gathers what is not yet reported, then sends what is due.
pub async fn report_due(state: &AppState, now: i64) -> Result<Reported, sqlx::Error> {
    let mut done = Reported::default();
    let accounts = {
        let mut conn = state.db.pool().acquire().await?;
        store::unreported_accounts(&mut conn, BATCH).await?
    };
    for account in accounts {
        if gather(state, account, now).await? {
            done.gathered += 1;
        }
    }
    let due = {
        let mut conn = state.db.pool().acquire().await?;
        store::due_reports(&mut conn, now, MAX_ATTEMPTS, BATCH).await?
    };
    let mut claimed: Vec<Report> = Vec::new();
    for report in due {
        // One report per cloud account a run (Alibaba Cloud takes one call per instance a
        // minute); the next waits for the next run.
        if claimed.iter().any(|c| c.cloud_account_id == report.cloud_account_id) {
            continue;
        }
        let mut conn = state.db.pool().acquire().await?;
        if store::claim_report(&mut conn, report.id, report.next_attempt_at, now + LEASE_MS).await? {
            claimed.push(report);
        }
    }
    for cloud in [Cloud::Aws, Cloud::Aliyun, Cloud::Huawei] {
        let mine: Vec<Report> = claimed.iter().filter(|r| r.cloud == cloud).cloned().collect();
        for batch in mine.chunks(metering::batch_size(cloud)) {
            let verdicts = metering::send(&state.marketplace_keys, cloud, batch, now).await;
            for (report, verdict) in batch.iter().zip(verdicts) {
                record(state, report, &verdict, now, &mut done).await?;
            }
        }
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
    let currency = first.currency.clone();
    // As much as one record may carry; the rest waits for the next report.
    let most = metering::max_quantity();
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
    if taken.is_empty() {
        tracing::error!(part = first.id, amount = first.amount, "a cloud-settled part larger than one record may carry");
        return Ok(false);
    }
    // Whole seconds: the time the record carries, and with the account its key.
    let metered_at = now - now.rem_euclid(SECOND_MS);
    // The period the record covers: from the oldest part's rating, at least six minutes
    // (Alibaba Cloud wants more than five) and at most a day.
    let oldest = taken.iter().map(|p| p.created_at).min().unwrap_or(metered_at);
    let period_start = oldest.clamp(metered_at - DAY_MS, metered_at - 6 * MINUTE_MS);
    let period_start = period_start - period_start.rem_euclid(SECOND_MS);
    let new = NewReport {
        cloud_account: account,
        quantity,
        currency: &currency,
        period_start,
        metered_at,
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

/// Keeps what the marketplace said of a report.
async fn record(
    state: &AppState,
    report: &Report,
    verdict: &Verdict,
    now: i64,
    done: &mut Reported,
) -> Result<(), sqlx::Error> {
    let mut tx = state.db.begin_write().await?;
    match verdict {
        Verdict::Accepted(answer) => {
            store::settle_report(&mut tx, report.id, "accepted", answer, now).await?;
            done.accepted += 1;
        }
        Verdict::Refused(answer) => {
            tracing::error!(report = report.id, %answer, "a marketplace refused a report");
            store::settle_report(&mut tx, report.id, "refused", answer, now).await?;
            done.refused += 1;
        }
        Verdict::Retry(answer) => {
            tracing::warn!(report = report.id, %answer, "a report not delivered; retried");
            let next = now + crate::workspaces::webhooks::backoff_ms(report.attempts);
            store::report_failed(&mut tx, report.id, next, answer).await?;
            done.retried += 1;
        }
    }
    tx.commit().await
}
