//! Files entraform writes: never through a symbolic link, and private (0600 files,
//! 0700 state directory) when they hold directory data.

#![cfg(unix)]

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Output;

use crate::cli_support::{self, NEW_HIRE, out, tempdir, tenant};

/// The binary with the example tenant started in-process (`--emulator`).
fn run_with_emulator(args: &[&str]) -> Output {
    let mut cmd = cli_support::entraform();
    cmd.args(args).args(["--emulator", "examples/seed.yaml"]);
    cmd.output().expect("run entraform")
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

/// Every file below `dir`, with its bytes (to prove nothing changed there).
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all.extend(snapshot(&p));
        } else {
            all.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    all.sort();
    all
}

#[test]
fn export_force_never_writes_through_a_link_to_a_file() {
    let d = tempdir("export-link-file");
    let outside = d.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("precious.yaml"), "not yours\n").unwrap();
    let repo = d.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    symlink(outside.join("precious.yaml"), repo.join("tenant.yaml")).unwrap();
    let o = run_with_emulator(&["export", "--out", repo.to_str().unwrap(), "--force"]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("tenant.yaml is a symbolic link") && text.contains("precious.yaml"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(outside.join("precious.yaml")).unwrap(),
        "not yours\n"
    );
    // Checked before anything is written: no half-written repo.
    assert_eq!(std::fs::read_dir(&repo).unwrap().count(), 1, "{text}");
}

#[test]
fn export_force_never_writes_into_a_linked_folder() {
    let d = tempdir("export-link-dir");
    let outside = d.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("engineering.yaml"), "not yours\n").unwrap();
    let before = snapshot(&outside);
    let repo = d.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    symlink(&outside, repo.join("users")).unwrap();
    let o = run_with_emulator(&["export", "--out", repo.to_str().unwrap(), "--force"]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("users is a symbolic link"), "{text}");
    assert_eq!(snapshot(&outside), before, "nothing written outside --out");
    assert!(!repo.join("tenant.yaml").exists(), "{text}");

    // Without the link, --force replaces an earlier export's files and keeps the rest.
    std::fs::remove_file(repo.join("users")).unwrap();
    std::fs::write(
        repo.join("tenant.yaml"),
        format!("{}old\n", entraform::export::HEADER),
    )
    .unwrap();
    std::fs::write(repo.join("notes.txt"), "mine\n").unwrap();
    let o = run_with_emulator(&["export", "--out", repo.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        std::fs::read_to_string(repo.join("tenant.yaml"))
            .unwrap()
            .contains("domain: contoso.com")
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("notes.txt")).unwrap(),
        "mine\n"
    );
    assert!(repo.join("users/engineering.yaml").is_file());
    let leftovers: Vec<_> = snapshot(&repo)
        .into_iter()
        .filter(|(p, _)| p.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn plan_journal_and_state_dir_are_private() {
    let t = tenant("examples/seed.yaml");
    let d = tempdir("private-files");
    let plan_file = d.join("plan.json");
    let state = d.join("state/entraform");
    let o = cli_support::run(
        &t,
        &[
            "plan",
            "examples/desired-state",
            "--out",
            plan_file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        mode(&plan_file),
        0o600,
        "the saved plan holds directory data"
    );

    // A journal that exists with a loose mode is narrowed; a new one is created 0600.
    let journal = d.join("journal.jsonl");
    std::fs::write(&journal, "").unwrap();
    std::fs::set_permissions(&journal, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = cli_support::run(
        &t,
        &[
            "apply",
            "examples/desired-state",
            "--auto-approve",
            "--journal",
            journal.to_str().unwrap(),
            "--state-dir",
            state.to_str().unwrap(),
        ],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(std::fs::read_to_string(&journal).unwrap().lines().count() > 0);
    assert_eq!(mode(&journal), 0o600);
    // apply creates the state dir (taking the lock there) before anything else: 0700.
    assert_eq!(mode(&state), 0o700);
    for e in std::fs::read_dir(&state).unwrap() {
        let p = e.unwrap().path();
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }

    // The drift report lists directory values too: private as well.
    let report = d.join("drift.md");
    let o = cli_support::run(
        &t,
        &[
            "reconcile",
            "examples/desired-state",
            "--dry-run",
            "--report",
            report.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(std::fs::read_to_string(&report).unwrap().contains("drift"));
    assert_eq!(
        mode(&report),
        0o600,
        "the drift report holds directory data"
    );
}

#[test]
fn a_journal_that_is_a_link_is_refused_before_anything_is_sent() {
    let t = tenant("examples/seed.yaml");
    let d = tempdir("journal-link");
    let victim = d.join("victim");
    std::fs::write(&victim, "keep\n").unwrap();
    let journal = d.join("journal.jsonl");
    symlink(&victim, &journal).unwrap();
    let o = cli_support::run(
        &t,
        &[
            "apply",
            "examples/desired-state",
            "--auto-approve",
            "--journal",
            journal.to_str().unwrap(),
        ],
        &[NEW_HIRE],
    );
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("symbolic link"), "{text}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep\n");
    assert_eq!(cli_support::writes(&t), 0);
}
