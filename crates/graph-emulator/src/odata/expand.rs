//! `$expand` on users: only `manager`, with Graph's nested `$select` and
//! `$levels` rules.

use super::Query;
use crate::error::{GraphError, GraphResult};

/// `$expand=manager(...)` parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandManager {
    /// Nested `$select`, if any.
    pub select: Option<Vec<String>>,
    /// `$levels`: `None` (only the direct manager) or the depth (`max` = 1000).
    pub levels: Option<usize>,
}

/// Parse `$expand` for users: only `manager` (with `$levels`/`$select`) is supported.
pub fn parse_expand_manager(expand: &str, q: &Query) -> GraphResult<ExpandManager> {
    let e = expand.trim();
    let (name, inner) = match e.find('(') {
        Some(i) if e.ends_with(')') => (&e[..i], Some(&e[i + 1..e.len() - 1])),
        Some(_) => {
            return Err(GraphError::bad_request(format!(
                "Invalid $expand value '{e}'."
            )));
        }
        None => (e, None),
    };
    if name.contains(',') || !name.trim().eq_ignore_ascii_case("manager") {
        let first = name
            .split(',')
            .map(str::trim)
            .find(|n| !n.eq_ignore_ascii_case("manager"));
        return Err(GraphError::bad_request(format!(
            "Parsing OData Select and Expand failed: Could not find a property named '{}' on type 'microsoft.graph.user'.",
            first.unwrap_or(name)
        )));
    }
    let mut out = ExpandManager {
        select: None,
        levels: None,
    };
    if let Some(inner) = inner {
        for opt in inner.split(';') {
            let Some((k, v)) = opt.split_once('=') else {
                continue;
            };
            match k.trim().to_ascii_lowercase().as_str() {
                "$select" => {
                    out.select = Some(v.split(',').map(|s| s.trim().to_string()).collect())
                }
                "$levels" => {
                    let v = v.trim();
                    out.levels = Some(if v.eq_ignore_ascii_case("max") {
                        1000
                    } else {
                        match v.parse::<usize>() {
                            Ok(n) if (1..=1000).contains(&n) => n,
                            _ => {
                                return Err(GraphError::bad_request(format!(
                                    "Invalid value '{v}' for $levels. Supported values are 'max' or integers from 1 to 1000."
                                )));
                            }
                        }
                    })
                }
                other => {
                    return Err(GraphError::bad_request(format!(
                        "Query option '{other}' is not supported inside $expand=manager."
                    )));
                }
            }
        }
    }
    if out.select.is_some() && out.levels.is_none() {
        return Err(GraphError::bad_request(
            "$select is only supported inside $expand=manager together with $levels.",
        ));
    }
    if out.levels.is_some() && !q.advanced() {
        return Err(GraphError::needs_advanced("$levels"));
    }
    Ok(out)
}
