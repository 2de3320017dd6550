//! Screens of the operator console.
mod account;
mod codes;
mod search;

pub use account::OperatorAccountPage;
pub use codes::VoucherCodesPage;
pub use search::OperatorPage;

use crate::i18n::*;
use leptos::prelude::*;

/// The console's own tabs.
#[component]
pub fn OperatorNav() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="tabs" aria-label="Operator console">
            <a href="/operator">{t!(i18n, operator_accounts)}</a>
            <a href="/operator/voucher-codes">{t!(i18n, operator_codes)}</a>
            <a href="/operator/prices">{t!(i18n, prices_title)}</a>
        </nav>
    }
}
