//! Posting journal transactions, and the movements built directly on it: crediting cash (which
//! first pays off arrears) and charging through the deduction engine (`deduction.rs`).
use super::model::{JournalKind, LedgerKind};
use super::store;
use crate::money::Currency;
use crate::server::db::{now_millis, Backend};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

/// One leg of a journal transaction: `amount` minor units into (positive) or out of (negative)
/// a ledger account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg {
    pub account: i64,
    pub amount: i64,
}

/// A journal transaction to post.
#[derive(Clone, Debug)]
pub struct Entry<'a> {
    pub billing_account_id: Option<i64>,
    pub kind: JournalKind,
    /// What caused it (an order number, a bill line, ...).
    pub reference: &'a str,
    /// Who acted, as [`Actor`](super::model::Actor) spells it.
    pub actor: &'a str,
    /// The same key never posts twice.
    pub idempotency_key: &'a str,
    pub currency: Currency,
    pub legs: Vec<Leg>,
    /// What was asked for, when the legs depend on balances at the time (a charge splits
    /// between cash and arrears): a retry is then recognised by the request, not by legs that
    /// may come out differently later.
    pub request: Option<String>,
    /// When it happened (Unix milliseconds); `None` for now. Demo history and back-dated
    /// daily charges carry their own time.
    pub at: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Posted {
    /// Posted now, as journal transaction `id`.
    New(i64),
    /// The key was posted before with the same content: nothing done again.
    Repeated(i64),
}

impl Posted {
    pub fn id(self) -> i64 {
        match self {
            Posted::New(id) | Posted::Repeated(id) => id,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("a journal transaction needs at least two non-zero legs")]
    TooFewLegs,
    #[error("the legs do not sum to zero")]
    Unbalanced,
    #[error("the idempotency key was used before for a different movement")]
    KeyReused,
    #[error("ledger account {0} has too little for this")]
    Insufficient(i64),
    #[error("{0}")]
    Refused(String),
    #[error("the balance would be larger than an account may hold")]
    TooLarge,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

fn content_hash(entry: &Entry<'_>) -> String {
    if let Some(request) = &entry.request {
        return request_hash(request);
    }
    let mut legs = entry.legs.clone();
    legs.sort_by_key(|leg| (leg.account, leg.amount));
    let mut text = format!(
        "{}|{}|{}|{}",
        entry.billing_account_id.unwrap_or(0),
        entry.kind.code(),
        entry.reference,
        entry.currency.code()
    );
    for leg in legs {
        text.push_str(&format!("|{}:{}", leg.account, leg.amount));
    }
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Posts `entry` in the caller's transaction: records it under its idempotency key, writes its
/// postings and moves the holdings' balances. A repeat of the same key and content returns the
/// first result; the same key with other content is refused. On any error the caller rolls back.
pub async fn post(conn: &mut AnyConnection, entry: &Entry<'_>) -> Result<Posted, LedgerError> {
    let legs: Vec<Leg> = entry
        .legs
        .iter()
        .copied()
        .filter(|leg| leg.amount != 0)
        .collect();
    if legs.len() < 2 {
        return Err(LedgerError::TooFewLegs);
    }
    if legs
        .iter()
        .try_fold(0i64, |sum, leg| sum.checked_add(leg.amount))
        != Some(0)
    {
        return Err(LedgerError::Unbalanced);
    }
    let entry = Entry {
        legs,
        ..entry.clone()
    };
    let hash = content_hash(&entry);
    let now = entry.at.unwrap_or_else(now_millis);
    let inserted = store::insert_journal(
        conn,
        entry.billing_account_id,
        entry.kind.code(),
        entry.reference,
        entry.actor,
        entry.idempotency_key,
        &hash,
        now,
    )
    .await?;
    let Some(id) = inserted else {
        return match store::journal_by_key(conn, entry.idempotency_key).await? {
            Some((id, existing)) if existing == hash => Ok(Posted::Repeated(id)),
            _ => Err(LedgerError::KeyReused),
        };
    };
    // Balances move in account order, so two transactions never wait on each other in a cycle.
    let mut legs = entry.legs.clone();
    legs.sort_by_key(|leg| leg.account);
    for leg in &legs {
        store::insert_posting(
            conn,
            id,
            leg.account,
            entry.currency,
            leg.amount,
            entry.kind.code(),
            now,
        )
        .await?;
        if !store::move_balance(conn, leg.account, leg.amount).await? {
            let (kind, holding) = store::kind_of(conn, leg.account).await?;
            // A fund going up or a debt growing can only fail at the size bound.
            let growing = if kind == LedgerKind::Arrears.code() {
                leg.amount < 0
            } else {
                leg.amount > 0
            };
            match (holding, growing) {
                (false, _) => {}
                (true, true) => return Err(LedgerError::TooLarge),
                (true, false) => return Err(LedgerError::Insufficient(leg.account)),
            }
        }
    }
    Ok(Posted::New(id))
}

/// The journal transaction asked for before under `key` with the same `request` (its id), or
/// `KeyReused` when the key was used for another movement. `None` for a new key; shared by
/// every operation whose legs depend on balances at the time.
pub(crate) async fn earlier(
    conn: &mut AnyConnection,
    key: &str,
    request: &str,
) -> Result<Option<i64>, LedgerError> {
    match store::journal_by_key(conn, key).await? {
        None => Ok(None),
        Some((id, hash)) if hash == request_hash(request) => Ok(Some(id)),
        Some(_) => Err(LedgerError::KeyReused),
    }
}

/// The stored fingerprint of a request (what `Entry::request` holds).
fn request_hash(request: &str) -> String {
    hex::encode(Sha256::digest(request.as_bytes()))
}

/// The ledger accounts of one billing account's cash and arrears, and the house's account of
/// `house` kind, in `currency`, made on first use.
async fn accounts(
    conn: &mut AnyConnection,
    billing_account_id: i64,
    currency: Currency,
    house: LedgerKind,
) -> Result<(i64, i64, i64), sqlx::Error> {
    let now = now_millis();
    let cash = store::ledger_account(
        conn,
        Some(billing_account_id),
        LedgerKind::Cash,
        0,
        currency,
        now,
    )
    .await?;
    let arrears = store::ledger_account(
        conn,
        Some(billing_account_id),
        LedgerKind::Arrears,
        0,
        currency,
        now,
    )
    .await?;
    let house = store::ledger_account(conn, None, house, 0, currency, now).await?;
    Ok((cash, arrears, house))
}

/// Credits `amount` received for the account (a paid recharge order, a bank transfer) at `at`
/// (`None`: now): it pays off arrears first (spec section 5), the rest becomes cash.
#[allow(clippy::too_many_arguments)]
pub async fn credit_cash(
    conn: &mut AnyConnection,
    backend: Backend,
    billing_account_id: i64,
    currency: Currency,
    amount: i64,
    reference: &str,
    actor: &str,
    idempotency_key: &str,
    at: Option<i64>,
) -> Result<Posted, LedgerError> {
    if amount <= 0 {
        return Err(LedgerError::TooFewLegs);
    }
    let request = format!(
        "recharge|{billing_account_id}|{}|{amount}|{reference}",
        currency.code()
    );
    if let Some(id) = earlier(conn, idempotency_key, &request).await? {
        return Ok(Posted::Repeated(id));
    }
    let (cash, arrears, clearing) = accounts(
        conn,
        billing_account_id,
        currency,
        LedgerKind::PaymentClearing,
    )
    .await?;
    store::lock_holdings(conn, backend, billing_account_id).await?;
    let owed = -store::balance(conn, arrears).await?;
    let to_arrears = owed.min(amount);
    let entry = Entry {
        billing_account_id: Some(billing_account_id),
        kind: JournalKind::Recharge,
        reference,
        actor,
        idempotency_key,
        currency,
        legs: vec![
            Leg {
                account: clearing,
                amount: -amount,
            },
            Leg {
                account: arrears,
                amount: to_arrears,
            },
            Leg {
                account: cash,
                amount: amount - to_arrears,
            },
        ],
        request: Some(request),
        at,
    };
    post(conn, &entry).await
}

/// Charges `amount` for general usage through the deduction engine (vouchers, cards, cash,
/// then arrears).
#[allow(clippy::too_many_arguments)]
pub async fn charge(
    conn: &mut AnyConnection,
    backend: Backend,
    billing_account_id: i64,
    currency: Currency,
    amount: i64,
    reference: &str,
    idempotency_key: &str,
) -> Result<Posted, LedgerError> {
    let deduction = super::deduction::deduct(
        conn,
        backend,
        billing_account_id,
        currency,
        "usage",
        amount,
        reference,
        idempotency_key,
        now_millis(),
    )
    .await?;
    Ok(deduction.posted)
}

/// What reconciliation found wrong; empty when the books are right.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discrepancies {
    /// Journal transactions whose postings do not sum to zero.
    pub unbalanced_transactions: Vec<i64>,
    /// Holdings whose running balance is not the sum of their postings.
    pub drifted_balances: Vec<i64>,
}

impl Discrepancies {
    pub fn is_empty(&self) -> bool {
        self.unbalanced_transactions.is_empty() && self.drifted_balances.is_empty()
    }
}

/// Proves the books: every journal transaction balances, every stored balance is the sum of
/// its postings.
pub async fn reconcile(conn: &mut AnyConnection) -> Result<Discrepancies, sqlx::Error> {
    Ok(Discrepancies {
        unbalanced_transactions: store::unbalanced_transactions(conn).await?,
        drifted_balances: store::drifted_balances(conn).await?,
    })
}

/// The account's cash and arrears (as a positive amount owed) in minor units.
pub async fn cash_and_arrears(
    conn: &mut AnyConnection,
    billing_account_id: i64,
    currency: Currency,
) -> Result<(i64, i64), sqlx::Error> {
    let (cash, arrears, _) =
        accounts(conn, billing_account_id, currency, LedgerKind::Revenue).await?;
    Ok((
        store::balance(conn, cash).await?,
        -store::balance(conn, arrears).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::Db;
    use crate::server::testing::db_test;
    use rand::{Rng, SeedableRng};

    async fn account(db: &Db) -> i64 {
        crate::server::demo::seed_account(db)
            .await
            .expect("an account")
    }

    async fn credit(db: &Db, account: i64, amount: i64, key: &str) -> Result<Posted, LedgerError> {
        let mut tx = db.begin_write().await?;
        let posted = credit_cash(
            &mut tx,
            db.backend(),
            account,
            Currency::CNY,
            amount,
            key,
            crate::ledger::model::Actor::SYSTEM,
            key,
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(posted)
    }

    async fn charge_now(
        db: &Db,
        account: i64,
        amount: i64,
        key: &str,
    ) -> Result<Posted, LedgerError> {
        let mut tx = db.begin_write().await?;
        let posted = charge(
            &mut tx,
            db.backend(),
            account,
            Currency::CNY,
            amount,
            key,
            key,
        )
        .await?;
        tx.commit().await?;
        Ok(posted)
    }

    async fn balances(db: &Db, account: i64) -> (i64, i64) {
        let mut conn = db.pool().acquire().await.expect("connection");
        cash_and_arrears(&mut conn, account, Currency::CNY)
            .await
            .expect("balances")
    }

    async fn books_are_right(db: &Db) {
        let mut conn = db.pool().acquire().await.expect("connection");
        let found = reconcile(&mut conn).await.expect("reconcile");
        assert!(found.is_empty(), "{found:?}");
    }

    db_test!(recharge_charge_and_arrears, |db| async move {
        let id = account(&db).await;
        credit(&db, id, 10_000, "recharge-1")
            .await
            .expect("credited");
        assert_eq!(balances(&db, id).await, (10_000, 0));
        charge_now(&db, id, 2_550, "charge-1")
            .await
            .expect("charged");
        assert_eq!(balances(&db, id).await, (7_450, 0));
        // More than the cash: the rest is owed.
        charge_now(&db, id, 8_000, "charge-2")
            .await
            .expect("charged");
        assert_eq!(balances(&db, id).await, (0, 550));
        // A recharge pays the debt first.
        credit(&db, id, 1_000, "recharge-2")
            .await
            .expect("credited");
        assert_eq!(balances(&db, id).await, (450, 0));
        books_are_right(&db).await;
    });

    db_test!(a_balance_never_passes_its_bound, |db| async move {
        let id = account(&db).await;
        let big = crate::money::MAX_BALANCE_MINOR - 1;
        credit(&db, id, big, "big-1").await.expect("credited");
        // A second credit would pass the bound (and, twice i64::MAX / 2, overflow): refused.
        assert!(matches!(
            credit(&db, id, big, "big-2").await,
            Err(LedgerError::TooLarge)
        ));
        assert!(matches!(
            credit(&db, id, i64::MAX, "max").await,
            Err(LedgerError::TooLarge)
        ));
        assert_eq!(balances(&db, id).await, (big, 0));
        let stored: String = sqlx::query(
            "SELECT CAST(balance AS TEXT) AS b FROM ledger_accounts WHERE billing_account_id = $1 AND kind = 'cash'",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await
        .and_then(|row| sqlx::Row::try_get(&row, "b"))
        .expect("balance");
        assert_eq!(stored, big.to_string(), "stored as an integer");
        books_are_right(&db).await;
    });

    db_test!(a_key_posts_once, |db| async move {
        let id = account(&db).await;
        let first = credit(&db, id, 5_000, "order-42").await.expect("credited");
        let again = credit(&db, id, 5_000, "order-42")
            .await
            .expect("repeat answered");
        assert_eq!(again, Posted::Repeated(first.id()));
        assert_eq!(balances(&db, id).await, (5_000, 0));
        // The same key for another amount is refused, and changes nothing.
        assert!(matches!(
            credit(&db, id, 6_000, "order-42").await,
            Err(LedgerError::KeyReused)
        ));
        assert_eq!(balances(&db, id).await, (5_000, 0));
        books_are_right(&db).await;
    });

    db_test!(
        unbalanced_or_overdrawn_entries_are_refused,
        |db| async move {
            let id = account(&db).await;
            let mut tx = db.begin_write().await.expect("tx");
            let now = now_millis();
            let cash =
                store::ledger_account(&mut tx, Some(id), LedgerKind::Cash, 0, Currency::CNY, now)
                    .await
                    .expect("cash");
            let revenue =
                store::ledger_account(&mut tx, None, LedgerKind::Revenue, 0, Currency::CNY, now)
                    .await
                    .expect("revenue");
            let entry = |legs: Vec<Leg>| Entry {
                billing_account_id: Some(id),
                kind: JournalKind::Adjustment,
                reference: "test",
                actor: crate::ledger::model::Actor::SYSTEM,
                idempotency_key: "adjust-1",
                currency: Currency::CNY,
                legs,
                request: None,
                at: None,
            };
            let unbalanced = entry(vec![
                Leg {
                    account: cash,
                    amount: 100,
                },
                Leg {
                    account: revenue,
                    amount: -99,
                },
            ]);
            assert!(matches!(
                post(&mut tx, &unbalanced).await,
                Err(LedgerError::Unbalanced)
            ));
            let lonely = entry(vec![
                Leg {
                    account: cash,
                    amount: 0,
                },
                Leg {
                    account: revenue,
                    amount: 0,
                },
            ]);
            assert!(matches!(
                post(&mut tx, &lonely).await,
                Err(LedgerError::TooFewLegs)
            ));
            let overdrawn = entry(vec![
                Leg {
                    account: cash,
                    amount: -100,
                },
                Leg {
                    account: revenue,
                    amount: 100,
                },
            ]);
            assert!(
                matches!(post(&mut tx, &overdrawn).await, Err(LedgerError::Insufficient(a)) if a == cash)
            );
            drop(tx);
            assert_eq!(balances(&db, id).await, (0, 0));
            books_are_right(&db).await;
        }
    );

    db_test!(random_sequences_keep_every_invariant, |db| async move {
        let id = account(&db).await;
        let mut rng = rand::rngs::StdRng::seed_from_u64(20261122);
        let (mut cash, mut owed) = (0i64, 0i64);
        let mut done: Vec<(bool, i64)> = Vec::new();
        for step in 0..120 {
            let amount = rng.gen_range(1..50_000);
            let is_credit = rng.gen_bool(0.5);
            let key = format!("step-{step}");
            if is_credit {
                credit(&db, id, amount, &key).await.expect("credited");
                let paid = owed.min(amount);
                owed -= paid;
                cash += amount - paid;
            } else {
                charge_now(&db, id, amount, &key).await.expect("charged");
                let from_cash = cash.min(amount);
                cash -= from_cash;
                owed += amount - from_cash;
            }
            done.push((is_credit, amount));
            // Retrying an earlier step, even when balances have moved since, changes nothing.
            if rng.gen_bool(0.3) {
                let earlier = rng.gen_range(0..done.len());
                let (was_credit, earlier_amount) = done[earlier];
                let key = format!("step-{earlier}");
                let again = if was_credit {
                    credit(&db, id, earlier_amount, &key).await
                } else {
                    charge_now(&db, id, earlier_amount, &key).await
                };
                assert!(
                    matches!(again, Ok(Posted::Repeated(_))),
                    "retry of step {earlier}: {again:?}"
                );
            }
            let (real_cash, real_owed) = balances(&db, id).await;
            assert_eq!((real_cash, real_owed), (cash, owed), "after step {step}");
            assert!(
                real_cash == 0 || real_owed == 0,
                "cash and debt never stand together"
            );
        }
        books_are_right(&db).await;
    });

    db_test!(concurrent_movements_lose_nothing, |db| async move {
        let id = account(&db).await;
        credit(&db, id, 100_000, "opening").await.expect("credited");
        let mut tasks = Vec::new();
        for i in 0..24 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let key = format!("concurrent-{i}");
                if i % 3 == 0 {
                    credit(&db, id, 1_000, &key).await.map(|_| ())
                } else {
                    charge_now(&db, id, 7_000, &key).await.map(|_| ())
                }
            }));
        }
        for task in tasks {
            task.await.expect("task").expect("movement");
        }
        // 100,000 + 8 x 1,000 - 16 x 7,000 = -4,000: owed, with no cash left.
        assert_eq!(balances(&db, id).await, (0, 4_000));
        books_are_right(&db).await;
    });
}
