//! SQL of the cloud accounts area: subscriptions and the marketplace calls acted on.
use super::model::{Cloud, CloudAccountStatus};
use sqlx::AnyConnection;

/// A cloud account (one marketplace subscription) as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct CloudAccountRow {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub cloud: Cloud,
    pub subscription_ref: String,
    pub cloud_account_ref: String,
    pub product_code: String,
    #[sqlx(try_from = "String")]
    pub status: CloudAccountStatus,
    pub billing_account_id: Option<i64>,
    pub expires_at: Option<i64>,
    pub linked_at: Option<i64>,
}

const COLUMNS: &str = "id, cloud, subscription_ref, cloud_account_ref, product_code, status, \
     billing_account_id, expires_at, linked_at";

/// Records a marketplace call by its key; `false` when it was recorded already (a repeat).
pub async fn take_call(
    conn: &mut AnyConnection,
    cloud: Cloud,
    key: &str,
    action: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO marketplace_calls (cloud, call_key, action, received_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (cloud, call_key) DO NOTHING",
    )
    .bind(cloud.code())
    .bind(key)
    .bind(action)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn call_acted_on(
    conn: &mut AnyConnection,
    cloud: Cloud,
    key: &str,
    cloud_account: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE marketplace_calls SET cloud_account_id = $1 WHERE cloud = $2 AND call_key = $3")
        .bind(cloud_account)
        .bind(cloud.code())
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// The cloud account an earlier call with this key acted on.
pub async fn call_subject(
    conn: &mut AnyConnection,
    cloud: Cloud,
    key: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let found: Option<(Option<i64>,)> = sqlx::query_as(
        "SELECT cloud_account_id FROM marketplace_calls WHERE cloud = $1 AND call_key = $2",
    )
    .bind(cloud.code())
    .bind(key)
    .fetch_optional(conn)
    .await?;
    Ok(found.and_then(|(id,)| id))
}

/// A new subscription as a marketplace announced it.
pub struct NewSubscription<'a> {
    pub cloud: Cloud,
    pub subscription_ref: &'a str,
    pub cloud_account_ref: &'a str,
    pub customer_ref: Option<&'a str>,
    pub product_code: &'a str,
    pub status: CloudAccountStatus,
    pub expires_at: Option<i64>,
    pub now: i64,
}

/// Makes the subscription known; `false` when it was known already (then nothing changed).
pub async fn open(conn: &mut AnyConnection, new: &NewSubscription<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO cloud_accounts (cloud, subscription_ref, cloud_account_ref, product_code, status, \
         expires_at, created_at, customer_ref) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (cloud, subscription_ref) DO NOTHING",
    )
    .bind(new.cloud.code())
    .bind(new.subscription_ref)
    .bind(new.cloud_account_ref)
    .bind(new.product_code)
    .bind(new.status.code())
    .bind(new.expires_at)
    .bind(new.now)
    .bind(new.customer_ref)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn subscription(
    conn: &mut AnyConnection,
    cloud: Cloud,
    subscription_ref: &str,
) -> Result<Option<CloudAccountRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM cloud_accounts WHERE cloud = $1 AND subscription_ref = $2"
    ))
    .bind(cloud.code())
    .bind(subscription_ref)
    .fetch_optional(conn)
    .await
}

pub async fn cloud_account(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<CloudAccountRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM cloud_accounts WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Moves a subscription from `from` to `to` (and its expiry, when given); `false` when its
/// status was no longer `from` (another call moved it first).
pub async fn set_status(
    conn: &mut AnyConnection,
    id: i64,
    from: CloudAccountStatus,
    to: CloudAccountStatus,
    expires_at: Option<i64>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE cloud_accounts SET status = $1, expires_at = COALESCE($2, expires_at), \
         ended_at = CASE WHEN $1 = 'ended' AND ended_at IS NULL THEN $3 ELSE ended_at END \
         WHERE id = $4 AND status = $5",
    )
    .bind(to.code())
    .bind(expires_at)
    .bind(now)
    .bind(id)
    .bind(from.code())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Links an unlinked cloud account to `account`; `false` when it is linked already.
pub async fn link(
    conn: &mut AnyConnection,
    id: i64,
    account: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE cloud_accounts SET billing_account_id = $1, linked_at = $2 \
         WHERE id = $3 AND billing_account_id IS NULL",
    )
    .bind(account)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The cloud accounts linked to `account`, newest first (at most 200: an account has a few).
pub async fn linked_to(
    conn: &mut AnyConnection,
    account: i64,
) -> Result<Vec<CloudAccountRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM cloud_accounts WHERE billing_account_id = $1 ORDER BY id DESC LIMIT 200"
    ))
    .bind(account)
    .fetch_all(conn)
    .await
}

/// The names of the account's workspaces each of its cloud accounts pays for.
pub async fn paid_workspaces(
    conn: &mut AnyConnection,
    account: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT cloud_account_id, name FROM workspaces WHERE billing_account_id = $1 \
         AND settlement = 'cloud' AND cloud_account_id IS NOT NULL ORDER BY name",
    )
    .bind(account)
    .fetch_all(conn)
    .await
}

/// Lets `account` settle through any cloud's account (or only its sites' clouds again).
pub async fn set_any_cloud(
    conn: &mut AnyConnection,
    account: i64,
    on: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE billing_accounts SET any_cloud_since = CASE WHEN $1 = 1 THEN COALESCE(any_cloud_since, $2) ELSE NULL END \
         WHERE id = $3",
    )
    .bind(i64::from(on))
    .bind(now)
    .bind(account)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The newest subscription of a customer for a product (AWS names both in its notifications).
pub async fn by_customer(
    conn: &mut AnyConnection,
    cloud: Cloud,
    customer: &str,
    product: &str,
) -> Result<Option<CloudAccountRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM cloud_accounts WHERE cloud = $1 AND customer_ref = $2 \
         AND product_code = $3 ORDER BY id DESC LIMIT 1"
    ))
    .bind(cloud.code())
    .bind(customer)
    .bind(product)
    .fetch_optional(conn)
    .await
}

/// Keeps a call about a subscription not known yet, by its subject.
pub async fn keep_early_call(
    conn: &mut AnyConnection,
    cloud: Cloud,
    key: &str,
    action: &str,
    subject: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO marketplace_calls (cloud, call_key, action, subject, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (cloud, call_key) DO NOTHING",
    )
    .bind(cloud.code())
    .bind(key)
    .bind(action)
    .bind(subject)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The action of the newest call kept about `subject`.
pub async fn last_call_about(
    conn: &mut AnyConnection,
    cloud: Cloud,
    subject: &str,
) -> Result<Option<String>, sqlx::Error> {
    let found: Option<(String,)> = sqlx::query_as(
        "SELECT action FROM marketplace_calls WHERE cloud = $1 AND subject = $2 \
         ORDER BY received_at DESC, call_key DESC LIMIT 1",
    )
    .bind(cloud.code())
    .bind(subject)
    .fetch_optional(conn)
    .await?;
    Ok(found.map(|(action,)| action))
}

pub async fn certificate(conn: &mut AnyConnection, url: &str) -> Result<Option<String>, sqlx::Error> {
    let found: Option<(String,)> =
        sqlx::query_as("SELECT pem FROM marketplace_certificates WHERE url = $1")
            .bind(url)
            .fetch_optional(conn)
            .await?;
    Ok(found.map(|(pem,)| pem))
}

pub async fn keep_certificate(
    conn: &mut AnyConnection,
    url: &str,
    pem: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO marketplace_certificates (url, pem, fetched_at) VALUES ($1, $2, $3) \
         ON CONFLICT (url) DO NOTHING",
    )
    .bind(url)
    .bind(pem)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The simulator's memory of a record it took: keeps `quantity` under the record's key and
/// answers `None`, or answers the quantity kept before (a repeat).
pub async fn keep_simulated(
    conn: &mut AnyConnection,
    cloud: &str,
    key: &str,
    subject: &str,
    quantity: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let kept = sqlx::query(
        "INSERT INTO simulated_meterings (cloud, record_key, subject, quantity, received_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (cloud, record_key) DO NOTHING",
    )
    .bind(cloud)
    .bind(key)
    .bind(subject)
    .bind(quantity)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if kept.rows_affected() == 1 {
        return Ok(None);
    }
    sqlx::query_scalar("SELECT quantity FROM simulated_meterings WHERE cloud = $1 AND record_key = $2")
        .bind(cloud)
        .bind(key)
        .fetch_optional(conn)
        .await
}

/// When the simulator last took a new record about `subject`.
pub async fn last_simulated(conn: &mut AnyConnection, cloud: &str, subject: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT MAX(received_at) FROM simulated_meterings WHERE cloud = $1 AND subject = $2")
        .bind(cloud)
        .bind(subject)
        .fetch_one(conn)
        .await
}

/// Every record the simulator took for `cloud`: (key, subject, quantity), oldest first.
pub async fn simulated(conn: &mut AnyConnection, cloud: &str) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    let rows = sqlx::query_as::<_, (String, String, String)>(
        "SELECT record_key, subject, quantity FROM simulated_meterings WHERE cloud = $1 \
         AND record_key NOT LIKE 'nonce:%' ORDER BY received_at, record_key",
    )
    .bind(cloud)
    .fetch_all(conn)
    .await?;
    Ok(rows)
}
