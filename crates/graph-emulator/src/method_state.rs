//! Seeded authentication methods of users (`authenticationMethods:` in the
//! seed) and their store; the routes are in `method_list.rs`. Sources there.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// A method type: seed name, URL segment, OData type.
pub const KINDS: &[(&str, &str, &str)] = &[
    (
        "phone",
        "phoneMethods",
        "#microsoft.graph.phoneAuthenticationMethod",
    ),
    (
        "microsoftAuthenticator",
        "microsoftAuthenticatorMethods",
        "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod",
    ),
    (
        "fido2",
        "fido2Methods",
        "#microsoft.graph.fido2AuthenticationMethod",
    ),
    (
        "softwareOath",
        "softwareOathMethods",
        "#microsoft.graph.softwareOathAuthenticationMethod",
    ),
    (
        "email",
        "emailMethods",
        "#microsoft.graph.emailAuthenticationMethod",
    ),
    (
        "windowsHelloForBusiness",
        "windowsHelloForBusinessMethods",
        "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod",
    ),
];

/// Fixed phone method ids by `phoneType` (phoneauthenticationmethod-delete).
pub const PHONE_IDS: &[(&str, &str)] = &[
    ("mobile", "3179e48a-750b-4051-897c-87b9720928f7"),
    ("alternateMobile", "b6332ec1-7057-4abe-9331-3d72feddfe41"),
    ("office", "e37fc753-ff3b-4958-9484-eaa9425c82bc"),
];

/// One seeded method of a user (other keys are the resource's properties, so
/// unknown keys are not refused here).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedMethod {
    /// The user (id or UPN).
    pub user: String,
    /// `phone`, `microsoftAuthenticator`, `fido2`, `softwareOath`, `email` or
    /// `windowsHelloForBusiness`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The method id (phones: derived from `phoneType`; others: generated when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Is this the user's default sign-in method (not readable through v1.0)?
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    /// The resource's other properties (`phoneNumber`, `phoneType`, `displayName`, …).
    #[serde(default, flatten)]
    pub properties: Map<String, Value>,
}

/// A stored method: its seed kind, the resource body, whether it is the default.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMethod {
    /// The seed kind (`phone`, …).
    pub kind: String,
    /// The resource as listed (with `@odata.type` and `id`).
    pub body: Value,
    /// The default sign-in method.
    pub default: bool,
}

impl StoredMethod {
    /// The method id.
    pub fn id(&self) -> &str {
        self.body.get("id").and_then(Value::as_str).unwrap_or("")
    }
}

/// Check seeded methods (`user` already resolved to an id, `None` when
/// unknown) and build the per-user store; `guid` makes ids the seed leaves out.
pub fn load(
    seeds: Vec<(Option<String>, SeedMethod)>,
    mut guid: impl FnMut() -> String,
) -> Result<BTreeMap<String, Vec<StoredMethod>>, String> {
    let mut out: BTreeMap<String, Vec<StoredMethod>> = BTreeMap::new();
    for (user, s) in seeds {
        let user =
            user.ok_or_else(|| format!("authentication method of unknown user {}", s.user))?;
        let Some(&(kind, _, odata)) = KINDS.iter().find(|k| k.0 == s.kind) else {
            return Err(format!(
                "authentication method type `{}` unknown; use one of {}",
                s.kind,
                KINDS.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
            ));
        };
        let id = if kind == "phone" {
            let ty = s
                .properties
                .get("phoneType")
                .and_then(Value::as_str)
                .unwrap_or("mobile");
            PHONE_IDS
                .iter()
                .find(|p| p.0 == ty)
                .map(|p| p.1.to_string())
                .ok_or_else(|| {
                    format!("phoneType `{ty}` unknown; use mobile, alternateMobile or office")
                })?
        } else {
            s.id.clone().unwrap_or_else(&mut guid)
        };
        let mut body = s.properties.clone();
        body.insert("@odata.type".into(), json!(odata));
        body.insert("id".into(), json!(id));
        if kind == "phone" {
            body.entry("phoneType").or_insert(json!("mobile"));
            body.entry("smsSignInState")
                .or_insert(json!("notConfigured"));
        }
        let list = out.entry(user).or_default();
        // Ids are unique per type (the docs' samples reuse one id across types).
        if list.iter().any(|m| m.kind == kind && m.id() == id) {
            return Err(format!(
                "authentication method {id} seeded twice for {}",
                s.user
            ));
        }
        list.push(StoredMethod {
            kind: kind.into(),
            body: Value::Object(body),
            default: s.default,
        });
    }
    Ok(out)
}

/// The seed form of the stored methods.
pub fn dump(methods: &BTreeMap<String, Vec<StoredMethod>>) -> Vec<SeedMethod> {
    let mut out = Vec::new();
    for (user, list) in methods {
        for m in list {
            let mut props = m.body.as_object().cloned().unwrap_or_default();
            props.remove("@odata.type");
            let id = props
                .remove("id")
                .and_then(|v| v.as_str().map(str::to_string));
            out.push(SeedMethod {
                user: user.clone(),
                kind: m.kind.clone(),
                id,
                default: m.default,
                properties: props,
            });
        }
    }
    out
}
