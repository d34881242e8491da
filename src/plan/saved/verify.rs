//! Is a saved plan still the plan? The checks `apply plan.json` makes before it runs
//! the freshly computed plan, and the refusals it reports.

#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::HashMap;

use super::{LoadedPlan, Target, fingerprints};
use crate::model::live::Live;
use crate::plan::effect::Touched;
use crate::plan::gates::{GateKind, GateOverrides};
use crate::plan::op::{GroupRef, Op, UserRef};
use crate::plan::{Plan, Step};

/// Why a saved plan is not applied (the file itself was readable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Made for another tenant or Graph endpoint.
    #[error(
        "this plan was made for tenant `{saved_tenant}` at {saved_root}, not for tenant `{now_tenant}` at {now_root}; apply it with the same tenant and Graph endpoint, or plan again"
    )]
    Target {
        /// Tenant in the file.
        saved_tenant: String,
        /// Graph root in the file.
        saved_root: String,
        /// Tenant signed in to now.
        now_tenant: String,
        /// Graph root in use now.
        now_root: String,
    },
    /// Made for another tenant of a many-tenant repo (or for a single-tenant
    /// repo and applied to a tenant of a many-tenant one, or the reverse).
    #[error(
        "this plan was made for {}, not for {}; apply it to the tenant it was made for (`--tenant {}`), or plan again for this one",
        repo_tenant(.saved), repo_tenant(.now), .saved.as_deref().unwrap_or("…")
    )]
    RepoTenant {
        /// The repo tenant recorded in the file.
        saved: Option<String>,
        /// The repo tenant being applied now.
        now: Option<String>,
    },
    /// The plan had errors when it was made.
    #[error(
        "this plan had {0} error(s) when it was made and cannot be applied; fix them and plan again"
    )]
    HadErrors(usize),
    /// A gate stopped the plan when it was made.
    #[error(
        "safety gate {} stopped this plan when it was made ({}); a blocked plan is never applied: plan again (with the override, if intended) and review",
        .0.id(), .1
    )]
    WasBlocked(GateKind, String),
    /// The repo changed since planning.
    #[error(
        "the directory repo changed since this plan was made (digest {saved} ≠ {now}); plan again and review"
    )]
    Repo {
        /// Digest in the plan.
        saved: String,
        /// Digest of the directory now.
        now: String,
    },
    /// Overrides the plan was made with but apply was not given.
    #[error(
        "this plan was made with {}; pass the same flag(s) to apply to confirm them",
        flags(.0)
    )]
    OverrideNotConfirmed(Vec<GateKind>),
    /// The fresh plan is empty: the saved one was already applied.
    #[error("already applied: the tenant already matches this plan; nothing to do")]
    AlreadyApplied,
    /// Some of the saved plan's operations are done, the others remain.
    #[error(
        "partly applied: {done} of the plan's {total} operations are already done; plan again and review what remains ({})",
        .objects.join(", ")
    )]
    PartlyApplied {
        /// Operations no longer needed.
        done: usize,
        /// Operations in the saved plan.
        total: usize,
        /// Objects of the remaining operations.
        objects: Vec<String>,
    },
    /// The fresh plan differs from the saved one.
    #[error(
        "this plan is not what the repo and the tenant call for now (the tenant changed since it was made, or the file was edited); these objects differ: {}. Plan again and review",
        .0.join(", ")
    )]
    Changed(Vec<String>),
    /// Same operations, but objects they touch changed since the plan was made.
    #[error(
        "the tenant changed since this plan was made; these objects it touches are different now: {}. Plan again and review",
        .0.join(", ")
    )]
    Touched(Vec<String>),
    /// Same operations, but the order was changed in the file.
    #[error(
        "the plan's waves or dependencies differ from the ones entraform computes; the file was edited: plan again"
    )]
    Reordered,
}

fn repo_tenant(t: &Option<String>) -> String {
    match t {
        Some(name) => format!("tenant `{name}` of the repo (tenants/{name}/)"),
        None => "a single-tenant repo".to_string(),
    }
}

fn flags(gates: &[GateKind]) -> String {
    gates
        .iter()
        .map(|g| g.flag())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Refusal {
    /// `already applied` is not a failure: the outcome the plan was for holds.
    pub fn is_success(&self) -> bool {
        matches!(self, Refusal::AlreadyApplied)
    }
    /// Refusals that are a safety gate's doing (exit code 3).
    pub fn is_gate(&self) -> bool {
        matches!(
            self,
            Refusal::WasBlocked(..) | Refusal::OverrideNotConfirmed(_)
        )
    }
}

impl LoadedPlan {
    /// The first check: the plan was made for `now`, the repo tenant being
    /// applied (`None` for a single-tenant repo).
    pub fn check_repo_tenant(&self, now: Option<&str>) -> Result<(), Refusal> {
        if self.tenant.as_deref() == now {
            return Ok(());
        }
        Err(Refusal::RepoTenant {
            saved: self.tenant.clone(),
            now: now.map(str::to_string),
        })
    }

    /// Checks that need no tenant read: target, recorded errors and gates, repo
    /// digest, and that every override the plan was made with is given again.
    /// Returns the overrides that count for the fresh plan: only those given to
    /// apply *and* recorded in the plan (what the reviewer saw).
    pub fn check_before_read(
        &self,
        now: &Target,
        desired_digest: &str,
        given: &GateOverrides,
    ) -> Result<GateOverrides, Refusal> {
        let root = |s: &str| s.trim_end_matches('/').to_string();
        if !self.target.tenant_id.eq_ignore_ascii_case(&now.tenant_id)
            || root(&self.target.graph_root) != root(&now.graph_root)
        {
            return Err(Refusal::Target {
                saved_tenant: self.target.tenant_id.clone(),
                saved_root: self.target.graph_root.clone(),
                now_tenant: now.tenant_id.clone(),
                now_root: now.graph_root.clone(),
            });
        }
        if !self.plan.errors.is_empty() {
            return Err(Refusal::HadErrors(self.plan.errors.len()));
        }
        if let Some(g) = self.plan.gates.iter().find(|g| g.tripped && !g.overridden) {
            return Err(Refusal::WasBlocked(g.gate, g.message.clone()));
        }
        if self.desired_digest != desired_digest {
            return Err(Refusal::Repo {
                saved: self.desired_digest.clone(),
                now: desired_digest.to_string(),
            });
        }
        let missing: Vec<GateKind> = self
            .gate_overrides
            .0
            .iter()
            .filter(|g| !given.allows(**g))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(Refusal::OverrideNotConfirmed(missing));
        }
        Ok(GateOverrides(
            self.gate_overrides
                .0
                .intersection(&given.0)
                .copied()
                .collect(),
        ))
    }

    /// Compare the fresh plan (computed now, from the same repo) with the saved
    /// one: its steps must be the same, and every object they touch must have
    /// the fingerprint recorded. Gates are the caller's next check, on `fresh`.
    pub fn check_fresh(&self, fresh: &Plan, live: &Live) -> Result<(), Refusal> {
        if fresh.steps != self.plan.steps {
            return Err(steps_differ(&self.plan.steps, &fresh.steps, live));
        }
        let now = fingerprints(live, &fresh.steps);
        let mut changed: Vec<&String> = self
            .fingerprints
            .iter()
            .filter(|(k, v)| now.get(*k) != Some(*v))
            .map(|(k, _)| k)
            .collect();
        changed.extend(now.keys().filter(|k| !self.fingerprints.contains_key(*k)));
        if changed.is_empty() {
            return Ok(());
        }
        let names = Names::of(&fresh.steps, live);
        let mut objects: Vec<String> = changed.iter().map(|k| names.describe(k)).collect();
        objects.sort();
        objects.dedup();
        Err(Refusal::Touched(objects))
    }
}

/// How the saved and the fresh steps differ, by object. Saved operations that
/// the fresh plan no longer has are "done" when the tenant already shows their
/// effect ([`op_done`]); anything else is a difference.
fn steps_differ(saved: &[Step], fresh: &[Step], live: &Live) -> Refusal {
    let mut count: HashMap<&Op, i64> = HashMap::new();
    for s in saved {
        *count.entry(&s.op).or_default() += 1;
    }
    for s in fresh {
        *count.entry(&s.op).or_default() -= 1;
    }
    let mut done = 0usize;
    let mut differ: Vec<String> = Vec::new();
    for (op, n) in &count {
        if *n > 0 && op_done(op, live) {
            done += *n as usize;
        } else if *n != 0 {
            differ.push(op.object_key());
        }
    }
    differ.sort();
    differ.dedup();
    if !differ.is_empty() {
        return Refusal::Changed(differ);
    }
    if done == 0 {
        return Refusal::Reordered;
    }
    if fresh.is_empty() {
        return Refusal::AlreadyApplied;
    }
    let mut remaining: Vec<String> = fresh.iter().map(|s| s.op.object_key()).collect();
    remaining.sort();
    remaining.dedup();
    Refusal::PartlyApplied {
        done,
        total: saved.len(),
        objects: remaining,
    }
}

/// Does the tenant already show this operation's effect? (Used only to tell an
/// applied plan from a changed or edited one; session revocation cannot be
/// observed and counts as done once the account is disabled or gone.)
pub fn op_done(op: &Op, live: &Live) -> bool {
    let user = |r: &UserRef| match &r.id {
        Some(id) => live.user(id),
        None => live.user_by_upn(r.upn.as_str()),
    };
    let group = |g: &GroupRef| match &g.id {
        Some(id) => live.group(id),
        None => live.groups_named(&g.name).first().copied(),
    };
    match op {
        Op::CreateUser { upn, .. } | Op::InviteGuest { upn, .. } => {
            live.user_by_upn(upn.as_str()).is_some()
        }
        Op::RestoreUser { user: u } => user(u).is_some(),
        Op::UpdateUser {
            user: u, changes, ..
        } => user(u).is_some_and(|lu| {
            changes
                .iter()
                .all(|c| crate::model::live::live_attr(lu, c.attr) == c.new)
        }),
        Op::EnableUser { user: u } => user(u).is_some_and(|lu| lu.account_enabled),
        Op::DisableUser { user: u } => user(u).is_some_and(|lu| !lu.account_enabled),
        // A pass cannot be read back (Graph returns it at creation only): done
        // once the user it was issued with exists.
        Op::CreateTemporaryAccessPass { user: u, .. } => user(u).is_some(),
        Op::RevokeSessions { user: u } | Op::ResetPassword { user: u, .. } => {
            user(u).is_none_or(|lu| !lu.account_enabled)
        }
        Op::DeleteUser { user: u } => u.id.as_ref().is_some_and(|id| live.user(id).is_none()),
        Op::SetManager {
            user: u, manager, ..
        } => match (user(u), user(manager)) {
            (Some(lu), Some(m)) => lu.manager.as_ref() == Some(&m.id),
            _ => false,
        },
        Op::RemoveManager { user: u, .. } => user(u).is_some_and(|lu| lu.manager.is_none()),
        Op::CreateGroup { name, .. } => !live.groups_named(name).is_empty(),
        Op::UpdateGroup {
            group: g,
            new_description,
            ..
        } => group(g).is_some_and(|lg| {
            lg.description.as_deref().filter(|d| !d.is_empty()) == new_description.as_deref()
        }),
        Op::AddMember { group: g, member } => match (group(g), user(member)) {
            (Some(lg), Some(m)) => lg.has_member(&m.id),
            _ => false,
        },
        Op::RemoveMember { group: g, member } => {
            group(g).is_some_and(|lg| !lg.has_member(&member.id))
        }
        Op::AddOwner { group: g, owner } => {
            let id = match owner {
                crate::plan::OwnerRef::User { .. } => {
                    owner.user().and_then(|u| user(&u)).map(|u| u.id.clone())
                }
                crate::plan::OwnerRef::ServicePrincipal { id } => Some(id.clone()),
            };
            match (group(g), id) {
                (Some(lg), Some(id)) => lg.has_owner(&id),
                _ => false,
            }
        }
        Op::RemoveOwner { group: g, owner } => group(g).is_some_and(|lg| !lg.has_owner(&owner.id)),
        Op::AssignRole { role, principal } => user(principal).is_some_and(|p| {
            live.assignments_of(&p.id).iter().any(|a| {
                a.role_definition_id
                    .eq_ignore_ascii_case(&role.definition_id)
            })
        }),
        Op::DisableDevice { device, owner } => owner.id.as_ref().is_some_and(|o| {
            live.devices().is_some_and(|d| {
                d.owned_by(o)
                    .any(|x| x.device.id == device.id && !x.account_enabled)
            })
        }),
        // Done once the leaver's methods, read again, no longer list it.
        Op::RemoveAuthenticationMethod { user: u, method } => user(u).is_some_and(|lu| {
            live.auth_methods()
                .and_then(|m| m.of(&lu.id))
                .is_some_and(|list| {
                    !list
                        .iter()
                        .any(|x| x.kind == method.kind && x.id == method.id)
                })
        }),
        Op::RemoveRole { assignment_id, .. } => !live
            .role_assignments()
            .iter()
            .any(|a| &a.id == assignment_id),
        Op::RenameUser { user: u, new_upn } => {
            u.id.as_ref()
                .and_then(|id| live.user(id))
                .is_some_and(|lu| lu.upn == *new_upn)
        }
        Op::AssignLicenses {
            user: u,
            add,
            remove,
        } => match (user(u), live.licenses()) {
            (Some(lu), Some(l)) => {
                let direct: Vec<_> = l
                    .of(&lu.id)
                    .iter()
                    .filter(|h| h.by_group.is_none())
                    .collect();
                add.iter().all(|c| {
                    direct.iter().any(|h| {
                        h.sku_id.eq_ignore_ascii_case(&c.sku_id)
                            && h.disabled_plans.len() == c.disabled_plans.len()
                            && c.disabled_plans
                                .iter()
                                .all(|p| h.disabled_plans.contains(&p.id))
                    })
                }) && remove.iter().all(|c| {
                    !direct
                        .iter()
                        .any(|h| h.sku_id.eq_ignore_ascii_case(&c.sku_id))
                })
            }
            _ => false,
        },
        Op::AssignRoleSchedule {
            role,
            principal,
            holding,
            scope,
            until,
            ..
        } => user(principal)
            .is_some_and(|p| held(live, &p.id, role, *holding, scope).is_some_and(|u| &u == until)),
        Op::UpdateRoleSchedule {
            role,
            principal,
            holding,
            scope,
            until,
            ..
        } => held(live, &principal.id, role, *holding, scope).is_some_and(|u| &u == until),
        Op::RemoveRoleSchedule {
            role,
            principal,
            holding,
            scope,
            ..
        } => held(live, &principal.id, role, *holding, scope).is_none(),
    }
}

/// The end date of a principal's direct, assigned (not activated) holding
/// of a role at a scope, if it has one (`Some(None)`: held without an end).
fn held(
    live: &Live,
    principal: &crate::model::ObjectId,
    role: &crate::plan::op::RoleRef,
    holding: crate::plan::op::Holding,
    scope: &crate::plan::op::RoleScope,
) -> Option<Option<String>> {
    live.schedules_of(principal)
        .into_iter()
        .find(|s| {
            s.holding == holding
                && !s.activated
                && !s.inherited
                && s.role_definition_id
                    .eq_ignore_ascii_case(&role.definition_id)
                && s.directory_scope_id
                    .eq_ignore_ascii_case(&scope.directory_scope_id)
        })
        .map(|s| s.until())
}

/// Names of the objects a plan's steps refer to, for messages (never an opaque id when a name is known).
struct Names {
    by_id: HashMap<String, String>,
}

impl Names {
    /// From what each step touches ([`Op::effect`]): a user by id or, while
    /// it is created by the plan, by UPN; a group by id or name; a directory
    /// object by its UPN when known (from the plan or the tenant).
    fn of(steps: &[Step], live: &Live) -> Names {
        let mut by_id: HashMap<String, String> = HashMap::new();
        for s in steps {
            for t in s.op.effect().touches {
                match t {
                    Touched::NewUser(upn) | Touched::User { upn, id: None } => {
                        by_id.insert(format!("upn:{}", upn.key()), upn.as_str().to_string());
                    }
                    Touched::User { upn, id: Some(id) } => {
                        by_id.insert(id.0.clone(), upn.as_str().to_string());
                    }
                    Touched::NewGroup(name) => {
                        by_id.insert(
                            format!("group-name:{}", name.to_lowercase()),
                            format!("group:{name}"),
                        );
                    }
                    Touched::Group(GroupRef { id: Some(id), name }) => {
                        by_id.insert(id.0.clone(), format!("group:{name}"));
                    }
                    Touched::Group(GroupRef { id: None, name }) => {
                        by_id.insert(
                            format!("group-name:{}", name.to_lowercase()),
                            format!("group:{name}"),
                        );
                    }
                    Touched::Object(p) => {
                        let name = p
                            .upn
                            .as_ref()
                            .map(|u| u.as_str().to_string())
                            .or_else(|| live.user(&p.id).map(|u| u.upn.as_str().to_string()));
                        if let Some(name) = name {
                            by_id.entry(p.id.0.clone()).or_insert(name);
                        }
                    }
                    // Described from the principal's own name.
                    Touched::RolesOf(_) => {}
                }
            }
        }
        Names { by_id }
    }

    fn name(&self, id: &str) -> String {
        self.by_id
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("object {id}"))
    }

    /// A fingerprint key in words.
    fn describe(&self, key: &str) -> String {
        if let Some(name) = self.by_id.get(key) {
            name.clone()
        } else if let Some(id) = key.strip_prefix("user:") {
            self.name(id)
        } else if let Some(id) = key.strip_prefix("group:") {
            self.name(id)
        } else if let Some(id) = key.strip_prefix("roles:") {
            format!("the roles of {}", self.name(id))
        } else if let Some(upn) = key.strip_prefix("upn:") {
            upn.to_string()
        } else if let Some(name) = key.strip_prefix("group-name:") {
            format!("group:{name}")
        } else {
            key.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::live::{LiveParts, LiveUser};
    use crate::model::{ObjectId, Upn};
    use crate::plan::saved::test_support::sample;

    #[test]
    fn an_empty_fresh_plan_is_already_applied_only_when_the_effects_are_there() {
        let saved = sample();
        let mut parts = LiveParts::default();
        let mut a = LiveUser::new(ObjectId("id-a".into()), Upn::new_unchecked("a@contoso.com"));
        a.account_enabled = false;
        parts.users.push(a);
        let disabled = Live::from_parts(parts);
        assert_eq!(
            steps_differ(&saved.steps, &[], &disabled),
            Refusal::AlreadyApplied
        );
        // Still enabled: the saved steps were never done (an edited file, or a changed tenant).
        let mut parts = LiveParts::default();
        parts.users.push(LiveUser::new(
            ObjectId("id-a".into()),
            Upn::new_unchecked("a@contoso.com"),
        ));
        let enabled = Live::from_parts(parts);
        assert_eq!(
            steps_differ(&saved.steps, &[], &enabled),
            Refusal::Changed(vec!["a@contoso.com".into()])
        );
    }
}
