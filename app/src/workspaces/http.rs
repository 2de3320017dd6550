//! The plain routes of the workspaces area: Workspace Management's CSV.
use super::management;
use super::model::{WorkspaceQuery, WorkspaceView};
use crate::edge::exports::{csv_list, Need};
use crate::error::AppError;
use crate::state::AppState;
use crate::team::model::Permission;
use crate::ui::Page;
use axum::routing::MethodRouter;

pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![(
        "/export/workspaces.csv",
        csv_list(
            "workspaces.csv",
            &management::CSV_HEADER,
            Need::Account(Permission::Read),
            workspaces_page,
            management::csv_row,
        ),
    )]
}

async fn workspaces_page(
    state: AppState,
    account: i64,
    query: WorkspaceQuery,
) -> Result<Page<WorkspaceView>, AppError> {
    management::workspaces(&state, account, &query).await
}
