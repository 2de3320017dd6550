//! What the operator console shows.
use crate::funds::model::{Balances, Movement, PrepaidCardView, VoucherView};
use serde::{Deserialize, Serialize};

/// A customer's account in the search results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AccountMatch {
    pub id: i64,
    pub company_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub site_code: String,
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub currency: crate::money::Currency,
}

/// The operator's account search and its place: `q` matches an id, email, phone or company
/// name (all accounts when empty); `before` an account id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountQuery {
    pub q: String,
    #[serde(
        deserialize_with = "crate::ui::list::lenient_cursor",
        skip_serializing_if = "Option::is_none"
    )]
    pub before: Option<i64>,
}

crate::list_query!(AccountQuery, path: "/operator", export: "/operator/accounts.csv");

/// Accounts per page of the search.
pub const ACCOUNTS_PER_PAGE: i64 = 50;

/// One customer's account as an operator sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorAccountView {
    pub account: AccountMatch,
    pub balances: Balances,
    /// The newest vouchers and cards (a page of each); `more_*` when there are older ones.
    pub vouchers: Vec<VoucherView>,
    pub more_vouchers: bool,
    pub cards: Vec<PrepaidCardView>,
    pub more_cards: bool,
    /// The latest movements, newest first.
    pub movements: Vec<Movement>,
    /// Who belongs to the account, with their roles.
    pub members: Vec<crate::team::model::Member>,
    /// Its workspaces (the newest page).
    pub workspaces: Vec<crate::workspaces::model::WorkspaceView>,
    /// Its cloud accounts, and whether any cloud's account may pay for any of its workspaces.
    pub cloud_accounts: Vec<crate::cloud_accounts::model::CloudAccountView>,
    pub any_cloud: bool,
}
