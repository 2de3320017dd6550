//! Server functions of team access. Each names the permission it needs (`require`), parses its
//! input into model types and calls the service.
use super::model::{AuditEntry, InvitationView, Team};
#[cfg(feature = "ssr")]
use super::model::{Permission, Role};
use crate::error::AppError;
use crate::ui::Page;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn role(text: &str, field: &str) -> Result<Role, AppError> {
    text.parse::<Role>().map_err(|m| AppError::field(field, m))
}

#[cfg(feature = "ssr")]
fn member_id(text: &str) -> Result<i64, AppError> {
    text.trim().parse::<i64>().map_err(|_| AppError::NotFound)
}

/// The Members page: members, open invitations.
#[server(endpoint = "team/members")]
pub async fn load_team() -> Result<Team, AppError> {
    let caller = crate::accounts::session::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    super::service::team(&state, &caller).await
}

/// Invites an email or phone with a role.
#[server(endpoint = "team/invite")]
pub async fn invite_member(address: String, role: String) -> Result<(), AppError> {
    let caller = crate::accounts::session::require(Permission::Members).await?;
    let address = crate::verification::Address::parse(&address)
        .map_err(|e| AppError::field("address", &e))?;
    let role = self::role(&role, "role")?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    super::service::invite(&state, &caller, &address, role, &client).await?;
    leptos_axum::redirect("/account/members?saved=invited");
    Ok(())
}

/// Withdraws an open invitation.
#[server(endpoint = "team/invitations/revoke")]
pub async fn revoke_invitation(invitation: String) -> Result<(), AppError> {
    let caller = crate::accounts::session::require(Permission::Members).await?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    super::service::revoke(&state, &caller, member_id(&invitation)?, &client).await?;
    leptos_axum::redirect("/account/members?saved=revoked");
    Ok(())
}

/// Changes a member's role.
#[server(endpoint = "team/role")]
pub async fn change_role(member: String, role: String) -> Result<(), AppError> {
    let caller = crate::accounts::session::require(Permission::Members).await?;
    let role = self::role(&role, "role")?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    super::service::change_role(&state, &caller, member_id(&member)?, role, &client).await?;
    leptos_axum::redirect("/account/members?saved=role");
    Ok(())
}

/// Removes a member.
#[server(endpoint = "team/remove")]
pub async fn remove_member(member: String) -> Result<(), AppError> {
    let caller = crate::accounts::session::require(Permission::Members).await?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    super::service::remove(&state, &caller, member_id(&member)?, &client).await?;
    leptos_axum::redirect("/account/members?saved=removed");
    Ok(())
}

/// Leaves the active billing account.
#[server(endpoint = "team/leave")]
pub async fn leave_account() -> Result<(), AppError> {
    let caller = crate::accounts::session::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    super::service::remove(&state, &caller, caller.user_id, &client).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Sends the code that confirms handing over ownership to the Owner's own address.
#[server(endpoint = "team/transfer/code")]
pub async fn send_transfer_code() -> Result<(), AppError> {
    let caller = crate::accounts::session::require(Permission::Members).await?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    super::service::send_transfer_code(&state, &caller, &client).await?;
    leptos_axum::redirect("/account/members?step=transfer");
    Ok(())
}

/// Hands ownership to member `to`; the caller takes the role `then`.
#[server(endpoint = "team/transfer")]
pub async fn transfer_ownership(to: String, then: String, code: String) -> Result<(), AppError> {
    let caller = crate::accounts::session::require(Permission::Members).await?;
    let then = self::role(&then, "then")?;
    let to = to
        .trim()
        .parse::<i64>()
        .map_err(|_| AppError::field("to", crate::messages::Msg::NotAMember))?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    super::service::transfer_ownership(&state, &caller, to, then, &code, &client).await?;
    leptos_axum::redirect("/account/members?saved=transferred");
    Ok(())
}

/// Makes this session act in another billing account the user belongs to.
#[server(endpoint = "team/switch")]
pub async fn switch_account(account: String) -> Result<(), AppError> {
    let session = crate::accounts::session::require_session().await?;
    let state = crate::state::app_state()?;
    super::service::switch(&state, &session, member_id(&account)?).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// What an invitation link offers (anyone holding the link may read it).
#[server(endpoint = "team/invitation")]
pub async fn load_invitation(token: String) -> Result<InvitationView, AppError> {
    let session = crate::accounts::session::current_session().await?;
    let state = crate::state::app_state()?;
    super::service::invitation(&state, &token, session.as_ref()).await
}

/// The signed-in invitee accepts.
#[server(endpoint = "team/invitation/accept")]
pub async fn accept_invitation(token: String) -> Result<(), AppError> {
    let session = crate::accounts::session::require_session().await?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    super::service::accept(&state, &session, &token, &client).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// An invitee without a sign-in creates one with a code sent to the invited address, and joins.
#[server(endpoint = "team/invitation/register")]
pub async fn accept_as_new_user(
    token: String,
    code: String,
    password: Option<String>,
) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    let signed_in =
        super::service::accept_as_new_user(&state, &token, &code, password, &client).await?;
    if let Some(old) = crate::accounts::session::session_token() {
        crate::accounts::service::sign_out(&state, &old, &client).await?;
    }
    crate::accounts::session::set_session_cookie(&signed_in.token)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// A page of the audit log.
#[server(endpoint = "team/audit")]
pub async fn audit_log(
    #[server(default)] person: String,
    #[server(default)] action: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] before: Option<i64>,
) -> Result<Page<AuditEntry>, AppError> {
    let caller = crate::accounts::session::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    let query = super::model::AuditQuery {
        person,
        action,
        from,
        to,
        before,
    };
    super::audit::page(
        &state.db,
        &state.config.time_zone,
        caller.account_id,
        &query,
    )
    .await
}
