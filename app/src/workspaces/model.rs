use crate::money::Currency;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

crate::coded_enum! {
    /// The cloud whose marketplace can settle a workspace's bills (spec section 4).
    pub enum Cloud {
        Aliyun => "aliyun",
        Aws => "aws",
        Huawei => "huawei",
    }
}

impl FromStr for Cloud {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cloud::from_code(s).ok_or(())
    }
}

crate::coded_enum! {
    /// Where a cloud-marketplace subscription stands.
    pub enum CloudAccountStatus {
        /// Known to us, not yet confirmed by the marketplace (AWS: before subscribe-success).
        Pending => "pending",
        /// Running: it may pay for workspaces.
        Active => "active",
        /// Cancelled, not yet over (AWS: unsubscribe-pending). It pays until it ends, but no
        /// workspace may move onto it.
        Ending => "ending",
        /// Frozen by the marketplace (Huawei Cloud), or expired and not renewed (Alibaba Cloud).
        /// It may come back.
        Suspended => "suspended",
        /// Over for good (unsubscribed, released).
        Ended => "ended",
        /// The marketplace could not complete it (AWS: subscribe-fail).
        Failed => "failed",
    }
}

impl CloudAccountStatus {
    /// Whether workspaces it pays for may take in data.
    pub fn pays(self) -> bool {
        matches!(
            self,
            CloudAccountStatus::Active | CloudAccountStatus::Ending
        )
    }
}

/// A deployment of the observability product that workspaces live on. Sites are data (a
/// migration seeds the known ones), so a new site needs no code change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// "CN1", "US1", ...
    pub code: String,
    /// Where it runs, in English ("Hangzhou").
    pub location: String,
    /// The cloud the site runs on, whose marketplace may settle its workspaces.
    pub cloud: Option<Cloud>,
    /// Domestic sites settle in CNY, international ones in USD.
    pub currency: Currency,
    /// The IANA zone its billing days and months are counted in.
    pub time_zone: String,
}

crate::coded_enum! {
    /// How a workspace's daily bills are paid (spec section 4): from the billing account's
    /// vouchers, cards and cash, or through a cloud-marketplace account.
    pub enum Settlement {
        BillingCenter => "billing_center",
        Cloud => "cloud",
    }
}

crate::coded_enum! {
    /// A workspace's state as Workspace Management shows it. In arrears: the account owes and
    /// the settlement period runs; Locked: the site accepts no new data.
    pub enum WorkspaceState {
        Normal => "normal",
        InArrears => "in_arrears",
        Locked => "locked",
    }
}

crate::coded_enum! {
    /// Why a workspace is locked.
    pub enum LockReason {
        /// The settlement period of the account's arrears ended unpaid.
        Arrears => "arrears",
        /// The cloud subscription that paid for it ended.
        SubscriptionEnded => "subscription_ended",
        /// An operator locked it by hand.
        Operator => "operator",
    }
}

crate::coded_enum! {
    /// A line of a workspace's history.
    pub enum WorkspaceEventKind {
        Bound => "bound",
        Unbound => "unbound",
        SettlementChanged => "settlement_changed",
        Locked => "locked",
        Unlocked => "unlocked",
    }
}

/// A bound workspace as Workspace Management lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceView {
    /// Our row id: the detail page's address.
    pub id: i64,
    /// The workspace ID the site gave it.
    pub workspace_uuid: String,
    pub name: String,
    pub site_code: String,
    pub settlement: Settlement,
    pub state: WorkspaceState,
    /// This month's cost so far, formatted in the account's currency.
    pub month_cost: String,
    pub bound_at: crate::time::Stamp,
}

/// One line of a workspace's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceEventView {
    pub at: crate::time::Stamp,
    pub kind: WorkspaceEventKind,
    pub detail: String,
    pub actor: String,
}

/// A workspace's detail page: the workspace, why it is locked, its history, and whether it
/// may be unbound now (and if not, why).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceDetail {
    pub workspace: WorkspaceView,
    pub lock_reason: Option<LockReason>,
    pub events: Vec<WorkspaceEventView>,
    pub unbind_refused: Option<crate::messages::Msg>,
}

/// What a bind link would bind, shown before the user confirms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindPreview {
    pub site_code: String,
    pub workspace_uuid: String,
    pub name: String,
    pub expires_at: crate::time::Stamp,
}

/// Workspace Management's filters and place: site code, state code, a word of the name or ID.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkspaceQuery {
    pub site: String,
    pub state: String,
    pub q: String,
    #[serde(
        deserialize_with = "crate::ui::list::lenient_cursor",
        skip_serializing_if = "Option::is_none"
    )]
    pub before: Option<i64>,
}

crate::list_query!(WorkspaceQuery, path: "/workspaces", export: "/export/workspaces.csv");

/// Workspaces per page.
pub const WORKSPACES_PER_PAGE: i64 = 50;

/// While the account is in arrears: when the workspaces it pays lock (or that they are locked).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrearsLock {
    pub lock_at: crate::time::Stamp,
    pub locked: bool,
}

/// What changing a workspace's settlement method would do, shown before the user confirms:
/// who pays from then on, in which order, who invoices, and from when; or why it may not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementPreview {
    pub workspace_id: i64,
    pub workspace_name: String,
    pub current: SettlementChoice,
    /// The methods the workspace may move to now (its current one excluded).
    pub choices: Vec<SettlementChoice>,
    /// The day (in the site's billing zone) whose daily bill is the first paid the new way.
    pub effective_day: String,
    /// The site's billing zone.
    pub zone: String,
    /// Why no change is possible now, if it is not.
    pub refused: Option<crate::messages::Msg>,
}

/// A way a workspace may be paid: the Billing Center account, or one cloud account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementChoice {
    /// "billing_center", or the cloud account's id.
    pub value: String,
    pub settlement: Settlement,
    /// The cloud account (its cloud and the buyer's account there), when one pays.
    pub cloud: Option<Cloud>,
    pub cloud_account: String,
    /// Why this one may not be chosen, if it may not.
    pub refused: Option<crate::messages::Msg>,
}
