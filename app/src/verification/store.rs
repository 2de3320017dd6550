//! SQL of verification codes. Every function takes the caller's connection or transaction.
use super::model::{Address, Purpose};
use super::rules::{SendHistory, StoredCode, DAY_MS, HOUR_MS};
use sqlx::{AnyConnection, Row};

/// The latest code for an address and purpose, with its id and hash.
pub struct LatestCode {
    pub id: i64,
    pub code_hash: String,
    pub stored: StoredCode,
}

async fn count(
    conn: &mut AnyConnection,
    sql: &str,
    key: &str,
    since: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(sql)
        .bind(key)
        .bind(since)
        .fetch_one(conn)
        .await?
        .try_get("n")
}

pub async fn send_history(
    conn: &mut AnyConnection,
    address: &Address,
    purpose: Purpose,
    client_addr: &str,
    now: i64,
) -> Result<SendHistory, sqlx::Error> {
    let last_for_purpose_at: Option<i64> = sqlx::query(
        "SELECT MAX(sent_at) AS last FROM verification_codes WHERE address = $1 AND purpose = $2",
    )
    .bind(address.as_str())
    .bind(purpose.code())
    .fetch_one(&mut *conn)
    .await?
    .try_get("last")?;
    let by_address =
        "SELECT COUNT(*) AS n FROM verification_codes WHERE address = $1 AND sent_at > $2";
    let by_client =
        "SELECT COUNT(*) AS n FROM verification_codes WHERE client_addr = $1 AND sent_at > $2";
    Ok(SendHistory {
        last_for_purpose_at,
        address_last_hour: count(conn, by_address, address.as_str(), now - HOUR_MS).await?,
        address_last_day: count(conn, by_address, address.as_str(), now - DAY_MS).await?,
        client_last_hour: count(conn, by_client, client_addr, now - HOUR_MS).await?,
        client_last_day: count(conn, by_client, client_addr, now - DAY_MS).await?,
    })
}

pub async fn insert(
    conn: &mut AnyConnection,
    address: &Address,
    purpose: Purpose,
    code_hash: &str,
    client_addr: &str,
    sent_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO verification_codes (channel, address, purpose, code_hash, client_addr, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(address.channel().code())
    .bind(address.as_str())
    .bind(purpose.code())
    .bind(code_hash)
    .bind(client_addr)
    .bind(sent_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn latest(
    conn: &mut AnyConnection,
    address: &Address,
    purpose: Purpose,
) -> Result<Option<LatestCode>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, code_hash, sent_at, attempts, used_at FROM verification_codes \
         WHERE address = $1 AND purpose = $2 ORDER BY sent_at DESC, id DESC LIMIT 1",
    )
    .bind(address.as_str())
    .bind(purpose.code())
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let used_at: Option<i64> = row.try_get("used_at")?;
        Ok(LatestCode {
            id: row.try_get("id")?,
            code_hash: row.try_get("code_hash")?,
            stored: StoredCode {
                sent_at: row.try_get("sent_at")?,
                attempts: row.try_get("attempts")?,
                used: used_at.is_some(),
            },
        })
    })
    .transpose()
}

pub async fn count_attempt(conn: &mut AnyConnection, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE verification_codes SET attempts = attempts + 1 WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks the code used; false when another request used it first.
pub async fn mark_used(conn: &mut AnyConnection, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE verification_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}
