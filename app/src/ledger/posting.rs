//! Posting journal transactions: balanced legs, recorded once under an idempotency key, with
//! holdings' balances moved in the same transaction; and reconciliation, which proves the books.
use super::model::{JournalKind, LedgerKind};
use super::store;
use crate::money::Currency;
use crate::server::db::now_millis;
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
    Refused(crate::messages::Msg),
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
    let inserted = store::insert_journal(conn, &entry, &hash, now).await?;
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
        store::insert_posting(conn, id, &entry, *leg, now).await?;
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

/// What a use-case answers when the ledger refuses and it has nothing more precise to say (a
/// form maps the refusals it expects to its own fields first).
impl From<LedgerError> for crate::error::AppError {
    fn from(error: LedgerError) -> Self {
        use crate::error::AppError;
        use crate::messages::Msg;
        match error {
            LedgerError::Database(error) => error.into(),
            LedgerError::KeyReused => AppError::Conflict(Msg::AlreadyDone),
            LedgerError::Refused(message) => AppError::Rejected(message),
            LedgerError::TooLarge => AppError::Rejected(Msg::BalanceTooLarge),
            LedgerError::Insufficient(_) => AppError::Rejected(Msg::BalanceNotEnough),
            LedgerError::TooFewLegs | LedgerError::Unbalanced => {
                tracing::error!(%error, "a movement the ledger cannot post");
                AppError::Internal
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::now_millis;
    use crate::server::testing::db_test;

    db_test!(
        unbalanced_or_overdrawn_entries_are_refused,
        |db| async move {
            let id = crate::demo::seed_account(&db).await.expect("an account");
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
                actor: crate::ledger::Actor::SYSTEM,
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
            // Rolled back: the cash account made inside the transaction is gone with it.
            let mut conn = db.pool().acquire().await.expect("connection");
            let cash =
                store::ledger_account(&mut conn, Some(id), LedgerKind::Cash, 0, Currency::CNY, now)
                    .await
                    .expect("cash");
            assert_eq!(store::balance(&mut conn, cash).await.expect("balance"), 0);
            assert!(reconcile(&mut conn).await.expect("reconcile").is_empty());
        }
    );
}
