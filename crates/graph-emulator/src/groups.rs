//! `/groups`: list, get, create, update (incl. `members@odata.bind`), delete,
//! members (`GET members`, `GET/POST members/$ref`, `DELETE members/{id}/$ref`).

use std::collections::BTreeSet;
use std::time::Instant;

use serde_json::{Map, Value, json};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse, own_hosts, parse_odata_ref, ref_body_id};
use super::listing::{self, Spec};
use super::lookup::group as find;
use super::odata::Query;
use super::render;
use super::schema::{self, GROUP_PROPERTIES};
use super::state::{Deleted, Group, Kind, Object, Tenant};
use super::users::{not_collection, writable_props};
use super::util::{iso8601, now_secs};

/// The groups collection's rules.
pub const SPEC: Spec = Spec {
    set: "groups",
    type_name: "group",
    resource: "Group",
    props: GROUP_PROPERTIES,
    kind_of: schema::group_filter_kind,
    searchable: &[
        "displayName",
        "description",
        "mail",
        "mailNickname",
        "proxyAddresses",
    ],
};

/// Most references one `members@odata.bind` may carry.
pub const MAX_BIND: usize = 20;

/// Graph's error when a reference being added is already there.
pub fn already_member() -> GraphError {
    GraphError::bad_request(
        "One or more added object references already exist for the following modified properties: 'members'.",
    )
}

/// `GET /groups`
pub fn list(ctx: &Ctx, t: &Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let p = listing::prepare(req, &SPEC)?;
    if p.q.expand.is_some() {
        return Err(GraphError::unsupported_query(
            "$expand is not supported on /groups by the entraform emulator.",
        ));
    }
    let context = ctx.urls.collection_context("groups", p.select.as_deref());
    let sel = p.select.clone();
    listing::page(
        ctx,
        req,
        &p,
        context,
        || listing::count_matching(ctx, t.groups.values().map(|g| &g.obj), p.filter.as_ref()),
        |after| listing::group_keys(t, p.order, after),
        |id| t.groups.get(id).map(|g| &g.obj.props),
        |id| {
            let g = t.groups.get(id)?;
            Some(Value::Object(render::group(&g.obj, sel.as_deref())))
        },
    )
}

/// `GET /groups/$count`
pub fn count(t: &Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    listing::count_endpoint(req, || t.groups.len())
}

/// `GET /groups/{id}`
pub fn get(ctx: &Ctx, t: &Tenant, req: &ApiRequest, id: &str) -> GraphResult<ApiResponse> {
    let q = Query::parse(&req.query, req.eventual())?;
    if q.filter.is_some() || q.top.is_some() || q.orderby.is_some() {
        return Err(not_collection());
    }
    let sel = q.resolve_select(GROUP_PROPERTIES, "group")?;
    let id = find(ctx, t, id)?;
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(ctx.urls.context(&match &sel {
            Some(s) => format!("groups({})/$entity", s.join(",")),
            None => "groups/$entity".to_string(),
        })),
    );
    m.extend(render::group(&t.groups[&id].obj, sel.as_deref()));
    Ok(ApiResponse::json(200, Value::Object(m)))
}

/// Resolve a `xxx@odata.bind` list: at most 20 references, each existing.
fn bind_list(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    body: &Map<String, Value>,
    key: &str,
) -> GraphResult<Vec<String>> {
    let Some(v) = body.get(key) else {
        return Ok(Vec::new());
    };
    let arr = v.as_array().ok_or_else(|| {
        GraphError::bad_request(format!(
            "Invalid value for '{key}': an array of URLs is expected."
        ))
    })?;
    if arr.len() > MAX_BIND {
        return Err(GraphError::bad_request(format!(
            "The request contains {} references in '{key}'; at most {MAX_BIND} are allowed in one request.",
            arr.len()
        )));
    }
    let hosts = own_hosts(ctx.urls, req);
    let nav = key.trim_end_matches("@odata.bind");
    let mut out = Vec::with_capacity(arr.len());
    for item in arr {
        // Graph's wording: "Invalid URL format specified in @odata.bind for owners"
        // (microsoftgraph/microsoft-graph-docs-contrib issue #3524).
        let id = item
            .as_str()
            .and_then(|u| parse_odata_ref(u, &hosts))
            .ok_or_else(|| {
                GraphError::bad_request(format!(
                    "Invalid URL format specified in @odata.bind for {nav}"
                ))
            })?;
        // Owners may be service principals (group-post-owners).
        let oid = if nav == "owners" {
            t.resolve_principal(&id)
        } else {
            t.resolve_object(&id)
        }
        .ok_or_else(|| GraphError::not_found(&id))?;
        let created = t
            .users
            .get(&oid)
            .map(|u| u.created_at)
            .or_else(|| t.groups.get(&oid).map(|g| g.obj.created_at))
            .flatten();
        if ctx.replication_miss(created) {
            return Err(GraphError::not_found(&id));
        }
        out.push(oid);
    }
    Ok(out)
}

fn dynamic_rules(props: &Map<String, Value>) -> GraphResult<bool> {
    let dynamic = props
        .get("groupTypes")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|t| t.as_str() == Some("DynamicMembership")));
    let has_rule = props
        .get("membershipRule")
        .and_then(Value::as_str)
        .is_some_and(|r| !r.trim().is_empty());
    if dynamic && !has_rule {
        return Err(GraphError::bad_request(
            "Invalid value specified for property 'membershipRule' of resource 'Group'.",
        ));
    }
    if has_rule && !dynamic {
        return Err(GraphError::bad_request(
            "Invalid value specified for property 'groupTypes' of resource 'Group'.",
        ));
    }
    Ok(dynamic)
}

/// `POST /groups`
pub fn create(ctx: &Ctx, t: &mut Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let body = req.body_object()?;
    let mut props = writable_props(
        body,
        GROUP_PROPERTIES,
        schema::GROUP_READ_ONLY,
        super::prop_types::group_prop,
    )?;
    for r in schema::GROUP_REQUIRED {
        if props.get(*r).is_none_or(Value::is_null) {
            return Err(GraphError::bad_request(format!(
                "Invalid value specified for property '{r}' of resource 'Group'."
            )));
        }
    }
    props.entry("groupTypes").or_insert(json!([]));
    let dynamic = dynamic_rules(&props)?;
    if dynamic {
        props
            .entry("membershipRuleProcessingState")
            .or_insert(json!("On"));
    }
    let members = bind_list(ctx, t, req, body, "members@odata.bind")?;
    let owners = bind_list(ctx, t, req, body, "owners@odata.bind")?;
    super::owners::check_bound(t, &owners)?;
    // "At most 20 relationships (owners plus members) in the create call"
    // (group-post-groups); the message is the emulator's.
    if members.len() + owners.len() > MAX_BIND {
        return Err(GraphError::bad_request(format!(
            "The request binds {} owners and members; at most {MAX_BIND} relationships are allowed when creating a group.",
            members.len() + owners.len()
        )));
    }
    if dynamic && !members.is_empty() {
        return Err(GraphError::denied());
    }
    let now = iso8601(now_secs());
    props.insert("createdDateTime".into(), json!(now));
    props.insert("renewedDateTime".into(), json!(now));
    // A new Microsoft 365 group gets a mailbox: `mail` (read-only) is its
    // nickname at the tenant's first domain, also its primary SMTP proxy address
    // (api-reference/v1.0/api/group-post-groups.md, Examples 1 and 3, in
    // microsoftgraph/microsoft-graph-docs-contrib; security groups keep `mail: null`).
    let unified = props
        .get("groupTypes")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v.as_str() == Some("Unified")));
    if unified && props.get("mailEnabled") == Some(&json!(true)) {
        let nick = props.get("mailNickname").and_then(Value::as_str);
        if let (Some(nick), Some(domain)) = (nick, t.info.domains.first()) {
            let mail = format!("{nick}@{domain}");
            props.insert("proxyAddresses".into(), json!([format!("SMTP:{mail}")]));
            props.insert("mail".into(), json!(mail));
        }
    }
    let id = t.rng.guid();
    t.insert_group(Group {
        obj: Object {
            id: id.clone(),
            props,
            created_at: Some(Instant::now()),
            seq: 0,
        },
        members: BTreeSet::new(),
    });
    t.touch_kind(Kind::Group, &id);
    for m in members {
        t.add_member_raw(&id, &m, true);
    }
    for o in owners {
        t.add_owner_raw(&id, &o, true);
    }
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(ctx.urls.context("groups/$entity")),
    );
    m.extend(render::group(&t.groups[&id].obj, None));
    Ok(ApiResponse::json(201, Value::Object(m)))
}

/// `PATCH /groups/{id}` (properties and/or `members@odata.bind`, all or nothing).
pub fn update(ctx: &Ctx, t: &mut Tenant, req: &ApiRequest, id: &str) -> GraphResult<ApiResponse> {
    let id = find(ctx, t, id)?;
    let body = req.body_object()?;
    let props = writable_props(
        body,
        GROUP_PROPERTIES,
        schema::GROUP_READ_ONLY,
        super::prop_types::group_prop,
    )?;
    let members = bind_list(ctx, t, req, body, "members@odata.bind")?;
    let owners = bind_list(ctx, t, req, body, "owners@odata.bind")?;
    super::owners::check_bound(t, &owners)?;
    let current = t.owners_of(&id);
    let mut seen = BTreeSet::new();
    if owners
        .iter()
        .any(|o| current.contains(o) || !seen.insert(o.clone()))
    {
        return Err(super::owners::already_owner());
    }
    let group = &t.groups[&id];
    let mut merged = group.obj.props.clone();
    merged.extend(props.clone());
    let dynamic = dynamic_rules(&merged)?;
    if !members.is_empty() {
        if dynamic || group.is_dynamic() {
            return Err(GraphError::denied());
        }
        let mut seen = BTreeSet::new();
        if members
            .iter()
            .any(|m| group.members.contains(m) || !seen.insert(m.clone()))
        {
            return Err(already_member());
        }
    }
    if !props.is_empty() {
        let Some(mut g) = t.take_group(&id) else {
            return Err(GraphError::not_found(&id));
        };
        g.obj.props = merged;
        t.insert_group(g);
        t.touch_props(&id, props.keys().cloned());
    }
    for m in members {
        t.add_member_raw(&id, &m, true);
    }
    for o in owners {
        t.add_owner_raw(&id, &o, true);
    }
    Ok(ApiResponse::no_content())
}

/// `DELETE /groups/{id}`: Microsoft 365 groups go to deleted items, security groups are removed for good.
pub fn delete(ctx: &Ctx, t: &mut Tenant, id: &str) -> GraphResult<ApiResponse> {
    let id = find(ctx, t, id)?;
    let members: Vec<String> = t.groups[&id].members.iter().cloned().collect();
    for m in &members {
        t.remove_member_raw(&id, m);
    }
    let (member_of, _) = t.detach(&id);
    let Some(mut g) = t.take_group(&id) else {
        return Err(GraphError::not_found(&id));
    };
    let unified = g
        .obj
        .props
        .get("groupTypes")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|v| v.as_str() == Some("Unified")));
    if unified {
        g.obj
            .props
            .insert("deletedDateTime".into(), json!(iso8601(now_secs())));
        t.deleted.insert(
            id.clone(),
            Deleted {
                kind: Kind::Group,
                obj: g.obj,
                member_of,
                members: members.into_iter().collect(),
                manager: None,
            },
        );
    }
    t.touch_kind(Kind::Group, &id);
    Ok(ApiResponse::no_content())
}

/// `GET /groups/{id}/members` (typed objects) or `…/members/$ref` (`@odata.id` references).
pub fn members(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    id: &str,
    refs: bool,
) -> GraphResult<ApiResponse> {
    let q = listing::relationship_query(req, "group members")?;
    let id = find(ctx, t, id)?;
    let set = &t.groups[&id].members;
    listing::directory_objects(ctx, t, req, q, set, refs)
}

/// `POST /groups/{id}/members/$ref`
pub fn add_member(
    ctx: &Ctx,
    t: &mut Tenant,
    req: &ApiRequest,
    id: &str,
) -> GraphResult<ApiResponse> {
    let id = find(ctx, t, id)?;
    let target = ref_body_id(ctx.urls, req)?;
    let mid = t
        .resolve_object(&target)
        .ok_or_else(|| GraphError::not_found(&target))?;
    let created = t
        .users
        .get(&mid)
        .map(|u| u.created_at)
        .or_else(|| t.groups.get(&mid).map(|g| g.obj.created_at))
        .flatten();
    if ctx.replication_miss(created) {
        return Err(GraphError::not_found(&target));
    }
    let g = &t.groups[&id];
    if g.is_dynamic() {
        return Err(GraphError::denied());
    }
    if g.members.contains(&mid) {
        return Err(already_member());
    }
    if mid == id {
        return Err(GraphError::bad_request(
            "A group cannot be added as a member of itself.",
        ));
    }
    t.add_member_raw(&id, &mid, true);
    Ok(ApiResponse::no_content())
}

/// `DELETE /groups/{id}/members/{memberId}/$ref`
pub fn remove_member(
    ctx: &Ctx,
    t: &mut Tenant,
    id: &str,
    member: &str,
) -> GraphResult<ApiResponse> {
    let gid = find(ctx, t, id)?;
    if t.groups[&gid].is_dynamic() {
        return Err(GraphError::denied());
    }
    let mid = t
        .resolve_object(member)
        .unwrap_or_else(|| member.to_string());
    if !t.remove_member_raw(&gid, &mid) {
        return Err(GraphError::not_found(id));
    }
    Ok(ApiResponse::no_content())
}

/// `GET /groups/{id}/members/{cast}`: members of one type (`microsoft.graph.user`
/// or the alias `graph.user`), see [`listing::directory_objects_cast`].
pub fn members_cast(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    id: &str,
    cast: super::cast::Cast,
) -> GraphResult<ApiResponse> {
    let q = listing::relationship_query(req, "group members")?;
    let id = find(ctx, t, id)?;
    listing::directory_objects_cast(ctx, t, req, q, &t.groups[&id].members, cast)
}
