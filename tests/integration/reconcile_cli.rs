//! `entraform reconcile` through the real binary against the emulator, the drift
//! report, the lock, and the CI examples (so they cannot rot silently).

use crate::cli_support;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use cli_support::{
    NEW_HIRE, Tenant, command, out, root, run, tempdir, tenant, tenant_from, writes,
};
use graph_emulator::Seed;
use serde_json::{Value, json};

/// Someone changes the tenant outside the repo: a Graph request straight to the emulator.
fn graph(t: &Tenant, method: &str, path: &str, body: Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = format!("{}/v1.0{path}", t.emu.base_url());
        let resp = reqwest::Client::new()
            .request(method.parse().unwrap(), url)
            .bearer_auth(&t.token)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert!(
            resp.status().is_success(),
            "{method} {path}: {}",
            resp.status()
        );
    });
}

fn user_id(t: &Tenant, upn: &str) -> String {
    t.emu
        .state()
        .users
        .iter()
        .find(|u| {
            u.properties
                .get("userPrincipalName")
                .and_then(Value::as_str)
                .is_some_and(|p| p.eq_ignore_ascii_case(upn))
        })
        .and_then(|u| u.id.clone())
        .expect("user in the emulator")
}

#[test]
fn scheduled_run_detects_reports_and_reverts_drift() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("story");
    // The repo is applied: no drift.
    let o = run(
        &t,
        &["apply", "examples/desired-state", "--auto-approve"],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let o = run(
        &t,
        &["reconcile", "examples/desired-state", "--detailed-exitcode"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("No drift"), "{}", out(&o));

    // Someone edits a user in the portal and disables another one.
    let olivia = user_id(&t, "olivia.bennett@contoso.com");
    graph(
        &t,
        "PATCH",
        &format!("/users/{olivia}"),
        json!({ "jobTitle": "Chief Portal Clicker" }),
    );
    let hannah = user_id(&t, "hannah.lindqvist@contoso.com");
    graph(
        &t,
        "PATCH",
        &format!("/users/{hannah}"),
        json!({ "accountEnabled": false }),
    );

    // Dry run: exit 2, the report lists both, nothing is written.
    t.emu.reset_metrics();
    let json_report = dir.join("drift.json");
    let o = run(
        &t,
        &[
            "reconcile",
            "examples/desired-state",
            "--dry-run",
            "--detailed-exitcode",
            "--report",
            json_report.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert_eq!(writes(&t), 0, "a dry run wrote to the tenant");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_report).unwrap()).unwrap();
    assert_eq!(report["version"], 2);
    assert_eq!(report["operations"], 2, "{report:#}");
    assert_eq!(report["objects"], 2);
    assert_eq!(report["outcome"]["status"], "not_applied");
    let objects: Vec<&str> = report["would_revert"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["object"].as_str().unwrap())
        .collect();
    assert_eq!(
        objects,
        ["hannah.lindqvist@contoso.com", "olivia.bennett@contoso.com"]
    );
    let olivia_change = &report["would_revert"][1]["changes"][0];
    assert_eq!(olivia_change["attribute"], "jobTitle");
    assert_eq!(olivia_change["live"], "Chief Portal Clicker");
    assert_eq!(olivia_change["op"], "update_user");
    let hannah_change = &report["would_revert"][0]["changes"][0];
    assert_eq!(hannah_change["attribute"], "accountEnabled");
    assert_eq!(hannah_change["live"], "false");
    assert_eq!(hannah_change["desired"], "true");

    // Without --unattended (and without a terminal) reconcile refuses, like apply.
    let o = run(&t, &["reconcile", "examples/desired-state"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("--unattended"), "{}", out(&o));
    assert_eq!(writes(&t), 0);

    // The scheduled run reverts it: exit 2 (drift found), a Markdown report.
    let md_report = dir.join("drift.md");
    let o = run(
        &t,
        &[
            "reconcile",
            "examples/desired-state",
            "--unattended",
            "--detailed-exitcode",
            "--report",
            md_report.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        out(&o).contains("2 done, 0 failed, 0 skipped"),
        "{}",
        out(&o)
    );
    let md = std::fs::read_to_string(&md_report).unwrap();
    assert!(md.contains("**Drift reverted**: 2 done"), "{md}");
    assert!(
        md.contains("| olivia.bennett@contoso.com | `jobTitle` | `Chief Portal Clicker` |"),
        "{md}"
    );
    assert!(md.contains("`accountEnabled` | `false` | `true`"), "{md}");

    // Converged: plan and reconcile both see nothing.
    let o = run(
        &t,
        &["plan", "examples/desired-state", "--detailed-exitcode"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let o = run(
        &t,
        &[
            "reconcile",
            "examples/desired-state",
            "--unattended",
            "--detailed-exitcode",
            "--report",
            md_report.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        std::fs::read_to_string(&md_report)
            .unwrap()
            .contains("No drift")
    );
}

#[test]
fn reconcile_stops_at_a_safety_gate_with_exit_3() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("gate");
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    // Declares nobody: every owned enabled user would be disabled.
    std::fs::write(
        repo.join("tenant.yaml"),
        "tenant:\n  domain: contoso.com\n  domains: [contoso.onmicrosoft.com]\n  scope: { users: all, exclude: [breakglass@contoso.onmicrosoft.com] }\n  absent_users: disable\n  safety: { max_disables: 2, min_tenant_size: 1 }\n",
    )
    .unwrap();
    let report = dir.join("r.json");
    let o = run(
        &t,
        &[
            "reconcile",
            repo.to_str().unwrap(),
            "--unattended",
            "--detailed-exitcode",
            "--report",
            report.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    assert_eq!(writes(&t), 0);
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["outcome"]["status"], "blocked", "{r:#}");
}

#[test]
fn a_held_lock_stops_a_second_run_and_names_the_holder() {
    let t = tenant("examples/seed.yaml");
    let state = tempdir("lock");
    let held = entraform::lock::acquire(&state, "apply", entraform::lock::DEFAULT_TIMEOUT)
        .expect("first run takes the lock");
    // The holder took the lock 125 s ago (well inside the one-hour timeout): the
    // age printed must come from the file's `started_at`, not from the clock alone.
    let lock_path = state.join(entraform::lock::LOCK_FILE);
    let mut holder: entraform::lock::Holder =
        serde_json::from_str(&std::fs::read_to_string(&lock_path).unwrap()).unwrap();
    holder.started_at -= 125;
    std::fs::write(&lock_path, serde_json::to_string(&holder).unwrap()).unwrap();
    for cmd in ["reconcile", "apply"] {
        let mut args = vec![cmd, "examples/desired-state", "--state-dir"];
        args.push(state.to_str().unwrap());
        args.push(if cmd == "apply" {
            "--auto-approve"
        } else {
            "--unattended"
        });
        let before = unix_now();
        let o = run(&t, &args, &[NEW_HIRE]);
        let after = unix_now();
        let text = out(&o);
        assert_eq!(o.status.code(), Some(1), "{text}");
        assert!(
            text.contains("is held by `apply`")
                && text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        // The run read its clock (whole seconds) while it ran, between `before` and `after`.
        let age = held_for(&text);
        let (low, high) = (before - holder.started_at, after - holder.started_at);
        assert!(
            (low..=high).contains(&age.as_secs()),
            "age {age:?} outside [{low}s, {high}s] (from timestamps taken around the run): {text}"
        );
    }
    assert_eq!(writes(&t), 0);
    drop(held);
    assert!(!state.join("entraform.lock").exists());
    // Free again: the run takes the lock, applies, and releases it.
    let o = run(
        &t,
        &[
            "reconcile",
            "examples/desired-state",
            "--state-dir",
            state.to_str().unwrap(),
            "--unattended",
        ],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(!state.join("entraform.lock").exists(), "released at exit");
}

/// Whole seconds since the Unix epoch (the lock file's clock).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The lock age in "… is held by …, taken 2m 5s ago; …".
fn held_for(text: &str) -> std::time::Duration {
    let age = text
        .split_once(", taken ")
        .and_then(|(_, rest)| rest.split_once(" ago"))
        .map(|(age, _)| age.replace(' ', ""))
        .unwrap_or_else(|| panic!("no lock age in: {text}"));
    entraform::lock::parse_duration(&age).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// A tenant with `n` users whose jobTitle differs from the repo: `n` update_user operations.
fn synthetic(n: usize, dir: &Path) -> (Tenant, PathBuf) {
    let users: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "id": format!("c0de{:04x}-0000-4000-8000-{:012x}", i / 65536, i),
                "userPrincipalName": format!("user{i:05}@contoso.com"),
                "accountEnabled": true,
                "displayName": format!("User {i:05}"),
                "mailNickname": format!("user{i:05}"),
                "jobTitle": "Associate",
                "department": "Operations",
            })
        })
        .collect();
    let mut users = users;
    // A break-glass Global Administrator outside the repo's scope keeps the gates green.
    users.push(json!({
        "id": "bbbbbbbb-0000-4000-8000-000000000001",
        "userPrincipalName": "breakglass@contoso.com",
        "accountEnabled": true,
        "displayName": "Break Glass",
        "mailNickname": "breakglass",
    }));
    let seed = json!({
        "tenant": { "id": "7d1c0f4e-3b2a-4c5d-9e8f-0a1b2c3d4e5f", "domains": ["contoso.com"] },
        "applications": [{
            "appId": "4f8e2c1a-6b3d-4e5f-a7b8-c9d0e1f2a3b4",
            "displayName": "entraform",
            "servicePrincipalId": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            "clientSecrets": ["emulator-only"],
            "permissions": entraform::live::permissions::recommended_grants()
        }],
        "users": users,
        "roleAssignments": [
            { "principalId": "breakglass@contoso.com", "roleDefinitionId": "Global Administrator" }
        ],
    });
    let seed_path = dir.join("seed.json");
    std::fs::write(&seed_path, seed.to_string()).unwrap();
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let mut yaml = String::from(
        "tenant:\n  domain: contoso.com\n  scope: { users: all, exclude: [breakglass@contoso.com] }\nusers:\n",
    );
    for i in 0..n {
        yaml.push_str(&format!(
            "  - upn: user{i:05}\n    displayName: User {i:05}\n    jobTitle: Senior Associate, Operations Excellence Team {i}\n    department: Operations and Logistics\n"
        ));
    }
    std::fs::write(repo.join("users.yaml"), yaml).unwrap();
    (
        tenant_from(Seed::from_file(&seed_path).expect("seed")),
        repo,
    )
}

#[test]
fn markdown_plan_of_5000_changes_fits_a_github_comment() {
    let dir = tempdir("big");
    let (t, repo) = synthetic(5000, &dir);
    let saved = dir.join("plan.json");
    let o = run(
        &t,
        &[
            "plan",
            repo.to_str().unwrap(),
            "--format",
            "markdown",
            "--out",
            saved.to_str().unwrap(),
            "--detailed-exitcode",
            "--allow-mass-changes",
        ],
        &[],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let md = String::from_utf8(o.stdout).unwrap();
    assert!(
        md.chars().count() <= 65_536,
        "{} characters",
        md.chars().count()
    );
    // The heading the example workflow adds still fits.
    let comment = format!("<!-- entraform-plan -->\n### entraform plan for 0123456\n\n{md}");
    assert!(comment.chars().count() <= 65_536);
    assert!(
        md.contains("5000 to update"),
        "{}",
        &md[..md.len().min(2000)]
    );
    assert!(md.contains("not shown"), "a summarised plan says so");
    // The saved plan keeps every operation (it is what apply runs).
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(saved["plan"]["steps"].as_array().map(Vec::len), Some(5000));
}

// ---- the CI examples ---------------------------------------------------------

fn workflow(path: &str) -> (String, Value) {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let v = entraform::desired::yaml::to_json(&text).unwrap_or_else(|e| panic!("{path}: {e:?}"));
    (text, v)
}

/// Every `entraform …` command line in the `run:`/`script:` text, joined across `\` continuations.
fn entraform_commands(script: &str) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    joined
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("entraform "))
        .map(|l| {
            l.split_whitespace()
                .take_while(|w| {
                    !matches!(*w, "|" | "||" | "&&" | ";" | "2>&1") && !w.starts_with('>')
                })
                .map(|w| w.trim_matches('"').to_string())
                .collect()
        })
        .collect()
}

fn check_commands(scripts: &[String]) -> Vec<String> {
    let mut used = Vec::new();
    for s in scripts {
        for cmd in entraform_commands(s) {
            if let Err(e) = <entraform::cli::Cli as clap::Parser>::try_parse_from(&cmd) {
                panic!("`{}` does not parse: {e}", cmd.join(" "));
            }
            used.push(cmd[1].clone());
        }
    }
    used
}

fn github_scripts(job: &Value) -> Vec<String> {
    job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str().map(String::from))
        .collect()
}

#[test]
fn github_actions_pull_request_workflow_keeps_its_shape() {
    let (text, wf) = workflow("examples/github-actions/entraform.yml");
    assert!(wf["on"]["pull_request"].is_object(), "{wf:#}");
    assert_eq!(wf["on"]["push"]["branches"], json!(["main"]));
    let plan = &wf["jobs"]["plan"];
    let apply = &wf["jobs"]["apply"];
    for job in [plan, apply] {
        assert_eq!(
            job["permissions"]["id-token"], "write",
            "OIDC needs id-token: write"
        );
    }
    assert_eq!(plan["permissions"]["pull-requests"], "write");
    assert_eq!(apply["concurrency"]["group"], "entraform-apply");
    assert_eq!(apply["concurrency"]["cancel-in-progress"], false);
    // Sign-in from repository variables and the OIDC token: no stored Azure secret.
    assert_eq!(wf["env"]["AZURE_TENANT_ID"], "${{ vars.AZURE_TENANT_ID }}");
    assert_eq!(wf["env"]["AZURE_CLIENT_ID"], "${{ vars.AZURE_CLIENT_ID }}");
    for forbidden in [
        "secrets.",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE",
    ] {
        assert!(!text.contains(forbidden), "the workflow uses {forbidden}");
    }
    let plan_cmds = check_commands(&github_scripts(plan));
    assert_eq!(plan_cmds, ["validate", "plan"]);
    let plan_script = github_scripts(plan).join("\n");
    assert!(plan_script.contains("validate . --format github"));
    assert!(plan_script.contains("--format markdown --out plan.json"));
    let uses: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["uses"].as_str())
        .collect();
    assert!(uses.iter().any(|u| u.starts_with("actions/github-script@")));
    assert!(
        uses.iter()
            .any(|u| u.starts_with("actions/upload-artifact@"))
    );
    assert!(
        text.contains("<!-- entraform-plan -->"),
        "sticky comment marker"
    );
    assert_eq!(check_commands(&github_scripts(apply)), ["apply"]);
    let apply_script = github_scripts(apply).join("\n");
    assert!(apply_script.contains("entraform apply plan.json --dir . --auto-approve"));
    assert!(apply["steps"].as_array().unwrap().iter().any(|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("actions/download-artifact@"))
            && s["with"]["run-id"].is_string()
    }));
}

#[test]
fn github_actions_scheduled_reconcile_keeps_its_shape() {
    let (text, wf) = workflow("examples/github-actions/entraform-reconcile.yml");
    assert!(wf["on"]["schedule"][0]["cron"].is_string(), "{wf:#}");
    let job = &wf["jobs"]["reconcile"];
    assert_eq!(job["permissions"]["id-token"], "write");
    assert_eq!(job["concurrency"]["group"], "entraform-apply");
    assert_eq!(job["concurrency"]["cancel-in-progress"], false);
    assert_eq!(check_commands(&github_scripts(job)), ["reconcile"]);
    let script = github_scripts(job).join("\n");
    assert!(script.contains("--unattended") && script.contains("--detailed-exitcode"));
    assert!(script.contains("--report drift.md"));
    assert!(!text.contains("secrets."));
}

#[test]
fn gitlab_ci_example_keeps_its_shape() {
    let path = "examples/gitlab-ci/.gitlab-ci.yml";
    if !root().join(path).exists() {
        return;
    }
    let (text, wf) = workflow(path);
    let mut scripts = Vec::new();
    let mut jobs = Vec::new();
    for (name, job) in wf.as_object().unwrap() {
        let Some(script) = job["script"].as_array() else {
            continue;
        };
        jobs.push(name.clone());
        scripts.extend(script.iter().filter_map(|l| l.as_str().map(String::from)));
    }
    let used = check_commands(&scripts);
    for cmd in ["validate", "plan", "apply", "reconcile"] {
        assert!(used.iter().any(|u| u == cmd), "{cmd} not used: {used:?}");
    }
    for job in ["entraform:apply", "entraform:reconcile"] {
        assert_eq!(
            wf[job]["resource_group"], "entraform-apply",
            "{job} must be serialised"
        );
    }
    assert_eq!(
        wf["entraform:plan"]["id_tokens"]["AZURE_ID_TOKEN"]["aud"],
        "api://AzureADTokenExchange"
    );
    assert!(!text.contains("AZURE_CLIENT_SECRET"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Compare with `tests/snapshots/NAME` (blessed as `snapshot_support` explains:
/// `UPDATE_SNAPSHOTS=1 cargo test --test integration reconcile_cli::` writes it and fails).
fn check_snapshot(name: &str, actual: &str) {
    crate::snapshot_support::check_file(
        "reconcile_cli",
        &format!("tests/snapshots/{name}"),
        actual,
    );
}

/// Reads of users and groups the tenant answered since the last metrics reset:
/// (full listings, delta rounds).
fn user_and_group_reads(t: &Tenant) -> (u64, u64) {
    let m = t.emu.metrics();
    let n = |r: &str| m.by_route.get(r).copied().unwrap_or(0);
    (
        n("GET /users") + n("GET /groups"),
        n("GET /users/delta") + n("GET /groups/delta"),
    )
}

/// The whole story on the emulator, every run with the same `--state-dir` (so
/// reads after the first are incremental): the tenant is exported into a repo,
/// a PR changes YAML, the plan is reviewed (Markdown, snapshot) and saved; a
/// tenant change before the merge makes it stale; re-planned and merged, the
/// saved plan is applied; someone changes the tenant outside the repo; the
/// scheduled run detects the drift (exit 2, the report lists it) and reverts
/// it; the final plan shows no changes.
#[test]
fn pull_request_to_scheduled_reconcile_end_to_end() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("pr");
    let state = dir.join("state");
    let state_s = state.to_str().unwrap().to_string();
    // Runs from the scratch directory with a relative repo path, so origins in
    // the plan (`repo/…:line`) do not depend on the machine.
    let run_in = |args: &[&str]| -> Output {
        command(&t, args, &[("ENTRAFORM_STATE_DIR", &state_s)])
            .current_dir(&dir)
            .output()
            .expect("run entraform")
    };

    // Adoption: export the tenant; the repo matches it.
    let o = run_in(&["export", "--out", "repo"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let o = run_in(&["plan", "repo", "--detailed-exitcode"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        state.join("live-snapshot.json").is_file(),
        "no snapshot kept"
    );

    // The pull request: a new job title for the CEO.
    let repo = dir.join("repo");
    let file = std::fs::read_dir(repo.join("users"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            std::fs::read_to_string(p)
                .unwrap()
                .contains("upn: olivia.bennett@contoso.com")
        })
        .expect("the CEO's file");
    let text = std::fs::read_to_string(&file).unwrap();
    let before = "  - upn: olivia.bennett@contoso.com\n    displayName: Olivia Bennett\n    givenName: Olivia\n    surname: Bennett\n    jobTitle: CEO\n";
    assert!(text.contains(before), "{text}");
    let after = before.replace(
        "jobTitle: CEO",
        "jobTitle: Chief Executive Officer and Founder",
    );
    std::fs::write(&file, text.replace(before, &after)).unwrap();
    let plan_args = [
        "plan",
        "repo",
        "--format",
        "markdown",
        "--out",
        "plan.json",
        "--detailed-exitcode",
    ];
    t.emu.reset_metrics();
    let o = run_in(&plan_args);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    // Users and groups incrementally (the deltas); the one `GET /users` is
    // the licence read (`$select=id,licenseAssignmentStates`): the export
    // declares tomas.novak's direct licences, and licences are read in full
    // on every plan (delta does not track them; docs/performance.md).
    assert_eq!(
        user_and_group_reads(&t),
        (1, 2),
        "the PR plan reads users and groups incrementally"
    );
    check_snapshot("story-pr-plan.md", &String::from_utf8_lossy(&o.stdout));

    // Before the merge someone edits the same user in the portal: the saved plan is stale.
    let olivia = user_id(&t, "olivia.bennett@contoso.com");
    graph(
        &t,
        "PATCH",
        &format!("/users/{olivia}"),
        json!({ "officeLocation": "Home office" }),
    );
    t.emu.reset_metrics();
    let apply_args = ["apply", "plan.json", "--dir", "repo", "--auto-approve"];
    let o = run_in(&apply_args);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("refusing to apply"), "{}", out(&o));
    assert_eq!(writes(&t), 0, "a stale plan writes nothing");

    // Re-planned (the PR workflow runs again) and merged: exactly the saved plan is applied.
    let o = run_in(&plan_args);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    let o = run_in(&apply_args);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("is current: 1 operation in 1 wave."),
        "{}",
        out(&o)
    );

    // Drift outside the repo; the nightly run finds it, reports it and reverts it.
    graph(
        &t,
        "PATCH",
        &format!("/users/{olivia}"),
        json!({ "jobTitle": "Interim CEO" }),
    );
    t.emu.reset_metrics();
    let o = run_in(&[
        "reconcile",
        "repo",
        "--unattended",
        "--detailed-exitcode",
        "--report",
        "drift.json",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    // The deltas, plus the licence read (see the PR plan above).
    assert_eq!(user_and_group_reads(&t), (1, 2), "incremental");
    let r: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("drift.json")).unwrap()).unwrap();
    assert_eq!(r["outcome"]["status"], "reconciled", "{r:#}");
    assert_eq!(r["outcome"]["done"], 1);
    // Applied: the key says so, and each change has its result.
    assert!(r.get("would_revert").is_none(), "{r:#}");
    assert_eq!(
        r["reverted"][0]["changes"][0],
        json!({
            "op": "update_user",
            "attribute": "jobTitle",
            "live": "Interim CEO",
            "desired": "Chief Executive Officer and Founder",
            "result": "done"
        })
    );
    // The final plan is empty, read incrementally...
    let o = run_in(&["plan", "repo", "--detailed-exitcode"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the final plan is empty:\n{}",
        out(&o)
    );
    // And without the state directory (users from `/users?$expand=manager`).
    let o = command(&t, &["plan", "repo", "--detailed-exitcode"], &[])
        .current_dir(&dir)
        .output()
        .expect("run entraform");
    assert_eq!(
        o.status.code(),
        Some(0),
        "the final plan from a plain full read is empty:\n{}",
        out(&o)
    );
}

#[test]
fn of_two_processes_started_together_one_applies_and_the_other_is_refused() {
    let t = tenant("examples/seed.yaml");
    // Slow Graph down so the two runs certainly overlap.
    t.emu.set_faults(graph_emulator::FaultConfig {
        latency_ms: 300,
        ..t.emu.faults()
    });
    let state = tempdir("race");
    let s = state.to_str().unwrap();
    let args = [
        "reconcile",
        "examples/desired-state",
        "--unattended",
        "--state-dir",
        s,
    ];
    let children: Vec<_> = (0..2)
        .map(|_| {
            command(&t, &args, &[NEW_HIRE])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let mut codes: Vec<_> = outputs.iter().map(|o| o.status.code()).collect();
    codes.sort();
    assert_eq!(
        codes,
        [Some(0), Some(1)],
        "{}\n---\n{}",
        out(&outputs[0]),
        out(&outputs[1])
    );
    let loser = outputs.iter().find(|o| o.status.code() == Some(1)).unwrap();
    assert!(
        out(loser).contains("is held by `reconcile`"),
        "{}",
        out(loser)
    );
    assert!(!state.join("entraform.lock").exists());
    let o = run(
        &t,
        &["plan", "examples/desired-state", "--detailed-exitcode"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn the_ci_files_in_their_places_do_not_disturb_validate() {
    let dir = tempdir("ci-files");
    let repo = dir.join("repo");
    copy_dir(&root().join("examples/desired-state"), &repo);
    std::fs::create_dir_all(repo.join(".github/workflows")).unwrap();
    for f in ["entraform.yml", "entraform-reconcile.yml"] {
        std::fs::copy(
            root().join("examples/github-actions").join(f),
            repo.join(".github/workflows").join(f),
        )
        .unwrap();
    }
    std::fs::copy(
        root().join("examples/gitlab-ci/.gitlab-ci.yml"),
        repo.join(".gitlab-ci.yml"),
    )
    .unwrap();
    let o = crate::cli_support::entraform()
        .args(["validate", repo.to_str().unwrap(), "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}
