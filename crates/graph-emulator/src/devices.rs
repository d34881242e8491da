//! Devices: `GET /devices`, `GET`/`PATCH /devices/{id}` (and the `deviceId`
//! alternate key), `GET /devices/{id}/registeredOwners|registeredUsers`, and
//! the user side `GET /users/{id}/ownedDevices|registeredDevices`. The store
//! is `device_state.rs`; permission rows and the role rule of `PATCH` are in
//! `permissions.rs`.
//!
//! Sources (Microsoft Graph v1.0, learn.microsoft.com/graph/api/…):
//! - device-list, device-get: a `device` collection / entity; every property
//!   not marked "Requires `$select`" is returned (resources/device).
//! - device-update (2025-12 copy, M 2025-07-23): `PATCH /devices/{id}` or
//!   `/devices(deviceId='{deviceId}')`, `204 No Content`; updatable:
//!   `accountEnabled`, `operatingSystem`, `operatingSystemVersion`,
//!   `displayName`, `isCompliant`, `isManaged` (and `extensionAttributes`,
//!   Example 2). "In application-only scenarios and for non-Windows devices …
//!   the app can update only the extensionAttributes property": Graph answers
//!   400 `Request_BadRequest` "Properties other than ExtendedAttribute1..15 can
//!   be modified only on windows devices." (microsoft-graph-docs#15707,
//!   msgraph-sdk-powershell#2723, reports from app-only callers).
//! - device-list-registeredowners, device-list-registeredusers: directoryObject
//!   collections (users), `$select`, `$top`.
//! - user-list-owneddevices, user-list-registereddevices: directoryObject
//!   collections (the devices), OData query parameters; see `permissions.rs`
//!   for their application rows.
//!
//! Query options beyond `$select`, `$top` (with paging) and `$count` are
//! refused with 400 `Request_UnsupportedQuery` in the emulator's words; on
//! `GET /devices` also `$expand=registeredOwners` / `registeredUsers`
//! (resources/device: both relationships "Support `$expand`"; a Microsoft
//! answer on Q&A 784161 gives `GET /devices?$expand=registeredOwners`), with
//! an optional nested `$select`.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::ctx::Ctx;
use super::device_state::{
    ARRAY_PROPS, BOOL_PROPS, DEVICE_PROPERTIES, check_extension_attributes, directory_object,
    merge_extension_attributes, render,
};
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse};
use super::listing::{self, Order, Prepared};
use super::odata::Query;
use super::prop_types::PropType;
use super::state::Tenant;

/// Properties `PATCH /devices/{id}` accepts (device-update's table and Example 2).
pub const UPDATABLE: &[&str] = &[
    "accountEnabled",
    "operatingSystem",
    "operatingSystemVersion",
    "displayName",
    "isCompliant",
    "isManaged",
    "extensionAttributes",
];

/// The error Graph gives an app-only caller changing more than the extension
/// attributes of a non-Windows device (microsoft-graph-docs#15707).
pub const NOT_WINDOWS: &str =
    "Properties other than ExtendedAttribute1..15 can be modified only on windows devices.";

/// The `deviceId` in an alternate-key segment `devices(deviceId='{deviceId}')`.
pub fn parse_alternate_key(seg: &str) -> Option<&str> {
    let head = seg.get(..8)?;
    if !head.eq_ignore_ascii_case("devices(") {
        return None;
    }
    let inner = seg[8..].strip_suffix(')')?;
    let (name, value) = inner.split_once('=')?;
    if !name.trim().eq_ignore_ascii_case("deviceId") {
        return None;
    }
    let v = value.trim();
    Some(
        v.strip_prefix('\'')
            .and_then(|v| v.strip_suffix('\''))
            .unwrap_or(v),
    )
}

/// How a request names a device.
#[derive(Debug, Clone, Copy)]
pub enum DeviceKey<'a> {
    /// `/devices/{id}`: the object id.
    Id(&'a str),
    /// `/devices(deviceId='…')`.
    DeviceId(&'a str),
}

impl DeviceKey<'_> {
    fn shown(&self) -> &str {
        match self {
            DeviceKey::Id(k) | DeviceKey::DeviceId(k) => k,
        }
    }
}

/// The object id of a device by either key.
pub fn resolve(t: &Tenant, key: DeviceKey) -> Option<String> {
    match key {
        DeviceKey::Id(id) => t.devices.contains_key(id).then(|| id.to_string()),
        DeviceKey::DeviceId(did) => t
            .devices
            .iter()
            .find(|(_, d)| {
                d.str("deviceId")
                    .is_some_and(|x| x.eq_ignore_ascii_case(did))
            })
            .map(|(id, _)| id.clone()),
    }
}

fn find(t: &Tenant, key: DeviceKey) -> GraphResult<String> {
    resolve(t, key).ok_or_else(|| GraphError::not_found(key.shown()))
}

/// The options the emulator serves on device collections: `$select`, `$top`,
/// `$count`, paging; `$expand` only where `expand_ok`.
fn query(req: &ApiRequest, on: &str, expand_ok: bool) -> GraphResult<Query> {
    let q = Query::parse(&req.query, req.eventual())?;
    if q.filter.is_some()
        || q.orderby.is_some()
        || q.search.is_some()
        || (q.expand.is_some() && !expand_ok)
    {
        let also = if expand_ok {
            " and $expand=registeredOwners or registeredUsers"
        } else {
            ""
        };
        return Err(GraphError::unsupported_query(format!(
            "The entraform emulator supports only $select, $top and $count{also} on {on}."
        )));
    }
    Ok(q)
}

/// Which relationship `$expand` names, with an optional nested `$select`.
struct Expand {
    owners: bool,
    select: Option<Vec<String>>,
}

fn parse_expand(s: &str) -> GraphResult<Expand> {
    let (name, rest) = match s.find('(') {
        Some(i) => (&s[..i], Some(&s[i..])),
        None => (s, None),
    };
    let owners = match name.trim() {
        n if n.eq_ignore_ascii_case("registeredOwners") => true,
        n if n.eq_ignore_ascii_case("registeredUsers") => false,
        other => {
            return Err(GraphError::unsupported_query(format!(
                "The entraform emulator supports only $expand=registeredOwners or registeredUsers on devices, not '{other}'."
            )));
        }
    };
    let select = match rest {
        None => None,
        Some(r) => {
            let inner = r
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .unwrap_or("");
            let (opt, list) = inner.split_once('=').unwrap_or(("", ""));
            if !opt.trim().eq_ignore_ascii_case("$select") || list.contains(['(', ';']) {
                return Err(GraphError::unsupported_query(
                    "The entraform emulator supports only a nested $select in $expand on devices.",
                ));
            }
            Some(list.split(',').map(|s| s.trim().to_string()).collect())
        }
    };
    Ok(Expand { owners, select })
}

/// `GET /devices`
pub fn list(ctx: &Ctx, t: &Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let mut q = query(req, "devices", true)?;
    if q.expand.is_some() && ctx.expand_page_cap > 0 {
        // As for users: with `$expand` a page holds at most 100 objects
        // (Microsoft's known issue 13635; `--expand-page-cap`).
        q.top = Some(q.page_size().min(ctx.expand_page_cap));
    }
    let select = q.resolve_select(DEVICE_PROPERTIES, "device")?;
    let expand = q.expand.as_deref().map(parse_expand).transpose()?;
    if let Some(sel) = expand.as_ref().and_then(|e| e.select.as_deref()) {
        super::render::check_mixed_select(Some(sel))?;
    }
    let ids: BTreeSet<String> = t.devices.keys().cloned().collect();
    let context = ctx.urls.collection_context("devices", select.as_deref());
    page_of(ctx, req, q, context, &ids, |id| {
        let d = t.devices.get(id)?;
        let mut m = render(id, d, select.as_deref());
        if let Some(e) = &expand {
            expand_into(t, d, e, &mut m);
        }
        Some(Value::Object(m))
    })
}

fn page_of(
    ctx: &Ctx,
    req: &ApiRequest,
    q: Query,
    context: String,
    ids: &BTreeSet<String>,
    render_one: impl FnMut(&str) -> Option<Value>,
) -> GraphResult<ApiResponse> {
    let p = Prepared {
        q,
        select: None,
        filter: None,
        order: Order::Id,
    };
    listing::page(
        ctx,
        req,
        &p,
        context,
        || ids.len(),
        |after| listing::id_keys(ids, after),
        |_| None,
        render_one,
    )
}

/// `GET /devices/{id}` or `/devices(deviceId='…')`: `$select`, and `$expand`
/// of the registered owners or users as on the list.
pub fn get(ctx: &Ctx, t: &Tenant, req: &ApiRequest, key: DeviceKey) -> GraphResult<ApiResponse> {
    let id = find(t, key)?;
    let q = Query::parse(&req.query, req.eventual())?;
    if q.filter.is_some() || q.top.is_some() || q.orderby.is_some() {
        return Err(super::users::not_collection());
    }
    let select = q.resolve_select(DEVICE_PROPERTIES, "device")?;
    let expand = q.expand.as_deref().map(parse_expand).transpose()?;
    if let Some(sel) = expand.as_ref().and_then(|e| e.select.as_deref()) {
        super::render::check_mixed_select(Some(sel))?;
    }
    let d = &t.devices[&id];
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(ctx.urls.context(&match &select {
            Some(s) => format!("devices({})/$entity", s.join(",")),
            None => "devices/$entity".to_string(),
        })),
    );
    m.extend(render(&id, d, select.as_deref()));
    if let Some(e) = &expand {
        expand_into(t, d, e, &mut m);
    }
    Ok(ApiResponse::json(200, Value::Object(m)))
}

/// Attach `registeredOwners` or `registeredUsers` (typed users) to a rendered device.
fn expand_into(
    t: &Tenant,
    d: &super::device_state::Device,
    e: &Expand,
    m: &mut Map<String, Value>,
) {
    let (name, set) = if e.owners {
        ("registeredOwners", &d.owners)
    } else {
        ("registeredUsers", &d.users)
    };
    let related: Vec<Value> = set
        .iter()
        .filter_map(|u| super::render::directory_object(t, u, e.select.as_deref()))
        .collect();
    m.insert(name.into(), Value::Array(related));
}

fn prop_type(p: &str) -> PropType {
    if BOOL_PROPS.contains(&p) {
        PropType::Bool
    } else if ARRAY_PROPS.contains(&p) {
        if p == "alternativeSecurityIds" {
            PropType::ObjectList
        } else {
            PropType::StringList
        }
    } else if p == "deviceVersion" {
        PropType::Int32
    } else if p.ends_with("DateTime") {
        PropType::DateTime
    } else if p == "extensionAttributes" {
        PropType::Object
    } else {
        PropType::String
    }
}

/// `PATCH /devices/{id}` or `/devices(deviceId='…')`: 204. Every caller here
/// is app-only, so a non-Windows device takes `extensionAttributes` only.
pub fn update(
    _ctx: &Ctx,
    t: &mut Tenant,
    req: &ApiRequest,
    key: DeviceKey,
) -> GraphResult<ApiResponse> {
    let id = find(t, key)?;
    let body = req.body_object()?;
    let read_only: Vec<&str> = DEVICE_PROPERTIES
        .iter()
        .copied()
        .filter(|p| !UPDATABLE.contains(p))
        .collect();
    let props = super::users::writable_props(body, DEVICE_PROPERTIES, &read_only, prop_type)?;
    if let Some(ext) = props.get("extensionAttributes").filter(|v| !v.is_null()) {
        check_extension_attributes(ext).map_err(|_| {
            let bad = ext
                .as_object()
                .and_then(|m| {
                    m.keys()
                        .find(|k| super::device_state::extension_attribute_name(k).is_none())
                })
                .cloned();
            match bad {
                Some(k) => GraphError::bad_request(format!(
                    "The property '{k}' does not exist on type 'microsoft.graph.onPremisesExtensionAttributes'. Make sure to only use property names that are defined by the type."
                )),
                None => GraphError::bad_request(
                    "Cannot convert the literal to the expected type 'Edm.String'.",
                ),
            }
        })?;
    }
    // resources/device: these are required, displayName at most 256
    // characters (Graph's message for a bad value here is not documented; the
    // one it gives for users is used).
    for (k, v) in &props {
        let bad = match k.as_str() {
            "displayName" => v.as_str().is_none_or(|n| {
                n.trim().is_empty() || n.chars().count() > super::device_state::MAX_DISPLAY_NAME
            }),
            "operatingSystem" | "operatingSystemVersion" | "accountEnabled" => v.is_null(),
            _ => false,
        };
        if bad {
            return Err(GraphError::bad_request(format!(
                "Invalid value specified for property '{k}' of resource 'Device'."
            )));
        }
    }
    let d = t
        .devices
        .get_mut(&id)
        .ok_or_else(|| GraphError::not_found(key.shown()))?;
    if !d.is_windows() && props.keys().any(|k| k != "extensionAttributes") {
        return Err(GraphError::bad_request(NOT_WINDOWS));
    }
    for (k, v) in props {
        if k == "extensionAttributes" {
            let patch = v.as_object().cloned().unwrap_or_default();
            let merged = if v.is_null() {
                merge_extension_attributes(None, &Map::new())
            } else {
                merge_extension_attributes(d.props.get(&k), &patch)
            };
            d.props.insert(k, merged);
        } else {
            d.props.insert(k, v);
        }
    }
    Ok(ApiResponse::no_content())
}

/// `GET /devices/{id}/registeredOwners` or `/registeredUsers` (users, typed).
pub fn registered(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    key: DeviceKey,
    owners: bool,
) -> GraphResult<ApiResponse> {
    let id = find(t, key)?;
    let q = query(
        req,
        if owners {
            "registeredOwners"
        } else {
            "registeredUsers"
        },
        false,
    )?;
    let d = &t.devices[&id];
    let set = if owners { &d.owners } else { &d.users };
    let live: BTreeSet<String> = set
        .iter()
        .filter(|u| t.users.contains_key(*u))
        .cloned()
        .collect();
    listing::directory_objects(ctx, t, req, q, &live, false)
}

/// `GET /users/{id or UPN}/ownedDevices` (`owned`) or `/registeredDevices`,
/// optionally cast to `microsoft.graph.device` (the only type they hold here).
pub fn of_user(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    user: &str,
    owned: bool,
    cast: bool,
) -> GraphResult<ApiResponse> {
    let uid = super::users::find(ctx, t, user)?;
    let rel = if owned {
        "ownedDevices"
    } else {
        "registeredDevices"
    };
    let q = query(req, rel, false)?;
    let ids: BTreeSet<String> = t
        .devices
        .iter()
        .filter(|(_, d)| {
            if owned {
                d.owners.contains(&uid)
            } else {
                d.users.contains(&uid)
            }
        })
        .map(|(id, _)| id.clone())
        .collect();
    if cast {
        let select = q.resolve_select(DEVICE_PROPERTIES, "device")?;
        let context = ctx.urls.collection_context("devices", select.as_deref());
        return page_of(ctx, req, q, context, &ids, |id| {
            Some(Value::Object(render(
                id,
                t.devices.get(id)?,
                select.as_deref(),
            )))
        });
    }
    // A directoryObject collection: `$select` names must be device properties.
    q.resolve_select(DEVICE_PROPERTIES, "directoryObject")?;
    let select = q.select.clone();
    let context = ctx.urls.context("directoryObjects");
    page_of(ctx, req, q, context, &ids, |id| {
        Some(directory_object(id, t.devices.get(id)?, select.as_deref()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_keys() {
        assert_eq!(parse_alternate_key("devices(deviceId='abc')"), Some("abc"));
        assert_eq!(parse_alternate_key("Devices(deviceid='abc')"), Some("abc"));
        assert_eq!(parse_alternate_key("devices(id='abc')"), None);
        assert_eq!(parse_alternate_key("devices"), None);
    }

    #[test]
    fn expand_forms() {
        assert!(parse_expand("registeredOwners").unwrap().owners);
        let e = parse_expand("registeredUsers($select=id,displayName)").unwrap();
        assert!(!e.owners);
        assert_eq!(e.select.unwrap(), ["id", "displayName"]);
        assert!(parse_expand("memberOf").is_err());
        assert!(parse_expand("registeredOwners($filter=x)").is_err());
    }
}
