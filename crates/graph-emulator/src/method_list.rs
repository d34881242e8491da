//! `/users/{id}/authentication/methods` (list every method of a user) and the
//! per-type DELETE routes a leaver's offboarding uses; methods are seeded per
//! user (`authenticationMethods:` in the seed).
//!
//! Sources (Microsoft Graph v1.0 reference, microsoft-graph-docs-contrib):
//! - authentication-list-methods: a collection of `authenticationMethod`
//!   subtypes, each with `@odata.type`; no optional query parameters.
//! - phoneauthenticationmethod-delete, microsoftauthenticatorauthenticationmethod-delete,
//!   fido2authenticationmethod-delete, softwareoathauthenticationmethod-delete,
//!   emailauthenticationmethod-delete, windowshelloforbusinessauthenticationmethod-delete,
//!   temporaryaccesspassauthenticationmethod-delete: `204 No Content`; each
//!   type has its own path (there is no generic `/methods/{id}` DELETE in v1.0).
//! - phoneauthenticationmethod-delete: fixed phone ids per `phoneType`;
//!   `alternateMobile` cannot exist without `mobile`; the default MFA method
//!   cannot be deleted.
//! - Default-method error (not on the pages; microsoft-graph-docs-contrib#2913):
//!   400 `badRequest` "Cannot delete default method with other methods
//!   configured. Please change default method before deletion." The emulator
//!   applies it to every type (the stricter reading) and lets the default go
//!   once it is the only method left besides the password (inferred from the
//!   wording), see docs/emulator.md.
//! - The password method (fixed id) is listed for every user and is never
//!   deletable through these routes (there is no DELETE for it in v1.0).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::ApiResponse;
use super::state::Tenant;
use super::users::find;

/// The password method's fixed id (passwordauthenticationmethod resource).
pub const PASSWORD_METHOD_ID: &str = "28c10230-6103-485e-b985-444c60001490";

/// A method type: seed name, URL segment, OData type.
const KINDS: &[(&str, &str, &str)] = &[
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
const PHONE_IDS: &[(&str, &str)] = &[
    ("mobile", "3179e48a-750b-4051-897c-87b9720928f7"),
    ("alternateMobile", "b6332ec1-7057-4abe-9331-3d72feddfe41"),
    ("office", "e37fc753-ff3b-4958-9484-eaa9425c82bc"),
];

/// The URL segments of the per-type DELETE routes (TAP included).
pub const DELETE_SEGMENTS: &[&str] = &[
    "phoneMethods",
    "microsoftAuthenticatorMethods",
    "fido2Methods",
    "softwareOathMethods",
    "emailMethods",
    "windowsHelloForBusinessMethods",
    "temporaryAccessPassMethods",
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
    fn id(&self) -> &str {
        self.body.get("id").and_then(Value::as_str).unwrap_or("")
    }
}

/// Check and store seeded methods; `resolve` maps a user key to its id.
pub fn load(t: &mut Tenant, seeds: Vec<SeedMethod>) -> Result<(), String> {
    for s in seeds {
        let user = t
            .resolve_user(&s.user)
            .ok_or_else(|| format!("authentication method of unknown user {}", s.user))?;
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
            s.id.clone().unwrap_or_else(|| t.rng.guid())
        };
        let mut body = s.properties.clone();
        body.insert("@odata.type".into(), json!(odata));
        body.insert("id".into(), json!(id));
        if kind == "phone" {
            body.entry("phoneType").or_insert(json!("mobile"));
            body.entry("smsSignInState")
                .or_insert(json!("notConfigured"));
        }
        let list = t.auth_methods.entry(user).or_default();
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
    Ok(())
}

/// The seed form of the stored methods.
pub fn dump(t: &Tenant) -> Vec<SeedMethod> {
    let mut out = Vec::new();
    for (user, list) in &t.auth_methods {
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

/// `GET /users/{id}/authentication/methods`: password, seeded methods, the TAP.
pub fn list(ctx: &Ctx, t: &Tenant, key: &str) -> GraphResult<ApiResponse> {
    let id = find(ctx, t, key)?;
    let mut value = vec![json!({
        "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
        "id": PASSWORD_METHOD_ID,
        "password": null,
        "createdDateTime": null,
    })];
    value.extend(
        t.auth_methods
            .get(&id)
            .into_iter()
            .flatten()
            .map(|m| m.body.clone()),
    );
    if let Some(tap) = t.taps.get(&id) {
        value.push(tap.clone());
    }
    Ok(ApiResponse::json(
        200,
        json!({
            "@odata.context": ctx.urls.context(&format!("users('{id}')/authentication/methods")),
            "value": value,
        }),
    ))
}

/// `DELETE /users/{id}/authentication/{segment}/{methodId}` for the types in
/// [`DELETE_SEGMENTS`].
pub fn delete(
    ctx: &Ctx,
    t: &mut Tenant,
    key: &str,
    segment: &str,
    method: &str,
) -> GraphResult<ApiResponse> {
    let id = find(ctx, t, key)?;
    let missing = || GraphError::not_found(method);
    if segment == "temporaryAccessPassMethods" {
        let hit = t
            .taps
            .get(&id)
            .and_then(|m| m.get("id"))
            .and_then(Value::as_str)
            .is_some_and(|m| m.eq_ignore_ascii_case(method));
        if !hit {
            return Err(missing());
        }
        t.taps.remove(&id);
        return Ok(ApiResponse::no_content());
    }
    let kind = KINDS
        .iter()
        .find(|k| k.1 == segment)
        .map(|k| k.0)
        .ok_or_else(missing)?;
    let tap_count = usize::from(t.taps.contains_key(&id));
    let list = t.auth_methods.get_mut(&id).ok_or_else(missing)?;
    let pos = list
        .iter()
        .position(|m| m.kind == kind && m.id().eq_ignore_ascii_case(method))
        .ok_or_else(missing)?;
    if list[pos].default && list.len() + tap_count > 1 {
        return Err(GraphError::new(
            400,
            "badRequest",
            "Cannot delete default method with other methods configured. Please change default method before deletion.",
        ));
    }
    // phoneauthenticationmethod-delete: alternateMobile cannot exist without mobile
    // (the wording of the refusal is not documented).
    let is_mobile = kind == "phone" && list[pos].id() == PHONE_IDS[0].1;
    if is_mobile
        && list
            .iter()
            .any(|m| m.kind == "phone" && m.id() == PHONE_IDS[1].1)
    {
        return Err(GraphError::new(
            400,
            "badRequest",
            "The mobile phone method cannot be deleted while an alternateMobile phone method exists.",
        ));
    }
    list.remove(pos);
    if list.is_empty() {
        t.auth_methods.remove(&id);
    }
    Ok(ApiResponse::no_content())
}
