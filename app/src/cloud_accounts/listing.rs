//! Account > Cloud accounts: the account's subscriptions and the workspaces each pays for.
use super::model::CloudAccountView;
use super::store;
use crate::error::AppError;
use crate::state::AppState;

pub async fn cloud_accounts(state: &AppState, account: i64) -> Result<Vec<CloudAccountView>, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let rows = store::linked_to(&mut conn, account).await?;
    let paid = store::paid_workspaces(&mut conn, account).await?;
    let zone = &state.config.time_zone;
    Ok(rows
        .into_iter()
        .map(|row| CloudAccountView {
            workspaces: paid
                .iter()
                .filter(|(id, _)| *id == row.id)
                .map(|(_, name)| name.clone())
                .collect(),
            id: row.id,
            cloud: row.cloud,
            cloud_account: row.cloud_account_ref,
            product_code: row.product_code,
            status: row.status,
            expires_at: row.expires_at.map(|at| zone.stamp(at)),
            linked_at: row.linked_at.map(|at| zone.stamp(at)),
        })
        .collect())
}
