//! Server functions of the accounts area. Each finds the caller, validates, calls the service.
use super::model::{AccountSummary, Profile, SecurityEvent, SessionInfo};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use crate::verification::Address;

    pub fn address(input: &str) -> Result<Address, AppError> {
        Address::parse(input).map_err(|e| AppError::field("address", &e))
    }

    /// Signs the new session in: ends the one the browser had, sends the new cookie.
    pub async fn begin_session(
        signed_in: crate::accounts::service::SignedIn,
    ) -> Result<(), AppError> {
        let state = crate::state::app_state()?;
        if let Some(old) = crate::accounts::session::session_token() {
            crate::accounts::service::sign_out(&state, &old, &crate::accounts::session::client())
                .await?;
        }
        crate::accounts::session::set_session_cookie(&signed_in.token)
    }
}

/// Sends a verification code for registering, signing in or resetting the password, then goes
/// to `next` (a local path) with the address in the query string.
#[server(endpoint = "accounts/code")]
pub async fn request_code(address: String, purpose: String, next: String) -> Result<(), AppError> {
    use crate::verification::Purpose;
    let address = ssr::address(&address)?;
    let purpose = match purpose.parse::<Purpose>() {
        Ok(p @ (Purpose::Register | Purpose::SignIn | Purpose::ResetPassword)) => p,
        _ => {
            return Err(AppError::field(
                "purpose",
                crate::messages::Msg::UnknownPurpose,
            ))
        }
    };
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    super::service::request_code(&state, &address, purpose, &client).await?;
    let next = crate::preferences::local_path(&next);
    let separator = if next.contains('?') { '&' } else { '?' };
    leptos_axum::redirect(&format!(
        "{next}{separator}address={}",
        crate::ui::query_value(address.as_str())
    ));
    Ok(())
}

/// Creates a billing account with a code sent to its email or phone, and signs it in.
#[server(endpoint = "accounts/register")]
pub async fn register(
    address: String,
    code: String,
    company_name: String,
    site_code: String,
    password: String,
) -> Result<(), AppError> {
    let form = super::service::Registration {
        address: ssr::address(&address)?,
        code,
        company_name,
        site_code,
        password: Some(password).filter(|p| !p.is_empty()),
    };
    let state = crate::state::app_state()?;
    let signed_in =
        super::service::register(&state, form, &crate::accounts::session::client()).await?;
    ssr::begin_session(signed_in).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Signs in with a password, or with a code when `code` is given.
#[server(endpoint = "accounts/sign-in")]
pub async fn sign_in(
    address: String,
    password: Option<String>,
    code: Option<String>,
    next: Option<String>,
) -> Result<(), AppError> {
    let address = ssr::address(&address)?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    let signed_in = match code.filter(|c| !c.trim().is_empty()) {
        Some(code) => super::service::sign_in_with_code(&state, &address, &code, &client).await?,
        None => {
            let password = password
                .filter(|p| !p.is_empty())
                .ok_or_else(|| AppError::field("password", crate::messages::Msg::EnterPassword))?;
            super::service::sign_in_with_password(&state, &address, password, &client).await?
        }
    };
    ssr::begin_session(signed_in).await?;
    // Back where the sign-in was asked for (an invitation link), never to another site.
    leptos_axum::redirect(&crate::preferences::local_path(&next.unwrap_or_default()));
    Ok(())
}

/// Sets a new password with a code sent to the address, and signs in.
#[server(endpoint = "accounts/reset-password")]
pub async fn reset_password(
    address: String,
    code: String,
    password: String,
) -> Result<(), AppError> {
    let address = ssr::address(&address)?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    let signed_in =
        super::service::reset_password(&state, &address, &code, password, &client).await?;
    ssr::begin_session(signed_in).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Ends this browser's session.
#[server(endpoint = "accounts/sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    if let Some(token) = crate::accounts::session::session_token() {
        super::service::sign_out(&state, &token, &crate::accounts::session::client()).await?;
    }
    crate::accounts::session::clear_session_cookie()?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// The signed-in user and the billing account they act in, or `None` for a visitor.
#[server(endpoint = "accounts/current")]
pub async fn current_account() -> Result<Option<AccountSummary>, AppError> {
    let Some(session) = crate::accounts::session::current_session().await? else {
        return Ok(None);
    };
    let state = crate::state::app_state()?;
    super::service::summary(&state, &session).await.map(Some)
}

/// Account > Profile.
#[server(endpoint = "accounts/profile")]
pub async fn load_profile() -> Result<Profile, AppError> {
    let caller = crate::accounts::session::require(crate::team::model::Permission::Read).await?;
    let state = crate::state::app_state()?;
    super::service::profile(&state, &caller).await
}

/// Saves the company details of the caller's account.
#[server(endpoint = "accounts/profile/update")]
pub async fn update_profile(
    company_name: String,
    industry: String,
    region: String,
    description: String,
    contact_name: String,
) -> Result<(), AppError> {
    let caller =
        crate::accounts::session::require(crate::team::model::Permission::CompanyProfile).await?;
    let state = crate::state::app_state()?;
    let input = Profile {
        company_name,
        industry,
        region,
        description,
        contact_name,
        ..Profile::default()
    };
    super::service::update_profile(&state, &caller, input, &crate::accounts::session::client())
        .await?;
    leptos_axum::redirect("/account?saved=1");
    Ok(())
}

/// Changes (or sets a first) password; every other session ends and this one is renewed.
#[server(endpoint = "accounts/password")]
pub async fn change_password(
    current_password: Option<String>,
    new_password: String,
    code: Option<String>,
) -> Result<(), AppError> {
    let caller = crate::accounts::session::require_session().await?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    let current = current_password.unwrap_or_default();
    let renewed = super::service::change_password(
        &state,
        caller.user_id,
        super::service::PasswordProof {
            current,
            code: code.unwrap_or_default(),
        },
        new_password,
        &client,
    )
    .await?;
    crate::accounts::session::set_session_cookie(&renewed.token)?;
    leptos_axum::redirect("/account/security?saved=password");
    Ok(())
}

/// The caller's live sessions.
#[server(endpoint = "accounts/sessions")]
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    let caller = crate::accounts::session::require_session().await?;
    let state = crate::state::app_state()?;
    super::service::sessions(&state, caller.user_id, caller.session_id).await
}

/// Signs out one of the caller's sessions, or every other one when `session_id` is "others".
#[server(endpoint = "accounts/sessions/end")]
pub async fn end_session(session_id: String) -> Result<(), AppError> {
    let caller = crate::accounts::session::require_session().await?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    if session_id == "others" {
        super::service::end_other_sessions(&state, caller.user_id, caller.session_id, &client)
            .await?;
    } else {
        let target = session_id.parse::<i64>().map_err(|_| AppError::NotFound)?;
        super::service::end_session(&state, caller.user_id, target, &client).await?;
    }
    leptos_axum::redirect("/account/security");
    Ok(())
}

/// The caller's security log, newest first.
#[server(endpoint = "accounts/security-log")]
pub async fn security_log() -> Result<Vec<SecurityEvent>, AppError> {
    let caller = crate::accounts::session::require_session().await?;
    let state = crate::state::app_state()?;
    super::service::security_log(&state, caller.user_id).await
}

/// Changing the email (`channel` "email") or phone ("sms"), one step per call:
/// `send_current` mails a code to the current address; `prove_current` takes it (`code`);
/// `send_new` mails a code to `address`; `confirm_new` takes that code and makes the change.
#[server(endpoint = "accounts/address")]
pub async fn change_address(
    channel: String,
    step: String,
    address: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    use crate::verification::{Address, Channel};
    let caller = crate::accounts::session::require_session().await?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    let channel: Channel = channel.parse().map_err(|_| AppError::NotFound)?;
    let page = match channel {
        Channel::Email => "/account/email",
        Channel::Sms => "/account/phone",
    };
    let new_address = || {
        let input = address.clone().unwrap_or_default();
        match channel {
            Channel::Email => Address::email(&input),
            Channel::Sms => Address::phone(&input),
        }
        .map_err(|e| AppError::field("address", &e))
    };
    let code = code.unwrap_or_default();
    let (user, session) = (caller.user_id, caller.session_id);
    let next = match step.as_str() {
        "send_current" => {
            super::service::send_current_code(&state, user, channel, &client).await?;
            format!("{page}?step=prove")
        }
        "prove_current" => {
            super::service::prove_current(&state, user, session, channel, &code, &client).await?;
            format!("{page}?step=new")
        }
        "send_new" => {
            let new = new_address()?;
            super::service::send_new_code(&state, user, session, &new, &client).await?;
            format!(
                "{page}?step=confirm&address={}",
                crate::ui::query_value(new.as_str())
            )
        }
        "confirm_new" => {
            let renewed = super::service::change_address(
                &state,
                user,
                session,
                &new_address()?,
                &code,
                &client,
            )
            .await?;
            crate::accounts::session::set_session_cookie(&renewed.token)?;
            "/account?saved=address".to_string()
        }
        _ => return Err(AppError::NotFound),
    };
    leptos_axum::redirect(&next);
    Ok(())
}
