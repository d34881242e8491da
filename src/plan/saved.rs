//! Saved plans: the plan plus what it was computed from, so apply can refuse a stale plan.
//!
//! A saved plan records a digest of the desired-state files and a fingerprint
//! of every live object it touches. Before applying, the tenant is read again:
//! if any fingerprint differs, or the directory no longer matches the digest,
//! the plan is stale and is refused — what was reviewed is what runs.

use std::collections::BTreeMap;

use serde::Serialize;

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
pub fn fingerprints(live: &Live, plan: &Plan) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let user = |out: &mut BTreeMap<String, String>, upn: &crate::model::Upn| {
        let v = live
            .user_by_upn(upn.as_str())
            .map_or_else(|| "absent".to_string(), fp);
        out.insert(format!("user:{}", upn.key()), v);
    };
    for s in &plan.steps {
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
            fingerprints: fingerprints(live, plan),
            plan,
        }
    }
}
