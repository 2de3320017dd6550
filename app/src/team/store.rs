//! SQL of memberships, invitations and the audit log.
use super::model::{AuditAction, AuditEntry, Member, Membership, PendingInvitation, Role};
use crate::server::db::keyset_older;
use crate::time::Zone;
use sqlx::{AnyConnection, Row};

pub async fn insert_membership(
    conn: &mut AnyConnection,
    account: i64,
    user: i64,
    role: Role,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO memberships (billing_account_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(account)
    .bind(user)
    .bind(role.code())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The role of `user` in `account`, if a member.
pub async fn role(
    conn: &mut AnyConnection,
    account: i64,
    user: i64,
) -> Result<Option<Role>, sqlx::Error> {
    let role: Option<(String,)> = sqlx::query_as(
        "SELECT role FROM memberships WHERE billing_account_id = $1 AND user_id = $2",
    )
    .bind(account)
    .bind(user)
    .fetch_optional(conn)
    .await?;
    role.map(|(code,)| Role::try_from(code).map_err(|e| sqlx::Error::Decode(e.into())))
        .transpose()
}

/// Every billing account `user` belongs to, oldest membership first.
pub async fn memberships(
    conn: &mut AnyConnection,
    user: i64,
) -> Result<Vec<Membership>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.billing_account_id AS account_id, a.company_name, m.role FROM memberships m \
         JOIN billing_accounts a ON a.id = m.billing_account_id \
         WHERE m.user_id = $1 ORDER BY m.created_at, m.billing_account_id",
    )
    .bind(user)
    .fetch_all(conn)
    .await
}

/// A member as stored; the page's `Member` adds the time in the reader's zone.
#[derive(sqlx::FromRow)]
struct MemberRow {
    id: i64,
    email: Option<String>,
    phone: Option<String>,
    #[sqlx(try_from = "String")]
    role: Role,
    created_at: i64,
}

pub async fn members(
    conn: &mut AnyConnection,
    zone: &Zone,
    account: i64,
    caller: i64,
) -> Result<Vec<Member>, sqlx::Error> {
    let rows: Vec<MemberRow> = sqlx::query_as(
        "SELECT u.id, u.email, u.phone, m.role, m.created_at FROM memberships m \
         JOIN users u ON u.id = m.user_id WHERE m.billing_account_id = $1 \
         ORDER BY m.created_at, u.id",
    )
    .bind(account)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Member {
            user_id: row.id,
            email: row.email,
            phone: row.phone,
            role: row.role,
            joined_at: zone.stamp(row.created_at),
            is_you: row.id == caller,
        })
        .collect())
}

/// Members of `account` with `role`.
pub async fn count_with_role(
    conn: &mut AnyConnection,
    account: i64,
    role: Role,
) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM memberships WHERE billing_account_id = $1 AND role = $2")
        .bind(account)
        .bind(role.code())
        .fetch_one(conn)
        .await?
        .try_get("n")
}

/// Sets the role of a member; false when `user` is not one.
pub async fn set_role(
    conn: &mut AnyConnection,
    account: i64,
    user: i64,
    role: Role,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE memberships SET role = $1 WHERE billing_account_id = $2 AND user_id = $3",
    )
    .bind(role.code())
    .bind(account)
    .bind(user)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a member; false when `user` is not one. Their sessions stop acting in the account.
pub async fn delete_membership(
    conn: &mut AnyConnection,
    account: i64,
    user: i64,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM memberships WHERE billing_account_id = $1 AND user_id = $2")
            .bind(account)
            .bind(user)
            .execute(&mut *conn)
            .await?;
    sqlx::query("UPDATE sessions SET account_id = NULL WHERE account_id = $1 AND user_id = $2")
        .bind(account)
        .bind(user)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A member's role and sign-in addresses, for deciding who a notice goes to.
#[derive(sqlx::FromRow)]
pub struct Recipient {
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// Every member of `account` with their role and addresses.
pub async fn recipients(
    conn: &mut AnyConnection,
    account: i64,
) -> Result<Vec<Recipient>, sqlx::Error> {
    sqlx::query_as(
        "SELECT m.role, u.email, u.phone FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.billing_account_id = $1 ORDER BY m.created_at, u.id",
    )
    .bind(account)
    .fetch_all(conn)
    .await
}

pub struct NewInvitation<'a> {
    pub account: i64,
    pub channel: &'a str,
    pub address: &'a str,
    pub role: Role,
    pub token_hash: &'a str,
    pub invited_by: i64,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert_invitation(
    conn: &mut AnyConnection,
    invitation: &NewInvitation<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO invitations (billing_account_id, channel, address, role, token_hash, invited_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(invitation.account)
    .bind(invitation.channel)
    .bind(invitation.address)
    .bind(invitation.role.code())
    .bind(invitation.token_hash)
    .bind(invitation.invited_by)
    .bind(invitation.now)
    .bind(invitation.expires_at)
    .fetch_one(conn)
    .await?
    .try_get("id")
}

/// An invitation found by its link.
#[derive(sqlx::FromRow)]
pub struct InvitationRow {
    pub id: i64,
    pub account: i64,
    pub company_name: String,
    pub channel: String,
    pub address: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub expires_at: i64,
    /// 1 when accepted or withdrawn.
    pub closed: i64,
}

impl InvitationRow {
    /// The invited email or phone, as stored.
    pub fn invited(&self) -> crate::contact::Address {
        let channel = self
            .channel
            .parse()
            .unwrap_or(crate::contact::Channel::Email);
        crate::contact::Address::stored(channel, self.address.clone())
    }
}

pub async fn invitation_by_token(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT i.id, i.billing_account_id AS account, a.company_name, i.channel, i.address, i.role, \
                i.expires_at, \
                CAST(CASE WHEN i.accepted_at IS NULL AND i.revoked_at IS NULL THEN 0 ELSE 1 END AS BIGINT) \
                AS closed \
         FROM invitations i JOIN billing_accounts a ON a.id = i.billing_account_id \
         WHERE i.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await
}

/// Uses invitation `id` up for `user`; false when it was used or withdrawn meanwhile (the
/// condition in the update is what makes a link single-use under concurrency).
pub async fn accept_invitation(
    conn: &mut AnyConnection,
    id: i64,
    user: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE invitations SET accepted_at = $1, accepted_by = $2 \
         WHERE id = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(user)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Withdraws an open invitation of `account`; its address when it was open.
pub async fn revoke_invitation(
    conn: &mut AnyConnection,
    account: i64,
    id: i64,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query(
        "UPDATE invitations SET revoked_at = $1 \
         WHERE id = $2 AND billing_account_id = $3 AND accepted_at IS NULL AND revoked_at IS NULL \
         RETURNING address",
    )
    .bind(now)
    .bind(id)
    .bind(account)
    .fetch_optional(conn)
    .await?
    .map(|row| row.try_get("address"))
    .transpose()
}

/// Withdraws every open invitation `user` sent for `account` (they leave, or lose the right to
/// invite): an invitation is only as good as its sender's right to send it.
pub async fn revoke_invitations_by(
    conn: &mut AnyConnection,
    account: i64,
    user: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE invitations SET revoked_at = $1 \
         WHERE billing_account_id = $2 AND invited_by = $3 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(account)
    .bind(user)
    .execute(conn)
    .await?;
    Ok(())
}

/// Open, unexpired invitations of `account`, newest first.
pub async fn pending_invitations(
    conn: &mut AnyConnection,
    zone: &Zone,
    account: i64,
    now: i64,
) -> Result<Vec<PendingInvitation>, sqlx::Error> {
    let rows: Vec<InvitationListRow> = sqlx::query_as(
        "SELECT i.id, i.address, i.role, i.expires_at, COALESCE(u.email, u.phone, '') AS invited_by \
         FROM invitations i JOIN users u ON u.id = i.invited_by \
         WHERE i.billing_account_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL \
               AND i.expires_at > $2 \
         ORDER BY i.id DESC",
    )
    .bind(account)
    .bind(now)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| PendingInvitation {
            id: row.id,
            address: row.address,
            role: row.role,
            invited_by: row.invited_by,
            expires_at: zone.stamp(row.expires_at),
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct InvitationListRow {
    id: i64,
    address: String,
    #[sqlx(try_from = "String")]
    role: Role,
    expires_at: i64,
    invited_by: String,
}

/// One audit log line to write.
pub struct NewAuditEvent<'a> {
    pub account: i64,
    pub user: Option<i64>,
    pub actor: &'a str,
    pub by_operator: bool,
    pub action: AuditAction,
    pub detail: &'a str,
    pub client_addr: &'a str,
    pub now: i64,
}

pub async fn insert_audit_event(
    conn: &mut AnyConnection,
    event: &NewAuditEvent<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events (billing_account_id, user_id, actor, by_operator, action, detail, client_addr, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(event.account)
    .bind(event.user)
    .bind(event.actor)
    .bind(i64::from(event.by_operator))
    .bind(event.action.code())
    .bind(event.detail)
    .bind(event.client_addr)
    .bind(event.now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Which audit lines to read: of one person, one action, a time range, older than a cursor.
pub struct AuditFilter<'a> {
    pub account: i64,
    pub person: Option<i64>,
    pub action: Option<AuditAction>,
    pub from: Option<i64>,
    pub until: Option<i64>,
    pub before: Option<i64>,
    pub limit: i64,
    pub zone: &'a Zone,
}

pub async fn audit_events(
    conn: &mut AnyConnection,
    filter: &AuditFilter<'_>,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    let older = keyset_older("id", filter.before, 7);
    let sql = format!(
        "SELECT id, actor, by_operator, action, detail, client_addr, created_at FROM audit_events \
         WHERE billing_account_id = $1 AND ($2 = 0 OR user_id = $2) AND ($3 = '' OR action = $3) \
               AND created_at >= $4 AND created_at < $5 {older} \
         ORDER BY id DESC LIMIT $6"
    );
    let mut query = sqlx::query_as(&sql)
        .bind(filter.account)
        .bind(filter.person.unwrap_or(0))
        .bind(filter.action.map(AuditAction::code).unwrap_or(""))
        .bind(filter.from.unwrap_or(i64::MIN))
        .bind(filter.until.unwrap_or(i64::MAX))
        .bind(filter.limit);
    if let Some(before) = filter.before {
        query = query.bind(before);
    }
    let rows: Vec<AuditRow> = query.fetch_all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|row| AuditEntry {
            id: row.id,
            at: filter.zone.stamp(row.created_at),
            actor: row.actor,
            by_operator: row.by_operator == 1,
            action: row.action,
            detail: row.detail,
            client_addr: row.client_addr,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    actor: String,
    by_operator: i64,
    #[sqlx(try_from = "String")]
    action: AuditAction,
    detail: String,
    client_addr: String,
    created_at: i64,
}

#[cfg(test)]
mod tests {
    use crate::server::db::Db;
    use crate::server::scratch;
    use sqlx::Row;

    /// A database filled by the schema before team access: two logins (one by email with a
    /// password, one by phone only), a session, security events and an operator.
    async fn fill_the_old_schema(db: &Db) {
        for sql in [
            "INSERT INTO billing_accounts (id, company_name, currency, site_code, created_at, email, phone, password_hash) \
             VALUES (1, 'Old Co.', 'CNY', 'CN1', 100, 'old@example.com', NULL, 'argon2-hash')",
            "INSERT INTO billing_accounts (id, company_name, currency, site_code, created_at, email, phone, password_hash) \
             VALUES (7, 'Phone Co.', 'USD', 'US1', 200, NULL, '+8613800138000', NULL)",
            "INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, user_agent, client_addr) \
             VALUES ('old-token', 7, 300, 300, 'ua', '10.0.0.1')",
            "INSERT INTO security_events (account_id, kind, detail, client_addr, created_at) \
             VALUES (1, 'signed_in', '', '10.0.0.1', 400)",
            "INSERT INTO security_events (account_id, kind, detail, client_addr, created_at) \
             VALUES (NULL, 'sign_in_failed', 'x@example.com', '10.0.0.2', 500)",
            "INSERT INTO operators (account_id, granted_by, granted_at) VALUES (1, 'cli', 600)",
        ] {
            sqlx::query(sql).execute(db.pool()).await.expect(sql);
        }
    }

    async fn check_the_migration(db: &Db) {
        let users = sqlx::query("SELECT id, email, phone, password_hash FROM users ORDER BY id")
            .fetch_all(db.pool())
            .await
            .expect("users");
        let users: Vec<(i64, Option<String>, Option<String>, Option<String>)> = users
            .iter()
            .map(|r| {
                (
                    r.get("id"),
                    r.get("email"),
                    r.get("phone"),
                    r.get("password_hash"),
                )
            })
            .collect();
        assert_eq!(
            users,
            vec![
                (
                    1,
                    Some("old@example.com".into()),
                    None,
                    Some("argon2-hash".into())
                ),
                (7, None, Some("+8613800138000".into()), None),
            ]
        );
        let owners: Vec<(i64, i64, String)> = sqlx::query(
            "SELECT billing_account_id, user_id, role FROM memberships ORDER BY billing_account_id",
        )
        .fetch_all(db.pool())
        .await
        .expect("memberships")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
        assert_eq!(owners, vec![(1, 1, "owner".into()), (7, 7, "owner".into())]);
        let session =
            sqlx::query("SELECT user_id, account_id FROM sessions WHERE token_hash = 'old-token'")
                .fetch_one(db.pool())
                .await
                .expect("session");
        assert_eq!(session.get::<i64, _>("user_id"), 7);
        assert_eq!(session.get::<Option<i64>, _>("account_id"), Some(7));
        let events: Vec<Option<i64>> =
            sqlx::query("SELECT user_id FROM security_events ORDER BY id")
                .fetch_all(db.pool())
                .await
                .expect("events")
                .iter()
                .map(|r| r.get(0))
                .collect();
        assert_eq!(events, vec![Some(1), None]);
        let operator: i64 = sqlx::query("SELECT user_id FROM operators")
            .fetch_one(db.pool())
            .await
            .expect("operator")
            .get(0);
        assert_eq!(operator, 1);
        // New rows get ids after the copied ones (PostgreSQL's counters were moved on).
        let mut conn = db.pool().acquire().await.expect("conn");
        let address = crate::contact::Address::email("new@example.com").expect("valid");
        let user = crate::accounts::store::insert_user(&mut conn, &address, None, 700)
            .await
            .expect("a new user");
        assert!(user > 7, "new id {user}");
        crate::accounts::store::insert_session(
            &mut conn,
            "new-token",
            user,
            Some(1),
            "ua",
            "x",
            800,
        )
        .await
        .expect("a new session");
        crate::accounts::store::log_event(
            &mut conn,
            Some(user),
            crate::accounts::model::SecurityEventKind::SignedIn,
            "",
            "x",
            800,
        )
        .await
        .expect("a new event");
    }

    #[tokio::test]
    async fn each_login_becomes_its_accounts_owner_on_both_backends() {
        let (db, dir) = scratch::sqlite_empty().await.expect("sqlite");
        db.migrate_to(Some(6)).await.expect("old schema");
        fill_the_old_schema(&db).await;
        db.migrate_to(None).await.expect("migrated");
        check_the_migration(&db).await;
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);

        let (db, name) = scratch::postgres_empty().await.expect("postgres");
        db.migrate_to(Some(6)).await.expect("old schema");
        fill_the_old_schema(&db).await;
        db.migrate_to(None).await.expect("migrated");
        check_the_migration(&db).await;
        db.close().await;
        scratch::drop_postgres(&name).await.expect("drop");
    }
}
