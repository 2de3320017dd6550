use super::super::api::{list_sites, SimulateSite};
use crate::i18n::*;
use crate::ui::{Field, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/dev/site-simulator` (development only): a site's side of binding. The minted link and code
/// come back in the address, so the page works without JavaScript.
#[component]
pub fn SiteSimulatorPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<SimulateSite>::new();
    let result = Signal::derive(move || action.value().get());
    let query = use_query_map();
    // Only a bind link of this server is shown as a link: the address bar is anyone's to write.
    let link = move || {
        query
            .read()
            .get("link")
            .filter(|l| l.starts_with("/workspaces/bind?token="))
            .unwrap_or_default()
    };
    let code = move || query.read().get("code").unwrap_or_default();
    let sites = Resource::new(|| (), |_| list_sites(None));
    let site_options = move || {
        sites
            .get()
            .and_then(Result::ok)
            .unwrap_or_default()
            .into_iter()
            .map(|s| view! { <option value=s.code.clone()>{format!("{} · {}", s.code, s.location)}</option> })
            .collect_view()
    };
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, simulator_title).to_string()) />
        <h1>{t!(i18n, simulator_title)}</h1>
        <p class="lead">{t!(i18n, simulator_intro)}</p>
        <section class="card">
            <ActionForm action attr:class="stack narrow">
                <div class="field">
                    <label for="site">{t!(i18n, site_code)}</label>
                    <select id="site" name="site"><Transition>{site_options}</Transition></select>
                </div>
                <Field label=Signal::derive(move || t_string!(i18n, workspace_id).to_string()) name="workspace_id" required=true result />
                <Field label=Signal::derive(move || t_string!(i18n, workspace_name).to_string()) name="name" required=true result />
                <FormError result fields=&["site", "workspace_id", "name"] />
                <button type="submit" class="button" disabled=move || action.pending().get()>{t!(i18n, simulator_submit)}</button>
            </ActionForm>
        </section>
        {move || (!link().is_empty()).then(|| view! {
            <section class="card" id="minted">
                <p>{t!(i18n, simulator_link)}": "<a id="bind-link" href=link()>{link()}</a></p>
                <p>{t!(i18n, workspace_bind_code)}": "<code id="bind-code">{code()}</code></p>
            </section>
        })}
    }
}
