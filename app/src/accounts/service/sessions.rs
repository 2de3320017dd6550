//! Sessions: looking one up, signing out, the list of signed-in browsers, the security log.
#[allow(unused_imports)]
use super::*;

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
    let event = Event {
        account: Some(account_id),
        kind: event::SIGNED_OUT,
        detail: "",
        client,
    };
    recorded(state, event, async |tx, now| {
        Ok(store::end_session(tx, session_id, now).await?)
    })
    .await
}

/// Ends this session and starts a new one for the same account (after a credential change, so
/// a token captured before it is worth nothing), and ends every other session.
pub(super) async fn rotate_sessions(
    conn: &mut AnyConnection,
    account_id: i64,
    client: &Client,
    now: i64,
) -> Result<SignedIn, AppError> {
    store::end_other_sessions(conn, account_id, None, now).await?;
    new_session(conn, account_id, client, now).await
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
        &state.config.time_zone,
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
    let event = Event {
        account: Some(account_id),
        kind: event::SESSION_ENDED,
        detail: "",
        client,
    };
    recorded(
        state,
        event,
        async |tx, now| match store::end_own_session(tx, account_id, target, now).await? {
            true => Ok(()),
            false => Err(AppError::NotFound),
        },
    )
    .await
}

/// "Sign out everywhere else".
pub async fn end_other_sessions(
    state: &AppState,
    account_id: i64,
    session_id: i64,
    client: &Client,
) -> Result<(), AppError> {
    let event = Event {
        account: Some(account_id),
        kind: event::SESSION_ENDED,
        detail: "others",
        client,
    };
    recorded(state, event, async |tx, now| {
        Ok(store::end_other_sessions(tx, account_id, Some(session_id), now).await?)
    })
    .await
}

pub async fn security_log(
    state: &AppState,
    account_id: i64,
) -> Result<Vec<SecurityEvent>, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    Ok(store::recent_events(&mut conn, &state.config.time_zone, account_id, 50).await?)
}
