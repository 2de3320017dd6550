//! Sessions: looking one up, signing out, the list of signed-in browsers, the security log.
#[allow(unused_imports)]
use super::*;

/// The live session a token belongs to.
pub async fn session(
    state: &AppState,
    token: &str,
) -> Result<Option<store::LiveSession>, AppError> {
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
    Ok(Some(live))
}

pub async fn sign_out(state: &AppState, token: &str, client: &Client) -> Result<(), AppError> {
    let Some(live) = session(state, token).await? else {
        return Ok(());
    };
    let session_id = live.id;
    let event = Event {
        user: Some(live.user_id),
        kind: SecurityEventKind::SignedOut,
        detail: "",
        client,
    };
    recorded(state, event, async |tx, now| {
        Ok(store::end_session(tx, session_id, now).await?)
    })
    .await
}

/// Ends this session and starts a new one for the same user (after a credential change, so
/// a token captured before it is worth nothing), and ends every other session.
pub(super) async fn rotate_sessions(
    conn: &mut AnyConnection,
    user_id: i64,
    client: &Client,
    now: i64,
) -> Result<SignedIn, AppError> {
    store::end_other_sessions(conn, user_id, None, now).await?;
    new_session(conn, user_id, client, now).await
}

pub async fn sessions(
    state: &AppState,
    user_id: i64,
    session_id: i64,
) -> Result<Vec<SessionInfo>, AppError> {
    let now = now_millis();
    let mut conn = state.db.pool().acquire().await?;
    Ok(store::live_sessions(
        &mut conn,
        &state.config.time_zone,
        user_id,
        session_id,
        now - SESSION_IDLE_MS,
        now - SESSION_ABSOLUTE_MS,
    )
    .await?)
}

/// Signs out one session of the user; `NotFound` for a session of another user.
pub async fn end_session(
    state: &AppState,
    user_id: i64,
    target: i64,
    client: &Client,
) -> Result<(), AppError> {
    let event = Event {
        user: Some(user_id),
        kind: SecurityEventKind::SessionEnded,
        detail: "",
        client,
    };
    recorded(
        state,
        event,
        async |tx, now| match store::end_own_session(tx, user_id, target, now).await? {
            true => Ok(()),
            false => Err(AppError::NotFound),
        },
    )
    .await
}

/// "Sign out everywhere else".
pub async fn end_other_sessions(
    state: &AppState,
    user_id: i64,
    session_id: i64,
    client: &Client,
) -> Result<(), AppError> {
    let event = Event {
        user: Some(user_id),
        kind: SecurityEventKind::SessionEnded,
        detail: "others",
        client,
    };
    recorded(state, event, async |tx, now| {
        Ok(store::end_other_sessions(tx, user_id, Some(session_id), now).await?)
    })
    .await
}

pub async fn security_log(state: &AppState, user_id: i64) -> Result<Vec<SecurityEvent>, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    Ok(store::recent_events(&mut conn, &state.config.time_zone, user_id, 50).await?)
}
