//! Many tenants from one repo, through the binary, on a three-tenant
//! emulator: `tenants --json`, `plan --all-tenants --format markdown` (one
//! comment, worst exit), a tenant whose sign-in fails beside two that work,
//! `apply --all-tenants` converging each, a saved plan refused for another
//! tenant, and the hostile-input rules applied to `include:`.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use crate::cli_support::{entraform, out, tempdir};
use graph_emulator::server::EmulatorHandle;
use graph_emulator::{BackgroundEmulator, EmulatorConfig, Seed};

const NAMES: [&str; 3] = ["alpha", "bravo", "charlie"];

fn tenant_id(i: usize) -> String {
    format!("{i:08}-aaaa-4bbb-8ccc-0000000000{i:02}")
}

fn app_id(i: usize) -> String {
    format!("{i:08}-1111-4222-8333-4444444444{i:02}")
}

fn secret(i: usize) -> String {
    format!("emulator-only-secret-{i}")
}

/// A tenant `name` with two users (one a break-glass Global Administrator)
/// and an app entraform signs in as with a client secret.
fn seed(i: usize, name: &str) -> Seed {
    let domain = format!("{name}.example");
    let seed = json!({
        "tenant": { "id": tenant_id(i), "domains": [domain] },
        "applications": [{
            "appId": app_id(i),
            "displayName": "entraform",
            "servicePrincipalId": format!("{i:08}-5555-4666-8777-8888888888{i:02}"),
            "clientSecrets": [secret(i)],
            "permissions": entraform::live::permissions::recommended_grants()
        }],
        "users": [
            {
                "id": format!("{i:08}-0000-4000-8000-000000000001"),
                "userPrincipalName": format!("ann@{domain}"),
                "accountEnabled": true,
                "displayName": "Ann",
                "mailNickname": "ann",
                "jobTitle": "Associate"
            },
            {
                "id": format!("{i:08}-0000-4000-8000-000000000002"),
                "userPrincipalName": format!("breakglass@{domain}"),
                "accountEnabled": true,
                "displayName": "Break Glass",
                "mailNickname": "breakglass"
            }
        ],
        "roleAssignments": [
            { "principalId": format!("breakglass@{domain}"), "roleDefinitionId": "Global Administrator" }
        ],
    });
    Seed::parse(&seed.to_string()).expect("seed")
}

/// The many-tenant repo: each tenant wants Ann's job title changed; every
/// tenant includes the shared group in common/groups (created in each).
fn write_repo(root: &Path) {
    let w = |rel: &str, text: String| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "common/groups/staff.yaml",
        "groups:\n  - name: shared-staff\n    description: Everyone, in every tenant\n    members: []\n"
            .into(),
    );
    for (i, name) in NAMES.iter().enumerate() {
        let domain = format!("{name}.example");
        let p = format!("ENTRAFORM_TEST_{}", name.to_uppercase());
        w(
            &format!("tenants/{name}/tenant.yaml"),
            format!(
                "tenant:\n  domain: {domain}\n  scope: {{ users: all, exclude: [breakglass@{domain}] }}\n\
                 include: [../../common/groups]\n\
                 connection:\n  tenant_id: {}\n  client_id_env: {p}_CLIENT_ID\n  client_secret_env: {p}_SECRET\n",
                tenant_id(i)
            ),
        );
        w(
            &format!("tenants/{name}/users.yaml"),
            format!("users:\n  - upn: ann@{domain}\n    displayName: Ann\n    jobTitle: Manager\n"),
        );
    }
}

struct Fleet {
    emu: BackgroundEmulator,
    repo: crate::scratch::Scratch,
}

fn fleet() -> Fleet {
    let seeds = NAMES.iter().enumerate().map(|(i, n)| seed(i, n)).collect();
    let emu = BackgroundEmulator::start_many(seeds, EmulatorConfig::default()).expect("emulator");
    let repo = tempdir("tenants");
    write_repo(&repo);
    Fleet { emu, repo }
}

impl Fleet {
    fn tenants(&self) -> Vec<EmulatorHandle> {
        self.emu.tenants()
    }

    /// The binary in the repo with each tenant's variables; `bad_secret`
    /// gives that tenant a wrong secret.
    fn run(&self, args: &[&str], bad_secret: Option<&str>) -> Output {
        let mut cmd = entraform();
        cmd.current_dir(&*self.repo).args(args);
        if matches!(
            args.first(),
            Some(&("plan" | "apply" | "reconcile" | "doctor" | "export"))
        ) {
            cmd.args(["--graph-url", self.emu.base_url()]);
        }
        for (i, name) in NAMES.iter().enumerate() {
            let p = format!("ENTRAFORM_TEST_{}", name.to_uppercase());
            cmd.env(format!("{p}_CLIENT_ID"), app_id(i));
            let s = if bad_secret == Some(name) {
                "wrong-secret".to_string()
            } else {
                secret(i)
            };
            cmd.env(format!("{p}_SECRET"), s);
        }
        cmd.output().expect("run entraform")
    }
}

/// The summary table's row of tenant `name` (the lines after its header).
fn row(text: &str, name: &str) -> String {
    text.lines()
        .skip_while(|l| !l.starts_with("tenant "))
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row for {name}: {text}"))
        .to_string()
}

#[test]
fn tenants_json_lists_the_repo_tenants() {
    let f = fleet();
    let o = f.run(&["tenants", "--json"], None);
    assert!(o.status.success(), "{}", out(&o));
    let names: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(names, json!(NAMES));
    // A single-tenant repo is not one.
    let o = entraform()
        .args(["tenants", "examples/desired-state"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
}

#[test]
fn plan_all_tenants_markdown_is_one_comment_and_exits_with_the_worst() {
    let f = fleet();
    let o = f.run(
        &[
            "plan",
            "--all-tenants",
            "--format",
            "markdown",
            "--detailed-exitcode",
        ],
        None,
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert_eq!(
        text.matches("## entraform plan: 3 tenants").count(),
        1,
        "{text}"
    );
    for name in NAMES {
        assert_eq!(
            text.matches(&format!("### Tenant `{name}`")).count(),
            1,
            "{text}"
        );
        // Two changes each: Ann's title, and the shared group from common/.
        assert!(
            text.contains(&format!("| `{name}` | 2 | ok | 2 changes |")),
            "{text}"
        );
    }
    assert!(text.contains("shared-staff"), "{text}");
    // Each tenant was read and signed in to on its own.
    for t in f.tenants() {
        let m = t.metrics();
        assert_eq!(m.tokens_issued, 1, "one token per tenant");
        assert!(m.by_route.keys().any(|r| r.starts_with("GET ")), "{m:?}");
    }
}

#[test]
fn one_tenant_failing_sign_in_does_not_stop_the_others() {
    let f = fleet();
    let o = f.run(&["plan", "--all-tenants", "--parallel", "2"], Some("bravo"));
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(1),
        "the worst exit is bravo's error: {}",
        out(&o)
    );
    let row = |name: &str| row(&text, name);
    assert!(row("alpha").contains("0 ok"), "{}", row("alpha"));
    assert!(row("charlie").contains("0 ok"), "{}", row("charlie"));
    let bravo = row("bravo");
    assert!(
        bravo.contains("-  ") && bravo.contains("1 error") && bravo.contains("could not sign in"),
        "{bravo}"
    );
    // Its whole error, with the identity platform's code, is on stderr under its name.
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.lines()
            .any(|l| l.starts_with("[bravo] error:") && l.contains("7000215")),
        "{err}"
    );
    // The wrong secret never appears anywhere.
    assert!(!out(&o).contains("wrong-secret"), "{}", out(&o));
    // Alpha and charlie were planned in full.
    assert_eq!(f.tenants()[0].metrics().tokens_issued, 1);
    assert_eq!(f.tenants()[2].metrics().tokens_issued, 1);
    assert_eq!(f.tenants()[1].metrics().tokens_issued, 0);
}

#[test]
fn apply_all_tenants_converges_each() {
    let f = fleet();
    let state = f.repo.join("state");
    let state = state.to_str().unwrap();
    let o = f.run(
        &[
            "apply",
            "--all-tenants",
            "--auto-approve",
            "--state-dir",
            state,
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    for (i, t) in f.tenants().iter().enumerate() {
        let s = t.state();
        let prop = |m: &serde_json::Map<String, Value>, k: &str| {
            m.get(k).and_then(Value::as_str).map(str::to_string)
        };
        let ann = s
            .users
            .iter()
            .find(|u| {
                prop(&u.properties, "userPrincipalName").is_some_and(|n| n.starts_with("ann@"))
            })
            .unwrap();
        assert_eq!(
            prop(&ann.properties, "jobTitle").as_deref(),
            Some("Manager"),
            "tenant {i}"
        );
        assert!(
            s.groups
                .iter()
                .any(|g| prop(&g.properties, "displayName").as_deref() == Some("shared-staff"))
        );
        // Per-tenant state folders.
        assert!(f.repo.join("state").join(NAMES[i]).is_dir());
    }
    let o = f.run(
        &[
            "plan",
            "--all-tenants",
            "--detailed-exitcode",
            "--state-dir",
            state,
        ],
        None,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "a second plan is empty: {}",
        out(&o)
    );
    let text = String::from_utf8_lossy(&o.stdout);
    for name in NAMES {
        let r = row(&text, name);
        assert!(r.contains("0 ok") && r.contains(" 0 "), "{r}");
    }
}

#[test]
fn a_plan_for_one_tenant_is_refused_for_another() {
    let f = fleet();
    let plan = f.repo.join("alpha.json");
    let plan = plan.to_str().unwrap();
    let o = f.run(&["plan", "--tenant", "alpha", "--out", plan], None);
    assert!(o.status.success(), "{}", out(&o));
    let saved: Value = serde_json::from_slice(&std::fs::read(plan).unwrap()).unwrap();
    assert_eq!(saved["tenant"], "alpha");
    let o = f.run(
        &["apply", plan, "--tenant", "bravo", "--auto-approve"],
        None,
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains("this plan was made for tenant `alpha` of the repo")
            && text.contains("not for tenant `bravo`"),
        "{text}"
    );
    assert_eq!(
        f.tenants()[1].metrics().tokens_issued,
        0,
        "refused before signing in"
    );
    // Applied to its own tenant, it goes through.
    let o = f.run(
        &["apply", plan, "--tenant", "alpha", "--auto-approve"],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn a_many_tenant_repo_needs_a_tenant_and_shared_output_paths_need_one_each() {
    let f = fleet();
    let o = f.run(&["plan"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains(
            "holds many tenants (alpha, bravo, charlie): pass --tenant NAME or --all-tenants"
        ),
        "{}",
        out(&o)
    );
    let o = f.run(&["plan", "--all-tenants", "--out", "plan.json"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("put {tenant} in the path"), "{}", out(&o));
    // The selection from the environment, as CI sets it.
    let o = f.run(&["validate"], None);
    assert_eq!(o.status.code(), Some(1));
    let mut cmd = entraform();
    cmd.current_dir(&*f.repo)
        .args(["validate"])
        .env("ENTRAFORM_ALL_TENANTS", "true")
        .env("ENTRAFORM_PARALLEL", "1");
    let o = cmd.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("at most 1 at once"), "{}", out(&o));
    let o = entraform()
        .current_dir(&*f.repo)
        .args(["validate"])
        .env("ENTRAFORM_TENANT", "charlie")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("tenants/charlie: valid"), "{}", out(&o));
    let o = f.run(&["validate", "--tenant", "delta"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("there is no tenant `delta`"),
        "{}",
        out(&o)
    );
}

fn validate_codes(root: &Path, tenant: &str) -> (Output, Vec<String>) {
    let o = entraform()
        .current_dir(root)
        .args(["validate", "--tenant", tenant, "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    let codes = v["diagnostics"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (o, codes)
}

#[test]
fn includes_and_connection_blocks_are_hostile_input() {
    let repo = tempdir("tenants-hostile");
    write_repo(&repo);
    // Valid as written.
    let (o, codes) = validate_codes(&repo, "alpha");
    assert!(o.status.success(), "{codes:?} {}", out(&o));
    // An include out of the repo, and into tenants/.
    let t = repo.join("tenants/alpha/tenant.yaml");
    let text = std::fs::read_to_string(&t).unwrap();
    std::fs::write(
        &t,
        text.replace("[../../common/groups]", "[../../../etc, ../bravo]"),
    )
    .unwrap();
    let (o, codes) = validate_codes(&repo, "alpha");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(codes, ["invalid-value", "invalid-value"], "{}", out(&o));
    // A literal secret in the connection block: refused, and never echoed.
    std::fs::write(
        &t,
        text.replace(
            "client_secret_env: ENTRAFORM_TEST_ALPHA_SECRET",
            "client_secret_env: \"Xy7~q8Q.s3cr3t\"",
        ),
    )
    .unwrap();
    let (o, codes) = validate_codes(&repo, "alpha");
    assert_eq!(codes, ["literal-secret"], "{}", out(&o));
    assert!(!out(&o).contains("s3cr3t"), "{}", out(&o));
    std::fs::write(
        &t,
        text.replace(
            "client_secret_env: ENTRAFORM_TEST_ALPHA_SECRET",
            "client_secret: hunter2-secret",
        ),
    )
    .unwrap();
    let (o, codes) = validate_codes(&repo, "alpha");
    assert_eq!(codes, ["literal-secret"], "{}", out(&o));
    assert!(!out(&o).contains("hunter2"), "{}", out(&o));
    std::fs::write(&t, &text).unwrap();
    // An included file over the per-file cap is refused like the repo's own.
    let big = std::fs::File::create(repo.join("common/groups/huge.yaml")).unwrap();
    big.set_len(64 * 1024 * 1024 + 1).unwrap();
    drop(big);
    let (o, codes) = validate_codes(&repo, "alpha");
    assert_eq!(codes, ["file-too-large"], "{}", out(&o));
    std::fs::remove_file(repo.join("common/groups/huge.yaml")).unwrap();
    #[cfg(unix)]
    {
        // A link in the include path that leads out of the repo.
        let outside = tempdir("tenants-outside");
        std::fs::write(
            outside.join("evil.yaml"),
            "users:\n  - upn: evil@alpha.example\n    displayName: Evil\n",
        )
        .unwrap();
        std::fs::remove_dir_all(repo.join("common/groups")).unwrap();
        std::os::unix::fs::symlink(&*outside, repo.join("common/groups")).unwrap();
        let (o, codes) = validate_codes(&repo, "alpha");
        assert_eq!(codes, ["path-outside-repo"], "{}", out(&o));
        assert!(!out(&o).contains("Evil"), "{}", out(&o));
        // A FIFO in an included folder.
        std::fs::remove_file(repo.join("common/groups")).unwrap();
        std::fs::create_dir_all(repo.join("common/groups")).unwrap();
        let fifo = repo.join("common/groups/pipe.yaml");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let (o, codes) = validate_codes(&repo, "alpha");
        assert_eq!(codes, ["not-a-regular-file"], "{}", out(&o));
    }
}

#[test]
fn export_and_doctor_per_tenant() {
    let f = fleet();
    // Adopting a tenant: a plain export into its folder (signing in as it),
    // then the repo's `include:` and `connection:` added by hand.
    let bravo = f.repo.join("tenants/bravo");
    let hand = std::fs::read_to_string(bravo.join("tenant.yaml")).unwrap();
    let blocks = &hand[hand.find("include:").unwrap()..];
    std::fs::remove_dir_all(&bravo).unwrap();
    let o = entraform()
        .current_dir(&*f.repo)
        .args([
            "export",
            "--out",
            "tenants/bravo",
            "--graph-url",
            f.emu.base_url(),
        ])
        .env("AZURE_TENANT_ID", tenant_id(1))
        .env("AZURE_CLIENT_ID", app_id(1))
        .env("AZURE_CLIENT_SECRET", secret(1))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    let exported = std::fs::read_to_string(bravo.join("tenant.yaml")).unwrap();
    std::fs::write(bravo.join("tenant.yaml"), format!("{exported}{blocks}")).unwrap();
    // export --tenant: --out is the repo root; the tenant's folder is replaced,
    // its include: and connection: kept (and used to sign in).
    let o = f.run(
        &["export", "--tenant", "bravo", "--out", ".", "--force"],
        None,
    );
    assert!(o.status.success(), "{}", out(&o));
    let t = std::fs::read_to_string(f.repo.join("tenants/bravo/tenant.yaml")).unwrap();
    assert!(
        t.contains("include: [\"../../common/groups\"]")
            && t.contains(&format!("  tenant_id: \"{}\"", tenant_id(1)))
            && t.contains("  client_secret_env: \"ENTRAFORM_TEST_BRAVO_SECRET\""),
        "{t}"
    );
    // The other tenants are untouched.
    assert!(
        std::fs::read_to_string(f.repo.join("tenants/alpha/users.yaml"))
            .unwrap()
            .contains("Manager")
    );
    // Planned again from the export: only the shared group is left to create.
    let o = f.run(&["plan", "--tenant", "bravo", "--detailed-exitcode"], None);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        out(&o).contains("shared-staff") && !out(&o).contains("jobTitle"),
        "{}",
        out(&o)
    );
    // doctor for every tenant, each signing in as itself.
    let mut cmd = entraform();
    cmd.current_dir(&*f.repo).args([
        "doctor",
        "--all-tenants",
        "--read-only",
        "--graph-url",
        f.emu.base_url(),
    ]);
    for (i, name) in NAMES.iter().enumerate() {
        let p = format!("ENTRAFORM_TEST_{}", name.to_uppercase());
        cmd.env(format!("{p}_CLIENT_ID"), app_id(i))
            .env(format!("{p}_SECRET"), secret(i));
    }
    let o = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    for name in NAMES {
        assert!(
            text.contains(&format!("==> tenant {name} (")),
            "{}",
            out(&o)
        );
    }
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn saved_plans_per_tenant_are_applied_for_all_tenants() {
    let f = fleet();
    std::fs::create_dir_all(f.repo.join("plans")).unwrap();
    let o = f.run(
        &["plan", "--all-tenants", "--out", "plans/{tenant}.json"],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    for name in NAMES {
        let saved: Value = serde_json::from_slice(
            &std::fs::read(f.repo.join(format!("plans/{name}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(saved["tenant"], name);
    }
    // Each tenant applies its own plan file; a second plan is empty.
    let o = f.run(
        &[
            "apply",
            "plans/{tenant}.json",
            "--all-tenants",
            "--auto-approve",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        text.matches("is current: 2 operations").count(),
        3,
        "{text}"
    );
    let o = f.run(&["plan", "--all-tenants", "--detailed-exitcode"], None);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // validate --all-tenants --format json: one document, each tenant's inside.
    let o = f.run(&["validate", "--all-tenants", "--format", "json"], None);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    assert_eq!(doc["command"], "validate");
    for (t, name) in doc["tenants"].as_array().unwrap().iter().zip(NAMES) {
        assert_eq!(t["tenant"], name);
        assert_eq!(t["output"]["errors"], 0, "{t}");
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_lets_the_tenants_finish_and_still_prints_the_summary() {
    let f = fleet();
    for t in f.tenants() {
        t.set_faults(graph_emulator::FaultConfig {
            latency_ms: 400,
            ..graph_emulator::FaultConfig::default()
        });
    }
    let mut cmd = entraform();
    cmd.current_dir(&*f.repo)
        .args(["plan", "--all-tenants", "--graph-url", f.emu.base_url()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for (i, name) in NAMES.iter().enumerate() {
        let p = format!("ENTRAFORM_TEST_{}", name.to_uppercase());
        cmd.env(format!("{p}_CLIENT_ID"), app_id(i))
            .env(format!("{p}_SECRET"), secret(i));
    }
    let child = cmd.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    // SIGINT to the fan-out process alone (a terminal would send it to the children too).
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for name in NAMES {
        assert!(row(&text, name).contains("0 ok"), "{text}");
    }
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("interrupted: waiting for the tenants"),
        "{}",
        out(&o)
    );
}

#[test]
fn reconcile_all_tenants_reverts_each_and_reports_per_tenant() {
    let f = fleet();
    let o = f.run(
        &[
            "reconcile",
            "--all-tenants",
            "--unattended",
            "--detailed-exitcode",
            "--report",
            "drift-{tenant}.md",
        ],
        None,
    );
    // Drift everywhere (Ann's title, the shared group): exit 2, reverted in each.
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    for (i, name) in NAMES.iter().enumerate() {
        assert!(f.repo.join(format!("drift-{name}.md")).is_file(), "{name}");
        let s = f.tenants()[i].state();
        assert!(
            s.groups
                .iter()
                .any(|g| g.properties.get("displayName").and_then(Value::as_str)
                    == Some("shared-staff")),
            "{name}"
        );
        let r = row(&String::from_utf8_lossy(&o.stdout), name);
        assert!(r.contains("2 changes"), "{r}");
    }
    let o = f.run(
        &[
            "reconcile",
            "--all-tenants",
            "--unattended",
            "--detailed-exitcode",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}
