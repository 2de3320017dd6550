//! SQL of the workspaces area: sites and their keys, workspaces, their history, bind nonces.
use super::model::{Cloud, CloudAccountStatus, LockReason, Settlement, Site, WorkspaceEventKind};
use crate::money::Currency;
use crate::server::db::{keyset_older, Db};
use sqlx::{AnyConnection, Row};

pub async fn list_sites(db: &Db, currency: Option<Currency>) -> Result<Vec<Site>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT code, location, cloud, currency, time_zone FROM sites \
         WHERE ($1 = '' OR currency = $1) ORDER BY position",
    )
    .bind(currency.map(Currency::code).unwrap_or(""))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let currency: String = row.try_get("currency")?;
            let cloud: Option<String> = row.try_get("cloud")?;
            Ok(Site {
                code: row.try_get("code")?,
                location: row.try_get("location")?,
                cloud: cloud.and_then(|c| c.parse().ok()),
                currency: currency
                    .parse()
                    .map_err(|e: crate::money::MoneyError| sqlx::Error::Decode(Box::new(e)))?,
                time_zone: row.try_get("time_zone")?,
            })
        })
        .collect()
}

/// A site as binding needs it.
#[derive(sqlx::FromRow)]
pub struct SiteRow {
    pub code: String,
    pub currency: String,
    pub time_zone: String,
    pub cloud: Option<String>,
}

impl SiteRow {
    pub fn cloud(&self) -> Option<Cloud> {
        self.cloud.as_deref().and_then(|c| c.parse().ok())
    }
}

pub async fn site(conn: &mut AnyConnection, code: &str) -> Result<Option<SiteRow>, sqlx::Error> {
    sqlx::query_as("SELECT code, currency, time_zone, cloud FROM sites WHERE code = $1")
        .bind(code)
        .fetch_optional(conn)
        .await
}

/// Whether `version` of the site's key exists and is not retired at `now`.
pub async fn key_is_live(
    conn: &mut AnyConnection,
    site: &str,
    version: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT version FROM site_keys WHERE site_code = $1 AND version = $2 \
         AND (retired_at IS NULL OR retired_at > $3)",
    )
    .bind(site)
    .bind(version)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// The newest live version of the site's key.
pub async fn current_key(
    conn: &mut AnyConnection,
    site: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT version FROM site_keys WHERE site_code = $1 \
         AND (retired_at IS NULL OR retired_at > $2) ORDER BY version DESC LIMIT 1",
    )
    .bind(site)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(found.map(|(v,)| v))
}

/// A new key version for the site; the live ones before it retire at `retire_at`.
pub async fn new_key(
    conn: &mut AnyConnection,
    site: &str,
    now: i64,
    retire_at: i64,
) -> Result<i64, sqlx::Error> {
    let (latest,): (i64,) =
        sqlx::query_as("SELECT COALESCE(MAX(version), 0) FROM site_keys WHERE site_code = $1")
            .bind(site)
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query(
        "UPDATE site_keys SET retired_at = $1 WHERE site_code = $2 \
         AND (retired_at IS NULL OR retired_at > $1)",
    )
    .bind(retire_at)
    .bind(site)
    .execute(&mut *conn)
    .await?;
    let version = latest + 1;
    sqlx::query("INSERT INTO site_keys (site_code, version, created_at) VALUES ($1, $2, $3)")
        .bind(site)
        .bind(version)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(version)
}

/// Takes a bind proof's nonce; `false` when it was taken before (a replay).
pub async fn take_nonce(
    conn: &mut AnyConnection,
    site: &str,
    nonce: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO bind_nonces (site_code, nonce, expires_at, used_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (site_code, nonce) DO NOTHING",
    )
    .bind(site)
    .bind(nonce)
    .bind(expires_at)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets webhook events delivered before `before`, and those older given up or for a site
/// that no longer has a webhook.
pub async fn forget_site_events(
    conn: &mut AnyConnection,
    before: i64,
    max_attempts: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM site_events WHERE (delivered_at IS NOT NULL AND delivered_at < $1) \
         OR (created_at < $1 AND (attempts >= $2 \
             OR site_code NOT IN (SELECT site_code FROM site_webhooks)))",
    )
    .bind(before)
    .bind(max_attempts)
    .execute(conn)
    .await?
    .rows_affected())
}

/// Forgets nonces of proofs that expired before `before` (they cannot be replayed anyway).
pub async fn forget_nonces(conn: &mut AnyConnection, before: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM bind_nonces WHERE expires_at < $1")
        .bind(before)
        .execute(conn)
        .await?
        .rows_affected())
}

/// A workspace as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct WorkspaceRow {
    pub id: i64,
    pub workspace_uuid: String,
    pub name: String,
    pub site_code: String,
    pub billing_account_id: Option<i64>,
    #[sqlx(try_from = "String")]
    pub settlement: Settlement,
    pub locked_at: Option<i64>,
    pub lock_reason: Option<String>,
    pub bound_at: Option<i64>,
    pub cloud_account_id: Option<i64>,
    pub settlement_changed_at: Option<i64>,
}

impl WorkspaceRow {
    pub fn lock_reason(&self) -> Option<LockReason> {
        self.lock_reason.as_deref().and_then(LockReason::from_code)
    }
}

const WORKSPACE_COLUMNS: &str = "id, workspace_uuid, name, site_code, billing_account_id, \
     settlement, locked_at, lock_reason, bound_at, cloud_account_id, settlement_changed_at";

/// The workspace `uuid` of `site` (a workspace ID is unique per site only).
pub async fn workspace_at(
    conn: &mut AnyConnection,
    site: &str,
    uuid: &str,
) -> Result<Option<WorkspaceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE site_code = $1 AND workspace_uuid = $2"
    ))
    .bind(site)
    .bind(uuid)
    .fetch_optional(conn)
    .await
}

/// The account's workspace `id`; `None` for another account's (or no) workspace.
pub async fn workspace_of(
    conn: &mut AnyConnection,
    account: i64,
    id: i64,
) -> Result<Option<WorkspaceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = $1 AND billing_account_id = $2"
    ))
    .bind(id)
    .bind(account)
    .fetch_optional(conn)
    .await
}

/// The workspace `uuid` of `site`, made known (bound to no one) if it was not; when two make it
/// at once, both get the one row.
pub async fn known_workspace(
    conn: &mut AnyConnection,
    site: &str,
    uuid: &str,
    name: &str,
    now: i64,
) -> Result<WorkspaceRow, sqlx::Error> {
    sqlx::query(
        "INSERT INTO workspaces (workspace_uuid, name, site_code, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (site_code, workspace_uuid) DO NOTHING",
    )
    .bind(uuid)
    .bind(name)
    .bind(site)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    workspace_at(conn, site, uuid)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

pub async fn rename_workspace(
    conn: &mut AnyConnection,
    id: i64,
    name: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE workspaces SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Binds an unbound workspace to `account`, paid by the Billing Center account; `false` when
/// it is bound already (to anyone), so two binds at once bind once.
pub async fn bind(
    conn: &mut AnyConnection,
    id: i64,
    account: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE workspaces SET billing_account_id = $1, bound_at = $2, settlement = 'billing_center', \
         cloud_account_id = NULL, settlement_changed_at = NULL \
         WHERE id = $3 AND billing_account_id IS NULL",
    )
    .bind(account)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Unbinds the account's workspace unless it is locked; `false` when nothing changed.
pub async fn unbind(conn: &mut AnyConnection, id: i64, account: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE workspaces SET billing_account_id = NULL, bound_at = NULL \
         WHERE id = $1 AND billing_account_id = $2 AND locked_at IS NULL",
    )
    .bind(id)
    .bind(account)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A line of a workspace's history to write.
pub struct NewEvent<'a> {
    pub workspace: i64,
    pub account: Option<i64>,
    pub kind: WorkspaceEventKind,
    pub detail: &'a str,
    pub actor: &'a str,
    pub now: i64,
}

pub async fn insert_event(conn: &mut AnyConnection, event: &NewEvent<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO workspace_events (workspace_id, billing_account_id, kind, detail, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(event.workspace)
    .bind(event.account)
    .bind(event.kind.code())
    .bind(event.detail)
    .bind(event.actor)
    .bind(event.now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A line of a workspace's history as stored.
#[derive(sqlx::FromRow)]
pub struct EventRow {
    #[sqlx(try_from = "String")]
    pub kind: WorkspaceEventKind,
    pub detail: String,
    pub actor: String,
    pub created_at: i64,
}

/// The workspace's history while bound to `account`, newest first (a workspace that moved
/// keeps what happened under its earlier account to that account).
pub async fn events(
    conn: &mut AnyConnection,
    workspace: i64,
    account: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT kind, detail, actor, created_at FROM workspace_events \
         WHERE workspace_id = $1 AND billing_account_id = $2 ORDER BY id DESC LIMIT 200",
    )
    .bind(workspace)
    .bind(account)
    .fetch_all(conn)
    .await
}

/// Which workspaces by lock and settlement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    All,
    Locked,
    /// Not locked, optionally of one settlement method only.
    Unlocked(Option<Settlement>),
    /// None at all (a state no workspace of the account can be in now).
    Nothing,
}

/// Which of an account's workspaces to list.
pub struct WorkspaceFilter<'a> {
    pub account: i64,
    pub site: Option<&'a str>,
    pub rows: Rows,
    /// A piece of the name or workspace ID, already lower-case.
    pub words: &'a str,
    pub before: Option<i64>,
    pub limit: i64,
}

pub async fn workspaces(
    conn: &mut AnyConnection,
    filter: &WorkspaceFilter<'_>,
) -> Result<Vec<WorkspaceRow>, sqlx::Error> {
    let older = keyset_older("id", filter.before, 7);
    let sql = format!(
        "SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE billing_account_id = $1 \
         AND ($2 = '' OR site_code = $2) \
         AND ($3 = 'all' OR ($3 = 'locked' AND locked_at IS NOT NULL) \
              OR ($3 = 'unlocked' AND locked_at IS NULL AND ($6 = '' OR settlement = $6))) \
         AND ($4 = '' OR LOWER(name) LIKE $4 ESCAPE '\\' OR LOWER(workspace_uuid) LIKE $4 ESCAPE '\\') \
         {older} ORDER BY id DESC LIMIT $5"
    );
    let words = if filter.words.is_empty() {
        String::new()
    } else {
        crate::server::db::like_pattern(filter.words)
    };
    let mut query = sqlx::query_as(&sql)
        .bind(filter.account)
        .bind(filter.site.unwrap_or(""))
        .bind(match filter.rows {
            Rows::All => "all",
            Rows::Locked => "locked",
            Rows::Unlocked(_) => "unlocked",
            Rows::Nothing => "nothing",
        })
        .bind(words)
        .bind(filter.limit)
        .bind(match filter.rows {
            Rows::Unlocked(Some(settlement)) => settlement.code(),
            _ => "",
        });
    if let Some(before) = filter.before {
        query = query.bind(before);
    }
    query.fetch_all(conn).await
}

/// Accounts that owe (their arrears below zero) with no open arrears period.
pub async fn owing_without_period(conn: &mut AnyConnection) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT DISTINCT la.billing_account_id FROM ledger_accounts la \
         WHERE la.kind = 'arrears' AND la.balance < 0 AND la.billing_account_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM arrears_periods p \
                         WHERE p.billing_account_id = la.billing_account_id AND p.cleared_at IS NULL) \
         ORDER BY la.billing_account_id",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Opens the account's arrears period; `false` when one is open already or, by now, nothing is
/// owed.
pub async fn open_period(
    conn: &mut AnyConnection,
    account: i64,
    now: i64,
    lock_at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO arrears_periods (billing_account_id, started_at, lock_at) SELECT $1, $2, $3 \
         WHERE EXISTS (SELECT 1 FROM ledger_accounts WHERE billing_account_id = $1 \
                       AND kind = 'arrears' AND balance < 0) \
         ON CONFLICT DO NOTHING",
    )
    .bind(account)
    .bind(now)
    .bind(lock_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An open arrears period with what the account owes now (minor units).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PeriodRow {
    pub id: i64,
    pub billing_account_id: i64,
    pub lock_at: i64,
    pub reminded_at: Option<i64>,
    pub locked_at: Option<i64>,
    pub owed: i64,
}

const PERIOD_COLUMNS: &str = "p.id, p.billing_account_id, p.lock_at, p.reminded_at, p.locked_at, \
     CAST(COALESCE((SELECT -SUM(la.balance) FROM ledger_accounts la \
                    WHERE la.billing_account_id = p.billing_account_id AND la.kind = 'arrears'), 0) \
          AS BIGINT) AS owed";

pub async fn open_periods(conn: &mut AnyConnection) -> Result<Vec<PeriodRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {PERIOD_COLUMNS} FROM arrears_periods p WHERE p.cleared_at IS NULL ORDER BY p.id"
    ))
    .fetch_all(conn)
    .await
}

/// Locks the period's row for the caller's transaction and reads it afresh; `None` when it is
/// closed by now. A run acts on what it reads here, never on the list it started from: another
/// replica's run, or money received, may have moved the period on since.
pub async fn lock_open_period(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<PeriodRow>, sqlx::Error> {
    let locked = sqlx::query("UPDATE arrears_periods SET id = id WHERE id = $1 AND cleared_at IS NULL")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if locked.rows_affected() == 0 {
        return Ok(None);
    }
    sqlx::query_as(&format!("SELECT {PERIOD_COLUMNS} FROM arrears_periods p WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The account's open arrears period, if any.
pub async fn open_period_of(
    conn: &mut AnyConnection,
    account: i64,
) -> Result<Option<PeriodRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {PERIOD_COLUMNS} FROM arrears_periods p \
         WHERE p.cleared_at IS NULL AND p.billing_account_id = $1"
    ))
    .bind(account)
    .fetch_optional(conn)
    .await
}

/// Sets one step of a period (`cleared_at`, `reminded_at` or `locked_at`) once; `false` when
/// it was set already (another replica, an earlier run).
pub async fn claim_period_step(
    conn: &mut AnyConnection,
    id: i64,
    step: &'static str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    debug_assert!(matches!(step, "cleared_at" | "reminded_at" | "locked_at"));
    let done = sqlx::query(&format!(
        "UPDATE arrears_periods SET {step} = $1 WHERE id = $2 AND {step} IS NULL AND cleared_at IS NULL"
    ))
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Locks the account's unlocked workspaces of one settlement method (all of them for `None`);
/// returns the ids locked.
pub async fn lock_workspaces(
    conn: &mut AnyConnection,
    account: i64,
    settlement: Option<Settlement>,
    reason: LockReason,
    now: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "UPDATE workspaces SET locked_at = $1, lock_reason = $2 \
         WHERE billing_account_id = $3 AND locked_at IS NULL AND ($4 = '' OR settlement = $4) \
         RETURNING id",
    )
    .bind(now)
    .bind(reason.code())
    .bind(account)
    .bind(settlement.map(Settlement::code).unwrap_or(""))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Locks one workspace of `account` for `reason` (`Some`), or lifts an operator's lock (`None`);
/// `false` when nothing changed (or it is not the account's). An operator's lock replaces one
/// for another reason (so paying the arrears does not lift it); an operator's unlock lifts only
/// an operator's lock (arrears unlock when paid; an ended subscription when rebound).
pub async fn set_lock(
    conn: &mut AnyConnection,
    account: i64,
    id: i64,
    lock: Option<LockReason>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = match lock {
        Some(reason) => {
            sqlx::query(
                "UPDATE workspaces SET locked_at = COALESCE(locked_at, $1), lock_reason = $2 \
                 WHERE id = $3 AND billing_account_id = $4 \
                 AND (locked_at IS NULL OR ($2 = 'operator' AND lock_reason <> 'operator'))",
            )
            .bind(now)
            .bind(reason.code())
            .bind(id)
            .bind(account)
            .execute(conn)
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE workspaces SET locked_at = NULL, lock_reason = NULL \
                 WHERE id = $1 AND billing_account_id = $2 AND lock_reason = 'operator'",
            )
            .bind(id)
            .bind(account)
            .execute(conn)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// Unlocks the account's workspaces locked for `reason`; returns the ids unlocked.
pub async fn unlock_workspaces(
    conn: &mut AnyConnection,
    account: i64,
    reason: LockReason,
) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "UPDATE workspaces SET locked_at = NULL, lock_reason = NULL \
         WHERE billing_account_id = $1 AND lock_reason = $2 RETURNING id",
    )
    .bind(account)
    .bind(reason.code())
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

pub async fn workspace_by_id(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<WorkspaceRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {WORKSPACE_COLUMNS} FROM workspaces WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The site's webhook address, if it has one.
pub async fn site_webhook(
    conn: &mut AnyConnection,
    site: &str,
) -> Result<Option<String>, sqlx::Error> {
    let found: Option<(String,)> = sqlx::query_as("SELECT url FROM site_webhooks WHERE site_code = $1")
        .bind(site)
        .fetch_optional(conn)
        .await?;
    Ok(found.map(|(url,)| url))
}

pub async fn insert_site_event(
    conn: &mut AnyConnection,
    event_id: &str,
    workspace: &WorkspaceRow,
    payload: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO site_events (event_id, site_code, workspace_uuid, payload, created_at, next_attempt_at) \
         VALUES ($1, $2, $3, $4, $5, $5)",
    )
    .bind(event_id)
    .bind(&workspace.site_code)
    .bind(&workspace.workspace_uuid)
    .bind(payload)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A webhook event due for an attempt, with where it goes.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SiteEventRow {
    pub id: i64,
    pub event_id: String,
    pub site_code: String,
    pub payload: String,
    pub next_attempt_at: i64,
    pub attempts: i64,
    pub url: String,
}

pub async fn due_site_events(
    conn: &mut AnyConnection,
    now: i64,
    max_attempts: i64,
    limit: i64,
) -> Result<Vec<SiteEventRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.id, e.event_id, e.site_code, e.payload, e.next_attempt_at, e.attempts, w.url \
         FROM site_events e JOIN site_webhooks w ON w.site_code = e.site_code \
         WHERE e.delivered_at IS NULL AND e.next_attempt_at <= $1 AND e.attempts < $2 \
         AND NOT EXISTS (SELECT 1 FROM site_events o WHERE o.site_code = e.site_code \
                         AND o.workspace_uuid = e.workspace_uuid AND o.id < e.id \
                         AND o.delivered_at IS NULL AND o.attempts < $2) \
         ORDER BY e.id LIMIT $3",
    )
    .bind(now)
    .bind(max_attempts)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Holds an event for one attempt until `until`; `false` when another replica took it.
pub async fn claim_site_event(
    conn: &mut AnyConnection,
    id: i64,
    seen_next: i64,
    until: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE site_events SET next_attempt_at = $1 \
         WHERE id = $2 AND next_attempt_at = $3 AND delivered_at IS NULL",
    )
    .bind(until)
    .bind(id)
    .bind(seen_next)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn site_event_delivered(
    conn: &mut AnyConnection,
    id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE site_events SET delivered_at = $1, attempts = attempts + 1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn site_event_failed(
    conn: &mut AnyConnection,
    id: i64,
    next: i64,
    error: &str,
) -> Result<(), sqlx::Error> {
    let error: String = error.chars().take(500).collect();
    sqlx::query(
        "UPDATE site_events SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 \
         WHERE id = $3",
    )
    .bind(next)
    .bind(error)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing::db_test;

    db_test!(sites_filter_by_currency, |db| async move {
        let all = list_sites(&db, None).await.expect("all sites");
        let codes: Vec<&str> = all.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(
            codes,
            ["CN1", "CN2", "CN4", "CN5", "CN6", "US1", "EU1", "AP1"]
        );
        let usd = list_sites(&db, Some(Currency::USD))
            .await
            .expect("USD sites");
        assert_eq!(usd.len(), 3);
        assert!(usd.iter().all(|s| s.currency == Currency::USD));
        assert_eq!(all[0].cloud, Some(crate::workspaces::Cloud::Aliyun));
    });
}

/// A cloud account as settlement reads it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CloudAccountFacts {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub cloud: Cloud,
    pub cloud_account_ref: String,
    #[sqlx(try_from = "String")]
    pub status: CloudAccountStatus,
    pub billing_account_id: Option<i64>,
}

const CLOUD_ACCOUNT_FACTS: &str = "id, cloud, cloud_account_ref, status, billing_account_id";

pub async fn cloud_account_facts(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<CloudAccountFacts>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {CLOUD_ACCOUNT_FACTS} FROM cloud_accounts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The cloud accounts linked to `account`, oldest first.
pub async fn cloud_accounts_of(
    conn: &mut AnyConnection,
    account: i64,
) -> Result<Vec<CloudAccountFacts>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {CLOUD_ACCOUNT_FACTS} FROM cloud_accounts WHERE billing_account_id = $1 ORDER BY id"
    ))
    .bind(account)
    .fetch_all(conn)
    .await
}

/// Whether an operator let `account` settle through any cloud's account.
pub async fn any_cloud(conn: &mut AnyConnection, account: i64) -> Result<bool, sqlx::Error> {
    let found: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT any_cloud_since FROM billing_accounts WHERE id = $1")
            .bind(account)
            .fetch_optional(conn)
            .await?;
    Ok(matches!(found, Some((Some(_),))))
}

/// A workspace's move to another settlement method, made only if nobody changed it since it
/// was read (two changes at once: one wins).
pub struct SettlementMove<'a> {
    pub workspace: &'a WorkspaceRow,
    pub settlement: Settlement,
    pub cloud_account_id: Option<i64>,
    pub now: i64,
}

pub async fn move_settlement(
    conn: &mut AnyConnection,
    change: &SettlementMove<'_>,
) -> Result<bool, sqlx::Error> {
    let was = change.workspace;
    let done = sqlx::query(
        "UPDATE workspaces SET settlement = $1, cloud_account_id = $2, settlement_changed_at = $3 \
         WHERE id = $4 AND billing_account_id = $5 AND settlement = $6 \
         AND COALESCE(cloud_account_id, 0) = $7 AND COALESCE(settlement_changed_at, 0) = $8",
    )
    .bind(change.settlement.code())
    .bind(change.cloud_account_id)
    .bind(change.now)
    .bind(was.id)
    .bind(was.billing_account_id)
    .bind(was.settlement.code())
    .bind(was.cloud_account_id.unwrap_or(0))
    .bind(was.settlement_changed_at.unwrap_or(0))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Lifts a lock of `reason` from one workspace; `false` when it was not locked so.
pub async fn lift_lock(
    conn: &mut AnyConnection,
    id: i64,
    reason: LockReason,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE workspaces SET locked_at = NULL, lock_reason = NULL WHERE id = $1 AND lock_reason = $2",
    )
    .bind(id)
    .bind(reason.code())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A workspace a cloud account's change touched, with the account it is bound to.
#[derive(Clone, Copy, Debug, sqlx::FromRow)]
pub struct Touched {
    pub id: i64,
    pub billing_account_id: i64,
}

/// The workspaces `cloud_account` pays for move to the Billing Center account.
pub async fn fall_back_to_billing_center(
    conn: &mut AnyConnection,
    cloud_account: i64,
) -> Result<Vec<Touched>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE workspaces SET settlement = 'billing_center', cloud_account_id = NULL \
         WHERE cloud_account_id = $1 AND settlement = 'cloud' AND billing_account_id IS NOT NULL \
         RETURNING id, billing_account_id",
    )
    .bind(cloud_account)
    .fetch_all(conn)
    .await
}

/// Locks the unlocked workspaces `cloud_account` pays for, as its subscription ended.
pub async fn lock_paid_by_cloud_account(
    conn: &mut AnyConnection,
    cloud_account: i64,
    now: i64,
) -> Result<Vec<Touched>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE workspaces SET locked_at = $1, lock_reason = 'subscription_ended' \
         WHERE cloud_account_id = $2 AND settlement = 'cloud' AND locked_at IS NULL \
         AND billing_account_id IS NOT NULL RETURNING id, billing_account_id",
    )
    .bind(now)
    .bind(cloud_account)
    .fetch_all(conn)
    .await
}

/// Unlocks the workspaces locked because `cloud_account`'s subscription ended.
pub async fn unlock_paid_by_cloud_account(
    conn: &mut AnyConnection,
    cloud_account: i64,
) -> Result<Vec<Touched>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE workspaces SET locked_at = NULL, lock_reason = NULL \
         WHERE cloud_account_id = $1 AND lock_reason = 'subscription_ended' \
         AND billing_account_id IS NOT NULL RETURNING id, billing_account_id",
    )
    .bind(cloud_account)
    .fetch_all(conn)
    .await
}

/// Holds an active cloud account of `account` for the rest of the transaction (a row lock on
/// PostgreSQL), so a subscription stopping at the same moment waits for a workspace moving onto
/// it, or the move sees it stopped; `false` when it is not active (or not the account's).
pub async fn hold_active_cloud_account(
    conn: &mut AnyConnection,
    id: i64,
    account: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE cloud_accounts SET status = status WHERE id = $1 AND billing_account_id = $2 \
         AND status = 'active'",
    )
    .bind(id)
    .bind(account)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
