//! `POST /roleManagement/directory/roleEligibilityScheduleRequests` and
//! `…/roleAssignmentScheduleRequests`: the actions, their validation, and
//! the request object Graph answers with (201, `$entity`).
//!
//! Sources: api-reference/v1.0/api/rbacapplication-post-roleeligibilityschedulerequests.md
//! and rbacapplication-post-roleassignmentschedulerequests.md (examples in
//! `tests/graph-examples/pim-*.json`); resources/unifiedroleeligibilityschedulerequest.md,
//! resources/unifiedroleassignmentschedulerequest.md, resources/requestschedule.md,
//! resources/expirationpattern.md.
//!
//! **Errors.** No v1.0 PIM page documents its error codes. The emulator
//! uses the codes of the PIM error table Microsoft documents for the
//! legacy API (api-reference/beta/api/governanceroleassignmentrequest-post.md:
//! every row `400`), which the unified API is observed to return too:
//! `RoleAssignmentExists` "The Role assignment already exists." from
//! `POST roleEligibilityScheduleRequests` (hashicorp/terraform-provider-azuread#1306;
//! Microsoft365DSC#5532, #6459 for assignment requests), and
//! `RoleAssignmentRequestPolicyValidationFailed` "The following policy rules
//! failed: [\"ExpirationRule\"]" (netr0m/az-pim-cli#66, for Entra roles;
//! rule names `EligibilityRule`, `JustificationRule`: MicrosoftDocs/azure-docs#80426).
//! `RoleAssignmentDoesNotExist`, `RoleNotFound` and `SubjectNotFound` are
//! from the legacy table only; their messages are the emulator's wording.

use serde_json::{Map, Value, json};

use super::{
    ActiveSchedule, AssignmentType, Eligibility, Expiration, MAX_KEPT_REQUESTS, MemberType,
    Schedule, sweep, time,
};
use crate::ctx::Ctx;
use crate::error::{GraphError, GraphResult};
use crate::http::{ApiRequest, ApiResponse};
use crate::state::{Kind, Tenant};
use crate::util::{iso8601, now_secs};

/// `unifiedRoleScheduleRequestActions` the emulator models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `adminAssign`
    AdminAssign,
    /// `adminUpdate`
    AdminUpdate,
    /// `adminExtend` (handled as an update of the end)
    AdminExtend,
    /// `adminRemove`
    AdminRemove,
    /// `selfActivate` (assignment requests)
    SelfActivate,
    /// `selfDeactivate` (assignment requests)
    SelfDeactivate,
}

impl Action {
    /// Parse an action; Graph accepts the enum in any case (the tutorial
    /// sends `AdminAssign`, the reference `adminAssign`).
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s.to_ascii_lowercase().as_str() {
            "adminassign" => Action::AdminAssign,
            "adminupdate" => Action::AdminUpdate,
            "adminextend" => Action::AdminExtend,
            "adminremove" => Action::AdminRemove,
            "selfactivate" => Action::SelfActivate,
            "selfdeactivate" => Action::SelfDeactivate,
            _ => return None,
        })
    }

    fn is_self(self) -> bool {
        matches!(self, Action::SelfActivate | Action::SelfDeactivate)
    }

    fn removes(self) -> bool {
        matches!(self, Action::AdminRemove | Action::SelfDeactivate)
    }
}

/// For the permission check: a `selfActivate`/`selfDeactivate` is made by
/// the principal itself (the reference's examples: `createdBy.user.id` is
/// the `principalId`; Graph requires a delegated, MFA-challenged session of
/// that user). With the emulator's tokens this means the token's caller
/// (`EmulatorHandle::issue_token_as`) must be the `principalId`; any other
/// caller is refused with 403.
pub fn self_action_allowed(req: &ApiRequest, caller: Option<&str>) -> bool {
    let Some(body) = req.body.as_ref().and_then(Value::as_object) else {
        return true;
    };
    let action = body
        .get("action")
        .and_then(Value::as_str)
        .and_then(Action::parse);
    if !action.is_some_and(Action::is_self) {
        return true;
    }
    let principal = body.get("principalId").and_then(Value::as_str);
    principal.is_some() && caller.is_some_and(|c| Some(c) == principal)
}

fn rule_failed(rule: &str) -> GraphError {
    GraphError::new(
        400,
        "RoleAssignmentRequestPolicyValidationFailed",
        format!("The following policy rules failed: [\"{rule}\"]"),
    )
}

fn exists() -> GraphError {
    GraphError::new(
        400,
        "RoleAssignmentExists",
        "The Role assignment already exists.",
    )
}

fn does_not_exist() -> GraphError {
    GraphError::new(
        400,
        "RoleAssignmentDoesNotExist",
        "The Role assignment does not exist.",
    )
}

/// The request body, validated.
struct Body {
    action: Action,
    action_text: String,
    principal: String,
    role: String,
    scope: String,
    justification: Option<String>,
    schedule: Option<RequestedSchedule>,
    ticket: Value,
    validation_only: bool,
}

/// `scheduleInfo` as requested (the start may be in the past: Graph then starts now).
struct RequestedSchedule {
    start: Option<i64>,
    kind: Expiration,
    end: Option<i64>,
    duration: Option<(String, i64)>,
}

impl RequestedSchedule {
    /// The effective schedule when processed at `now`.
    fn at(&self, now: i64) -> Schedule {
        let start = self.start.map_or(now, |s| s.max(now));
        let end = match self.kind {
            Expiration::NoExpiration => None,
            Expiration::AfterDateTime => self.end,
            Expiration::AfterDuration => self
                .duration
                .as_ref()
                .map(|(_, d)| start.saturating_add(*d)),
        };
        Schedule {
            start,
            end,
            kind: self.kind,
            duration: self.duration.as_ref().map(|(s, _)| s.clone()),
        }
    }
}

fn parse_body(t: &Tenant, req: &ApiRequest, resource: &str) -> GraphResult<Body> {
    let body = req.body_object()?;
    let invalid = |p: &str| {
        GraphError::bad_request(format!(
            "Invalid value specified for property '{p}' of resource '{resource}'."
        ))
    };
    let text = |k: &str| -> GraphResult<Option<String>> {
        match body.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(k)),
        }
    };
    let action_text = text("action")?.ok_or_else(|| invalid("action"))?;
    let action = Action::parse(&action_text).ok_or_else(|| {
        // adminRenew, selfExtend, selfRenew exist in Graph's enum but are not modelled.
        GraphError::bad_request(format!(
            "The action '{action_text}' is not supported by the entraform emulator (adminAssign, adminUpdate, adminExtend, adminRemove, selfActivate, selfDeactivate are)."
        ))
    })?;
    let principal = text("principalId")?.ok_or_else(|| invalid("principalId"))?;
    let role_key = text("roleDefinitionId")?.ok_or_else(|| invalid("roleDefinitionId"))?;
    // "Either directoryScopeId or appScopeId is required" (the POST pages).
    let scope = match (text("directoryScopeId")?, text("appScopeId")?) {
        (Some(s), _) => s,
        (None, Some(_)) => {
            return Err(GraphError::bad_request(
                "The entraform emulator supports only directoryScopeId role schedules.",
            ));
        }
        (None, None) => return Err(invalid("directoryScopeId")),
    };
    let role = t
        .role_defs
        .iter()
        .find(|d| d.id.eq_ignore_ascii_case(&role_key))
        .map(|d| d.id.clone())
        .ok_or_else(|| {
            GraphError::new(
                400,
                "RoleNotFound",
                format!("The role definition '{role_key}' was not found."),
            )
        })?;
    check_scope(t, &scope)?;
    let schedule = match body.get("scheduleInfo") {
        None | Some(Value::Null) => None,
        Some(Value::Object(s)) => Some(parse_schedule(s, &invalid)?),
        Some(_) => return Err(invalid("scheduleInfo")),
    };
    // The assignment page marks scheduleInfo "Required"; the eligibility page
    // "optional for adminRemove". Removals never need it here; every other
    // action does (the stricter reading of both pages).
    if schedule.is_none() && !action.removes() {
        return Err(invalid("scheduleInfo"));
    }
    let ticket = match body.get("ticketInfo") {
        Some(Value::Object(o)) => json!({
            "ticketNumber": o.get("ticketNumber").cloned().unwrap_or(Value::Null),
            "ticketSystem": o.get("ticketSystem").cloned().unwrap_or(Value::Null),
        }),
        None | Some(Value::Null) => json!({"ticketNumber": null, "ticketSystem": null}),
        Some(_) => return Err(invalid("ticketInfo")),
    };
    let validation_only = match body.get("isValidationOnly") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid("isValidationOnly")),
    };
    Ok(Body {
        action,
        action_text,
        principal,
        role,
        scope,
        justification: text("justification")?,
        schedule,
        ticket,
        validation_only,
    })
}

/// `/` (the tenant) or `/administrativeUnits/{id}` of a unit that exists.
/// Other scopes (an object id, for application registrations) are not
/// modelled: 400 in the emulator's wording.
fn check_scope(t: &Tenant, scope: &str) -> GraphResult<()> {
    if scope == "/" {
        return Ok(());
    }
    match scope.strip_prefix("/administrativeUnits/") {
        Some(id) if t.admin_units.contains_key(id) => Ok(()),
        Some(id) => Err(GraphError::bad_request(format!(
            "The administrative unit '{id}' in directoryScopeId does not exist."
        ))),
        None => Err(GraphError::bad_request(format!(
            "The entraform emulator supports the directory scopes '/' and '/administrativeUnits/{{id}}', not '{scope}'."
        ))),
    }
}

fn parse_schedule(
    s: &Map<String, Value>,
    invalid: &dyn Fn(&str) -> GraphError,
) -> GraphResult<RequestedSchedule> {
    let date = |v: Option<&Value>, name: &str| -> GraphResult<Option<i64>> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(d)) => time::parse_datetime(d).map(Some).ok_or_else(|| {
                GraphError::bad_request(format!(
                    "Cannot convert the literal '{d}' to the expected type 'Edm.DateTimeOffset'."
                ))
            }),
            Some(_) => Err(invalid(name)),
        }
    };
    // "Recurring schedules are not supported" (resources/requestschedule.md).
    if s.get("recurrence").is_some_and(|r| !r.is_null()) {
        return Err(invalid("recurrence"));
    }
    let start = date(s.get("startDateTime"), "startDateTime")?;
    let exp = match s.get("expiration") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(e)) => e.clone(),
        Some(_) => return Err(invalid("expiration")),
    };
    let end = date(exp.get("endDateTime"), "endDateTime")?;
    let duration = match exp.get("duration") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) => Some((
            d.clone(),
            time::parse_duration(d).ok_or_else(|| {
                GraphError::bad_request(format!(
                    "Cannot convert the literal '{d}' to the expected type 'Edm.Duration'."
                ))
            })?,
        )),
        Some(_) => return Err(invalid("duration")),
    };
    let kind = match exp.get("type").and_then(Value::as_str) {
        // The samples send PascalCase (`NoExpiration`) and get camelCase back.
        Some(k) => match k.to_ascii_lowercase().as_str() {
            "noexpiration" => Expiration::NoExpiration,
            "afterdatetime" => Expiration::AfterDateTime,
            "afterduration" => Expiration::AfterDuration,
            // notSpecified: decided by the values given.
            "notspecified" => infer(end, &duration),
            _ => return Err(invalid("type")),
        },
        None => infer(end, &duration),
    };
    match kind {
        Expiration::AfterDateTime if end.is_none() => return Err(invalid("endDateTime")),
        // "When duration is given, endDateTime should be absent" (expirationpattern.md).
        Expiration::AfterDuration if duration.is_none() || end.is_some() => {
            return Err(invalid("duration"));
        }
        _ => {}
    }
    Ok(RequestedSchedule {
        start,
        kind,
        end,
        duration,
    })
}

fn infer(end: Option<i64>, duration: &Option<(String, i64)>) -> Expiration {
    match (end, duration) {
        (_, Some(_)) => Expiration::AfterDuration,
        (Some(_), None) => Expiration::AfterDateTime,
        (None, None) => Expiration::NoExpiration,
    }
}

/// Who may hold what: assignments go to users, role-assignable groups and
/// service principals; eligibilities to users and role-assignable groups
/// only ("service principals can only have active assignments",
/// resources/unifiedroleeligibilityschedulerequest.md). An unknown id is
/// `SubjectNotFound` (legacy table); a group that is not role-assignable is
/// refused (a role needs `isAssignableToRole`; the message is the emulator's).
fn check_principal(t: &Tenant, principal: &str, eligibility: bool) -> GraphResult<()> {
    match t.kind_of(principal) {
        Some(Kind::User) => Ok(()),
        Some(Kind::Group) if is_role_assignable(t, principal) => Ok(()),
        Some(Kind::Group) => Err(GraphError::bad_request(format!(
            "The group '{principal}' is not role-assignable (isAssignableToRole is false): roles can be given only to role-assignable groups."
        ))),
        Some(Kind::ServicePrincipal) if !eligibility => Ok(()),
        Some(Kind::ServicePrincipal) => Err(GraphError::bad_request(
            "A service principal cannot be made eligible for a role: it can only have active assignments.",
        )),
        Some(_) => Err(GraphError::bad_request(format!(
            "The object '{principal}' cannot hold a directory role."
        ))),
        None => Err(GraphError::new(
            400,
            "SubjectNotFound",
            format!("The subject '{principal}' was not found."),
        )),
    }
}

/// A group created with `isAssignableToRole: true`.
pub fn is_role_assignable(t: &Tenant, group: &str) -> bool {
    t.groups
        .get(group)
        .is_some_and(|g| g.obj.props.get("isAssignableToRole") == Some(&Value::Bool(true)))
}

/// Policy checks shared by admin assignments and eligibilities.
fn check_admin_schedule(s: &Schedule, expiration_required: bool, now: i64) -> GraphResult<()> {
    // "If a role forbids permanent active assignments, a request with no
    // expiry returns 400 Bad Request for breaking the expiration rule"
    // (privilegedidentitymanagementv3-overview.md).
    if expiration_required && s.end.is_none() {
        return Err(rule_failed("ExpirationRule"));
    }
    // An end already past (or before the start) can never hold: the same rule (emulator's reading).
    if s.end.is_some_and(|e| e <= now || e <= s.start) {
        return Err(rule_failed("ExpirationRule"));
    }
    Ok(())
}

struct Outcome {
    status: &'static str,
    completed: Option<i64>,
    target: Option<String>,
    schedule: Option<Schedule>,
}

fn new_request_id(t: &mut Tenant) -> String {
    t.rng.guid()
}

/// `POST /roleManagement/directory/roleEligibilityScheduleRequests`
pub fn eligibility(ctx: &Ctx, t: &mut Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let b = parse_body(t, req, "UnifiedRoleEligibilityScheduleRequest")?;
    let now = now_secs();
    let policy = t.pim.policy(&b.role);
    let existing = t
        .pim
        .eligibilities
        .values()
        .find(|e| {
            same(
                &e.principal_id,
                &e.role_definition_id,
                &e.directory_scope_id,
                &b,
            )
        })
        .map(|e| e.id.clone());
    let id = new_request_id(t);
    let out = match b.action {
        Action::AdminAssign => {
            check_principal(t, &b.principal, true)?;
            if existing.is_some() {
                return Err(exists());
            }
            let s = requested(&b, now);
            check_admin_schedule(&s, policy.eligibility_expiration_required, now)?;
            if !b.validation_only {
                let instance_id = format!("{}-1-e", t.rng.token(33));
                t.pim.eligibilities.insert(
                    id.clone(),
                    Eligibility {
                        id: id.clone(),
                        principal_id: b.principal.clone(),
                        role_definition_id: b.role.clone(),
                        directory_scope_id: b.scope.clone(),
                        schedule: s.clone(),
                        created_using: Some(id.clone()),
                        created: Some(now),
                        modified: None,
                        instance_id,
                    },
                );
            }
            started(&s, now, id.clone())
        }
        Action::AdminUpdate | Action::AdminExtend => {
            let eid = existing.ok_or_else(does_not_exist)?;
            let s = requested(&b, now);
            check_admin_schedule(&s, policy.eligibility_expiration_required, now)?;
            if !b.validation_only
                && let Some(e) = t.pim.eligibilities.get_mut(&eid)
            {
                e.schedule = s.clone();
                e.modified = Some(now);
            }
            started(&s, now, eid)
        }
        Action::AdminRemove => {
            let eid = existing.ok_or_else(does_not_exist)?;
            if !b.validation_only {
                t.pim.eligibilities.remove(&eid);
            }
            revoked()
        }
        Action::SelfActivate | Action::SelfDeactivate => {
            return Err(GraphError::bad_request(format!(
                "The action '{}' is not supported on roleEligibilityScheduleRequests: activations are roleAssignmentScheduleRequests.",
                b.action_text
            )));
        }
    };
    respond(
        ctx,
        t,
        "roleEligibilityScheduleRequests",
        id,
        now,
        &b,
        out,
        false,
    )
}

/// `POST /roleManagement/directory/roleAssignmentScheduleRequests`
pub fn assignment(ctx: &Ctx, t: &mut Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let b = parse_body(t, req, "UnifiedRoleAssignmentScheduleRequest")?;
    let now = now_secs();
    let policy = t.pim.policy(&b.role);
    let id = new_request_id(t);
    let out = match b.action {
        Action::AdminAssign => {
            check_principal(t, &b.principal, false)?;
            if active_exists(t, &b) {
                return Err(exists());
            }
            let s = requested(&b, now);
            check_admin_schedule(&s, policy.assignment_expiration_required, now)?;
            if !b.validation_only {
                insert_active(t, &id, &b, s.clone(), AssignmentType::Assigned, None, now);
            }
            started(&s, now, id.clone())
        }
        Action::AdminUpdate | Action::AdminExtend => {
            let s = requested(&b, now);
            check_admin_schedule(&s, policy.assignment_expiration_required, now)?;
            let sid = assigned_schedule(t, &b, b.validation_only).ok_or_else(does_not_exist)?;
            if !b.validation_only
                && let Some(x) = t.pim.active.get_mut(&sid)
            {
                x.schedule = s.clone();
                x.modified = Some(now);
            }
            started(&s, now, sid)
        }
        Action::AdminRemove => {
            let found = find_active(t, &b, AssignmentType::Assigned).ok_or_else(does_not_exist)?;
            if !b.validation_only {
                remove_active(t, found);
            }
            revoked()
        }
        Action::SelfActivate => {
            let s = requested(&b, now);
            let (eid, member_type) = activation_source(t, &b, &s, now)?;
            if active_exists(t, &b) {
                return Err(exists());
            }
            check_activation(&b, &s, &policy, t.pim.eligibilities.get(&eid))?;
            if !b.validation_only {
                insert_active(
                    t,
                    &id,
                    &b,
                    s.clone(),
                    AssignmentType::Activated,
                    Some((eid, member_type)),
                    now,
                );
            }
            started(&s, now, id.clone())
        }
        Action::SelfDeactivate => {
            let found = find_active(t, &b, AssignmentType::Activated).ok_or_else(does_not_exist)?;
            if !b.validation_only {
                remove_active(t, found);
            }
            revoked()
        }
    };
    sweep(t, now);
    respond(
        ctx,
        t,
        "roleAssignmentScheduleRequests",
        id,
        now,
        &b,
        out,
        true,
    )
}

fn same(principal: &str, role: &str, scope: &str, b: &Body) -> bool {
    principal == b.principal && role == b.role && scope.eq_ignore_ascii_case(&b.scope)
}

fn requested(b: &Body, now: i64) -> Schedule {
    b.schedule
        .as_ref()
        .map_or_else(|| Schedule::permanent(now), |s| s.at(now))
}

/// A schedule that starts now is `Provisioned` at once; one that starts
/// later is `Granted`, completed at its start (pim-self-activate-assignment-request.json).
fn started(s: &Schedule, now: i64, target: String) -> Outcome {
    let later = s.start > now;
    Outcome {
        status: if later { "Granted" } else { "Provisioned" },
        completed: Some(if later { s.start } else { now }),
        target: Some(target),
        schedule: Some(s.clone()),
    }
}

/// adminRemove: `Revoked`, no target, schedule or completion (pim-remove-eligibility-request.json).
fn revoked() -> Outcome {
    Outcome {
        status: "Revoked",
        completed: None,
        target: None,
        schedule: None,
    }
}

/// An active assignment (direct, PIM-assigned or activated, started or
/// scheduled) of this principal, role and scope.
fn active_exists(t: &Tenant, b: &Body) -> bool {
    t.assignments.values().any(|a| {
        same(
            &a.principal_id,
            &a.role_definition_id,
            &a.directory_scope_id,
            b,
        )
    }) || t.pim.active.values().any(|s| {
        same(
            &s.principal_id,
            &s.role_definition_id,
            &s.directory_scope_id,
            b,
        )
    })
}

/// Where an active assignment lives: a PIM schedule, or a direct role assignment.
enum Found {
    Schedule(String),
    Direct(String),
}

fn find_active(t: &Tenant, b: &Body, kind: AssignmentType) -> Option<Found> {
    if let Some(s) = t.pim.active.values().find(|s| {
        s.assignment_type == kind
            && same(
                &s.principal_id,
                &s.role_definition_id,
                &s.directory_scope_id,
                b,
            )
    }) {
        return Some(Found::Schedule(s.id.clone()));
    }
    if kind == AssignmentType::Activated {
        return None;
    }
    let scheduled: std::collections::HashSet<&str> = t
        .pim
        .active
        .values()
        .filter_map(|s| s.assignment_id.as_deref())
        .collect();
    t.assignments
        .values()
        .find(|a| {
            !scheduled.contains(a.id.as_str())
                && same(
                    &a.principal_id,
                    &a.role_definition_id,
                    &a.directory_scope_id,
                    b,
                )
        })
        .map(|a| Found::Direct(a.id.clone()))
}

/// The schedule of an `Assigned` assignment; a direct one gets a schedule
/// (id = the role assignment id, as Graph lists it) when it is updated.
fn assigned_schedule(t: &mut Tenant, b: &Body, dry: bool) -> Option<String> {
    match find_active(t, b, AssignmentType::Assigned)? {
        Found::Schedule(id) => Some(id),
        Found::Direct(aid) if dry => Some(aid),
        Found::Direct(aid) => {
            t.pim.active.insert(
                aid.clone(),
                ActiveSchedule {
                    id: aid.clone(),
                    principal_id: b.principal.clone(),
                    role_definition_id: b.role.clone(),
                    directory_scope_id: b.scope.clone(),
                    schedule: Schedule::permanent(now_secs()),
                    created_using: None,
                    created: None,
                    modified: None,
                    assignment_type: AssignmentType::Assigned,
                    member_type: MemberType::Direct,
                    activated_using: None,
                    assignment_id: Some(aid.clone()),
                },
            );
            Some(aid)
        }
    }
}

fn remove_active(t: &mut Tenant, found: Found) {
    match found {
        Found::Schedule(id) => {
            if let Some(s) = t.pim.active.remove(&id)
                && let Some(a) = s.assignment_id
            {
                t.assignments.remove(&a);
            }
        }
        Found::Direct(aid) => {
            t.assignments.remove(&aid);
        }
    }
}

fn insert_active(
    t: &mut Tenant,
    id: &str,
    b: &Body,
    schedule: Schedule,
    assignment_type: AssignmentType,
    activation: Option<(String, MemberType)>,
    now: i64,
) {
    let (activated_using, member_type) = match activation {
        Some((e, m)) => (Some(e), m),
        None => (None, MemberType::Direct),
    };
    t.pim.active.insert(
        id.to_string(),
        ActiveSchedule {
            id: id.to_string(),
            principal_id: b.principal.clone(),
            role_definition_id: b.role.clone(),
            directory_scope_id: b.scope.clone(),
            schedule,
            created_using: Some(id.to_string()),
            created: Some(now),
            modified: None,
            assignment_type,
            member_type,
            activated_using,
            assignment_id: None,
        },
    );
}

/// The eligibility an activation uses: the principal's own, or that of a
/// role-assignable group it is a member of ("Entra ID extends the
/// eligibility to the group's members", concepts/tutorial-assign-azureadroles.md),
/// for the same role and scope, in effect when the activation starts.
/// None: `EligibilityRule` fails.
fn activation_source(
    t: &Tenant,
    b: &Body,
    s: &Schedule,
    now: i64,
) -> GraphResult<(String, MemberType)> {
    let at = s.start.max(now);
    let groups = t.member_of.get(&b.principal);
    let mut best: Option<(String, MemberType)> = None;
    for e in t.pim.eligibilities.values() {
        if e.role_definition_id != b.role
            || !e.directory_scope_id.eq_ignore_ascii_case(&b.scope)
            || !e.schedule.active_at(at)
        {
            continue;
        }
        if e.principal_id == b.principal {
            return Ok((e.id.clone(), MemberType::Direct));
        }
        if best.is_none()
            && is_role_assignable(t, &e.principal_id)
            && groups.is_some_and(|g| g.contains(&e.principal_id))
        {
            best = Some((e.id.clone(), MemberType::Group));
        }
    }
    best.ok_or_else(|| rule_failed("EligibilityRule"))
}

/// Activation limits: always time-bound, at most the role's maximum
/// (8 hours by default, privilegedidentitymanagementv3-overview.md), not
/// past the eligibility's end, and with a justification when the role's
/// policy asks for one.
fn check_activation(
    b: &Body,
    s: &Schedule,
    policy: &super::RolePolicy,
    eligibility: Option<&Eligibility>,
) -> GraphResult<()> {
    let Some(end) = s.end else {
        return Err(rule_failed("ExpirationRule"));
    };
    if end - s.start > policy.maximum_activation_secs || end <= s.start {
        return Err(rule_failed("ExpirationRule"));
    }
    if eligibility
        .and_then(|e| e.schedule.end)
        .is_some_and(|e| end > e)
    {
        return Err(rule_failed("ExpirationRule"));
    }
    if policy.activation_justification_required
        && b.justification
            .as_deref()
            .is_none_or(|j| j.trim().is_empty())
    {
        return Err(rule_failed("JustificationRule"));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn respond(
    ctx: &Ctx,
    t: &mut Tenant,
    set: &str,
    id: String,
    now: i64,
    b: &Body,
    out: Outcome,
    assignment: bool,
) -> GraphResult<ApiResponse> {
    // Self actions are the principal's own (createdBy.user.id = principalId
    // in the reference's selfActivate example). Admin actions come from an
    // app-only token here: Graph names no user then, and the emulator does
    // not know the calling application inside a handler, so all are null.
    let user = if b.action.is_self() {
        json!({"displayName": null, "id": b.principal})
    } else {
        Value::Null
    };
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("status".into(), json!(out.status));
    m.insert("createdDateTime".into(), json!(iso8601(now)));
    m.insert(
        "completedDateTime".into(),
        json!(out.completed.map(iso8601)),
    );
    m.insert("approvalId".into(), Value::Null);
    m.insert("customData".into(), Value::Null);
    // The action is echoed as sent (the tutorial's `AdminAssign` comes back so).
    m.insert("action".into(), json!(b.action_text));
    m.insert("principalId".into(), json!(b.principal));
    m.insert("roleDefinitionId".into(), json!(b.role));
    m.insert("directoryScopeId".into(), json!(b.scope));
    m.insert("appScopeId".into(), Value::Null);
    m.insert("isValidationOnly".into(), json!(b.validation_only));
    m.insert("targetScheduleId".into(), json!(out.target));
    m.insert("justification".into(), json!(b.justification));
    m.insert(
        "createdBy".into(),
        json!({"application": null, "device": null, "user": user}),
    );
    m.insert(
        "scheduleInfo".into(),
        out.schedule.as_ref().map_or(Value::Null, Schedule::to_json),
    );
    m.insert("ticketInfo".into(), b.ticket.clone());
    if !b.validation_only {
        let list = if assignment {
            &mut t.pim.assignment_requests
        } else {
            &mut t.pim.eligibility_requests
        };
        if list.len() >= MAX_KEPT_REQUESTS {
            list.remove(0);
        }
        list.push(Value::Object(m.clone()));
    }
    let mut full = Map::new();
    full.insert(
        "@odata.context".into(),
        json!(
            ctx.urls
                .context(&format!("roleManagement/directory/{set}/$entity"))
        ),
    );
    full.extend(m);
    Ok(ApiResponse::json(201, Value::Object(full)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(body: Value) -> ApiRequest {
        ApiRequest {
            method: "POST".into(),
            path: "/roleManagement/directory/roleAssignmentScheduleRequests".into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Some(body),
        }
    }

    #[test]
    fn only_the_principal_itself_may_activate_or_deactivate() {
        for action in ["selfActivate", "SelfDeactivate"] {
            let r = req(json!({"action": action, "principalId": "u1"}));
            assert!(self_action_allowed(&r, Some("u1")));
            assert!(!self_action_allowed(&r, Some("app-sp")));
            assert!(!self_action_allowed(&r, None));
        }
        let r = req(json!({"action": "adminAssign", "principalId": "u1"}));
        assert!(self_action_allowed(&r, Some("app-sp")));
        // No principal named: nobody is it.
        let r = req(json!({"action": "selfActivate"}));
        assert!(!self_action_allowed(&r, Some("u1")));
    }

    #[test]
    fn actions_parse_in_any_case() {
        assert_eq!(Action::parse("AdminAssign"), Some(Action::AdminAssign));
        assert_eq!(Action::parse("adminremove"), Some(Action::AdminRemove));
        assert_eq!(Action::parse("SELFACTIVATE"), Some(Action::SelfActivate));
        assert_eq!(Action::parse("adminRenew"), None);
    }

    #[test]
    fn requested_schedules_start_no_earlier_than_now() {
        let s = RequestedSchedule {
            start: Some(100),
            kind: Expiration::AfterDuration,
            end: None,
            duration: Some(("PT1H".into(), 3600)),
        };
        let at = s.at(1_000);
        assert_eq!((at.start, at.end), (1_000, Some(4_600)));
        let at = s.at(50);
        assert_eq!((at.start, at.end), (100, Some(3_700)));
        let e = |v: Value| parse_schedule(v.as_object().unwrap(), &|p| GraphError::bad_request(p));
        assert!(e(json!({"expiration": {"type": "afterDuration"}})).is_err());
        assert!(e(json!({"expiration": {"type": "afterDateTime"}})).is_err());
        assert!(e(json!({"expiration": {"type": "weekly"}})).is_err());
        assert!(e(json!({"recurrence": {"pattern": {}}})).is_err());
        assert!(e(json!({"startDateTime": "soon"})).is_err());
        let ok = e(json!({"expiration": {"duration": "PT2H"}})).unwrap();
        assert_eq!(ok.kind, Expiration::AfterDuration);
        let ok = e(json!({})).unwrap();
        assert_eq!(ok.kind, Expiration::NoExpiration);
    }
}
