//! `entraform export` through the real binary: the exported repo validates
//! and plans to zero changes against the tenant it came from; the export of
//! the example tenant is snapshot-tested (`tests/snapshots/export/`, blessed
//! as `snapshot_support` explains) and byte-stable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use graph_emulator::{Seed, SyntheticSpec};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tempdir(name: &str) -> crate::scratch::Scratch {
    crate::scratch::Scratch::new(&format!("export-{name}"))
}

fn run(args: &[&str]) -> Output {
    let mut cmd = crate::cli_support::entraform();
    cmd.args(args);
    cmd.output().expect("run entraform")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Every file below `dir`, by `/`-separated relative path.
fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn export_to(dir: &Path, seed: &str, extra: &[&str]) {
    let d = dir.to_str().unwrap();
    let mut args = vec!["export", "--out", d, "--emulator", seed];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(code(&o), 0, "export failed:\n{}", text(&o));
}

fn assert_round_trip(dir: &Path, seed: &str) {
    let d = dir.to_str().unwrap();
    let o = run(&["validate", d]);
    assert_eq!(code(&o), 0, "validate failed:\n{}", text(&o));
    let o = run(&["plan", d, "--emulator", seed, "--detailed-exitcode"]);
    assert_eq!(code(&o), 0, "plan is not empty:\n{}", text(&o));
}

#[test]
fn example_tenant_round_trips_and_matches_the_snapshot() {
    let seed = "examples/seed.yaml";
    let a = tempdir("seed-a");
    let out = a.join("repo");
    export_to(&out, seed, &[]);
    assert_round_trip(&out, seed);

    // Byte-stable: a second export is identical.
    let b = tempdir("seed-b");
    export_to(&b.join("repo"), seed, &[]);
    let first = read_tree(&out);
    assert_eq!(first, read_tree(&b.join("repo")));

    // No secret of the seed (the emulator's client secret) is written anywhere.
    for (path, body) in &first {
        assert!(
            !body.contains("emulator-only-secret"),
            "{path} holds a secret"
        );
    }

    // Compared with tests/snapshots/export/ (see `snapshot_support` for how to bless).
    crate::snapshot_support::check_tree("export_roundtrip", "tests/snapshots/export", &first);
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn options_round_trip_too() {
    let seed = "examples/seed.yaml";
    for (name, extra) in [
        (
            "disabled-none",
            &["--include-disabled", "--split-by", "none"][..],
        ),
        (
            "domain-exclude",
            &[
                "--split-by",
                "domain",
                "--exclude",
                "breakglass@contoso.onmicrosoft.com,amelia.hart@contoso.com",
            ][..],
        ),
        (
            "filter",
            &[
                "--users",
                "startswith(userPrincipalName,'a') and accountEnabled eq true",
            ][..],
        ),
    ] {
        let d = tempdir(name);
        let out = d.join("repo");
        export_to(&out, seed, extra);
        assert_round_trip(&out, seed);
        let files = read_tree(&out);
        match name {
            "disabled-none" => {
                assert!(files.contains_key("users.yaml"));
                assert!(files["users.yaml"].contains("enabled: false"));
            }
            "domain-exclude" => {
                assert!(
                    files.contains_key("users/contoso.com.yaml"),
                    "{:?}",
                    files.keys()
                );
                assert!(!files["users/contoso.com.yaml"].contains("upn: amelia.hart"));
                assert!(files["tenant.yaml"].contains("exclude:"));
            }
            _ => {
                let users: String = files
                    .iter()
                    .filter(|(p, _)| p.starts_with("users/"))
                    .map(|(_, b)| b.as_str())
                    .collect();
                assert!(users.contains("upn: amelia.hart@contoso.com"));
                assert!(!users.contains("upn: tomas.novak"));
            }
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}

#[test]
fn refuses_a_non_empty_directory_without_force() {
    let d = tempdir("force");
    std::fs::write(d.join("keep.txt"), "mine").unwrap();
    let dir = d.to_str().unwrap();
    let o = run(&["export", "--out", dir, "--emulator", "examples/seed.yaml"]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("not empty"), "{}", text(&o));
    assert!(!d.join("tenant.yaml").exists());
    let o = run(&[
        "export",
        "--out",
        dir,
        "--emulator",
        "examples/seed.yaml",
        "--force",
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(d.join("tenant.yaml").exists());
    assert_eq!(std::fs::read_to_string(d.join("keep.txt")).unwrap(), "mine");
    let o = run(&[
        "export",
        "--out",
        d.join("x").to_str().unwrap(),
        "--emulator",
        "examples/seed.yaml",
        "--users",
        "endswith(mail,'x')",
    ]);
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(
        text(&o).contains("unsupported --users filter"),
        "{}",
        text(&o)
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn ten_thousand_user_tenant_round_trips() {
    let d = tempdir("synthetic");
    let seed = Seed::synthetic(SyntheticSpec {
        users: 10_000,
        groups: 100,
        memberships: 20_000,
        rng_seed: 8,
    });
    let seed_path = d.join("seed.json");
    std::fs::write(&seed_path, serde_json::to_string(&seed).unwrap()).unwrap();
    let seed_path = seed_path.to_str().unwrap();
    let out = d.join("repo");
    export_to(&out, seed_path, &[]);
    assert_round_trip(&out, seed_path);
    let files = read_tree(&out);
    let declared: usize = files
        .iter()
        .filter(|(p, _)| p.starts_with("users/"))
        .map(|(_, b)| b.matches("\n  - upn: ").count())
        .sum();
    // Users with i % 17 == 5 are disabled and not exported.
    assert_eq!(
        declared,
        10_000 - (0..10_000).filter(|i| i % 17 == 5).count()
    );
    assert!(files["groups.yaml"].contains("dynamic: true"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn every_flag_has_an_environment_variable() {
    let d = tempdir("env");
    let out = d.join("repo");
    let mut cmd = crate::cli_support::entraform();
    cmd.arg("export");
    let o = cmd
        .env("ENTRAFORM_EXPORT_OUT", &out)
        .env("ENTRAFORM_EMULATOR", "examples/seed.yaml")
        .env("ENTRAFORM_EXPORT_SPLIT_BY", "none")
        .env("ENTRAFORM_EXPORT_USERS", "department eq 'Finance'")
        .env("ENTRAFORM_EXPORT_EXCLUDE", "peter.walsh@contoso.com")
        .env("ENTRAFORM_EXPORT_INCLUDE_DISABLED", "true")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", text(&o));
    let files = read_tree(&out);
    assert!(files["users.yaml"].contains("upn: rachel.stein@contoso.com"));
    assert!(!files["users.yaml"].contains("upn: peter.walsh"));
    assert!(!files["users.yaml"].contains("upn: amelia.hart"));
    assert!(files["tenant.yaml"].contains("- peter.walsh@contoso.com"));
    assert_round_trip(&out, "examples/seed.yaml");
    // ENTRAFORM_EXPORT_FORCE lets a second run write into the now non-empty directory.
    let mut again = crate::cli_support::entraform();
    let o = again
        .args(["export", "--out", out.to_str().unwrap()])
        .env("ENTRAFORM_EMULATOR", "examples/seed.yaml")
        .env("ENTRAFORM_EXPORT_FORCE", "true")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", text(&o));
    let _ = std::fs::remove_dir_all(&d);
}

/// The UPNs an exported repo declares (`- upn: …` entries), lower-cased.
fn declared_upns(files: &BTreeMap<String, String>) -> std::collections::BTreeSet<String> {
    files
        .iter()
        .filter(|(p, _)| p.starts_with("users"))
        .flat_map(|(_, body)| body.lines())
        .filter_map(|l| l.trim_start().strip_prefix("- upn: "))
        .map(|u| u.trim().to_lowercase())
        .collect()
}

/// An exported repo carries every manager link: planned against the same
/// tenant with all manager links removed, it sets exactly the links the tenant
/// had for the users it declares. (A plain round trip cannot see a dropped
/// `manager:` — an undeclared manager is simply not managed.)
#[test]
fn export_keeps_every_manager() {
    let seed_file = "examples/seed.yaml";
    let d = tempdir("managers");
    let out = d.join("repo");
    export_to(&out, seed_file, &[]);
    let files = read_tree(&out);
    let declared = declared_upns(&files);
    // Users whose manager the export leaves unmanaged, with a comment saying why.
    let mut unmanaged = std::collections::BTreeSet::new();
    let mut current = String::new();
    for line in files.values().flat_map(|b| b.lines()) {
        if let Some(u) = line.trim_start().strip_prefix("- upn: ") {
            current = u.trim().to_lowercase();
        } else if line.trim_start().starts_with("# manager") && line.contains("left unmanaged") {
            unmanaged.insert(current.clone());
        }
    }

    let seed = Seed::from_file(&root().join(seed_file)).expect("seed");
    let upn_of = |reference: &str| -> String {
        seed.users
            .iter()
            .find(|u| {
                u.id.as_deref() == Some(reference)
                    || u.properties["userPrincipalName"]
                        .as_str()
                        .is_some_and(|p| p.eq_ignore_ascii_case(reference))
            })
            .and_then(|u| u.properties["userPrincipalName"].as_str())
            .unwrap_or_else(|| panic!("manager {reference} is not a seeded user"))
            .to_lowercase()
    };
    let expected: std::collections::BTreeSet<(String, String)> = seed
        .users
        .iter()
        .filter_map(|u| {
            let upn = u.properties["userPrincipalName"].as_str()?.to_lowercase();
            let synced =
                u.properties.get("onPremisesSyncEnabled") == Some(&serde_json::json!(true));
            // Synced users are reported, never changed (a `synced-user` notice).
            (declared.contains(&upn) && !synced)
                .then(|| u.manager.as_deref().map(|m| (upn, upn_of(m))))
                .flatten()
        })
        .collect();
    assert!(
        expected.len() >= 20,
        "the example tenant has managers: {expected:?}"
    );
    // Only a manager cycle (the seed's CEO and her report) may be left out.
    let manager_of = |upn: &str| {
        expected
            .iter()
            .find(|(u, _)| u == upn)
            .map(|(_, m)| m.clone())
    };
    for u in &unmanaged {
        let mut at = manager_of(u);
        let mut hops = 0;
        while let Some(m) = at.clone().filter(|m| m != u && hops < 100) {
            at = manager_of(&m);
            hops += 1;
        }
        assert_eq!(
            at.as_deref(),
            Some(u.as_str()),
            "{u}'s manager is left unmanaged but is not in a cycle"
        );
    }
    assert_eq!(unmanaged.len(), 1, "{unmanaged:?}");
    let expected: std::collections::BTreeSet<(String, String)> = expected
        .into_iter()
        .filter(|(u, _)| !unmanaged.contains(u))
        .collect();

    let mut stripped = seed.clone();
    for u in &mut stripped.users {
        u.manager = None;
    }
    let stripped_path = d.join("no-managers.json");
    std::fs::write(&stripped_path, serde_json::to_string(&stripped).unwrap()).unwrap();
    let o = run(&[
        "plan",
        out.to_str().unwrap(),
        "--emulator",
        stripped_path.to_str().unwrap(),
        "--format",
        "json",
        // 36 managers to set: more than the export's max_changes for this tenant.
        "--allow-mass-changes",
    ]);
    assert_eq!(code(&o), 0, "{}", text(&o));
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).expect("plan JSON");
    let steps = plan["steps"].as_array().unwrap();
    let set: std::collections::BTreeSet<(String, String)> = steps
        .iter()
        .filter(|s| s["op"] == "set_manager")
        .map(|s| {
            (
                s["user"]["upn"].as_str().unwrap().to_lowercase(),
                s["manager"]["upn"].as_str().unwrap().to_lowercase(),
            )
        })
        .collect();
    assert_eq!(
        set, expected,
        "set_manager operations vs the tenant's manager links"
    );
    assert_eq!(
        steps.len(),
        expected.len(),
        "nothing but the manager links to restore"
    );
}
