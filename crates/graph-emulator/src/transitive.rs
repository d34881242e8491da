//! Who is related to whom, directly or transitively: the sets behind
//! `members`, `transitiveMembers`, `memberOf`, `transitiveMemberOf`,
//! `directReports` and the membership functions (`checkMemberGroups`,
//! `getMemberGroups`, `getMemberObjects`). Pure reads of the tenant; every
//! object visited costs one unit of the request's work budget.
//!
//! What Graph documents (microsoftgraph/microsoft-graph-docs-contrib):
//! - `transitiveMembers` is "a flat list of all nested members" (users,
//!   devices, contacts, service principals, groups): group-list-transitivemembers.md;
//! - `memberOf` lists "groups, directory roles, and administrative units that
//!   the user is a direct member of" (user-list-memberof.md) and
//!   `transitiveMemberOf` those "through either direct or transitive
//!   membership" (user-list-transitivememberof.md).
//!
//! Directory roles here are the activated built-in roles with a tenant-scope
//! assignment to the object or (transitively) to a group it belongs to.
//! Administrative-unit membership is not inherited: a unit that contains a
//! group does not contain the group's members (Entra's rule), so only units
//! that list the object itself appear.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use entra_data::builtin_roles::{self, BuiltinRole};

use super::directory_roles::role_object_id;
use super::odata::Work;
use super::state::{Kind, Tenant};

/// One related object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// A user, group, service principal, device, contact… (by its type).
    Object(Kind),
    /// An activated directory role (its id is the directoryRole object id).
    Role(&'static BuiltinRole),
    /// An administrative unit.
    Unit,
}

/// Related objects by id (id order is Graph-stable and keeps paging cheap).
pub type Related = BTreeMap<String, Entry>;

/// Direct members of a group.
pub fn members(t: &Tenant, group: &str, work: &Work) -> Related {
    let mut out = Related::new();
    if let Some(g) = t.groups.get(group) {
        for m in &g.members {
            if !work.spend(1) {
                break;
            }
            if let Some(k) = t.kind_of(m) {
                out.insert(m.clone(), Entry::Object(k));
            }
        }
    }
    out
}

/// Every member of a group, nested groups expanded (each object once; a
/// cycle of groups is walked once).
pub fn transitive_members(t: &Tenant, group: &str, work: &Work) -> Related {
    let mut out = Related::new();
    let mut seen = BTreeSet::from([group.to_string()]);
    let mut queue = VecDeque::from([group.to_string()]);
    while let Some(gid) = queue.pop_front() {
        let Some(g) = t.groups.get(&gid) else {
            continue;
        };
        for m in &g.members {
            if !work.spend(1) {
                return out;
            }
            let Some(k) = t.kind_of(m) else {
                continue;
            };
            if m != group {
                out.insert(m.clone(), Entry::Object(k));
            }
            if k == Kind::Group && seen.insert(m.clone()) {
                queue.push_back(m.clone());
            }
        }
    }
    out
}

/// The groups an object belongs to: directly, or with `transitive` through nested groups too.
pub fn groups_of(t: &Tenant, id: &str, transitive: bool, work: &Work) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut queue = VecDeque::from([id.to_string()]);
    while let Some(cur) = queue.pop_front() {
        let Some(parents) = t.member_of.get(&cur) else {
            continue;
        };
        for g in parents {
            if !work.spend(1) {
                return out;
            }
            if g != id && out.insert(g.clone()) && transitive {
                queue.push_back(g.clone());
            }
        }
        if !transitive {
            break;
        }
    }
    out
}

/// Activated built-in roles held at tenant scope by any of `principals`.
fn roles_of<'a>(
    t: &Tenant,
    principals: impl Iterator<Item = &'a String>,
) -> Vec<&'static BuiltinRole> {
    let set: BTreeSet<&String> = principals.collect();
    let mut out: Vec<&'static BuiltinRole> = t
        .assignments
        .values()
        .filter(|a| a.directory_scope_id == "/" && set.contains(&a.principal_id))
        .filter_map(|a| builtin_roles::by_template_id(&a.role_definition_id.to_ascii_lowercase()))
        .collect();
    out.sort_by_key(|r| r.template_id);
    out.dedup();
    out
}

/// Groups, directory roles and administrative units an object is a member
/// of (`memberOf`, or with `transitive` `transitiveMemberOf`).
pub fn member_of(t: &Tenant, id: &str, transitive: bool, work: &Work) -> Related {
    let groups = groups_of(t, id, transitive, work);
    let mut out: Related = groups
        .iter()
        .map(|g| (g.clone(), Entry::Object(Kind::Group)))
        .collect();
    let me = id.to_string();
    let holders: Vec<&String> = if transitive {
        std::iter::once(&me).chain(groups.iter()).collect()
    } else {
        vec![&me]
    };
    for r in roles_of(t, holders.into_iter()) {
        out.insert(role_object_id(&t.info.id, r.template_id), Entry::Role(r));
    }
    for (uid, u) in &t.admin_units {
        if u.members.contains(id) {
            out.insert(uid.clone(), Entry::Unit);
        }
    }
    out
}

/// A user's direct reports.
pub fn direct_reports(t: &Tenant, id: &str) -> Related {
    t.reports
        .get(id)
        .map(|r| {
            r.iter()
                .filter_map(|m| Some((m.clone(), Entry::Object(t.kind_of(m)?))))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a group is security-enabled.
pub fn security_enabled(t: &Tenant, group: &str) -> bool {
    t.groups
        .get(group)
        .and_then(|g| g.obj.props.get("securityEnabled"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;

    fn tenant() -> Tenant {
        let seed = Seed::parse(
            r#"{
              "users": [
                {"id": "u1", "userPrincipalName": "a@contoso.onmicrosoft.com"},
                {"id": "u2", "userPrincipalName": "b@contoso.onmicrosoft.com", "manager": "u1"}
              ],
              "groups": [
                {"id": "g1", "displayName": "outer", "members": ["g2", "u1"]},
                {"id": "g2", "displayName": "inner", "members": ["g3", "u2"]},
                {"id": "g3", "displayName": "cycle", "members": ["g1"], "securityEnabled": false}
              ],
              "roleAssignments": [{"principalId": "g2", "roleDefinitionId": "Helpdesk Administrator"}],
              "administrativeUnits": [{"id": "au1", "displayName": "Unit", "members": ["g2", "u1"]}]
            }"#,
        )
        .unwrap();
        Tenant::from_seed(seed, 1).unwrap()
    }

    #[test]
    fn nested_groups_are_flattened_once_even_in_a_cycle() {
        let t = tenant();
        let w = Work::unlimited();
        let all: Vec<String> = transitive_members(&t, "g1", &w).into_keys().collect();
        assert_eq!(all, ["g2", "g3", "u1", "u2"]);
        assert_eq!(members(&t, "g1", &w).len(), 2);
    }

    #[test]
    fn member_of_adds_roles_through_groups_and_units_only_directly() {
        let t = tenant();
        let w = Work::unlimited();
        let direct = member_of(&t, "u2", false, &w);
        assert_eq!(direct.len(), 1, "{direct:?}");
        let trans = member_of(&t, "u2", true, &w);
        assert!(trans.contains_key("g1") && trans.contains_key("g3"));
        assert_eq!(
            trans
                .values()
                .filter(|e| matches!(e, Entry::Role(_)))
                .count(),
            1,
            "Helpdesk Administrator through g2"
        );
        assert!(!trans.contains_key("au1"), "units are not inherited");
        assert!(member_of(&t, "u1", false, &w).contains_key("au1"));
    }

    #[test]
    fn the_budget_bounds_the_walk() {
        let t = tenant();
        let w = Work::new(2);
        let _ = transitive_members(&t, "g1", &w);
        assert!(w.exhausted());
    }
}
