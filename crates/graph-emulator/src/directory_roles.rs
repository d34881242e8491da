//! `/directoryRoles`: the legacy directory-roles API over the same role
//! assignments as `/roleManagement/directory/roleAssignments`.
//!
//! A directoryRole is the activated instance of a built-in role template in
//! the tenant. Its object id is derived from the tenant id and the template id
//! (a name-based GUID), so it is stable across runs and distinct from the
//! template id. A role is activated when it is Global Administrator (always,
//! as Graph: "Company Administrators" is activated by default), when it has or
//! ever had an assignment (seed, `roleAssignments`, or `members/$ref` here), or
//! after `POST /directoryRoles`. Activation is never undone, as in Graph.
//!
//! Members are the principals with a tenant-scope (`/`) assignment of the
//! role; adding one creates such an assignment, removing one deletes it.

use serde_json::{Map, Value, json};

use entra_data::builtin_roles::{self, BuiltinRole};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::groups::already_member;
use super::http::{ApiRequest, ApiResponse, collection, ref_body_id};
use super::listing;
use super::odata::{self, Query};
use super::render;
use super::schema::FilterKind;
use super::state::{RoleAssignment, Tenant};

/// The entity set (first path segment, or its prefix for the alternate key).
pub const SET: &str = "directoryRoles";

/// Properties of a directoryRole (v1.0).
pub const PROPS: &[&str] = &[
    "id",
    "deletedDateTime",
    "description",
    "displayName",
    "roleTemplateId",
];

/// Template ids of the implicit user roles (User, Guest User, Restricted Guest User):
/// Graph refuses to activate them.
const IMPLICIT_USER_ROLES: &[&str] = &[
    "a0b1b346-4d3e-4e8b-98f8-753987be4970",
    "10dae51f-b6af-4016-8d66-8c2a99b929b3",
    "2af84b1e-32c8-42b7-82bc-daa82404023b",
];

/// The object id of a tenant's directoryRole for a role template: a
/// name-based (version 5 style, SHA-1) GUID of `{tenant id}/{template id}`.
pub fn role_object_id(tenant_id: &str, template_id: &str) -> String {
    let name = format!(
        "entraform-directoryRole/{}/{}",
        tenant_id.to_ascii_lowercase(),
        template_id.to_ascii_lowercase()
    );
    let d = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        name.as_bytes(),
    );
    let mut b = [0u8; 16];
    b.copy_from_slice(&d.as_ref()[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = super::util::hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Whether a path's first segment belongs to this API.
pub fn is_root(seg: &str) -> bool {
    seg == SET || parse_key_segment(seg).is_some()
}

/// `directoryRoles(roleTemplateId='x')` → `x`.
fn parse_key_segment(seg: &str) -> Option<&str> {
    let inner = seg.strip_prefix("directoryRoles(")?.strip_suffix(')')?;
    template_key(inner)
}

/// `roleTemplateId='x'` / `roleTemplateId=x` → `x`.
fn template_key(s: &str) -> Option<&str> {
    let (k, v) = s.split_once('=')?;
    k.trim()
        .eq_ignore_ascii_case("roleTemplateId")
        .then(|| v.trim().trim_matches(['\'', '"']))
}

/// How a request names the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key<'a> {
    /// By the directoryRole's object id.
    Id(&'a str),
    /// By the `roleTemplateId` alternate key.
    Template(&'a str),
}

impl Key<'_> {
    fn text(&self) -> &str {
        match self {
            Key::Id(s) | Key::Template(s) => s,
        }
    }
}

/// Split a path into (role key, rest). `None` for `/directoryRoles` itself.
fn split<'a>(s: &'a [&'a str]) -> Option<(Key<'a>, &'a [&'a str])> {
    match s {
        [first, rest @ ..] if *first != SET => {
            Some((Key::Template(parse_key_segment(first)?), rest))
        }
        [_, second, rest @ ..] => match template_key(second) {
            Some(t) => Some((Key::Template(t), rest)),
            None => Some((Key::Id(second), rest)),
        },
        _ => None,
    }
}

fn is_delta(seg: &str) -> bool {
    super::cast::is_function(seg, "delta")
}

/// The route template for metrics (the alternate-key forms share one).
pub fn template(s: &[&str]) -> String {
    if let [SET, d] = s
        && (is_delta(d) || *d == "$count")
    {
        let d = if is_delta(d) { "delta" } else { d };
        return format!("/{SET}/{d}");
    }
    let Some((key, rest)) = split(s) else {
        return format!("/{SET}");
    };
    let head = match key {
        Key::Id(_) => format!("/{SET}/{{id}}"),
        Key::Template(_) => format!("/{SET}(roleTemplateId={{roleTemplateId}})"),
    };
    match rest {
        [] => head,
        ["members", m, "$ref"] if *m != "$ref" => format!("{head}/members/{{memberId}}/$ref"),
        rest => format!("{head}/{}", rest.join("/")),
    }
}

/// Whether a role template is activated in the tenant.
pub fn is_activated(t: &Tenant, template_id: &str) -> bool {
    template_id == builtin_roles::GLOBAL_ADMINISTRATOR
        || t.activated_roles.contains(template_id)
        || t.assignments
            .values()
            .any(|a| a.role_definition_id == template_id)
}

/// The activated role a key names, or Graph's 404.
fn find(t: &Tenant, key: Key) -> GraphResult<&'static BuiltinRole> {
    let role = match key {
        Key::Template(tid) => builtin_roles::by_template_id(&tid.to_ascii_lowercase()),
        Key::Id(id) => builtin_roles::BUILTIN_ROLES
            .iter()
            .find(|r| role_object_id(&t.info.id, r.template_id).eq_ignore_ascii_case(id)),
    };
    role.filter(|r| is_activated(t, r.template_id))
        .ok_or_else(|| GraphError::not_found(key.text()))
}

fn role_json(t: &Tenant, r: &BuiltinRole) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "id".into(),
        json!(role_object_id(&t.info.id, r.template_id)),
    );
    m.insert("deletedDateTime".into(), Value::Null);
    m.insert("description".into(), json!(r.description));
    m.insert("displayName".into(), json!(r.display_name));
    m.insert("roleTemplateId".into(), json!(r.template_id));
    m
}

fn filter_kind(p: &str) -> Option<FilterKind> {
    match p {
        "id" | "roleTemplateId" => Some(FilterKind::Id),
        "displayName" => Some(FilterKind::Text),
        _ => None,
    }
}

/// Run a `/directoryRoles…` request (any method).
pub fn route(ctx: &Ctx, t: &mut Tenant, req: &ApiRequest, s: &[&str]) -> GraphResult<ApiResponse> {
    let m = req.method.as_str();
    if let [SET, d] = s
        && (is_delta(d) || *d == "$count")
    {
        return Err(GraphError::unsupported_query(format!(
            "The entraform emulator does not support '{d}' on directoryRoles."
        )));
    }
    let Some((key, rest)) = split(s) else {
        return match m {
            "GET" => list(ctx, t, req),
            "POST" => activate(ctx, t, req),
            _ => Err(GraphError::method_not_allowed()),
        };
    };
    match (m, rest) {
        ("GET", []) => get(ctx, t, req, key),
        ("GET", ["members"]) => members(ctx, t, req, key, false),
        ("GET", ["members", "$ref"]) => members(ctx, t, req, key, true),
        ("GET", ["members", "$count"]) => members_count(t, req, key),
        ("POST", ["members", "$ref"]) => add_member(ctx, t, req, key),
        ("DELETE", ["members", member, "$ref"]) => remove_member(t, key, member),
        (_, [] | ["members"] | ["members", "$ref" | "$count"] | ["members", _, "$ref"]) => {
            Err(GraphError::method_not_allowed())
        }
        (_, rest) => Err(GraphError::new(
            400,
            "BadRequest",
            format!(
                "Resource not found for the segment '{}'.",
                rest.last().copied().unwrap_or("")
            ),
        )),
    }
}

/// `GET /directoryRoles`: the activated roles (`$select`; `$filter` on `id`, `roleTemplateId`, `displayName`).
fn list(ctx: &Ctx, t: &Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let q = Query::parse(&req.query, req.eventual())?;
    if q.orderby.is_some() || q.expand.is_some() || q.search.is_some() || q.top.is_some() {
        return Err(GraphError::unsupported_query(
            "The entraform emulator supports only $select and $filter on directoryRoles.",
        ));
    }
    let sel = q.resolve_select(PROPS, "directoryRole")?;
    let filter = match &q.filter {
        Some(f) => Some(odata::check_filter(
            f,
            PROPS,
            "directoryRole",
            "DirectoryRole",
            filter_kind,
            false,
        )?),
        None => None,
    };
    let value: Vec<Value> = builtin_roles::BUILTIN_ROLES
        .iter()
        .filter(|r| is_activated(t, r.template_id))
        .map(|r| role_json(t, r))
        .filter(|m| {
            let id = m["id"].as_str().unwrap_or("").to_string();
            filter.as_ref().is_none_or(|f| ctx.eval(f, &id, m))
        })
        .map(|m| Value::Object(project(m, sel.as_deref())))
        .collect();
    let context = ctx.urls.collection_context(SET, sel.as_deref());
    let count = (q.count && q.eventual).then_some(value.len());
    Ok(ApiResponse::json(
        200,
        collection(context, count, None, value),
    ))
}

fn project(m: Map<String, Value>, sel: Option<&[&str]>) -> Map<String, Value> {
    match sel {
        Some(sel) => m
            .into_iter()
            .filter(|(k, _)| sel.contains(&k.as_str()))
            .collect(),
        None => m,
    }
}

/// `GET /directoryRoles/{id}` or `GET /directoryRoles(roleTemplateId='…')`.
fn get(ctx: &Ctx, t: &Tenant, req: &ApiRequest, key: Key) -> GraphResult<ApiResponse> {
    let q = Query::parse(&req.query, req.eventual())?;
    let sel = q.resolve_select(PROPS, "directoryRole")?;
    let r = find(t, key)?;
    let mut m = Map::new();
    let context = match &sel {
        Some(s) => format!("{SET}({})/$entity", s.join(",")),
        None => format!("{SET}/$entity"),
    };
    m.insert("@odata.context".into(), json!(ctx.urls.context(&context)));
    m.extend(project(role_json(t, r), sel.as_deref()));
    Ok(ApiResponse::json(200, Value::Object(m)))
}

/// `POST /directoryRoles` with `{"roleTemplateId": "…"}`: activate a role.
fn activate(ctx: &Ctx, t: &mut Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let body = req.body_object()?;
    let tid = body
        .get("roleTemplateId")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| {
            GraphError::bad_request(
                "Invalid value specified for property 'roleTemplateId' of resource 'DirectoryRole'.",
            )
        })?;
    if IMPLICIT_USER_ROLES.contains(&tid.as_str()) {
        return Err(GraphError::bad_request(
            "Instantiating an implicit user role is not supported.",
        ));
    }
    let r = builtin_roles::by_template_id(&tid).ok_or_else(|| GraphError::not_found(&tid))?;
    if is_activated(t, r.template_id) {
        return Err(GraphError::bad_request(
            "A conflicting object with one or more of the specified property values is present in the directory.",
        ));
    }
    t.activated_roles.insert(r.template_id.to_string());
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(ctx.urls.context(&format!("{SET}/$entity"))),
    );
    m.extend(role_json(t, r));
    Ok(ApiResponse::json(201, Value::Object(m)))
}

/// Principals holding the role at tenant scope, ordered by id.
fn member_ids(t: &Tenant, template_id: &str) -> std::collections::BTreeSet<String> {
    t.assignments
        .values()
        .filter(|a| a.role_definition_id == template_id && a.directory_scope_id == "/")
        .map(|a| a.principal_id.clone())
        .collect()
}

/// `GET /directoryRoles/{key}/members` (typed objects) or `…/members/$ref`.
/// Not paged: Graph returns up to 1,000 members and no `$top` paging.
fn members(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    key: Key,
    refs: bool,
) -> GraphResult<ApiResponse> {
    let q = Query::parse(&req.query, req.eventual())?;
    if q.filter.is_some() || q.orderby.is_some() || q.expand.is_some() || q.top.is_some() {
        return Err(GraphError::unsupported_query(
            "The entraform emulator supports only $select on directory role members.",
        ));
    }
    render::check_mixed_select(q.select.as_deref())?;
    let r = find(t, key)?;
    let value: Vec<Value> = member_ids(t, r.template_id)
        .iter()
        .filter_map(|mid| {
            if refs {
                let suffix = t.kind_of(mid)?.ref_suffix();
                Some(json!({ "@odata.id": ctx.urls.directory_object_ref(mid, suffix) }))
            } else {
                render::directory_object(t, mid, q.select.as_deref())
            }
        })
        .collect();
    let context = ctx.urls.context("directoryObjects");
    let count = (q.count && q.eventual).then_some(value.len());
    Ok(ApiResponse::json(
        200,
        collection(context, count, None, value),
    ))
}

/// `GET /directoryRoles/{key}/members/$count` (needs `ConsistencyLevel: eventual`; no `$filter`).
fn members_count(t: &Tenant, req: &ApiRequest, key: Key) -> GraphResult<ApiResponse> {
    let q = Query::parse(&req.query, req.eventual())?;
    if q.filter.is_some() || q.search.is_some() {
        return Err(GraphError::unsupported_query(
            "The entraform emulator does not support $filter or $search on directory role members.",
        ));
    }
    let r = find(t, key)?;
    listing::count_endpoint(req, || member_ids(t, r.template_id).len())
}

/// `POST /directoryRoles/{key}/members/$ref`: a tenant-scope role assignment.
fn add_member(ctx: &Ctx, t: &mut Tenant, req: &ApiRequest, key: Key) -> GraphResult<ApiResponse> {
    let r = find(t, key)?;
    let target = ref_body_id(ctx.urls, req)?;
    let principal = t
        .resolve_principal(&target)
        .ok_or_else(|| GraphError::not_found(&target))?;
    let created = t
        .users
        .get(&principal)
        .map(|u| u.created_at)
        .or_else(|| t.groups.get(&principal).map(|g| g.obj.created_at))
        .flatten();
    if ctx.replication_miss(created) {
        return Err(GraphError::not_found(&target));
    }
    if member_ids(t, r.template_id).contains(&principal) {
        return Err(already_member());
    }
    let id = t.new_assignment_id();
    t.activated_roles.insert(r.template_id.to_string());
    t.assignments.insert(
        id.clone(),
        RoleAssignment {
            id,
            principal_id: principal,
            role_definition_id: r.template_id.to_string(),
            directory_scope_id: "/".into(),
        },
    );
    Ok(ApiResponse::no_content())
}

/// `DELETE /directoryRoles/{key}/members/{memberId}/$ref`: remove the tenant-scope assignment(s).
fn remove_member(t: &mut Tenant, key: Key, member: &str) -> GraphResult<ApiResponse> {
    let r = find(t, key)?;
    let principal = t
        .resolve_principal(member)
        .unwrap_or_else(|| member.to_string());
    let before = t.assignments.len();
    t.assignments.retain(|_, a| {
        !(a.role_definition_id == r.template_id
            && a.directory_scope_id == "/"
            && a.principal_id == principal)
    });
    if t.assignments.len() == before {
        return Err(GraphError::not_found(key.text()));
    }
    Ok(ApiResponse::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_are_stable_guids_distinct_from_templates() {
        let tenant = "aaaabbbb-0000-4000-8000-000000000001";
        let ga = builtin_roles::GLOBAL_ADMINISTRATOR;
        let id = role_object_id(tenant, ga);
        assert_eq!(id, role_object_id(&tenant.to_uppercase(), ga));
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "5");
        assert_ne!(id, ga);
        assert_ne!(
            id,
            role_object_id("aaaabbbb-0000-4000-8000-000000000002", ga)
        );
        let all: std::collections::BTreeSet<String> = builtin_roles::BUILTIN_ROLES
            .iter()
            .map(|r| role_object_id(tenant, r.template_id))
            .collect();
        assert_eq!(all.len(), builtin_roles::BUILTIN_ROLES.len());
    }

    #[test]
    fn keys_and_templates() {
        let t = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b";
        let seg = format!("directoryRoles(roleTemplateId='{t}')");
        let s = [seg.as_str(), "members", "$ref"];
        assert_eq!(split(&s), Some((Key::Template(t), &s[1..])));
        assert_eq!(
            template(&s),
            "/directoryRoles(roleTemplateId={roleTemplateId})/members/$ref"
        );
        let seg2 = format!("roleTemplateId={t}");
        let s2 = ["directoryRoles", seg2.as_str(), "members", "$ref"];
        assert_eq!(split(&s2), Some((Key::Template(t), &s2[2..])));
        assert_eq!(template(&s2), template(&s));
        let s3 = ["directoryRoles", "abc", "members", "x", "$ref"];
        assert_eq!(
            template(&s3),
            "/directoryRoles/{id}/members/{memberId}/$ref"
        );
        assert_eq!(template(&["directoryRoles"]), "/directoryRoles");
        assert!(is_root(&seg) && is_root("directoryRoles") && !is_root("users"));
    }
}
