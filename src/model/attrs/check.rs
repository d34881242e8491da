//! The one check of each value kind, shared by the YAML decoder (which turns
//! a failure into a diagnostic) and `export` (which leaves a live value the
//! repo could not hold unmanaged, with a comment).

use std::borrow::Cow;

use super::{AttrValue, Kind, MAIL_NICKNAME_FORBIDDEN};
use crate::model::country;

/// Why a value does not fit its attribute's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Longer than Graph allows (`len` characters, at most `max`).
    TooLong {
        /// Characters in the value.
        len: usize,
        /// Graph's limit.
        max: usize,
    },
    /// A character Graph rejects in a mailNickname.
    NicknameChar(char),
    /// Not `YYYY-MM-DD` or an RFC 3339 timestamp of a real day.
    NotADate,
    /// Not an ISO 3166-1 alpha-2 code.
    NotACountryCode,
    /// Not a language tag such as `en` or `en-US`.
    NotALanguageTag,
    /// More items than Graph keeps.
    TooManyItems {
        /// Items in the value.
        count: usize,
        /// Graph's limit.
        max: usize,
    },
    /// This item is not an e-mail address.
    NotAnEmail(String),
    /// Not one of the values Graph accepts for this attribute.
    NotOneOf {
        /// The accepted values.
        allowed: &'static [&'static str],
    },
    /// A character Graph rejects in `onPremisesImmutableId` (`$` or `_`).
    ImmutableIdChar(char),
    /// A list where one value belongs, or one value where a list belongs.
    WrongShape,
}

impl Kind {
    /// Check `value` against this kind. `Ok(Borrowed)`: the value is valid and
    /// already in the form Graph stores; `Ok(Owned)`: valid, normalised (a
    /// date `2021-03-01` becomes `2021-03-01T00:00:00Z`).
    pub fn check(self, value: &AttrValue) -> Result<Cow<'_, AttrValue>, Invalid> {
        fn text(v: &AttrValue) -> Result<&str, Invalid> {
            match v {
                AttrValue::Text(t) => Ok(t),
                AttrValue::List(_) => Err(Invalid::WrongShape),
            }
        }
        fn list(v: &AttrValue) -> Result<&[String], Invalid> {
            match v {
                AttrValue::List(l) => Ok(l),
                AttrValue::Text(_) => Err(Invalid::WrongShape),
            }
        }
        let max_len = |t: &str, max: usize| {
            let len = t.chars().count();
            if len > max {
                Err(Invalid::TooLong { len, max })
            } else {
                Ok(())
            }
        };
        match self {
            Kind::Text { max } => max_len(text(value)?, max)?,
            Kind::MailNickname => {
                let t = text(value)?;
                max_len(t, 64)?;
                if let Some(c) = t
                    .chars()
                    .find(|c| MAIL_NICKNAME_FORBIDDEN.contains(*c) || !c.is_ascii())
                {
                    return Err(Invalid::NicknameChar(c));
                }
            }
            Kind::Date => {
                let t = text(value)?;
                let normal = normalize_date(t).ok_or(Invalid::NotADate)?;
                if normal != t {
                    return Ok(Cow::Owned(AttrValue::Text(normal)));
                }
            }
            Kind::CountryCode => {
                if !country::is_alpha2(text(value)?) {
                    return Err(Invalid::NotACountryCode);
                }
            }
            Kind::Language => {
                if !is_language_tag(text(value)?) {
                    return Err(Invalid::NotALanguageTag);
                }
            }
            Kind::Phones { max_items } => {
                let l = list(value)?;
                if l.len() > max_items {
                    return Err(Invalid::TooManyItems {
                        count: l.len(),
                        max: max_items,
                    });
                }
            }
            Kind::Emails => {
                if let Some(bad) = list(value)?.iter().find(|m| !is_email(m)) {
                    return Err(Invalid::NotAnEmail(bad.clone()));
                }
            }
            Kind::OneOf { values } => {
                if !values.contains(&text(value)?) {
                    return Err(Invalid::NotOneOf { allowed: values });
                }
            }
            Kind::ImmutableId => {
                let t = text(value)?;
                max_len(t, 64)?;
                if let Some(c) = t.chars().find(|c| matches!(c, '$' | '_')) {
                    return Err(Invalid::ImmutableIdChar(c));
                }
            }
        }
        Ok(Cow::Borrowed(value))
    }
}

/// An e-mail address as Graph accepts it in `otherMails`: something before
/// the last `@`, a dotted domain after it, no whitespace.
pub fn is_email(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// A language tag: an ISO 639 language in lower case, optionally followed by
/// `-` subtags of 2–8 letters or digits (`en`, `en-US`, `zh-Hant-TW`).
pub fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let lang = parts.next().unwrap_or("");
    let lang_ok = (2..=3).contains(&lang.len()) && lang.chars().all(|c| c.is_ascii_lowercase());
    let rest_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    lang_ok && rest_ok
}

/// Normalise `YYYY-MM-DD` or an RFC 3339 timestamp to Graph's `YYYY-MM-DDTHH:MM:SSZ`.
pub fn normalize_date(s: &str) -> Option<String> {
    let (date, time) = match s.split_once(['T', 't', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut it = date.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (u32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d == 0 || d > days[(m - 1) as usize] || y < 1900 {
        return None;
    }
    let hms = match time {
        None => "00:00:00".to_string(),
        Some(t) => {
            let t = t.trim_end_matches(['Z', 'z']);
            let t = t.split(['+', '-']).next().unwrap_or(t);
            let t = t.split('.').next().unwrap_or(t);
            let mut p = t.split(':');
            let (h, mi, se) = (p.next()?, p.next()?, p.next().unwrap_or("00"));
            let (h, mi, se): (u32, u32, u32) =
                (h.parse().ok()?, mi.parse().ok()?, se.parse().ok()?);
            if h > 23 || mi > 59 || se > 59 {
                return None;
            }
            format!("{h:02}:{mi:02}:{se:02}")
        }
    };
    Some(format!("{y:04}-{m:02}-{d:02}T{hms}Z"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_normalise() {
        assert_eq!(
            normalize_date("2021-03-01").as_deref(),
            Some("2021-03-01T00:00:00Z")
        );
        assert_eq!(
            normalize_date("2021-03-01T08:30:00Z").as_deref(),
            Some("2021-03-01T08:30:00Z")
        );
        assert_eq!(
            normalize_date("2020-02-29").as_deref(),
            Some("2020-02-29T00:00:00Z")
        );
        assert!(normalize_date("2021-02-29").is_none());
        assert!(normalize_date("2021-13-01").is_none());
        assert!(normalize_date("01/03/2021").is_none());
    }

    #[test]
    fn small_format_checks() {
        assert!(is_language_tag("en-US") && is_language_tag("fr") && !is_language_tag("EN_us"));
        assert!(is_email("a@b.org") && !is_email("a@b") && !is_email("nope"));
    }

    #[test]
    fn check_says_what_is_wrong_and_normalises() {
        let t = |s: &str| AttrValue::Text(s.into());
        let l = |v: &[&str]| AttrValue::List(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            Kind::Text { max: 3 }.check(&t("abcd")),
            Err(Invalid::TooLong { len: 4, max: 3 })
        );
        assert_eq!(
            Kind::MailNickname.check(&t("a b")),
            Err(Invalid::NicknameChar(' '))
        );
        assert_eq!(
            Kind::Date.check(&t("2021-03-01")),
            Ok(Cow::Owned(t("2021-03-01T00:00:00Z")))
        );
        assert!(matches!(
            Kind::Date.check(&t("2021-03-01T00:00:00Z")),
            Ok(Cow::Borrowed(_))
        ));
        assert_eq!(
            Kind::CountryCode.check(&t("us")),
            Err(Invalid::NotACountryCode)
        );
        assert_eq!(
            Kind::Language.check(&t("EN")),
            Err(Invalid::NotALanguageTag)
        );
        assert_eq!(
            Kind::Phones { max_items: 1 }.check(&l(&["1", "2"])),
            Err(Invalid::TooManyItems { count: 2, max: 1 })
        );
        assert_eq!(
            Kind::Emails.check(&l(&["a@b.org", "x"])),
            Err(Invalid::NotAnEmail("x".into()))
        );
        assert_eq!(Kind::Emails.check(&t("a@b.org")), Err(Invalid::WrongShape));
        let one_of = Kind::OneOf {
            values: &["Member", "Guest"],
        };
        assert!(one_of.check(&t("Guest")).is_ok());
        assert_eq!(
            one_of.check(&t("guest")),
            Err(Invalid::NotOneOf {
                allowed: &["Member", "Guest"]
            })
        );
        assert!(Kind::ImmutableId.check(&t("AbC+/9==")).is_ok());
        assert_eq!(
            Kind::ImmutableId.check(&t("a_b")),
            Err(Invalid::ImmutableIdChar('_'))
        );
        assert_eq!(
            Kind::Text { max: 9 }.check(&l(&["a"])),
            Err(Invalid::WrongShape)
        );
    }
}
