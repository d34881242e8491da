//! OData query options: parsing `$select`, `$top`, `$filter`, `$orderby`,
//! `$expand`, `$count`, `$skiptoken`, and Graph's rules on which need the
//! advanced-query mode (`ConsistencyLevel: eventual` + `$count=true`).
//!
//! This module reads the options of a request ([`Query`]); the `$filter` and
//! `$search` languages (parsing, Graph's rules, evaluation) are in [`filter`],
//! and `$expand` in [`expand`].

mod expand;
mod filter;

pub use expand::{ExpandManager, parse_expand_manager};
pub use filter::{
    Cmp, Expr, Lit, MAX_OR_CLAUSES, Work, check_filter, eval, eval_with, parse_filter, parse_search,
};

use super::error::{GraphError, GraphResult};
use super::limits;
use super::schema::canonical;

/// Largest `$top` Graph accepts on directory collections.
pub const MAX_TOP: usize = 999;
/// Page size when no `$top` is given.
pub const DEFAULT_PAGE: usize = 100;

/// The query options of one request, parsed but not yet checked against a resource.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// `$select` items as written.
    pub select: Option<Vec<String>>,
    /// `$top`, validated to 1..=999.
    pub top: Option<usize>,
    /// `$filter` expression.
    pub filter: Option<Expr>,
    /// `$count=true`.
    pub count: bool,
    /// `$orderby`: property as written and whether descending.
    pub orderby: Option<(String, bool)>,
    /// `$expand` as written.
    pub expand: Option<String>,
    /// `$skiptoken` (opaque position).
    pub skiptoken: Option<String>,
    /// `$deltatoken`.
    pub deltatoken: Option<String>,
    /// `$search` as written.
    pub search: Option<String>,
    /// `ConsistencyLevel: eventual` was sent.
    pub eventual: bool,
    /// Every parameter except `$skiptoken`/`$deltatoken`, raw, for building `@odata.nextLink`.
    pub passthrough: Vec<(String, String)>,
}

impl Query {
    /// Advanced query mode: `ConsistencyLevel: eventual` and `$count=true`.
    pub fn advanced(&self) -> bool {
        self.eventual && self.count
    }

    /// Parse decoded `(name, value)` pairs. Unknown `$` options fail like Graph.
    pub fn parse(params: &[(String, String)], eventual: bool) -> GraphResult<Query> {
        let mut q = Query {
            eventual,
            ..Query::default()
        };
        check_option_names(params)?;
        for (raw_name, value) in params {
            let name = raw_name.trim();
            let lname = option_name(name);
            match lname.as_str() {
                "$skiptoken" => {
                    q.skiptoken = Some(value.clone());
                    continue;
                }
                "$deltatoken" => {
                    q.deltatoken = Some(value.clone());
                    continue;
                }
                _ => {}
            }
            q.passthrough.push((name.to_string(), value.clone()));
            match lname.as_str() {
                "$select" => {
                    limits::check_nesting(value)?;
                    q.select = Some(
                        value
                            .split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect(),
                    )
                }
                "$top" => q.top = Some(parse_top(value)?),
                "$filter" => q.filter = Some(parse_filter(value)?),
                "$count" => match value.trim() {
                    "true" => q.count = true,
                    "false" => q.count = false,
                    other => {
                        return Err(GraphError::bad_request(format!(
                            "Invalid value '{other}' for $count query option found. Valid values are 'true' and 'false'."
                        )));
                    }
                },
                "$orderby" => {
                    limits::check_nesting(value)?;
                    let v = value.trim();
                    let (prop, desc) = match v.rsplit_once(' ') {
                        Some((p, dir)) if dir.eq_ignore_ascii_case("desc") => (p.trim(), true),
                        Some((p, dir)) if dir.eq_ignore_ascii_case("asc") => (p.trim(), false),
                        _ => (v, false),
                    };
                    if prop.contains(',') {
                        return Err(GraphError::unsupported_query(
                            "Sorting by more than one property is not supported.",
                        ));
                    }
                    q.orderby = Some((prop.to_string(), desc));
                }
                "$expand" => {
                    limits::check_nesting(value)?;
                    q.expand = Some(value.trim().to_string())
                }
                "$search" => q.search = Some(value.clone()),
                "$skip" => {
                    return Err(GraphError::bad_request(
                        "'$skip' is not supported by the service.",
                    ));
                }
                "$format" | "$apply" | "$compute" | "$levels" => {
                    return Err(GraphError::bad_request(format!(
                        "Query option '{name}' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings."
                    )));
                }
                _ => {}
            }
        }
        if q.search.is_some() && !q.eventual {
            return Err(GraphError::unsupported_query(
                "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
            ));
        }
        Ok(q)
    }

    /// Page size: `$top` or the default.
    pub fn page_size(&self) -> usize {
        self.top.unwrap_or(DEFAULT_PAGE)
    }

    /// Resolve `$select` against a type's property list (case-insensitive).
    pub fn resolve_select(
        &self,
        props: &[&'static str],
        type_name: &str,
    ) -> GraphResult<Option<Vec<&'static str>>> {
        let Some(sel) = &self.select else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(sel.len());
        for s in sel {
            if s == "*" {
                return Ok(Some(props.to_vec()));
            }
            match canonical(props, s) {
                Some(p) => {
                    if !out.contains(&p) {
                        out.push(p)
                    }
                }
                None => return Err(GraphError::unknown_property(s, type_name)),
            }
        }
        Ok(Some(out))
    }
}

/// The system query options the emulator knows (those it serves and those it
/// refuses with Graph's specific message).
const KNOWN_OPTIONS: &[&str] = &[
    "$select",
    "$top",
    "$filter",
    "$count",
    "$orderby",
    "$expand",
    "$search",
    "$skiptoken",
    "$deltatoken",
    "$skip",
    "$format",
    "$apply",
    "$compute",
    "$levels",
];

/// A query parameter name lower-cased, with a still-encoded `%24` read as `$`.
fn option_name(name: &str) -> String {
    let lname = name.trim().to_ascii_lowercase();
    if !lname.starts_with('$') && lname.starts_with("%24") {
        lname.replacen("%24", "$", 1)
    } else {
        lname
    }
}

/// Refuse `$`-prefixed parameters that are not system query options, as Graph's
/// directory service does: 400 `Request_BadRequest` "Unrecognized query argument
/// specified: 'x'." (the wording of Microsoft's known issue on `$search` with an
/// encoded `&`, and of microsoftgraph/microsoft-graph-docs issue #3879).
/// Parameters without `$` are custom query options and are ignored.
pub fn check_option_names(params: &[(String, String)]) -> GraphResult<()> {
    for (raw, _) in params {
        let name = option_name(raw);
        if name.starts_with('$') && !KNOWN_OPTIONS.contains(&name.as_str()) {
            return Err(GraphError::bad_request(format!(
                "Unrecognized query argument specified: '{}'.",
                raw.trim()
            )));
        }
    }
    Ok(())
}

fn parse_top(value: &str) -> GraphResult<usize> {
    let v = value.trim();
    let n: i64 = v.parse().map_err(|_| {
        GraphError::bad_request(format!(
            "Invalid value '{v}' for $top query option found. The $top query option requires a non-negative integer value."
        ))
    })?;
    if n < 0 {
        return Err(GraphError::bad_request(format!(
            "Invalid value '{v}' for $top query option found. The $top query option requires a non-negative integer value."
        )));
    }
    if n == 0 || n as usize > MAX_TOP {
        return Err(GraphError::unsupported_query(format!(
            "Invalid page size specified: '{n}'. Must be between 1 and 999 inclusive."
        )));
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }
    #[test]
    fn unknown_dollar_options_fail() {
        let q = |k: &str| Query::parse(&[(k.to_string(), "1".to_string())], false);
        assert_eq!(
            q("$foo").unwrap_err().message,
            "Unrecognized query argument specified: '$foo'."
        );
        assert!(q("%24bar").is_err());
        assert!(q("foo").is_ok());
        assert!(q("$TOP").is_ok());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 512,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Any text as `$filter`, `$search` or any option: an answer, never a panic.
        #[test]
        fn any_option_text_is_answered(text in "\\PC{0,200}|[()a-z '\",:/]{0,400}") {
            let _ = parse_filter(&text);
            let _ = parse_search(&text, &["displayName", "mail"], "User");
            for name in ["$filter", "$select", "$orderby", "$expand", "$top", "$search", "$count", "$x"] {
                let _ = Query::parse(&[(name.to_string(), text.clone())], true);
            }
            if let Ok(e) = parse_filter(&text) {
                let props = crate::schema::USER_PROPERTIES;
                if let Ok(c) = check_filter(&e, props, "user", "User", crate::schema::user_filter_kind, true) {
                    let _ = eval(&c, "1", &obj(json!({"displayName": text, "mail": "a@b"})));
                }
            }
        }
    }

    #[test]
    fn top_bounds() {
        assert_eq!(parse_top("999").unwrap(), 999);
        assert_eq!(
            parse_top("1000").unwrap_err().code,
            "Request_UnsupportedQuery"
        );
        assert_eq!(parse_top("x").unwrap_err().code, "Request_BadRequest");
    }
}
