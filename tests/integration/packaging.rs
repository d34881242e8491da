//! The packaging files a user installs from: licences, the Dockerfile, the
//! release workflow, the GitHub Action and the CI examples. What is checked
//! here is what matters for a pipeline that writes to the identity plane:
//! every third-party action pinned by commit SHA, a non-root container, a
//! release for every platform the README promises, checksums verified.

use serde_json::Value;

use crate::cli_support::root;

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Value {
    entraform::desired::yaml::to_json(&read(path)).unwrap_or_else(|e| panic!("{path}: {e:?}"))
}

/// Every `uses:` value in a workflow or action document, wherever it is nested.
fn uses(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("uses", Value::String(s)) => out.push(s.clone()),
                    _ => uses(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| uses(v, out)),
        _ => {}
    }
}

const WORKFLOWS: [&str; 5] = [
    ".github/workflows/release.yml",
    ".github/workflows/ci.yml",
    "examples/github-actions/entraform.yml",
    "examples/github-actions/entraform-reconcile.yml",
    "action.yml",
];

#[test]
fn every_action_is_pinned_by_a_full_commit_sha() {
    let mut seen = 0;
    for path in WORKFLOWS {
        let mut all = Vec::new();
        uses(&yaml(path), &mut all);
        for u in all {
            seen += 1;
            if u == "./" {
                continue; // this repository's own action, at the commit being tested
            }
            let (_, rev) = u
                .split_once('@')
                .unwrap_or_else(|| panic!("{path}: `{u}` has no @ref"));
            assert!(
                rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()),
                "{path}: `{u}` is not pinned by a full commit SHA"
            );
        }
    }
    assert!(seen >= 10, "only {seen} `uses:` found: the walk is broken");
}

#[test]
fn licences_match_the_manifest() {
    let manifest = read("Cargo.toml");
    assert!(manifest.contains("license = \"MIT OR Apache-2.0\""));
    assert!(read("LICENSE-MIT").starts_with("MIT License"));
    let apache = read("LICENSE-APACHE");
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0, January 2004"));
    assert!(apache.contains("END OF TERMS AND CONDITIONS"));
}

#[test]
fn the_container_is_multi_stage_non_root_and_runs_the_binary() {
    let text = read("Dockerfile");
    let froms: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(froms.len(), 2, "a build stage and a final stage: {froms:?}");
    assert!(froms[0].ends_with(" AS build"));
    assert!(text.contains("cargo build --release --locked"));
    let user = text
        .lines()
        .filter_map(|l| l.strip_prefix("USER "))
        .next_back()
        .expect("a USER line");
    let uid = user.split(':').next().unwrap_or_default();
    assert!(
        uid.parse::<u32>().is_ok_and(|n| n != 0),
        "final user must be a numeric non-root uid, got {user}"
    );
    assert!(text.contains("ENTRYPOINT [\"/usr/local/bin/entraform\"]"));
    // What the build stage copies exists (a missing path fails `docker build`).
    for line in text
        .lines()
        .filter(|l| l.starts_with("COPY ") && !l.contains("--from"))
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        for src in &parts[1..parts.len() - 1] {
            assert!(root().join(src).exists(), "Dockerfile copies missing {src}");
        }
    }
    let ignore = read(".dockerignore");
    assert!(ignore.lines().any(|l| l.trim_end_matches('/') == "target"));
}

#[test]
fn releases_cover_the_promised_platforms_with_checksums() {
    let wf = yaml(".github/workflows/release.yml");
    assert!(
        wf["on"]["push"]["tags"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    let targets: Vec<&str> = wf["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .expect("matrix")
        .iter()
        .filter_map(|e| e["target"].as_str())
        .collect();
    for t in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(targets.contains(&t), "no release for {t}");
    }
    let text = read(".github/workflows/release.yml");
    assert!(text.contains("sha256sum --check SHA256SUMS"));
    // The action installs exactly those targets and verifies the checksum.
    let action = read("action.yml");
    for t in targets {
        assert!(action.contains(t), "action.yml does not install {t}");
    }
    assert!(action.contains("checksum mismatch"));
    let a = yaml("action.yml");
    assert_eq!(a["inputs"]["version"]["required"], true);
    assert_eq!(a["runs"]["using"], "composite");
}

#[test]
fn the_release_binary_is_stripped() {
    let manifest = read("Cargo.toml");
    let release = manifest
        .split("[profile.release]")
        .nth(1)
        .and_then(|s| s.split("\n[").next())
        .expect("a [profile.release] section");
    assert!(release.contains("strip = true"), "{release}");
}
