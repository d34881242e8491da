//! `GET /reports/authenticationMethods/userRegistrationDetails`: each
//! enabled user's registered authentication methods (MFA, SSPR,
//! passwordless), and the tenant's premium licence the sign-in reports need.
//!
//! Facts (v1.0 pages `api/authenticationmethodsroot-list-userregistrationdetails`
//! and `resources/userregistrationdetails`, microsoft-graph-docs-contrib
//! @98201aab531a2c10175a3380f380f61d81e99446 and @06b859baa59a42d4f9bd3f3fa35676438b176f80):
//!
//! - application permission `AuditLog.Read.All`, no higher one listed;
//! - needs Microsoft Entra ID P1 or P2
//!   (`resources/authenticationmethods-usage-insights-overview`); without it
//!   the same 403 as `signInActivity` ([`crate::sign_in_activity::nonpremium`]);
//! - "doesn't work for disabled users": they are absent from the report;
//! - `$filter` with `eq` on the Boolean properties, `eq`/`startswith` on
//!   `userPrincipalName`/`userDisplayName`, `methodsRegistered/any(…)`.
//!
//! Not documented, and chosen here (docs/emulator.md, *Reports*): the page
//! size (100, `$top` up to 999 honoured) and the order (by id). `$orderby`,
//! `$count`, `$search` and `$expand` are not modelled and refused with 400
//! (the older page said only `$filter` and `$orderby` are supported).
//!
//! Rows are computed from the users: every enabled user has one, all
//! `false`/empty unless the seed's `userRegistrationDetails` says otherwise.

use std::collections::HashSet;
use std::ops::Bound::{Excluded, Unbounded};

use serde_json::{Map, Value, json};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse, collection, decode_token, encode_token};
use super::odata::{self, Query};
use super::report_state::SEEDABLE;
use super::schema::FilterKind;
use super::state::Tenant;

/// The report's path after `/v1.0`.
pub const PATH: &str = "reports/authenticationMethods/userRegistrationDetails";

/// Properties of `microsoft.graph.userRegistrationDetails`.
pub static PROPERTIES: &[&str] = &[
    "id",
    "userPrincipalName",
    "userDisplayName",
    "userType",
    "isAdmin",
    "isSsprRegistered",
    "isSsprEnabled",
    "isSsprCapable",
    "isMfaRegistered",
    "isMfaCapable",
    "isPasswordlessCapable",
    "isSystemPreferredAuthenticationMethodEnabled",
    "lastUpdatedDateTime",
    "methodsRegistered",
    "systemPreferredAuthenticationMethods",
    "userPreferredMethodForSecondaryAuthentication",
];

fn filter_kind(prop: &str) -> Option<FilterKind> {
    Some(match prop {
        "userPrincipalName" | "userDisplayName" => FilterKind::Text,
        "methodsRegistered" => FilterKind::TextCollection,
        p if p.starts_with("is") => FilterKind::Bool,
        _ => return None,
    })
}

/// The `$skiptoken` tag of the report's pages (ordered by id).
const TOKEN_TAG: &str = "registration";

/// One enabled user's row (`admins`: principals holding a role assignment).
fn row(t: &Tenant, id: &str, admins: &HashSet<&str>) -> Option<Map<String, Value>> {
    let u = t.users.get(id)?;
    if u.props.get("accountEnabled") == Some(&Value::Bool(false)) {
        return None;
    }
    let text = |k: &str| u.props.get(k).and_then(Value::as_str).unwrap_or_default();
    let user_type = if text("userType").eq_ignore_ascii_case("guest") {
        "guest"
    } else {
        "member"
    };
    let is_admin = admins.contains(id);
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("userPrincipalName".into(), json!(text("userPrincipalName")));
    m.insert("userDisplayName".into(), json!(text("displayName")));
    m.insert("userType".into(), json!(user_type));
    m.insert("isAdmin".into(), json!(is_admin));
    for p in SEEDABLE {
        let v = match *p {
            "lastUpdatedDateTime" => json!(text("createdDateTime")),
            "methodsRegistered" | "systemPreferredAuthenticationMethods" => json!([]),
            "userPreferredMethodForSecondaryAuthentication" => json!(""),
            _ => json!(false),
        };
        m.insert((*p).to_string(), v);
    }
    if let Some(seeded) = t.sign_in_reports.registration.get(id) {
        for (k, v) in seeded {
            m.insert(k.clone(), v.clone());
        }
    }
    Some(m)
}

/// `GET /reports/authenticationMethods/userRegistrationDetails`
pub fn list_registration(ctx: &Ctx, t: &Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let q = Query::parse(&req.query, req.eventual())?;
    for (set, name) in [
        (q.orderby.is_some(), "$orderby"),
        (q.count, "$count"),
        (q.search.is_some(), "$search"),
        (q.expand.is_some(), "$expand"),
    ] {
        if set {
            // Not modelled (module doc): refused rather than ignored.
            return Err(GraphError::unsupported_query(format!(
                "Query option '{name}' is not supported on userRegistrationDetails by the emulator."
            )));
        }
    }
    let select = q.resolve_select(PROPERTIES, "userRegistrationDetails")?;
    let filter = match &q.filter {
        Some(f) => Some(odata::check_filter(
            f,
            PROPERTIES,
            "userRegistrationDetails",
            "userRegistrationDetails",
            filter_kind,
            true,
        )?),
        None => None,
    };
    // One pass over the users from the page's start (ids in order), each row
    // built only when reached: a page costs what it reads, not the tenant.
    let admins: HashSet<&str> = t
        .assignments
        .values()
        .map(|a| a.principal_id.as_str())
        .collect();
    let after = match &q.skiptoken {
        Some(tok) => Some(decode_token(tok, TOKEN_TAG)?.1),
        None => None,
    };
    let lo = after.map_or(Unbounded, Excluded);
    let size = q.page_size();
    let mut value = Vec::new();
    let mut last: Option<&str> = None;
    let mut more = false;
    for id in t.users.range::<String, _>((lo, Unbounded)).map(|(k, _)| k) {
        let Some(m) = row(t, id, &admins) else {
            continue;
        };
        if filter.as_ref().is_some_and(|f| !ctx.eval(f, id, &m)) {
            continue;
        }
        if value.len() == size {
            more = true;
            break;
        }
        last = Some(id);
        value.push(Value::Object(match &select {
            None => m,
            Some(sel) => m
                .into_iter()
                .filter(|(k, _)| k == "id" || sel.iter().any(|s| s == k))
                .collect(),
        }));
    }
    let next = match (more, last) {
        (true, Some(id)) => Some(ctx.urls.next_link(
            &req.path,
            &q.passthrough,
            &encode_token(TOKEN_TAG, id, id),
        )),
        _ => None,
    };
    let context = ctx.urls.collection_context(PATH, select.as_deref());
    Ok(ApiResponse::json(
        200,
        collection(context, None, next, value),
    ))
}
