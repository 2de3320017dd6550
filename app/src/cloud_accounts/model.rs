pub use crate::workspaces::model::{Cloud, CloudAccountStatus};
use serde::{Deserialize, Serialize};

/// A cloud account on Account > Cloud accounts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudAccountView {
    pub id: i64,
    pub cloud: Cloud,
    /// The buyer's account on that cloud (AWS account id, Alibaba Cloud UID, Huawei Cloud id).
    pub cloud_account: String,
    pub product_code: String,
    pub status: CloudAccountStatus,
    pub expires_at: Option<crate::time::Stamp>,
    pub linked_at: Option<crate::time::Stamp>,
    /// The names of the workspaces it pays for.
    pub workspaces: Vec<String>,
}

/// What a cloud account's link would link, shown before the user confirms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkPreview {
    pub cloud: Cloud,
    pub cloud_account: String,
    pub product_code: String,
    pub status: CloudAccountStatus,
    /// Linked to the caller's billing account already.
    pub linked_here: bool,
}
