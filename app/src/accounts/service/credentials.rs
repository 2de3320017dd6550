//! Passwords: resetting with a code, changing or setting a first one, and the notice that follows.
#[allow(unused_imports)]
use super::*;

/// The notice an account gets when its password changes, so a change the owner did not make
/// does not go unnoticed.
pub(super) async fn password_notice(
    state: &AppState,
    conn: &mut AnyConnection,
    user_id: i64,
    what: &str,
) -> Result<Option<Queued>, AppError> {
    let Some(profile) = store::user(conn, user_id).await? else {
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
    password::check_new_password(&new_password).map_err(|p| AppError::field("password", &p))?;
    let now = now_millis();
    let code = check_code(state, address, Purpose::ResetPassword, code, now).await?;
    let hash = password::hash(new_password).await?;
    let mut tx = state.db.begin_write().await?;
    use_code(state, &mut tx, code, now).await?;
    let user_id = store::find_by_address(&mut tx, address)
        .await?
        .map(|a| a.id)
        .ok_or_else(|| code_error(CodeCheck::Missing))?;
    store::set_password_hash(&mut tx, user_id, &hash).await?;
    store::end_other_sessions(&mut tx, user_id, None, now).await?;
    store::log_event(
        &mut tx,
        Some(user_id),
        SecurityEventKind::PasswordReset,
        "",
        &client.addr,
        now,
    )
    .await?;
    let notice = password_notice(state, &mut tx, user_id, "reset").await?;
    let signed_in = start_session(&mut tx, user_id, client, now).await?;
    tx.commit().await?;
    // The password is set either way; a notice that is late is retried by the timer.
    let _ = state.delivery.deliver(&state.db, notice.as_slice()).await;
    Ok(signed_in)
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
    user_id: i64,
    proof: PasswordProof,
    new_password: String,
    client: &Client,
) -> Result<SignedIn, AppError> {
    let PasswordProof { current, code } = proof;
    let stored = {
        let mut conn = state.db.pool().acquire().await?;
        store::password_hash(&mut conn, user_id)
            .await?
            .ok_or(AppError::Unauthorized)?
    };
    password::check_new_password(&new_password).map_err(|p| AppError::field("new_password", &p))?;
    let now = now_millis();
    let limit = Limit::new(
        format!("current-password:{user_id}"),
        WRONG_CURRENT_PASSWORDS,
        15 * MINUTE_MS,
    );
    let has_password = stored.is_some();
    if has_password {
        take_attempt(
            state,
            std::slice::from_ref(&limit),
            "current_password",
            Msg::TooManyWrongPasswords,
            now,
        )
        .await?;
        if !password::verify(current, stored).await? {
            record_event(
                state,
                Some(user_id),
                SecurityEventKind::PasswordChangeFailed,
                "",
                client,
            )
            .await?;
            return Err(AppError::field(
                "current_password",
                Msg::CurrentPasswordWrong,
            ));
        }
    }
    let first_code = match has_password {
        true => None,
        false => {
            let profile = user(state, user_id).await?;
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
    store::set_password_hash(&mut tx, user_id, &hash).await?;
    store::log_event(
        &mut tx,
        Some(user_id),
        SecurityEventKind::PasswordChanged,
        "",
        &client.addr,
        now,
    )
    .await?;
    let notice = password_notice(state, &mut tx, user_id, "changed").await?;
    let signed_in = rotate_sessions(&mut tx, user_id, client, now).await?;
    tx.commit().await?;
    let _ = state.delivery.deliver(&state.db, notice.as_slice()).await;
    Ok(signed_in)
}
