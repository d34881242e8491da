//! Writes Graph refuses, through the binary: a 400 or 403 fails its step with
//! Graph's code and message, skips only the steps that depend on it, lets the
//! independent ones finish, and the exit code (1) and the journal say so. A 404
//! on a removal or a delete (already gone) counts as done.

#![cfg(unix)]

use std::fmt::Write as _;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use entraform::emulator::{FaultConfig, Seed};
use entraform::graph::{AuthConfig, ClientOptions, Cloud, Credential, GraphClient, Request};

use crate::cli_support::{self, Tenant, out, tempdir};
use crate::stall_proxy::{Stall, StallProxy};

const APP: &str = "11111111-1111-4111-8111-111111111111";
const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";
const HELPDESK_ADMIN: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

/// u0 (Global Administrator), u1, u2 (manager u0), u3 (Helpdesk Administrator);
/// group `team` with u0 and u3.
fn seed() -> Seed {
    let mut y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: {APP}\n    permissions: [{}]\nusers:\n",
        entraform::live::permissions::recommended_grants().join(", ")
    );
    for i in 0..4 {
        let _ = write!(
            y,
            "  - userPrincipalName: u{i}@contoso.com\n    displayName: U{i}\n    mailNickname: u{i}\n    accountEnabled: true\n"
        );
        if i == 2 {
            y.push_str("    manager: u0@contoso.com\n");
        }
    }
    y.push_str("groups:\n  - displayName: team\n    mailNickname: team\n    securityEnabled: true\n    mailEnabled: false\n    members: [u0@contoso.com, u3@contoso.com]\n");
    let _ = write!(
        y,
        "roleAssignments:\n  - principalId: u0@contoso.com\n    roleDefinitionId: {GLOBAL_ADMIN}\n  - principalId: u3@contoso.com\n    roleDefinitionId: {HELPDESK_ADMIN}\n"
    );
    Seed::parse(&y).expect("seed")
}

/// Run `apply` through a proxy holding its first write (the first request whose
/// bytes contain `trigger`); `meanwhile` runs while it is held.
fn apply_with_a_pause(
    t: &Tenant,
    repo: &std::path::Path,
    journal: &std::path::Path,
    trigger: &str,
    meanwhile: impl FnOnce(),
) -> Output {
    let proxy = StallProxy::start(t.emu.base_url(), trigger, Stall::HoldRequest);
    let mut child = cli_support::command_via(
        t,
        &proxy.url(),
        &[
            "apply",
            repo.to_str().unwrap(),
            "--auto-approve",
            "--journal",
            journal.to_str().unwrap(),
        ],
        &[],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let start = Instant::now();
    while !proxy.tripped() {
        if child.try_wait().unwrap().is_some() {
            panic!(
                "apply ended early:\n{}",
                out(&child.wait_with_output().unwrap())
            );
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no write sent");
        std::thread::sleep(Duration::from_millis(5));
    }
    meanwhile();
    proxy.release();
    child.wait_with_output().unwrap()
}

fn journal(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("journal line"))
        .collect()
}

fn line<'a>(j: &'a [serde_json::Value], op: &str, object: &str) -> &'a serde_json::Value {
    j.iter()
        .find(|v| v["op"] == op && v["object"] == object)
        .unwrap_or_else(|| panic!("no journal line for {op} {object}: {j:#?}"))
}

#[test]
fn refused_writes_fail_in_graphs_words_and_skip_only_their_dependants() {
    let t = cli_support::tenant_from(seed());
    let dir = tempdir("refusals");
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    // bad@fabrikam.com: the repo allows the domain, the tenant has not verified it (400).
    // u2 gets Helpdesk Administrator: role writes are denied below (403).
    std::fs::write(
        repo.join("repo.yaml"),
        "tenant:\n  domain: contoso.com\n  domains: [fabrikam.com]\nusers:\n  - upn: u0\n    displayName: U0\n  - upn: u1\n    displayName: U1\n    jobTitle: Engineer\n  - upn: u2\n    displayName: U2\n    roles: [Helpdesk Administrator]\n  - upn: u3\n    displayName: U3\n    roles: [Helpdesk Administrator]\n  - upn: bad@fabrikam.com\n    displayName: Bad\n    manager: u0\n    groups: [team]\n  - upn: ok\n    displayName: Ok\n    groups: [team]\ngroups:\n  - name: team\n    membership: additive\n",
    )
    .unwrap();
    let journal_file = dir.join("journal.jsonl");
    // The tenant is read with every permission; from the first write on, the
    // app may no longer write role assignments (as if the grant was withdrawn).
    let o = apply_with_a_pause(&t, &repo, &journal_file, "POST /v1.0/$batch", || {
        t.emu.set_faults(FaultConfig {
            deny_paths: vec!["/roleManagement".into()],
            ..FaultConfig::default()
        })
    });
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("3 done, 2 failed, 2 skipped"), "{text}");
    // Graph's words: status, code and message.
    assert!(
        text.contains("The domain portion of the userPrincipalName property is invalid"),
        "{text}"
    );
    assert!(
        text.contains("Authorization_RequestDenied")
            && text.contains("Insufficient privileges to complete the operation"),
        "{text}"
    );
    let j = journal(&journal_file);
    let create = line(&j, "create_user", "bad@fabrikam.com");
    assert_eq!(create["status"], "failed");
    let e = create["error"].as_str().unwrap();
    assert!(e.contains("400") && e.contains("userPrincipalName"), "{e}");
    let role = line(&j, "assign_role", "role:Helpdesk Administrator");
    assert_eq!(role["status"], "failed");
    assert!(
        role["error"]
            .as_str()
            .unwrap()
            .contains("Authorization_RequestDenied"),
        "{role}"
    );
    for op in ["set_manager", "add_member"] {
        let skipped = j
            .iter()
            .find(|v| v["op"] == op && v["status"] == "skipped")
            .unwrap_or_else(|| panic!("{op} not skipped: {j:#?}"));
        assert_eq!(skipped["because_of"], create["step"], "{skipped}");
    }
    assert_eq!(line(&j, "update_user", "u1@contoso.com")["status"], "done");
    assert_eq!(line(&j, "create_user", "ok@contoso.com")["status"], "done");
    assert_eq!(j.len(), 7, "{j:#?}");
    // The tenant agrees: the independent changes are in, the refused ones are not.
    let (ok, bad) = t.emu.with_tenant(|x| {
        (
            x.resolve_user("ok@contoso.com").is_some(),
            x.resolve_user("bad@fabrikam.com").is_some(),
        )
    });
    assert!(ok && !bad);
}

#[test]
fn a_404_on_a_removal_or_a_delete_counts_as_done() {
    let t = cli_support::tenant_from(seed());
    let dir = tempdir("gone");
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    // u1 leaves (deleted), u2 loses its manager, u3 leaves `team` and loses its role.
    std::fs::write(
        repo.join("repo.yaml"),
        "tenant:\n  domain: contoso.com\n  absent_users: delete\nusers:\n  - upn: u0\n    displayName: U0\n  - upn: u2\n    displayName: U2\n    manager: null\n  - upn: u3\n    displayName: U3\ngroups:\n  - name: team\n    members: [u0]\nroles:\n  - role: Helpdesk Administrator\n    principals: []\n",
    )
    .unwrap();
    let journal_file = dir.join("journal.jsonl");
    let ids = t.emu.with_tenant(|x| {
        let user = |u: &str| x.resolve_user(u).unwrap();
        let team = x
            .group_names
            .iter()
            .find(|(n, _)| n == "team")
            .map(|(_, id)| id.clone())
            .unwrap();
        let assignment = x
            .assignments
            .iter()
            .find(|(_, a)| a.principal_id == user("u3@contoso.com"))
            .map(|(id, _)| id.clone())
            .unwrap();
        (
            user("u1@contoso.com"),
            user("u2@contoso.com"),
            user("u3@contoso.com"),
            team,
            assignment,
        )
    });
    let (u1, u2, u3, team, assignment) = ids;
    // Between the plan and its first write, someone else makes every change.
    let o = apply_with_a_pause(&t, &repo, &journal_file, r#""method":"DELETE""#, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let auth = AuthConfig {
            tenant_id: t.emu.tenant_id(),
            client_id: APP.into(),
            cloud: Cloud::custom(t.emu.base_url()).unwrap(),
            credential: Credential::Bearer(t.emu.issue_token(APP).into()),
        };
        let c = GraphClient::new(auth, ClientOptions::default()).unwrap();
        for path in [
            format!("/users/{u1}"),
            format!("/users/{u2}/manager/$ref"),
            format!("/groups/{team}/members/{u3}/$ref"),
            format!("/roleManagement/directory/roleAssignments/{assignment}"),
        ] {
            let req = Request::new(reqwest::Method::DELETE, path.clone());
            rt.block_on(c.send(&req))
                .unwrap_or_else(|e| panic!("DELETE {path}: {e}"));
        }
        t.emu.reset_metrics();
    });
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("4 done, 0 failed, 0 skipped"), "{text}");
    let j = journal(&journal_file);
    assert_eq!(j.len(), 4, "{j:#?}");
    for v in &j {
        assert_eq!(v["status"], "done", "{v}");
    }
    for op in [
        "delete_user",
        "remove_manager",
        "remove_member",
        "remove_role",
    ] {
        assert!(j.iter().any(|v| v["op"] == op), "{op}: {j:#?}");
    }
    // Graph did answer 404 to each of them.
    let m = t.emu.metrics();
    let not_found: u64 = m
        .by_status
        .iter()
        .filter(|(s, _)| **s == 404)
        .map(|(_, n)| *n)
        .sum();
    assert!(not_found >= 4, "{:?}", m.by_status);
}
