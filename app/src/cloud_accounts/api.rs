//! Server functions of the cloud accounts area.
use super::model::{CloudAccountView, LinkPreview};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::team::model::Permission;
use leptos::prelude::*;

/// The cloud accounts linked to the account, with the workspaces each pays for.
#[server(endpoint = "cloud-accounts/list")]
pub async fn list_cloud_accounts() -> Result<Vec<CloudAccountView>, AppError> {
    let caller = crate::accounts::session::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    super::listing::cloud_accounts(&state, caller.account_id).await
}

/// What a cloud account's link (its `token`) would link, before the user confirms.
#[server(endpoint = "cloud-accounts/link/preview")]
pub async fn preview_cloud_link(token: String) -> Result<LinkPreview, AppError> {
    let caller = crate::accounts::session::require(Permission::Workspaces).await?;
    let state = crate::state::app_state()?;
    super::subscriptions::preview(&state, &caller, &token).await
}

/// Links the cloud account of a link to the account, then shows the cloud accounts.
#[server(endpoint = "cloud-accounts/link")]
pub async fn link_cloud_account(token: String) -> Result<(), AppError> {
    let caller = crate::accounts::session::require(Permission::Workspaces).await?;
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    super::subscriptions::link(&state, &caller, &token, &client).await?;
    leptos_axum::redirect("/account/cloud-accounts?saved=linked");
    Ok(())
}

/// The marketplace simulator (only with `BC_MARKETPLACE_SIMULATOR=1`): plays one call of a
/// marketplace against this server, then shows what it answered.
#[server(endpoint = "dev/marketplace-simulator")]
pub async fn simulate_marketplace(
    cloud: String,
    action: String,
    #[server(default)] subject: String,
    #[server(default)] buyer: String,
) -> Result<(), AppError> {
    use crate::messages::Msg;
    let state = crate::state::app_state()?;
    if !state.config.marketplaces.simulator {
        return Err(AppError::NotFound);
    }
    crate::accounts::session::require_session().await?;
    let cloud: crate::workspaces::model::Cloud = cloud
        .trim()
        .parse()
        .map_err(|_| AppError::field("cloud", Msg::ChooseCloud))?;
    let buyer: String = buyer
        .trim()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect();
    let buyer = match buyer.is_empty() {
        true => "123456789012".to_string(),
        false => buyer,
    };
    let subject: String = subject
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_".contains(*c))
        .take(64)
        .collect();
    let driven = super::simulator::drive(&state, cloud, action.trim(), &subject, &buyer)
        .await
        .map_err(|_| AppError::field("action", Msg::Unreachable))?;
    let query = serde_urlencoded::to_string([
        ("cloud", cloud.code()),
        ("status", &driven.status.to_string()),
        ("answer", &driven.answer),
        ("subject", &driven.subject),
        ("link", &driven.link),
        ("aws_token", &driven.aws_token),
    ])
    .unwrap_or_default();
    leptos_axum::redirect(&format!("/dev/marketplace-simulator?{query}"));
    Ok(())
}
