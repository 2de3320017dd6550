//! Consumption details: the account's daily lines with what paid each, the hourly values
//! behind one, and the price list as a reader sees it.
use super::model::{
    Collection, CollectionStatus, ConsumptionQuery, HourValue, ItemChoice, LineDetail, LinePage, LineView, Names, PaidPart,
    PriceList, PriceRow, PriceVersion,
};
use super::store::{self, LineFilter, LineRow, PriceEntry, VersionRow};
use crate::error::AppError;
use crate::messages::Msg;
use crate::money::{format_minor_units, Currency};
use crate::state::AppState;
use crate::ui::Page;
use rust_decimal::Decimal;
use sqlx::AnyConnection;

/// Millionths as a plain decimal, thousands grouped: 1234567500000 -> "1,234,567.5".
pub fn quantity_text(micros: i64) -> String {
    let text = Decimal::new(micros, 6).normalize().to_string();
    let (whole, fraction) = text.split_once('.').map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let grouped = crate::money::group_thousands(whole);
    match fraction {
        Some(fraction) => format!("{grouped}.{fraction}"),
        None => grouped,
    }
}

/// A unit price in millionths as written in an operator's table: "0.6", "19.44".
pub fn plain_price(micros: i64) -> String {
    Decimal::new(micros, 6).normalize().to_string()
}

/// A unit price with its currency, at least the currency's minor digits: "¥0.60", "$0.045".
pub fn price_text(micros: i64, currency: Currency) -> String {
    let price = Decimal::new(micros, 6).normalize();
    let digits = (price.scale()).max(currency.minor_digits()) as usize;
    format!("{}{:.*}", currency.symbol(), digits, price)
}

fn currency_of(code: &str) -> Currency {
    code.parse().unwrap_or(Currency::CNY)
}

fn price_row(entry: &PriceEntry, currency: Currency) -> PriceRow {
    PriceRow {
        item_code: entry.item_code.clone(),
        item_name: Names {
            en: entry.name_en.clone(),
            zh: entry.name_zh.clone(),
        },
        unit: Names {
            en: entry.unit_en.clone(),
            zh: entry.unit_zh.clone(),
        },
        tier: entry.tier.clone(),
        unit_price: price_text(entry.unit_price_micros, currency),
        plain_price: plain_price(entry.unit_price_micros),
        counting: entry.counting,
        vouchers_allowed: entry.vouchers_allowed != 0,
    }
}

async fn version_view(
    conn: &mut AnyConnection,
    version: VersionRow,
) -> Result<PriceVersion, sqlx::Error> {
    let currency = currency_of(&version.currency);
    let rows = store::prices(conn, version.id)
        .await?
        .iter()
        .map(|entry| price_row(entry, currency))
        .collect();
    Ok(PriceVersion {
        id: version.id,
        currency: version.currency,
        effective_from: version.effective_from,
        note: version.note,
        created_by: version.created_by,
        rows,
    })
}

/// The price list of `currency` in force on `today`, and the versions that start later.
pub async fn price_list(
    conn: &mut AnyConnection,
    currency: Currency,
    today: &str,
) -> Result<PriceList, AppError> {
    let versions = store::versions(conn, currency.code()).await?;
    let (upcoming, past): (Vec<_>, Vec<_>) =
        versions.into_iter().partition(|v| v.effective_from.as_str() > today);
    let current = past.into_iter().last().ok_or(AppError::NotFound)?;
    let current = version_view(conn, current).await?;
    let mut later = Vec::new();
    for version in upcoming {
        later.push(version_view(conn, version).await?);
    }
    Ok(PriceList {
        current,
        upcoming: later,
    })
}

/// Every version of both currencies with its prices (operator console).
pub async fn all_versions(conn: &mut AnyConnection) -> Result<Vec<PriceVersion>, AppError> {
    let mut views = Vec::new();
    for version in store::all_versions(conn).await? {
        views.push(version_view(conn, version).await?);
    }
    Ok(views)
}

/// Every billing item, for the filter.
pub async fn item_choices(conn: &mut AnyConnection) -> Result<Vec<ItemChoice>, sqlx::Error> {
    Ok(store::items(conn)
        .await?
        .into_iter()
        .map(|(code, en, zh)| ItemChoice {
            code,
            name: Names { en, zh },
        })
        .collect())
}

fn line_view(row: LineRow, paid_by: Vec<PaidPart>) -> LineView {
    let currency = currency_of(&row.currency);
    let money = |units: i64| format_minor_units(units, currency);
    LineView {
        id: row.id,
        day: row.day,
        workspace_id: row.workspace_id,
        workspace_name: row.workspace_name,
        workspace_uuid: row.workspace_uuid,
        item_code: row.item_code,
        item_name: Names {
            en: row.name_en,
            zh: row.name_zh,
        },
        tier: row.tier,
        quantity: quantity_text(row.quantity_micros),
        unit: Names {
            en: row.unit_en,
            zh: row.unit_zh,
        },
        unit_price: price_text(row.unit_price_micros, currency),
        amount: money(row.amount),
        revision: row.revision,
        previous_amount: money(row.previous_amount),
        new_total: money(row.previous_amount.saturating_add(row.amount)),
        late_records: row.late_records,
        paid_by,
    }
}

/// Views of `rows` with what paid each.
async fn with_payers(
    conn: &mut AnyConnection,
    rows: Vec<LineRow>,
) -> Result<Vec<LineView>, sqlx::Error> {
    let journals: Vec<i64> = rows.iter().filter_map(|r| r.journal_id).collect();
    let payers = store::payers(conn, &journals).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let currency = currency_of(&row.currency);
            let paid = payers
                .iter()
                .filter(|(journal, ..)| Some(*journal) == row.journal_id)
                .map(|(_, kind, instrument, amount)| PaidPart {
                    kind: match kind.as_str() {
                        "cloud_settlement" => "cloud".to_string(),
                        other => other.to_string(),
                    },
                    instrument_id: *instrument,
                    amount: format_minor_units(*amount, currency),
                })
                .collect();
            line_view(row, paid)
        })
        .collect())
}

/// A day typed in a filter, as stored days compare: "YYYY-MM-DD", or a field error.
fn filter_day(field: &str, text: &str) -> Result<Option<String>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    crate::time::Zone::utc()
        .day(text)
        .map(|_| Some(text.to_string()))
        .ok_or_else(|| AppError::field(field, Msg::DateFormat))
}

/// The filter a query names; a day that does not read is a field error.
pub fn filter(query: &ConsumptionQuery) -> Result<LineFilter, AppError> {
    let workspace = match query.workspace.trim() {
        "" => None,
        id => Some(id.parse().map_err(|_| AppError::field("workspace", Msg::NotFound))?),
    };
    let item = Some(query.item.trim()).filter(|item| !item.is_empty()).map(str::to_string);
    Ok(LineFilter {
        from: filter_day("from", &query.from)?,
        to: filter_day("to", &query.to)?,
        workspace,
        item,
    })
}

/// A page of the account's consumption details.
pub async fn lines(
    state: &AppState,
    account: i64,
    query: &ConsumptionQuery,
) -> Result<LinePage, AppError> {
    let filter = filter(query)?;
    let limit = super::model::LINES_PER_PAGE;
    let mut conn = state.db.pool().acquire().await?;
    let rows = store::lines(&mut conn, account, &filter, query.before, limit).await?;
    let page = Page::from_rows(rows, limit as usize, |row| row.id);
    Ok(Page {
        next: page.next,
        rows: with_payers(&mut conn, page.rows).await?,
    })
}

/// One of the account's lines with its hours and revisions; another account's is not found.
pub async fn line_detail(
    state: &AppState,
    account: i64,
    id: i64,
) -> Result<LineDetail, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let row = store::line_of(&mut conn, account, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let counting = row.counting;
    let mut hours: std::collections::BTreeMap<i64, (i128, i64)> = Default::default();
    for (hour, quantity) in store::line_hours(&mut conn, &row).await? {
        let entry = hours.entry(hour).or_default();
        entry.0 += i128::from(quantity);
        entry.1 += 1;
    }
    let zone = &state.config.time_zone;
    let hours = hours
        .into_iter()
        .map(|(hour, (quantity, records))| HourValue {
            hour: zone.stamp(hour),
            quantity: quantity_text(i64::try_from(quantity).unwrap_or(i64::MAX)),
            records,
        })
        .collect();
    let revisions = store::revisions(&mut conn, &row).await?;
    let revisions = with_payers(&mut conn, revisions).await?;
    let line = revisions
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let collection = store::part_status(&mut conn, id).await?.map(|part| Collection {
        cloud: part.cloud.parse().unwrap_or(crate::workspaces::model::Cloud::Aws),
        amount: format_minor_units(part.amount, currency_of(&row.currency)),
        status: CollectionStatus::from_code(&part.status).unwrap_or(CollectionStatus::Pending),
        answer: part.answer.unwrap_or_default(),
        accepted_at: part.accepted_at.map(|at| zone.stamp(at)),
    });
    Ok(LineDetail {
        line,
        counting,
        hours,
        revisions,
        collection,
    })
}

/// Consumption details as CSV: codes and plain numbers, as spreadsheets read them.
pub const CSV_HEADER: [&str; 13] = [
    "line_id",
    "day",
    "workspace_id",
    "workspace_name",
    "item",
    "tier",
    "quantity",
    "unit_price",
    "amount",
    "revision",
    "previous_amount",
    "late_records",
    "paid_by",
];

pub fn csv_row(line: &LineView) -> Vec<String> {
    let paid_by = line
        .paid_by
        .iter()
        .map(|p| {
            if p.instrument_id > 0 {
                format!("{} #{} {}", p.kind, p.instrument_id, p.amount)
            } else {
                format!("{} {}", p.kind, p.amount)
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    vec![
        line.id.to_string(),
        line.day.clone(),
        line.workspace_uuid.clone(),
        line.workspace_name.clone(),
        line.item_code.clone(),
        line.tier.clone(),
        line.quantity.replace(',', ""),
        line.unit_price.clone(),
        line.amount.clone(),
        line.revision.to_string(),
        if line.revision > 0 { line.previous_amount.clone() } else { String::new() },
        line.late_records.to_string(),
        paid_by,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metering::rating::MICROS;

    #[test]
    fn quantities_and_prices_read_as_written() {
        assert_eq!(quantity_text(1_234_567_500_000), "1,234,567.5");
        assert_eq!(quantity_text(0), "0");
        assert_eq!(quantity_text(MICROS * 999), "999");
        assert_eq!(price_text(600_000, Currency::CNY), "¥0.60");
        assert_eq!(price_text(45_000, Currency::USD), "$0.045");
        assert_eq!(price_text(19_440_000, Currency::CNY), "¥19.44");
        assert_eq!(plain_price(600_000), "0.6");
        assert_eq!(plain_price(2_000_000), "2");
    }
}
