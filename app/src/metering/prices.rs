//! Price versions an operator adds: a whole table of one currency from a day on. A version
//! starts no earlier than tomorrow in every billing zone, so a day already rated (or being
//! rated) keeps the prices it was rated at.

use super::store::{self, VersionRow};
use crate::error::AppError;
use crate::messages::Msg;
use crate::money::Currency;
use crate::state::AppState;
use crate::time::Zone;
use std::collections::BTreeSet;

/// The largest unit price, in the currency's major unit.
const MAX_UNIT_PRICE: i64 = 1_000_000;
const MAX_NOTE: usize = 200;
const MAX_TABLE: usize = 64 * 1024;

/// What an operator typed: the currency, first day, a note, and the table, a line per price
/// as `item,tier,price` (the tier empty where the item has none).
pub struct NewVersion<'a> {
    pub currency: &'a str,
    pub effective_from: &'a str,
    pub note: &'a str,
    pub table: &'a str,
}

/// A unit price as an operator writes it: "0.6", at most six places, at most a million.
pub fn parse_price(text: &str) -> Option<i64> {
    super::rating::millionths(text.trim(), 20, MAX_UNIT_PRICE).ok()
}

/// Reads the table: (item, tier, price) per line, a first line `item,tier,price` skipped.
pub fn parse_table(table: &str) -> Result<Vec<(String, String, i64)>, AppError> {
    if table.len() > MAX_TABLE {
        return Err(AppError::field("prices", Msg::PriceTableLine { line: "1".into() }));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(table.as_bytes());
    let mut prices = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = (index + 1).to_string();
        let bad = || AppError::field("prices", Msg::PriceTableLine { line: line.clone() });
        let record = record.map_err(|_| bad())?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if index == 0 && record.get(0) == Some("item") {
            continue;
        }
        if record.len() != 3 {
            return Err(bad());
        }
        let price = parse_price(&record[2]).ok_or_else(bad)?;
        prices.push((record[0].to_string(), record[1].to_string(), price));
    }
    Ok(prices)
}

/// The latest day any billing zone has reached at `now`: a version must start after it.
async fn latest_today(state: &AppState, now: i64) -> Result<String, AppError> {
    let sites = crate::workspaces::store::list_sites(&state.db, None).await?;
    Ok(sites
        .iter()
        .map(|site| Zone::named(&site.time_zone).unwrap_or_else(|_| Zone::utc()).date(now))
        .chain([Zone::utc().date(now)])
        .max()
        .unwrap_or_default())
}

/// Adds a price version; its table must price exactly the items and tiers of the version
/// before it, each once.
pub async fn add_version(
    state: &AppState,
    actor: &str,
    input: &NewVersion<'_>,
) -> Result<i64, AppError> {
    let currency: Currency = input
        .currency
        .parse()
        .map_err(|_| AppError::field("currency", Msg::NotFound))?;
    let day = input.effective_from.trim();
    if Zone::utc().day(day).is_none() {
        return Err(AppError::field("effective_from", Msg::DateFormat));
    }
    let now = state.clock.now();
    let today = latest_today(state, now).await?;
    if day <= today.as_str() {
        return Err(AppError::field(
            "effective_from",
            Msg::PriceVersionTooEarly { day: today },
        ));
    }
    let note = input.note.trim();
    if note.chars().count() > MAX_NOTE || crate::text::has_control_characters(note) {
        return Err(AppError::field("note", Msg::PriceNoteTooLong));
    }
    let prices = parse_table(input.table)?;
    let mut tx = state.db.begin_write().await?;
    let versions = store::versions(&mut tx, currency.code()).await?;
    if versions.iter().any(|v| v.effective_from == day) {
        return Err(AppError::field("effective_from", Msg::PriceVersionExists));
    }
    let latest = versions.last().ok_or(AppError::NotFound)?;
    let expected: BTreeSet<(String, String)> = store::prices(&mut tx, latest.id)
        .await?
        .into_iter()
        .map(|p| (p.item_code, p.tier))
        .collect();
    let mut seen = BTreeSet::new();
    for (item, tier, _) in &prices {
        let key = (item.clone(), tier.clone());
        let name = if tier.is_empty() { item.clone() } else { format!("{item},{tier}") };
        if !expected.contains(&key) {
            return Err(AppError::field("prices", Msg::PriceTableUnknown { item: name }));
        }
        if !seen.insert(key) {
            return Err(AppError::field("prices", Msg::PriceTableRepeated { item: name }));
        }
    }
    if let Some((item, tier)) = expected.difference(&seen).next() {
        let name = if tier.is_empty() { item.clone() } else { format!("{item},{tier}") };
        return Err(AppError::field("prices", Msg::PriceTableMissing { item: name }));
    }
    let version = VersionRow {
        id: 0,
        currency: currency.code().to_string(),
        effective_from: day.to_string(),
        note: note.to_string(),
        created_by: actor.to_string(),
    };
    let id = store::insert_version(&mut tx, &version, &prices, now).await?;
    tx.commit().await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metering::rating::MICROS;

    #[test]
    fn a_table_reads_line_by_line() {
        let table = "item,tier,price\nlogs,30d,2\n\n  sms , , 1.5 \n";
        assert_eq!(
            parse_table(table).expect("read"),
            vec![("logs".into(), "30d".into(), 2_000_000), ("sms".into(), String::new(), 1_500_000)]
        );
        for bad in ["logs,30d", "logs,30d,-1", "logs,30d,1e3", "logs,30d,0.0000001", "logs,30d,1000001", "logs,30d,2,3"] {
            assert!(parse_table(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_price("0.045"), Some(45_000));
        assert_eq!(parse_price("1000000"), Some(1_000_000 * MICROS));
    }
}
