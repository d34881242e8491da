//! The leaver policy over declared state (issue #17; docs/decisions.md,
//! *The leaver policy wins over what the repo still declares*): a one-line
//! leaver PR (`enabled: false`) against a repo that still lists the user in
//! groups and with a licence offboards completely — declared memberships
//! are removed (except `keep_groups`), declared direct licences too — the
//! next plan does not add them back (convergent), and a
//! `leaver-overrides-declared` notice names the lines on every plan while
//! they stay. Roles: a passed leave date removes a declared role, and the
//! next plan does not assign it again.

use std::path::Path;
use std::process::Output;

use graph_emulator::Seed;
use serde_json::Value;

use crate::cli_support::lifecycle::{
    APP, SP, USER_ADMINISTRATOR, apply_at, exit_code, groups_of, plan_at, plan_lifecycle_example,
    roles_of,
};
use crate::cli_support::{Tenant, out, tempdir, tenant_from};

const HELPDESK_ADMINISTRATOR: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
const LUCAS: &str = "0f000000-0000-4000-8000-000000000002";
const E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";

/// admin (Global Administrator); lucas: member of team, sales and alumni,
/// SPE_E5 directly, Helpdesk Administrator; ana: member of team. The app
/// holds every permission; its service principal is User Administrator.
fn seed() -> Tenant {
    let y = format!(
        r#"tenant:
  domains: [contoso.com]
applications:
  - appId: {APP}
    servicePrincipalId: {SP}
    permissions: all
users:
  - {{ userPrincipalName: admin@contoso.com, displayName: Admin, mailNickname: admin }}
  - {{ id: {LUCAS}, userPrincipalName: lucas.ferreira@contoso.com, displayName: Lucas Ferreira, mailNickname: lucas.ferreira, usageLocation: US }}
  - {{ userPrincipalName: ana@contoso.com, displayName: Ana, mailNickname: ana }}
groups:
  - {{ displayName: team, mailNickname: team, securityEnabled: true, members: [{LUCAS}, ana@contoso.com] }}
  - {{ displayName: sales, mailNickname: sales, securityEnabled: true, members: [{LUCAS}] }}
  - {{ displayName: alumni, mailNickname: alumni, securityEnabled: true, members: [{LUCAS}] }}
roleAssignments:
  - {{ principalId: admin@contoso.com, roleDefinitionId: Global Administrator }}
  - {{ principalId: {SP}, roleDefinitionId: {USER_ADMINISTRATOR} }}
  - {{ principalId: {LUCAS}, roleDefinitionId: {HELPDESK_ADMINISTRATOR} }}
subscribedSkus:
  - {{ skuId: {E5}, skuPartNumber: SPE_E5, enabled: 5 }}
licenseAssignments:
  - {{ principal: {LUCAS}, sku: SPE_E5 }}
"#
    );
    tenant_from(Seed::parse(&y).expect("seed"))
}

/// The repo: lucas declared in `sales` and `alumni` (a `keep_groups` one)
/// with SPE_E5; `lucas` is the rest of his entry.
fn repo(dir: &Path, lucas: &str) {
    let text = format!(
        "tenant:
  domain: contoso.com
  absent_users: ignore
  safety:
    protected: [admin]
  lifecycle:
    leaver:
      steps: [revoke_sessions, remove_group_memberships, remove_roles, remove_licenses]
      keep_groups: [alumni]
users:
  - {{ upn: admin, displayName: Admin }}
  - upn: lucas.ferreira
    displayName: Lucas Ferreira
    usageLocation: US
    licenses: [SPE_E5]
    groups: [sales, alumni]
{lucas}  - {{ upn: ana, displayName: Ana }}
groups:
  - name: team
    membership: additive
  - name: sales
  - name: alumni
"
    );
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("repo.yaml"), text).unwrap();
}

fn plan(t: &Tenant, dir: &Path, now: &str) -> Output {
    plan_at(t, dir, now, &[])
}

fn apply(t: &Tenant, dir: &Path, now: &str) {
    let o = apply_at(t, dir, now, &[]);
    assert_eq!(o.status.code(), Some(0), "apply:\n{}", out(&o));
}

fn plan_json(t: &Tenant, dir: &Path, now: &str) -> Value {
    let o = plan_at(t, dir, now, &["--format", "json"]);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", out(&o)))
}

fn licences_of(t: &Tenant) -> usize {
    t.emu
        .with_tenant(|s| s.licenses.assigned.get(LUCAS).map_or(0, |m| m.len()))
}

const NOTICE: &str = "[leaver-overrides-declared] `lucas.ferreira@contoso.com` is offboarded: entraform removes group `sales` and licence `SPE_E5` from it although the repo still declares them — remove those lines (or add the group to `keep_groups`)";

#[test]
fn a_one_line_leaver_pr_removes_declared_groups_and_licences_and_converges() {
    let t = seed();
    let scratch = tempdir("leaver-declared");
    let dir = scratch.join("repo");
    let now = "2026-12-01T09:00:00Z";

    // The repo as the tenant is (lucas's role is undeclared, `roles:` absent).
    repo(&dir, "");
    let p = plan(&t, &dir, now);
    assert_eq!(p.status.code(), Some(0), "{}", out(&p));

    // The one-line leaver PR.
    repo(&dir, "    enabled: false\n");
    let p = plan(&t, &dir, now);
    let text = out(&p);
    assert_eq!(p.status.code(), Some(2), "{text}");
    assert!(text.contains(NOTICE), "{text}");
    let v = plan_json(&t, &dir, now);
    let steps = v["steps"].as_array().unwrap();
    let mut removed: Vec<&str> = steps
        .iter()
        .filter(|s| s["op"] == "remove_member")
        .map(|s| s["group"]["name"].as_str().unwrap())
        .collect();
    removed.sort_unstable();
    // Declared `sales` too, undeclared `team`; never `alumni` (keep_groups).
    assert_eq!(removed, ["sales", "team"], "{v}");
    let lic: Vec<&Value> = steps
        .iter()
        .filter(|s| s["op"] == "assign_licenses")
        .collect();
    assert_eq!(lic.len(), 1, "{v}");
    assert_eq!(lic[0]["remove"][0]["part_number"], "SPE_E5", "{v}");
    assert!(lic[0]["add"].as_array().unwrap().is_empty(), "{v}");
    assert!(steps.iter().any(|s| s["op"] == "remove_role"), "{v}");

    apply(&t, &dir, now);
    assert_eq!(groups_of(&t, "lucas.ferreira@contoso.com"), ["alumni"]);
    assert_eq!(licences_of(&t), 0);
    assert_eq!(roles_of(&t, "lucas.ferreira@contoso.com"), 0);

    // Converged: nothing added back, and the notice stays while the lines do.
    for at in [now, "2026-12-02T09:00:00Z"] {
        let p = plan(&t, &dir, at);
        let text = out(&p);
        assert_eq!(p.status.code(), Some(0), "not converged at {at}:\n{text}");
        assert!(text.contains(NOTICE), "{text}");
    }

    // Lines removed: the notice goes, still nothing to do.
    let text = std::fs::read_to_string(dir.join("repo.yaml"))
        .unwrap()
        .replace(
            "    licenses: [SPE_E5]\n    groups: [sales, alumni]\n",
            "    groups: [alumni]\n",
        );
    std::fs::write(dir.join("repo.yaml"), text).unwrap();
    let text = exit_code(plan(&t, &dir, now), 0);
    assert!(!text.contains("leaver-overrides-declared"), "{text}");
}

#[test]
fn a_passed_leave_date_removes_a_declared_role_and_does_not_assign_it_again() {
    let t = seed();
    let scratch = tempdir("leaver-declared-role");
    let dir = scratch.join("repo");
    // lucas declares his role and a leave date; `validate` refuses roles
    // only on `enabled: false`, which a date cannot know in advance.
    repo(
        &dir,
        "    employeeLeaveDateTime: 2026-12-10\n    roles: [Helpdesk Administrator]\n",
    );
    let before = "2026-12-05T09:00:00Z";
    let p = plan(&t, &dir, before);
    // Only the leave date is written before the day.
    assert_eq!(p.status.code(), Some(2), "{}", out(&p));
    apply(&t, &dir, before);
    assert_eq!(roles_of(&t, "lucas.ferreira@contoso.com"), 1);

    let after = "2026-12-10T09:00:00Z";
    let text = exit_code(plan(&t, &dir, after), 2);
    assert!(
        text.contains(
            "removes group `sales`, licence `SPE_E5` and role `Helpdesk Administrator` from it"
        ),
        "{text}"
    );
    apply(&t, &dir, after);
    assert_eq!(roles_of(&t, "lucas.ferreira@contoso.com"), 0);
    assert_eq!(groups_of(&t, "lucas.ferreira@contoso.com"), ["alumni"]);
    let p = plan(&t, &dir, after);
    let text = out(&p);
    assert_eq!(p.status.code(), Some(0), "role assigned again?\n{text}");
    assert!(text.contains("role `Helpdesk Administrator`"), "{text}");
}

#[test]
fn licences_from_the_defaults_are_removed_without_a_notice() {
    // examples/lifecycle: lucas (a one-line leaver) gets `defaults.licenses`
    // and holds SPE_E5 directly; the policy removes it, and no notice asks
    // to remove a line his entry does not have.
    let p = plan_lifecycle_example();
    let text = out(&p);
    assert_eq!(p.status.code(), Some(0), "{text}");
    assert!(text.contains("~ assign licences: - SPE_E5"), "{text}");
    assert!(!text.contains("leaver-overrides-declared"), "{text}");
}
