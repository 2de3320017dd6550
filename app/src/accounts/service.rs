//! The account flows: asking for a code, registering, signing in and out, resetting a password.
//! Each state change runs in one write transaction; a wrong code is remembered even when the
//! flow fails (its transaction commits the attempt and nothing else).
use super::model::{
    company_name, profile_field, AccountSummary, Profile, SecurityEvent, SessionInfo,
};
use super::model::{DESCRIPTION_MAX, PROFILE_FIELD_MAX};
use super::{password, store};
use crate::error::AppError;
use crate::server::db::now_millis;
use crate::server::delivery::{DeliveryError, Message, Queued};
use crate::server::limits::{self, Limit};
use crate::server::state::AppState;
use crate::verification::rules::{CodeCheck, SendRefusal, DAY_MS, HOUR_MS, MINUTE_MS};
use crate::verification::service::SendError;
use crate::verification::{Address, Channel, Purpose};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

/// Who is calling, as far as the network tells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Client {
    pub addr: String,
    pub user_agent: String,
}

/// Security log event kinds (shown to the user on the Security page).
pub mod event {
    pub const REGISTERED: &str = "registered";
    pub const SIGNED_IN: &str = "signed_in";
    pub const SIGN_IN_FAILED: &str = "sign_in_failed";
    pub const SIGNED_OUT: &str = "signed_out";
    pub const CODE_REQUESTED: &str = "code_requested";
    pub const PASSWORD_RESET: &str = "password_reset";
    pub const PASSWORD_CHANGED: &str = "password_changed";
    pub const PROFILE_UPDATED: &str = "profile_updated";
    pub const SESSION_ENDED: &str = "session_ended";
    pub const CURRENT_ADDRESS_VERIFIED: &str = "current_address_verified";
    pub const EMAIL_CHANGED: &str = "email_changed";
    pub const PHONE_CHANGED: &str = "phone_changed";
    pub const PASSWORD_CHANGE_FAILED: &str = "password_change_failed";
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

const WRONG_CREDENTIALS: &str = "The address or password is not correct";
const TOO_MANY_FAILURES: &str = "Too many failed sign-ins; try again later, or sign in with a code";

/// A new session: the token goes into the cookie, only its hash into the database.
#[derive(Debug)]
pub struct SignedIn {
    pub account_id: i64,
    pub token: String,
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn code_error(check: CodeCheck) -> AppError {
    AppError::field("code", check.to_string())
}

fn send_error(error: SendError) -> AppError {
    match error {
        SendError::Refused(refusal) => {
            let seconds = match refusal {
                SendRefusal::TooSoon { seconds } | SendRefusal::TooMany { seconds } => seconds,
            };
            AppError::throttled("address", refusal.to_string(), seconds)
        }
        SendError::Delivery(error) => {
            tracing::error!(%error, "a message cannot be sent: its channel is not configured");
            AppError::field(
                "address",
                "Messages to this kind of address cannot be sent here; use the other kind",
            )
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
        Err(_) => Err(AppError::Rejected(
            "The message could not be sent just now; it will be retried in a minute. If it does \
             not arrive, ask again in a few minutes"
                .into(),
        )),
    }
}

/// Refuses a phone number outside the configured countries before anything is sent to it
/// (texts to far-away premium numbers are how SMS pumping costs money).
fn check_country(state: &AppState, address: &Address) -> Result<(), AppError> {
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
        format!(
            "Only mobile numbers with the country code {} can be used",
            state
                .config
                .phone_country_codes
                .iter()
                .map(|c| format!("+{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

/// Sends a code for `purpose` to `address`. The answer is the same whether or not the address
/// has an account: codes to sign in or reset go only to known addresses, and someone registering
/// an address that already has an account gets a notice instead of a code.
pub async fn request_code(
    state: &AppState,
    address: &Address,
    purpose: Purpose,
    client: &Client,
) -> Result<(), AppError> {
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    let account = store::find_by_address(&mut tx, address).await?;
    if account.is_none() {
        // Only a registration sends to an address no account has yet.
        check_country(state, address)?;
    }
    let brand = &state.config.brand_name;
    let queued = match (purpose, &account) {
        (Purpose::Register, Some(_)) => {
            let notice = Message {
                channel: address.channel(),
                to: address.as_str().to_string(),
                subject: format!("{brand}: you already have an account"),
                body: format!(
                    "Someone tried to register a {brand} billing account with this address, which already \
                     has one. If it was you, sign in instead. 此地址已注册{brand}费用中心账号，请直接登录。"
                ),
            };
            notice_instead_of_code(state, &mut tx, address, purpose, client, &notice, now).await?
        }
        (Purpose::SignIn | Purpose::ResetPassword, None) => {
            state
                .verifier
                .send_nothing(&mut tx, address, purpose, &client.addr, now)
                .await
                .map_err(send_error)?;
            None
        }
        _ => Some(
            state
                .verifier
                .send(
                    &mut tx,
                    &state.delivery,
                    brand,
                    address,
                    purpose,
                    &client.addr,
                    now,
                )
                .await
                .map_err(send_error)?,
        ),
    };
    let account_id = account.map(|a| a.id);
    store::log_event(
        &mut tx,
        account_id,
        event::CODE_REQUESTED,
        purpose.code(),
        &client.addr,
        now,
    )
    .await?;
    tx.commit().await?;
    // Delivered beside the answer, not before it: whether (and how slowly, or how badly) a
    // message goes out must not tell the asker whether the address has an account. The queue
    // keeps what this could not send for the timer.
    // (The development outbox is a local write, as quick either way; there it is awaited, so
    // the code is on the outbox page by the time the answer arrives.)
    let deliver = {
        let state = state.clone();
        async move {
            let _ = state.delivery.deliver(&state.db, queued.as_slice()).await;
        }
    };
    if state.delivery.outbox_enabled() {
        deliver.await;
    } else {
        tokio::spawn(deliver);
    }
    Ok(())
}

/// Where a code must not go (the address belongs to someone else), a notice goes instead,
/// under the same limits as a code: the asker learns nothing they would not from registering.
async fn notice_instead_of_code(
    state: &AppState,
    conn: &mut AnyConnection,
    address: &Address,
    purpose: Purpose,
    client: &Client,
    notice: &Message,
    now: i64,
) -> Result<Option<Queued>, AppError> {
    state
        .verifier
        .send_nothing(conn, address, purpose, &client.addr, now)
        .await
        .map_err(send_error)?;
    let queued = state
        .delivery
        .queue(conn, notice)
        .await
        .map_err(|e| send_error(SendError::Delivery(e)))?;
    Ok(Some(queued))
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
    account_id: i64,
    client: &Client,
    now: i64,
) -> Result<SignedIn, AppError> {
    let token = crate::server::secrets::random_hex(32);
    store::insert_session(
        conn,
        &token_hash(&token),
        account_id,
        &client.user_agent,
        &client.addr,
        now,
    )
    .await?;
    store::log_event(
        conn,
        Some(account_id),
        event::SIGNED_IN,
        "",
        &client.addr,
        now,
    )
    .await?;
    Ok(SignedIn { account_id, token })
}

/// What the registration form carries, already parsed where parsing cannot fail later.
pub struct Registration {
    pub address: Address,
    pub code: String,
    pub company_name: String,
    pub site_code: String,
    pub password: Option<String>,
}

/// Creates the account (currency from its site) and signs it in.
pub async fn register(
    state: &AppState,
    form: Registration,
    client: &Client,
) -> Result<SignedIn, AppError> {
    let company =
        company_name(&form.company_name).map_err(|m| AppError::field("company_name", m))?;
    let password = form.password.filter(|p| !p.is_empty());
    if let Some(password) = &password {
        password::check_new_password(password)
            .map_err(|p| AppError::field("password", p.to_string()))?;
    }
    let currency = {
        let mut conn = state.db.pool().acquire().await?;
        store::site_currency(&mut conn, &form.site_code)
            .await?
            .ok_or_else(|| AppError::field("site_code", "Choose a site from the list"))?
    };
    let now = now_millis();
    let code = check_code(state, &form.address, Purpose::Register, &form.code, now).await?;
    let password_hash = match password {
        Some(password) => Some(password::hash(password).await?),
        None => None,
    };
    let mut tx = state.db.begin_write().await?;
    use_code(state, &mut tx, code, now).await?;
    if store::find_by_address(&mut tx, &form.address)
        .await?
        .is_some()
    {
        // Only someone who holds the address learns this: they just proved it with a code.
        return Err(AppError::field(
            "address",
            "An account already uses this address; sign in instead",
        ));
    }
    let account = store::NewAccount {
        company_name: &company,
        site_code: &form.site_code,
        currency: &currency,
        address: &form.address,
        password_hash: password_hash.as_deref(),
    };
    let account_id = store::insert_account(&mut tx, &account, now).await?;
    store::log_event(
        &mut tx,
        Some(account_id),
        event::REGISTERED,
        "",
        &client.addr,
        now,
    )
    .await?;
    let signed_in = start_session(&mut tx, account_id, client, now).await?;
    tx.commit().await?;
    Ok(signed_in)
}

/// The counters a password sign-in takes a hit of before argon2 runs: per address and per
/// client address, each an hour long. A success gives its hits back, so only failures count.
fn sign_in_limits(address: &Address, client: &Client) -> [Limit; 2] {
    [
        Limit::new(
            format!("sign-in:{address}"),
            FAILED_SIGN_INS_PER_ADDRESS_HOUR,
            HOUR_MS,
        ),
        Limit::new(
            format!("sign-in-client:{}", limits::client_key(&client.addr)),
            FAILED_SIGN_INS_PER_CLIENT_HOUR,
            HOUR_MS,
        ),
    ]
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
    message: &str,
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
    account_id: Option<i64>,
    address: &Address,
    client: &Client,
) -> Result<(), AppError> {
    record_event(
        state,
        account_id,
        event::SIGN_IN_FAILED,
        address.as_str(),
        client,
    )
    .await
}

/// Writes one security log event in a transaction of its own (for what happened when the flow
/// itself changes nothing).
async fn record_event(
    state: &AppState,
    account_id: Option<i64>,
    kind: &str,
    detail: &str,
    client: &Client,
) -> Result<(), AppError> {
    let mut tx = state.db.begin_write().await?;
    store::log_event(
        &mut tx,
        account_id,
        kind,
        detail,
        &client.addr,
        now_millis(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Signs in with a password. A wrong password and an unknown address get the same answer after
/// the same work (argon2 runs either way). The attempt is counted before the password is
/// checked, so parallel guesses get no more than the limit between them.
pub async fn sign_in_with_password(
    state: &AppState,
    address: &Address,
    password: String,
    client: &Client,
) -> Result<SignedIn, AppError> {
    let now = now_millis();
    let limits = sign_in_limits(address, client);
    take_attempt(state, &limits, "password", TOO_MANY_FAILURES, now).await?;
    let account = {
        let mut conn = state.db.pool().acquire().await?;
        store::find_by_address(&mut conn, address).await?
    };
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let verified = match password::verify(password, stored).await {
        Ok(verified) => verified,
        Err(busy) => {
            // Not checked at all: the attempt does not count against the owner.
            give_back_all(state, &limits).await?;
            return Err(busy);
        }
    };
    if !verified {
        record_failure(state, account.map(|a| a.id), address, client).await?;
        return Err(AppError::field("password", WRONG_CREDENTIALS));
    }
    let account_id = account.map(|a| a.id).ok_or(AppError::Internal)?;
    let mut tx = state.db.begin_write().await?;
    for limit in &limits {
        limits::give_back(&mut tx, &limit.name).await?;
    }
    let signed_in = start_session(&mut tx, account_id, client, now).await?;
    tx.commit().await?;
    Ok(signed_in)
}

/// Signs in with a code sent to the address. Wrong passwords do not block it: the code's own
/// attempts and the send budgets limit it.
pub async fn sign_in_with_code(
    state: &AppState,
    address: &Address,
    code: &str,
    client: &Client,
) -> Result<SignedIn, AppError> {
    let now = now_millis();
    let tx = state.db.begin_write().await?;
    let consumed = consume_code(state, tx, address, Purpose::SignIn, code, now).await;
    let mut tx = match consumed {
        Ok(tx) => tx,
        Err(error) => {
            record_failure(state, None, address, client).await?;
            return Err(error);
        }
    };
    // A code only ever reaches an address with an account; this is belt and braces.
    let account_id = store::find_by_address(&mut tx, address)
        .await?
        .map(|a| a.id)
        .ok_or_else(|| code_error(CodeCheck::Missing))?;
    let signed_in = start_session(&mut tx, account_id, client, now).await?;
    tx.commit().await?;
    Ok(signed_in)
}

/// The notice an account gets when its password changes, so a change the owner did not make
/// does not go unnoticed.
async fn password_notice(
    state: &AppState,
    conn: &mut AnyConnection,
    account_id: i64,
    what: &str,
) -> Result<Option<Queued>, AppError> {
    let Some(profile) = store::profile(conn, account_id).await? else {
        return Ok(None);
    };
    let to = match (profile.email, profile.phone) {
        (Some(email), _) => Some(Address::stored(Channel::Email, email)),
        (None, Some(phone)) => Some(Address::stored(Channel::Sms, phone)),
        (None, None) => None,
    };
    let Some(to) = to else { return Ok(None) };
    let brand = &state.config.brand_name;
    let notice = Message {
        channel: to.channel(),
        to: to.as_str().to_string(),
        subject: format!("{brand}: your password was {what}"),
        body: format!(
            "The password of your {brand} billing account was {what}, and every other browser was \
             signed out. If you did not do this, reset your password and contact support at once. \
             您的{brand}费用中心账号密码已变更。如非本人操作，请立即重置密码并联系客服。"
        ),
    };
    Ok(state.delivery.queue(conn, &notice).await.ok())
}

/// Sets a new password with a code ("forgot password"); every other session ends.
pub async fn reset_password(
    state: &AppState,
    address: &Address,
    code: &str,
    new_password: String,
    client: &Client,
) -> Result<SignedIn, AppError> {
    password::check_new_password(&new_password)
        .map_err(|p| AppError::field("password", p.to_string()))?;
    let now = now_millis();
    let code = check_code(state, address, Purpose::ResetPassword, code, now).await?;
    let hash = password::hash(new_password).await?;
    let mut tx = state.db.begin_write().await?;
    use_code(state, &mut tx, code, now).await?;
    let account_id = store::find_by_address(&mut tx, address)
        .await?
        .map(|a| a.id)
        .ok_or_else(|| code_error(CodeCheck::Missing))?;
    store::set_password_hash(&mut tx, account_id, &hash).await?;
    store::end_other_sessions(&mut tx, account_id, None, now).await?;
    store::log_event(
        &mut tx,
        Some(account_id),
        event::PASSWORD_RESET,
        "",
        &client.addr,
        now,
    )
    .await?;
    let notice = password_notice(state, &mut tx, account_id, "reset").await?;
    let signed_in = start_session(&mut tx, account_id, client, now).await?;
    tx.commit().await?;
    // The password is set either way; a notice that is late is retried by the timer.
    let _ = state.delivery.deliver(&state.db, notice.as_slice()).await;
    Ok(signed_in)
}

/// The live session a token belongs to: (session id, account id).
pub async fn session(state: &AppState, token: &str) -> Result<Option<(i64, i64)>, AppError> {
    let now = now_millis();
    let mut conn = state.db.pool().acquire().await?;
    let live = store::live_session(
        &mut conn,
        &token_hash(token),
        now - SESSION_IDLE_MS,
        now - SESSION_ABSOLUTE_MS,
    )
    .await?;
    let Some(live) = live else { return Ok(None) };
    if now - live.last_seen_at > SESSION_TOUCH_MS {
        store::touch_session(&mut conn, live.id, now).await?;
    }
    Ok(Some((live.id, live.account_id)))
}

pub async fn sign_out(state: &AppState, token: &str, client: &Client) -> Result<(), AppError> {
    let Some((session_id, account_id)) = session(state, token).await? else {
        return Ok(());
    };
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    store::end_session(&mut tx, session_id, now).await?;
    store::log_event(
        &mut tx,
        Some(account_id),
        event::SIGNED_OUT,
        "",
        &client.addr,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn profile(state: &AppState, account_id: i64) -> Result<Profile, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    store::profile(&mut conn, account_id)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// Saves the editable part of the profile (company name required, the rest optional).
pub async fn update_profile(
    state: &AppState,
    account_id: i64,
    input: Profile,
    client: &Client,
) -> Result<(), AppError> {
    let short = |field: &str, value: &str| {
        profile_field(value, PROFILE_FIELD_MAX).map_err(|m| AppError::field(field, m))
    };
    let profile = Profile {
        company_name: company_name(&input.company_name)
            .map_err(|m| AppError::field("company_name", m))?,
        industry: short("industry", &input.industry)?,
        region: short("region", &input.region)?,
        description: profile_field(&input.description, DESCRIPTION_MAX)
            .map_err(|m| AppError::field("description", m))?,
        contact_name: short("contact_name", &input.contact_name)?,
        ..Profile::default()
    };
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    store::update_profile(&mut tx, account_id, &profile).await?;
    store::log_event(
        &mut tx,
        Some(account_id),
        event::PROFILE_UPDATED,
        "",
        &client.addr,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends this session and starts a new one for the same account (after a credential change, so
/// a token captured before it is worth nothing), and ends every other session.
async fn rotate_sessions(
    conn: &mut AnyConnection,
    account_id: i64,
    client: &Client,
    now: i64,
) -> Result<SignedIn, AppError> {
    store::end_other_sessions(conn, account_id, None, now).await?;
    let token = crate::server::secrets::random_hex(32);
    store::insert_session(
        conn,
        &token_hash(&token),
        account_id,
        &client.user_agent,
        &client.addr,
        now,
    )
    .await?;
    Ok(SignedIn { account_id, token })
}

/// Wrong current passwords allowed per account in 15 minutes on the Security page.
pub const WRONG_CURRENT_PASSWORDS: i64 = 5;

/// What proves the holder before a password changes: the current password, or, for an account
/// without one, a fresh code ("reset password" purpose) sent to its address.
pub struct PasswordProof {
    pub current: String,
    pub code: String,
}

/// Changes the password (the current one is required when there is one) or sets a first one
/// (with a code).
pub async fn change_password(
    state: &AppState,
    account_id: i64,
    proof: PasswordProof,
    new_password: String,
    client: &Client,
) -> Result<SignedIn, AppError> {
    let PasswordProof { current, code } = proof;
    let stored = {
        let mut conn = state.db.pool().acquire().await?;
        store::password_hash(&mut conn, account_id)
            .await?
            .ok_or(AppError::Unauthorized)?
    };
    password::check_new_password(&new_password)
        .map_err(|p| AppError::field("new_password", p.to_string()))?;
    let now = now_millis();
    let limit = Limit::new(
        format!("current-password:{account_id}"),
        WRONG_CURRENT_PASSWORDS,
        15 * MINUTE_MS,
    );
    let has_password = stored.is_some();
    if has_password {
        take_attempt(
            state,
            std::slice::from_ref(&limit),
            "current_password",
            "Too many wrong passwords; please try again later",
            now,
        )
        .await?;
        if !password::verify(current, stored).await? {
            record_event(
                state,
                Some(account_id),
                event::PASSWORD_CHANGE_FAILED,
                "",
                client,
            )
            .await?;
            return Err(AppError::field(
                "current_password",
                "The current password is not correct",
            ));
        }
    }
    let first_code = match has_password {
        true => None,
        false => {
            let profile = profile(state, account_id).await?;
            let address = match (profile.email, profile.phone) {
                (Some(email), _) => Address::stored(Channel::Email, email),
                (None, Some(phone)) => Address::stored(Channel::Sms, phone),
                (None, None) => return Err(AppError::Unauthorized),
            };
            Some(check_code(state, &address, Purpose::ResetPassword, &code, now).await?)
        }
    };
    let hash = password::hash(new_password).await?;
    let mut tx = state.db.begin_write().await?;
    if let Some(code) = first_code {
        use_code(state, &mut tx, code, now).await?;
    }
    limits::give_back(&mut tx, &limit.name).await?;
    store::set_password_hash(&mut tx, account_id, &hash).await?;
    store::log_event(
        &mut tx,
        Some(account_id),
        event::PASSWORD_CHANGED,
        "",
        &client.addr,
        now,
    )
    .await?;
    let notice = password_notice(state, &mut tx, account_id, "changed").await?;
    let signed_in = rotate_sessions(&mut tx, account_id, client, now).await?;
    tx.commit().await?;
    let _ = state.delivery.deliver(&state.db, notice.as_slice()).await;
    Ok(signed_in)
}

pub async fn sessions(
    state: &AppState,
    account_id: i64,
    session_id: i64,
) -> Result<Vec<SessionInfo>, AppError> {
    let now = now_millis();
    let mut conn = state.db.pool().acquire().await?;
    Ok(store::live_sessions(
        &mut conn,
        account_id,
        session_id,
        now - SESSION_IDLE_MS,
        now - SESSION_ABSOLUTE_MS,
    )
    .await?)
}

/// Signs out one session of the account; `NotFound` for a session of another account.
pub async fn end_session(
    state: &AppState,
    account_id: i64,
    target: i64,
    client: &Client,
) -> Result<(), AppError> {
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    if !store::end_own_session(&mut tx, account_id, target, now).await? {
        return Err(AppError::NotFound);
    }
    store::log_event(
        &mut tx,
        Some(account_id),
        event::SESSION_ENDED,
        "",
        &client.addr,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// "Sign out everywhere else".
pub async fn end_other_sessions(
    state: &AppState,
    account_id: i64,
    session_id: i64,
    client: &Client,
) -> Result<(), AppError> {
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    store::end_other_sessions(&mut tx, account_id, Some(session_id), now).await?;
    store::log_event(
        &mut tx,
        Some(account_id),
        event::SESSION_ENDED,
        "others",
        &client.addr,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn security_log(
    state: &AppState,
    account_id: i64,
) -> Result<Vec<SecurityEvent>, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    Ok(store::recent_events(&mut conn, account_id, 50).await?)
}

/// The address that proves the account holder before `channel` changes: the current address on
/// that channel, or, when the account has none there yet, the one on the other channel.
fn proof_address(profile: &Profile, channel: Channel) -> Result<(Address, Purpose), AppError> {
    let email = profile
        .email
        .clone()
        .map(|e| Address::stored(Channel::Email, e));
    let phone = profile
        .phone
        .clone()
        .map(|p| Address::stored(Channel::Sms, p));
    let (first, second) = match channel {
        Channel::Email => (email, phone),
        Channel::Sms => (phone, email),
    };
    let address = first.or(second).ok_or(AppError::Internal)?;
    let purpose = match address.channel() {
        Channel::Email => Purpose::VerifyCurrentEmail,
        Channel::Sms => Purpose::VerifyCurrentPhone,
    };
    Ok((address, purpose))
}

/// Step 1 of changing an email or phone: a code to the current address.
pub async fn send_current_code(
    state: &AppState,
    account_id: i64,
    channel: Channel,
    client: &Client,
) -> Result<(), AppError> {
    let (address, purpose) = proof_address(&profile(state, account_id).await?, channel)?;
    request_code(state, &address, purpose, client).await
}

/// Step 2: the code from the current address; this session may then set a new address.
pub async fn prove_current(
    state: &AppState,
    account_id: i64,
    session_id: i64,
    channel: Channel,
    code: &str,
    client: &Client,
) -> Result<(), AppError> {
    let (address, purpose) = proof_address(&profile(state, account_id).await?, channel)?;
    let now = now_millis();
    let tx = state.db.begin_write().await?;
    let mut tx = consume_code(state, tx, &address, purpose, code, now).await?;
    store::set_proof(&mut tx, session_id, Some(channel), now).await?;
    store::log_event(
        &mut tx,
        Some(account_id),
        event::CURRENT_ADDRESS_VERIFIED,
        channel.code(),
        &client.addr,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn require_proof(
    conn: &mut AnyConnection,
    session_id: i64,
    channel: Channel,
    now: i64,
) -> Result<(), AppError> {
    match store::proof_at(conn, session_id, channel).await? {
        Some(at) if now - at < PROOF_VALID_MS => Ok(()),
        _ => Err(AppError::Rejected(
            "Please confirm your current address first (the confirmation lasts 15 minutes)".into(),
        )),
    }
}

fn new_address_purpose(address: &Address) -> Purpose {
    match address.channel() {
        Channel::Email => Purpose::VerifyNewEmail,
        Channel::Sms => Purpose::VerifyNewPhone,
    }
}

/// Addresses one account may try as its new address per day: trying addresses is how someone
/// would find out which belong to an account.
pub const NEW_ADDRESSES_PER_DAY: i64 = 10;

/// Step 3: a code to the new address. When the address belongs to another account, that
/// address gets a notice instead and the answer is the same as for a free one (the confirm step
/// then fails like a wrong code): this step tells no more than registering would.
pub async fn send_new_code(
    state: &AppState,
    account_id: i64,
    session_id: i64,
    new_address: &Address,
    client: &Client,
) -> Result<(), AppError> {
    check_country(state, new_address)?;
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    require_proof(&mut tx, session_id, new_address.channel(), now).await?;
    let owner = store::find_by_address(&mut tx, new_address).await?;
    if owner.as_ref().is_some_and(|owner| owner.id == account_id) {
        return Err(AppError::field(
            "address",
            "This is already your current address",
        ));
    }
    let tries = Limit::new(
        format!("new-address:{account_id}"),
        NEW_ADDRESSES_PER_DAY,
        DAY_MS,
    );
    if let Err(reached) = limits::take(&mut tx, &tries, now).await? {
        return Err(AppError::throttled(
            "address",
            "Too many new addresses were tried today; please try again tomorrow",
            reached.seconds(),
        ));
    }
    let brand = &state.config.brand_name;
    let purpose = new_address_purpose(new_address);
    let queued = match owner {
        Some(_) => {
            let notice = Message {
                channel: new_address.channel(),
                to: new_address.as_str().to_string(),
                subject: format!("{brand}: someone tried to use your address"),
                body: format!(
                    "Someone tried to make this address the sign-in address of another {brand} \
                     billing account. It stays with your account; nothing changed. \
                     有人尝试将此地址绑定到另一个{brand}费用中心账号，您的账号未受影响。"
                ),
            };
            notice_instead_of_code(state, &mut tx, new_address, purpose, client, &notice, now)
                .await?
        }
        None => Some(
            state
                .verifier
                .send(
                    &mut tx,
                    &state.delivery,
                    brand,
                    new_address,
                    purpose,
                    &client.addr,
                    now,
                )
                .await
                .map_err(send_error)?,
        ),
    };
    store::log_event(
        &mut tx,
        Some(account_id),
        event::CODE_REQUESTED,
        purpose.code(),
        &client.addr,
        now,
    )
    .await?;
    tx.commit().await?;
    deliver(state, queued.as_slice()).await
}

/// Step 4: the code from the new address sets it. The old address is told, every other session
/// ends and this one is renewed.
pub async fn change_address(
    state: &AppState,
    account_id: i64,
    session_id: i64,
    new_address: &Address,
    code: &str,
    client: &Client,
) -> Result<SignedIn, AppError> {
    let old = profile(state, account_id).await?;
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    require_proof(&mut tx, session_id, new_address.channel(), now).await?;
    let mut tx = consume_code(
        state,
        tx,
        new_address,
        new_address_purpose(new_address),
        code,
        now,
    )
    .await?;
    if store::find_by_address(&mut tx, new_address)
        .await?
        .is_some()
    {
        return Err(AppError::field(
            "address",
            "This address already belongs to another account",
        ));
    }
    store::set_address(&mut tx, account_id, new_address).await?;
    let mut notice_queued = None;
    let (old_value, kind, what) = match new_address.channel() {
        Channel::Email => (old.email, event::EMAIL_CHANGED, "email address"),
        Channel::Sms => (old.phone, event::PHONE_CHANGED, "mobile number"),
    };
    if let Some(old_value) = old_value {
        let brand = &state.config.brand_name;
        let notice = Message {
            channel: new_address.channel(),
            to: old_value,
            subject: format!("{brand}: your sign-in {what} was changed"),
            body: format!(
                "The {what} of your {brand} billing account was changed to {}. It no longer signs in \
                 with this one. If you did not do this, contact support at once. \
                 您的{brand}费用中心账号登录地址已变更。如非本人操作，请立即联系客服。",
                new_address.masked()
            ),
        };
        notice_queued = state.delivery.queue(&mut tx, &notice).await.ok();
    }
    store::log_event(
        &mut tx,
        Some(account_id),
        kind,
        &new_address.masked(),
        &client.addr,
        now,
    )
    .await?;
    let signed_in = rotate_sessions(&mut tx, account_id, client, now).await?;
    tx.commit().await?;
    // The change is made; a notice that is late is retried by the timer.
    let _ = state
        .delivery
        .deliver(&state.db, notice_queued.as_slice())
        .await;
    Ok(signed_in)
}

pub async fn summary(state: &AppState, account_id: i64) -> Result<AccountSummary, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let mut summary = store::summary(&mut conn, account_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if let (Some(configured), Some(email)) = (&state.config.operator_email, &summary.email) {
        summary.is_operator |= configured.eq_ignore_ascii_case(email);
    }
    Ok(summary)
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

    db_test!(
        register_then_sign_in_by_password_and_code,
        |db| async move {
            let state = state_for(&db).await;
            let address = Address::email("cfo@acme.example").expect("valid");
            let first = registered(&state, &address, Some("correct horse battery")).await;
            let summary = summary(&state, first.account_id).await.expect("summary");
            assert_eq!(summary.currency, "USD", "currency comes from the site");
            assert_eq!(summary.email.as_deref(), Some("cfo@acme.example"));
            assert!(summary.has_password);
            assert_eq!(
                session(&state, &first.token)
                    .await
                    .expect("db")
                    .map(|s| s.1),
                Some(first.account_id)
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
            assert_eq!(by_code.account_id, first.account_id);

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
            assert_eq!(
                error.message_for("password").as_deref(),
                Some(WRONG_CREDENTIALS)
            );
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
            error.message_for("password").as_deref(),
            Some(TOO_MANY_FAILURES)
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
                if error.message_for("password").as_deref() == Some(WRONG_CREDENTIALS) {
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
            let config = crate::server::config::Config::from_lookup(|name| match name {
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
            let summary = summary(&state, signed_in.account_id)
                .await
                .expect("summary");
            assert_eq!(summary.currency, "CNY");
            assert!(!summary.has_password);
            // Without a password, password sign-in fails like any wrong password.
            let err = sign_in_with_password(&state, &address, "anything at all".into(), &c)
                .await
                .expect_err("no password");
            assert_eq!(
                err.message_for("password").as_deref(),
                Some(WRONG_CREDENTIALS)
            );
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
        let err = update_profile(&state, me.account_id, input("  "), &c)
            .await
            .expect_err("company required");
        assert!(err.message_for("company_name").is_some());
        update_profile(&state, me.account_id, input("Acme Cloud Ltd."), &c)
            .await
            .expect("saved");
        let saved = profile(&state, me.account_id).await.expect("profile");
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
                me.account_id,
                proof("wrong"),
                "a brand new secret".into(),
                &c,
            )
            .await
            .expect_err("current password checked");
            assert!(err.message_for("current_password").is_some());
            let renewed = change_password(
                &state,
                me.account_id,
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
        let err = change_password(
            &state,
            me.account_id,
            without,
            "a first passphrase".into(),
            &c,
        )
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
        change_password(&state, me.account_id, with, "a first passphrase".into(), &c)
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
            let (bob_session, _) = session(&state, &bob.token)
                .await
                .expect("db")
                .expect("live");
            let err = end_session(&state, alice.account_id, bob_session, &client("10.9.0.1"))
                .await
                .expect_err("refused");
            assert_eq!(err, AppError::NotFound);
            assert!(
                session(&state, &bob.token).await.expect("db").is_some(),
                "Bob is still signed in"
            );
            // Alice's lists show only Alice's things.
            let (alice_session, _) = session(&state, &alice.token)
                .await
                .expect("db")
                .expect("live");
            let listed = sessions(&state, alice.account_id, alice_session)
                .await
                .expect("sessions");
            assert!(listed.iter().all(|s| s.id != bob_session));
            let log = security_log(&state, alice.account_id).await.expect("log");
            assert!(!log.is_empty());
            let bob_log = security_log(&state, bob.account_id).await.expect("log");
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
        let (session_id, account_id) = session(&state, &me.token).await.expect("db").expect("live");
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
            profile(&state, account_id)
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
        assert_eq!(
            err.message_for("password").as_deref(),
            Some(WRONG_CREDENTIALS)
        );
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
            let (session_id, account_id) =
                session(&state, &me.token).await.expect("db").expect("live");
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
            let saved = profile(&state, account_id).await.expect("profile");
            assert_eq!(saved.email.as_deref(), Some("added@acme.example"));
            assert_eq!(saved.phone.as_deref(), Some("+8613700137000"));
        }
    );
}
