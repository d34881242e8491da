//! Shared collection logic for users and groups: checking query options
//! against a resource's rules, keyset iteration in the requested order,
//! `$count`, and building the page with `@odata.nextLink`.

use std::ops::Bound::{Excluded, Unbounded};

use serde_json::{Map, Value};

use super::error::{GraphError, GraphResult};
use super::http::{
    ApiRequest, ApiResponse, Body, collection, decode_token, encode_token, take_page,
};
use super::odata::{self, Expr, Query};
use super::schema::{FilterKind, canonical};
use super::state::{Object, Tenant};

/// The rules of one directory collection.
pub struct Spec {
    /// Entity set name (`users`).
    pub set: &'static str,
    /// Type name in errors (`user`).
    pub type_name: &'static str,
    /// Resource name in filter errors (`User`).
    pub resource: &'static str,
    /// Property list.
    pub props: &'static [&'static str],
    /// Filter kinds.
    pub kind_of: fn(&str) -> Option<FilterKind>,
    /// Properties `$search` may name.
    pub searchable: &'static [&'static str],
}

/// Sort order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By object id (Graph's default order is unspecified; ids are stable).
    Id,
    /// By displayName; `true` = descending.
    Name(bool),
    /// By userPrincipalName (users only); `true` = descending.
    Upn(bool),
}

impl Order {
    fn tag(self) -> &'static str {
        match self {
            Order::Id => "id",
            Order::Name(false) => "name",
            Order::Name(true) => "name-desc",
            Order::Upn(false) => "upn",
            Order::Upn(true) => "upn-desc",
        }
    }
}

/// A checked query for a collection.
pub struct Prepared {
    /// The raw options.
    pub q: Query,
    /// Canonical `$select`.
    pub select: Option<Vec<&'static str>>,
    /// Checked `$filter`.
    pub filter: Option<Expr>,
    /// Order.
    pub order: Order,
}

/// Parse and check a request's options against a collection's rules.
pub fn prepare(req: &ApiRequest, spec: &Spec) -> GraphResult<Prepared> {
    let q = Query::parse(&req.query, req.eventual())?;
    let select = q.resolve_select(spec.props, spec.type_name)?;
    let filter = match &q.filter {
        Some(f) => Some(odata::check_filter(
            f,
            spec.props,
            spec.type_name,
            spec.resource,
            spec.kind_of,
            q.advanced(),
        )?),
        None => None,
    };
    let order = match &q.orderby {
        None => Order::Id,
        Some((p, desc)) => {
            let p = canonical(spec.props, p)
                .ok_or_else(|| GraphError::unknown_property(p, spec.type_name))?;
            if filter.is_some() && !q.advanced() {
                return Err(GraphError::unsupported_query(
                    "Sorting not supported for current query. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information",
                ));
            }
            match p {
                "displayName" => Order::Name(*desc),
                "userPrincipalName" if spec.set == "users" => Order::Upn(*desc),
                _ => {
                    return Err(GraphError::unsupported_query(format!(
                        "Unsupported sort property '{p}' for '{}'.",
                        spec.resource
                    )));
                }
            }
        }
    };
    let filter = match &q.search {
        None => filter,
        Some(text) => {
            let search = odata::parse_search(text, spec.searchable, spec.resource)?;
            Some(match filter {
                Some(f) => Expr::And(vec![f, search]),
                None => search,
            })
        }
    };
    Ok(Prepared {
        q,
        select,
        filter,
        order,
    })
}

/// Keyset iterator over users in an order, after a position.
pub fn user_keys<'a>(
    t: &'a Tenant,
    order: Order,
    after: Option<(String, String)>,
) -> Box<dyn Iterator<Item = (String, String)> + 'a> {
    match order {
        Order::Id => {
            let lo = after.map_or(Unbounded, |(_, id)| Excluded(id));
            Box::new(
                t.users
                    .range::<String, _>((lo, Unbounded))
                    .map(|(k, _)| (k.clone(), k.clone())),
            )
        }
        Order::Name(desc) => names(&t.user_names, desc, after),
        Order::Upn(desc) => {
            let it = match (desc, after) {
                (false, a) => {
                    let lo = a.map_or(Unbounded, |(k, _)| Excluded(k));
                    Box::new(t.upn_index.range::<String, _>((lo, Unbounded)))
                        as Box<dyn Iterator<Item = (&String, &String)>>
                }
                (true, a) => {
                    let hi = a.map_or(Unbounded, |(k, _)| Excluded(k));
                    Box::new(t.upn_index.range::<String, _>((Unbounded, hi)).rev())
                }
            };
            Box::new(it.map(|(k, v)| (k.clone(), v.clone())))
        }
    }
}

/// Keyset iterator over groups in an order, after a position.
pub fn group_keys<'a>(
    t: &'a Tenant,
    order: Order,
    after: Option<(String, String)>,
) -> Box<dyn Iterator<Item = (String, String)> + 'a> {
    match order {
        Order::Name(desc) => names(&t.group_names, desc, after),
        _ => {
            let lo = after.map_or(Unbounded, |(_, id)| Excluded(id));
            Box::new(
                t.groups
                    .range::<String, _>((lo, Unbounded))
                    .map(|(k, _)| (k.clone(), k.clone())),
            )
        }
    }
}

fn names<'a>(
    set: &'a std::collections::BTreeSet<(String, String)>,
    desc: bool,
    after: Option<(String, String)>,
) -> Box<dyn Iterator<Item = (String, String)> + 'a> {
    let it: Box<dyn Iterator<Item = &(String, String)>> = match (desc, after) {
        (false, None) => Box::new(set.iter()),
        (false, Some(a)) => Box::new(set.range((Excluded(a), Unbounded))),
        (true, None) => Box::new(set.iter().rev()),
        (true, Some(a)) => Box::new(set.range((Unbounded, Excluded(a))).rev()),
    };
    Box::new(it.cloned())
}

/// Keyset iterator over a set of ids (members, reports, memberOf).
pub fn id_keys<'a>(
    set: &'a std::collections::BTreeSet<String>,
    after: Option<(String, String)>,
) -> Box<dyn Iterator<Item = (String, String)> + 'a> {
    let lo = after.map_or(Unbounded, |(_, id)| Excluded(id));
    Box::new(
        set.range::<String, _>((lo, Unbounded))
            .map(|k| (k.clone(), k.clone())),
    )
}

/// Run a paged listing: `keys` yields candidates after the position, `get`
/// finds the object for the filter, `render` makes each item.
#[allow(clippy::too_many_arguments)]
pub fn page<'a, K, G, R>(
    ctx: &super::ctx::Ctx,
    req: &ApiRequest,
    p: &Prepared,
    context: String,
    total_for_count: impl FnOnce() -> usize,
    keys: K,
    get: G,
    mut render: R,
) -> GraphResult<ApiResponse>
where
    K: FnOnce(Option<(String, String)>) -> Box<dyn Iterator<Item = (String, String)> + 'a>,
    G: Fn(&str) -> Option<&'a Map<String, Value>>,
    R: FnMut(&str) -> Option<Value>,
{
    let tag = p.order.tag();
    let after = match &p.q.skiptoken {
        Some(tok) => Some(decode_token(tok, tag)?),
        None => None,
    };
    let matches = |id: &str| match &p.filter {
        None => true,
        Some(f) => get(id).is_some_and(|m| ctx.eval(f, id, m)),
    };
    let count = (p.q.count && p.q.eventual).then(total_for_count);
    let (ids, next) = take_page(keys(after), p.q.page_size(), matches);
    let value: Vec<Value> = ids.iter().filter_map(|id| render(id)).collect();
    let next = next.map(|(k, id)| {
        ctx.urls
            .next_link(&req.path, &p.q.passthrough, &encode_token(tag, &k, &id))
    });
    Ok(ApiResponse::json(
        200,
        collection(context, count, next, value),
    ))
}

/// Count matches of a filter over objects (for `$count`).
pub fn count_matching<'a>(
    ctx: &super::ctx::Ctx,
    objs: impl Iterator<Item = &'a Object>,
    filter: Option<&Expr>,
) -> usize {
    match filter {
        None => objs.count(),
        Some(f) => objs.filter(|o| ctx.eval(f, &o.id, &o.props)).count(),
    }
}

/// `/users/$count` and `/groups/$count`: a bare integer with `ConsistencyLevel: eventual`.
pub fn count_endpoint(req: &ApiRequest, n: impl FnOnce() -> usize) -> GraphResult<ApiResponse> {
    if !req.eventual() {
        return Err(GraphError::bad_request(
            "$count is not currently supported.",
        ));
    }
    Ok(ApiResponse {
        status: 200,
        headers: Vec::new(),
        body: Body::Text(n().to_string()),
    })
}

/// The query options of a relationship listing (`members`, `owners`,
/// `memberOf`, …): the emulator models only `$select`, `$top` and `$count`
/// there, and refuses the rest (400 `Request_UnsupportedQuery` naming `on`).
pub fn relationship_query(req: &ApiRequest, on: &str) -> GraphResult<Query> {
    let q = Query::parse(&req.query, req.eventual())?;
    if q.filter.is_some() || q.orderby.is_some() || q.expand.is_some() {
        return Err(GraphError::unsupported_query(format!(
            "The entraform emulator supports only $select, $top and $count on {on}."
        )));
    }
    Ok(q)
}

/// One page of a set of directory objects by id (group or unit members,
/// memberOf, directReports): typed objects with `$select`, or `…/$ref` links.
pub fn directory_objects(
    ctx: &super::ctx::Ctx,
    t: &Tenant,
    req: &ApiRequest,
    q: Query,
    set: &std::collections::BTreeSet<String>,
    refs: bool,
) -> GraphResult<ApiResponse> {
    let select = q.select.clone();
    super::render::check_mixed_select(select.as_deref())?;
    let p = Prepared {
        q,
        select: None,
        filter: None,
        order: Order::Id,
    };
    page(
        ctx,
        req,
        &p,
        ctx.urls.context("directoryObjects"),
        || set.len(),
        |after| id_keys(set, after),
        |_| None,
        |oid| {
            if refs {
                let suffix = t.kind_of(oid)?.ref_suffix();
                Some(serde_json::json!({ "@odata.id": ctx.urls.directory_object_ref(oid, suffix) }))
            } else {
                super::render::directory_object(t, oid, select.as_deref())
            }
        },
    )
}

/// Properties a cast to `microsoft.graph.servicePrincipal` may select (what
/// the emulator knows of the seed's service principals).
const SP_CAST_PROPS: &[&str] = &["id", "appId", "displayName"];

/// One page of a set of directory objects after a type cast
/// (`…/members/microsoft.graph.user`, or the alias `…/members/graph.user`):
/// only the objects of that type, rendered as that type (its own properties
/// in `$select`, no `@odata.type`), with an `@odata.context` naming the
/// type's entity set — as Graph answers
/// (api-reference/v1.0/api/group-list-members.md, Example 4:
/// `$metadata#users(displayName,id)`). A cast to a type the emulator keeps
/// none of (contacts) is an empty page; seeded devices (`devices:`) are
/// rendered whole, listed-only ones with their id and name.
pub fn directory_objects_cast(
    ctx: &super::ctx::Ctx,
    t: &Tenant,
    req: &ApiRequest,
    q: Query,
    set: &std::collections::BTreeSet<String>,
    cast: super::cast::Cast,
) -> GraphResult<ApiResponse> {
    use super::render;
    use super::schema::{GROUP_PROPERTIES, USER_PROPERTIES};
    use super::state::Kind;
    let kind = cast.kind();
    let props: &'static [&'static str] = match kind {
        Some(Kind::User) => USER_PROPERTIES,
        Some(Kind::Group) => GROUP_PROPERTIES,
        Some(Kind::Device) => super::device_state::DEVICE_PROPERTIES,
        _ => SP_CAST_PROPS,
    };
    let select = q.resolve_select(props, cast.name())?;
    let only: std::collections::BTreeSet<String> = match kind {
        Some(k) => set
            .iter()
            .filter(|id| t.kind_of(id) == Some(k))
            .cloned()
            .collect(),
        None => Default::default(),
    };
    let p = Prepared {
        q,
        select: None,
        filter: None,
        order: Order::Id,
    };
    let context = ctx
        .urls
        .collection_context(cast.entity_set(), select.as_deref());
    page(
        ctx,
        req,
        &p,
        context,
        || only.len(),
        |after| id_keys(&only, after),
        |_| None,
        |oid| match t.kind_of(oid)? {
            Kind::User => Some(Value::Object(render::user(
                t.users.get(oid)?,
                select.as_deref(),
            ))),
            Kind::Group => Some(Value::Object(render::group(
                &t.groups.get(oid)?.obj,
                select.as_deref(),
            ))),
            Kind::ServicePrincipal | Kind::Device | Kind::OrgContact | Kind::DirectoryObject => {
                let mut v = render::directory_object(t, oid, None)?;
                if let Value::Object(m) = &mut v {
                    m.remove("@odata.type");
                    if let Some(sel) = &select {
                        m.retain(|k, _| sel.contains(&k.as_str()));
                    }
                }
                Some(v)
            }
        },
    )
}
