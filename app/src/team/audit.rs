//! The billing account's audit log: each action is written in the transaction that makes it,
//! so the log says exactly what happened. Nothing deletes from it.
use super::model::{AuditAction, AuditEntry, AuditQuery, AUDIT_PER_PAGE};
use super::store::{self, AuditFilter, NewAuditEvent};
use crate::error::AppError;
use crate::messages::Msg;
use crate::server::db::Db;
use crate::time::Zone;
use crate::ui::Page;
use sqlx::AnyConnection;

/// Who acts on a billing account, and from where: a member (`Caller::audit`), an operator, or
/// the system (a payment provider's callback).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditActor<'a> {
    pub account: i64,
    pub user: Option<i64>,
    pub who: &'a str,
    pub by_operator: bool,
    pub client_addr: &'a str,
}

impl<'a> AuditActor<'a> {
    /// The system acting on `account` (a settled payment): no person, no client.
    pub fn system(account: i64, who: &'a str) -> Self {
        Self {
            account,
            user: None,
            who,
            by_operator: false,
            client_addr: "",
        }
    }
}

/// Writes one line of the audit log inside the caller's transaction.
pub async fn record(
    conn: &mut AnyConnection,
    actor: &AuditActor<'_>,
    action: AuditAction,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    store::insert_audit_event(
        conn,
        &NewAuditEvent {
            account: actor.account,
            user: actor.user,
            actor: actor.who,
            by_operator: actor.by_operator,
            action,
            detail,
            client_addr: actor.client_addr,
            now,
        },
    )
    .await
}

/// One page of `account`'s audit log as `query` asks, newest first.
pub async fn page(
    db: &Db,
    zone: &Zone,
    account: i64,
    query: &AuditQuery,
) -> Result<Page<AuditEntry>, AppError> {
    let filter = filter(zone, account, query, AUDIT_PER_PAGE + 1)?;
    let mut conn = db.pool().acquire().await?;
    let rows = store::audit_events(&mut conn, &filter).await?;
    Ok(Page::from_rows(rows, AUDIT_PER_PAGE as usize, |e| e.id))
}

fn filter<'a>(
    zone: &'a Zone,
    account: i64,
    query: &AuditQuery,
    limit: i64,
) -> Result<AuditFilter<'a>, AppError> {
    let (from, until) = zone.day_range(&query.from, &query.to)?;
    let person = match query.person.trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| AppError::field("person", Msg::NotAMember))?,
        ),
    };
    let action = match query.action.trim() {
        "" => None,
        code => Some(
            AuditAction::from_code(code)
                .ok_or_else(|| AppError::field("action", Msg::ChooseType))?,
        ),
    };
    Ok(AuditFilter {
        account,
        person,
        action,
        from,
        until,
        before: query.before,
        limit,
        zone,
    })
}

pub const CSV_HEADER: [&str; 6] = [
    "time_utc",
    "person",
    "by_operator",
    "action",
    "detail",
    "client_address",
];

/// An audit line as a CSV row (times in UTC, as the header says).
pub fn csv_row(entry: &AuditEntry) -> Vec<String> {
    vec![
        Zone::utc().format(entry.at.ms),
        entry.actor.clone(),
        if entry.by_operator { "yes" } else { "no" }.to_string(),
        entry.action.code().to_string(),
        entry.detail.clone(),
        entry.client_addr.clone(),
    ]
}
