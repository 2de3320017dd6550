//! SQL of memberships, invitations and the audit log.
use super::model::{AuditAction, AuditEntry, Member, Membership, PendingInvitation, Role};
use crate::server::db::keyset_older;
use crate::time::Zone;
use sqlx::{AnyConnection, Row};

fn role_of(code: &str) -> Result<Role, sqlx::Error> {
    Role::from_code(code).ok_or_else(|| sqlx::Error::Decode(format!("role {code}").into()))
}

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
    sqlx::query("SELECT role FROM memberships WHERE billing_account_id = $1 AND user_id = $2")
        .bind(account)
        .bind(user)
        .fetch_optional(conn)
        .await?
        .map(|row| role_of(&row.try_get::<String, _>("role")?))
        .transpose()
}

/// Every billing account `user` belongs to, oldest membership first.
pub async fn memberships(
    conn: &mut AnyConnection,
    user: i64,
) -> Result<Vec<Membership>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT m.billing_account_id, a.company_name, m.role FROM memberships m \
         JOIN billing_accounts a ON a.id = m.billing_account_id \
         WHERE m.user_id = $1 ORDER BY m.created_at, m.billing_account_id",
    )
    .bind(user)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Membership {
                account_id: row.try_get("billing_account_id")?,
                company_name: row.try_get("company_name")?,
                role: role_of(&row.try_get::<String, _>("role")?)?,
            })
        })
        .collect()
}

pub async fn members(
    conn: &mut AnyConnection,
    zone: &Zone,
    account: i64,
    caller: i64,
) -> Result<Vec<Member>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT u.id, u.email, u.phone, m.role, m.created_at FROM memberships m \
         JOIN users u ON u.id = m.user_id WHERE m.billing_account_id = $1 \
         ORDER BY m.created_at, u.id",
    )
    .bind(account)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let user_id: i64 = row.try_get("id")?;
            Ok(Member {
                user_id,
                email: row.try_get("email")?,
                phone: row.try_get("phone")?,
                role: role_of(&row.try_get::<String, _>("role")?)?,
                joined_at: zone.stamp(row.try_get("created_at")?),
                is_you: user_id == caller,
            })
        })
        .collect()
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

/// The email and phone of the members of `account` whose role is one of `roles`.
pub async fn addresses_of(
    conn: &mut AnyConnection,
    account: i64,
) -> Result<Vec<(Role, Option<String>, Option<String>)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT m.role, u.email, u.phone FROM memberships m JOIN users u ON u.id = m.user_id \
         WHERE m.billing_account_id = $1 ORDER BY m.created_at, u.id",
    )
    .bind(account)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                role_of(&row.try_get::<String, _>("role")?)?,
                row.try_get("email")?,
                row.try_get("phone")?,
            ))
        })
        .collect()
}

/// The user signed in with `column` (`email` or `phone`) = `address`, if any.
pub async fn user_by_address(
    conn: &mut AnyConnection,
    column: &str,
    address: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let column = if column == "phone" { "phone" } else { "email" };
    sqlx::query(&format!("SELECT id FROM users WHERE {column} = $1"))
        .bind(address)
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get("id"))
        .transpose()
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
pub struct InvitationRow {
    pub id: i64,
    pub account: i64,
    pub company_name: String,
    pub channel: String,
    pub address: String,
    pub role: Role,
    pub expires_at: i64,
    pub closed: bool,
}

pub async fn invitation_by_token(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT i.id, i.billing_account_id, a.company_name, i.channel, i.address, i.role, i.expires_at, \
                i.accepted_at, i.revoked_at \
         FROM invitations i JOIN billing_accounts a ON a.id = i.billing_account_id \
         WHERE i.token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let accepted: Option<i64> = row.try_get("accepted_at")?;
        let revoked: Option<i64> = row.try_get("revoked_at")?;
        Ok(InvitationRow {
            id: row.try_get("id")?,
            account: row.try_get("billing_account_id")?,
            company_name: row.try_get("company_name")?,
            channel: row.try_get("channel")?,
            address: row.try_get("address")?,
            role: role_of(&row.try_get::<String, _>("role")?)?,
            expires_at: row.try_get("expires_at")?,
            closed: accepted.is_some() || revoked.is_some(),
        })
    })
    .transpose()
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

/// Open, unexpired invitations of `account`, newest first.
pub async fn pending_invitations(
    conn: &mut AnyConnection,
    zone: &Zone,
    account: i64,
    now: i64,
) -> Result<Vec<PendingInvitation>, sqlx::Error> {
    let rows = sqlx::query(
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
    rows.iter()
        .map(|row| {
            Ok(PendingInvitation {
                id: row.try_get("id")?,
                address: row.try_get("address")?,
                role: role_of(&row.try_get::<String, _>("role")?)?,
                invited_by: row.try_get("invited_by")?,
                expires_at: zone.stamp(row.try_get("expires_at")?),
            })
        })
        .collect()
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
    let mut query = sqlx::query(&sql)
        .bind(filter.account)
        .bind(filter.person.unwrap_or(0))
        .bind(filter.action.map(AuditAction::code).unwrap_or(""))
        .bind(filter.from.unwrap_or(i64::MIN))
        .bind(filter.until.unwrap_or(i64::MAX))
        .bind(filter.limit);
    if let Some(before) = filter.before {
        query = query.bind(before);
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter()
        .map(|row| {
            let code: String = row.try_get("action")?;
            Ok(AuditEntry {
                id: row.try_get("id")?,
                at: filter.zone.stamp(row.try_get("created_at")?),
                actor: row.try_get("actor")?,
                by_operator: row.try_get::<i64, _>("by_operator")? == 1,
                action: AuditAction::from_code(&code)
                    .ok_or_else(|| sqlx::Error::Decode(format!("audit action {code}").into()))?,
                detail: row.try_get("detail")?,
                client_addr: row.try_get("client_addr")?,
            })
        })
        .collect()
}
