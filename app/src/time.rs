//! Time: every stored time is Unix milliseconds in UTC; what a reader sees is that instant in
//! the zone that matters to them (the deployment's billing zone, `BC_TIME_ZONE`: Beijing time
//! for the CN sites). The server formats with the time-zone database (`jiff`), so the zone data
//! never reaches the browser: a time crosses the wire as a [`Stamp`], the instant and its text.
use serde::{Deserialize, Serialize};

pub const SECOND_MS: i64 = 1_000;
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// An instant as a reader sees it: `ms` (Unix milliseconds, UTC) for sorting and links, `text`
/// ("2026-11-22 22:05 CST") worked out on the server in the reader's zone. Server and browser
/// render the same text, so hydration agrees.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub ms: i64,
    pub text: String,
}

impl Stamp {
    /// The day part of the text ("2026-11-22").
    pub fn date(&self) -> &str {
        self.text.get(..10).unwrap_or(&self.text)
    }
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(feature = "ssr")]
pub use zone::Zone;

#[cfg(feature = "ssr")]
mod zone {
    use super::Stamp;
    use jiff::tz::TimeZone;
    use jiff::Timestamp;

    /// The zone times are shown and billing days are cut in.
    #[derive(Clone, Debug)]
    pub struct Zone {
        name: String,
        tz: TimeZone,
    }

    /// Zones are the same when they have the same name.
    impl PartialEq for Zone {
        fn eq(&self, other: &Self) -> bool {
            self.name == other.name
        }
    }

    impl Eq for Zone {}

    impl Zone {
        /// An IANA zone ("Asia/Shanghai", "UTC"), from the bundled time-zone database.
        pub fn named(name: &str) -> Result<Self, String> {
            let tz = TimeZone::get(name).map_err(|_| format!("{name:?} is not a time zone"))?;
            Ok(Self {
                name: name.to_string(),
                tz,
            })
        }

        pub fn utc() -> Self {
            Self {
                name: "UTC".into(),
                tz: TimeZone::UTC,
            }
        }

        pub fn name(&self) -> &str {
            &self.name
        }

        /// `ms` as the reader sees it.
        pub fn stamp(&self, ms: i64) -> Stamp {
            Stamp {
                ms,
                text: self.format(ms),
            }
        }

        /// `ms` as "2026-11-22 22:05 CST" in this zone (the abbreviation, or the offset where
        /// the zone has none).
        pub fn format(&self, ms: i64) -> String {
            let Ok(at) = Timestamp::from_millisecond(ms) else {
                return String::new();
            };
            let zoned = at.to_zoned(self.tz.clone());
            let offset = zoned.offset();
            let info = self.tz.to_offset_info(at);
            let abbreviation = info.abbreviation();
            let suffix = if abbreviation.chars().all(|c| c.is_ascii_alphabetic()) {
                abbreviation.to_string()
            } else {
                format!("UTC{offset}")
            };
            format!("{} {suffix}", zoned.strftime("%Y-%m-%d %H:%M"))
        }

        /// The day (YYYY-MM-DD) `ms` falls on in this zone.
        pub fn date(&self, ms: i64) -> String {
            Timestamp::from_millisecond(ms)
                .map(|at| {
                    at.to_zoned(self.tz.clone())
                        .strftime("%Y-%m-%d")
                        .to_string()
                })
                .unwrap_or_default()
        }

        /// The first instant of the calendar month after the one `ms` falls in, in this
        /// zone (Unix milliseconds).
        pub fn next_month_start(&self, ms: i64) -> Option<i64> {
            let at = Timestamp::from_millisecond(ms)
                .ok()?
                .to_zoned(self.tz.clone());
            let next = at
                .date()
                .first_of_month()
                .checked_add(jiff::Span::new().months(1))
                .ok()?;
            Some(
                next.to_zoned(self.tz.clone())
                    .ok()?
                    .timestamp()
                    .as_millisecond(),
            )
        }

        /// A local date-time written in `format` (strftime) in this zone, as Unix
        /// milliseconds; `None` when it does not read or does not exist.
        pub fn parse_local(&self, text: &str, format: &str) -> Option<i64> {
            let local = jiff::civil::DateTime::strptime(format, text.trim()).ok()?;
            Some(
                local
                    .to_zoned(self.tz.clone())
                    .ok()?
                    .timestamp()
                    .as_millisecond(),
            )
        }

        /// `ms` written in `format` (strftime) in this zone.
        pub fn write_local(&self, ms: i64, format: &str) -> String {
            Timestamp::from_millisecond(ms)
                .map(|at| at.to_zoned(self.tz.clone()).strftime(format).to_string())
                .unwrap_or_default()
        }

        /// Whether `a` and `b` fall in the same calendar month in this zone.
        pub fn same_month(&self, a: i64, b: i64) -> bool {
            let month = |ms| self.date(ms).get(..7).map(str::to_string);
            month(a).is_some() && month(a) == month(b)
        }

        /// A list's "from" and "to" days as typed ("YYYY-MM-DD", both included; empty for no
        /// bound) as [start of `from`, end of `to`) in Unix milliseconds; a day that cannot be
        /// read is a field error on `from` or `to`.
        pub fn day_range(
            &self,
            from: &str,
            to: &str,
        ) -> Result<(Option<i64>, Option<i64>), crate::error::AppError> {
            let day = |field: &str, text: &str| {
                if text.trim().is_empty() {
                    return Ok(None);
                }
                self.day(text).map(Some).ok_or_else(|| {
                    crate::error::AppError::field(field, crate::messages::Msg::DateFormat)
                })
            };
            Ok((
                day("from", from)?.map(|(start, _)| start),
                day("to", to)?.map(|(_, end)| end),
            ))
        }

        /// The first instant of the day written "YYYY-MM-DD" in this zone, in Unix
        /// milliseconds; `None` for text that is not a date that exists.
        pub fn start_of_day(&self, text: &str) -> Option<i64> {
            self.day(text).map(|(start, _)| start)
        }

        /// The day written "YYYY-MM-DD" in this zone as [start, end) in Unix milliseconds (23
        /// or 25 hours on a day the clocks change).
        pub fn day(&self, text: &str) -> Option<(i64, i64)> {
            let text = text.trim();
            // Exactly a date: jiff would also read a date-time and drop its time and offset.
            let shape = text.len() == 10
                && text.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
            if !shape {
                return None;
            }
            let date: jiff::civil::Date = text.parse().ok()?;
            if !(1970..=9998).contains(&date.year()) {
                return None;
            }
            let start = date.to_zoned(self.tz.clone()).ok()?;
            let end = date.tomorrow().ok()?.to_zoned(self.tz.clone()).ok()?;
            Some((
                start.timestamp().as_millisecond(),
                end.timestamp().as_millisecond(),
            ))
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn beijing_readers_read_beijing_time() {
        let beijing = Zone::named("Asia/Shanghai").expect("zone");
        // 2026-11-23 00:05 UTC is 08:05 in Beijing.
        assert_eq!(beijing.format(1_795_392_300_000), "2026-11-23 08:05 CST");
        assert_eq!(
            Zone::utc().format(1_795_392_300_000),
            "2026-11-23 00:05 UTC"
        );
        assert_eq!(Zone::utc().format(0), "1970-01-01 00:00 UTC");
        // 2026-11-22 20:00 UTC is already the 23rd in Beijing.
        assert_eq!(beijing.date(1_795_377_600_000), "2026-11-23");
    }

    #[test]
    fn months_turn_in_the_readers_zone() {
        let beijing = Zone::named("Asia/Shanghai").expect("zone");
        // 2026-11-30 17:00 UTC is already 1 December in Beijing.
        let december_in_beijing = 1_796_058_000_000;
        assert_eq!(beijing.date(december_in_beijing), "2026-12-01");
        assert!(!beijing.same_month(december_in_beijing, december_in_beijing - 2 * DAY_MS));
        assert!(Zone::utc().same_month(december_in_beijing, december_in_beijing - 2 * DAY_MS));
        let next = beijing
            .next_month_start(december_in_beijing - 2 * DAY_MS)
            .expect("next");
        assert_eq!(beijing.format(next), "2026-12-01 00:00 CST");
    }

    #[test]
    fn zones_with_summer_time_follow_it() {
        let frankfurt = Zone::named("Europe/Berlin").expect("zone");
        // 2026-07-01 12:00 UTC is summer time, 2026-12-01 12:00 UTC winter time.
        assert_eq!(frankfurt.format(1_782_907_200_000), "2026-07-01 14:00 CEST");
        assert_eq!(frankfurt.format(1_796_126_400_000), "2026-12-01 13:00 CET");
        let singapore = Zone::named("Asia/Singapore").expect("zone");
        assert_eq!(
            singapore.format(1_796_126_400_000),
            "2026-12-01 20:00 UTC+08"
        );
    }

    #[test]
    fn days_start_at_midnight_in_the_zone() {
        let beijing = Zone::named("Asia/Shanghai").expect("zone");
        assert_eq!(Zone::utc().start_of_day("1970-01-01"), Some(0));
        assert_eq!(
            Zone::utc().start_of_day("2000-02-29"),
            Some(951_782_400_000)
        );
        assert_eq!(
            beijing.start_of_day("1970-01-02"),
            Some(DAY_MS - 8 * HOUR_MS)
        );
        assert_eq!(beijing.start_of_day("2026-02-30"), None);
        assert_eq!(beijing.start_of_day("yesterday"), None);
        assert_eq!(beijing.start_of_day("2026-11-22T23:00-05:00"), None);
        assert_eq!(beijing.start_of_day("2026-1-2"), None);
        assert!(Zone::named("Mars/Olympus").is_err());
        // The day the clocks go forward in Frankfurt has 23 hours.
        let frankfurt = Zone::named("Europe/Berlin").expect("zone");
        let (start, end) = frankfurt.day("2026-03-29").expect("day");
        assert_eq!(end - start, 23 * HOUR_MS);
    }
}
