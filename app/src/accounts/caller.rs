//! Who is calling, for server functions and plain routes alike: the signed-in user and the
//! billing account their session acts in, with their role there. `Caller::may` is the one place
//! a permission is checked.
use crate::accounts::service::Client;
use crate::accounts::session::CallerSession;
use crate::error::AppError;
use crate::messages::Msg;
use crate::state::AppState;
use crate::team::audit::AuditActor;
use crate::team::model::{Permission, Role};
use axum::extract::FromRequestParts;
use http::request::Parts;

/// A signed-in user acting in a billing account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub session_id: i64,
    pub user_id: i64,
    pub account_id: i64,
    pub role: Role,
    /// The user's email (or phone), as the audit log names them.
    pub who: String,
}

impl Caller {
    /// The caller from their session; `Forbidden` when it acts in no billing account (the user
    /// belongs to none, or was removed from the one they had chosen).
    pub fn from_session(session: CallerSession) -> Result<Self, AppError> {
        let (account_id, role) = session
            .account
            .ok_or(AppError::Forbidden(Msg::NoBillingAccount))?;
        Ok(Self {
            session_id: session.session_id,
            user_id: session.user_id,
            account_id,
            role,
            who: session.who,
        })
    }

    /// Refuses (403, with a message) what the caller's role does not allow.
    pub fn may(&self, permission: Permission) -> Result<(), AppError> {
        if self.role.may(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden(Msg::RoleMayNot))
        }
    }

    /// How the audit log records what this caller does from `client`.
    pub fn audit<'a>(&'a self, client: &'a Client) -> AuditActor<'a> {
        AuditActor {
            account: self.account_id,
            user: Some(self.user_id),
            who: &self.who,
            by_operator: false,
            client_addr: &client.addr,
        }
    }
}

impl FromRequestParts<AppState> for CallerSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = crate::accounts::session::token_from_headers(&parts.headers)
            .ok_or(AppError::Unauthorized)?;
        let live = super::service::session(state, &token)
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(CallerSession::from(live))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Caller::from_session(CallerSession::from_request_parts(parts, state).await?)
    }
}
