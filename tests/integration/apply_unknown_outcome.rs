//! Writes whose outcome is unknown (issue #15 §4): the emulator's
//! `commitThenFailRate` applies a write and then answers 500/503/504, also
//! inside `$batch`. `entraform apply` must treat such a write as maybe
//! applied — look before sending a create again, count a repeated create or
//! link that finds its object as done — so that ~2,000 operations under
//! 5% commit-then-fail, 10% throttling, 3% 503/504 and a replication delay
//! converge with nothing done twice and nothing reported failed, and the
//! journal and the credentials file agree with the tenant.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::cli_support::{out, run, tempdir, tenant_from};
use graph_emulator::{FaultConfig, Seed};
use serde_json::Value;

const APP: &str = "11111111-1111-4111-8111-111111111111";
const SP: &str = "11111111-0000-4000-8000-0000000000aa";
const HELPDESK: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

/// `existing` users, `teams` empty security groups.
fn seed(existing: usize, teams: usize) -> Seed {
    let mut y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: {APP}\n    servicePrincipalId: {SP}\n    permissions: [{}]\nusers:\n",
        entraform::live::permissions::recommended_grants().join(", ")
    );
    for i in 0..existing {
        let _ = write!(
            y,
            "  - userPrincipalName: u{i}@contoso.com\n    displayName: U{i}\n    mailNickname: u{i}\n    jobTitle: Engineer\n    accountEnabled: true\n"
        );
    }
    let _ = writeln!(y, "groups:");
    for g in 0..teams {
        let _ = write!(
            y,
            "  - displayName: team-{g}\n    mailNickname: team-{g}\n    securityEnabled: true\n    mailEnabled: false\n    owners: [u0@contoso.com]\n"
        );
    }
    y.push_str("roleAssignments:\n  - principalId: u0@contoso.com\n    roleDefinitionId: Global Administrator\n");
    Seed::parse(&y).expect("seed")
}

/// The repo: every existing user gets a new job title, `leavers` of them are
/// disabled, `new` users are created (generated passwords), each team gets
/// `per_team` members, `new_groups` groups are created with two owners and
/// 20 members, and `helpdesk` users become Helpdesk Administrators.
struct Shape {
    existing: usize,
    new: usize,
    teams: usize,
    per_team: usize,
    new_groups: usize,
    helpdesk: usize,
    leavers: usize,
}

impl Shape {
    fn repo(&self, dir: &Path) {
        let mut y = String::from(
            "tenant:\n  domain: contoso.com\n  absent_users: ignore\n  safety:\n    max_changes: 100000\n    max_disables: 1000\n  defaults:\n    password: generate\n",
        );
        y.push_str("users:\n");
        for i in 0..self.existing {
            let _ = write!(
                y,
                "  - upn: u{i}\n    displayName: U{i}\n    jobTitle: Senior Engineer\n"
            );
            if i >= self.existing - self.leavers {
                y.push_str("    enabled: false\n");
            }
        }
        for i in 0..self.new {
            let _ = write!(y, "  - upn: n{i}\n    displayName: N{i}\n");
        }
        y.push_str("groups:\n");
        for g in 0..self.teams {
            let members: Vec<String> = (0..self.per_team)
                .map(|k| format!("u{}", (g * 37 + k) % (self.existing - self.leavers)))
                .collect();
            let _ = write!(
                y,
                "  - name: team-{g}\n    members: [{}]\n",
                members.join(", ")
            );
        }
        for g in 0..self.new_groups {
            let members: Vec<String> = (0..20)
                .map(|k| format!("n{}", (g * 20 + k) % self.new))
                .collect();
            let _ = write!(
                y,
                "  - name: project-{g}\n    owners: [u{}, {{ servicePrincipal: self }}]\n    members: [{}]\n",
                g + 1,
                members.join(", ")
            );
        }
        y.push_str("roles:\n  - role: Helpdesk Administrator\n    principals: [");
        let helpdesk: Vec<String> = (0..self.helpdesk).map(|i| format!("u{}", i + 1)).collect();
        y.push_str(&helpdesk.join(", "));
        y.push_str("]\n");
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("repo.yaml"), y).unwrap();
    }

    fn operations(&self) -> usize {
        self.existing // update_user
            + 2 * self.leavers // disable_user + revoke_sessions
            + self.new // create_user
            + self.teams * self.per_team // add_member
            + self.new_groups * (1 + 20) // create_group + add_member
            + self.helpdesk // assign_role
    }
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn two_thousand_operations_converge_when_writes_commit_then_fail() {
    let shape = Shape {
        existing: 300,
        new: 100,
        teams: 10,
        per_team: 150,
        new_groups: 5,
        helpdesk: 30,
        leavers: 20,
    };
    let dir = tempdir("commit-then-fail");
    let repo = dir.join("repo");
    shape.repo(&repo);
    let t = tenant_from(seed(shape.existing, shape.teams));
    t.emu.set_faults(FaultConfig {
        seed: 15,
        commit_then_fail_rate: 0.05,
        throttle_rate: 0.10,
        retry_after_ms: 20,
        error_rate: 0.03,
        replication_delay_ms: 2000,
        replication_miss_rate: 0.5,
        ..FaultConfig::default()
    });
    let journal = dir.join("journal.jsonl");
    let creds = dir.join("credentials.tsv");
    let r = |p: &Path| p.to_str().unwrap().to_string();
    let o = run(
        &t,
        &[
            "apply",
            &r(&repo),
            "--auto-approve",
            "--journal",
            &r(&journal),
            "--credentials-out",
            &r(&creds),
        ],
        &[],
    );
    let m = t.emu.metrics();
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");

    // Figures for the report.
    let writes: u64 = m
        .batch_inner_by_route
        .iter()
        .filter(|(route, _)| !route.starts_with("GET "))
        .map(|(_, n)| n)
        .sum();
    println!(
        "{} operations: {} HTTP requests ({} $batch POSTs carrying {} items, {writes} of them writes); faults: {} commit-then-fail, {} throttled, {} 503/504, {} replication misses; statuses {:?}",
        shape.operations(),
        m.total_requests,
        m.by_route.get("POST /$batch").copied().unwrap_or(0),
        m.batch_inner_requests,
        m.faults.commit_then_fail,
        m.faults.throttled,
        m.faults.server_errors,
        m.faults.replication_misses,
        m.by_status,
    );
    println!("items by route: {:?}", m.batch_inner_by_route);
    // Member additions travel 20 per PATCH, so the write requests are fewer
    // than the operations; about 5% of them committed and then failed.
    assert!(
        m.faults.commit_then_fail * 100 >= writes * 3,
        "5% of {writes} write requests: {:?}",
        m.faults
    );

    // The journal: one line per step, every one done.
    let journal: Vec<Value> = lines(&journal)
        .iter()
        .map(|l| serde_json::from_str(l).expect("journal line"))
        .collect();
    assert_eq!(journal.len(), shape.operations(), "one outcome per step");
    let not_done: Vec<&Value> = journal.iter().filter(|v| v["status"] != "done").collect();
    assert!(not_done.is_empty(), "{not_done:#?}");
    let steps: BTreeSet<u64> = journal.iter().filter_map(|v| v["step"].as_u64()).collect();
    assert_eq!(steps.len(), journal.len(), "no step reported twice");

    // Nothing done twice: each new group exists once, each role assignment once.
    let state = t.emu.state();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for g in &state.groups {
        *names
            .entry(g.properties["displayName"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert!(
        names.values().all(|n| *n == 1),
        "a group was created twice: {names:?}"
    );
    assert_eq!(names.len(), shape.teams + shape.new_groups);
    let helpdesk: Vec<&str> = state
        .role_assignments
        .iter()
        .filter(|a| a.role_definition_id == HELPDESK)
        .map(|a| a.principal_id.as_str())
        .collect();
    let unique: BTreeSet<&str> = helpdesk.iter().copied().collect();
    assert_eq!(helpdesk.len(), shape.helpdesk);
    assert_eq!(unique.len(), shape.helpdesk);
    for g in state.groups.iter().filter(|g| {
        g.properties["displayName"]
            .as_str()
            .is_some_and(|n| n.starts_with("project-"))
    }) {
        assert_eq!(g.owners.len(), 2, "owners bound at creation: {g:?}");
        assert!(g.owners.iter().any(|o| o == SP));
    }

    // The credentials file: one password per new user, each confirmed, and
    // exactly the users that exist.
    let creds = lines(&creds);
    let mut pending: BTreeMap<String, usize> = BTreeMap::new();
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    for l in &creds {
        let f: Vec<&str> = l.split('\t').collect();
        if f.len() == 3 {
            assert_eq!(f[2], "pending");
            assert_eq!(f[1].chars().count(), 20, "a generated password");
            *pending.entry(f[0].to_lowercase()).or_default() += 1;
        }
        last.insert(f[0].to_lowercase(), f.last().unwrap().to_string());
    }
    let created: BTreeSet<String> = state
        .users
        .iter()
        .filter_map(|u| u.properties["userPrincipalName"].as_str())
        .filter(|u| u.starts_with('n'))
        .map(str::to_lowercase)
        .collect();
    assert_eq!(created.len(), shape.new);
    assert_eq!(
        pending.keys().cloned().collect::<BTreeSet<_>>(),
        created,
        "a password for every new user, and only for them"
    );
    assert!(
        pending.values().all(|n| *n == 1),
        "one password each: {pending:?}"
    );
    assert!(
        last.values().all(|s| s == "confirmed"),
        "every create confirmed: {:?}",
        last.iter()
            .filter(|(_, s)| *s != "confirmed")
            .collect::<Vec<_>>()
    );

    // Converged: the next plan is empty.
    t.emu.set_faults(FaultConfig::default());
    let o = run(&t, &["plan", &r(&repo), "--detailed-exitcode"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}
