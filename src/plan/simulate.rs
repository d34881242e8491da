//! A pure model of what the tenant looks like after a plan's steps run.
//!
//! Used by property tests (a plan applied to its own live snapshot must leave
//! nothing to do) and by previews; it mirrors Graph's effects closely enough
//! for entraform's own properties, not every side effect Entra has.

use super::Step;
use super::op::{Holding, Op, RoleScope};
use crate::model::ObjectId;
use crate::model::attrs::{Attr, AttrValue};
use crate::model::date::end_of_day;
use crate::model::live::{
    Live, LiveGroup, LiveParts, LiveRoleAssignment, LiveRoleSchedule, LiveUser, Member, ObjectKind,
};

/// Is `s` the principal's direct, assigned holding of the role at the scope?
fn same_holding(
    s: &LiveRoleSchedule,
    principal: &ObjectId,
    role: &str,
    holding: Holding,
    scope: &RoleScope,
) -> bool {
    s.holding == holding
        && !s.activated
        && !s.inherited
        && &s.principal_id == principal
        && s.role_definition_id.eq_ignore_ascii_case(role)
        && s.directory_scope_id
            .eq_ignore_ascii_case(&scope.directory_scope_id)
}

/// Apply `steps` (in order) to a copy of `live` and return the resulting snapshot.
pub fn apply(live: &Live, steps: &[Step]) -> Live {
    let mut p: LiveParts = live.parts().clone();
    let user_id = |p: &LiveParts, upn: &crate::model::Upn| {
        p.users.iter().find(|u| u.upn == *upn).map(|u| u.id.clone())
    };
    let group_idx = |p: &LiveParts, name: &str, id: &Option<ObjectId>| {
        p.groups.iter().position(|g| {
            id.as_ref().map_or_else(
                || g.display_name.eq_ignore_ascii_case(name),
                |id| &g.id == id,
            )
        })
    };
    let mut serial = 0u64;
    let mut licenses = live.licenses().cloned();
    let mut auth_methods = live.auth_methods().cloned();
    let mut devices = live.devices().cloned();
    for step in steps {
        match &step.op {
            Op::CreateUser {
                upn,
                attributes,
                enabled,
                ..
            } => {
                let mut u = LiveUser::new(ObjectId(format!("new-user-{}", upn.key())), upn.clone());
                for (a, v) in attributes {
                    u.set(*a, Some(v.clone()));
                }
                u.account_enabled = *enabled;
                p.users.push(u);
            }
            // Graph makes an enabled guest (userType Guest) under the
            // derived `#EXT#` UPN (invitation-post).
            Op::InviteGuest {
                upn, display_name, ..
            } => {
                let mut u = LiveUser::new(ObjectId(format!("new-user-{}", upn.key())), upn.clone());
                u.set(Attr::UserType, Some(AttrValue::Text("Guest".into())));
                if let Some(d) = display_name {
                    u.set(Attr::DisplayName, Some(AttrValue::Text(d.clone())));
                }
                u.account_enabled = true;
                p.users.push(u);
            }
            Op::RestoreUser { user } => {
                if let Some(pos) = p
                    .deleted_users
                    .iter()
                    .position(|d| Some(&d.id) == user.id.as_ref())
                {
                    let d = p.deleted_users.remove(pos);
                    let mut u = LiveUser::new(d.id, d.original_upn);
                    u.set(Attr::DisplayName, d.display_name.map(AttrValue::Text));
                    p.users.push(u);
                }
            }
            Op::UpdateUser { user, changes, .. } => {
                if let Some(u) = p.users.iter_mut().find(|u| u.upn == user.upn) {
                    for ch in changes {
                        u.set(ch.attr, ch.new.clone());
                    }
                }
            }
            Op::EnableUser { user } | Op::DisableUser { user } => {
                let on = matches!(step.op, Op::EnableUser { .. });
                if let Some(u) = p.users.iter_mut().find(|u| u.upn == user.upn) {
                    u.account_enabled = on;
                }
            }
            Op::RevokeSessions { .. }
            | Op::ResetPassword { .. }
            | Op::CreateTemporaryAccessPass { .. } => {}
            Op::DisableDevice { device, .. } => {
                if let Some(crate::model::devices::LiveDevices::Read(list)) = devices.as_mut() {
                    for d in list.iter_mut().filter(|d| d.device.id == device.id) {
                        d.account_enabled = false;
                    }
                }
            }
            Op::RemoveAuthenticationMethod { user, method } => {
                if let (Some(crate::model::auth_methods::LiveAuthMethods::Read(m)), Some(id)) =
                    (auth_methods.as_mut(), user.id.as_ref())
                    && let Some(list) = m.get_mut(id)
                {
                    list.retain(|x| x != method);
                }
            }
            Op::DeleteUser { user } => {
                if let Some(pos) = p.users.iter().position(|u| u.upn == user.upn) {
                    let u = p.users.remove(pos);
                    for g in &mut p.groups {
                        g.members.retain(|m| m.id != u.id);
                    }
                    p.role_assignments.retain(|a| a.principal_id != u.id);
                    p.deleted_users.push(crate::model::live::DeletedUser::new(
                        u.id,
                        u.upn.as_str().to_string(),
                        u.attrs.text(Attr::DisplayName).map(str::to_string),
                        None,
                    ));
                }
            }
            Op::SetManager { user, manager, .. } => {
                let mid = user_id(&p, &manager.upn);
                if let Some(u) = p.users.iter_mut().find(|u| u.upn == user.upn) {
                    u.manager = mid;
                }
            }
            Op::RemoveManager { user, .. } => {
                if let Some(u) = p.users.iter_mut().find(|u| u.upn == user.upn) {
                    u.manager = None;
                }
            }
            Op::CreateGroup {
                name,
                mail_nickname,
                description,
                kind,
                owners,
            } => p.groups.push(LiveGroup {
                owners: owners
                    .iter()
                    .filter_map(|o| match o {
                        crate::plan::OwnerRef::User { upn, .. } => {
                            user_id(&p, upn).map(|id| Member {
                                id,
                                kind: ObjectKind::User,
                            })
                        }
                        crate::plan::OwnerRef::ServicePrincipal { id } => Some(Member {
                            id: id.clone(),
                            kind: ObjectKind::ServicePrincipal,
                        }),
                    })
                    .collect(),
                id: ObjectId(format!("new-group-{}", name.to_lowercase())),
                display_name: name.clone(),
                mail_nickname: Some(mail_nickname.clone()),
                description: description.clone(),
                security_enabled: true,
                mail_enabled: *kind == crate::model::kinds::GroupKind::Microsoft365,
                group_types: if *kind == crate::model::kinds::GroupKind::Microsoft365 {
                    vec!["Unified".into()]
                } else {
                    Vec::new()
                },
                membership_rule: None,
                on_premises_sync_enabled: false,
                members: Vec::new(),
            }),
            Op::UpdateGroup {
                group,
                new_description,
                ..
            } => {
                if let Some(i) = group_idx(&p, &group.name, &group.id) {
                    p.groups[i].description = new_description.clone();
                }
            }
            Op::AddMember { group, member } => {
                let mid = user_id(&p, &member.upn);
                if let (Some(i), Some(id)) = (group_idx(&p, &group.name, &group.id), mid)
                    && !p.groups[i].members.iter().any(|m| m.id == id)
                {
                    p.groups[i].members.push(Member {
                        id,
                        kind: ObjectKind::User,
                    });
                }
            }
            Op::RemoveMember { group, member } => {
                if let Some(i) = group_idx(&p, &group.name, &group.id) {
                    p.groups[i].members.retain(|m| m.id != member.id);
                }
            }
            Op::AddOwner { group, owner } => {
                let added = match owner {
                    crate::plan::OwnerRef::User { upn, .. } => user_id(&p, upn).map(|id| Member {
                        id,
                        kind: ObjectKind::User,
                    }),
                    crate::plan::OwnerRef::ServicePrincipal { id } => Some(Member {
                        id: id.clone(),
                        kind: ObjectKind::ServicePrincipal,
                    }),
                };
                if let (Some(i), Some(m)) = (group_idx(&p, &group.name, &group.id), added)
                    && !p.groups[i].owners.iter().any(|o| o.id == m.id)
                {
                    p.groups[i].owners.push(m);
                }
            }
            Op::RemoveOwner { group, owner } => {
                if let Some(i) = group_idx(&p, &group.name, &group.id) {
                    p.groups[i].owners.retain(|o| o.id != owner.id);
                }
            }
            Op::AssignRole { role, principal } => {
                if let Some(id) = user_id(&p, &principal.upn) {
                    serial += 1;
                    p.role_assignments.push(LiveRoleAssignment {
                        id: format!("new-assignment-{serial}"),
                        principal_id: id,
                        role_definition_id: role.definition_id.clone(),
                        directory_scope_id: "/".into(),
                    });
                }
            }
            Op::RemoveRole { assignment_id, .. } => {
                p.role_assignments.retain(|a| &a.id != assignment_id);
                p.role_schedules
                    .retain(|s| s.assignment_id.as_ref() != Some(assignment_id));
            }
            // PIM: an active holding is also a role assignment (the tenant-scope
            // list the diff reads), as Graph lists it.
            Op::AssignRoleSchedule {
                role,
                principal,
                holding,
                scope,
                until,
                ..
            } => {
                if let Some(id) = user_id(&p, &principal.upn) {
                    serial += 1;
                    let assignment_id =
                        (*holding == Holding::Active).then(|| format!("new-assignment-{serial}"));
                    if let Some(a) = &assignment_id
                        && scope.is_tenant()
                    {
                        p.role_assignments.push(LiveRoleAssignment {
                            id: a.clone(),
                            principal_id: id.clone(),
                            role_definition_id: role.definition_id.clone(),
                            directory_scope_id: "/".into(),
                        });
                    }
                    p.role_schedules.push(LiveRoleSchedule {
                        holding: *holding,
                        id: format!("new-schedule-{serial}"),
                        principal_id: id,
                        role_definition_id: role.definition_id.clone(),
                        directory_scope_id: scope.directory_scope_id.clone(),
                        end: until.as_deref().map(end_of_day),
                        activated: false,
                        inherited: false,
                        assignment_id,
                    });
                }
            }
            Op::UpdateRoleSchedule {
                role,
                principal,
                holding,
                scope,
                until,
                ..
            } => {
                for s in p.role_schedules.iter_mut().filter(|s| {
                    same_holding(s, &principal.id, &role.definition_id, *holding, scope)
                }) {
                    s.end = until.as_deref().map(end_of_day);
                }
            }
            Op::RemoveRoleSchedule {
                role,
                principal,
                holding,
                scope,
                ..
            } => {
                let gone: Vec<Option<String>> = p
                    .role_schedules
                    .iter()
                    .filter(|s| {
                        same_holding(s, &principal.id, &role.definition_id, *holding, scope)
                    })
                    .map(|s| s.assignment_id.clone())
                    .collect();
                p.role_schedules.retain(|s| {
                    !same_holding(s, &principal.id, &role.definition_id, *holding, scope)
                });
                p.role_assignments
                    .retain(|a| !gone.contains(&Some(a.id.clone())));
            }
            Op::RenameUser { user, new_upn } => {
                if let Some(u) = p.users.iter_mut().find(|u| Some(&u.id) == user.id.as_ref()) {
                    u.upn = new_upn.clone();
                }
            }
            Op::AssignLicenses { user, add, remove } => {
                if let (Some(l), Some(id)) = (licenses.as_mut(), user_id(&p, &user.upn)) {
                    let held = l.by_user.entry(id).or_default();
                    held.retain(|h| {
                        h.by_group.is_some()
                            || !remove
                                .iter()
                                .chain(add)
                                .any(|c| c.sku_id.eq_ignore_ascii_case(&h.sku_id))
                    });
                    held.extend(add.iter().map(|c| crate::model::licenses::HeldLicense {
                        sku_id: c.sku_id.clone(),
                        disabled_plans: c.disabled_plans.iter().map(|p| p.id.clone()).collect(),
                        by_group: None,
                    }));
                }
            }
        }
    }
    let out = Live::from_parts(p);
    let out = match licenses {
        Some(l) => out.with_licenses(l),
        None => out,
    };
    let out = match auth_methods {
        Some(m) => out.with_auth_methods(m),
        None => out,
    };
    match devices {
        Some(d) => out.with_devices(d),
        None => out,
    }
}
