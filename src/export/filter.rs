//! `--users FILTER`: the small subset of OData `$filter` that export applies
//! itself, to the users already read (the reader has no user filter).
//!
//! Supported: `startswith(prop,'text')` and `prop eq 'text'` on a string
//! property of a user (`userPrincipalName`, `department`, `jobTitle`…), and
//! `accountEnabled eq true|false`, joined with ` and `. Comparison ignores
//! case, as Graph does for these properties. Anything else is refused.

use crate::live::LiveUser;

/// One comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Clause {
    StartsWith { prop: String, text: String },
    Eq { prop: String, text: String },
    Enabled(bool),
}

/// A parsed `--users` filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFilter {
    clauses: Vec<Clause>,
}

/// A filter outside the supported subset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unsupported --users filter `{0}`: use startswith(prop,'text') or prop eq 'text' on a user's string property (e.g. userPrincipalName, department), or accountEnabled eq true|false, joined with `and`"
)]
pub struct FilterError(pub String);

fn is_prop(p: &str) -> bool {
    !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()) && p != "accountEnabled"
}

/// `'text'` with `''` as an escaped quote.
fn quoted(s: &str) -> Option<String> {
    let inner = s.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' && chars.next() != Some('\'') {
            return None;
        }
        out.push(c);
    }
    Some(out)
}

fn clause(s: &str) -> Option<Clause> {
    let s = s.trim();
    if let Some(args) = s
        .strip_prefix("startswith(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let (prop, text) = args.split_once(',')?;
        let prop = prop.trim();
        if !is_prop(prop) {
            return None;
        }
        return Some(Clause::StartsWith {
            prop: prop.to_string(),
            text: quoted(text.trim())?,
        });
    }
    let (prop, value) = s.split_once(" eq ")?;
    let (prop, value) = (prop.trim(), value.trim());
    if prop == "accountEnabled" {
        return match value {
            "true" => Some(Clause::Enabled(true)),
            "false" => Some(Clause::Enabled(false)),
            _ => None,
        };
    }
    if !is_prop(prop) {
        return None;
    }
    Some(Clause::Eq {
        prop: prop.to_string(),
        text: quoted(value)?,
    })
}

impl UserFilter {
    /// Parse a filter, or say why it is not supported.
    pub fn parse(s: &str) -> Result<UserFilter, FilterError> {
        let clauses: Option<Vec<Clause>> = s.split(" and ").map(clause).collect();
        match clauses {
            Some(c) if !c.is_empty() => Ok(UserFilter { clauses: c }),
            _ => Err(FilterError(s.to_string())),
        }
    }

    /// Does the user match every clause?
    pub fn matches(&self, u: &LiveUser) -> bool {
        let text = |prop: &str| -> Option<String> {
            match u.attribute(prop)? {
                serde_json::Value::String(s) => Some(s.to_lowercase()),
                _ => None,
            }
        };
        self.clauses.iter().all(|c| match c {
            Clause::StartsWith { prop, text: t } => {
                text(prop).is_some_and(|v| v.starts_with(&t.to_lowercase()))
            }
            Clause::Eq { prop, text: t } => text(prop).is_some_and(|v| v == t.to_lowercase()),
            Clause::Enabled(b) => u.account_enabled == *b,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_subset() {
        let f = UserFilter::parse("startswith(userPrincipalName,'a') and department eq 'R''D'")
            .unwrap();
        assert_eq!(
            f.clauses,
            vec![
                Clause::StartsWith {
                    prop: "userPrincipalName".into(),
                    text: "a".into()
                },
                Clause::Eq {
                    prop: "department".into(),
                    text: "R'D".into()
                }
            ]
        );
        assert!(UserFilter::parse("accountEnabled eq true").is_ok());
        for bad in [
            "",
            "department ne 'x'",
            "startswith(userPrincipalName,a)",
            "department eq 'x' or city eq 'y'",
            "endswith(mail,'x')",
            "accountEnabled eq 'x'",
        ] {
            assert!(UserFilter::parse(bad).is_err(), "{bad}");
        }
    }
}
