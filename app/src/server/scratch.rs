//! Scratch databases for tests and the benchmark: a fresh SQLite file in the temp folder, or a
//! fresh PostgreSQL database on `TEST_POSTGRES_URL` (default the local server), migrated.
use super::db::Db;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_string())
}

/// A name no other test or run uses at the same time.
fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "bc_test_{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// `postgres://user@host:port/name` from an URL pointing at another database.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

async fn admin_execute(sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(&postgres_admin_url()).await?;
    admin.execute(sql).await?;
    let _ = admin.close().await;
    Ok(())
}

/// A fresh SQLite database, not migrated, and the folder that holds it.
pub async fn sqlite_empty() -> Result<(Db, PathBuf), sqlx::Error> {
    let dir = std::env::temp_dir().join(unique_name());
    std::fs::create_dir_all(&dir)?;
    let db = Db::open(&format!("sqlite://{}", dir.join("scratch.db").display())).await?;
    Ok((db, dir))
}

/// A fresh PostgreSQL database, not migrated, and its name.
pub async fn postgres_empty() -> Result<(Db, String), sqlx::Error> {
    let name = unique_name();
    admin_execute(&format!("CREATE DATABASE {name}")).await?;
    let db = Db::open(&with_database(&postgres_admin_url(), &name)).await?;
    Ok((db, name))
}

/// A fresh SQLite database and the folder that holds it (the caller removes it).
pub async fn sqlite() -> Result<(Db, PathBuf), sqlx::Error> {
    let (db, dir) = sqlite_empty().await?;
    db.migrate_to(None).await?;
    Ok((db, dir))
}

/// A fresh PostgreSQL database and its name (the caller drops it with `drop_postgres`).
pub async fn postgres() -> Result<(Db, String), sqlx::Error> {
    let (db, name) = postgres_empty().await?;
    db.migrate_to(None).await?;
    Ok((db, name))
}

pub async fn drop_postgres(name: &str) -> Result<(), sqlx::Error> {
    admin_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_in_a_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "bc_x"),
            "postgres://postgres@127.0.0.1:5432/bc_x"
        );
        assert_eq!(
            with_database("postgres://u:p@db:5432?sslmode=disable", "bc_x"),
            "postgres://u:p@db:5432/bc_x?sslmode=disable"
        );
    }
}
