//! `entraform plan` through the real binary against the emulator over HTTP.

use std::path::PathBuf;
use std::process::Output;

use graph_emulator::{BackgroundEmulator, EmulatorConfig, Seed};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn entraform(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut cmd = crate::cli_support::entraform();
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("run entraform")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn readme_main_command_plans_the_example_against_the_emulator() {
    let o = entraform(
        &[
            "plan",
            "examples/desired-state",
            "--emulator",
            "examples/seed.yaml",
        ],
        &[],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.trim_end()
            .ends_with("Plan: 3 to create, 25 to update, 1 to disable, 2 to delete."),
        "{out}"
    );
    assert!(
        !out.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn detailed_exitcode_is_2_with_changes_and_0_without() {
    let o = entraform(
        &[
            "plan",
            "examples/desired-state",
            "--emulator",
            "examples/seed.yaml",
            "--detailed-exitcode",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));

    // A repo that matches the seed exactly: export-free round trip via a tiny tenant.
    let dir = tempdir("in-sync");
    std::fs::write(
        dir.join("tenant.yaml"),
        "tenant:\n  domain: contoso.com\nusers:\n  - upn: ann\n    displayName: Ann\n",
    )
    .unwrap();
    let seed_dir = tempdir(&format!(
        "{}-seed",
        dir.file_name().unwrap().to_string_lossy()
    ));
    let seed = seed_dir.join("seed.yaml");
    std::fs::write(
        &seed,
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: 11111111-1111-4111-8111-111111111111\n    servicePrincipalId: 22222222-2222-4222-8222-222222222222\n    clientSecrets: [s3cret-value]\n    permissions: [User.Read.All, GroupMember.Read.All, RoleManagement.Read.Directory, AdministrativeUnit.Read.All, User.ReadWrite.All, User.RevokeSessions.All, User.DeleteRestore.All, Group.ReadWrite.All, RoleManagement.ReadWrite.Directory]\nusers:\n  - id: 33333333-3333-4333-8333-333333333333\n    userPrincipalName: ann@contoso.com\n    displayName: Ann\n    mailNickname: ann\n    accountEnabled: true\nroleAssignments:\n  - principalId: 33333333-3333-4333-8333-333333333333\n    roleDefinitionId: 62e90394-69f5-4237-9190-012177145e10\n",
    )
    .unwrap();
    let o = entraform(
        &[
            "plan",
            dir.to_str().unwrap(),
            "--emulator",
            seed.to_str().unwrap(),
            "--detailed-exitcode",
        ],
        &[],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.contains("Plan: 0 to create, 0 to update, 0 to disable, 0 to delete."),
        "{out}"
    );
}

#[test]
fn a_tripped_gate_exits_3_and_its_flag_lets_it_through() {
    let dir = tempdir("unsafe");
    std::fs::write(
        dir.join("tenant.yaml"),
        "tenant:\n  domain: contoso.com\nusers:\n  - upn: ann\nroles:\n  - role: Global Administrator\n    principals: []\n",
    )
    .unwrap();
    let seed_dir = tempdir(&format!(
        "{}-seed",
        dir.file_name().unwrap().to_string_lossy()
    ));
    let seed = seed_dir.join("seed.yaml");
    std::fs::write(
        &seed,
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: 11111111-1111-4111-8111-111111111111\n    permissions: [User.Read.All, GroupMember.Read.All, RoleManagement.Read.Directory, AdministrativeUnit.Read.All, User.ReadWrite.All, User.RevokeSessions.All, User.DeleteRestore.All, Group.ReadWrite.All, RoleManagement.ReadWrite.Directory]\nusers:\n  - id: 33333333-3333-4333-8333-333333333333\n    userPrincipalName: ann@contoso.com\n    displayName: Ann\n    mailNickname: ann\n    accountEnabled: true\nroleAssignments:\n  - principalId: 33333333-3333-4333-8333-333333333333\n    roleDefinitionId: 62e90394-69f5-4237-9190-012177145e10\n",
    )
    .unwrap();
    let args = [
        "plan",
        dir.to_str().unwrap(),
        "--emulator",
        seed.to_str().unwrap(),
    ];
    let o = entraform(&args, &[]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(
        out.contains("global-administrators") && out.contains("TRIPPED"),
        "{out}"
    );
    let mut with_flag = args.to_vec();
    with_flag.push("--allow-no-global-admin");
    assert_eq!(entraform(&with_flag, &[]).status.code(), Some(0));
    // Every flag has an environment variable.
    assert_eq!(
        entraform(&args, &[("ENTRAFORM_ALLOW_NO_GLOBAL_ADMIN", "true")])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn an_invalid_repo_exits_1_with_diagnostics() {
    let dir = tempdir("invalid");
    std::fs::write(
        dir.join("tenant.yaml"),
        "tenant:\n  domain: contoso.com\nusers:\n  - upn: ann\n    jobTitel: x\n",
    )
    .unwrap();
    let o = entraform(
        &[
            "plan",
            dir.to_str().unwrap(),
            "--emulator",
            "examples/seed.yaml",
        ],
        &[],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("unknown-key") && err.contains("jobTitle"),
        "{err}"
    );
}

#[test]
fn saved_plan_records_digest_and_fingerprints_and_no_secret() {
    let dir = tempdir("saved");
    let out = dir.join("plan.json");
    let o = entraform(
        &[
            "plan",
            "examples/desired-state",
            "--emulator",
            "examples/seed.yaml",
            "--out",
            out.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let saved = std::fs::read_to_string(&out).expect("plan file written");
    let v: serde_json::Value = serde_json::from_str(&saved).expect("plan file is JSON");
    assert_eq!(v["format_version"], 2);
    assert_eq!(v["desired_digest"].as_str().map(str::len), Some(64));
    let fps = v["fingerprints"].as_object().expect("fingerprints");
    assert!(
        fps.contains_key("upn:ella.morgan@contoso.com")
            && fps["upn:ella.morgan@contoso.com"] == "absent",
        "{fps:?}"
    );
    assert!(
        fps.keys().any(|k| k.starts_with("group:")) && fps.keys().any(|k| k.starts_with("roles:"))
    );
    assert!(v["plan"]["steps"].as_array().is_some_and(|s| !s.is_empty()));
    let seed = std::fs::read_to_string(root().join("examples/seed.yaml")).unwrap();
    for secret in seed
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- ").filter(|_| l.contains("ecret")))
    {
        assert!(
            !saved.contains(secret),
            "the seed's client secret leaked into the plan file"
        );
    }
    // stdout JSON is the plan itself (versioned).
    let stdout: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout JSON");
    assert_eq!(stdout["format_version"], 1);
}

#[test]
fn plan_is_read_only_and_reads_in_bulk() {
    let seed = Seed::from_file(&root().join("examples/seed.yaml")).expect("seed");
    let app = seed.applications[0].app_id.clone();
    let emu = BackgroundEmulator::start(seed, EmulatorConfig::default()).expect("emulator");
    let token = emu.issue_token(&app);
    let o = entraform(
        &[
            "plan",
            "examples/desired-state",
            "--graph-url",
            emu.base_url(),
        ],
        &[
            ("ENTRAFORM_GRAPH_TOKEN", token.as_str()),
            ("AZURE_TENANT_ID", emu.tenant_id().as_str()),
            ("AZURE_CLIENT_ID", app.as_str()),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let m = emu.metrics();
    let writes: Vec<_> = m
        .by_route
        .iter()
        .filter(|(r, _)| !r.starts_with("GET "))
        .collect();
    assert!(
        writes.is_empty() && m.batch_inner_requests == 0,
        "plan wrote to the tenant: {writes:?}"
    );
    // users, groups, roles (definitions, assignments), units, deleted users;
    // PIM eligibilities and assignment schedules (issue #16); SKUs and
    // licence states (issue #17, the example declares licences).
    assert!(
        m.total_requests <= 10,
        "a 40-user tenant should be read in a handful of requests, took {}: {:?}",
        m.total_requests,
        m.by_route
    );
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains(&token),
        "token printed"
    );
}

fn tempdir(name: &str) -> crate::scratch::Scratch {
    crate::scratch::Scratch::new(&format!("plan-cli-{name}"))
}
