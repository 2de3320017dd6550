//! Screens of the accounts area.
mod change_address;
mod menu;
mod profile;
mod register;
mod reset;
mod security;
mod send_code;
mod sign_in;
mod tabs;

pub use change_address::ChangeAddressPage;
pub use menu::AccountMenu;
pub use profile::ProfilePage;
pub use register::{OptionalPassword, RegisterPage};
pub use reset::ResetPasswordPage;
pub use security::SecurityPage;
pub use sign_in::{SignInCodePage, SignInPage};
pub use tabs::AccountTabs;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The address a code was sent to, from the query string (`None` on the first step).
fn address_in_query() -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("address").filter(|a| !a.trim().is_empty()))
}
