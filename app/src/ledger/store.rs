//! SQL of the ledger. Every function takes the caller's transaction.
use super::model::LedgerKind;
use super::posting::{Entry, Leg};
use crate::money::{Currency, MAX_BALANCE_MINOR};
use crate::server::db::Backend;
use sqlx::{AnyConnection, Row};

/// The `currency` column of a row.
pub fn row_currency(row: &sqlx::any::AnyRow) -> Result<Currency, sqlx::Error> {
    row.try_get::<String, _>("currency")?
        .parse()
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The id of the ledger account for (billing account, kind, instrument, currency), made on
/// first use. House accounts have no billing account.
pub async fn ledger_account(
    conn: &mut AnyConnection,
    billing_account_id: Option<i64>,
    kind: LedgerKind,
    instrument_id: i64,
    currency: Currency,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO ledger_accounts (billing_account_id, kind, instrument_id, currency, keeps_balance, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(billing_account_id)
    .bind(kind.code())
    .bind(instrument_id)
    .bind(currency.code())
    .bind(i64::from(kind.is_holding()))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "SELECT id FROM ledger_accounts WHERE COALESCE(billing_account_id, 0) = $1 AND kind = $2 \
         AND instrument_id = $3 AND currency = $4",
    )
    .bind(billing_account_id.unwrap_or(0))
    .bind(kind.code())
    .bind(instrument_id)
    .bind(currency.code())
    .fetch_one(conn)
    .await?
    .try_get("id")
}

/// Holds the billing account's holdings until the transaction ends, so a read balance stays
/// true while the transaction acts on it. (On SQLite the write transaction holds the whole
/// database already.)
pub async fn lock_holdings(
    conn: &mut AnyConnection,
    backend: Backend,
    billing_account_id: i64,
) -> Result<(), sqlx::Error> {
    if backend == Backend::Postgres {
        sqlx::query(
            "SELECT id FROM ledger_accounts WHERE billing_account_id = $1 ORDER BY id FOR UPDATE",
        )
        .bind(billing_account_id)
        .fetch_all(conn)
        .await?;
    }
    Ok(())
}

pub async fn balance(conn: &mut AnyConnection, ledger_account_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT balance FROM ledger_accounts WHERE id = $1")
        .bind(ledger_account_id)
        .fetch_one(conn)
        .await?
        .try_get("balance")
}

/// Records `entry` as a journal transaction; `None` when its key was used before.
pub async fn insert_journal(
    conn: &mut AnyConnection,
    entry: &Entry<'_>,
    content_hash: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query(
        "INSERT INTO journal_transactions \
         (billing_account_id, kind, reference, actor, idempotency_key, content_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(entry.billing_account_id)
    .bind(entry.kind.code())
    .bind(entry.reference)
    .bind(entry.actor)
    .bind(entry.idempotency_key)
    .bind(content_hash)
    .bind(now)
    .fetch_optional(conn)
    .await?
    .map(|row| row.try_get("id"))
    .transpose()
}

/// (id, content hash) of the journal transaction recorded under `key`.
pub async fn journal_by_key(
    conn: &mut AnyConnection,
    key: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query("SELECT id, content_hash FROM journal_transactions WHERE idempotency_key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?
        .map(|row| Ok((row.try_get("id")?, row.try_get("content_hash")?)))
        .transpose()
}

/// The reference (what caused it) of journal transaction `id`.
pub async fn journal_reference(conn: &mut AnyConnection, id: i64) -> Result<String, sqlx::Error> {
    sqlx::query("SELECT reference FROM journal_transactions WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await?
        .try_get("reference")
}

/// Writes one leg of `entry` (journal transaction `transaction_id`) as a posting.
pub async fn insert_posting(
    conn: &mut AnyConnection,
    transaction_id: i64,
    entry: &Entry<'_>,
    leg: Leg,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO postings (transaction_id, ledger_account_id, currency, amount, billing_account_id, kind, created_at) \
         SELECT $1, id, $3, $4, CASE WHEN keeps_balance = 1 THEN billing_account_id END, $5, $6 \
         FROM ledger_accounts WHERE id = $2",
    )
    .bind(transaction_id)
    .bind(leg.account)
    .bind(entry.currency.code())
    .bind(leg.amount)
    .bind(entry.kind.code())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// What each holding gave in journal transaction `id`: (kind code, instrument id, amount out
/// of it), in posting order.
pub async fn holdings_moved(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    sqlx::query(
        "SELECT la.kind, la.instrument_id, p.amount FROM postings p JOIN ledger_accounts la ON la.id = p.ledger_account_id \
         WHERE p.transaction_id = $1 AND la.keeps_balance = 1 ORDER BY p.id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("kind")?,
            row.try_get("instrument_id")?,
            -row.try_get::<i64, _>("amount")?,
        ))
    })
    .collect()
}

/// Moves a holding's running balance by `amount`; false (and nothing changes) when that would
/// take a fund below zero or arrears above it, or the balance past [`MAX_BALANCE_MINOR`] either
/// way. The bounds are worked out here, checked, and passed in: `balance + amount` is never
/// computed where it could overflow (SQLite would turn it into a REAL, PostgreSQL would fail).
pub async fn move_balance(
    conn: &mut AnyConnection,
    ledger_account_id: i64,
    amount: i64,
) -> Result<bool, sqlx::Error> {
    let (Some(upper), Some(lower), Some(negated)) = (
        MAX_BALANCE_MINOR.checked_sub(amount),
        (-MAX_BALANCE_MINOR).checked_sub(amount),
        amount.checked_neg(),
    ) else {
        return Ok(false);
    };
    let done = sqlx::query(
        "UPDATE ledger_accounts SET balance = balance + $1 WHERE id = $2 AND keeps_balance = 1 \
         AND balance <= $3 AND balance >= $4 \
         AND (kind <> 'arrears' OR balance <= $5) \
         AND (kind NOT IN ('cash', 'voucher', 'prepaid_card') OR balance >= $5)",
    )
    .bind(amount)
    .bind(ledger_account_id)
    .bind(upper)
    .bind(lower)
    .bind(negated)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// (kind code, keeps a balance) of a ledger account.
pub async fn kind_of(
    conn: &mut AnyConnection,
    ledger_account_id: i64,
) -> Result<(String, bool), sqlx::Error> {
    let row = sqlx::query("SELECT kind, keeps_balance FROM ledger_accounts WHERE id = $1")
        .bind(ledger_account_id)
        .fetch_one(conn)
        .await?;
    Ok((
        row.try_get("kind")?,
        row.try_get::<i64, _>("keeps_balance")? == 1,
    ))
}

/// Journal transactions whose postings do not sum to zero in some currency.
pub async fn unbalanced_transactions(conn: &mut AnyConnection) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query(
        "SELECT transaction_id FROM postings GROUP BY transaction_id, currency \
         HAVING CAST(SUM(amount) AS BIGINT) <> 0",
    )
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| row.try_get("transaction_id"))
    .collect()
}

/// Holdings whose running balance differs from the sum of their postings.
pub async fn drifted_balances(conn: &mut AnyConnection) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query(
        "SELECT a.id FROM ledger_accounts a \
         LEFT JOIN (SELECT ledger_account_id, CAST(SUM(amount) AS BIGINT) AS total FROM postings \
                    GROUP BY ledger_account_id) p ON p.ledger_account_id = a.id \
         WHERE a.keeps_balance = 1 AND a.balance <> COALESCE(p.total, 0)",
    )
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| row.try_get("id"))
    .collect()
}
