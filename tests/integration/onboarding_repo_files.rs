//! Issue #13 §5, which files are the repo: another tool's YAML is one clear
//! `not-a-directory-file` error, and the `files:` rule of `tenant.yaml`
//! leaves files and folders out (not read, not in the digest).

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::cli_support::{NEW_HIRE, bare, out, root, run, tempdir, tenant};

/// A copy of the example repo in `dir`.
fn example_repo(dir: &Path) {
    let src = root().join("examples/desired-state");
    let mut pending = vec![src.clone()];
    while let Some(d) = pending.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(&src).unwrap();
            if p.is_dir() {
                std::fs::create_dir_all(dir.join(rel)).unwrap();
                pending.push(p);
            } else {
                std::fs::copy(&p, dir.join(rel)).unwrap();
            }
        }
    }
}

fn validate_json(dir: &Path) -> (Option<i32>, Value) {
    let o = bare(
        &["validate", dir.to_str().unwrap(), "--format", "json"],
        &[],
    )
    .output()
    .unwrap();
    let doc = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out(&o)));
    (o.status.code(), doc)
}

/// The example's tenant.yaml with its `files:` rule (if any) replaced by `rule`.
fn set_rule(dir: &Path, rule: &str) {
    let t = std::fs::read_to_string(dir.join("tenant.yaml")).unwrap();
    let at = t.find("\nfiles:\n").unwrap_or(t.len());
    std::fs::write(dir.join("tenant.yaml"), format!("{}\n{rule}", &t[..at])).unwrap();
}

const MKDOCS: &str =
    "site_name: Contoso directory\nnav:\n  - Home: index.md\ntheme:\n  name: material\n";

#[test]
fn another_tools_yaml_is_one_error_naming_its_keys_and_the_fix() {
    let d = tempdir("repo-files-foreign");
    example_repo(&d);
    set_rule(&d, "");
    std::fs::write(d.join("mkdocs.yml"), MKDOCS).unwrap();
    let (code, doc) = validate_json(&d);
    assert_eq!(code, Some(1), "{doc:#}");
    let diags = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "one error, not one per key: {doc:#}");
    let e = &diags[0];
    assert_eq!(e["code"], "not-a-directory-file");
    assert_eq!(e["location"]["line"], 1);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("its top-level keys (`site_name`, `nav`, `theme`) are none of entraform's"),
        "{e}"
    );
    assert!(
        e["help"]
            .as_str()
            .unwrap()
            .contains("`files: { exclude: [mkdocs.yml] }`"),
        "{e}"
    );
    // A typo of one of entraform's keys stays a typo (with its suggestion).
    std::fs::write(d.join("mkdocs.yml"), "user:\n  - upn: x\n").unwrap();
    let (code, doc) = validate_json(&d);
    assert_eq!(code, Some(1));
    assert_eq!(doc["diagnostics"][0]["code"], "unknown-key", "{doc:#}");
}

#[cfg(unix)]
#[test]
fn files_exclude_leaves_files_and_folders_out_whatever_they_hold() {
    let d = tempdir("repo-files-exclude");
    example_repo(&d);
    set_rule(
        &d,
        "files:\n  exclude: [mkdocs.yml, docs, \"**/*.openapi.yaml\"]\n",
    );
    std::fs::write(d.join("mkdocs.yml"), MKDOCS).unwrap();
    std::fs::create_dir_all(d.join("docs/api")).unwrap();
    std::fs::write(d.join("docs/api/hr.yaml"), "openapi: 3.0.3\n").unwrap();
    std::fs::write(d.join("users/feed.openapi.yaml"), "openapi: 3.0.3\n").unwrap();
    // In an excluded folder even a FIFO or a link out of the repo is not looked at.
    let fifo = d.join("docs/pipe.yaml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    std::os::unix::fs::symlink("/etc/passwd", d.join("docs/passwd.yaml")).unwrap();
    let (code, doc) = validate_json(&d);
    assert_eq!(code, Some(0), "{doc:#}");
    let o = bare(&["validate", d.to_str().unwrap()], &[])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .contains("valid — 40 users, 8 groups, 5 roles in 8 files"),
        "{}",
        out(&o)
    );

    // Excluded files are not part of the repo's digest: a saved plan stays current when they change.
    let t = tenant("examples/seed.yaml");
    let plan_file = d.join("plan.json");
    let o = run(
        &t,
        &[
            "plan",
            d.to_str().unwrap(),
            "--out",
            plan_file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    std::fs::write(d.join("mkdocs.yml"), "site_name: Renamed\n").unwrap();
    std::fs::write(d.join("docs/api/hr.yaml"), "openapi: 3.1.0\n").unwrap();
    let o = run(
        &t,
        &[
            "apply",
            plan_file.to_str().unwrap(),
            "--dir",
            d.to_str().unwrap(),
            "--auto-approve",
        ],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("is current: 31 operations in 2 waves."),
        "{}",
        out(&o)
    );
}

#[test]
fn files_include_reads_only_what_it_names() {
    let d = tempdir("repo-files-include");
    example_repo(&d);
    set_rule(&d, "files:\n  include: [users, groups, roles.yaml]\n");
    std::fs::create_dir_all(d.join("drafts")).unwrap();
    std::fs::write(d.join("drafts/broken.yaml"), "users: [ not closed\n").unwrap();
    std::fs::write(d.join("mkdocs.yml"), MKDOCS).unwrap();
    let (code, doc) = validate_json(&d);
    assert_eq!(code, Some(0), "{doc:#}");
    // tenant.yaml, which holds the rule, is always part of the repo.
    set_rule(&d, "files:\n  exclude: [\"**\"]\n");
    let o = validate_human(&d);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("valid — 0 users, 0 groups, 0 roles in 1 file"),
        "{}",
        out(&o)
    );
}

fn validate_human(dir: &Path) -> Output {
    bare(&["validate", dir.to_str().unwrap()], &[])
        .output()
        .unwrap()
}

#[test]
fn a_misplaced_rule_or_a_bad_pattern_is_an_error_in_place() {
    let d = tempdir("repo-files-bad");
    example_repo(&d);
    set_rule(
        &d,
        "files:\n  exclude: [mkdocs.yml, \"../elsewhere\", \"a/**b\"]\n",
    );
    let (code, doc) = validate_json(&d);
    assert_eq!(code, Some(1), "{doc:#}");
    let diags = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 2, "{doc:#}");
    for d in diags {
        assert_eq!(d["code"], "invalid-value", "{d}");
        assert!(
            d["location"]["file"]
                .as_str()
                .unwrap()
                .ends_with("tenant.yaml")
        );
    }
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("`../elsewhere` is not a pattern: `..` leaves the repo"),
        "{doc:#}"
    );

    set_rule(&d, "");
    std::fs::write(
        d.join("users/rules.yaml"),
        "users: []\nfiles:\n  exclude: [mkdocs.yml]\n",
    )
    .unwrap();
    let o = validate_human(&d);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "error[unknown-key]: `files` is read only from tenant.yaml at the root of the repo"
        ) && err.contains("users/rules.yaml:2:1"),
        "{err}"
    );
}

#[test]
fn the_schema_knows_the_files_rule() {
    let o = bare(&["schema"], &[]).output().unwrap();
    let schema: Value = serde_json::from_slice(&o.stdout).unwrap();
    let files = &schema["properties"]["files"];
    assert_eq!(files["additionalProperties"], false, "{files:#}");
    assert_eq!(files["properties"]["exclude"]["maxItems"], 256);
}
