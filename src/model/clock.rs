//! The clock as a value: the moment a plan is computed for (`--now`, by
//! default the system time, read only at the CLI edge) and the dates the
//! lifecycle rules compare with it (leave and hire dates, `until:` of a
//! membership, `delete_after:`). The pure core never reads the system clock,
//! so the same inputs give the same plan.

use serde::{Deserialize, Serialize};

use super::attrs::normalize_date;

/// A moment in UTC, whole seconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Moment(pub i64);

/// Days from 1970-01-01 to the civil date `y-m-d` (proleptic Gregorian; H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl Moment {
    /// `YYYY-MM-DD` (midnight UTC) or an RFC 3339 timestamp, as the attribute
    /// table accepts dates (`None` for anything else).
    pub fn parse(text: &str) -> Option<Moment> {
        let n = normalize_date(text.trim())?;
        let num = |r: std::ops::Range<usize>| n.get(r).and_then(|s| s.parse::<i64>().ok());
        let days = days_from_civil(num(0..4)?, num(5..7)?, num(8..10)?);
        let secs = num(11..13)? * 3600 + num(14..16)? * 60 + num(17..19)?;
        Some(Moment(days * 86_400 + secs))
    }

    /// This moment plus `secs` seconds (saturating).
    pub fn plus(self, secs: i64) -> Moment {
        Moment(self.0.saturating_add(secs))
    }

    /// Graph's form, `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn to_rfc3339(self) -> String {
        let (days, secs) = (self.0.div_euclid(86_400), self.0.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }

    /// The date part, `YYYY-MM-DD`.
    pub fn date(self) -> String {
        self.to_rfc3339()[..10].to_string()
    }
}

impl std::fmt::Display for Moment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// Most a lifecycle interval may be: 100 years (bounds every addition to a date).
pub const MAX_SPAN_SECS: i64 = 100 * 366 * 86_400;

/// A span such as `30d`, `8h`, `90m` or `1d12h` in seconds (`None` when
/// malformed, zero or longer than [`MAX_SPAN_SECS`]).
pub fn parse_span(text: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut num: Option<i64> = None;
    for c in text.trim().chars() {
        if let Some(d) = c.to_digit(10) {
            num = Some(
                num.unwrap_or(0)
                    .checked_mul(10)?
                    .checked_add(i64::from(d))?,
            );
            continue;
        }
        let unit = match c {
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return None,
        };
        total = total.checked_add(num.take()?.checked_mul(unit)?)?;
    }
    (num.is_none() && total > 0 && total <= MAX_SPAN_SECS).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_dates() {
        assert_eq!(Moment::parse("1970-01-01"), Some(Moment(0)));
        assert_eq!(Moment::parse("1970-01-02T00:00:01Z"), Some(Moment(86_401)));
        let m = Moment::parse("2026-12-31T23:59:59Z").unwrap();
        assert_eq!(m.to_rfc3339(), "2026-12-31T23:59:59Z");
        assert_eq!(m.plus(1).to_rfc3339(), "2027-01-01T00:00:00Z");
        assert_eq!(
            Moment::parse("2024-02-29").unwrap().to_rfc3339(),
            "2024-02-29T00:00:00Z"
        );
        assert_eq!(Moment::parse("2024-02-30"), None);
        assert_eq!(Moment::parse("yesterday"), None);
        assert_eq!(Moment::parse("2026-12-01").unwrap().date(), "2026-12-01");
    }

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        for day in (-25_567..121_000).step_by(7) {
            let m = Moment(day * 86_400 + 3_723);
            assert_eq!(Moment::parse(&m.to_rfc3339()), Some(m), "{m}");
        }
    }

    #[test]
    fn spans() {
        assert_eq!(parse_span("30d"), Some(30 * 86_400));
        assert_eq!(parse_span("8h"), Some(8 * 3600));
        assert_eq!(parse_span("1d12h"), Some(36 * 3600));
        assert_eq!(parse_span("2w"), Some(14 * 86_400));
        for bad in [
            "",
            "d",
            "30",
            "0d",
            "30x",
            "99999999999999999999d",
            "40000d",
        ] {
            assert_eq!(parse_span(bad), None, "{bad}");
        }
    }
}
