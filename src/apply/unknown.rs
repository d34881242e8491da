//! Writes whose outcome is unknown: Graph answered 500/502/503/504, or the
//! `$batch` carrying them failed or lost their answer, after a write it may
//! well have committed (a gateway timeout after the directory wrote).
//!
//! Such a step is *maybe applied*. Before a create is sent again, the
//! executor looks whether its object now exists ([`probe`], [`judge`]):
//! a user by UPN, a group by name and mail nickname, a role assignment by
//! principal and role, a restored user by id. Found: the step is done (and
//! a new user's password, recorded before the first send, is confirmed).
//! Not found: it is sent again. Other writes are idempotent (PATCH, PUT,
//! DELETE — a 404 after a delete counts as done) or say "already there" when
//! repeated (a member or owner added twice), so they are simply sent again.
//! A create repeated into a conflict after a maybe-applied attempt is looked
//! up the same way. Nothing is done twice; nothing that succeeded is
//! reported failed.

#![deny(clippy::wildcard_enum_match_arm)]

use crate::graph::Request;
use crate::graph::batch::{BATCH_POST_FAILED, ItemResult, OUTCOME_UNKNOWN};
use crate::graph::error::ApiError;
use crate::model::ObjectId;
use crate::plan::op::{Holding, Op, RoleRef, RoleScope};

use super::request::{Ids, enc};

/// Attempts of a maybe-applied step before it is reported failed.
pub const MAX_UNKNOWN_ROUNDS: u32 = 4;

/// Whether an error leaves the write's outcome unknown.
pub fn outcome_unknown(e: &ApiError) -> bool {
    e.code == OUTCOME_UNKNOWN
        || e.code == BATCH_POST_FAILED
        || matches!(e.status, 500 | 502 | 503 | 504)
}

/// Whether a refusal of a repeated create may mean "it is there already":
/// a duplicate UPN (`ObjectConflict`), a conflicting role assignment, a
/// deleted item already restored (404).
pub fn conflict_after_retry(op: &Op, e: &ApiError) -> bool {
    match op {
        Op::CreateUser { .. } | Op::AssignRole { .. } => {
            e.status == 400
                && (e.message.contains("already exists")
                    || e.message.contains("conflicting object"))
        }
        Op::RestoreUser { .. } => e.status == 404,
        // Graph answers a repeated invitation with the same guest (201), never
        // a conflict: no refusal means "invited already".
        Op::InviteGuest { .. } => false,
        // No refusal of these means "created already": group names may repeat,
        // and "already a member/owner" is judged by the executor.
        Op::UpdateUser { .. }
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
        | Op::RemoveRole { .. }
        | Op::AssignLicenses { .. }
        | Op::RemoveAuthenticationMethod { .. }
        | Op::DisableDevice { .. }
        | Op::RenameUser { .. } => false,
        // PIM answers a repeated adminAssign with 400 `RoleAssignmentExists`
        // (hashicorp/terraform-provider-azuread#1306): looked up like a create.
        Op::AssignRoleSchedule { .. } => {
            e.status == 400
                && (e.code == "RoleAssignmentExists" || e.message.contains("already exists"))
        }
        // A repeated adminRemove finds nothing (`RoleAssignmentDoesNotExist`);
        // a repeated adminUpdate is the same update again.
        Op::RemoveRoleSchedule { .. } => {
            e.status == 400
                && (e.code == "RoleAssignmentDoesNotExist" || e.message.contains("does not exist"))
        }
        Op::UpdateRoleSchedule { .. } => false,
    }
}

/// What a look-up found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The write is in effect (with the new object's id for a create).
    Done(Option<ObjectId>),
    /// It is not: send it again.
    Absent,
    /// The look-up itself failed.
    Unknown(String),
}

/// An OData string literal: quotes doubled.
fn literal(s: &str) -> String {
    s.replace('\'', "''")
}

/// The read that tells whether a maybe-applied step took effect; `None`
/// when the step is simply sent again (idempotent, or "already there" on repeat).
pub fn probe(op: &Op, ids: &impl Ids) -> Option<Request> {
    match op {
        // A maybe-sent invitation: is the guest there under the UPN Graph
        // derives from the address? (Looked up, never re-sent blindly.)
        Op::CreateUser { upn, .. } | Op::InviteGuest { upn, .. } => Some(Request::get(format!(
            "/users/{}?$select=id,userPrincipalName",
            enc(upn.as_str())
        ))),
        Op::RestoreUser { user } => ids
            .user(user)
            .map(|id| Request::get(format!("/users/{}?$select=id", enc(&id.0)))),
        Op::CreateGroup { name, .. } => Some(Request::get(format!(
            "/groups?$filter={}&$select=id,displayName,mailNickname",
            enc(&format!("displayName eq '{}'", literal(name)))
        ))),
        Op::AssignRole { principal, .. } => ids.user(principal).map(|id| {
            Request::get(format!(
                "/roleManagement/directory/roleAssignments?$filter={}",
                enc(&format!("principalId eq '{}'", literal(&id.0)))
            ))
        }),
        // The principal's holdings (both instance lists take `principalId eq`:
        // resources/unifiedroleassignmentscheduleinstance.md,
        // unifiedroleeligibilityscheduleinstance.md).
        Op::AssignRoleSchedule {
            principal, holding, ..
        } => ids
            .user(principal)
            .map(|id| Request::get(holdings_url(*holding, &id))),
        Op::UpdateRoleSchedule {
            principal, holding, ..
        }
        | Op::RemoveRoleSchedule {
            principal, holding, ..
        } => Some(Request::get(holdings_url(*holding, &principal.id))),
        // A method delete with an unknown outcome: re-list the user's methods
        // (authentication-list-methods) rather than send the DELETE blindly.
        Op::RemoveAuthenticationMethod { user, .. } => ids
            .user(user)
            .map(|id| Request::get(format!("/users/{}/authentication/methods", enc(&id.0)))),
        // Sent again without a look-up: idempotent writes (PATCH, PUT $ref,
        // revoke) and removals/adds whose repeat Graph answers "already so".
        Op::UpdateUser { .. }
        | Op::EnableUser { .. }
        | Op::DisableUser { .. }
        | Op::RevokeSessions { .. }
        | Op::ResetPassword { .. }
        | Op::CreateTemporaryAccessPass { .. }
        | Op::DeleteUser { .. }
        | Op::SetManager { .. }
        | Op::RemoveManager { .. }
        | Op::UpdateGroup { .. }
        | Op::AddMember { .. }
        | Op::RemoveMember { .. }
        | Op::AddOwner { .. }
        | Op::RemoveOwner { .. }
        | Op::RemoveRole { .. }
        | Op::AssignLicenses { .. }
        | Op::DisableDevice { .. }
        | Op::RenameUser { .. } => None,
    }
}

/// The instance list of a principal's eligibilities or active assignments.
fn holdings_url(holding: Holding, id: &ObjectId) -> String {
    let set = match holding {
        Holding::Eligible => "roleEligibilityScheduleInstances",
        Holding::Active => "roleAssignmentScheduleInstances",
    };
    format!(
        "/roleManagement/directory/{set}?$filter={}",
        enc(&format!("principalId eq '{}'", literal(&id.0)))
    )
}

/// The end date of the direct, assigned holding of `role` at `scope` in a
/// probe's answer: `None` when there is none, `Some(None)` when it has no end.
fn held_in(body: &serde_json::Value, role: &RoleRef, scope: &RoleScope) -> Option<Option<String>> {
    body["value"].as_array()?.iter().find_map(|a| {
        let matches = a["roleDefinitionId"]
            .as_str()
            .is_some_and(|r| r.eq_ignore_ascii_case(&role.definition_id))
            && a["directoryScopeId"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(&scope.directory_scope_id))
            && a["memberType"].as_str().is_none_or(|m| m == "Direct")
            && a["assignmentType"].as_str() != Some("Activated");
        matches.then(|| {
            a["endDateTime"]
                .as_str()
                .and_then(crate::model::date::date_of_datetime)
        })
    })
}

/// Read a [`probe`]'s answer.
pub fn judge(op: &Op, answer: ItemResult) -> Check {
    let resp = match answer {
        Ok(r) => r,
        Err(e) if e.status == 404 => return Check::Absent,
        Err(e) => return Check::Unknown(e.to_string()),
    };
    let body = resp.value().unwrap_or_default();
    let id = |v: &serde_json::Value| v["id"].as_str().map(|s| ObjectId(s.to_string()));
    match op {
        Op::CreateUser { .. } | Op::InviteGuest { .. } | Op::RestoreUser { .. } => {
            match id(&body) {
                Some(i) => Check::Done(Some(i)),
                None => Check::Unknown("the user look-up returned no id".into()),
            }
        }
        Op::CreateGroup {
            name,
            mail_nickname,
            ..
        } => {
            let found: Vec<&serde_json::Value> = body["value"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .filter(|g| {
                            g["displayName"]
                                .as_str()
                                .is_some_and(|n| n.eq_ignore_ascii_case(name))
                                && g["mailNickname"]
                                    .as_str()
                                    .is_none_or(|m| m.eq_ignore_ascii_case(mail_nickname))
                        })
                        .collect()
                })
                .unwrap_or_default();
            match found.as_slice() {
                [] => Check::Absent,
                [one] => Check::Done(id(one)),
                more => Check::Unknown(format!(
                    "{} groups named `{name}` exist now; check which one this run created",
                    more.len()
                )),
            }
        }
        Op::AssignRole { role, .. } => {
            let present = body["value"].as_array().is_some_and(|v| {
                v.iter().any(|a| {
                    a["roleDefinitionId"]
                        .as_str()
                        .is_some_and(|r| r.eq_ignore_ascii_case(&role.definition_id))
                        && a["directoryScopeId"].as_str().is_none_or(|s| s == "/")
                })
            });
            if present {
                Check::Done(None)
            } else {
                Check::Absent
            }
        }
        Op::AssignRoleSchedule { role, scope, .. } => match held_in(&body, role, scope) {
            Some(_) => Check::Done(None),
            None => Check::Absent,
        },
        Op::UpdateRoleSchedule {
            role, scope, until, ..
        } => match held_in(&body, role, scope) {
            Some(end) if &end == until => Check::Done(None),
            Some(_) => Check::Absent,
            None => Check::Unknown(format!("the {} of {} to update is gone", role.name, scope)),
        },
        Op::RemoveRoleSchedule { role, scope, .. } => match held_in(&body, role, scope) {
            Some(_) => Check::Absent,
            None => Check::Done(None),
        },
        // Still listed: not deleted, send it again; gone: done.
        Op::RemoveAuthenticationMethod { method, .. } => match body["value"].as_array() {
            Some(list) => {
                let listed = list.iter().any(|m| {
                    m["@odata.type"]
                        .as_str()
                        .is_some_and(|t| t.eq_ignore_ascii_case(method.kind.odata_type()))
                        && m["id"]
                            .as_str()
                            .is_some_and(|i| i.eq_ignore_ascii_case(&method.id))
                });
                if listed {
                    Check::Absent
                } else {
                    Check::Done(None)
                }
            }
            None => Check::Unknown("the methods look-up returned no list".into()),
        },
        // No look-up is made for these (see [`probe`]): send them again.
        Op::UpdateUser { .. }
        | Op::EnableUser { .. }
        | Op::DisableUser { .. }
        | Op::RevokeSessions { .. }
        | Op::ResetPassword { .. }
        | Op::CreateTemporaryAccessPass { .. }
        | Op::DeleteUser { .. }
        | Op::SetManager { .. }
        | Op::RemoveManager { .. }
        | Op::UpdateGroup { .. }
        | Op::AddMember { .. }
        | Op::RemoveMember { .. }
        | Op::AddOwner { .. }
        | Op::RemoveOwner { .. }
        | Op::RemoveRole { .. }
        | Op::AssignLicenses { .. }
        | Op::DisableDevice { .. }
        | Op::RenameUser { .. } => Check::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Body, Response};
    use crate::model::Upn;
    use crate::plan::op::{RoleRef, UserRef};

    struct Known;
    impl Ids for Known {
        fn user(&self, r: &UserRef) -> Option<ObjectId> {
            r.id.clone()
        }
        fn group(&self, r: &crate::plan::op::GroupRef) -> Option<ObjectId> {
            r.id.clone()
        }
    }

    fn ok(body: serde_json::Value) -> ItemResult {
        Ok(Response {
            status: 200,
            headers: Default::default(),
            body: Body::Json(Some(body)),
        })
    }

    #[test]
    fn probes_are_encoded_reads() {
        let op = Op::CreateGroup {
            name: "R&D team's".into(),
            mail_nickname: "rd".into(),
            description: None,
            kind: crate::model::kinds::GroupKind::Security,
            owners: Vec::new(),
        };
        let r = probe(&op, &Known).unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(
            r.url,
            "/groups?$filter=displayName%20eq%20%27R%26D%20team%27%27s%27&$select=id,displayName,mailNickname"
        );
        let user = Op::CreateUser {
            upn: Upn::new_unchecked("a#EXT#@contoso.com"),
            attributes: Default::default(),
            enabled: true,
            password: crate::model::kinds::PasswordPolicy::Generate,
        };
        assert_eq!(
            probe(&user, &Known).unwrap().url,
            "/users/a%23EXT%23@contoso.com?$select=id,userPrincipalName"
        );
        let patch = Op::EnableUser {
            user: UserRef {
                upn: Upn::new_unchecked("a@contoso.com"),
                id: Some(ObjectId("1".into())),
            },
        };
        assert!(probe(&patch, &Known).is_none());
    }

    /// A method delete with an unknown outcome is looked up by listing the
    /// user's methods: still listed, it is sent again; gone, it is done.
    #[test]
    fn a_method_delete_is_looked_up_in_the_users_list() {
        use crate::model::auth_methods::{AuthMethodKind, AuthMethodRef};
        let op = Op::RemoveAuthenticationMethod {
            user: UserRef {
                upn: Upn::new_unchecked("a@contoso.com"),
                id: Some(ObjectId("u1".into())),
            },
            method: AuthMethodRef {
                kind: AuthMethodKind::Fido2,
                id: "k1".into(),
                phone_type: None,
            },
        };
        let r = probe(&op, &Known).unwrap();
        assert_eq!(r.method, "GET");
        assert_eq!(r.url, "/users/u1/authentication/methods");
        let listed = serde_json::json!({"value": [
            {"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "p"},
            {"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "id": "K1"}
        ]});
        assert_eq!(judge(&op, ok(listed)), Check::Absent);
        // Another type with the same id is not it.
        let other = serde_json::json!({"value": [
            {"@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod", "id": "k1"}
        ]});
        assert_eq!(judge(&op, ok(other)), Check::Done(None));
        assert!(matches!(
            judge(&op, ok(serde_json::json!({}))),
            Check::Unknown(_)
        ));
    }

    #[test]
    fn answers_say_done_absent_or_unknown() {
        let role = Op::AssignRole {
            role: RoleRef {
                name: "User Administrator".into(),
                definition_id: "fe930be7-5e62-47db-91af-98c3a49a38b1".into(),
            },
            principal: UserRef {
                upn: Upn::new_unchecked("a@contoso.com"),
                id: Some(ObjectId("1".into())),
            },
        };
        let present = serde_json::json!({"value": [{"roleDefinitionId": "FE930BE7-5E62-47DB-91AF-98C3A49A38B1", "directoryScopeId": "/"}]});
        assert_eq!(judge(&role, ok(present)), Check::Done(None));
        assert_eq!(
            judge(&role, ok(serde_json::json!({"value": []}))),
            Check::Absent
        );
        let missing = ApiError::from_value("GET", "/users/x", 404, None, None);
        assert_eq!(judge(&role, Err(Box::new(missing))), Check::Absent);
        let refused = ApiError::from_value("GET", "/users/x", 403, None, None);
        assert!(matches!(
            judge(&role, Err(Box::new(refused))),
            Check::Unknown(_)
        ));
    }
}
