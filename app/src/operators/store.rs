//! SQL of the operator console: the operator role and the account search.
use super::model::AccountMatch;
use crate::server::db::keyset_older;
use sqlx::{AnyConnection, Row};

/// The account signed in with `email`, if any.
pub async fn account_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query("SELECT id FROM billing_accounts WHERE email = $1")
        .bind(email)
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get("id"))
        .transpose()
}

/// Makes `account` an operator; nothing when it is one already.
pub async fn insert_operator(
    conn: &mut AnyConnection,
    account: i64,
    granted_by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO operators (account_id, granted_by, granted_at) VALUES ($1, $2, $3) \
         ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(account)
    .bind(granted_by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the role from the account signed in with `email`; whether it had it.
pub async fn delete_operator(conn: &mut AnyConnection, email: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM operators WHERE account_id IN (SELECT id FROM billing_accounts WHERE email = $1)",
    )
    .bind(email)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

const MATCH_COLUMNS: &str = "id, company_name, email, phone, site_code, currency";

/// What the account search looks for: `text` (lower case; empty for every account) as an id,
/// or within an email, phone or company name.
#[derive(Clone, Copy, Debug)]
pub struct Search<'a> {
    pub text: &'a str,
    /// The account id `text` spells, or 0.
    pub id: i64,
    /// Accounts older than this id only.
    pub before: Option<i64>,
    pub limit: i64,
}

/// The accounts the search finds, newest first.
pub async fn find_accounts(
    conn: &mut AnyConnection,
    search: Search<'_>,
) -> Result<Vec<AccountMatch>, sqlx::Error> {
    // LIKE's own wildcards in what was typed are matched literally.
    let pattern = format!(
        "%{}%",
        search
            .text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let older = keyset_older("id", search.before, 5);
    let sql = format!(
        "SELECT {MATCH_COLUMNS} FROM billing_accounts \
         WHERE ($1 = '' OR id = $2 OR LOWER(COALESCE(email, '')) LIKE $3 ESCAPE '\\' \
               OR COALESCE(phone, '') LIKE $3 ESCAPE '\\' OR LOWER(company_name) LIKE $3 ESCAPE '\\') \
               {older} \
         ORDER BY id DESC LIMIT $4"
    );
    let mut query = sqlx::query_as(&sql)
        .bind(search.text)
        .bind(search.id)
        .bind(pattern)
        .bind(search.limit);
    if let Some(before) = search.before {
        query = query.bind(before);
    }
    query.fetch_all(conn).await
}

/// Account `id` as the search shows it.
pub async fn account(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<AccountMatch>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {MATCH_COLUMNS} FROM billing_accounts WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}
