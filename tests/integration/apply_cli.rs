//! `entraform apply` through the real binary against the emulator over HTTP.

use crate::cli_support;

use cli_support::{NEW_HIRE, out, root, run, tempdir, tenant, writes};

#[test]
fn apply_converges_and_a_second_apply_is_a_no_op() {
    let t = tenant("examples/seed.yaml");
    let o = run(
        &t,
        &["apply", "examples/desired-state", "--auto-approve"],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("31 done, 0 failed, 0 skipped"),
        "{}",
        out(&o)
    );
    // 31 operations in 2 waves (16 and 15): 2 `$batch` POSTs, not 31 requests.
    assert_eq!(
        t.emu.metrics().by_route.get("POST /$batch"),
        Some(&2),
        "{:?}",
        t.emu.metrics().by_route
    );
    let o = run(
        &t,
        &["plan", "examples/desired-state", "--detailed-exitcode"],
        &[],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "after apply the plan must be empty:\n{}",
        out(&o)
    );
    t.emu.reset_metrics();
    let o = run(
        &t,
        &["apply", "examples/desired-state", "--auto-approve"],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(out(&o).contains("No changes"), "{}", out(&o));
    assert_eq!(
        writes(&t),
        0,
        "the second apply wrote: {:?}",
        t.emu.metrics().by_route
    );
    assert!(!out(&o).contains(NEW_HIRE.1));
}

#[test]
fn without_a_terminal_or_auto_approve_apply_refuses() {
    let t = tenant("examples/seed.yaml");
    let o = run(&t, &["apply", "examples/desired-state"], &[NEW_HIRE]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("--auto-approve"), "{}", out(&o));
    assert_eq!(writes(&t), 0);
}

#[test]
fn a_missing_password_variable_is_refused_before_anything_is_sent() {
    let t = tenant("examples/seed.yaml");
    // The new hire's password comes from an unset variable: the plan warns, apply refuses up front.
    let o = run(&t, &["plan", "examples/desired-state"], &[]);
    let text = out(&o);
    assert!(
        text.contains(
            "warning: ella.morgan@contoso.com: environment variable CONTOSO_NEWHIRE_PASSWORD"
        ),
        "{text}"
    );
    let o = run(
        &t,
        &["apply", "examples/desired-state", "--auto-approve"],
        &[],
    );
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("CONTOSO_NEWHIRE_PASSWORD") && text.contains("is not set"),
        "{text}"
    );
    assert!(text.contains("nothing was applied"), "{text}");
    assert_eq!(writes(&t), 0, "refused before the first write");
    let o = run(
        &t,
        &["apply", "examples/desired-state", "--auto-approve"],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let o = run(
        &t,
        &["plan", "examples/desired-state", "--detailed-exitcode"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn generated_passwords_appear_only_in_the_credentials_file() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("pw");
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(
        repo.join("tenant.yaml"),
        "tenant:\n  domain: contoso.com\n  domains: [contoso.onmicrosoft.com]\nusers:\n  - upn: zoe.new\n    displayName: Zoe New\n    password: generate\n",
    )
    .unwrap();
    let creds = dir.join("creds.tsv");
    let journal = dir.join("journal.jsonl");
    let args = [
        "apply",
        repo.to_str().unwrap(),
        "--auto-approve",
        "--credentials-out",
        creds.to_str().unwrap(),
        "--journal",
        journal.to_str().unwrap(),
        "-vvv",
    ];
    let o = run(&t, &args, &[("ENTRAFORM_LOG", "trace")]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let ledger = std::fs::read_to_string(&creds).expect("credentials written");
    let records: Vec<Vec<&str>> = ledger
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(records.len(), 2, "{records:?}");
    let (upn, password) = (records[0][0], records[0][1]);
    assert_eq!(records[0][2], "pending");
    assert_eq!(records[1], ["zoe.new@contoso.com", "confirmed"]);
    assert_eq!(upn, "zoe.new@contoso.com");
    assert!(password.len() >= 16);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(
        !out(&o).contains(password),
        "password in stdout/stderr at trace level"
    );
    assert!(
        !std::fs::read_to_string(&journal)
            .unwrap()
            .contains(password),
        "password in the journal"
    );
    assert!(
        !format!("{:?}", t.emu.state()).contains(password),
        "the emulator must not keep passwords"
    );
    // The credentials file is never overwritten: a second run appends to it.
    std::fs::write(
        repo.join("more.yaml"),
        "users:\n  - upn: yan.new\n    displayName: Yan New\n",
    )
    .unwrap();
    let o = run(&t, &args, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let after = std::fs::read_to_string(&creds).unwrap();
    assert!(after.starts_with(&ledger), "earlier records kept");
    assert!(after.contains("yan.new@contoso.com\tconfirmed"), "{after}");
}

#[test]
fn a_saved_plan_is_applied_exactly_and_a_stale_one_is_refused() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("saved");
    let plan_file = dir.join("plan.json");
    let o = run(
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
    let o = run(
        &t,
        &[
            "apply",
            "examples/desired-state",
            "--plan",
            plan_file.to_str().unwrap(),
            "--auto-approve",
        ],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("is current: 31 operations"), "{}", out(&o));
    let o = run(
        &t,
        &["plan", "examples/desired-state", "--detailed-exitcode"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // Applying the same saved plan again: it was applied, and apply says so.
    t.emu.reset_metrics();
    let o = run(
        &t,
        &[
            "apply",
            "examples/desired-state",
            "--plan",
            plan_file.to_str().unwrap(),
            "--auto-approve",
        ],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("already applied: the tenant already matches this plan"),
        "{}",
        out(&o)
    );
    assert_eq!(writes(&t), 0, "an applied plan must not write anything");
}

#[test]
fn a_saved_plan_for_another_repo_is_refused() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("digest");
    let repo = dir.join("repo");
    copy_dir(&root().join("examples/desired-state"), &repo);
    let plan_file = dir.join("plan.json");
    let o = run(
        &t,
        &[
            "plan",
            repo.to_str().unwrap(),
            "--out",
            plan_file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    std::fs::write(
        repo.join("late-change.yaml"),
        "users:\n  - upn: zed.late\n    displayName: Zed Late\n",
    )
    .unwrap();
    let o = run(
        &t,
        &[
            "apply",
            repo.to_str().unwrap(),
            "--plan",
            plan_file.to_str().unwrap(),
            "--auto-approve",
        ],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("directory repo changed"), "{}", out(&o));
    assert_eq!(writes(&t), 0);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}
