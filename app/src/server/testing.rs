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

/// A second customer (its Owner signs in as `other@example.com`, CNY), besides the demo
/// account.
pub async fn another_account(db: &Db) -> i64 {
    account_owned_by(db, "Other Co.", "other@example.com")
        .await
        .0
}

/// The (first) Owner of `account`.
pub async fn owner_of(db: &Db, account: i64) -> i64 {
    use sqlx::Row;
    sqlx::query(
        "SELECT user_id FROM memberships WHERE billing_account_id = $1 AND role = 'owner' \
         ORDER BY created_at, user_id LIMIT 1",
    )
    .bind(account)
    .fetch_one(db.pool())
    .await
    .and_then(|row| row.try_get("user_id"))
    .expect("an owner")
}

/// A new CNY billing account named `company` whose Owner (without a password) signs in with
/// `email`: (account id, user id).
pub async fn account_owned_by(db: &Db, company: &str, email: &str) -> (i64, i64) {
    let mut tx = db.begin_write().await.expect("tx");
    let address = crate::contact::Address::email(email).expect("email");
    let account = crate::accounts::store::NewAccount {
        company_name: company,
        site_code: "CN1",
        currency: "CNY",
    };
    let ids =
        crate::accounts::service::insert_account_with_owner(&mut tx, &account, &address, None, 0)
            .await
            .expect("account");
    tx.commit().await.expect("commit");
    ids
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
