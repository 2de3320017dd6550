//! Listing an account's vouchers and prepaid cards, and buying a card.
use super::deduction::CardPurchase;
use super::model::{
    CardQuery, InstrumentStatus, PrepaidCardView, VoucherQuery, VoucherView, ROWS_PER_PAGE,
};
use super::store;
use crate::error::AppError;
use crate::messages::Msg;
use crate::money::format_minor_units;
use crate::server::db::now_millis;
use crate::state::AppState;
use crate::team::audit::{self, AuditActor};
use crate::team::model::AuditAction;
use crate::time::Zone;
use crate::ui::Page;

/// What a list by status reads for a query: its status ("" for all; a field error when it is
/// not one the list knows) from the cursor `before`, one row more than a page (which tells
/// whether there is a next).
pub(crate) fn slice_of<S>(
    status: &str,
    from_code: impl Fn(&str) -> Option<S>,
    before: Option<i64>,
) -> Result<store::Slice<S>, AppError> {
    let status = match status {
        "" => None,
        text => Some(from_code(text).ok_or_else(|| AppError::field("status", Msg::ChooseStatus))?),
    };
    Ok(store::Slice {
        status,
        before,
        limit: ROWS_PER_PAGE + 1,
    })
}

/// One page of the account's vouchers as `query` asks.
pub async fn vouchers(
    state: &AppState,
    account: i64,
    query: &VoucherQuery,
) -> Result<Page<VoucherView>, AppError> {
    let slice = slice_of(&query.status, InstrumentStatus::from_code, query.before)?;
    let zone = &state.config.time_zone;
    let mut conn = state.db.pool().acquire().await?;
    let rows = store::vouchers(&mut conn, account, slice).await?;
    Ok(
        Page::from_rows(rows, ROWS_PER_PAGE as usize, |v| v.held.id).map(|v| VoucherView {
            id: v.held.id,
            kind: v.kind,
            denomination: format_minor_units(v.held.denomination, v.held.currency),
            balance: format_minor_units(v.held.balance, v.held.currency),
            status: v.held.status(),
            scope: v.scope,
            activated_at: zone.stamp(v.held.since),
            expires_at: zone.stamp(v.held.expires_at),
        }),
    )
}

/// One page of the account's prepaid cards as `query` asks.
pub async fn prepaid_cards(
    state: &AppState,
    account: i64,
    query: &CardQuery,
) -> Result<Page<PrepaidCardView>, AppError> {
    let slice = slice_of(&query.status, InstrumentStatus::from_code, query.before)?;
    let zone = &state.config.time_zone;
    let mut conn = state.db.pool().acquire().await?;
    let rows = store::prepaid_cards(&mut conn, account, slice).await?;
    Ok(
        Page::from_rows(rows, ROWS_PER_PAGE as usize, |(_, c)| c.id).map(|(card_no, c)| {
            PrepaidCardView {
                card_no,
                denomination: format_minor_units(c.denomination, c.currency),
                balance: format_minor_units(c.balance, c.currency),
                status: c.status(),
                purchased_at: zone.stamp(c.since),
                expires_at: zone.stamp(c.expires_at),
            }
        }),
    )
}

/// The Vouchers list's CSV columns; times in UTC, as the names say.
pub const VOUCHER_CSV_HEADER: [&str; 7] = [
    "id",
    "kind",
    "denomination",
    "remaining",
    "status",
    "activated_at_utc",
    "expires_at_utc",
];

pub fn voucher_csv_row(voucher: &VoucherView) -> Vec<String> {
    let utc = Zone::utc();
    vec![
        voucher.id.to_string(),
        voucher.kind.code().to_string(),
        voucher.denomination.clone(),
        voucher.balance.clone(),
        voucher.status.code().to_string(),
        utc.format(voucher.activated_at.ms),
        utc.format(voucher.expires_at.ms),
    ]
}

/// The Prepaid cards list's CSV columns; times in UTC, as the names say.
pub const CARD_CSV_HEADER: [&str; 6] = [
    "card_no",
    "denomination",
    "remaining",
    "status",
    "purchased_at_utc",
    "expires_at_utc",
];

pub fn card_csv_row(card: &PrepaidCardView) -> Vec<String> {
    let utc = Zone::utc();
    vec![
        card.card_no.clone(),
        card.denomination.clone(),
        card.balance.clone(),
        card.status.code().to_string(),
        utc.format(card.purchased_at.ms),
        utc.format(card.expires_at.ms),
    ]
}

/// Buys a card of `amount` (as typed: a whole multiple of 100) with cash. `key` makes a retried
/// form post buy once.
pub async fn buy_card(
    state: &AppState,
    actor: &AuditActor<'_>,
    amount: &str,
    key: &str,
) -> Result<(), AppError> {
    let account = actor.account;
    let currency = super::recharge::account_currency(state, account).await?;
    // Bounded when parsed: nothing later multiplies a figure of unknown size.
    let major: i64 = crate::money::parse_amount(amount, currency)
        .ok()
        .filter(|amount| amount.fract().is_zero())
        .and_then(|amount| i64::try_from(amount).ok())
        .ok_or_else(|| AppError::field("amount", Msg::WholeCardAmount))?;
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    let key = format!("card:{account}:{key}");
    match super::deduction::buy_prepaid_card(
        &mut tx,
        state.db.backend(),
        &CardPurchase {
            account,
            currency,
            amount_major: major,
            policy: &state.config.funds,
            key: &key,
            now,
        },
    )
    .await
    {
        Ok(card) => {
            audit::record(
                &mut tx,
                actor,
                AuditAction::CardBought,
                &format!("prepaid card #{card}, {major} {}", currency.code()),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        Err(crate::ledger::LedgerError::Refused(message)) => {
            Err(AppError::field("amount", message))
        }
        Err(crate::ledger::LedgerError::Insufficient(_)) => {
            Err(AppError::field("amount", Msg::CashNotEnough))
        }
        Err(crate::ledger::LedgerError::KeyReused) => {
            Err(AppError::Conflict(Msg::PurchaseAlreadyMade))
        }
        Err(error) => {
            tracing::error!(%error, "card purchase failed");
            Err(AppError::Internal)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funds::deduction::{deduct, issue_voucher, Charge, NewVoucher, VoucherKind};
    use crate::money::Currency;
    use crate::server::db::now_millis;
    use crate::server::testing::{db_test, state_for};
    use crate::team::testing::another_account;
    use crate::time::DAY_MS;
    use crate::ui::ListQuery;

    db_test!(
        voucher_lists_filter_page_and_stay_the_accounts_own,
        |db| async move {
            let state = state_for(&db).await;
            let account = crate::demo::seed_account(&db).await.expect("account");
            let stranger = another_account(&db).await;
            let now = now_millis();
            let mut tx = db.begin_write().await.expect("tx");
            for i in 0..(ROWS_PER_PAGE + 5) {
                let key = format!("v-{i}");
                let voucher = NewVoucher {
                    account,
                    currency: Currency::CNY,
                    kind: VoucherKind::Regular,
                    amount: 100,
                    expires_at: now + 30 * DAY_MS,
                    scope: &[],
                    actor: "operator:test",
                    key: &key,
                    now,
                };
                issue_voucher(&mut tx, &voucher).await.expect("voucher");
            }
            // Two vouchers' worth is charged: the two nearest to expiry (the first issued) are used up.
            let charge = Charge {
                account,
                currency: Currency::CNY,
                item: "logs",
                amount: 200,
                reference: "day",
                key: "charge",
                at: now,
            };
            deduct(&mut tx, db.backend(), &charge)
                .await
                .expect("charge");
            tx.commit().await.expect("commit");

            let all = VoucherQuery::default();
            let first = vouchers(&state, account, &all).await.expect("first");
            assert_eq!(first.rows.len(), ROWS_PER_PAGE as usize);
            let second = vouchers(&state, account, &all.at(first.next))
                .await
                .expect("second");
            assert_eq!(second.rows.len(), 5);
            assert_eq!(second.next, None);
            let mut ids: Vec<i64> = first
                .rows
                .iter()
                .chain(&second.rows)
                .map(|v| v.id)
                .collect();
            assert!(
                ids.windows(2).all(|w| w[0] > w[1]),
                "newest first, no repeats"
            );
            ids.dedup();
            assert_eq!(ids.len() as i64, ROWS_PER_PAGE + 5);

            let used_up = VoucherQuery {
                status: "used_up".into(),
                before: None,
            };
            let found = vouchers(&state, account, &used_up).await.expect("used up");
            assert_eq!(found.rows.len(), 2);
            assert!(found
                .rows
                .iter()
                .all(|v| v.status == InstrumentStatus::UsedUp));
            let active = VoucherQuery {
                status: "active".into(),
                before: None,
            };
            let found = vouchers(&state, account, &active).await.expect("active");
            assert!(found
                .rows
                .iter()
                .all(|v| v.status == InstrumentStatus::Active));

            // Another account sees none of them, whatever cursor it sends.
            let theirs = vouchers(&state, stranger, &all.at(Some(i64::MAX)))
                .await
                .expect("stranger");
            assert!(theirs.rows.is_empty());
            // A status the list does not know is a field error, not an empty list.
            let bogus = VoucherQuery {
                status: "gone'; --".into(),
                before: Some(i64::MIN),
            };
            assert!(matches!(
                vouchers(&state, account, &bogus).await,
                Err(AppError::Field { ref field, .. }) if field == "status"
            ));
        }
    );
}
