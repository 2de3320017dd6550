//! The ledger benchmark on SQLite and PostgreSQL (README, "Performance"). Each backend gets a
//! scratch database, dropped afterwards. Sizes: `BENCH_CHARGES` (default 2,000) and
//! `BENCH_ENTRIES` (default 1,000,000).
use app::funds::bench::{run, Report, Sizes};
use app::server::scratch;

fn size(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n: &i64| *n > 0)
        .unwrap_or(default)
}

fn print(report: &Report) {
    println!("{:?}", report.backend);
    println!(
        "  charges through the deduction engine: {} in {:.2} s = {:.0} charges/s ({} rows)",
        report.charges,
        report.charge_time.as_secs_f64(),
        report.charges_per_second(),
        report.charge_rows
    );
    println!(
        "  plain inserts of as many rows, as many transactions: {:.2} s; ratio charges/plain = {:.2}",
        report.baseline_time.as_secs_f64(),
        report.charge_ratio()
    );
    println!(
        "  income & expenditure at {} entries: page 1 {:.2} ms, page {} {:.2} ms ({} rows); ratio = {:.2}",
        report.entries,
        report.first_page.as_secs_f64() * 1e3,
        report.deep_page_number,
        report.deep_page.as_secs_f64() * 1e3,
        report.deep_page_rows,
        report.deep_page_ratio()
    );
}

#[tokio::main]
async fn main() {
    let sizes = Sizes {
        charges: size("BENCH_CHARGES", 2_000) as usize,
        entries: size("BENCH_ENTRIES", 1_000_000),
        repeats: 21,
    };
    println!("ledger benchmark: {sizes:?}");
    let (db, dir) = scratch::sqlite().await.expect("a scratch SQLite database");
    let report = run(&db, sizes).await.expect("SQLite benchmark");
    db.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    print(&report);
    match scratch::postgres().await {
        Ok((db, name)) => {
            let report = run(&db, sizes).await;
            db.close().await;
            let _ = scratch::drop_postgres(&name).await;
            print(&report.expect("PostgreSQL benchmark"));
        }
        Err(error) => println!("PostgreSQL skipped: {error} (set TEST_POSTGRES_URL)"),
    }
}
