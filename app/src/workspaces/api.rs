//! Server functions of the workspaces area.
use super::model::Site;
use crate::error::AppError;
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
