//! Cash recharge orders: created by the account, settled by the provider's callback.
use super::model::{Balances, OrderQuery, OrderStatus, RechargeOrder, ROWS_PER_PAGE};
use super::payment::{self, Callback, Settled, SANDBOX};
use super::store;
use crate::error::AppError;
use crate::ledger::LedgerKind;
use crate::messages::Msg;
use crate::money::{format_minor_units, from_minor_units, parse_amount, to_minor_units, Currency};
use crate::server::db::now_millis;
use crate::state::AppState;
use crate::team::audit::{self, AuditActor};
use crate::team::model::AuditAction;
use crate::time::MINUTE_MS;
use crate::ui::Page;
use rust_decimal::Decimal;

/// How long an order waits for payment before it shows as expired.
pub const ORDER_LIFETIME_MS: i64 = 30 * MINUTE_MS;

/// The signed-in account's currency (its site's).
pub(crate) async fn account_currency(
    state: &AppState,
    account_id: i64,
) -> Result<Currency, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let account = crate::accounts::store::account(&mut conn, account_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(account.currency)
}

/// The provider online recharge orders go to: the sandbox when it is switched on; none
/// otherwise (no real provider's checkout is integrated yet, so online recharge then says it
/// is unavailable and the bank transfer remains).
pub fn online_provider(state: &AppState) -> Option<&'static str> {
    state.config.payment_sandbox.then_some(SANDBOX)
}

/// Opens an online recharge order for `amount` (as typed) and returns its number.
pub async fn create_order(
    state: &AppState,
    actor: &AuditActor<'_>,
    amount: &str,
) -> Result<String, AppError> {
    let account_id = actor.account;
    let Some(provider) = online_provider(state) else {
        return Err(AppError::Rejected(Msg::OnlineRechargeUnavailable));
    };
    let currency = account_currency(state, account_id).await?;
    let amount = parse_amount(amount, currency).map_err(|e| AppError::field("amount", &e))?;
    let (min, max) = (
        state.config.funds.recharge_min,
        state.config.funds.recharge_max,
    );
    if amount < Decimal::from(min) || amount > Decimal::from(max) {
        return Err(AppError::field(
            "amount",
            Msg::AmountRange {
                min: min.to_string(),
                max: max.to_string(),
            },
        ));
    }
    let minor = to_minor_units(amount, currency).map_err(|e| AppError::field("amount", &e))?;
    let order_no = format!("R{}", crate::server::secrets::random_hex(10).to_uppercase());
    let now = now_millis();
    let order = store::NewOrder {
        order_no: &order_no,
        account: account_id,
        currency,
        amount: minor,
        provider,
        created_at: now,
        expires_at: now + ORDER_LIFETIME_MS,
    };
    let mut tx = state.db.begin_write().await?;
    store::insert_recharge_order(&mut tx, &order).await?;
    audit::record(
        &mut tx,
        actor,
        AuditAction::RechargeOrdered,
        &format!("{order_no}, {}", format_minor_units(minor, currency)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(order_no)
}

/// An order as the account sees it: a pending order past its deadline shows as expired.
fn order_view(order: store::OrderRow, state: &AppState, now: i64) -> RechargeOrder {
    RechargeOrder {
        order_no: order.order_no,
        amount: format_minor_units(order.amount, order.currency),
        currency: order.currency,
        status: if order.status == OrderStatus::Pending && now >= order.expires_at {
            OrderStatus::Expired
        } else {
            order.status
        },
        created_at: state.config.time_zone.stamp(order.created_at),
    }
}

/// One page of the account's orders as `query` asks, newest first.
pub async fn orders(
    state: &AppState,
    account_id: i64,
    query: &OrderQuery,
) -> Result<Page<RechargeOrder>, AppError> {
    let slice = super::instruments::slice_of(&query.status, OrderStatus::from_code, query.before)?;
    let now = now_millis();
    let mut conn = state.db.pool().acquire().await?;
    let rows = store::recharge_orders(&mut conn, account_id, slice, now).await?;
    Ok(Page::from_rows(rows, ROWS_PER_PAGE as usize, |row| row.id)
        .map(|row| order_view(row, state, now)))
}

/// The recharge orders' CSV columns; times in UTC, as the name says.
pub const ORDER_CSV_HEADER: [&str; 5] =
    ["order_no", "amount", "currency", "status", "created_at_utc"];

pub fn order_csv_row(order: &RechargeOrder) -> Vec<String> {
    vec![
        order.order_no.clone(),
        order.amount.clone(),
        order.currency.code().to_string(),
        order.status.code().to_string(),
        crate::time::Zone::utc().format(order.created_at.ms),
    ]
}

/// One of the account's orders; `NotFound` for another account's.
pub async fn order(
    state: &AppState,
    account_id: i64,
    order_no: &str,
) -> Result<RechargeOrder, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let row = store::recharge_order(&mut conn, account_id, order_no)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(order_view(row, state, now_millis()))
}

/// The sandbox provider's checkout: posts a correctly signed callback saying the order was
/// paid (or failed), through the same verification as any provider's.
pub async fn sandbox_settle(
    state: &AppState,
    account_id: i64,
    order_no: &str,
    paid: bool,
) -> Result<Settled, AppError> {
    // Without the sandbox switched on there is no sandbox: nothing here can sign a callback.
    let secret = payment::callback_secret(state, SANDBOX).ok_or(AppError::NotFound)?;
    let order = {
        let mut conn = state.db.pool().acquire().await?;
        store::recharge_order(&mut conn, account_id, order_no)
            .await?
            .ok_or(AppError::NotFound)?
    };
    let callback = Callback {
        order_no: order_no.to_string(),
        provider_txn_id: format!("SBX-{order_no}"),
        amount: from_minor_units(order.amount, order.currency).to_string(),
        currency: order.currency.code().to_string(),
        status: if paid { "paid" } else { "failed" }.to_string(),
    };
    let body = serde_json::to_vec(&callback).map_err(|_| AppError::Internal)?;
    let timestamp = now_millis() / 1000;
    let signature = payment::sign(&secret, timestamp, &body);
    payment::handle_callback(state, SANDBOX, &timestamp.to_string(), &signature, &body)
        .await
        .map_err(|error| {
            tracing::error!(%error, "sandbox callback refused");
            AppError::Internal
        })
}

pub async fn balances(state: &AppState, account_id: i64) -> Result<Balances, AppError> {
    let currency = account_currency(state, account_id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let (cash, arrears) = super::cash::cash_and_arrears(&mut conn, account_id, currency).await?;
    let now = now_millis();
    let vouchers =
        store::usable_total(&mut conn, LedgerKind::Voucher, account_id, currency, now).await?;
    let cards = store::usable_total(
        &mut conn,
        LedgerKind::PrepaidCard,
        account_id,
        currency,
        now,
    )
    .await?;
    let money = |minor| format_minor_units(minor, currency);
    Ok(Balances {
        currency,
        cash: money(cash),
        vouchers: money(vouchers),
        prepaid_cards: money(cards),
        arrears: money(arrears),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funds::payment::{handle_callback, sign, CallbackError};
    use crate::server::testing::{db_test, state_for};

    async fn account_and_order(state: &AppState, amount: &str) -> (i64, String) {
        let account = crate::demo::seed_account(&state.db).await.expect("account");
        let actor = AuditActor::system(account, "test");
        let order = create_order(state, &actor, amount).await.expect("order");
        (account, order)
    }

    fn body(order_no: &str, amount: &str, currency: &str, txn: &str) -> Vec<u8> {
        serde_json::to_vec(&Callback {
            order_no: order_no.to_string(),
            provider_txn_id: txn.to_string(),
            amount: amount.to_string(),
            currency: currency.to_string(),
            status: "paid".to_string(),
        })
        .expect("json")
    }

    async fn deliver(
        state: &AppState,
        body: &[u8],
        timestamp: i64,
        secret: Option<&str>,
    ) -> Result<Settled, CallbackError> {
        let secret = match secret {
            Some(secret) => secret.to_string(),
            None => payment::callback_secret(state, SANDBOX).expect("sandbox secret"),
        };
        let signature = sign(&secret, timestamp, body);
        handle_callback(state, SANDBOX, &timestamp.to_string(), &signature, body).await
    }

    db_test!(a_paid_callback_credits_once, |db| async move {
        let state = state_for(&db).await;
        let (account, order) = account_and_order(&state, "250.50").await;
        let now = now_millis() / 1000;
        let paid = body(&order, "250.50", "CNY", "TXN-1");
        assert_eq!(
            deliver(&state, &paid, now, None).await.expect("paid"),
            Settled::Paid
        );
        for _ in 0..3 {
            assert_eq!(
                deliver(&state, &paid, now, None).await.expect("again"),
                Settled::AlreadyPaid
            );
        }
        assert_eq!(
            balances(&state, account).await.expect("balances").cash,
            "¥250.50"
        );
        assert_eq!(
            orders(&state, account, &OrderQuery::default())
                .await
                .expect("orders")
                .rows[0]
                .status,
            OrderStatus::Paid
        );
        let mut conn = db.pool().acquire().await.expect("conn");
        assert!(crate::ledger::posting::reconcile(&mut conn)
            .await
            .expect("reconcile")
            .is_empty());
    });

    db_test!(duplicates_at_the_same_moment_credit_once, |db| async move {
        let state = state_for(&db).await;
        let (account, order) = account_and_order(&state, "300").await;
        let now = now_millis() / 1000;
        let paid = body(&order, "300.00", "CNY", "TXN-RACE");
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (state, paid) = (state.clone(), paid.clone());
            tasks.push(tokio::spawn(async move {
                deliver(&state, &paid, now, None).await.expect("answered")
            }));
        }
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("task"));
        }
        assert_eq!(answers.iter().filter(|a| **a == Settled::Paid).count(), 1);
        assert_eq!(
            answers
                .iter()
                .filter(|a| **a == Settled::AlreadyPaid)
                .count(),
            19
        );
        assert_eq!(
            balances(&state, account).await.expect("balances").cash,
            "¥300.00"
        );
    });

    db_test!(bad_callbacks_change_nothing, |db| async move {
        let state = state_for(&db).await;
        let (account, order) = account_and_order(&state, "100").await;
        let now = now_millis() / 1000;
        let good = body(&order, "100.00", "CNY", "TXN-2");
        assert!(matches!(
            deliver(&state, &good, now, Some("not the secret")).await,
            Err(CallbackError::BadSignature)
        ));
        assert!(matches!(
            deliver(&state, &good, now - 3600, None).await,
            Err(CallbackError::Stale)
        ));
        let wrong_amount = body(&order, "1000.00", "CNY", "TXN-2");
        assert!(matches!(
            deliver(&state, &wrong_amount, now, None).await,
            Err(CallbackError::Mismatch)
        ));
        let wrong_currency = body(&order, "100.00", "USD", "TXN-2");
        assert!(matches!(
            deliver(&state, &wrong_currency, now, None).await,
            Err(CallbackError::Mismatch)
        ));
        let unknown = body("R-NOPE", "100.00", "CNY", "TXN-2");
        assert!(matches!(
            deliver(&state, &unknown, now, None).await,
            Err(CallbackError::UnknownOrder)
        ));
        assert_eq!(
            orders(&state, account, &OrderQuery::default())
                .await
                .expect("orders")
                .rows[0]
                .status,
            OrderStatus::Pending
        );
        let mut conn = db.pool().acquire().await.expect("conn");
        assert_eq!(
            crate::funds::cash::cash_and_arrears(&mut conn, account, Currency::CNY)
                .await
                .expect("b"),
            (0, 0)
        );
        drop(conn);
        // One provider transaction settles one order only.
        deliver(&state, &good, now, None).await.expect("paid");
        let other = create_order(&state, &AuditActor::system(account, "test"), "100")
            .await
            .expect("order");
        let reused = body(&other, "100.00", "CNY", "TXN-2");
        assert!(matches!(
            deliver(&state, &reused, now, None).await,
            Err(CallbackError::TransactionReused)
        ));
    });

    db_test!(the_sandbox_pays_and_fails_orders, |db| async move {
        let state = state_for(&db).await;
        let (account, order) = account_and_order(&state, "88.8").await;
        assert_eq!(
            sandbox_settle(&state, account, &order, true)
                .await
                .expect("paid"),
            Settled::Paid
        );
        let failing = create_order(&state, &AuditActor::system(account, "test"), "10")
            .await
            .expect("order");
        assert_eq!(
            sandbox_settle(&state, account, &failing, false)
                .await
                .expect("failed"),
            Settled::Failed
        );
        let listed = orders(&state, account, &OrderQuery::default())
            .await
            .expect("orders")
            .rows;
        assert_eq!(
            listed.iter().map(|o| o.status.code()).collect::<Vec<_>>(),
            ["failed", "paid"]
        );
        let mut conn = db.pool().acquire().await.expect("conn");
        assert_eq!(
            crate::funds::cash::cash_and_arrears(&mut conn, account, Currency::CNY)
                .await
                .expect("b"),
            (8_880, 0)
        );
    });

    db_test!(orders_are_validated_and_owned, |db| async move {
        let state = state_for(&db).await;
        let (account, order) = account_and_order(&state, "5").await;
        for bad in ["", "abc", "0.5", "1000001", "1.234", "-5"] {
            let err = create_order(&state, &AuditActor::system(account, "test"), bad)
                .await
                .expect_err(bad);
            assert!(err.message_for("amount").is_some(), "{bad}: {err:?}");
        }
        // Another account can neither see nor pay this order.
        let other = crate::accounts::store::insert_account(
            &mut *db.pool().acquire().await.expect("conn"),
            &crate::accounts::store::NewAccount {
                company_name: "Other",
                site_code: "CN1",
                currency: "CNY",
            },
            now_millis(),
        )
        .await
        .expect("other account");
        assert_eq!(
            order_for(&state, other, &order).await,
            Err(AppError::NotFound)
        );
        assert_eq!(
            sandbox_settle(&state, other, &order, true).await,
            Err(AppError::NotFound)
        );
        assert_eq!(
            super::order(&state, account, &order)
                .await
                .expect("own")
                .status,
            OrderStatus::Pending
        );
    });

    async fn order_for(
        state: &AppState,
        account: i64,
        order_no: &str,
    ) -> Result<RechargeOrder, AppError> {
        super::order(state, account, order_no).await
    }
}
