//! Shared components driven by props: layout, navigation, data states, status pages.
mod data_state;
mod filter_links;
mod form;
mod layout;
mod status_pages;
mod table;

pub use data_state::{DataState, ErrorPanel};
pub use filter_links::FilterLinks;
pub use form::{query_value, successes, Field, FormError, FormResult};
pub use layout::Layout;
pub use status_pages::NotFoundPage;
pub use table::DataTable;

/// A stored time (Unix milliseconds) as "2026-11-22 14:05 UTC". The same on server and
/// browser, so hydration agrees; local-time display can come later.
pub fn utc_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// The start of a UTC day written "YYYY-MM-DD", in Unix milliseconds.
pub fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: i64 = parts.next()?.parse().ok()?;
    let day: i64 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(1970..=9999).contains(&year) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm), the inverse of `utc_time`.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let ms = days * 86_400_000;
    // Refuse dates that do not exist (2026-02-30): they would not read back the same.
    utc_time(ms)
        .starts_with(&format!("{year:04}-{month:02}-{day:02}"))
        .then_some(ms)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_parse_to_the_start_of_their_day() {
        assert_eq!(super::parse_date("1970-01-01"), Some(0));
        assert_eq!(super::parse_date("2000-02-29"), Some(951_782_400_000));
        assert_eq!(super::parse_date("2026-02-30"), None);
        assert_eq!(super::parse_date("yesterday"), None);
    }

    #[test]
    fn utc_times_are_civil_dates() {
        assert_eq!(super::utc_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::utc_time(1_795_392_300_000), "2026-11-23 00:05 UTC");
        assert_eq!(super::utc_time(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}

/// A page's `<Title>` text. On the server it is worked out now, while the page renders inside
/// its request: the head is filled in after the render, on whatever thread then runs it, where
/// reading the page's signals (the language) is not safe and under load panicked. In the browser
/// it stays reactive, so switching the language changes the title.
pub fn page_title(
    text: impl Fn() -> String + Send + Sync + 'static,
) -> leptos::text_prop::TextProp {
    #[cfg(feature = "ssr")]
    {
        text().into()
    }
    #[cfg(not(feature = "ssr"))]
    {
        text.into()
    }
}
