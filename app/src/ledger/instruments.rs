//! Listing an account's vouchers and prepaid cards, and buying a card.
use super::model::{PrepaidCardView, VoucherView};
use crate::error::AppError;
use crate::money::format_minor_units;
use crate::server::db::now_millis;
use crate::server::state::AppState;
use sqlx::Row;

fn status(stored: &str, balance: i64) -> String {
    match (stored, balance) {
        ("active", 0) => "used_up".to_string(),
        (other, _) => other.to_string(),
    }
}

/// What every voucher and card row shows alike: denomination, what is left, status.
struct Held {
    denomination: String,
    balance: String,
    status: String,
}

/// The account's vouchers or cards (`table`, with ledger accounts of `kind`), newest by
/// `newest` first, each row with `columns` made into a view by `view`.
async fn held<T>(
    state: &AppState,
    account: i64,
    (table, kind): (&str, &str),
    columns: &str,
    newest: &str,
    view: impl Fn(&sqlx::any::AnyRow, Held) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT t.currency, t.denomination, t.status, {columns}, COALESCE(la.balance, 0) AS balance \
         FROM {table} t LEFT JOIN ledger_accounts la ON la.billing_account_id = t.billing_account_id \
              AND la.kind = '{kind}' AND la.instrument_id = t.id \
         WHERE t.billing_account_id = $1 ORDER BY t.{newest} DESC, t.id DESC"
    ))
    .bind(account)
    .fetch_all(state.db.pool())
    .await?;
    let views = rows
        .iter()
        .map(|row| {
            let currency = super::store::row_currency(row)?;
            let balance: i64 = row.try_get("balance")?;
            let stored: String = row.try_get("status")?;
            let held = Held {
                denomination: format_minor_units(row.try_get("denomination")?, currency),
                balance: format_minor_units(balance, currency),
                status: status(&stored, balance),
            };
            view(row, held)
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(views)
}

pub async fn vouchers(state: &AppState, account: i64) -> Result<Vec<VoucherView>, AppError> {
    let columns = "t.id, t.kind, t.scope, t.activated_at, t.expires_at";
    held(
        state,
        account,
        ("vouchers", "voucher"),
        columns,
        "activated_at",
        |row, held| {
            Ok(VoucherView {
                id: row.try_get("id")?,
                kind: row.try_get("kind")?,
                denomination: held.denomination,
                balance: held.balance,
                status: held.status,
                scope: row.try_get("scope")?,
                activated_at: row.try_get("activated_at")?,
                expires_at: row.try_get("expires_at")?,
            })
        },
    )
    .await
}

pub async fn prepaid_cards(
    state: &AppState,
    account: i64,
) -> Result<Vec<PrepaidCardView>, AppError> {
    let columns = "t.card_no, t.purchased_at, t.expires_at";
    let table = ("prepaid_cards", "prepaid_card");
    held(
        state,
        account,
        table,
        columns,
        "purchased_at",
        |row, held| {
            Ok(PrepaidCardView {
                card_no: row.try_get("card_no")?,
                denomination: held.denomination,
                balance: held.balance,
                status: held.status,
                purchased_at: row.try_get("purchased_at")?,
                expires_at: row.try_get("expires_at")?,
            })
        },
    )
    .await
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
    let whole = "Enter a whole amount, a multiple of 100";
    // Bounded when parsed: nothing later multiplies a figure of unknown size.
    let major: i64 = crate::money::parse_amount(amount, currency)
        .ok()
        .filter(|amount| amount.fract().is_zero())
        .and_then(|amount| i64::try_from(amount).ok())
        .ok_or_else(|| AppError::field("amount", whole))?;
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    let key = format!("card:{account}:{key}");
    match super::deduction::buy_prepaid_card(
        &mut tx,
        state.db.backend(),
        account,
        currency,
        major,
        &state.config.funds,
        &key,
        now,
    )
    .await
    {
        Ok(_) => {
            tx.commit().await?;
            Ok(())
        }
        Err(super::service::LedgerError::Refused(message)) => {
            Err(AppError::field("amount", message))
        }
        Err(super::service::LedgerError::Insufficient(_)) => Err(AppError::field(
            "amount",
            "The cash balance is not enough; recharge first",
        )),
        Err(super::service::LedgerError::KeyReused) => {
            Err(AppError::Conflict("This purchase was already made".into()))
        }
        Err(error) => {
            tracing::error!(%error, "card purchase failed");
            Err(AppError::Internal)
        }
    }
}
