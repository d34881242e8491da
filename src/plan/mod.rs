//! The plan: operations in a dependency DAG, safety gates, and renderers (all pure).
//!
//! `build` takes the checked desired state and the live snapshot, asks `diff`
//! for the operations, orders them (`graph`), evaluates the safety gates
//! (`gates`) and returns a [`Plan`] value that renderers turn into text,
//! Markdown, JSON or DOT. Nothing here does I/O.

pub mod access;
pub mod diff;
pub mod gates;
pub mod graph;
pub mod render;
pub mod saved;
pub mod simulate;

pub use crate::model::{codes, effect, op};

use serde::{Deserialize, Serialize};

pub use codes::{ErrorCode, NoticeCode};
pub use effect::{Action, Effect, Touched};
pub use gates::{GateKind, GateOverrides, GateResult};
pub use op::{
    AttrChange, GroupRef, Notice, Op, OwnerRef, PlanError, PrincipalRef, RoleRef, UserRef,
};

use crate::desired::DesiredState;
use crate::model::live::Live;

/// Version of the plan's JSON form (`docs/plan-format.md`).
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// Most steps a plan read back from a file may hold (also the bound of every step
/// index in it), so a hand-edited `"wave": 4000000000` is refused where it is written.
pub const MAX_STEPS: usize = 4_000_000;

/// One operation placed in the DAG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Position in `Plan::steps` (stable for the same inputs).
    #[serde(deserialize_with = "bounded_index")]
    pub id: usize,
    /// Topological wave: every dependency is in an earlier wave; apply runs a wave concurrently.
    #[serde(deserialize_with = "bounded_index")]
    pub wave: usize,
    /// What to do.
    #[serde(flatten)]
    pub op: Op,
    /// Ids of the steps that must succeed first.
    #[serde(deserialize_with = "bounded_indexes")]
    pub depends_on: Vec<usize>,
}

fn check_index<E: serde::de::Error>(n: u64) -> Result<usize, E> {
    usize::try_from(n)
        .ok()
        .filter(|n| *n < MAX_STEPS)
        .ok_or_else(|| {
            E::custom(format!(
                "step index {n} is out of range (a plan holds at most {MAX_STEPS} steps)"
            ))
        })
}

fn bounded_index<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    check_index(u64::deserialize(d)?)
}

fn bounded_indexes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<usize>, D::Error> {
    // A step depends on earlier steps only, so a list longer than MAX_STEPS is malformed;
    // the file size bound keeps the vector itself small.
    Vec::<u64>::deserialize(d)?
        .into_iter()
        .map(check_index)
        .collect()
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Users and groups created or restored.
    pub create: usize,
    /// Attribute, manager, membership, role and enable changes, and session revocations.
    pub update: usize,
    /// Users disabled.
    pub disable: usize,
    /// Users deleted.
    pub delete: usize,
}

impl Summary {
    /// Count the steps by action.
    pub fn of(steps: &[Step]) -> Summary {
        let mut summary = Summary::default();
        for s in steps {
            match s.op.action() {
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::Disable => summary.disable += 1,
                Action::Delete => summary.delete += 1,
            }
        }
        summary
    }

    /// Total number of operations.
    pub fn total(&self) -> usize {
        self.create + self.update + self.disable + self.delete
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Plan: {} to create, {} to update, {} to disable, {} to delete.",
            self.create, self.update, self.disable, self.delete
        )
    }
}

/// A complete plan: what to do, in which order, and whether it is safe.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// Operations in execution order (by wave, then deterministically).
    pub steps: Vec<Step>,
    /// Things not done, and why (read-only objects, protected principals).
    pub notices: Vec<Notice>,
    /// Problems that make the plan impossible; a plan with errors must not be applied.
    pub errors: Vec<PlanError>,
    /// Every safety gate, evaluated.
    pub gates: Vec<GateResult>,
    /// Counts by action.
    pub summary: Summary,
    /// Live users the repo owns (the base of percentage thresholds).
    pub owned_users: u64,
}

impl Plan {
    /// Are there operations to run?
    pub fn has_changes(&self) -> bool {
        !self.steps.is_empty()
    }
    /// Did a gate trip without its override?
    pub fn is_blocked(&self) -> bool {
        self.gates.iter().any(|g| g.tripped && !g.overridden)
    }
    /// Number of waves.
    /// True when the plan's only errors are seat shortfalls (`seat-shortfall`):
    /// Graph would refuse the licences, so it is stopped like a tripped gate
    /// (exit 3), but no flag overrides it (docs/decisions.md).
    pub fn short_of_seats(&self) -> bool {
        !self.errors.is_empty()
            && self
                .errors
                .iter()
                .all(|e| e.code == ErrorCode::SeatShortfall)
    }

    pub fn waves(&self) -> usize {
        self.steps.iter().map(|s| s.wave + 1).max().unwrap_or(0)
    }
}

/// Compute the plan that takes `live` to `desired`, without a clock: no
/// time-based rule (leave and hire dates, `until:`, `delete_after:`) applies.
/// The CLI always plans with one ([`build_at`]).
pub fn build(desired: &DesiredState, live: &Live, overrides: &GateOverrides) -> Plan {
    plan_with(desired, live, overrides, None)
}

/// Compute the plan that takes `live` to `desired` at `now` (the clock is an
/// input: the same inputs give the same plan).
pub fn build_at(
    desired: &DesiredState,
    live: &Live,
    overrides: &GateOverrides,
    now: crate::model::clock::Moment,
) -> Plan {
    plan_with(desired, live, overrides, Some(now))
}

fn plan_with(
    desired: &DesiredState,
    live: &Live,
    overrides: &GateOverrides,
    now: Option<crate::model::clock::Moment>,
) -> Plan {
    let diff = diff::diff_at(desired, live, now);
    let mut errors = diff.errors;
    let (seat_notices, seat_errors) = diff::licenses::seats(&diff.ops, live);
    errors.extend(seat_errors);
    let steps = match graph::order(diff.ops) {
        Ok(steps) => steps,
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    };
    let summary = Summary::of(&steps);
    let gates = gates::evaluate(desired, live, &steps, diff.owned_users, overrides);
    // Steps Graph would refuse to the running principal (permissions, roles);
    // a read-only identity's plan says it could not check them.
    let mut notices = diff.notices;
    notices.extend(seat_notices);
    if access::is_read_only(live) {
        if !steps.is_empty() {
            notices.push(access::read_only_notice());
        }
    } else {
        errors.extend(access::check(&steps, live));
    }
    Plan {
        steps,
        notices,
        errors,
        gates,
        summary,
        owned_users: diff.owned_users,
    }
}
