//! The bounds every request is held to, so that one hostile request cannot
//! exhaust the server's stack, memory or time, and the Graph errors that
//! answer a request beyond them.
//!
//! | bound | value | answer |
//! |---|---|---|
//! | request body | 4 MiB | `413` |
//! | request target (path + query) | 16 KiB | `400` |
//! | nesting in `$filter`, `$expand`, `$select`, `$orderby` | 100 levels | `400` |
//! | clauses and values in one `$filter` or `$search` | 500 | `400` |
//! | JSON body nesting | 128 levels (serde_json's recursion limit) | `400` |
//! | requests in one `$batch` | 20 | `400` |
//!
//! A request within them costs at most (clauses × objects) filter steps, so
//! the slowest request is a 500-clause `$filter` with `$count=true` over the
//! whole tenant (measured in docs/emulator.md, *Limits*).

use super::error::GraphError;

/// Largest request body Graph accepts: "there is a 4MB limit on the size of
/// a request" (Microsoft's answer in microsoftgraph/microsoft-graph-docs issue
/// #85; the same 4 MB is quoted for `$batch` payloads).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Longest request target (path and query string) the emulator reads. Graph's
/// front end (HTTP.sys, whose default URL limit is 16 KB) answers longer ones
/// with "400 Bad Request - Request Too Long" (microsoft-graph-explorer-v4
/// issue #3184); the JSON envelope here is the emulator's.
pub const MAX_TARGET: usize = 16 * 1024;

/// Deepest nesting (parentheses, `not`, function calls) of a query option.
/// OData's URI parser, which Graph uses, allows 800 recursive calls
/// (`ODataUriParserSettings.DefaultFilterLimit`) and spends about eight per
/// parenthesised level, so about 100 levels; deeper gets its
/// `UriQueryExpressionParser_TooDeep` error, "Recursion depth exceeded
/// allowed limit.".
pub const MAX_DEPTH: usize = 100;

/// Most clauses (comparisons, functions, `in` values, `$search` terms) in one
/// `$filter` or `$search`: the emulator's bound on the work per object (Graph
/// documents none beyond its 15 `or` clauses outside the advanced mode).
pub const MAX_CLAUSES: usize = 500;

/// Work one request may do, in units of one filter clause evaluated against
/// one object (a `$search` term counts three; one manager level expanded
/// counts one), shared by the items of a `$batch`: 100,000 users × 100
/// clauses. The emulator holds the tenant while it answers, so this bounds
/// how long one request can stall the others (figures in docs/emulator.md,
/// *Limits*).
pub const MAX_WORK: u64 = 10_000_000;

/// Deepest JSON body: serde_json refuses deeper documents while parsing
/// (its recursion limit), so no walker of a parsed body recurses further.
pub const MAX_JSON_DEPTH: usize = 128;

/// 413 for a body over [`MAX_BODY`]. Graph's error table: "413 Request Entity
/// Too Large — The request size exceeds the maximum limit." (concepts/errors.md);
/// the code is the emulator's choice (Graph's is not documented).
pub fn body_too_large() -> GraphError {
    GraphError::new(
        413,
        "RequestEntityTooLarge",
        format!(
            "The request size exceeds the maximum limit of {} bytes.",
            MAX_BODY
        ),
    )
}

/// 400 for a request target over [`MAX_TARGET`] (emulator's wording after
/// Graph's "Bad Request - Request Too Long").
pub fn target_too_long(len: usize) -> GraphError {
    GraphError::new(
        400,
        "BadRequest",
        format!(
            "Bad Request - Request Too Long: the request URL is {len} bytes long; at most {MAX_TARGET} are read."
        ),
    )
}

/// 400 for a query option nested deeper than [`MAX_DEPTH`], worded as OData's
/// URI parser words it.
pub fn too_deep() -> GraphError {
    GraphError::bad_request("Recursion depth exceeded allowed limit.")
}

/// 400 for a `$filter` or `$search` with more than [`MAX_CLAUSES`] clauses
/// (the emulator's wording).
pub fn too_many_clauses(option: &str, n: usize) -> GraphError {
    GraphError::unsupported_query(format!(
        "The {option} expression has {n} clauses or values; at most {MAX_CLAUSES} are allowed."
    ))
}

/// 400 when a request needs more than its work budget ([`MAX_WORK`] by default; the emulator's wording;
/// Graph documents no such bound, a real tenant answers slowly or times out).
pub fn too_much_work() -> GraphError {
    GraphError::unsupported_query(
        "The request needs more filter evaluations (clauses × objects) than the emulator allows one request; narrow the $filter or $search, or split the request.",
    )
}

/// Fail if the parentheses in a query option value nest deeper than [`MAX_DEPTH`]
/// (for options whose own parsers are not recursive: `$expand`, `$select`, `$orderby`).
pub fn check_nesting(value: &str) -> Result<(), GraphError> {
    let mut depth = 0usize;
    for c in value.chars() {
        match c {
            '(' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(too_deep());
                }
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_bounded() {
        let ok = format!("{}x{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(check_nesting(&ok).is_ok());
        let deep = format!("{}x", "(".repeat(MAX_DEPTH + 1));
        assert_eq!(check_nesting(&deep).unwrap_err().status, 400);
        // Closing parentheses without opening ones do not underflow.
        assert!(check_nesting("))))(").is_ok());
    }
}
