//! `/directory/deletedItems`: list by type cast, get, restore, permanent delete.

use serde_json::{Map, Value, json};

use super::cast::Cast;
use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse, collection, decode_token, encode_token, take_page};
use super::odata::{self, Query};
use super::render;
use super::schema::{self, GROUP_PROPERTIES, USER_PROPERTIES};
use super::state::{Group, Kind, Tenant};

/// The kind a deleted-items cast names (`microsoft.graph.user` or the alias
/// `graph.user`, see [`super::cast`]).
fn cast_kind(segment: &str) -> GraphResult<Kind> {
    match super::cast::parse(segment) {
        Some(Cast::User) => Ok(Kind::User),
        Some(Cast::Group) => Ok(Kind::Group),
        _ => Err(GraphError::bad_request(format!(
            "The entraform emulator keeps only users and groups in deleted items, not '{segment}'."
        ))),
    }
}

/// `GET /directory/deletedItems` without a type cast: Graph requires one.
pub fn list_uncast() -> GraphError {
    GraphError::bad_request(
        "Listing deleted items requires a type cast segment such as /directory/deletedItems/microsoft.graph.user.",
    )
}

/// `GET /directory/deletedItems/microsoft.graph.user` (or `.group`; also `graph.user`)
pub fn list(ctx: &Ctx, t: &Tenant, req: &ApiRequest, cast: &str) -> GraphResult<ApiResponse> {
    let kind = cast_kind(cast)?;
    let q = Query::parse(&req.query, req.eventual())?;
    let (props, type_name, resource, set, kind_of): (_, _, _, _, fn(&str) -> _) = match kind {
        Kind::Group => (
            GROUP_PROPERTIES,
            "group",
            "Group",
            "groups",
            schema::group_filter_kind,
        ),
        _ => (
            USER_PROPERTIES,
            "user",
            "User",
            "users",
            schema::user_filter_kind,
        ),
    };
    let sel = q.resolve_select(props, type_name)?;
    let filter = match &q.filter {
        Some(f) => Some(odata::check_filter(
            f,
            props,
            type_name,
            resource,
            kind_of,
            q.advanced(),
        )?),
        None => None,
    };
    let mut desc = false;
    let by_date = match &q.orderby {
        None => false,
        Some((p, d)) if p.eq_ignore_ascii_case("deletedDateTime") => {
            if !q.advanced() {
                return Err(GraphError::needs_advanced("$orderBy"));
            }
            desc = *d;
            true
        }
        Some((p, _)) => {
            return Err(GraphError::unsupported_query(format!(
                "Unsupported sort property '{p}' for deleted items."
            )));
        }
    };
    let matching: Vec<(&String, &super::state::Deleted)> = t
        .deleted
        .iter()
        .filter(|(_, d)| d.kind == kind)
        .filter(|(id, d)| {
            filter
                .as_ref()
                .is_none_or(|f| ctx.eval(f, id, &d.obj.props))
        })
        .collect();
    let count = (q.count && q.eventual).then_some(matching.len());
    let mut keyed: Vec<(String, String)> = matching
        .iter()
        .map(|(id, d)| {
            let k = if by_date {
                d.obj.str("deletedDateTime").unwrap_or("").to_string()
            } else {
                (*id).clone()
            };
            (k, (*id).clone())
        })
        .collect();
    keyed.sort();
    if desc {
        keyed.reverse();
    }
    let tag = if by_date { "deleted-date" } else { "id" };
    let start = match &q.skiptoken {
        Some(tok) => {
            let pos = decode_token(tok, tag)?;
            keyed
                .iter()
                .position(|k| *k == pos)
                .map_or(keyed.len(), |i| i + 1)
        }
        None => 0,
    };
    let (ids, next) = take_page(keyed.into_iter().skip(start), q.page_size(), |_| true);
    let value = ids
        .iter()
        .map(|id| {
            let d = &t.deleted[id];
            let m = render::project(
                &d.obj,
                sel.as_deref(),
                match kind {
                    Kind::Group => schema::GROUP_DEFAULT,
                    _ => schema::USER_DEFAULT,
                },
            );
            Value::Object(m)
        })
        .collect();
    let next = next.map(|(k, id)| {
        ctx.urls
            .next_link(&req.path, &q.passthrough, &encode_token(tag, &k, &id))
    });
    Ok(ApiResponse::json(
        200,
        collection(
            ctx.urls.collection_context(set, sel.as_deref()),
            count,
            next,
            value,
        ),
    ))
}

fn entity(ctx: &Ctx, kind: Kind, m: Map<String, Value>) -> Value {
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        json!(ctx.urls.context("directoryObjects/$entity")),
    );
    out.insert("@odata.type".into(), json!(kind.odata_type()));
    out.extend(m);
    Value::Object(out)
}

/// `GET /directory/deletedItems/{id}`
pub fn get(ctx: &Ctx, t: &Tenant, id: &str) -> GraphResult<ApiResponse> {
    let d = t.deleted.get(id).ok_or_else(|| GraphError::not_found(id))?;
    let defaults = if d.kind == Kind::Group {
        schema::GROUP_DEFAULT
    } else {
        schema::USER_DEFAULT
    };
    let mut m = render::project(&d.obj, None, defaults);
    m.insert(
        "deletedDateTime".into(),
        d.obj
            .props
            .get("deletedDateTime")
            .cloned()
            .unwrap_or(Value::Null),
    );
    Ok(ApiResponse::json(200, entity(ctx, d.kind, m)))
}

/// `POST /directory/deletedItems/{id}/restore`
pub fn restore(ctx: &Ctx, t: &mut Tenant, id: &str) -> GraphResult<ApiResponse> {
    let d = t.deleted.get(id).ok_or_else(|| GraphError::not_found(id))?;
    let original = (d.kind == Kind::User)
        .then(|| Tenant::original_upn(id, &d.obj.props))
        .flatten();
    if original
        .as_deref()
        .is_some_and(|upn| t.resolve_user(upn).is_some())
    {
        return Err(GraphError::conflict("userPrincipalName"));
    }
    let Some(mut d) = t.deleted.remove(id) else {
        return Err(GraphError::not_found(id));
    };
    d.obj.props.remove("deletedDateTime");
    // A restored object replicates like a new one: for a while reads of it
    // may miss (the replication-delay fault), as right after a create.
    d.obj.created_at = Some(std::time::Instant::now());
    if let Some(upn) = original {
        d.obj.props.insert("userPrincipalName".into(), json!(upn));
    }
    let kind = d.kind;
    match kind {
        Kind::Group => t.insert_group(Group {
            obj: d.obj,
            members: Default::default(),
        }),
        _ => t.insert_user(d.obj),
    }
    for m in &d.members {
        if t.kind_of(m).is_some() {
            t.add_member_raw(id, m, true);
        }
    }
    for g in &d.member_of {
        if t.groups.contains_key(g) {
            t.add_member_raw(g, id, true);
        }
    }
    if let Some(m) = d.manager.as_ref().filter(|m| t.users.contains_key(*m)) {
        t.set_manager_raw(id, m);
    }
    t.touch_kind(kind, id);
    let m = match kind {
        Kind::Group => render::group(&t.groups[id].obj, None),
        _ => render::user(&t.users[id], None),
    };
    Ok(ApiResponse::json(200, entity(ctx, kind, m)))
}

/// `DELETE /directory/deletedItems/{id}`: gone for good.
pub fn purge(t: &mut Tenant, id: &str) -> GraphResult<ApiResponse> {
    let d = t
        .deleted
        .remove(id)
        .ok_or_else(|| GraphError::not_found(id))?;
    t.touch_kind(d.kind, id);
    Ok(ApiResponse::no_content())
}
