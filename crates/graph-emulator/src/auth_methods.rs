//! `/users/{id}/authentication/temporaryAccessPassMethods`: create (the pass
//! is in the create response only) and list a user's Temporary Access Pass.
//!
//! Sources (Microsoft Graph v1.0 reference):
//! - authentication-post-temporaryaccesspassmethods: `201 Created` with a
//!   `temporaryAccessPassAuthenticationMethod`; every body property optional;
//!   `lifetimeInMinutes` 10–43200 (default: the policy's default).
//! - resources/temporaryaccesspassauthenticationmethod: `temporaryAccessPass`
//!   is returned on creation only (`null` later); a user has at most one usable
//!   pass, and creating one while another is valid replaces it; the list
//!   returns at most one object.
//!
//! Not modelled: the tenant's TAP authentication-method policy (Graph then
//! answers "Converged UserCredentialPolicy does not allow creating or updating
//! this authentication method…"; status and code are not documented). The
//! emulator behaves as a policy that allows one-time and multi-use passes of
//! any lifetime the API accepts, with a default lifetime of 60 minutes and
//! 8-character passes (the portal's defaults). Guests are refused (third-party
//! reports of "Temporary Access Pass cannot be added to an external guest
//! user"; the stricter reading, see docs/emulator.md).

use serde_json::{Map, Value, json};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse};
use super::state::Tenant;
use super::users::find;
use super::util::{iso8601, now_secs};

/// The API's bounds on `lifetimeInMinutes` (authentication-post-temporaryaccesspassmethods).
pub const LIFETIME_MINUTES: std::ops::RangeInclusive<i64> = 10..=43_200;

/// The default lifetime when the body gives none (the default policy's).
pub const DEFAULT_LIFETIME_MINUTES: i64 = 60;

const TYPE: &str = "#microsoft.graph.temporaryAccessPassAuthenticationMethod";

/// Characters of a generated pass (Entra's passes mix letters, digits and symbols).
const PASS_CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789+-#@";

fn usable(m: &Value, now: i64) -> (bool, &'static str) {
    let start = m
        .get("startDateTime")
        .and_then(Value::as_str)
        .and_then(super::pim::time::parse_datetime)
        .unwrap_or(0);
    let minutes = m
        .get("lifetimeInMinutes")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    if now < start {
        (false, "NotYetValid")
    } else if now >= start + minutes * 60 {
        (false, "Expired")
    } else {
        (true, "EnabledByPolicy")
    }
}

fn shown(ctx: &Ctx, m: &Value, user: &str) -> Value {
    let mut out = m.clone();
    let (ok, why) = usable(m, now_secs());
    if let Some(o) = out.as_object_mut() {
        o.insert("isUsable".into(), json!(ok));
        o.insert("methodUsabilityReason".into(), json!(why));
        o.insert(
            "@odata.context".into(),
            json!(ctx.urls.context(&format!(
                "users('{user}')/authentication/temporaryAccessPassMethods/$entity"
            ))),
        );
    }
    out
}

/// `POST /users/{id}/authentication/temporaryAccessPassMethods`
pub fn create_tap(
    ctx: &Ctx,
    t: &mut Tenant,
    req: &ApiRequest,
    key: &str,
) -> GraphResult<ApiResponse> {
    let id = find(ctx, t, key)?;
    let body: Map<String, Value> = match &req.body {
        None => Map::new(),
        Some(_) => req.body_object()?.clone(),
    };
    for k in body.keys() {
        if !matches!(
            k.as_str(),
            "isUsableOnce" | "lifetimeInMinutes" | "startDateTime" | "@odata.type"
        ) {
            return Err(GraphError::bad_request(format!(
                "Property '{k}' does not exist as a declared property or extension property."
            )));
        }
    }
    let guest = t
        .users
        .get(&id)
        .and_then(|u| u.props.get("userType"))
        .and_then(Value::as_str)
        .is_some_and(|ty| ty.eq_ignore_ascii_case("Guest"));
    if guest {
        return Err(GraphError::bad_request(
            "Temporary Access Pass cannot be added to an external guest user.",
        ));
    }
    let once = match body.get("isUsableOnce") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(GraphError::bad_request("Invalid value for 'isUsableOnce'.")),
    };
    let minutes = match body.get("lifetimeInMinutes") {
        None | Some(Value::Null) => DEFAULT_LIFETIME_MINUTES,
        Some(v) => match v.as_i64() {
            Some(m) if LIFETIME_MINUTES.contains(&m) => m,
            _ => {
                return Err(GraphError::bad_request(format!(
                    "lifetimeInMinutes must be between {} and {}.",
                    LIFETIME_MINUTES.start(),
                    LIFETIME_MINUTES.end()
                )));
            }
        },
    };
    let now = now_secs();
    let start = match body.get("startDateTime") {
        None | Some(Value::Null) => now,
        Some(Value::String(s)) => super::pim::time::parse_datetime(s)
            .ok_or_else(|| GraphError::bad_request("Invalid value for 'startDateTime'."))?,
        Some(_) => {
            return Err(GraphError::bad_request(
                "Invalid value for 'startDateTime'.",
            ));
        }
    };
    let method_id = t.rng.guid();
    let pass: String = (0..8)
        .map(|_| PASS_CHARS[t.rng.below(PASS_CHARS.len() as u64) as usize] as char)
        .collect();
    let stored = json!({
        "@odata.type": TYPE,
        "id": method_id,
        "temporaryAccessPass": null,
        "createdDateTime": iso8601(now),
        "startDateTime": iso8601(start),
        "lifetimeInMinutes": minutes,
        "isUsableOnce": once,
    });
    // One pass per user: a new one replaces the old.
    t.taps.insert(id.clone(), stored.clone());
    let mut answer = shown(ctx, &stored, &id);
    if let Some(o) = answer.as_object_mut() {
        o.insert("temporaryAccessPass".into(), json!(pass));
    }
    Ok(ApiResponse::json(201, answer))
}

/// `GET /users/{id}/authentication/temporaryAccessPassMethods`
pub fn list_taps(ctx: &Ctx, t: &Tenant, key: &str) -> GraphResult<ApiResponse> {
    let id = find(ctx, t, key)?;
    let value: Vec<Value> = t
        .taps
        .get(&id)
        .map(|m| {
            let mut v = shown(ctx, m, &id);
            if let Some(o) = v.as_object_mut() {
                o.remove("@odata.context");
            }
            v
        })
        .into_iter()
        .collect();
    Ok(ApiResponse::json(
        200,
        json!({
            "@odata.context": ctx.urls.context(&format!("users('{id}')/authentication/temporaryAccessPassMethods")),
            "value": value,
        }),
    ))
}
