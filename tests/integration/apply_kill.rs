//! Kill `entraform apply` with SIGKILL mid-run: the journal records what was
//! done, and the next plan + apply converges.

#![cfg(unix)]

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use graph_emulator::{BackgroundEmulator, EmulatorConfig, FaultConfig, Seed};

const APP: &str = "11111111-1111-4111-8111-111111111111";

fn tempdir(name: &str) -> crate::scratch::Scratch {
    crate::scratch::Scratch::new(&format!("kill-{name}"))
}

/// Wait until the journal has a line, i.e. apply has really started writing.
/// Signalling on a timer instead (the apply may still be reading the tenant on
/// a loaded machine) made these tests flaky. Fails if the apply ends first or
/// never writes.
fn wait_for_first_journal_line(child: &mut std::process::Child, journal: &std::path::Path) {
    let start = Instant::now();
    loop {
        let lines = std::fs::read_to_string(journal)
            .map(|s| s.lines().count())
            .unwrap_or(0);
        if lines > 0 {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("apply ended ({status}) before writing its journal");
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "apply wrote no journal line in 5 minutes"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A tenant of `existing` users and `groups` groups, a repo adding `new` users and
/// making everyone a member of every group; returns (emulator, repo dir).
fn setup(
    name: &str,
    existing: usize,
    new: usize,
    groups: usize,
) -> (BackgroundEmulator, crate::scratch::Scratch) {
    let mut y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: {APP}\n    permissions: [{}]\nusers:\n",
        entraform::live::permissions::recommended_grants().join(", ")
    );
    for i in 0..existing {
        let _ = write!(
            y,
            "  - userPrincipalName: u{i}@contoso.com\n    displayName: U{i}\n    mailNickname: u{i}\n    accountEnabled: true\n"
        );
    }
    y.push_str("groups:\n");
    for g in 0..groups {
        let _ = write!(
            y,
            "  - displayName: team-{g}\n    mailNickname: team-{g}\n    securityEnabled: true\n    mailEnabled: false\n"
        );
    }
    y.push_str("roleAssignments:\n  - principalId: u0@contoso.com\n    roleDefinitionId: 62e90394-69f5-4237-9190-012177145e10\n");
    let emu =
        BackgroundEmulator::start(Seed::parse(&y).unwrap(), EmulatorConfig::default()).unwrap();
    let dir = tempdir(name);
    let mut r = String::from(
        "tenant:\n  domain: contoso.com\n  safety:\n    max_changes: 100000\nusers:\n",
    );
    for i in 0..existing + new {
        let _ = write!(r, "  - upn: u{i}\n    displayName: U{i}\n");
    }
    r.push_str("groups:\n");
    let members: Vec<String> = (0..existing + new).map(|i| format!("u{i}")).collect();
    for g in 0..groups {
        let _ = write!(
            r,
            "  - name: team-{g}\n    members: [{}]\n",
            members.join(", ")
        );
    }
    std::fs::write(dir.join("repo.yaml"), r).unwrap();
    (emu, dir)
}

#[test]
fn ctrl_c_finishes_requests_in_flight_and_sends_no_new_ones() {
    // 60,000 member additions: 3,000 `members@odata.bind` PATCHes of 20, in
    // 150 `$batch` POSTs, several rounds at 100 ms each.
    let (users, groups) = (3000, 20);
    let (emu, dir) = setup("int", users, 0, groups);
    let journal_dir = tempdir("int-journal");
    let journal = journal_dir.join("journal.jsonl");
    let token = emu.issue_token(APP);
    emu.set_faults(FaultConfig {
        latency_ms: 100,
        ..FaultConfig::default()
    });
    let mut child = crate::cli_support::entraform()
        .args([
            "apply",
            dir.to_str().unwrap(),
            "--auto-approve",
            "--journal",
            journal.to_str().unwrap(),
        ])
        .args(["--graph-url", emu.base_url()])
        .env("ENTRAFORM_GRAPH_TOKEN", &token)
        .env("AZURE_TENANT_ID", emu.tenant_id())
        .env("AZURE_CLIENT_ID", APP)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first batches are answered and journalled, then interrupt.
    wait_for_first_journal_line(&mut child, &journal);
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "an interrupted apply is incomplete"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Interrupted"), "{stderr}");
    let journal_text = std::fs::read_to_string(&journal).unwrap();
    let done = journal_text
        .lines()
        .filter(|l| l.contains("\"done\""))
        .count();
    let interrupted = journal_text
        .lines()
        .filter(|l| l.contains("\"interrupted\""))
        .count();
    assert!(
        done > 0 && interrupted > 0 && done + interrupted == users * groups,
        "done {done}, interrupted {interrupted}"
    );
    // Everything recorded as done was really done (20 members per PATCH), and
    // nothing more was sent.
    assert_eq!(
        emu.metrics().batch_inner_requests as usize * 20,
        done,
        "{:?}",
        emu.metrics().by_status
    );
}

#[test]
fn sigkill_mid_apply_then_plan_and_apply_converge() {
    let (existing, new, groups) = (60, 20, 10);
    let (emu, dir) = setup("kill", existing, new, groups);
    let journal_dir = tempdir("journal");
    let journal = journal_dir.join("journal.jsonl");

    let token = emu.issue_token(APP);
    let cmd = |args: &[&str]| {
        let mut c = crate::cli_support::entraform();
        c.args(args)
            .args(["--graph-url", emu.base_url()])
            .env("ENTRAFORM_GRAPH_TOKEN", &token)
            .env("AZURE_TENANT_ID", emu.tenant_id())
            .env("AZURE_CLIENT_ID", APP)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    // Slow the tenant down so the kill lands mid-run (820 operations, ~40 batches, 200 ms each).
    emu.set_faults(FaultConfig {
        latency_ms: 200,
        ..FaultConfig::default()
    });
    let mut child = cmd(&[
        "apply",
        dir.to_str().unwrap(),
        "--auto-approve",
        "--journal",
        journal.to_str().unwrap(),
    ])
    .spawn()
    .unwrap();
    wait_for_first_journal_line(&mut child, &journal);
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "apply finished before it could be killed"
    );
    let journal_text = std::fs::read_to_string(&journal).unwrap();
    let recorded = journal_text.lines().count();
    assert!(
        recorded > 0 && recorded < (new + groups * (existing + new)),
        "journal has {recorded} lines"
    );
    for line in journal_text.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).expect("every journal line is complete JSON");
        assert!(v["status"].is_string() && v["op"].is_string());
    }

    emu.set_faults(FaultConfig::default());
    let o = cmd(&["plan", dir.to_str().unwrap(), "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "changes remain after the kill");
    let o = cmd(&["apply", dir.to_str().unwrap(), "--auto-approve"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "the second apply finishes the job"
    );
    let o = cmd(&["plan", dir.to_str().unwrap(), "--detailed-exitcode"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "converged");
}
