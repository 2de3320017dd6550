//! Payment-provider callbacks: a provider tells us, in a signed request, that a recharge order
//! was paid (or failed). The signature is an HMAC-SHA256 over "<timestamp>.<body>" with the
//! shared secret; the timestamp must be within five minutes; the amount and currency must match
//! the order; a provider transaction id settles one order only; a repeated callback changes
//! nothing. The sandbox provider (development and demos only, `BC_PAYMENT_SANDBOX=1`) posts such
//! callbacks from its checkout page, signed with a secret of its own: never the real one.
use super::cash::{credit_cash, Credit};
use super::store;
use crate::ledger::LedgerError;
use crate::money::{parse_plain_amount, to_minor_units, Currency};
use crate::server::db::now_millis;
use crate::server::signing;
use crate::state::AppState;
use serde::{Deserialize, Serialize};

use std::str::FromStr;

pub const TIMESTAMP_HEADER: &str = "x-payment-timestamp";
pub const SIGNATURE_HEADER: &str = "x-payment-signature";
/// How far a callback's timestamp may be from our clock.
pub const TOLERANCE_SECS: i64 = 300;
/// The one provider so far: a local checkout page for development and demos.
pub const SANDBOX: &str = "sandbox";

/// The body of a callback (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    pub order_no: String,
    pub provider_txn_id: String,
    /// Decimal string, e.g. "100.00".
    pub amount: String,
    pub currency: String,
    /// "paid" or "failed".
    pub status: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("bad signature")]
    BadSignature,
    #[error("timestamp outside the tolerance window")]
    Stale,
    #[error("malformed callback")]
    Malformed,
    #[error("unknown order")]
    UnknownOrder,
    #[error("amount or currency does not match the order")]
    Mismatch,
    #[error("provider transaction already settled another order")]
    TransactionReused,
    #[error("no such payment provider")]
    UnknownProvider,
    /// Details go to the server log only; the provider hears that it may retry.
    #[error("internal error; retry later")]
    Ledger(#[from] LedgerError),
    #[error("internal error; retry later")]
    Database(#[from] sqlx::Error),
}

impl CallbackError {
    /// The HTTP status the provider gets: 4xx for callbacks it must not retry as they are.
    pub fn status(&self) -> u16 {
        match self {
            CallbackError::BadSignature | CallbackError::Stale => 401,
            CallbackError::Malformed | CallbackError::Mismatch => 400,
            CallbackError::UnknownOrder | CallbackError::UnknownProvider => 404,
            CallbackError::TransactionReused => 409,
            CallbackError::Ledger(_) | CallbackError::Database(_) => 500,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    Paid,
    AlreadyPaid,
    Failed,
}

/// The hex HMAC-SHA256 of "<timestamp>.<body>".
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    signing::sign_timestamped(secret.as_bytes(), timestamp, body)
}

/// Checks a callback's signature and timestamp against `now` (Unix seconds).
pub fn verify(
    secret: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: i64,
) -> Result<(), CallbackError> {
    signing::verify_timestamped(
        secret.as_bytes(),
        timestamp,
        signature,
        body,
        now,
        TOLERANCE_SECS.unsigned_abs(),
    )
    .map_err(|refused| match refused {
        signing::Refused::BadSignature => CallbackError::BadSignature,
        signing::Refused::Stale => CallbackError::Stale,
    })
}

/// The secret `provider`'s callbacks are signed with: the sandbox's own (only while the sandbox
/// is switched on), or `PAYMENT_CALLBACK_SECRET` for the real provider. `None`: no such provider
/// here, and nothing it sends is believed.
pub fn callback_secret(state: &AppState, provider: &str) -> Option<String> {
    if provider == SANDBOX {
        state
            .sandbox_secret
            .as_ref()
            .map(|secret| secret.expose().to_string())
    } else {
        state
            .config
            .payment_callback_secret
            .as_ref()
            .map(|secret| secret.expose().to_string())
    }
}

/// An order number or provider transaction id: printable ASCII, 1 to 64 characters.
fn identifier(text: &str) -> Result<&str, CallbackError> {
    let fits = (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic());
    fits.then_some(text).ok_or(CallbackError::Malformed)
}

/// Verifies and applies one callback from `provider`.
pub async fn handle_callback(
    state: &AppState,
    provider: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
) -> Result<Settled, CallbackError> {
    // The signature is checked before anything is read from or written to the database.
    let secret = callback_secret(state, provider).ok_or(CallbackError::UnknownProvider)?;
    verify(&secret, timestamp, signature, body, now_millis() / 1000)?;
    let callback: Callback = serde_json::from_slice(body).map_err(|_| CallbackError::Malformed)?;
    identifier(&callback.order_no)?;
    identifier(&callback.provider_txn_id)?;
    let currency = Currency::from_str(&callback.currency).map_err(|_| CallbackError::Malformed)?;
    let amount = parse_plain_amount(&callback.amount, currency)
        .ok()
        .and_then(|amount| to_minor_units(amount, currency).ok())
        .ok_or(CallbackError::Malformed)?;

    let mut tx = state.db.begin_write().await?;
    let order = store::order_to_settle(&mut tx, &callback.order_no)
        .await?
        .ok_or(CallbackError::UnknownOrder)?;
    let store::OrderToSettle {
        id: order_id,
        account: account_id,
        currency: order_currency,
        amount: order_amount,
        provider: order_provider,
        status,
        settled_by,
    } = order;
    if order_amount != amount || order_currency != currency || order_provider != provider {
        return Err(CallbackError::Mismatch);
    }
    let now = now_millis();
    match (callback.status.as_str(), status.code()) {
        ("paid", "paid") if settled_by.as_deref() == Some(callback.provider_txn_id.as_str()) => {
            Ok(Settled::AlreadyPaid)
        }
        ("paid", "paid") => Err(CallbackError::TransactionReused),
        ("paid", _) => {
            // Another order, that is: a duplicate of this very callback that committed a moment
            // ago is answered below as "already paid".
            if store::transaction_settles_another(&mut tx, &callback.provider_txn_id, order_id)
                .await?
            {
                return Err(CallbackError::TransactionReused);
            }
            if !store::mark_paid(&mut tx, order_id, &callback.provider_txn_id, now).await? {
                // A duplicate delivered at the same moment settled it while this one waited.
                drop(tx);
                return settled_meanwhile(state, order_id, &callback.provider_txn_id).await;
            }
            let key = format!("recharge:{}", callback.order_no);
            let actor = crate::ledger::Actor::Provider(provider).to_string();
            credit_cash(
                &mut tx,
                state.db.backend(),
                &Credit {
                    account: account_id,
                    currency,
                    amount,
                    reference: &callback.order_no,
                    actor: &actor,
                    key: &key,
                    at: None,
                },
            )
            .await?;
            crate::team::audit::record(
                &mut tx,
                &crate::team::audit::AuditActor::system(account_id, &actor),
                crate::team::model::AuditAction::RechargePaid,
                &format!(
                    "{}, {}",
                    callback.order_no,
                    crate::money::format_minor_units(amount, currency)
                ),
                now,
            )
            .await?;
            tx.commit().await?;
            state.wakeups.notify(crate::server::jobs::Event::FundsReceived);
            Ok(Settled::Paid)
        }
        ("failed", "pending") => {
            store::mark_failed(&mut tx, order_id, now).await?;
            tx.commit().await?;
            Ok(Settled::Failed)
        }
        ("failed", _) => Ok(Settled::Failed),
        _ => Err(CallbackError::Malformed),
    }
}

/// The answer to a callback whose order another delivery of it settled first.
async fn settled_meanwhile(
    state: &AppState,
    order_id: i64,
    provider_txn_id: &str,
) -> Result<Settled, CallbackError> {
    let mut conn = state.db.pool().acquire().await?;
    let settled_by = store::settled_by(&mut conn, order_id).await?;
    if settled_by.as_deref() == Some(provider_txn_id) {
        Ok(Settled::AlreadyPaid)
    } else {
        Err(CallbackError::TransactionReused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_with_a_time_window() {
        let body = br#"{"order_no":"R1"}"#;
        let now = 1_800_000_000;
        let signature = sign("secret", now, body);
        assert!(verify("secret", &now.to_string(), &signature, body, now + 10).is_ok());
        assert!(matches!(
            verify("other", &now.to_string(), &signature, body, now),
            Err(CallbackError::BadSignature)
        ));
        assert!(matches!(
            verify(
                "secret",
                &now.to_string(),
                &signature,
                br#"{"order_no":"R2"}"#,
                now
            ),
            Err(CallbackError::BadSignature)
        ));
        assert!(matches!(
            verify(
                "secret",
                &now.to_string(),
                &signature,
                body,
                now + TOLERANCE_SECS + 1
            ),
            Err(CallbackError::Stale)
        ));
        // The signature is checked before the timestamp is read.
        assert!(matches!(
            verify("secret", "yesterday", &signature, body, now),
            Err(CallbackError::BadSignature)
        ));
    }
}
