//! `/roleManagement/directory`: role definitions (built-in roles) and role
//! assignments (list with `$filter`/`$expand`, get, create, delete).

use serde_json::{Map, Value, json};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse, collection};
use super::odata::{self, Query};
use super::render;
use super::roles;
use super::schema::{self, ROLE_ASSIGNMENT_PROPERTIES};
use super::state::{RoleAssignment, Tenant};

const DEF_PROPS: &[&str] = &[
    "id",
    "description",
    "displayName",
    "isBuiltIn",
    "isEnabled",
    "resourceScopes",
    "templateId",
    "version",
    "rolePermissions",
    "inheritsPermissionsFrom",
];

fn def_filter_kind(p: &str) -> Option<schema::FilterKind> {
    match p {
        "id" | "templateId" => Some(schema::FilterKind::Id),
        "displayName" => Some(schema::FilterKind::Text),
        "isBuiltIn" | "isEnabled" => Some(schema::FilterKind::Bool),
        _ => None,
    }
}

fn select_keys(v: Value, sel: Option<&[&str]>) -> Value {
    match (v, sel) {
        (Value::Object(m), Some(sel)) => Value::Object(
            m.into_iter()
                .filter(|(k, _)| sel.contains(&k.as_str()))
                .collect(),
        ),
        (v, _) => v,
    }
}

/// `GET /roleManagement/directory/roleDefinitions`
pub fn list_definitions(ctx: &Ctx, t: &Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let q = Query::parse(&req.query, req.eventual())?;
    let sel = q.resolve_select(DEF_PROPS, "unifiedRoleDefinition")?;
    let filter = match &q.filter {
        Some(f) => Some(odata::check_filter(
            f,
            DEF_PROPS,
            "unifiedRoleDefinition",
            "UnifiedRoleDefinition",
            def_filter_kind,
            true,
        )?),
        None => None,
    };
    let value: Vec<Value> = t
        .role_defs
        .iter()
        .map(|d| (d, d.to_json()))
        .filter(|(d, j)| {
            filter
                .as_ref()
                .is_none_or(|f| j.as_object().is_some_and(|m| ctx.eval(f, &d.id, m)))
        })
        .map(|(_, j)| select_keys(j, sel.as_deref()))
        .collect();
    Ok(ApiResponse::json(
        200,
        collection(
            ctx.urls.context("roleManagement/directory/roleDefinitions"),
            None,
            None,
            value,
        ),
    ))
}

/// `GET /roleManagement/directory/roleDefinitions/{id}`
pub fn get_definition(ctx: &Ctx, t: &Tenant, id: &str) -> GraphResult<ApiResponse> {
    let d = t
        .role_defs
        .iter()
        .find(|d| d.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| GraphError::not_found(id))?;
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(
            ctx.urls
                .context("roleManagement/directory/roleDefinitions/$entity")
        ),
    );
    if let Value::Object(o) = d.to_json() {
        m.extend(o);
    }
    Ok(ApiResponse::json(200, Value::Object(m)))
}

fn assignment_json(a: &RoleAssignment) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(a.id));
    m.insert("principalId".into(), json!(a.principal_id));
    m.insert("resourceScope".into(), json!(a.directory_scope_id));
    m.insert("directoryScopeId".into(), json!(a.directory_scope_id));
    m.insert("roleDefinitionId".into(), json!(a.role_definition_id));
    m
}

/// `GET /roleManagement/directory/roleAssignments` (`$filter` on principalId/roleDefinitionId, `$expand=principal|roleDefinition`)
pub fn list_assignments(ctx: &Ctx, t: &Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let q = Query::parse(&req.query, req.eventual())?;
    let sel = q.resolve_select(ROLE_ASSIGNMENT_PROPERTIES, "unifiedRoleAssignment")?;
    let filter = match &q.filter {
        Some(f) => Some(odata::check_filter(
            f,
            ROLE_ASSIGNMENT_PROPERTIES,
            "unifiedRoleAssignment",
            "UnifiedRoleAssignment",
            schema::role_assignment_filter_kind,
            true,
        )?),
        None => None,
    };
    let expand = match q.expand.as_deref().map(str::trim) {
        None => None,
        Some(e) if e.eq_ignore_ascii_case("principal") => Some("principal"),
        Some(e) if e.eq_ignore_ascii_case("roleDefinition") => Some("roleDefinition"),
        Some(e) => {
            return Err(GraphError::bad_request(format!(
                "Parsing OData Select and Expand failed: Could not find a property named '{e}' on type 'microsoft.graph.unifiedRoleAssignment'."
            )));
        }
    };
    let mut value = Vec::new();
    for a in t.assignments.values() {
        let m = assignment_json(a);
        if filter.as_ref().is_some_and(|f| !ctx.eval(f, &a.id, &m)) {
            continue;
        }
        let mut v = select_keys(Value::Object(m), sel.as_deref());
        if let (Some(exp), Value::Object(o)) = (expand, &mut v) {
            let x = if exp == "principal" {
                match t.users.get(&a.principal_id) {
                    Some(u) => Some(render::with_type(
                        super::state::Kind::User,
                        render::project(u, Some(schema::USER_EXPANDED), schema::USER_DEFAULT),
                    )),
                    None => render::directory_object(t, &a.principal_id, None),
                }
            } else {
                t.role_defs
                    .iter()
                    .find(|d| d.id == a.role_definition_id)
                    .map(roles::RoleDef::to_json)
            };
            o.insert(exp.into(), x.unwrap_or(Value::Null));
        }
        value.push(v);
    }
    let base = "roleManagement/directory/roleAssignments";
    let context = match expand {
        Some(e) => ctx.urls.context(&format!("{base}({e}())")),
        None => ctx.urls.context(base),
    };
    let count = (q.count && q.eventual).then_some(value.len());
    Ok(ApiResponse::json(
        200,
        collection(context, count, None, value),
    ))
}

/// `GET /roleManagement/directory/roleAssignments/{id}`
pub fn get_assignment(ctx: &Ctx, t: &Tenant, id: &str) -> GraphResult<ApiResponse> {
    let a = t
        .assignments
        .get(id)
        .ok_or_else(|| GraphError::not_found(id))?;
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(
            ctx.urls
                .context("roleManagement/directory/roleAssignments/$entity")
        ),
    );
    m.extend(assignment_json(a));
    Ok(ApiResponse::json(200, Value::Object(m)))
}

/// `POST /roleManagement/directory/roleAssignments`
pub fn create_assignment(ctx: &Ctx, t: &mut Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let body = req.body_object()?;
    let field = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let invalid = |p: &str| {
        GraphError::bad_request(format!(
            "Invalid value specified for property '{p}' of resource 'UnifiedRoleAssignment'."
        ))
    };
    let role = field("roleDefinitionId").ok_or_else(|| invalid("roleDefinitionId"))?;
    let principal = field("principalId").ok_or_else(|| invalid("principalId"))?;
    let scope = match (field("directoryScopeId"), field("appScopeId")) {
        (Some(s), _) => s,
        (None, Some(_)) => {
            return Err(GraphError::bad_request(
                "The entraform emulator supports only directoryScopeId role assignments.",
            ));
        }
        (None, None) => return Err(invalid("directoryScopeId")),
    };
    let role_id = t
        .role_defs
        .iter()
        .find(|d| d.id.eq_ignore_ascii_case(&role))
        .map(|d| d.id.clone())
        .ok_or_else(|| GraphError::not_found(&role))?;
    if t.kind_of(&principal).is_none() {
        return Err(GraphError::not_found(&principal));
    }
    let created = t.users.get(&principal).and_then(|u| u.created_at);
    if ctx.replication_miss(created) {
        return Err(GraphError::not_found(&principal));
    }
    if t.assignments.values().any(|a| {
        a.principal_id == principal
            && a.role_definition_id == role_id
            && a.directory_scope_id == scope
    }) {
        return Err(GraphError::bad_request(
            "A conflicting object with one or more of the specified property values is present in the directory.",
        ));
    }
    let id = t.new_assignment_id();
    let a = RoleAssignment {
        id: id.clone(),
        principal_id: principal,
        role_definition_id: role_id,
        directory_scope_id: scope,
    };
    let mut m = Map::new();
    m.insert(
        "@odata.context".into(),
        json!(
            ctx.urls
                .context("roleManagement/directory/roleAssignments/$entity")
        ),
    );
    m.insert("id".into(), json!(a.id));
    m.insert("roleDefinitionId".into(), json!(a.role_definition_id));
    m.insert("principalId".into(), json!(a.principal_id));
    m.insert("directoryScopeId".into(), json!(a.directory_scope_id));
    // Assigning a role activates its directoryRole (as the admin center does).
    t.activated_roles.insert(a.role_definition_id.clone());
    t.assignments.insert(id, a);
    Ok(ApiResponse::json(201, Value::Object(m)))
}

/// `DELETE /roleManagement/directory/roleAssignments/{id}`
pub fn delete_assignment(t: &mut Tenant, id: &str) -> GraphResult<ApiResponse> {
    t.assignments
        .remove(id)
        .ok_or_else(|| GraphError::not_found(id))?;
    Ok(ApiResponse::no_content())
}
