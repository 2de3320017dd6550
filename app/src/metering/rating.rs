//! Rating, as a pure function: a day's usage records and the day's price list into daily
//! lines, exactly to the cent.
//!
//! The rule (also in the README): records of the same hour are added; the day's quantity is
//! the largest hour (`max`) or all hours added (`sum`); the amount is quantity / unit size x
//! unit price, worked out exactly in `Decimal` and rounded once per line to the currency's
//! minor unit, half away from zero ("half-up": 0.005 is a cent). Nothing on this path is a
//! float, and nothing wraps: a line too large to hold is refused.
use super::model::Counting;
use crate::money::{Currency, MAX_AMOUNT_MAJOR};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;

/// Quantities are held in millionths of a unit.
pub const MICROS: i64 = 1_000_000;

/// Why a text is not a number of millionths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotMillionths {
    /// Not a plain decimal: digits with at most one point, not at either end.
    NotPlain,
    /// More than six places.
    TooPrecise,
    TooLarge,
}

/// A plain decimal ("1234", "0.5"; at most `longest` characters, six places and `largest`) in
/// millionths: how quantities and unit prices are written and kept.
pub fn millionths(text: &str, longest: usize, largest: i64) -> Result<i64, NotMillionths> {
    let plain = !text.is_empty()
        && text.len() <= longest
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text.bytes().filter(|b| *b == b'.').count() <= 1
        && !text.starts_with('.')
        && !text.ends_with('.');
    if !plain {
        return Err(NotMillionths::NotPlain);
    }
    let value: Decimal = text.parse().map_err(|_| NotMillionths::NotPlain)?;
    if value.scale() > 6 {
        return Err(NotMillionths::TooPrecise);
    }
    if value > Decimal::from(largest) {
        return Err(NotMillionths::TooLarge);
    }
    i64::try_from((value * Decimal::from(MICROS)).trunc()).map_err(|_| NotMillionths::TooLarge)
}

/// What a line is keyed by: billing item and retention tier.
pub type ItemTier = (String, String);

/// One usage record: its hour (Unix milliseconds) and quantity in millionths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub item: String,
    pub tier: String,
    pub hour: i64,
    pub quantity: i64,
}

/// How one item at one tier is priced on the day rated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Price {
    pub counting: Counting,
    pub unit_size: i64,
    /// Millionths of the currency's major unit per `unit_size` units.
    pub unit_price_micros: i64,
}

/// A rated line: the day's quantity (millionths) and its amount (minor units).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rated {
    pub item: String,
    pub tier: String,
    pub quantity: i64,
    pub records: i64,
    pub amount: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("no price for {0} at tier {1:?}")]
    NoPrice(String, String),
    #[error("the line for {0} is too large to rate")]
    TooLarge(String),
}

/// The day's quantity of `hours` (quantities of the day's records, by hour) by `counting`.
pub fn day_quantity(records: &[(i64, i64)], counting: Counting) -> Option<i64> {
    let mut hours: BTreeMap<i64, i128> = BTreeMap::new();
    for &(hour, quantity) in records {
        *hours.entry(hour).or_default() += i128::from(quantity);
    }
    let counted = match counting {
        Counting::Max => hours.values().copied().max().unwrap_or(0),
        Counting::Sum => hours.values().sum(),
    };
    i64::try_from(counted).ok()
}

/// quantity / unit size x unit price in minor units, rounded once, half-up.
pub fn amount(quantity: i64, price: Price, currency: Currency) -> Option<i64> {
    if price.unit_size <= 0 || quantity < 0 || price.unit_price_micros < 0 {
        return None;
    }
    let quantity = Decimal::new(quantity, 6);
    let unit_price = Decimal::new(price.unit_price_micros, 6);
    // Multiplied before divided: exact whenever the unit size is a power of ten.
    let exact = quantity
        .checked_mul(unit_price)?
        .checked_div(Decimal::from(price.unit_size))?;
    let digits = currency.minor_digits();
    let rounded = exact.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero);
    let minor = rounded.checked_mul(Decimal::from(10i64.pow(digits)))?;
    let minor = i64::try_from(minor.trunc()).ok()?;
    (minor <= MAX_AMOUNT_MAJOR.checked_mul(10i64.pow(digits))?).then_some(minor)
}

/// Rates a day: one line per item and tier that has records, in item and tier order.
pub fn rate_day(
    records: &[Record],
    price_of: impl Fn(&str, &str) -> Option<Price>,
    currency: Currency,
) -> Result<Vec<Rated>, RatingError> {
    let mut grouped: BTreeMap<ItemTier, Vec<(i64, i64)>> = BTreeMap::new();
    for record in records {
        grouped
            .entry((record.item.clone(), record.tier.clone()))
            .or_default()
            .push((record.hour, record.quantity));
    }
    grouped
        .into_iter()
        .map(|((item, tier), hours)| {
            let price = price_of(&item, &tier)
                .ok_or_else(|| RatingError::NoPrice(item.clone(), tier.clone()))?;
            let quantity = day_quantity(&hours, price.counting)
                .ok_or_else(|| RatingError::TooLarge(item.clone()))?;
            let amount = amount(quantity, price, currency)
                .ok_or_else(|| RatingError::TooLarge(item.clone()))?;
            Ok(Rated {
                item,
                tier,
                quantity,
                records: hours.len() as i64,
                amount,
            })
        })
        .collect()
}

/// What a rerating of a day posts for one line, given what the day's lines posted so far
/// (`None` when the day was never rated): the whole amount the first time, the difference
/// after, nothing when nothing changed. A posted day is never rewritten.
pub fn to_post(previous: Option<i64>, rated: i64) -> Option<i64> {
    match previous {
        None => Some(rated),
        Some(before) if before == rated => None,
        Some(before) => rated.checked_sub(before),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HOUR: i64 = 3_600_000;

    fn price(counting: Counting, unit_size: i64, unit_price: &str) -> Price {
        let micros = (unit_price.parse::<Decimal>().expect("price") * Decimal::from(MICROS))
            .trunc()
            .try_into()
            .expect("fits");
        Price {
            counting,
            unit_size,
            unit_price_micros: micros,
        }
    }

    fn whole(units: i64) -> i64 {
        units * MICROS
    }

    #[test]
    fn counting_rules() {
        // Two records in hour 1 add up before the largest hour is taken.
        let hours = [(0, whole(5)), (HOUR, whole(3)), (HOUR, whole(4)), (2 * HOUR, whole(6))];
        assert_eq!(day_quantity(&hours, Counting::Max), Some(whole(7)));
        assert_eq!(day_quantity(&hours, Counting::Sum), Some(whole(18)));
        assert_eq!(day_quantity(&[], Counting::Max), Some(0));
        assert_eq!(day_quantity(&[(0, i64::MAX), (0, i64::MAX)], Counting::Sum), None);
    }

    #[test]
    fn amounts_round_once_half_up() {
        let logs = price(Counting::Sum, 1_000_000, "2");
        // 2.5 million log entries at 2 per million: 5.00.
        assert_eq!(amount(whole(2_500_000), logs, Currency::CNY), Some(500));
        // 1,234,567 entries: 2.469134 -> 2.47.
        assert_eq!(amount(whole(1_234_567), logs, Currency::CNY), Some(247));
        // Exactly half a cent rounds up: 2,500 entries at 2 per million is 0.005.
        assert_eq!(amount(whole(2_500), logs, Currency::CNY), Some(1));
        assert_eq!(amount(whole(2_499), logs, Currency::CNY), Some(0));
        // Time series: 12,345 at 0.6 per 1,000 is 7.407 -> 7.41.
        let series = price(Counting::Max, 1_000, "0.6");
        assert_eq!(amount(whole(12_345), series, Currency::CNY), Some(741));
        // 19.44 per million traces, 0.5 GB of forwarding at 0.35: 0.175 -> 0.18.
        let traces = price(Counting::Sum, 1_000_000, "19.44");
        assert_eq!(amount(whole(3_000_000), traces, Currency::CNY), Some(5832));
        let forwarding = price(Counting::Sum, 1, "0.35");
        assert_eq!(amount(MICROS / 2, forwarding, Currency::CNY), Some(18));
        // Too large to hold is refused, never wrapped.
        assert_eq!(amount(i64::MAX, price(Counting::Sum, 1, "1000000"), Currency::CNY), None);
        assert_eq!(amount(-1, logs, Currency::CNY), None);
    }

    #[test]
    fn a_day_rates_each_item_and_tier_once() {
        let records = vec![
            Record { item: "logs".into(), tier: "30d".into(), hour: 0, quantity: whole(600_000) },
            Record { item: "logs".into(), tier: "30d".into(), hour: HOUR, quantity: whole(400_000) },
            Record { item: "logs".into(), tier: "7d".into(), hour: 0, quantity: whole(1_000_000) },
            Record { item: "sms".into(), tier: String::new(), hour: 0, quantity: whole(25) },
        ];
        let prices = |item: &str, tier: &str| match (item, tier) {
            ("logs", "30d") => Some(price(Counting::Sum, 1_000_000, "2")),
            ("logs", "7d") => Some(price(Counting::Sum, 1_000_000, "1.2")),
            ("sms", "") => Some(price(Counting::Sum, 10, "1")),
            _ => None,
        };
        let lines = rate_day(&records, prices, Currency::CNY).expect("rated");
        let amounts: Vec<_> = lines.iter().map(|l| (l.item.as_str(), l.tier.as_str(), l.amount)).collect();
        assert_eq!(amounts, [("logs", "30d", 200), ("logs", "7d", 120), ("sms", "", 250)]);
        let unknown = [Record { item: "logs".into(), tier: "1d".into(), hour: 0, quantity: 1 }];
        assert!(matches!(rate_day(&unknown, prices, Currency::CNY), Err(RatingError::NoPrice(..))));
    }

    #[test]
    fn a_rerating_posts_the_difference_or_nothing() {
        assert_eq!(to_post(None, 0), Some(0));
        assert_eq!(to_post(None, 250), Some(250));
        assert_eq!(to_post(Some(250), 250), None);
        assert_eq!(to_post(Some(250), 310), Some(60));
    }

    fn records() -> impl Strategy<Value = Vec<Record>> {
        let record = (
            prop::sample::select(vec![("logs", "30d"), ("time_series", "7d"), ("sms", "")]),
            0i64..24,
            0i64..=whole(10_000_000),
        )
            .prop_map(|((item, tier), hour, quantity)| Record {
                item: item.to_string(),
                tier: tier.to_string(),
                hour: hour * HOUR,
                quantity,
            });
        prop::collection::vec(record, 0..60)
    }

    fn list_price(item: &str, _tier: &str) -> Option<Price> {
        Some(match item {
            "logs" => Price { counting: Counting::Sum, unit_size: 1_000_000, unit_price_micros: 2_000_000 },
            "time_series" => Price { counting: Counting::Max, unit_size: 1_000, unit_price_micros: 700_000 },
            _ => Price { counting: Counting::Sum, unit_size: 10, unit_price_micros: 1_000_000 },
        })
    }

    proptest! {
        /// Each line is its own item's amount, and the lines add up to the day: every record is
        /// in exactly one line.
        #[test]
        fn lines_add_up_to_the_day(records in records()) {
            let lines = rate_day(&records, list_price, Currency::CNY).expect("rated");
            let mut keys: Vec<_> = records.iter().map(|r| (r.item.clone(), r.tier.clone())).collect();
            keys.sort();
            keys.dedup();
            prop_assert_eq!(lines.len(), keys.len());
            let mut total = 0i64;
            for line in &lines {
                let hours: Vec<_> = records
                    .iter()
                    .filter(|r| r.item == line.item && r.tier == line.tier)
                    .map(|r| (r.hour, r.quantity))
                    .collect();
                let price = list_price(&line.item, &line.tier).expect("price");
                let quantity = day_quantity(&hours, price.counting).expect("fits");
                prop_assert_eq!(line.quantity, quantity);
                prop_assert_eq!(Some(line.amount), amount(quantity, price, Currency::CNY));
                total += line.amount;
            }
            prop_assert_eq!(total, lines.iter().map(|l| l.amount).sum::<i64>());
        }

        /// Rerating the same records, in any order, gives the same lines.
        #[test]
        fn rerating_gives_the_same_lines(records in records(), seed in any::<u64>()) {
            let mut shuffled = records.clone();
            // A deterministic shuffle from the seed.
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                shuffled.swap(i, (state % (i as u64 + 1)) as usize);
            }
            prop_assert_eq!(
                rate_day(&records, list_price, Currency::CNY).expect("rated"),
                rate_day(&shuffled, list_price, Currency::CNY).expect("rated")
            );
        }

        /// Rating what arrived first, then everything with the difference posted as a
        /// restatement, posts in total what rating everything at once does.
        #[test]
        fn original_and_restatement_equal_the_full_rating(records in records(), split in 0usize..60) {
            let split = split.min(records.len());
            let first = rate_day(&records[..split], list_price, Currency::CNY).expect("rated");
            let full = rate_day(&records, list_price, Currency::CNY).expect("rated");
            for line in &full {
                let before = first.iter().find(|f| f.item == line.item && f.tier == line.tier).map(|f| f.amount);
                let posted = before.unwrap_or(0) + to_post(before, line.amount).unwrap_or(0);
                prop_assert_eq!(posted, line.amount);
            }
        }
    }
}
