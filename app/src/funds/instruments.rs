//! Listing an account's vouchers and prepaid cards, and buying a card.
use super::deduction::CardPurchase;
use super::model::{PrepaidCardView, VoucherView};
use super::store;
use crate::error::AppError;
use crate::messages::Msg;
use crate::money::format_minor_units;
use crate::server::db::now_millis;
use crate::state::AppState;

pub async fn vouchers(state: &AppState, account: i64) -> Result<Vec<VoucherView>, AppError> {
    let zone = &state.config.time_zone;
    let mut conn = state.db.pool().acquire().await?;
    Ok(store::vouchers(&mut conn, account)
        .await?
        .into_iter()
        .map(|v| VoucherView {
            id: v.held.id,
            kind: v.kind,
            denomination: format_minor_units(v.held.denomination, v.held.currency),
            balance: format_minor_units(v.held.balance, v.held.currency),
            status: v.held.status(),
            scope: v.scope,
            activated_at: zone.stamp(v.held.since),
            expires_at: zone.stamp(v.held.expires_at),
        })
        .collect())
}

pub async fn prepaid_cards(
    state: &AppState,
    account: i64,
) -> Result<Vec<PrepaidCardView>, AppError> {
    let zone = &state.config.time_zone;
    let mut conn = state.db.pool().acquire().await?;
    Ok(store::prepaid_cards(&mut conn, account)
        .await?
        .into_iter()
        .map(|(card_no, c)| PrepaidCardView {
            card_no,
            denomination: format_minor_units(c.denomination, c.currency),
            balance: format_minor_units(c.balance, c.currency),
            status: c.status(),
            purchased_at: zone.stamp(c.since),
            expires_at: zone.stamp(c.expires_at),
        })
        .collect())
}

/// Buys a card of `amount` (as typed: a whole multiple of 100) with cash. `key` makes a retried
/// form post buy once.
pub async fn buy_card(
    state: &AppState,
    account: i64,
    amount: &str,
    key: &str,
) -> Result<(), AppError> {
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
        Ok(_) => {
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
