//! The account flows: asking for a code, registering, signing in and out, resetting a password.
//! Each state change runs in one write transaction; a wrong code is remembered even when the
//! flow fails (its transaction commits the attempt and nothing else).
use super::model::{
    company_name, profile_field, AccountSummary, Profile, SecurityEvent, SecurityEventKind,
    SessionInfo,
};
use super::model::{DESCRIPTION_MAX, PROFILE_FIELD_MAX};
use super::{password, store};
use crate::error::AppError;
use crate::messages::Msg;
use crate::server::db::now_millis;
use crate::server::delivery::{DeliveryError, Message, Queued};
use crate::server::limits::{self, Limit};
use crate::state::AppState;
use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS};
use crate::verification::rules::{CodeCheck, SendRefusal};
use crate::verification::service::SendError;
use crate::verification::{Address, Channel, Purpose};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

mod address;
mod codes;
mod credentials;
mod profile;
mod registration;
mod sessions;
mod sign_in;

pub use address::*;
pub use codes::*;
pub use credentials::*;
pub use profile::*;
pub use registration::*;
pub use sessions::*;
pub use sign_in::*;

/// Who is calling, as far as the network tells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Client {
    pub addr: String,
    pub user_agent: String,
}

/// How long proof of the current address lets this session set a new one.
pub const PROOF_VALID_MS: i64 = 15 * MINUTE_MS;

/// Failed sign-ins allowed per address per hour, and per client address per hour.
pub const FAILED_SIGN_INS_PER_ADDRESS_HOUR: i64 = 10;
pub const FAILED_SIGN_INS_PER_CLIENT_HOUR: i64 = 50;
/// A session ends after 30 minutes without a request, and 12 hours after sign-in in any case.
pub const SESSION_IDLE_MS: i64 = 30 * MINUTE_MS;
pub const SESSION_ABSOLUTE_MS: i64 = 12 * HOUR_MS;
/// `last_seen_at` is written at most once a minute per session, not on every request.
const SESSION_TOUCH_MS: i64 = MINUTE_MS;

/// A new session: the token goes into the cookie, only its hash into the database.
#[derive(Debug)]
pub struct SignedIn {
    pub user_id: i64,
    pub token: String,
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn code_error(check: CodeCheck) -> AppError {
    AppError::field("code", &check)
}

fn send_error(error: SendError) -> AppError {
    match error {
        SendError::Refused(refusal) => {
            let seconds = match refusal {
                SendRefusal::TooSoon { seconds } | SendRefusal::TooMany { seconds } => seconds,
            };
            AppError::throttled("address", &refusal, seconds)
        }
        SendError::Delivery(error) => {
            tracing::error!(%error, "a message cannot be sent: its channel is not configured");
            AppError::field("address", Msg::ChannelUnavailable)
        }
        SendError::Database(error) => error.into(),
    }
}

/// Delivers messages queued by a transaction that has committed. When one cannot go out now it
/// stays queued (the timer retries it) and the user is told it may be late.
async fn deliver(state: &AppState, queued: &[Queued]) -> Result<(), AppError> {
    match state.delivery.deliver(&state.db, queued).await {
        Ok(()) => Ok(()),
        Err(DeliveryError::Outbox(error)) => Err(error.into()),
        Err(_) => Err(AppError::Rejected(Msg::MessageDelayed)),
    }
}

/// Refuses a phone number outside the configured countries before anything is sent to it
/// (texts to far-away premium numbers are how SMS pumping costs money).
pub(crate) fn check_country(state: &AppState, address: &Address) -> Result<(), AppError> {
    if address.channel() != Channel::Sms
        || state
            .config
            .phone_country_codes
            .iter()
            .any(|code| address.as_str()[1..].starts_with(code.as_str()))
    {
        return Ok(());
    }
    Err(AppError::field(
        "address",
        Msg::PhoneCountryNotAllowed {
            codes: state
                .config
                .phone_country_codes
                .iter()
                .map(|c| format!("+{c}"))
                .collect::<Vec<_>>()
                .join(", "),
        },
    ))
}

/// Checks a code inside `tx`; on failure commits the counted attempt and returns the error.
async fn consume_code(
    state: &AppState,
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    address: &Address,
    purpose: Purpose,
    code: &str,
    now: i64,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, AppError> {
    match state
        .verifier
        .consume(&mut tx, address, purpose, code, now)
        .await?
    {
        Ok(()) => Ok(tx),
        Err(check) => {
            tx.commit().await?;
            Err(code_error(check))
        }
    }
}

/// Checks a code in a transaction of its own (the attempt is remembered whatever happens next)
/// and returns the accepted code's id, for the flow's own transaction to use up. Flows that
/// hash a new password check the code first: nobody without a code makes the server run argon2.
async fn check_code(
    state: &AppState,
    address: &Address,
    purpose: Purpose,
    code: &str,
    now: i64,
) -> Result<i64, AppError> {
    let mut tx = state.db.begin_write().await?;
    let checked = state
        .verifier
        .check(&mut tx, address, purpose, code, now)
        .await?;
    tx.commit().await?;
    checked.map_err(code_error)
}

async fn use_code(
    state: &AppState,
    conn: &mut AnyConnection,
    id: i64,
    now: i64,
) -> Result<(), AppError> {
    state
        .verifier
        .use_up(conn, id, now)
        .await?
        .map_err(code_error)
}

async fn start_session(
    conn: &mut AnyConnection,
    user_id: i64,
    client: &Client,
    now: i64,
) -> Result<SignedIn, AppError> {
    let signed_in = new_session(conn, user_id, client, now).await?;
    store::log_event(
        conn,
        Some(user_id),
        SecurityEventKind::SignedIn,
        "",
        &client.addr,
        now,
    )
    .await?;
    Ok(signed_in)
}

/// A new session of `user_id` for this browser: the token goes into the cookie, only its
/// hash into the database. It acts in the user's first billing account (the header switches).
async fn new_session(
    conn: &mut AnyConnection,
    user_id: i64,
    client: &Client,
    now: i64,
) -> Result<SignedIn, AppError> {
    let token = crate::server::secrets::random_hex(32);
    let account = crate::team::store::memberships(conn, user_id)
        .await?
        .first()
        .map(|m| m.account_id);
    store::insert_session(
        conn,
        &token_hash(&token),
        user_id,
        account,
        &client.user_agent,
        &client.addr,
        now,
    )
    .await?;
    Ok(SignedIn { user_id, token })
}

async fn give_back_all(state: &AppState, taken: &[Limit]) -> Result<(), AppError> {
    let mut tx = state.db.begin_write().await?;
    for limit in taken {
        limits::give_back(&mut tx, &limit.name).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Takes one hit of each of `limits` in its own transaction, or refuses with `message`.
async fn take_attempt(
    state: &AppState,
    limits: &[Limit],
    field: &str,
    message: Msg,
    now: i64,
) -> Result<(), AppError> {
    let mut tx = state.db.begin_write().await?;
    let taken = limits::take_all(&mut tx, limits, now).await?;
    match taken {
        Ok(()) => {
            tx.commit().await?;
            Ok(())
        }
        Err(reached) => Err(AppError::throttled(field, message, reached.seconds())),
    }
}

async fn record_failure(
    state: &AppState,
    user_id: Option<i64>,
    address: &Address,
    client: &Client,
) -> Result<(), AppError> {
    record_event(
        state,
        user_id,
        SecurityEventKind::SignInFailed,
        address.as_str(),
        client,
    )
    .await
}

/// A security log event: what happened to which user, seen from which client.
pub(super) struct Event<'a> {
    pub user: Option<i64>,
    pub kind: SecurityEventKind,
    pub detail: &'a str,
    pub client: &'a Client,
}

/// Makes `change` (given the transaction and the time) and records `event` in the same write
/// transaction: the security log says exactly what happened, never more, never less.
pub(super) async fn recorded<T>(
    state: &AppState,
    event: Event<'_>,
    change: impl AsyncFnOnce(&mut AnyConnection, i64) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    let done = change(&mut tx, now).await?;
    store::log_event(
        &mut tx,
        event.user,
        event.kind,
        event.detail,
        &event.client.addr,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}

/// Sends a code for `purpose` to the user's own email (or, without one, phone): what confirms a
/// weighty step taken while signed in (handing over a billing account).
pub async fn send_own_code(
    state: &AppState,
    user_id: i64,
    purpose: Purpose,
    client: &Client,
) -> Result<(), AppError> {
    let (address, _) = proof_address(&user(state, user_id).await?, Channel::Email)?;
    request_code(state, &address, purpose, client).await
}

/// Checks the code from [`send_own_code`] and, in the same write transaction, makes `change`
/// (given the transaction and the time). A wrong code is counted and changes nothing.
pub async fn with_own_code<T>(
    state: &AppState,
    user_id: i64,
    purpose: Purpose,
    code: &str,
    change: impl AsyncFnOnce(&mut AnyConnection, i64) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let (address, _) = proof_address(&user(state, user_id).await?, Channel::Email)?;
    let now = now_millis();
    let tx = state.db.begin_write().await?;
    let mut tx = consume_code(state, tx, &address, purpose, code, now).await?;
    let done = change(&mut tx, now).await?;
    tx.commit().await?;
    Ok(done)
}

/// Writes one security log event in a transaction of its own (for what happened when the flow
/// itself changes nothing).
async fn record_event(
    state: &AppState,
    user: Option<i64>,
    kind: SecurityEventKind,
    detail: &str,
    client: &Client,
) -> Result<(), AppError> {
    let event = Event {
        user,
        kind,
        detail,
        client,
    };
    recorded(state, event, async |_, _| Ok(())).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::Db;
    use crate::server::testing::{db_test, last_code, last_message, state_for};
    use sqlx::Row;

    fn client(addr: &str) -> Client {
        Client {
            addr: addr.to_string(),
            user_agent: "test".to_string(),
        }
    }

    async fn outbox_count(db: &Db, address: &Address) -> i64 {
        sqlx::query("SELECT COUNT(*) AS n FROM outbox_messages WHERE address = $1")
            .bind(address.as_str())
            .fetch_one(db.pool())
            .await
            .and_then(|row| row.try_get("n"))
            .expect("count")
    }

    async fn registered(state: &AppState, address: &Address, password: Option<&str>) -> SignedIn {
        request_code(state, address, Purpose::Register, &client("10.1.0.1"))
            .await
            .expect("code sent");
        let code = last_code(&state.db, address).await;
        let form = Registration {
            address: address.clone(),
            code,
            company_name: "Acme Observability Ltd.".to_string(),
            site_code: "US1".to_string(),
            password: password.map(str::to_string),
        };
        register(state, form, &client("10.1.0.1"))
            .await
            .expect("registered")
    }

    async fn live(
        state: &AppState,
        signed_in: &SignedIn,
    ) -> crate::accounts::session::CallerSession {
        session(state, &signed_in.token)
            .await
            .expect("db")
            .expect("live session")
            .into()
    }

    /// The caller a signed-in browser is, in the billing account its session acts in.
    async fn caller(state: &AppState, signed_in: &SignedIn) -> crate::accounts::caller::Caller {
        crate::accounts::caller::Caller::from_session(live(state, signed_in).await)
            .expect("acts in an account")
    }

    async fn summary_of(
        state: &AppState,
        signed_in: &SignedIn,
    ) -> Result<AccountSummary, AppError> {
        summary(state, &live(state, signed_in).await).await
    }

    db_test!(
        register_then_sign_in_by_password_and_code,
        |db| async move {
            let state = state_for(&db).await;
            let address = Address::email("cfo@acme.example").expect("valid");
            let first = registered(&state, &address, Some("correct horse battery")).await;
            let summary = summary_of(&state, &first).await.expect("summary");
            assert_eq!(
                summary.currency,
                Some(crate::money::Currency::USD),
                "currency comes from the site"
            );
            assert_eq!(summary.email.as_deref(), Some("cfo@acme.example"));
            assert!(summary.has_password);
            assert_eq!(
                session(&state, &first.token)
                    .await
                    .expect("db")
                    .map(|s| s.user_id),
                Some(first.user_id)
            );

            let by_password = sign_in_with_password(
                &state,
                &address,
                "correct horse battery".into(),
                &client("10.1.0.2"),
            )
            .await
            .expect("signed in");
            assert_ne!(
                by_password.token, first.token,
                "a new session at every sign-in"
            );

            request_code(&state, &address, Purpose::SignIn, &client("10.1.0.2"))
                .await
                .expect("sent");
            let code = last_code(&state.db, &address).await;
            let by_code = sign_in_with_code(&state, &address, &code, &client("10.1.0.2"))
                .await
                .expect("signed in");
            assert_eq!(by_code.user_id, first.user_id);

            sign_out(&state, &by_code.token, &client("10.1.0.2"))
                .await
                .expect("signed out");
            assert_eq!(session(&state, &by_code.token).await.expect("db"), None);
        }
    );

    db_test!(
        wrong_password_and_unknown_address_look_the_same,
        |db| async move {
            let state = state_for(&db).await;
            let known = Address::email("known@acme.example").expect("valid");
            registered(&state, &known, Some("correct horse battery")).await;
            let unknown = Address::email("nobody@acme.example").expect("valid");
            let wrong = sign_in_with_password(
                &state,
                &known,
                "wrong horse battery".into(),
                &client("10.2.0.1"),
            )
            .await
            .expect_err("refused");
            let missing = sign_in_with_password(
                &state,
                &unknown,
                "wrong horse battery".into(),
                &client("10.2.0.1"),
            )
            .await
            .expect_err("refused");
            assert_eq!(wrong, missing);

            // Asking for a sign-in code answers the same, but only a known address gets a message.
            request_code(&state, &unknown, Purpose::SignIn, &client("10.2.0.1"))
                .await
                .expect("same answer");
            assert_eq!(outbox_count(&state.db, &unknown).await, 0);
        }
    );

    db_test!(failed_sign_ins_are_throttled_per_address, |db| async move {
        let state = state_for(&db).await;
        let address = Address::email("target@acme.example").expect("valid");
        registered(&state, &address, Some("correct horse battery")).await;
        for _ in 0..FAILED_SIGN_INS_PER_ADDRESS_HOUR {
            let error = sign_in_with_password(
                &state,
                &address,
                "guess guess guess".into(),
                &client("10.3.0.1"),
            )
            .await
            .expect_err("wrong");
            assert_eq!(error.message_for("password"), Some(Msg::WrongCredentials));
        }
        // Now even the right password waits.
        let error = sign_in_with_password(
            &state,
            &address,
            "correct horse battery".into(),
            &client("10.3.0.9"),
        )
        .await
        .expect_err("throttled");
        assert_eq!(
            error.message_for("password"),
            Some(Msg::TooManyFailedSignIns)
        );
        assert_eq!(error.status(), 429);
    });

    db_test!(
        parallel_wrong_passwords_are_evaluated_at_most_the_limit,
        |db| async move {
            let state = state_for(&db).await;
            let address = Address::email("burst@acme.example").expect("valid");
            registered(&state, &address, Some("correct horse battery")).await;
            let mut tasks = Vec::new();
            for i in 0..300 {
                let (state, address) = (state.clone(), address.clone());
                tasks.push(tokio::spawn(async move {
                    sign_in_with_password(
                        &state,
                        &address,
                        format!("guess number {i}"),
                        &client(&format!("10.7.{}.{}", i / 200, i % 200)),
                    )
                    .await
                }));
            }
            let mut evaluated = 0;
            for task in tasks {
                let error = task.await.expect("task").expect_err("every guess is wrong");
                if error.message_for("password") == Some(Msg::WrongCredentials) {
                    evaluated += 1;
                }
            }
            assert!(
                evaluated <= FAILED_SIGN_INS_PER_ADDRESS_HOUR as usize,
                "{evaluated} passwords checked against a limit of {FAILED_SIGN_INS_PER_ADDRESS_HOUR}"
            );
            // The owner can still sign in by code.
            request_code(&state, &address, Purpose::SignIn, &client("10.8.0.1"))
                .await
                .expect("code sent");
            let code = last_code(&state.db, &address).await;
            sign_in_with_code(&state, &address, &code, &client("10.8.0.1"))
                .await
                .expect("a code still signs in");
        }
    );

    db_test!(wrong_reset_codes_never_reach_argon2, |db| async move {
        let state = state_for(&db).await;
        let address = Address::email("reset-burst@acme.example").expect("valid");
        registered(&state, &address, Some("correct horse battery")).await;
        request_code(
            &state,
            &address,
            Purpose::ResetPassword,
            &client("10.9.0.1"),
        )
        .await
        .expect("code sent");
        let mut tasks = Vec::new();
        for i in 0..300 {
            let (state, address) = (state.clone(), address.clone());
            tasks.push(tokio::spawn(async move {
                reset_password(
                    &state,
                    &address,
                    &format!("{:06}", (i * 7919) % 1_000_000),
                    "a brand new passphrase".to_string(),
                    &client("10.9.0.2"),
                )
                .await
            }));
        }
        for task in tasks {
            let outcome = task.await.expect("task");
            // Refused on the code: had each hashed first, most would be Busy (4 slots).
            if let Err(error) = outcome {
                assert!(error.message_for("code").is_some(), "{error:?}");
            }
        }
    });

    db_test!(
        a_hanging_sms_provider_holds_no_transaction,
        |db| async move {
            // A provider that accepts the connection and never answers.
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let endpoint = format!("http://{}/sms", listener.local_addr().expect("addr"));
            tokio::spawn(async move {
                let mut held = Vec::new();
                while let Ok((stream, _)) = listener.accept().await {
                    held.push(stream);
                }
            });
            let config = crate::config::Config::from_lookup(|name| match name {
                "SMS_ENDPOINT" => Some(endpoint.clone()),
                "SMS_SECRET" => Some("hanging provider".to_string()),
                _ => None,
            })
            .expect("config");
            let state = crate::server::testing::state_with(&db, config).await;
            let phone = Address::phone("+8613700137000").expect("valid");
            let answer = tokio::time::timeout(
                std::time::Duration::from_secs(5),
                request_code(&state, &phone, Purpose::Register, &client("10.11.0.1")),
            )
            .await
            .expect("answered without waiting for the provider");
            answer.expect("code requested");
            // The code and its queued message are committed; other writes go on meanwhile.
            let mut tx = tokio::time::timeout(std::time::Duration::from_secs(5), db.begin_write())
                .await
                .expect("the database is not held")
                .expect("tx");
            let queued: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM outgoing_messages WHERE address = $1 AND sent_at IS NULL",
            )
            .bind(phone.as_str())
            .fetch_one(&mut *tx)
            .await
            .and_then(|row| row.try_get("n"))
            .expect("count");
            assert_eq!(queued, 1);
            tx.commit().await.expect("commit");
            // Only configured countries get texts.
            let far = Address::phone("+2250700000000").expect("valid");
            let refused = request_code(&state, &far, Purpose::Register, &client("10.11.0.1"))
                .await
                .expect_err("not a configured country");
            assert!(refused.message_for("address").is_some());
        }
    );

    db_test!(
        registering_a_taken_address_sends_a_notice,
        |db| async move {
            let state = state_for(&db).await;
            let address = Address::phone("+8613900139000").expect("valid");
            registered(&state, &address, None).await;
            let before = outbox_count(&state.db, &address).await;
            // A minute later (a second code for the same purpose has to wait that long).
            sqlx::query("UPDATE rate_limits SET window_start = window_start - 120000")
                .execute(state.db.pool())
                .await
                .expect("backdated");
            request_code(&state, &address, Purpose::Register, &client("10.4.0.1"))
                .await
                .expect("same answer");
            assert_eq!(outbox_count(&state.db, &address).await, before + 1);
            assert!(last_message(&state.db, &address)
                .await
                .contains("already has one"));
        }
    );

    db_test!(
        registration_validates_before_using_the_code,
        |db| async move {
            let state = state_for(&db).await;
            let address = Address::email("new@acme.example").expect("valid");
            request_code(&state, &address, Purpose::Register, &client("10.5.0.1"))
                .await
                .expect("sent");
            let code = last_code(&state.db, &address).await;
            let form = |company: &str, site: &str, password: Option<&str>| Registration {
                address: address.clone(),
                code: code.clone(),
                company_name: company.to_string(),
                site_code: site.to_string(),
                password: password.map(str::to_string),
            };
            let c = client("10.5.0.1");
            let err = register(&state, form(" ", "CN1", None), &c)
                .await
                .expect_err("no company");
            assert!(err.message_for("company_name").is_some());
            let err = register(&state, form("Acme", "XX9", None), &c)
                .await
                .expect_err("bad site");
            assert!(err.message_for("site_code").is_some());
            let err = register(&state, form("Acme", "CN1", Some("password1")), &c)
                .await
                .expect_err("common");
            assert!(err.message_for("password").is_some());
            // The code survived the refusals.
            let signed_in = register(&state, form("Acme", "CN1", None), &c)
                .await
                .expect("registered");
            let summary = summary_of(&state, &signed_in).await.expect("summary");
            assert_eq!(summary.currency, Some(crate::money::Currency::CNY));
            assert!(!summary.has_password);
            // Without a password, password sign-in fails like any wrong password.
            let err = sign_in_with_password(&state, &address, "anything at all".into(), &c)
                .await
                .expect_err("no password");
            assert_eq!(err.message_for("password"), Some(Msg::WrongCredentials));
        }
    );

    db_test!(reset_password_ends_other_sessions, |db| async move {
        let state = state_for(&db).await;
        let address = Address::email("reset@acme.example").expect("valid");
        let old = registered(&state, &address, Some("correct horse battery")).await;
        request_code(
            &state,
            &address,
            Purpose::ResetPassword,
            &client("10.6.0.1"),
        )
        .await
        .expect("sent");
        let code = last_code(&state.db, &address).await;
        let new = reset_password(
            &state,
            &address,
            &code,
            "a brand new secret".into(),
            &client("10.6.0.1"),
        )
        .await
        .expect("reset");
        assert_eq!(session(&state, &old.token).await.expect("db"), None);
        assert!(session(&state, &new.token).await.expect("db").is_some());
        sign_in_with_password(
            &state,
            &address,
            "a brand new secret".into(),
            &client("10.6.0.1"),
        )
        .await
        .expect("new password works");
    });

    db_test!(profile_is_validated_and_saved, |db| async move {
        let state = state_for(&db).await;
        let address = Address::email("profile@acme.example").expect("valid");
        let me = registered(&state, &address, None).await;
        let c = client("10.7.0.1");
        let input = |company: &str| Profile {
            company_name: company.to_string(),
            industry: "Software".to_string(),
            region: "Shanghai".to_string(),
            description: "Observability for everyone".to_string(),
            contact_name: "Li Lei".to_string(),
            ..Profile::default()
        };
        let err = update_profile(&state, &caller(&state, &me).await, input("  "), &c)
            .await
            .expect_err("company required");
        assert!(err.message_for("company_name").is_some());
        update_profile(
            &state,
            &caller(&state, &me).await,
            input("Acme Cloud Ltd."),
            &c,
        )
        .await
        .expect("saved");
        let saved = profile(&state, &caller(&state, &me).await)
            .await
            .expect("profile");
        assert_eq!(saved.company_name, "Acme Cloud Ltd.");
        assert_eq!(saved.contact_name, "Li Lei");
        assert_eq!(
            saved.email.as_deref(),
            Some("profile@acme.example"),
            "email is not changed here"
        );
    });

    db_test!(
        changing_the_password_needs_the_current_one_and_renews_sessions,
        |db| async move {
            let state = state_for(&db).await;
            let address = Address::email("pw@acme.example").expect("valid");
            let me = registered(&state, &address, Some("correct horse battery")).await;
            let other = sign_in_with_password(
                &state,
                &address,
                "correct horse battery".into(),
                &client("10.8.0.2"),
            )
            .await
            .expect("second browser");
            let c = client("10.8.0.1");
            let proof = |current: &str| PasswordProof {
                current: current.to_string(),
                code: String::new(),
            };
            let err = change_password(
                &state,
                me.user_id,
                proof("wrong"),
                "a brand new secret".into(),
                &c,
            )
            .await
            .expect_err("current password checked");
            assert!(err.message_for("current_password").is_some());
            let renewed = change_password(
                &state,
                me.user_id,
                proof("correct horse battery"),
                "a brand new secret".into(),
                &c,
            )
            .await
            .expect("changed");
            assert_eq!(
                session(&state, &me.token).await.expect("db"),
                None,
                "old session rotated"
            );
            assert_eq!(
                session(&state, &other.token).await.expect("db"),
                None,
                "other sessions ended"
            );
            assert!(session(&state, &renewed.token).await.expect("db").is_some());
            sign_in_with_password(&state, &address, "a brand new secret".into(), &c)
                .await
                .expect("new password");
        }
    );

    db_test!(a_first_password_needs_a_fresh_code, |db| async move {
        let state = state_for(&db).await;
        let address = Address::email("nopw@acme.example").expect("valid");
        let me = registered(&state, &address, None).await;
        let c = client("10.12.0.1");
        let without = PasswordProof {
            current: String::new(),
            code: "123456".to_string(),
        };
        let err = change_password(&state, me.user_id, without, "a first passphrase".into(), &c)
            .await
            .expect_err("a code is needed");
        assert!(err.message_for("code").is_some(), "{err:?}");
        sqlx::query("UPDATE rate_limits SET window_start = window_start - 120000")
            .execute(state.db.pool())
            .await
            .expect("backdated");
        request_code(&state, &address, Purpose::ResetPassword, &c)
            .await
            .expect("code sent");
        let code = last_code(&state.db, &address).await;
        let with = PasswordProof {
            current: String::new(),
            code,
        };
        change_password(&state, me.user_id, with, "a first passphrase".into(), &c)
            .await
            .expect("set with the code");
        sign_in_with_password(&state, &address, "a first passphrase".into(), &c)
            .await
            .expect("the new password signs in");
    });

    db_test!(
        one_account_cannot_end_another_accounts_session,
        |db| async move {
            let state = state_for(&db).await;
            let alice = registered(
                &state,
                &Address::email("alice@acme.example").expect("valid"),
                None,
            )
            .await;
            let bob = registered(
                &state,
                &Address::email("bob@other.example").expect("valid"),
                None,
            )
            .await;
            let bob_session = session(&state, &bob.token)
                .await
                .expect("db")
                .expect("live")
                .id;
            let err = end_session(&state, alice.user_id, bob_session, &client("10.9.0.1"))
                .await
                .expect_err("refused");
            assert_eq!(err, AppError::NotFound);
            assert!(
                session(&state, &bob.token).await.expect("db").is_some(),
                "Bob is still signed in"
            );
            // Alice's lists show only Alice's things.
            let alice_session = session(&state, &alice.token)
                .await
                .expect("db")
                .expect("live")
                .id;
            let listed = sessions(&state, alice.user_id, alice_session)
                .await
                .expect("sessions");
            assert!(listed.iter().all(|s| s.id != bob_session));
            let log = security_log(&state, alice.user_id).await.expect("log");
            assert!(!log.is_empty());
            let bob_log = security_log(&state, bob.user_id).await.expect("log");
            assert_eq!(
                log.len(),
                bob_log.len(),
                "each sees only its own registration events"
            );
        }
    );

    db_test!(changing_the_email_proves_both_addresses, |db| async move {
        let state = state_for(&db).await;
        let old = Address::email("old@acme.example").expect("valid");
        let new = Address::email("new@acme.example").expect("valid");
        let taken = Address::email("taken@acme.example").expect("valid");
        let me = registered(&state, &old, Some("correct horse battery")).await;
        registered(&state, &taken, None).await;
        let other = sign_in_with_password(
            &state,
            &old,
            "correct horse battery".into(),
            &client("10.10.0.2"),
        )
        .await
        .expect("second browser");
        let live = session(&state, &me.token).await.expect("db").expect("live");
        let (session_id, account_id) = (live.id, live.user_id);
        let c = client("10.10.0.1");

        // Without proof of the current address nothing moves.
        let err = send_new_code(&state, account_id, session_id, &new, &c)
            .await
            .expect_err("proof first");
        assert!(matches!(err, AppError::Rejected(_)));

        send_current_code(&state, account_id, Channel::Email, &c)
            .await
            .expect("code to the old address");
        let code = last_code(&state.db, &old).await;
        prove_current(&state, account_id, session_id, Channel::Email, &code, &c)
            .await
            .expect("proved");

        // Another account's address: the same answer as a free one; that address gets a
        // notice, not a code, so nothing can confirm it.
        send_new_code(&state, account_id, session_id, &taken, &c)
            .await
            .expect("answered like any address");
        assert!(last_message(&state.db, &taken)
            .await
            .contains("Someone tried to make this address"));
        for guess in ["000000", "123456"] {
            change_address(&state, account_id, session_id, &taken, guess, &c)
                .await
                .expect_err("no code can take another account's address");
        }
        send_new_code(&state, account_id, session_id, &new, &c)
            .await
            .expect("code to the new address");
        let code = last_code(&state.db, &new).await;
        let renewed = change_address(&state, account_id, session_id, &new, &code, &c)
            .await
            .expect("changed");

        assert_eq!(
            user(&state, account_id)
                .await
                .expect("profile")
                .email
                .as_deref(),
            Some("new@acme.example")
        );
        assert_eq!(
            session(&state, &other.token).await.expect("db"),
            None,
            "other sessions ended"
        );
        assert!(session(&state, &renewed.token).await.expect("db").is_some());
        // The new address signs in, the old one no longer does, and the old one was told.
        sign_in_with_password(&state, &new, "correct horse battery".into(), &c)
            .await
            .expect("new signs in");
        let err = sign_in_with_password(&state, &old, "correct horse battery".into(), &c)
            .await
            .expect_err("old refused");
        assert_eq!(err.message_for("password"), Some(Msg::WrongCredentials));
        let notice: String = sqlx::query(
            "SELECT subject FROM outbox_messages WHERE address = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(old.as_str())
        .fetch_one(state.db.pool())
        .await
        .and_then(|row| row.try_get("subject"))
        .expect("notice");
        assert!(notice.contains("was changed"));
    });

    db_test!(
        a_phone_registered_account_adds_an_email_after_proving_the_phone,
        |db| async move {
            let state = state_for(&db).await;
            let phone = Address::phone("13700137000").expect("valid");
            let email = Address::email("added@acme.example").expect("valid");
            let me = registered(&state, &phone, None).await;
            let live = session(&state, &me.token).await.expect("db").expect("live");
            let (session_id, account_id) = (live.id, live.user_id);
            let c = client("10.11.0.1");
            send_current_code(&state, account_id, Channel::Email, &c)
                .await
                .expect("code to the phone");
            let code = last_code(&state.db, &phone).await;
            prove_current(&state, account_id, session_id, Channel::Email, &code, &c)
                .await
                .expect("proved");
            send_new_code(&state, account_id, session_id, &email, &c)
                .await
                .expect("code to the email");
            let code = last_code(&state.db, &email).await;
            change_address(&state, account_id, session_id, &email, &code, &c)
                .await
                .expect("added");
            let saved = user(&state, account_id).await.expect("profile");
            assert_eq!(saved.email.as_deref(), Some("added@acme.example"));
            assert_eq!(saved.phone.as_deref(), Some("+8613700137000"));
        }
    );
}
