//! What every benchmark does alike: sizes from the environment, and a run on a scratch SQLite
//! database and a scratch PostgreSQL database (`TEST_POSTGRES_URL`), each removed afterwards.
use app::server::db::Db;
use app::server::scratch;
use std::future::Future;

/// A positive whole number from `name`, or `default`.
pub fn size(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n: &i64| *n > 0)
        .unwrap_or(default)
}

/// Runs `run` on both backends and prints each report.
pub async fn on_both<R, E, F, Fut>(run: F, print: fn(&R))
where
    E: std::fmt::Debug,
    F: Fn(Db) -> Fut,
    Fut: Future<Output = Result<R, E>>,
{
    let (db, dir) = scratch::sqlite().await.expect("a scratch SQLite database");
    let report = run(db.clone()).await.expect("SQLite benchmark");
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    print(&report);
    match scratch::postgres().await {
        Ok((db, name)) => {
            let report = run(db.clone()).await;
            db.close().await;
            let _ = scratch::drop_postgres(&name).await;
            print(&report.expect("PostgreSQL benchmark"));
        }
        Err(error) => println!("PostgreSQL skipped: {error} (set TEST_POSTGRES_URL)"),
    }
}
