//! The document shell, the root component and the route table.
use crate::accounts::pages::{
    ChangeAddressPage, ProfilePage, RegisterPage, ResetPasswordPage, SecurityPage, SignInCodePage,
    SignInPage,
};
use crate::funds::pages::{
    IncomeExpenditurePage, PrepaidCardsPage, RechargePage, SandboxCheckoutPage, VouchersPage,
};
use crate::i18n::I18nContextProvider;
use crate::operators::pages::{OperatorAccountPage, OperatorPage, VoucherCodesPage};
use crate::outbox::OutboxPage;
use crate::overview::OverviewPage;
use crate::preferences::locale_options;
use crate::ui::{Layout, NotFoundPage};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// Facts about this installation that every page shows (from configuration, spec section 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteInfo {
    pub brand_name: String,
}

impl Default for SiteInfo {
    fn default() -> Self {
        Self {
            brand_name: "Billing Center".to_string(),
        }
    }
}

/// The name of the `<meta>` tag that carries the brand name to the browser, so that hydration
/// renders the same header the server did without a round trip.
pub const BRAND_META: &str = "application-name";

impl SiteInfo {
    /// Reads what the server wrote into the page head.
    #[cfg(feature = "hydrate")]
    pub fn from_document() -> Self {
        let brand = document()
            .query_selector(&format!("meta[name=\"{BRAND_META}\"]"))
            .ok()
            .flatten()
            .and_then(|meta| meta.get_attribute("content"));
        brand
            .map(|brand_name| Self { brand_name })
            .unwrap_or_default()
    }
}

/// The whole HTML document, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let site = use_context::<SiteInfo>().unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name=BRAND_META content=site.brand_name />
                <meta name="format-detection" content="telephone=no" />
                <AutoReload options=options.clone() />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The root component: language, layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "ssr")]
    crate::preferences::provide_server_language();
    let site = use_context::<SiteInfo>().unwrap_or_default();
    view! {
        <I18nContextProvider enable_cookie=false ssr_lang_header_getter=locale_options()>
            <Title formatter=move |page: String| format!("{page} · {}", site.brand_name) />
            <Router>
                <Layout>
                    <Routes fallback=NotFoundPage>
                        <Route path=path!("/") view=OverviewPage ssr=SsrMode::Async />
                        <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async />
                        <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async />
                        <Route path=path!("/sign-in/code") view=SignInCodePage ssr=SsrMode::Async />
                        <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async />
                        <Route path=path!("/outbox") view=OutboxPage ssr=SsrMode::Async />
                        <Route path=path!("/recharge") view=RechargePage ssr=SsrMode::Async />
                        <Route path=path!("/recharge/checkout") view=SandboxCheckoutPage ssr=SsrMode::Async />
                        <Route path=path!("/income-expenditure") view=IncomeExpenditurePage ssr=SsrMode::Async />
                        <Route path=path!("/vouchers") view=VouchersPage ssr=SsrMode::Async />
                        <Route path=path!("/prepaid-cards") view=PrepaidCardsPage ssr=SsrMode::Async />
                        <Route path=path!("/operator") view=OperatorPage ssr=SsrMode::Async />
                        <Route path=path!("/operator/accounts/:id") view=OperatorAccountPage ssr=SsrMode::Async />
                        <Route path=path!("/operator/voucher-codes") view=VoucherCodesPage ssr=SsrMode::Async />
                        <Route path=path!("/bills/consumption") view=crate::metering::pages::ConsumptionPage ssr=SsrMode::Async />
                        <Route path=path!("/bills/consumption/:id") view=crate::metering::pages::DailyLinePage ssr=SsrMode::Async />
                        <Route path=path!("/prices") view=crate::metering::pages::PriceListPage ssr=SsrMode::Async />
                        <Route path=path!("/operator/prices") view=crate::metering::pages::OperatorPricesPage ssr=SsrMode::Async />
                        <Route path=path!("/workspaces") view=crate::workspaces::pages::WorkspacesPage ssr=SsrMode::Async />
                        <Route path=path!("/workspaces/bind") view=crate::workspaces::pages::BindLinkPage ssr=SsrMode::Async />
                        <Route path=path!("/dev/clock") view=crate::dev_clock::DevClockPage ssr=SsrMode::Async />
                        <Route path=path!("/dev/site-simulator") view=crate::workspaces::pages::SiteSimulatorPage ssr=SsrMode::Async />
                        <Route path=path!("/workspaces/:id") view=crate::workspaces::pages::WorkspaceDetailPage ssr=SsrMode::Async />
                        <Route path=path!("/workspaces/:id/settlement") view=crate::workspaces::pages::SettlementPage ssr=SsrMode::Async />
                        <Route path=path!("/account/cloud-accounts") view=crate::cloud_accounts::pages::CloudAccountsPage ssr=SsrMode::Async />
                        <Route path=path!("/cloud-accounts/link") view=crate::cloud_accounts::pages::CloudLinkPage ssr=SsrMode::Async />
                        <Route path=path!("/dev/marketplace-simulator") view=crate::cloud_accounts::pages::MarketplaceSimulatorPage ssr=SsrMode::Async />
                        <Route path=path!("/account") view=ProfilePage ssr=SsrMode::Async />
                        <Route path=path!("/account/security") view=SecurityPage ssr=SsrMode::Async />
                        <Route path=path!("/account/members") view=crate::team::pages::MembersPage ssr=SsrMode::Async />
                        <Route path=path!("/account/audit-log") view=crate::team::pages::AuditLogPage ssr=SsrMode::Async />
                        <Route path=path!("/invitations/accept") view=crate::team::pages::InvitationPage ssr=SsrMode::Async />
                        <Route path=path!("/account/email") view=|| view! { <ChangeAddressPage channel="email" /> } ssr=SsrMode::Async />
                        <Route path=path!("/account/phone") view=|| view! { <ChangeAddressPage channel="sms" /> } ssr=SsrMode::Async />
                    </Routes>
                </Layout>
            </Router>
        </I18nContextProvider>
    }
}

/// The browser entry point, called by the `frontend` crate's WASM export.
#[cfg(feature = "hydrate")]
pub fn hydrate() {
    let site = SiteInfo::from_document();
    leptos::mount::hydrate_body(move || {
        provide_context(site);
        view! { <App /> }
    });
    // Tells end-to-end tests (and curious readers) that the page is now interactive.
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-hydrated", "");
    }
}
