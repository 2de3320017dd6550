//! The daily rating run: every workspace-day whose day is over in its site's billing zone and
//! that has records not yet rated is rated and deducted through the workspace's settlement
//! method, one workspace-day per transaction. Each workspace-day is claimed by marking its
//! records, so two replicas never rate the same records; the journal's idempotency key per
//! workspace, day, item, tier and revision means nothing is ever posted twice. Missed days
//! are caught up: the run looks for unrated records, not for "yesterday".
use super::rating::{self, Price, Record};
use super::store::{self, NewLine};
use crate::funds::deduction::{pay, Charge, Payer};
use crate::ledger::LedgerError;
use crate::money::Currency;
use crate::state::AppState;
use crate::time::Zone;
use crate::workspaces::model::Settlement;
use std::collections::{BTreeMap, HashMap};

/// Workspace-days looked up at a time.
const BATCH: i64 = 200;

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rated {
    pub days: u64,
    pub lines: u64,
    pub restatements: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("ledger: {0}")]
    Ledger(#[from] LedgerError),
    #[error("rating: {0}")]
    Rating(#[from] rating::RatingError),
    #[error("{0}")]
    Refused(String),
}

/// Rates every workspace-day that is due at `now`.
pub async fn rate_due(state: &AppState, now: i64) -> Result<Rated, RunError> {
    let mut done = Rated::default();
    for site in crate::workspaces::store::list_sites(&state.db, None).await? {
        let zone = Zone::named(&site.time_zone).unwrap_or_else(|_| Zone::utc());
        // A day is rated once it is over in the site's zone.
        let today = zone.date(now);
        let mut failed = std::collections::HashSet::new();
        loop {
            let due = {
                let mut conn = state.db.pool().acquire().await?;
                let limit = BATCH + failed.len() as i64;
                store::unrated_days(&mut conn, &site.code, &today, limit).await?
            };
            let due: Vec<_> = due.into_iter().filter(|d| !failed.contains(d)).collect();
            if due.is_empty() {
                break;
            }
            for (workspace, day) in due {
                match rate_workspace_day(state, workspace, &day, site.currency, now).await {
                    Ok(Some(one)) => {
                        done.days += 1;
                        done.lines += one.lines;
                        done.restatements += one.restatements;
                    }
                    Ok(None) => {}
                    // One workspace-day that cannot be rated does not hold up the others; it
                    // stays unrated and is tried again on the next run.
                    Err(error) => {
                        tracing::error!(%error, workspace, day, "workspace-day not rated");
                        failed.insert((workspace, day));
                    }
                }
            }
        }
    }
    Ok(done)
}

/// Rates one workspace-day in one transaction; `None` when another run took it first.
pub async fn rate_workspace_day(
    state: &AppState,
    workspace: i64,
    day: &str,
    currency: Currency,
    now: i64,
) -> Result<Option<Rated>, RunError> {
    let mut tx = state.db.begin_write().await?;
    if store::claim_day(&mut tx, workspace, day, now).await? == 0 {
        return Ok(None);
    }
    let row = crate::workspaces::store::workspace_by_id(&mut tx, workspace)
        .await?
        .ok_or_else(|| RunError::Refused(format!("no workspace {workspace}")))?;
    let records = store::day_records(&mut tx, workspace, day).await?;
    // The account the new records were reported for pays (a workspace is not unbound while
    // it has usage not yet rated).
    let account = records
        .iter()
        .find(|r| r.rated_at == now)
        .map(|r| r.billing_account_id)
        .ok_or_else(|| RunError::Refused("no records".into()))?;
    let version = store::version_on(&mut tx, currency.code(), day)
        .await?
        .ok_or_else(|| RunError::Refused(format!("no {currency} price list on {day}")))?;
    let prices: HashMap<(String, String), store::PriceEntry> = store::prices(&mut tx, version.id)
        .await?
        .into_iter()
        .map(|p| ((p.item_code.clone(), p.tier.clone()), p))
        .collect();
    let price_of = |item: &str, tier: &str| {
        prices.get(&(item.to_string(), tier.to_string())).map(|p| Price {
            counting: p.counting,
            unit_size: p.unit_size,
            unit_price_micros: p.unit_price_micros,
        })
    };
    let as_rated: Vec<Record> = records
        .iter()
        .map(|r| Record {
            item: r.item.clone(),
            tier: r.tier.clone(),
            hour: r.hour,
            quantity: r.quantity,
        })
        .collect();
    let lines = rating::rate_day(&as_rated, price_of, currency)?;
    let before: BTreeMap<(String, String), (i64, i64)> =
        store::posted_so_far(&mut tx, workspace, day).await?.into_iter().collect();
    let mut late: BTreeMap<(String, String), i64> = BTreeMap::new();
    for record in records.iter().filter(|r| r.rated_at == now) {
        *late.entry((record.item.clone(), record.tier.clone())).or_default() += 1;
    }
    let (settlement, cloud) = match (row.settlement, row.cloud_account_id) {
        (Settlement::Cloud, Some(cloud)) => ("cloud", Some(cloud)),
        _ => ("billing_center", None),
    };
    let mut done = Rated::default();
    for line in lines {
        let key = (line.item.clone(), line.tier.clone());
        let previous = before.get(&key).copied();
        let Some(amount) = rating::to_post(previous.map(|(amount, _)| amount), line.amount) else {
            continue;
        };
        if amount < 0 {
            // Records only add and a rated day keeps its prices, so a day's amount never
            // falls; if it did, the difference is not taken back silently.
            return Err(RunError::Refused(format!(
                "{day} {} {}: rerating gives less than was posted",
                line.item, line.tier
            )));
        }
        let revision = previous.map_or(0, |(_, revisions)| revisions);
        let price = &prices[&key];
        let id = store::insert_line(
            &mut tx,
            &NewLine {
                account,
                workspace,
                day,
                item: &line.item,
                tier: &line.tier,
                revision,
                currency: currency.code(),
                quantity: line.quantity,
                records: line.records,
                late_records: if revision > 0 { late.get(&key).copied().unwrap_or(0) } else { 0 },
                price_version: version.id,
                unit_price_micros: price.unit_price_micros,
                unit_size: price.unit_size,
                amount,
                previous_amount: previous.map_or(0, |(amount, _)| amount),
                settlement,
                cloud_account: cloud,
                now,
            },
        )
        .await?;
        if revision > 0 {
            done.restatements += 1;
        }
        done.lines += 1;
        if amount == 0 {
            continue;
        }
        let tier = if line.tier.is_empty() { String::new() } else { format!(" ({})", line.tier) };
        let restated = if revision > 0 { format!(" · restatement {revision}") } else { String::new() };
        let reference = format!("{day} · {} · {}{tier}{restated}", row.name, price.name_en);
        let key = format!("rating:{workspace}:{day}:{}:{}:{revision}", line.item, line.tier);
        let charge = Charge {
            account,
            currency,
            item: &line.item,
            amount,
            reference: &reference,
            key: &key,
            at: now,
        };
        let payer = cloud.map_or(Payer::Account, Payer::Cloud);
        let deduction = pay(&mut tx, state.db.backend(), &charge, payer).await?;
        store::set_line_journal(&mut tx, id, deduction.posted.id()).await?;
        // What the cloud is to collect is reported to its marketplace after commit.
        let collect: i64 = deduction
            .parts
            .iter()
            .filter(|part| part.kind == crate::ledger::LedgerKind::CloudSettlement)
            .map(|part| part.amount)
            .sum();
        if let (Some(cloud), true) = (cloud, collect > 0) {
            store::insert_cloud_metering(&mut tx, id, cloud, collect, currency.code(), now).await?;
        }
    }
    tx.commit().await?;
    Ok(Some(done))
}
