//! Joiners and leavers in time (issue #17, part B) through the real binary
//! against the emulator: the leaver policy (`tenant.lifecycle.leaver`) as
//! steps of one plan, the leave time recorded in Graph, `delete_after` with
//! `--now` moved forward, leave and hire dates; every applied plan is
//! followed by an empty one, and the reset password appears nowhere.

use std::path::Path;
use std::process::Output;

use graph_emulator::Seed;
use serde_json::Value;

use crate::cli_support::lifecycle::{
    APP, SP, USER_ADMINISTRATOR, apply_at as apply, exit_code, groups_of, lifecycle_grants,
    plan_at, plan_lifecycle_example, roles_of,
};
use crate::cli_support::{Tenant, out, run, tempdir, tenant_from};

const HELPDESK_ADMINISTRATOR: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

/// A tenant: an admin, lucas (member of team, sales and alumni; Helpdesk
/// Administrator), ana; the app holds the recommended grants plus
/// `User-LifeCycleInfo.ReadWrite.All`, and User Administrator (password resets).
fn seed() -> Tenant {
    seed_with("")
}

/// [`seed`] with more seed YAML appended (licences).
fn seed_with(extra: &str) -> Tenant {
    let grants = lifecycle_grants(&[]);
    let y = format!(
        r#"tenant:
  domains: [contoso.com]
applications:
  - appId: {APP}
    servicePrincipalId: {SP}
    permissions: [{grants}]
users:
  - userPrincipalName: admin@contoso.com
    displayName: Admin
    mailNickname: admin
    accountEnabled: true
  - userPrincipalName: lucas.ferreira@contoso.com
    displayName: Lucas Ferreira
    mailNickname: lucas.ferreira
    accountEnabled: true
    usageLocation: US
  - userPrincipalName: ana@contoso.com
    displayName: Ana
    mailNickname: ana
    accountEnabled: true
groups:
  - displayName: team
    mailNickname: team
    securityEnabled: true
    mailEnabled: false
    members: [lucas.ferreira@contoso.com, ana@contoso.com]
  - displayName: sales
    mailNickname: sales
    securityEnabled: true
    mailEnabled: false
    members: [lucas.ferreira@contoso.com]
  - id: 0d000000-0000-4000-8000-0000000000a1
    displayName: alumni
    mailNickname: alumni
    securityEnabled: true
    mailEnabled: false
    members: [lucas.ferreira@contoso.com]
roleAssignments:
  - principalId: admin@contoso.com
    roleDefinitionId: 62e90394-69f5-4237-9190-012177145e10
  - principalId: {SP}
    roleDefinitionId: {USER_ADMINISTRATOR}
  - principalId: lucas.ferreira@contoso.com
    roleDefinitionId: {HELPDESK_ADMINISTRATOR}
"#
    ) + extra;
    tenant_from(Seed::parse(&y).expect("seed"))
}

const POLICY: &str = "  lifecycle:
    upcoming_days: 14
    leaver:
      steps: [revoke_sessions, reset_password, remove_group_memberships, remove_roles]
      keep_groups: [alumni]
      delete_after: 30d
";

/// The repo: the tenant block with the policy, the three users (lucas
/// `enabled` as given), `team` declaring its members.
fn repo(dir: &Path, lucas: &str, team: &str) {
    let text = format!(
        "tenant:\n  domain: contoso.com\n  absent_users: ignore\n  safety:\n    protected: [admin]\n{POLICY}users:\n  - upn: admin\n    displayName: Admin\n  - upn: lucas.ferreira\n    displayName: Lucas Ferreira\n{lucas}  - upn: ana\n    displayName: Ana\ngroups:\n  - name: team\n    members: [{team}]\n"
    );
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("repo.yaml"), text).unwrap();
}

fn plan(t: &Tenant, dir: &Path, now: &str) -> Output {
    plan_at(t, dir, now, &[])
}

fn user(t: &Tenant, upn: &str) -> Option<serde_json::Map<String, Value>> {
    t.emu.with_tenant(|s| {
        let id = s.upn_index.get(upn)?.clone();
        s.users.get(&id).map(|u| u.props.clone())
    })
}

/// GET requests the tenant received (top-level and inside `$batch`).
fn reads(t: &Tenant) -> u64 {
    let m = t.emu.metrics();
    m.by_route
        .iter()
        .filter(|(r, _)| r.starts_with("GET "))
        .map(|(_, n)| *n)
        .sum()
}

fn assert_no_changes(t: &Tenant, dir: &Path, now: &str) -> String {
    let p = plan(t, dir, now);
    let text = out(&p);
    assert_eq!(p.status.code(), Some(0), "expected an empty plan:\n{text}");
    assert!(text.contains("No changes"), "{text}");
    text
}

#[test]
fn a_leaver_pr_runs_the_offboarding_policy_then_deletes_after_the_interval() {
    let t = seed();
    let scratch = tempdir("lifecycle-leaver");
    let dir = scratch.join("repo");
    let day0 = "2026-12-01T09:00:00Z";

    // The repo as the tenant is: nothing to do.
    repo(&dir, "", "lucas.ferreira, ana");
    assert_no_changes(&t, &dir, day0);

    // The leaver PR: lucas is disabled and leaves `team`.
    repo(&dir, "    enabled: false\n", "ana");
    let text = exit_code(plan(&t, &dir, day0), 2);
    for needle in [
        "offboarding: 7 steps for lucas.ferreira@contoso.com (disable_user, 2 × remove_member, remove_role, reset_password, revoke_sessions, update_user)",
        "Lifecycle (offboarding, dates ahead):",
        "disable user",
        "reset password (random, not kept: offboarding)",
        "revoke sessions",
        "employeeLeaveDateTime",
        "2026-12-01T09:00:00Z",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    // The kept group is not touched, the others are left.
    assert!(
        text.contains("group:sales") || text.contains("sales"),
        "{text}"
    );

    let creds = scratch.join("credentials.json");
    let journal = scratch.join("journal.jsonl");
    let (writes_before, reads_before) = (crate::cli_support::writes(&t), reads(&t));
    let a = run(
        &t,
        &[
            "apply",
            dir.to_str().unwrap(),
            "--auto-approve",
            "--now",
            day0,
            "--credentials-out",
            creds.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
        ],
        &[("ENTRAFORM_LOG", "trace")],
    );
    let applied = out(&a);
    assert_eq!(a.status.code(), Some(0), "{applied}");
    // One Graph write per offboarding step; the reads are apply's usual full read.
    assert_eq!(
        crate::cli_support::writes(&t) - writes_before,
        7,
        "{applied}"
    );
    eprintln!(
        "leaver apply: {} writes, {} reads",
        crate::cli_support::writes(&t) - writes_before,
        reads(&t) - reads_before
    );

    let lucas = user(&t, "lucas.ferreira@contoso.com").expect("lucas exists");
    assert_eq!(lucas["accountEnabled"], Value::Bool(false));
    assert_eq!(
        lucas["employeeLeaveDateTime"],
        Value::String(day0.into()),
        "the disable time is recorded on the user in Graph"
    );
    assert!(
        lucas
            .get("signInSessionsValidFromDateTime")
            .is_some_and(|v| !v.is_null()),
        "sessions revoked"
    );
    assert_eq!(groups_of(&t, "lucas.ferreira@contoso.com"), vec!["alumni"]);
    assert_eq!(roles_of(&t, "lucas.ferreira@contoso.com"), 0);
    assert_eq!(groups_of(&t, "ana@contoso.com"), vec!["team"]);

    // The reset password is kept nowhere: not in the output (at trace level),
    // the journal or the credentials file (which has no entry at all).
    let journal_text = std::fs::read_to_string(&journal).unwrap_or_default();
    let creds_text = std::fs::read_to_string(&creds).unwrap_or_default();
    for (what, text) in [
        ("output", &applied),
        ("journal", &journal_text),
        ("credentials", &creds_text),
    ] {
        assert!(
            !text.contains("passwordProfile") && !text.contains("\"password\""),
            "a password in the {what}:\n{text}"
        );
    }
    assert!(!creds_text.contains("lucas"), "{creds_text}");

    // Applied: the next plan is empty.
    let before = reads(&t);
    assert_no_changes(&t, &dir, day0);
    eprintln!("plan after the leaver: {} reads", reads(&t) - before);

    // Ten days before the deletion the plan announces it, and does nothing.
    let text = assert_no_changes(&t, &dir, "2026-12-20T09:00:00Z");
    assert!(
        text.contains("lucas.ferreira@contoso.com` will be deleted on 2026-12-31"),
        "{text}"
    );

    // 30 days after leaving: deleted.
    let day30 = "2026-12-31T09:00:00Z";
    let text = exit_code(plan(&t, &dir, day30), 2);
    assert!(text.contains("delete user"), "{text}");
    let a = apply(&t, &dir, day30, &[]);
    assert_eq!(a.status.code(), Some(0), "{}", out(&a));
    assert!(user(&t, "lucas.ferreira@contoso.com").is_none());

    // The repo still declares him: he is neither restored nor created again.
    let text = assert_no_changes(&t, &dir, day30);
    assert!(
        text.contains("departed-user") || text.contains("in deleted items"),
        "{text}"
    );
    assert_no_changes(&t, &dir, "2027-03-01T00:00:00Z");
}

#[test]
fn a_passed_leave_date_offboards_and_an_upcoming_one_is_announced() {
    let t = seed();
    let scratch = tempdir("lifecycle-leave-date");
    let dir = scratch.join("repo");
    repo(
        &dir,
        "    employeeLeaveDateTime: 2026-12-15\n",
        "lucas.ferreira, ana",
    );
    // Before the date: the attribute is written, and the leave announced.
    let text = exit_code(plan(&t, &dir, "2026-12-05T00:00:00Z"), 2);
    assert!(
        text.contains("leaves on 2026-12-15T00:00:00Z"),
        "upcoming leaver:\n{text}"
    );
    assert!(!text.contains("disable user"), "{text}");
    let a = apply(&t, &dir, "2026-12-05T00:00:00Z", &[]);
    assert_eq!(a.status.code(), Some(0), "{}", out(&a));
    assert_no_changes(&t, &dir, "2026-12-05T00:00:00Z");

    // After it: the offboarding policy, though the repo does not say `enabled: false`.
    let after = "2026-12-15T08:00:00Z";
    let text = exit_code(plan(&t, &dir, after), 2);
    assert!(text.contains("offboarding: "), "{text}");
    assert!(text.contains("disable user"), "{text}");
    let a = apply(&t, &dir, after, &[]);
    assert_eq!(a.status.code(), Some(0), "{}", out(&a));
    let lucas = user(&t, "lucas.ferreira@contoso.com").unwrap();
    assert_eq!(lucas["accountEnabled"], Value::Bool(false));
    // The declared leave date is the leave time (not overwritten by the disable time).
    assert_eq!(
        lucas["employeeLeaveDateTime"],
        Value::String("2026-12-15T00:00:00Z".into())
    );
    // `team` still declares him, but the leaver policy wins (docs/decisions.md,
    // *the leaver policy over declared state*): only `keep_groups` stays.
    assert_eq!(groups_of(&t, "lucas.ferreira@contoso.com"), vec!["alumni"]);
    let text = assert_no_changes(&t, &dir, after);
    assert!(text.contains("leaver-overrides-declared"), "{text}");
}

#[test]
fn a_future_hire_date_keeps_the_new_account_disabled_until_that_day() {
    let t = seed();
    let scratch = tempdir("lifecycle-hire-date");
    let dir = scratch.join("repo");
    repo(&dir, "", "lucas.ferreira, ana");
    let mut text = std::fs::read_to_string(dir.join("repo.yaml")).unwrap();
    text = text.replace(
        "groups:\n",
        "  - upn: nina\n    displayName: Nina\n    employeeHireDate: 2026-12-10\n    enabled: true\ngroups:\n",
    );
    std::fs::write(dir.join("repo.yaml"), text).unwrap();

    let before = "2026-12-01T00:00:00Z";
    let text = exit_code(plan(&t, &dir, before), 2);
    assert!(text.contains("create user (disabled"), "{text}");
    assert!(text.contains("starts on 2026-12-10"), "{text}");
    let a = apply(&t, &dir, before, &[]);
    assert_eq!(a.status.code(), Some(0), "{}", out(&a));
    let nina = user(&t, "nina@contoso.com").unwrap();
    assert_eq!(nina["accountEnabled"], Value::Bool(false));
    assert_no_changes(&t, &dir, before);

    // On the day: enabled.
    let day = "2026-12-10T06:00:00Z";
    let text = exit_code(plan(&t, &dir, day), 2);
    assert!(text.contains("enable user"), "{text}");
    let a = apply(&t, &dir, day, &[]);
    assert_eq!(a.status.code(), Some(0), "{}", out(&a));
    assert_eq!(
        user(&t, "nina@contoso.com").unwrap()["accountEnabled"],
        Value::Bool(true)
    );
    assert_no_changes(&t, &dir, day);
}

#[test]
fn now_must_be_a_date_and_unsupported_steps_are_refused() {
    let t = seed();
    let scratch = tempdir("lifecycle-bad-input");
    let dir = scratch.join("repo");
    repo(&dir, "", "lucas.ferreira, ana");
    let p = run(
        &t,
        &["plan", dir.to_str().unwrap(), "--now", "next tuesday"],
        &[],
    );
    assert_eq!(p.status.code(), Some(1), "{}", out(&p));
    assert!(out(&p).contains("is not a date"), "{}", out(&p));

    let text = std::fs::read_to_string(dir.join("repo.yaml"))
        .unwrap()
        .replace(
            "remove_roles]",
            "remove_roles, remove_device_ownership, revoke_sesions]",
        )
        .replace("delete_after: 30d", "delete_after: soon");
    std::fs::write(dir.join("repo.yaml"), text).unwrap();
    let v = crate::cli_support::bare(&["validate", dir.to_str().unwrap()], &[])
        .output()
        .unwrap();
    let text = out(&v);
    assert_eq!(v.status.code(), Some(1), "{text}");
    assert!(
        text.contains("leaver step `remove_device_ownership` is not supported"),
        "{text}"
    );
    assert!(text.contains("did you mean `revoke_sessions`?"), "{text}");
    assert!(
        text.contains("`delete_after: soon` is not a duration"),
        "{text}"
    );
}

#[test]
fn a_membership_with_until_is_announced_then_removed_after_the_date() {
    let t = seed();
    let scratch = tempdir("lifecycle-until");
    let dir = scratch.join("repo");
    repo(&dir, "", "ana, { user: lucas.ferreira, until: 2026-12-31 }");
    // An additive group's membership expires too.
    let text = std::fs::read_to_string(dir.join("repo.yaml")).unwrap()
        + "  - name: sales\n    membership: additive\n    members:\n      - user: lucas.ferreira@contoso.com\n        until: 2026-12-31T18:00:00Z\n";
    std::fs::write(dir.join("repo.yaml"), text).unwrap();

    let text = assert_no_changes(&t, &dir, "2026-12-20T00:00:00Z");
    assert!(
        text.contains(
            "`lucas.ferreira@contoso.com`'s membership of `team` ends on 2026-12-31T00:00:00Z"
        ),
        "{text}"
    );
    assert!(
        text.contains("membership of `sales` ends on 2026-12-31T18:00:00Z"),
        "{text}"
    );
    // Outside the notice window: nothing said.
    let text = assert_no_changes(&t, &dir, "2026-11-01T00:00:00Z");
    assert!(!text.contains("ends on"), "{text}");

    let after = "2027-01-01T00:00:00Z";
    let text = exit_code(plan(&t, &dir, after), 2);
    assert!(
        text.contains("# group:sales") && text.contains("# group:team"),
        "{text}"
    );
    let a = apply(&t, &dir, after, &[]);
    assert_eq!(a.status.code(), Some(0), "{}", out(&a));
    assert_eq!(groups_of(&t, "lucas.ferreira@contoso.com"), vec!["alumni"]);
    assert_eq!(groups_of(&t, "ana@contoso.com"), vec!["team"]);
    assert_no_changes(&t, &dir, after);

    // A malformed date is a validation error with its place.
    let bad = std::fs::read_to_string(dir.join("repo.yaml"))
        .unwrap()
        .replace("until: 2026-12-31 }", "until: end of year }");
    std::fs::write(dir.join("repo.yaml"), bad).unwrap();
    let v = crate::cli_support::bare(&["validate", dir.to_str().unwrap()], &[])
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(1), "{}", out(&v));
    assert!(out(&v).contains("`until` must be a date"), "{}", out(&v));
}

/// The pass in a credentials file's `temporary-access-pass` record for `upn`.
fn tap_in(creds: &str, upn: &str) -> Option<String> {
    creds.lines().find_map(|l| {
        let f: Vec<&str> = l.split('\t').collect();
        (f.len() == 3 && f[0] == upn && f[2] == "temporary-access-pass").then(|| f[1].to_string())
    })
}

#[test]
fn a_temporary_access_pass_on_create_goes_only_to_the_credentials_file() {
    let t = seed();
    let scratch = tempdir("lifecycle-tap");
    let dir = scratch.join("repo");
    repo(&dir, "", "lucas.ferreira, ana");
    let text = std::fs::read_to_string(dir.join("repo.yaml")).unwrap().replace(
        "groups:\n",
        "  - upn: nina\n    displayName: Nina\n    onboarding:\n      temporary_access_pass: { lifetime: 8h, one_time: true }\ngroups:\n",
    );
    std::fs::write(dir.join("repo.yaml"), text).unwrap();
    let now = "2026-12-01T09:00:00Z";
    let plan_file = scratch.join("plan.json");
    let p = run(
        &t,
        &[
            "plan",
            dir.to_str().unwrap(),
            "--out",
            plan_file.to_str().unwrap(),
        ],
        &[("ENTRAFORM_NOW", now)],
    );
    let planned = out(&p);
    assert_eq!(p.status.code(), Some(0), "{planned}");
    assert!(
        planned.contains(
            "issue temporary access pass (480 minutes, one-time; written to --credentials-out only)"
        ),
        "{planned}"
    );

    let creds = scratch.join("credentials.tsv");
    let journal = scratch.join("journal.jsonl");
    let a = run(
        &t,
        &[
            "apply",
            plan_file.to_str().unwrap(),
            "--dir",
            dir.to_str().unwrap(),
            "--auto-approve",
            "--now",
            now,
            "--credentials-out",
            creds.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
        ],
        &[("ENTRAFORM_LOG", "trace")],
    );
    let applied = out(&a);
    assert_eq!(a.status.code(), Some(0), "{applied}");
    let creds_text = std::fs::read_to_string(&creds).unwrap();
    let pass = tap_in(&creds_text, "nina@contoso.com").expect("the pass is in --credentials-out");
    assert!(pass.len() >= 8, "{creds_text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Graph keeps one pass for her, which it no longer shows.
    let stored = t.emu.with_tenant(|s| {
        let id = s.upn_index.get("nina@contoso.com").cloned().unwrap();
        s.taps.get(&id).cloned()
    });
    let stored = stored.expect("a TAP method in Graph");
    assert_eq!(stored["temporaryAccessPass"], Value::Null);
    assert_eq!(stored["lifetimeInMinutes"], 480);
    assert_eq!(stored["isUsableOnce"], true);
    // Nowhere else: output (at trace level), journal, plan file.
    let journal_text = std::fs::read_to_string(&journal).unwrap();
    let plan_text = std::fs::read_to_string(&plan_file).unwrap();
    for (what, text) in [
        ("plan output", &planned),
        ("apply output", &applied),
        ("journal", &journal_text),
        ("plan file", &plan_text),
    ] {
        assert!(!text.contains(&pass), "the pass is in the {what}:\n{text}");
    }
    // Issued on create only: the next plan is empty, and says nothing of a pass.
    let text = assert_no_changes(&t, &dir, now);
    assert!(!text.contains("temporary access pass"), "{text}");
}

#[test]
fn a_saved_leaver_plan_applies_later_for_the_moment_it_was_made() {
    let t = seed();
    let scratch = tempdir("lifecycle-saved");
    let dir = scratch.join("repo");
    repo(&dir, "    enabled: false\n", "ana");
    let plan_file = scratch.join("plan.json");
    // Planned on the 1st (the leave time it records is that moment) ...
    let p = run(
        &t,
        &[
            "plan",
            dir.to_str().unwrap(),
            "--out",
            plan_file.to_str().unwrap(),
        ],
        &[("ENTRAFORM_NOW", "2026-12-01T09:00:00Z")],
    );
    assert_eq!(p.status.code(), Some(0), "{}", out(&p));
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&plan_file).unwrap()).unwrap();
    assert_eq!(saved["planned_at"], "2026-12-01T09:00:00Z");
    // ... applied on the 2nd: the same plan, not a refusal for a changed one.
    let a = run(
        &t,
        &[
            "apply",
            plan_file.to_str().unwrap(),
            "--dir",
            dir.to_str().unwrap(),
            "--auto-approve",
        ],
        &[("ENTRAFORM_NOW", "2026-12-02T10:00:00Z")],
    );
    assert_eq!(a.status.code(), Some(0), "{}", out(&a));
    assert_eq!(
        user(&t, "lucas.ferreira@contoso.com").unwrap()["employeeLeaveDateTime"],
        Value::String("2026-12-01T09:00:00Z".into())
    );
}

/// The lifecycle example repo (examples/lifecycle) is valid and plans what its
/// comments say against its emulated tenant.
#[test]
fn the_lifecycle_example_plans_what_it_describes() {
    let v = crate::cli_support::bare(&["validate", "examples/lifecycle"], &[])
        .output()
        .unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", out(&v));
    let p = plan_lifecycle_example();
    let text = out(&p);
    assert_eq!(p.status.code(), Some(0), "{text}");
    for needle in [
        "offboarding: 12 steps for lucas.ferreira@contoso.com (assign_licenses, disable_device, disable_user, 3 × remove_authentication_method,",
        "- disable device \"LAPTOP-LUCAS\" (Windows",
        "[device-kept] `lucas.ferreira@contoso.com` owns device `Lucas iPhone`",
        "- remove authentication method: FIDO2 security key",
        "employeeOrgData.costCenter: \"4700\" → \"4711\"",
        "~ assign licences: - SPE_E5",
        "ENTERPRISEPACK disabled_plans: TEAMS1",
        "ENTERPRISEPACK: 2 of 5 seats used before the plan, 3 after",
        "~ userPrincipalName: marta.silva@contoso.com → marta.costa@contoso.com",
        "+ invite guest ana@fabrikam.com",
        "reset password (random, not kept: offboarding)",
        "create user (disabled;",
        "starts on 2026-12-10",
        "issue temporary access pass (1440 minutes, multi-use; written to --credentials-out only)",
        "`ana@contoso.com` leaves on 2026-12-15T00:00:00Z",
        "reset password (reset_password_after; new password to --credentials-out only",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
}

#[test]
fn one_off_markers_act_once_and_the_new_password_goes_to_the_credentials_file() {
    let t = seed();
    let scratch = tempdir("lifecycle-markers");
    let dir = scratch.join("repo");
    // Markers in the past of any machine that runs this (Graph stamps its own clock).
    repo(
        &dir,
        "    reset_password_after: 2024-01-01T10:00Z\n    revoke_sessions_after: 2024-01-01T10:00Z\n",
        "lucas.ferreira, ana",
    );
    // Before the marker: nothing.
    assert_no_changes(&t, &dir, "2023-12-31T00:00:00Z");
    let now = "2024-01-01T11:00:00Z";
    let text = exit_code(plan(&t, &dir, now), 2);
    assert!(
        text.contains(
            "reset password (reset_password_after; new password to --credentials-out only"
        ),
        "{text}"
    );
    assert!(text.contains("revoke sessions"), "{text}");
    // The new password must be kept: without --credentials-out nothing is applied.
    let writes_before = crate::cli_support::writes(&t);
    let refused = apply(&t, &dir, now, &[]);
    assert_eq!(refused.status.code(), Some(1), "{}", out(&refused));
    assert!(
        out(&refused).contains("give --credentials-out FILE"),
        "{}",
        out(&refused)
    );
    assert_eq!(crate::cli_support::writes(&t), writes_before);

    let creds = scratch.join("credentials.tsv");
    let journal = scratch.join("journal.jsonl");
    let a = run(
        &t,
        &[
            "apply",
            dir.to_str().unwrap(),
            "--auto-approve",
            "--now",
            now,
            "--credentials-out",
            creds.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
        ],
        &[("ENTRAFORM_LOG", "trace")],
    );
    let applied = out(&a);
    assert_eq!(a.status.code(), Some(0), "{applied}");
    let creds_text = std::fs::read_to_string(&creds).unwrap_or_else(|e| panic!("{e}: {applied}"));
    let password = creds_text
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 3 && f[0] == "lucas.ferreira@contoso.com" && f[2] == "password-reset")
                .then(|| f[1].to_string())
        })
        .expect("the new password is in --credentials-out");
    let journal_text = std::fs::read_to_string(&journal).unwrap();
    for (what, text) in [("output", &applied), ("journal", &journal_text)] {
        assert!(
            !text.contains(&password),
            "the password is in the {what}:\n{text}"
        );
    }
    let lucas = user(&t, "lucas.ferreira@contoso.com").unwrap();
    assert!(lucas["lastPasswordChangeDateTime"].is_string(), "{lucas:?}");
    assert!(
        lucas["signInSessionsValidFromDateTime"].is_string(),
        "{lucas:?}"
    );
    // Done once: re-running shows nothing, now and later.
    assert_no_changes(&t, &dir, now);
    assert_no_changes(&t, &dir, "2024-06-01T00:00:00Z");
}

#[test]
fn remove_licenses_takes_the_direct_licences_and_leaves_the_inherited_ones() {
    const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
    const E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";
    let t = seed_with(&format!(
        "subscribedSkus:\n  - {{ skuId: {E3}, skuPartNumber: ENTERPRISEPACK, enabled: 5 }}\n  - {{ skuId: {E5}, skuPartNumber: SPE_E5, enabled: 5 }}\nlicenseAssignments:\n  - {{ principal: lucas.ferreira@contoso.com, sku: ENTERPRISEPACK }}\n  - {{ principal: 0d000000-0000-4000-8000-0000000000a1, sku: SPE_E5 }}\n"
    ));
    let scratch = tempdir("lifecycle-licences");
    let dir = scratch.join("repo");
    repo(&dir, "    enabled: false\n", "ana");
    let text = std::fs::read_to_string(dir.join("repo.yaml"))
        .unwrap()
        .replace("remove_roles]", "remove_roles, remove_licenses]");
    std::fs::write(dir.join("repo.yaml"), text).unwrap();
    let now = "2026-12-01T09:00:00Z";
    let text = exit_code(plan(&t, &dir, now), 2);
    assert!(
        text.contains("offboarding: 8 steps for lucas.ferreira@contoso.com (assign_licenses,"),
        "{text}"
    );
    let a = apply(&t, &dir, now, &[]);
    assert_eq!(a.status.code(), Some(0), "{}", out(&a));
    // Direct assignments only (group licences are the group's): E3 is gone,
    // the group's E5 stays with the group lucas keeps.
    let (direct, group) = t.emu.with_tenant(|s| {
        let id = s
            .upn_index
            .get("lucas.ferreira@contoso.com")
            .cloned()
            .unwrap();
        (
            s.licenses.assigned.get(&id).cloned().unwrap_or_default(),
            s.licenses
                .assigned
                .get("0d000000-0000-4000-8000-0000000000a1")
                .cloned()
                .unwrap_or_default(),
        )
    });
    assert!(direct.is_empty(), "direct licences left: {direct:?}");
    assert!(group.contains_key(E5), "{group:?}");
    assert_eq!(groups_of(&t, "lucas.ferreira@contoso.com"), vec!["alumni"]);
    assert_no_changes(&t, &dir, now);
}
