//! Seeded devices (`devices:` in the seed) with their registered owners and
//! registered users, and their store; the routes are in `devices.rs`.
//!
//! Sources (Microsoft Graph v1.0, learn.microsoft.com/graph/api/…):
//! - resources/device (2025-12-11): the properties below; `displayName`
//!   "Maximum length is 256 characters. Required."; `operatingSystem`
//!   "Required."; `accountEnabled` "Default is `true`"; `deviceId` is an
//!   alternate key; `extensionAttributes` holds `extensionAttribute1`…`15`.
//! - device-list-registeredowners: a registered owner is "the user that cloud
//!   joined the device or registered their personal device … Currently, there
//!   can be only one owner" (so a seed may name at most one, a user).
//! - resources/device, `registeredUsers`: users of the device (for cloud
//!   joined and registered devices the same as the owner at registration).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Every property of the `device` resource (resources/device, v1.0), for
/// `$select` and the seed; `id` and `deletedDateTime` come from directoryObject.
pub const DEVICE_PROPERTIES: &[&str] = &[
    "id",
    "deletedDateTime",
    "accountEnabled",
    "alternativeSecurityIds",
    "approximateLastSignInDateTime",
    "complianceExpirationDateTime",
    "deviceCategory",
    "deviceId",
    "deviceMetadata",
    "deviceOwnership",
    "deviceVersion",
    "displayName",
    "enrollmentProfileName",
    "enrollmentType",
    "extensionAttributes",
    "isCompliant",
    "isManaged",
    "isManagementRestricted",
    "isRooted",
    "managementType",
    "manufacturer",
    "mdmAppId",
    "model",
    "onPremisesLastSyncDateTime",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "operatingSystem",
    "operatingSystemVersion",
    "physicalIds",
    "profileType",
    "registrationDateTime",
    "systemLabels",
    "trustType",
];

/// Properties returned only on `$select` (resources/device: "Requires `$select` to retrieve").
pub const SELECT_ONLY: &[&str] = &["isManagementRestricted", "onPremisesSecurityIdentifier"];

/// Boolean properties.
pub const BOOL_PROPS: &[&str] = &[
    "accountEnabled",
    "isCompliant",
    "isManaged",
    "isManagementRestricted",
    "isRooted",
    "onPremisesSyncEnabled",
];

/// Collection properties (`[]` when unset).
pub const ARRAY_PROPS: &[&str] = &["alternativeSecurityIds", "physicalIds", "systemLabels"];

/// Longest `displayName` (resources/device).
pub const MAX_DISPLAY_NAME: usize = 256;

/// A seeded device: `id` and `deviceId` are generated when absent; every other
/// key is a property of the device resource (Graph spelling).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedDevice {
    /// Object id; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The registered owner (at most one): a user id or UPN.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registered_owners: Vec<String>,
    /// Registered users: user ids or UPNs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub registered_users: Vec<String>,
    /// `displayName` (required), `operatingSystem` (required), `deviceId`,
    /// `accountEnabled` (default `true`), `extensionAttributes`, …
    #[serde(flatten)]
    pub properties: Map<String, Value>,
}

/// A stored device.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// Its properties (Graph spelling; `id` is the map key of the store).
    pub props: Map<String, Value>,
    /// Registered owner ids (users).
    pub owners: BTreeSet<String>,
    /// Registered user ids.
    pub users: BTreeSet<String>,
}

impl Device {
    /// A string property.
    pub fn str(&self, p: &str) -> Option<&str> {
        self.props.get(p).and_then(Value::as_str)
    }

    /// Whether `operatingSystem` is Windows (device-update: app-only callers may
    /// change more than `extensionAttributes` only on Windows devices).
    pub fn is_windows(&self) -> bool {
        self.str("operatingSystem")
            .is_some_and(|os| os.eq_ignore_ascii_case("Windows"))
    }
}

/// Check a value against a device property's type; `Err` names the problem.
pub fn check_value(prop: &str, v: &Value) -> Result<(), String> {
    if v.is_null() {
        return Ok(());
    }
    let ok = if BOOL_PROPS.contains(&prop) {
        v.is_boolean()
    } else if ARRAY_PROPS.contains(&prop) {
        v.is_array()
    } else if prop == "deviceVersion" {
        v.is_i64()
    } else if prop == "extensionAttributes" {
        return check_extension_attributes(v);
    } else {
        v.is_string()
    };
    if ok {
        Ok(())
    } else {
        Err(format!("device property '{prop}' has the wrong type: {v}"))
    }
}

/// `extensionAttributes`: an object whose keys are `extensionAttribute1`…`15`
/// with string (or null) values (resources/onpremisesextensionattributes).
pub fn check_extension_attributes(v: &Value) -> Result<(), String> {
    let Some(m) = v.as_object() else {
        return Err("extensionAttributes must be an object".into());
    };
    for (k, val) in m {
        if extension_attribute_name(k).is_none() {
            return Err(format!(
                "'{k}' is not one of extensionAttribute1 … extensionAttribute15"
            ));
        }
        if !(val.is_string() || val.is_null()) {
            return Err(format!("{k} must be a string or null, not {val}"));
        }
    }
    Ok(())
}

/// The canonical name of `extensionAttribute1`…`15` (case-insensitive).
pub fn extension_attribute_name(k: &str) -> Option<String> {
    let n: u8 = k
        .get(..18)
        .filter(|p| p.eq_ignore_ascii_case("extensionAttribute"))
        .and_then(|_| k[18..].parse().ok())?;
    ((1..=15).contains(&n) && !k[18..].starts_with('0')).then(|| format!("extensionAttribute{n}"))
}

/// A full `extensionAttributes` value (every key, null when unset) merged with `patch`.
pub fn merge_extension_attributes(old: Option<&Value>, patch: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for n in 1..=15 {
        let k = format!("extensionAttribute{n}");
        let v = old.and_then(|o| o.get(&k)).cloned().unwrap_or(Value::Null);
        out.insert(k, v);
    }
    for (k, v) in patch {
        if let Some(name) = extension_attribute_name(k) {
            out.insert(name, v.clone());
        }
    }
    Value::Object(out)
}

/// Check the seeded devices and build the store. `resolve_user` maps an id or
/// UPN to a user id; `taken` says whether an object id is already used;
/// `guid` makes the ids the seed leaves out.
pub fn load(
    seeds: Vec<SeedDevice>,
    resolve_user: impl Fn(&str) -> Option<String>,
    taken: impl Fn(&str) -> bool,
    mut guid: impl FnMut() -> String,
) -> Result<BTreeMap<String, Device>, String> {
    let mut out: BTreeMap<String, Device> = BTreeMap::new();
    let mut device_ids: BTreeSet<String> = BTreeSet::new();
    for s in seeds {
        let id = s.id.clone().unwrap_or_else(&mut guid);
        if id.trim().is_empty() || taken(&id) || out.contains_key(&id) {
            return Err(format!("duplicate or empty device id '{id}'"));
        }
        let mut props = Map::new();
        for (k, v) in s.properties {
            let Some(p) = DEVICE_PROPERTIES
                .iter()
                .find(|p| p.eq_ignore_ascii_case(&k))
            else {
                return Err(format!(
                    "device {id}: unknown property '{k}' (the device resource's properties, Graph spelling; and registeredOwners, registeredUsers)"
                ));
            };
            if *p == "id" {
                continue;
            }
            check_value(p, &v).map_err(|e| format!("device {id}: {e}"))?;
            let v = if *p == "extensionAttributes" {
                merge_extension_attributes(None, v.as_object().unwrap_or(&Map::new()))
            } else {
                v
            };
            props.insert((*p).to_string(), v);
        }
        let name = props
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or("");
        if name.trim().is_empty() {
            return Err(format!("device {id} has no displayName (required)"));
        }
        if name.chars().count() > MAX_DISPLAY_NAME {
            return Err(format!(
                "device {id}: displayName is longer than {MAX_DISPLAY_NAME} characters"
            ));
        }
        if props
            .get("operatingSystem")
            .and_then(Value::as_str)
            .is_none()
        {
            return Err(format!(
                "device {id} has no operatingSystem (required; e.g. Windows, iOS, Android, MacMDM, Linux)"
            ));
        }
        props.entry("accountEnabled").or_insert(json!(true));
        let device_id = match props.get("deviceId").and_then(Value::as_str) {
            Some(d) => d.to_string(),
            None => {
                let d = guid();
                props.insert("deviceId".into(), json!(d));
                d
            }
        };
        if !device_ids.insert(device_id.to_lowercase()) {
            return Err(format!("duplicate deviceId {device_id}"));
        }
        if s.registered_owners.len() > 1 {
            return Err(format!(
                "device {id} has {} registeredOwners; a device has at most one registered owner",
                s.registered_owners.len()
            ));
        }
        let users_of = |list: &[String], what: &str| -> Result<BTreeSet<String>, String> {
            let mut set = BTreeSet::new();
            for u in list {
                let uid = resolve_user(u)
                    .ok_or_else(|| format!("device {id}: unknown {what} {u} (a user id or UPN)"))?;
                if !set.insert(uid) {
                    return Err(format!("device {id}: {what} {u} listed twice"));
                }
            }
            Ok(set)
        };
        let owners = users_of(&s.registered_owners, "registered owner")?;
        let users = users_of(&s.registered_users, "registered user")?;
        out.insert(
            id,
            Device {
                props,
                owners,
                users,
            },
        );
    }
    Ok(out)
}

/// The seed form of the stored devices.
pub fn dump(devices: &BTreeMap<String, Device>) -> Vec<SeedDevice> {
    devices
        .iter()
        .map(|(id, d)| SeedDevice {
            id: Some(id.clone()),
            registered_owners: d.owners.iter().cloned().collect(),
            registered_users: d.users.iter().cloned().collect(),
            properties: d.props.clone(),
        })
        .collect()
}

/// A device's JSON: the selection, or every property not marked "Requires `$select`".
pub fn render(id: &str, d: &Device, select: Option<&[&str]>) -> Map<String, Value> {
    let all: Vec<&str> = DEVICE_PROPERTIES
        .iter()
        .copied()
        .filter(|p| !SELECT_ONLY.contains(p))
        .collect();
    let names = select.unwrap_or(&all);
    let mut m = Map::new();
    for &p in names {
        let v = match p {
            "id" => json!(id),
            "extensionAttributes" => merge_extension_attributes(d.props.get(p), &Map::new()),
            p if ARRAY_PROPS.contains(&p) => d.props.get(p).cloned().unwrap_or_else(|| json!([])),
            p => d.props.get(p).cloned().unwrap_or(Value::Null),
        };
        m.insert(p.to_string(), v);
    }
    m
}

/// A device as a typed directory object (in mixed collections): `$select`
/// names resolved against the device's properties, unknown ones skipped.
pub fn directory_object(id: &str, d: &Device, select: Option<&[String]>) -> Value {
    let sel: Option<Vec<&'static str>> = select.map(|s| {
        s.iter()
            .filter_map(|n| crate::schema::canonical(DEVICE_PROPERTIES, n))
            .collect()
    });
    let mut out = Map::new();
    out.insert(
        "@odata.type".into(),
        json!(crate::kind::Kind::Device.odata_type()),
    );
    out.extend(render(id, d, sel.as_deref()));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeds(json: &str) -> Vec<SeedDevice> {
        serde_json::from_str(json).unwrap()
    }

    fn load_json(json: &str) -> Result<BTreeMap<String, Device>, String> {
        let mut n = 0;
        load(
            seeds(json),
            |u| (u == "ann@contoso.com" || u == "u1").then(|| "u1".to_string()),
            |id| id == "u1",
            || {
                n += 1;
                format!("gen-{n}")
            },
        )
    }

    #[test]
    fn loads_defaults_owners_and_extension_attributes() {
        let d = load_json(
            r#"[{"id":"d1","displayName":"LAPTOP-1","operatingSystem":"Windows",
                 "registeredOwners":["ann@contoso.com"],"registeredUsers":["u1"],
                 "extensionAttributes":{"extensionAttribute3":"x"}}]"#,
        )
        .unwrap();
        let dev = &d["d1"];
        assert_eq!(dev.props["accountEnabled"], json!(true));
        assert_eq!(dev.props["deviceId"], json!("gen-1"));
        assert_eq!(dev.props["extensionAttributes"]["extensionAttribute3"], "x");
        assert!(dev.props["extensionAttributes"]["extensionAttribute15"].is_null());
        assert!(dev.owners.contains("u1") && dev.users.contains("u1"));
        assert!(dev.is_windows());
        let again = load_json(&serde_json::to_string(&dump(&d)).unwrap()).unwrap();
        assert_eq!(again, d);
    }

    #[test]
    fn refuses_bad_seeds() {
        for (bad, why) in [
            (r#"[{"operatingSystem":"Windows"}]"#, "no displayName"),
            (r#"[{"displayName":"x"}]"#, "no operatingSystem"),
            (
                r#"[{"displayName":"x","operatingSystem":"iOS","colour":"red"}]"#,
                "unknown property",
            ),
            (
                r#"[{"displayName":"x","operatingSystem":"iOS","accountEnabled":"no"}]"#,
                "wrong type",
            ),
            (
                r#"[{"displayName":"x","operatingSystem":"iOS","registeredOwners":["nobody@contoso.com"]}]"#,
                "unknown registered owner",
            ),
            (
                r#"[{"displayName":"x","operatingSystem":"iOS","registeredOwners":["u1","ann@contoso.com"]}]"#,
                "at most one registered owner",
            ),
            (
                r#"[{"displayName":"x","operatingSystem":"iOS","registeredUsers":["u1","ann@contoso.com"]}]"#,
                "listed twice",
            ),
            (
                r#"[{"id":"u1","displayName":"x","operatingSystem":"iOS"}]"#,
                "duplicate",
            ),
            (
                r#"[{"displayName":"x","operatingSystem":"iOS","deviceId":"a"},{"displayName":"y","operatingSystem":"iOS","deviceId":"A"}]"#,
                "duplicate deviceId",
            ),
            (
                r#"[{"displayName":"x","operatingSystem":"iOS","extensionAttributes":{"extensionAttribute16":"v"}}]"#,
                "extensionAttribute16",
            ),
            (
                r#"[{"displayName":"x","operatingSystem":"iOS","extensionAttributes":{"extensionAttribute1":7}}]"#,
                "string or null",
            ),
        ] {
            let e = load_json(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        let long = format!(
            r#"[{{"displayName":"{}","operatingSystem":"iOS"}}]"#,
            "x".repeat(MAX_DISPLAY_NAME + 1)
        );
        assert!(load_json(&long).unwrap_err().contains("longer than 256"));
    }

    #[test]
    fn extension_attribute_names() {
        assert_eq!(
            extension_attribute_name("ExtensionAttribute7").as_deref(),
            Some("extensionAttribute7")
        );
        for bad in [
            "extensionAttribute0",
            "extensionAttribute16",
            "extensionAttribute01",
            "ext1",
        ] {
            assert_eq!(extension_attribute_name(bad), None, "{bad}");
        }
    }
}
