//! The Graph request of each plan operation (pure), as Microsoft's docs show them.

use std::collections::BTreeMap;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use crate::graph::Request;
use crate::model::ObjectId;
use crate::model::attrs::{Attr, AttrValue, members_of};
use crate::model::kinds::GroupKind;
use crate::plan::op::{GroupRef, Op, OwnerRef, UserRef};

/// Ids of objects a plan refers to, including those created earlier in the same apply.
pub trait Ids {
    /// The object id of a user (known in advance, or created by an earlier step).
    fn user(&self, r: &UserRef) -> Option<ObjectId>;
    /// The object id of a group.
    fn group(&self, r: &GroupRef) -> Option<ObjectId>;
}

/// Why an operation has no request (yet).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A referenced object has no id: the step that creates it did not run.
    #[error("`{0}` has no object id yet (the step that creates it did not succeed)")]
    Unresolved(String),
    /// A new user's password is needed and was not given.
    #[error("no initial password for `{0}`")]
    NoPassword(String),
}

fn value(v: &AttrValue) -> Value {
    match v {
        AttrValue::Text(t) => Value::String(t.clone()),
        AttrValue::List(l) => Value::Array(l.iter().cloned().map(Value::String).collect()),
    }
}

/// The value that clears an attribute: `[]` for collections, `null` otherwise.
fn cleared(attr: Attr) -> Value {
    if attr.is_list() {
        json!([])
    } else {
        Value::Null
    }
}

/// Put one attribute's value into a user body: under its Graph name, or as
/// a member of its object-valued property (`employeeOrgData.division` →
/// `{"employeeOrgData": {"division": …}}`).
fn put(body: &mut Map<String, Value>, attr: Attr, v: Value) {
    match attr.member() {
        None => {
            body.insert(attr.graph_name().to_string(), v);
        }
        Some(member) => {
            let slot = body
                .entry(attr.property().to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(o) = slot {
                o.insert(member.to_string(), v);
            }
        }
    }
}

/// Graph replaces an object-valued property whole and nulls a member left
/// out (user-update, `employeeOrgData`: "Include both property values when
/// updating"): every object in a PATCH body gets all its members — the
/// unchanged ones with their live value from `keep`, else `null`.
fn whole_objects(body: &mut Map<String, Value>, keep: &BTreeMap<Attr, AttrValue>) {
    for (property, slot) in body.iter_mut() {
        let Value::Object(o) = slot else {
            continue;
        };
        for info in members_of(property) {
            if let Some(member) = info.member
                && !o.contains_key(member)
            {
                let v = keep.get(&info.attr).map_or(Value::Null, value);
                o.insert(member.to_string(), v);
            }
        }
    }
}

fn request(method: Method, url: String, body: Option<Value>) -> Request {
    match body {
        Some(b) => Request::with_body(method, url, b),
        None => Request::new(method, url),
    }
}

/// Percent-encode a path segment or query value (RFC 3986 unreserved kept).
pub(super) fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn user_id(ids: &impl Ids, r: &UserRef) -> Result<ObjectId, RequestError> {
    ids.user(r)
        .ok_or_else(|| RequestError::Unresolved(r.upn.to_string()))
}

fn group_id(ids: &impl Ids, r: &GroupRef) -> Result<ObjectId, RequestError> {
    ids.group(r)
        .ok_or_else(|| RequestError::Unresolved(format!("group {}", r.name)))
}

/// The `@odata.id` URL of a group owner (`…/users/{id}` or `…/servicePrincipals/{id}`,
/// as group-post-owners.md shows them), under the client's Graph root.
fn owner_url(ids: &impl Ids, root: &str, owner: &OwnerRef) -> Result<String, RequestError> {
    Ok(match owner {
        OwnerRef::User { upn, id } => {
            let r = UserRef {
                upn: upn.clone(),
                id: id.clone(),
            };
            format!("{root}/users/{}", user_id(ids, &r)?)
        }
        OwnerRef::ServicePrincipal { id } => {
            format!("{root}/servicePrincipals/{id}")
        }
    })
}

/// Most references one `members@odata.bind` may carry (Graph: 20).
pub const BIND_LIMIT: usize = 20;

/// Several member additions to one group as a single `PATCH /groups/{id}`
/// with `members@odata.bind` (Graph adds all of them or none). `adds` are the
/// `POST /groups/{id}/members/$ref` requests [`for_op`] built for
/// [`Op::AddMember`]; `None` unless they are 2 to [`BIND_LIMIT`] additions to
/// the same group.
pub fn bind_members(adds: &[&Request]) -> Option<Request> {
    if !(2..=BIND_LIMIT).contains(&adds.len()) {
        return None;
    }
    let group_of = |r: &Request| -> Option<String> {
        let rest = r.url.strip_prefix("/groups/")?;
        let gid = rest.strip_suffix("/members/$ref")?;
        (r.method == Method::POST && !gid.contains('/')).then(|| gid.to_string())
    };
    let gid = group_of(adds[0])?;
    let mut refs = Vec::with_capacity(adds.len());
    for r in adds {
        if group_of(r)? != gid {
            return None;
        }
        refs.push(r.body.as_ref()?.get("@odata.id")?.clone());
    }
    let mut req = request(
        Method::PATCH,
        format!("/groups/{gid}"),
        Some(json!({ "members@odata.bind": refs })),
    );
    req.retry_not_found = adds.iter().any(|r| r.retry_not_found);
    Some(req)
}

/// The justification PIM requests carry when the YAML declares none
/// (roleEligibilityScheduleRequests: required or not by the role's policy).
pub const DEFAULT_JUSTIFICATION: &str =
    "Managed by entraform: declared in the directory repo (entraform apply of a reviewed plan)";

/// The request for one operation. `root` is the client's Graph version root
/// (`https://graph.microsoft.com/v1.0`, [`crate::graph::GraphClient::root`]),
/// the base of `@odata.id` references; `password` is the new user's initial
/// password for `CreateUser`. PIM schedules are requested without a
/// `startDateTime` (see [`for_op_at`]).
pub fn for_op(
    op: &Op,
    ids: &impl Ids,
    root: &str,
    password: Option<&SecretString>,
) -> Result<Request, RequestError> {
    for_op_at(op, ids, root, password, None)
}

/// [`for_op`], with `now` (a Graph date-time) as the `startDateTime` of the
/// PIM schedules it requests (the clock is the caller's; apply reads it once).
pub fn for_op_at(
    op: &Op,
    ids: &impl Ids,
    root: &str,
    password: Option<&SecretString>,
    now: Option<&str>,
) -> Result<Request, RequestError> {
    let mut r = match pim_request(op, ids, now)? {
        Some(r) => r,
        None => request_of(op, ids, root, password)?,
    };
    // Creates are sent once: after a 5xx they may have been committed, and
    // the executor looks before sending them again (`apply::unknown`).
    r.once = matches!(
        op,
        Op::CreateUser { .. }
            | Op::InviteGuest { .. }
            | Op::CreateGroup { .. }
            | Op::AssignRole { .. }
            | Op::RestoreUser { .. }
            | Op::AssignRoleSchedule { .. }
            | Op::UpdateRoleSchedule { .. }
            | Op::RemoveRoleSchedule { .. }
            | Op::RemoveAuthenticationMethod { .. }
    );
    Ok(r)
}

fn request_of(
    op: &Op,
    ids: &impl Ids,
    root: &str,
    password: Option<&SecretString>,
) -> Result<Request, RequestError> {
    let object = |kind: &str, id: &ObjectId| json!({ "@odata.id": format!("{root}/{kind}/{id}") });
    Ok(match op {
        Op::CreateUser {
            upn,
            attributes,
            enabled,
            ..
        } => {
            let password = password.ok_or_else(|| RequestError::NoPassword(upn.to_string()))?;
            let mut body = Map::new();
            body.insert("accountEnabled".into(), json!(enabled));
            body.insert("userPrincipalName".into(), json!(upn.as_str()));
            for (attr, v) in attributes {
                put(&mut body, *attr, value(v));
            }
            body.insert(
                "passwordProfile".into(),
                json!({ "forceChangePasswordNextSignIn": true, "password": password.expose_secret() }),
            );
            request(Method::POST, "/users".into(), Some(Value::Object(body)))
        }
        // invitation-post: the address and redirect URL are required;
        // sendInvitationMessage is always sent (Graph's default is false);
        // the message goes in invitedUserMessageInfo.customizedMessageBody.
        // Never resetRedemption (that needs User.ReadWrite.All).
        Op::InviteGuest {
            invite,
            display_name,
            ..
        } => {
            let mut body = Map::new();
            body.insert("invitedUserEmailAddress".into(), json!(invite.email));
            body.insert("inviteRedirectUrl".into(), json!(invite.redirect_url));
            body.insert("sendInvitationMessage".into(), json!(invite.send_email));
            if let Some(d) = display_name {
                body.insert("invitedUserDisplayName".into(), json!(d));
            }
            if let Some(m) = &invite.message {
                body.insert(
                    "invitedUserMessageInfo".into(),
                    json!({ "customizedMessageBody": m }),
                );
            }
            request(
                Method::POST,
                "/invitations".into(),
                Some(Value::Object(body)),
            )
        }
        Op::RenameUser { user, new_upn } => request(
            Method::PATCH,
            format!("/users/{}", user_id(ids, user)?),
            Some(json!({ "userPrincipalName": new_upn.as_str() })),
        ),
        // user-assignlicense: both collections always present (removeLicenses is required).
        Op::AssignLicenses { user, add, remove } => request(
            Method::POST,
            format!("/users/{}/assignLicense", user_id(ids, user)?),
            Some(json!({
                "addLicenses": add.iter().map(|c| json!({
                    "disabledPlans": c.disabled_plans.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
                    "skuId": c.sku_id,
                })).collect::<Vec<_>>(),
                "removeLicenses": remove.iter().map(|c| c.sku_id.as_str()).collect::<Vec<_>>(),
            })),
        ),
        Op::RestoreUser { user } => request(
            Method::POST,
            format!("/directory/deletedItems/{}/restore", user_id(ids, user)?),
            None,
        ),
        // device-update: the device object's id; idempotent (sent again after an unknown outcome).
        Op::DisableDevice { device, .. } => request(
            Method::PATCH,
            format!("/devices/{}", enc(&device.id.0)),
            Some(json!({ "accountEnabled": false })),
        ),
        // Each type has its own DELETE path (phoneauthenticationmethod-delete, …).
        Op::RemoveAuthenticationMethod { user, method } => request(
            Method::DELETE,
            format!(
                "/users/{}/authentication/{}/{}",
                user_id(ids, user)?,
                method.kind.segment(),
                // Ids come from Graph, but a `/` or `?` in one must not change the path.
                enc(&method.id)
            ),
            None,
        ),
        Op::UpdateUser {
            user,
            changes,
            keep,
        } => {
            let mut body = Map::new();
            for c in changes {
                put(
                    &mut body,
                    c.attr,
                    c.new.as_ref().map_or_else(|| cleared(c.attr), value),
                );
            }
            whole_objects(&mut body, keep);
            request(
                Method::PATCH,
                format!("/users/{}", user_id(ids, user)?),
                Some(Value::Object(body)),
            )
        }
        Op::EnableUser { user } => request(
            Method::PATCH,
            format!("/users/{}", user_id(ids, user)?),
            Some(json!({ "accountEnabled": true })),
        ),
        Op::DisableUser { user } => request(
            Method::PATCH,
            format!("/users/{}", user_id(ids, user)?),
            Some(json!({ "accountEnabled": false })),
        ),
        Op::RevokeSessions { user } => request(
            Method::POST,
            format!("/users/{}/revokeSignInSessions", user_id(ids, user)?),
            None,
        ),
        // authentication-post-temporaryaccesspassmethods: 201 with the pass.
        Op::CreateTemporaryAccessPass {
            user,
            lifetime_minutes,
            one_time,
        } => request(
            Method::POST,
            format!(
                "/users/{}/authentication/temporaryAccessPassMethods",
                user_id(ids, user)?
            ),
            Some(json!({ "lifetimeInMinutes": lifetime_minutes, "isUsableOnce": one_time })),
        ),
        // A random password nobody keeps (the leaver policy's `reset_password`):
        // the caller generates it for this request only and never records it.
        Op::ResetPassword { user, .. } => {
            let password =
                password.ok_or_else(|| RequestError::NoPassword(user.upn.to_string()))?;
            request(
                Method::PATCH,
                format!("/users/{}", user_id(ids, user)?),
                Some(json!({ "passwordProfile": {
                    "forceChangePasswordNextSignIn": true,
                    "password": password.expose_secret()
                } })),
            )
        }
        Op::DeleteUser { user } => request(
            Method::DELETE,
            format!("/users/{}", user_id(ids, user)?),
            None,
        ),
        Op::SetManager { user, manager, .. } => request(
            Method::PUT,
            format!("/users/{}/manager/$ref", user_id(ids, user)?),
            Some(object("users", &user_id(ids, manager)?)),
        ),
        Op::RemoveManager { user, .. } => request(
            Method::DELETE,
            format!("/users/{}/manager/$ref", user_id(ids, user)?),
            None,
        ),
        Op::CreateGroup {
            name,
            mail_nickname,
            description,
            kind,
            owners,
        } => {
            let mut body = json!({
                "displayName": name,
                "mailNickname": mail_nickname,
                "mailEnabled": *kind == GroupKind::Microsoft365,
                "securityEnabled": *kind == GroupKind::Security,
            });
            if *kind == GroupKind::Microsoft365 {
                body["groupTypes"] = json!(["Unified"]);
            }
            if let Some(d) = description {
                body["description"] = json!(d);
            }
            // Never ownerless: a group created app-only without owners has
            // none (group-post-groups), and Graph binds them in the create call.
            if !owners.is_empty() {
                let refs = owners
                    .iter()
                    .map(|o| owner_url(ids, root, o))
                    .collect::<Result<Vec<_>, _>>()?;
                body["owners@odata.bind"] = json!(refs);
            }
            request(Method::POST, "/groups".into(), Some(body))
        }
        Op::UpdateGroup {
            group,
            new_description,
            ..
        } => request(
            Method::PATCH,
            format!("/groups/{}", group_id(ids, group)?),
            Some(json!({ "description": new_description })),
        ),
        Op::AddMember { group, member } => request(
            Method::POST,
            format!("/groups/{}/members/$ref", group_id(ids, group)?),
            Some(object("directoryObjects", &user_id(ids, member)?)),
        ),
        Op::RemoveMember { group, member } => request(
            Method::DELETE,
            format!(
                "/groups/{}/members/{}/$ref",
                group_id(ids, group)?,
                member.id
            ),
            None,
        ),
        Op::AddOwner { group, owner } => request(
            Method::POST,
            format!("/groups/{}/owners/$ref", group_id(ids, group)?),
            Some(json!({ "@odata.id": owner_url(ids, root, owner)? })),
        ),
        Op::RemoveOwner { group, owner } => request(
            Method::DELETE,
            format!("/groups/{}/owners/{}/$ref", group_id(ids, group)?, owner.id),
            None,
        ),
        Op::AssignRole { role, principal } => request(
            Method::POST,
            "/roleManagement/directory/roleAssignments".into(),
            Some(json!({
                "@odata.type": "#microsoft.graph.unifiedRoleAssignment",
                "roleDefinitionId": role.definition_id,
                "principalId": user_id(ids, principal)?,
                "directoryScopeId": "/",
            })),
        ),
        Op::RemoveRole { assignment_id, .. } => request(
            Method::DELETE,
            format!("/roleManagement/directory/roleAssignments/{assignment_id}"),
            None,
        ),
        Op::AssignRoleSchedule { .. }
        | Op::UpdateRoleSchedule { .. }
        | Op::RemoveRoleSchedule { .. } => {
            // Built by `pim_request`; reaching here is a bug, reported as an unresolved step.
            return Err(RequestError::Unresolved(op.object_key()));
        }
    })
}

/// The PIM schedule request of an eligibility or time-bound/scoped active
/// assignment change (`None` for every other operation):
/// `POST /roleManagement/directory/roleEligibilityScheduleRequests` or
/// `…/roleAssignmentScheduleRequests` with `adminAssign`, `adminUpdate` or
/// `adminRemove`, as rbacapplication-post-roleeligibilityschedulerequests.md
/// and rbacapplication-post-roleassignmentschedulerequests.md show them
/// (tests/graph-examples/pim-create-*.json, pim-remove-eligibility-request.json).
/// A removal carries no `scheduleInfo` ("optional for adminRemove").
fn pim_request(
    op: &Op,
    ids: &impl Ids,
    now: Option<&str>,
) -> Result<Option<Request>, RequestError> {
    use crate::plan::op::Holding;
    let url = |h: &Holding| match h {
        Holding::Eligible => "/roleManagement/directory/roleEligibilityScheduleRequests",
        Holding::Active => "/roleManagement/directory/roleAssignmentScheduleRequests",
    };
    let schedule = |until: &Option<String>| {
        let mut s = match until {
            Some(d) => json!({
                "expiration": {
                    "type": "afterDateTime",
                    "endDateTime": crate::model::date::end_of_day(d),
                },
            }),
            None => json!({ "expiration": { "type": "noExpiration" } }),
        };
        if let Some(now) = now {
            s["startDateTime"] = json!(now);
        }
        s
    };
    let body = |action: &str,
                principal: &ObjectId,
                role: &crate::plan::op::RoleRef,
                scope: &crate::plan::op::RoleScope,
                justification: Option<&str>| {
        json!({
            "action": action,
            "principalId": principal,
            "roleDefinitionId": role.definition_id,
            "directoryScopeId": scope.directory_scope_id,
            "justification": justification.unwrap_or(DEFAULT_JUSTIFICATION),
        })
    };
    Ok(Some(match op {
        Op::AssignRoleSchedule {
            role,
            principal,
            holding,
            scope,
            until,
            justification,
        } => {
            let mut b = body(
                "adminAssign",
                &user_id(ids, principal)?,
                role,
                scope,
                justification.as_deref(),
            );
            b["scheduleInfo"] = schedule(until);
            request(Method::POST, url(holding).into(), Some(b))
        }
        Op::UpdateRoleSchedule {
            role,
            principal,
            holding,
            scope,
            until,
            justification,
            ..
        } => {
            let mut b = body(
                "adminUpdate",
                &principal.id,
                role,
                scope,
                justification.as_deref(),
            );
            b["scheduleInfo"] = schedule(until);
            request(Method::POST, url(holding).into(), Some(b))
        }
        Op::RemoveRoleSchedule {
            role,
            principal,
            holding,
            scope,
            ..
        } => request(
            Method::POST,
            url(holding).into(),
            Some(body("adminRemove", &principal.id, role, scope, None)),
        ),
        Op::CreateUser { .. }
        | Op::RestoreUser { .. }
        | Op::UpdateUser { .. }
        | Op::EnableUser { .. }
        | Op::DisableUser { .. }
        | Op::RevokeSessions { .. }
        | Op::ResetPassword { .. }
        | Op::CreateTemporaryAccessPass { .. }
        | Op::DeleteUser { .. }
        | Op::SetManager { .. }
        | Op::RemoveManager { .. }
        | Op::CreateGroup { .. }
        | Op::UpdateGroup { .. }
        | Op::AddMember { .. }
        | Op::RemoveMember { .. }
        | Op::AddOwner { .. }
        | Op::RemoveOwner { .. }
        | Op::AssignRole { .. }
        | Op::RemoveRole { .. }
        | Op::AssignLicenses { .. }
        | Op::InviteGuest { .. }
        | Op::RemoveAuthenticationMethod { .. }
        | Op::DisableDevice { .. }
        | Op::RenameUser { .. } => return Ok(None),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids from the refs themselves (objects that already exist).
    struct Known;
    impl Ids for Known {
        fn user(&self, r: &UserRef) -> Option<ObjectId> {
            r.id.clone()
        }
        fn group(&self, r: &GroupRef) -> Option<ObjectId> {
            r.id.clone()
        }
    }

    #[test]
    fn unresolved_references_are_errors_not_panics() {
        let op = Op::DeleteUser {
            user: UserRef {
                upn: crate::model::Upn::new_unchecked("new@contoso.com"),
                id: None,
            },
        };
        assert_eq!(
            for_op(&op, &Known, "https://graph.microsoft.com/v1.0", None),
            Err(RequestError::Unresolved("new@contoso.com".into()))
        );
    }

    /// The invitation is invitation-post's documented request (same URL,
    /// method and required properties, nothing else but documented optional
    /// ones), and `sendInvitationMessage` / the message are carried.
    #[test]
    fn an_invitation_is_the_documented_post() {
        let example: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/graph-examples/lifecycle-invitation-create.json"
        ))
        .expect("example");
        let doc = &example["request"]["body"];
        let invite = |message: Option<&str>, name: Option<&str>| Op::InviteGuest {
            upn: crate::model::Upn::new_unchecked("admin_fabrikam.com#EXT#@doc.onmicrosoft.com"),
            invite: crate::plan::op::GuestInvite {
                email: doc["invitedUserEmailAddress"]
                    .as_str()
                    .unwrap_or_default()
                    .into(),
                redirect_url: doc["inviteRedirectUrl"].as_str().unwrap_or_default().into(),
                message: message.map(str::to_string),
                send_email: false,
            },
            display_name: name.map(str::to_string),
        };
        let root = "https://graph.microsoft.com/v1.0";
        let r = for_op(&invite(None, None), &Known, root, None).expect("request");
        assert_eq!(r.method, Method::POST);
        assert_eq!(
            format!("{root}{}", r.url),
            example["request"]["url"].as_str().unwrap_or_default()
        );
        let mut want = doc.clone();
        want["sendInvitationMessage"] = json!(false);
        assert_eq!(r.body, Some(want));
        assert!(r.once, "a create: looked up, never re-sent blindly");
        let r = for_op(&invite(Some("Welcome"), Some("Ana")), &Known, root, None).expect("request");
        let body = r.body.unwrap_or_default();
        assert_eq!(
            body["invitedUserMessageInfo"],
            json!({"customizedMessageBody": "Welcome"})
        );
        assert_eq!(body["invitedUserDisplayName"], "Ana");
        assert!(body.get("resetRedemption").is_none());
    }

    /// A method delete goes to its type's own path (the documented examples:
    /// tests/graph-examples/lifecycle-delete-*method.json), sent once (an
    /// unknown outcome is looked up), with an odd id encoded, never spliced.
    #[test]
    fn a_method_delete_is_its_types_path_and_the_id_is_encoded() {
        use crate::model::auth_methods::{AuthMethodKind, AuthMethodRef};
        let op = |kind, id: &str| Op::RemoveAuthenticationMethod {
            user: UserRef {
                upn: crate::model::Upn::new_unchecked("a@contoso.com"),
                id: Some(ObjectId("u1".into())),
            },
            method: AuthMethodRef {
                kind,
                id: id.into(),
                phone_type: None,
            },
        };
        let root = "https://graph.microsoft.com/v1.0";
        let r = for_op(
            &op(
                AuthMethodKind::Phone,
                "3179e48a-750b-4051-897c-87b9720928f7",
            ),
            &Known,
            root,
            None,
        )
        .expect("request");
        assert_eq!(r.method, Method::DELETE);
        assert_eq!(
            r.url,
            "/users/u1/authentication/phoneMethods/3179e48a-750b-4051-897c-87b9720928f7"
        );
        assert!(r.once);
        let r = for_op(
            &op(AuthMethodKind::TemporaryAccessPass, "../x?y"),
            &Known,
            root,
            None,
        )
        .expect("request");
        assert_eq!(
            r.url,
            "/users/u1/authentication/temporaryAccessPassMethods/..%2Fx%3Fy"
        );
    }
}
