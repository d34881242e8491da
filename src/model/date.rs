//! Calendar dates as PIM's `until` uses them: `YYYY-MM-DD` (UTC), compared
//! as text (the format sorts like the dates it names). Pure: the clock is an
//! input ([`date_of_unix`] turns the caller's "now" into a date).

/// Is `s` a real calendar date written `YYYY-MM-DD` (years 2000–9999)?
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let t = s.get(r)?;
        if t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse().ok()
        } else {
            None
        }
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    (2000..=9999).contains(&y) && (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The UTC date of a Unix time in seconds (`YYYY-MM-DD`).
pub fn date_of_unix(secs: i64) -> String {
    super::clock::Moment(secs).date()
}

/// A Unix time as Graph's date-time (`2027-03-31T08:00:00Z`, UTC).
pub fn datetime_of_unix(secs: i64) -> String {
    super::clock::Moment(secs).to_rfc3339()
}

/// The date part of a Graph date-time (`2027-03-31T23:59:59Z` → `2027-03-31`),
/// `None` when it does not start with a date.
pub fn date_of_datetime(s: &str) -> Option<String> {
    let d = s.get(..10)?;
    is_date(d).then(|| d.to_string())
}

/// The `endDateTime` entraform sends for `until: D`: the last second of that
/// day, UTC (the holding lasts through the day the YAML names).
pub fn end_of_day(date: &str) -> String {
    format!("{date}T23:59:59Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked_for_the_calendar() {
        assert!(is_date("2027-03-31"));
        assert!(is_date("2028-02-29"));
        assert!(!is_date("2027-02-29"));
        assert!(!is_date("2027-04-31"));
        assert!(!is_date("2027-3-31"));
        assert!(!is_date("31/03/2027"));
        assert!(!is_date("2027-03-31T00:00:00Z"));
        assert!(!is_date("1999-12-31"));
    }

    #[test]
    fn unix_times_become_utc_dates() {
        assert_eq!(date_of_unix(0), "1970-01-01");
        assert_eq!(date_of_unix(951_782_400), "2000-02-29");
        assert_eq!(date_of_unix(1_798_761_599), "2026-12-31");
        assert_eq!(date_of_unix(1_798_761_600), "2027-01-01");
        assert_eq!(datetime_of_unix(1_798_761_599), "2026-12-31T23:59:59Z");
    }

    #[test]
    fn graph_date_times_give_their_date() {
        assert_eq!(
            date_of_datetime("2027-03-31T23:59:59Z").as_deref(),
            Some("2027-03-31")
        );
        assert_eq!(date_of_datetime("garbage"), None);
        assert_eq!(end_of_day("2027-03-31"), "2027-03-31T23:59:59Z");
    }
}
