use crate::i18n::*;
use leptos::prelude::*;
use leptos_router::components::A;

/// The pages of the Account area.
#[component]
pub fn AccountTabs() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="tabs" aria-label=move || t_string!(i18n, nav_account)>
            <A href="/account" exact=true>{t!(i18n, profile_title)}</A>
            <A href="/account/members">{t!(i18n, members_title)}</A>
            <A href="/account/cloud-accounts">{t!(i18n, cloud_accounts_title)}</A>
            <A href="/account/audit-log">{t!(i18n, audit_title)}</A>
            <A href="/account/security">{t!(i18n, security_title)}</A>
        </nav>
    }
}
