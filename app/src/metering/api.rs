//! Server functions of metering: the price list, consumption details and a line's hours for
//! the account's members; price versions for operators.
use super::model::{ItemChoice, LineDetail, LinePage, PriceList, PriceVersion};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What consumption details' filters offer: the billing items and the account's workspaces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterChoices {
    pub items: Vec<ItemChoice>,
    /// (id, name) of each workspace the account has lines of or has bound.
    pub workspaces: Vec<(i64, String)>,
}

/// The price list of the caller's currency in force today, and versions to come.
#[server(endpoint = "metering/prices")]
pub async fn current_price_list() -> Result<PriceList, AppError> {
    use crate::team::model::Permission;
    let caller = crate::accounts::session::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    let currency = crate::funds::recharge::account_currency(&state, caller.account_id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let today = state.config.time_zone.date(state.clock.now());
    super::details::price_list(&mut conn, currency, &today).await
}

/// A page of the caller's consumption details, newest first.
#[server(endpoint = "metering/lines")]
pub async fn consumption_details(
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] workspace: String,
    #[server(default)] item: String,
    #[server(default)] before: Option<i64>,
) -> Result<LinePage, AppError> {
    use crate::team::model::Permission;
    let caller = crate::accounts::session::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    let query = super::model::ConsumptionQuery {
        from,
        to,
        workspace,
        item,
        before,
    };
    super::details::lines(&state, caller.account_id, &query).await
}

/// The billing items and workspaces consumption details can be filtered by.
#[server(endpoint = "metering/choices")]
pub async fn consumption_filters() -> Result<FilterChoices, AppError> {
    use crate::team::model::Permission;
    let caller = crate::accounts::session::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    let mut conn = state.db.pool().acquire().await?;
    let items = super::details::item_choices(&mut conn).await?;
    let workspaces = super::store::line_workspaces(&mut conn, caller.account_id).await?;
    Ok(FilterChoices { items, workspaces })
}

/// One of the caller's daily lines with the hourly values behind it.
#[server(endpoint = "metering/line")]
pub async fn daily_line(id: String) -> Result<LineDetail, AppError> {
    use crate::team::model::Permission;
    let caller = crate::accounts::session::require(Permission::Read).await?;
    let state = crate::state::app_state()?;
    let id: i64 = id.trim().parse().map_err(|_| AppError::NotFound)?;
    super::details::line_detail(&state, caller.account_id, id).await
}

/// Every price version of both currencies, earliest first (operator console).
#[server(endpoint = "operator/prices")]
pub async fn price_versions() -> Result<Vec<PriceVersion>, AppError> {
    let user = crate::accounts::session::require_session().await?.user_id;
    let state = crate::state::app_state()?;
    crate::operators::service::operator(&state, user).await?;
    let mut conn = state.db.pool().acquire().await?;
    super::details::all_versions(&mut conn).await
}

/// Adds a price version (operator console): a whole table of one currency from a later day.
#[server(endpoint = "operator/prices/add")]
pub async fn add_price_version(
    currency: String,
    effective_from: String,
    #[server(default)] note: String,
    prices: String,
) -> Result<(), AppError> {
    let user = crate::accounts::session::require_session().await?.user_id;
    let state = crate::state::app_state()?;
    let operator = crate::operators::service::operator(&state, user).await?;
    let input = super::prices::NewVersion {
        currency: &currency,
        effective_from: &effective_from,
        note: &note,
        table: &prices,
    };
    super::prices::add_version(&state, &operator.actor, &input).await?;
    leptos_axum::redirect("/operator/prices");
    Ok(())
}
