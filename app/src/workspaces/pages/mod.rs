//! The screens of Workspace Management.
mod bind;
mod detail;
mod list;
mod settlement;
mod simulator;

pub use bind::BindLinkPage;
pub use detail::WorkspaceDetailPage;
pub use list::WorkspacesPage;
pub use settlement::SettlementPage;
pub use simulator::SiteSimulatorPage;

use super::model::{Settlement, WorkspaceState};
use crate::i18n::*;

pub fn state_name(locale: Locale, state: WorkspaceState) -> &'static str {
    match state {
        WorkspaceState::Normal => td_string!(locale, workspace_state_normal),
        WorkspaceState::InArrears => td_string!(locale, workspace_state_in_arrears),
        WorkspaceState::Locked => td_string!(locale, workspace_state_locked),
    }
}

pub fn settlement_name(locale: Locale, settlement: Settlement) -> &'static str {
    match settlement {
        Settlement::BillingCenter => td_string!(locale, settlement_billing_center),
        Settlement::Cloud => td_string!(locale, settlement_cloud),
    }
}
