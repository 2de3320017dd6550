use super::super::api::SimulateMarketplace;
use super::cloud_name;
use crate::i18n::*;
use crate::ui::FormError;
use crate::workspaces::model::Cloud;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/dev/marketplace-simulator` (development only): each marketplace's side of a subscription.
/// "Buy" makes a subscription as the marketplace would announce it; the actions after it renew,
/// suspend or end it. What the server answered comes back in the address, so the page works
/// without JavaScript.
#[component]
pub fn MarketplaceSimulatorPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let get = move |name: &'static str| query.read().get(name).unwrap_or_default();
    let last_cloud = move || get("cloud").parse::<Cloud>().ok();
    // Only a link page of this server is shown as a link: the address bar is anyone's to write.
    let link = move || Some(get("link")).filter(|l| l.starts_with("/cloud-accounts/link?token="));
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, marketplace_simulator_title).to_string()) />
        <h1>{t!(i18n, marketplace_simulator_title)}</h1>
        <p class="lead">{t!(i18n, marketplace_simulator_intro)}</p>
        {move || last_cloud().map(|cloud| view! {
            <section class="card" id="simulated">
                <p>{move || cloud_name(i18n.get_locale(), cloud)}" · HTTP "<span id="simulated-status">{get("status")}</span></p>
                <pre class="wrap" id="simulated-answer">{get("answer")}</pre>
                {link().map(|link| view! {
                    <p><a id="cloud-link" href=link>{t!(i18n, marketplace_simulator_open_link)}</a></p>
                })}
                {(!get("aws_token").is_empty()).then(|| view! {
                    // As AWS does: the buyer's browser posts the registration token to the
                    // seller's registration address.
                    <form method="post" action="/marketplace/aws/register">
                        <input type="hidden" name="x-amzn-marketplace-token" value=get("aws_token") />
                        <button type="submit" class="button" id="aws-register">{t!(i18n, marketplace_simulator_register)}</button>
                    </form>
                })}
                <p class="muted">{t!(i18n, marketplace_simulator_subject)}": "<code id="simulated-subject">{get("subject")}</code></p>
            </section>
        })}
        <Marketplace cloud=Cloud::Aliyun actions=&["renew", "expire", "release"] />
        <Marketplace cloud=Cloud::Huawei actions=&["renew", "freeze", "unfreeze", "release"] />
        <Marketplace cloud=Cloud::Aws actions=&["subscribe-success", "subscribe-fail", "unsubscribe-pending", "unsubscribe-success"] />
    }
}

#[component]
fn Marketplace(cloud: Cloud, actions: &'static [&'static str]) -> impl IntoView {
    let i18n = use_i18n();
    let buy = ServerAction::<SimulateMarketplace>::new();
    let later = ServerAction::<SimulateMarketplace>::new();
    let bought = Signal::derive(move || buy.value().get());
    let acted = Signal::derive(move || later.value().get());
    let query = use_query_map();
    let subject = move || match query.read().get("cloud").as_deref() == Some(cloud.code()) {
        true => query.read().get("subject").unwrap_or_default(),
        false => String::new(),
    };
    let id = cloud.code();
    view! {
        <section class="card" id=format!("simulate-{id}")>
            <h2>{move || cloud_name(i18n.get_locale(), cloud)}</h2>
            <ActionForm action=buy attr:class="stack narrow">
                <input type="hidden" name="cloud" value=id />
                <input type="hidden" name="action" value="buy" />
                <div class="field">
                    <label for=format!("buyer-{id}")>{t!(i18n, marketplace_simulator_buyer)}</label>
                    <input id=format!("buyer-{id}") name="buyer" value="123456789012" />
                </div>
                <FormError result=bought fields=&["cloud", "action"] />
                <button type="submit" class="button" id=format!("buy-{id}")>{t!(i18n, marketplace_simulator_buy)}</button>
            </ActionForm>
            <ActionForm action=later attr:class="stack narrow">
                <input type="hidden" name="cloud" value=id />
                <div class="field">
                    <label for=format!("subject-{id}")>{t!(i18n, marketplace_simulator_subject)}</label>
                    <input id=format!("subject-{id}") name="subject" value=subject />
                </div>
                <div class="field">
                    <label for=format!("action-{id}")>{t!(i18n, marketplace_simulator_action)}</label>
                    <select id=format!("action-{id}") name="action">
                        {actions.iter().map(|a| view! { <option value=*a>{*a}</option> }).collect_view()}
                    </select>
                </div>
                <FormError result=acted fields=&["cloud", "action"] />
                <button type="submit" class="button secondary" id=format!("act-{id}")>{t!(i18n, marketplace_simulator_send)}</button>
            </ActionForm>
        </section>
    }
}
