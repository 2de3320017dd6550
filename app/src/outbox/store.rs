use super::api::OutboxMessage;
use crate::server::db::Db;
use sqlx::Row;

pub async fn newest(
    db: &Db,
    zone: &crate::time::Zone,
    limit: i64,
) -> Result<Vec<OutboxMessage>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, channel, address, subject, body, created_at FROM outbox_messages ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(OutboxMessage {
                id: row.try_get("id")?,
                channel: row.try_get("channel")?,
                address: row.try_get("address")?,
                subject: row.try_get("subject")?,
                body: row.try_get("body")?,
                created_at: zone.stamp(row.try_get("created_at")?),
            })
        })
        .collect()
}
