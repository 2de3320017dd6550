//! Who is calling a plain route (a CSV export, a download): the signed-in session, found the
//! same way as for server functions (`server::session::require_session`), so both sides of
//! the edge check the caller in one way.
use crate::error::AppError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use http::request::Parts;

/// The signed-in caller: their session and billing account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caller {
    pub session_id: i64,
    pub account_id: i64,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = crate::accounts::session::token_from_headers(&parts.headers)
            .ok_or(AppError::Unauthorized)?;
        let (session_id, account_id) = super::service::session(state, &token)
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(Self {
            session_id,
            account_id,
        })
    }
}
