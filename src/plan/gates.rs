//! Safety gates: checks every plan must pass before it may be applied.
//!
//! Each gate reports how close the plan came to its limit, so reviewers see
//! the margin even when nothing trips. A tripped gate blocks the plan (exit
//! code 3) unless its `--allow-…` override is given.
//!
//! The count gates and the protected-principals gate read [`Op::effect`];
//! the Global Administrator and own-role gates match on [`Op`] with every
//! variant named (no catch-all arm: a new operation must be judged here).

#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

use super::Step;
use super::effect::Action;
use super::op::{Holding, Op};
use crate::desired::DesiredState;
use crate::desired::state::Threshold;
use crate::model::ObjectId;
use crate::model::builtin_roles;
use crate::model::live::Live;

/// The gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GateKind {
    /// Deletions over `safety.max_deletes`.
    MaxDeletes,
    /// Disables over `safety.max_disables`.
    MaxDisables,
    /// Operations over `safety.max_changes`.
    MaxChanges,
    /// Disabling, deleting or removing a role of a protected principal.
    ProtectedPrincipals,
    /// Leaving the tenant with no enabled Global Administrator.
    GlobalAdministrators,
    /// Removing a privileged role from the principal entraform runs as.
    OwnPrivilegedRole,
}

impl GateKind {
    /// Every gate, in report order.
    pub const ALL: [GateKind; 6] = [
        GateKind::MaxDeletes,
        GateKind::MaxDisables,
        GateKind::MaxChanges,
        GateKind::ProtectedPrincipals,
        GateKind::GlobalAdministrators,
        GateKind::OwnPrivilegedRole,
    ];
    /// Stable id.
    pub fn id(self) -> &'static str {
        match self {
            GateKind::MaxDeletes => "max-deletes",
            GateKind::MaxDisables => "max-disables",
            GateKind::MaxChanges => "max-changes",
            GateKind::ProtectedPrincipals => "protected-principals",
            GateKind::GlobalAdministrators => "global-administrators",
            GateKind::OwnPrivilegedRole => "own-privileged-role",
        }
    }
    /// The CLI flag that overrides it.
    pub fn flag(self) -> &'static str {
        match self {
            GateKind::MaxDeletes => "--allow-mass-deletes",
            GateKind::MaxDisables => "--allow-mass-disables",
            GateKind::MaxChanges => "--allow-mass-changes",
            GateKind::ProtectedPrincipals => "--allow-protected-changes",
            GateKind::GlobalAdministrators => "--allow-no-global-admin",
            GateKind::OwnPrivilegedRole => "--allow-own-role-removal",
        }
    }
}

/// Which gates the operator chose to override.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateOverrides(pub BTreeSet<GateKind>);

impl GateOverrides {
    /// Is this gate overridden?
    pub fn allows(&self, g: GateKind) -> bool {
        self.0.contains(&g)
    }
}

/// The outcome of one gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateResult {
    /// Which gate.
    pub gate: GateKind,
    /// False when the gate did not apply (a threshold below `min_tenant_size`, or no limit set).
    pub applies: bool,
    /// The measured value (deletes, disables, operations, protected hits, remaining Global Administrators…).
    pub value: u64,
    /// The limit, for thresholds.
    pub limit: Option<u64>,
    /// Did the plan exceed it?
    pub tripped: bool,
    /// Was it overridden by its flag?
    pub overridden: bool,
    /// Explanation in words.
    pub message: String,
}

/// `1 deletion`, `2 deletions`: the count and the word that agrees with it.
fn counted(n: u64, (one, many): (&str, &str)) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn threshold_gate(
    gate: GateKind,
    what: (&str, &str),
    value: u64,
    threshold: Option<Threshold>,
    owned: u64,
    min_size: u64,
    overrides: &GateOverrides,
) -> GateResult {
    let Some(t) = threshold else {
        return GateResult {
            gate,
            applies: false,
            value,
            limit: None,
            tripped: false,
            overridden: false,
            message: format!("{}; no limit set", counted(value, what)),
        };
    };
    let limit = t.limit(owned);
    if owned < min_size {
        return GateResult {
            gate,
            applies: false,
            value,
            limit: Some(limit),
            tripped: false,
            overridden: false,
            message: format!(
                "{}; limit {t} not applied: the repo owns {}, fewer than min_tenant_size {min_size}",
                counted(value, what),
                counted(owned, ("user", "users"))
            ),
        };
    }
    let tripped = value > limit;
    let basis = match t {
        Threshold::Count(_) => String::new(),
        Threshold::BasisPoints(_) => format!(
            " ({t} of {})",
            counted(owned, ("owned user", "owned users"))
        ),
    };
    GateResult {
        gate,
        applies: true,
        value,
        limit: Some(limit),
        tripped,
        overridden: tripped && overrides.allows(gate),
        message: if tripped {
            format!(
                "{} {} the limit of {limit}{basis}; review the plan, then pass {} if intended",
                counted(value, what),
                if value == 1 { "exceeds" } else { "exceed" },
                gate.flag()
            )
        } else {
            format!("{} of at most {limit}{basis}", counted(value, what))
        },
    }
}

/// Evaluate every gate for these steps.
pub fn evaluate(
    desired: &DesiredState,
    live: &Live,
    steps: &[Step],
    owned: u64,
    overrides: &GateOverrides,
) -> Vec<GateResult> {
    let safety = &desired.tenant.safety;
    let count = |f: fn(&Op) -> bool| steps.iter().filter(|s| f(&s.op)).count() as u64;
    // Counted by `Op::effect()`, the classification the summary line uses too.
    let deletes = count(|o| o.effect().action == Action::Delete);
    let disables = count(|o| o.effect().action == Action::Disable);
    let mut out = vec![
        threshold_gate(
            GateKind::MaxDeletes,
            ("deletion", "deletions"),
            deletes,
            safety.max_deletes,
            owned,
            safety.min_tenant_size,
            overrides,
        ),
        threshold_gate(
            GateKind::MaxDisables,
            ("disable", "disables"),
            disables,
            safety.max_disables,
            owned,
            safety.min_tenant_size,
            overrides,
        ),
        threshold_gate(
            GateKind::MaxChanges,
            ("operation", "operations"),
            steps.len() as u64,
            safety.max_changes,
            owned,
            safety.min_tenant_size,
            overrides,
        ),
    ];

    // Protected principals.
    let hits: Vec<String> = steps
        .iter()
        .filter(|s| s.op.effect().destructive)
        .filter_map(|s| {
            s.op.subject_upn()
                .filter(|u| safety.protected.contains(u))
                .map(|u| format!("{} {u}", s.op.kind()))
        })
        .collect();
    let tripped = !hits.is_empty();
    out.push(GateResult {
        gate: GateKind::ProtectedPrincipals,
        applies: true,
        value: hits.len() as u64,
        limit: Some(0),
        tripped,
        overridden: tripped && overrides.allows(GateKind::ProtectedPrincipals),
        message: if tripped {
            format!(
                "the plan would disable, delete or strip roles of protected principals: {}; change the repo, or pass {} if intended",
                hits.join(", "),
                GateKind::ProtectedPrincipals.flag()
            )
        } else {
            format!(
                "{} untouched",
                counted(
                    safety.protected.len() as u64,
                    ("protected principal", "protected principals")
                )
            )
        },
    });

    // Global Administrators left enabled: active, or eligible (PIM) — an
    // eligible admin can activate the role, so the tenant is not orphaned.
    let (active, eligible_only) = global_admins_after(live, steps);
    let remaining = active + eligible_only;
    let tripped = remaining == 0;
    out.push(GateResult {
        gate: GateKind::GlobalAdministrators,
        applies: true,
        value: remaining,
        limit: None,
        tripped,
        overridden: tripped && overrides.allows(GateKind::GlobalAdministrators),
        message: if tripped {
            "after this plan no enabled user would hold Global Administrator (active or eligible): nobody could administer the tenant".to_string()
        } else if eligible_only == 0 {
            format!(
                "{} after the plan",
                counted(
                    remaining,
                    ("enabled Global Administrator", "enabled Global Administrators")
                )
            )
        } else {
            format!(
                "{} after the plan ({active} active, {eligible_only} eligible only)",
                counted(
                    remaining,
                    ("enabled Global Administrator", "enabled Global Administrators")
                )
            )
        },
    });

    // The running principal's own privileged roles. When the principal is unknown the gate
    // fails closed: any privileged role removal could be its own.
    let own = live.principal().and_then(|p| p.id.clone());
    let removed: Vec<String> = steps
        .iter()
        .filter_map(|s| match &s.op {
            Op::RemoveRole {
                role, principal, ..
            }
            | Op::RemoveRoleSchedule {
                role, principal, ..
            } if own.as_ref().is_none_or(|own| &principal.id == own)
                && builtin_roles::by_template_id(&role.definition_id)
                    .is_some_and(|r| r.privileged) =>
            {
                Some(match (&own, &principal.upn) {
                    (None, Some(upn)) => format!("{} of {upn}", role.name),
                    (None, None) => format!("{} of {}", role.name, principal.id),
                    (Some(_), _) => role.name.clone(),
                })
            }
            Op::RemoveRole { .. }
            | Op::RemoveRoleSchedule { .. }
            | Op::AssignRoleSchedule { .. }
            | Op::UpdateRoleSchedule { .. }
            | Op::CreateUser { .. }
            | Op::InviteGuest { .. }
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
            | Op::AssignLicenses { .. }
            | Op::RemoveAuthenticationMethod { .. }
            | Op::DisableDevice { .. }
            | Op::RenameUser { .. } => None,
        })
        .collect();
    let tripped = !removed.is_empty();
    let flag = GateKind::OwnPrivilegedRole.flag();
    out.push(GateResult {
        gate: GateKind::OwnPrivilegedRole,
        applies: true,
        value: removed.len() as u64,
        limit: Some(0),
        tripped,
        overridden: tripped && overrides.allows(GateKind::OwnPrivilegedRole),
        message: match (tripped, own.is_some()) {
            (true, true) => format!(
                "the plan would remove entraform's own privileged role(s): {}; pass {flag} if intended",
                removed.join(", ")
            ),
            (true, false) => format!(
                "the principal entraform runs as could not be determined (no `oid` in the token and no service principal found), so any privileged role removal may be its own: {}; pass {flag} if intended",
                removed.join(", ")
            ),
            (false, true) => "the running principal keeps its roles".to_string(),
            (false, false) => {
                "the running principal is unknown, but the plan removes no privileged role"
                    .to_string()
            }
        },
    });
    out
}

/// Enabled users holding Global Administrator once the steps have run:
/// (active, eligible but not active). Activations count as active; a
/// holding through a group is not counted (the group's members may change).
fn global_admins_after(live: &Live, steps: &[Step]) -> (u64, u64) {
    let ga = builtin_roles::GLOBAL_ADMINISTRATOR;
    let mut disabled: HashSet<String> = HashSet::new();
    let mut enabled: HashSet<String> = HashSet::new();
    let mut removed: HashSet<&ObjectId> = HashSet::new();
    let mut removed_eligible: HashSet<&ObjectId> = HashSet::new();
    let mut added: Vec<(String, Option<&ObjectId>)> = Vec::new();
    let mut added_eligible: Vec<(String, Option<&ObjectId>)> = Vec::new();
    let mut created_enabled: HashSet<String> = HashSet::new();
    for s in steps {
        match &s.op {
            Op::DisableUser { user } | Op::DeleteUser { user } => {
                disabled.insert(user.upn.key());
            }
            Op::EnableUser { user } | Op::RestoreUser { user } => {
                enabled.insert(user.upn.key());
            }
            // An invited guest's account is enabled (it signs in once redeemed).
            Op::CreateUser {
                upn, enabled: true, ..
            }
            | Op::InviteGuest { upn, .. } => {
                created_enabled.insert(upn.key());
            }
            Op::RemoveRole {
                role, principal, ..
            } if role.definition_id.eq_ignore_ascii_case(ga) => {
                removed.insert(&principal.id);
            }
            Op::AssignRole { role, principal } if role.definition_id.eq_ignore_ascii_case(ga) => {
                added.push((principal.upn.key(), principal.id.as_ref()));
            }
            Op::RemoveRoleSchedule {
                role,
                principal,
                holding,
                scope,
                ..
            } if role.definition_id.eq_ignore_ascii_case(ga) && scope.is_tenant() => {
                match holding {
                    Holding::Active => removed.insert(&principal.id),
                    Holding::Eligible => removed_eligible.insert(&principal.id),
                };
            }
            Op::AssignRoleSchedule {
                role,
                principal,
                holding,
                scope,
                ..
            } if role.definition_id.eq_ignore_ascii_case(ga) && scope.is_tenant() => {
                let entry = (principal.upn.key(), principal.id.as_ref());
                match holding {
                    Holding::Active => added.push(entry),
                    Holding::Eligible => added_eligible.push(entry),
                }
            }
            // Neither the account nor a Global Administrator holding changes
            // (a new end date keeps the holder until then).
            Op::CreateUser { enabled: false, .. }
            | Op::RemoveRoleSchedule { .. }
            | Op::AssignRoleSchedule { .. }
            | Op::UpdateRoleSchedule { .. }
            | Op::RemoveRole { .. }
            | Op::AssignRole { .. }
            | Op::UpdateUser { .. }
            | Op::RevokeSessions { .. }
            | Op::ResetPassword { .. }
            | Op::CreateTemporaryAccessPass { .. }
            | Op::SetManager { .. }
            | Op::RemoveManager { .. }
            | Op::CreateGroup { .. }
            | Op::UpdateGroup { .. }
            | Op::AddMember { .. }
            | Op::RemoveMember { .. }
            | Op::AddOwner { .. }
            | Op::RemoveOwner { .. }
            | Op::AssignLicenses { .. }
            | Op::RemoveAuthenticationMethod { .. }
            | Op::DisableDevice { .. }
            | Op::RenameUser { .. } => {}
        }
    }
    let ends_enabled = |key: &str, live_enabled: bool| {
        !disabled.contains(key)
            && (live_enabled || enabled.contains(key) || created_enabled.contains(key))
    };
    let mut holders: HashSet<String> = HashSet::new();
    for a in live.role_assignments() {
        if !a.role_definition_id.eq_ignore_ascii_case(ga) || removed.contains(&a.principal_id) {
            continue;
        }
        if let Some(u) = live.user(&a.principal_id)
            && ends_enabled(&u.upn.key(), u.account_enabled)
        {
            holders.insert(u.upn.key());
        }
    }
    for (key, id) in added {
        let live_enabled = id
            .and_then(|i| live.user(i))
            .is_some_and(|u| u.account_enabled);
        if ends_enabled(&key, live_enabled) {
            holders.insert(key);
        }
    }
    let mut eligible: HashSet<String> = HashSet::new();
    for e in live.schedules_of_role(ga) {
        if e.holding != Holding::Eligible
            || e.inherited
            || e.directory_scope_id != "/"
            || removed_eligible.contains(&e.principal_id)
        {
            continue;
        }
        if let Some(u) = live.user(&e.principal_id)
            && ends_enabled(&u.upn.key(), u.account_enabled)
        {
            eligible.insert(u.upn.key());
        }
    }
    for (key, id) in added_eligible {
        let live_enabled = id
            .and_then(|i| live.user(i))
            .is_some_and(|u| u.account_enabled);
        if ends_enabled(&key, live_enabled) {
            eligible.insert(key);
        }
    }
    let eligible_only = eligible.difference(&holders).count() as u64;
    (holders.len() as u64, eligible_only)
}
