//! Server functions of the workspaces area. Each names the permission it needs, parses its
//! input into model types and calls one use-case.
#[cfg(feature = "ssr")]
use super::model::WorkspaceQuery;
use super::model::{
    ArrearsLock, BindPreview, SettlementPreview, Site, WorkspaceDetail, WorkspaceView,
};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::team::model::Permission;
use crate::ui::Page;
use leptos::prelude::*;

/// The sites workspaces can live on, optionally only those settling in one currency
/// ("CNY" or "USD"; empty or absent for all). Public reference data: no sign-in needed.
#[server(endpoint = "sites/list")]
pub async fn list_sites(currency: Option<String>) -> Result<Vec<Site>, AppError> {
    let currency = match currency.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(
            code.parse()
                .map_err(|_| AppError::field("currency", crate::messages::Msg::ChooseCurrency))?,
        ),
    };
    let state = crate::state::app_state()?;
    Ok(super::store::list_sites(&state.db, currency).await?)
}

/// A page of the account's workspaces: site code, state code and a word of the name or ID
/// ("" for any), older than the row `before`.
#[server(endpoint = "workspaces/list")]
pub async fn list_workspaces(
    #[server(default)] site: String,
    #[server(default)] state: String,
    #[server(default)] q: String,
    #[server(default)] before: Option<i64>,
) -> Result<Page<WorkspaceView>, AppError> {
    let caller = crate::accounts::session::require(Permission::Read).await?;
    let app = crate::state::app_state()?;
    let query = WorkspaceQuery {
        site,
        state,
        q,
        before,
    };
    super::management::workspaces(&app, caller.account_id, &query).await
}

/// One of the account's workspaces with its history.
#[server(endpoint = "workspaces/detail")]
pub async fn load_workspace(id: String) -> Result<WorkspaceDetail, AppError> {
    let caller = crate::accounts::session::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    super::management::detail(&state, caller.account_id, workspace_id(&id)?).await
}

#[cfg(feature = "ssr")]
fn workspace_id(text: &str) -> Result<i64, AppError> {
    text.trim().parse::<i64>().map_err(|_| AppError::NotFound)
}

/// What a bind link would bind, before the user confirms.
#[server(endpoint = "workspaces/bind/preview")]
pub async fn preview_bind_link(token: String) -> Result<BindPreview, AppError> {
    let caller = crate::accounts::session::require(Permission::Workspaces).await?;
    let state = crate::state::app_state()?;
    super::binding::preview(&state, &caller, &token).await
}

/// Binds the workspace of a bind link (its `token`), or of a bind `code` typed beside its
/// `workspace_id`, then shows it.
#[server(endpoint = "workspaces/bind")]
pub async fn bind_workspace(
    #[server(default)] token: String,
    #[server(default)] workspace_id: String,
    #[server(default)] code: String,
) -> Result<(), AppError> {
    use super::binding::Proof;
    let caller = crate::accounts::session::require(Permission::Workspaces).await?;
    let proof = if !token.trim().is_empty() {
        Proof::Link(&token)
    } else if workspace_id.trim().is_empty() {
        return Err(AppError::field(
            "workspace_id",
            crate::messages::Msg::EnterWorkspaceId,
        ));
    } else if code.trim().is_empty() {
        return Err(AppError::field("code", crate::messages::Msg::EnterBindCode));
    } else {
        Proof::Code {
            workspace_uuid: &workspace_id,
            code: &code,
        }
    };
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    let id = super::binding::bind(&state, &caller, &proof, &client).await?;
    leptos_axum::redirect(&format!("/workspaces/{id}?saved=bound"));
    Ok(())
}

/// Unbinds one of the account's workspaces.
#[server(endpoint = "workspaces/unbind")]
pub async fn unbind_workspace(
    id: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    let caller = crate::accounts::session::require(Permission::Workspaces).await?;
    if confirm != "yes" {
        return Err(AppError::field(
            "confirm",
            crate::messages::Msg::ConfirmUnbind,
        ));
    }
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    super::binding::unbind(&state, &caller, workspace_id(&id)?, &client).await?;
    leptos_axum::redirect("/workspaces?saved=unbound");
    Ok(())
}

/// The workspace's settlement method and what it may move to, for the confirmation page.
#[server(endpoint = "workspaces/settlement")]
pub async fn load_settlement(id: String) -> Result<SettlementPreview, AppError> {
    let caller = crate::accounts::session::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    super::settlement::preview(&state, caller.account_id, workspace_id(&id)?).await
}

/// Moves one of the account's workspaces to another settlement method (`to`:
/// "billing_center" or a cloud account's id), confirmed by the user.
#[server(endpoint = "workspaces/settlement/change")]
pub async fn change_settlement(
    id: String,
    #[server(default)] to: String,
    #[server(default)] confirm: String,
) -> Result<(), AppError> {
    use crate::messages::Msg;
    let caller = crate::accounts::session::require(Permission::Workspaces).await?;
    let target = super::settlement::Target::parse(&to)
        .ok_or_else(|| AppError::field("to", Msg::ChooseSettlement))?;
    if confirm != "yes" {
        return Err(AppError::field("confirm", Msg::ConfirmSettlement));
    }
    let state = crate::state::app_state()?;
    let client = crate::accounts::session::client();
    let id = workspace_id(&id)?;
    super::settlement::change(&state, &caller, id, target, &client).await?;
    leptos_axum::redirect(&format!("/workspaces/{id}?saved=settlement"));
    Ok(())
}

/// When the account's workspaces lock for arrears, while it is in arrears (the Overview).
#[server(endpoint = "workspaces/arrears-lock")]
pub async fn load_arrears_lock() -> Result<Option<ArrearsLock>, AppError> {
    let caller = crate::accounts::session::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    let mut conn = state.db.pool().acquire().await?;
    let found = super::arrears::lock_date(&mut conn, caller.account_id).await?;
    Ok(found.map(|(at, locked)| ArrearsLock {
        lock_at: state.config.time_zone.stamp(at),
        locked,
    }))
}

/// The site simulator (only with `BC_SITE_SIMULATOR=1`): a bind link and code for a workspace
/// of `site`, minted as the site would, shown on the simulator page.
#[server(endpoint = "dev/site-simulator")]
pub async fn simulate_site(
    site: String,
    workspace_id: String,
    name: String,
) -> Result<(), AppError> {
    use crate::messages::Msg;
    let state = crate::state::app_state()?;
    if !state.config.site_simulator {
        return Err(AppError::NotFound);
    }
    // Signed in at least: even in development, not a page for passers-by.
    crate::accounts::session::require_session().await?;
    let site = site.trim().to_string();
    let now = state.clock.now();
    let secret = state.site_key_secret.expose();
    let known = super::simulator::ensure_key(&state.db, secret, &site, now)
        .await
        .map_err(|_| AppError::field("site", Msg::ChooseSite))?;
    if !known {
        return Err(AppError::field("site", Msg::ChooseSite));
    }
    let request = super::simulator::Request {
        server_secret: secret,
        origin: "",
        site: &site,
        workspace_uuid: workspace_id.trim(),
        name: &name,
        now,
    };
    let minted = super::simulator::mint(&state.db, &request)
        .await
        .map_err(|_| AppError::field("workspace_id", Msg::EnterWorkspaceId))?;
    let query = serde_urlencoded::to_string([
        ("link", minted.link.as_str()),
        ("code", minted.code.as_str()),
    ])
    .unwrap_or_default();
    leptos_axum::redirect(&format!("/dev/site-simulator?{query}"));
    Ok(())
}
