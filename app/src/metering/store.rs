//! Every query of metering: billing items and prices, usage records, daily lines.
use super::model::Counting;
use crate::server::db::{backend_of, Backend};
use sqlx::{AnyConnection, Row};

/// A billing item with its price in one version.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PriceEntry {
    pub item_code: String,
    pub name_en: String,
    pub name_zh: String,
    pub unit_en: String,
    pub unit_zh: String,
    pub unit_size: i64,
    #[sqlx(try_from = "String")]
    pub counting: Counting,
    pub vouchers_allowed: i64,
    pub tier: String,
    pub unit_price_micros: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VersionRow {
    pub id: i64,
    pub currency: String,
    pub effective_from: String,
    pub note: String,
    pub created_by: String,
}

const VERSION_COLUMNS: &str = "id, currency, effective_from, note, created_by";

/// Every version of `currency`, earliest first.
pub async fn versions(
    conn: &mut AnyConnection,
    currency: &str,
) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM price_versions WHERE currency = $1 ORDER BY effective_from"
    ))
    .bind(currency)
    .fetch_all(conn)
    .await
}

/// The version of `currency` in force on `day` (YYYY-MM-DD).
pub async fn version_on(
    conn: &mut AnyConnection,
    currency: &str,
    day: &str,
) -> Result<Option<VersionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM price_versions WHERE currency = $1 AND effective_from <= $2 \
         ORDER BY effective_from DESC LIMIT 1"
    ))
    .bind(currency)
    .bind(day)
    .fetch_optional(conn)
    .await
}

/// A version's prices with their items, in price list order.
pub async fn prices(
    conn: &mut AnyConnection,
    version: i64,
) -> Result<Vec<PriceEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.item_code, i.name_en, i.name_zh, i.unit_en, i.unit_zh, i.unit_size, i.counting, \
         i.vouchers_allowed, p.tier, p.unit_price_micros FROM prices p \
         JOIN billing_items i ON i.code = p.item_code WHERE p.version_id = $1 \
         ORDER BY i.position, p.position",
    )
    .bind(version)
    .fetch_all(conn)
    .await
}

/// The (item, tier) pairs any version of `currency` prices: what usage may name.
pub async fn priced_pairs(
    conn: &mut AnyConnection,
    currency: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT p.item_code, p.tier FROM prices p JOIN price_versions v ON v.id = p.version_id \
         WHERE v.currency = $1",
    )
    .bind(currency)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("item_code")?, row.try_get("tier")?)))
        .collect()
}

/// Whether vouchers may pay `item` (an item not in the list: they may).
pub async fn vouchers_may_pay(conn: &mut AnyConnection, item: &str) -> Result<bool, sqlx::Error> {
    let allowed: Option<i64> =
        sqlx::query_scalar("SELECT vouchers_allowed FROM billing_items WHERE code = $1")
            .bind(item)
            .fetch_optional(conn)
            .await?;
    Ok(allowed != Some(0))
}

/// Every billing item: code and names (filters).
pub async fn items(conn: &mut AnyConnection) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    let rows = sqlx::query("SELECT code, name_en, name_zh FROM billing_items ORDER BY position")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("code")?, row.try_get("name_en")?, row.try_get("name_zh")?)))
        .collect()
}

/// A new price version and its prices ((item, tier, unit price micros) in order).
pub async fn insert_version(
    conn: &mut AnyConnection,
    version: &VersionRow,
    prices: &[(String, String, i64)],
    now: i64,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO price_versions (currency, effective_from, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(&version.currency)
    .bind(&version.effective_from)
    .bind(&version.note)
    .bind(&version.created_by)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    for (position, (item, tier, micros)) in prices.iter().enumerate() {
        sqlx::query(
            "INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(item)
        .bind(tier)
        .bind(*micros)
        .bind(position as i64 + 1)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// A site's workspace as ingestion needs it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct IngestTarget {
    pub id: i64,
    pub billing_account_id: Option<i64>,
    pub locked_at: Option<i64>,
    pub lock_reason: Option<String>,
}

pub async fn ingest_target(
    conn: &mut AnyConnection,
    site: &str,
    uuid: &str,
) -> Result<Option<IngestTarget>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, billing_account_id, locked_at, lock_reason FROM workspaces \
         WHERE site_code = $1 AND workspace_uuid = $2",
    )
    .bind(site)
    .bind(uuid)
    .fetch_optional(conn)
    .await
}

/// A usage record to store (or as stored, to compare with a repeat).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRecord {
    pub record_id: String,
    pub workspace_id: i64,
    pub billing_account_id: i64,
    pub item: String,
    pub tier: String,
    pub hour: i64,
    pub day: String,
    pub quantity: i64,
}

/// Ids per `IN (...)` lookup: well under both databases' limits on bound parameters.
const CHUNK: usize = 400;

/// Stores the records whose ids `site` has not used; returns the ids stored.
pub async fn insert_records(
    conn: &mut AnyConnection,
    site: &str,
    records: &[NewRecord],
    now: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let sql = records_insert(conn, "usage_records")
        + " ON CONFLICT (site_code, record_id) DO NOTHING RETURNING record_id";
    sqlx::query_scalar::<_, String>(&sql)
        .bind(site)
        .bind(now)
        .bind(rows_json(records))
        .fetch_all(&mut *conn)
        .await
}

/// The same rows as they are into `table` (of usage_records' columns), nothing checked: the
/// benchmark's baseline.
pub async fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    site: &str,
    records: &[NewRecord],
    now: i64,
) -> Result<(), sqlx::Error> {
    let sql = records_insert(conn, table);
    sqlx::query(&sql).bind(site).bind(now).bind(rows_json(records)).execute(&mut *conn).await?;
    Ok(())
}

/// `INSERT INTO table (...) SELECT ...` of the rows in `$3`, a JSON array of arrays
/// ([`rows_json`]); `$1` the site, `$2` the time. One parameter carries a whole batch: a
/// VALUES list would bind eight parameters a row, each a round through the driver, and both
/// databases cap their number, so a batch would take many statements. (`WHERE true` lets
/// SQLite read a following `ON CONFLICT` as the upsert it is.)
fn records_insert(conn: &AnyConnection, table: &str) -> String {
    let (from, int) = match backend_of(conn) {
        Backend::Sqlite => ("json_each($3)", ""),
        Backend::Postgres => ("jsonb_array_elements($3::jsonb) AS batch (value)", "::BIGINT"),
    };
    let text = |n: usize| format!("value ->> {n}");
    let number = |n: usize| format!("(value ->> {n}){int}");
    format!(
        "INSERT INTO {table} (site_code, record_id, workspace_id, billing_account_id, \
         item_code, tier, hour, day, quantity_micros, received_at) \
         SELECT $1, {}, {}, {}, {}, {}, {}, {}, {}, $2 FROM {from} WHERE true",
        text(0),
        number(1),
        number(2),
        text(3),
        text(4),
        number(5),
        text(6),
        number(7),
    )
}

/// The records as rows of a JSON array, in `records_insert`'s column order.
fn rows_json(records: &[NewRecord]) -> String {
    let rows: Vec<_> = records
        .iter()
        .map(|r| (&r.record_id, r.workspace_id, r.billing_account_id, &r.item, &r.tier, r.hour, &r.day, r.quantity))
        .collect();
    serde_json::to_string(&rows).unwrap_or_default()
}

/// The stored records of `site` with these ids.
pub async fn records_by_id(
    conn: &mut AnyConnection,
    site: &str,
    ids: &[&str],
) -> Result<Vec<NewRecord>, sqlx::Error> {
    let mut found = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let places: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT record_id, workspace_id, billing_account_id, item_code, tier, hour, day, quantity_micros \
             FROM usage_records WHERE site_code = $1 AND record_id IN ({})",
            places.join(",")
        );
        let mut query = sqlx::query(&sql).bind(site);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.push(NewRecord {
                record_id: row.try_get("record_id")?,
                workspace_id: row.try_get("workspace_id")?,
                billing_account_id: row.try_get("billing_account_id")?,
                item: row.try_get("item_code")?,
                tier: row.try_get("tier")?,
                hour: row.try_get("hour")?,
                day: row.try_get("day")?,
                quantity: row.try_get("quantity_micros")?,
            });
        }
    }
    Ok(found)
}

/// Workspace-days of `site` with records not yet rated, on days before `before` (the site's
/// today), oldest first.
pub async fn unrated_days(
    conn: &mut AnyConnection,
    site: &str,
    before: &str,
    limit: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT workspace_id, day FROM usage_records \
         WHERE site_code = $1 AND rated_at IS NULL AND day < $2 ORDER BY day, workspace_id LIMIT $3",
    )
    .bind(site)
    .bind(before)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("workspace_id")?, row.try_get("day")?)))
        .collect()
}

/// Marks a workspace-day's unrated records as rated; how many there were (0: another run
/// took them first).
pub async fn claim_day(
    conn: &mut AnyConnection,
    workspace: i64,
    day: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE usage_records SET rated_at = $3 WHERE workspace_id = $1 AND day = $2 AND rated_at IS NULL",
    )
    .bind(workspace)
    .bind(day)
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Every record of a workspace-day: (item, tier, hour, quantity, billing account, rated now).
#[derive(Clone, Debug)]
pub struct DayRecord {
    pub item: String,
    pub tier: String,
    pub hour: i64,
    pub quantity: i64,
    pub billing_account_id: i64,
    pub rated_at: i64,
}

pub async fn day_records(
    conn: &mut AnyConnection,
    workspace: i64,
    day: &str,
) -> Result<Vec<DayRecord>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT item_code, tier, hour, quantity_micros, billing_account_id, rated_at FROM usage_records \
         WHERE workspace_id = $1 AND day = $2",
    )
    .bind(workspace)
    .bind(day)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DayRecord {
                item: row.try_get("item_code")?,
                tier: row.try_get("tier")?,
                hour: row.try_get("hour")?,
                quantity: row.try_get("quantity_micros")?,
                billing_account_id: row.try_get("billing_account_id")?,
                rated_at: row.try_get::<Option<i64>, _>("rated_at")?.unwrap_or(0),
            })
        })
        .collect()
}

/// What a workspace-day's lines of each item and tier have posted so far, and how many
/// revisions each has: ((item, tier), (amount, revisions)).
pub async fn posted_so_far(
    conn: &mut AnyConnection,
    workspace: i64,
    day: &str,
) -> Result<Vec<((String, String), (i64, i64))>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT item_code, tier, amount, revision FROM daily_lines WHERE workspace_id = $1 AND day = $2",
    )
    .bind(workspace)
    .bind(day)
    .fetch_all(conn)
    .await?;
    let mut totals: std::collections::BTreeMap<(String, String), (i64, i64)> = Default::default();
    for row in &rows {
        let key = (row.try_get("item_code")?, row.try_get("tier")?);
        let entry = totals.entry(key).or_default();
        // Refused rather than wrapped: a day's lines never come near the bound.
        entry.0 = entry
            .0
            .checked_add(row.try_get("amount")?)
            .ok_or_else(|| sqlx::Error::Protocol("a day's lines overflow".into()))?;
        entry.1 = entry.1.max(row.try_get::<i64, _>("revision")? + 1);
    }
    Ok(totals.into_iter().collect())
}

/// A daily line to store.
#[derive(Clone, Debug)]
pub struct NewLine<'a> {
    pub account: i64,
    pub workspace: i64,
    pub day: &'a str,
    pub item: &'a str,
    pub tier: &'a str,
    pub revision: i64,
    pub currency: &'a str,
    pub quantity: i64,
    pub records: i64,
    pub late_records: i64,
    pub price_version: i64,
    pub unit_price_micros: i64,
    pub unit_size: i64,
    pub amount: i64,
    pub previous_amount: i64,
    pub settlement: &'a str,
    pub cloud_account: Option<i64>,
    pub now: i64,
}

pub async fn insert_line(conn: &mut AnyConnection, line: &NewLine<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO daily_lines (billing_account_id, workspace_id, day, item_code, tier, revision, currency, \
         quantity_micros, records, late_records, price_version_id, unit_price_micros, unit_size, amount, \
         previous_amount, settlement, cloud_account_id, rated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id",
    )
    .bind(line.account)
    .bind(line.workspace)
    .bind(line.day)
    .bind(line.item)
    .bind(line.tier)
    .bind(line.revision)
    .bind(line.currency)
    .bind(line.quantity)
    .bind(line.records)
    .bind(line.late_records)
    .bind(line.price_version)
    .bind(line.unit_price_micros)
    .bind(line.unit_size)
    .bind(line.amount)
    .bind(line.previous_amount)
    .bind(line.settlement)
    .bind(line.cloud_account)
    .bind(line.now)
    .fetch_one(conn)
    .await
}

pub async fn set_line_journal(
    conn: &mut AnyConnection,
    line: i64,
    journal: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE daily_lines SET journal_id = $2 WHERE id = $1")
        .bind(line)
        .bind(journal)
        .execute(conn)
        .await?;
    Ok(())
}

/// A stored line with what the pages show beside it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LineRow {
    pub id: i64,
    pub workspace_id: i64,
    pub workspace_name: String,
    pub workspace_uuid: String,
    pub day: String,
    pub item_code: String,
    pub name_en: String,
    pub name_zh: String,
    pub unit_en: String,
    pub unit_zh: String,
    #[sqlx(try_from = "String")]
    pub counting: Counting,
    pub tier: String,
    pub revision: i64,
    pub currency: String,
    pub quantity_micros: i64,
    pub late_records: i64,
    pub unit_price_micros: i64,
    pub unit_size: i64,
    pub amount: i64,
    pub previous_amount: i64,
    pub journal_id: Option<i64>,
}

const LINE_SELECT: &str = "SELECT l.id, l.workspace_id, w.name AS workspace_name, w.workspace_uuid, l.day, \
     l.item_code, i.name_en, i.name_zh, i.unit_en, i.unit_zh, i.counting, l.tier, l.revision, l.currency, \
     l.quantity_micros, l.late_records, l.unit_price_micros, l.unit_size, l.amount, l.previous_amount, l.journal_id \
     FROM daily_lines l JOIN workspaces w ON w.id = l.workspace_id JOIN billing_items i ON i.code = l.item_code";

/// Consumption details' filter: days as stored (YYYY-MM-DD, both included), a workspace, an
/// item.
#[derive(Clone, Debug, Default)]
pub struct LineFilter {
    pub from: Option<String>,
    pub to: Option<String>,
    pub workspace: Option<i64>,
    pub item: Option<String>,
}

/// A page of an account's lines, newest first, older than `before`; `limit + 1` rows.
pub async fn lines(
    conn: &mut AnyConnection,
    account: i64,
    filter: &LineFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<LineRow>, sqlx::Error> {
    // The cursor is a plain range only when there is one: `($n IS NULL OR id < $n)` keeps
    // SQLite from starting the scan at the cursor, and the 10,000th page read every row above.
    let older = if before.is_some() { "AND l.id < $6" } else { "AND $6 IS NULL" };
    sqlx::query_as(&format!(
        "{LINE_SELECT} WHERE l.billing_account_id = $1 \
         AND ($2 IS NULL OR l.day >= $2) AND ($3 IS NULL OR l.day <= $3) \
         AND ($4 IS NULL OR l.workspace_id = $4) AND ($5 IS NULL OR l.item_code = $5) \
         {older} ORDER BY l.id DESC LIMIT $7"
    ))
    .bind(account)
    .bind(filter.from.as_deref())
    .bind(filter.to.as_deref())
    .bind(filter.workspace)
    .bind(filter.item.as_deref())
    .bind(before)
    .bind(limit + 1)
    .fetch_all(conn)
    .await
}

/// One of an account's lines.
pub async fn line_of(
    conn: &mut AnyConnection,
    account: i64,
    id: i64,
) -> Result<Option<LineRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{LINE_SELECT} WHERE l.billing_account_id = $1 AND l.id = $2"
    ))
    .bind(account)
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Every revision of a line's day and item, oldest first.
pub async fn revisions(
    conn: &mut AnyConnection,
    line: &LineRow,
) -> Result<Vec<LineRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{LINE_SELECT} WHERE l.workspace_id = $1 AND l.day = $2 AND l.item_code = $3 AND l.tier = $4 \
         ORDER BY l.revision"
    ))
    .bind(line.workspace_id)
    .bind(&line.day)
    .bind(&line.item_code)
    .bind(&line.tier)
    .fetch_all(conn)
    .await
}

/// The hourly records behind a line: (hour, quantity).
pub async fn line_hours(
    conn: &mut AnyConnection,
    line: &LineRow,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT hour, quantity_micros FROM usage_records WHERE workspace_id = $1 AND day = $2 \
         AND item_code = $3 AND tier = $4 ORDER BY hour",
    )
    .bind(line.workspace_id)
    .bind(&line.day)
    .bind(&line.item_code)
    .bind(&line.tier)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("hour")?, row.try_get("quantity_micros")?)))
        .collect()
}

/// What paid each of these journal transactions: (journal, ledger kind, instrument, amount).
pub async fn payers(
    conn: &mut AnyConnection,
    journals: &[i64],
) -> Result<Vec<(i64, String, i64, i64)>, sqlx::Error> {
    if journals.is_empty() {
        return Ok(Vec::new());
    }
    let places: Vec<String> = (0..journals.len()).map(|i| format!("${}", i + 1)).collect();
    let sql = format!(
        "SELECT p.transaction_id, la.kind, la.instrument_id, p.amount FROM postings p \
         JOIN ledger_accounts la ON la.id = p.ledger_account_id \
         WHERE p.transaction_id IN ({}) AND p.amount < 0 ORDER BY p.id",
        places.join(",")
    );
    let mut query = sqlx::query(&sql);
    for journal in journals {
        query = query.bind(*journal);
    }
    query
        .fetch_all(conn)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("transaction_id")?,
                row.try_get("kind")?,
                row.try_get("instrument_id")?,
                -row.try_get::<i64, _>("amount")?,
            ))
        })
        .collect()
}

/// Whether a workspace has usage not yet rated (it may not be unbound then).
pub async fn has_unrated_usage(conn: &mut AnyConnection, workspace: i64) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT workspace_id FROM usage_records WHERE workspace_id = $1 AND rated_at IS NULL LIMIT 1",
    )
    .bind(workspace)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Each workspace's amount of lines on days from `from` (YYYY-MM-DD) on, of an account.
pub async fn cost_since(
    conn: &mut AnyConnection,
    account: i64,
    from: &str,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT workspace_id, CAST(SUM(amount) AS BIGINT) AS total FROM daily_lines WHERE billing_account_id = $1 AND day >= $2 \
         GROUP BY workspace_id",
    )
    .bind(account)
    .bind(from)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("workspace_id")?, row.try_get("total")?)))
        .collect()
}

/// (id, name) of the workspaces an account has bound or has daily lines of, by name.
pub async fn line_workspaces(
    conn: &mut AnyConnection,
    account: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name FROM workspaces WHERE billing_account_id = $1 OR id IN \
         (SELECT DISTINCT workspace_id FROM daily_lines WHERE billing_account_id = $1) ORDER BY name, id",
    )
    .bind(account)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("name")?)))
        .collect()
}

/// Every price version, by currency and first day.
pub async fn all_versions(conn: &mut AnyConnection) -> Result<Vec<VersionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {VERSION_COLUMNS} FROM price_versions ORDER BY currency, effective_from"
    ))
    .fetch_all(conn)
    .await
}

/// Daily lines whose posting is not what they say: a line with an amount whose journal
/// transaction is missing or took another amount as revenue, or a line of nothing that
/// posted. Empty when every line equals its postings (`server reconcile`).
pub async fn lines_off_their_postings(conn: &mut AnyConnection) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT l.id FROM daily_lines l LEFT JOIN \
         (SELECT p.transaction_id, SUM(p.amount) AS revenue FROM postings p \
          JOIN ledger_accounts la ON la.id = p.ledger_account_id WHERE la.kind = 'revenue' \
          GROUP BY p.transaction_id) r ON r.transaction_id = l.journal_id \
         WHERE (l.amount > 0 AND (r.revenue IS NULL OR r.revenue <> l.amount)) \
            OR (l.amount = 0 AND l.journal_id IS NOT NULL) ORDER BY l.id",
    )
    .fetch_all(conn)
    .await
}

/// A cloud-settled line's amount for its marketplace to collect, to report after commit.
pub async fn insert_cloud_metering(
    conn: &mut AnyConnection,
    line: i64,
    cloud_account: i64,
    amount: i64,
    currency: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cloud_meterings (daily_line_id, cloud_account_id, amount, currency, status, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5, $5)",
    )
    .bind(line)
    .bind(cloud_account)
    .bind(amount)
    .bind(currency)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// What the marketplaces are asked to collect

/// A cloud-settled part not yet in a report.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Unreported {
    pub id: i64,
    pub amount: i64,
    pub currency: String,
    pub created_at: i64,
}

/// Cloud accounts with parts not yet in a report and no report made since `hour` (one report
/// an hour at most: AWS may take records of one customer and hour as repeats).
pub async fn unreported_accounts(conn: &mut AnyConnection, hour: i64, limit: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT m.cloud_account_id FROM cloud_meterings m \
         WHERE m.report_id IS NULL AND m.status = 'pending' \
         AND NOT EXISTS (SELECT 1 FROM cloud_reports r WHERE r.cloud_account_id = m.cloud_account_id AND r.metered_at >= $1) \
         ORDER BY m.cloud_account_id LIMIT $2",
    )
    .bind(hour)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A cloud account's parts not yet in a report, oldest first.
pub async fn unreported(conn: &mut AnyConnection, cloud_account: i64, limit: i64) -> Result<Vec<Unreported>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, amount, currency, created_at FROM cloud_meterings \
         WHERE cloud_account_id = $1 AND report_id IS NULL AND status = 'pending' ORDER BY id LIMIT $2",
    )
    .bind(cloud_account)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// When the cloud account's last report was made (the end of its period).
pub async fn last_report_at(conn: &mut AnyConnection, cloud_account: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT MAX(metered_at) FROM cloud_reports WHERE cloud_account_id = $1")
        .bind(cloud_account)
        .fetch_one(conn)
        .await
}

/// What a new report says.
pub struct NewReport<'a> {
    pub cloud_account: i64,
    pub quantity: i64,
    pub currency: &'a str,
    pub period_start: i64,
    pub metered_at: i64,
    pub record_key: &'a str,
    pub now: i64,
}

/// A new report; `None` when the cloud account already has one of that time.
pub async fn insert_report(conn: &mut AnyConnection, new: &NewReport<'_>) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO cloud_reports (cloud_account_id, quantity, currency, period_start, metered_at, record_key, status, \
         next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7) \
         ON CONFLICT (cloud_account_id, metered_at) DO NOTHING RETURNING id",
    )
    .bind(new.cloud_account)
    .bind(new.quantity)
    .bind(new.currency)
    .bind(new.period_start)
    .bind(new.metered_at)
    .bind(new.record_key)
    .bind(new.now)
    .fetch_optional(conn)
    .await
}

/// Puts a part into a report; `false` when another replica's report took it first.
pub async fn attach(conn: &mut AnyConnection, part: i64, report: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE cloud_meterings SET report_id = $1 WHERE id = $2 AND report_id IS NULL")
        .bind(report)
        .bind(part)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A part no record can carry, refused by itself (so it holds up no other part).
pub async fn refuse_part(conn: &mut AnyConnection, part: i64, answer: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE cloud_meterings SET status = 'refused', answer = $1 WHERE id = $2 AND report_id IS NULL")
        .bind(answer)
        .bind(part)
        .execute(conn)
        .await?;
    Ok(())
}

/// Reports to send at `now`, with what their marketplace needs to know of the cloud account.
pub async fn due_reports(
    conn: &mut AnyConnection,
    now: i64,
    max_attempts: i64,
    limit: i64,
) -> Result<Vec<crate::cloud_accounts::metering::Report>, sqlx::Error> {
    sqlx::query_as(
        "SELECT r.id, r.cloud_account_id, c.cloud, c.subscription_ref, c.cloud_account_ref, c.customer_ref, c.product_code, \
         r.quantity, r.currency, r.period_start, r.metered_at, r.record_key, r.uncertain, r.attempts, r.next_attempt_at \
         FROM cloud_reports r JOIN cloud_accounts c ON c.id = r.cloud_account_id \
         WHERE r.status = 'pending' AND r.next_attempt_at <= $1 AND r.attempts < $2 ORDER BY r.id LIMIT $3",
    )
    .bind(now)
    .bind(max_attempts)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Holds a report for one attempt until `until`, which is then the attempt's token; `false`
/// when another replica took it.
pub async fn claim_report(conn: &mut AnyConnection, id: i64, seen_next: i64, until: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE cloud_reports SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 AND status = 'pending'",
    )
    .bind(until)
    .bind(id)
    .bind(seen_next)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The marketplace's last word on a report held by the attempt `token`: `accepted` or
/// `refused`, for the report and its parts; `false` (nothing written) when the attempt no
/// longer holds it.
pub async fn settle_report(
    conn: &mut AnyConnection,
    id: i64,
    token: i64,
    status: &str,
    answer: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let answer: String = answer.chars().take(500).collect();
    let done = sqlx::query(
        "UPDATE cloud_reports SET status = $1, answer = $2, settled_at = $3, attempts = attempts + 1 \
         WHERE id = $4 AND next_attempt_at = $5 AND status = 'pending'",
    )
    .bind(status)
    .bind(&answer)
    .bind(now)
    .bind(id)
    .bind(token)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE cloud_meterings SET status = $1, answer = $2, \
         accepted_at = CASE WHEN $1 = 'accepted' THEN CAST($3 AS BIGINT) ELSE NULL END WHERE report_id = $4",
    )
    .bind(status)
    .bind(&answer)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(true)
}

/// A report past its marketplace's window that surely never reached it: its parts go back to
/// be gathered again under a new time.
pub async fn expire_report(conn: &mut AnyConnection, id: i64, token: i64, answer: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE cloud_reports SET status = 'expired', answer = $1, settled_at = $2 \
         WHERE id = $3 AND next_attempt_at = $4 AND status = 'pending' AND uncertain = 0",
    )
    .bind(answer)
    .bind(now)
    .bind(id)
    .bind(token)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE cloud_meterings SET report_id = NULL WHERE report_id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(true)
}

/// A failed attempt: tried again at `next`; `uncertain` when it may have reached the
/// marketplace.
pub async fn report_failed(
    conn: &mut AnyConnection,
    id: i64,
    token: i64,
    next: i64,
    uncertain: bool,
    answer: &str,
) -> Result<bool, sqlx::Error> {
    let answer: String = answer.chars().take(500).collect();
    let done = sqlx::query(
        "UPDATE cloud_reports SET attempts = attempts + 1, next_attempt_at = $1, answer = $2, \
         uncertain = CASE WHEN $3 = 1 THEN 1 ELSE uncertain END \
         WHERE id = $4 AND next_attempt_at = $5 AND status = 'pending'",
    )
    .bind(next)
    .bind(answer)
    .bind(i64::from(uncertain))
    .bind(id)
    .bind(token)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Where the cloud-settled part of a line stands: status, the marketplace's answer, when it
/// was settled, and the cloud.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PartStatus {
    pub status: String,
    pub answer: Option<String>,
    pub amount: i64,
    pub accepted_at: Option<i64>,
    pub cloud: String,
}

pub async fn part_status(conn: &mut AnyConnection, line: i64) -> Result<Option<PartStatus>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.status, m.answer, m.amount, m.accepted_at, c.cloud FROM cloud_meterings m \
         JOIN cloud_accounts c ON c.id = m.cloud_account_id WHERE m.daily_line_id = $1",
    )
    .bind(line)
    .fetch_optional(conn)
    .await
}
