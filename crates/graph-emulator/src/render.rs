//! Rendering users and groups as Graph JSON: default property sets,
//! `$select`, `@odata.type` on directory objects, `$expand=manager` chains.

use serde_json::{Map, Value, json};

use super::odata::{ExpandManager, Work};
use super::schema::{GROUP_DEFAULT, GROUP_PROPERTIES, USER_DEFAULT, USER_PROPERTIES, canonical};
use super::state::{Kind, Object, Tenant};

/// Properties of an object: the selection, or the defaults. Missing → `null`
/// (collections → `[]`); `passwordProfile` is never returned.
pub fn project(obj: &Object, select: Option<&[&str]>, defaults: &[&str]) -> Map<String, Value> {
    let names = select.unwrap_or(defaults);
    let mut m = Map::new();
    for &p in names {
        let v = match p {
            "id" => json!(obj.id),
            "passwordProfile" => Value::Null,
            "businessPhones" | "otherMails" | "imAddresses" | "proxyAddresses" | "groupTypes"
            | "identities" | "assignedLicenses" => {
                obj.props.get(p).cloned().unwrap_or_else(|| json!([]))
            }
            _ => obj.props.get(p).cloned().unwrap_or(Value::Null),
        };
        m.insert(p.to_string(), v);
    }
    m
}

/// A user, with the selection or the default property set.
pub fn user(u: &Object, select: Option<&[&str]>) -> Map<String, Value> {
    project(u, select, USER_DEFAULT)
}

/// A group, with the selection or the default property set.
pub fn group(g: &Object, select: Option<&[&str]>) -> Map<String, Value> {
    project(g, select, GROUP_DEFAULT)
}

/// Prepend `@odata.type` (for directoryObject collections and `$entity` casts).
pub fn with_type(kind: Kind, m: Map<String, Value>) -> Value {
    let mut out = Map::with_capacity(m.len() + 1);
    out.insert("@odata.type".into(), json!(kind.odata_type()));
    out.extend(m);
    Value::Object(out)
}

/// A directory object of any kind, typed. For a mixed collection `$select` names
/// are resolved per type (a name the type lacks is skipped).
pub fn directory_object(t: &Tenant, id: &str, select: Option<&[String]>) -> Option<Value> {
    let pick = |props: &[&'static str]| -> Option<Vec<&'static str>> {
        select.map(|s| s.iter().filter_map(|n| canonical(props, n)).collect())
    };
    if let Some(u) = t.users.get(id) {
        let sel = pick(USER_PROPERTIES);
        return Some(with_type(Kind::User, user(u, sel.as_deref())));
    }
    if let Some(g) = t.groups.get(id) {
        let sel = pick(GROUP_PROPERTIES);
        return Some(with_type(Kind::Group, group(&g.obj, sel.as_deref())));
    }
    if let Some(d) = t.devices.get(id) {
        return Some(super::device_state::directory_object(id, d, select));
    }
    let Some(app) = t
        .apps
        .iter()
        .find(|a| a.service_principal_id.as_deref() == Some(id))
    else {
        let o = t.others.get(id)?;
        return Some(json!({
            "@odata.type": o.kind.odata_type(),
            "id": id,
            "displayName": o.display_name,
        }));
    };
    Some(json!({
        "@odata.type": Kind::ServicePrincipal.odata_type(),
        "id": id,
        "appId": app.app_id,
        "displayName": app.display_name,
    }))
}

/// Check a `$select` for a mixed directory-object collection: each name must be
/// a property of users or groups.
pub fn check_mixed_select(select: Option<&[String]>) -> Result<(), super::error::GraphError> {
    for name in select.unwrap_or(&[]) {
        if name != "*"
            && canonical(USER_PROPERTIES, name).is_none()
            && canonical(GROUP_PROPERTIES, name).is_none()
        {
            return Err(super::error::GraphError::unknown_property(
                name,
                "directoryObject",
            ));
        }
    }
    Ok(())
}

/// Attach `manager` to a rendered user per `$expand=manager` (and `$levels`).
/// Each level costs one unit of the request's work budget; when it runs out
/// the chain stops (and the request is answered with the budget error).
pub fn expand_manager(
    work: &Work,
    t: &Tenant,
    user_id: &str,
    m: &mut Map<String, Value>,
    e: &ExpandManager,
) {
    let depth = e.levels.unwrap_or(1);
    let sel: Option<Vec<&'static str>> = e.select.as_ref().map(|s| {
        s.iter()
            .filter_map(|n| canonical(USER_PROPERTIES, n))
            .collect()
    });
    if let Some(v) = manager_chain(work, t, user_id, depth, sel.as_deref(), &mut vec![user_id]) {
        m.insert("manager".into(), v);
    }
}

fn manager_chain<'a>(
    work: &Work,
    t: &'a Tenant,
    user_id: &str,
    depth: usize,
    sel: Option<&[&str]>,
    seen: &mut Vec<&'a str>,
) -> Option<Value> {
    if depth == 0 || !work.spend(1) {
        return None;
    }
    let (mid, mgr) = t
        .manager
        .get_key_value(user_id)
        .and_then(|(_, mid)| t.users.get_key_value(mid.as_str()))?;
    if seen.contains(&mid.as_str()) {
        return None;
    }
    seen.push(mid.as_str());
    let mut m = user(mgr, sel);
    if let Some(next) = manager_chain(work, t, mid, depth - 1, sel, seen) {
        m.insert("manager".into(), next);
    }
    Some(with_type(Kind::User, m))
}
