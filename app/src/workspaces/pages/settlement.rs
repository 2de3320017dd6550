use super::super::api::{load_settlement, ChangeSettlement};
use super::super::model::{Settlement, SettlementChoice};
use crate::cloud_accounts::pages::cloud_name;
use crate::i18n::*;
use crate::ui::{DataState, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// `/workspaces/:id/settlement`: how the workspace is paid now, what it may move to, and for
/// each choice who pays in which order and who invoices, from which daily bill; the user
/// confirms before anything changes.
#[component]
pub fn SettlementPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let preview = Resource::new(id, load_settlement);
    let action = ServerAction::<ChangeSettlement>::new();
    let result = Signal::derive(move || action.value().get());
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, settlement_title).to_string()) />
        <p><a href=move || format!("/workspaces/{}", id())>{t!(i18n, workspace_detail_title)}</a></p>
        <h1>{t!(i18n, settlement_title)}</h1>
        <DataState resource=preview let:preview>
            <section class="card">
                <dl class="facts" id="settlement-now">
                    <dt>{t!(i18n, workspace_name)}</dt><dd>{preview.workspace_name.clone()}</dd>
                    <dt>{t!(i18n, settlement_current)}</dt><dd><ChoiceName choice=preview.current.clone() /></dd>
                </dl>
            </section>
            {match preview.refused.clone() {
                Some(reason) => view! { <p class="notice" id="settlement-refused">{move || reason.text(i18n.get_locale())}</p> }.into_any(),
                None => {
                    let (day, zone) = (preview.effective_day.clone(), preview.zone.clone());
                    view! {
                        <section class="card">
                            <ActionForm action attr:class="stack">
                                <input type="hidden" name="id" value=preview.workspace_id.to_string() />
                                <fieldset class="stack">
                                    <legend>{t!(i18n, settlement_choose)}</legend>
                                    {preview.choices.clone().into_iter().map(|choice| view! { <ChoiceOption choice /> }).collect_view()}
                                </fieldset>
                                <p class="muted" id="settlement-effective">{move || td_string!(i18n.get_locale(), settlement_effective, day = day.clone(), zone = zone.clone()).to_string()}</p>
                                <label class="check"><input type="checkbox" name="confirm" value="yes" required=true />" "{t!(i18n, settlement_confirm)}</label>
                                <FormError result fields=&["to", "confirm"] />
                                <button type="submit" class="button" id="change-settlement" disabled=move || action.pending().get()>{t!(i18n, settlement_submit)}</button>
                            </ActionForm>
                        </section>
                    }
                    .into_any()
                }
            }}
        </DataState>
    }
}

#[component]
fn ChoiceName(choice: SettlementChoice) -> impl IntoView {
    let i18n = use_i18n();
    let cloud = choice.cloud;
    let account = choice.cloud_account.clone();
    move || match cloud {
        None => td_string!(i18n.get_locale(), settlement_billing_center).to_string(),
        Some(cloud) => format!("{} · {account}", cloud_name(i18n.get_locale(), cloud)),
    }
}

/// One choice: a radio button, and what choosing it means (or why it cannot be chosen).
#[component]
fn ChoiceOption(choice: SettlementChoice) -> impl IntoView {
    let i18n = use_i18n();
    let refused = choice.refused.clone();
    let id = format!("to-{}", choice.value);
    let label_for = id.clone();
    let cloud = choice.cloud;
    let explained = move || match (choice.settlement, cloud) {
        (Settlement::BillingCenter, _) | (_, None) => {
            td_string!(i18n.get_locale(), settlement_order_billing_center).to_string()
        }
        (Settlement::Cloud, Some(cloud)) => td_string!(
            i18n.get_locale(),
            settlement_order_cloud,
            cloud = cloud_name(i18n.get_locale(), cloud)
        )
        .to_string(),
    };
    view! {
        <div class="choice">
            <label class="check" for=label_for>
                <input type="radio" name="to" id=id value=choice.value.clone() required=true disabled=refused.is_some() />
                " "<strong><ChoiceName choice=choice.clone() /></strong>
            </label>
            <p class="muted">{explained}</p>
            {refused.map(|reason| view! { <p class="notice">{move || reason.text(i18n.get_locale())}</p> })}
        </div>
    }
}
