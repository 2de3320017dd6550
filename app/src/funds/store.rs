//! SQL of the funds area: vouchers, prepaid cards, activation codes, recharge orders, payment
//! callbacks, movements and reminders. Every function takes a connection or the caller's
//! transaction; the rules that decide what to write live beside it, in the area's other files.
use super::codes::NewBatch;
use super::deduction::NewVoucher;
use super::deduction::VoucherKind;
use super::model::{InstrumentStatus, OrderStatus};
use super::movements::MovementFilter;
use crate::ledger::store::row_currency;
use crate::ledger::{JournalKind, LedgerKind};
use crate::money::Currency;
use crate::server::db::keyset_older;
use sqlx::{AnyConnection, Row};

/// A new voucher row; returns its id.
pub async fn insert_voucher(
    conn: &mut AnyConnection,
    voucher: &NewVoucher<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO vouchers (billing_account_id, kind, currency, denomination, scope, status, activated_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7) RETURNING id",
    )
    .bind(voucher.account)
    .bind(voucher.kind.code())
    .bind(voucher.currency.code())
    .bind(voucher.amount)
    .bind(voucher.scope.join(","))
    .bind(voucher.now)
    .bind(voucher.expires_at)
    .fetch_one(conn)
    .await?
    .try_get("id")
}

/// A prepaid card row to write.
#[derive(Clone, Copy, Debug)]
pub struct NewCard<'a> {
    pub card_no: &'a str,
    pub account: i64,
    pub currency: Currency,
    /// Minor units.
    pub amount: i64,
    /// "purchase" or "operator".
    pub source: &'a str,
    pub purchased_at: i64,
    pub expires_at: i64,
}

/// A new prepaid card row; returns its id.
pub async fn insert_prepaid_card(
    conn: &mut AnyConnection,
    card: &NewCard<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO prepaid_cards (card_no, billing_account_id, currency, denomination, source, status, purchased_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7) RETURNING id",
    )
    .bind(card.card_no)
    .bind(card.account)
    .bind(card.currency.code())
    .bind(card.amount)
    .bind(card.source)
    .bind(card.purchased_at)
    .bind(card.expires_at)
    .fetch_one(conn)
    .await?
    .try_get("id")
}

/// An instrument that may pay: its ledger account, what is left on it, and (vouchers) the
/// billing items it may pay.
pub struct Source {
    pub ledger_account: i64,
    pub kind: LedgerKind,
    pub instrument_id: i64,
    pub balance: i64,
    pub scope: String,
}

fn source(row: &sqlx::any::AnyRow, kind: LedgerKind) -> Result<Source, sqlx::Error> {
    Ok(Source {
        ledger_account: row.try_get("ledger_id")?,
        kind,
        instrument_id: row.try_get("id")?,
        balance: row.try_get("balance")?,
        scope: row.try_get("scope")?,
    })
}

/// The account's active vouchers with something left at `at`: regular before discount, then
/// the nearest expiry first.
pub async fn paying_vouchers(
    conn: &mut AnyConnection,
    account: i64,
    currency: Currency,
    at: i64,
) -> Result<Vec<Source>, sqlx::Error> {
    sqlx::query(
        "SELECT la.id AS ledger_id, la.balance, v.id, v.scope FROM vouchers v \
         JOIN ledger_accounts la ON la.billing_account_id = v.billing_account_id AND la.kind = 'voucher' \
              AND la.instrument_id = v.id AND la.currency = v.currency \
         WHERE v.billing_account_id = $1 AND v.currency = $2 AND v.status = 'active' AND v.expires_at > $3 \
               AND la.balance > 0 \
         ORDER BY CASE WHEN v.kind = 'regular' THEN 0 ELSE 1 END, v.expires_at, v.id",
    )
    .bind(account)
    .bind(currency.code())
    .bind(at)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| source(row, LedgerKind::Voucher))
    .collect()
}

/// The account's active prepaid cards with something left at `at`, nearest expiry first.
pub async fn paying_cards(
    conn: &mut AnyConnection,
    account: i64,
    currency: Currency,
    at: i64,
) -> Result<Vec<Source>, sqlx::Error> {
    sqlx::query(
        "SELECT la.id AS ledger_id, la.balance, c.id, '' AS scope FROM prepaid_cards c \
         JOIN ledger_accounts la ON la.billing_account_id = c.billing_account_id AND la.kind = 'prepaid_card' \
              AND la.instrument_id = c.id AND la.currency = c.currency \
         WHERE c.billing_account_id = $1 AND c.currency = $2 AND c.status = 'active' AND c.expires_at > $3 \
               AND la.balance > 0 \
         ORDER BY c.expires_at, c.id",
    )
    .bind(account)
    .bind(currency.code())
    .bind(at)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| source(row, LedgerKind::PrepaidCard))
    .collect()
}

/// The table of an instrument kind (vouchers or prepaid cards).
fn instrument_table(kind: LedgerKind) -> &'static str {
    match kind {
        LedgerKind::Voucher => "vouchers",
        _ => "prepaid_cards",
    }
}

/// A voucher or card past its expiry and still active.
#[derive(Clone, Copy, Debug)]
pub struct Due {
    pub kind: LedgerKind,
    pub id: i64,
    pub account: i64,
    pub currency: Currency,
}

/// The vouchers and cards past their expiry that are still active (at most 1,000 of each), in
/// a fixed order (account, then id), so replicas expiring at the same time lock accounts in the
/// same order.
pub async fn due_for_expiry(conn: &mut AnyConnection, now: i64) -> Result<Vec<Due>, sqlx::Error> {
    let mut due = Vec::new();
    for kind in [LedgerKind::Voucher, LedgerKind::PrepaidCard] {
        let rows = sqlx::query(&format!(
            "SELECT id, billing_account_id, currency FROM {} WHERE status = 'active' \
             AND expires_at <= $1 ORDER BY billing_account_id, id LIMIT 1000",
            instrument_table(kind)
        ))
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            due.push(Due {
                kind,
                id: row.try_get("id")?,
                account: row.try_get("billing_account_id")?,
                currency: row_currency(&row)?,
            });
        }
    }
    due.sort_by_key(|due| (due.account, due.id));
    Ok(due)
}

/// Marks a voucher or card expired; false when it no longer was active (another replica did it).
pub async fn mark_expired(
    conn: &mut AnyConnection,
    kind: LedgerKind,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let marked = sqlx::query(&format!(
        "UPDATE {} SET status = 'expired' WHERE id = $1 AND status = 'active'",
        instrument_table(kind)
    ))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(marked.rows_affected() == 1)
}

/// The active, unexpired value the account holds in vouchers or in prepaid cards (`kind`).
pub async fn usable_total(
    conn: &mut AnyConnection,
    kind: LedgerKind,
    account: i64,
    currency: Currency,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT CAST(COALESCE(SUM(la.balance), 0) AS BIGINT) AS total FROM {} t \
         JOIN ledger_accounts la ON la.billing_account_id = t.billing_account_id AND la.kind = '{}' \
              AND la.instrument_id = t.id AND la.currency = t.currency \
         WHERE t.billing_account_id = $1 AND t.currency = $2 AND t.status = 'active' AND t.expires_at > $3",
        instrument_table(kind),
        kind.code()
    ))
    .bind(account)
    .bind(currency.code())
    .bind(now)
    .fetch_one(conn)
    .await?
    .try_get("total")
}

/// A recharge order to open.
#[derive(Clone, Copy, Debug)]
pub struct NewOrder<'a> {
    pub order_no: &'a str,
    pub account: i64,
    pub currency: Currency,
    /// Minor units.
    pub amount: i64,
    pub provider: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}

pub async fn insert_recharge_order(
    conn: &mut AnyConnection,
    order: &NewOrder<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO recharge_orders (order_no, billing_account_id, currency, amount, provider, status, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
    )
    .bind(order.order_no)
    .bind(order.account)
    .bind(order.currency.code())
    .bind(order.amount)
    .bind(order.provider)
    .bind(order.created_at)
    .bind(order.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A stored recharge order.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrderRow {
    pub id: i64,
    pub order_no: String,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    /// Minor units.
    pub amount: i64,
    #[sqlx(try_from = "String")]
    pub status: OrderStatus,
    pub created_at: i64,
    pub expires_at: i64,
}

const ORDER_COLUMNS: &str = "id, order_no, currency, amount, status, created_at, expires_at";

/// The account's orders, newest first. An order shows as expired when it is pending past its
/// deadline at `now`, so that is how the filter reads it too.
pub async fn recharge_orders(
    conn: &mut AnyConnection,
    account: i64,
    slice: Slice<OrderStatus>,
    now: i64,
) -> Result<Vec<OrderRow>, sqlx::Error> {
    let (status, uses_now) = match slice.status {
        None => ("", false),
        Some(OrderStatus::Pending) => ("AND status = 'pending' AND expires_at > $3", true),
        Some(OrderStatus::Expired) => ("AND status = 'pending' AND expires_at <= $3", true),
        Some(OrderStatus::Paid) => ("AND status = 'paid'", false),
        Some(OrderStatus::Failed) => ("AND status = 'failed'", false),
    };
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM recharge_orders WHERE billing_account_id = $1 {status} {older} \
         ORDER BY id DESC LIMIT $2",
        older = keyset_older("id", slice.before, if uses_now { 4 } else { 3 }),
    );
    let mut query = sqlx::query_as::<_, OrderRow>(&sql)
        .bind(account)
        .bind(slice.limit);
    if uses_now {
        query = query.bind(now);
    }
    if let Some(before) = slice.before {
        query = query.bind(before);
    }
    query.fetch_all(conn).await
}

/// One of the account's orders (`None` for another account's).
pub async fn recharge_order(
    conn: &mut AnyConnection,
    account: i64,
    order_no: &str,
) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {ORDER_COLUMNS} FROM recharge_orders WHERE order_no = $1 AND billing_account_id = $2"
    ))
    .bind(order_no)
    .bind(account)
    .fetch_optional(conn)
    .await
}

/// What every voucher and card row has alike.
#[derive(Clone, Debug)]
pub struct Held {
    pub id: i64,
    pub currency: Currency,
    /// Minor units, as given.
    pub denomination: i64,
    /// Minor units left.
    pub balance: i64,
    /// The stored status: "active" or "expired".
    pub stored_status: String,
    /// Activated (vouchers) or bought (cards).
    pub since: i64,
    pub expires_at: i64,
}

impl Held {
    /// An active instrument with nothing left is used up.
    pub fn status(&self) -> InstrumentStatus {
        match (self.stored_status.as_str(), self.balance) {
            ("expired", _) => InstrumentStatus::Expired,
            (_, 0) => InstrumentStatus::UsedUp,
            _ => InstrumentStatus::Active,
        }
    }
}

/// A voucher row: what it shares with cards, its kind and scope.
#[derive(Clone, Debug)]
pub struct VoucherRow {
    pub held: Held,
    pub kind: VoucherKind,
    pub scope: String,
}

/// Which rows of a list by status to read: those with `status` (all for `None`), older than
/// the row id `before` (`None`: from the newest), at most `limit`.
#[derive(Clone, Copy, Debug)]
pub struct Slice<S> {
    pub status: Option<S>,
    pub before: Option<i64>,
    pub limit: i64,
}

/// The account's vouchers or cards (`kind`), newest first, each with `extra` columns.
async fn held_rows(
    conn: &mut AnyConnection,
    kind: LedgerKind,
    account: i64,
    (since, extra): (&str, &str),
    slice: Slice<InstrumentStatus>,
) -> Result<Vec<(Held, sqlx::any::AnyRow)>, sqlx::Error> {
    let status = match slice.status {
        None => "",
        Some(InstrumentStatus::Active) => "AND t.status = 'active' AND COALESCE(la.balance, 0) > 0",
        Some(InstrumentStatus::UsedUp) => "AND t.status = 'active' AND COALESCE(la.balance, 0) = 0",
        Some(InstrumentStatus::Expired) => "AND t.status = 'expired'",
    };
    let sql = format!(
        "SELECT t.id, t.currency, t.denomination, t.status, t.{since} AS since, t.expires_at, {extra}, \
                COALESCE(la.balance, 0) AS balance \
         FROM {table} t LEFT JOIN ledger_accounts la ON la.billing_account_id = t.billing_account_id \
              AND la.kind = '{code}' AND la.instrument_id = t.id \
         WHERE t.billing_account_id = $1 {status} {older} ORDER BY t.id DESC LIMIT $2",
        table = instrument_table(kind),
        code = kind.code(),
        older = keyset_older("t.id", slice.before, 3),
    );
    let mut query = sqlx::query(&sql).bind(account).bind(slice.limit);
    if let Some(before) = slice.before {
        query = query.bind(before);
    }
    let rows = query.fetch_all(conn).await?;
    rows.into_iter()
        .map(|row| {
            let held = Held {
                id: row.try_get("id")?,
                currency: row_currency(&row)?,
                denomination: row.try_get("denomination")?,
                balance: row.try_get("balance")?,
                stored_status: row.try_get("status")?,
                since: row.try_get("since")?,
                expires_at: row.try_get("expires_at")?,
            };
            Ok((held, row))
        })
        .collect()
}

/// The account's vouchers, newest first.
pub async fn vouchers(
    conn: &mut AnyConnection,
    account: i64,
    slice: Slice<InstrumentStatus>,
) -> Result<Vec<VoucherRow>, sqlx::Error> {
    let columns = ("activated_at", "t.kind, t.scope");
    held_rows(conn, LedgerKind::Voucher, account, columns, slice)
        .await?
        .into_iter()
        .map(|(held, row)| {
            let kind: String = row.try_get("kind")?;
            Ok(VoucherRow {
                held,
                kind: VoucherKind::from_code(&kind)
                    .ok_or_else(|| sqlx::Error::Decode(format!("voucher kind {kind:?}").into()))?,
                scope: row.try_get("scope")?,
            })
        })
        .collect()
}

/// The account's prepaid cards with their numbers, newest first.
pub async fn prepaid_cards(
    conn: &mut AnyConnection,
    account: i64,
    slice: Slice<InstrumentStatus>,
) -> Result<Vec<(String, Held)>, sqlx::Error> {
    let columns = ("purchased_at", "t.card_no");
    held_rows(conn, LedgerKind::PrepaidCard, account, columns, slice)
        .await?
        .into_iter()
        .map(|(held, row)| Ok((row.try_get("card_no")?, held)))
        .collect()
}

/// One posting on a holding, as Income & expenditure lists it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MovementRow {
    pub id: i64,
    pub created_at: i64,
    #[sqlx(try_from = "String")]
    pub kind: JournalKind,
    #[sqlx(try_from = "String")]
    pub holding: LedgerKind,
    pub instrument_id: i64,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    /// Signed minor units.
    pub amount: i64,
    pub reference: String,
}

/// Up to `limit` of the account's postings older than `before` (a posting id; `None` for the
/// newest) that pass `filter`, newest first.
pub async fn movements(
    conn: &mut AnyConnection,
    account: i64,
    filter: &MovementFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<MovementRow>, sqlx::Error> {
    let older = keyset_older("p.id", before, 6);
    let sql = format!(
        "SELECT p.id, p.created_at, p.kind, p.amount, p.currency, la.kind AS holding, la.instrument_id, j.reference \
         FROM postings p \
         JOIN ledger_accounts la ON la.id = p.ledger_account_id \
         JOIN journal_transactions j ON j.id = p.transaction_id \
         WHERE p.billing_account_id = $1 {older} AND p.created_at >= $2 AND p.created_at < $3 \
               AND ($4 = '' OR p.kind = $4) \
         ORDER BY p.id DESC LIMIT $5"
    );
    let mut query = sqlx::query_as(&sql)
        .bind(account)
        .bind(filter.from.unwrap_or(i64::MIN))
        .bind(filter.to.unwrap_or(i64::MAX))
        .bind(&filter.kind)
        .bind(limit);
    if let Some(before) = before {
        query = query.bind(before);
    }
    query.fetch_all(conn).await
}

/// What a payment callback checks and settles of its order.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OrderToSettle {
    pub id: i64,
    #[sqlx(rename = "billing_account_id")]
    pub account: i64,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    pub amount: i64,
    pub provider: String,
    #[sqlx(try_from = "String")]
    pub status: OrderStatus,
    /// The provider's transaction that paid it, once paid.
    #[sqlx(rename = "provider_txn_id")]
    pub settled_by: Option<String>,
}

pub async fn order_to_settle(
    conn: &mut AnyConnection,
    order_no: &str,
) -> Result<Option<OrderToSettle>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, billing_account_id, currency, amount, provider, status, provider_txn_id \
         FROM recharge_orders WHERE order_no = $1",
    )
    .bind(order_no)
    .fetch_optional(conn)
    .await
}

/// Whether the provider's transaction already paid an order other than `order_id`.
pub async fn transaction_settles_another(
    conn: &mut AnyConnection,
    provider_txn_id: &str,
    order_id: i64,
) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query("SELECT id FROM recharge_orders WHERE provider_txn_id = $1 AND id <> $2")
            .bind(provider_txn_id)
            .bind(order_id)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// Marks the order paid by the provider's transaction; false when it was paid already.
pub async fn mark_paid(
    conn: &mut AnyConnection,
    order_id: i64,
    provider_txn_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE recharge_orders SET status = 'paid', provider_txn_id = $1, settled_at = $2 \
         WHERE id = $3 AND status <> 'paid'",
    )
    .bind(provider_txn_id)
    .bind(now)
    .bind(order_id)
    .execute(conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Marks a pending order failed.
pub async fn mark_failed(
    conn: &mut AnyConnection,
    order_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE recharge_orders SET status = 'failed', settled_at = $1 WHERE id = $2 AND status = 'pending'",
    )
    .bind(now)
    .bind(order_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The provider's transaction that paid the order, if any.
pub async fn settled_by(
    conn: &mut AnyConnection,
    order_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT provider_txn_id FROM recharge_orders WHERE id = $1")
        .bind(order_id)
        .fetch_one(conn)
        .await?
        .try_get("provider_txn_id")
}

/// An active card with money left that is about to expire and was not reminded yet, with
/// where its holder is reached.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CardToRemind {
    pub id: i64,
    pub card_no: String,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    pub expires_at: i64,
    pub balance: i64,
    pub billing_account_id: i64,
}

/// Cards expiring in (`after`, `until`] not reminded yet, soonest first (at most 500).
pub async fn cards_to_remind(
    conn: &mut AnyConnection,
    after: i64,
    until: i64,
) -> Result<Vec<CardToRemind>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.id, c.card_no, c.currency, c.expires_at, la.balance, c.billing_account_id \
         FROM prepaid_cards c \
         JOIN ledger_accounts la ON la.billing_account_id = c.billing_account_id AND la.kind = 'prepaid_card' \
              AND la.instrument_id = c.id AND la.currency = c.currency \
         WHERE c.status = 'active' AND c.reminded_at IS NULL AND c.expires_at > $1 AND c.expires_at <= $2 \
               AND la.balance > 0 \
         ORDER BY c.expires_at LIMIT 500",
    )
    .bind(after)
    .bind(until)
    .fetch_all(conn)
    .await
}

/// Claims a card's reminder; false when another replica claimed it first.
pub async fn claim_reminder(
    conn: &mut AnyConnection,
    card: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE prepaid_cards SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL",
    )
    .bind(now)
    .bind(card)
    .execute(conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// A new batch of activation codes (its codes follow); returns its id.
pub async fn insert_code_batch(
    conn: &mut AnyConnection,
    batch: &NewBatch,
    actor: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO voucher_code_batches (currency, denomination, scope, validity_days, codes_expire_at, quantity, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(batch.currency.code())
    .bind(batch.denomination)
    .bind(batch.scope.join(","))
    .bind(batch.validity_days)
    .bind(batch.codes_expire_at)
    .bind(batch.quantity)
    .bind(&batch.note)
    .bind(actor)
    .bind(now)
    .fetch_one(conn)
    .await?
    .try_get("id")
}

/// One code of a batch, kept only as its hash.
pub async fn insert_code(
    conn: &mut AnyConnection,
    batch: i64,
    position: i64,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO voucher_codes (batch_id, position, code_hash) VALUES ($1, $2, $3)")
        .bind(batch)
        .bind(position)
        .bind(hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// The codes of a batch in order: (position, redeemed by account, redeemed at).
pub async fn batch_codes(
    conn: &mut AnyConnection,
    batch: i64,
) -> Result<Vec<(i64, Option<i64>, Option<i64>)>, sqlx::Error> {
    sqlx::query(
        "SELECT position, redeemed_by, redeemed_at FROM voucher_codes WHERE batch_id = $1 ORDER BY position",
    )
    .bind(batch)
    .fetch_all(conn)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("position")?,
            row.try_get("redeemed_by")?,
            row.try_get("redeemed_at")?,
        ))
    })
    .collect()
}

/// A code found by its hash, with what its batch gives.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CodeRow {
    pub id: i64,
    pub redeemed_by: Option<i64>,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    pub denomination: i64,
    pub scope: String,
    pub validity_days: i64,
    pub codes_expire_at: i64,
}

pub async fn code_by_hash(
    conn: &mut AnyConnection,
    hash: &str,
) -> Result<Option<CodeRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.id, c.redeemed_by, b.currency, b.denomination, b.scope, b.validity_days, b.codes_expire_at \
         FROM voucher_codes c JOIN voucher_code_batches b ON b.id = c.batch_id WHERE c.code_hash = $1",
    )
    .bind(hash)
    .fetch_optional(conn)
    .await
}

/// Claims a code for `account`; false when it was redeemed already.
pub async fn claim_code(
    conn: &mut AnyConnection,
    code: i64,
    account: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE voucher_codes SET redeemed_by = $1, redeemed_at = $2 WHERE id = $3 AND redeemed_by IS NULL",
    )
    .bind(account)
    .bind(now)
    .bind(code)
    .execute(conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Records the voucher a code gave.
pub async fn link_code_voucher(
    conn: &mut AnyConnection,
    code: i64,
    voucher: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE voucher_codes SET voucher_id = $1 WHERE id = $2")
        .bind(voucher)
        .bind(code)
        .execute(conn)
        .await?;
    Ok(())
}

/// A batch with how many of its codes were redeemed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct BatchRow {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    pub denomination: i64,
    pub scope: String,
    pub validity_days: i64,
    pub codes_expire_at: i64,
    pub quantity: i64,
    pub redeemed: i64,
    pub note: String,
    pub created_by: String,
    pub created_at: i64,
}

/// The latest `limit` batches, newest first.
pub async fn code_batches(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<BatchRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT b.id, b.currency, b.denomination, b.scope, b.validity_days, b.codes_expire_at, b.quantity, b.note, \
                b.created_by, b.created_at, (SELECT COUNT(*) FROM voucher_codes c WHERE c.batch_id = b.id AND c.redeemed_by IS NOT NULL) AS redeemed \
         FROM voucher_code_batches b ORDER BY b.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}
