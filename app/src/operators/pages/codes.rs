use super::OperatorNav;
use crate::funds::model::CodeBatchView;
use crate::i18n::*;
use crate::operators::api::{code_batches, MakeCodes};
use crate::ui::{successes, DataState, Field, FormError, ListTable};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Voucher activation codes: make a batch, download its codes as CSV.
#[component]
pub fn VoucherCodesPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let action = ServerAction::<MakeCodes>::new();
    let result = Signal::derive(move || action.value().get());
    let made = successes(result);
    let batches = Resource::new(
        move || (made.get(), query.read().get("batch")),
        |_| code_batches(),
    );
    let label = move |key: &'static str| {
        Signal::derive(move || match key {
            "amount" => t_string!(i18n, operator_code_value).to_string(),
            "quantity" => t_string!(i18n, operator_code_quantity).to_string(),
            "validity_days" => t_string!(i18n, operator_validity_days).to_string(),
            "codes_expire_on" => t_string!(i18n, operator_codes_expire_on).to_string(),
            "scope" => t_string!(i18n, operator_scope).to_string(),
            _ => t_string!(i18n, operator_note).to_string(),
        })
    };
    view! {
        <Title text=crate::ui::page_title(move || t_string!(i18n, operator_codes).to_string()) />
        <h1>{t!(i18n, operator_codes)}</h1>
        <OperatorNav />
        {move || query.read().get("batch").map(|batch| view! {
            <p class="card notice" role="status" id="batch-made">
                {t!(i18n, operator_batch_made)}" "
                <a href=format!("/operator/voucher-codes.csv?batch={batch}")>{t!(i18n, operator_download_codes)}</a>
            </p>
        })}
        <section class="card" aria-labelledby="make-codes">
            <h2 id="make-codes">{t!(i18n, operator_make_codes)}</h2>
            <ActionForm action attr:class="stack narrow">
                <div class="field">
                    <label for="codes-currency">{t!(i18n, currency_label)}</label>
                    <select id="codes-currency" name="currency">
                        <option value="CNY">"CNY"</option>
                        <option value="USD">"USD"</option>
                    </select>
                </div>
                <Field label=label("amount") name="amount" required=true result />
                <Field label=label("quantity") name="quantity" value="10".to_string() required=true result />
                <Field label=label("validity_days") name="validity_days" value="90".to_string() required=true result />
                <Field label=label("codes_expire_on") name="codes_expire_on" kind="date" required=true result />
                <Field
                    label=label("scope")
                    name="scope"
                    hint=Signal::derive(move || t_string!(i18n, operator_scope_hint).to_string())
                    result
                />
                <Field label=label("note") name="note" result />
                <FormError result fields=&["amount", "quantity", "validity_days", "codes_expire_on", "scope", "note"] />
                <button type="submit" class="button" disabled=move || action.pending().get()>{t!(i18n, operator_make_codes)}</button>
            </ActionForm>
        </section>
        <section class="card">
            <DataState resource=batches let:batches>
                <BatchTable batches />
            </DataState>
        </section>
    }
}

#[component]
fn BatchTable(batches: Vec<CodeBatchView>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ListTable id="code-batches" items=batches empty=t!(i18n, operator_no_batches) head=view! {
            <th scope="col">"#"</th>
            <th scope="col" class="amount">{t!(i18n, operator_code_value)}</th>
            <th scope="col">{t!(i18n, operator_redeemed)}</th>
            <th scope="col">{t!(i18n, operator_validity_days)}</th>
            <th scope="col">{t!(i18n, operator_codes_expire_on)}</th>
            <th scope="col">{t!(i18n, operator_scope)}</th>
            <th scope="col">{t!(i18n, operator_note)}</th>
            <th scope="col">{t!(i18n, operator_made_by)}</th>
            <th scope="col"></th>
        } row=move |b: CodeBatchView| view! {
                <tr>
                    <td>{b.id}</td>
                    <td class="amount">{b.denomination}</td>
                    <td>{format!("{} / {}", b.redeemed, b.quantity)}</td>
                    <td>{b.validity_days}</td>
                    <td>{b.codes_expire_at.text.clone()}</td>
                    <td>{b.scope}</td>
                    <td class="wrap">{b.note}</td>
                    <td class="wrap">{format!("{} · {}", b.created_by, b.created_at)}</td>
                    <td><a href=format!("/operator/voucher-codes.csv?batch={}", b.id)>{t!(i18n, export_csv)}</a></td>
                </tr>
            } />
    }
}
