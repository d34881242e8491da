//! The seed's PIM part: `roleEligibilities`, `roleAssignmentSchedules`
//! (time-bound or activated active assignments) and `roleManagementPolicies`
//! (per-role settings), loaded after role assignments and administrative
//! units, and dumped back by `GET /_emulator/state` (docs/emulator.md, *Seed format*).

use serde::{Deserialize, Serialize};

use super::{
    ActiveSchedule, AssignmentType, Eligibility, Expiration, MemberType, RolePolicy, Schedule,
    sweep, time,
};
use crate::error::EmulatorError;
use crate::roles;
use crate::seed::Seed;
use crate::state::{Kind, Tenant};
use crate::util::{iso8601, now_secs};

/// An eligibility, or a scheduled active assignment, in the seed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedRoleSchedule {
    /// Schedule id; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The principal's object id or userPrincipalName (a user, a
    /// role-assignable group, or — active assignments only — a service principal).
    pub principal_id: String,
    /// The role's template id or built-in display name.
    pub role_definition_id: String,
    /// `/` (default) or `/administrativeUnits/{id or displayName}`.
    #[serde(default = "tenant_scope")]
    pub directory_scope_id: String,
    /// Start (ISO 8601); default: when the emulator loads the seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<String>,
    /// End (ISO 8601 date-time or date); absent: no expiration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<String>,
    /// Active assignments only: `Assigned` (default) or `Activated` (needs an
    /// eligibility of the principal, or of a role-assignable group it is in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment_type: Option<String>,
}

fn tenant_scope() -> String {
    "/".to_string()
}

/// A role's PIM settings in the seed (unifiedRoleManagementPolicy rules).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedRolePolicy {
    /// The role's template id or built-in display name.
    pub role_definition_id: String,
    /// Eligibilities must have an end (Expiration_Admin_Eligibility).
    #[serde(default)]
    pub eligibility_expiration_required: bool,
    /// Active assignments must have an end (Expiration_Admin_Assignment).
    #[serde(default)]
    pub assignment_expiration_required: bool,
    /// Longest activation, ISO 8601 (`PT8H`, the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_activation_duration: Option<String>,
    /// Activation needs a justification (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_justification_required: Option<bool>,
}

fn invalid(msg: String) -> EmulatorError {
    EmulatorError::InvalidSeed(msg)
}

fn role(t: &Tenant, key: &str) -> Result<String, EmulatorError> {
    roles::resolve(&t.role_defs, key).ok_or_else(|| invalid(format!("unknown role {key}")))
}

/// `/` or `/administrativeUnits/{id}`; a unit may be named by its display name.
fn scope(t: &Tenant, s: &str) -> Result<String, EmulatorError> {
    if s == "/" {
        return Ok(s.to_string());
    }
    let unit = s.strip_prefix("/administrativeUnits/").ok_or_else(|| {
        invalid(format!(
            "directoryScopeId {s}: use / (the tenant) or /administrativeUnits/<id or displayName>"
        ))
    })?;
    t.admin_units
        .values()
        .find(|u| u.obj.id == unit || u.obj.str("displayName") == Some(unit))
        .map(|u| format!("/administrativeUnits/{}", u.obj.id))
        .ok_or_else(|| {
            invalid(format!(
                "directoryScopeId {s}: unknown administrative unit {unit}"
            ))
        })
}

fn date(s: &Option<String>, what: &str) -> Result<Option<i64>, EmulatorError> {
    s.as_deref()
        .map(|d| {
            time::parse_datetime(d).ok_or_else(|| {
                invalid(format!(
                    "{what} {d}: not an ISO 8601 date-time (e.g. 2027-03-31T00:00:00Z) or date"
                ))
            })
        })
        .transpose()
}

struct Parsed {
    id: String,
    principal: String,
    role: String,
    scope: String,
    schedule: Schedule,
}

fn parse(
    t: &mut Tenant,
    s: &SeedRoleSchedule,
    what: &str,
    now: i64,
    eligibility: bool,
) -> Result<Parsed, EmulatorError> {
    let principal = t
        .resolve_principal(&s.principal_id)
        .ok_or_else(|| invalid(format!("{what}: unknown principal {}", s.principal_id)))?;
    let ok = match t.kind_of(&principal) {
        Some(Kind::User) => true,
        Some(Kind::Group) => super::requests::is_role_assignable(t, &principal),
        Some(Kind::ServicePrincipal) => !eligibility,
        _ => false,
    };
    if !ok {
        return Err(invalid(format!(
            "{what}: principal {} cannot hold it (a user or a role-assignable group{})",
            s.principal_id,
            if eligibility {
                ""
            } else {
                ", or a service principal"
            }
        )));
    }
    let start = date(&s.start_date_time, "startDateTime")?.unwrap_or(now);
    let end = date(&s.end_date_time, "endDateTime")?;
    if end.is_some_and(|e| e <= now || e <= start) {
        return Err(invalid(format!(
            "{what} of {}: endDateTime is already past (or before the start)",
            s.principal_id
        )));
    }
    let id = match &s.id {
        Some(id) => id.clone(),
        None => t.rng.guid(),
    };
    Ok(Parsed {
        id,
        principal,
        role: role(t, &s.role_definition_id)?,
        scope: scope(t, &s.directory_scope_id)?,
        schedule: Schedule {
            start,
            end,
            kind: if end.is_some() {
                Expiration::AfterDateTime
            } else {
                Expiration::NoExpiration
            },
            duration: None,
        },
    })
}

/// Load the seed's PIM part into the tenant (after roles and units).
pub fn load(
    t: &mut Tenant,
    eligibilities: Vec<SeedRoleSchedule>,
    schedules: Vec<SeedRoleSchedule>,
    policies: Vec<SeedRolePolicy>,
) -> Result<(), EmulatorError> {
    let now = now_secs();
    t.pim.loaded_at = now;
    for p in policies {
        let r = role(t, &p.role_definition_id)?;
        let mut policy = RolePolicy {
            eligibility_expiration_required: p.eligibility_expiration_required,
            assignment_expiration_required: p.assignment_expiration_required,
            ..RolePolicy::default()
        };
        if let Some(d) = &p.maximum_activation_duration {
            policy.maximum_activation_secs = time::parse_duration(d).ok_or_else(|| {
                invalid(format!(
                    "roleManagementPolicies: maximumActivationDuration {d} is not an ISO 8601 duration (e.g. PT8H)"
                ))
            })?;
        }
        if let Some(j) = p.activation_justification_required {
            policy.activation_justification_required = j;
        }
        t.pim.policies.insert(r, policy);
    }
    for e in &eligibilities {
        let p = parse(t, e, "roleEligibilities", now, true)?;
        let dup = t.pim.eligibilities.contains_key(&p.id)
            || t.pim.eligibilities.values().any(|x| {
                x.principal_id == p.principal
                    && x.role_definition_id == p.role
                    && x.directory_scope_id == p.scope
            });
        if dup {
            return Err(invalid(format!(
                "roleEligibilities: duplicate eligibility of {} for {}",
                e.principal_id, e.role_definition_id
            )));
        }
        let instance_id = format!("{}-1-e", t.rng.token(33));
        t.pim.eligibilities.insert(
            p.id.clone(),
            Eligibility {
                id: p.id,
                principal_id: p.principal,
                role_definition_id: p.role,
                directory_scope_id: p.scope,
                schedule: p.schedule,
                created_using: None,
                created: None,
                modified: None,
                instance_id,
            },
        );
    }
    for s in &schedules {
        let p = parse(t, s, "roleAssignmentSchedules", now, false)?;
        let assignment_type = match s.assignment_type.as_deref() {
            None => AssignmentType::Assigned,
            Some(a) if a.eq_ignore_ascii_case("Assigned") => AssignmentType::Assigned,
            Some(a) if a.eq_ignore_ascii_case("Activated") => AssignmentType::Activated,
            Some(a) => {
                return Err(invalid(format!(
                    "roleAssignmentSchedules: assignmentType {a}: use Assigned or Activated"
                )));
            }
        };
        let (activated_using, member_type) = if assignment_type == AssignmentType::Activated {
            let groups = t.member_of.get(&p.principal);
            let found = t.pim.eligibilities.values().find_map(|e| {
                if e.role_definition_id != p.role || e.directory_scope_id != p.scope {
                    return None;
                }
                if e.principal_id == p.principal {
                    Some((e.id.clone(), MemberType::Direct))
                } else if groups.is_some_and(|g| g.contains(&e.principal_id)) {
                    Some((e.id.clone(), MemberType::Group))
                } else {
                    None
                }
            });
            let (e, m) = found.ok_or_else(|| {
                invalid(format!(
                    "roleAssignmentSchedules: {} is Activated but has no eligibility for {} at {} (list it under roleEligibilities)",
                    s.principal_id, s.role_definition_id, s.directory_scope_id
                ))
            })?;
            (Some(e), m)
        } else {
            (None, MemberType::Direct)
        };
        let clash = t.pim.active.contains_key(&p.id)
            || t.assignments.values().any(|a| {
                a.principal_id == p.principal
                    && a.role_definition_id == p.role
                    && a.directory_scope_id == p.scope
            });
        if clash {
            return Err(invalid(format!(
                "roleAssignmentSchedules: {} already holds {} at {} (duplicate)",
                s.principal_id, s.role_definition_id, s.directory_scope_id
            )));
        }
        t.pim.active.insert(
            p.id.clone(),
            ActiveSchedule {
                id: p.id,
                principal_id: p.principal,
                role_definition_id: p.role,
                directory_scope_id: p.scope,
                schedule: p.schedule,
                created_using: None,
                created: None,
                modified: None,
                assignment_type,
                member_type,
                activated_using,
                assignment_id: None,
            },
        );
    }
    sweep(t, now);
    Ok(())
}

/// Add the tenant's PIM part to a dumped seed.
pub fn dump(t: &Tenant, seed: &mut Seed) {
    let one = |id: &str, p: &str, r: &str, sc: &str, s: &Schedule| SeedRoleSchedule {
        id: Some(id.to_string()),
        principal_id: p.to_string(),
        role_definition_id: r.to_string(),
        directory_scope_id: sc.to_string(),
        start_date_time: Some(iso8601(s.start)),
        end_date_time: s.end.map(iso8601),
        assignment_type: None,
    };
    seed.role_eligibilities = t
        .pim
        .eligibilities
        .values()
        .map(|e| {
            one(
                &e.id,
                &e.principal_id,
                &e.role_definition_id,
                &e.directory_scope_id,
                &e.schedule,
            )
        })
        .collect();
    seed.role_assignment_schedules = t
        .pim
        .active
        .values()
        .map(|a| {
            let mut s = one(
                &a.id,
                &a.principal_id,
                &a.role_definition_id,
                &a.directory_scope_id,
                &a.schedule,
            );
            if a.assignment_type == AssignmentType::Activated {
                s.assignment_type = Some("Activated".into());
            }
            s
        })
        .collect();
    let default = RolePolicy::default();
    seed.role_management_policies = t
        .pim
        .policies
        .iter()
        .map(|(r, p)| SeedRolePolicy {
            role_definition_id: r.clone(),
            eligibility_expiration_required: p.eligibility_expiration_required,
            assignment_expiration_required: p.assignment_expiration_required,
            maximum_activation_duration: (p.maximum_activation_secs
                != default.maximum_activation_secs)
                .then(|| format!("PT{}S", p.maximum_activation_secs)),
            activation_justification_required: (p.activation_justification_required
                != default.activation_justification_required)
                .then_some(p.activation_justification_required),
        })
        .collect();
}
