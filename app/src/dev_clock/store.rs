//! The development clock's one row.
use crate::server::db::Db;

/// The lead the database holds (zero before the first move).
pub async fn lead(db: &Db) -> Result<i64, sqlx::Error> {
    let lead: Option<i64> = sqlx::query_scalar("SELECT lead_ms FROM dev_clock WHERE id = 1")
        .fetch_optional(db.pool())
        .await?;
    Ok(lead.unwrap_or(0))
}

/// Adds `step` to the lead in one statement (two moves at once both count), unless that would
/// take it past `max`; returns the new lead, or `None` when refused.
pub async fn advance(db: &Db, step: i64, max: i64, now: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO dev_clock (id, lead_ms, moved_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET lead_ms = dev_clock.lead_ms + excluded.lead_ms, \
         moved_at = excluded.moved_at WHERE dev_clock.lead_ms + excluded.lead_ms <= $3 \
         RETURNING lead_ms",
    )
    .bind(step)
    .bind(now)
    .bind(max)
    .fetch_optional(db.pool())
    .await
}

/// Reads the lead now, and then every second for the life of the process, so that a move made
/// on another replica reaches this one within a second.
pub async fn follow(db: &Db) -> Result<(), sqlx::Error> {
    crate::server::clock::set_lead(lead(db).await?);
    let db = db.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            every.tick().await;
            match lead(&db).await {
                Ok(lead) => crate::server::clock::set_lead(lead),
                Err(error) => tracing::warn!(%error, "development clock not read"),
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::dev_clock::store::{advance, lead};
    use crate::server::testing::db_test;
    use crate::time::DAY_MS;

    db_test!(moves_add_up_and_stop_at_the_limit, |db| async move {
        assert_eq!(lead(&db).await.expect("read"), 0);
        assert_eq!(
            advance(&db, DAY_MS, 20 * DAY_MS, 1).await.expect("moved"),
            Some(DAY_MS)
        );
        assert_eq!(
            advance(&db, 15 * DAY_MS, 20 * DAY_MS, 2)
                .await
                .expect("moved"),
            Some(16 * DAY_MS)
        );
        assert_eq!(
            advance(&db, 5 * DAY_MS, 20 * DAY_MS, 3)
                .await
                .expect("refused"),
            None
        );
        assert_eq!(lead(&db).await.expect("read"), 16 * DAY_MS);
        // Moves at the same moment all count.
        let moves = (0..50).map(|_| advance(&db, 1, 20 * DAY_MS, 4));
        for moved in futures::future::join_all(moves).await {
            assert!(moved.expect("moved").is_some());
        }
        assert_eq!(lead(&db).await.expect("read"), 16 * DAY_MS + 50);
    });
}
