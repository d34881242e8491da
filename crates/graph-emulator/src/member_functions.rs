//! The directory object actions scripts use to ask "is X in Y":
//! `POST …/{id}/checkMemberGroups`, `…/getMemberGroups`,
//! `…/getMemberObjects` (bound to `/users/{id | userPrincipalName}`,
//! `/groups/{id}`, `/servicePrincipals/{id}` and `/directoryObjects/{id}`),
//! and `POST /directoryObjects/getByIds`.
//!
//! Graph's rules (microsoftgraph/microsoft-graph-docs-contrib):
//! - directoryobject-checkmembergroups.md: body `{"groupIds": [...]}`, "up
//!   to 20"; answers the subset of the ids (groups or directory roles) the
//!   object is a member of, transitively, as `Collection(Edm.String)`;
//! - directoryobject-getmembergroups.md: body `{"securityEnabledOnly": bool}`;
//!   `true` → security groups only, `false` → all groups and directory roles;
//!   transitive; more than 11,000 → 400 `Directory_ResultSizeLimitExceeded`
//!   (learn.microsoft.com user-getmembergroups);
//! - directoryobject-getmemberobjects.md: the same body; `false` → groups,
//!   administrative units and directory roles;
//! - directoryobject-getbyids.md: body `{"ids": [...], "types": [...]}`, up
//!   to 1000 ids, `types` optional and case-insensitive; objects come back
//!   typed in `#directoryObjects`. More than 1000 ids → 400
//!   `Request_BadRequest` "Number of included identifiers cannot exceed
//!   '1000'." and query options → 400 listing the refused options (as
//!   reported from Graph in kubeguard/guard issue #132).
//!
//! Messages Graph does not document (more than 20 group ids, a malformed
//! body) are the emulator's.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse};
use super::relations::render_entry;
use super::schema::USER_EXPANDED;
use super::state::{Kind, Tenant};
use super::transitive::{self, Entry};
use super::{lookup, render, users};

/// Most group ids one `checkMemberGroups` may carry.
pub const MAX_CHECK_IDS: usize = 20;
/// Most ids one `getByIds` may carry.
pub const MAX_BY_IDS: usize = 1000;
/// Most ids `getMemberGroups`/`getMemberObjects` return.
pub const MAX_MEMBER_RESULTS: usize = 11_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    CheckMemberGroups,
    GetMemberGroups,
    GetMemberObjects,
}

impl Func {
    fn parse(seg: &str) -> Option<Func> {
        let lower = seg.to_ascii_lowercase();
        Some(
            match lower.strip_prefix("microsoft.graph.").unwrap_or(&lower) {
                "checkmembergroups" => Func::CheckMemberGroups,
                "getmembergroups" => Func::GetMemberGroups,
                "getmemberobjects" => Func::GetMemberObjects,
                _ => return None,
            },
        )
    }

    fn name(self) -> &'static str {
        match self {
            Func::CheckMemberGroups => "checkMemberGroups",
            Func::GetMemberGroups => "getMemberGroups",
            Func::GetMemberObjects => "getMemberObjects",
        }
    }
}

fn is_get_by_ids(seg: &str) -> bool {
    let lower = seg.to_ascii_lowercase();
    lower.strip_prefix("microsoft.graph.").unwrap_or(&lower) == "getbyids"
}

const OWNER_SETS: &[&str] = &["users", "groups", "servicePrincipals", "directoryObjects"];

/// The metrics route template (`None`: not one of these actions).
pub fn template(s: &[&str]) -> Option<String> {
    match s {
        ["directoryObjects", f] if is_get_by_ids(f) => Some("/directoryObjects/getByIds".into()),
        [set, _, f] if OWNER_SETS.contains(set) => {
            Func::parse(f).map(|f| format!("/{set}/{{id}}/{}", f.name()))
        }
        _ => None,
    }
}

/// Answer one of these actions, or `None` when the path is not one.
pub fn route(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    s: &[&str],
) -> Option<GraphResult<ApiResponse>> {
    let answer = match s {
        ["directoryObjects", f] if is_get_by_ids(f) => {
            if req.method != "POST" {
                return Some(Err(GraphError::method_not_allowed()));
            }
            get_by_ids(ctx, t, req)
        }
        [set, key, f] if OWNER_SETS.contains(set) => {
            let func = Func::parse(f)?;
            if req.method != "POST" {
                return Some(Err(GraphError::method_not_allowed()));
            }
            member_function(ctx, t, req, set, key, func)
        }
        _ => return None,
    };
    Some(answer)
}

fn bad_body(message: impl Into<String>) -> GraphError {
    GraphError::bad_request(message)
}

/// The object the action is bound to, or Graph's 404.
fn owner(ctx: &Ctx, t: &Tenant, set: &str, key: &str) -> GraphResult<String> {
    match set {
        "users" => users::find(ctx, t, key),
        "groups" => lookup::group(ctx, t, key),
        "servicePrincipals" => match t.kind_of(key) {
            Some(Kind::ServicePrincipal) => Ok(key.to_string()),
            _ => Err(GraphError::not_found(key)),
        },
        _ => t
            .resolve_principal(key)
            .or_else(|| t.kind_of(key).map(|_| key.to_string()))
            .ok_or_else(|| GraphError::not_found(key)),
    }
}

fn no_query_options(req: &ApiRequest) -> GraphResult<()> {
    if req
        .query
        .iter()
        .any(|(k, _)| k.trim().starts_with('$') || k.trim().starts_with("%24"))
    {
        return Err(GraphError::bad_request(
            "The following query options are not supported by this request method or cannot be applied to the requested resource: $filter,$expand,$orderby,$count,$inlinecount,$select,$skiptoken,$skip,$top",
        ));
    }
    Ok(())
}

fn strings(v: &Value, name: &str) -> GraphResult<Vec<String>> {
    let arr = v.as_array().ok_or_else(|| {
        bad_body(format!(
            "Invalid value specified for parameter '{name}': an array of strings is expected."
        ))
    })?;
    arr.iter()
        .map(|x| {
            x.as_str().map(str::to_string).ok_or_else(|| {
                bad_body(format!(
                    "Invalid value specified for parameter '{name}': an array of strings is expected."
                ))
            })
        })
        .collect()
}

fn string_collection(ctx: &Ctx, ids: Vec<String>) -> ApiResponse {
    ApiResponse::json(
        200,
        json!({
            "@odata.context": ctx.urls.context("Collection(Edm.String)"),
            "value": ids,
        }),
    )
}

fn member_function(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    set: &str,
    key: &str,
    func: Func,
) -> GraphResult<ApiResponse> {
    no_query_options(req)?;
    let body = req.body_object()?;
    let id = owner(ctx, t, set, key)?;
    let all = transitive::member_of(t, &id, true, ctx.work);
    match func {
        Func::CheckMemberGroups => {
            let wanted = strings(body.get("groupIds").unwrap_or(&Value::Null), "groupIds")?;
            if wanted.len() > MAX_CHECK_IDS {
                return Err(bad_body(format!(
                    "The request contains {} group ids; checkMemberGroups accepts at most {MAX_CHECK_IDS}.",
                    wanted.len()
                )));
            }
            let mut seen = BTreeSet::new();
            let hits: Vec<String> = wanted
                .into_iter()
                .filter(|g| {
                    let key = g.to_ascii_lowercase();
                    all.iter().any(|(id, e)| {
                        matches!(e, Entry::Object(Kind::Group) | Entry::Role(_))
                            && id.eq_ignore_ascii_case(&key)
                    }) && seen.insert(key)
                })
                .collect();
            Ok(string_collection(ctx, hits))
        }
        Func::GetMemberGroups | Func::GetMemberObjects => {
            let security_only = body
                .get("securityEnabledOnly")
                .and_then(Value::as_bool)
                .ok_or_else(|| {
                    bad_body(
                        "Invalid value specified for parameter 'securityEnabledOnly': true or false is expected.",
                    )
                })?;
            let ids: Vec<String> = all
                .iter()
                .filter(|(gid, e)| match e {
                    Entry::Object(Kind::Group) => {
                        !security_only || transitive::security_enabled(t, gid)
                    }
                    Entry::Role(_) => !security_only,
                    Entry::Unit => !security_only && func == Func::GetMemberObjects,
                    Entry::Object(_) => false,
                })
                .map(|(gid, _)| gid.clone())
                .collect();
            if ids.len() > MAX_MEMBER_RESULTS {
                return Err(GraphError::new(
                    400,
                    "Directory_ResultSizeLimitExceeded",
                    format!(
                        "The object is a member of more than {MAX_MEMBER_RESULTS} groups; use transitiveMemberOf to list them."
                    ),
                ));
            }
            Ok(string_collection(ctx, ids))
        }
    }
}

/// The type names `getByIds` accepts in `types` (lower-cased).
fn type_matches(types: &[String], e: &Entry) -> bool {
    if types.is_empty() {
        return true;
    }
    let name = match e {
        Entry::Object(Kind::User) => "user",
        Entry::Object(Kind::Group) => "group",
        Entry::Object(Kind::ServicePrincipal) => "serviceprincipal",
        Entry::Object(Kind::Device) => "device",
        Entry::Object(Kind::OrgContact) => "orgcontact",
        Entry::Object(Kind::DirectoryObject) => "directoryobject",
        Entry::Role(_) => "directoryrole",
        Entry::Unit => "administrativeunit",
    };
    types.iter().any(|t| t == name || t == "directoryobject")
}

const KNOWN_TYPES: &[&str] = &[
    "user",
    "group",
    "serviceprincipal",
    "device",
    "orgcontact",
    "directoryrole",
    "administrativeunit",
    "application",
    "directoryobject",
    "directoryobjectpartnerreference",
    "contract",
    "approleassignment",
];

/// Find any directory object by id: user, group, listed object, directory role, unit.
fn lookup(t: &Tenant, id: &str) -> Option<(String, Entry)> {
    if let Some(k) = t.kind_of(id) {
        return Some((id.to_string(), Entry::Object(k)));
    }
    if t.admin_units.contains_key(id) {
        return Some((id.to_string(), Entry::Unit));
    }
    entra_data::builtin_roles::BUILTIN_ROLES
        .iter()
        .find(|r| {
            super::directory_roles::role_object_id(&t.info.id, r.template_id)
                .eq_ignore_ascii_case(id)
                && super::directory_roles::is_activated(t, r.template_id)
        })
        .map(|r| {
            (
                super::directory_roles::role_object_id(&t.info.id, r.template_id),
                Entry::Role(r),
            )
        })
}

fn get_by_ids(ctx: &Ctx, t: &Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    no_query_options(req)?;
    let body = req.body_object()?;
    let ids = strings(body.get("ids").unwrap_or(&Value::Null), "ids")?;
    if ids.len() > MAX_BY_IDS {
        return Err(GraphError::bad_request(format!(
            "Number of included identifiers cannot exceed '{MAX_BY_IDS}'."
        )));
    }
    let types: Vec<String> = match body.get("types") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => strings(v, "types")?
            .into_iter()
            .map(|s| {
                let l = s.trim().to_ascii_lowercase();
                let l = l.strip_prefix("microsoft.graph.").unwrap_or(&l).to_string();
                if KNOWN_TYPES.contains(&l.as_str()) {
                    Ok(l)
                } else {
                    Err(bad_body(format!(
                        "Invalid value specified for parameter 'types': '{s}' is not a directory object type."
                    )))
                }
            })
            .collect::<GraphResult<_>>()?,
    };
    let mut seen = BTreeSet::new();
    let mut value = Vec::new();
    for id in ids {
        if !ctx.work.spend(1) {
            break;
        }
        let Some((oid, e)) = lookup(t, &id) else {
            continue;
        };
        if !type_matches(&types, &e) || !seen.insert(oid.clone()) {
            continue;
        }
        let item = match e {
            // The sample shows `accountEnabled`: more than the default set.
            Entry::Object(Kind::User) => t.users.get(&oid).map(|u| {
                render::with_type(Kind::User, render::project(u, Some(USER_EXPANDED), &[]))
            }),
            _ => render_entry(t, &oid, &e, true, None, None),
        };
        value.extend(item);
    }
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(ctx.urls.context("directoryObjects")),
    );
    m.insert("value".into(), Value::Array(value));
    Ok(ApiResponse::json(200, Value::Object(m)))
}
