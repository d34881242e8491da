//! Saved plans: the plan plus what it was computed from, so apply can refuse a stale plan.
//!
//! A saved plan records a digest of the desired-state files and a fingerprint
//! of every live object it touches. Before applying, the tenant is read again:
//! if any fingerprint differs, or the directory no longer matches the digest,
//! the plan is stale and is refused — what was reviewed is what runs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::op::Op;
use super::{PLAN_FORMAT_VERSION, Plan};
use crate::live::Live;

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn fp<T: Serialize>(v: &T) -> String {
    sha256_hex(&serde_json::to_vec(v).unwrap_or_default())
}

/// Fingerprints of the live objects the plan's steps touch, keyed `user:<upn>`, `group:<name>`, `roles:<principal id>`.
///
/// An object that does not exist yet (a user to create) is fingerprinted as
/// `absent`, so a plan is also stale when someone created it meanwhile.
pub fn fingerprints(live: &Live, steps: &[super::Step]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let user = |out: &mut BTreeMap<String, String>, upn: &crate::model::Upn| {
        let v = live
            .user_by_upn(upn.as_str())
            .map_or_else(|| "absent".to_string(), fp);
        out.insert(format!("user:{}", upn.key()), v);
    };
    for s in steps {
        if let Some(u) = s.op.subject_upn() {
            user(&mut out, u);
        }
        match &s.op {
            Op::SetManager { manager, .. } => user(&mut out, &manager.upn),
            Op::CreateGroup { name, .. } => {
                let v = live
                    .groups_named(name)
                    .first()
                    .map_or_else(|| "absent".to_string(), fp);
                out.insert(format!("group:{}", name.to_lowercase()), v);
            }
            Op::UpdateGroup { group, .. }
            | Op::AddMember { group, .. }
            | Op::RemoveMember { group, .. } => {
                let v = group
                    .id
                    .as_ref()
                    .and_then(|id| live.group(id))
                    .map_or_else(|| "absent".to_string(), fp);
                out.insert(format!("group:{}", group.name.to_lowercase()), v);
            }
            Op::RemoveRole { principal, .. } => {
                out.insert(
                    format!("roles:{}", principal.id),
                    fp(&live.assignments_of(&principal.id)),
                );
            }
            Op::AssignRole { principal, .. } => {
                if let Some(id) = &principal.id {
                    out.insert(format!("roles:{id}"), fp(&live.assignments_of(id)));
                }
            }
            _ => {}
        }
    }
    out
}

/// What `plan --out` writes.
#[derive(Debug, Clone, Serialize)]
pub struct SavedPlan<'a> {
    /// Version of this file's format.
    pub format_version: u32,
    /// The entraform version that wrote it.
    pub entraform_version: &'static str,
    /// SHA-256 over the desired-state files (relative path and content, sorted by path).
    pub desired_digest: String,
    /// Fingerprints of the live objects the plan touches.
    pub fingerprints: BTreeMap<String, String>,
    /// The plan itself.
    pub plan: &'a Plan,
}

impl<'a> SavedPlan<'a> {
    /// Wrap a plan with its provenance.
    pub fn new(plan: &'a Plan, live: &Live, desired_digest: String) -> Self {
        SavedPlan {
            format_version: PLAN_FORMAT_VERSION,
            entraform_version: env!("CARGO_PKG_VERSION"),
            desired_digest,
            fingerprints: fingerprints(live, &plan.steps),
            plan,
        }
    }
}

/// A saved plan as read back by `apply --plan`: what is needed to check and run it.
#[derive(Debug, Clone, Deserialize)]
pub struct LoadedPlan {
    /// Version of the file's format.
    pub format_version: u32,
    /// Digest of the repo it was computed from.
    pub desired_digest: String,
    /// Fingerprints of the live objects it touches.
    pub fingerprints: BTreeMap<String, String>,
    /// The plan's steps, errors and gates.
    pub plan: LoadedBody,
}

/// The parts of a saved plan that apply needs.
#[derive(Debug, Clone, Deserialize)]
pub struct LoadedBody {
    /// Steps in execution order.
    pub steps: Vec<super::Step>,
    /// Errors found when planning (a plan with errors is never applied).
    #[serde(default)]
    pub errors: Vec<serde_json::Value>,
    /// Gates as evaluated when planning.
    #[serde(default)]
    pub gates: Vec<LoadedGate>,
}

/// A gate's recorded outcome.
#[derive(Debug, Clone, Deserialize)]
pub struct LoadedGate {
    /// Gate id.
    pub gate: String,
    /// Tripped?
    pub tripped: bool,
    /// Overridden by its flag?
    pub overridden: bool,
}

/// Why a saved plan may not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StalePlan {
    /// Written by another format version.
    #[error(
        "the plan file has format version {0}; this entraform reads version {PLAN_FORMAT_VERSION}. Plan again"
    )]
    Version(u32),
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
    /// The tenant changed since planning.
    #[error("the tenant changed since this plan was made; these objects differ: {}. Plan again and review", .0.join(", "))]
    Tenant(Vec<String>),
    /// The plan was not safe to apply when made.
    #[error("this plan was not appliable when made ({0}); plan again")]
    Unsafe(String),
}

impl LoadedPlan {
    /// Check the plan against the repo digest and the tenant as it is now.
    pub fn check(&self, desired_digest: &str, live: &Live) -> Result<(), StalePlan> {
        if self.format_version != PLAN_FORMAT_VERSION {
            return Err(StalePlan::Version(self.format_version));
        }
        if !self.plan.errors.is_empty() {
            return Err(StalePlan::Unsafe(format!(
                "{} plan error(s)",
                self.plan.errors.len()
            )));
        }
        if let Some(g) = self.plan.gates.iter().find(|g| g.tripped && !g.overridden) {
            return Err(StalePlan::Unsafe(format!("safety gate {} tripped", g.gate)));
        }
        if self.desired_digest != desired_digest {
            return Err(StalePlan::Repo {
                saved: self.desired_digest.clone(),
                now: desired_digest.to_string(),
            });
        }
        let now = fingerprints(live, &self.plan.steps);
        let mut changed: Vec<String> = self
            .fingerprints
            .iter()
            .filter(|(k, v)| now.get(*k) != Some(*v))
            .map(|(k, _)| k.clone())
            .collect();
        changed.extend(
            now.keys()
                .filter(|k| !self.fingerprints.contains_key(*k))
                .cloned(),
        );
        changed.sort();
        changed.dedup();
        if changed.is_empty() {
            Ok(())
        } else {
            Err(StalePlan::Tenant(changed))
        }
    }
}
