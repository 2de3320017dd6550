//! Counters that limit how often something may happen: codes sent to an address, sign-in
//! attempts for an address, wrong current passwords. They live in the database, so every
//! replica counts together, and a hit is taken by one conditional upsert *before* the work it
//! guards: parallel requests can never all read "below the limit" and all go ahead.
//!
//! A window opens at its first hit and lasts `window_ms`; once it is over, the next hit opens a
//! new one.
use sqlx::{AnyConnection, Row};

/// The part of a client address that limits count by: the address itself for IPv4, its /64
/// network for IPv6 (one customer gets a whole /64 and could rotate through it).
pub fn client_key(addr: &str) -> String {
    match addr.parse::<std::net::Ipv6Addr>() {
        Ok(ip) => {
            let s = ip.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Err(_) => addr.to_string(),
    }
}

/// One limit: at most `max` hits per `window_ms` on the counter `name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit {
    pub name: String,
    pub max: i64,
    pub window_ms: i64,
}

impl Limit {
    pub fn new(name: impl Into<String>, max: i64, window_ms: i64) -> Self {
        Self {
            name: name.into(),
            max,
            window_ms,
        }
    }
}

/// A hit refused: the limit is reached until `retry_after_ms` from now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reached {
    pub retry_after_ms: i64,
}

impl Reached {
    /// Whole seconds to wait, at least one (for `Retry-After` and messages).
    pub fn seconds(self) -> i64 {
        ((self.retry_after_ms + 999) / 1000).max(1)
    }
}

/// Takes one hit of `limit` at `now`, or says when it may be tried again. In the caller's
/// transaction when there is one, so a flow that fails later gives its hit back by rolling back.
pub async fn take(
    conn: &mut AnyConnection,
    limit: &Limit,
    now: i64,
) -> Result<Result<(), Reached>, sqlx::Error> {
    let window_over = now - limit.window_ms;
    let taken = sqlx::query(
        "INSERT INTO rate_limits (name, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (name) DO UPDATE SET \
           hits = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.hits + 1 END, \
           window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
         WHERE rate_limits.window_start <= $3 OR rate_limits.hits < $4 \
         RETURNING hits",
    )
    .bind(&limit.name)
    .bind(now)
    .bind(window_over)
    .bind(limit.max)
    .fetch_optional(&mut *conn)
    .await?;
    if taken.is_some() {
        return Ok(Ok(()));
    }
    let opened: i64 = sqlx::query("SELECT window_start FROM rate_limits WHERE name = $1")
        .bind(&limit.name)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get("window_start"))
        .transpose()?
        .unwrap_or(now);
    Ok(Err(Reached {
        retry_after_ms: (opened + limit.window_ms - now).max(0),
    }))
}

/// Takes one hit of each of `limits`, all or none (the caller rolls back on `Err`).
pub async fn take_all(
    conn: &mut AnyConnection,
    limits: &[Limit],
    now: i64,
) -> Result<Result<(), Reached>, sqlx::Error> {
    for limit in limits {
        if let Err(reached) = take(conn, limit, now).await? {
            return Ok(Err(reached));
        }
    }
    Ok(Ok(()))
}

/// Gives back one hit (an attempt that turned out to be a success, which the limit does not
/// count).
pub async fn give_back(conn: &mut AnyConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE rate_limits SET hits = hits - 1 WHERE name = $1 AND hits > 0")
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets counters whose window closed before `before` (housekeeping).
pub async fn forget_before(db: &super::db::Db, before: i64) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
            .bind(before)
            .execute(db.pool())
            .await?
            .rows_affected(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing::db_test;

    #[test]
    fn ipv6_clients_count_by_their_network() {
        assert_eq!(client_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(
            client_key("2001:db8:1:2:aaaa::1"),
            client_key("2001:db8:1:2:ffff::9")
        );
        assert_ne!(client_key("2001:db8:1:2::1"), client_key("2001:db8:1:3::1"));
    }

    db_test!(a_window_allows_its_maximum, |db| async move {
        let limit = Limit::new("test", 3, 60_000);
        let mut conn = db.pool().acquire().await.expect("conn");
        for _ in 0..3 {
            assert_eq!(take(&mut conn, &limit, 1_000).await.expect("db"), Ok(()));
        }
        assert_eq!(
            take(&mut conn, &limit, 31_000).await.expect("db"),
            Err(Reached {
                retry_after_ms: 30_000
            })
        );
        give_back(&mut conn, "test").await.expect("db");
        assert_eq!(take(&mut conn, &limit, 32_000).await.expect("db"), Ok(()));
        // A new window once the old one is over.
        assert_eq!(take(&mut conn, &limit, 61_000).await.expect("db"), Ok(()));
    });

    db_test!(concurrent_hits_never_exceed_the_limit, |db| async move {
        let limit = Limit::new("burst", 10, 3_600_000);
        let mut tasks = Vec::new();
        for _ in 0..300 {
            let (db, limit) = (db.clone(), limit.clone());
            tasks.push(tokio::spawn(async move {
                let mut tx = db.begin_write().await.expect("tx");
                let taken = take(&mut tx, &limit, 5_000).await.expect("db");
                tx.commit().await.expect("commit");
                taken.is_ok()
            }));
        }
        let mut allowed = 0;
        for task in tasks {
            allowed += usize::from(task.await.expect("task"));
        }
        assert_eq!(allowed, 10);
    });
}
