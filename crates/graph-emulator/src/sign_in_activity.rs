//! `signInActivity` on users, and the licence every sign-in report needs.
//!
//! What Graph does (research in docs/emulator.md, *Reports*):
//!
//! - `signInActivity` is returned only when `$select` names it (user-list
//!   v1.0, "Optional query parameters" and Example 11; the seed may carry it
//!   per user, as Graph's own sample shows it: `lastSignInDateTime`,
//!   `lastNonInteractiveSignInDateTime`, `lastSuccessfulSignInDateTime` and
//!   their request ids).
//! - Reading it needs `AuditLog.Read.All` besides `User.Read.All` (user-list,
//!   Example 11 note; `entra_data::graph_permissions::AUDIT_LOG_READ`).
//! - With it, a page holds at most 500 users: a larger `$top` is not
//!   refused, the pages just stop at 500 (user-list v1.0, 2025).
//! - The tenant needs Microsoft Entra ID P1 or P2; without it Graph answers
//!   403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant` "Neither
//!   tenant is B2C or tenant doesn't have premium license" (Microsoft support
//!   article `b2c-or-tenant-premium-license-sign-in-activities`, which lists
//!   `/users?$select=…,signInActivity` and the registration report; the 403
//!   status comes from microsoftgraph/microsoft-graph-docs issues #12772 and
//!   #14120). The seed says so with `entraIdPremium: false`.
//! - `$filter` on `signInActivity/lastSignInDateTime` (and the two other
//!   dates): `eq`, `ne`, `ge`, `le` (`not` in the advanced mode), **not
//!   combined with any other property** (user-list v1.0, Example 11 note);
//!   a user without the property matches no comparison. Filtering on it needs
//!   the same permission and licence as selecting it, and caps pages at 500
//!   too. Graph's wording for the refused combination is not documented: the
//!   emulator answers 400 with its usual "Unsupported or invalid query
//!   filter clause" message.
//!
//! Which comes first when both are missing (the permission or the licence)
//! is not documented: the emulator checks the permission first.

use super::error::GraphError;
use super::http::ApiRequest;
use super::odata::{Expr, Query};

/// Most users per page when `signInActivity` is selected (user-list v1.0).
pub const PAGE_CAP: usize = 500;

/// The property's name as Graph spells it.
pub const PROPERTY: &str = "signInActivity";

/// Whether a query's `$select` names `signInActivity` (any case).
pub fn selected(q: &Query) -> bool {
    q.select
        .as_ref()
        .is_some_and(|s| s.iter().any(|p| p.eq_ignore_ascii_case(PROPERTY)))
}

/// Whether a query filters on `signInActivity/…`.
pub fn filtered(q: &Query) -> bool {
    q.filter.as_ref().is_some_and(|e| {
        let mut names = Vec::new();
        property_names(e, &mut names);
        names.iter().any(|n| is_path(n))
    })
}

/// Whether `selected` or `filtered`: reading sign-in activity at all.
pub fn used(q: &Query) -> bool {
    selected(q) || filtered(q)
}

fn is_path(name: &str) -> bool {
    name.split_once('/')
        .is_some_and(|(head, _)| head.eq_ignore_ascii_case(PROPERTY))
}

fn property_names<'a>(e: &'a Expr, out: &mut Vec<&'a str>) {
    match e {
        Expr::And(items) | Expr::Or(items) => {
            for x in items {
                property_names(x, out);
            }
        }
        Expr::Not(x) => property_names(x, out),
        Expr::Compare(p, ..)
        | Expr::In(p, _)
        | Expr::StartsWith(p, _)
        | Expr::EndsWith(p, _)
        | Expr::Any(p, _)
        | Expr::Search(p, _) => out.push(p),
    }
}

/// A checked filter on `signInActivity` may name no other property.
pub fn check_combination(filter: Option<&Expr>) -> Result<(), GraphError> {
    let Some(e) = filter else { return Ok(()) };
    let mut names = Vec::new();
    property_names(e, &mut names);
    if names.iter().any(|n| is_path(n)) && names.iter().any(|n| !is_path(n)) {
        return Err(GraphError::unsupported_query(format!(
            "Unsupported or invalid query filter clause specified for property '{PROPERTY}' of resource 'User'."
        )));
    }
    Ok(())
}

/// Graph's refusal when the tenant has no Entra ID P1/P2 licence.
pub fn nonpremium() -> GraphError {
    GraphError::new(
        403,
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
        "Neither tenant is B2C or tenant doesn't have premium license",
    )
}

/// The checks of a report that needs `AuditLog.Read.All` (`audit`: the
/// caller holds it, `entra_data::graph_permissions::AUDIT_LOG_READ`) and a
/// premium tenant: the permission first, then the licence.
pub fn audit_and_premium(audit: bool, premium: bool) -> Result<(), GraphError> {
    if !audit {
        return Err(GraphError::denied());
    }
    if !premium {
        return Err(nonpremium());
    }
    Ok(())
}

/// `GET /users` and `/users/{id}`: when `$select` or `$filter` names
/// `signInActivity`, the audit permission and the licence as well. A query
/// that does not parse is left to the route (its 400).
pub fn check(audit: bool, premium: bool, req: &ApiRequest) -> Result<(), GraphError> {
    match Query::parse(&req.query, req.eventual()) {
        Ok(q) if used(&q) => audit_and_premium(audit, premium),
        _ => Ok(()),
    }
}
