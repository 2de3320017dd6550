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
        match s.trim().to_ascii_uppercase().as_str() {
            "CNY" => Ok(Currency::CNY),
            "USD" => Ok(Currency::USD),
            _ => Err(MoneyError::UnknownCurrency),
        }
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

/// Parses an amount typed by a user ("1,000.5" is accepted; "1e3" and "0.001" are not).
pub fn parse_amount(input: &str, currency: Currency) -> Result<Decimal, MoneyError> {
    let cleaned: String = input.trim().chars().filter(|c| *c != ',').collect();
    let valid = !cleaned.is_empty()
        && cleaned
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && cleaned.matches('.').count() <= 1;
    if !valid {
        return Err(MoneyError::NotANumber);
    }
    let amount = Decimal::from_str(&cleaned).map_err(|_| MoneyError::NotANumber)?;
    if amount.normalize().scale() > currency.minor_digits() {
        return Err(MoneyError::TooPrecise(currency.minor_digits()));
    }
    to_minor_units(amount, currency)?;
    Ok(amount)
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

/// "¥1,234.50", "-$0.07": always the currency's full minor digits, thousands grouped.
pub fn format_amount(amount: Decimal, currency: Currency) -> String {
    let rounded = amount.round_dp(currency.minor_digits());
    let text = format!("{:.*}", currency.minor_digits() as usize, rounded.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
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
    fn currency_codes_parse_case_insensitively() {
        assert_eq!("cny".parse::<Currency>(), Ok(Currency::CNY));
        assert_eq!("EUR".parse::<Currency>(), Err(MoneyError::UnknownCurrency));
    }
}
