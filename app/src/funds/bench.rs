//! The ledger benchmark (README, "Performance"), run by `cargo bench -p app --features ssr
//! --bench ledger` on both backends. It reports ratios against baselines measured in the same
//! run: charges through the deduction engine against plain inserts of as many rows, and the
//! ten-thousandth page of Income & expenditure against the first.
use super::cash::credit_cash;
use super::cash::Credit;
use super::deduction::{
    deduct, issue_prepaid_card, issue_voucher, CardIssue, Charge, NewVoucher, VoucherKind,
};
use super::movements::{page, MovementFilter};
use crate::ledger::store;
use crate::ledger::LedgerKind;
use crate::money::Currency;
use crate::server::db::{now_millis, Backend, Db};
use sqlx::Row;
use std::time::{Duration, Instant};

/// How much work one run does.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Charges through the deduction engine, one transaction each.
    pub charges: usize,
    /// Income & expenditure entries of the paged account.
    pub entries: i64,
    /// Times each page query runs (the median counts).
    pub repeats: usize,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub backend: Backend,
    pub charges: usize,
    pub charge_time: Duration,
    /// Rows the charges wrote (journal transactions and postings).
    pub charge_rows: i64,
    pub baseline_time: Duration,
    pub entries: i64,
    pub first_page: Duration,
    /// Which page the deep measurement read (10,000 when there are enough entries).
    pub deep_page_number: i64,
    pub deep_page: Duration,
    /// Rows the deep page returned (a full page proves it read what it should).
    pub deep_page_rows: usize,
}

impl Report {
    pub fn charges_per_second(&self) -> f64 {
        self.charges as f64 / self.charge_time.as_secs_f64()
    }

    /// How many times longer the charges took than plain inserts of as many rows.
    pub fn charge_ratio(&self) -> f64 {
        self.charge_time.as_secs_f64() / self.baseline_time.as_secs_f64()
    }

    pub fn deep_page_ratio(&self) -> f64 {
        self.deep_page.as_secs_f64() / self.first_page.as_secs_f64()
    }
}

pub type BenchError = Box<dyn std::error::Error + Send + Sync>;

const PAGE: i64 = super::model::MOVEMENTS_PER_PAGE;

/// Runs the benchmark on `db` (a scratch database: it adds accounts and a million rows).
pub async fn run(db: &Db, sizes: Sizes) -> Result<Report, BenchError> {
    let (charges, charge_time, charge_rows) = charge_many(db, sizes.charges).await?;
    let baseline_time = plain_inserts(db, sizes.charges, charge_rows).await?;
    let account = bulk_entries(db, sizes.entries).await?;
    let filter = MovementFilter::default();
    let first_page = median(sizes.repeats, || async {
        page(db, &crate::time::Zone::utc(), account, &filter, None, PAGE)
            .await
            .map(|_| ())
    })
    .await?;
    let deep_page_number = (sizes.entries / PAGE).clamp(1, 10_000);
    let cursor: Option<i64> = if deep_page_number > 1 {
        let row = sqlx::query(
            "SELECT id FROM postings WHERE billing_account_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2",
        )
        .bind(account)
        .bind((deep_page_number - 1) * PAGE - 1)
        .fetch_one(db.pool())
        .await?;
        Some(row.try_get("id")?)
    } else {
        None
    };
    let deep_page = median(sizes.repeats, || async {
        page(
            db,
            &crate::time::Zone::utc(),
            account,
            &filter,
            cursor,
            PAGE,
        )
        .await
        .map(|_| ())
    })
    .await?;
    let deep_page_rows = page(
        db,
        &crate::time::Zone::utc(),
        account,
        &filter,
        cursor,
        PAGE,
    )
    .await?
    .rows
    .len();
    Ok(Report {
        backend: db.backend(),
        charges,
        charge_time,
        charge_rows,
        baseline_time,
        entries: sizes.entries,
        first_page,
        deep_page_number,
        deep_page,
        deep_page_rows,
    })
}

pub async fn median<F, Fut>(repeats: usize, mut query: F) -> Result<Duration, BenchError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), sqlx::Error>>,
{
    let mut times = Vec::with_capacity(repeats.max(1));
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        query().await?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// An account with cash, a voucher and a prepaid card, charged `count` times for a mix of
/// items (so vouchers, cards, cash and, at the end, arrears all pay), each charge in its own
/// transaction as the daily rating does. Returns the count, the time, and the rows written.
async fn charge_many(db: &Db, count: usize) -> Result<(usize, Duration, i64), BenchError> {
    let account = new_account(db, "Bench Charges").await?;
    let (backend, cny, now) = (db.backend(), Currency::CNY, now_millis());
    let funds = count as i64 * 40;
    let mut tx = db.begin_write().await?;
    credit_cash(
        &mut tx,
        backend,
        &Credit {
            account,
            currency: cny,
            amount: funds,
            reference: "bench",
            actor: crate::ledger::Actor::SYSTEM,
            key: "bench:cash",
            at: None,
        },
    )
    .await?;
    issue_voucher(
        &mut tx,
        &NewVoucher {
            account,
            currency: cny,
            kind: VoucherKind::Regular,
            amount: funds,
            expires_at: now + crate::time::DAY_MS,
            scope: &["logs"],
            actor: crate::ledger::Actor::SYSTEM,
            key: "bench:voucher",
            now,
        },
    )
    .await?;
    issue_prepaid_card(
        &mut tx,
        &CardIssue {
            account,
            currency: cny,
            amount: funds,
            validity_ms: crate::time::DAY_MS,
            actor: crate::ledger::Actor::SYSTEM,
            key: "bench:card",
            now,
        },
    )
    .await?;
    tx.commit().await?;
    let items = ["logs", "time_series", "sms", "apm_trace"];
    let start = Instant::now();
    for i in 0..count {
        let mut tx = db.begin_write().await?;
        let reference = format!("bench day {i}");
        deduct(
            &mut tx,
            backend,
            &Charge {
                account,
                currency: cny,
                item: items[i % items.len()],
                amount: 100,
                reference: &reference,
                key: &format!("bench:charge:{i}"),
                at: now,
            },
        )
        .await?;
        tx.commit().await?;
    }
    let elapsed = start.elapsed();
    let rows: i64 = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM journal_transactions WHERE billing_account_id = $1 AND kind = 'daily_charge') \
              + (SELECT COUNT(*) FROM postings p JOIN journal_transactions j ON j.id = p.transaction_id \
                 WHERE j.billing_account_id = $1 AND j.kind = 'daily_charge') AS n",
    )
    .bind(account)
    .fetch_one(db.pool())
    .await?
    .try_get("n")?;
    Ok((count, elapsed, rows))
}

/// The baseline: `rows` plain rows inserted in `transactions` transactions (as many as the
/// charges used), into a table with a primary key only.
pub async fn plain_inserts(db: &Db, transactions: usize, rows: i64) -> Result<Duration, BenchError> {
    let key = match db.backend() {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    };
    sqlx::query(&format!(
        "CREATE TABLE IF NOT EXISTS bench_plain_rows (id {key}, amount BIGINT NOT NULL, note TEXT NOT NULL)"
    ))
    .execute(db.pool())
    .await?;
    let transactions = transactions.max(1) as i64;
    let start = Instant::now();
    for t in 0..transactions {
        // The rows spread over the transactions as evenly as the charges' did.
        let here = rows / transactions + i64::from(t < rows % transactions);
        let mut tx = db.begin_write().await?;
        for r in 0..here {
            sqlx::query("INSERT INTO bench_plain_rows (amount, note) VALUES ($1, $2)")
                .bind(r)
                .bind("bench")
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    Ok(start.elapsed())
}

/// An account with `entries` daily charges that went into arrears (a journal transaction and
/// two postings each), written in bulk by SQL; the arrears balance is set to match, so the
/// books still reconcile. Returns the account.
async fn bulk_entries(db: &Db, entries: i64) -> Result<i64, BenchError> {
    let account = new_account(db, "Bench Entries").await?;
    let now = now_millis();
    let mut tx = db.begin_write().await?;
    let arrears = store::ledger_account(
        &mut tx,
        Some(account),
        LedgerKind::Arrears,
        0,
        Currency::CNY,
        now,
    )
    .await?;
    let revenue =
        store::ledger_account(&mut tx, None, LedgerKind::Revenue, 0, Currency::CNY, now).await?;
    let series = match db.backend() {
        Backend::Sqlite => {
            "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < $1) "
        }
        Backend::Postgres => "WITH s(n) AS (SELECT generate_series(1, $1::BIGINT)) ",
    };
    sqlx::query(&format!(
        "{series}INSERT INTO journal_transactions (billing_account_id, kind, reference, actor, idempotency_key, content_hash, created_at) \
         SELECT $2, 'daily_charge', 'bench entry ' || n, 'system', 'bench:entry:' || $2 || ':' || n, '', $3 + n * 1000 FROM s"
    ))
    .bind(entries)
    .bind(account)
    .bind(now - entries * 1000)
    .execute(&mut *tx)
    .await?;
    for (ledger_account, amount, owner) in [(arrears, -100i64, Some(account)), (revenue, 100, None)]
    {
        sqlx::query(
            "INSERT INTO postings (transaction_id, ledger_account_id, currency, amount, billing_account_id, kind, created_at) \
             SELECT id, $1, 'CNY', $2, $3, 'daily_charge', created_at FROM journal_transactions \
             WHERE billing_account_id = $4 ORDER BY id",
        )
        .bind(ledger_account)
        .bind(amount)
        .bind(owner)
        .bind(account)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE ledger_accounts SET balance = balance - $1 WHERE id = $2")
        .bind(entries * 100)
        .bind(arrears)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    sqlx::query("ANALYZE").execute(db.pool()).await?;
    if db.backend() == Backend::Sqlite {
        // The load is one huge transaction still in the write-ahead log; a server reads long
        // after its writes were checkpointed into the database file.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(db.pool())
            .await?;
    }
    Ok(account)
}

pub async fn new_account(db: &Db, company: &str) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO billing_accounts (company_name, currency, site_code, created_at) \
         VALUES ($1, 'CNY', 'CN1', $2) RETURNING id",
    )
    .bind(company)
    .bind(now_millis())
    .fetch_one(db.pool())
    .await?
    .try_get("id")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::testing::db_test;

    // The benchmark at a small size: it must run on both backends and leave books that
    // reconcile. (Its timings are reported by `cargo bench`, never asserted.)
    db_test!(
        the_benchmark_runs_and_the_books_reconcile,
        |db| async move {
            let report = run(
                &db,
                Sizes {
                    charges: 24,
                    entries: 2_000,
                    repeats: 3,
                },
            )
            .await
            .expect("benchmark");
            assert_eq!(report.charges, 24);
            // Each charge is a journal transaction and at least two postings.
            assert!(report.charge_rows >= 24 * 3, "{}", report.charge_rows);
            assert_eq!(report.deep_page_number, 40);
            assert_eq!(report.deep_page_rows, PAGE as usize);
            let plain: i64 = sqlx::query("SELECT COUNT(*) AS n FROM bench_plain_rows")
                .fetch_one(db.pool())
                .await
                .and_then(|row| row.try_get("n"))
                .expect("count");
            assert_eq!(plain, report.charge_rows);
            let mut conn = db.pool().acquire().await.expect("conn");
            assert!(crate::ledger::posting::reconcile(&mut conn)
                .await
                .expect("reconcile")
                .is_empty());
        }
    );
}
