//! Every safety gate through the real binary against the emulator: each one
//! stops `plan`, `apply` and `reconcile` with exit 3 and no write to the
//! tenant, and each `--allow-…` flag (and its `ENTRAFORM_ALLOW_…` variable)
//! passes exactly its own gate and no other. Saved plans: a plan saved while
//! blocked is refused, and an override counts only when both the plan and the
//! apply were given it.

use crate::cli_support;

use std::path::{Path, PathBuf};

use cli_support::{Tenant, out, run, tempdir, tenant_from, writes};
use graph_emulator::Seed;
use serde_json::Value;

/// A small tenant: ann and bob hold Global Administrator; entraform signs in as
/// ops (the app's service principal id is ops' user id, as with a delegated
/// token), who holds Privileged Role Administrator; del is an ordinary user.
const SEED: &str = "\
tenant:
  id: 5e7a0000-0000-4000-8000-000000000001
  domains: [contoso.com]
applications:
  - appId: 11111111-1111-4111-8111-111111111111
    displayName: entraform (signed in as ops)
    servicePrincipalId: 0b5e0000-0000-4000-8000-0000000000f0
    permissions: [User.Read.All, GroupMember.Read.All, RoleManagement.Read.Directory, AdministrativeUnit.Read.All, User.ReadWrite.All, User.RevokeSessions.All, User.DeleteRestore.All, Group.ReadWrite.All, RoleManagement.ReadWrite.Directory]
users:
  - id: 0b5e0000-0000-4000-8000-0000000000a1
    userPrincipalName: ann@contoso.com
    displayName: Ann
    mailNickname: ann
    accountEnabled: true
  - id: 0b5e0000-0000-4000-8000-0000000000b2
    userPrincipalName: bob@contoso.com
    displayName: Bob
    mailNickname: bob
    accountEnabled: true
  - id: 0b5e0000-0000-4000-8000-0000000000f0
    userPrincipalName: ops@contoso.com
    displayName: Ops
    mailNickname: ops
    accountEnabled: true
  - id: 0b5e0000-0000-4000-8000-0000000000d3
    userPrincipalName: del@contoso.com
    displayName: Del
    mailNickname: del
    accountEnabled: true
roleAssignments:
  - principalId: ann@contoso.com
    roleDefinitionId: Global Administrator
  - principalId: bob@contoso.com
    roleDefinitionId: Global Administrator
  - principalId: ops@contoso.com
    roleDefinitionId: Privileged Role Administrator
";

/// The gates in report order, with their flag and environment variable.
const GATES: [(&str, &str, &str); 6] = [
    (
        "max-deletes",
        "--allow-mass-deletes",
        "ENTRAFORM_ALLOW_MASS_DELETES",
    ),
    (
        "max-disables",
        "--allow-mass-disables",
        "ENTRAFORM_ALLOW_MASS_DISABLES",
    ),
    (
        "max-changes",
        "--allow-mass-changes",
        "ENTRAFORM_ALLOW_MASS_CHANGES",
    ),
    (
        "protected-principals",
        "--allow-protected-changes",
        "ENTRAFORM_ALLOW_PROTECTED_CHANGES",
    ),
    (
        "global-administrators",
        "--allow-no-global-admin",
        "ENTRAFORM_ALLOW_NO_GLOBAL_ADMIN",
    ),
    (
        "own-privileged-role",
        "--allow-own-role-removal",
        "ENTRAFORM_ALLOW_OWN_ROLE_REMOVAL",
    ),
];

const USERS: &str = "users:\n  - upn: ann\n  - upn: bob\n  - upn: ops\n";

/// A repo (tenant.yaml) that trips exactly the gate `g` against [`SEED`].
fn repo_tripping(g: &str) -> String {
    let t = "tenant:\n  domain: contoso.com\n";
    match g {
        "max-deletes" => format!(
            "{t}  absent_users: delete\n  safety: {{ max_deletes: 0, min_tenant_size: 1 }}\n{USERS}"
        ),
        "max-disables" => format!(
            "{t}  absent_users: disable\n  safety: {{ max_disables: 0, min_tenant_size: 1 }}\n{USERS}"
        ),
        "max-changes" => format!(
            "{t}  safety: {{ max_changes: 0, min_tenant_size: 1 }}\n{USERS}    jobTitle: Admin\n"
        ),
        "protected-principals" => format!(
            "{t}  safety: {{ protected: [bob] }}\n{USERS}roles:\n  - role: Global Administrator\n    principals: [ann]\n"
        ),
        "global-administrators" => {
            format!("{t}{USERS}roles:\n  - role: Global Administrator\n    principals: []\n")
        }
        "own-privileged-role" => format!(
            "{t}{USERS}roles:\n  - role: Privileged Role Administrator\n    principals: []\n"
        ),
        other => panic!("no scenario for {other}"),
    }
}

/// A repo that trips all six gates at once.
const ALL_SIX: &str = "\
tenant:
  domain: contoso.com
  absent_users: delete
  safety: { max_deletes: 0, max_disables: 0, max_changes: 0, min_tenant_size: 1, protected: [bob] }
users:
  - upn: ann
  - upn: bob
  - upn: ops
    enabled: false
roles:
  - role: Global Administrator
    principals: []
  - role: Privileged Role Administrator
    principals: []
";

struct World {
    t: Tenant,
    repo: PathBuf,
    dir: crate::scratch::Scratch,
}

fn world(name: &str, repo_yaml: &str) -> World {
    let dir = tempdir(name);
    let seed_path = dir.join("seed.yaml");
    std::fs::write(&seed_path, SEED).unwrap();
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join("tenant.yaml"), repo_yaml).unwrap();
    let t = tenant_from(Seed::from_file(&seed_path).expect("seed"));
    World { t, repo, dir }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `(gate, tripped, overridden)` from `plan --format json`.
fn gates_of(o: &std::process::Output) -> Vec<(String, bool, bool)> {
    let v: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("plan JSON: {e}\n{}", out(o)));
    v["gates"]
        .as_array()
        .expect("gates")
        .iter()
        .map(|g| {
            (
                g["gate"].as_str().unwrap().to_string(),
                g["tripped"].as_bool().unwrap(),
                g["overridden"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn each_flag_and_its_variable_pass_exactly_their_own_gate() {
    let w = world("gates-all", ALL_SIX);
    let plan = ["plan", s(&w.repo), "--format", "json"];
    let o = run(&w.t, &plan, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    let gates = gates_of(&o);
    assert_eq!(
        gates.iter().map(|g| g.0.as_str()).collect::<Vec<_>>(),
        GATES.map(|g| g.0)
    );
    assert!(
        gates.iter().all(|(_, tripped, over)| *tripped && !*over),
        "all six trip: {gates:?}"
    );
    for (gate, flag, var) in GATES {
        let by_flag = {
            let mut args = plan.to_vec();
            args.push(flag);
            run(&w.t, &args, &[])
        };
        let by_var = run(&w.t, &plan, &[(var, "true")]);
        for (how, o) in [(flag, by_flag), (var, by_var)] {
            assert_eq!(
                o.status.code(),
                Some(3),
                "{how} alone must leave five gates tripped: {}",
                out(&o)
            );
            for (g, tripped, over) in gates_of(&o) {
                assert!(tripped, "{g} still trips with {how}");
                assert_eq!(
                    over,
                    g == gate,
                    "{how} must override {gate} and only it ({g})"
                );
            }
        }
    }
    // A variable set to false passes nothing.
    let o = run(&w.t, &plan, &[("ENTRAFORM_ALLOW_MASS_DELETES", "false")]);
    assert!(gates_of(&o).iter().all(|g| !g.2), "{}", out(&o));
    // All six flags together: the plan goes through.
    let mut args = plan.to_vec();
    args.extend(GATES.map(|g| g.1));
    let o = run(&w.t, &args, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(gates_of(&o).iter().all(|(_, t, over)| *t && *over));
    assert_eq!(writes(&w.t), 0, "plan never writes");
}

#[test]
fn every_gate_stops_plan_apply_and_reconcile_without_writing() {
    for (gate, flag, var) in GATES {
        let w = world(&format!("gate-{gate}"), &repo_tripping(gate));
        let repo = s(&w.repo);
        // plan: exit 3, and this gate is the only one tripped.
        let o = run(&w.t, &["plan", repo, "--format", "json"], &[]);
        assert_eq!(o.status.code(), Some(3), "plan, {gate}: {}", out(&o));
        let tripped: Vec<String> = gates_of(&o)
            .into_iter()
            .filter(|g| g.1)
            .map(|g| g.0)
            .collect();
        assert_eq!(tripped, [gate], "the scenario must trip only {gate}");
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let (deletes, disables) = match gate {
            "max-deletes" => (1, 0),
            "max-disables" => (0, 1),
            _ => (0, 0),
        };
        assert_eq!(v["summary"]["delete"], deletes, "{gate}: {}", v["summary"]);
        assert_eq!(
            v["summary"]["disable"], disables,
            "{gate}: {}",
            v["summary"]
        );
        let text = run(&w.t, &["plan", repo], &[]);
        assert!(
            out(&text).contains(flag),
            "the message names {flag}: {}",
            out(&text)
        );

        let others: Vec<&str> = GATES.iter().filter(|g| g.0 != gate).map(|g| g.1).collect();
        for cmd in [
            vec!["apply", repo, "--auto-approve"],
            vec!["reconcile", repo, "--unattended"],
        ] {
            for extra in [vec![], others.clone()] {
                let mut args = cmd.clone();
                args.extend(&extra);
                let o = run(&w.t, &args, &[]);
                assert_eq!(o.status.code(), Some(3), "{args:?}: {}", out(&o));
                assert!(
                    out(&o).contains("A safety gate stopped the plan"),
                    "{}",
                    out(&o)
                );
                assert_eq!(
                    writes(&w.t),
                    0,
                    "{args:?} wrote to the tenant while {gate} tripped"
                );
            }
        }
        // Its own flag passes it: apply on this tenant, reconcile (by the variable) on a fresh one.
        let o = run(&w.t, &["apply", repo, "--auto-approve", flag], &[]);
        assert_eq!(o.status.code(), Some(0), "apply {flag}: {}", out(&o));
        assert!(writes(&w.t) > 0, "apply {flag} did not write");
        let fresh = world(&format!("gate-{gate}-r"), &repo_tripping(gate));
        let o = run(
            &fresh.t,
            &["reconcile", s(&fresh.repo), "--unattended"],
            &[(var, "true")],
        );
        assert_eq!(o.status.code(), Some(0), "reconcile {var}: {}", out(&o));
        assert!(writes(&fresh.t) > 0, "reconcile {var} did not write");
    }
}

#[test]
fn an_unknown_running_principal_fails_closed() {
    // A token without `oid` for an app the tenant does not know: entraform cannot tell
    // which principal it runs as, so any privileged role removal could be its own.
    let w = world(
        "gate-unknown",
        "tenant:\n  domain: contoso.com\nusers:\n  - upn: ann\n  - upn: bob\nroles:\n  - role: Global Administrator\n    principals: [ann]\n",
    );
    let stranger = "22222222-2222-4222-8222-222222222222";
    // Granted the documented permissions, but unknown to the tenant: no `oid`.
    let token = w.t.emu.issue_token_with(
        stranger,
        &entraform::live::permissions::recommended_grants(),
    );
    let env = [
        ("ENTRAFORM_GRAPH_TOKEN", token.as_str()),
        ("AZURE_CLIENT_ID", stranger),
    ];
    let repo = s(&w.repo);
    let o = run(&w.t, &["plan", repo, "--format", "json"], &env);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let own = &v["gates"][5];
    assert_eq!(own["gate"], "own-privileged-role");
    assert_eq!(own["tripped"], true, "{own:#}");
    let message = own["message"].as_str().unwrap();
    assert!(
        message.contains("could not be determined")
            && message.contains("--allow-own-role-removal")
            && message.contains("Global Administrator of bob@contoso.com"),
        "{message}"
    );
    let o = run(&w.t, &["apply", repo, "--auto-approve"], &env);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    assert_eq!(writes(&w.t), 0);
    let o = run(&w.t, &["reconcile", repo, "--unattended"], &env);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    assert_eq!(writes(&w.t), 0);
    let o = run(&w.t, &["plan", repo, "--allow-own-role-removal"], &env);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // A plan that removes no privileged role is not blocked by not knowing.
    std::fs::write(
        w.repo.join("tenant.yaml"),
        "tenant:\n  domain: contoso.com\nusers:\n  - upn: ann\n    jobTitle: Admin\n",
    )
    .unwrap();
    let o = run(&w.t, &["plan", repo], &env);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o)
            .contains("the running principal is unknown, but the plan removes no privileged role"),
        "{}",
        out(&o)
    );
}

#[test]
fn a_saved_plan_blocked_when_made_is_refused_even_with_the_flag() {
    let w = world("gate-saved-blocked", &repo_tripping("max-deletes"));
    let plan_file = w.dir.join("plan.json");
    let o = run(&w.t, &["plan", s(&w.repo), "--out", s(&plan_file)], &[]);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    assert!(
        plan_file.exists(),
        "plan --out writes the file even when blocked"
    );
    for extra in [None, Some("--allow-mass-deletes")] {
        let mut args = vec![
            "apply",
            s(&plan_file),
            "--dir",
            s(&w.repo),
            "--auto-approve",
        ];
        args.extend(extra);
        let o = run(&w.t, &args, &[]);
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", out(&o));
        assert!(
            out(&o).contains("safety gate max-deletes stopped this plan when it was made"),
            "{}",
            out(&o)
        );
        assert_eq!(writes(&w.t), 0);
    }
}

#[test]
fn a_saved_override_counts_only_when_apply_is_given_it_too() {
    let w = world("gate-saved-override", &repo_tripping("max-deletes"));
    let plan_file = w.dir.join("plan.json");
    let o = run(
        &w.t,
        &[
            "plan",
            s(&w.repo),
            "--out",
            s(&plan_file),
            "--allow-mass-deletes",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    assert_eq!(saved["gate_overrides"], serde_json::json!(["max-deletes"]));
    let apply = |extra: &[&str]| {
        let mut args = vec![
            "apply",
            s(&plan_file),
            "--dir",
            s(&w.repo),
            "--auto-approve",
        ];
        args.extend(extra);
        run(&w.t, &args, &[])
    };
    // The recorded override alone is not enough; another gate's flag does not stand in.
    for extra in [&[][..], &["--allow-mass-disables"][..]] {
        let o = apply(extra);
        assert_eq!(o.status.code(), Some(3), "{extra:?}: {}", out(&o));
        assert!(
            out(&o).contains("this plan was made with --allow-mass-deletes"),
            "{}",
            out(&o)
        );
        assert_eq!(writes(&w.t), 0);
    }
    let o = apply(&["--allow-mass-deletes"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("is current: 1 operation in 1 wave."),
        "{}",
        out(&o)
    );
    assert!(writes(&w.t) > 0);
}

#[test]
fn an_apply_flag_the_plan_was_not_made_with_does_not_pass_a_gate_tripped_since() {
    // Reviewed: bob loses Global Administrator, ann keeps it. Then ann is disabled in
    // the portal: the same steps would now leave no enabled Global Administrator.
    let w = world(
        "gate-saved-since",
        "tenant:\n  domain: contoso.com\nusers:\n  - upn: ann\n  - upn: bob\n  - upn: ops\nroles:\n  - role: Global Administrator\n    principals: [ann]\n",
    );
    let plan_file = w.dir.join("plan.json");
    let o = run(&w.t, &["plan", s(&w.repo), "--out", s(&plan_file)], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // ann holds Global Administrator: only another Global (or Privileged
    // Authentication) Administrator may disable her.
    cli_support::portal_admin(
        &w.t,
        "PATCH",
        "/users/ann@contoso.com",
        serde_json::json!({ "accountEnabled": false }),
    );
    w.t.emu.reset_metrics();
    let o = run(
        &w.t,
        &[
            "apply",
            s(&plan_file),
            "--dir",
            s(&w.repo),
            "--auto-approve",
            "--allow-no-global-admin",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains("global-administrators  0") && text.contains("TRIPPED"),
        "{text}"
    );
    assert!(
        text.contains(
            "--allow-no-global-admin counts for a saved plan only when the plan was made with it"
        ),
        "{text}"
    );
    assert_eq!(writes(&w.t), 0);
}
