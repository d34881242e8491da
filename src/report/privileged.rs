//! `privileged`: every principal holding a privileged directory role, active
//! or eligible (PIM), and whether the repo declares it.
//!
//! Graph v1.0's `unifiedRoleDefinition` has no `isPrivileged` (a beta
//! property: `GET /beta/roleManagement/directory/roleDefinitions?$filter=isPrivileged eq true`,
//! Entra "privileged roles and permissions" article): entraform reads v1.0
//! only, so a role is privileged when Microsoft's built-in roles reference
//! labels it PRIVILEGED (`model::builtin_roles`, from entra-data). Custom
//! roles cannot be judged that way; the report counts their assignments in
//! a note.
//!
//! "Declared" compares with the repo's `roles:` (users only: the repo
//! declares user principals), holding for holding: an eligibility is
//! declared by an `eligible` holding, an active assignment by a principal or
//! an active holding; a group or service principal holding a privileged role
//! is reported with no answer.

use std::collections::{BTreeMap, BTreeSet};

use crate::desired::state::DesiredState;
use crate::model::builtin_roles;

use super::time;
use super::{Cell, Column, Report};

/// A role definition (`id`, name, template).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleDef {
    /// Definition id (what assignments name).
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Template id (built-in roles: equal to the id).
    pub template_id: Option<String>,
}

/// What kind of object holds the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PrincipalKind {
    /// A user.
    User,
    /// A (role-assignable) group: its members hold the role through it.
    Group,
    /// An application's service principal.
    ServicePrincipal,
    /// Anything else, or unknown.
    Other,
}

impl PrincipalKind {
    /// From an `@odata.type` (`#microsoft.graph.user`).
    pub fn from_odata_type(t: Option<&str>) -> PrincipalKind {
        match t
            .map(|t| t.trim_start_matches('#').to_ascii_lowercase())
            .as_deref()
        {
            Some("microsoft.graph.user") => PrincipalKind::User,
            Some("microsoft.graph.group") => PrincipalKind::Group,
            Some("microsoft.graph.serviceprincipal") => PrincipalKind::ServicePrincipal,
            _ => PrincipalKind::Other,
        }
    }

    fn word(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
            PrincipalKind::ServicePrincipal => "service principal",
            PrincipalKind::Other => "other",
        }
    }
}

/// Active (assigned now) or eligible (may activate through PIM).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Holding {
    /// A role assignment.
    Active,
    /// A PIM eligibility.
    Eligible,
}

/// One principal holding one role at one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The principal's object id.
    pub principal_id: String,
    /// User, group, service principal.
    pub kind: PrincipalKind,
    /// UPN of a user, display name of anything else (when Graph gave it).
    pub name: Option<String>,
    /// The role definition's id.
    pub role_definition_id: String,
    /// `/` for the tenant, `/administrativeUnits/{id}`, …
    pub scope: String,
    /// Active or eligible.
    pub holding: Holding,
    /// End of a time-bound assignment or eligibility (ISO 8601), if any.
    pub ends: Option<String>,
}

/// (role key, lower-cased UPN, holding) of every principal the repo declares
/// for a role. A role key is its template id (built-in roles) or `name:` and
/// its lower-cased name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declared(BTreeSet<(String, String, Holding)>);

impl Declared {
    /// The repo's `roles:` (and users' `roles:` lists): permanent principals
    /// are active; PIM holdings (`eligible`, time-bound, scoped) as declared.
    pub fn from_desired(d: &DesiredState) -> Declared {
        let mut set = BTreeSet::new();
        for spec in d.roles.values() {
            let key = role_key(spec.template_id.as_deref(), &spec.display_name);
            for upn in spec.principals.keys() {
                set.insert((key.clone(), upn.as_str().to_lowercase(), Holding::Active));
            }
            for h in &spec.holdings {
                let holding = match h.holding {
                    crate::model::op::Holding::Eligible => Holding::Eligible,
                    crate::model::op::Holding::Active => Holding::Active,
                };
                set.insert((key.clone(), h.upn.as_str().to_lowercase(), holding));
            }
        }
        Declared(set)
    }

    fn has(&self, role: &str, upn: &str, holding: Holding) -> bool {
        self.0
            .contains(&(role.to_string(), upn.to_lowercase(), holding))
    }
}

fn role_key(template: Option<&str>, name: &str) -> String {
    match template.filter(|t| builtin_roles::by_template_id(t).is_some()) {
        Some(t) => t.to_lowercase(),
        None => format!("name:{}", name.to_lowercase()),
    }
}

/// The report's columns.
pub const COLUMNS: &[Column] = &[
    Column {
        key: "principal",
        title: "Principal",
    },
    Column {
        key: "principalType",
        title: "Type",
    },
    Column {
        key: "role",
        title: "Role",
    },
    Column {
        key: "scope",
        title: "Scope",
    },
    Column {
        key: "assignment",
        title: "Assignment",
    },
    Column {
        key: "ends",
        title: "Ends",
    },
    Column {
        key: "declared",
        title: "Declared in repo",
    },
];

/// Privileged grants by principal, then role; `declared` is `None` when no
/// repo was given.
pub fn build(defs: &[RoleDef], grants: &[Grant], declared: Option<&Declared>, now: i64) -> Report {
    let by_id: BTreeMap<&str, &RoleDef> = defs.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut custom = 0usize;
    let mut rows: Vec<(&Grant, String, String)> = Vec::new();
    for g in grants {
        let def = by_id.get(g.role_definition_id.as_str());
        let template = def
            .and_then(|d| d.template_id.as_deref())
            .unwrap_or(&g.role_definition_id);
        match builtin_roles::by_template_id(&template.to_lowercase()) {
            Some(b) if b.privileged => {
                let key = role_key(Some(b.template_id), b.display_name);
                rows.push((g, b.display_name.to_string(), key));
            }
            Some(_) => {}
            None => custom += 1,
        }
    }
    rows.sort_by(|(a, ra, _), (b, rb, _)| {
        (&a.name, &a.principal_id, ra, a.holding, &a.scope).cmp(&(
            &b.name,
            &b.principal_id,
            rb,
            b.holding,
            &b.scope,
        ))
    });
    let principals: BTreeSet<&str> = rows
        .iter()
        .map(|(g, _, _)| g.principal_id.as_str())
        .collect();
    let undeclared = rows
        .iter()
        .filter(|(g, _, key)| {
            g.kind == PrincipalKind::User
                && declared
                    .is_some_and(|d| !d.has(key, g.name.as_deref().unwrap_or_default(), g.holding))
        })
        .count();
    let mut notes = vec![
        "Privileged: Microsoft's PRIVILEGED label in the built-in roles reference (Graph v1.0 has no isPrivileged). Members of a group listed here hold its roles through it.".to_string(),
    ];
    if custom > 0 {
        notes.push(format!(
            "{custom} assignment(s) of custom or unknown roles were not judged (no built-in label to go by)."
        ));
    }
    if declared.is_none() {
        notes.push("No repo given: pass the directory repo to compare with its roles.".into());
    } else {
        notes.push(format!(
            "{undeclared} user assignment(s) are not declared in the repo's roles."
        ));
    }
    Report {
        kind: "privileged",
        title: format!(
            "Privileged role holders: {} principal(s), {} assignment(s)",
            principals.len(),
            rows.len()
        ),
        generated_at: time::iso(now),
        columns: COLUMNS,
        rows: rows
            .iter()
            .map(|(g, role, key)| {
                let declared = match (declared, g.kind) {
                    (Some(d), PrincipalKind::User) => {
                        Cell::Bool(d.has(key, g.name.as_deref().unwrap_or_default(), g.holding))
                    }
                    _ => Cell::Empty,
                };
                vec![
                    Cell::text(g.name.clone().unwrap_or_else(|| g.principal_id.clone())),
                    Cell::text(g.kind.word()),
                    Cell::text(role.clone()),
                    Cell::text(if g.scope == "/" {
                        "tenant"
                    } else {
                        g.scope.as_str()
                    }),
                    Cell::text(match g.holding {
                        Holding::Active => "active",
                        Holding::Eligible => "eligible",
                    }),
                    Cell::opt(g.ends.as_deref().and_then(time::parse).map(time::iso)),
                    declared,
                ]
            })
            .collect(),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GA: &str = builtin_roles::GLOBAL_ADMINISTRATOR;
    /// Directory Readers: not privileged.
    const READERS: &str = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b";

    fn grant(name: &str, kind: PrincipalKind, role: &str, holding: Holding) -> Grant {
        Grant {
            principal_id: format!("id-{name}"),
            kind,
            name: Some(name.into()),
            role_definition_id: role.into(),
            scope: "/".into(),
            holding,
            ends: None,
        }
    }

    #[test]
    fn keeps_privileged_roles_and_compares_users_with_the_repo() {
        assert!(builtin_roles::by_template_id(GA).unwrap().privileged);
        assert!(!builtin_roles::by_template_id(READERS).unwrap().privileged);
        let grants = vec![
            grant("b@x", PrincipalKind::User, GA, Holding::Eligible),
            grant("a@x", PrincipalKind::User, GA, Holding::Active),
            grant("c@x", PrincipalKind::User, READERS, Holding::Active),
            grant("Admins", PrincipalKind::Group, GA, Holding::Active),
            grant(
                "d@x",
                PrincipalKind::User,
                "custom-role-id",
                Holding::Active,
            ),
        ];
        let declared = Declared(BTreeSet::from([
            (GA.to_string(), "a@x".to_string(), Holding::Active),
            // Declared active, held eligible: not the same holding.
            (GA.to_string(), "b@x".to_string(), Holding::Active),
        ]));
        let r = build(&[], &grants, Some(&declared), 0);
        let got: Vec<Vec<String>> = r
            .rows
            .iter()
            .map(|row| row.iter().map(Cell::plain).collect())
            .collect();
        assert_eq!(
            got,
            [
                [
                    "Admins",
                    "group",
                    "Global Administrator",
                    "tenant",
                    "active",
                    "",
                    ""
                ],
                [
                    "a@x",
                    "user",
                    "Global Administrator",
                    "tenant",
                    "active",
                    "",
                    "yes"
                ],
                [
                    "b@x",
                    "user",
                    "Global Administrator",
                    "tenant",
                    "eligible",
                    "",
                    "no"
                ],
            ]
        );
        assert!(
            r.notes
                .iter()
                .any(|n| n.starts_with("1 assignment(s) of custom"))
        );
        assert!(
            r.notes
                .iter()
                .any(|n| n.starts_with("1 user assignment(s) are not declared"))
        );
    }
}
