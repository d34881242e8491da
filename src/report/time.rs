//! Timestamps of Graph (ISO 8601, UTC or with an offset) as Unix seconds, and
//! back: the reports compare them with `now`, which the caller passes in.
//! The calendar arithmetic is `model::clock`'s.

use crate::model::clock::{Moment, days_from_civil};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Parse `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]` (or a date alone) into
/// Unix seconds. `None` for anything else, for an empty string, and for
/// Graph's "no value" placeholder `0001-01-01T00:00:00Z` (docs/reports.md).
pub fn parse(s: &str) -> Option<i64> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        if t.is_empty() || !t.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if y <= 1 || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) * DAY;
    if b.len() == 10 {
        return Some(secs);
    }
    if !matches!(b[10], b'T' | b't' | b' ') || b.len() < 19 || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    secs += hh * 3600 + mm * 60 + ss;
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    match rest {
        "" | "Z" | "z" => Some(secs),
        off if off.len() == 6 && (off.starts_with('+') || off.starts_with('-')) => {
            let ob = off.as_bytes();
            if ob[3] != b':' {
                return None;
            }
            let oh: i64 = off.get(1..3)?.parse().ok()?;
            let om: i64 = off.get(4..6)?.parse().ok()?;
            if oh > 23 || om > 59 {
                return None;
            }
            let delta = oh * 3600 + om * 60;
            Some(if ob[0] == b'+' {
                secs - delta
            } else {
                secs + delta
            })
        }
        _ => None,
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds.
pub fn iso(secs: i64) -> String {
    Moment(secs).to_rfc3339()
}

/// `YYYY-MM-DD` for Unix seconds.
pub fn date(secs: i64) -> String {
    Moment(secs).date()
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_graph_timestamps() {
        assert_eq!(parse("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse("2024-03-01T00:00:00Z"), Some(1_709_251_200));
        assert_eq!(
            parse("2023-03-13T19:15:41.6195833Z"),
            parse("2023-03-13T19:15:41Z")
        );
        assert_eq!(
            parse("2024-06-01T02:00:00+02:00"),
            parse("2024-06-01T00:00:00Z")
        );
        assert_eq!(parse("2024-06-01"), parse("2024-06-01T00:00:00Z"));
    }

    #[test]
    fn refuses_placeholders_and_garbage() {
        for s in [
            "",
            "0001-01-01T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-06-01T25:00:00Z",
            "2024-06-01T00:00:00+0200",
            "2024-06-01T00:00:00.Z",
            "yesterday",
            "２０２４-06-01",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }

    #[test]
    fn round_trips() {
        for secs in [0, 951_782_400, 1_709_251_200, 4_102_444_799] {
            assert_eq!(parse(&iso(secs)), Some(secs));
        }
        assert_eq!(date(1_709_251_200), "2024-03-01");
    }
}
