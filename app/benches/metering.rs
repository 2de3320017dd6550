//! The metering benchmark on SQLite and PostgreSQL (README, "Performance"). Each backend gets a
//! scratch database, dropped afterwards. Sizes: `BENCH_RECORDS` (default 200,000),
//! `BENCH_WORKSPACE_DAYS` (default 10,000) and `BENCH_LINES` (default 1,000,000).
use app::metering::bench::{run, Report, Sizes};
mod common;

use common::size;

fn print(report: &Report) {
    println!("{:?}", report.backend);
    println!(
        "  ingestion (parse, verify, dedupe, store): {} records in {:.2} s = {:.0} records/s; \
         raw batched insert {:.2} s; ingestion speed / raw = {:.2}",
        report.records,
        report.ingest_time.as_secs_f64(),
        report.records_per_second(),
        report.raw_insert_time.as_secs_f64(),
        report.ingest_ratio()
    );
    println!(
        "  rating + deduction: {} workspace-days ({} lines) in {:.2} s = {:.0} workspace-days/s; \
         plain inserts of as many rows ({}) {:.2} s; ratio rating/plain = {:.2}",
        report.workspace_days,
        report.rated_lines,
        report.rating_time.as_secs_f64(),
        report.workspace_days_per_second(),
        report.rating_rows,
        report.rating_baseline.as_secs_f64(),
        report.rating_ratio()
    );
    println!(
        "  consumption details at {} lines: page 1 {:.2} ms, page {} {:.2} ms ({} rows); ratio = {:.2}",
        report.lines,
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
        records: size("BENCH_RECORDS", 200_000) as usize,
        workspace_days: size("BENCH_WORKSPACE_DAYS", 10_000) as usize,
        lines: size("BENCH_LINES", 1_000_000),
        repeats: 21,
    };
    println!("metering benchmark: {sizes:?}");
    common::on_both(|db| async move { run(&db, sizes).await }, print).await;
}
