//! Saved plans: the plan a reviewer approved, plus what it was computed from.
//!
//! A saved plan is a *commitment*, not a program. `apply` never runs the
//! steps written in the file: it computes the plan again from the repo and
//! the tenant as they are now, and runs it only when its steps equal the
//! saved ones (and every object they touch is as it was). Anyone who can
//! hand over or edit the file can therefore only make apply refuse, never
//! make it do something the repo and the tenant do not call for. The safety
//! gates are evaluated on the fresh plan against the tenant as it is now.
//!
//! Everything here is pure: reading the file is the caller's job
//! ([`load`] takes its bytes).

#![deny(clippy::wildcard_enum_match_arm)]

mod load;
mod verify;

pub use load::{LoadError, LoadedPlan, load};
pub use verify::{Refusal, op_done};

use std::collections::BTreeMap;

use serde::Serialize;

use super::effect::Touched;
use super::gates::{GateKind, GateOverrides};
use super::op::{GroupRef, PrincipalRef};
use super::render::json::{Document, document};
use super::{Plan, Step};
use crate::model::Upn;
use crate::model::live::Live;

/// Version of the saved-plan envelope (`docs/plan-format.md`, "Saved plans").
/// 2: fingerprints keyed by object id; tenant id, Graph root and gate overrides recorded.
pub const SAVED_PLAN_FORMAT_VERSION: u32 = 2;

/// Largest plan file `apply` and `show` read (256 MiB: a plan of a few million
/// operations; far above a 100,000-user tenant's adoption plan).
pub const MAX_PLAN_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Hex SHA-256 of some bytes (the one helper, in `digest`).
pub use crate::digest::sha256_hex;

fn fp<T: Serialize>(v: &T) -> String {
    sha256_hex(&serde_json::to_vec(v).unwrap_or_default())
}

const ABSENT: &str = "absent";

/// Fingerprints of the live objects the plan's steps touch, keyed by object id:
/// `user:<id>`, `group:<id>`, `roles:<principal id>`; an object the plan
/// creates has no id yet and is keyed `upn:<upn>` or `group-name:<name>`
/// (lower case) and fingerprinted `absent`, so a plan is also stale when
/// someone created it meanwhile.
pub fn fingerprints(live: &Live, steps: &[Step]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let user_by_upn = |upn: &Upn| {
        live.user_by_upn(upn.as_str())
            .map_or_else(|| ABSENT.to_string(), fp)
    };
    let group_by_name = |name: &str| {
        live.groups_named(name)
            .first()
            .map_or_else(|| ABSENT.to_string(), fp)
    };
    // What each step touches comes from `Op::effect`, the one exhaustive
    // description: a new operation cannot be left out of the fingerprints.
    for s in steps {
        for t in s.op.effect().touches {
            match t {
                Touched::NewUser(upn) | Touched::User { upn, id: None } => {
                    out.insert(format!("upn:{}", upn.key()), user_by_upn(upn));
                }
                Touched::User { id: Some(id), .. } | Touched::Object(PrincipalRef { id, .. }) => {
                    let v = live.user(id).map_or_else(|| ABSENT.to_string(), fp);
                    out.insert(format!("user:{id}"), v);
                }
                Touched::NewGroup(name) => {
                    out.insert(
                        format!("group-name:{}", name.to_lowercase()),
                        group_by_name(name),
                    );
                }
                Touched::Group(GroupRef { id: None, name }) => {
                    out.insert(
                        format!("group-name:{}", name.to_lowercase()),
                        group_by_name(name),
                    );
                }
                Touched::Group(GroupRef { id: Some(id), .. }) => {
                    let v = live.group(id).map_or_else(|| ABSENT.to_string(), fp);
                    out.insert(format!("group:{id}"), v);
                }
                Touched::RolesOf(Some(id)) => {
                    // PIM holdings (eligibilities, time-bound, unit-scoped,
                    // activations) count too; a principal without any keeps
                    // the fingerprint it always had.
                    let pim: Vec<_> = live
                        .schedules_of(id)
                        .into_iter()
                        .filter(|s| s.pim_managed())
                        .collect();
                    let v = if pim.is_empty() {
                        fp(&live.assignments_of(id))
                    } else {
                        fp(&(live.assignments_of(id), pim))
                    };
                    out.insert(format!("roles:{id}"), v);
                }
                // A principal the plan creates has no assignments to fingerprint.
                Touched::RolesOf(None) => {}
            }
        }
    }
    out
}
/// Which tenant a plan was made for: apply refuses a plan made for another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The tenant id (or domain) signed in to.
    pub tenant_id: String,
    /// The Graph version root (`https://graph.microsoft.com/v1.0`).
    pub graph_root: String,
}

/// What `plan --out` writes: the plan as `plan --format json` prints it, in an envelope.
#[derive(Serialize)]
pub struct SavedPlan<'a> {
    /// Version of this envelope ([`SAVED_PLAN_FORMAT_VERSION`]).
    pub format_version: u32,
    /// The entraform version that wrote it.
    pub entraform_version: &'static str,
    /// The tenant signed in to.
    pub tenant_id: String,
    /// The Graph root used.
    pub graph_root: String,
    /// The repo's tenant (`tenants/<name>/`) of a many-tenant repo; absent
    /// for a single-tenant repo, whose plan files stay as they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// SHA-256 over the desired-state files (relative path and content, sorted by path).
    pub desired_digest: String,
    /// The `--allow-…` overrides given to `plan`, as gate ids; apply must be given them too.
    pub gate_overrides: Vec<GateKind>,
    /// Fingerprints of the live objects the plan touches.
    pub fingerprints: BTreeMap<String, String>,
    /// The moment the plan was computed for (`--now`): `apply` computes the
    /// plan again for the same moment, so a time-based step (a recorded leave
    /// time, an expired membership) is the same step.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "planned_at_ser"
    )]
    pub planned_at: Option<crate::model::clock::Moment>,
    /// The plan (the same document as `plan --format json`).
    pub(crate) plan: Document<'a>,
}

fn planned_at_ser<S: serde::Serializer>(
    at: &Option<crate::model::clock::Moment>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(m) => s.serialize_str(&m.to_rfc3339()),
        None => s.serialize_none(),
    }
}

impl<'a> SavedPlan<'a> {
    /// Wrap a plan with its provenance.
    pub fn new(
        plan: &'a Plan,
        live: &Live,
        target: &Target,
        desired_digest: String,
        overrides: &GateOverrides,
    ) -> Self {
        SavedPlan {
            format_version: SAVED_PLAN_FORMAT_VERSION,
            entraform_version: env!("CARGO_PKG_VERSION"),
            tenant_id: target.tenant_id.clone(),
            graph_root: target.graph_root.clone(),
            tenant: None,
            desired_digest,
            gate_overrides: overrides.0.iter().copied().collect(),
            fingerprints: fingerprints(live, &plan.steps),
            planned_at: None,
            plan: document(plan),
        }
    }

    /// Record the moment the plan was computed for.
    pub fn at(mut self, now: crate::model::clock::Moment) -> Self {
        self.planned_at = Some(now);
        self
    }

    /// The file's text (pretty JSON ending with a newline).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }
}

/// Shared by the unit tests of `load` and `verify`.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::model::ObjectId;
    use crate::model::live::LiveParts;
    use crate::plan::gates::GateResult;
    use crate::plan::op::{Op, UserRef};
    use crate::plan::{Step, Summary};

    pub(crate) fn live() -> Live {
        Live::from_parts(LiveParts::default())
    }

    fn step(id: usize, wave: usize, op: Op, depends_on: Vec<usize>) -> Step {
        Step {
            id,
            wave,
            op,
            depends_on,
        }
    }

    fn user(upn: &str, id: Option<&str>) -> UserRef {
        UserRef {
            upn: Upn::new_unchecked(upn),
            id: id.map(|i| ObjectId(i.into())),
        }
    }

    pub(crate) fn sample() -> Plan {
        let steps = vec![
            step(
                0,
                0,
                Op::DisableUser {
                    user: user("a@contoso.com", Some("id-a")),
                },
                vec![],
            ),
            step(
                1,
                1,
                Op::RevokeSessions {
                    user: user("a@contoso.com", Some("id-a")),
                },
                vec![0],
            ),
        ];
        let gates = GateKind::ALL
            .iter()
            .map(|g| GateResult {
                gate: *g,
                applies: true,
                value: 0,
                limit: Some(0),
                tripped: false,
                overridden: false,
                message: "ok".into(),
            })
            .collect();
        Plan {
            summary: Summary::of(&steps),
            steps,
            notices: vec![],
            errors: vec![],
            gates,
            owned_users: 1,
        }
    }

    pub(crate) fn target() -> Target {
        Target {
            tenant_id: "t".into(),
            graph_root: "https://graph.microsoft.com/v1.0".into(),
        }
    }

    pub(crate) fn saved_text(plan: &Plan) -> String {
        SavedPlan::new(
            plan,
            &live(),
            &target(),
            "0".repeat(64),
            &GateOverrides::default(),
        )
        .to_json()
        .unwrap()
    }
}

#[cfg(test)]
mod pim_fingerprint_tests {
    use super::*;
    use crate::model::ObjectId;
    use crate::model::live::{LiveParts, LiveRoleAssignment, LiveRoleSchedule};
    use crate::plan::op::{Holding, Op, PrincipalRef, RoleRef, RoleScope};

    fn live(end: Option<&str>, pim: bool) -> Live {
        let p = ObjectId("p1".into());
        Live::from_parts(LiveParts {
            role_assignments: vec![LiveRoleAssignment {
                id: "ra-1".into(),
                principal_id: p.clone(),
                role_definition_id: "r".into(),
                directory_scope_id: "/".into(),
            }],
            role_schedules: if pim {
                vec![LiveRoleSchedule {
                    holding: Holding::Eligible,
                    id: "e1".into(),
                    principal_id: p,
                    role_definition_id: "r2".into(),
                    directory_scope_id: "/".into(),
                    end: end.map(str::to_string),
                    activated: false,
                    inherited: false,
                    assignment_id: None,
                }]
            } else {
                Vec::new()
            },
            ..LiveParts::default()
        })
    }

    fn steps() -> Vec<Step> {
        vec![Step {
            id: 0,
            wave: 0,
            op: Op::RemoveRoleSchedule {
                role: RoleRef {
                    name: "R2".into(),
                    definition_id: "r2".into(),
                },
                principal: PrincipalRef {
                    id: ObjectId("p1".into()),
                    upn: None,
                },
                holding: Holding::Eligible,
                scope: RoleScope::tenant(),
                until: None,
            },
            depends_on: vec![],
        }]
    }

    /// A change to a principal's eligibility makes a saved plan stale; a
    /// principal without PIM holdings keeps the fingerprint it always had.
    #[test]
    fn pim_holdings_are_fingerprinted() {
        let a = fingerprints(&live(None, true), &steps());
        let b = fingerprints(&live(Some("2099-01-01T00:00:00Z"), true), &steps());
        assert_ne!(a["roles:p1"], b["roles:p1"]);
        let plain = fingerprints(&live(None, false), &steps());
        let l = live(None, false);
        assert_eq!(
            plain["roles:p1"],
            fp(&l.assignments_of(&ObjectId("p1".into())))
        );
    }
}
