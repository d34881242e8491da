//! `/users`: list, get (by id or UPN), create, update, soft delete,
//! `revokeSignInSessions`, manager (`GET`, `PUT/DELETE $ref`),
//! `directReports`, `memberOf`.

use std::time::Instant;

use serde_json::{Map, Value, json};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse, ref_body_id};
use super::listing::{self, Spec};
use super::odata::{self, Query};
use super::prop_types::{self, PropType};
use super::render;
use super::schema::{self, USER_PROPERTIES};
use super::state::{Deleted, Kind, Object, Tenant};
use super::util::{iso8601, now_secs};

/// The users collection's rules.
pub const SPEC: Spec = Spec {
    set: "users",
    type_name: "user",
    resource: "User",
    props: USER_PROPERTIES,
    kind_of: schema::user_filter_kind,
    searchable: &[
        "displayName",
        "givenName",
        "surname",
        "mail",
        "mailNickname",
        "userPrincipalName",
        "jobTitle",
        "proxyAddresses",
    ],
};

/// Find a live user by id or UPN; replication delay may hide a fresh one.
pub fn find(ctx: &Ctx, t: &Tenant, key: &str) -> GraphResult<String> {
    let id = t
        .resolve_user(key)
        .ok_or_else(|| GraphError::not_found(key))?;
    let created = t.users.get(&id).and_then(|u| u.created_at);
    if ctx.replication_miss(created) {
        return Err(GraphError::not_found(key));
    }
    Ok(id)
}

/// `GET /users`
pub fn list(ctx: &Ctx, t: &Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let mut p = listing::prepare(req, &SPEC)?;
    let expand = match &p.q.expand {
        Some(e) => Some(odata::parse_expand_manager(e, &p.q)?),
        None => None,
    };
    // `$levels` is for one user only (user-list-manager; the wording is
    // Graph's, microsoftgraph/microsoft-graph-docs-contrib issue #1777; the
    // issue shows no status, 400 is taken as for every Request_Unsupported).
    if expand.as_ref().is_some_and(|e| e.levels.is_some()) {
        return Err(GraphError::new(
            400,
            "Request_Unsupported",
            "Transitive manager's list is only supported on a single user, send the $expand request on /users/{id} endpoint",
        ));
    }
    super::sign_in_activity::check_combination(p.filter.as_ref())?;
    if super::sign_in_activity::used(&p.q) {
        // user-list v1.0: with signInActivity a page holds at most 500 users.
        p.q.top = Some(p.q.page_size().min(super::sign_in_activity::PAGE_CAP));
    }
    if expand.is_some() && ctx.expand_page_cap > 0 {
        // Reported Graph behaviour (opt-in): with `$expand` a page holds at most 100 objects.
        p.q.top = Some(p.q.page_size().min(ctx.expand_page_cap));
    }
    let context = ctx.urls.collection_context("users", p.select.as_deref());
    let sel = p.select.clone();
    listing::page(
        ctx,
        req,
        &p,
        context,
        || listing::count_matching(ctx, t.users.values(), p.filter.as_ref()),
        |after| listing::user_keys(t, p.order, after),
        |id| t.users.get(id).map(|u| &u.props),
        |id| {
            let u = t.users.get(id)?;
            let mut m = render::user(u, sel.as_deref());
            super::licenses::render_into(t, id, &mut m, sel.as_deref());
            if let Some(e) = &expand {
                render::expand_manager(ctx.work, t, id, &mut m, e);
            }
            Some(Value::Object(m))
        },
    )
}

/// `GET /users/$count`
pub fn count(t: &Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    listing::count_endpoint(req, || t.users.len())
}

/// `GET /users/{id | userPrincipalName}`
pub fn get(ctx: &Ctx, t: &Tenant, req: &ApiRequest, key: &str) -> GraphResult<ApiResponse> {
    let q = Query::parse(&req.query, req.eventual())?;
    if q.filter.is_some() || q.top.is_some() || q.orderby.is_some() {
        return Err(not_collection());
    }
    let sel = q.resolve_select(USER_PROPERTIES, "user")?;
    let expand = match &q.expand {
        Some(e) => Some(odata::parse_expand_manager(e, &q)?),
        None => None,
    };
    let id = find(ctx, t, key)?;
    let u = &t.users[&id];
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(ctx.urls.context(&match &sel {
            Some(s) => format!("users({})/$entity", s.join(",")),
            None => "users/$entity".to_string(),
        })),
    );
    m.extend(render::user(u, sel.as_deref()));
    super::licenses::render_into(t, &id, &mut m, sel.as_deref());
    if let Some(e) = &expand {
        render::expand_manager(ctx.work, t, &id, &mut m, e);
    }
    Ok(ApiResponse::json(200, Value::Object(m)))
}

/// Graph's error for collection-only options on a single entity.
pub fn not_collection() -> GraphError {
    GraphError::bad_request(
        "The query specified in the URI is not valid. The requested resource is not a collection. Query options $filter, $orderby, $count, $skip, and $top can be applied only on collections.",
    )
}

/// Graph's password complexity rule: 8–256 characters, 3 of 4 character classes.
pub fn password_ok(p: &str) -> bool {
    let n = p.chars().count();
    let classes = [
        p.chars().any(|c| c.is_ascii_lowercase()),
        p.chars().any(|c| c.is_ascii_uppercase()),
        p.chars().any(|c| c.is_ascii_digit()),
        p.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    (8..=256).contains(&n) && classes.iter().filter(|&&b| b).count() >= 3
}

fn invalid_value(prop: &str, resource: &str) -> GraphError {
    GraphError::bad_request(format!(
        "Invalid value specified for property '{prop}' of resource '{resource}'."
    ))
}

/// Copy writable properties from a request body, checking names and JSON
/// types (Graph's reader errors, see [`prop_types`]). Annotation keys
/// (`x@odata.bind`, `@odata.type`) are left to the caller.
pub fn writable_props(
    body: &Map<String, Value>,
    props: &[&'static str],
    read_only: &[&str],
    type_of: fn(&str) -> PropType,
) -> GraphResult<Map<String, Value>> {
    let mut out = Map::new();
    for (k, v) in body {
        if k.contains('@') {
            continue;
        }
        let p = schema::canonical(props, k).ok_or_else(|| {
            GraphError::bad_request(format!(
                "Property '{k}' does not exist as a declared property or extension property."
            ))
        })?;
        if read_only.contains(&p) {
            return Err(GraphError::bad_request(format!(
                "Property '{p}' is read-only and cannot be set."
            )));
        }
        prop_types::check(type_of(p), v)?;
        if p == "passwordProfile" {
            prop_types::check_members(v, prop_types::PASSWORD_PROFILE)?;
        }
        if p == "employeeOrgData" {
            // Replaced whole, omitted members null (see the function).
            out.insert(p.to_string(), prop_types::employee_org_data(v)?);
            continue;
        }
        out.insert(p.to_string(), v.clone());
    }
    Ok(out)
}

/// Check and drop `passwordProfile` (passwords are never stored). On create a
/// password is required; on update a profile may only change the
/// `forceChangePasswordNextSignIn*` flags. Returns whether a password was set.
fn check_password(props: &mut Map<String, Value>, creating: bool) -> GraphResult<bool> {
    let Some(pp) = props.remove("passwordProfile") else {
        return Ok(false);
    };
    let password = pp.get("password").and_then(Value::as_str);
    match password {
        Some(pw) if password_ok(pw) => Ok(true),
        Some(_) => Err(GraphError::bad_request(
            "The specified password does not comply with password complexity requirements. Please provide a different password.",
        )),
        None if !creating && pp.is_object() => Ok(false),
        None => Err(invalid_value("passwordProfile", "User")),
    }
}

fn check_upn(t: &Tenant, upn: &str, except: Option<&str>) -> GraphResult<()> {
    let domain_ok = upn.split_once('@').is_some_and(|(local, d)| {
        !local.is_empty() && t.info.domains.iter().any(|v| v.eq_ignore_ascii_case(d))
    });
    if !domain_ok {
        return Err(GraphError::bad_request(
            "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
        ));
    }
    match t.resolve_user(upn) {
        Some(other) if Some(other.as_str()) != except => {
            Err(GraphError::conflict("userPrincipalName"))
        }
        _ => Ok(()),
    }
}

/// `POST /users`
pub fn create(ctx: &Ctx, t: &mut Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let body = req.body_object()?;
    let mut props = writable_props(
        body,
        USER_PROPERTIES,
        schema::USER_READ_ONLY,
        prop_types::user_prop,
    )?;
    for r in schema::USER_REQUIRED {
        if props.get(*r).is_none_or(Value::is_null) {
            return Err(invalid_value(r, "User"));
        }
    }
    let upn = props
        .get("userPrincipalName")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_value("userPrincipalName", "User"))?
        .to_string();
    check_upn(t, &upn, None)?;
    check_password(&mut props, true)?;
    let now = iso8601(now_secs());
    props.insert("createdDateTime".into(), json!(now));
    props.insert("lastPasswordChangeDateTime".into(), json!(now));
    props.entry("userType").or_insert(json!("Member"));
    props.entry("businessPhones").or_insert(json!([]));
    let id = t.rng.guid();
    t.insert_user(Object {
        id: id.clone(),
        props,
        created_at: Some(Instant::now()),
        seq: 0,
    });
    t.touch_kind(Kind::User, &id);
    tracing::debug!(user = %id, "created user");
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(ctx.urls.context("users/$entity")),
    );
    m.extend(render::user(&t.users[&id], None));
    Ok(ApiResponse::json(201, Value::Object(m)))
}

/// `PATCH /users/{id}`
pub fn update(ctx: &Ctx, t: &mut Tenant, req: &ApiRequest, key: &str) -> GraphResult<ApiResponse> {
    let id = find(ctx, t, key)?;
    let body = req.body_object()?;
    let mut props = writable_props(
        body,
        USER_PROPERTIES,
        schema::USER_READ_ONLY,
        prop_types::user_prop,
    )?;
    let synced = t.users[&id]
        .props
        .get("onPremisesSyncEnabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if synced
        && props
            .keys()
            .any(|k| k != "usageLocation" && k != "preferredLanguage")
    {
        return Err(GraphError::bad_request(
            "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.",
        ));
    }
    for r in schema::USER_REQUIRED {
        if props.get(*r).is_some_and(Value::is_null) {
            return Err(invalid_value(r, "User"));
        }
    }
    if let Some(upn) = props.get("userPrincipalName") {
        let upn = upn
            .as_str()
            .ok_or_else(|| invalid_value("userPrincipalName", "User"))?;
        check_upn(t, upn, Some(&id))?;
    }
    let password_changed = check_password(&mut props, false)?;
    let Some(mut u) = t.take_user(&id) else {
        return Err(GraphError::not_found(key));
    };
    let mut changed: Vec<String> = props.keys().cloned().collect();
    for (k, v) in props {
        u.props.insert(k, v);
    }
    if password_changed {
        u.props.insert(
            "lastPasswordChangeDateTime".into(),
            json!(iso8601(now_secs())),
        );
        changed.push("lastPasswordChangeDateTime".into());
    }
    t.insert_user(u);
    t.touch_props(&id, changed);
    Ok(ApiResponse::no_content())
}

/// `DELETE /users/{id}`: soft delete into deleted items; the UPN is free again.
pub fn delete(ctx: &Ctx, t: &mut Tenant, key: &str) -> GraphResult<ApiResponse> {
    let id = find(ctx, t, key)?;
    let (member_of, manager) = t.detach(&id);
    let Some(mut u) = t.take_user(&id) else {
        return Err(GraphError::not_found(key));
    };
    u.props
        .insert("deletedDateTime".into(), json!(iso8601(now_secs())));
    Tenant::deleted_upn(&id, &mut u.props);
    t.deleted.insert(
        id.clone(),
        Deleted {
            kind: Kind::User,
            obj: u,
            member_of,
            members: Default::default(),
            manager,
        },
    );
    t.touch_kind(Kind::User, &id);
    Ok(ApiResponse::no_content())
}

/// `POST /users/{id}/revokeSignInSessions`
pub fn revoke_sessions(ctx: &Ctx, t: &mut Tenant, key: &str) -> GraphResult<ApiResponse> {
    let id = find(ctx, t, key)?;
    if let Some(u) = t.users.get_mut(&id) {
        u.props.insert(
            "signInSessionsValidFromDateTime".into(),
            json!(iso8601(now_secs())),
        );
    }
    t.touch_props(&id, ["signInSessionsValidFromDateTime"]);
    Ok(ApiResponse::json(
        200,
        json!({ "@odata.context": ctx.urls.context("Edm.Boolean"), "value": true }),
    ))
}

/// `GET /users/{id}/manager`
pub fn get_manager(ctx: &Ctx, t: &Tenant, req: &ApiRequest, key: &str) -> GraphResult<ApiResponse> {
    let q = Query::parse(&req.query, req.eventual())?;
    let sel = q.resolve_select(USER_PROPERTIES, "user")?;
    let id = find(ctx, t, key)?;
    let mid = t
        .manager
        .get(&id)
        .ok_or_else(|| GraphError::not_found("manager"))?;
    let mgr = t
        .users
        .get(mid)
        .ok_or_else(|| GraphError::not_found("manager"))?;
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(ctx.urls.context("directoryObjects/$entity")),
    );
    m.insert("@odata.type".into(), json!(Kind::User.odata_type()));
    m.extend(render::user(mgr, sel.as_deref()));
    Ok(ApiResponse::json(200, Value::Object(m)))
}

/// `PUT /users/{id}/manager/$ref`
pub fn set_manager(
    ctx: &Ctx,
    t: &mut Tenant,
    req: &ApiRequest,
    key: &str,
) -> GraphResult<ApiResponse> {
    let id = find(ctx, t, key)?;
    let target = ref_body_id(ctx.urls, req)?;
    let mid = find(ctx, t, &target)?;
    if mid == id {
        return Err(GraphError::bad_request(
            "Invalid value specified for property 'manager' of resource 'User'.",
        ));
    }
    t.set_manager_raw(&id, &mid);
    t.touch_manager(&id);
    Ok(ApiResponse::no_content())
}

/// `DELETE /users/{id}/manager/$ref`
pub fn remove_manager(ctx: &Ctx, t: &mut Tenant, key: &str) -> GraphResult<ApiResponse> {
    let id = find(ctx, t, key)?;
    if t.remove_manager_raw(&id).is_none() {
        return Err(GraphError::not_found("manager"));
    }
    t.touch_manager(&id);
    Ok(ApiResponse::no_content())
}

/// `GET /users/{id}/directReports` and `GET /users/{id}/memberOf`: typed directory objects, paged.
pub fn related(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    key: &str,
    reports: bool,
) -> GraphResult<ApiResponse> {
    let q = listing::relationship_query(req, "this relationship")?;
    let id = find(ctx, t, key)?;
    let empty = Default::default();
    let set = if reports {
        t.reports.get(&id).unwrap_or(&empty)
    } else {
        t.member_of.get(&id).unwrap_or(&empty)
    };
    listing::directory_objects(ctx, t, req, q, set, false)
}

/// `GET /users/{id}/directReports/{cast}` and `…/memberOf/{cast}`: the
/// relationship's objects of one type (`microsoft.graph.group`, or the alias
/// `graph.group`), see [`listing::directory_objects_cast`].
pub fn related_cast(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    key: &str,
    reports: bool,
    cast: super::cast::Cast,
) -> GraphResult<ApiResponse> {
    let q = listing::relationship_query(req, "this relationship")?;
    let id = find(ctx, t, key)?;
    let empty = Default::default();
    let set = if reports {
        t.reports.get(&id).unwrap_or(&empty)
    } else {
        t.member_of.get(&id).unwrap_or(&empty)
    };
    listing::directory_objects_cast(ctx, t, req, q, set, cast)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_rule() {
        assert!(password_ok("xWwvJ]6NMw+bWH-d"));
        assert!(!password_ok("short1A"));
        assert!(!password_ok("alllowercase"));
        assert!(password_ok("lower123UPPER"));
    }
}
