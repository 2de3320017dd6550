//! The metering benchmark (README, "Performance"), run by `cargo bench -p app --features ssr
//! --bench metering` on both backends. It reports ratios against baselines measured in the
//! same run: usage ingestion through the handler's code path (parse, verify, dedupe, store)
//! against a raw batched insert of the same rows; the rating run (rating and deduction) of
//! many workspace-days against plain inserts of as many rows as it wrote; and the
//! ten-thousandth page of consumption details against the first.
use super::details;
use super::model::{ConsumptionQuery, LINES_PER_PAGE};
use super::simulator::{self, BATCH};
use super::store::{self, NewRecord};
use crate::funds::bench::{median, new_account, plain_inserts, BenchError};
use crate::server::db::{now_millis, Backend, Db};
use crate::state::AppState;
use crate::time::{Zone, DAY_MS, HOUR_MS};
use sqlx::Row;
use std::time::{Duration, Instant};

/// Days of usage each workspace reports.
const DAYS: i64 = 84;

#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Usage records taken in through the ingestion code path.
    pub records: usize,
    /// Workspace-days rated (at least; whole workspaces of `DAYS` days).
    pub workspace_days: usize,
    /// Daily lines of the paged account.
    pub lines: i64,
    /// Times each page query runs (the median counts).
    pub repeats: usize,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub backend: Backend,
    pub records: usize,
    pub ingest_time: Duration,
    pub raw_insert_time: Duration,
    pub workspace_days: u64,
    pub rated_lines: u64,
    pub rating_time: Duration,
    pub rating_rows: i64,
    pub rating_baseline: Duration,
    pub lines: i64,
    pub first_page: Duration,
    pub deep_page_number: i64,
    pub deep_page: Duration,
    pub deep_page_rows: usize,
}

impl Report {
    pub fn records_per_second(&self) -> f64 {
        self.records as f64 / self.ingest_time.as_secs_f64()
    }

    /// The ingestion's speed as a share of the raw insert's (1.0: as fast).
    pub fn ingest_ratio(&self) -> f64 {
        self.raw_insert_time.as_secs_f64() / self.ingest_time.as_secs_f64()
    }

    pub fn workspace_days_per_second(&self) -> f64 {
        self.workspace_days as f64 / self.rating_time.as_secs_f64()
    }

    /// How many times longer rating took than plain inserts of as many rows.
    pub fn rating_ratio(&self) -> f64 {
        self.rating_time.as_secs_f64() / self.rating_baseline.as_secs_f64()
    }

    pub fn deep_page_ratio(&self) -> f64 {
        self.deep_page.as_secs_f64() / self.first_page.as_secs_f64()
    }
}

/// Runs the benchmark on `db` (a scratch database: it adds accounts, workspaces, records and
/// lines).
pub async fn run(db: &Db, sizes: Sizes) -> Result<Report, BenchError> {
    let config = crate::config::Config::from_lookup(|_| None)?;
    let options = leptos::prelude::LeptosOptions::builder().output_name("billing-center").build();
    let state = AppState::new(options, db.clone(), config).await?;
    // Whole hours, so that every record's hour is the start of an hour.
    let now = now_millis() - now_millis().rem_euclid(HOUR_MS);
    crate::workspaces::simulator::ensure_key(db, state.site_key_secret.expose(), "CN1", now).await?;
    let account = new_account(db, "Bench Usage").await?;

    // Ingestion: the simulator's records of as many workspaces as it takes.
    let mut records = Vec::new();
    let mut workspaces = 0;
    while records.len() < sizes.records {
        let uuid = workspace(db, account, workspaces, now).await?;
        records.extend(simulator::usage(&uuid, DAYS, now, 100));
        workspaces += 1;
    }
    records.truncate(sizes.records);
    let count = records.len();
    let start = Instant::now();
    let answer = simulator::ingest_here(&state, "CN1", records).await?;
    let ingest_time = start.elapsed();
    if answer.accepted.len() != count {
        return Err(format!("{} of {count} records accepted", answer.accepted.len()).into());
    }
    let raw_insert_time = raw_inserts(db).await?;

    // Rating: more workspaces' records, stored directly (not measured), until there are
    // enough workspace-days.
    while (workspaces as usize) * (DAYS as usize) < sizes.workspace_days {
        let uuid = workspace(db, account, workspaces, now).await?;
        store_directly(db, account, &uuid, now).await?;
        workspaces += 1;
    }
    let rows_before = written_rows(db).await?;
    let start = Instant::now();
    let rated = super::run::rate_due(&state, now + DAY_MS).await?;
    let rating_time = start.elapsed();
    let rating_rows = written_rows(db).await? - rows_before;
    let rating_baseline = plain_inserts(db, rated.days as usize, rating_rows).await?;

    // Consumption details at `lines` lines.
    let paged = new_account(db, "Bench Lines").await?;
    bulk_lines(db, paged, sizes.lines, now).await?;
    let query = |before: Option<i64>| ConsumptionQuery { before, ..Default::default() };
    let first_page = median(sizes.repeats, || async {
        details::lines(&state, paged, &query(None)).await.map(|_| ()).map_err(|e| sqlx::Error::Protocol(e.to_string()))
    })
    .await?;
    let deep_page_number = (sizes.lines / LINES_PER_PAGE).clamp(1, 10_000);
    let cursor: Option<i64> = match deep_page_number {
        1 => None,
        n => Some(
            sqlx::query("SELECT id FROM daily_lines WHERE billing_account_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2")
                .bind(paged)
                .bind((n - 1) * LINES_PER_PAGE - 1)
                .fetch_one(db.pool())
                .await?
                .try_get("id")?,
        ),
    };
    let deep_page = median(sizes.repeats, || async {
        details::lines(&state, paged, &query(cursor)).await.map(|_| ()).map_err(|e| sqlx::Error::Protocol(e.to_string()))
    })
    .await?;
    let deep_page_rows = details::lines(&state, paged, &query(cursor)).await.map_err(|e| e.to_string())?.rows.len();
    Ok(Report {
        backend: db.backend(),
        records: count,
        ingest_time,
        raw_insert_time,
        workspace_days: rated.days,
        rated_lines: rated.lines,
        rating_time,
        rating_rows,
        rating_baseline,
        lines: sizes.lines,
        first_page,
        deep_page_number,
        deep_page,
        deep_page_rows,
    })
}

/// Workspace number `n` of CN1, bound to `account`: its workspace id.
async fn workspace(db: &Db, account: i64, n: i64, now: i64) -> Result<String, sqlx::Error> {
    let uuid = format!("wksp_bench_{n}");
    let mut tx = db.begin_write().await?;
    let row = crate::workspaces::store::known_workspace(&mut tx, "CN1", &uuid, &uuid, now).await?;
    crate::workspaces::store::bind(&mut tx, row.id, account, now).await?;
    tx.commit().await?;
    Ok(uuid)
}

/// Every stored usage record as a row to insert.
async fn stored_records(db: &Db) -> Result<Vec<NewRecord>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT record_id, workspace_id, billing_account_id, item_code, tier, hour, day, quantity_micros \
         FROM usage_records ORDER BY received_at, record_id",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(NewRecord {
                record_id: r.try_get("record_id")?,
                workspace_id: r.try_get("workspace_id")?,
                billing_account_id: r.try_get("billing_account_id")?,
                item: r.try_get("item_code")?,
                tier: r.try_get("tier")?,
                hour: r.try_get("hour")?,
                day: r.try_get("day")?,
                quantity: r.try_get("quantity_micros")?,
            })
        })
        .collect()
}

/// The baseline: the rows the ingestion stored, inserted again as they are (the same columns,
/// the same multi-row statements, a transaction per batch as the ingestion used) into a table
/// like `usage_records`, with its unique key and indexes: what storing costs without the
/// handler's parsing, signature, checks and dedupe.
async fn raw_inserts(db: &Db) -> Result<Duration, sqlx::Error> {
    let key = match db.backend() {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    };
    for ddl in [
        // Its references too: checking them is part of storing a record.
        format!(
            "CREATE TABLE IF NOT EXISTS bench_usage_rows (id {key}, site_code TEXT NOT NULL REFERENCES sites (code), record_id TEXT NOT NULL, \
             workspace_id BIGINT NOT NULL REFERENCES workspaces (id), billing_account_id BIGINT NOT NULL REFERENCES billing_accounts (id), \
             item_code TEXT NOT NULL REFERENCES billing_items (code), tier TEXT NOT NULL, \
             hour BIGINT NOT NULL, day TEXT NOT NULL, quantity_micros BIGINT NOT NULL, received_at BIGINT NOT NULL, \
             rated_at BIGINT, UNIQUE (site_code, record_id))"
        ),
        "CREATE INDEX IF NOT EXISTS bench_usage_unrated ON bench_usage_rows (site_code, day) WHERE rated_at IS NULL".into(),
        "CREATE INDEX IF NOT EXISTS bench_usage_by_day ON bench_usage_rows (workspace_id, day, item_code, tier, hour)".into(),
    ] {
        sqlx::query(&ddl).execute(db.pool()).await?;
    }
    let rows = stored_records(db).await?;
    let start = Instant::now();
    for batch in rows.chunks(BATCH) {
        let mut tx = db.begin_write().await?;
        store::insert_rows(&mut tx, "bench_usage_rows", "CN1", batch, now_millis()).await?;
        tx.commit().await?;
    }
    Ok(start.elapsed())
}

/// A workspace's simulated records stored without the API (set-up, not measured).
async fn store_directly(db: &Db, account: i64, uuid: &str, now: i64) -> Result<(), sqlx::Error> {
    let zone = Zone::named("Asia/Shanghai").unwrap_or_else(|_| Zone::utc());
    let id: i64 = sqlx::query_scalar("SELECT id FROM workspaces WHERE site_code = 'CN1' AND workspace_uuid = $1")
        .bind(uuid)
        .fetch_one(db.pool())
        .await?;
    let records: Vec<NewRecord> = simulator::usage(uuid, DAYS, now, 100)
        .into_iter()
        .filter_map(|r| {
            let hour = super::ingestion::parse_hour(&r.hour).ok()?;
            Some(NewRecord {
                quantity: super::ingestion::parse_quantity(&r.quantity).ok()?,
                day: zone.date(hour),
                record_id: r.record_id,
                workspace_id: id,
                billing_account_id: account,
                item: r.item,
                tier: r.tier,
                hour,
            })
        })
        .collect();
    let mut tx = db.begin_write().await?;
    store::insert_records(&mut tx, "CN1", &records, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Rows rating writes: daily lines, journal transactions and postings.
async fn written_rows(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM daily_lines) + (SELECT COUNT(*) FROM journal_transactions) \
         + (SELECT COUNT(*) FROM postings)",
    )
    .fetch_one(db.pool())
    .await
}

/// `count` daily lines of nothing for `account` (one workspace, one item, distinct
/// revisions), written in bulk by SQL: a line of nothing posts nothing, so the books still
/// reconcile.
async fn bulk_lines(db: &Db, account: i64, count: i64, now: i64) -> Result<(), sqlx::Error> {
    let workspace: i64 = {
        let mut tx = db.begin_write().await?;
        let row = crate::workspaces::store::known_workspace(&mut tx, "CN1", "wksp_bench_lines", "Lines", now).await?;
        crate::workspaces::store::bind(&mut tx, row.id, account, now).await?;
        tx.commit().await?;
        row.id
    };
    let series = match db.backend() {
        Backend::Sqlite => "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $1) ",
        Backend::Postgres => "WITH s(n) AS (SELECT generate_series(1, $1::BIGINT)) ",
    };
    let mut tx = db.begin_write().await?;
    sqlx::query(&format!(
        "{series}INSERT INTO daily_lines (billing_account_id, workspace_id, day, item_code, tier, revision, currency, \
         quantity_micros, records, late_records, price_version_id, unit_price_micros, unit_size, amount, previous_amount, \
         settlement, rated_at) \
         SELECT $2, $3, '2026-01-01', 'logs', '30d', n, 'CNY', 0, 0, 0, 1, 2000000, 1000000, 0, 0, 'billing_center', $4 FROM s"
    ))
    .bind(count)
    .bind(account)
    .bind(workspace)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::query("ANALYZE").execute(db.pool()).await?;
    if db.backend() == Backend::Sqlite {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(db.pool()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing::db_test;

    // The benchmark at a small size: it must run on both backends and leave books that
    // reconcile. (Its timings are reported by `cargo bench`, never asserted.)
    db_test!(the_metering_benchmark_runs_and_the_books_reconcile, |db| async move {
        let report = run(&db, Sizes { records: 1_500, workspace_days: 3 * DAYS as usize, lines: 2_000, repeats: 3 })
            .await
            .expect("benchmark");
        assert_eq!(report.records, 1_500);
        // The ingested part of a first workspace, and two more of 84 days each.
        assert!(report.workspace_days >= 2 * DAYS as u64, "{}", report.workspace_days);
        assert!(report.rating_rows > report.rated_lines as i64);
        assert_eq!(report.deep_page_number, 40);
        assert_eq!(report.deep_page_rows, LINES_PER_PAGE as usize);
        let raw: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bench_usage_rows").fetch_one(db.pool()).await.expect("rows");
        assert_eq!(raw, 1_500);
        let mut conn = db.pool().acquire().await.expect("conn");
        assert!(crate::ledger::posting::reconcile(&mut conn).await.expect("ledger").is_empty());
        assert!(store::lines_off_their_postings(&mut conn).await.expect("lines").is_empty());
    });
}
