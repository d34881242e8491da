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
//! - `$filter` on `signInActivity/…` is not modelled: the emulator refuses it
//!   as an unknown filter property (400), stricter than Graph, which allows
//!   `eq`, `ne`, `not`, `ge`, `le` on it alone (docs/emulator.md).
//!
//! Which comes first when both are missing (the permission or the licence)
//! is not documented: the emulator checks the permission first.

use super::error::GraphError;
use super::http::ApiRequest;
use super::odata::Query;
use super::permissions::Caller;
use super::state::Tenant;
use entra_data::graph_permissions::AUDIT_LOG_READ;

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

/// Graph's refusal when the tenant has no Entra ID P1/P2 licence.
pub fn nonpremium() -> GraphError {
    GraphError::new(
        403,
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
        "Neither tenant is B2C or tenant doesn't have premium license",
    )
}

/// The checks of a report that needs `AuditLog.Read.All` and a premium
/// tenant: the permission first, then the licence.
pub fn audit_and_premium(t: &Tenant, caller: &Caller) -> Result<(), GraphError> {
    if !caller.satisfies(AUDIT_LOG_READ) {
        return Err(GraphError::denied());
    }
    if !t.sign_in_reports.premium {
        return Err(nonpremium());
    }
    Ok(())
}

/// `GET /users` and `/users/{id}`: when `$select` names `signInActivity`,
/// the audit permission and the licence as well. A query that does not
/// parse is left to the route (its 400).
pub fn check(t: &Tenant, caller: &Caller, req: &ApiRequest) -> Result<(), GraphError> {
    match Query::parse(&req.query, req.eventual()) {
        Ok(q) if selected(&q) => audit_and_premium(t, caller),
        _ => Ok(()),
    }
}
