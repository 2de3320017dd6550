//! The ledger benchmark on SQLite and PostgreSQL (README, "Performance"). Each backend gets a
//! scratch database, dropped afterwards. Sizes: `BENCH_CHARGES` (default 2,000) and
//! `BENCH_ENTRIES` (default 1,000,000).
use app::funds::bench::{run, Report, Sizes};
mod common;

use common::size;

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
    common::on_both(|db| async move { run(&db, sizes).await }, print).await;
}
