//! `licenses`: seats per SKU — purchased, assigned, available — and how the
//! assigned ones are held: directly, through a group (group-based
//! licensing), or both; with the assignments Graph reports in error.
//!
//! Facts (v1.0 `resources/subscribedsku`, `resources/licenseunitsdetail`,
//! `resources/licenseassignmentstate`): `consumedUnits` is how many licences
//! are assigned; `prepaidUnits.enabled` the seats of active subscriptions,
//! `warning` those in their grace period, `suspended` those of cancelled
//! ones. A user's `licenseAssignmentStates` has one entry per assignment
//! path: `assignedByGroup` is null for a direct assignment and the group's
//! id for an inherited one; `state` is `Active`, `ActiveWithError`,
//! `Disabled` or `Error`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::time;
use super::{Cell, Column, Report};

/// `prepaidUnits` of a SKU.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrepaidUnits {
    /// Seats of active subscriptions.
    #[serde(default)]
    pub enabled: Option<i64>,
    /// Seats of cancelled subscriptions (can be reactivated).
    #[serde(default)]
    pub suspended: Option<i64>,
    /// Seats of expired subscriptions in their grace period.
    #[serde(default)]
    pub warning: Option<i64>,
}

/// A subscribed SKU (`GET /subscribedSkus`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sku {
    /// `skuId`.
    pub sku_id: String,
    /// `skuPartNumber` (`ENTERPRISEPACK`).
    #[serde(default)]
    pub sku_part_number: Option<String>,
    /// `Enabled`, `Warning`, `Suspended`, `Deleted`, `LockedOut`.
    #[serde(default)]
    pub capability_status: Option<String>,
    /// `User` or `Company`.
    #[serde(default)]
    pub applies_to: Option<String>,
    /// Licences assigned.
    #[serde(default)]
    pub consumed_units: Option<i64>,
    /// Seats bought.
    #[serde(default)]
    pub prepaid_units: Option<PrepaidUnits>,
}

/// One entry of a user's `licenseAssignmentStates`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentState {
    /// The SKU.
    #[serde(default)]
    pub sku_id: Option<String>,
    /// The group it comes through; `None` when assigned directly.
    #[serde(default)]
    pub assigned_by_group: Option<String>,
    /// `Active`, `ActiveWithError`, `Disabled`, `Error`.
    #[serde(default)]
    pub state: Option<String>,
}

/// A user with its licence assignments (`$select=id,licenseAssignmentStates`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicensedUser {
    /// Object id.
    pub id: String,
    /// Assignment paths.
    #[serde(default)]
    pub license_assignment_states: Option<Vec<AssignmentState>>,
}

/// The report's columns.
pub const COLUMNS: &[Column] = &[
    Column {
        key: "sku",
        title: "SKU",
    },
    Column {
        key: "status",
        title: "Status",
    },
    Column {
        key: "purchased",
        title: "Purchased",
    },
    Column {
        key: "assigned",
        title: "Assigned",
    },
    Column {
        key: "available",
        title: "Available",
    },
    Column {
        key: "directUsers",
        title: "Direct",
    },
    Column {
        key: "groupUsers",
        title: "Via group",
    },
    Column {
        key: "bothUsers",
        title: "Both",
    },
    Column {
        key: "errors",
        title: "In error",
    },
];

#[derive(Default)]
struct Holders {
    direct: BTreeSet<String>,
    group: BTreeSet<String>,
    errors: BTreeSet<String>,
}

/// One row per SKU, by part number: seats purchased (`enabled` + `warning`:
/// both can be assigned), assigned (`consumedUnits`), available (purchased −
/// assigned, negative when over-assigned), users holding it directly,
/// through a group, through both, and users whose assignment is in error.
pub fn build(skus: &[Sku], users: &[LicensedUser], now: i64) -> Report {
    let mut by_sku: BTreeMap<String, Holders> = BTreeMap::new();
    for u in users {
        for s in u.license_assignment_states.iter().flatten() {
            let Some(sku) = &s.sku_id else { continue };
            let h = by_sku.entry(sku.to_lowercase()).or_default();
            match &s.assigned_by_group {
                None => h.direct.insert(u.id.clone()),
                Some(_) => h.group.insert(u.id.clone()),
            };
            if s.state.as_deref().is_some_and(|st| {
                st.eq_ignore_ascii_case("Error") || st.eq_ignore_ascii_case("ActiveWithError")
            }) {
                h.errors.insert(u.id.clone());
            }
        }
    }
    let mut skus: Vec<&Sku> = skus.iter().collect();
    skus.sort_by(|a, b| (&a.sku_part_number, &a.sku_id).cmp(&(&b.sku_part_number, &b.sku_id)));
    let empty = Holders::default();
    let mut short = 0;
    let rows = skus
        .iter()
        .map(|s| {
            let h = by_sku.get(&s.sku_id.to_lowercase()).unwrap_or(&empty);
            let p = s.prepaid_units.clone().unwrap_or_default();
            let purchased = p.enabled.unwrap_or(0) + p.warning.unwrap_or(0);
            let assigned = s.consumed_units.unwrap_or(0);
            if purchased - assigned < 0 {
                short += 1;
            }
            let both = h.direct.intersection(&h.group).count();
            vec![
                Cell::text(
                    s.sku_part_number
                        .clone()
                        .unwrap_or_else(|| s.sku_id.clone()),
                ),
                Cell::opt(s.capability_status.clone()),
                Cell::Int(purchased),
                Cell::Int(assigned),
                Cell::Int(purchased - assigned),
                Cell::Int((h.direct.len() - both) as i64),
                Cell::Int((h.group.len() - both) as i64),
                Cell::Int(both as i64),
                Cell::Int(h.errors.len() as i64),
            ]
        })
        .collect::<Vec<_>>();
    Report {
        kind: "licenses",
        title: format!(
            "Subscribed SKUs: {} ({short} with more licences assigned than purchased)",
            skus.len()
        ),
        generated_at: time::iso(now),
        columns: COLUMNS,
        rows,
        notes: vec![
            "Purchased: seats of active subscriptions and of expired ones still in their grace period (prepaidUnits enabled + warning); suspended seats cannot be assigned.".into(),
            "Direct / Via group / Both count users by how they hold the SKU (licenseAssignmentStates: assignedByGroup null when direct); a user holding it both ways uses one seat.".into(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sku(id: &str, part: &str, enabled: i64, warning: i64, consumed: i64) -> Sku {
        Sku {
            sku_id: id.into(),
            sku_part_number: Some(part.into()),
            capability_status: Some("Enabled".into()),
            applies_to: Some("User".into()),
            consumed_units: Some(consumed),
            prepaid_units: Some(PrepaidUnits {
                enabled: Some(enabled),
                suspended: Some(3),
                warning: Some(warning),
            }),
        }
    }

    fn state(sku: &str, group: Option<&str>, st: &str) -> AssignmentState {
        AssignmentState {
            sku_id: Some(sku.into()),
            assigned_by_group: group.map(str::to_string),
            state: Some(st.into()),
        }
    }

    fn user(id: &str, states: Vec<AssignmentState>) -> LicensedUser {
        LicensedUser {
            id: id.into(),
            license_assignment_states: Some(states),
        }
    }

    #[test]
    fn seats_and_how_users_hold_them() {
        let skus = vec![
            sku("E5-ID", "SPE_E5", 10, 2, 4),
            sku("E3-ID", "ENTERPRISEPACK", 1, 0, 2),
        ];
        let users = vec![
            user("a", vec![state("e5-id", None, "Active")]),
            user("b", vec![state("E5-ID", Some("g1"), "Active")]),
            user(
                "c",
                vec![
                    state("E5-ID", None, "Active"),
                    state("E5-ID", Some("g1"), "Active"),
                ],
            ),
            user("d", vec![state("E5-ID", Some("g2"), "Error")]),
            user("e", vec![state("E3-ID", None, "ActiveWithError")]),
            user("f", vec![state("E3-ID", None, "Active")]),
            user("nothing", vec![]),
        ];
        let r = build(&skus, &users, 0);
        let got: Vec<Vec<String>> = r
            .rows
            .iter()
            .map(|row| row.iter().map(Cell::plain).collect())
            .collect();
        assert_eq!(
            got,
            [
                [
                    "ENTERPRISEPACK",
                    "Enabled",
                    "1",
                    "2",
                    "-1",
                    "2",
                    "0",
                    "0",
                    "1"
                ],
                ["SPE_E5", "Enabled", "12", "4", "8", "1", "2", "1", "1"],
            ]
        );
        assert!(
            r.title
                .contains(": 2 (1 with more licences assigned than purchased)"),
            "{}",
            r.title
        );
    }
}
