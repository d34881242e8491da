//! Roles as PIM holds them (pure): eligibilities, time-bound active
//! assignments and administrative-unit scope, compared with the live
//! eligibility and assignment schedule instances.
//!
//! Rules (docs/format.md, *Roles*; docs/decisions.md, *PIM*):
//! - a declared holding missing live is assigned (`adminAssign`); one whose
//!   end date differs is updated (`adminUpdate`);
//! - a live eligibility, time-bound or unit-scoped assignment that is not
//!   declared is removed (`adminRemove`) only where the role is authoritative
//!   (declared under `roles:` for that scope), as plain assignments are;
//! - an activation (`assignmentType: Activated`) is never drift and never
//!   removed; a holding through a role-assignable group (`memberType` not
//!   `Direct`) is shown (`role-kept`), never touched;
//! - a declared eligibility only ever produces eligibility operations: it is
//!   never turned into an active assignment.

use std::collections::{HashMap, HashSet};

use super::Ctx;
use super::suggest;
use crate::desired::state::{HoldingSpec, RoleSpec};
use crate::model::ObjectId;
use crate::model::live::LiveRoleSchedule;
use crate::plan::op::{ErrorCode, Holding, NoticeCode, Op, PlanError, RoleRef, RoleScope};

/// Where a holding is: (principal, holding, directoryScopeId lower-cased).
type Key = (ObjectId, Holding, String);

/// The role's scope for an administrative unit name, or a plan error.
fn resolve_scope(c: &mut Ctx<'_>, unit: Option<&str>, h: &HoldingSpec) -> Option<RoleScope> {
    let Some(name) = unit else {
        return Some(RoleScope::tenant());
    };
    match c.live.admin_unit_named(name) {
        Ok(u) => Some(RoleScope {
            directory_scope_id: format!("/administrativeUnits/{}", u.id),
            unit: Some(u.display_name.clone()),
        }),
        Err(n) => {
            let message = if n > 1 {
                format!(
                    "{n} administrative units are named `{name}`; rename one so that `scope: au:{name}` names exactly one"
                )
            } else if let Some(why) = c.live.restricted_unknown_reason() {
                format!("administrative unit `{name}` could not be looked up: {why}")
            } else {
                let hint = c.suggest.name(
                    name,
                    c.live.admin_units().iter().map(|u| u.display_name.as_str()),
                );
                suggest::with_hint(
                    format!(
                        "administrative unit `{name}` does not exist in the tenant; create it first or fix the name in `scope: au:{name}`"
                    ),
                    hint,
                )
            };
            c.out.errors.push(PlanError {
                code: ErrorCode::UnknownAdminUnit,
                message,
                origin: Some(h.origin.clone()),
            });
            None
        }
    }
}

/// Direct holdings of a role by (principal, holding, scope): assigned ones
/// (eligibilities, and active assignments that are not activations), and
/// the activations apart.
struct LiveHoldings<'a> {
    assigned: HashMap<Key, &'a LiveRoleSchedule>,
    activated: HashSet<(ObjectId, String)>,
    inherited: Vec<&'a LiveRoleSchedule>,
}

fn index<'a>(schedules: &[&'a LiveRoleSchedule]) -> LiveHoldings<'a> {
    let mut out = LiveHoldings {
        assigned: HashMap::new(),
        activated: HashSet::new(),
        inherited: Vec::new(),
    };
    for s in schedules {
        let scope = s.directory_scope_id.to_ascii_lowercase();
        if s.inherited {
            out.inherited.push(s);
        } else if s.activated {
            out.activated.insert((s.principal_id.clone(), scope));
        } else {
            out.assigned
                .entry((s.principal_id.clone(), s.holding, scope))
                .or_insert(s);
        }
    }
    out
}

/// A declared permanent, tenant-scope principal whose live active holding of
/// the role is PIM-managed (time-bound, or only an activation): make it
/// permanent the PIM way. Returns whether it did (the plain `AssignRole` of
/// [`super::role_ops`] is then not planned).
pub(super) fn permanent(c: &mut Ctx<'_>, role: &RoleRef, id: &ObjectId) -> bool {
    let schedules = c.live.schedules_of(id);
    let mine: Vec<&LiveRoleSchedule> = schedules
        .into_iter()
        .filter(|s| {
            s.holding == Holding::Active
                && !s.inherited
                && s.directory_scope_id == "/"
                && s.role_definition_id
                    .eq_ignore_ascii_case(&role.definition_id)
        })
        .collect();
    if let Some(s) = mine.iter().find(|s| !s.activated) {
        if s.end.is_some() {
            c.out.ops.push(Op::UpdateRoleSchedule {
                role: role.clone(),
                principal: c.principal(id),
                holding: Holding::Active,
                scope: RoleScope::tenant(),
                old_until: s.until(),
                until: None,
                justification: None,
            });
        }
        return true;
    }
    if mine.iter().any(|s| s.activated) {
        let Some(u) = c.live.user(id) else {
            return false;
        };
        c.out.ops.push(Op::AssignRoleSchedule {
            role: role.clone(),
            principal: crate::plan::op::UserRef {
                upn: u.upn.clone(),
                id: Some(id.clone()),
            },
            holding: Holding::Active,
            scope: RoleScope::tenant(),
            until: None,
            justification: None,
        });
        return true;
    }
    false
}

/// The PIM operations and notices of one declared or referenced role.
pub(super) fn role_ops(c: &mut Ctx<'_>, spec: &RoleSpec, role: &RoleRef) {
    let object = format!("role:{}", role.name);
    if let Some(why) = c.live.pim_unknown_reason() {
        if let Some(h) = spec.holdings.first() {
            c.out.errors.push(PlanError {
                code: ErrorCode::PimUnavailable,
                message: format!(
                    "{} declares eligible or time-bound holdings, but PIM could not be read: {why}",
                    role.name
                ),
                origin: Some(h.origin.clone()),
            });
        }
        return;
    }
    let schedules = c.live.schedules_of_role(&role.definition_id);
    let live = index(&schedules);

    // Declared holdings.
    let mut wanted: HashSet<Key> = HashSet::new();
    for h in &spec.holdings {
        let Some(scope) = resolve_scope(c, h.scope.as_deref(), h) else {
            continue;
        };
        if let (Some(until), Some(today)) = (&h.until, c.live.today())
            && until.as_str() < today
        {
            c.out.errors.push(PlanError {
                code: ErrorCode::UntilInPast,
                message: format!(
                    "`until: {until}` of {} for `{}` is in the past (today is {today}); remove the entry, or give a later date",
                    role.name, h.upn
                ),
                origin: Some(h.origin.clone()),
            });
            continue;
        }
        let Some(found) = c.find(&h.upn, Some(&h.origin), "principal") else {
            continue;
        };
        let scope_key = scope.directory_scope_id.to_ascii_lowercase();
        if let Some(id) = found.id() {
            wanted.insert((id.clone(), h.holding, scope_key.clone()));
            if let Some(s) = live.assigned.get(&(id.clone(), h.holding, scope_key)) {
                let have = s.until();
                if have != h.until {
                    c.out.ops.push(Op::UpdateRoleSchedule {
                        role: role.clone(),
                        principal: c.principal(id),
                        holding: h.holding,
                        scope,
                        old_until: have,
                        until: h.until.clone(),
                        justification: h.justification.clone(),
                    });
                }
                continue;
            }
        }
        if c.excluded(&h.upn) {
            c.refuse_excluded(&h.upn, &h.origin, &format!("role `{}`", role.name));
            continue;
        }
        c.out.ops.push(Op::AssignRoleSchedule {
            role: role.clone(),
            principal: found.to_ref(),
            holding: h.holding,
            scope,
            until: h.until.clone(),
            justification: h.justification.clone(),
        });
    }
    // Permanent tenant-scope principals are active holdings too.
    for (upn, _) in &spec.principals {
        if let Some(id) = c
            .declared
            .get(upn)
            .and_then(|r| r.id.clone())
            .or_else(|| c.live.user_of(upn).map(|u| u.id.clone()))
        {
            wanted.insert((id, Holding::Active, "/".to_string()));
        }
    }

    // Undeclared holdings, where the role is authoritative.
    let mut authoritative: HashSet<String> = HashSet::new();
    if spec.authoritative {
        authoritative.insert("/".to_string());
    }
    for unit in &spec.au_scopes {
        if let Ok(u) = c.live.admin_unit_named(unit) {
            authoritative.insert(format!(
                "/administrativeunits/{}",
                u.id.to_ascii_lowercase()
            ));
        }
    }
    let mut assigned: Vec<(&Key, &&LiveRoleSchedule)> = live.assigned.iter().collect();
    assigned.sort_by(|a, b| a.1.id.cmp(&b.1.id));
    for ((id, holding, scope), s) in assigned {
        if !authoritative.contains(scope) || wanted.contains(&(id.clone(), *holding, scope.clone()))
        {
            continue;
        }
        // Plain permanent tenant-scope assignments are `role_ops`' (DELETE).
        if *holding == Holding::Active && !s.pim_managed() {
            continue;
        }
        let Some(u) = c.live.user(id) else {
            continue; // non-user principals: counted by `role_ops`
        };
        if c.excluded(&u.upn) {
            c.notice(
                NoticeCode::ExcludedUser,
                object.clone(),
                format!(
                    "`{}` is {} for {} but is in `scope.exclude`: entraform never touches it, so it keeps the role",
                    u.upn,
                    holding.as_str(),
                    role.name
                ),
            );
            continue;
        }
        let scope = scope_of(c, &s.directory_scope_id);
        c.out.ops.push(Op::RemoveRoleSchedule {
            role: role.clone(),
            principal: c.principal(id),
            holding: *holding,
            scope,
            until: s.until(),
        });
    }

    // Activations of undeclared eligibilities stay until they end; say so.
    let mut activated: Vec<&(ObjectId, String)> = live.activated.iter().collect();
    activated.sort();
    for (id, scope) in activated {
        let declared = wanted.contains(&(id.clone(), Holding::Eligible, scope.clone()))
            || wanted.contains(&(id.clone(), Holding::Active, scope.clone()));
        if declared || !authoritative.contains(scope) {
            continue;
        }
        if let Some(u) = c.live.user(id) {
            let upn = u.upn.clone();
            c.notice(
                NoticeCode::RoleKept,
                object.clone(),
                format!(
                    "`{upn}` has activated {} (not declared): entraform never removes an activation; it ends when its time is up",
                    role.name
                ),
            );
        }
    }
    // Holdings through a role-assignable group: shown, never touched.
    let mut shown: HashSet<(ObjectId, Holding)> = HashSet::new();
    let mut inherited = live.inherited.clone();
    inherited.sort_by(|a, b| a.id.cmp(&b.id));
    for s in inherited {
        if !shown.insert((s.principal_id.clone(), s.holding)) {
            continue;
        }
        if let Some(u) = c.live.user(&s.principal_id) {
            let upn = u.upn.clone();
            c.notice(
                NoticeCode::RoleKept,
                object.clone(),
                format!(
                    "`{upn}` is {} for {} through a role-assignable group (memberType {}): entraform shows it and leaves it to the group's membership",
                    s.holding.as_str(),
                    role.name,
                    if s.holding == Holding::Eligible { "Group" } else { "Group/Inherited" }
                ),
            );
        }
    }
}

/// The scope of a live holding, named when it is an administrative unit.
fn scope_of(c: &Ctx<'_>, directory_scope_id: &str) -> RoleScope {
    RoleScope {
        directory_scope_id: directory_scope_id.to_string(),
        unit: c
            .live
            .admin_unit_of_scope(directory_scope_id)
            .map(|u| u.display_name.clone()),
    }
}

/// PIM holdings of users who end disabled or deleted: their eligibilities and
/// PIM-managed active assignments are removed (`adminRemove`); activations
/// end on their own.
pub(super) fn leaving(c: &mut Ctx<'_>, id: &ObjectId) {
    if c.live.pim_unknown_reason().is_some() {
        return;
    }
    let mut mine: Vec<&LiveRoleSchedule> = c
        .live
        .schedules_of(id)
        .into_iter()
        .filter(|s| !s.inherited && !s.activated && s.pim_managed())
        .collect();
    mine.sort_by(|a, b| a.id.cmp(&b.id));
    for s in mine {
        let name = c
            .live
            .role(&s.role_definition_id)
            .map_or_else(|| s.role_definition_id.clone(), |d| d.display_name.clone());
        let scope = scope_of(c, &s.directory_scope_id);
        c.out.ops.push(Op::RemoveRoleSchedule {
            role: RoleRef {
                name,
                definition_id: s.role_definition_id.clone(),
            },
            principal: c.principal(id),
            holding: s.holding,
            scope,
            until: s.until(),
        });
    }
}
