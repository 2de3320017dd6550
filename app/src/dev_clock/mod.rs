//! The development clock (`BC_DEV_CLOCK=1`, development and tests only): moves the server's
//! time forward, so that what waits for time (an arrears period and its lock, rating after
//! midnight, expiry, reminders) can be tried in minutes rather than weeks. The lead is kept in
//! the database, so every replica reads the same time, and only grows: the time never goes
//! back. Moving it runs every timer at once at the new time.
pub mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod store;

pub use page::DevClockPage;

use crate::messages::Msg;
use crate::time::{DAY_MS, HOUR_MS};

/// The furthest one move goes: a year and a day, longer than any period of the product.
pub const MAX_MOVE_DAYS: i64 = 366;
/// The furthest the clock may run ahead in all.
pub const MAX_LEAD_MS: i64 = 10 * 366 * DAY_MS;

/// A move forward as typed (whole days and hours, either may be empty), in milliseconds; or
/// the field that is wrong and why.
pub fn parse_move(days: &str, hours: &str) -> Result<i64, (&'static str, Msg)> {
    let whole = |text: &str, max: i64| -> Option<i64> {
        let text = text.trim();
        if text.is_empty() {
            return Some(0);
        }
        if text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok().filter(|n| *n <= max)
    };
    let days = whole(days, MAX_MOVE_DAYS).ok_or(("days", Msg::ClockDays))?;
    let hours = whole(hours, 23).ok_or(("hours", Msg::ClockHours))?;
    match days * DAY_MS + hours * HOUR_MS {
        0 => Err(("days", Msg::ClockNoMove)),
        step => Ok(step),
    }
}

/// A lead as whole days and the hours beyond them.
pub fn days_and_hours(lead_ms: i64) -> (i64, i64) {
    (lead_ms / DAY_MS, lead_ms % DAY_MS / HOUR_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_are_whole_bounded_and_forward() {
        assert_eq!(parse_move("15", ""), Ok(15 * DAY_MS));
        assert_eq!(parse_move(" 1 ", "2"), Ok(DAY_MS + 2 * HOUR_MS));
        assert_eq!(parse_move("", "23"), Ok(23 * HOUR_MS));
        assert_eq!(parse_move("366", "23"), Ok(366 * DAY_MS + 23 * HOUR_MS));
        for days in [
            "-1",
            "367",
            "1.5",
            "1e3",
            "99999999999999999999",
            "+1",
            "\0",
            "一",
        ] {
            assert_eq!(
                parse_move(days, "").map_err(|e| e.0),
                Err("days"),
                "{days:?}"
            );
        }
        for hours in ["24", "-1", "0.5", "x"] {
            assert_eq!(
                parse_move("1", hours).map_err(|e| e.0),
                Err("hours"),
                "{hours:?}"
            );
        }
        assert_eq!(parse_move("", ""), Err(("days", Msg::ClockNoMove)));
        assert_eq!(parse_move("0", "0"), Err(("days", Msg::ClockNoMove)));
        assert_eq!(days_and_hours(15 * DAY_MS + 3 * HOUR_MS + 5), (15, 3));
    }
}
