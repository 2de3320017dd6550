//! Voucher activation codes: an operator makes a batch, a customer activates one code on the
//! Vouchers page and gets a voucher of the batch's value.
//!
//! A code is derived from a server secret, its batch and its position, so the database keeps
//! only its hash and an operator can download a batch again (redeemed codes marked).
use super::deduction::{issue_voucher, NewVoucher, VoucherKind};
use super::store;
use crate::error::AppError;
use crate::ledger::LedgerError;
use crate::messages::Msg;
use crate::money::Currency;
use crate::server::db::{now_millis, Db};
use crate::team::audit::{self, AuditActor};
use crate::team::model::AuditAction;
use crate::time::DAY_MS;
use sqlx::AnyConnection;

/// Crockford's base 32: no I, L, O or U; typed O reads as 0, and I or L as 1.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 16 characters of 5 bits: 80 bits, beyond guessing within the attempt limit.
const CODE_LENGTH: usize = 16;
/// Failed activations an account may make in an hour.
pub const FAILED_ACTIVATIONS_PER_HOUR: i64 = 10;
/// The most codes one batch may hold (one download, one transaction).
pub const MAX_BATCH: i64 = 1_000;

const SECRET_NAME: &str = "voucher_code_secret";

fn mac(secret: &str, text: &str) -> Vec<u8> {
    crate::server::signing::mac(secret.as_bytes(), &[text.as_bytes()])
}

/// The code at `position` of batch `batch`, written in groups of four: "ABCD-EFGH-JKMN-PQRS".
pub fn code_at(secret: &str, batch: i64, position: i64) -> String {
    let bytes = mac(secret, &format!("voucher-code:{batch}:{position}"));
    let mut code = String::new();
    for (i, byte) in bytes.iter().take(CODE_LENGTH).enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(ALPHABET[usize::from(byte & 31)] as char);
    }
    code
}

/// A code as typed, made comparable: upper case, without spaces and dashes, look-alike
/// letters read as the digits they resemble.
pub fn normalise(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

fn code_hash(secret: &str, code: &str) -> String {
    hex::encode(mac(secret, &format!("hash:{}", normalise(code))))
}

async fn secret(db: &Db) -> Result<String, sqlx::Error> {
    crate::server::secrets::get_or_create(db, SECRET_NAME).await
}

/// What a new batch is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBatch {
    pub currency: Currency,
    /// Minor units.
    pub denomination: i64,
    pub scope: Vec<String>,
    pub validity_days: i64,
    pub codes_expire_at: i64,
    pub quantity: i64,
    pub note: String,
}

/// Makes a batch of codes; returns its id.
pub async fn create_batch(db: &Db, batch: &NewBatch, actor: &str) -> Result<i64, AppError> {
    if !(1..=MAX_BATCH).contains(&batch.quantity) {
        return Err(AppError::field(
            "quantity",
            Msg::BatchSize {
                max: MAX_BATCH.to_string(),
            },
        ));
    }
    let secret = secret(db).await?;
    let now = now_millis();
    let mut tx = db.begin_write().await?;
    let id = store::insert_code_batch(&mut tx, batch, actor, now).await?;
    for position in 1..=batch.quantity {
        let hash = code_hash(&secret, &code_at(&secret, id, position));
        store::insert_code(&mut tx, id, position, &hash).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// One code of a batch for the operator's download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCode {
    pub code: String,
    pub redeemed_by: Option<i64>,
    pub redeemed_at: Option<i64>,
}

/// The codes of batch `batch`, in order.
pub async fn batch_codes(db: &Db, batch: i64) -> Result<Vec<IssuedCode>, AppError> {
    let secret = secret(db).await?;
    let mut conn = db.pool().acquire().await?;
    let codes = store::batch_codes(&mut conn, batch).await?;
    if codes.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(codes
        .into_iter()
        .map(|(position, redeemed_by, redeemed_at)| IssuedCode {
            code: code_at(&secret, batch, position),
            redeemed_by,
            redeemed_at,
        })
        .collect())
}

/// Activates `typed` for `account`: one voucher of the batch's value, valid from now. A code
/// activates once; failed attempts are counted and limited per account.
pub async fn activate(
    db: &Db,
    actor: &AuditActor<'_>,
    currency: Currency,
    typed: &str,
) -> Result<i64, AppError> {
    use crate::accounts::store::log_event;
    use crate::server::limits::{self, Limit};
    let account = actor.account;
    let now = now_millis();
    let who = account.to_string();
    let code = normalise(typed);
    if code.is_empty() {
        return Err(AppError::field("code", Msg::EnterActivationCode));
    }
    // The attempt is counted before the code is looked up, so parallel guesses get no more
    // than the limit; a success gives it back.
    let attempts = Limit::new(
        format!("voucher-code:{account}"),
        FAILED_ACTIVATIONS_PER_HOUR,
        crate::time::HOUR_MS,
    );
    {
        let mut tx = db.begin_write().await?;
        if let Err(reached) = limits::take(&mut tx, &attempts, now).await? {
            return Err(AppError::throttled(
                "code",
                Msg::TooManyWrongCodes,
                reached.seconds(),
            ));
        }
        tx.commit().await?;
    }
    let secret = secret(db).await?;
    let mut tx = db.begin_write().await?;
    let outcome = redeem(&mut tx, account, currency, &code_hash(&secret, &code), now).await;
    match outcome {
        Ok(voucher) => {
            limits::give_back(&mut tx, &attempts.name).await?;
            audit::record(
                &mut tx,
                actor,
                AuditAction::VoucherActivated,
                &format!("voucher #{voucher}"),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(voucher)
        }
        Err(Refusal::Invalid(message)) => {
            drop(tx);
            let mut conn = db.pool().acquire().await?;
            // The failed guess goes to the security log of the person who typed it.
            log_event(
                &mut conn,
                actor.user,
                crate::accounts::model::SecurityEventKind::VoucherCodeFailed,
                &who,
                actor.client_addr,
                now,
            )
            .await?;
            Err(AppError::field("code", message))
        }
        Err(Refusal::Failed(error)) => Err(error),
    }
}

enum Refusal {
    Invalid(Msg),
    Failed(AppError),
}

impl From<sqlx::Error> for Refusal {
    fn from(error: sqlx::Error) -> Self {
        Refusal::Failed(error.into())
    }
}

async fn redeem(
    conn: &mut AnyConnection,
    account: i64,
    currency: Currency,
    hash: &str,
    now: i64,
) -> Result<i64, Refusal> {
    let code = store::code_by_hash(&mut *conn, hash)
        .await?
        .ok_or(Refusal::Invalid(Msg::CodeInvalid))?;
    let id = code.id;
    if code.redeemed_by.is_some() {
        return Err(Refusal::Invalid(Msg::CodeAlreadyActivated));
    }
    if now >= code.codes_expire_at {
        return Err(Refusal::Invalid(Msg::CodeExpired));
    }
    if code.currency != currency {
        return Err(Refusal::Invalid(Msg::CodeOtherCurrency));
    }
    // Claimed before the voucher exists: of two activations racing, one updates the row.
    if !store::claim_code(&mut *conn, id, account, now).await? {
        return Err(Refusal::Invalid(Msg::CodeAlreadyActivated));
    }
    let scope: Vec<&str> = code.scope.split(',').filter(|s| !s.is_empty()).collect();
    let actor = crate::ledger::Actor::Account(account).to_string();
    let voucher = NewVoucher {
        account,
        currency,
        kind: VoucherKind::Regular,
        amount: code.denomination,
        expires_at: now + code.validity_days * DAY_MS,
        scope: &scope,
        actor: &actor,
        key: &format!("voucher-code:{id}"),
        now,
    };
    let voucher = issue_voucher(conn, &voucher)
        .await
        .map_err(|error| match error {
            LedgerError::Database(e) => Refusal::Failed(e.into()),
            other => {
                tracing::error!(error = %other, "voucher code activation failed");
                Refusal::Failed(AppError::Internal)
            }
        })?;
    store::link_code_voucher(conn, id, voucher).await?;
    Ok(voucher)
}

/// A batch as the operator's list shows it.
pub async fn batches(
    db: &Db,
    zone: &crate::time::Zone,
) -> Result<Vec<super::model::CodeBatchView>, AppError> {
    let mut conn = db.pool().acquire().await?;
    Ok(store::code_batches(&mut conn, 100)
        .await?
        .into_iter()
        .map(|batch| super::model::CodeBatchView {
            id: batch.id,
            denomination: crate::money::format_minor_units(batch.denomination, batch.currency),
            scope: batch.scope,
            validity_days: batch.validity_days,
            // The last minute a code works, not the first it does not.
            codes_expire_at: zone.stamp(batch.codes_expire_at - 1),
            quantity: batch.quantity,
            redeemed: batch.redeemed,
            note: batch.note,
            created_by: batch.created_by,
            created_at: zone.stamp(batch.created_at),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A member of `account` acting from `client_addr`.
    fn tester(account: i64, client_addr: &'static str) -> AuditActor<'static> {
        AuditActor {
            account,
            user: None,
            who: "tester",
            by_operator: false,
            client_addr,
        }
    }
    use crate::server::testing::db_test;
    use sqlx::Row;

    #[test]
    fn codes_are_stable_distinct_and_forgiving_to_type() {
        let a = code_at("secret", 1, 1);
        assert_eq!(a, code_at("secret", 1, 1));
        assert_ne!(a, code_at("secret", 1, 2));
        assert_ne!(a, code_at("secret", 2, 1));
        assert_ne!(a, code_at("other", 1, 1));
        assert_eq!(a.len(), 19);
        assert!(a.chars().all(|c| c == '-' || ALPHABET.contains(&(c as u8))));
        let typed = format!(" {} ", a.to_lowercase().replace('-', " ").replace('0', "o"));
        assert_eq!(code_hash("secret", &typed), code_hash("secret", &a));
    }

    fn batch(quantity: i64, expires_at: i64) -> NewBatch {
        NewBatch {
            currency: Currency::CNY,
            denomination: 50_00,
            scope: vec!["logs".to_string()],
            validity_days: 30,
            codes_expire_at: expires_at,
            quantity,
            note: "launch".to_string(),
        }
    }

    db_test!(
        a_code_activates_once_and_wrong_codes_are_limited,
        |db| async move {
            let account = crate::demo::seed_account(&db).await.expect("account");
            let other = crate::team::testing::another_account(&db).await;
            let now = now_millis();
            let id = create_batch(
                &db,
                &batch(3, now + crate::time::DAY_MS),
                "operator:1:ops@example.com",
            )
            .await
            .expect("batch");
            let codes = batch_codes(&db, id).await.expect("codes");
            assert_eq!(codes.len(), 3);
            let voucher = activate(
                &db,
                &tester(account, "10.0.0.1"),
                Currency::CNY,
                &codes[0].code,
            )
            .await
            .expect("activated");
            let views = sqlx::query("SELECT denomination, scope, expires_at - activated_at AS valid FROM vouchers WHERE id = $1")
            .bind(voucher)
            .fetch_one(db.pool())
            .await
            .expect("voucher");
            assert_eq!(views.try_get::<i64, _>("denomination").unwrap(), 50_00);
            assert_eq!(views.try_get::<String, _>("scope").unwrap(), "logs");
            assert_eq!(
                views.try_get::<i64, _>("valid").unwrap(),
                30 * crate::time::DAY_MS
            );
            // Used: refused for anyone, and nothing more is credited.
            for who in [account, other] {
                let again =
                    activate(&db, &tester(who, "10.0.0.1"), Currency::CNY, &codes[0].code).await;
                assert!(matches!(again, Err(AppError::Field { ref field, .. }) if field == "code"));
            }
            let after = batch_codes(&db, id).await.expect("codes");
            assert_eq!(after[0].redeemed_by, Some(account));
            assert_eq!(after[1].redeemed_by, None);
            // Currency must match the account's.
            let usd = activate(
                &db,
                &tester(account, "10.0.0.1"),
                Currency::USD,
                &codes[1].code,
            )
            .await;
            assert!(usd.is_err());
            // Wrong codes: after the hourly limit even a right one is refused.
            for _ in 0..FAILED_ACTIVATIONS_PER_HOUR {
                assert!(activate(
                    &db,
                    &tester(other, "10.0.0.2"),
                    Currency::CNY,
                    "AAAA-BBBB-CCCC-DDDD"
                )
                .await
                .is_err());
            }
            assert!(activate(
                &db,
                &tester(other, "10.0.0.2"),
                Currency::CNY,
                &codes[2].code
            )
            .await
            .is_err());
            // Another account is not held back by it.
            activate(
                &db,
                &tester(account, "10.0.0.1"),
                Currency::CNY,
                &codes[2].code,
            )
            .await
            .expect("the limit is per account");
            let mut conn = db.pool().acquire().await.expect("conn");
            assert!(crate::ledger::posting::reconcile(&mut conn)
                .await
                .expect("reconcile")
                .is_empty());
        }
    );

    db_test!(
        a_code_raced_from_many_requests_activates_once,
        |db| async move {
            let account = crate::demo::seed_account(&db).await.expect("account");
            let id = create_batch(
                &db,
                &batch(1, now_millis() + crate::time::DAY_MS),
                "operator:t",
            )
            .await
            .expect("batch");
            let code = batch_codes(&db, id).await.expect("codes").remove(0).code;
            let attempts = (0..8).map(|_| {
                let (db, code) = (db.clone(), code.clone());
                tokio::spawn(async move {
                    activate(&db, &tester(account, "10.0.0.1"), Currency::CNY, &code).await
                })
            });
            let mut activated = 0;
            for attempt in attempts.collect::<Vec<_>>() {
                if attempt.await.expect("task").is_ok() {
                    activated += 1;
                }
            }
            assert_eq!(activated, 1);
            let vouchers: i64 =
                sqlx::query("SELECT COUNT(*) AS n FROM vouchers WHERE billing_account_id = $1")
                    .bind(account)
                    .fetch_one(db.pool())
                    .await
                    .and_then(|row| row.try_get("n"))
                    .expect("count");
            assert_eq!(vouchers, 1);
        }
    );

    db_test!(expired_codes_and_bad_batches_are_refused, |db| async move {
        let account = crate::demo::seed_account(&db).await.expect("account");
        let now = now_millis();
        assert!(create_batch(&db, &batch(0, now + 1000), "operator:t")
            .await
            .is_err());
        assert!(
            create_batch(&db, &batch(MAX_BATCH + 1, now + 1000), "operator:t")
                .await
                .is_err()
        );
        let id = create_batch(&db, &batch(1, now - 1), "operator:t")
            .await
            .expect("batch");
        let code = batch_codes(&db, id).await.expect("codes").remove(0).code;
        let refused = activate(&db, &tester(account, "10.0.0.1"), Currency::CNY, &code).await;
        assert!(
            matches!(refused, Err(AppError::Field { message, .. }) if message == Msg::CodeExpired)
        );
        assert!(matches!(
            batch_codes(&db, id + 1).await,
            Err(AppError::NotFound)
        ));
    });
}
