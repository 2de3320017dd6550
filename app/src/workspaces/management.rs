//! Workspace Management: the account's bound workspaces, one workspace's detail and history.
use super::model::{
    LockReason, Settlement, WorkspaceDetail, WorkspaceEventView, WorkspaceQuery, WorkspaceState,
    WorkspaceView, WORKSPACES_PER_PAGE,
};
use super::store::{self, Rows, WorkspaceFilter, WorkspaceRow};
use crate::error::AppError;
use crate::messages::Msg;
use crate::money::Currency;
use crate::state::AppState;
use crate::ui::Page;
use sqlx::AnyConnection;

/// The longest search text.
const MAX_WORDS: usize = 100;

/// Whether the account owes, and its currency: a workspace the Billing Center account pays is
/// In arrears while the account owes (the list, the detail and the site API read it alike).
pub(super) async fn account_owes(
    conn: &mut AnyConnection,
    account: i64,
) -> Result<(bool, Currency), sqlx::Error> {
    let currency = crate::accounts::store::account(conn, account)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?
        .currency;
    let (_, owed) = crate::funds::cash::cash_and_arrears(conn, account, currency).await?;
    Ok((owed > 0, currency))
}

pub(super) fn state_of(row: &WorkspaceRow, in_arrears: bool) -> WorkspaceState {
    if row.locked_at.is_some() {
        WorkspaceState::Locked
    } else if in_arrears && row.settlement == Settlement::BillingCenter {
        WorkspaceState::InArrears
    } else {
        WorkspaceState::Normal
    }
}

/// Each workspace's cost this month so far (daily lines from the first of the month in the
/// reader's zone), by workspace id.
async fn month_costs(
    state: &AppState,
    conn: &mut AnyConnection,
    account: i64,
) -> Result<std::collections::HashMap<i64, i64>, sqlx::Error> {
    let today = state.config.time_zone.date(state.clock.now());
    let first = format!("{}-01", today.get(..7).unwrap_or_default());
    Ok(crate::metering::store::cost_since(conn, account, &first)
        .await?
        .into_iter()
        .collect())
}

fn view(
    state: &AppState,
    row: WorkspaceRow,
    in_arrears: bool,
    currency: Currency,
    month_cost: i64,
) -> WorkspaceView {
    WorkspaceView {
        id: row.id,
        state: state_of(&row, in_arrears),
        month_cost: crate::money::format_minor_units(month_cost, currency),
        bound_at: state.config.time_zone.stamp(row.bound_at.unwrap_or_default()),
        workspace_uuid: row.workspace_uuid,
        name: row.name,
        site_code: row.site_code,
        settlement: row.settlement,
    }
}

/// The rows in state `wanted`: In arrears and Normal differ by the account's arrears and the
/// workspace's settlement, not by a stored state.
fn rows_in(wanted: Option<WorkspaceState>, in_arrears: bool) -> Rows {
    match (wanted, in_arrears) {
        (None, _) => Rows::All,
        (Some(WorkspaceState::Locked), _) => Rows::Locked,
        (Some(WorkspaceState::Normal), false) => Rows::Unlocked(None),
        (Some(WorkspaceState::Normal), true) => Rows::Unlocked(Some(Settlement::Cloud)),
        (Some(WorkspaceState::InArrears), true) => Rows::Unlocked(Some(Settlement::BillingCenter)),
        (Some(WorkspaceState::InArrears), false) => Rows::Nothing,
    }
}

/// A page of the account's workspaces, newest bound first.
pub async fn workspaces(
    state: &AppState,
    account: i64,
    query: &WorkspaceQuery,
) -> Result<Page<WorkspaceView>, AppError> {
    let wanted = match query.state.trim() {
        "" => None,
        code => Some(
            WorkspaceState::from_code(code)
                .ok_or_else(|| AppError::field("state", Msg::ChooseWorkspaceState))?,
        ),
    };
    let words = query.q.trim().to_lowercase();
    if words.chars().count() > MAX_WORDS {
        return Err(AppError::field("q", Msg::SearchTooLong { max: MAX_WORDS.to_string() }));
    }
    let site = query.site.trim();
    let mut conn = state.db.pool().acquire().await?;
    let (in_arrears, currency) = account_owes(&mut conn, account).await?;
    let rows = store::workspaces(
        &mut conn,
        &WorkspaceFilter {
            account,
            site: (!site.is_empty()).then_some(site),
            rows: rows_in(wanted, in_arrears),
            words: &words,
            before: query.before,
            limit: WORKSPACES_PER_PAGE + 1,
        },
    )
    .await?;
    let costs = month_costs(state, &mut conn, account).await?;
    Ok(
        Page::from_rows(rows, WORKSPACES_PER_PAGE as usize, |row| row.id).map(|row| {
            let cost = costs.get(&row.id).copied().unwrap_or(0);
            view(state, row, in_arrears, currency, cost)
        }),
    )
}

/// The columns of the workspaces CSV.
pub const CSV_HEADER: [&str; 7] = [
    "workspace_id",
    "name",
    "site",
    "settlement",
    "state",
    "month_cost",
    "bound_at_utc",
];

/// A workspace as a CSV row (times in UTC, as the header says).
pub fn csv_row(workspace: &WorkspaceView) -> Vec<String> {
    vec![
        workspace.workspace_uuid.clone(),
        workspace.name.clone(),
        workspace.site_code.clone(),
        workspace.settlement.code().to_string(),
        workspace.state.code().to_string(),
        workspace.month_cost.clone(),
        crate::time::Zone::utc().format(workspace.bound_at.ms),
    ]
}

/// One of the account's workspaces with its history; another account's is not found.
pub async fn detail(state: &AppState, account: i64, id: i64) -> Result<WorkspaceDetail, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let row = store::workspace_of(&mut conn, account, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (in_arrears, currency) = account_owes(&mut conn, account).await?;
    let events = store::events(&mut conn, id, account)
        .await?
        .into_iter()
        .map(|event| WorkspaceEventView {
            at: state.config.time_zone.stamp(event.created_at),
            kind: event.kind,
            detail: event.detail,
            actor: event.actor,
        })
        .collect();
    let lock_reason: Option<LockReason> = row.lock_reason();
    let unbind_refused = super::binding::unbind_refused(&mut conn, &row).await?;
    let cost = month_costs(state, &mut conn, account).await?.get(&row.id).copied().unwrap_or(0);
    Ok(WorkspaceDetail {
        workspace: view(state, row, in_arrears, currency, cost),
        lock_reason,
        events,
        unbind_refused,
    })
}
