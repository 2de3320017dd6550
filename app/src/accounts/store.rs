//! SQL of users (the people who sign in), their sessions and security log, and of the billing
//! account's company profile.
use super::model::{Profile, SecurityEvent, SessionInfo};
use crate::time::Zone;
use crate::verification::{Address, Channel};
use sqlx::{AnyConnection, Row};

/// A user found by a sign-in address.
pub struct Credentials {
    pub id: i64,
    pub password_hash: Option<String>,
}

fn address_column(address: &Address) -> &'static str {
    match address.channel() {
        Channel::Email => "email",
        Channel::Sms => "phone",
    }
}

pub async fn find_by_address(
    conn: &mut AnyConnection,
    address: &Address,
) -> Result<Option<Credentials>, sqlx::Error> {
    let sql = format!(
        "SELECT id, password_hash FROM users WHERE {} = $1",
        address_column(address)
    );
    let row = sqlx::query(&sql)
        .bind(address.as_str())
        .fetch_optional(conn)
        .await?;
    row.map(|row| {
        Ok(Credentials {
            id: row.try_get("id")?,
            password_hash: row.try_get("password_hash")?,
        })
    })
    .transpose()
}

/// The settlement currency of a site, if the site exists.
pub async fn site_currency(
    conn: &mut AnyConnection,
    site_code: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query("SELECT currency FROM sites WHERE code = $1")
        .bind(site_code)
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get("currency"))
        .transpose()
}

pub struct NewAccount<'a> {
    pub company_name: &'a str,
    pub site_code: &'a str,
    pub currency: &'a str,
}

/// A new billing account (its first member is added by the caller); returns its id.
pub async fn insert_account(
    conn: &mut AnyConnection,
    account: &NewAccount<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO billing_accounts (company_name, currency, site_code, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(account.company_name)
    .bind(account.currency)
    .bind(account.site_code)
    .bind(now)
    .fetch_one(conn)
    .await?
    .try_get("id")
}

/// A new user signing in with `address`; returns their id.
pub async fn insert_user(
    conn: &mut AnyConnection,
    address: &Address,
    password_hash: Option<&str>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (email, phone) = match address.channel() {
        Channel::Email => (Some(address.as_str()), None),
        Channel::Sms => (None, Some(address.as_str())),
    };
    sqlx::query(
        "INSERT INTO users (email, phone, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(email)
    .bind(phone)
    .bind(password_hash)
    .bind(now)
    .fetch_one(conn)
    .await?
    .try_get("id")
}

pub async fn set_password_hash(
    conn: &mut AnyConnection,
    user_id: i64,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The user as the header sees them, without the active account's part.
pub struct UserRow {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub has_password: bool,
    pub is_operator: bool,
}

pub async fn user(conn: &mut AnyConnection, user_id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT email, phone, password_hash, \
                (SELECT COUNT(*) FROM operators o WHERE o.user_id = users.id) AS listed \
         FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let password_hash: Option<String> = row.try_get("password_hash")?;
        Ok(UserRow {
            email: row.try_get("email")?,
            phone: row.try_get("phone")?,
            has_password: password_hash.is_some(),
            is_operator: row.try_get::<i64, _>("listed")? > 0,
        })
    })
    .transpose()
}

/// A billing account's name, currency and site.
pub struct AccountRow {
    pub company_name: String,
    pub currency: crate::money::Currency,
    pub site_code: String,
}

pub async fn account(
    conn: &mut AnyConnection,
    account_id: i64,
) -> Result<Option<AccountRow>, sqlx::Error> {
    let row =
        sqlx::query("SELECT company_name, currency, site_code FROM billing_accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(conn)
            .await?;
    row.map(|row| {
        Ok(AccountRow {
            company_name: row.try_get("company_name")?,
            currency: crate::money::Currency::try_from(row.try_get::<String, _>("currency")?)
                .map_err(|e| sqlx::Error::Decode(e.into()))?,
            site_code: row.try_get("site_code")?,
        })
    })
    .transpose()
}

/// A new session of `user_id`, acting in `account_id` (none while they belong to no account).
pub async fn insert_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: i64,
    account_id: Option<i64>,
    user_agent: &str,
    client_addr: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, account_id, created_at, last_seen_at, user_agent, client_addr) \
         VALUES ($1, $2, $3, $4, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(account_id)
    .bind(now)
    .bind(user_agent)
    .bind(client_addr)
    .execute(conn)
    .await?;
    Ok(())
}

/// A live session: not ended, seen since `idle_since`, started since `started_since`. `account`
/// is the billing account it acts in with the user's role there, when they are still a member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveSession {
    pub id: i64,
    pub user_id: i64,
    /// The user's email (or phone): how the audit log names them.
    pub who: String,
    pub account: Option<(i64, String)>,
    pub last_seen_at: i64,
}

pub async fn live_session(
    conn: &mut AnyConnection,
    token_hash: &str,
    idle_since: i64,
    started_since: i64,
) -> Result<Option<LiveSession>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT s.id, s.user_id, COALESCE(u.email, u.phone, '') AS who, s.account_id, m.role, \
                s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id \
         LEFT JOIN memberships m ON m.billing_account_id = s.account_id AND m.user_id = s.user_id \
         WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.last_seen_at > $2 AND s.created_at > $3",
    )
    .bind(token_hash)
    .bind(idle_since)
    .bind(started_since)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        let account: Option<i64> = row.try_get("account_id")?;
        let role: Option<String> = row.try_get("role")?;
        Ok(LiveSession {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            who: row.try_get("who")?,
            account: account.zip(role),
            last_seen_at: row.try_get("last_seen_at")?,
        })
    })
    .transpose()
}

pub async fn touch_session(
    conn: &mut AnyConnection,
    session_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(now)
        .bind(session_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn end_session(
    conn: &mut AnyConnection,
    session_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL")
        .bind(now)
        .bind(session_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of the user except `keep` (none when `keep` is `None`).
pub async fn end_other_sessions(
    conn: &mut AnyConnection,
    user_id: i64,
    keep: Option<i64>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL AND id <> $3",
    )
    .bind(now)
    .bind(user_id)
    .bind(keep.unwrap_or(0))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn log_event(
    conn: &mut AnyConnection,
    user_id: Option<i64>,
    kind: super::model::SecurityEventKind,
    detail: &str,
    client_addr: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO security_events (user_id, kind, detail, client_addr, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user_id)
    .bind(kind.code())
    .bind(detail)
    .bind(client_addr)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The user's password hash (`Some(None)`: a user without a password; `None`: no such user).
pub async fn password_hash(
    conn: &mut AnyConnection,
    user_id: i64,
) -> Result<Option<Option<String>>, sqlx::Error> {
    sqlx::query("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get::<Option<String>, _>("password_hash"))
        .transpose()
}

/// The company profile of `account_id`, with the email and phone of `user_id` who reads it.
pub async fn profile(
    conn: &mut AnyConnection,
    account_id: i64,
    user_id: i64,
) -> Result<Option<Profile>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT a.company_name, a.industry, a.region, a.description, a.contact_name, u.email, u.phone, \
                a.currency, a.site_code \
         FROM billing_accounts a, users u WHERE a.id = $1 AND u.id = $2",
    )
    .bind(account_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(Profile {
            company_name: row.try_get("company_name")?,
            industry: row.try_get("industry")?,
            region: row.try_get("region")?,
            description: row.try_get("description")?,
            contact_name: row.try_get("contact_name")?,
            email: row.try_get("email")?,
            phone: row.try_get("phone")?,
            currency: row.try_get("currency")?,
            site_code: row.try_get("site_code")?,
        })
    })
    .transpose()
}

pub async fn update_profile(
    conn: &mut AnyConnection,
    account_id: i64,
    profile: &Profile,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE billing_accounts SET company_name = $1, industry = $2, region = $3, description = $4, \
         contact_name = $5 WHERE id = $6",
    )
    .bind(&profile.company_name)
    .bind(&profile.industry)
    .bind(&profile.region)
    .bind(&profile.description)
    .bind(&profile.contact_name)
    .bind(account_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces the user's email (or phone) with `address`.
pub async fn set_address(
    conn: &mut AnyConnection,
    user_id: i64,
    address: &Address,
) -> Result<(), sqlx::Error> {
    let sql = format!(
        "UPDATE users SET {} = $1 WHERE id = $2",
        address_column(address)
    );
    sqlx::query(&sql)
        .bind(address.as_str())
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn live_sessions(
    conn: &mut AnyConnection,
    zone: &Zone,
    user_id: i64,
    current: i64,
    idle_since: i64,
    started_since: i64,
) -> Result<Vec<SessionInfo>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, user_agent, client_addr, created_at, last_seen_at FROM sessions \
         WHERE user_id = $1 AND ended_at IS NULL AND last_seen_at > $2 AND created_at > $3 \
         ORDER BY last_seen_at DESC",
    )
    .bind(user_id)
    .bind(idle_since)
    .bind(started_since)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let id: i64 = row.try_get("id")?;
            Ok(SessionInfo {
                id,
                user_agent: row.try_get("user_agent")?,
                client_addr: row.try_get("client_addr")?,
                created_at: zone.stamp(row.try_get("created_at")?),
                last_seen_at: zone.stamp(row.try_get("last_seen_at")?),
                current: id == current,
            })
        })
        .collect()
}

/// Ends session `session_id` only if it belongs to `user_id`; false when it does not.
pub async fn end_own_session(
    conn: &mut AnyConnection,
    user_id: i64,
    session_id: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sessions SET ended_at = $1 WHERE id = $2 AND user_id = $3 AND ended_at IS NULL",
    )
    .bind(now)
    .bind(session_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_proof(
    conn: &mut AnyConnection,
    session_id: i64,
    channel: Option<Channel>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET proof_channel = $1, proof_at = $2 WHERE id = $3")
        .bind(channel.map(Channel::code))
        .bind(channel.map(|_| now))
        .bind(session_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// When this session last proved the account's current address on `channel`.
pub async fn proof_at(
    conn: &mut AnyConnection,
    session_id: i64,
    channel: Channel,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query("SELECT proof_at FROM sessions WHERE id = $1 AND proof_channel = $2")
        .bind(session_id)
        .bind(channel.code())
        .fetch_optional(conn)
        .await?
        .map(|row| row.try_get("proof_at"))
        .transpose()
        .map(Option::flatten)
}

pub async fn recent_events(
    conn: &mut AnyConnection,
    zone: &Zone,
    user_id: i64,
    limit: i64,
) -> Result<Vec<SecurityEvent>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT kind, detail, client_addr, created_at FROM security_events \
         WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(SecurityEvent {
                kind: {
                    let code: String = row.try_get("kind")?;
                    super::model::SecurityEventKind::from_code(&code).ok_or_else(|| {
                        sqlx::Error::Decode(format!("security event {code}").into())
                    })?
                },
                detail: row.try_get("detail")?,
                client_addr: row.try_get("client_addr")?,
                created_at: zone.stamp(row.try_get("created_at")?),
            })
        })
        .collect()
}

/// Makes session `session_id` act in `account_id`.
pub async fn set_session_account(
    conn: &mut AnyConnection,
    session_id: i64,
    account_id: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET account_id = $1 WHERE id = $2")
        .bind(account_id)
        .bind(session_id)
        .execute(conn)
        .await?;
    Ok(())
}
