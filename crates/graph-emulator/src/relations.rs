//! Navigation collections of directory objects as scripts call them:
//! `/users/{id}/memberOf`, `…/transitiveMemberOf`, `…/directReports`,
//! `/groups/{id}/members` (with options), `…/transitiveMembers`,
//! `…/memberOf`, `…/transitiveMemberOf`, `/servicePrincipals/{id}/memberOf`
//! — each with an OData cast segment (`microsoft.graph.user`, or
//! `graph.user` as Microsoft's Kiota-generated SDKs write it), `$select`,
//! `$filter`, `$search`, `$orderby=displayName`, `$top` paging, and `$count`
//! (`?$count=true`, or the `/$count` path segment returning a bare integer).
//!
//! Graph's rules, from the reference pages in
//! microsoftgraph/microsoft-graph-docs-contrib (group-list-members.md,
//! group-list-transitivemembers.md, user-list-memberof.md,
//! user-list-transitivememberof.md) and concepts/aad-advanced-queries.md:
//! - "ConsistencyLevel: eventual … This header and `$count` are required when
//!   using the `$search`, `$filter`, `$orderby`, or OData cast query
//!   parameters"; without the header a `/$count` segment answers 400
//!   "$count is not currently supported.";
//! - a cast narrows the collection and names its entity set in
//!   `@odata.context` (`#users`, `#groups(displayName,id)`); items then carry
//!   no `@odata.type`; without a cast the context is `#directoryObjects` and
//!   every item is typed;
//! - segment names are matched case-insensitively (the docs write
//!   `transitivemembers`); a cast to a type the collection cannot hold (a
//!   group inside a Microsoft 365 group, learn.microsoft.com
//!   group-list-transitivemembers) is 400 `Request_UnsupportedQuery`.
//!
//! `directReports/$count` has no example in the v1.0 reference; it is served
//! as the others: concepts/aad-advanced-queries.md lists `directReports`
//! among the relationships with advanced queries, and a Microsoft Q&A answer
//! (learn.microsoft.com/answers/questions/652820) shows
//! `GET /me/directReports/$count` with `ConsistencyLevel: eventual`.
//!
//! Emulator choices (docs/emulator.md): a cast on a *direct* relationship
//! (`members`, `memberOf`, `directReports`) is accepted without the
//! advanced-query parameters, as PowerShell's `Get-MgGroupMemberAsUser` and
//! scripts rely on; on transitive ones it needs them (Microsoft Q&A 447359).
//! Error messages Graph does not document are the emulator's.

use std::borrow::Cow;
use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use super::admin_units::{self, AU_PROPERTIES};
use super::cast::{self, Cast};
use super::ctx::Ctx;
use super::directory_roles;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse, Body, collection, decode_token, encode_token};
use super::odata::{self, Expr, Query};
use super::render;
use super::schema::{
    self, FilterKind, GROUP_DEFAULT, GROUP_PROPERTIES, USER_DEFAULT, USER_PROPERTIES, canonical,
};
use super::state::{Kind, Tenant};
use super::transitive::{self, Entry, Related};
use super::{groups, lookup, users};

/// Who owns the relationship.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    User,
    Group,
    ServicePrincipal,
}

/// The navigation property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    Members,
    TransitiveMembers,
    MemberOf,
    TransitiveMemberOf,
    DirectReports,
}

impl Rel {
    fn parse(seg: &str) -> Option<Rel> {
        Some(match seg.to_ascii_lowercase().as_str() {
            "members" => Rel::Members,
            "transitivemembers" => Rel::TransitiveMembers,
            "memberof" => Rel::MemberOf,
            "transitivememberof" => Rel::TransitiveMemberOf,
            "directreports" => Rel::DirectReports,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Rel::Members => "members",
            Rel::TransitiveMembers => "transitiveMembers",
            Rel::MemberOf => "memberOf",
            Rel::TransitiveMemberOf => "transitiveMemberOf",
            Rel::DirectReports => "directReports",
        }
    }

    fn transitive(self) -> bool {
        matches!(self, Rel::TransitiveMembers | Rel::TransitiveMemberOf)
    }

    fn allowed(self, owner: Owner) -> bool {
        match owner {
            Owner::User => matches!(
                self,
                Rel::MemberOf | Rel::TransitiveMemberOf | Rel::DirectReports
            ),
            Owner::Group => !matches!(self, Rel::DirectReports),
            Owner::ServicePrincipal => matches!(self, Rel::MemberOf | Rel::TransitiveMemberOf),
        }
    }
}

impl Rel {
    /// The types a cast may name on this relationship: Graph's metadata puts
    /// a derived-type constraint on these navigation properties (msgraph-metadata
    /// pull request 286 narrowed `memberOf`/`transitiveMemberOf` to the types
    /// that have members), so a cast outside it is refused.
    fn casts(self) -> &'static [Cast] {
        match self {
            Rel::Members | Rel::TransitiveMembers => &[
                Cast::User,
                Cast::Group,
                Cast::ServicePrincipal,
                Cast::Device,
                Cast::OrgContact,
            ],
            Rel::MemberOf | Rel::TransitiveMemberOf => {
                &[Cast::Group, Cast::DirectoryRole, Cast::AdministrativeUnit]
            }
            Rel::DirectReports => &[Cast::User, Cast::OrgContact],
        }
    }
}

/// Whether a listed entry is of the cast's type.
fn cast_matches(c: Cast, e: &Entry) -> bool {
    matches!(
        (c, e),
        (Cast::User, Entry::Object(Kind::User))
            | (Cast::Group, Entry::Object(Kind::Group))
            | (
                Cast::ServicePrincipal,
                Entry::Object(Kind::ServicePrincipal)
            )
            | (Cast::Device, Entry::Object(Kind::Device))
            | (Cast::OrgContact, Entry::Object(Kind::OrgContact))
            | (Cast::DirectoryRole, Entry::Role(_))
            | (Cast::AdministrativeUnit, Entry::Unit)
    )
}

/// A parsed relationship path.
#[derive(Debug, Clone, Copy)]
struct Path<'a> {
    owner: Owner,
    key: &'a str,
    rel: Rel,
    cast: Option<Cast>,
    count: bool,
}

fn segment_not_found(seg: &str) -> GraphError {
    GraphError::new(
        400,
        "BadRequest",
        format!("Resource not found for the segment '{seg}'."),
    )
}

/// Parse `[set, key, rel, (cast)?, ($count)?]`. `None`: not a relationship
/// path this module serves (`members/$ref`, `manager`…). `Some(Err)`: a cast
/// to an unknown type.
fn parse<'a>(s: &[&'a str]) -> Option<GraphResult<Path<'a>>> {
    let (set, key, rel, rest) = match s {
        [set, key, rel, rest @ ..] => (*set, *key, *rel, rest),
        _ => return None,
    };
    let owner = match set {
        "users" => Owner::User,
        "groups" => Owner::Group,
        "servicePrincipals" => Owner::ServicePrincipal,
        _ => return None,
    };
    let rel = Rel::parse(rel).filter(|r| r.allowed(owner))?;
    let (cast_seg, count) = match rest {
        [] => (None, false),
        ["$count"] => (None, true),
        [c] => (Some(*c), false),
        [c, "$count"] => (Some(*c), true),
        _ => return None,
    };
    let cast = match cast_seg {
        None => None,
        // `microsoft.graph.user` or the SDKs' alias `graph.user` (cast.rs).
        Some(c) if !cast::is_qualified(c) => return None,
        Some(c) => match cast::parse(c) {
            Some(cast) => Some(cast),
            None => return Some(Err(segment_not_found(c))),
        },
    };
    Some(Ok(Path {
        owner,
        key,
        rel,
        cast,
        count,
    }))
}

/// A query option given (name case-insensitive, a still-encoded `%24` read as `$`).
fn has_option(req: &ApiRequest, name: &str) -> bool {
    req.query.iter().any(|(k, _)| {
        let k = k.trim().to_ascii_lowercase();
        k == name || k.strip_prefix("%24").is_some_and(|r| r == &name[1..])
    })
}

/// Whether this module answers the request: every relationship path with a
/// cast or `$count`, the transitive and `memberOf` ones, and `members` /
/// `directReports` when they use `$filter`, `$search` or `$orderby` (the
/// plain listings stay with `groups`/`users`).
fn handles(p: &Path, req: &ApiRequest) -> bool {
    if p.cast.is_some() || p.count {
        return true;
    }
    match p.rel {
        Rel::Members | Rel::DirectReports => {
            req.method == "GET"
                && ["$filter", "$search", "$orderby"]
                    .iter()
                    .any(|o| has_option(req, o))
        }
        _ => true,
    }
}

/// The metrics route template of a relationship path (`None`: not one).
pub fn template(s: &[&str]) -> Option<String> {
    let p = parse(s)?.ok()?;
    let set = match p.owner {
        Owner::User => "users",
        Owner::Group => "groups",
        Owner::ServicePrincipal => "servicePrincipals",
    };
    let mut t = format!("/{set}/{{id}}/{}", p.rel.name());
    if let Some(c) = p.cast {
        t.push_str("/microsoft.graph.");
        t.push_str(c.name());
    }
    if p.count {
        t.push_str("/$count");
    }
    Some(t)
}

/// Answer a relationship request, or `None` when it is not one this module serves.
pub fn route(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    s: &[&str],
) -> Option<GraphResult<ApiResponse>> {
    let p = match parse(s)? {
        Ok(p) => p,
        Err(e) => return Some(Err(e)),
    };
    if !handles(&p, req) {
        return None;
    }
    if req.method != "GET" {
        return Some(Err(GraphError::method_not_allowed()));
    }
    Some(list(ctx, t, req, &p))
}

fn advanced_only(what: &str) -> GraphError {
    GraphError::unsupported_query(format!(
        "{what} on this relationship is supported only as an advanced query. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
    ))
}

/// Properties `$select`/`$filter` may name on a mixed (uncast) collection:
/// those of users and groups.
static MIXED_PROPS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    let mut v: Vec<&'static str> = USER_PROPERTIES.to_vec();
    for p in GROUP_PROPERTIES {
        if !v.contains(p) {
            v.push(p);
        }
    }
    v
});

fn mixed_kind(p: &str) -> Option<FilterKind> {
    schema::user_filter_kind(p).or_else(|| schema::group_filter_kind(p))
}

const SP_PROPS: &[&str] = &["id", "appId", "displayName"];
const OTHER_PROPS: &[&str] = &["id", "displayName"];

fn named_kind(p: &str) -> Option<FilterKind> {
    match p {
        "id" | "appId" | "roleTemplateId" => Some(FilterKind::Id),
        "displayName" => Some(FilterKind::Text),
        _ => None,
    }
}

/// The rules of the (cast) collection: properties, filter kinds, type and
/// resource names for errors, and what `$search` may name.
struct Rules {
    props: &'static [&'static str],
    kind_of: fn(&str) -> Option<FilterKind>,
    type_name: &'static str,
    resource: &'static str,
    searchable: &'static [&'static str],
}

fn rules(cast: Option<Cast>) -> Rules {
    match cast {
        None => Rules {
            props: MIXED_PROPS.as_slice(),
            kind_of: mixed_kind,
            type_name: "directoryObject",
            resource: "DirectoryObject",
            searchable: &["displayName", "description"],
        },
        Some(Cast::User) => Rules {
            props: USER_PROPERTIES,
            kind_of: schema::user_filter_kind,
            type_name: "user",
            resource: "User",
            searchable: users::SPEC.searchable,
        },
        Some(Cast::Group) => Rules {
            props: GROUP_PROPERTIES,
            kind_of: schema::group_filter_kind,
            type_name: "group",
            resource: "Group",
            searchable: groups::SPEC.searchable,
        },
        Some(Cast::ServicePrincipal) => Rules {
            props: SP_PROPS,
            kind_of: named_kind,
            type_name: "servicePrincipal",
            resource: "ServicePrincipal",
            searchable: &["displayName"],
        },
        Some(Cast::Application) => Rules {
            props: OTHER_PROPS,
            kind_of: named_kind,
            type_name: "application",
            resource: "Application",
            searchable: &["displayName"],
        },
        Some(Cast::Device) => Rules {
            // Seeded devices (`devices:`) have the device resource's properties.
            props: super::device_state::DEVICE_PROPERTIES,
            kind_of: named_kind,
            type_name: "device",
            resource: "Device",
            searchable: &["displayName"],
        },
        Some(Cast::OrgContact) => Rules {
            props: OTHER_PROPS,
            kind_of: named_kind,
            type_name: "orgContact",
            resource: "OrgContact",
            searchable: &["displayName"],
        },
        Some(Cast::DirectoryRole) => Rules {
            props: directory_roles::PROPS,
            kind_of: named_kind,
            type_name: "directoryRole",
            resource: "DirectoryRole",
            searchable: &["displayName", "description"],
        },
        Some(Cast::AdministrativeUnit) => Rules {
            props: AU_PROPERTIES,
            kind_of: admin_units::au_filter_kind,
            type_name: "administrativeUnit",
            resource: "AdministrativeUnit",
            searchable: admin_units::SPEC.searchable,
        },
    }
}

/// The owner's id, or Graph's 404.
fn owner_id(ctx: &Ctx, t: &Tenant, p: &Path) -> GraphResult<String> {
    match p.owner {
        Owner::User => users::find(ctx, t, p.key),
        Owner::Group => lookup::group(ctx, t, p.key),
        Owner::ServicePrincipal => match t.kind_of(p.key) {
            Some(Kind::ServicePrincipal) => Ok(p.key.to_string()),
            _ => Err(GraphError::not_found(p.key)),
        },
    }
}

fn related(ctx: &Ctx, t: &Tenant, p: &Path, id: &str) -> Related {
    match p.rel {
        Rel::Members => transitive::members(t, id, ctx.work),
        Rel::TransitiveMembers => transitive::transitive_members(t, id, ctx.work),
        Rel::MemberOf => transitive::member_of(t, id, false, ctx.work),
        Rel::TransitiveMemberOf => transitive::member_of(t, id, true, ctx.work),
        Rel::DirectReports => transitive::direct_reports(t, id),
    }
}

/// A directoryRole as Graph lists it (without `@odata.type`).
fn role_props(t: &Tenant, r: &entra_data::builtin_roles::BuiltinRole) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "id".into(),
        json!(directory_roles::role_object_id(&t.info.id, r.template_id)),
    );
    m.insert("deletedDateTime".into(), Value::Null);
    m.insert("description".into(), json!(r.description));
    m.insert("displayName".into(), json!(r.display_name));
    m.insert("roleTemplateId".into(), json!(r.template_id));
    m
}

/// The properties a filter, search or sort reads, for any related object.
pub(super) fn props_of<'a>(t: &'a Tenant, id: &str, e: &Entry) -> Cow<'a, Map<String, Value>> {
    match e {
        Entry::Object(Kind::User) => t
            .users
            .get(id)
            .map_or_else(|| Cow::Owned(Map::new()), |u| Cow::Borrowed(&u.props)),
        Entry::Object(Kind::Group) => t
            .groups
            .get(id)
            .map_or_else(|| Cow::Owned(Map::new()), |g| Cow::Borrowed(&g.obj.props)),
        Entry::Object(_) => match render::directory_object(t, id, None) {
            Some(Value::Object(mut m)) => {
                m.remove("@odata.type");
                m.remove("id");
                Cow::Owned(m)
            }
            _ => Cow::Owned(Map::new()),
        },
        Entry::Role(r) => {
            let mut m = role_props(t, r);
            m.remove("id");
            Cow::Owned(m)
        }
        Entry::Unit => t
            .admin_units
            .get(id)
            .map_or_else(|| Cow::Owned(Map::new()), |u| Cow::Borrowed(&u.obj.props)),
    }
}

/// Keep only the selected names of a rendered object (all when no selection).
fn keep(mut m: Map<String, Value>, select: Option<&[&str]>) -> Map<String, Value> {
    if let Some(sel) = select {
        m.retain(|k, _| k.starts_with('@') || sel.contains(&k.as_str()));
    }
    m
}

/// One related object as an item: typed when the collection is mixed.
pub(super) fn render_entry(
    t: &Tenant,
    id: &str,
    e: &Entry,
    typed: bool,
    select: Option<&[&'static str]>,
    raw_select: Option<&[String]>,
) -> Option<Value> {
    let (kind_type, m) = match e {
        Entry::Object(Kind::User) => (
            Kind::User.odata_type(),
            render::project(t.users.get(id)?, select, USER_DEFAULT),
        ),
        Entry::Object(Kind::Group) => (
            Kind::Group.odata_type(),
            render::project(&t.groups.get(id)?.obj, select, GROUP_DEFAULT),
        ),
        Entry::Object(k) => {
            let Value::Object(mut m) = render::directory_object(t, id, raw_select)? else {
                return None;
            };
            m.remove("@odata.type");
            (k.odata_type(), keep(m, select))
        }
        Entry::Role(r) => (
            "#microsoft.graph.directoryRole",
            keep(role_props(t, r), select),
        ),
        Entry::Unit => (
            "#microsoft.graph.administrativeUnit",
            render::project(&t.admin_units.get(id)?.obj, select, AU_PROPERTIES),
        ),
    };
    let mut out = Map::with_capacity(m.len() + 1);
    if typed {
        out.insert("@odata.type".into(), json!(kind_type));
    }
    out.extend(m);
    Some(Value::Object(out))
}

/// For a mixed collection, `$select` names resolved per item type: the
/// names that type has (canonical), so users get `userPrincipalName` and
/// roles `roleTemplateId` from one list.
fn mixed_select(raw: &[String], e: &Entry) -> Vec<&'static str> {
    let props: &[&'static str] = match e {
        Entry::Object(Kind::User) => USER_PROPERTIES,
        Entry::Object(Kind::Group) => GROUP_PROPERTIES,
        Entry::Object(Kind::ServicePrincipal) => SP_PROPS,
        Entry::Object(Kind::Device) => super::device_state::DEVICE_PROPERTIES,
        Entry::Object(_) => OTHER_PROPS,
        Entry::Role(_) => directory_roles::PROPS,
        Entry::Unit => AU_PROPERTIES,
    };
    raw.iter().filter_map(|n| canonical(props, n)).collect()
}

fn list(ctx: &Ctx, t: &Tenant, req: &ApiRequest, p: &Path) -> GraphResult<ApiResponse> {
    if p.count && !req.eventual() {
        // concepts/aad-advanced-queries.md: without the header the `$count`
        // URL segment is an error (count-missing-consistencylevel-error.json).
        return Err(GraphError::bad_request(
            "$count is not currently supported.",
        ));
    }
    let q = Query::parse(&req.query, req.eventual())?;
    // The `/$count` segment stands for `$count=true`.
    let advanced = q.eventual && (q.count || p.count);
    if q.expand.is_some() {
        return Err(GraphError::unsupported_query(
            "$expand is not supported on this relationship by the entraform emulator.",
        ));
    }
    if q.filter.is_some() && !advanced {
        return Err(advanced_only("$filter"));
    }
    if q.orderby.is_some() && !advanced {
        return Err(advanced_only("$orderby"));
    }
    if let Some(c) = p.cast {
        if !p.rel.casts().contains(&c) {
            return Err(GraphError::unsupported_query(format!(
                "The type 'microsoft.graph.{}' cannot be a member of '{}'.",
                c.name(),
                p.rel.name()
            )));
        }
        if p.rel.transitive() && !advanced {
            return Err(advanced_only("An OData cast"));
        }
    }
    let r = rules(p.cast);
    let filter = match &q.filter {
        Some(f) => Some(odata::check_filter(
            f,
            r.props,
            r.type_name,
            r.resource,
            r.kind_of,
            advanced,
        )?),
        None => None,
    };
    let filter = match &q.search {
        None => filter,
        Some(text) => {
            let s = odata::parse_search(text, r.searchable, r.resource)?;
            Some(match filter {
                Some(f) => Expr::And(vec![f, s]),
                None => s,
            })
        }
    };
    let desc = match &q.orderby {
        None => None,
        Some((prop, desc)) => match canonical(r.props, prop) {
            Some("displayName") => Some(*desc),
            Some(other) => {
                return Err(GraphError::unsupported_query(format!(
                    "Unsupported sort property '{other}' for '{}'.",
                    r.resource
                )));
            }
            None => return Err(GraphError::unknown_property(prop, r.type_name)),
        },
    };
    let select = match p.cast {
        Some(_) => q.resolve_select(r.props, r.type_name)?,
        None => {
            render::check_mixed_select(q.select.as_deref())?;
            None
        }
    };
    let id = owner_id(ctx, t, p)?;
    if matches!(p.rel, Rel::Members | Rel::TransitiveMembers)
        && p.cast == Some(Cast::Group)
        && t.groups.get(&id).is_some_and(|g| {
            g.obj
                .props
                .get("groupTypes")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|v| v.as_str() == Some("Unified")))
        })
    {
        // learn.microsoft.com group-list-transitivemembers: a Microsoft 365
        // group cannot have groups as members, so this cast is refused.
        return Err(GraphError::unsupported_query(
            "A Microsoft 365 group cannot have groups as members; the cast to 'microsoft.graph.group' is not supported here.",
        ));
    }
    let all = related(ctx, t, p, &id);
    // Matching items with their sort key.
    let mut matched: Vec<(String, String)> = Vec::new();
    for (oid, e) in &all {
        if p.cast.is_some_and(|c| !cast_matches(c, e)) {
            continue;
        }
        let props = props_of(t, oid, e);
        if let Some(f) = &filter
            && !ctx.eval(f, oid, &props)
        {
            continue;
        }
        let key = match desc {
            None => oid.clone(),
            Some(_) => props
                .get("displayName")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_lowercase(),
        };
        matched.push((key, oid.clone()));
    }
    if p.count {
        return Ok(ApiResponse {
            status: 200,
            headers: Vec::new(),
            body: Body::Text(matched.len().to_string()),
        });
    }
    match desc {
        Some(true) => matched.sort_by(|a, b| b.cmp(a)),
        _ => matched.sort(),
    }
    let tag = match desc {
        None => "rel-id",
        Some(false) => "rel-name",
        Some(true) => "rel-name-desc",
    };
    let start = match &q.skiptoken {
        None => 0,
        Some(tok) => {
            let pos = decode_token(tok, tag)?;
            matched
                .iter()
                .position(|k| match desc {
                    Some(true) => *k < pos,
                    _ => *k > pos,
                })
                .unwrap_or(matched.len())
        }
    };
    let size = q.page_size();
    let end = (start + size).min(matched.len());
    let page = &matched[start..end];
    let next = (end < matched.len())
        .then(|| page.last())
        .flatten()
        .map(|(k, id)| {
            ctx.urls
                .next_link(&req.path, &q.passthrough, &encode_token(tag, k, id))
        });
    let raw_select = q.select.as_deref();
    let value: Vec<Value> = page
        .iter()
        .filter_map(|(_, oid)| {
            let e = all.get(oid)?;
            match (p.cast, raw_select) {
                (Some(_), _) => render_entry(t, oid, e, false, select.as_deref(), raw_select),
                (None, Some(raw)) => {
                    let sel = mixed_select(raw, e);
                    render_entry(t, oid, e, true, Some(&sel), raw_select)
                }
                (None, None) => render_entry(t, oid, e, true, None, None),
            }
        })
        .collect();
    let context = match p.cast {
        Some(c) => ctx
            .urls
            .collection_context(c.entity_set(), select.as_deref()),
        None => ctx.urls.context("directoryObjects"),
    };
    let count = (q.count && q.eventual).then_some(matched.len());
    Ok(ApiResponse::json(
        200,
        collection(context, count, next, value),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_in_both_spellings() {
        assert!(cast::is_qualified("microsoft.graph.user"));
        assert!(cast::is_qualified("graph.group"));
        assert_eq!(cast::parse("Microsoft.Graph.User"), Some(Cast::User));
        assert_eq!(
            cast::parse("graph.directoryRole"),
            Some(Cast::DirectoryRole)
        );
        assert!(!cast::is_qualified("$ref"));
        assert!(!cast::is_qualified("microsoft.graph."));
        assert!(!cast::is_qualified("members"));
    }

    #[test]
    fn paths() {
        let p = parse(&["groups", "g", "transitivemembers", "graph.user", "$count"])
            .unwrap()
            .unwrap();
        assert_eq!(p.rel, Rel::TransitiveMembers);
        assert_eq!(p.cast, Some(Cast::User));
        assert!(p.count);
        assert!(parse(&["groups", "g", "members", "$ref"]).is_none());
        assert!(parse(&["groups", "g", "members", "x", "$ref"]).is_none());
        assert!(
            parse(&["users", "u", "members"]).is_none(),
            "users have no members"
        );
        assert!(matches!(
            parse(&["users", "u", "memberOf", "microsoft.graph.printer"]),
            Some(Err(_))
        ));
        assert_eq!(
            template(&["users", "u", "memberOf", "graph.group", "$count"]).as_deref(),
            Some("/users/{id}/memberOf/microsoft.graph.group/$count")
        );
    }
}
