use super::tabs::AccountTabs;
use crate::accounts::api::{load_profile, UpdateProfile};
use crate::accounts::model::Profile;
use crate::i18n::*;
use crate::ui::{successes, DataState, Field, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Account > Profile: the company details, and the sign-in email and phone with their change
/// flows.
#[component]
pub fn ProfilePage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<UpdateProfile>::new();
    let saved_count = successes(Signal::derive(move || action.value().get()));
    let profile = Resource::new(move || saved_count.get(), |_| load_profile());
    let account = Resource::new(|| (), |_| crate::accounts::api::current_account());
    let query = use_query_map();
    let saved = move || query.read().get("saved");
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, profile_title).to_string()) />
        <AccountTabs />
        <h1>{t!(i18n, profile_title)}</h1>
        {move || saved().map(|what| view! {
            <p class="note" role="status">
                {if what == "address" { t_string!(i18n, address_changed) } else { t_string!(i18n, saved) }}
            </p>
        })}
        <DataState resource=profile let:profile>
            <SignInAddresses profile=profile.clone() />
            <crate::team::pages::IfAllowed
                account
                permission=crate::team::model::Permission::CompanyProfile
                otherwise={
                    let profile = profile.clone();
                    ViewFn::from(move || view! { <CompanyFacts profile=profile.clone() /> })
                }
            >
                <ProfileForm profile=profile.clone() action />
            </crate::team::pages::IfAllowed>
        </DataState>
    }
}

#[component]
fn SignInAddresses(profile: Profile) -> impl IntoView {
    let i18n = use_i18n();
    let has_email = profile.email.is_some();
    let has_phone = profile.phone.is_some();
    view! {
        <section class="card">
            <dl class="facts">
                <dt>{t!(i18n, email_label)}</dt>
                <dd id="profile-email">
                    {profile.email.unwrap_or_else(|| t_string!(i18n, not_set).to_string())}" "
                    <a href="/account/email">{move || if has_email { t_string!(i18n, change_email) } else { t_string!(i18n, add_email) }}</a>
                </dd>
                <dt>{t!(i18n, phone_label)}</dt>
                <dd id="profile-phone">
                    {profile.phone.unwrap_or_else(|| t_string!(i18n, not_set).to_string())}" "
                    <a href="/account/phone">{move || if has_phone { t_string!(i18n, change_phone) } else { t_string!(i18n, add_phone) }}</a>
                </dd>
                <dt>{t!(i18n, site_label)}</dt>
                <dd>{profile.site_code}</dd>
                <dt>{t!(i18n, currency_label)}</dt>
                <dd>{profile.currency}</dd>
            </dl>
        </section>
    }
}

/// The company details as a role that may not change them reads them.
#[component]
fn CompanyFacts(profile: Profile) -> impl IntoView {
    let i18n = use_i18n();
    let or_none = move |value: String| {
        if value.is_empty() {
            t_string!(i18n, not_set).to_string()
        } else {
            value
        }
    };
    view! {
        <section class="card">
            <dl class="facts" id="company-facts">
                <dt>{t!(i18n, company_name_label)}</dt>
                <dd>{profile.company_name}</dd>
                <dt>{t!(i18n, industry_label)}</dt>
                <dd>{or_none(profile.industry)}</dd>
                <dt>{t!(i18n, region_label)}</dt>
                <dd>{or_none(profile.region)}</dd>
                <dt>{t!(i18n, contact_name_label)}</dt>
                <dd>{or_none(profile.contact_name)}</dd>
                <dt>{t!(i18n, description_label)}</dt>
                <dd class="wrap">{or_none(profile.description)}</dd>
            </dl>
        </section>
    }
}

#[component]
fn ProfileForm(profile: Profile, action: ServerAction<UpdateProfile>) -> impl IntoView {
    let i18n = use_i18n();
    let result = Signal::derive(move || action.value().get());
    let label = move |text: fn(Locale) -> &'static str| {
        Signal::derive(move || text(i18n.get_locale()).to_string())
    };
    view! {
        <section class="card">
            <ActionForm action attr:class="stack">
                <Field label=label(|l| td_string!(l, company_name_label)) name="company_name" value=profile.company_name autocomplete="organization" required=true result />
                <Field label=label(|l| td_string!(l, industry_label)) name="industry" value=profile.industry result />
                <Field label=label(|l| td_string!(l, region_label)) name="region" value=profile.region result />
                <Field label=label(|l| td_string!(l, contact_name_label)) name="contact_name" value=profile.contact_name autocomplete="name" result />
                <Field label=label(|l| td_string!(l, description_label)) name="description" kind="textarea" value=profile.description result />
                <FormError result fields=&["company_name", "industry", "region", "contact_name", "description"] />
                <button type="submit" class="button" disabled=move || action.pending().get()>{t!(i18n, save)}</button>
            </ActionForm>
        </section>
    }
}
