//! Privileged Identity Management (PIM) for directory roles, under
//! `/roleManagement/directory/`: eligibility and assignment schedule
//! requests (`adminAssign`, `adminUpdate`, `adminExtend`, `adminRemove`,
//! `selfActivate`, `selfDeactivate`), and the schedules and instances they
//! create (research: docs/emulator.md *PIM*; Microsoft's
//! api-reference/v1.0/resources/privilegedidentitymanagementv3-overview.md).
//!
//! One store of truth: an *active* assignment, however it was made (a plain
//! `POST roleAssignments`, the seed, a PIM `adminAssign`, an activation), is
//! a [`crate::state::RoleAssignment`] in `Tenant::assignments`; this module
//! keeps only what PIM adds to it (its schedule: start, end, justification,
//! `assignmentType`, the eligibility it was activated with). Eligibilities
//! exist only here: "a merely eligible principal has no unifiedRoleAssignment"
//! (concepts/tutorial-assign-azureadroles.md, step 4). The assignment
//! schedule and instance lists therefore show direct role assignments too,
//! as resources/unifiedroleassignmentschedule.md says they include
//! "those created directly through the role assignments API".

pub mod requests;
pub mod seed;
pub mod time;
pub mod views;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse};
use super::state::{RoleAssignment, Tenant};
use super::util::{iso8601, now_secs};

/// Most schedule requests kept for `GET …ScheduleRequests` (oldest dropped first): bounds memory.
pub const MAX_KEPT_REQUESTS: usize = 1000;

/// Default longest activation: "activation is always time-bound, up to a
/// maximum of 8 hours" (privilegedidentitymanagementv3-overview.md).
pub const DEFAULT_MAX_ACTIVATION_SECS: i64 = 8 * 3600;

/// `expirationPattern.type` (resources/expirationpattern.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiration {
    /// `noExpiration`: permanent.
    NoExpiration,
    /// `afterDateTime`: ends at `endDateTime`.
    AfterDateTime,
    /// `afterDuration`: ends `duration` after the start.
    AfterDuration,
}

impl Expiration {
    /// The camelCase name Graph returns.
    pub fn as_str(self) -> &'static str {
        match self {
            Expiration::NoExpiration => "noExpiration",
            Expiration::AfterDateTime => "afterDateTime",
            Expiration::AfterDuration => "afterDuration",
        }
    }
}

/// A schedule: when it starts and how it ends (`requestSchedule`).
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// Start, seconds since the epoch.
    pub start: i64,
    /// End (`None`: no expiration).
    pub end: Option<i64>,
    /// How the end was given.
    pub kind: Expiration,
    /// The ISO 8601 duration, for `afterDuration`.
    pub duration: Option<String>,
}

impl Schedule {
    /// A permanent schedule from `start`.
    pub fn permanent(start: i64) -> Schedule {
        Schedule {
            start,
            end: None,
            kind: Expiration::NoExpiration,
            duration: None,
        }
    }

    /// In effect at `now`.
    pub fn active_at(&self, now: i64) -> bool {
        self.start <= now && self.end.is_none_or(|e| now < e)
    }

    /// Over at `now`.
    pub fn expired_at(&self, now: i64) -> bool {
        self.end.is_some_and(|e| e <= now)
    }

    /// The `requestSchedule` JSON (`recurrence` is not supported in PIM: always null).
    pub fn to_json(&self) -> Value {
        json!({
            "startDateTime": iso8601(self.start),
            "recurrence": null,
            "expiration": {
                "type": self.kind.as_str(),
                "endDateTime": match self.kind {
                    Expiration::AfterDateTime => self.end.map(iso8601),
                    _ => None,
                },
                "duration": self.duration,
            }
        })
    }
}

/// `memberType`: held directly, or through a role-assignable group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberType {
    /// `Direct`
    Direct,
    /// `Group`
    Group,
}

impl MemberType {
    /// Graph's value.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberType::Direct => "Direct",
            MemberType::Group => "Group",
        }
    }
}

/// A role eligibility (`unifiedRoleEligibilitySchedule`).
#[derive(Debug, Clone, PartialEq)]
pub struct Eligibility {
    /// Schedule id (the creating request's id, as Graph's samples show).
    pub id: String,
    /// The eligible user or role-assignable group.
    pub principal_id: String,
    /// Role definition (template) id.
    pub role_definition_id: String,
    /// `/` or `/administrativeUnits/{id}`.
    pub directory_scope_id: String,
    /// When it holds.
    pub schedule: Schedule,
    /// The request that created it (`None` for a seeded one).
    pub created_using: Option<String>,
    /// Creation time.
    pub created: Option<i64>,
    /// Last `adminUpdate`/`adminExtend`.
    pub modified: Option<i64>,
    /// The id of its instance (`…-1-e`, as Graph's samples).
    pub instance_id: String,
}

/// `assignmentType` of an active assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentType {
    /// `Assigned`: given by an admin (or directly).
    Assigned,
    /// `Activated`: an eligible principal activated it.
    Activated,
}

impl AssignmentType {
    /// Graph's value.
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentType::Assigned => "Assigned",
            AssignmentType::Activated => "Activated",
        }
    }
}

/// What PIM knows about an active assignment besides the role assignment
/// itself (`unifiedRoleAssignmentSchedule`).
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveSchedule {
    /// Schedule id.
    pub id: String,
    /// Principal.
    pub principal_id: String,
    /// Role definition (template) id.
    pub role_definition_id: String,
    /// Scope.
    pub directory_scope_id: String,
    /// When it holds.
    pub schedule: Schedule,
    /// The request that created it.
    pub created_using: Option<String>,
    /// Creation time.
    pub created: Option<i64>,
    /// Last update.
    pub modified: Option<i64>,
    /// Assigned or Activated.
    pub assignment_type: AssignmentType,
    /// Held directly or through a role-assignable group's eligibility.
    pub member_type: MemberType,
    /// For an activation: the eligibility schedule used (`activatedUsing`).
    pub activated_using: Option<String>,
    /// The role assignment once the schedule has started (`None` before).
    pub assignment_id: Option<String>,
}

/// A role's PIM settings the emulator models (unifiedRoleManagementPolicy
/// rules: `Expiration_Admin_Eligibility`, `Expiration_Admin_Assignment`,
/// `Expiration_EndUser_Assignment`, `Enablement_EndUser_Assignment`;
/// concepts/identity-governance-pim-rules-overview.md). Seedable per role.
#[derive(Debug, Clone, PartialEq)]
pub struct RolePolicy {
    /// Eligibilities must end (`isExpirationRequired` of Expiration_Admin_Eligibility).
    pub eligibility_expiration_required: bool,
    /// Active assignments must end (`isExpirationRequired` of Expiration_Admin_Assignment).
    pub assignment_expiration_required: bool,
    /// Longest activation (`maximumDuration` of Expiration_EndUser_Assignment).
    pub maximum_activation_secs: i64,
    /// Activation needs a justification (`Justification` in Enablement_EndUser_Assignment).
    pub activation_justification_required: bool,
}

impl Default for RolePolicy {
    fn default() -> Self {
        RolePolicy {
            eligibility_expiration_required: false,
            assignment_expiration_required: false,
            maximum_activation_secs: DEFAULT_MAX_ACTIVATION_SECS,
            // Every documented activation sends one; the emulator requires it
            // unless a seed policy says otherwise (stricter reading).
            activation_justification_required: true,
        }
    }
}

/// The PIM part of the tenant.
#[derive(Debug, Clone, Default)]
pub struct PimState {
    /// Eligibilities by schedule id.
    pub eligibilities: BTreeMap<String, Eligibility>,
    /// Schedules of active assignments made through PIM (or seeded with
    /// time bounds), by schedule id; direct assignments have none.
    pub active: BTreeMap<String, ActiveSchedule>,
    /// Per-role settings (role template id → policy); absent: the defaults.
    pub policies: BTreeMap<String, RolePolicy>,
    /// `roleAssignmentScheduleRequests` made so far (newest last).
    pub assignment_requests: Vec<Value>,
    /// `roleEligibilityScheduleRequests` made so far (newest last).
    pub eligibility_requests: Vec<Value>,
    /// When the tenant was loaded: the start shown for direct assignments,
    /// whose real start the emulator does not know.
    pub loaded_at: i64,
}

impl PimState {
    /// The policy of a role.
    pub fn policy(&self, role: &str) -> RolePolicy {
        self.policies.get(role).cloned().unwrap_or_default()
    }

    /// Whether a role assignment is the started form of a PIM schedule
    /// (dumped with the schedule, not as a plain role assignment).
    pub fn owns_assignment(&self, assignment: &str) -> bool {
        self.active
            .values()
            .any(|s| s.assignment_id.as_deref() == Some(assignment))
    }

    /// Whether nothing time-dependent is stored (the sweep has nothing to do).
    fn is_idle(&self) -> bool {
        self.eligibilities.is_empty() && self.active.is_empty()
    }
}

/// Bring the tenant to `now`: start scheduled assignments whose start has
/// come (they become role assignments), end those whose end has passed
/// (Graph removes expired assignments and eligibilities), and drop
/// schedules whose role assignment was deleted directly or whose principal
/// left the directory.
pub fn sweep(t: &mut Tenant, now: i64) {
    if t.pim.is_idle() {
        return;
    }
    let mut ended = Vec::new();
    let ids: Vec<String> = t.pim.active.keys().cloned().collect();
    for id in ids {
        let Some(s) = t.pim.active.get(&id).cloned() else {
            continue;
        };
        let gone = t.kind_of(&s.principal_id).is_none()
            || s.assignment_id
                .as_ref()
                .is_some_and(|a| !t.assignments.contains_key(a));
        if gone || s.schedule.expired_at(now) {
            if let Some(a) = &s.assignment_id {
                t.assignments.remove(a);
            }
            ended.push(id);
        } else if s.assignment_id.is_none() && s.schedule.active_at(now) {
            let aid = t.new_assignment_id();
            t.activated_roles.insert(s.role_definition_id.clone());
            t.assignments.insert(
                aid.clone(),
                RoleAssignment {
                    id: aid.clone(),
                    principal_id: s.principal_id.clone(),
                    role_definition_id: s.role_definition_id.clone(),
                    directory_scope_id: s.directory_scope_id.clone(),
                },
            );
            if let Some(x) = t.pim.active.get_mut(&id) {
                x.assignment_id = Some(aid);
            }
        }
    }
    for id in ended {
        t.pim.active.remove(&id);
    }
    let gone: Vec<String> = t
        .pim
        .eligibilities
        .values()
        .filter(|e| e.schedule.expired_at(now) || t.kind_of(&e.principal_id).is_none())
        .map(|e| e.id.clone())
        .collect();
    for id in gone {
        t.pim.eligibilities.remove(&id);
    }
}

/// The PIM collections under `/roleManagement/directory/`.
pub const SETS: &[&str] = &[
    "roleEligibilityScheduleRequests",
    "roleEligibilitySchedules",
    "roleEligibilityScheduleInstances",
    "roleAssignmentScheduleRequests",
    "roleAssignmentSchedules",
    "roleAssignmentScheduleInstances",
];

/// Route a request if it is PIM's (`None` otherwise). Every request first
/// brings schedules up to date, so `roleAssignments` and `directoryRoles`
/// see activations start and end too.
pub fn route(
    ctx: &Ctx,
    t: &mut Tenant,
    req: &ApiRequest,
    s: &[&str],
) -> Option<GraphResult<ApiResponse>> {
    sweep(t, now_secs());
    let ["roleManagement", "directory", set, rest @ ..] = s else {
        return None;
    };
    if !SETS.contains(set) {
        return None;
    }
    // A tenant without Entra ID P2 / ID Governance: Graph refuses PIM with
    // 400 AadPremiumLicenseRequired (maester365/maester#1421, a GET of
    // roleEligibilityScheduleInstances; the emulator answers every PIM set so).
    if !t.info.entra_id_p2 {
        return Some(Err(GraphError::new(
            400,
            "AadPremiumLicenseRequired",
            "The tenant needs to have Microsoft Entra ID P2 or Microsoft Entra ID Governance license.",
        )));
    }
    let m = req.method.as_str();
    Some(match (m, *set, rest) {
        ("POST", "roleEligibilityScheduleRequests", []) => requests::eligibility(ctx, t, req),
        ("POST", "roleAssignmentScheduleRequests", []) => requests::assignment(ctx, t, req),
        ("GET", "roleEligibilityScheduleRequests", []) => views::requests(ctx, t, req, false),
        ("GET", "roleAssignmentScheduleRequests", []) => views::requests(ctx, t, req, true),
        ("GET", set, []) => views::list(ctx, t, req, set),
        ("GET", "roleAssignmentScheduleInstances", [id]) => views::get_instance(ctx, t, req, id),
        (_, _, [] | [_]) => Err(GraphError::method_not_allowed()),
        (_, _, [.., last]) => Err(GraphError::new(
            400,
            "BadRequest",
            format!("Resource not found for the segment '{last}'."),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;

    const ALEX: &str = "7d54cb02-aaa3-4016-9f9c-a4b49422dd9b";
    const USER_ADMIN: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";

    fn tenant(extra: &str) -> Tenant {
        let yaml = format!(
            "users:\n  - id: {ALEX}\n    userPrincipalName: alex@contoso.onmicrosoft.com\n{extra}"
        );
        Tenant::from_seed(Seed::parse(&yaml).unwrap(), 1).unwrap()
    }

    fn active(t: &mut Tenant, start: i64, end: Option<i64>) -> String {
        let id = "sched-1".to_string();
        t.pim.active.insert(
            id.clone(),
            ActiveSchedule {
                id: id.clone(),
                principal_id: ALEX.into(),
                role_definition_id: USER_ADMIN.into(),
                directory_scope_id: "/".into(),
                schedule: Schedule {
                    start,
                    end,
                    kind: Expiration::AfterDateTime,
                    duration: None,
                },
                created_using: Some(id.clone()),
                created: Some(start),
                modified: None,
                assignment_type: AssignmentType::Activated,
                member_type: MemberType::Direct,
                activated_using: None,
                assignment_id: None,
            },
        );
        id
    }

    #[test]
    fn a_schedule_becomes_a_role_assignment_at_its_start_and_goes_at_its_end() {
        let mut t = tenant("");
        let id = active(&mut t, 1_000, Some(2_000));
        sweep(&mut t, 999);
        assert!(t.assignments.is_empty(), "not started yet");
        sweep(&mut t, 1_000);
        let aid = t.pim.active[&id].assignment_id.clone().expect("started");
        assert_eq!(t.assignments[&aid].principal_id, ALEX);
        assert!(t.activated_roles.contains(USER_ADMIN));
        assert!(t.pim.owns_assignment(&aid));
        sweep(&mut t, 1_999);
        assert!(t.assignments.contains_key(&aid));
        sweep(&mut t, 2_000);
        assert!(t.assignments.is_empty(), "ended: the role assignment goes");
        assert!(t.pim.active.is_empty());
    }

    #[test]
    fn a_schedule_whose_role_assignment_was_deleted_goes_too() {
        let mut t = tenant("");
        let id = active(&mut t, 0, None);
        sweep(&mut t, 10);
        let aid = t.pim.active[&id].assignment_id.clone().unwrap();
        t.assignments.remove(&aid);
        sweep(&mut t, 11);
        assert!(t.pim.active.is_empty());
    }

    #[test]
    fn expired_eligibilities_and_those_of_departed_principals_go() {
        let mut t = tenant(
            "roleEligibilities:\n  - principalId: alex@contoso.onmicrosoft.com\n    roleDefinitionId: User Administrator\n    endDateTime: 2099-01-01T00:00:00Z\n",
        );
        assert_eq!(t.pim.eligibilities.len(), 1);
        let end = time::parse_datetime("2099-01-01T00:00:00Z").unwrap();
        sweep(&mut t, end - 1);
        assert_eq!(t.pim.eligibilities.len(), 1);
        sweep(&mut t, end);
        assert!(t.pim.eligibilities.is_empty());
        let mut t = tenant(
            "roleEligibilities:\n  - principalId: alex@contoso.onmicrosoft.com\n    roleDefinitionId: User Administrator\n",
        );
        t.take_user(ALEX);
        sweep(&mut t, now_secs());
        assert!(t.pim.eligibilities.is_empty());
    }

    #[test]
    fn schedules_render_graphs_expiration_shapes() {
        let s = Schedule {
            start: 0,
            end: Some(5 * 3600),
            kind: Expiration::AfterDuration,
            duration: Some("PT5H".into()),
        };
        let j = s.to_json();
        assert_eq!(j["startDateTime"], "1970-01-01T00:00:00Z");
        assert_eq!(j["recurrence"], Value::Null);
        assert_eq!(
            j["expiration"],
            json!({"type": "afterDuration", "endDateTime": null, "duration": "PT5H"})
        );
        let j = Schedule::permanent(0).to_json();
        assert_eq!(
            j["expiration"],
            json!({"type": "noExpiration", "endDateTime": null, "duration": null})
        );
        assert!(Schedule::permanent(0).active_at(i64::MAX));
    }

    #[test]
    fn seed_policies_load_and_dump_only_what_differs_from_the_defaults() {
        let t = tenant(
            "roleManagementPolicies:\n  - roleDefinitionId: User Administrator\n    assignmentExpirationRequired: true\n    maximumActivationDuration: PT2H\n",
        );
        let p = t.pim.policy(USER_ADMIN);
        assert!(p.assignment_expiration_required);
        assert!(!p.eligibility_expiration_required);
        assert_eq!(p.maximum_activation_secs, 7200);
        assert_eq!(t.pim.policy("other"), RolePolicy::default());
        let dumped = t.to_seed();
        assert_eq!(dumped.role_management_policies.len(), 1);
        assert_eq!(
            dumped.role_management_policies[0]
                .maximum_activation_duration
                .as_deref(),
            Some("PT7200S")
        );
        assert_eq!(
            dumped.role_management_policies[0].activation_justification_required,
            None
        );
        let text = serde_json::to_string(&Seed::default()).unwrap();
        assert!(
            !text.contains("roleEligibilities"),
            "empty lists are not dumped: {text}"
        );
    }
}
