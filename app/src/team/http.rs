//! The plain routes of team access: the audit log's CSV.
use super::audit;
use super::model::{AuditEntry, AuditQuery, Permission};
use crate::edge::exports::{csv_list, Need};
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::Page;
use axum::routing::MethodRouter;

pub fn routes() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![(
        "/export/audit-log.csv",
        csv_list(
            "audit-log.csv",
            &audit::CSV_HEADER,
            Need::Account(Permission::Read),
            audit_page,
            audit::csv_row,
        ),
    )]
}

async fn audit_page(
    state: AppState,
    account: i64,
    query: AuditQuery,
) -> Result<Page<AuditEntry>, AppError> {
    audit::page(&state.db, &state.config.time_zone, account, &query).await
}
