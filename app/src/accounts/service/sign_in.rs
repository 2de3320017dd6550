//! Signing in, by password (throttled before argon2 runs) or by code.
#[allow(unused_imports)]
use super::*;

/// The counters a password sign-in takes a hit of before argon2 runs: per address and per
/// client address, each an hour long. A success gives its hits back, so only failures count.
pub(super) fn sign_in_limits(address: &Address, client: &Client) -> [Limit; 2] {
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
    take_attempt(state, &limits, "password", Msg::TooManyFailedSignIns, now).await?;
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
        return Err(AppError::field("password", Msg::WrongCredentials));
    }
    let user_id = account.map(|a| a.id).ok_or(AppError::Internal)?;
    let mut tx = state.db.begin_write().await?;
    for limit in &limits {
        limits::give_back(&mut tx, &limit.name).await?;
    }
    let signed_in = start_session(&mut tx, user_id, client, now).await?;
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
    let user_id = store::find_by_address(&mut tx, address)
        .await?
        .map(|a| a.id)
        .ok_or_else(|| code_error(CodeCheck::Missing))?;
    let signed_in = start_session(&mut tx, user_id, client, now).await?;
    tx.commit().await?;
    Ok(signed_in)
}
