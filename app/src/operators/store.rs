//! SQL of the operator console: the operator role and the account search.
use super::model::AccountMatch;
use crate::server::db::keyset_older;
use sqlx::{AnyConnection, Row};

/// The user signed in with `email`, if any.
pub async fn user_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get("id"))
        .transpose()
}

/// Makes `user` an operator; nothing when they are one already.
pub async fn insert_operator(
    conn: &mut AnyConnection,
    user: i64,
    granted_by: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO operators (user_id, granted_by, granted_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(user)
    .bind(granted_by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the role from the user signed in with `email`; whether they had it.
pub async fn delete_operator(conn: &mut AnyConnection, email: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM operators WHERE user_id IN (SELECT id FROM users WHERE email = $1)",
    )
    .bind(email)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// An account's email and phone in the search are its first Owner's.
const MATCH_COLUMNS: &str = "a.id, a.company_name, o.email, o.phone, a.site_code, a.currency";
const MATCH_FROM: &str = "billing_accounts a LEFT JOIN users o ON o.id = ( \
     SELECT m.user_id FROM memberships m WHERE m.billing_account_id = a.id AND m.role = 'owner' \
     ORDER BY m.created_at, m.user_id LIMIT 1)";

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
    let pattern = crate::server::db::like_pattern(search.text);
    // Any member's email or phone finds the account.
    let older = keyset_older("a.id", search.before, 5);
    let sql = format!(
        "SELECT {MATCH_COLUMNS} FROM {MATCH_FROM} \
         WHERE ($1 = '' OR a.id = $2 OR LOWER(a.company_name) LIKE $3 ESCAPE '\\' \
               OR EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id \
                          WHERE m.billing_account_id = a.id \
                            AND (LOWER(COALESCE(u.email, '')) LIKE $3 ESCAPE '\\' \
                                 OR COALESCE(u.phone, '') LIKE $3 ESCAPE '\\'))) \
               {older} \
         ORDER BY a.id DESC LIMIT $4"
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
        "SELECT {MATCH_COLUMNS} FROM {MATCH_FROM} WHERE a.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}
