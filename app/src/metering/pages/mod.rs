//! Metering's pages: the price list, consumption details, one line's hours, and the
//! operator's price versions.
mod consumption;
mod prices;

pub use consumption::{ConsumptionPage, DailyLinePage};
pub use prices::{OperatorPricesPage, PriceListPage};

use super::model::{Counting, PaidPart};
use crate::i18n::*;
use leptos::prelude::*;

pub(crate) fn counting_name(locale: Locale, counting: Counting) -> &'static str {
    match counting {
        Counting::Max => td_string!(locale, counting_max),
        Counting::Sum => td_string!(locale, counting_sum),
    }
}

/// What paid a line, as a reader reads it: "Voucher #3 ¥1.00 · Cash ¥2.20".
#[component]
pub(crate) fn PaidBy(parts: Vec<PaidPart>) -> impl IntoView {
    let i18n = use_i18n();
    let parts = parts
        .into_iter()
        .map(|part| {
            let kind = part.kind.clone();
            let instrument = (part.instrument_id > 0).then(|| format!(" #{}", part.instrument_id));
            view! {
                <span class="paid-part" data-paid=part.kind.clone()>
                    {move || payer_name(i18n.get_locale(), &kind)}{instrument}" "{part.amount}
                </span>
            }
        })
        .collect_view();
    view! { <span class="paid-by">{parts}</span> }
}

fn payer_name(locale: Locale, kind: &str) -> &'static str {
    match kind {
        "voucher" => td_string!(locale, holding_voucher),
        "prepaid_card" => td_string!(locale, holding_prepaid_card),
        "arrears" => td_string!(locale, arrears),
        "cloud" => td_string!(locale, paid_by_cloud),
        _ => td_string!(locale, holding_cash),
    }
}
