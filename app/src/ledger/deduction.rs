//! Vouchers, prepaid cards, and the deduction engine that pays a charge from them in the order
//! of spec section 5: regular vouchers, discount vouchers, prepaid cards, cash, then arrears.
//! SMS and synthetic-test items are paid only from prepaid cards and cash (then arrears);
//! vouchers pay only items within their scope; among equals the nearest expiry pays first.
use super::model::{FundsPolicy, JournalKind, LedgerKind};
use super::service::{earlier, post, Entry, LedgerError, Leg, Posted};
use super::store;
use crate::money::{Currency, MAX_AMOUNT_MAJOR};
use crate::server::db::Backend;
use sqlx::{AnyConnection, Row};

/// Billing items only cash or prepaid cards may pay.
pub const CASH_OR_CARD_ONLY: [&str; 2] = ["sms", "synthetic_test"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoucherKind {
    Regular,
    Discount,
}

impl VoucherKind {
    pub fn code(self) -> &'static str {
        match self {
            VoucherKind::Regular => "regular",
            VoucherKind::Discount => "discount",
        }
    }
}

/// One part of a charge: `amount` minor units from an instrument (`instrument_id` 0 for cash
/// and arrears).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paid {
    pub kind: LedgerKind,
    pub instrument_id: i64,
    pub amount: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deduction {
    pub posted: Posted,
    pub parts: Vec<Paid>,
}

async fn reference_of(conn: &mut AnyConnection, journal_id: i64) -> Result<String, sqlx::Error> {
    sqlx::query("SELECT reference FROM journal_transactions WHERE id = $1")
        .bind(journal_id)
        .fetch_one(conn)
        .await?
        .try_get("reference")
}

fn id_in(reference: &str) -> i64 {
    reference
        .rsplit(':')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or(0)
}

/// Gives the account a voucher of `amount` minor units (operator issue, code activation, or a
/// discount voucher with a card). Returns the voucher's id; a repeated key returns the first.
#[allow(clippy::too_many_arguments)]
pub async fn issue_voucher(
    conn: &mut AnyConnection,
    account: i64,
    currency: Currency,
    kind: VoucherKind,
    amount: i64,
    expires_at: i64,
    scope: &[&str],
    actor: &str,
    key: &str,
    now: i64,
) -> Result<i64, LedgerError> {
    let request = format!(
        "voucher|{account}|{}|{}|{amount}|{expires_at}|{}",
        currency.code(),
        kind.code(),
        scope.join(",")
    );
    if let Some(journal) = earlier(conn, key, &request).await? {
        return Ok(id_in(&reference_of(conn, journal).await?));
    }
    if amount <= 0 {
        return Err(LedgerError::TooFewLegs);
    }
    let id: i64 = sqlx::query(
        "INSERT INTO vouchers (billing_account_id, kind, currency, denomination, scope, status, activated_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7) RETURNING id",
    )
    .bind(account)
    .bind(kind.code())
    .bind(currency.code())
    .bind(amount)
    .bind(scope.join(","))
    .bind(now)
    .bind(expires_at)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    let voucher =
        store::ledger_account(conn, Some(account), LedgerKind::Voucher, id, currency, now).await?;
    let issuance =
        store::ledger_account(conn, None, LedgerKind::VoucherIssuance, 0, currency, now).await?;
    let entry = Entry {
        billing_account_id: Some(account),
        kind: JournalKind::VoucherActivation,
        reference: &format!("voucher:{id}"),
        actor,
        idempotency_key: key,
        currency,
        legs: Vec::new(),
        request: Some(request),
        at: Some(now),
    };
    give(conn, entry, voucher, issuance, amount).await?;
    Ok(id)
}

/// Posts `entry` as value given away: `amount` into the `holding` from the house's `giver`.
async fn give(
    conn: &mut AnyConnection,
    entry: Entry<'_>,
    holding: i64,
    giver: i64,
    amount: i64,
) -> Result<Posted, LedgerError> {
    let legs = vec![
        Leg {
            account: holding,
            amount,
        },
        Leg {
            account: giver,
            amount: -amount,
        },
    ];
    first_time(post(conn, &Entry { legs, ..entry }).await)
}

/// A movement that makes a new voucher or card must post for the first time. `Repeated` here
/// means a twin request with the same key committed while this one ran (both passed the
/// look-up before either committed): this one made a second instrument row, so it is refused
/// and rolls back, and its caller answers like any repeat.
fn first_time(posted: Result<Posted, LedgerError>) -> Result<Posted, LedgerError> {
    match posted? {
        Posted::Repeated(_) => Err(LedgerError::KeyReused),
        new => Ok(new),
    }
}

/// Buys a prepaid card of `amount_major` (a multiple of 100, at least 100) with cash, valid
/// for the policy's days; with it comes the discount voucher of its tier. Returns the card's id.
#[allow(clippy::too_many_arguments)]
pub async fn buy_prepaid_card(
    conn: &mut AnyConnection,
    backend: Backend,
    account: i64,
    currency: Currency,
    amount_major: i64,
    policy: &FundsPolicy,
    key: &str,
    now: i64,
) -> Result<i64, LedgerError> {
    let validity_ms = policy.card_validity_ms();
    let request = format!(
        "card|{account}|{}|{amount_major}|{validity_ms}",
        currency.code()
    );
    if let Some(journal) = earlier(conn, key, &request).await? {
        return Ok(id_in(&reference_of(conn, journal).await?));
    }
    if amount_major < 100 || amount_major % 100 != 0 || amount_major > MAX_AMOUNT_MAJOR {
        return Err(LedgerError::Refused(
            "A prepaid card is a multiple of 100, at least 100".into(),
        ));
    }
    let amount = minor_units(amount_major, currency)?;
    let cash =
        store::ledger_account(conn, Some(account), LedgerKind::Cash, 0, currency, now).await?;
    store::lock_holdings(conn, backend, account).await?;
    if store::balance(conn, cash).await? < amount {
        return Err(LedgerError::Insufficient(cash));
    }
    let expires_at = now + validity_ms;
    let (id, card) = new_card(conn, account, currency, amount, "purchase", now, expires_at).await?;
    let reference = format!("card:{id}");
    let actor = super::model::Actor::Account(account).to_string();
    first_time(
        post(
            conn,
            &Entry {
                billing_account_id: Some(account),
                kind: JournalKind::CardPurchase,
                reference: &reference,
                actor: &actor,
                idempotency_key: key,
                currency,
                legs: vec![
                    Leg {
                        account: cash,
                        amount: -amount,
                    },
                    Leg {
                        account: card,
                        amount,
                    },
                ],
                request: Some(request),
                at: Some(now),
            },
        )
        .await,
    )?;
    if let Some(discount) = policy.discount_for(amount_major) {
        let discount_key = format!("{key}:discount");
        issue_voucher(
            conn,
            account,
            currency,
            VoucherKind::Discount,
            minor_units(discount, currency)?,
            expires_at,
            &[],
            &actor,
            &discount_key,
            now,
        )
        .await?;
    }
    Ok(id)
}

/// `major` whole units in minor units, refused (never wrapped) when out of range.
fn minor_units(major: i64, currency: Currency) -> Result<i64, LedgerError> {
    crate::money::to_minor_units(rust_decimal::Decimal::from(major), currency)
        .ok()
        .filter(|minor| *minor <= crate::money::MAX_BALANCE_MINOR)
        .ok_or_else(|| LedgerError::Refused("The amount is too large".into()))
}

/// A new prepaid card row and its ledger account (empty until the caller posts).
#[allow(clippy::too_many_arguments)]
async fn new_card(
    conn: &mut AnyConnection,
    account: i64,
    currency: Currency,
    amount: i64,
    source: &str,
    now: i64,
    expires_at: i64,
) -> Result<(i64, i64), LedgerError> {
    let card_no = format!("PC{}", crate::server::secrets::random_hex(8).to_uppercase());
    let id: i64 = sqlx::query(
        "INSERT INTO prepaid_cards (card_no, billing_account_id, currency, denomination, source, status, purchased_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7) RETURNING id",
    )
    .bind(&card_no)
    .bind(account)
    .bind(currency.code())
    .bind(amount)
    .bind(source)
    .bind(now)
    .bind(expires_at)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    let card = store::ledger_account(
        conn,
        Some(account),
        LedgerKind::PrepaidCard,
        id,
        currency,
        now,
    )
    .await?;
    Ok((id, card))
}

/// Gives the account a prepaid card of `amount` minor units (an operator's issue, no cash
/// spent, no discount voucher), valid `validity_ms`. Returns the card's id; a repeated key
/// returns the first.
#[allow(clippy::too_many_arguments)]
pub async fn issue_prepaid_card(
    conn: &mut AnyConnection,
    account: i64,
    currency: Currency,
    amount: i64,
    validity_ms: i64,
    actor: &str,
    key: &str,
    now: i64,
) -> Result<i64, LedgerError> {
    let request = format!(
        "card-issue|{account}|{}|{amount}|{validity_ms}",
        currency.code()
    );
    if let Some(journal) = earlier(conn, key, &request).await? {
        return Ok(id_in(&reference_of(conn, journal).await?));
    }
    if amount <= 0 || validity_ms <= 0 {
        return Err(LedgerError::TooFewLegs);
    }
    let (id, card) = new_card(
        conn,
        account,
        currency,
        amount,
        "operator",
        now,
        now + validity_ms,
    )
    .await?;
    let issuance =
        store::ledger_account(conn, None, LedgerKind::CardIssuance, 0, currency, now).await?;
    let entry = Entry {
        billing_account_id: Some(account),
        kind: JournalKind::CardIssue,
        reference: &format!("card:{id}"),
        actor,
        idempotency_key: key,
        currency,
        legs: Vec::new(),
        request: Some(request),
        at: Some(now),
    };
    give(conn, entry, card, issuance, amount).await?;
    Ok(id)
}

/// An instrument that may pay: its ledger account and what is left on it.
struct Source {
    ledger_account: i64,
    kind: LedgerKind,
    instrument_id: i64,
    balance: i64,
}

/// The vouchers (regular first, then discount) and cards that may pay `item` at `at`, in the
/// order they pay.
async fn sources(
    conn: &mut AnyConnection,
    account: i64,
    currency: Currency,
    item: &str,
    at: i64,
) -> Result<Vec<Source>, sqlx::Error> {
    let mut found = Vec::new();
    if !CASH_OR_CARD_ONLY.contains(&item) {
        let vouchers = sqlx::query(
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
        .fetch_all(&mut *conn)
        .await?;
        for row in vouchers {
            let scope: String = row.try_get("scope")?;
            if scope.is_empty() || scope.split(',').any(|s| s == item) {
                found.push(Source {
                    ledger_account: row.try_get("ledger_id")?,
                    kind: LedgerKind::Voucher,
                    instrument_id: row.try_get("id")?,
                    balance: row.try_get("balance")?,
                });
            }
        }
    }
    let cards = sqlx::query(
        "SELECT la.id AS ledger_id, la.balance, c.id FROM prepaid_cards c \
         JOIN ledger_accounts la ON la.billing_account_id = c.billing_account_id AND la.kind = 'prepaid_card' \
              AND la.instrument_id = c.id AND la.currency = c.currency \
         WHERE c.billing_account_id = $1 AND c.currency = $2 AND c.status = 'active' AND c.expires_at > $3 \
               AND la.balance > 0 \
         ORDER BY c.expires_at, c.id",
    )
    .bind(account)
    .bind(currency.code())
    .bind(at)
    .fetch_all(&mut *conn)
    .await?;
    for row in cards {
        found.push(Source {
            ledger_account: row.try_get("ledger_id")?,
            kind: LedgerKind::PrepaidCard,
            instrument_id: row.try_get("id")?,
            balance: row.try_get("balance")?,
        });
    }
    Ok(found)
}

/// What each instrument paid in journal transaction `journal`.
async fn parts_of(conn: &mut AnyConnection, journal: i64) -> Result<Vec<Paid>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT la.kind, la.instrument_id, p.amount FROM postings p JOIN ledger_accounts la ON la.id = p.ledger_account_id \
         WHERE p.transaction_id = $1 AND la.keeps_balance = 1 ORDER BY p.id",
    )
    .bind(journal)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            let amount: i64 = row.try_get("amount")?;
            Ok(Paid {
                kind: match kind.as_str() {
                    "voucher" => LedgerKind::Voucher,
                    "prepaid_card" => LedgerKind::PrepaidCard,
                    "arrears" => LedgerKind::Arrears,
                    _ => LedgerKind::Cash,
                },
                instrument_id: row.try_get("instrument_id")?,
                amount: -amount,
            })
        })
        .collect()
}

/// Charges `amount` minor units for `item` (the usage of a day, `reference`), paying it in the
/// deduction order. A repeated key returns the first deduction.
#[allow(clippy::too_many_arguments)]
pub async fn deduct(
    conn: &mut AnyConnection,
    backend: Backend,
    account: i64,
    currency: Currency,
    item: &str,
    amount: i64,
    reference: &str,
    key: &str,
    at: i64,
) -> Result<Deduction, LedgerError> {
    let request = format!(
        "deduct|{account}|{}|{item}|{amount}|{reference}",
        currency.code()
    );
    if let Some(journal) = earlier(conn, key, &request).await? {
        return Ok(Deduction {
            posted: Posted::Repeated(journal),
            parts: parts_of(conn, journal).await?,
        });
    }
    if amount <= 0 {
        return Err(LedgerError::TooFewLegs);
    }
    let cash =
        store::ledger_account(conn, Some(account), LedgerKind::Cash, 0, currency, at).await?;
    let arrears =
        store::ledger_account(conn, Some(account), LedgerKind::Arrears, 0, currency, at).await?;
    let revenue = store::ledger_account(conn, None, LedgerKind::Revenue, 0, currency, at).await?;
    store::lock_holdings(conn, backend, account).await?;
    let cash_balance = store::balance(conn, cash).await?;
    let mut left = amount;
    let mut legs = vec![Leg {
        account: revenue,
        amount,
    }];
    let mut parts = Vec::new();
    let everything = sources(conn, account, currency, item, at)
        .await?
        .into_iter()
        .chain([
            Source {
                ledger_account: cash,
                kind: LedgerKind::Cash,
                instrument_id: 0,
                balance: cash_balance,
            },
            Source {
                ledger_account: arrears,
                kind: LedgerKind::Arrears,
                instrument_id: 0,
                balance: i64::MAX,
            },
        ]);
    for source in everything {
        if left == 0 {
            break;
        }
        let take = source.balance.min(left);
        if take > 0 {
            legs.push(Leg {
                account: source.ledger_account,
                amount: -take,
            });
            parts.push(Paid {
                kind: source.kind,
                instrument_id: source.instrument_id,
                amount: take,
            });
            left -= take;
        }
    }
    let posted = post(
        conn,
        &Entry {
            billing_account_id: Some(account),
            kind: JournalKind::DailyCharge,
            reference,
            actor: crate::ledger::model::Actor::SYSTEM,
            idempotency_key: key,
            currency,
            legs,
            request: Some(request),
            at: Some(at),
        },
    )
    .await?;
    Ok(Deduction { posted, parts })
}

/// The vouchers and cards past their expiry that are still active, in a fixed order (account,
/// then id), so replicas expiring at the same time lock accounts in the same order.
async fn due_for_expiry(
    conn: &mut AnyConnection,
    now: i64,
) -> Result<Vec<(&'static str, LedgerKind, i64, i64, Currency)>, sqlx::Error> {
    let mut due = Vec::new();
    for (table, kind) in [
        ("vouchers", LedgerKind::Voucher),
        ("prepaid_cards", LedgerKind::PrepaidCard),
    ] {
        let rows = sqlx::query(&format!(
            "SELECT id, billing_account_id, currency FROM {table} WHERE status = 'active' \
             AND expires_at <= $1 ORDER BY billing_account_id, id LIMIT 1000"
        ))
        .bind(now)
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            due.push((
                table,
                kind,
                row.try_get("id")?,
                row.try_get("billing_account_id")?,
                store::row_currency(&row)?,
            ));
        }
    }
    due.sort_by_key(|(_, _, id, account, _)| (*account, *id));
    Ok(due)
}

/// Voids what is left on one expired voucher or card and marks it expired; nothing when
/// another replica did it first.
async fn expire_one(
    conn: &mut AnyConnection,
    backend: Backend,
    (table, kind, id, account, currency): (&'static str, LedgerKind, i64, i64, Currency),
    now: i64,
) -> Result<bool, LedgerError> {
    let holding = store::ledger_account(conn, Some(account), kind, id, currency, now).await?;
    let expired = store::ledger_account(conn, None, LedgerKind::Expired, 0, currency, now).await?;
    store::lock_holdings(conn, backend, account).await?;
    let marked = sqlx::query(&format!(
        "UPDATE {table} SET status = 'expired' WHERE id = $1 AND status = 'active'"
    ))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if marked.rows_affected() != 1 {
        return Ok(false);
    }
    let left = store::balance(conn, holding).await?;
    if left > 0 {
        let key = format!("expiry:{}:{id}", kind.code());
        let reference = format!("{}:{id}", kind.code());
        post(
            conn,
            &Entry {
                billing_account_id: Some(account),
                kind: JournalKind::Expiry,
                reference: &reference,
                actor: crate::ledger::model::Actor::SYSTEM,
                idempotency_key: &key,
                currency,
                legs: vec![
                    Leg {
                        account: holding,
                        amount: -left,
                    },
                    Leg {
                        account: expired,
                        amount: left,
                    },
                ],
                request: None,
                at: None,
            },
        )
        .await?;
    }
    Ok(true)
}

/// Expires every voucher and card due at `now` in the caller's transaction.
pub async fn expire(
    conn: &mut AnyConnection,
    backend: Backend,
    now: i64,
) -> Result<usize, LedgerError> {
    let mut count = 0;
    for instrument in due_for_expiry(conn, now).await? {
        count += usize::from(expire_one(conn, backend, instrument, now).await?);
    }
    Ok(count)
}

/// The scheduled expiry: each instrument in a small transaction of its own, in the fixed
/// order, so no replica holds many accounts at once or waits on another in a cycle.
pub async fn expire_due(db: &crate::server::db::Db, now: i64) -> Result<usize, LedgerError> {
    let due = {
        let mut conn = db.pool().acquire().await?;
        due_for_expiry(&mut conn, now).await?
    };
    let mut count = 0;
    for instrument in due {
        let mut tx = db.begin_write().await?;
        let done = expire_one(&mut tx, db.backend(), instrument, now).await?;
        tx.commit().await?;
        count += usize::from(done);
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::service::{cash_and_arrears, credit_cash, reconcile};
    use crate::server::db::{now_millis, Db};
    use crate::server::testing::db_test;
    use rand::{Rng, SeedableRng};

    const DAY: i64 = 86_400_000;

    async fn funded(db: &Db, cash: i64) -> i64 {
        let account = crate::server::demo::seed_account(db)
            .await
            .expect("account");
        if cash > 0 {
            let mut tx = db.begin_write().await.expect("tx");
            credit_cash(
                &mut tx,
                db.backend(),
                account,
                Currency::CNY,
                cash,
                "opening",
                crate::ledger::model::Actor::SYSTEM,
                "opening",
                None,
            )
            .await
            .expect("cash");
            tx.commit().await.expect("commit");
        }
        account
    }

    async fn voucher(
        db: &Db,
        account: i64,
        kind: VoucherKind,
        amount: i64,
        expires_in: i64,
        scope: &[&str],
        key: &str,
    ) -> i64 {
        let mut tx = db.begin_write().await.expect("tx");
        let now = now_millis();
        let id = issue_voucher(
            &mut tx,
            account,
            Currency::CNY,
            kind,
            amount,
            now + expires_in,
            scope,
            "operator:test",
            key,
            now,
        )
        .await
        .expect("voucher");
        tx.commit().await.expect("commit");
        id
    }

    async fn card(
        db: &Db,
        account: i64,
        major: i64,
        validity: i64,
        key: &str,
    ) -> Result<i64, LedgerError> {
        let mut tx = db.begin_write().await?;
        let policy = FundsPolicy {
            card_validity_days: validity / DAY,
            ..FundsPolicy::default()
        };
        let id = buy_prepaid_card(
            &mut tx,
            db.backend(),
            account,
            Currency::CNY,
            major,
            &policy,
            key,
            now_millis(),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn pay(db: &Db, account: i64, item: &str, amount: i64, key: &str) -> Deduction {
        let mut tx = db.begin_write().await.expect("tx");
        let deduction = deduct(
            &mut tx,
            db.backend(),
            account,
            Currency::CNY,
            item,
            amount,
            key,
            key,
            now_millis(),
        )
        .await
        .expect("deducted");
        tx.commit().await.expect("commit");
        deduction
    }

    async fn books_are_right(db: &Db) {
        let mut conn = db.pool().acquire().await.expect("conn");
        let found = reconcile(&mut conn).await.expect("reconcile");
        assert!(found.is_empty(), "{found:?}");
    }

    fn kinds(parts: &[Paid]) -> Vec<(LedgerKind, i64)> {
        parts.iter().map(|p| (p.kind, p.amount)).collect()
    }

    db_test!(charges_follow_the_deduction_order, |db| async move {
        let account = funded(&db, 20_000_00).await;
        let discount = voucher(
            &db,
            account,
            VoucherKind::Discount,
            300,
            30 * DAY,
            &[],
            "v-discount",
        )
        .await;
        let late = voucher(
            &db,
            account,
            VoucherKind::Regular,
            500,
            60 * DAY,
            &[],
            "v-late",
        )
        .await;
        let soon = voucher(
            &db,
            account,
            VoucherKind::Regular,
            200,
            10 * DAY,
            &[],
            "v-soon",
        )
        .await;
        let card_id = card(&db, account, 100, 365 * DAY, "card-1")
            .await
            .expect("card");
        // 200 (soon) + 500 (late) + 300 (discount) + 10,000 (card) + 100 cash.
        let paid = pay(&db, account, "logs", 11_100, "day-1").await;
        assert_eq!(
            paid.parts,
            vec![
                Paid {
                    kind: LedgerKind::Voucher,
                    instrument_id: soon,
                    amount: 200
                },
                Paid {
                    kind: LedgerKind::Voucher,
                    instrument_id: late,
                    amount: 500
                },
                Paid {
                    kind: LedgerKind::Voucher,
                    instrument_id: discount,
                    amount: 300
                },
                Paid {
                    kind: LedgerKind::PrepaidCard,
                    instrument_id: card_id,
                    amount: 10_000
                },
                Paid {
                    kind: LedgerKind::Cash,
                    instrument_id: 0,
                    amount: 100
                },
            ]
        );
        let mut conn = db.pool().acquire().await.expect("conn");
        assert_eq!(
            cash_and_arrears(&mut conn, account, Currency::CNY)
                .await
                .expect("b"),
            (20_000_00 - 10_000 - 100, 0)
        );
        drop(conn);
        books_are_right(&db).await;
    });

    db_test!(sms_is_paid_only_by_cards_and_cash, |db| async move {
        let account = funded(&db, 50).await;
        voucher(
            &db,
            account,
            VoucherKind::Regular,
            10_000,
            30 * DAY,
            &[],
            "v-1",
        )
        .await;
        let paid = pay(&db, account, "sms", 80, "sms-1").await;
        assert_eq!(
            kinds(&paid.parts),
            vec![(LedgerKind::Cash, 50), (LedgerKind::Arrears, 30)]
        );
        books_are_right(&db).await;
    });

    db_test!(vouchers_pay_only_within_their_scope, |db| async move {
        let account = funded(&db, 1_000).await;
        voucher(
            &db,
            account,
            VoucherKind::Regular,
            500,
            30 * DAY,
            &["logs"],
            "v-logs",
        )
        .await;
        let apm = pay(&db, account, "apm_trace", 100, "apm-1").await;
        assert_eq!(kinds(&apm.parts), vec![(LedgerKind::Cash, 100)]);
        let logs = pay(&db, account, "logs", 100, "logs-1").await;
        assert_eq!(kinds(&logs.parts), vec![(LedgerKind::Voucher, 100)]);
        // A repeated key answers with the first deduction and takes nothing more.
        let again = pay(&db, account, "logs", 100, "logs-1").await;
        assert_eq!(again.posted, Posted::Repeated(logs.posted.id()));
        assert_eq!(kinds(&again.parts), vec![(LedgerKind::Voucher, 100)]);
        books_are_right(&db).await;
    });

    db_test!(
        cards_follow_the_purchase_rules_and_bring_discount_vouchers,
        |db| async move {
            let account = funded(&db, 40_000_00).await;
            assert!(matches!(
                card(&db, account, 150, 365 * DAY, "c-odd").await,
                Err(LedgerError::Refused(_))
            ));
            assert!(matches!(
                card(&db, account, 0, 365 * DAY, "c-zero").await,
                Err(LedgerError::Refused(_))
            ));
            assert!(matches!(
                card(&db, account, 50_000, 365 * DAY, "c-too-much").await,
                Err(LedgerError::Insufficient(_))
            ));
            card(&db, account, 30_000, 365 * DAY, "c-30k")
                .await
                .expect("card");
            let discount: i64 = sqlx::query("SELECT denomination FROM vouchers WHERE billing_account_id = $1 AND kind = 'discount'")
            .bind(account)
            .fetch_one(db.pool())
            .await
            .and_then(|row| row.try_get("denomination"))
            .expect("discount voucher");
            assert_eq!(discount, 5_000_00, "30,000 brings 5,000");
            // Buying again with the same key buys nothing more.
            card(&db, account, 30_000, 365 * DAY, "c-30k")
                .await
                .expect("repeat");
            let mut conn = db.pool().acquire().await.expect("conn");
            assert_eq!(
                cash_and_arrears(&mut conn, account, Currency::CNY)
                    .await
                    .expect("b"),
                (10_000_00, 0)
            );
            drop(conn);
            books_are_right(&db).await;
        }
    );

    db_test!(expiry_voids_what_is_left, |db| async move {
        let account = funded(&db, 0).await;
        voucher(&db, account, VoucherKind::Regular, 700, DAY, &[], "v-short").await;
        pay(&db, account, "logs", 200, "before").await;
        let mut tx = db.begin_write().await.expect("tx");
        assert_eq!(
            expire(&mut tx, db.backend(), now_millis() + 2 * DAY)
                .await
                .expect("expired"),
            1
        );
        tx.commit().await.expect("commit");
        let after = pay(&db, account, "logs", 100, "after").await;
        assert_eq!(kinds(&after.parts), vec![(LedgerKind::Arrears, 100)]);
        let voided: i64 = sqlx::query(
            "SELECT CAST(SUM(p.amount) AS BIGINT) AS total FROM postings p JOIN ledger_accounts la ON la.id = p.ledger_account_id \
             WHERE la.kind = 'expired'",
        )
        .fetch_one(db.pool())
        .await
        .and_then(|row| row.try_get("total"))
        .expect("voided");
        assert_eq!(voided, 500);
        books_are_right(&db).await;
    });

    db_test!(random_operations_keep_the_invariants, |db| async move {
        let account = funded(&db, 0).await;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let items = ["logs", "apm_trace", "sms", "synthetic_test", "usage"];
        for step in 0..80 {
            let key = format!("op-{step}");
            match rng.gen_range(0..5) {
                0 => {
                    let mut tx = db.begin_write().await.expect("tx");
                    credit_cash(
                        &mut tx,
                        db.backend(),
                        account,
                        Currency::CNY,
                        rng.gen_range(1..3_000_000),
                        &key,
                        crate::ledger::model::Actor::SYSTEM,
                        &key,
                        None,
                    )
                    .await
                    .expect("credit");
                    tx.commit().await.expect("commit");
                }
                1 => {
                    let scope: &[&str] = if rng.gen_bool(0.5) { &[] } else { &["logs"] };
                    voucher(
                        &db,
                        account,
                        VoucherKind::Regular,
                        rng.gen_range(1..50_000),
                        rng.gen_range(1..90) * DAY,
                        scope,
                        &key,
                    )
                    .await;
                }
                2 => {
                    let _ = card(
                        &db,
                        account,
                        rng.gen_range(1..20) * 100,
                        rng.gen_range(1..400) * DAY,
                        &key,
                    )
                    .await;
                }
                _ => {
                    let item = items[rng.gen_range(0..items.len())];
                    let paid = pay(&db, account, item, rng.gen_range(1..200_000), &key).await;
                    // Cash or arrears paid only once every instrument that could pay was empty.
                    if paid
                        .parts
                        .iter()
                        .any(|p| matches!(p.kind, LedgerKind::Cash | LedgerKind::Arrears))
                    {
                        let mut conn = db.pool().acquire().await.expect("conn");
                        let left: i64 =
                            sources(&mut conn, account, Currency::CNY, item, now_millis())
                                .await
                                .expect("sources")
                                .iter()
                                .map(|s| s.balance)
                                .sum();
                        assert_eq!(
                            left, 0,
                            "step {step}: {item} reached cash with instruments left"
                        );
                    }
                    if paid.parts.iter().any(|p| p.kind == LedgerKind::Arrears) {
                        let mut conn = db.pool().acquire().await.expect("conn");
                        assert_eq!(
                            cash_and_arrears(&mut conn, account, Currency::CNY)
                                .await
                                .expect("b")
                                .0,
                            0
                        );
                    }
                    assert!(paid.parts.iter().map(|p| p.amount).sum::<i64>() > 0);
                }
            }
            books_are_right(&db).await;
        }
    });

    db_test!(
        concurrent_charges_never_spend_an_instrument_twice,
        |db| async move {
            let account = funded(&db, 0).await;
            voucher(
                &db,
                account,
                VoucherKind::Regular,
                5_000,
                30 * DAY,
                &[],
                "v-a",
            )
            .await;
            voucher(
                &db,
                account,
                VoucherKind::Discount,
                3_000,
                30 * DAY,
                &[],
                "v-b",
            )
            .await;
            let mut tasks = Vec::new();
            for i in 0..20 {
                let db = db.clone();
                tasks.push(tokio::spawn(async move {
                    pay(&db, account, "logs", 700, &format!("c-{i}")).await
                }));
            }
            let mut from_vouchers = 0;
            for task in tasks {
                let paid = task.await.expect("task");
                from_vouchers += paid
                    .parts
                    .iter()
                    .filter(|p| p.kind == LedgerKind::Voucher)
                    .map(|p| p.amount)
                    .sum::<i64>();
            }
            assert_eq!(
                from_vouchers, 8_000,
                "the vouchers paid exactly what they held"
            );
            let mut conn = db.pool().acquire().await.expect("conn");
            assert_eq!(
                cash_and_arrears(&mut conn, account, Currency::CNY)
                    .await
                    .expect("b"),
                (0, 20 * 700 - 8_000)
            );
            drop(conn);
            books_are_right(&db).await;
        }
    );
}
