//! What the operator console shows.
use crate::funds::model::{Balances, Movement, PrepaidCardView, VoucherView};
use serde::{Deserialize, Serialize};

/// A customer's account in the search results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountMatch {
    pub id: i64,
    pub company_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub site_code: String,
    pub currency: String,
}

/// One customer's account as an operator sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorAccountView {
    pub account: AccountMatch,
    pub balances: Balances,
    pub vouchers: Vec<VoucherView>,
    pub cards: Vec<PrepaidCardView>,
    /// The latest movements, newest first.
    pub movements: Vec<Movement>,
}
