//! Property tests of the pure core: for random desired states and random live
//! tenants, (a) running the plan's operations in order on the live model (a
//! pure simulation) leaves nothing to do; (b) no operation runs before the
//! operations it depends on; (c) the plan is deterministic.

use std::path::PathBuf;

use entraform::desired::attrs::{Attr, AttrValue};
use entraform::desired::source::SourceMap;
use entraform::desired::{DesiredState, load::load_texts};
use entraform::live::{Live, LiveUser};
use entraform::model::{ObjectId, Upn};
use entraform::plan::{self, GateOverrides, simulate};
use proptest::prelude::*;

use crate::live_fixture::LiveFixture;

const N: usize = 8;
const GROUPS: [&str; 3] = ["g0", "g1", "g2"];
const ROLES: [(&str, &str); 3] = [
    (
        "Global Administrator",
        "62e90394-69f5-4237-9190-012177145e10",
    ),
    ("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"),
    (
        "Helpdesk Administrator",
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    ),
];
const TITLES: [&str; 3] = ["Engineer", "Manager", "Analyst"];

fn upn(i: usize) -> String {
    format!("u{i}@contoso.com")
}

#[derive(Debug, Clone)]
struct DUser {
    declared: bool,
    title: u8,              // 0 absent, 1 null, 2.. = TITLES[t-2]
    enabled: u8,            // 0 unmanaged, 1 true, 2 false
    manager: Option<usize>, // index < own index (no cycles)
    manager_null: bool,
    groups: Vec<usize>,
    roles: Vec<usize>,
}

#[derive(Debug, Clone)]
struct LUser {
    exists: bool,
    deleted: bool,
    title: u8,
    enabled: bool,
    synced: bool,
    manager: Option<usize>,
    groups: Vec<usize>,
    roles: Vec<usize>,
}

#[derive(Debug, Clone)]
struct World {
    absent: u8,
    additive: Vec<bool>,
    declared_roles: Vec<bool>,
    live_groups: Vec<bool>,
    d: Vec<DUser>,
    l: Vec<LUser>,
}

fn duser(i: usize) -> impl Strategy<Value = DUser> {
    (
        any::<bool>(),
        0u8..5,
        0u8..3,
        proptest::option::of(0..i.max(1)),
        any::<bool>(),
        proptest::collection::vec(0..GROUPS.len(), 0..3),
        proptest::collection::vec(0..ROLES.len(), 0..2),
    )
        .prop_map(
            move |(declared, title, enabled, manager, manager_null, groups, roles)| DUser {
                declared,
                title,
                enabled,
                manager: manager.filter(|m| *m < i),
                manager_null,
                groups,
                roles,
            },
        )
}

fn luser() -> impl Strategy<Value = LUser> {
    (
        any::<bool>(),
        any::<bool>(),
        0u8..5,
        any::<bool>(),
        prop::bool::weighted(0.1),
        proptest::option::of(0..N),
        proptest::collection::vec(0..GROUPS.len(), 0..3),
        proptest::collection::vec(0..ROLES.len(), 0..2),
    )
        .prop_map(
            |(exists, deleted, title, enabled, synced, manager, groups, roles)| LUser {
                exists,
                deleted,
                title,
                enabled,
                synced,
                manager,
                groups,
                roles,
            },
        )
}

fn world() -> impl Strategy<Value = World> {
    let ds: Vec<_> = (0..N).map(duser).collect();
    (
        0u8..3,
        proptest::collection::vec(any::<bool>(), GROUPS.len()),
        proptest::collection::vec(any::<bool>(), ROLES.len()),
        proptest::collection::vec(any::<bool>(), GROUPS.len()),
        ds,
        proptest::collection::vec(luser(), N),
    )
        .prop_map(
            |(absent, additive, declared_roles, live_groups, d, l)| World {
                absent,
                additive,
                declared_roles,
                live_groups,
                d,
                l,
            },
        )
}

fn desired(w: &World) -> Option<DesiredState> {
    let absent = ["ignore", "disable", "delete"][w.absent as usize];
    let mut y = format!(
        "tenant:\n  domain: contoso.com\n  absent_users: {absent}\n  safety:\n    protected: [u0]\n  defaults:\n    usageLocation: US\n"
    );
    y.push_str("users:\n");
    // u0 is the protected admin: always declared and enabled, holding Global Administrator.
    for (i, u) in w.d.iter().enumerate() {
        if !(u.declared || i == 0) {
            continue;
        }
        y.push_str(&format!("  - upn: {}\n    displayName: User {i}\n", upn(i)));
        match u.title {
            0 => {}
            1 => y.push_str("    jobTitle: null\n"),
            t => y.push_str(&format!("    jobTitle: {}\n", TITLES[(t - 2) as usize])),
        }
        let enabled = if i == 0 { 1 } else { u.enabled };
        match enabled {
            1 => y.push_str("    enabled: true\n"),
            2 => y.push_str("    enabled: false\n"),
            _ => {}
        }
        match u.manager {
            Some(m) if w.d[m].declared || m == 0 => {
                y.push_str(&format!("    manager: {}\n", upn(m)))
            }
            _ if u.manager_null => y.push_str("    manager: null\n"),
            _ => {}
        }
        let gs: Vec<&str> = u.groups.iter().map(|g| GROUPS[*g]).collect();
        y.push_str(&format!("    groups: [{}]\n", gs.join(", ")));
        let mut rs: Vec<&str> = if enabled == 2 {
            Vec::new()
        } else {
            u.roles.iter().map(|r| ROLES[*r].0).collect()
        };
        if i == 0 {
            rs.push(ROLES[0].0);
        }
        rs.sort();
        rs.dedup();
        y.push_str(&format!("    roles: [{}]\n", rs.join(", ")));
    }
    y.push_str("groups:\n");
    for (g, name) in GROUPS.iter().enumerate() {
        let mode = if w.additive[g] {
            "additive"
        } else {
            "authoritative"
        };
        y.push_str(&format!("  - name: {name}\n    membership: {mode}\n"));
    }
    let declared: Vec<&str> = ROLES
        .iter()
        .enumerate()
        .filter(|(i, _)| w.declared_roles[*i])
        .map(|(_, r)| r.0)
        .collect();
    if !declared.is_empty() {
        y.push_str("roles:\n");
        for r in declared {
            y.push_str(&format!("  - role: {r}\n"));
        }
    }
    let loaded = load_texts(
        vec![(PathBuf::from("repo.yaml"), y)],
        &mut SourceMap::default(),
        Vec::new(),
    );
    loaded.result.ok().map(|(s, _)| s)
}

fn blank(i: usize) -> LiveUser {
    let mut u = LiveUser::new(ObjectId(format!("id-{i}")), Upn::new_unchecked(upn(i)));
    u.set(Attr::DisplayName, Some(format!("User {i}").into()));
    u.set(Attr::MailNickname, Some(format!("u{i}").into()));
    u.set(Attr::UsageLocation, Some("US".into()));
    u
}

fn live(w: &World) -> Live {
    let mut f = LiveFixture::default();
    let exists = |i: usize| i == 0 || w.l[i].exists;
    for (i, l) in w.l.iter().enumerate() {
        if exists(i) {
            let mut u = blank(i);
            u.set(
                Attr::JobTitle,
                (l.title >= 2)
                    .then(|| TITLES[(l.title - 2) as usize].to_string())
                    .map(AttrValue::from),
            );
            u.account_enabled = l.enabled || i == 0;
            u.on_premises_sync_enabled = l.synced && i != 0;
            u.manager = l
                .manager
                .filter(|m| *m != i && exists(*m))
                .map(|m| ObjectId(format!("id-{m}")));
            f.users.push(u);
        } else if l.deleted {
            f.deleted
                .push((ObjectId(format!("id-{i}")), upn(i), format!("User {i}")));
        }
    }
    for (g, name) in GROUPS.iter().enumerate() {
        if !w.live_groups[g] {
            continue;
        }
        let members = (0..N)
            .filter(|i| exists(*i) && w.l[*i].groups.contains(&g))
            .map(|i| ObjectId(format!("id-{i}")))
            .collect();
        f.groups
            .push((ObjectId(format!("gid-{g}")), name.to_string(), members));
    }
    for (name, id) in ROLES {
        f.roles.push((id.into(), name.into()));
    }
    let mut n = 0;
    for (i, l) in w.l.iter().enumerate() {
        if !exists(i) {
            continue;
        }
        let mut roles = l.roles.clone();
        if i == 0 {
            roles.push(0);
        }
        roles.sort();
        roles.dedup();
        for r in roles {
            n += 1;
            f.assignments.push((
                format!("ra-{n}"),
                ObjectId(format!("id-{i}")),
                ROLES[r].1.into(),
            ));
        }
    }
    f.running_as = Some((ObjectId("sp-1".into()), Vec::new()));
    f.build()
}

proptest! {
    #![proptest_config(crate::proptest_support::config(192))]

    #[test]
    fn plan_converges_is_ordered_and_deterministic(w in world()) {
        let Some(desired) = desired(&w) else { return Ok(()) };
        let live = live(&w);
        let overrides = GateOverrides::default();
        let p = plan::build(&desired, &live, &overrides);
        prop_assume!(p.errors.is_empty());

        // (b) dependencies come first.
        for s in &p.steps {
            for d in &s.depends_on {
                prop_assert!(*d < s.id, "step {} depends on later step {}", s.id, d);
                prop_assert!(p.steps[*d].wave < s.wave, "dependency in the same or a later wave");
            }
        }
        for (i, s) in p.steps.iter().enumerate() {
            prop_assert_eq!(s.id, i);
        }

        // (c) deterministic: same inputs, same plan; live order does not matter.
        let again = plan::build(&desired, &live, &overrides);
        prop_assert_eq!(&p, &again);
        let mut parts = live.parts().clone();
        parts.users.reverse();
        parts.groups.reverse();
        parts.role_assignments.reverse();
        let shuffled = Live::from_parts(parts);
        prop_assert_eq!(&p, &plan::build(&desired, &shuffled, &overrides));

        // (a) applying the plan leaves nothing to do.
        let after = simulate::apply(&live, &p.steps);
        let second = plan::build(&desired, &after, &overrides);
        prop_assert!(second.steps.is_empty(), "left to do after applying:\n{:#?}\nfirst plan:\n{:#?}", second.steps, p.steps);
    }
}

#[test]
fn generator_produces_real_plans() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut valid, mut clean, mut with_ops, mut kinds) =
        (0, 0, 0, std::collections::BTreeSet::new());
    for _ in 0..300 {
        let w = world().new_tree(&mut runner).expect("tree").current();
        let Some(d) = desired(&w) else { continue };
        valid += 1;
        let p = plan::build(&d, &live(&w), &GateOverrides::default());
        if p.errors.is_empty() {
            clean += 1;
            if !p.steps.is_empty() {
                with_ops += 1;
            }
            kinds.extend(p.steps.iter().map(|s| s.op.kind()));
        }
    }
    // The property test above must exercise real plans, not mostly skipped cases.
    assert!(valid >= 150, "only {valid}/300 random repos were valid");
    assert!(clean >= 100, "only {clean} plans without errors");
    assert!(with_ops >= 90, "only {with_ops} plans with operations");
    for k in [
        "create_user",
        "restore_user",
        "update_user",
        "enable_user",
        "disable_user",
        "revoke_sessions",
        "delete_user",
        "set_manager",
        "remove_manager",
        "create_group",
        "add_member",
        "remove_member",
        "assign_role",
        "remove_role",
    ] {
        assert!(kinds.contains(k), "no random plan contained {k}: {kinds:?}");
    }
}
