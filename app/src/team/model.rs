//! Who may do what in a billing account: the four roles, the permissions the areas ask for,
//! and the one table that joins them. Pages read it to hide what a role cannot do; the server
//! checks it (`Caller::may`) whatever the page showed.
use crate::messages::Msg;
use crate::time::Stamp;
use serde::{Deserialize, Serialize};

/// A member's role in one billing account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including members, the company profile, real-name verification and
    /// cancelling the account.
    Owner,
    /// Money: recharge, vouchers, prepaid cards, bills, invoices, tickets.
    Finance,
    /// Workspaces, settlement methods, alerts, tickets.
    Operations,
    /// Reads everything, changes nothing.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Finance, Role::Operations, Role::Viewer];

    pub fn code(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Finance => "finance",
            Role::Operations => "operations",
            Role::Viewer => "viewer",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.code() == code)
    }

    /// Whether this role may do what `permission` covers: the permission table.
    pub fn may(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Finance => matches!(permission, Read | Recharge | Invoices | Tickets),
            Role::Operations => {
                matches!(
                    permission,
                    Read | Workspaces | Settlement | Alerts | Tickets
                )
            }
            Role::Viewer => permission == Read,
        }
    }

    /// Money and arrears notices go to the members who handle money.
    pub fn receives_money_notices(self) -> bool {
        self.may(Permission::Recharge)
    }

    pub fn label(self) -> Msg {
        match self {
            Role::Owner => Msg::RoleOwner,
            Role::Finance => Msg::RoleFinance,
            Role::Operations => Msg::RoleOperations,
            Role::Viewer => Msg::RoleViewer,
        }
    }
}

impl TryFrom<String> for Role {
    type Error = String;

    fn try_from(code: String) -> Result<Self, String> {
        Role::from_code(&code).ok_or_else(|| format!("no role {code:?}"))
    }
}

impl std::str::FromStr for Role {
    type Err = Msg;

    fn from_str(code: &str) -> Result<Self, Msg> {
        Role::from_code(code.trim()).ok_or(Msg::UnknownRole)
    }
}

/// What an action in a billing account needs. Every server function and plain route of an
/// account names one; the README shows the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read the account's pages, lists and exports.
    Read,
    /// Recharge, buy prepaid cards, activate vouchers.
    Recharge,
    /// Invite, change roles, remove members, transfer ownership.
    Members,
    /// Edit the company profile.
    CompanyProfile,
    /// Submit real-name verification.
    RealName,
    /// Request cancellation of the account.
    Cancellation,
    /// Request invoices, keep invoice information and mailing addresses.
    Invoices,
    /// Bind and unbind workspaces.
    Workspaces,
    /// Choose settlement methods, keep cloud-marketplace accounts.
    Settlement,
    /// Keep consumption and balance alerts.
    Alerts,
    /// Open and answer support tickets.
    Tickets,
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Permission::Read,
        Permission::Recharge,
        Permission::Members,
        Permission::CompanyProfile,
        Permission::RealName,
        Permission::Cancellation,
        Permission::Invoices,
        Permission::Workspaces,
        Permission::Settlement,
        Permission::Alerts,
        Permission::Tickets,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Recharge => "recharge",
            Permission::Members => "members",
            Permission::CompanyProfile => "company_profile",
            Permission::RealName => "real_name",
            Permission::Cancellation => "cancellation",
            Permission::Invoices => "invoices",
            Permission::Workspaces => "workspaces",
            Permission::Settlement => "settlement",
            Permission::Alerts => "alerts",
            Permission::Tickets => "tickets",
        }
    }
}

/// One billing account a user belongs to, for the account switcher.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Membership {
    pub account_id: i64,
    pub company_name: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub role: Role,
}

/// A member of the active billing account, on the Members page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: i64,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: Role,
    pub joined_at: Stamp,
    pub is_you: bool,
}

/// An invitation not yet accepted, on the Members page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvitation {
    pub id: i64,
    pub address: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: Stamp,
}

/// Members page: the people, the open invitations, and whether the caller may change them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub members: Vec<Member>,
    pub invitations: Vec<PendingInvitation>,
    pub can_manage: bool,
}

/// What the invitation page shows before the invitee accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub company_name: String,
    pub role: Role,
    pub address: String,
    /// The signed-in user may accept it (their email or phone is the invited address).
    pub yours: bool,
    pub signed_in: bool,
}

/// An action in the audit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    RechargeOrdered,
    RechargePaid,
    CardBought,
    VoucherActivated,
    MemberInvited,
    InvitationRevoked,
    MemberJoined,
    RoleChanged,
    MemberRemoved,
    OwnershipTransferred,
    ProfileUpdated,
    OperatorTransfer,
    OperatorVoucher,
    OperatorCard,
    WorkspaceBound,
    WorkspaceUnbound,
    OperatorWorkspaceLocked,
    OperatorWorkspaceUnlocked,
    WorkspaceSettlementChanged,
    CloudAccountLinked,
    OperatorAnyCloud,
}

impl AuditAction {
    pub const ALL: [AuditAction; 21] = [
        AuditAction::RechargeOrdered,
        AuditAction::RechargePaid,
        AuditAction::CardBought,
        AuditAction::VoucherActivated,
        AuditAction::MemberInvited,
        AuditAction::InvitationRevoked,
        AuditAction::MemberJoined,
        AuditAction::RoleChanged,
        AuditAction::MemberRemoved,
        AuditAction::OwnershipTransferred,
        AuditAction::ProfileUpdated,
        AuditAction::OperatorTransfer,
        AuditAction::OperatorVoucher,
        AuditAction::OperatorCard,
        AuditAction::WorkspaceBound,
        AuditAction::WorkspaceUnbound,
        AuditAction::OperatorWorkspaceLocked,
        AuditAction::OperatorWorkspaceUnlocked,
        AuditAction::WorkspaceSettlementChanged,
        AuditAction::CloudAccountLinked,
        AuditAction::OperatorAnyCloud,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AuditAction::RechargeOrdered => "recharge_ordered",
            AuditAction::RechargePaid => "recharge_paid",
            AuditAction::CardBought => "card_bought",
            AuditAction::VoucherActivated => "voucher_activated",
            AuditAction::MemberInvited => "member_invited",
            AuditAction::InvitationRevoked => "invitation_revoked",
            AuditAction::MemberJoined => "member_joined",
            AuditAction::RoleChanged => "role_changed",
            AuditAction::MemberRemoved => "member_removed",
            AuditAction::OwnershipTransferred => "ownership_transferred",
            AuditAction::ProfileUpdated => "profile_updated",
            AuditAction::OperatorTransfer => "operator_transfer",
            AuditAction::OperatorVoucher => "operator_voucher",
            AuditAction::OperatorCard => "operator_card",
            AuditAction::WorkspaceBound => "workspace_bound",
            AuditAction::WorkspaceUnbound => "workspace_unbound",
            AuditAction::OperatorWorkspaceLocked => "operator_workspace_locked",
            AuditAction::OperatorWorkspaceUnlocked => "operator_workspace_unlocked",
            AuditAction::WorkspaceSettlementChanged => "workspace_settlement_changed",
            AuditAction::CloudAccountLinked => "cloud_account_linked",
            AuditAction::OperatorAnyCloud => "operator_any_cloud",
        }
    }

    pub fn from_code(code: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.code() == code)
    }
}

impl TryFrom<String> for AuditAction {
    type Error = String;

    fn try_from(code: String) -> Result<Self, String> {
        AuditAction::from_code(&code).ok_or_else(|| format!("no audit action {code:?}"))
    }
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Stamp,
    pub actor: String,
    pub by_operator: bool,
    pub action: AuditAction,
    pub detail: String,
    pub client_addr: String,
}

/// The audit log's filters and place as the address bar holds them: person (a user id),
/// action code, dates "YYYY-MM-DD" (both days included), and the cursor.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    pub person: String,
    pub action: String,
    pub from: String,
    pub to: String,
    #[serde(
        deserialize_with = "crate::ui::list::lenient_cursor",
        skip_serializing_if = "Option::is_none"
    )]
    pub before: Option<i64>,
}

crate::list_query!(AuditQuery, path: "/account/audit-log", export: "/export/audit-log.csv");

/// Audit log entries per page.
pub const AUDIT_PER_PAGE: i64 = 50;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_may_everything_viewers_only_read() {
        for permission in Permission::ALL {
            assert!(Role::Owner.may(permission));
            assert_eq!(Role::Viewer.may(permission), permission == Permission::Read);
        }
        assert!(Role::Finance.may(Permission::Recharge));
        assert!(!Role::Finance.may(Permission::Members));
        assert!(!Role::Finance.may(Permission::CompanyProfile));
        assert!(!Role::Finance.may(Permission::Workspaces));
        assert!(Role::Operations.may(Permission::Workspaces));
        assert!(!Role::Operations.may(Permission::Recharge));
    }

    #[test]
    fn codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
        }
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::from_code(action.code()), Some(action));
        }
        assert_eq!("admin".parse::<Role>(), Err(Msg::UnknownRole));
    }
}
