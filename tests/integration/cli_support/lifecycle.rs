//! Helpers shared by the lifecycle tests (leaver policy, owned devices,
//! authentication methods) and their plan-core properties: the seeded
//! lucas/ana tenant, the leaver repo, `plan`/`apply` at a given `--now`, and
//! the pure-core fixtures (repo text → desired state, live users, gates).

use std::path::{Path, PathBuf};
use std::process::Output;

use entraform::desired::attrs::Attr;
use entraform::desired::source::SourceMap;
use entraform::desired::{DesiredState, load::load_texts};
use entraform::live::{Live, LiveUser};
use entraform::model::clock::Moment;
use entraform::model::{ObjectId, Upn};
use entraform::plan::{self, GateKind, GateOverrides, Plan, simulate};
use graph_emulator::Seed;

use super::{Tenant, bare, out, run};

/// The app registration of the seeded tenants.
pub const APP: &str = "11111111-1111-4111-8111-111111111111";
/// Its service principal.
pub const SP: &str = "22222222-2222-4222-8222-222222222222";
/// lucas, the leaver of [`lucas_and_ana`].
pub const LUCAS: &str = "0a000000-0000-4000-8000-0000000000c1";
/// ana, who stays, in [`lucas_and_ana`].
pub const ANA: &str = "0a000000-0000-4000-8000-0000000000c2";
/// The User Administrator role template.
pub const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";

/// The recommended grants plus `User-LifeCycleInfo.ReadWrite.All` and
/// `extra`, as a seed's `permissions:` list.
pub fn lifecycle_grants(extra: &[&str]) -> String {
    let mut grants = entraform::live::permissions::recommended_grants();
    grants.push("User-LifeCycleInfo.ReadWrite.All");
    grants.extend_from_slice(extra);
    grants.join(", ")
}

/// A tenant of admin (Global Administrator), lucas and ana; the app holds
/// [`lifecycle_grants`]`(extra_grants)` and its service principal is User
/// Administrator. `roles` is appended to `roleAssignments:`, `rest` after it.
pub fn lucas_and_ana(extra_grants: &[&str], roles: &str, rest: &str) -> Seed {
    let grants = lifecycle_grants(extra_grants);
    let y = format!(
        r#"tenant:
  domains: [contoso.com]
applications:
  - appId: {APP}
    servicePrincipalId: {SP}
    permissions: [{grants}]
users:
  - userPrincipalName: admin@contoso.com
    displayName: Admin
    mailNickname: admin
  - id: {LUCAS}
    userPrincipalName: lucas.ferreira@contoso.com
    displayName: Lucas Ferreira
    mailNickname: lucas.ferreira
  - id: {ANA}
    userPrincipalName: ana@contoso.com
    displayName: Ana
    mailNickname: ana
roleAssignments:
  - principalId: admin@contoso.com
    roleDefinitionId: 62e90394-69f5-4237-9190-012177145e10
  - principalId: {SP}
    roleDefinitionId: {USER_ADMINISTRATOR}
{roles}{rest}"#
    );
    Seed::parse(&y).expect("seed")
}

/// The repo of [`lucas_and_ana`] in `dir`: the leaver policy with `steps`,
/// admin protected, `lucas` the rest of lucas's entry.
pub fn leaver_repo(dir: &Path, lucas: &str, steps: &str) {
    let text = format!(
        "tenant:\n  domain: contoso.com\n  absent_users: ignore\n  safety:\n    protected: [admin]\n  lifecycle:\n    leaver:\n      steps: [{steps}]\nusers:\n  - upn: admin\n    displayName: Admin\n  - upn: lucas.ferreira\n    displayName: Lucas Ferreira\n{lucas}  - upn: ana\n    displayName: Ana\n"
    );
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("repo.yaml"), text).unwrap();
}

/// `plan <dir> --detailed-exitcode <extra>` with `ENTRAFORM_NOW=now`.
pub fn plan_at(t: &Tenant, dir: &Path, now: &str, extra: &[&str]) -> Output {
    let mut args = vec!["plan", dir.to_str().unwrap(), "--detailed-exitcode"];
    args.extend_from_slice(extra);
    run(t, &args, &[("ENTRAFORM_NOW", now)])
}

/// `apply <dir> --auto-approve --now <now> <extra>`.
pub fn apply_at(t: &Tenant, dir: &Path, now: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "apply",
        dir.to_str().unwrap(),
        "--auto-approve",
        "--now",
        now,
    ];
    args.extend_from_slice(extra);
    run(t, &args, &[])
}

/// `plan examples/lifecycle` against its emulated tenant on 2026-12-05.
pub fn plan_lifecycle_example() -> Output {
    bare(
        &[
            "plan",
            "examples/lifecycle",
            "--emulator",
            "examples/lifecycle-seed.yaml",
            "--now",
            "2026-12-05",
        ],
        &[],
    )
    .output()
    .unwrap()
}

/// Requests so far (top-level and inside `$batch`) whose route matches `f`.
pub fn requests(t: &Tenant, f: impl Fn(&str) -> bool) -> u64 {
    let m = t.emu.metrics();
    m.by_route
        .iter()
        .chain(m.batch_inner_by_route.iter())
        .filter(|(r, _)| f(r))
        .map(|(_, n)| *n)
        .sum()
}

/// The display names of the groups the user `upn` is a member of, sorted.
pub fn groups_of(t: &Tenant, upn: &str) -> Vec<String> {
    t.emu.with_tenant(|s| {
        let Some(id) = s.upn_index.get(upn).cloned() else {
            return Vec::new();
        };
        let mut names: Vec<String> = s
            .groups
            .values()
            .filter(|g| g.members.contains(&id))
            .filter_map(|g| g.obj.props.get("displayName")?.as_str().map(String::from))
            .collect();
        names.sort();
        names
    })
}

/// How many directory roles the user `upn` holds.
pub fn roles_of(t: &Tenant, upn: &str) -> usize {
    t.emu.with_tenant(|s| {
        let Some(id) = s.upn_index.get(upn).cloned() else {
            return 0;
        };
        s.assignments
            .values()
            .filter(|a| a.principal_id == id)
            .count()
    })
}

/// A repo's text (one file) loaded into the desired state; panics on an invalid one.
pub fn desired(yaml: &str) -> DesiredState {
    let loaded = load_texts(
        vec![(PathBuf::from("t.yaml"), yaml.to_string())],
        &mut SourceMap::default(),
        Vec::new(),
    );
    match loaded.result {
        Ok((s, _)) => s,
        Err(d) => panic!("invalid test repo: {d:#?}\n{yaml}"),
    }
}

/// A live user named by its UPN.
pub fn live_user(id: &str, upn: &str) -> LiveUser {
    let mut u = LiveUser::new(ObjectId(id.into()), Upn::new_unchecked(upn));
    u.set(Attr::DisplayName, Some(upn.into()));
    u
}

/// Every gate allowed: the properties are about settling, not about the gates.
pub fn all_gates() -> GateOverrides {
    GateOverrides(
        [
            GateKind::MaxDeletes,
            GateKind::MaxDisables,
            GateKind::MaxChanges,
            GateKind::ProtectedPrincipals,
            GateKind::GlobalAdministrators,
            GateKind::OwnPrivilegedRole,
        ]
        .into_iter()
        .collect(),
    )
}

/// The plan of `d` against `live` at `now` with [`all_gates`], the snapshot
/// once it is applied (`plan::simulate`), and the plan made again on that
/// snapshot: what the settling properties check.
pub fn plan_apply_replan(d: &DesiredState, live: &Live, now: Moment) -> (Plan, Live, Plan) {
    let p = plan::build_at(d, live, &all_gates(), now);
    let after = simulate::apply(live, &p.steps);
    let again = plan::build_at(d, &after, &all_gates(), now);
    (p, after, again)
}

/// A plan's steps as (op kind, object), for a failure message.
pub fn steps_of(p: &Plan) -> Vec<(&'static str, String)> {
    p.steps
        .iter()
        .map(|s| (s.op.kind(), s.op.object_key()))
        .collect()
}

/// The run's output as text, once its exit code is checked to be `code`.
#[track_caller]
pub fn exit_code(o: Output, code: i32) -> String {
    let text = out(&o);
    assert_eq!(o.status.code(), Some(code), "{text}");
    text
}
