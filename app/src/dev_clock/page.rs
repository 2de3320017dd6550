use super::api::{load_dev_clock, DevClock, MoveDevClock};
use crate::i18n::*;
use crate::ui::{DataState, Field, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/dev/clock` (development only): the server's time, and a form that moves it forward.
#[component]
pub fn DevClockPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<MoveDevClock>::new();
    let result = Signal::derive(move || action.value().get());
    let query = use_query_map();
    let clock = Resource::new(move || query.read().get("lead"), |_| load_dev_clock());
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, dev_clock_title).to_string()) />
        <h1>{t!(i18n, dev_clock_title)}</h1>
        <p class="lead">{t!(i18n, dev_clock_intro)}</p>
        <DataState resource=clock let:clock>
            <ClockFacts clock />
        </DataState>
        <section class="card">
            <h2>{t!(i18n, dev_clock_move)}</h2>
            <p class="muted">{t!(i18n, dev_clock_move_hint)}</p>
            <ActionForm action attr:class="stack narrow">
                <Field label=Signal::derive(move || t_string!(i18n, dev_clock_days).to_string()) name="days" kind="number" result />
                <Field label=Signal::derive(move || t_string!(i18n, dev_clock_hours).to_string()) name="hours" kind="number" result />
                <FormError result fields=&["days", "hours"] />
                <button type="submit" class="button" disabled=move || action.pending().get()>{t!(i18n, dev_clock_submit)}</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn ClockFacts(clock: DevClock) -> impl IntoView {
    let i18n = use_i18n();
    let (days, hours) = (clock.lead_days.to_string(), clock.lead_hours.to_string());
    let lead_days = days.clone();
    view! {
        <section class="card">
            <dl class="facts" id="dev-clock" data-lead-days=lead_days>
                <dt>{t!(i18n, dev_clock_now)}</dt>
                <dd id="dev-clock-now" data-ms=clock.now.ms>{clock.now.text.clone()}</dd>
                <dt>{t!(i18n, dev_clock_lead)}</dt>
                <dd id="dev-clock-lead">{move || t_string!(i18n, dev_clock_lead_value, days = days.clone(), hours = hours.clone()).to_string()}</dd>
            </dl>
        </section>
    }
}
