//! SQL of verification codes. Every function takes the caller's connection or transaction.
use super::model::{Address, Purpose};
use super::rules::StoredCode;
use sqlx::{AnyConnection, Row};

/// The latest code for an address and purpose, with its id and hash.
pub struct LatestCode {
    pub id: i64,
    pub code_hash: String,
    pub stored: StoredCode,
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

/// Counts one attempt at code `id` if it has fewer than `max` and is unused: the attempts it
/// had before, or `None` when no attempt is left. One statement, so racing requests each get
/// their own attempt or none.
pub async fn reserve_attempt(
    conn: &mut AnyConnection,
    id: i64,
    max: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query(
        "UPDATE verification_codes SET attempts = attempts + 1 \
         WHERE id = $1 AND attempts < $2 AND used_at IS NULL RETURNING attempts",
    )
    .bind(id)
    .bind(max)
    .fetch_optional(conn)
    .await?
    .map(|row| row.try_get::<i64, _>("attempts").map(|after| after - 1))
    .transpose()
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
