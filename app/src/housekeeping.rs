//! Forgetting rows nobody can use any more, on the scheduled timer: verification codes past
//! every rate-limit window, sessions long over, development outbox messages. The security log
//! and the ledger are kept: they are the account's history.
use crate::server::db::Db;
use crate::time::DAY_MS;

/// Codes count towards the daily limits for a day; kept a day longer.
pub const CODES_KEPT_MS: i64 = 2 * DAY_MS;
/// Ended or expired sessions (the Security page lists live ones only).
pub const SESSIONS_KEPT_MS: i64 = 30 * DAY_MS;
/// Development outbox messages.
pub const OUTBOX_KEPT_MS: i64 = 7 * DAY_MS;

/// How many rows each kind lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub codes: u64,
    pub sessions: u64,
    pub outbox: u64,
    /// Rate-limit counters whose window is long over.
    pub limits: u64,
    /// Messages of the send queue that went out (or were given up) long ago.
    pub queue: u64,
    /// Nonces of bind proofs long expired, and webhook events delivered (or given up) long ago.
    pub workspaces: u64,
}

impl Forgotten {
    pub fn total(&self) -> u64 {
        self.codes + self.sessions + self.outbox + self.limits + self.queue + self.workspaces
    }
}

/// Deletes what is past keeping at `now`. Each delete is its own statement, safe to run on
/// several replicas at once.
pub async fn forget_old_rows(db: &Db, now: i64) -> Result<Forgotten, sqlx::Error> {
    let codes = sqlx::query("DELETE FROM verification_codes WHERE sent_at < $1")
        .bind(now - CODES_KEPT_MS)
        .execute(db.pool())
        .await?
        .rows_affected();
    // A session is over once ended, or once its absolute lifetime ran out.
    let sessions =
        sqlx::query("DELETE FROM sessions WHERE COALESCE(ended_at, created_at + $1) < $2")
            .bind(crate::accounts::service::SESSION_ABSOLUTE_MS)
            .bind(now - SESSIONS_KEPT_MS)
            .execute(db.pool())
            .await?
            .rows_affected();
    let outbox = sqlx::query("DELETE FROM outbox_messages WHERE created_at < $1")
        .bind(now - OUTBOX_KEPT_MS)
        .execute(db.pool())
        .await?
        .rows_affected();
    // The longest limit window is a day.
    let limits = crate::server::limits::forget_before(db, now - CODES_KEPT_MS).await?;
    let queue = sqlx::query(
        "DELETE FROM outgoing_messages WHERE created_at < $1 \
         AND (sent_at IS NOT NULL OR failed_at IS NOT NULL)",
    )
    .bind(now - OUTBOX_KEPT_MS)
    .execute(db.pool())
    .await?
    .rows_affected();
    let workspaces = {
        use crate::workspaces::{store, webhooks};
        let mut conn = db.pool().acquire().await?;
        // A proof expires within the hour; its nonce is kept a day past that.
        store::forget_nonces(&mut conn, now - DAY_MS).await?
            + store::forget_site_events(&mut conn, now - OUTBOX_KEPT_MS, webhooks::MAX_ATTEMPTS)
                .await?
    };
    Ok(Forgotten {
        codes,
        sessions,
        outbox,
        limits,
        queue,
        workspaces,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::now_millis;
    use crate::server::testing::db_test;
    use sqlx::Row;

    async fn count(db: &Db, table: &str) -> i64 {
        sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(db.pool())
            .await
            .and_then(|row| row.try_get("n"))
            .expect("count")
    }

    db_test!(
        old_rows_are_forgotten_and_recent_ones_kept,
        |db| async move {
            let account = crate::demo::seed_account(&db).await.expect("account");
            let user = crate::team::testing::owner_of(&db, account).await;
            let now = now_millis();
            let long_ago = now - 40 * DAY_MS;
            for sent_at in [long_ago, now - 3 * DAY_MS, now - DAY_MS, now] {
                sqlx::query(
                "INSERT INTO verification_codes (channel, address, purpose, code_hash, client_addr, sent_at) \
                 VALUES ('email', 'a@example.com', 'sign_in', 'h', '10.0.0.1', $1)",
            )
            .bind(sent_at)
            .execute(db.pool())
            .await
            .expect("code");
                sqlx::query(
                    "INSERT INTO outbox_messages (channel, address, subject, body, created_at) \
                 VALUES ('email', 'a@example.com', 's', 'b', $1)",
                )
                .bind(sent_at)
                .execute(db.pool())
                .await
                .expect("message");
            }
            // Ended long ago, expired long ago, ended yesterday, live.
            for (i, (created_at, ended_at)) in [
                (long_ago, Some(long_ago)),
                (long_ago, None),
                (now - DAY_MS, Some(now - DAY_MS)),
                (now, None),
            ]
            .into_iter()
            .enumerate()
            {
                sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, account_id, created_at, last_seen_at, user_agent, client_addr, ended_at) \
                 VALUES ($1, $2, $5, $3, $3, 'test', '10.0.0.1', $4)",
            )
            .bind(format!("token-{i}"))
            .bind(user)
            .bind(created_at)
            .bind(ended_at)
            .bind(account)
            .execute(db.pool())
            .await
            .expect("session");
            }
            let forgotten = forget_old_rows(&db, now).await.expect("housekeeping");
            assert_eq!(
                forgotten,
                Forgotten {
                    codes: 2,
                    sessions: 2,
                    outbox: 1,
                    limits: 0,
                    queue: 0,
                    workspaces: 0,
                }
            );
            assert_eq!(count(&db, "verification_codes").await, 2);
            assert_eq!(count(&db, "sessions").await, 2);
            assert_eq!(count(&db, "outbox_messages").await, 3);
            assert_eq!(forget_old_rows(&db, now).await.expect("again").total(), 0);
        }
    );
}
