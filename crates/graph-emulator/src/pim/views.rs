//! The PIM lists: `roleEligibilitySchedules`, `roleEligibilityScheduleInstances`,
//! `roleAssignmentSchedules`, `roleAssignmentScheduleInstances` (and
//! `/{id}` of the last), and the requests made so far. `$filter` on the
//! properties the resource pages mark filterable, `$select`, and `$expand`
//! of `principal`, `roleDefinition` and (assignments) `activatedUsing`.
//!
//! Sources: api-reference/v1.0/api/rbacapplication-list-roleeligibilityschedules.md,
//! rbacapplication-list-roleeligibilityscheduleinstances.md,
//! rbacapplication-list-roleassignmentschedules.md,
//! rbacapplication-list-roleassignmentscheduleinstances.md,
//! unifiedroleassignmentscheduleinstance-get.md; resources/unifiedrole*schedule*.md
//! (properties and `$filter` support). The pages document no paging: the
//! lists are not paged.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{ActiveSchedule, AssignmentType, Eligibility, MemberType, Schedule};
use crate::ctx::Ctx;
use crate::error::{GraphError, GraphResult};
use crate::http::{ApiRequest, ApiResponse, collection};
use crate::odata::{self, Query};
use crate::render;
use crate::roles::RoleDef;
use crate::schema::{self, FilterKind};
use crate::state::{Kind, Tenant};
use crate::util::{iso8601, now_secs};

const ELIGIBILITY_SCHEDULE: &[&str] = &[
    "id",
    "principalId",
    "roleDefinitionId",
    "directoryScopeId",
    "appScopeId",
    "createdUsing",
    "createdDateTime",
    "modifiedDateTime",
    "status",
    "memberType",
    "scheduleInfo",
];
const ASSIGNMENT_SCHEDULE: &[&str] = &[
    "id",
    "principalId",
    "roleDefinitionId",
    "directoryScopeId",
    "appScopeId",
    "createdUsing",
    "createdDateTime",
    "modifiedDateTime",
    "status",
    "assignmentType",
    "memberType",
    "scheduleInfo",
];
const ELIGIBILITY_INSTANCE: &[&str] = &[
    "id",
    "principalId",
    "roleDefinitionId",
    "directoryScopeId",
    "appScopeId",
    "startDateTime",
    "endDateTime",
    "memberType",
    "roleEligibilityScheduleId",
];
const ASSIGNMENT_INSTANCE: &[&str] = &[
    "id",
    "principalId",
    "roleDefinitionId",
    "directoryScopeId",
    "appScopeId",
    "startDateTime",
    "endDateTime",
    "assignmentType",
    "memberType",
    "roleAssignmentOriginId",
    "roleAssignmentScheduleId",
];
const REQUEST: &[&str] = &[
    "id",
    "status",
    "createdDateTime",
    "completedDateTime",
    "approvalId",
    "customData",
    "action",
    "principalId",
    "roleDefinitionId",
    "directoryScopeId",
    "appScopeId",
    "isValidationOnly",
    "targetScheduleId",
    "justification",
    "createdBy",
    "scheduleInfo",
    "ticketInfo",
];

/// Filterable properties (resource pages: `eq`/`ne`, and `null` for the scopes).
fn filter_kind(p: &str) -> Option<FilterKind> {
    match p {
        "id"
        | "principalId"
        | "roleDefinitionId"
        | "directoryScopeId"
        | "appScopeId"
        | "createdUsing"
        | "targetScheduleId"
        | "roleAssignmentOriginId"
        | "roleAssignmentScheduleId"
        | "roleEligibilityScheduleId" => Some(FilterKind::Id),
        "memberType" | "assignmentType" | "status" | "action" => Some(FilterKind::Text),
        _ => None,
    }
}

/// A list's items as (id, JSON), before the query options.
struct Items {
    type_name: &'static str,
    props: &'static [&'static str],
    items: Vec<(String, Map<String, Value>)>,
    /// Assignment views: the eligibility each activation used (`activatedUsing`).
    activated_using: HashMap<String, Value>,
}

fn iso(v: Option<i64>) -> Value {
    v.map_or(Value::Null, |s| json!(iso8601(s)))
}

fn base(principal: &str, role: &str, scope: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("principalId".into(), json!(principal));
    m.insert("roleDefinitionId".into(), json!(role));
    m.insert("directoryScopeId".into(), json!(scope));
    m.insert("appScopeId".into(), Value::Null);
    m
}

fn eligibility_schedule(e: &Eligibility, loaded: i64) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(e.id));
    m.extend(base(
        &e.principal_id,
        &e.role_definition_id,
        &e.directory_scope_id,
    ));
    m.insert("createdUsing".into(), json!(e.created_using));
    let created = e.created.unwrap_or(loaded);
    m.insert("createdDateTime".into(), json!(iso8601(created)));
    m.insert(
        "modifiedDateTime".into(),
        json!(iso8601(e.modified.unwrap_or(created))),
    );
    m.insert("status".into(), json!("Provisioned"));
    m.insert("memberType".into(), json!("Direct"));
    m.insert("scheduleInfo".into(), e.schedule.to_json());
    m
}

fn eligibility_instances(t: &Tenant, e: &Eligibility) -> Vec<(String, Map<String, Value>)> {
    let one = |id: String, principal: &str, member: MemberType| {
        let mut m = Map::new();
        m.insert("id".into(), json!(id));
        m.extend(base(
            principal,
            &e.role_definition_id,
            &e.directory_scope_id,
        ));
        m.insert("startDateTime".into(), json!(iso8601(e.schedule.start)));
        m.insert("endDateTime".into(), iso(e.schedule.end));
        m.insert("memberType".into(), json!(member.as_str()));
        m.insert("roleEligibilityScheduleId".into(), json!(e.id));
        (id, m)
    };
    let mut out = vec![one(
        e.instance_id.clone(),
        &e.principal_id,
        MemberType::Direct,
    )];
    out.extend(
        inherited(t, &e.principal_id)
            .map(|u| one(format!("{}-{u}", e.instance_id), &u, MemberType::Group)),
    );
    out
}

/// The members who inherit a role held by a role-assignable group
/// (`memberType: Group`). Role-assignable groups cannot contain groups, so
/// the direct members are all of them. No documented sample shows such an
/// entry: the emulator lists one per member, with the group's schedule.
fn inherited<'a>(t: &'a Tenant, principal: &str) -> impl Iterator<Item = String> + 'a {
    let members = if super::requests::is_role_assignable(t, principal) {
        t.groups.get(principal).map(|g| &g.members)
    } else {
        None
    };
    members
        .into_iter()
        .flatten()
        .filter(move |m| t.kind_of(m) == Some(Kind::User))
        .cloned()
}

fn assignment_schedule(s: &ActiveSchedule) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(s.id));
    m.extend(base(
        &s.principal_id,
        &s.role_definition_id,
        &s.directory_scope_id,
    ));
    m.insert("createdUsing".into(), json!(s.created_using));
    m.insert("createdDateTime".into(), iso(s.created));
    m.insert("modifiedDateTime".into(), iso(s.modified));
    let status = if s.assignment_id.is_some() {
        "Provisioned"
    } else {
        "Granted"
    };
    m.insert("status".into(), json!(status));
    m.insert("assignmentType".into(), json!(s.assignment_type.as_str()));
    m.insert("memberType".into(), json!(s.member_type.as_str()));
    m.insert("scheduleInfo".into(), s.schedule.to_json());
    m
}

/// A direct role assignment seen as a schedule: its id, no `createdUsing`
/// or `createdDateTime`, permanent (pim-list-assignment-schedules.json's
/// second item). Its start is unknown: the time the emulator loaded the tenant.
fn direct_schedule(a: &crate::state::RoleAssignment, loaded: i64) -> ActiveSchedule {
    ActiveSchedule {
        id: a.id.clone(),
        principal_id: a.principal_id.clone(),
        role_definition_id: a.role_definition_id.clone(),
        directory_scope_id: a.directory_scope_id.clone(),
        schedule: Schedule::permanent(loaded),
        created_using: None,
        created: None,
        modified: None,
        assignment_type: AssignmentType::Assigned,
        member_type: MemberType::Direct,
        activated_using: None,
        assignment_id: Some(a.id.clone()),
    }
}

/// The assignment instances: one per role assignment in effect (direct
/// ones: id = `roleAssignmentOriginId` = `roleAssignmentScheduleId`, no
/// start or end, as pim-list-assignment-schedule-instances.json), plus the
/// members of a role-assignable group holding one (`memberType: Group`).
fn assignment_instances(t: &Tenant) -> Vec<(String, Map<String, Value>, Option<String>)> {
    let by_assignment: HashMap<&str, &ActiveSchedule> = t
        .pim
        .active
        .values()
        .filter_map(|s| s.assignment_id.as_deref().map(|a| (a, s)))
        .collect();
    let mut out = Vec::new();
    for a in t.assignments.values() {
        let s = by_assignment.get(a.id.as_str()).copied();
        // A schedule given a direct assignment by adminUpdate keeps its id.
        let timed = s.filter(|s| s.created_using.is_some() || s.schedule.end.is_some());
        let one = |id: String, principal: &str, member: MemberType| {
            let mut m = Map::new();
            m.insert("id".into(), json!(id));
            m.extend(base(
                principal,
                &a.role_definition_id,
                &a.directory_scope_id,
            ));
            m.insert("startDateTime".into(), iso(timed.map(|s| s.schedule.start)));
            m.insert(
                "endDateTime".into(),
                iso(timed.and_then(|s| s.schedule.end)),
            );
            m.insert(
                "assignmentType".into(),
                json!(s.map_or("Assigned", |s| s.assignment_type.as_str())),
            );
            m.insert("memberType".into(), json!(member.as_str()));
            m.insert("roleAssignmentOriginId".into(), json!(a.id));
            m.insert(
                "roleAssignmentScheduleId".into(),
                json!(s.map_or(a.id.as_str(), |s| s.id.as_str())),
            );
            (id, m, s.and_then(|s| s.activated_using.clone()))
        };
        let member = s.map_or(MemberType::Direct, |s| s.member_type);
        out.push(one(a.id.clone(), &a.principal_id, member));
        for u in inherited(t, &a.principal_id) {
            out.push(one(format!("{}-{u}", a.id), &u, MemberType::Group));
        }
    }
    out
}

fn collect(t: &Tenant, set: &str) -> GraphResult<Items> {
    let loaded = t.pim.loaded_at;
    let now = now_secs();
    let mut activated_using = HashMap::new();
    let (type_name, props, items) = match set {
        "roleEligibilitySchedules" => (
            "unifiedRoleEligibilitySchedule",
            ELIGIBILITY_SCHEDULE,
            t.pim
                .eligibilities
                .values()
                .map(|e| (e.id.clone(), eligibility_schedule(e, loaded)))
                .collect(),
        ),
        "roleEligibilityScheduleInstances" => (
            "unifiedRoleEligibilityScheduleInstance",
            ELIGIBILITY_INSTANCE,
            t.pim
                .eligibilities
                .values()
                .filter(|e| e.schedule.active_at(now))
                .flat_map(|e| eligibility_instances(t, e))
                .collect(),
        ),
        "roleAssignmentSchedules" => {
            let scheduled: std::collections::HashSet<&str> = t
                .pim
                .active
                .values()
                .filter_map(|s| s.assignment_id.as_deref())
                .collect();
            let mut items: Vec<(String, Map<String, Value>)> = Vec::new();
            for s in t.pim.active.values() {
                if let Some(e) = &s.activated_using {
                    let v = t.pim.eligibilities.get(e).map_or(Value::Null, |e| {
                        Value::Object(eligibility_schedule(e, loaded))
                    });
                    activated_using.insert(s.id.clone(), v);
                }
                items.push((s.id.clone(), assignment_schedule(s)));
            }
            for a in t.assignments.values() {
                if !scheduled.contains(a.id.as_str()) {
                    items.push((
                        a.id.clone(),
                        assignment_schedule(&direct_schedule(a, loaded)),
                    ));
                }
            }
            ("unifiedRoleAssignmentSchedule", ASSIGNMENT_SCHEDULE, items)
        }
        "roleAssignmentScheduleInstances" => {
            let mut items = Vec::new();
            for (id, m, used) in assignment_instances(t) {
                if let Some(e) = used {
                    // On an instance, activatedUsing is the eligibility *instance*.
                    let v = t
                        .pim
                        .eligibilities
                        .get(&e)
                        .and_then(|e| eligibility_instances(t, e).into_iter().next())
                        .map_or(Value::Null, |(_, m)| Value::Object(m));
                    activated_using.insert(id.clone(), v);
                }
                items.push((id, m));
            }
            (
                "unifiedRoleAssignmentScheduleInstance",
                ASSIGNMENT_INSTANCE,
                items,
            )
        }
        other => {
            return Err(GraphError::new(
                400,
                "BadRequest",
                format!("Resource not found for the segment '{other}'."),
            ));
        }
    };
    Ok(Items {
        type_name,
        props,
        items,
        activated_using,
    })
}

/// `$expand`: `principal`, `roleDefinition`, and `activatedUsing` on assignment views.
fn parse_expand(q: &Query, items: &Items) -> GraphResult<Option<&'static str>> {
    let Some(e) = q.expand.as_deref().map(str::trim) else {
        return Ok(None);
    };
    let mut allowed = vec!["principal", "roleDefinition"];
    if items.type_name.starts_with("unifiedRoleAssignment") {
        allowed.push("activatedUsing");
    }
    allowed
        .into_iter()
        .find(|a| a.eq_ignore_ascii_case(e))
        .map(Some)
        .ok_or_else(|| {
            GraphError::bad_request(format!(
                "Parsing OData Select and Expand failed: Could not find a property named '{e}' on type 'microsoft.graph.{}'.",
                items.type_name
            ))
        })
}

fn expansion(t: &Tenant, items: &Items, what: &str, id: &str, m: &Map<String, Value>) -> Value {
    match what {
        "principal" => {
            let p = m.get("principalId").and_then(Value::as_str).unwrap_or("");
            match t.users.get(p) {
                Some(u) => render::with_type(
                    Kind::User,
                    render::project(u, Some(schema::USER_EXPANDED), schema::USER_DEFAULT),
                ),
                None => render::directory_object(t, p, None).unwrap_or(Value::Null),
            }
        }
        "roleDefinition" => {
            let r = m
                .get("roleDefinitionId")
                .and_then(Value::as_str)
                .unwrap_or("");
            t.role_defs
                .iter()
                .find(|d| d.id == r)
                .map_or(Value::Null, RoleDef::to_json)
        }
        _ => items
            .activated_using
            .get(id)
            .cloned()
            .unwrap_or(Value::Null),
    }
}

fn render_items(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    items: &Items,
    only: Option<&str>,
) -> GraphResult<(Vec<Value>, Option<&'static str>, Query)> {
    let q = Query::parse(&req.query, req.eventual())?;
    let sel = q.resolve_select(items.props, items.type_name)?;
    let filter = match (&q.filter, only) {
        (Some(_), Some(_)) => {
            return Err(GraphError::bad_request(
                "The query specified in the URI is not valid: $filter is not supported on a single entity.",
            ));
        }
        (Some(f), None) => Some(odata::check_filter(
            f,
            items.props,
            items.type_name,
            items.type_name,
            filter_kind,
            true,
        )?),
        (None, _) => None,
    };
    let expand = parse_expand(&q, items)?;
    let mut value = Vec::new();
    for (id, m) in &items.items {
        if only.is_some_and(|o| o != id) {
            continue;
        }
        if filter.as_ref().is_some_and(|f| !ctx.eval(f, id, m)) {
            continue;
        }
        let mut o: Map<String, Value> = match &sel {
            Some(s) => m
                .iter()
                .filter(|(k, _)| s.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            None => m.clone(),
        };
        if let Some(x) = expand {
            o.insert(x.into(), expansion(t, items, x, id, m));
        }
        value.push(Value::Object(o));
    }
    Ok((value, expand, q))
}

fn context(ctx: &Ctx, set: &str, expand: Option<&str>) -> String {
    let base = format!("roleManagement/directory/{set}");
    match expand {
        Some(e) => ctx.urls.context(&format!("{base}({e}())")),
        None => ctx.urls.context(&base),
    }
}

/// `GET /roleManagement/directory/{roleEligibilitySchedules|…Instances|roleAssignmentSchedules|…Instances}`
pub fn list(ctx: &Ctx, t: &Tenant, req: &ApiRequest, set: &str) -> GraphResult<ApiResponse> {
    let items = collect(t, set)?;
    let (value, expand, q) = render_items(ctx, t, req, &items, None)?;
    let count = (q.count && q.eventual).then_some(value.len());
    Ok(ApiResponse::json(
        200,
        collection(context(ctx, set, expand), count, None, value),
    ))
}

/// `GET /roleManagement/directory/roleAssignmentScheduleInstances/{id}`
pub fn get_instance(ctx: &Ctx, t: &Tenant, req: &ApiRequest, id: &str) -> GraphResult<ApiResponse> {
    let set = "roleAssignmentScheduleInstances";
    let items = collect(t, set)?;
    let (value, _, _) = render_items(ctx, t, req, &items, Some(id))?;
    let Some(Value::Object(item)) = value.into_iter().next() else {
        return Err(GraphError::not_found(id));
    };
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(
            ctx.urls
                .context(&format!("roleManagement/directory/{set}/$entity"))
        ),
    );
    m.extend(item);
    Ok(ApiResponse::json(200, Value::Object(m)))
}

/// `GET /roleManagement/directory/{roleAssignment|roleEligibility}ScheduleRequests`:
/// the requests made since the emulator started (the newest
/// [`super::MAX_KEPT_REQUESTS`]), with `$filter` and `$select`.
pub fn requests(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    assignment: bool,
) -> GraphResult<ApiResponse> {
    let (set, type_name, list) = if assignment {
        (
            "roleAssignmentScheduleRequests",
            "unifiedRoleAssignmentScheduleRequest",
            &t.pim.assignment_requests,
        )
    } else {
        (
            "roleEligibilityScheduleRequests",
            "unifiedRoleEligibilityScheduleRequest",
            &t.pim.eligibility_requests,
        )
    };
    let items = Items {
        type_name,
        props: REQUEST,
        items: list
            .iter()
            .filter_map(|v| {
                let m = v.as_object()?.clone();
                Some((m.get("id")?.as_str()?.to_string(), m))
            })
            .collect(),
        activated_using: HashMap::new(),
    };
    let (value, expand, q) = render_items(ctx, t, req, &items, None)?;
    let count = (q.count && q.eventual).then_some(value.len());
    Ok(ApiResponse::json(
        200,
        collection(context(ctx, set, expand), count, None, value),
    ))
}
