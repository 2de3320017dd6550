//! Sending and checking verification codes: the one service every flow uses.
use super::model::{parse_code, Address, Purpose, CODE_LENGTH};
use super::rules::{CodeCheck, CodePolicy, SendLimit, SendRefusal, StoredCode};
use super::store;
use crate::server::delivery::{Delivery, DeliveryError, Message, Queued};
use crate::server::limits;
use rand::Rng;
use sqlx::AnyConnection;

/// Code entries one address may have compared per day, over all its codes and purposes.
pub const GUESSES_PER_ADDRESS_DAY: i64 = 30;

/// A code to send: for `purpose`, to `address`, asked from `client_addr` at `now`.
#[derive(Clone, Copy, Debug)]
pub struct CodeRequest<'a> {
    pub address: &'a Address,
    pub purpose: Purpose,
    pub client_addr: &'a str,
    pub now: i64,
}

/// Issues and checks codes under one policy, hashing them with a server secret (a leaked
/// table of hashes of 6-digit codes is worthless without it).
#[derive(Clone)]
pub struct Verifier {
    pub policy: CodePolicy,
    pepper: String,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("policy", &self.policy)
            .field("pepper", &"[redacted]")
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Refused(#[from] SendRefusal),
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Verifier {
    pub fn new(policy: CodePolicy, pepper: String) -> Self {
        Self { policy, pepper }
    }

    fn hash(&self, address: &Address, purpose: Purpose, sent_at: i64, code: &str) -> String {
        let text = hashed_text(address, purpose, sent_at, code);
        crate::server::signing::sign_hex(self.pepper.as_bytes(), &[text.as_bytes()])
    }

    /// Takes a hit of every send limit for `address` and `purpose` (in `conn`, the caller's
    /// transaction: a refused request rolls back and counts nothing).
    async fn take_send_limits(
        &self,
        conn: &mut AnyConnection,
        address: &Address,
        purpose: Purpose,
        client_addr: &str,
        now: i64,
    ) -> Result<(), SendError> {
        for (limit, kind) in self
            .policy
            .send_limits(address.as_str(), purpose.code(), client_addr)
        {
            if let Err(reached) = limits::take(conn, &limit, now).await? {
                return Err(SendError::Refused(match kind {
                    SendLimit::Pause => SendRefusal::TooSoon {
                        seconds: reached.seconds(),
                    },
                    SendLimit::Budget => SendRefusal::TooMany {
                        seconds: reached.seconds(),
                    },
                }));
            }
        }
        Ok(())
    }

    /// Makes a new code as `request` asks in `conn` (a write transaction the caller commits):
    /// takes the send limits, stores the hash (replacing any earlier code) and queues the
    /// message from `brand`, which the caller delivers after committing.
    pub async fn send(
        &self,
        conn: &mut AnyConnection,
        (delivery, brand): (&Delivery, &str),
        request: &CodeRequest<'_>,
    ) -> Result<Queued, SendError> {
        let CodeRequest {
            address,
            purpose,
            client_addr,
            now,
        } = *request;
        self.take_send_limits(conn, address, purpose, client_addr, now)
            .await?;
        let code = format!(
            "{:0width$}",
            rand::rngs::OsRng.gen_range(0..1_000_000u32),
            width = CODE_LENGTH
        );
        store::insert(
            conn,
            address,
            purpose,
            &self.hash(address, purpose, now, &code),
            client_addr,
            now,
        )
        .await?;
        Ok(delivery
            .queue(conn, &code_message(brand, address, &code))
            .await?)
    }

    /// Records that `address` asked for a code that was not sent (an address without an
    /// account asking to sign in): it takes the limits exactly like a sent code, so the answers
    /// and limits are the same whether or not the address has an account.
    pub async fn send_nothing(
        &self,
        conn: &mut AnyConnection,
        address: &Address,
        purpose: Purpose,
        client_addr: &str,
        now: i64,
    ) -> Result<(), SendError> {
        self.take_send_limits(conn, address, purpose, client_addr, now)
            .await?;
        // A hash no code can match: the empty string is not a 6-digit code.
        store::insert(
            conn,
            address,
            purpose,
            &self.hash(address, purpose, now, ""),
            client_addr,
            now,
        )
        .await?;
        Ok(())
    }

    /// Checks `entered` against the latest code for `address` and `purpose` without using it
    /// up: an attempt is reserved first by one conditional update, so parallel guesses never
    /// get more than the allowed attempts between them. The caller commits `conn` in every case
    /// (a wrong attempt must be remembered). `Ok(Ok(id))`: the code is right; it still has to
    /// be used up with [`Verifier::use_up`].
    pub async fn check(
        &self,
        conn: &mut AnyConnection,
        address: &Address,
        purpose: Purpose,
        entered: &str,
        now: i64,
    ) -> Result<Result<i64, CodeCheck>, sqlx::Error> {
        let Some(latest) = store::latest(conn, address, purpose).await? else {
            return Ok(Err(CodeCheck::Missing));
        };
        // Used, dead or expired codes are refused as they are, costing no attempt.
        match self.policy.check(&latest.stored, false, now) {
            CodeCheck::Wrong { .. } | CodeCheck::WrongAndDead => {}
            other => return Ok(Err(other)),
        }
        // Guesses at one address across all its codes and purposes, so asking for new codes
        // again and again does not buy unlimited guesses.
        let guesses = limits::Limit::new(
            format!("code-guesses:{address}"),
            GUESSES_PER_ADDRESS_DAY,
            crate::time::DAY_MS,
        );
        if limits::take(conn, &guesses, now).await?.is_err() {
            return Ok(Err(CodeCheck::TooManyAttempts));
        }
        let Some(before) =
            store::reserve_attempt(conn, latest.id, self.policy.max_attempts).await?
        else {
            return Ok(Err(CodeCheck::TooManyAttempts));
        };
        let matches = parse_code(entered).is_some_and(|code| {
            let text = hashed_text(address, purpose, latest.stored.sent_at, &code);
            crate::server::signing::verify_hex(
                self.pepper.as_bytes(),
                &[text.as_bytes()],
                &latest.code_hash,
            )
        });
        let stored = StoredCode {
            attempts: before,
            ..latest.stored
        };
        match self.policy.check(&stored, matches, now) {
            CodeCheck::Accepted => {
                limits::give_back(conn, &guesses.name).await?;
                Ok(Ok(latest.id))
            }
            other => Ok(Err(other)),
        }
    }

    /// Uses up code `id` that [`Verifier::check`] accepted; `Used` when another request used
    /// it first.
    pub async fn use_up(
        &self,
        conn: &mut AnyConnection,
        id: i64,
        now: i64,
    ) -> Result<Result<(), CodeCheck>, sqlx::Error> {
        Ok(if store::mark_used(conn, id, now).await? {
            Ok(())
        } else {
            Err(CodeCheck::Used)
        })
    }

    /// [`Verifier::check`] and [`Verifier::use_up`] in one go.
    pub async fn consume(
        &self,
        conn: &mut AnyConnection,
        address: &Address,
        purpose: Purpose,
        entered: &str,
        now: i64,
    ) -> Result<Result<(), CodeCheck>, sqlx::Error> {
        match self.check(conn, address, purpose, entered, now).await? {
            Ok(id) => self.use_up(conn, id, now).await,
            Err(check) => Ok(Err(check)),
        }
    }
}

/// What a code's stored hash is made of: the code is worth nothing for another address,
/// purpose or sending.
fn hashed_text(address: &Address, purpose: Purpose, sent_at: i64, code: &str) -> String {
    format!("{address}\n{}\n{sent_at}\n{code}", purpose.code())
}

/// The message that carries a code, in English and Chinese (the reader's language is not known
/// when the address is new).
pub fn code_message(brand: &str, address: &Address, code: &str) -> Message {
    Message {
        channel: address.channel(),
        to: address.as_str().to_string(),
        subject: format!("{brand} verification code / 验证码"),
        // Short lines: mail can then carry the text as it is, readable in any client.
        body: format!(
            "Your {brand} verification code is {code}.\n\
             It expires in 10 minutes.\n\
             If you did not ask for it, ignore this message.\n\
             您的{brand}验证码为 {code}，10 分钟内有效。\n\
             如非本人操作，请忽略。"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::now_millis;
    use crate::server::testing::{db_test, last_code};
    use crate::time::MINUTE_MS;
    use sqlx::Row;

    fn verifier() -> Verifier {
        Verifier::new(CodePolicy::default(), "test pepper".to_string())
    }

    fn outbox_delivery() -> Delivery {
        let config = crate::config::Config::from_lookup(|name| {
            (name == "BC_DEV_OUTBOX").then(|| "1".to_string())
        })
        .expect("defaults");
        Delivery::from_config(&config).expect("outbox")
    }

    async fn send(
        db: &crate::server::db::Db,
        address: &Address,
        purpose: Purpose,
        client: &str,
        now: i64,
    ) -> Result<(), SendError> {
        let mut tx = db.begin_write().await.expect("tx");
        let delivery = outbox_delivery();
        let sent = verifier()
            .send(
                &mut tx,
                (&delivery, "Billing Center"),
                &CodeRequest {
                    address,
                    purpose,
                    client_addr: client,
                    now,
                },
            )
            .await?;
        tx.commit().await.expect("commit");
        delivery.deliver(db, &[sent]).await.expect("delivered");
        Ok(())
    }

    /// Sends a code that must go out and returns it as the recipient reads it.
    async fn sent_code(
        db: &crate::server::db::Db,
        address: &Address,
        purpose: Purpose,
        client: &str,
        now: i64,
    ) -> String {
        send(db, address, purpose, client, now).await.expect("sent");
        last_code(db, address).await
    }

    /// A six-digit guess that is not `code`.
    fn wrong_for(code: &str) -> &'static str {
        if code == "000000" {
            "111111"
        } else {
            "000000"
        }
    }

    async fn consume(
        db: &crate::server::db::Db,
        address: &Address,
        purpose: Purpose,
        code: &str,
        now: i64,
    ) -> Result<(), CodeCheck> {
        let mut tx = db.begin_write().await.expect("tx");
        let outcome = verifier()
            .consume(&mut tx, address, purpose, code, now)
            .await
            .expect("database");
        tx.commit().await.expect("commit");
        outcome
    }

    db_test!(a_code_is_sent_and_used_once, |db| async move {
        let address = Address::email("finance@example.com").expect("valid");
        let now = now_millis();
        let code = sent_code(&db, &address, Purpose::Register, "10.0.0.1", now).await;
        // Not for another purpose.
        assert_eq!(
            consume(&db, &address, Purpose::SignIn, &code, now).await,
            Err(CodeCheck::Missing)
        );
        assert_eq!(
            consume(&db, &address, Purpose::Register, &code, now + 1).await,
            Ok(())
        );
        assert_eq!(
            consume(&db, &address, Purpose::Register, &code, now + 2).await,
            Err(CodeCheck::Used)
        );
    });

    db_test!(a_new_code_replaces_the_old, |db| async move {
        let address = Address::phone("13800138000").expect("valid");
        let now = now_millis();
        let first = sent_code(&db, &address, Purpose::SignIn, "10.0.0.1", now).await;
        let later = now + MINUTE_MS;
        send(&db, &address, Purpose::SignIn, "10.0.0.1", later)
            .await
            .expect("sent again");
        let second = last_code(&db, &address).await;
        if first != second {
            assert!(matches!(
                consume(&db, &address, Purpose::SignIn, &first, later).await,
                Err(CodeCheck::Wrong { .. })
            ));
        }
        assert_eq!(
            consume(&db, &address, Purpose::SignIn, &second, later).await,
            Ok(())
        );
    });

    db_test!(the_sixth_wrong_code_is_refused, |db| async move {
        let address = Address::email("ops@example.com").expect("valid");
        let now = now_millis();
        let code = sent_code(&db, &address, Purpose::SignIn, "10.0.0.2", now).await;
        let wrong = wrong_for(&code);
        for _ in 0..4 {
            assert!(matches!(
                consume(&db, &address, Purpose::SignIn, wrong, now).await,
                Err(CodeCheck::Wrong { .. })
            ));
        }
        assert_eq!(
            consume(&db, &address, Purpose::SignIn, wrong, now).await,
            Err(CodeCheck::WrongAndDead)
        );
        assert_eq!(
            consume(&db, &address, Purpose::SignIn, &code, now).await,
            Err(CodeCheck::TooManyAttempts)
        );
    });

    db_test!(resend_and_caps_are_enforced, |db| async move {
        let address = Address::email("caps@example.com").expect("valid");
        let now = now_millis();
        send(&db, &address, Purpose::Register, "10.0.0.3", now)
            .await
            .expect("sent");
        assert!(matches!(
            send(&db, &address, Purpose::Register, "10.0.0.3", now + 1_000).await,
            Err(SendError::Refused(SendRefusal::TooSoon { .. }))
        ));
        for i in 1..5 {
            send(
                &db,
                &address,
                Purpose::Register,
                "10.0.0.3",
                now + i * MINUTE_MS,
            )
            .await
            .expect("within caps");
        }
        assert!(matches!(
            send(
                &db,
                &address,
                Purpose::Register,
                "10.0.0.3",
                now + 5 * MINUTE_MS
            )
            .await,
            Err(SendError::Refused(SendRefusal::TooMany { .. }))
        ));
        // A refused request stores nothing and sends nothing.
        let sent: i64 = sqlx::query("SELECT COUNT(*) AS n FROM outbox_messages")
            .fetch_one(db.pool())
            .await
            .and_then(|row| row.try_get("n"))
            .expect("count");
        assert_eq!(sent, 5);
    });

    db_test!(
        parallel_wrong_codes_get_no_more_than_five_attempts,
        |db| async move {
            let address = Address::email("race@example.com").expect("valid");
            let now = now_millis();
            let code = sent_code(&db, &address, Purpose::SignIn, "10.0.0.5", now).await;
            let wrong = wrong_for(&code);
            let mut tasks = Vec::new();
            for _ in 0..300 {
                let (db, address) = (db.clone(), address.clone());
                tasks.push(tokio::spawn(async move {
                    consume(&db, &address, Purpose::SignIn, wrong, now).await
                }));
            }
            let mut evaluated = 0;
            for task in tasks {
                let outcome = task.await.expect("task");
                if matches!(
                    outcome,
                    Err(CodeCheck::Wrong { .. } | CodeCheck::WrongAndDead)
                ) {
                    evaluated += 1;
                } else {
                    assert_eq!(outcome, Err(CodeCheck::TooManyAttempts));
                }
            }
            assert_eq!(evaluated, 5, "guesses compared against the code");
            assert_eq!(
                consume(&db, &address, Purpose::SignIn, &code, now).await,
                Err(CodeCheck::TooManyAttempts)
            );
        }
    );

    db_test!(
        parallel_requests_send_no_more_than_the_budget,
        |db| async move {
            let address = Address::email("burst@example.com").expect("valid");
            let now = now_millis();
            let mut tasks = Vec::new();
            for i in 0..300 {
                let (db, address) = (db.clone(), address.clone());
                // Spread over time so the one-minute pause is not what stops them.
                let at = now + i64::from(i % 30) * MINUTE_MS;
                tasks.push(tokio::spawn(async move {
                    send(
                        &db,
                        &address,
                        Purpose::Register,
                        &format!("10.1.0.{}", i % 200),
                        at,
                    )
                    .await
                }));
            }
            let mut sent = 0;
            for task in tasks {
                sent += usize::from(task.await.expect("task").is_ok());
            }
            assert!(sent <= 5, "{sent} codes sent against an hourly budget of 5");
            let stored: i64 =
                sqlx::query("SELECT COUNT(*) AS n FROM verification_codes WHERE address = $1")
                    .bind(address.as_str())
                    .fetch_one(db.pool())
                    .await
                    .and_then(|row| row.try_get("n"))
                    .expect("count");
            assert_eq!(stored as usize, sent);
            // Another purpose has its own budget: signing in is not locked out.
            send(&db, &address, Purpose::SignIn, "10.2.0.1", now)
                .await
                .expect("sign-in code still sent");
        }
    );

    db_test!(an_expired_code_is_refused, |db| async move {
        let address = Address::email("late@example.com").expect("valid");
        let now = now_millis();
        let code = sent_code(&db, &address, Purpose::ResetPassword, "10.0.0.4", now).await;
        assert_eq!(
            consume(
                &db,
                &address,
                Purpose::ResetPassword,
                &code,
                now + 10 * MINUTE_MS
            )
            .await,
            Err(CodeCheck::Expired)
        );
    });
}
