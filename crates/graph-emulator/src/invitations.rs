//! Guests: `POST /invitations` creates (or re-invites) a B2B guest user.
//!
//! Sources (learn.microsoft.com/graph/api/…, v1.0): `invitation-post`
//! (201 with the `invitation`; required `invitedUserEmailAddress` and
//! `inviteRedirectUrl`; `sendInvitationMessage` defaults to false,
//! `invitedUserType` to `Guest`; `invitedUser` is inlined with `id` and
//! `userPrincipalName`; the guest UPN shape `admin_fabrikam.com#EXT#@doc.onmicrosoft.com`),
//! `resources/invitation` (the characters an email address may not contain;
//! `status` values), `resources/user` (`externalUserState` is
//! `PendingAcceptance` until the guest redeems).
//!
//! Undocumented, and taken in the stricter reading (docs/emulator.md,
//! *Guests*): the UPN's domain is the tenant's initial (`*.onmicrosoft.com`)
//! domain; inviting an address whose guest already exists returns that
//! guest (a re-invitation creates no second user); the created guest's
//! `displayName` is `invitedUserDisplayName`, else the address's local part;
//! `invitedUserType: Member` is refused (it needs a company administrator,
//! which the emulator does not model); redemption cannot happen (Graph has
//! no API for it), so `resetRedemption` only sets the guest pending again.

use std::time::Instant;

use serde_json::{Map, Value, json};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse};
use super::state::{Kind, Object, Tenant};
use super::util::{iso8601, now_secs};

/// Properties of the `invitation` request body (resources/invitation).
const INVITATION_PROPERTIES: &[&str] = &[
    "invitedUserEmailAddress",
    "inviteRedirectUrl",
    "invitedUserDisplayName",
    "invitedUserMessageInfo",
    "sendInvitationMessage",
    "invitedUserType",
    "resetRedemption",
    "invitedUser",
    "invitedUserSponsors",
];

/// Characters resources/invitation forbids in `invitedUserEmailAddress`.
const FORBIDDEN: &str = "~!#$%^&*()+=[]{}\\/|;:\"<>?,";

/// Longest address accepted (RFC 5321's path limit); bounds the UPN built from it.
const MAX_ADDRESS: usize = 254;

/// The guest UPN Graph builds for `address` in a tenant whose initial domain
/// is `initial`: `<local>_<domain>#EXT#@<initial>` (invitation-post's sample).
pub fn guest_upn(address: &str, initial: &str) -> Option<String> {
    let (local, domain) = address.rsplit_once('@')?;
    Some(format!("{local}_{domain}#EXT#@{initial}"))
}

/// The tenant's initial domain: its first `*.onmicrosoft.com` domain, else its first.
fn initial_domain(t: &Tenant) -> String {
    let d = &t.info.domains;
    d.iter()
        .find(|x| x.to_ascii_lowercase().ends_with(".onmicrosoft.com"))
        .or_else(|| d.first())
        .cloned()
        .unwrap_or_else(|| "contoso.onmicrosoft.com".to_string())
}

fn invalid(prop: &str) -> GraphError {
    GraphError::bad_request(format!(
        "Invalid value specified for property '{prop}' of resource 'Invitation'."
    ))
}

/// Checks the address against resources/invitation's rules.
fn check_address(a: &str) -> GraphResult<()> {
    let bad = || invalid("invitedUserEmailAddress");
    if a.len() > MAX_ADDRESS
        || a.chars()
            .any(|c| FORBIDDEN.contains(c) || c.is_whitespace())
    {
        return Err(bad());
    }
    let (local, domain) = a.rsplit_once('@').ok_or_else(bad)?;
    let edge = |s: &str| s.starts_with(['.', '-']) || s.ends_with(['.', '-']);
    if local.is_empty()
        || domain.is_empty()
        || local.contains('@')
        || edge(local)
        || edge(domain)
        || !domain.contains('.')
    {
        return Err(bad());
    }
    Ok(())
}

fn str_prop<'a>(body: &'a Map<String, Value>, k: &str) -> GraphResult<Option<&'a str>> {
    match body.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(k)),
    }
}

fn bool_prop(body: &Map<String, Value>, k: &str) -> GraphResult<bool> {
    match body.get(k) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(invalid(k)),
    }
}

/// `POST /invitations`
pub fn create(ctx: &Ctx, t: &mut Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let body = req.body_object()?;
    if let Some(k) = body
        .keys()
        .find(|k| !k.starts_with('@') && !INVITATION_PROPERTIES.contains(&k.as_str()))
    {
        return Err(GraphError::unknown_property(
            k,
            "microsoft.graph.invitation",
        ));
    }
    let address = str_prop(body, "invitedUserEmailAddress")?
        .ok_or_else(|| invalid("invitedUserEmailAddress"))?;
    let redirect =
        str_prop(body, "inviteRedirectUrl")?.ok_or_else(|| invalid("inviteRedirectUrl"))?;
    check_address(address)?;
    if !(redirect.starts_with("https://") || redirect.starts_with("http://")) {
        return Err(invalid("inviteRedirectUrl"));
    }
    let display = str_prop(body, "invitedUserDisplayName")?;
    let user_type = str_prop(body, "invitedUserType")?.unwrap_or("Guest");
    if !user_type.eq_ignore_ascii_case("Guest") {
        // Member needs a company administrator (invitation-post); refused here.
        return Err(invalid("invitedUserType"));
    }
    let reset = bool_prop(body, "resetRedemption")?;
    let send = bool_prop(body, "sendInvitationMessage")?;
    let info = match body.get("invitedUserMessageInfo") {
        None | Some(Value::Null) => {
            json!({"messageLanguage": null, "customizedMessageBody": null, "ccRecipients": [{"emailAddress": {"name": null, "address": null}}]})
        }
        Some(Value::Object(m)) => Value::Object(m.clone()),
        Some(_) => return Err(invalid("invitedUserMessageInfo")),
    };
    let upn =
        guest_upn(address, &initial_domain(t)).ok_or_else(|| invalid("invitedUserEmailAddress"))?;
    if reset {
        return reset_redemption(ctx, t, body, address, redirect, display, send, info);
    }
    let id = match t.resolve_user(&upn) {
        Some(existing) => existing,
        None => {
            let local = address.rsplit_once('@').map_or(address, |(l, _)| l);
            let now = iso8601(now_secs());
            let mut props = Map::new();
            props.insert("userPrincipalName".into(), json!(upn));
            props.insert("displayName".into(), json!(display.unwrap_or(local)));
            props.insert("mail".into(), json!(address));
            props.insert("otherMails".into(), json!([address]));
            props.insert("userType".into(), json!("Guest"));
            props.insert("creationType".into(), json!("Invitation"));
            props.insert("externalUserState".into(), json!("PendingAcceptance"));
            props.insert("externalUserStateChangeDateTime".into(), json!(now));
            props.insert("accountEnabled".into(), json!(true));
            props.insert("createdDateTime".into(), json!(now));
            props.insert("businessPhones".into(), json!([]));
            let id = t.rng.guid();
            t.insert_user(Object {
                id: id.clone(),
                props,
                created_at: Some(Instant::now()),
                seq: 0,
            });
            t.touch_kind(Kind::User, &id);
            tracing::debug!(user = %id, "invited guest");
            id
        }
    };
    let invitation = t.rng.guid();
    let redeem = format!(
        "https://login.microsoftonline.com/redeem?rd=https%3a%2f%2finvitations.microsoft.com%2fredeem%2f%3ftenant%3d{}%26user%3d{id}%26ticket%3d{invitation}%26ver%3d2.0",
        t.info.id
    );
    let out = json!({
        "@odata.context": ctx.urls.context("invitations/$entity"),
        "id": invitation,
        "inviteRedeemUrl": redeem,
        "invitedUserDisplayName": display,
        "invitedUserType": "Guest",
        "invitedUserEmailAddress": address,
        "sendInvitationMessage": send,
        "resetRedemption": false,
        "inviteRedirectUrl": redirect,
        "status": "PendingAcceptance",
        "invitedUserMessageInfo": info,
        "invitedUser": {"id": id, "userPrincipalName": upn},
    });
    Ok(ApiResponse::json(201, out))
}

/// `resetRedemption: true` (invitation-post, example 2): the existing user
/// named by `invitedUser.id` (required, resources/invitation) must redeem
/// again, at `invitedUserEmailAddress`, which must already be one of its
/// `otherMails`; its id and UPN are kept. The caller's `User.ReadWrite.All`
/// is checked by the permission table ([`crate::permissions`]).
#[allow(clippy::too_many_arguments)]
fn reset_redemption(
    ctx: &Ctx,
    t: &mut Tenant,
    body: &Map<String, Value>,
    address: &str,
    redirect: &str,
    display: Option<&str>,
    send: bool,
    info: Value,
) -> GraphResult<ApiResponse> {
    let key = body
        .get("invitedUser")
        .and_then(|u| u.get("id"))
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("invitedUser"))?;
    let id = t
        .users
        .contains_key(key)
        .then(|| key.to_string())
        .ok_or_else(|| GraphError::not_found(key))?;
    let listed = t.users[&id]
        .props
        .get("otherMails")
        .and_then(Value::as_array)
        .is_some_and(|m| {
            m.iter()
                .any(|x| x.as_str().is_some_and(|x| x.eq_ignore_ascii_case(address)))
        });
    if !listed {
        // invitation-post: the new address must first be added to otherMails.
        return Err(invalid("invitedUserEmailAddress"));
    }
    let now = iso8601(now_secs());
    let Some(mut u) = t.take_user(&id) else {
        return Err(GraphError::not_found(key));
    };
    u.props.insert("mail".into(), json!(address));
    u.props
        .insert("externalUserState".into(), json!("PendingAcceptance"));
    u.props
        .insert("externalUserStateChangeDateTime".into(), json!(now));
    let upn = u
        .props
        .get("userPrincipalName")
        .cloned()
        .unwrap_or(Value::Null);
    t.insert_user(u);
    t.touch_kind(Kind::User, &id);
    let invitation = t.rng.guid();
    Ok(ApiResponse::json(
        201,
        json!({
            "@odata.context": ctx.urls.context("invitations/$entity"),
            "id": invitation,
            "inviteRedeemUrl": format!("https://login.microsoftonline.com/redeem?rd=https%3a%2f%2finvitations.microsoft.com%2fredeem%2f%3ftenant%3d{}%26user%3d{id}%26ticket%3d{invitation}%26ver%3d2.0", t.info.id),
            "invitedUserDisplayName": display,
            "invitedUserType": "Guest",
            "invitedUserEmailAddress": address,
            "sendInvitationMessage": send,
            "resetRedemption": true,
            "inviteRedirectUrl": redirect,
            "status": "PendingAcceptance",
            "invitedUserMessageInfo": info,
            "invitedUser": {"id": id, "userPrincipalName": upn},
        }),
    ))
}
