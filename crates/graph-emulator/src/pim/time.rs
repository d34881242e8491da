//! Times in PIM schedules: ISO 8601 date-times (`2024-04-10T00:00:00Z`,
//! fractional seconds and offsets allowed) and durations (`PT5H`, `P1DT2H`),
//! as `requestSchedule` and `expirationPattern` carry them
//! (resources/requestschedule.md, resources/expirationpattern.md).

/// Seconds since the Unix epoch of an ISO 8601 date-time with a zone
/// (`Z` or `±hh:mm`); a bare date (`2027-03-31`) is midnight UTC.
pub fn parse_datetime(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = match s.find(['T', 't']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut d = date.splitn(3, '-');
    let y: i64 = d.next()?.parse().ok()?;
    let m: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    // Edm.DateTimeOffset's years are 0001–9999; bounding them also keeps the arithmetic in range.
    if !(1..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || date.len() != 10
    {
        return None;
    }
    let mut secs = days_from_civil(y, m, day) * 86_400;
    let Some(rest) = rest else {
        return Some(secs);
    };
    let (clock, offset) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else {
        let i = rest.rfind(['+', '-'])?;
        let (c, o) = rest.split_at(i);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let (oh, om) = o[1..].split_once(':')?;
        let off = oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60;
        (c, sign * off)
    };
    let clock = clock.split('.').next()?;
    let mut c = clock.splitn(3, ':');
    let h: i64 = c.next()?.parse().ok()?;
    let mi: i64 = c.next()?.parse().ok()?;
    let se: i64 = c.next().unwrap_or("0").parse().ok()?;
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    secs += h * 3600 + mi * 60 + se - offset;
    Some(secs)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds of an ISO 8601 duration: `P[nD][T[nH][nM][nS]]` (weeks `nW` too;
/// years and months are refused: their length depends on the start).
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let body = s.strip_prefix(['P', 'p'])?;
    if body.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut in_time = false;
    let mut num = String::new();
    let mut any = false;
    for ch in body.chars() {
        match ch {
            'T' | 't' if num.is_empty() && !in_time => in_time = true,
            '0'..='9' => num.push(ch),
            unit => {
                let n: i64 = num.parse().ok()?;
                num.clear();
                let mult = match (in_time, unit.to_ascii_uppercase()) {
                    (false, 'W') => 7 * 86_400,
                    (false, 'D') => 86_400,
                    (true, 'H') => 3600,
                    (true, 'M') => 60,
                    (true, 'S') => 1,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(mult)?)?;
                any = true;
            }
        }
    }
    // Beyond 10,000 years no schedule can end before Edm.DateTimeOffset's last year.
    (num.is_empty() && any && total <= MAX_DURATION_SECS).then_some(total)
}

/// The longest duration accepted (10,000 years).
const MAX_DURATION_SECS: i64 = 10_000 * 366 * 86_400;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::iso8601;

    #[test]
    fn date_times_round_trip_through_graphs_rendering() {
        for s in [
            "2024-04-10T00:00:00Z",
            "2027-03-31T23:59:59Z",
            "1999-12-31T12:00:00Z",
        ] {
            assert_eq!(iso8601(parse_datetime(s).unwrap()), s);
        }
        assert_eq!(
            parse_datetime("2022-04-14T00:00:00.000Z"),
            parse_datetime("2022-04-14T00:00:00Z")
        );
        assert_eq!(
            parse_datetime("2022-04-14T02:00:00+02:00"),
            parse_datetime("2022-04-14T00:00:00Z")
        );
        assert_eq!(
            parse_datetime("2027-03-31"),
            parse_datetime("2027-03-31T00:00:00Z")
        );
        for bad in [
            "",
            "tomorrow",
            "2024-13-01T00:00:00Z",
            "2024-04-10T25:00:00Z",
            "2024-4-1",
            "99999999999-01-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT5H"), Some(5 * 3600));
        assert_eq!(parse_duration("PT8H30M"), Some(8 * 3600 + 1800));
        assert_eq!(parse_duration("P1DT2H"), Some(26 * 3600));
        assert_eq!(parse_duration("P365D"), Some(365 * 86_400));
        for bad in [
            "",
            "P",
            "PT",
            "5H",
            "P1Y",
            "PT5",
            "P1H",
            "PTxH",
            "PT9223372036854775807S",
            "P99999999999999D",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
