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

use serde_json::{Value, json};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::ApiResponse;
use super::method_state::{KINDS, PHONE_IDS};
use super::state::Tenant;
use super::users::find;

/// The password method's fixed id (passwordauthenticationmethod resource).
pub const PASSWORD_METHOD_ID: &str = "28c10230-6103-485e-b985-444c60001490";

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
