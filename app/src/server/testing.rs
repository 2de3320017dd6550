//! Database tests on both backends: each test gets a fresh SQLite file and a fresh PostgreSQL
//! database (on `TEST_POSTGRES_URL`, default the local server), migrated, and dropped afterwards.
use super::db::Db;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_string())
}

/// A name no other test or test run uses at the same time.
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

async fn admin_execute(sql: &str) {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(&postgres_admin_url())
        .await
        .expect("PostgreSQL for tests is reachable (set TEST_POSTGRES_URL)");
    admin.execute(sql).await.expect(sql);
    let _ = admin.close().await;
}

/// Runs `test` against a fresh, migrated SQLite database, then deletes its file.
pub async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = std::env::temp_dir().join(unique_name());
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path: PathBuf = dir.join("test.db");
    let db = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("open SQLite");
    let outcome = tokio::spawn(test(db.clone())).await;
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}

/// Runs `test` against a fresh, migrated PostgreSQL database, then drops it.
pub async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let name = unique_name();
    admin_execute(&format!("CREATE DATABASE {name}")).await;
    let db = Db::connect(&with_database(&postgres_admin_url(), &name))
        .await
        .expect("open PostgreSQL test database");
    let outcome = tokio::spawn(test(db.clone())).await;
    db.close().await;
    admin_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}

/// The state a server running on `db` with default configuration would have (messages go to
/// the outbox).
pub async fn state_for(db: &Db) -> super::state::AppState {
    let config = super::config::Config::from_lookup(|_| None).expect("default configuration");
    let options = leptos::prelude::LeptosOptions::builder()
        .output_name("billing-center")
        .build();
    super::state::AppState::new(options, db.clone(), config)
        .await
        .expect("state")
}

/// A second customer (email `other@example.com`, CNY), besides the demo account.
pub async fn another_account(db: &Db) -> i64 {
    use sqlx::Row;
    sqlx::query(
        "INSERT INTO billing_accounts (company_name, currency, site_code, created_at, email) \
         VALUES ('Other Co.', 'CNY', 'CN1', 0, 'other@example.com') RETURNING id",
    )
    .fetch_one(db.pool())
    .await
    .and_then(|row| row.try_get("id"))
    .expect("another account")
}

/// The newest outbox message to `address` (its body).
pub async fn last_message(db: &Db, address: &crate::verification::Address) -> String {
    use sqlx::Row;
    sqlx::query("SELECT body FROM outbox_messages WHERE address = $1 ORDER BY id DESC LIMIT 1")
        .bind(address.as_str())
        .fetch_one(db.pool())
        .await
        .and_then(|row| row.try_get("body"))
        .expect("a message in the outbox")
}

/// The code in the newest outbox message to `address`.
pub async fn last_code(db: &Db, address: &crate::verification::Address) -> String {
    last_message(db, address)
        .await
        .split_whitespace()
        .map(|w| w.trim_end_matches('.'))
        .find(|w| crate::verification::model::parse_code(w).is_some())
        .expect("a code in the message")
        .to_string()
}

/// Declares one test body that runs on both backends, as `<name>::sqlite` and `<name>::postgres`:
/// `db_test!(name, |db| async move { ... });`
macro_rules! db_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                $crate::server::testing::on_sqlite($body).await;
            }

            #[tokio::test]
            async fn postgres() {
                $crate::server::testing::on_postgres($body).await;
            }
        }
    };
}
pub(crate) use db_test;

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
