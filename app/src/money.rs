//! Money helpers shared by both sides.
//!
//! Amounts are `rust_decimal::Decimal` in code and integer minor units in the database.
//! Rounding rule (written once, used everywhere): amounts are rounded to the currency's minor
//! unit with banker's rounding (`MidpointNearestEven`) only where a price is multiplied; input
//! with more decimals than the currency allows is refused, never silently rounded.
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The currency of a billing account, fixed at registration (spec section 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    CNY,
    USD,
}

impl Currency {
    pub const ALL: [Currency; 2] = [Currency::CNY, Currency::USD];

    pub fn code(self) -> &'static str {
        match self {
            Currency::CNY => "CNY",
            Currency::USD => "USD",
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Currency::CNY => "¥",
            Currency::USD => "$",
        }
    }

    /// Digits after the decimal point of the currency's minor unit (the cent / fen).
    pub fn minor_digits(self) -> u32 {
        2
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Exactly the ISO code: "cny" or " CNY" is not a currency of ours.
        match s {
            "CNY" => Ok(Currency::CNY),
            "USD" => Ok(Currency::USD),
            _ => Err(MoneyError::UnknownCurrency),
        }
    }
}

/// A stored currency code, read back.
impl TryFrom<String> for Currency {
    type Error = MoneyError;

    fn try_from(code: String) -> Result<Self, MoneyError> {
        code.parse()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency")]
    UnknownCurrency,
    #[error("enter an amount such as 100 or 100.50")]
    NotANumber,
    #[error("use at most {0} digits after the decimal point")]
    TooPrecise(u32),
    #[error("the amount is too large")]
    TooLarge,
}

/// What a form says about an amount it could not take.
impl From<&MoneyError> for crate::messages::Msg {
    fn from(error: &MoneyError) -> Self {
        use crate::messages::Msg;
        match error {
            MoneyError::UnknownCurrency => Msg::UnknownCurrency,
            MoneyError::NotANumber => Msg::AmountFormat,
            MoneyError::TooPrecise(places) => Msg::AmountTooPrecise {
                places: places.to_string(),
            },
            MoneyError::TooLarge => Msg::AmountTooLarge,
        }
    }
}

/// The largest amount any form, callback or command may carry, in whole currency units. An
/// amount is bounded when it is parsed, so nothing later has to multiply an unbounded figure.
pub const MAX_AMOUNT_MAJOR: i64 = 1_000_000_000_000;
/// The largest balance (in minor units) a ledger account may reach, far above any real account
/// and far below `i64::MAX`, so sums of a few of them never overflow.
pub const MAX_BALANCE_MINOR: i64 = 100_000_000_000_000_000;

/// Parses an amount typed by a user: digits with an optional well-formed thousands grouping
/// ("1,000.5" yes; "1,0,0", "1e3", "-5" and "0.001" no), at most [`MAX_AMOUNT_MAJOR`].
pub fn parse_amount(input: &str, currency: Currency) -> Result<Decimal, MoneyError> {
    let text = input.trim();
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    if !well_grouped(whole) || fraction.is_some_and(|f| f.is_empty() || !all_digits(f)) {
        return Err(MoneyError::NotANumber);
    }
    parse_plain_amount(&text.replace(',', ""), currency)
}

/// Parses an amount as machines send it ("100.00": digits, an optional point and decimals),
/// at most [`MAX_AMOUNT_MAJOR`].
pub fn parse_plain_amount(text: &str, currency: Currency) -> Result<Decimal, MoneyError> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    if !all_digits(whole) || !all_digits(fraction) {
        return Err(MoneyError::NotANumber);
    }
    // Length first: a thousand-digit string is refused before any arithmetic.
    if whole.trim_start_matches('0').len() > 13 {
        return Err(MoneyError::TooLarge);
    }
    if fraction.trim_end_matches('0').len() > currency.minor_digits() as usize {
        return Err(MoneyError::TooPrecise(currency.minor_digits()));
    }
    let amount = Decimal::from_str(text).map_err(|_| MoneyError::NotANumber)?;
    if amount > Decimal::from(MAX_AMOUNT_MAJOR) {
        return Err(MoneyError::TooLarge);
    }
    to_minor_units(amount, currency)?;
    Ok(amount.normalize())
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// "1000" or "1,000,000": plain digits, or groups of three after a first group of one to three.
fn well_grouped(whole: &str) -> bool {
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or_default();
    if !whole.contains(',') {
        return all_digits(first);
    }
    all_digits(first) && first.len() <= 3 && groups.all(|g| g.len() == 3 && all_digits(g))
}

/// The amount in integer minor units, the form the database stores.
pub fn to_minor_units(amount: Decimal, currency: Currency) -> Result<i64, MoneyError> {
    let scaled = amount
        .checked_mul(Decimal::from(10_i64.pow(currency.minor_digits())))
        .ok_or(MoneyError::TooLarge)?;
    if scaled.fract() != Decimal::ZERO {
        return Err(MoneyError::TooPrecise(currency.minor_digits()));
    }
    i64::try_from(scaled).map_err(|_| MoneyError::TooLarge)
}

pub fn from_minor_units(units: i64, currency: Currency) -> Decimal {
    Decimal::new(units, currency.minor_digits())
}

/// Stored minor units as shown: `format_amount` of `from_minor_units`.
pub fn format_minor_units(units: i64, currency: Currency) -> String {
    format_amount(from_minor_units(units, currency), currency)
}

/// Digits with a comma every three from the right: "1234567" is "1,234,567".
pub fn group_thousands(digits: &str) -> String {
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// "¥1,234.50", "-$0.07": always the currency's full minor digits, thousands grouped.
pub fn format_amount(amount: Decimal, currency: Currency) -> String {
    let rounded = amount.round_dp(currency.minor_digits());
    let text = format!("{:.*}", currency.minor_digits() as usize, rounded.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let grouped = group_thousands(whole);
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}{}{grouped}.{fraction}", currency.symbol())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test literal")
    }

    #[test]
    fn parses_plain_and_grouped_amounts() {
        assert_eq!(parse_amount("100", Currency::CNY), Ok(dec("100")));
        assert_eq!(
            parse_amount(" 1,000.50 ", Currency::CNY),
            Ok(dec("1000.50"))
        );
        assert_eq!(parse_amount("0.1", Currency::USD), Ok(dec("0.1")));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for bad in ["", "abc", "1e3", "1.2.3", "¥5", "NaN"] {
            assert_eq!(
                parse_amount(bad, Currency::CNY),
                Err(MoneyError::NotANumber),
                "{bad}"
            );
        }
        assert_eq!(
            parse_amount("0.001", Currency::CNY),
            Err(MoneyError::TooPrecise(2))
        );
        assert_eq!(
            parse_amount("99999999999999999999", Currency::CNY),
            Err(MoneyError::TooLarge)
        );
        for bad in [
            "1,0,0", "1,00", ",100", "100,", "1,000,00", "-5", "+5", "1.", ".5", "1 000", "5\0",
        ] {
            assert!(parse_amount(bad, Currency::CNY).is_err(), "{bad}");
        }
        assert_eq!(parse_amount("1,000,000", Currency::CNY), Ok(dec("1000000")));
        assert_eq!(parse_amount("0.5", Currency::CNY), Ok(dec("0.5")));
    }

    #[test]
    fn amounts_are_bounded_when_parsed() {
        assert_eq!(
            parse_amount("1,000,000,000,000", Currency::CNY),
            Ok(dec("1000000000000"))
        );
        for huge in [
            "1000000000000.01",
            "92,233,720,368,547,758.07",
            &"9".repeat(100_000),
        ] {
            assert_eq!(
                parse_amount(huge, Currency::CNY),
                Err(MoneyError::TooLarge),
                "{}",
                huge.len()
            );
        }
        assert_eq!(parse_plain_amount("100.00", Currency::CNY), Ok(dec("100")));
        for bad in ["1,000", "1e3", " 1", "-1", "0x10", ""] {
            assert!(parse_plain_amount(bad, Currency::CNY).is_err(), "{bad}");
        }
    }

    #[test]
    fn trailing_zeros_are_not_extra_precision() {
        assert_eq!(parse_amount("2.500", Currency::CNY), Ok(dec("2.5")));
    }

    #[test]
    fn minor_units_round_trip() {
        assert_eq!(to_minor_units(dec("12.34"), Currency::CNY), Ok(1234));
        assert_eq!(from_minor_units(1234, Currency::CNY), dec("12.34"));
        assert_eq!(from_minor_units(-5, Currency::USD), dec("-0.05"));
        assert_eq!(
            to_minor_units(dec("0.005"), Currency::CNY),
            Err(MoneyError::TooPrecise(2))
        );
    }

    #[test]
    fn formats_with_symbol_grouping_and_cents() {
        assert_eq!(format_amount(dec("1234.5"), Currency::CNY), "¥1,234.50");
        assert_eq!(
            format_amount(dec("1000000"), Currency::USD),
            "$1,000,000.00"
        );
        assert_eq!(format_amount(dec("-0.07"), Currency::USD), "-$0.07");
        assert_eq!(format_amount(dec("0"), Currency::CNY), "¥0.00");
        assert_eq!(format_amount(dec("999"), Currency::CNY), "¥999.00");
    }

    #[test]
    fn currency_codes_match_exactly() {
        assert_eq!("CNY".parse::<Currency>(), Ok(Currency::CNY));
        assert_eq!("cny".parse::<Currency>(), Err(MoneyError::UnknownCurrency));
        assert_eq!(" USD".parse::<Currency>(), Err(MoneyError::UnknownCurrency));
        assert_eq!("EUR".parse::<Currency>(), Err(MoneyError::UnknownCurrency));
    }
}
