//! Path routing for `/v1.0`: maps (method, path segments) to a handler and
//! names the route template used by the metrics.

use super::admin_units;
use super::cast;
use super::ctx::Ctx;
use super::delta;
use super::devices::{self, DeviceKey};
use super::directory;
use super::directory_roles;
use super::error::{GraphError, GraphResult};
use super::groups;
use super::http::{ApiRequest, ApiResponse};
use super::odata;
use super::owners;
use super::rbac;
use super::service_principals::{self, SpKey};
use super::state::Tenant;
use super::users;
use super::{member_functions, relations};

/// The route template of a request (for metrics), without running it.
pub fn template(method: &str, segs: &[String]) -> String {
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    if let Some(t) = relations::template(&s).or_else(|| member_functions::template(&s)) {
        return format!("{method} {t}");
    }
    let t = match s.as_slice() {
        [] => "/".to_string(),
        ["users"] => "/users".into(),
        ["users", "$count"] => "/users/$count".into(),
        ["users", d] if is_delta(d) => "/users/delta".into(),
        ["users", _] => "/users/{id}".into(),
        ["users", _, rest @ ..] => format!("/users/{{id}}/{}", qualified(rest)),
        ["groups"] => "/groups".into(),
        ["groups", "$count"] => "/groups/$count".into(),
        ["groups", d] if is_delta(d) => "/groups/delta".into(),
        ["groups", _] => "/groups/{id}".into(),
        ["groups", _, "members", m, "$ref"] if *m != "$ref" => {
            "/groups/{id}/members/{memberId}/$ref".into()
        }
        ["groups", _, "owners", o, "$ref"] if *o != "$ref" => {
            "/groups/{id}/owners/{ownerId}/$ref".into()
        }
        ["groups", _, rest @ ..] => format!("/groups/{{id}}/{}", qualified(rest)),
        ["directory", "deletedItems", c] if cast::parse(c).is_some() => {
            format!("/directory/deletedItems/{}", qualified(&[c]))
        }
        ["directory", "deletedItems", _] => "/directory/deletedItems/{id}".into(),
        ["directory", "deletedItems", _, "restore"] => {
            "/directory/deletedItems/{id}/restore".into()
        }
        ["directory", "administrativeUnits"] => "/directory/administrativeUnits".into(),
        ["directory", "administrativeUnits", _] => "/directory/administrativeUnits/{id}".into(),
        ["directory", "administrativeUnits", _, rest @ ..] => {
            format!("/directory/administrativeUnits/{{id}}/{}", rest.join("/"))
        }
        ["roleManagement", "directory", set] => format!("/roleManagement/directory/{set}"),
        ["roleManagement", "directory", set, _] => {
            format!("/roleManagement/directory/{set}/{{id}}")
        }
        [first, ..] if directory_roles::is_root(first) => directory_roles::template(&s),
        [
            "reports",
            "authenticationMethods",
            "userRegistrationDetails",
        ] => "/reports/authenticationMethods/userRegistrationDetails".into(),
        ["$batch"] => "/$batch".into(),
        ["devices"] => "/devices".into(),
        ["devices", "$count"] => "/devices/$count".into(),
        [d, rest @ ..] if super::devices::parse_alternate_key(d).is_some() => {
            format!(
                "/devices(deviceId={{deviceId}}){}",
                rest.iter().map(|r| format!("/{r}")).collect::<String>()
            )
        }
        ["devices", _] => "/devices/{id}".into(),
        ["devices", _, rest @ ..] => format!("/devices/{{id}}/{}", rest.join("/")),
        [sp] if sp.starts_with("servicePrincipals(") => "/servicePrincipals(appId={appId})".into(),
        ["servicePrincipals", _] => "/servicePrincipals/{id}".into(),
        other => format!("/{}", other.first().copied().unwrap_or("")),
    };
    format!("{method} {t}")
}

fn is_delta(s: &str) -> bool {
    cast::is_function(s, "delta")
}

/// Path segments for a metrics template, type casts in their long form
/// (`graph.user` and `microsoft.graph.user` count as one route).
fn qualified(rest: &[&str]) -> String {
    rest.iter()
        .map(|s| cast::parse(s).map_or_else(|| (*s).to_string(), cast::Cast::qualified))
        .collect::<Vec<_>>()
        .join("/")
}

/// Run one Graph request against the tenant.
pub fn route(ctx: &Ctx, t: &mut Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let segs = req.segments();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let m = req.method.as_str();
    odata::check_option_names(&req.query)?;
    if !req.is_read() {
        admin_units::check_write(t, m, &s, req)?;
    }
    if let Some(r) = super::pim::route(ctx, t, req, &s)
        .or_else(|| relations::route(ctx, t, req, &s))
        .or_else(|| member_functions::route(ctx, t, req, &s))
    {
        return r;
    }
    match (m, s.as_slice()) {
        // users
        ("GET", ["users"]) => users::list(ctx, t, req),
        ("POST", ["users"]) => users::create(ctx, t, req),
        ("GET", ["users", "$count"]) => users::count(t, req),
        ("GET", ["users", d]) if is_delta(d) => delta::users(ctx, t, req),
        ("GET", ["users", k]) => users::get(ctx, t, req, k),
        ("PATCH", ["users", k]) => users::update(ctx, t, req, k),
        ("DELETE", ["users", k]) => users::delete(ctx, t, k),
        ("GET", ["users", k, "manager"]) => users::get_manager(ctx, t, req, k),
        ("PUT", ["users", k, "manager", "$ref"]) => users::set_manager(ctx, t, req, k),
        ("DELETE", ["users", k, "manager", "$ref"]) => users::remove_manager(ctx, t, k),
        ("GET", ["users", k, "directReports"]) => users::related(ctx, t, req, k, true),
        ("GET", ["users", k, "memberOf"]) => users::related(ctx, t, req, k, false),
        ("GET", ["users", k, rel @ ("directReports" | "memberOf"), c])
            if cast::parse(c).is_some() =>
        {
            let c = cast::parse(c).unwrap_or(cast::Cast::User);
            users::related_cast(ctx, t, req, k, *rel == "directReports", c)
        }
        ("POST", ["users", k, "revokeSignInSessions"]) => users::revoke_sessions(ctx, t, k),
        ("POST", ["users", k, "authentication", "temporaryAccessPassMethods"]) => {
            super::auth_methods::create_tap(ctx, t, req, k)
        }
        ("GET", ["users", k, "authentication", "temporaryAccessPassMethods"]) => {
            super::auth_methods::list_taps(ctx, t, k)
        }
        ("GET", ["users", k, "authentication", "methods"]) => super::method_list::list(ctx, t, k),
        ("DELETE", ["users", k, "authentication", seg, m])
            if super::method_list::DELETE_SEGMENTS.contains(seg) =>
        {
            super::method_list::delete(ctx, t, k, seg, m)
        }
        ("POST", ["users", k, "assignLicense"]) => super::licenses::assign(ctx, t, req, k),
        ("GET", ["subscribedSkus"]) => super::licenses::list_skus(ctx, t, req),
        ("POST", ["invitations"]) => super::invitations::create(ctx, t, req),
        // devices (devices.rs)
        ("GET", ["users", k, rel @ ("ownedDevices" | "registeredDevices")]) => {
            devices::of_user(ctx, t, req, k, *rel == "ownedDevices", false)
        }
        ("GET", ["users", k, rel @ ("ownedDevices" | "registeredDevices"), c])
            if cast::parse(c) == Some(cast::Cast::Device) =>
        {
            devices::of_user(ctx, t, req, k, *rel == "ownedDevices", true)
        }
        ("GET", ["devices"]) => devices::list(ctx, t, req),
        ("GET", ["devices", "$count"]) => super::listing::count_endpoint(req, || t.devices.len()),
        (_, [d, rest @ ..]) if devices::parse_alternate_key(d).is_some() => {
            let key = DeviceKey::DeviceId(devices::parse_alternate_key(d).unwrap_or_default());
            device_route(ctx, t, req, m, key, rest)
        }
        (_, ["devices", id, rest @ ..]) => device_route(ctx, t, req, m, DeviceKey::Id(id), rest),
        (_, ["me", ..]) => Err(GraphError::bad_request(
            "/me request is only valid with delegated authentication flow.",
        )),
        // groups
        ("GET", ["groups"]) => groups::list(ctx, t, req),
        ("POST", ["groups"]) => groups::create(ctx, t, req),
        ("GET", ["groups", "$count"]) => groups::count(t, req),
        ("GET", ["groups", d]) if is_delta(d) => delta::groups(ctx, t, req),
        ("GET", ["groups", g]) => groups::get(ctx, t, req, g),
        ("PATCH", ["groups", g]) => groups::update(ctx, t, req, g),
        ("DELETE", ["groups", g]) => groups::delete(ctx, t, g),
        ("GET", ["groups", g, "members"]) => groups::members(ctx, t, req, g, false),
        ("GET", ["groups", g, "members", "$ref"]) => groups::members(ctx, t, req, g, true),
        ("POST", ["groups", g, "members", "$ref"]) => groups::add_member(ctx, t, req, g),
        ("POST", ["groups", _, "members"]) => Err(GraphError::method_not_allowed()),
        ("DELETE", ["groups", g, "members", mid, "$ref"]) => groups::remove_member(ctx, t, g, mid),
        ("GET", ["groups", g, "members", c]) if cast::parse(c).is_some() => {
            groups::members_cast(ctx, t, req, g, cast::parse(c).unwrap_or(cast::Cast::User))
        }
        ("GET", ["groups", g, "owners"]) => owners::list(ctx, t, req, g, false, None),
        ("GET", ["groups", g, "owners", "$ref"]) => owners::list(ctx, t, req, g, true, None),
        ("GET", ["groups", g, "owners", c]) if cast::parse(c).is_some() => {
            owners::list(ctx, t, req, g, false, cast::parse(c))
        }
        ("POST", ["groups", g, "owners", "$ref"]) => owners::add(ctx, t, req, g),
        ("POST", ["groups", _, "owners"]) => Err(GraphError::method_not_allowed()),
        ("DELETE", ["groups", g, "owners", o, "$ref"]) => owners::remove(ctx, t, g, o),
        // deleted items
        ("GET", ["directory", "deletedItems"]) => Err(directory::list_uncast()),
        ("GET", ["directory", "deletedItems", c]) if cast::parse(c).is_some() => {
            directory::list(ctx, t, req, c)
        }
        ("GET", ["directory", "deletedItems", id]) => directory::get(ctx, t, id),
        ("DELETE", ["directory", "deletedItems", id]) => directory::purge(t, id),
        ("POST", ["directory", "deletedItems", id, "restore"]) => directory::restore(ctx, t, id),
        // administrative units
        ("GET", ["directory", "administrativeUnits"]) => admin_units::list(ctx, t, req),
        ("GET", ["directory", "administrativeUnits", id]) => admin_units::get(ctx, t, req, id),
        ("GET", ["directory", "administrativeUnits", id, "members"]) => {
            admin_units::members(ctx, t, req, id, false)
        }
        ("GET", ["directory", "administrativeUnits", id, "members", "$ref"]) => {
            admin_units::members(ctx, t, req, id, true)
        }
        ("GET", ["directory", "administrativeUnits", id, "members", c])
            if cast::parse(c).is_some() =>
        {
            admin_units::members_cast(ctx, t, req, id, cast::parse(c).unwrap_or(cast::Cast::User))
        }
        // roles
        ("GET", ["roleManagement", "directory", "roleDefinitions"]) => {
            rbac::list_definitions(ctx, t, req)
        }
        ("GET", ["roleManagement", "directory", "roleDefinitions", id]) => {
            rbac::get_definition(ctx, t, id)
        }
        ("GET", ["roleManagement", "directory", "roleAssignments"]) => {
            rbac::list_assignments(ctx, t, req)
        }
        ("POST", ["roleManagement", "directory", "roleAssignments"]) => {
            rbac::create_assignment(ctx, t, req)
        }
        ("GET", ["roleManagement", "directory", "roleAssignments", id]) => {
            rbac::get_assignment(ctx, t, id)
        }
        ("DELETE", ["roleManagement", "directory", "roleAssignments", id]) => {
            rbac::delete_assignment(t, id)
        }
        // legacy directory roles (same assignments as roleManagement)
        (_, [first, ..]) if directory_roles::is_root(first) => {
            directory_roles::route(ctx, t, req, &s)
        }
        // reports
        (
            "GET",
            [
                "reports",
                "authenticationMethods",
                "userRegistrationDetails",
            ],
        ) => super::reports::list_registration(ctx, t, req),
        // service principals (the seed's apps)
        ("GET", [sp]) if service_principals::parse_alternate_key(sp).is_some() => {
            let app_id = service_principals::parse_alternate_key(sp).unwrap_or_default();
            service_principals::get(ctx, t, req, SpKey::AppId(app_id))
        }
        ("GET", ["servicePrincipals", id]) => service_principals::get(ctx, t, req, SpKey::Id(id)),
        (_, path) if known(path) => Err(GraphError::method_not_allowed()),
        (_, path) => Err(GraphError::new(
            400,
            "BadRequest",
            format!(
                "Resource not found for the segment '{}'.",
                path.last().copied().unwrap_or("")
            ),
        )),
    }
}

/// The routes under one device (`/devices/{id}` or the `deviceId` alternate key).
fn device_route(
    ctx: &Ctx,
    t: &mut Tenant,
    req: &ApiRequest,
    m: &str,
    key: DeviceKey,
    rest: &[&str],
) -> GraphResult<ApiResponse> {
    match (m, rest) {
        ("GET", []) => devices::get(ctx, t, req, key),
        ("PATCH", []) => devices::update(ctx, t, req, key),
        ("GET", [rel @ ("registeredOwners" | "registeredUsers")]) => {
            devices::registered(ctx, t, req, key, *rel == "registeredOwners")
        }
        (_, [] | ["registeredOwners" | "registeredUsers"]) => Err(GraphError::method_not_allowed()),
        (_, path) => Err(GraphError::new(
            400,
            "BadRequest",
            format!(
                "Resource not found for the segment '{}'.",
                path.last().copied().unwrap_or("")
            ),
        )),
    }
}

fn known(path: &[&str]) -> bool {
    matches!(
        path,
        ["users"]
            | ["users", _]
            | [
                "users",
                _,
                "manager" | "directReports" | "memberOf" | "revokeSignInSessions" | "assignLicense"
            ]
            | ["subscribedSkus"]
            | ["devices"]
            | ["users", _, "ownedDevices" | "registeredDevices"]
            | ["invitations"]
            | ["users", _, "manager", "$ref"]
            | ["groups"]
            | ["groups", _]
            | ["groups", _, "members"]
            | ["groups", _, "members", "$ref"]
            | ["groups", _, "members", _, "$ref"]
            | ["groups", _, "owners"]
            | ["groups", _, "owners", "$ref"]
            | ["groups", _, "owners", _, "$ref"]
            | ["directory", "deletedItems", _]
            | [
                "reports",
                "authenticationMethods",
                "userRegistrationDetails"
            ]
            | ["directory", "deletedItems", _, "restore"]
            | ["directory", "administrativeUnits"]
            | ["directory", "administrativeUnits", _]
            | ["directory", "administrativeUnits", _, "members"]
            | ["directory", "administrativeUnits", _, "members", "$ref"]
            | [
                "roleManagement",
                "directory",
                "roleDefinitions" | "roleAssignments"
            ]
            | [
                "roleManagement",
                "directory",
                "roleDefinitions" | "roleAssignments",
                _
            ]
    )
}
