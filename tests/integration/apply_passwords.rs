//! New users' passwords survive `kill -9`: each one is in the credentials file
//! (flushed) before its create is sent, and the next run lists the users whose
//! creation was never confirmed, with what to do. Without `--credentials-out`,
//! `--state-dir` keeps a password-less record so the next run can say whose
//! password is unknown.

#![cfg(unix)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use graph_emulator::{BackgroundEmulator, EmulatorConfig, Seed};

use crate::stall_proxy::{Stall, StallProxy};

const APP: &str = "11111111-1111-4111-8111-111111111111";
const NEW: usize = 12;

/// A tenant with 5 users and a group; a repo adding `NEW` users (generated
/// passwords) and putting everyone in the group.
fn setup(name: &str) -> (BackgroundEmulator, crate::scratch::Scratch) {
    let mut y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: {APP}\n    permissions: [{}]\nusers:\n",
        entraform::live::permissions::recommended_grants().join(", ")
    );
    for i in 0..5 {
        let _ = write!(
            y,
            "  - userPrincipalName: u{i}@contoso.com\n    displayName: U{i}\n    mailNickname: u{i}\n    accountEnabled: true\n"
        );
    }
    y.push_str("groups:\n  - displayName: team\n    mailNickname: team\n    securityEnabled: true\n    mailEnabled: false\n");
    // u0 is the tenant's Global Administrator (the repo keeps it so).
    y.push_str("roleAssignments:\n  - principalId: u0@contoso.com\n    roleDefinitionId: 62e90394-69f5-4237-9190-012177145e10\n");
    let emu =
        BackgroundEmulator::start(Seed::parse(&y).unwrap(), EmulatorConfig::default()).unwrap();
    let dir = crate::scratch::Scratch::new(&format!("passwords-{name}"));
    let mut r =
        String::from("tenant:\n  domain: contoso.com\n  safety:\n    max_changes: 1000\nusers:\n");
    let mut members = Vec::new();
    for i in 0..5 {
        let _ = write!(r, "  - upn: u{i}\n    displayName: U{i}\n");
        members.push(format!("u{i}"));
    }
    for i in 0..NEW {
        let _ = write!(r, "  - upn: n{i}\n    displayName: N{i}\n");
        members.push(format!("n{i}"));
    }
    let _ = write!(
        r,
        "groups:\n  - name: team\n    members: [{}]\n",
        members.join(", ")
    );
    std::fs::create_dir_all(dir.join("repo")).unwrap();
    std::fs::write(dir.join("repo/repo.yaml"), r).unwrap();
    (emu, dir)
}

fn command(emu: &BackgroundEmulator, graph_url: &str, args: &[&str]) -> Command {
    let mut c = crate::cli_support::entraform();
    c.args(args)
        .args(["--graph-url", graph_url])
        .env("ENTRAFORM_GRAPH_TOKEN", emu.issue_token(APP))
        .env("AZURE_TENANT_ID", emu.tenant_id())
        .env("AZURE_CLIENT_ID", APP)
        .stdin(Stdio::null());
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn new_users_in_tenant(emu: &BackgroundEmulator) -> Vec<String> {
    emu.with_tenant(|t| {
        t.upn_index
            .keys()
            .filter(|u| u.starts_with('n'))
            .cloned()
            .collect()
    })
}

/// Start `apply` through a proxy that drops every answer from the first
/// `$batch` carrying a user creation on: Graph creates the users, the binary
/// never hears back. Once all `NEW` users exist, `kill -9` it.
fn apply_and_kill_after_the_creates(emu: &BackgroundEmulator, args: &[&str]) -> Output {
    let proxy = StallProxy::start(
        emu.base_url(),
        r#""method":"POST","url":"/users""#,
        Stall::DropAnswers,
    );
    let mut child = command(emu, &proxy.url(), args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while new_users_in_tenant(emu).len() < NEW {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "apply ended ({status}) before its creates were applied:\n{}",
                text(&out)
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the creates never reached the tenant (proxy tripped: {})",
            proxy.tripped()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(proxy.tripped());
    child.kill().unwrap(); // SIGKILL, while it waits for Graph's answer
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    out
}

fn records(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

#[test]
fn kill_9_mid_apply_leaves_every_password_and_the_next_run_lists_the_unconfirmed() {
    let (emu, dir) = setup("kill");
    let repo = dir.join("repo");
    let creds = dir.join("creds.tsv");
    let state = dir.join("state");
    let args = [
        "apply",
        repo.to_str().unwrap(),
        "--auto-approve",
        "--credentials-out",
        creds.to_str().unwrap(),
        "--state-dir",
        state.to_str().unwrap(),
    ];
    apply_and_kill_after_the_creates(&emu, &args);

    // Every user Graph created has its password in the file, written before the create.
    let created = new_users_in_tenant(&emu);
    assert_eq!(created.len(), NEW);
    let recs = records(&creds);
    for upn in &created {
        let pending: Vec<_> = recs.iter().filter(|r| &r[0] == upn).collect();
        assert_eq!(pending.len(), 1, "{upn}: {recs:?}");
        assert_eq!(pending[0].len(), 3, "{upn}: {recs:?}");
        assert_eq!(pending[0][2], "pending");
        assert_eq!(pending[0][1].len(), 20, "a generated password");
    }
    // The lock of the killed run is still there.
    assert!(state.join("entraform.lock").exists());

    // The next run (straight to the emulator) takes over the dead run's lock,
    // lists exactly the users whose creation was never confirmed, and finishes.
    let o = command(&emu, emu.base_url(), &args).output().unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("took over the stale lock") && out.contains("no longer exists"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{NEW} user(s) were created by an earlier run that stopped before Graph confirmed them"
        )),
        "{out}"
    );
    for upn in &created {
        assert!(out.contains(upn.as_str()), "{upn} not listed:\n{out}");
    }
    assert!(out.contains("Reset password"), "{out}");
    let recs = records(&creds);
    for upn in &created {
        assert!(
            recs.iter().any(|r| &r[0] == upn && r[1] == "listed"),
            "{upn}: {recs:?}"
        );
    }
    for r in recs.iter().filter(|r| r.len() == 3) {
        assert!(
            !out.contains(r[1].as_str()),
            "a password in the output:\n{out}"
        );
    }

    // Converged, and listed only once.
    let o = command(
        &emu,
        emu.base_url(),
        &["plan", repo.to_str().unwrap(), "--detailed-exitcode"],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = command(&emu, emu.base_url(), &args).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(!text(&o).contains("earlier run"), "{}", text(&o));
}

#[test]
fn without_credentials_out_the_state_dir_remembers_whose_password_is_unknown() {
    let (emu, dir) = setup("not-kept");
    let repo = dir.join("repo");
    let state = dir.join("state");
    let args = [
        "apply",
        repo.to_str().unwrap(),
        "--auto-approve",
        "--state-dir",
        state.to_str().unwrap(),
    ];
    let killed = apply_and_kill_after_the_creates(&emu, &args);
    assert!(
        text(&killed).contains("not kept anywhere"),
        "warned before sending:\n{}",
        text(&killed)
    );
    let ledger = std::fs::read_to_string(state.join("new-users.tsv")).unwrap();
    let created = new_users_in_tenant(&emu);
    for upn in &created {
        assert!(
            ledger.contains(&format!("{upn}\t\tpending")),
            "{upn}:\n{ledger}"
        );
    }
    let o = command(&emu, emu.base_url(), &args).output().unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "{NEW} user(s) were created by an earlier run without --credentials-out, so their initial password is unknown"
        )),
        "{out}"
    );
    for upn in &created {
        assert!(out.contains(upn.as_str()), "{upn} not listed:\n{out}");
    }
}

#[test]
fn a_run_without_credentials_out_names_the_users_whose_password_it_did_not_keep() {
    let (emu, dir) = setup("named");
    let repo = dir.join("repo");
    let state = dir.join("state");
    let args = [
        "apply",
        repo.to_str().unwrap(),
        "--auto-approve",
        "--state-dir",
        state.to_str().unwrap(),
    ];
    let o = command(&emu, emu.base_url(), &args).output().unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("generated passwords were not kept"), "{out}");
    for i in 0..NEW {
        assert!(out.contains(&format!("n{i}@contoso.com")), "{out}");
    }
    // The next run says it again, once: confirmed creates with unknown passwords.
    std::fs::write(
        repo.join("later.yaml"),
        "users:\n  - upn: late\n    displayName: Late\n    password: { env: LATE_PASSWORD }\n",
    )
    .unwrap();
    let o = command(&emu, emu.base_url(), &args)
        .env("LATE_PASSWORD", "Late-Hire-Pass-42!")
        .output()
        .unwrap();
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "{NEW} user(s) were created by an earlier run without --credentials-out"
        )),
        "{out}"
    );
    assert!(!out.contains("Late-Hire-Pass-42!"), "{out}");
}
