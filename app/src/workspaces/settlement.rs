//! Choosing how a workspace is paid (spec section 4): the Billing Center account, or a cloud
//! account of the workspace's site's cloud (any cloud's, once an operator allows it). A method
//! changes at most once a calendar month in the site's billing zone and takes effect from the
//! next daily bill; moving from one cloud account to another needs the first cancelled. When a
//! cloud subscription ends, Alibaba Cloud's workspaces fall back to the Billing Center account;
//! AWS's and Huawei Cloud's lock until the subscription comes back or they are switched.
use super::model::{
    Cloud, LockReason, Settlement, SettlementChoice, SettlementPreview, WorkspaceEventKind,
};
use super::store::{self, CloudAccountFacts, NewEvent, SettlementMove, Touched, WorkspaceRow};
use crate::accounts::caller::Caller;
use crate::accounts::service::Client;
use crate::error::AppError;
use crate::messages::Msg;
use crate::state::AppState;
use crate::team::audit;
use crate::team::model::AuditAction;
use crate::time::Zone;
use sqlx::AnyConnection;

/// Where a workspace would move: the Billing Center account, or a cloud account (its id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    BillingCenter,
    CloudAccount(i64),
}

impl Target {
    /// A choice as the form sends it: "billing_center" or a cloud account's id.
    pub fn parse(text: &str) -> Option<Target> {
        match text.trim() {
            "billing_center" => Some(Target::BillingCenter),
            id => id.parse().ok().filter(|id| *id > 0).map(Target::CloudAccount),
        }
    }
}

/// What the rules look at.
pub struct Situation<'a> {
    pub account: i64,
    pub workspace: &'a WorkspaceRow,
    /// The cloud account paying now, when a cloud pays.
    pub current_cloud: Option<&'a CloudAccountFacts>,
    pub site_code: &'a str,
    pub site_cloud: Option<Cloud>,
    pub any_cloud: bool,
    pub zone: &'a Zone,
    pub now: i64,
}

impl Situation<'_> {
    /// Whether the current method can no longer pay (its subscription stopped): then the
    /// workspace may move whatever it did this month.
    fn stranded(&self) -> bool {
        self.workspace.lock_reason() == Some(LockReason::SubscriptionEnded)
            || self.current_cloud.is_some_and(|c| !c.status.pays())
    }
}

/// Why the workspace may not move to `target` (`None` for the Billing Center account) now.
pub fn refused(s: &Situation<'_>, target: Option<&CloudAccountFacts>) -> Option<Msg> {
    let current = s.current_cloud.map(|c| c.id);
    if target.map(|t| t.id) == current && (target.is_some() || s.workspace.settlement == Settlement::BillingCenter) {
        return Some(Msg::SettlementUnchanged);
    }
    if let Some(target) = target {
        if target.billing_account_id != Some(s.account) || target.status != super::model::CloudAccountStatus::Active {
            return Some(Msg::CloudAccountNotActive);
        }
        if !s.any_cloud && s.site_cloud != Some(target.cloud) {
            return Some(Msg::CloudAccountWrongCloud { site: s.site_code.to_string() });
        }
        // A cloud account still running must be cancelled before another cloud's pays, so one
        // workspace is never billed by two marketplaces.
        if s.current_cloud.is_some_and(|c| matches!(c.status, super::model::CloudAccountStatus::Active | super::model::CloudAccountStatus::Pending)) {
            return Some(Msg::CancelCloudAccountFirst);
        }
    }
    if !s.stranded() {
        if let Some(changed) = s.workspace.settlement_changed_at {
            if s.zone.same_month(changed, s.now) {
                let next = s.zone.next_month_start(s.now).unwrap_or(s.now);
                return Some(Msg::SettlementOncePerMonth { day: s.zone.date(next) });
            }
        }
    }
    None
}

/// Everything the rules need about one of the account's workspaces, read in `conn`.
struct Facts {
    workspace: WorkspaceRow,
    current_cloud: Option<CloudAccountFacts>,
    linked: Vec<CloudAccountFacts>,
    site_cloud: Option<Cloud>,
    zone: Zone,
    any_cloud: bool,
}

async fn facts(conn: &mut AnyConnection, account: i64, id: i64) -> Result<Facts, AppError> {
    let workspace = store::workspace_of(conn, account, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let site = store::site(conn, &workspace.site_code)
        .await?
        .ok_or(AppError::NotFound)?;
    let current_cloud = match workspace.cloud_account_id {
        Some(cloud) if workspace.settlement == Settlement::Cloud => {
            store::cloud_account_facts(conn, cloud).await?
        }
        _ => None,
    };
    Ok(Facts {
        linked: store::cloud_accounts_of(conn, account).await?,
        any_cloud: store::any_cloud(conn, account).await?,
        site_cloud: site.cloud(),
        zone: Zone::named(&site.time_zone).unwrap_or_else(|_| Zone::utc()),
        current_cloud,
        workspace,
    })
}

impl Facts {
    fn situation(&self, account: i64, now: i64) -> Situation<'_> {
        Situation {
            account,
            workspace: &self.workspace,
            current_cloud: self.current_cloud.as_ref(),
            site_code: &self.workspace.site_code,
            site_cloud: self.site_cloud,
            any_cloud: self.any_cloud,
            zone: &self.zone,
            now,
        }
    }
}

fn choice(target: Option<&CloudAccountFacts>, refused: Option<Msg>) -> SettlementChoice {
    SettlementChoice {
        value: target.map_or_else(|| "billing_center".to_string(), |t| t.id.to_string()),
        settlement: if target.is_some() { Settlement::Cloud } else { Settlement::BillingCenter },
        cloud: target.map(|t| t.cloud),
        cloud_account: target.map(|t| t.cloud_account_ref.clone()).unwrap_or_default(),
        refused,
    }
}

/// The workspace's settlement method and what it may move to, for the page that confirms a
/// change. Nothing changes.
pub async fn preview(state: &AppState, account: i64, id: i64) -> Result<SettlementPreview, AppError> {
    let now = state.clock.now();
    let mut conn = state.db.pool().acquire().await?;
    let facts = facts(&mut conn, account, id).await?;
    let s = facts.situation(account, now);
    let mut choices = Vec::new();
    if facts.workspace.settlement != Settlement::BillingCenter {
        choices.push(choice(None, refused(&s, None)));
    }
    for cloud in &facts.linked {
        if Some(cloud.id) != s.current_cloud.map(|c| c.id) && (s.any_cloud || s.site_cloud == Some(cloud.cloud)) {
            choices.push(choice(Some(cloud), refused(&s, Some(cloud))));
        }
    }
    let refused = match choices.iter().all(|c| c.refused.is_some()) {
        true => choices.iter().find_map(|c| c.refused.clone()).or(Some(Msg::NoOtherSettlement)),
        false => None,
    };
    Ok(SettlementPreview {
        workspace_id: facts.workspace.id,
        workspace_name: facts.workspace.name.clone(),
        current: choice(s.current_cloud, None),
        choices,
        effective_day: facts.zone.date(now),
        zone: facts.zone.name().to_string(),
        refused,
    })
}

/// Moves one of the caller's workspaces to `target`, in one transaction with its history, the
/// audit log and the site's webhook. A lock its old method caused is lifted; moved to the
/// Billing Center account while the account is locked for arrears, it locks.
pub async fn change(
    state: &AppState,
    caller: &Caller,
    id: i64,
    target: Target,
    client: &Client,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let account = caller.account_id;
    let mut tx = state.db.begin_write().await?;
    let facts = facts(&mut tx, account, id).await?;
    let wanted = match target {
        Target::BillingCenter => None,
        Target::CloudAccount(cloud) => Some(
            facts
                .linked
                .iter()
                .find(|c| c.id == cloud)
                .ok_or_else(|| AppError::field("to", Msg::CloudAccountNotActive))?,
        ),
    };
    if let Some(target) = wanted {
        if !store::hold_active_cloud_account(&mut tx, target.id, account).await? {
            return Err(AppError::field("to", Msg::CloudAccountNotActive));
        }
    }
    let s = facts.situation(account, now);
    if let Some(reason) = refused(&s, wanted) {
        return Err(AppError::field("to", reason));
    }
    let moved = store::move_settlement(
        &mut tx,
        &SettlementMove {
            workspace: &facts.workspace,
            settlement: if wanted.is_some() { Settlement::Cloud } else { Settlement::BillingCenter },
            cloud_account_id: wanted.map(|c| c.id),
            now,
        },
    )
    .await?;
    if !moved {
        return Err(AppError::Busy);
    }
    let detail = format!("{} → {}", describe(s.current_cloud), describe(wanted));
    record(&mut tx, caller, client, id, &detail, now).await?;
    let lifted = match wanted {
        Some(_) => [LockReason::SubscriptionEnded, LockReason::Arrears].as_slice(),
        None => [LockReason::SubscriptionEnded].as_slice(),
    };
    for reason in lifted {
        if store::lift_lock(&mut tx, id, *reason).await? {
            history(&mut tx, &[Touched { id, billing_account_id: account }], WorkspaceEventKind::Unlocked, "paid another way", now).await?;
        }
    }
    if wanted.is_none() {
        super::arrears::lock_if_account_locked(&mut tx, account, id, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A settlement method as the history writes it (English: the history is a record).
fn describe(cloud: Option<&CloudAccountFacts>) -> String {
    match cloud {
        None => "Billing Center account".to_string(),
        Some(c) => format!("{} account {}", cloud_label(c.cloud), c.cloud_account_ref),
    }
}

pub fn cloud_label(cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Aliyun => "Alibaba Cloud",
        Cloud::Aws => "AWS",
        Cloud::Huawei => "Huawei Cloud",
    }
}

async fn record(
    conn: &mut AnyConnection,
    caller: &Caller,
    client: &Client,
    workspace: i64,
    detail: &str,
    now: i64,
) -> Result<(), AppError> {
    let kind = WorkspaceEventKind::SettlementChanged;
    let event = NewEvent { workspace, account: Some(caller.account_id), kind, detail, actor: &caller.who, now };
    store::insert_event(conn, &event).await?;
    audit::record(conn, &caller.audit(client), AuditAction::WorkspaceSettlementChanged, detail, now).await?;
    super::webhooks::enqueue(conn, workspace, kind, now).await?;
    Ok(())
}

/// History lines (and webhook events) for workspaces a cloud account's change touched.
async fn history(
    conn: &mut AnyConnection,
    touched: &[Touched],
    kind: WorkspaceEventKind,
    detail: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    for one in touched {
        let event = NewEvent { workspace: one.id, account: Some(one.billing_account_id), kind, detail, actor: ACTOR, now };
        store::insert_event(conn, &event).await?;
        super::webhooks::enqueue(conn, one.id, kind, now).await?;
    }
    Ok(())
}

/// Who the history names for what a marketplace's call did.
const ACTOR: &str = "system:marketplace";

/// A cloud account's subscription stopped paying (ended, frozen, expired): its workspaces fall
/// back to the Billing Center account (Alibaba Cloud) or lock (AWS, Huawei Cloud). Returns the
/// workspaces touched, in the caller's transaction.
pub async fn subscription_stopped(
    conn: &mut AnyConnection,
    cloud_account: i64,
    cloud: Cloud,
    now: i64,
) -> Result<Vec<Touched>, AppError> {
    if cloud == Cloud::Aliyun {
        let moved = store::fall_back_to_billing_center(conn, cloud_account).await?;
        let detail = "Alibaba Cloud subscription ended → Billing Center account";
        history(conn, &moved, WorkspaceEventKind::SettlementChanged, detail, now).await?;
        for one in &moved {
            super::arrears::lock_if_account_locked(conn, one.billing_account_id, one.id, now).await?;
        }
        return Ok(moved);
    }
    let locked = store::lock_paid_by_cloud_account(conn, cloud_account, now).await?;
    let detail = format!("{} subscription ended", cloud_label(cloud));
    history(conn, &locked, WorkspaceEventKind::Locked, &detail, now).await?;
    Ok(locked)
}

/// A workspace whose lock was lifted by hand locks again if its method cannot pay now: its
/// cloud subscription stopped, or the Billing Center account's workspaces are locked for arrears.
pub async fn lock_if_unpaid(
    conn: &mut AnyConnection,
    account: i64,
    id: i64,
    now: i64,
) -> Result<(), AppError> {
    let Some(workspace) = store::workspace_of(conn, account, id).await? else {
        return Ok(());
    };
    let cloud = match (workspace.settlement, workspace.cloud_account_id) {
        (Settlement::Cloud, Some(cloud)) => store::cloud_account_facts(conn, cloud).await?,
        _ => return super::arrears::lock_if_account_locked(conn, account, id, now).await,
    };
    let stopped = cloud.as_ref().is_none_or(|c| !c.status.pays());
    if stopped && store::set_lock(conn, account, id, Some(LockReason::SubscriptionEnded), now).await? {
        let touched = [Touched { id, billing_account_id: account }];
        let detail = match cloud {
            Some(c) => format!("{} subscription ended", cloud_label(c.cloud)),
            None => "cloud subscription ended".to_string(),
        };
        history(conn, &touched, WorkspaceEventKind::Locked, &detail, now).await?;
    }
    Ok(())
}

/// A cloud account's subscription pays again (renewed, unfrozen): workspaces it locked unlock.
pub async fn subscription_resumed(
    conn: &mut AnyConnection,
    cloud_account: i64,
    cloud: Cloud,
    now: i64,
) -> Result<Vec<Touched>, AppError> {
    let unlocked = store::unlock_paid_by_cloud_account(conn, cloud_account).await?;
    let detail = format!("{} subscription running again", cloud_label(cloud));
    history(conn, &unlocked, WorkspaceEventKind::Unlocked, &detail, now).await?;
    Ok(unlocked)
}
