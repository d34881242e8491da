//! Every safety gate, through the pure plan API: trips, stays quiet, and yields to its override.

use std::path::PathBuf;

use entraform::desired::attrs::Attr;
use entraform::desired::source::SourceMap;
use entraform::desired::{DesiredState, load::load_texts};
use entraform::live::{Live, LiveUser};
use entraform::model::{ObjectId, Upn};
use entraform::plan::op::{PrincipalRef, RoleRef, UserRef};
use entraform::plan::{self, GateKind, GateOverrides, Op, Plan, Step, gates};

use crate::live_fixture::LiveFixture;

const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
const PRA: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";

fn desired(yaml: &str) -> DesiredState {
    let loaded = load_texts(
        vec![(PathBuf::from("t.yaml"), yaml.to_string())],
        &mut SourceMap::default(),
        Vec::new(),
    );
    match loaded.result {
        Ok((s, _)) => s,
        Err(d) => panic!("invalid test repo: {d:#?}"),
    }
}

fn user(i: usize, upn: &str, enabled: bool) -> LiveUser {
    let mut u = LiveUser::new(ObjectId(format!("id-{i}")), Upn::new_unchecked(upn));
    u.set(Attr::DisplayName, Some(upn.into()));
    u.account_enabled = enabled;
    u
}

/// A tenant of `n` enabled users `u{i}@contoso.com`, plus the break-glass account; GA held by `admins`.
fn tenant(n: usize, admins: &[&str]) -> Live {
    let mut f = LiveFixture::default();
    for i in 0..n {
        f.users.push(user(i, &format!("u{i}@contoso.com"), true));
    }
    f.users.push(user(9999, "breakglass@contoso.com", true));
    f.roles.push((GA.into(), "Global Administrator".into()));
    for (k, a) in admins.iter().enumerate() {
        let id = f
            .users
            .iter()
            .find(|u| u.upn.as_str() == *a)
            .map(|u| u.id.clone())
            .expect("admin exists");
        f.assignments.push((format!("ra-{k}"), id, GA.into()));
    }
    f.running_as = Some((ObjectId("sp-self".into()), vec![PRA.into()]));
    f.build()
}

fn gate(p: &Plan, g: GateKind) -> &gates::GateResult {
    p.gates
        .iter()
        .find(|r| r.gate == g)
        .expect("gate evaluated")
}

const HEADER: &str =
    "tenant:\n  domain: contoso.com\n  scope:\n    users: all\n    exclude: [breakglass]\n";

fn users_yaml(range: std::ops::Range<usize>) -> String {
    let mut y = String::from("users:\n");
    for i in range {
        y.push_str(&format!("  - upn: u{i}\n"));
    }
    y
}

#[test]
fn mass_deletes_trip_above_the_threshold_and_yield_to_the_flag() {
    let d = desired(&format!(
        "{HEADER}  absent_users: delete\n  safety:\n    max_deletes: 5\n    min_tenant_size: 10\n{}",
        users_yaml(0..90)
    ));
    let live = tenant(100, &["u0@contoso.com"]);
    let p = plan::build(&d, &live, &GateOverrides::default());
    let g = gate(&p, GateKind::MaxDeletes);
    assert!(g.applies && g.tripped && !g.overridden, "{g:?}");
    assert_eq!((g.value, g.limit), (10, Some(5)));
    assert!(g.message.contains("--allow-mass-deletes"), "{}", g.message);
    assert!(p.is_blocked());
    let mut o = GateOverrides::default();
    o.0.insert(GateKind::MaxDeletes);
    let p = plan::build(&d, &live, &o);
    assert!(gate(&p, GateKind::MaxDeletes).overridden && !p.is_blocked());
}

#[test]
fn percentage_thresholds_use_owned_users_and_skip_small_tenants() {
    // 100 owned users, 10% → at most 10 disables; 12 absent users → tripped.
    let d = desired(&format!(
        "{HEADER}  absent_users: disable\n  safety:\n    max_disables: \"10%\"\n{}",
        users_yaml(0..88)
    ));
    let p = plan::build(
        &d,
        &tenant(100, &["u0@contoso.com"]),
        &GateOverrides::default(),
    );
    let g = gate(&p, GateKind::MaxDisables);
    assert_eq!(p.owned_users, 100, "break-glass is excluded from scope");
    assert!(g.tripped && g.limit == Some(10) && g.value == 12, "{g:?}");
    // The same share of a 20-user tenant is below min_tenant_size (default 50): not applied.
    let d = desired(&format!(
        "{HEADER}  absent_users: disable\n  safety:\n    max_disables: \"10%\"\n{}",
        users_yaml(0..10)
    ));
    let p = plan::build(
        &d,
        &tenant(20, &["u0@contoso.com"]),
        &GateOverrides::default(),
    );
    let g = gate(&p, GateKind::MaxDisables);
    assert!(
        !g.applies && !g.tripped && g.message.contains("min_tenant_size"),
        "{g:?}"
    );
}

#[test]
fn max_changes_counts_every_operation() {
    let d = desired(&format!(
        "{HEADER}  safety:\n    max_changes: 3\n    min_tenant_size: 1\nusers:\n{}",
        (0..5)
            .map(|i| format!("  - upn: u{i}\n    jobTitle: Engineer\n"))
            .collect::<String>()
    ));
    let p = plan::build(
        &d,
        &tenant(5, &["u0@contoso.com"]),
        &GateOverrides::default(),
    );
    let g = gate(&p, GateKind::MaxChanges);
    assert!(g.tripped && g.value == 5 && g.limit == Some(3), "{g:?}");
}

#[test]
fn break_glass_in_exclude_and_protected_keeps_its_role_and_is_never_touched() {
    // Global Administrator is declared authoritatively with only u0; break-glass holds it too.
    let yaml = format!(
        "{HEADER}  absent_users: delete\n  safety:\n    protected: [breakglass]\n{}roles:\n  - role: Global Administrator\n    principals: [u0]\n",
        users_yaml(0..3)
    );
    let p = plan::build(
        &desired(&yaml),
        &tenant(3, &["u0@contoso.com", "breakglass@contoso.com"]),
        &GateOverrides::default(),
    );
    assert!(
        p.steps.iter().all(|s| s
            .op
            .subject_upn()
            .is_none_or(|u| u.as_str() != "breakglass@contoso.com")),
        "{:#?}",
        p.steps
    );
    assert!(!gate(&p, GateKind::ProtectedPrincipals).tripped);
    // Protected but not excluded: the repo would delete it and strip its role; the
    // protected-principals gate stops the plan (no quiet skip), and only its flag passes it.
    let yaml = format!(
        "tenant:\n  domain: contoso.com\n  absent_users: delete\n  safety:\n    protected: [breakglass]\n{}roles:\n  - role: Global Administrator\n    principals: [u0]\n",
        users_yaml(0..3)
    );
    let live = tenant(3, &["u0@contoso.com", "breakglass@contoso.com"]);
    let p = plan::build(&desired(&yaml), &live, &GateOverrides::default());
    let g = gate(&p, GateKind::ProtectedPrincipals);
    assert!(g.tripped && !g.overridden && g.value == 2, "{g:?}");
    assert!(
        g.message.contains("breakglass@contoso.com")
            && g.message.contains("--allow-protected-changes"),
        "{g:?}"
    );
    assert!(p.is_blocked());
    assert!(p.notices.iter().all(|n| n.code != "protected-principal"));
    let mut o = GateOverrides::default();
    o.0.insert(GateKind::ProtectedPrincipals);
    let p = plan::build(&desired(&yaml), &live, &o);
    assert!(gate(&p, GateKind::ProtectedPrincipals).overridden && !p.is_blocked());
}

#[test]
fn the_protected_gate_trips_on_any_step_against_a_protected_principal() {
    let yaml = format!(
        "{HEADER}  safety:\n    protected: [breakglass]\n{}",
        users_yaml(0..2)
    );
    let d = desired(&yaml);
    let live = tenant(2, &["u0@contoso.com"]);
    let bg = UserRef {
        upn: Upn::new_unchecked("breakglass@contoso.com"),
        id: Some(ObjectId("id-9999".into())),
    };
    let steps = vec![Step {
        id: 0,
        wave: 0,
        op: Op::DisableUser { user: bg },
        depends_on: vec![],
    }];
    let results = gates::evaluate(&d, &live, &steps, 2, &GateOverrides::default());
    let g = results
        .iter()
        .find(|r| r.gate == GateKind::ProtectedPrincipals)
        .expect("gate");
    assert!(
        g.tripped && g.message.contains("breakglass@contoso.com"),
        "{g:?}"
    );
}

#[test]
fn a_plan_that_leaves_no_global_administrator_is_blocked() {
    // GA declared with no principals: both live holders would lose it.
    let yaml = format!(
        "{HEADER}{}roles:\n  - role: Global Administrator\n    principals: []\n",
        users_yaml(0..3)
    );
    let p = plan::build(
        &desired(&yaml),
        &tenant(3, &["u0@contoso.com", "u1@contoso.com"]),
        &GateOverrides::default(),
    );
    let g = gate(&p, GateKind::GlobalAdministrators);
    assert!(g.tripped && g.value == 0 && p.is_blocked(), "{g:?}");
    // Disabling the last holder is as bad as removing the role.
    let yaml = format!("{HEADER}users:\n  - upn: u0\n    enabled: false\n  - upn: u1\n");
    let p = plan::build(
        &desired(&yaml),
        &tenant(2, &["u0@contoso.com"]),
        &GateOverrides::default(),
    );
    assert!(
        gate(&p, GateKind::GlobalAdministrators).tripped,
        "{:#?}",
        p.gates
    );
    // Handing the role over in the same plan is fine.
    let yaml = format!(
        "{HEADER}{}roles:\n  - role: Global Administrator\n    principals: [u2]\n",
        users_yaml(0..3)
    );
    let p = plan::build(
        &desired(&yaml),
        &tenant(3, &["u0@contoso.com"]),
        &GateOverrides::default(),
    );
    let g = gate(&p, GateKind::GlobalAdministrators);
    assert!(!g.tripped && g.value == 1, "{g:?}");
}

#[test]
fn removing_the_running_principals_own_privileged_role_is_blocked() {
    let d = desired(&format!("{HEADER}{}", users_yaml(0..1)));
    let live = tenant(1, &["u0@contoso.com"]);
    let step = Step {
        id: 0,
        wave: 0,
        op: Op::RemoveRole {
            role: RoleRef {
                name: "Privileged Role Administrator".into(),
                definition_id: PRA.into(),
            },
            principal: PrincipalRef {
                id: ObjectId("sp-self".into()),
                upn: None,
            },
            assignment_id: "ra-self".into(),
        },
        depends_on: vec![],
    };
    let results = gates::evaluate(&d, &live, &[step], 1, &GateOverrides::default());
    let g = results
        .iter()
        .find(|r| r.gate == GateKind::OwnPrivilegedRole)
        .expect("gate");
    assert!(
        g.tripped && g.message.contains("Privileged Role Administrator"),
        "{g:?}"
    );
}

#[test]
fn every_gate_is_reported_even_when_nothing_trips() {
    let d = desired(&format!("{HEADER}{}", users_yaml(0..2)));
    let p = plan::build(
        &d,
        &tenant(2, &["u0@contoso.com"]),
        &GateOverrides::default(),
    );
    assert_eq!(p.gates.len(), GateKind::ALL.len());
    assert!(!p.is_blocked());
}
