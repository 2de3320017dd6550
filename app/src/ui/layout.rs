use crate::accounts::pages::AccountMenu;
use crate::app::SiteInfo;
use crate::i18n::*;
use crate::preferences::LanguageSwitch;
use leptos::prelude::*;
use leptos_router::components::A;

/// The page frame: header with the brand and account controls, the area navigation, content.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let i18n = use_i18n();
    let site = use_context::<SiteInfo>().unwrap_or_default();
    view! {
        <a class="skip-link" href="#content">{t!(i18n, skip_to_content)}</a>
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-name">{site.brand_name}</span>
                <span class="brand-tagline">{t!(i18n, brand_tagline)}</span>
            </a>
            <div class="header-tools">
                <AccountMenu />
                <LanguageSwitch />
            </div>
        </header>
        <div class="frame">
            <AreaNav />
            <main id="content" class="content">{children()}</main>
        </div>
        <footer class="site-footer">
            <p class="muted">{t!(i18n, footer_note)}</p>
        </footer>
    }
}

/// Navigation between billing areas. An area appears here only once it does something real.
#[component]
fn AreaNav() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="area-nav" aria-label=move || t_string!(i18n, nav_main)>
            <ul>
                <li>
                    <A href="/" exact=true>{t!(i18n, nav_overview)}</A>
                </li>
                <li>
                    <A href="/workspaces">{t!(i18n, nav_workspaces)}</A>
                </li>
                <li>
                    <A href="/bills/consumption">{t!(i18n, nav_consumption)}</A>
                </li>
                <li>
                    <A href="/recharge">{t!(i18n, nav_recharge)}</A>
                </li>
                <li>
                    <A href="/vouchers">{t!(i18n, nav_vouchers)}</A>
                </li>
                <li>
                    <A href="/prepaid-cards">{t!(i18n, nav_cards)}</A>
                </li>
                <li>
                    <A href="/income-expenditure">{t!(i18n, nav_movements)}</A>
                </li>
                <li>
                    <A href="/account">{t!(i18n, nav_account)}</A>
                </li>
            </ul>
        </nav>
    }
}
