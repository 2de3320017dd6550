use crate::accounts::api::current_account;
use crate::funds::api::{load_balances, recent_movements};
use crate::funds::pages::{BalanceFacts, RecentMovements};
use crate::i18n::*;
use crate::money::Currency;
use crate::ui::{DataState, FilterLinks, ListTable};
use crate::workspaces::api::list_sites;
use crate::workspaces::{Cloud, Site};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The landing page. Until accounts exist it presents the sites a billing account settles for,
/// filterable by currency with plain links (so the filter works without JavaScript too).
#[component]
pub fn OverviewPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let currency = Memo::new(move |_| {
        query
            .read()
            .get("currency")
            .and_then(|code| code.parse::<Currency>().ok())
    });
    let sites = Resource::new(
        move || currency.get(),
        |currency| list_sites(currency.map(|c| c.code().to_string())),
    );
    let filters = Signal::derive(move || {
        vec![
            (
                t_string!(i18n, sites_filter_all).to_string(),
                "/".to_string(),
                currency.get().is_none(),
            ),
            (
                t_string!(i18n, sites_filter_cny).to_string(),
                "?currency=CNY".to_string(),
                currency.get() == Some(Currency::CNY),
            ),
            (
                t_string!(i18n, sites_filter_usd).to_string(),
                "?currency=USD".to_string(),
                currency.get() == Some(Currency::USD),
            ),
        ]
    });

    let account = Resource::new(|| (), |_| current_account());
    // Made here, not inside the signed-in branch below: see `RecentMovements`. A visitor's
    // calls answer "sign in" at once and are not shown.
    let balances = Resource::new(|| (), |_| load_balances());
    let latest = Resource::new(|| (), |_| recent_movements());
    let lock = Resource::new(|| (), |_| crate::workspaces::api::load_arrears_lock());
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, overview_title).to_string()) />
        <h1>{t!(i18n, overview_title)}</h1>
        <p class="lead">{t!(i18n, overview_intro)}</p>
        // Balances for a signed-in account; visitors see the sites only.
        <Suspense>
            {move || Suspend::new(async move {
                matches!(account.await, Ok(Some(_))).then(|| view! {
                    <DataState resource=balances let:balances>
                        <BalanceFacts balances />
                    </DataState>
                    <Transition>
                        {move || lock.get().and_then(Result::ok).flatten().map(|lock| view! { <ArrearsNotice lock /> })}
                    </Transition>
                    <RecentMovements latest />
                })
            })}
        </Suspense>
        <section class="card" aria-labelledby="sites-title">
            <div class="card-head">
                <h2 id="sites-title">{t!(i18n, sites_title)}</h2>
                <FilterLinks label=Signal::derive(move || t_string!(i18n, sites_filter).to_string()) links=filters />
            </div>
            <DataState resource=sites let:sites>
                <SitesTable sites />
            </DataState>
        </section>
    }
}

/// The date the workspaces lock for arrears (or that they are locked), with the way out.
#[component]
fn ArrearsNotice(lock: crate::workspaces::model::ArrearsLock) -> impl IntoView {
    let i18n = use_i18n();
    let when = lock.lock_at.text.clone();
    view! {
        <section class="card notice" id="arrears-lock" role="status">
            <p>
                {move || if lock.locked {
                    t_string!(i18n, arrears_locked).to_string()
                } else {
                    t_string!(i18n, arrears_lock_on, when = when.clone()).to_string()
                }}
            </p>
            <a class="button" href="/recharge">{t!(i18n, recharge_title)}</a>
        </section>
    }
}

#[component]
fn SitesTable(sites: Vec<Site>) -> impl IntoView {
    let i18n = use_i18n();
    let count = sites.len();
    view! {
        <ListTable id="sites" items=sites empty=t!(i18n, sites_empty) head=view! {
            <th scope="col">{t!(i18n, site_code)}</th>
            <th scope="col">{t!(i18n, site_name)}</th>
            <th scope="col">{t!(i18n, site_cloud)}</th>
            <th scope="col">{t!(i18n, site_currency)}</th>
        } row=|site: Site| view! {
            <tr>
                <td>{site.code}</td>
                <td>{site.location}</td>
                <td>{cloud_name(site.cloud)}</td>
                <td>{site.currency.code()}</td>
            </tr>
        } />
        {(count > 0).then(|| view! { <p class="muted" id="site-count">{t!(i18n, site_count, count = count)}</p> })}
    }
}

fn cloud_name(cloud: Option<Cloud>) -> impl IntoView {
    let i18n = use_i18n();
    move || match cloud {
        Some(Cloud::Aliyun) => t_string!(i18n, cloud_aliyun),
        Some(Cloud::Aws) => t_string!(i18n, cloud_aws),
        Some(Cloud::Huawei) => t_string!(i18n, cloud_huawei),
        None => t_string!(i18n, cloud_none),
    }
}
