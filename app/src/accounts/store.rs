//! SQL of billing accounts, their sessions and their security log.
use super::model::AccountSummary;
use crate::verification::{Address, Channel};
use sqlx::{AnyConnection, Row};

/// An account found by a sign-in address.
pub struct Credentials {
    pub id: i64,
    pub password_hash: Option<String>,
}

fn address_column(address: &Address) -> &'static str {
    match address.channel() {
        Channel::Email => "email",
        Channel::Sms => "phone",
    }
}

pub async fn find_by_address(
    conn: &mut AnyConnection,
    address: &Address,
) -> Result<Option<Credentials>, sqlx::Error> {
    let sql = format!(
        "SELECT id, password_hash FROM billing_accounts WHERE {} = $1",
        address_column(address)
    );
    let row = sqlx::query(&sql)
        .bind(address.as_str())
        .fetch_optional(conn)
        .await?;
    row.map(|row| {
        Ok(Credentials {
            id: row.try_get("id")?,
            password_hash: row.try_get("password_hash")?,
        })
    })
    .transpose()
}

/// The settlement currency of a site, if the site exists.
pub async fn site_currency(
    conn: &mut AnyConnection,
    site_code: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT currency FROM sites WHERE code = $1")
        .bind(site_code)
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get("currency"))
        .transpose()
}

pub struct NewAccount<'a> {
    pub company_name: &'a str,
    pub site_code: &'a str,
    pub currency: &'a str,
    pub address: &'a Address,
    pub password_hash: Option<&'a str>,
}

pub async fn insert_account(
    conn: &mut AnyConnection,
    account: &NewAccount<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (email, phone) = match account.address.channel() {
        Channel::Email => (Some(account.address.as_str()), None),
        Channel::Sms => (None, Some(account.address.as_str())),
    };
    sqlx::query(
        "INSERT INTO billing_accounts (company_name, currency, site_code, created_at, email, phone, password_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(account.company_name)
    .bind(account.currency)
    .bind(account.site_code)
    .bind(now)
    .bind(email)
    .bind(phone)
    .bind(account.password_hash)
    .fetch_one(conn)
    .await?
    .try_get("id")
}

pub async fn set_password_hash(
    conn: &mut AnyConnection,
    account_id: i64,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE billing_accounts SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(account_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn summary(
    conn: &mut AnyConnection,
    account_id: i64,
) -> Result<Option<AccountSummary>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, company_name, email, phone, currency, site_code, password_hash \
         FROM billing_accounts WHERE id = $1",
    )
    .bind(account_id)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let password_hash: Option<String> = row.try_get("password_hash")?;
        Ok(AccountSummary {
            id: row.try_get("id")?,
            company_name: row.try_get("company_name")?,
            email: row.try_get("email")?,
            phone: row.try_get("phone")?,
            currency: row.try_get("currency")?,
            site_code: row.try_get("site_code")?,
            has_password: password_hash.is_some(),
        })
    })
    .transpose()
}

pub async fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    account_id: i64,
    user_agent: &str,
    client_addr: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, user_agent, client_addr) \
         VALUES ($1, $2, $3, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(now)
    .bind(user_agent)
    .bind(client_addr)
    .execute(conn)
    .await?;
    Ok(())
}

/// A live session: not ended, seen since `idle_since`, started since `started_since`.
pub struct LiveSession {
    pub id: i64,
    pub account_id: i64,
    pub last_seen_at: i64,
}

pub async fn live_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    idle_since: i64,
    started_since: i64,
) -> Result<Option<LiveSession>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, account_id, last_seen_at FROM sessions \
         WHERE token_hash = $1 AND ended_at IS NULL AND last_seen_at > $2 AND created_at > $3",
    )
    .bind(token_hash)
    .bind(idle_since)
    .bind(started_since)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(LiveSession {
            id: row.try_get("id")?,
            account_id: row.try_get("account_id")?,
            last_seen_at: row.try_get("last_seen_at")?,
        })
    })
    .transpose()
}

pub async fn touch_session(
    conn: &mut AnyConnection,
    session_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(now)
        .bind(session_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn end_session(
    conn: &mut AnyConnection,
    session_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
        .bind(now)
        .bind(session_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of the account except `keep` (none when `keep` is `None`).
pub async fn end_other_sessions(
    conn: &mut AnyConnection,
    account_id: i64,
    keep: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sessions SET ended_at = $1 WHERE account_id = $2 AND ended_at IS NULL AND id <> $3",
    )
    .bind(now)
    .bind(account_id)
    .bind(keep.unwrap_or(0))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn log_event(
    conn: &mut AnyConnection,
    account_id: Option<i64>,
    kind: &str,
    detail: &str,
    client_addr: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO security_events (account_id, kind, detail, client_addr, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(account_id)
    .bind(kind)
    .bind(detail)
    .bind(client_addr)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Events of `kind` since `since` whose detail is `detail` (e.g. failed sign-ins for one address).
pub async fn count_events_by_detail(
    conn: &mut AnyConnection,
    kind: &str,
    detail: &str,
    since: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM security_events WHERE kind = $1 AND detail = $2 AND created_at > $3")
        .bind(kind)
        .bind(detail)
        .bind(since)
        .fetch_one(conn)
        .await?
        .try_get("n")
}

/// Events of `kind` since `since` from one client address.
pub async fn count_events_by_client(
    conn: &mut AnyConnection,
    kind: &str,
    client_addr: &str,
    since: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "SELECT COUNT(*) AS n FROM security_events WHERE kind = $1 AND client_addr = $2 AND created_at > $3",
    )
    .bind(kind)
    .bind(client_addr)
    .bind(since)
    .fetch_one(conn)
    .await?
    .try_get("n")
}
