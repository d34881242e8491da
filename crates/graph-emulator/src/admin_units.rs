//! Administrative units: `GET /directory/administrativeUnits` (list, get),
//! `GET /directory/administrativeUnits/{id}/members` (typed objects or
//! `$ref`), and the rule of *restricted management* administrative units
//! (`isMemberManagementRestricted: true`): their members can be changed only
//! by a principal holding a role scoped to that unit. Every principal of the
//! emulator is a tenant-scope app, so a write that modifies such a member is
//! answered `403 Authorization_RequestDenied`, as Graph does.
//!
//! What is blocked follows Microsoft's "Restricted management administrative
//! units" page ("What types of operations are blocked?"): modifying any
//! property of a member user or group, deleting it, its password, and the
//! members of a member group. Adding a member user to an ordinary group is
//! allowed (it changes the group, not the user). The page does not list the
//! manager link, session revocation or role assignments; the emulator treats
//! them as writes to the user and blocks them too (documented in
//! `docs/emulator.md`).

use std::ops::Bound::{Excluded, Unbounded};

use serde_json::{Map, Value, json};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse};
use super::listing::{self, Order, Spec};
use super::odata::Query;
use super::render;
use super::schema::FilterKind;
use super::state::{AdminUnit, Tenant};

/// Properties of `microsoft.graph.administrativeUnit` (v1.0).
pub static AU_PROPERTIES: &[&str] = &[
    "id",
    "deletedDateTime",
    "description",
    "displayName",
    "isMemberManagementRestricted",
    "membershipRule",
    "membershipRuleProcessingState",
    "membershipType",
    "visibility",
];

/// The filter kind of an administrative-unit property. `id`, `displayName`
/// and `description` are documented; `isMemberManagementRestricted eq true`
/// is not in the property table but is accepted by Graph and widely used.
pub fn au_filter_kind(prop: &str) -> Option<FilterKind> {
    use FilterKind::*;
    Some(match prop {
        "id" => Id,
        "displayName" | "description" => Text,
        "isMemberManagementRestricted" => Bool,
        _ => return None,
    })
}

/// The administrative-unit collection's rules.
pub const SPEC: Spec = Spec {
    set: "administrativeUnits",
    type_name: "administrativeUnit",
    resource: "AdministrativeUnit",
    props: AU_PROPERTIES,
    kind_of: au_filter_kind,
    searchable: &["displayName", "description"],
};

/// Display names of the restricted management units `id` is a member of.
pub fn restricted_units_of<'a>(t: &'a Tenant, id: &str) -> Vec<&'a str> {
    t.admin_units
        .values()
        .filter(|u| u.restricted() && u.members.contains(id))
        .map(|u| u.obj.str("displayName").unwrap_or(""))
        .collect()
}

/// Refuse a write that would modify a member of a restricted management
/// administrative unit. Reads and unrelated writes pass.
pub fn check_write(t: &Tenant, method: &str, segs: &[&str], req: &ApiRequest) -> GraphResult<()> {
    if t.admin_units.is_empty() {
        return Ok(());
    }
    let target: Option<String> = match (method, segs) {
        ("PATCH" | "DELETE", ["users", k])
        | ("POST", ["users", k, "revokeSignInSessions"])
        | ("PUT" | "DELETE", ["users", k, "manager", "$ref"]) => t.resolve_user(k),
        ("PATCH" | "DELETE", ["groups", g])
        | ("POST", ["groups", g, "members", "$ref"])
        | ("DELETE", ["groups", g, "members", _, "$ref"]) => Some((*g).to_string()),
        ("POST", ["roleManagement", "directory", "roleAssignments"]) => req
            .body
            .as_ref()
            .and_then(|b| b.get("principalId"))
            .and_then(Value::as_str)
            .map(str::to_string),
        ("DELETE", ["roleManagement", "directory", "roleAssignments", id]) => {
            t.assignments.get(*id).map(|a| a.principal_id.clone())
        }
        _ => None,
    };
    match target {
        Some(id) if !restricted_units_of(t, &id).is_empty() => {
            tracing::debug!(target = %id, "write to a member of a restricted management administrative unit denied");
            Err(GraphError::denied())
        }
        _ => Ok(()),
    }
}

fn find<'a>(t: &'a Tenant, id: &str) -> GraphResult<&'a AdminUnit> {
    t.admin_units
        .get(id)
        .ok_or_else(|| GraphError::not_found(id))
}

fn render_unit(u: &AdminUnit, select: Option<&[&str]>) -> Map<String, Value> {
    render::project(&u.obj, select, AU_PROPERTIES)
}

/// `GET /directory/administrativeUnits`
pub fn list(ctx: &Ctx, t: &Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let p = listing::prepare(req, &SPEC)?;
    if p.q.expand.is_some() {
        return Err(GraphError::unsupported_query(
            "$expand is not supported on /directory/administrativeUnits by the entraform emulator.",
        ));
    }
    let context = ctx
        .urls
        .collection_context("directory/administrativeUnits", p.select.as_deref());
    let sel = p.select.clone();
    let order = p.order;
    listing::page(
        ctx,
        req,
        &p,
        context,
        || {
            listing::count_matching(
                ctx,
                t.admin_units.values().map(|u| &u.obj),
                p.filter.as_ref(),
            )
        },
        |after| unit_keys(t, order, after),
        |id| t.admin_units.get(id).map(|u| &u.obj.props),
        |id| {
            let u = t.admin_units.get(id)?;
            Some(Value::Object(render_unit(u, sel.as_deref())))
        },
    )
}

fn unit_keys<'a>(
    t: &'a Tenant,
    order: Order,
    after: Option<(String, String)>,
) -> Box<dyn Iterator<Item = (String, String)> + 'a> {
    match order {
        Order::Name(desc) => {
            let mut keys: Vec<(String, String)> = t
                .admin_units
                .values()
                .map(|u| {
                    (
                        u.obj.str("displayName").unwrap_or("").to_lowercase(),
                        u.obj.id.clone(),
                    )
                })
                .collect();
            keys.sort();
            if desc {
                keys.reverse();
            }
            let keys: Vec<(String, String)> = match after {
                None => keys,
                Some(a) => keys
                    .into_iter()
                    .filter(|k| if desc { *k < a } else { *k > a })
                    .collect(),
            };
            Box::new(keys.into_iter())
        }
        _ => {
            let lo = after.map_or(Unbounded, |(_, id)| Excluded(id));
            Box::new(
                t.admin_units
                    .range::<String, _>((lo, Unbounded))
                    .map(|(k, _)| (k.clone(), k.clone())),
            )
        }
    }
}

/// `GET /directory/administrativeUnits/{id}`
pub fn get(ctx: &Ctx, t: &Tenant, req: &ApiRequest, id: &str) -> GraphResult<ApiResponse> {
    let q = Query::parse(&req.query, req.eventual())?;
    if q.filter.is_some() || q.top.is_some() || q.orderby.is_some() {
        return Err(super::users::not_collection());
    }
    let sel = q.resolve_select(AU_PROPERTIES, "administrativeUnit")?;
    let u = find(t, id)?;
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(ctx.urls.context("directory/administrativeUnits/$entity")),
    );
    m.extend(render_unit(u, sel.as_deref()));
    Ok(ApiResponse::json(200, Value::Object(m)))
}

/// `GET /directory/administrativeUnits/{id}/members` (typed directory objects
/// with `@odata.type`) or `…/members/$ref`, paged (`$top` up to 999).
pub fn members(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    id: &str,
    refs: bool,
) -> GraphResult<ApiResponse> {
    let q = listing::relationship_query(req, "administrative unit members")?;
    let set = &find(t, id)?.members;
    listing::directory_objects(ctx, t, req, q, set, refs)
}

/// `GET /directory/administrativeUnits/{id}/members/{cast}` (or the alias `graph.user`).
pub fn members_cast(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    id: &str,
    cast: super::cast::Cast,
) -> GraphResult<ApiResponse> {
    let q = listing::relationship_query(req, "administrative unit members")?;
    let set = &find(t, id)?.members;
    listing::directory_objects_cast(ctx, t, req, q, set, cast)
}
