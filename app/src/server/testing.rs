//! Database tests on both backends: each test gets a fresh SQLite file and a fresh PostgreSQL
//! database (on `TEST_POSTGRES_URL`, default the local server), migrated, and dropped afterwards.
use super::scratch;
use crate::server::db::Db;
use std::future::Future;

pub use scratch::postgres_admin_url;

/// Runs `test` against a fresh, migrated SQLite database, then deletes its file.
pub async fn on_sqlite<F, Fut>(test: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (db, dir) = scratch::sqlite().await.expect("open SQLite");
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
    let (db, name) = scratch::postgres()
        .await
        .expect("a fresh PostgreSQL database (set TEST_POSTGRES_URL)");
    let outcome = tokio::spawn(test(db.clone())).await;
    db.close().await;
    scratch::drop_postgres(&name)
        .await
        .expect("drop the test database");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic.into_panic());
    }
}

/// The state a server running on `db` would have with the development conveniences switched
/// on (messages go to the development outbox; the sandbox payment provider answers).
pub async fn state_for(db: &Db) -> crate::state::AppState {
    let config = crate::config::Config::from_lookup(|name| {
        matches!(name, "BC_DEV_OUTBOX" | "BC_PAYMENT_SANDBOX").then(|| "1".to_string())
    })
    .expect("default configuration");
    state_with(db, config).await
}

/// The state of a server on `db` with `config`.
pub async fn state_with(db: &Db, config: crate::config::Config) -> crate::state::AppState {
    let options = leptos::prelude::LeptosOptions::builder()
        .output_name("billing-center")
        .build();
    crate::state::AppState::new(options, db.clone(), config)
        .await
        .expect("state")
}

/// A server on `db` listening on a port of its own with `settings` (besides the development
/// outbox), its clock standing at `now`: the state and its origin.
pub async fn serve(db: &Db, now: i64, settings: &[(&str, &str)]) -> (crate::state::AppState, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let addr = listener.local_addr().expect("addr").to_string();
    let config = crate::config::Config::from_lookup(|name| match name {
        "BC_LISTEN_ADDR" => Some(addr.clone()),
        "BC_DEV_OUTBOX" => Some("1".into()),
        name => settings.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()),
    })
    .expect("config");
    let mut state = state_with(db, config).await;
    state.clock = super::clock::Clock::fixed(now);
    let router = crate::edge::router(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (state, format!("http://{addr}"))
}

/// The newest outbox message to `address` (its body), once what is queued was delivered.
pub async fn last_message(db: &Db, address: &crate::contact::Address) -> String {
    use sqlx::Row;
    let state = state_for(db).await;
    state.delivery.deliver_due(db).await.expect("deliver");
    sqlx::query("SELECT body FROM outbox_messages WHERE address = $1 ORDER BY id DESC LIMIT 1")
        .bind(address.as_str())
        .fetch_one(db.pool())
        .await
        .and_then(|row| row.try_get("body"))
        .expect("a message in the outbox")
}

/// The code in the newest outbox message to `address`.
pub async fn last_code(db: &Db, address: &crate::contact::Address) -> String {
    last_message(db, address)
        .await
        .split_whitespace()
        .map(|w| w.trim_end_matches('.'))
        // Six digits, as every code is (this helper imports no area).
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
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
