//! The company profile, the user's own record and the header's summary.
#[allow(unused_imports)]
use super::*;
use crate::accounts::caller::Caller;
use crate::team::model::{AuditAction, Permission};

/// The company profile of the caller's billing account, with the caller's email and phone.
pub async fn profile(state: &AppState, caller: &Caller) -> Result<Profile, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    store::profile(&mut conn, caller.account_id, caller.user_id)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// The user's sign-in addresses and whether they have a password.
pub async fn user(state: &AppState, user_id: i64) -> Result<store::UserRow, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let mut user = store::user(&mut conn, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if let (Some(configured), Some(email)) = (&state.config.operator_email, &user.email) {
        user.is_operator |= configured.eq_ignore_ascii_case(email);
    }
    Ok(user)
}

/// Saves the editable part of the profile (company name required, the rest optional), with its
/// line in the audit log.
pub async fn update_profile(
    state: &AppState,
    caller: &Caller,
    input: Profile,
    client: &Client,
) -> Result<(), AppError> {
    caller.may(Permission::CompanyProfile)?;
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
    store::update_profile(&mut tx, caller.account_id, &profile).await?;
    crate::team::audit::record(
        &mut tx,
        &caller.audit(client),
        AuditAction::ProfileUpdated,
        &profile.company_name,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What every page's header shows: the user, and the billing account they act in.
pub async fn summary(
    state: &AppState,
    session: &crate::accounts::session::CallerSession,
) -> Result<AccountSummary, AppError> {
    let user = user(state, session.user_id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let accounts = crate::team::store::memberships(&mut conn, session.user_id).await?;
    let active = match session.account {
        Some((id, _)) => store::account(&mut conn, id).await?.map(|a| (id, a)),
        None => None,
    };
    let (id, company_name, currency, site_code) = match active {
        Some((id, a)) => (id, a.company_name, Some(a.currency), a.site_code),
        None => (0, String::new(), None, String::new()),
    };
    Ok(AccountSummary {
        id,
        user_id: session.user_id,
        company_name,
        email: user.email,
        phone: user.phone,
        currency,
        site_code,
        has_password: user.has_password,
        is_operator: user.is_operator,
        role: session.account.map(|(_, role)| role),
        accounts,
    })
}
