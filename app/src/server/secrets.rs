//! Random secrets the server makes for itself on first use and keeps in the database, so every
//! replica uses the same one and nothing lives only in memory.
use super::db::Db;
use rand::RngCore;
use sqlx::Row;

/// `n` random bytes from the operating system's generator, hex-encoded.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The secret called `name`, made now if it does not exist yet. Safe when several replicas ask
/// at once: the first insert wins and everyone reads the winner.
pub async fn get_or_create(db: &Db, name: &str) -> Result<String, sqlx::Error> {
    get_or_make(db, name, || random_hex(32)).await
}

/// The secret called `name`, made by `make` if it does not exist yet (a key pair, say); as safe
/// with replicas as [`get_or_create`].
pub async fn get_or_make(
    db: &Db,
    name: &str,
    make: impl FnOnce() -> String,
) -> Result<String, sqlx::Error> {
    let exists: Option<(String,)> = sqlx::query_as("SELECT value FROM server_secrets WHERE name = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    if let Some((value,)) = exists {
        return Ok(value);
    }
    sqlx::query(
        "INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(make())
    .execute(db.pool())
    .await?;
    sqlx::query("SELECT value FROM server_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(db.pool())
        .await?
        .try_get("value")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing::db_test;

    db_test!(a_secret_is_made_once, |db| async move {
        let first = get_or_create(&db, "test").await.expect("made");
        assert_eq!(first.len(), 64);
        assert_eq!(get_or_create(&db, "test").await.expect("read"), first);
        assert_ne!(get_or_create(&db, "other").await.expect("made"), first);
    });
}
