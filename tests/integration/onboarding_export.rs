//! Issue #13 §5, export safely: `--force` replaces an earlier export
//! completely (and only it), `tenant.yaml` gets gates that hold for the
//! tenant's size, and disabled accounts left out never become deletions.

use std::path::Path;
use std::process::Output;

use crate::cli_support::{bare, out, tempdir};

const SEED: &str = "examples/seed.yaml";

fn export(out_dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "export",
        "--out",
        out_dir.to_str().unwrap(),
        "--emulator",
        SEED,
    ];
    args.extend_from_slice(extra);
    bare(&args, &[]).output().unwrap()
}

fn plan(repo: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["plan", repo.to_str().unwrap(), "--emulator", SEED];
    args.extend_from_slice(extra);
    bare(&args, &[]).output().unwrap()
}

/// Every file below `dir` (relative path, bytes), following nothing.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                pending.push(p);
            } else {
                let bytes = if m.is_file() {
                    std::fs::read(&p).unwrap()
                } else {
                    b"<link>".to_vec()
                };
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                all.push((rel, bytes));
            }
        }
    }
    all.sort();
    all
}

fn names(dir: &Path) -> Vec<String> {
    tree(dir).into_iter().map(|(n, _)| n).collect()
}

#[test]
fn exporting_again_with_another_split_replaces_the_earlier_export() {
    let d = tempdir("export-replace");
    let repo = d.join("repo");
    let o = export(&repo, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(repo.join("users/engineering.yaml").is_file());

    let o = export(&repo, &["--split-by", "domain", "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        names(&repo),
        [
            "groups.yaml",
            "roles.yaml",
            "tenant.yaml",
            "users/contoso.com.yaml",
            "users/contoso.onmicrosoft.com.yaml"
        ]
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("note: removed 5 files of the earlier export"),
        "{}",
        out(&o)
    );
    // The repo is valid and still plans to zero changes.
    let v = bare(&["validate", repo.to_str().unwrap()], &[])
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", out(&v));
    let p = plan(&repo, &["--detailed-exitcode"]);
    assert_eq!(p.status.code(), Some(0), "{}", out(&p));

    // And back to one users.yaml: the users/ folder goes once it is empty.
    let o = export(&repo, &["--split-by", "none", "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        names(&repo),
        ["groups.yaml", "roles.yaml", "tenant.yaml", "users.yaml"]
    );
    assert!(!repo.join("users").exists());
}

#[test]
fn a_file_no_export_wrote_is_never_overwritten_and_others_are_kept() {
    let d = tempdir("export-clash");
    let repo = d.join("repo");
    let o = export(&repo, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // Hand-written: a users.yaml where `--split-by none` would write, and a docs site.
    std::fs::write(
        repo.join("users.yaml"),
        "users:\n  - upn: mine@contoso.com\n",
    )
    .unwrap();
    std::fs::write(repo.join("mkdocs.yml"), "site_name: Contoso\n").unwrap();
    std::fs::write(repo.join("README.md"), "ours\n").unwrap();
    let before = tree(&repo);
    let o = export(&repo, &["--split-by", "none", "--force"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("refusing to overwrite a file that `entraform export` did not write")
            && err.contains(&repo.join("users.yaml").display().to_string()),
        "{err}"
    );
    assert_eq!(tree(&repo), before, "nothing written or removed");

    // Without the clash: the earlier export is replaced, the other files are kept and named.
    std::fs::remove_file(repo.join("users.yaml")).unwrap();
    let o = export(&repo, &["--split-by", "none", "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("kept 1 YAML file that no export wrote")
            && String::from_utf8_lossy(&o.stderr).contains("mkdocs.yml"),
        "{}",
        out(&o)
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("mkdocs.yml")).unwrap(),
        "site_name: Contoso\n"
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("README.md")).unwrap(),
        "ours\n"
    );
    assert!(!repo.join("users").exists());
}

#[test]
fn the_files_rule_of_the_replaced_tenant_yaml_is_kept() {
    let d = tempdir("export-files-rule");
    let repo = d.join("repo");
    assert_eq!(export(&repo, &[]).status.code(), Some(0));
    std::fs::write(repo.join("mkdocs.yml"), "site_name: Contoso\n").unwrap();
    let mut t = std::fs::read_to_string(repo.join("tenant.yaml")).unwrap();
    t.push_str("files:\n  exclude: [mkdocs.yml, \"**/*.openapi.yaml\"]\n");
    std::fs::write(repo.join("tenant.yaml"), t).unwrap();
    let o = export(&repo, &["--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let t = std::fs::read_to_string(repo.join("tenant.yaml")).unwrap();
    assert!(
        t.ends_with("files:\n  exclude: [mkdocs.yml, \"**/*.openapi.yaml\"]\n"),
        "{t}"
    );
    let v = bare(&["validate", repo.to_str().unwrap()], &[])
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", out(&v));
}

#[cfg(unix)]
#[test]
fn an_earlier_exported_file_behind_a_link_is_neither_read_nor_removed() {
    use std::os::unix::fs::symlink;
    let d = tempdir("export-stale-link");
    let repo = d.join("repo");
    assert_eq!(export(&repo, &[]).status.code(), Some(0));
    // Outside the repo, a file that looks exported; linked from where a stale file would be.
    let outside = d.join("outside.yaml");
    std::fs::write(
        &outside,
        format!("{}users: []\n", entraform::export::HEADER),
    )
    .unwrap();
    symlink(&outside, repo.join("users/old.yaml")).unwrap();
    let o = export(&repo, &["--split-by", "none", "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(outside.is_file(), "the link's target stays");
    assert!(
        std::fs::symlink_metadata(repo.join("users/old.yaml"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link is not removed either (never through a link)"
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("users/old.yaml"),
        "named as kept: {}",
        out(&o)
    );
}

/// `tenant.yaml` with `absent_users: ignore` changed to `policy`.
fn set_absent_users(repo: &Path, policy: &str) {
    let t = std::fs::read_to_string(repo.join("tenant.yaml")).unwrap();
    let t = t.replace("absent_users: ignore", &format!("absent_users: {policy}"));
    std::fs::write(repo.join("tenant.yaml"), t).unwrap();
}

#[test]
fn the_exported_gates_hold_for_a_small_tenant_and_say_what_they_do() {
    let d = tempdir("export-gates");
    let repo = d.join("repo");
    assert_eq!(export(&repo, &[]).status.code(), Some(0));
    let t = std::fs::read_to_string(repo.join("tenant.yaml")).unwrap();
    for line in [
        "    max_deletes: 3      # most users one plan may delete (--allow-mass-deletes)",
        "    max_disables: 5     # most users one plan may disable (--allow-mass-disables)",
        "    max_changes: 25     # most operations of any kind in one plan (--allow-mass-changes)",
        "    min_tenant_size: 0  # the limits apply whatever the number of users",
    ] {
        assert!(t.contains(line), "{line}\n{t}");
    }
    assert!(
        t.contains("Counts chosen for the 39 users owned at export"),
        "{t}"
    );
    // The gates apply to the 39 users owned (the default min_tenant_size, 50, would switch them off).
    let p = plan(&repo, &[]);
    assert_eq!(p.status.code(), Some(0), "{}", out(&p));
    let text = String::from_utf8_lossy(&p.stdout);
    assert!(!text.contains("not applied"), "{text}");
    assert!(text.contains("0 deletions of at most 3"), "{text}");

    // Six people disabled in one change (none holds a role): the gate stops it.
    let roles = std::fs::read_to_string(repo.join("roles.yaml")).unwrap();
    let mut disabled = 0;
    for f in names(&repo).iter().filter(|f| f.starts_with("users/")) {
        let path = repo.join(f);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines = Vec::new();
        for line in text.lines() {
            lines.push(line.to_string());
            if let Some(upn) = line.strip_prefix("  - upn: ")
                && disabled < 6
                && !roles.contains(upn)
            {
                lines.push("    enabled: false".to_string());
                disabled += 1;
            }
        }
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    }
    assert_eq!(disabled, 6);
    let p = plan(&repo, &[]);
    assert_eq!(p.status.code(), Some(3), "{}", out(&p));
    assert!(
        String::from_utf8_lossy(&p.stdout).contains("6 disables exceed the limit of 5"),
        "{}",
        out(&p)
    );
}

#[test]
fn disabled_accounts_left_out_never_become_deletions() {
    let d = tempdir("export-disabled");
    let repo = d.join("repo");
    assert_eq!(export(&repo, &[]).status.code(), Some(0));
    let t = std::fs::read_to_string(repo.join("tenant.yaml")).unwrap();
    assert!(
        t.contains("# Disabled accounts (5), not exported: excluded so that no `absent_users`")
            && t.contains("      - aaron.abbott@contoso.com\n"),
        "{t}"
    );
    for policy in ["delete", "disable"] {
        set_absent_users(&repo, policy);
        let p = plan(&repo, &["--detailed-exitcode", "--format", "json"]);
        assert_eq!(p.status.code(), Some(0), "{policy}: {}", out(&p));
        let plan: serde_json::Value = serde_json::from_slice(&p.stdout).unwrap();
        assert_eq!(plan["steps"], serde_json::json!([]), "{policy}: {plan:#}");
        let t = std::fs::read_to_string(repo.join("tenant.yaml")).unwrap();
        std::fs::write(
            repo.join("tenant.yaml"),
            t.replace(&format!("absent_users: {policy}"), "absent_users: ignore"),
        )
        .unwrap();
    }
}
