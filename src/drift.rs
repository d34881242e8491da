//! Drift reports: a plan read as "what changed in the tenant outside the repo".
//!
//! When the repo has not changed since the last apply, every operation of a
//! fresh plan reverts something done to the tenant by someone else (the
//! portal, a script, another tool). [`DriftReport::from_plan`] groups those
//! operations by object (a user, `group:<name>`, `role:<name>`) with each
//! attribute's live value and the value it would be reverted to; the report
//! renders as Markdown or serialises as JSON. Pure: no I/O, no clock.
//!
//! Who made a change is not known to entraform (that is in Entra's audit
//! log, which entraform does not read); the report names the object, what
//! the tenant holds now, and what the repo would restore.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::model::attrs::AttrValue;
use crate::plan::{Action, Op, Plan};

/// Rows of the Markdown table at most (GitHub job summaries take 1 MiB); JSON lists everything.
pub const MAX_MARKDOWN_ROWS: usize = 2_000;

/// Version of the report's JSON form (2: an applied run lists its changes under
/// `reverted`, each with its `result`; `would_revert` is only for runs that applied nothing).
pub const DRIFT_REPORT_VERSION: u32 = 2;

/// One attribute (or relation) that differs: what the tenant has, what the repo says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Operation kind that reverts it (`update_user`, `add_member`, …).
    pub op: &'static str,
    /// Attribute or relation (`jobTitle`, `accountEnabled`, `manager`, `member`, `role`, `object`).
    pub attribute: String,
    /// Value in the tenant now (`null`: unset / absent).
    pub live: Option<String>,
    /// Value the run restores (`null`: cleared / removed).
    pub desired: Option<String>,
    /// After an apply: what became of the operation (`done`, `failed`,
    /// `skipped`, `interrupted`); absent when nothing was applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<&'static str>,
    /// The plan step that reverts it.
    #[serde(skip)]
    pub step: usize,
}

/// One drifted object and everything reverted on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftedObject {
    /// `upn`, `group:<name>` or `role:<name>`.
    pub object: String,
    /// The differences, in plan order.
    pub changes: Vec<Change>,
}

/// How the run ended (filled in by the caller).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing differs.
    NoDrift,
    /// Reported only (`--dry-run`, or the run was not approved).
    NotApplied {
        /// Why nothing was applied.
        reason: String,
    },
    /// A safety gate stopped the run.
    Blocked {
        /// The tripped gates.
        gates: Vec<String>,
    },
    /// The plan has errors.
    Errors {
        /// One line each.
        errors: Vec<String>,
    },
    /// Applied.
    Reconciled {
        /// Steps done.
        done: usize,
        /// Steps failed.
        failed: usize,
        /// Steps skipped or interrupted.
        skipped: usize,
    },
}

/// The drift report (`reconcile --report`). In JSON, the drifted objects are
/// `reverted` after an apply and `would_revert` otherwise (the key says which).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftReport {
    /// [`DRIFT_REPORT_VERSION`].
    pub version: u32,
    /// Objects that drifted.
    pub objects: usize,
    /// Operations that revert the drift.
    pub operations: usize,
    /// Operations by kind.
    pub by_kind: BTreeMap<&'static str, usize>,
    /// Operations by action (create, update, disable, delete).
    pub by_action: BTreeMap<Action, usize>,
    /// What drifted, object by object (sorted by object): in JSON
    /// `would_revert`, or `reverted` once [`DriftReport::applied`] recorded the run.
    pub drift: Vec<DriftedObject>,
    /// Whether the run applied the plan ([`DriftReport::applied`]).
    pub applied: bool,
    /// How the run ended.
    pub outcome: Outcome,
}

impl Serialize for DriftReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("DriftReport", 7)?;
        st.serialize_field("version", &self.version)?;
        st.serialize_field("objects", &self.objects)?;
        st.serialize_field("operations", &self.operations)?;
        st.serialize_field("by_kind", &self.by_kind)?;
        st.serialize_field("by_action", &self.by_action)?;
        // The key says whether the run changed the tenant.
        if self.applied {
            st.serialize_field("reverted", &self.drift)?;
        } else {
            st.serialize_field("would_revert", &self.drift)?;
        }
        st.serialize_field("outcome", &self.outcome)?;
        st.end()
    }
}

fn val(v: Option<&AttrValue>) -> Option<String> {
    v.map(|v| match v {
        AttrValue::Text(s) => s.clone(),
        AttrValue::List(l) => format!("[{}]", l.join(", ")),
    })
}

fn some(s: impl Into<String>) -> Option<String> {
    Some(s.into())
}

/// `alice@contoso.com until 2027-03-31`, or the principal alone without an end.
fn held_until(who: &str, until: Option<&str>) -> String {
    match until {
        Some(d) => format!("{who} until {d}"),
        None => who.to_string(),
    }
}

/// The differences one operation (step `step` of the plan) reverts.
pub fn changes_of(step: usize, op: &Op) -> Vec<Change> {
    let kind = op.kind();
    let c = |attribute: &str, live: Option<String>, desired: Option<String>| Change {
        op: kind,
        attribute: attribute.to_string(),
        live,
        desired,
        result: None,
        step,
    };
    match op {
        Op::CreateUser { .. } => vec![c("object", None, some("user (created)"))],
        Op::InviteGuest { .. } => vec![c("object", None, some("guest (invited)"))],
        Op::RestoreUser { .. } => vec![c("object", some("deleted"), some("restored"))],
        Op::UpdateUser { changes, .. } => changes
            .iter()
            .map(|ch| {
                c(
                    ch.attr.graph_name(),
                    val(ch.old.as_ref()),
                    val(ch.new.as_ref()),
                )
            })
            .collect(),
        Op::EnableUser { .. } => vec![c("accountEnabled", some("false"), some("true"))],
        Op::DisableUser { .. } => vec![c("accountEnabled", some("true"), some("false"))],
        Op::RevokeSessions { .. } => vec![c("sessions", some("active"), some("revoked"))],
        Op::ResetPassword { .. } => vec![c("password", some("known"), some("reset"))],
        Op::DisableDevice { device, .. } => vec![c(
            &format!("device {}", device.name),
            some("enabled"),
            some("disabled"),
        )],
        Op::RemoveAuthenticationMethod { method, .. } => {
            vec![c("authenticationMethod", some(method.describe()), None)]
        }
        Op::CreateTemporaryAccessPass { .. } => {
            vec![c("temporaryAccessPass", None, some("issued"))]
        }
        Op::DeleteUser { .. } => vec![c("object", some("user"), None)],
        Op::SetManager {
            manager, previous, ..
        } => vec![c(
            "manager",
            previous.as_ref().map(|p| {
                p.upn
                    .as_ref()
                    .map_or_else(|| p.id.to_string(), |u| u.to_string())
            }),
            some(manager.upn.to_string()),
        )],
        Op::RemoveManager { previous, .. } => vec![c(
            "manager",
            some(
                previous
                    .upn
                    .as_ref()
                    .map_or_else(|| previous.id.to_string(), |u| u.to_string()),
            ),
            None,
        )],
        Op::CreateGroup { .. } => vec![c("object", None, some("group (created)"))],
        Op::UpdateGroup {
            old_description,
            new_description,
            ..
        } => vec![c(
            "description",
            old_description.clone(),
            new_description.clone(),
        )],
        Op::AddMember { member, .. } => {
            vec![c("member", None, some(member.upn.to_string()))]
        }
        Op::RemoveMember { member, .. } => vec![c(
            "member",
            some(
                member
                    .upn
                    .as_ref()
                    .map_or_else(|| member.id.to_string(), |u| u.to_string()),
            ),
            None,
        )],
        Op::AddOwner { owner, .. } => vec![c("owner", None, some(owner.to_string()))],
        Op::RemoveOwner { owner, .. } => vec![c(
            "owner",
            some(
                owner
                    .upn
                    .as_ref()
                    .map_or_else(|| owner.id.to_string(), |u| u.to_string()),
            ),
            None,
        )],
        Op::AssignRole { principal, .. } => {
            vec![c("assignee", None, some(principal.upn.to_string()))]
        }
        Op::RemoveRole { principal, .. } => vec![c(
            "assignee",
            some(
                principal
                    .upn
                    .as_ref()
                    .map_or_else(|| principal.id.to_string(), |u| u.to_string()),
            ),
            None,
        )],
        Op::RenameUser { user, new_upn } => vec![c(
            "userPrincipalName",
            some(user.upn.to_string()),
            some(new_upn.to_string()),
        )],
        Op::AssignLicenses { add, remove, .. } => add
            .iter()
            .map(|l| c("license", None, some(l.part_number.clone())))
            .chain(
                remove
                    .iter()
                    .map(|l| c("license", some(l.part_number.clone()), None)),
            )
            .collect(),
        Op::AssignRoleSchedule {
            principal,
            holding,
            until,
            ..
        } => vec![c(
            holding.as_str(),
            None,
            some(held_until(&principal.upn.to_string(), until.as_deref())),
        )],
        Op::UpdateRoleSchedule {
            principal,
            holding,
            old_until,
            until,
            ..
        } => {
            let who = principal
                .upn
                .as_ref()
                .map_or_else(|| principal.id.to_string(), |u| u.to_string());
            vec![c(
                holding.as_str(),
                some(held_until(&who, old_until.as_deref())),
                some(held_until(&who, until.as_deref())),
            )]
        }
        Op::RemoveRoleSchedule {
            principal,
            holding,
            until,
            ..
        } => {
            let who = principal
                .upn
                .as_ref()
                .map_or_else(|| principal.id.to_string(), |u| u.to_string());
            vec![c(
                holding.as_str(),
                some(held_until(&who, until.as_deref())),
                None,
            )]
        }
    }
}

impl DriftReport {
    /// Read `plan` as drift. The outcome starts as [`Outcome::NoDrift`] or
    /// [`Outcome::NotApplied`], [`Outcome::Blocked`], [`Outcome::Errors`]
    /// from the plan itself; the caller sets it after applying.
    pub fn from_plan(plan: &Plan) -> DriftReport {
        let mut objects: BTreeMap<String, Vec<Change>> = BTreeMap::new();
        let mut by_kind = BTreeMap::new();
        let mut by_action = BTreeMap::new();
        for s in &plan.steps {
            *by_kind.entry(s.op.kind()).or_insert(0) += 1;
            *by_action.entry(s.op.action()).or_insert(0) += 1;
            objects
                .entry(s.op.object_key())
                .or_default()
                .extend(changes_of(s.id, &s.op));
        }
        let outcome = if !plan.errors.is_empty() {
            Outcome::Errors {
                errors: plan
                    .errors
                    .iter()
                    .map(|e| format!("{}: {}", e.code, e.message))
                    .collect(),
            }
        } else if plan.is_blocked() {
            Outcome::Blocked {
                gates: plan
                    .gates
                    .iter()
                    .filter(|g| g.tripped && !g.overridden)
                    .map(|g| format!("{}: {}", g.gate.id(), g.message))
                    .collect(),
            }
        } else if plan.steps.is_empty() {
            Outcome::NoDrift
        } else {
            Outcome::NotApplied {
                reason: "not applied yet".into(),
            }
        };
        DriftReport {
            version: DRIFT_REPORT_VERSION,
            objects: objects.len(),
            operations: plan.steps.len(),
            by_kind,
            by_action,
            drift: objects
                .into_iter()
                .map(|(object, changes)| DriftedObject { object, changes })
                .collect(),
            applied: false,
            outcome,
        }
    }

    /// Is there drift?
    pub fn has_drift(&self) -> bool {
        self.operations > 0
    }

    /// Record an apply: `result_of(step)` tells what became of each plan step
    /// (`done`, `failed`, `skipped`, `interrupted`), and how the run ended.
    /// The objects are then the `reverted` ones, each change with its result.
    pub fn applied(&mut self, result_of: impl Fn(usize) -> &'static str, outcome: Outcome) {
        for o in &mut self.drift {
            for c in &mut o.changes {
                c.result = Some(result_of(c.step));
            }
        }
        self.applied = true;
        self.outcome = outcome;
    }

    /// Versioned JSON, pretty-printed, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Markdown: a heading, the outcome, counts, then one table row per difference.
    pub fn to_markdown(&self) -> String {
        let mut s = String::from("## entraform drift report\n\n");
        let _ = match &self.outcome {
            Outcome::NoDrift => writeln!(s, "**No drift**: the tenant matches the repo.\n"),
            Outcome::NotApplied { reason } => writeln!(
                s,
                "**Drift found, not reverted** ({reason}): {} on {} would revert it.\n",
                counted(self.operations, "operation", "operations"),
                counted(self.objects, "object", "objects")
            ),
            Outcome::Blocked { gates } => writeln!(
                s,
                "**Drift found, blocked by a safety gate** ({}): nothing was reverted.\n",
                gates.join(", ")
            ),
            Outcome::Errors { errors } => writeln!(
                s,
                "**The plan has errors**; nothing was reverted:\n\n{}\n",
                errors
                    .iter()
                    .map(|e| format!("- {}", md(e)))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            Outcome::Reconciled {
                done,
                failed,
                skipped,
            } => writeln!(
                s,
                "**{}**: {done} done, {failed} failed, {skipped} skipped ({}).\n",
                match (done, failed + skipped) {
                    (_, 0) => "Drift reverted",
                    (0, _) => "Drift not reverted",
                    _ => "Drift partly reverted",
                },
                counted(self.objects, "object", "objects")
            ),
        };
        if !self.has_drift() {
            return s;
        }
        s.push_str("| operation | count |\n|---|---:|\n");
        for (k, n) in &self.by_kind {
            let _ = writeln!(s, "| `{k}` | {n} |");
        }
        if self.applied {
            s.push_str("\n### Reverted\n\n");
            s.push_str(
                "| object | attribute | in the tenant | restored to | by | result |\n|---|---|---|---|---|---|\n",
            );
        } else {
            s.push_str("\n### Would be reverted\n\n");
            s.push_str(
                "| object | attribute | in the tenant | restored to | by |\n|---|---|---|---|---|\n",
            );
        }
        let rows: usize = self.drift.iter().map(|o| o.changes.len()).sum();
        let mut shown = 0;
        'rows: for o in &self.drift {
            for c in &o.changes {
                if shown == MAX_MARKDOWN_ROWS {
                    break 'rows;
                }
                shown += 1;
                let _ = write!(
                    s,
                    "| {} | `{}` | {} | {} | `{}` |",
                    md(&o.object),
                    c.attribute,
                    cell(c.live.as_deref()),
                    cell(c.desired.as_deref()),
                    c.op
                );
                let _ = match (self.applied, c.result) {
                    (true, Some(r)) => writeln!(s, " {r} |"),
                    (true, None) => writeln!(s, " |"),
                    (false, _) => writeln!(s),
                };
            }
        }
        if shown < rows {
            let _ = writeln!(
                s,
                "\n… {} more differences not shown; the JSON report (`--report drift.json`) lists them all.",
                rows - shown
            );
        }
        s.push_str(
            "\nWho changed the tenant is not known to entraform: see Entra's audit log for these objects.\n",
        );
        s
    }
}

/// `1 object`, `2 objects`.
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn cell(v: Option<&str>) -> String {
    match v {
        None => "*(unset)*".into(),
        Some(v) => format!(
            "`{}`",
            v.replace('`', "'").replace('|', "\\|").replace('\n', " ")
        ),
    }
}

fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Upn;
    use crate::model::attrs::Attr;
    use crate::plan::{AttrChange, Step, Summary, UserRef};

    fn plan(n: usize) -> Plan {
        let steps = (0..n)
            .map(|i| Step {
                id: i,
                wave: 0,
                op: Op::UpdateUser {
                    user: UserRef {
                        upn: Upn::new_unchecked(format!("u{i:05}@contoso.com")),
                        id: None,
                    },
                    changes: vec![AttrChange {
                        attr: Attr::JobTitle,
                        old: Some(AttrValue::Text("Clicked | in portal".into())),
                        new: None,
                    }],
                    keep: Default::default(),
                },
                depends_on: Vec::new(),
            })
            .collect();
        Plan {
            steps,
            notices: Vec::new(),
            errors: Vec::new(),
            gates: Vec::new(),
            summary: Summary {
                update: n,
                ..Summary::default()
            },
            owned_users: n as u64,
        }
    }

    #[test]
    fn groups_by_object_counts_and_escapes() {
        let r = DriftReport::from_plan(&plan(3));
        assert_eq!((r.objects, r.operations), (3, 3));
        assert_eq!(r.by_kind.get("update_user"), Some(&3));
        assert!(matches!(r.outcome, Outcome::NotApplied { .. }));
        let md = r.to_markdown();
        assert!(
            md.contains("| u00000@contoso.com | `jobTitle` | `Clicked \\| in portal` | *(unset)* | `update_user` |"),
            "{md}"
        );
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(
            json["would_revert"][2]["changes"][0]["live"],
            "Clicked | in portal"
        );
        assert!(json["would_revert"][2]["changes"][0]["desired"].is_null());
    }

    #[test]
    fn an_applied_report_says_reverted_with_each_result_and_never_would_revert() {
        let mut r = DriftReport::from_plan(&plan(2));
        r.applied(
            |step| if step == 0 { "done" } else { "failed" },
            Outcome::Reconciled {
                done: 1,
                failed: 1,
                skipped: 0,
            },
        );
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert!(json.get("would_revert").is_none(), "{json:#}");
        assert_eq!(json["reverted"][0]["changes"][0]["result"], "done");
        assert_eq!(json["reverted"][1]["changes"][0]["result"], "failed");
        let md = r.to_markdown();
        assert!(
            md.contains("**Drift partly reverted**: 1 done, 1 failed"),
            "{md}"
        );
        assert!(
            md.contains("### Reverted\n") && !md.contains("Would be"),
            "{md}"
        );
        assert!(md.contains("| `update_user` | failed |"), "{md}");
        // Not applied: the other key, no result.
        let r = DriftReport::from_plan(&plan(1));
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert!(json.get("reverted").is_none(), "{json:#}");
        assert!(
            json["would_revert"][0]["changes"][0]
                .get("result")
                .is_none()
        );
        assert!(
            r.to_markdown()
                .contains("1 operation on 1 object would revert it")
        );
    }

    #[test]
    fn an_empty_plan_is_no_drift_and_a_huge_one_is_capped_in_markdown() {
        let r = DriftReport::from_plan(&plan(0));
        assert_eq!(r.outcome, Outcome::NoDrift);
        assert!(r.to_markdown().contains("No drift"));
        let r = DriftReport::from_plan(&plan(MAX_MARKDOWN_ROWS + 500));
        let md = r.to_markdown();
        assert!(md.contains("… 500 more differences not shown"), "tail");
        assert_eq!(md.matches("`update_user` |\n").count(), MAX_MARKDOWN_ROWS);
        assert_eq!(r.drift.len(), MAX_MARKDOWN_ROWS + 500);
    }
}
