//! The reports' reads: each one or a few bulk listings through the Graph
//! client (request formulas in docs/reports.md). A refusal names the
//! permission to grant, and Graph's "no premium licence" answer is said in
//! words.

use serde::Deserialize;
use serde_json::Value;

use crate::graph::dto::UserDto;
use crate::graph::error::GraphError;
use crate::graph::{GraphClient, Request};
use crate::model::ObjectId;
use crate::model::live::DeletedUser;

use super::licenses::{LicensedUser, Sku};
use super::mfa::Registration;
use super::privileged::{Grant, Holding, PrincipalKind, RoleDef};
use super::stale::SignInUser;

/// Graph's error code when the tenant has no Microsoft Entra ID P1/P2
/// (Microsoft support article `b2c-or-tenant-premium-license-sign-in-activities`).
pub const NON_PREMIUM_CODE: &str = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";

/// `stale-accounts`: enabled users with their sign-in activity, 500 a page
/// (Graph's most with `signInActivity`).
pub const STALE_USERS: &str = "/users?$filter=accountEnabled eq true&$select=id,userPrincipalName,displayName,accountEnabled,createdDateTime,signInActivity&$top=500";
/// `mfa`: the registration report, only users without a strong method.
pub const REGISTRATION: &str =
    "/reports/authenticationMethods/userRegistrationDetails?$filter=isMfaRegistered eq false";
/// `deleted-users`: soft-deleted users, 999 a page.
pub const DELETED: &str = "/directory/deletedItems/microsoft.graph.user?$select=id,userPrincipalName,displayName,deletedDateTime&$top=999";
/// `privileged`: role definitions (names of custom roles).
pub const ROLE_DEFINITIONS: &str =
    "/roleManagement/directory/roleDefinitions?$select=id,displayName,templateId";
/// `privileged`: active assignments at every scope, with their principal.
pub const ROLE_ASSIGNMENTS: &str = "/roleManagement/directory/roleAssignments?$expand=principal";
/// `privileged`: PIM eligibilities, with their principal.
pub const ROLE_ELIGIBILITIES: &str =
    "/roleManagement/directory/roleEligibilitySchedules?$expand=principal";

/// `licenses`: the tenant's SKUs.
pub const SKUS: &str = "/subscribedSkus";
/// `licenses`: every user's licence assignment paths, 999 a page.
pub const LICENSED_USERS: &str = "/users?$select=id,licenseAssignmentStates&$top=999";

/// A report's read failed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Graph refused because the tenant has no Entra ID P1/P2 licence.
    #[error(
        "Microsoft Graph refused to give {what}: the tenant has no Microsoft Entra ID P1 or P2 licence, which this report needs ({source}). Buy or start a trial of Entra ID P1 or P2 for the tenant; if it has one, grant the app Directory.Read.All as well, which Microsoft's support article recommends against intermittent licence-check failures."
    )]
    NoPremium {
        /// What was being read.
        what: &'static str,
        /// Graph's answer.
        source: Box<GraphError>,
    },
    /// Any other failure, with the permission to grant on a 403.
    #[error("cannot read {what}: {source}")]
    Graph {
        /// What was being read.
        what: &'static str,
        /// Graph's answer.
        source: Box<GraphError>,
    },
}

/// Word a Graph error for `what`, naming `permission` on a 403.
fn fail(what: &'static str, permission: &'static str) -> impl Fn(GraphError) -> ReportError {
    move |mut e| {
        if let GraphError::Api(api) = &mut e {
            if api.code == NON_PREMIUM_CODE {
                return ReportError::NoPremium {
                    what,
                    source: Box::new(e),
                };
            }
            if api.status == 403 {
                api.needed_permission = Some(permission.to_string());
            }
        }
        ReportError::Graph {
            what,
            source: Box::new(e),
        }
    }
}

/// Enabled users with `signInActivity`: ⌈E/500⌉ requests.
pub async fn sign_in_users(client: &GraphClient) -> Result<Vec<SignInUser>, ReportError> {
    Ok(client
        .list::<SignInUser>(STALE_USERS)
        .await
        .map_err(fail(
            "users' sign-in activity",
            "AuditLog.Read.All (with User.Read.All)",
        ))?
        .items)
}

/// Registration rows of users without a strong method: ⌈M/page⌉ requests.
pub async fn registrations(client: &GraphClient) -> Result<Vec<Registration>, ReportError> {
    Ok(client
        .list::<Registration>(REGISTRATION)
        .await
        .map_err(fail(
            "the authentication-methods registration report",
            "AuditLog.Read.All",
        ))?
        .items)
}

/// Soft-deleted users: ⌈D/999⌉ requests.
pub async fn deleted_users(client: &GraphClient) -> Result<Vec<DeletedUser>, ReportError> {
    let listing = client
        .list::<UserDto>(DELETED)
        .await
        .map_err(fail("deleted users", "User.Read.All"))?;
    Ok(listing
        .items
        .into_iter()
        .map(|u| {
            DeletedUser::new(
                ObjectId(u.id),
                u.user_principal_name.unwrap_or_default(),
                u.attrs
                    .text(crate::model::attrs::Attr::DisplayName)
                    .map(str::to_string),
                u.deleted_date_time,
            )
        })
        .collect())
}

/// What the privileged report reads.
#[derive(Debug, Clone, Default)]
pub struct RoleData {
    /// Role definitions.
    pub definitions: Vec<RoleDef>,
    /// Active assignments and eligibilities.
    pub grants: Vec<Grant>,
    /// Eligibilities could not be read (why), the report goes on without them.
    pub eligibility_error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DefinitionDto {
    id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    template_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GrantDto {
    principal_id: String,
    role_definition_id: String,
    #[serde(default)]
    directory_scope_id: Option<String>,
    #[serde(default)]
    principal: Option<Value>,
    #[serde(default)]
    schedule_info: Option<Value>,
}

fn grant(d: GrantDto, holding: Holding) -> Grant {
    let p = d.principal.as_ref();
    let field = |k: &str| p.and_then(|p| p.get(k)).and_then(Value::as_str);
    let kind = PrincipalKind::from_odata_type(field("@odata.type"));
    let name = match kind {
        PrincipalKind::User => field("userPrincipalName").or(field("displayName")),
        _ => field("displayName"),
    }
    .map(str::to_string);
    let ends = d
        .schedule_info
        .as_ref()
        .and_then(|s| s.pointer("/expiration/endDateTime"))
        .and_then(Value::as_str)
        .map(str::to_string);
    Grant {
        principal_id: d.principal_id,
        kind,
        name,
        role_definition_id: d.role_definition_id,
        scope: d.directory_scope_id.unwrap_or_else(|| "/".into()),
        holding,
        ends,
    }
}

/// Role definitions, assignments and eligibilities in one `$batch` POST
/// (more only for further pages).
pub async fn roles(client: &GraphClient) -> Result<RoleData, ReportError> {
    const WHAT: &str = "directory roles and their holders";
    const PERMISSION: &str = "RoleManagement.Read.Directory";
    let firsts = vec![
        Request::get(ROLE_DEFINITIONS),
        Request::get(ROLE_ASSIGNMENTS),
        Request::get(ROLE_ELIGIBILITIES),
    ];
    let mut results = client
        .list_many::<Value>(firsts)
        .await
        .map_err(fail(WHAT, PERMISSION))?
        .into_iter();
    let mut next = || {
        results
            .next()
            .unwrap_or_else(|| Err(Box::new(missing_answer())))
    };
    let (defs, assignments, eligible) = (next(), next(), next());
    let items = |r: crate::graph::ListResult<Value>| {
        r.map(|l| l.items)
            .map_err(|e| fail(WHAT, PERMISSION)(GraphError::Api(e)))
    };
    let definitions = items(defs)?
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .map(|d: DefinitionDto| RoleDef {
            display_name: d.display_name.unwrap_or_default(),
            template_id: d.template_id,
            id: d.id,
        })
        .collect();
    let mut grants: Vec<Grant> = items(assignments)?
        .into_iter()
        .filter_map(parse_grant)
        .map(|d| grant(d, Holding::Active))
        .collect();
    let mut eligibility_error = None;
    match eligible {
        Ok(l) => grants.extend(
            l.items
                .into_iter()
                .filter_map(parse_grant)
                .map(|d| grant(d, Holding::Eligible)),
        ),
        // PIM needs Entra ID P2; a tenant without it (or a token without the
        // permission) still gets the active assignments.
        Err(e) => {
            let mut e = *e;
            if e.status == 403 {
                e.needed_permission = Some(PERMISSION.into());
            }
            eligibility_error = Some(e.to_string());
        }
    }
    Ok(RoleData {
        definitions,
        grants,
        eligibility_error,
    })
}

/// SKUs and users' licence assignments: both first pages in one `$batch`
/// POST, then one `$batch` per round of further user pages (⌈U/999⌉ in all).
pub async fn licenses(client: &GraphClient) -> Result<(Vec<Sku>, Vec<LicensedUser>), ReportError> {
    const WHAT: &str = "subscribed SKUs and users' licences";
    let mut results = client
        .list_many::<Value>(vec![Request::get(SKUS), Request::get(LICENSED_USERS)])
        .await
        .map_err(fail(WHAT, "Organization.Read.All and User.Read.All"))?
        .into_iter();
    let mut next = || {
        results
            .next()
            .unwrap_or_else(|| Err(Box::new(missing_answer())))
    };
    let (skus, users) = (next(), next());
    let skus = skus
        .map_err(|e| fail(WHAT, "Organization.Read.All")(GraphError::Api(e)))?
        .items
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    let users = users
        .map_err(|e| fail(WHAT, "User.Read.All")(GraphError::Api(e)))?
        .items
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    Ok((skus, users))
}

fn parse_grant(v: Value) -> Option<GrantDto> {
    serde_json::from_value(v).ok()
}

fn missing_answer() -> crate::graph::ApiError {
    crate::graph::ApiError::from_body("GET", "$batch", 0, b"", None)
}
