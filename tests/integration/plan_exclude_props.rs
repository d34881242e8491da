//! `scope.exclude` holds for every operation kind (issue #12 item 6): for random
//! repos and tenants, no step of the plan acts on an excluded user — not as
//! the user it changes, nor as the member it adds or removes, nor as the
//! principal it assigns or strips a role — whatever groups, roles, managers,
//! `absent_users` and `safety.protected` say. (Naming an excluded user as
//! someone's *manager* writes the declared user, not the excluded one.)

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;

use entraform::desired::attrs::{Attr, AttrValue};
use entraform::desired::source::SourceMap;
use entraform::desired::{DesiredState, load::load_texts};
use entraform::live::{Live, LiveUser};
use entraform::model::{ObjectId, Upn};
use entraform::plan::{self, GateOverrides, Op, Plan};
use proptest::prelude::*;

use crate::live_fixture::LiveFixture;

const N: usize = 8;
const GROUPS: [&str; 3] = ["g0", "g1", "g2"];
const ROLES: [(&str, &str); 2] = [
    (
        "Global Administrator",
        "62e90394-69f5-4237-9190-012177145e10",
    ),
    ("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"),
];

fn upn(i: usize) -> String {
    format!("u{i}@contoso.com")
}
fn id(i: usize) -> ObjectId {
    ObjectId(format!("id-{i}"))
}

#[derive(Debug, Clone)]
struct Person {
    excluded: bool,
    protected: bool,
    declared: bool,
    in_list_scope: bool,
    enabled: u8, // 0 unmanaged, 1 true, 2 false
    title: bool,
    manager: Option<usize>,
    groups: Vec<usize>,
    roles: Vec<usize>,
    // live
    exists: bool,
    deleted: bool,
    live_enabled: bool,
    live_title: bool,
    live_manager: Option<usize>,
    live_groups: Vec<usize>,
    live_roles: Vec<usize>,
}

#[derive(Debug, Clone)]
struct World {
    scope: u8,  // 0 all, 1 domains, 2 list
    absent: u8, // ignore, disable, delete
    group_mode: Vec<u8>,
    group_members: Vec<Vec<usize>>,
    live_groups: Vec<bool>,
    declared_roles: Vec<Option<Vec<usize>>>,
    people: Vec<Person>,
}

fn person() -> impl Strategy<Value = Person> {
    let decl = (
        prop::bool::weighted(0.35),
        prop::bool::weighted(0.2),
        any::<bool>(),
        any::<bool>(),
        0u8..3,
        any::<bool>(),
        proptest::option::of(0..N),
        proptest::collection::vec(0..GROUPS.len(), 0..3),
        proptest::collection::vec(0..ROLES.len(), 0..2),
    );
    let live = (
        prop::bool::weighted(0.85),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(0..N),
        proptest::collection::vec(0..GROUPS.len(), 0..3),
        proptest::collection::vec(0..ROLES.len(), 0..3),
    );
    (decl, live).prop_map(
        |(
            (excluded, protected, declared, in_list_scope, enabled, title, manager, groups, roles),
            (exists, deleted, live_enabled, live_title, live_manager, live_groups, live_roles),
        )| Person {
            excluded,
            protected,
            declared: declared && !excluded,
            in_list_scope,
            enabled,
            title,
            manager,
            groups,
            roles,
            exists,
            deleted,
            live_enabled,
            live_title,
            live_manager,
            live_groups,
            live_roles,
        },
    )
}

fn world() -> impl Strategy<Value = World> {
    (
        0u8..3,
        0u8..3,
        proptest::collection::vec(0u8..2, GROUPS.len()),
        proptest::collection::vec(proptest::collection::vec(0..N, 0..4), GROUPS.len()),
        proptest::collection::vec(prop::bool::weighted(0.8), GROUPS.len()),
        proptest::collection::vec(
            proptest::option::of(proptest::collection::vec(0..N, 0..3)),
            ROLES.len(),
        ),
        proptest::collection::vec(person(), N),
    )
        .prop_map(
            |(scope, absent, group_mode, group_members, live_groups, declared_roles, people)| {
                World {
                    scope,
                    absent,
                    group_mode,
                    group_members,
                    live_groups,
                    declared_roles,
                    people,
                }
            },
        )
}

fn list(ix: impl Iterator<Item = usize>) -> String {
    ix.map(upn).collect::<Vec<_>>().join(", ")
}

fn desired(w: &World) -> Option<DesiredState> {
    let p = &w.people;
    let excluded = list((0..N).filter(|i| p[*i].excluded));
    let protected =
        list((0..N).filter(|i| p[*i].protected && !(p[*i].enabled == 2 && p[*i].declared)));
    let scope = match w.scope {
        0 => "all".to_string(),
        1 => "{ domains: [contoso.com] }".to_string(),
        _ => format!(
            "{{ list: [{}] }}",
            list((0..N).filter(|i| p[*i].in_list_scope || p[*i].declared))
        ),
    };
    let absent = ["ignore", "disable", "delete"][w.absent as usize];
    let mut y = format!(
        "tenant:\n  domain: contoso.com\n  scope:\n    users: {scope}\n    exclude: [{excluded}]\n  absent_users: {absent}\n  safety:\n    protected: [{protected}]\nusers:\n"
    );
    for (i, u) in p.iter().enumerate().filter(|(_, u)| u.declared) {
        y.push_str(&format!("  - upn: {}\n    displayName: User {i}\n", upn(i)));
        if u.title {
            y.push_str("    jobTitle: Engineer\n");
        }
        match u.enabled {
            1 => y.push_str("    enabled: true\n"),
            2 => y.push_str("    enabled: false\n"),
            _ => {}
        }
        match u.manager {
            // Pointing at oneself stands for `manager: null` (remove the manager).
            Some(m) if m == i => y.push_str("    manager: null\n"),
            // May be an excluded user: that writes u, not the manager.
            Some(m) => y.push_str(&format!("    manager: {}\n", upn(m))),
            None => {}
        }
        let gs: Vec<&str> = u.groups.iter().map(|g| GROUPS[*g]).collect();
        y.push_str(&format!("    groups: [{}]\n", gs.join(", ")));
        if u.enabled != 2 {
            let mut rs: Vec<&str> = u.roles.iter().map(|r| ROLES[*r].0).collect();
            rs.sort();
            rs.dedup();
            y.push_str(&format!("    roles: [{}]\n", rs.join(", ")));
        }
    }
    y.push_str("groups:\n");
    for (g, name) in GROUPS.iter().enumerate() {
        let mode = ["authoritative", "additive"][w.group_mode[g] as usize];
        let mut members: Vec<usize> = w.group_members[g].clone();
        members.sort();
        members.dedup();
        y.push_str(&format!(
            "  - name: {name}\n    membership: {mode}\n    members: [{}]\n",
            list(members.into_iter())
        ));
    }
    let declared: Vec<(usize, &Vec<usize>)> = w
        .declared_roles
        .iter()
        .enumerate()
        .filter_map(|(r, p)| p.as_ref().map(|p| (r, p)))
        .collect();
    if !declared.is_empty() {
        y.push_str("roles:\n");
        for (r, principals) in declared {
            let mut ps = principals.clone();
            ps.sort();
            ps.dedup();
            y.push_str(&format!(
                "  - role: {}\n    principals: [{}]\n",
                ROLES[r].0,
                list(ps.into_iter())
            ));
        }
    }
    let loaded = load_texts(
        vec![(PathBuf::from("repo.yaml"), y)],
        &mut SourceMap::default(),
        Vec::new(),
    );
    loaded.result.ok().map(|(s, _)| s)
}

fn live(w: &World) -> Live {
    let p = &w.people;
    let mut f = LiveFixture::default();
    for (i, u) in p.iter().enumerate() {
        if u.exists {
            let mut lu = LiveUser::new(id(i), Upn::new_unchecked(upn(i)));
            lu.set(Attr::DisplayName, Some(format!("User {i}").into()));
            lu.set(Attr::MailNickname, Some(format!("u{i}").into()));
            lu.account_enabled = u.live_enabled;
            lu.set(
                Attr::JobTitle,
                u.live_title
                    .then(|| "Analyst".to_string())
                    .map(AttrValue::from),
            );
            lu.manager = u.live_manager.filter(|m| *m != i && p[*m].exists).map(id);
            f.users.push(lu);
        } else if u.deleted {
            f.deleted.push((id(i), upn(i), format!("User {i}")));
        }
    }
    for (g, name) in GROUPS.iter().enumerate() {
        if !w.live_groups[g] {
            continue;
        }
        let members = (0..N)
            .filter(|i| p[*i].exists && p[*i].live_groups.contains(&g))
            .map(id)
            .collect();
        f.groups
            .push((ObjectId(format!("gid-{g}")), name.to_string(), members));
    }
    for (name, rid) in ROLES {
        f.roles.push((rid.into(), name.into()));
    }
    let mut n = 0;
    for (i, u) in p.iter().enumerate().filter(|(_, u)| u.exists) {
        let mut roles = u.live_roles.clone();
        roles.sort();
        roles.dedup();
        for r in roles {
            n += 1;
            f.assignments
                .push((format!("ra-{n}"), id(i), ROLES[r].1.into()));
        }
    }
    f.running_as = Some((ObjectId("sp-1".into()), Vec::new()));
    f.build()
}

/// The users an operation acts on (UPN keys), by UPN and by object id.
fn targets(op: &Op, live: &Live) -> Vec<String> {
    let mut out = Vec::new();
    let mut by_id = |i: &ObjectId| {
        if let Some(u) = live.user(i) {
            out.push(u.upn.key());
        }
        // Deleted users keep their id.
        if let Some(rest) = i.0.strip_prefix("id-") {
            out.push(format!("u{rest}@contoso.com"));
        }
    };
    match op {
        Op::CreateUser { .. }
        | Op::InviteGuest { .. }
        | Op::CreateGroup { .. }
        | Op::UpdateGroup { .. } => {}
        Op::RestoreUser { user }
        | Op::UpdateUser { user, .. }
        | Op::EnableUser { user }
        | Op::DisableUser { user }
        | Op::RevokeSessions { user }
        | Op::ResetPassword { user, .. }
        | Op::CreateTemporaryAccessPass { user, .. }
        | Op::DeleteUser { user }
        | Op::SetManager { user, .. }
        | Op::RemoveManager { user, .. }
        | Op::AddMember { member: user, .. }
        | Op::AssignLicenses { user, .. }
        | Op::RemoveAuthenticationMethod { user, .. }
        | Op::DisableDevice { owner: user, .. }
        | Op::RenameUser { user, .. }
        | Op::AssignRole {
            principal: user, ..
        }
        | Op::AssignRoleSchedule {
            principal: user, ..
        } => {
            if let Some(i) = &user.id {
                by_id(i);
            }
        }
        Op::AddOwner { owner, .. } => {
            if let Some(i) = owner.id() {
                by_id(i);
            }
        }
        Op::RemoveMember { member: p, .. }
        | Op::RemoveOwner { owner: p, .. }
        | Op::RemoveRole { principal: p, .. }
        | Op::UpdateRoleSchedule { principal: p, .. }
        | Op::RemoveRoleSchedule { principal: p, .. } => by_id(&p.id),
    }
    if let Op::CreateUser { upn, .. } = op {
        out.push(upn.key());
    }
    out.extend(op.subject_upn().map(|u| u.key()));
    out
}

fn excluded(w: &World) -> HashSet<String> {
    (0..N).filter(|i| w.people[*i].excluded).map(upn).collect()
}

fn check(w: &World, p: &Plan, live: &Live) -> Result<(), String> {
    let ex = excluded(w);
    for s in &p.steps {
        for t in targets(&s.op, live) {
            if ex.contains(&t) {
                return Err(format!("step {} acts on excluded {t}: {:?}", s.id, s.op));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_operation_ever_acts_on_an_excluded_user(w in world()) {
        let Some(d) = desired(&w) else { return Ok(()) };
        let live = live(&w);
        // With and without every override: overrides pass gates, never scope.
        let all = GateOverrides(entraform::plan::GateKind::ALL.into_iter().collect());
        for o in [GateOverrides::default(), all] {
            let p = plan::build(&d, &live, &o);
            if let Err(e) = check(&w, &p, &live) {
                prop_assert!(false, "{e}\nworld: {w:#?}");
            }
        }
    }
}

/// The property is not vacuous: the random worlds are valid repos, hold excluded
/// users in groups and roles that would otherwise change them, and the plans
/// contain every operation kind that can act on a user.
#[test]
fn generator_exercises_every_kind_and_the_exclusions() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut valid, mut notices, mut errors) = (0, 0, 0);
    let mut kinds = BTreeSet::new();
    for _ in 0..400 {
        let w = world().new_tree(&mut runner).expect("tree").current();
        let Some(d) = desired(&w) else { continue };
        valid += 1;
        let live = live(&w);
        let p = plan::build(&d, &live, &GateOverrides::default());
        kinds.extend(p.steps.iter().map(|s| s.op.kind()));
        notices += p
            .notices
            .iter()
            .filter(|n| n.code == "excluded-user")
            .count();
        errors += p
            .errors
            .iter()
            .filter(|e| e.code == "excluded-user")
            .count();
        check(&w, &p, &live).expect("property");
    }
    assert!(valid >= 200, "only {valid}/400 random repos were valid");
    assert!(notices >= 50, "only {notices} excluded-user notices");
    assert!(errors >= 50, "only {errors} excluded-user errors");
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
        "add_member",
        "remove_member",
        "assign_role",
        "remove_role",
    ] {
        assert!(kinds.contains(k), "no random plan contained {k}: {kinds:?}");
    }
}
