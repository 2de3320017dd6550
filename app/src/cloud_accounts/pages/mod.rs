//! The screens of cloud accounts: Account > Cloud accounts, the page a marketplace sends the
//! buyer to (linking the subscription), and the development marketplace simulator.
mod link;
mod list;
mod simulator;

pub use link::CloudLinkPage;
pub use list::{CloudAccountTable, CloudAccountsPage};
pub use simulator::MarketplaceSimulatorPage;

use super::model::{Cloud, CloudAccountStatus};
use crate::i18n::*;

pub fn cloud_name(locale: Locale, cloud: Cloud) -> &'static str {
    match cloud {
        Cloud::Aliyun => td_string!(locale, cloud_aliyun),
        Cloud::Aws => td_string!(locale, cloud_aws),
        Cloud::Huawei => td_string!(locale, cloud_huawei),
    }
}

pub fn status_name(locale: Locale, status: CloudAccountStatus) -> &'static str {
    match status {
        CloudAccountStatus::Pending => td_string!(locale, cloud_status_pending),
        CloudAccountStatus::Active => td_string!(locale, cloud_status_active),
        CloudAccountStatus::Ending => td_string!(locale, cloud_status_ending),
        CloudAccountStatus::Suspended => td_string!(locale, cloud_status_suspended),
        CloudAccountStatus::Ended => td_string!(locale, cloud_status_ended),
        CloudAccountStatus::Failed => td_string!(locale, cloud_status_failed),
    }
}
