//! What metering shows on both sides: the price list, daily lines with what paid them, and the
//! hourly values behind a line.
use crate::time::Stamp;
use serde::{Deserialize, Serialize};

crate::coded_enum! {
    /// How a billing item's hourly values count into its day: time series and hosts are the
    /// largest hour's value (what was kept), everything else the sum of the hours (what was
    /// sent).
    pub enum Counting {
        Max => "max",
        Sum => "sum",
    }
}

/// A text the price list keeps in both languages (billing items are data, not code).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    pub en: String,
    pub zh: String,
}

impl Names {
    pub fn get(&self, locale: crate::i18n::Locale) -> &str {
        match locale {
            crate::i18n::Locale::zh => &self.zh,
            _ => &self.en,
        }
    }
}

/// One price of the price list: an item at a retention tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceRow {
    pub item_code: String,
    pub item_name: Names,
    /// The unit the price is written per ("per 1 million entries").
    pub unit: Names,
    /// Retention ("30d"), or empty where the item has none.
    pub tier: String,
    /// Formatted with the currency: "¥0.60".
    pub unit_price: String,
    /// The same price as a plain decimal ("0.6"), for the operator's form.
    pub plain_price: String,
    pub counting: Counting,
    pub vouchers_allowed: bool,
}

/// A version's prices as the operator's table writes them: a line per price, `item,tier,price`.
pub fn price_table(rows: &[PriceRow]) -> String {
    let mut table = String::from("item,tier,price\n");
    for row in rows {
        table.push_str(&format!(
            "{},{},{}\n",
            row.item_code, row.tier, row.plain_price
        ));
    }
    table
}

/// A price list version of one currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceVersion {
    pub id: i64,
    pub currency: String,
    /// The first day rated at these prices (YYYY-MM-DD, in the billing zone of the site).
    pub effective_from: String,
    pub note: String,
    pub created_by: String,
    pub rows: Vec<PriceRow>,
}

/// The price list as a reader sees it: the version in force today and any that start later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceList {
    pub current: PriceVersion,
    pub upcoming: Vec<PriceVersion>,
}

/// One part of what paid a line: a voucher, a prepaid card, cash, arrears, or a cloud account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaidPart {
    /// The ledger kind's code ("voucher", "prepaid_card", "cash", "arrears", "cloud").
    pub kind: String,
    /// The instrument's id (voucher, card, cloud account), 0 for cash and arrears.
    pub instrument_id: i64,
    pub amount: String,
}

/// A daily line: one workspace's use of one item on one day, rated; a restatement carries the
/// day's total before it and what it adds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineView {
    pub id: i64,
    pub day: String,
    pub workspace_id: i64,
    pub workspace_name: String,
    pub workspace_uuid: String,
    pub item_code: String,
    pub item_name: Names,
    pub tier: String,
    /// The day's quantity as counted, in the item's own units ("1,234,567").
    pub quantity: String,
    pub unit: Names,
    pub unit_price: String,
    /// What this line posted: the day's amount, or for a restatement the difference.
    pub amount: String,
    /// 0 for the original line; 1, 2, ... for restatements.
    pub revision: i64,
    /// For a restatement: the day's amount before it and after it, and the records that came
    /// late.
    pub previous_amount: String,
    pub new_total: String,
    pub late_records: i64,
    pub paid_by: Vec<PaidPart>,
}

/// One hour behind a line: the records of that hour added together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourValue {
    pub hour: Stamp,
    pub quantity: String,
    pub records: i64,
}

/// A line with the hourly values it was counted from and every revision of its day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineDetail {
    pub line: LineView,
    pub counting: Counting,
    pub hours: Vec<HourValue>,
    /// The revisions of the same day and item, oldest first (the line itself included).
    pub revisions: Vec<LineView>,
    /// What the cloud marketplace was asked to collect of this line, when a cloud paid it.
    pub collection: Option<Collection>,
}

crate::coded_enum! {
    /// Where a cloud marketplace's collection of a line stands.
    pub enum CollectionStatus {
        /// Not yet taken by the marketplace (being sent, or retried).
        Pending => "pending",
        Accepted => "accepted",
        /// Refused by the marketplace for good: an operator looks into it.
        Refused => "refused",
    }
}

/// The cloud-settled part of a line and what its marketplace said of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection {
    pub cloud: crate::workspaces::model::Cloud,
    pub amount: String,
    pub status: CollectionStatus,
    /// The marketplace's words (its record id, or why it refused).
    pub answer: String,
    pub accepted_at: Option<Stamp>,
}

/// A page of daily lines, newest first.
pub type LinePage = crate::ui::Page<LineView>;

/// Consumption details' filters and place: days "YYYY-MM-DD" (both included), a workspace
/// (its id) and a billing item, as typed; `before` a line id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumptionQuery {
    pub from: String,
    pub to: String,
    pub workspace: String,
    pub item: String,
    #[serde(
        deserialize_with = "crate::ui::list::lenient_cursor",
        skip_serializing_if = "Option::is_none"
    )]
    pub before: Option<i64>,
}

crate::list_query!(ConsumptionQuery, path: "/bills/consumption", export: "/export/consumption.csv");

/// Daily lines per page.
pub const LINES_PER_PAGE: i64 = 50;

/// A billing item as a filter offers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemChoice {
    pub code: String,
    pub name: Names,
}
