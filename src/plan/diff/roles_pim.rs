//! Roles as PIM holds them (pure): eligibilities, time-bound active
//! assignments and administrative-unit scope, compared with the live
//! eligibility and assignment schedule instances.
//!
//! Rules (docs/format.md, *Roles*; docs/decisions.md, *PIM*):
//! - a declared holding missing live is assigned (`adminAssign`); one whose
//!   end date differs is updated (`adminUpdate`);
//! - a live eligibility, time-bound or unit-scoped assignment that is not
//!   declared is removed (`adminRemove`) only where the role is authoritative
//!   (declared under `roles:` for that scope), as plain assignments are;
//! - an activation (`assignmentType: Activated`) is never drift and never
//!   removed; a holding through a role-assignable group (`memberType` not
//!   `Direct`) is shown (`role-kept`), never touched;
//! - a declared eligibility only ever produces eligibility operations: it is
//!   never turned into an active assignment.

use std::collections::{HashMap, HashSet};

use super::Ctx;
use super::suggest;
use crate::desired::state::{HoldingSpec, RoleSpec};
use crate::model::ObjectId;
use crate::model::live::LiveRoleSchedule;
use crate::plan::op::{ErrorCode, Holding, NoticeCode, Op, PlanError, RoleRef, RoleScope};

/// Where a holding is: (principal, holding, directoryScopeId lower-cased).
type Key = (ObjectId, Holding, String);

/// The role's scope for an administrative unit name, or a plan error.
fn resolve_scope(c: &mut Ctx<'_>, unit: Option<&str>, h: &HoldingSpec) -> Option<RoleScope> {
    let Some(name) = unit else {
        return Some(RoleScope::tenant());
    };
    match c.live.admin_unit_named(name) {
        Ok(u) => Some(RoleScope {
            directory_scope_id: format!("/administrativeUnits/{}", u.id),
            unit: Some(u.display_name.clone()),
        }),
        Err(n) => {
            let message = if n > 1 {
                format!(
                    "{n} administrative units are named `{name}`; rename one so that `scope: au:{name}` names exactly one"
                )
            } else if let Some(why) = c.live.restricted_unknown_reason() {
                format!("administrative unit `{name}` could not be looked up: {why}")
            } else {
                let hint = c.suggest.name(
                    name,
                    c.live.admin_units().iter().map(|u| u.display_name.as_str()),
                );
                suggest::with_hint(
                    format!(
                        "administrative unit `{name}` does not exist in the tenant; create it first or fix the name in `scope: au:{name}`"
                    ),
                    hint,
                )
            };
            c.out.errors.push(PlanError {
                code: ErrorCode::UnknownAdminUnit,
                message,
                origin: Some(h.origin.clone()),
            });
            None
        }
    }
}

/// Direct holdings of a role by (principal, holding, scope): assigned ones
/// (eligibilities, and active assignments that are not activations), and
/// the activations apart.
struct LiveHoldings<'a> {
    assigned: HashMap<Key, &'a LiveRoleSchedule>,
    activated: HashSet<(ObjectId, String)>,
    inherited: Vec<&'a LiveRoleSchedule>,
}

fn index<'a>(schedules: &[&'a LiveRoleSchedule]) -> LiveHoldings<'a> {
    let mut out = LiveHoldings {
        assigned: HashMap::new(),
        activated: HashSet::new(),
        inherited: Vec::new(),
    };
    for s in schedules {
        let scope = s.directory_scope_id.to_ascii_lowercase();
        if s.inherited {
            out.inherited.push(s);
        } else if s.activated {
            out.activated.insert((s.principal_id.clone(), scope));
        } else {
            out.assigned
                .entry((s.principal_id.clone(), s.holding, scope))
                .or_insert(s);
        }
    }
    out
}

/// A declared permanent, tenant-scope principal whose live active holding of
/// the role is PIM-managed (time-bound, or only an activation): make it
/// permanent the PIM way. Returns whether it did (the plain `AssignRole` of
/// [`super::role_ops`] is then not planned).
pub(super) fn permanent(c: &mut Ctx<'_>, role: &RoleRef, id: &ObjectId) -> bool {
    let schedules = c.live.schedules_of(id);
    let mine: Vec<&LiveRoleSchedule> = schedules
        .into_iter()
        .filter(|s| {
            s.holding == Holding::Active
                && !s.inherited
                && s.directory_scope_id == "/"
                && s.role_definition_id
                    .eq_ignore_ascii_case(&role.definition_id)
        })
        .collect();
    if let Some(s) = mine.iter().find(|s| !s.activated) {
        if s.end.is_some() {
            c.out.ops.push(Op::UpdateRoleSchedule {
                role: role.clone(),
                principal: c.principal(id),
                holding: Holding::Active,
                scope: RoleScope::tenant(),
                old_until: s.until(),
                until: None,
                justification: None,
            });
        }
        return true;
    }
    // Only an activation: PIM refuses a second active assignment of the same
    // role and scope while it lasts (`RoleAssignmentExists`), so the
    // permanent one is planned once it has ended.
    if mine.iter().any(|s| s.activated) {
        if let Some(u) = c.live.user(id) {
            let upn = u.upn.clone();
            c.notice(
                NoticeCode::RoleKept,
                format!("role:{}", role.name),
                format!(
                    "`{upn}` holds {} through an activation: the permanent assignment it is declared with is planned once the activation ends",
                    role.name
                ),
            );
        }
        return true;
    }
    false
}

/// The PIM operations and notices of one declared or referenced role.
pub(super) fn role_ops(c: &mut Ctx<'_>, spec: &RoleSpec, role: &RoleRef) {
    let object = format!("role:{}", role.name);
    if let Some(why) = c.live.pim_unknown_reason() {
        if let Some(h) = spec.holdings.first() {
            c.out.errors.push(PlanError {
                code: ErrorCode::PimUnavailable,
                message: format!(
                    "{} declares eligible or time-bound holdings, but PIM could not be read: {why}",
                    role.name
                ),
                origin: Some(h.origin.clone()),
            });
        }
        return;
    }
    let schedules = c.live.schedules_of_role(&role.definition_id);
    let live = index(&schedules);

    // Declared holdings.
    let mut wanted: HashSet<Key> = HashSet::new();
    for h in &spec.holdings {
        let Some(scope) = resolve_scope(c, h.scope.as_deref(), h) else {
            continue;
        };
        // The plan's clock (`--now`) when it has one; else the day the tenant was read.
        let today = c
            .now
            .map(|m| m.date())
            .or_else(|| c.live.today().map(str::to_string));
        if let (Some(until), Some(today)) = (&h.until, today.as_deref())
            && until.as_str() < today
        {
            c.out.errors.push(PlanError {
                code: ErrorCode::UntilInPast,
                message: format!(
                    "`until: {until}` of {} for `{}` is in the past (today is {today}); remove the entry, or give a later date",
                    role.name, h.upn
                ),
                origin: Some(h.origin.clone()),
            });
            continue;
        }
        let Some(found) = c.find(&h.upn, Some(&h.origin), "principal") else {
            continue;
        };
        let scope_key = scope.directory_scope_id.to_ascii_lowercase();
        if let Some(id) = found.id() {
            wanted.insert((id.clone(), h.holding, scope_key.clone()));
            if let Some(s) = live.assigned.get(&(id.clone(), h.holding, scope_key)) {
                let have = s.until();
                if have != h.until {
                    c.out.ops.push(Op::UpdateRoleSchedule {
                        role: role.clone(),
                        principal: c.principal(id),
                        holding: h.holding,
                        scope,
                        old_until: have,
                        until: h.until.clone(),
                        justification: h.justification.clone(),
                    });
                }
                continue;
            }
        }
        if c.excluded(&h.upn) {
            c.refuse_excluded(&h.upn, &h.origin, &format!("role `{}`", role.name));
            continue;
        }
        c.out.ops.push(Op::AssignRoleSchedule {
            role: role.clone(),
            principal: found.to_ref(),
            holding: h.holding,
            scope,
            until: h.until.clone(),
            justification: h.justification.clone(),
        });
    }
    // Permanent tenant-scope principals are active holdings too.
    for (upn, _) in &spec.principals {
        if let Some(id) = c
            .declared
            .get(upn)
            .and_then(|r| r.id.clone())
            .or_else(|| c.live.user_of(upn).map(|u| u.id.clone()))
        {
            wanted.insert((id, Holding::Active, "/".to_string()));
        }
    }

    // Undeclared holdings, where the role is authoritative.
    let mut authoritative: HashSet<String> = HashSet::new();
    if spec.authoritative {
        authoritative.insert("/".to_string());
    }
    for unit in &spec.au_scopes {
        if let Ok(u) = c.live.admin_unit_named(unit) {
            authoritative.insert(format!(
                "/administrativeunits/{}",
                u.id.to_ascii_lowercase()
            ));
        }
    }
    let mut assigned: Vec<(&Key, &&LiveRoleSchedule)> = live.assigned.iter().collect();
    assigned.sort_by(|a, b| a.1.id.cmp(&b.1.id));
    for ((id, holding, scope), s) in assigned {
        if !authoritative.contains(scope) || wanted.contains(&(id.clone(), *holding, scope.clone()))
        {
            continue;
        }
        // Plain permanent tenant-scope assignments are `role_ops`' (DELETE).
        if *holding == Holding::Active && !s.pim_managed() {
            continue;
        }
        let Some(u) = c.live.user(id) else {
            continue; // non-user principals: counted by `role_ops`
        };
        if c.kept_excluded(
            &u.upn,
            &object,
            &format!("is {} for {}", holding.as_str(), role.name),
            "keeps the role",
        ) {
            continue;
        }
        let scope = scope_of(c, &s.directory_scope_id);
        c.out.ops.push(Op::RemoveRoleSchedule {
            role: role.clone(),
            principal: c.principal(id),
            holding: *holding,
            scope,
            until: s.until(),
        });
    }

    // Activations of undeclared eligibilities stay until they end; say so.
    let mut activated: Vec<&(ObjectId, String)> = live.activated.iter().collect();
    activated.sort();
    for (id, scope) in activated {
        let declared = wanted.contains(&(id.clone(), Holding::Eligible, scope.clone()))
            || wanted.contains(&(id.clone(), Holding::Active, scope.clone()));
        if declared || !authoritative.contains(scope) {
            continue;
        }
        if let Some(u) = c.live.user(id) {
            let upn = u.upn.clone();
            c.notice(
                NoticeCode::RoleKept,
                object.clone(),
                format!(
                    "`{upn}` has activated {} (not declared): entraform never removes an activation; it ends when its time is up",
                    role.name
                ),
            );
        }
    }
    // Holdings through a role-assignable group: shown, never touched.
    let mut shown: HashSet<(ObjectId, Holding)> = HashSet::new();
    let mut inherited = live.inherited.clone();
    inherited.sort_by(|a, b| a.id.cmp(&b.id));
    for s in inherited {
        if !shown.insert((s.principal_id.clone(), s.holding)) {
            continue;
        }
        if let Some(u) = c.live.user(&s.principal_id) {
            let upn = u.upn.clone();
            c.notice(
                NoticeCode::RoleKept,
                object.clone(),
                format!(
                    "`{upn}` is {} for {} through a role-assignable group (memberType {}): entraform shows it and leaves it to the group's membership",
                    s.holding.as_str(),
                    role.name,
                    if s.holding == Holding::Eligible { "Group" } else { "Group/Inherited" }
                ),
            );
        }
    }
}

/// The scope of a live holding, named when it is an administrative unit.
fn scope_of(c: &Ctx<'_>, directory_scope_id: &str) -> RoleScope {
    RoleScope {
        directory_scope_id: directory_scope_id.to_string(),
        unit: c
            .live
            .admin_unit_of_scope(directory_scope_id)
            .map(|u| u.display_name.clone()),
    }
}

/// PIM holdings of users who end disabled or deleted: their eligibilities and
/// PIM-managed active assignments are removed (`adminRemove`); activations
/// end on their own.
pub(super) fn leaving(c: &mut Ctx<'_>, id: &ObjectId) {
    if c.live.pim_unknown_reason().is_some() {
        return;
    }
    let mut mine: Vec<&LiveRoleSchedule> = c
        .live
        .schedules_of(id)
        .into_iter()
        .filter(|s| !s.inherited && !s.activated && s.pim_managed())
        .collect();
    mine.sort_by(|a, b| a.id.cmp(&b.id));
    for s in mine {
        let name = c
            .live
            .role(&s.role_definition_id)
            .map_or_else(|| s.role_definition_id.clone(), |d| d.display_name.clone());
        let scope = scope_of(c, &s.directory_scope_id);
        c.out.ops.push(Op::RemoveRoleSchedule {
            role: RoleRef {
                name,
                definition_id: s.role_definition_id.clone(),
            },
            principal: c.principal(id),
            holding: s.holding,
            scope,
            until: s.until(),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use proptest::prelude::*;

    use crate::desired::load::load_texts;
    use crate::desired::source::SourceMap;
    use crate::desired::state::DesiredState;
    use crate::model::live::{
        AdminUnit, Live, LiveParts, LiveRoleAssignment, LiveRoleDefinition, LiveRoleSchedule,
        LiveUser,
    };
    use crate::model::{ObjectId, Upn};
    use crate::plan::diff::diff;
    use crate::plan::op::{Holding, NoticeCode, Op};

    const UA: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
    const UNIT: &str = "unit-1";

    fn desired(roles: &str) -> DesiredState {
        let text = format!("tenant:\n  domain: contoso.com\n{roles}");
        let mut sources = SourceMap::default();
        let loaded = load_texts(
            vec![(PathBuf::from("tenant.yaml"), text.clone())],
            &mut sources,
            Vec::new(),
        );
        match loaded.result {
            Ok((d, _)) => d,
            Err(e) => panic!("{e:#?}\n{text}"),
        }
    }

    fn holding(
        holding: Holding,
        who: &str,
        end: Option<&str>,
        activated: bool,
        inherited: bool,
        scope: &str,
    ) -> LiveRoleSchedule {
        LiveRoleSchedule {
            holding,
            id: format!("{}-{who}-{activated}-{inherited}-{scope}", holding.as_str()),
            principal_id: ObjectId(who.into()),
            role_definition_id: UA.into(),
            directory_scope_id: scope.into(),
            end: end.map(|d| format!("{d}T23:59:59Z")),
            activated,
            inherited,
            assignment_id: (holding == Holding::Active).then(|| format!("ra-{who}")),
        }
    }

    /// Users a, b, c, d; User Administrator; the `Paris office` unit; the
    /// given holdings (active ones are also tenant-scope role assignments).
    fn live(schedules: Vec<LiveRoleSchedule>) -> Live {
        let users = ["a", "b", "c", "d"]
            .iter()
            .map(|u| {
                let mut l = LiveUser::new(
                    ObjectId((*u).into()),
                    Upn::new_unchecked(format!("{u}@contoso.com")),
                );
                l.account_enabled = true;
                l
            })
            .collect();
        let role_assignments = schedules
            .iter()
            .filter(|s| s.holding == Holding::Active && s.directory_scope_id == "/" && !s.inherited)
            .map(|s| LiveRoleAssignment {
                id: s.assignment_id.clone().unwrap_or_default(),
                principal_id: s.principal_id.clone(),
                role_definition_id: UA.into(),
                directory_scope_id: "/".into(),
            })
            .collect();
        Live::from_parts(LiveParts {
            users,
            role_definitions: vec![LiveRoleDefinition {
                id: UA.into(),
                display_name: "User Administrator".into(),
                template_id: Some(UA.into()),
                is_built_in: true,
                is_enabled: true,
            }],
            role_assignments,
            role_schedules: schedules,
            admin_units: vec![AdminUnit {
                id: UNIT.into(),
                display_name: "Paris office".into(),
            }],
            today: Some("2026-12-02".into()),
            ..LiveParts::default()
        })
    }

    fn kinds(ops: &[Op]) -> Vec<String> {
        ops.iter()
            .map(|o| {
                format!(
                    "{} {}",
                    o.kind(),
                    o.subject_upn().map(|u| u.as_str()).unwrap_or("")
                )
            })
            .collect()
    }

    #[test]
    fn an_activation_of_a_declared_eligibility_is_not_drift() {
        let d = desired("roles:\n  - role: User Administrator\n    eligible: [a]\n");
        let l = live(vec![
            holding(Holding::Eligible, "a", None, false, false, "/"),
            holding(Holding::Active, "a", Some("2026-12-03"), true, false, "/"),
        ]);
        let out = diff(&d, &l);
        assert!(out.ops.is_empty(), "{:#?}", out.ops);
        assert!(out.errors.is_empty(), "{:#?}", out.errors);
    }

    #[test]
    fn undeclared_holdings_go_where_the_role_is_authoritative_and_activations_stay() {
        let l = live(vec![
            holding(Holding::Eligible, "b", None, false, false, "/"),
            holding(Holding::Active, "b", Some("2026-12-03"), true, false, "/"),
            holding(Holding::Active, "c", Some("2027-01-31"), false, false, "/"),
            holding(Holding::Eligible, "d", None, false, true, "/"),
        ]);
        let out = diff(&desired("roles:\n  - role: User Administrator\n"), &l);
        assert_eq!(
            kinds(&out.ops),
            vec![
                "remove_role_schedule b@contoso.com",
                "remove_role_schedule c@contoso.com"
            ]
        );
        let kept: Vec<&str> = out
            .notices
            .iter()
            .filter(|n| n.code == NoticeCode::RoleKept)
            .map(|n| n.message.as_str())
            .collect();
        assert_eq!(kept.len(), 2, "{kept:?}");
        assert!(
            kept.iter()
                .any(|m| m.contains("b@contoso.com") && m.contains("activated"))
        );
        assert!(
            kept.iter()
                .any(|m| m.contains("d@contoso.com") && m.contains("group"))
        );
        // Referenced only from a user's roles: additive, nothing removed.
        let out = diff(
            &desired(
                "users:\n  - upn: a\n    roles: [{role: User Administrator, eligible: true}]\n",
            ),
            &l,
        );
        assert_eq!(kinds(&out.ops), vec!["assign_role_schedule a@contoso.com"]);
    }

    #[test]
    fn until_and_scope_are_compared() {
        let l = live(vec![
            holding(
                Holding::Eligible,
                "a",
                Some("2027-03-31"),
                false,
                false,
                "/",
            ),
            holding(
                Holding::Eligible,
                "b",
                None,
                false,
                false,
                "/administrativeUnits/unit-1",
            ),
        ]);
        let d = desired(
            "roles:\n  - role: User Administrator\n    eligible: [{principal: a, until: 2027-06-30}]\n  - role: User Administrator\n    scope: au:Paris office\n    eligible: [b]\n",
        );
        let out = diff(&d, &l);
        assert_eq!(kinds(&out.ops), vec!["update_role_schedule a@contoso.com"]);
        let Op::UpdateRoleSchedule {
            old_until, until, ..
        } = &out.ops[0]
        else {
            panic!("{:?}", out.ops[0]);
        };
        assert_eq!(old_until.as_deref(), Some("2027-03-31"));
        assert_eq!(until.as_deref(), Some("2027-06-30"));
        // The unit scope is its own: b's unit eligibility does not satisfy
        // the tenant, and is kept (the role is not declared for the unit);
        // a's tenant eligibility, now undeclared, goes.
        let d = desired("roles:\n  - role: User Administrator\n    eligible: [b]\n");
        let out = diff(&d, &l);
        assert_eq!(
            kinds(&out.ops),
            vec![
                "assign_role_schedule b@contoso.com",
                "remove_role_schedule a@contoso.com"
            ]
        );
    }

    #[test]
    fn a_time_bound_assignment_made_permanent_is_updated_not_reassigned() {
        let l = live(vec![holding(
            Holding::Active,
            "c",
            Some("2027-01-31"),
            false,
            false,
            "/",
        )]);
        let out = diff(
            &desired("roles:\n  - role: User Administrator\n    principals: [c]\n"),
            &l,
        );
        assert_eq!(kinds(&out.ops), vec!["update_role_schedule c@contoso.com"]);
    }

    #[test]
    fn a_plain_assignment_given_an_end_is_updated_not_removed() {
        let l = live(vec![holding(Holding::Active, "c", None, false, false, "/")]);
        let out = diff(
            &desired(
                "roles:\n  - role: User Administrator\n    active: [{principal: c, until: 2027-01-31}]\n",
            ),
            &l,
        );
        assert_eq!(kinds(&out.ops), vec!["update_role_schedule c@contoso.com"]);
    }

    #[test]
    fn a_declared_permanent_holder_with_only_an_activation_waits_for_it_to_end() {
        let l = live(vec![
            holding(Holding::Eligible, "a", None, false, false, "/"),
            holding(Holding::Active, "a", Some("2026-12-03"), true, false, "/"),
        ]);
        let out = diff(
            &desired("roles:\n  - role: User Administrator\n    principals: [a]\n"),
            &l,
        );
        // The undeclared eligibility goes; no second active assignment is requested.
        assert_eq!(kinds(&out.ops), vec!["remove_role_schedule a@contoso.com"]);
        assert!(
            out.notices
                .iter()
                .any(|n| n.code == NoticeCode::RoleKept
                    && n.message.contains("through an activation"))
        );
    }

    #[test]
    fn past_dates_and_unknown_units_are_plan_errors() {
        let d = desired(
            "roles:\n  - role: User Administrator\n    eligible: [{principal: a, until: 2026-12-01}]\n  - role: User Administrator\n    scope: au:Lyon\n    eligible: [b]\n",
        );
        let out = diff(&d, &live(vec![]));
        let codes: Vec<&str> = out.errors.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, vec!["unknown-admin-unit", "until-in-past"]);
        assert!(out.ops.is_empty());
        for e in &out.errors {
            assert_eq!(
                e.origin.as_ref().map(|o| o.file.as_ref()),
                Some("tenant.yaml")
            );
        }
    }

    #[test]
    fn a_leaving_user_loses_its_eligibilities_but_not_the_activation_record() {
        let l = live(vec![
            holding(Holding::Eligible, "b", None, false, false, "/"),
            holding(Holding::Active, "b", Some("2026-12-03"), true, false, "/"),
            holding(
                Holding::Eligible,
                "b",
                None,
                false,
                false,
                "/administrativeUnits/unit-1",
            ),
        ]);
        let d = desired(
            "  absent_users: disable\n  safety: { min_tenant_size: 1, max_disables: 10 }\nusers:\n  - upn: a\n  - upn: c\n  - upn: d\n",
        );
        let out = diff(&d, &l);
        let mut k = kinds(&out.ops);
        k.sort();
        assert_eq!(
            k,
            vec![
                "disable_user b@contoso.com",
                "remove_role_schedule b@contoso.com",
                "remove_role_schedule b@contoso.com",
                "revoke_sessions b@contoso.com",
            ],
            "{:#?}",
            out.ops
        );
    }

    proptest! {
        /// Whatever is live, a declared eligibility never yields an active
        /// (permanent or time-bound) assignment for that principal, and an
        /// activation is never removed.
        #[test]
        fn eligible_is_never_made_active(
            live_kinds in proptest::collection::vec((0usize..4, 0u8..5, any::<bool>()), 0..8),
            eligible in proptest::collection::btree_set(0usize..4, 0..4),
            authoritative in any::<bool>(),
        ) {
            let names = ["a", "b", "c", "d"];
            let schedules: Vec<LiveRoleSchedule> = live_kinds
                .iter()
                .map(|(who, kind, timed)| {
                    let end = timed.then_some("2027-01-31");
                    match kind {
                        0 => holding(Holding::Eligible, names[*who], end, false, false, "/"),
                        1 => holding(Holding::Active, names[*who], end, false, false, "/"),
                        2 => holding(Holding::Active, names[*who], Some("2026-12-03"), true, false, "/"),
                        3 => holding(Holding::Eligible, names[*who], end, false, true, "/"),
                        _ => holding(Holding::Eligible, names[*who], end, false, false, "/administrativeUnits/unit-1"),
                    }
                })
                .collect();
            let list: Vec<&str> = eligible.iter().map(|i| names[*i]).collect();
            let roles = if authoritative {
                format!("roles:\n  - role: User Administrator\n    eligible: [{}]\n", list.join(", "))
            } else {
                let users: String = list
                    .iter()
                    .map(|u| format!("  - upn: {u}\n    roles: [{{role: User Administrator, eligible: true}}]\n"))
                    .collect();
                if users.is_empty() { String::new() } else { format!("users:\n{users}") }
            };
            let out = diff(&desired(&roles), &live(schedules.clone()));
            for op in &out.ops {
                let who = op.subject_upn().map(|u| u.as_str().trim_end_matches("@contoso.com").to_string());
                let declared = who.as_deref().is_some_and(|w| list.contains(&w));
                match op {
                    Op::AssignRole { .. } => prop_assert!(!declared, "{op:?}"),
                    Op::AssignRoleSchedule { holding, .. } | Op::UpdateRoleSchedule { holding, .. } => {
                        prop_assert!(!declared || *holding == Holding::Eligible, "{op:?}")
                    }
                    Op::RemoveRole { assignment_id, .. } => {
                        // Never an activation's assignment.
                        prop_assert!(
                            !schedules.iter().any(|s| s.activated && s.assignment_id.as_ref() == Some(assignment_id)),
                            "{op:?}"
                        );
                    }
                    Op::RemoveRoleSchedule { holding, scope, .. } => {
                        prop_assert!(authoritative, "removed while additive: {op:?}");
                        prop_assert!(!(declared && *holding == Holding::Eligible && scope.is_tenant()), "{op:?}");
                    }
                    Op::CreateUser { .. }
                    | Op::RestoreUser { .. }
                    | Op::UpdateUser { .. }
                    | Op::EnableUser { .. }
                    | Op::DisableUser { .. }
                    | Op::RevokeSessions { .. }
                    | Op::ResetPassword { .. }
                    | Op::CreateTemporaryAccessPass { .. }
                    | Op::DeleteUser { .. }
                    | Op::SetManager { .. }
                    | Op::RemoveManager { .. }
                    | Op::CreateGroup { .. }
                    | Op::UpdateGroup { .. }
                    | Op::AddMember { .. }
                    | Op::RemoveMember { .. }
                    | Op::AddOwner { .. }
                    | Op::RemoveOwner { .. }
                    | Op::AssignLicenses { .. }
                    | Op::InviteGuest { .. }
                    | Op::RemoveAuthenticationMethod { .. }
                    | Op::DisableDevice { .. }
                    | Op::RenameUser { .. } => {}
                }
            }
        }
    }
}
