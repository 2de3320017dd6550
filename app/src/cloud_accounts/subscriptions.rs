//! What happens when a marketplace speaks (every provider's verified call becomes a
//! [`Notice`]), and linking a subscription to the billing account of the person who bought it.
//! One transaction per call: the call's key is taken first, so the same call twice (a retry, or
//! a replay: Alibaba Cloud's protocol has no nonce) changes state once, and a stop or a
//! restart of a subscription reaches its workspaces (`workspaces::settlement`) in the same
//! transaction.
use super::model::{Cloud, CloudAccountStatus, LinkPreview};
use super::store::{self, CloudAccountRow, NewSubscription};
use crate::accounts::caller::Caller;
use crate::accounts::service::Client;
use crate::error::AppError;
use crate::messages::Msg;
use crate::server::delivery::Queued;
use crate::server::signing;
use crate::state::AppState;
use crate::team::audit;
use crate::team::model::AuditAction;
use crate::workspaces::settlement::{self, cloud_label};
use sqlx::AnyConnection;

/// A marketplace's verified call, in the Billing Center's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub cloud: Cloud,
    /// What makes this call itself: the same key again is a repeat.
    pub call_key: String,
    /// The marketplace's name of the call, for the record.
    pub action: String,
    /// The marketplace's key of the subscription.
    pub subscription: String,
    pub change: Change,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A subscription begins (or is announced again): made known with `status` if new.
    Opened {
        cloud_account: String,
        product: String,
        status: CloudAccountStatus,
        expires_at: Option<i64>,
        /// The marketplace's own name of the customer, where its later calls use it (AWS's
        /// customer identifier).
        customer: Option<String>,
    },
    /// A known subscription's new status, and its new end when the marketplace gives one.
    Status {
        status: CloudAccountStatus,
        expires_at: Option<i64>,
    },
}

/// Why a marketplace call cannot be acted on.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("no such subscription")]
    UnknownSubscription,
    #[error("database unavailable")]
    Database,
}

impl From<sqlx::Error> for NoticeError {
    fn from(error: sqlx::Error) -> Self {
        tracing::error!(%error, "marketplace call");
        NoticeError::Database
    }
}

impl From<AppError> for NoticeError {
    fn from(error: AppError) -> Self {
        tracing::error!(?error, "marketplace call");
        NoticeError::Database
    }
}

/// What acting on a call did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub cloud_account: CloudAccountRow,
    /// The call was a repeat: nothing changed.
    pub repeat: bool,
    /// The page the buyer opens to link the subscription to their billing account.
    pub link_path: String,
}

/// Acts on a verified marketplace call, once.
pub async fn apply(state: &AppState, notice: &Notice) -> Result<Applied, NoticeError> {
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    let fresh = store::take_call(&mut tx, notice.cloud, &notice.call_key, &notice.action, now).await?;
    let mut queue = Vec::new();
    let row = if fresh {
        let row = changed(state, &mut tx, notice, now, &mut queue).await?;
        store::call_acted_on(&mut tx, notice.cloud, &notice.call_key, row.id).await?;
        row
    } else {
        // A repeat answers as the first call did: with the subscription that call acted on.
        let first = store::call_subject(&mut tx, notice.cloud, &notice.call_key).await?;
        let row = match first {
            Some(id) => store::cloud_account(&mut tx, id).await?,
            None => store::subscription(&mut tx, notice.cloud, &notice.subscription).await?,
        };
        row.ok_or(NoticeError::UnknownSubscription)?
    };
    tx.commit().await?;
    if let Err(error) = state.delivery.deliver(&state.db, &queue).await {
        tracing::warn!(%error, "cloud account notices queued; delivery is retried");
    }
    Ok(Applied {
        link_path: link_path(state.site_key_secret.expose(), row.id),
        cloud_account: row,
        repeat: !fresh,
    })
}

async fn changed(
    state: &AppState,
    conn: &mut AnyConnection,
    notice: &Notice,
    now: i64,
    queue: &mut Vec<Queued>,
) -> Result<CloudAccountRow, NoticeError> {
    let (status, expires_at) = match &notice.change {
        Change::Opened { cloud_account, product, status, expires_at, customer } => {
            let new = NewSubscription {
                customer_ref: customer.as_deref(),
                cloud: notice.cloud,
                subscription_ref: &notice.subscription,
                cloud_account_ref: cloud_account,
                product_code: product,
                status: *status,
                expires_at: *expires_at,
                now,
            };
            store::open(conn, &new).await?;
            // Known already (announced again under another call key): an opening says nothing
            // about its status now, so it changes nothing.
            let row = store::subscription(conn, notice.cloud, &notice.subscription).await?;
            return row.ok_or(NoticeError::UnknownSubscription);
        }
        Change::Status { status, expires_at } => (*status, *expires_at),
    };
    let row = store::subscription(conn, notice.cloud, &notice.subscription)
        .await?
        .ok_or(NoticeError::UnknownSubscription)?;
    let next = next_status(row.status, status);
    if next == row.status && expires_at.is_none() {
        return Ok(row);
    }
    if !store::set_status(conn, row.id, row.status, next, expires_at, now).await? {
        // Another call moved it between our read and write: ours was written in the same
        // write transaction, so this cannot happen; refuse rather than guess.
        return Err(NoticeError::Database);
    }
    if row.status.pays() && !next.pays() {
        let touched = settlement::subscription_stopped(conn, row.id, row.cloud, now).await?;
        queue.extend(notify(state, conn, &row, &touched, Stop::Stopped).await?);
    } else if !row.status.pays() && next.pays() {
        let touched = settlement::subscription_resumed(conn, row.id, row.cloud, now).await?;
        queue.extend(notify(state, conn, &row, &touched, Stop::Resumed).await?);
    }
    let row = store::cloud_account(conn, row.id).await?;
    row.ok_or(NoticeError::UnknownSubscription)
}

/// An ended subscription stays ended (a late renewal of a released instance revives nothing);
/// a failed one may still succeed.
fn next_status(now: CloudAccountStatus, said: CloudAccountStatus) -> CloudAccountStatus {
    match now {
        CloudAccountStatus::Ended => CloudAccountStatus::Ended,
        _ => said,
    }
}

#[derive(Clone, Copy)]
enum Stop {
    Stopped,
    Resumed,
}

/// Tells the account whose workspaces a subscription's change moved or locked.
async fn notify(
    state: &AppState,
    conn: &mut AnyConnection,
    row: &CloudAccountRow,
    touched: &[crate::workspaces::store::Touched],
    stop: Stop,
) -> Result<Vec<Queued>, sqlx::Error> {
    let Some(account) = row.billing_account_id else {
        return Ok(Vec::new());
    };
    if touched.is_empty() {
        return Ok(Vec::new());
    }
    let cloud = cloud_label(row.cloud);
    let brand = &state.config.brand_name;
    let count = touched.len();
    let who = &row.cloud_account_ref;
    let (subject, body) = match (stop, row.cloud) {
        (Stop::Stopped, Cloud::Aliyun) => (
            format!("{brand}: {cloud} subscription ended, workspaces now paid by the billing account"),
            format!(
                "The {cloud} Marketplace subscription of account {who} has ended. The {count} \
                 workspace(s) it paid for are now paid by your Billing Center account (vouchers, \
                 prepaid cards, then cash) from their next daily bill. Recharge if needed, or \
                 choose another settlement method in Workspace Management."
            ),
        ),
        (Stop::Stopped, _) => (
            format!("{brand}: {cloud} subscription ended, workspaces locked"),
            format!(
                "The {cloud} Marketplace subscription of account {who} has ended, so the {count} \
                 workspace(s) it paid for are locked and take in no new data. Subscribe again, or \
                 switch them to another settlement method in Workspace Management, to unlock them."
            ),
        ),
        (Stop::Resumed, _) => (
            format!("{brand}: {cloud} subscription running again"),
            format!(
                "The {cloud} Marketplace subscription of account {who} is running again; the \
                 {count} workspace(s) it locked are unlocked."
            ),
        ),
    };
    crate::team::service::queue_money_notice(state, conn, account, &subject, &body).await
}

/// The path of the page that links cloud account `id` to the billing account of whoever opens
/// it signed in. The token is a MAC of the id (nothing stored, the same every time the
/// marketplace asks again); it stops mattering once the subscription is linked.
pub fn link_path(server_secret: &str, id: i64) -> String {
    format!("/cloud-accounts/link?token={}", link_token(server_secret, id))
}

fn link_token(server_secret: &str, id: i64) -> String {
    let mac = signing::mac(server_secret.as_bytes(), &link_parts(&id.to_string()));
    format!("{id}.{}", hex::encode(&mac[..LINK_TAG]))
}

/// Bytes of the MAC a link carries.
const LINK_TAG: usize = 16;

fn link_parts(id: &str) -> [&[u8]; 2] {
    [b"cloud-link.", id.as_bytes()]
}

/// The cloud account a link token names, if the token is ours.
fn linked_by(server_secret: &str, token: &str) -> Option<i64> {
    let (id, tag) = token.trim().split_once('.')?;
    let number: i64 = id.parse().ok().filter(|id| *id > 0)?;
    let tag = hex::decode(tag).ok().filter(|tag| tag.len() == LINK_TAG)?;
    signing::verify_truncated(server_secret.as_bytes(), &link_parts(id), &tag).then_some(number)
}

async fn by_link(conn: &mut AnyConnection, server_secret: &str, token: &str) -> Result<CloudAccountRow, AppError> {
    let id = linked_by(server_secret, token).ok_or(AppError::field("token", Msg::CloudLinkInvalid))?;
    store::cloud_account(conn, id)
        .await?
        .ok_or(AppError::field("token", Msg::CloudLinkInvalid))
}

/// What a link would link, for the page that asks the user to confirm. Nothing changes.
pub async fn preview(state: &AppState, caller: &Caller, token: &str) -> Result<LinkPreview, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let row = by_link(&mut conn, state.site_key_secret.expose(), token).await?;
    if row.billing_account_id.is_some_and(|a| a != caller.account_id) {
        return Err(AppError::Rejected(Msg::CloudAccountLinkedElsewhere));
    }
    Ok(LinkPreview {
        cloud: row.cloud,
        cloud_account: row.cloud_account_ref,
        product_code: row.product_code,
        status: row.status,
        linked_here: row.billing_account_id == Some(caller.account_id),
    })
}

/// Links the cloud account of a link to the caller's billing account (once: a linked one is
/// not another account's to take). Returns its id.
pub async fn link(state: &AppState, caller: &Caller, token: &str, client: &Client) -> Result<i64, AppError> {
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    let row = by_link(&mut tx, state.site_key_secret.expose(), token).await?;
    if row.billing_account_id == Some(caller.account_id) {
        return Ok(row.id);
    }
    if !store::link(&mut tx, row.id, caller.account_id, now).await? {
        return Err(AppError::Rejected(Msg::CloudAccountLinkedElsewhere));
    }
    let detail = format!("{} · {}", cloud_label(row.cloud), row.cloud_account_ref);
    audit::record(&mut tx, &caller.audit(client), AuditAction::CloudAccountLinked, &detail, now).await?;
    tx.commit().await?;
    Ok(row.id)
}
