//! Cash: money received is credited (paying off arrears first), and what an account holds and
//! owes in cash is read from its ledger accounts.
use crate::ledger::posting::{earlier, post};
use crate::ledger::{store, Entry, JournalKind, LedgerError, LedgerKind, Leg, Posted};
use crate::money::Currency;
use crate::server::db::{now_millis, Backend};
use sqlx::AnyConnection;

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

/// Money received for an account (a paid recharge order, a bank transfer).
#[derive(Clone, Copy, Debug)]
pub struct Credit<'a> {
    pub account: i64,
    pub currency: Currency,
    /// Minor units, above zero.
    pub amount: i64,
    /// The order number or transfer reference.
    pub reference: &'a str,
    /// Who recorded it, as [`Actor`](crate::ledger::Actor) spells it.
    pub actor: &'a str,
    pub key: &'a str,
    /// When it was received; `None` for now.
    pub at: Option<i64>,
}

/// Credits money received at its time: it pays off arrears first (spec section 5), the rest
/// becomes cash. A repeated key returns the first posting.
pub async fn credit_cash(
    conn: &mut AnyConnection,
    backend: Backend,
    credit: &Credit<'_>,
) -> Result<Posted, LedgerError> {
    let Credit {
        account: billing_account_id,
        currency,
        amount,
        reference,
        actor,
        key: idempotency_key,
        at,
    } = *credit;
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
    use crate::ledger::posting::reconcile;
    use crate::server::db::Db;
    use crate::server::testing::db_test;
    use rand::{Rng, SeedableRng};

    async fn account(db: &Db) -> i64 {
        crate::demo::seed_account(db).await.expect("an account")
    }

    async fn credit(db: &Db, account: i64, amount: i64, key: &str) -> Result<Posted, LedgerError> {
        let mut tx = db.begin_write().await?;
        let credit = Credit {
            account,
            currency: Currency::CNY,
            amount,
            reference: key,
            actor: crate::ledger::Actor::SYSTEM,
            key,
            at: None,
        };
        let posted = credit_cash(&mut tx, db.backend(), &credit).await?;
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
        let charge = crate::funds::deduction::Charge {
            account,
            currency: Currency::CNY,
            item: "usage",
            amount,
            reference: key,
            key,
            at: now_millis(),
        };
        let posted = crate::funds::deduction::deduct(&mut tx, db.backend(), &charge)
            .await?
            .posted;
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
