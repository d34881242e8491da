//! The story test of issue #17 (joiners, movers, leavers): one emulated
//! tenant, one directory repo edited PR by PR through the real binary. Each
//! PR: `plan` (text snapshot under `tests/snapshots/lifecycle_story/`),
//! `apply --auto-approve`, then an empty plan. The PRs: a joiner (licence,
//! TAP, two groups), a mover (rename, manager, department), an expiring
//! membership, a leaver (the offboarding policy — also removing the TAP she
//! joined with — then the deletion 31 days
//! later), an invited guest; then `export` round-trips the tenant. No secret
//! (TAP, passwords) appears in any output at trace level, plan file or
//! journal; the writes of each apply are counted.

use std::path::{Path, PathBuf};

use graph_emulator::Seed;
use serde_json::{Value, json};

use crate::cli_support::{Tenant, out, run, tempdir, tenant_from, writes};

const APP: &str = "11111111-1111-4111-8111-111111111111";
const SP: &str = "22222222-2222-4222-8222-222222222222";
const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
const MARIA: &str = "0c000000-0000-4000-8000-000000000002";
const OMAR: &str = "0c000000-0000-4000-8000-000000000003";
const GUEST_UPN: &str = "ana_fabrikam.com#EXT#@contoso.onmicrosoft.com";

/// contoso: an admin, two managers, four groups, ENTERPRISEPACK with 3 seats
/// (one used by maria); entraform's app holds every permission and its
/// service principal is User Administrator (password resets).
fn tenant() -> Tenant {
    let y = format!(
        "tenant:\n  domains: [contoso.com, contoso.onmicrosoft.com]\napplications:\n  - appId: {APP}\n    servicePrincipalId: {SP}\n    permissions: all\nusers:\n  - {{ id: 0c000000-0000-4000-8000-000000000001, userPrincipalName: admin@contoso.com, displayName: Admin, mailNickname: admin }}\n  - {{ id: {MARIA}, userPrincipalName: maria@contoso.com, displayName: Maria, mailNickname: maria, usageLocation: US }}\n  - {{ id: {OMAR}, userPrincipalName: omar@contoso.com, displayName: Omar, mailNickname: omar }}\ngroups:\n  - {{ id: 0c000000-0000-4000-8000-0000000000a1, displayName: team, mailNickname: team, securityEnabled: true }}\n  - {{ id: 0c000000-0000-4000-8000-0000000000a2, displayName: sales, mailNickname: sales, securityEnabled: true }}\n  - {{ id: 0c000000-0000-4000-8000-0000000000a3, displayName: projects, mailNickname: projects, securityEnabled: true }}\n  - {{ id: 0c000000-0000-4000-8000-0000000000a4, displayName: partners, mailNickname: partners, securityEnabled: true }}\nroleAssignments:\n  - {{ principalId: 0c000000-0000-4000-8000-000000000001, roleDefinitionId: Global Administrator }}\n  - {{ principalId: {SP}, roleDefinitionId: {USER_ADMINISTRATOR} }}\nsubscribedSkus:\n  - {{ skuId: {E3}, skuPartNumber: ENTERPRISEPACK, enabled: 3 }}\nlicenseAssignments:\n  - {{ principal: {MARIA}, sku: ENTERPRISEPACK }}\n"
    );
    tenant_from(Seed::parse(&y).expect("seed"))
}

const HEAD: &str = "\
tenant:
  domain: contoso.com
  domains: [contoso.onmicrosoft.com]
  absent_users: ignore
  safety:
    protected: [admin]
  lifecycle:
    upcoming_days: 14
    leaver:
      steps: [revoke_sessions, reset_password, remove_group_memberships, remove_licenses, remove_authentication_methods]
      delete_after: 30d
  defaults:
    usageLocation: US
users:
  - { upn: admin, displayName: Admin }
  - { upn: maria, displayName: Maria, licenses: [ENTERPRISEPACK] }
  - { upn: omar, displayName: Omar }
";

/// PR 1: the joiner.
const JOINER: &str = "  - upn: jo.smith
    displayName: Jo Smith
    department: Sales
    manager: maria
    licenses: [ENTERPRISEPACK]
    groups: [team, sales]
    onboarding:
      temporary_access_pass: { lifetime: 8h, one_time: true }
";

/// PR 2: the mover (Jo married: a new name and UPN, a move to Marketing under Omar).
const MOVER: &str = "  - upn: jo.brown
    previous_upns: [jo.smith]
    displayName: Jo Brown
    department: Marketing
    manager: omar
    licenses: [ENTERPRISEPACK]
    groups: [team, sales]
";

/// PR 4: the leaver, one line: `enabled: false`. The entry still declares
/// her groups and licence; the leaver policy wins (removes them, never
/// re-adds them) and a `leaver-overrides-declared` notice asks for the lines
/// to go (docs/decisions.md).
const LEAVER: &str = "  - upn: jo.brown
    previous_upns: [jo.smith]
    displayName: Jo Brown
    department: Marketing
    manager: omar
    licenses: [ENTERPRISEPACK]
    groups: [team, sales]
    enabled: false
";

const GROUPS: &str = "\
groups:
  - name: team
  - name: sales
  - name: partners
";

/// PR 3: a project membership that ends on 2027-01-10.
const PROJECTS: &str =
    "  - name: projects\n    members:\n      - { user: jo.brown, until: 2027-01-10 }\n";

/// The story's repo and everything it writes.
struct Story {
    t: Tenant,
    _scratch: crate::scratch::Scratch,
    creds: crate::scratch::Scratch,
    root: PathBuf,
    dir: PathBuf,
    /// Every stdout and stderr of the binary, to grep for secrets.
    outputs: Vec<String>,
    /// (snapshot path, plan text).
    snapshots: Vec<(String, String)>,
    /// Secrets read from the credentials files.
    secrets: Vec<String>,
    n: usize,
}

impl Story {
    fn new() -> Story {
        let scratch = tempdir("lifecycle-story");
        let root = scratch.to_path_buf();
        let dir = root.join("repo");
        std::fs::create_dir_all(&dir).unwrap();
        Story {
            t: tenant(),
            _scratch: scratch,
            creds: tempdir("lifecycle-story-credentials"),
            root,
            dir,
            outputs: Vec::new(),
            snapshots: Vec::new(),
            secrets: Vec::new(),
            n: 0,
        }
    }

    fn write(&self, users: &str, groups: &str) {
        std::fs::write(
            self.dir.join("repo.yaml"),
            format!("{HEAD}{users}{GROUPS}{groups}"),
        )
        .unwrap();
    }

    fn d(&self) -> &str {
        self.dir.to_str().unwrap()
    }

    /// `plan --detailed-exitcode --out` at `now`: exit 2; the text is
    /// snapshotted as `NN-name.txt`.
    fn plan_changes(&mut self, name: &str, now: &str) -> String {
        self.n += 1;
        let file = self.root.join(format!("plan-{}.json", self.n));
        let o = run(
            &self.t,
            &[
                "plan",
                self.d(),
                "--detailed-exitcode",
                "--now",
                now,
                "--out",
                file.to_str().unwrap(),
            ],
            &[],
        );
        let text = out(&o);
        self.outputs.push(text.clone());
        assert_eq!(
            o.status.code(),
            Some(2),
            "{name}: expected changes:\n{text}"
        );
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        self.snapshots.push((
            format!("tests/snapshots/lifecycle_story/{:02}-{name}.txt", self.n),
            stdout,
        ));
        text
    }

    /// `plan` at `now` (with trace logs): no changes.
    fn plan_empty(&mut self, now: &str) -> String {
        let o = run(
            &self.t,
            &["plan", self.d(), "--detailed-exitcode", "--now", now, "-vv"],
            &[("ENTRAFORM_LOG", "trace")],
        );
        let text = out(&o);
        self.outputs.push(text.clone());
        assert_eq!(
            o.status.code(),
            Some(0),
            "expected an empty plan at {now}:\n{text}"
        );
        text
    }

    /// `apply --auto-approve` at `now` with trace logs, a journal and
    /// `--credentials-out`; returns the Graph writes it made and the
    /// credentials file.
    fn apply(&mut self, now: &str) -> (u64, String) {
        self.n += 1;
        // The credentials files, the one place secrets go, live outside the
        // tree the final grep walks.
        let creds = self.creds.join(format!("credentials-{}.tsv", self.n));
        let journal = self.root.join(format!("journal-{}.jsonl", self.n));
        let before = writes(&self.t);
        let o = run(
            &self.t,
            &[
                "apply",
                self.d(),
                "--auto-approve",
                "--now",
                now,
                "--credentials-out",
                creds.to_str().unwrap(),
                "--journal",
                journal.to_str().unwrap(),
                "-vv",
            ],
            &[("ENTRAFORM_LOG", "trace")],
        );
        let text = out(&o);
        self.outputs.push(text.clone());
        assert_eq!(o.status.code(), Some(0), "apply at {now}:\n{text}");
        let creds_text = std::fs::read_to_string(&creds).unwrap_or_default();
        for l in creds_text.lines() {
            let f: Vec<&str> = l.split('\t').collect();
            if f.len() == 3 && !f[1].is_empty() {
                self.secrets.push(f[1].to_string());
            }
        }
        (writes(&self.t) - before, creds_text)
    }

    fn user(&self, upn: &str) -> Option<serde_json::Map<String, Value>> {
        self.t.emu.with_tenant(|s| {
            let id = s.upn_index.get(upn)?.clone();
            s.users.get(&id).map(|u| u.props.clone())
        })
    }

    fn id_of(&self, upn: &str) -> Option<String> {
        self.t.emu.with_tenant(|s| s.upn_index.get(upn).cloned())
    }

    fn groups_of(&self, id: &str) -> Vec<String> {
        self.t.emu.with_tenant(|s| {
            let mut names: Vec<String> = s
                .groups
                .values()
                .filter(|g| g.members.iter().any(|m| m == id))
                .filter_map(|g| g.obj.props.get("displayName")?.as_str().map(String::from))
                .collect();
            names.sort();
            names
        })
    }

    fn licences_of(&self, id: &str) -> Vec<String> {
        self.t.emu.with_tenant(|s| {
            let mut skus: Vec<String> = s
                .licenses
                .assigned
                .get(id)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            skus.sort();
            skus
        })
    }

    fn manager_of(&self, id: &str) -> Option<String> {
        self.t.emu.with_tenant(|s| s.manager.get(id).cloned())
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, files);
        } else {
            files.push(p);
        }
    }
}

fn invite(t: &Tenant) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = reqwest::Client::new()
            .post(format!("{}/v1.0/invitations", t.emu.base_url()))
            .bearer_auth(&t.token)
            .json(&json!({"invitedUserEmailAddress": "ana@fabrikam.com", "inviteRedirectUrl": "https://myapps.microsoft.com", "invitedUserDisplayName": "Ana (Fabrikam)"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        r.json().await.unwrap()
    })
}

#[test]
fn joiner_mover_expiring_membership_leaver_guest_and_export_round_trip() {
    let mut s = Story::new();

    // PR 1, the joiner: created with a licence, a TAP, two groups, a manager.
    let day1 = "2026-12-01T09:00:00Z";
    s.write(JOINER, "");
    let text = s.plan_changes("joiner", day1);
    for needle in [
        "create user",
        "issue temporary access pass (480 minutes, one-time; written to --credentials-out only)",
        "ENTERPRISEPACK: 1 of 3 seats used before the plan, 2 after",
    ] {
        assert!(text.contains(needle), "joiner: missing `{needle}`:\n{text}");
    }
    let (w, creds) = s.apply(day1);
    // One Graph write per planned operation.
    assert_eq!(w, 8, "joiner apply writes");
    let pass = creds
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 3 && f[0] == "jo.smith@contoso.com" && f[2] == "temporary-access-pass")
                .then(|| f[1].to_string())
        })
        .unwrap_or_else(|| panic!("no TAP in --credentials-out: {creds}"));
    assert!(pass.len() >= 8);
    // The initial password (`pending` record) and the pass.
    assert_eq!(s.secrets.len(), 2, "{creds}");
    let jo = s.id_of("jo.smith@contoso.com").expect("jo created");
    assert_eq!(s.groups_of(&jo), vec!["sales", "team"]);
    assert_eq!(s.licences_of(&jo), vec![E3.to_string()]);
    assert_eq!(s.manager_of(&jo).as_deref(), Some(MARIA));
    s.plan_empty(day1);

    // PR 2, the mover: renamed in place, new manager and department; the
    // object, its groups and licence are kept.
    let day2 = "2026-12-05T09:00:00Z";
    s.write(MOVER, "");
    let text = s.plan_changes("mover", day2);
    assert!(
        text.contains("~ userPrincipalName: jo.smith@contoso.com → jo.brown@contoso.com"),
        "{text}"
    );
    assert!(
        !text.contains("create user") && !text.contains("delete user"),
        "{text}"
    );
    let (w, _) = s.apply(day2);
    // One Graph write per planned operation.
    assert_eq!(w, 3, "mover apply writes");
    assert_eq!(
        s.id_of("jo.brown@contoso.com").as_deref(),
        Some(jo.as_str())
    );
    assert!(s.id_of("jo.smith@contoso.com").is_none());
    let u = s.user("jo.brown@contoso.com").unwrap();
    assert_eq!(u["department"], "Marketing");
    assert_eq!(u["displayName"], "Jo Brown");
    assert_eq!(s.manager_of(&jo).as_deref(), Some(OMAR));
    assert_eq!(s.groups_of(&jo), vec!["sales", "team"]);
    assert_eq!(s.licences_of(&jo), vec![E3.to_string()]);
    s.plan_empty(day2);

    // PR 3, an expiring membership: added, announced before its end, removed
    // by the first plan after it.
    let day3 = "2027-01-01T09:00:00Z";
    s.write(MOVER, PROJECTS);
    let text = s.plan_changes("membership-until", day3);
    assert!(
        text.contains(
            "`jo.brown@contoso.com`'s membership of `projects` ends on 2027-01-10T00:00:00Z"
        ),
        "{text}"
    );
    let (w, _) = s.apply(day3);
    // One Graph write per planned operation.
    assert_eq!(w, 1, "membership apply writes");
    assert_eq!(s.groups_of(&jo), vec!["projects", "sales", "team"]);
    let text = s.plan_empty(day3);
    assert!(text.contains("membership of `projects` ends on"), "{text}");
    let day4 = "2027-01-10T06:00:00Z";
    let text = s.plan_changes("membership-ended", day4);
    assert!(text.contains("# group:projects"), "{text}");
    let (w, _) = s.apply(day4);
    // One Graph write per planned operation.
    assert_eq!(w, 1, "membership end apply writes");
    assert_eq!(s.groups_of(&jo), vec!["sales", "team"]);
    s.plan_empty(day4);

    // PR 4, the leaver: one line, the whole offboarding policy in one plan.
    let day5 = "2027-01-20T09:00:00Z";
    s.write(LEAVER, PROJECTS);
    let text = s.plan_changes("leaver", day5);
    assert!(
        text.contains("offboarding: 8 steps for jo.brown@contoso.com"),
        "{text}"
    );
    for needle in [
        "[leaver-overrides-declared] `jo.brown@contoso.com` is offboarded",
        "disable user",
        "reset password (random, not kept: offboarding)",
        "revoke sessions",
        "assign licences: - ENTERPRISEPACK",
        // The pass issued when she joined goes with the other sign-in methods.
        "remove authentication method: Temporary Access Pass",
    ] {
        assert!(text.contains(needle), "leaver: missing `{needle}`:\n{text}");
    }
    let (w, _) = s.apply(day5);
    // One Graph write per planned operation.
    assert_eq!(w, 8, "leaver apply writes");
    let u = s.user("jo.brown@contoso.com").unwrap();
    assert_eq!(u["accountEnabled"], Value::Bool(false));
    assert_eq!(u["employeeLeaveDateTime"], Value::String(day5.into()));
    assert!(
        u.get("signInSessionsValidFromDateTime")
            .is_some_and(Value::is_string)
    );
    assert!(s.groups_of(&jo).is_empty());
    assert!(s.licences_of(&jo).is_empty());
    let text = s.plan_empty(day5);
    assert!(!text.contains("offboarding:"), "{text}");
    // The lines still declared are named on every plan until they go.
    assert!(
        text.contains("`jo.brown@contoso.com` is offboarded: entraform removes group `sales`, group `team` and licence `ENTERPRISEPACK` from it although the repo still declares them"),
        "{text}"
    );
    // Ten days before the deletion: announced.
    let text = s.plan_empty("2027-02-09T09:00:00Z");
    assert!(
        text.contains("jo.brown@contoso.com` will be deleted on 2027-02-19"),
        "{text}"
    );
    let day6 = "2027-02-20T09:00:00Z";
    let text = s.plan_changes("leaver-deleted", day6);
    assert!(text.contains("delete user"), "{text}");
    let (w, _) = s.apply(day6);
    // One Graph write per planned operation.
    assert_eq!(w, 1, "deletion apply writes");
    assert!(s.id_of("jo.brown@contoso.com").is_none());
    s.plan_empty(day6);

    // PR 5, a guest: invited (the emulator's POST /invitations), then declared
    // under its #EXT# UPN and put in a group.
    let v = invite(&s.t);
    assert_eq!(v["invitedUser"]["userPrincipalName"], GUEST_UPN);
    let guest = v["invitedUser"]["id"].as_str().unwrap().to_string();
    s.write(
        &format!("{LEAVER}  - upn: \"{GUEST_UPN}\"\n    displayName: Ana (Fabrikam)\n    userType: Guest\n    groups: [partners]\n"),
        PROJECTS,
    );
    let text = s.plan_changes("guest", day6);
    assert!(text.contains("# group:partners"), "{text}");
    let (w, _) = s.apply(day6);
    // One Graph write per planned operation.
    assert_eq!(w, 2, "guest apply writes");
    assert_eq!(s.groups_of(&guest), vec!["partners"]);
    s.plan_empty(day6);

    // Export the tenant: the exported repo plans empty.
    let exported = s.root.join("exported");
    let o = run(&s.t, &["export", "--out", exported.to_str().unwrap()], &[]);
    s.outputs.push(out(&o));
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let o = run(
        &s.t,
        &[
            "plan",
            exported.to_str().unwrap(),
            "--detailed-exitcode",
            "--now",
            day6,
        ],
        &[],
    );
    s.outputs.push(out(&o));
    assert_eq!(
        o.status.code(),
        Some(0),
        "the exported repo plans changes:\n{}",
        out(&o)
    );
    let mut files = Vec::new();
    walk(&exported, &mut files);
    let all: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    // maria's direct licence is exported (and the round trip above is empty
    // with it declared).
    for needle in [GUEST_UPN, "userType: Guest", "omar", "partners"] {
        assert!(all.contains(needle), "export lacks `{needle}`:\n{all}");
    }
    let maria: String = all
        .lines()
        .skip_while(|l| *l != "  - upn: maria@contoso.com")
        .take_while(|l| *l == "  - upn: maria@contoso.com" || !l.starts_with("  - "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        maria.ends_with("    licenses:\n      - ENTERPRISEPACK\n"),
        "maria's direct licence is not exported:\n{all}"
    );
    assert_eq!(all.matches("licenses:").count(), 1, "{all}");

    // No secret anywhere: outputs (trace level), plan files, journals, the
    // repos. The offboarding reset password is kept nowhere (the emulator
    // drops passwords too): no Graph password body may show up either.
    let mut files = Vec::new();
    walk(&s.root, &mut files);
    let mut places: Vec<(String, String)> = files
        .iter()
        .map(|f| {
            (
                f.display().to_string(),
                String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned(),
            )
        })
        .collect();
    assert!(places.iter().any(|(p, _)| p.contains("journal-")));
    assert!(places.iter().any(|(p, _)| p.contains("plan-")));
    places.extend(
        s.outputs
            .iter()
            .enumerate()
            .map(|(i, o)| (format!("output {i}"), o.clone())),
    );
    for secret in &s.secrets {
        for (what, text) in &places {
            assert!(!text.contains(secret.as_str()), "a secret is in {what}");
        }
    }
    for (what, text) in &places {
        assert!(
            !text.contains("passwordProfile"),
            "a password field is in {what}: {}",
            text.find("assword").map_or("", |i| &text
                [i.saturating_sub(200)..(i + 200).min(text.len())])
        );
    }

    crate::snapshot_support::check_files("lifecycle_story", &s.snapshots);
}
