//! The company profile and the account summary.
#[allow(unused_imports)]
use super::*;

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
    let event = Event {
        account: Some(account_id),
        kind: event::PROFILE_UPDATED,
        detail: "",
        client,
    };
    recorded(state, event, async |tx, _| {
        Ok(store::update_profile(tx, account_id, &profile).await?)
    })
    .await
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
