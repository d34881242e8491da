//! Roles as PIM holds them, through the real binary against the emulator
//! (issue #16): export → plan round trip of a PIM tenant; each change kind
//! and the schedule request it makes (compared with Microsoft's examples in
//! `tests/graph-examples/pim-*.json`); an activation surviving a reconcile;
//! undeclared eligibilities removed under the gates; a declared eligibility
//! never becoming an active assignment; a tenant without PIM; validation.

use crate::cli_support;

use std::path::{Path, PathBuf};

use cli_support::{Tenant, out, run, tempdir, tenant_from};
use graph_emulator::Seed;
use serde_json::{Value, json};

const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
const USER_ADMIN: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
const HELPDESK: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
const UNIT: &str = "5d107bba-d8e2-4e13-b6ae-884be90e5d1a";
const MIA: &str = "0b5e0000-0000-4000-8000-0000000000c1";
const BOB: &str = "0b5e0000-0000-4000-8000-0000000000b2";

fn user(id: &str, name: &str) -> String {
    format!(
        "  - id: {id}\n    userPrincipalName: {name}@contoso.com\n    displayName: {name}\n    mailNickname: {name}\n    accountEnabled: true\n"
    )
}

/// A PIM tenant: ann holds Global Administrator (permanent), bob is eligible
/// for it; mia is eligible for User Administrator until 2099-03-31, kim
/// without end; sam holds it until 2099-01-31 (time-bound active); chloe is
/// eligible for Helpdesk Administrator in the `Paris office` unit; the
/// role-assignable group `pim-admins` (dan) is eligible for User
/// Administrator; ops (entraform's identity) holds Privileged Role Administrator.
fn seed(extra: &str) -> String {
    let mut s = String::from(
        "tenant:\n  id: 5e7a0000-0000-4000-8000-000000000016\n  domains: [contoso.com]\n",
    );
    s.push_str(extra);
    s.push_str("applications:\n  - appId: 11111111-1111-4111-8111-111111111116\n    displayName: entraform\n    servicePrincipalId: 0b5e0000-0000-4000-8000-0000000000f0\n    permissions: [User.Read.All, GroupMember.Read.All, RoleManagement.Read.Directory, AdministrativeUnit.Read.All, User.ReadWrite.All, User.RevokeSessions.All, User.DeleteRestore.All, Group.ReadWrite.All, RoleManagement.ReadWrite.Directory]\nusers:\n");
    for (id, name) in [
        ("0b5e0000-0000-4000-8000-0000000000a1", "ann"),
        (BOB, "bob"),
        (MIA, "mia"),
        ("0b5e0000-0000-4000-8000-0000000000c2", "kim"),
        ("0b5e0000-0000-4000-8000-0000000000c3", "sam"),
        ("0b5e0000-0000-4000-8000-0000000000c4", "chloe"),
        ("0b5e0000-0000-4000-8000-0000000000c5", "dan"),
        ("0b5e0000-0000-4000-8000-0000000000c6", "ben"),
        ("0b5e0000-0000-4000-8000-0000000000c7", "ted"),
        ("0b5e0000-0000-4000-8000-0000000000c8", "paul"),
        ("0b5e0000-0000-4000-8000-0000000000f0", "ops"),
    ] {
        s.push_str(&user(id, name));
    }
    s.push_str(&format!(
        "groups:
  - id: 0b5e0000-0000-4000-8000-0000000000e1
    displayName: pim-admins
    mailNickname: pim-admins
    securityEnabled: true
    isAssignableToRole: true
    members: [dan@contoso.com]
administrativeUnits:
  - id: {UNIT}
    displayName: Paris office
    members: [chloe@contoso.com]
roleAssignments:
  - principalId: ann@contoso.com
    roleDefinitionId: Global Administrator
  - principalId: ops@contoso.com
    roleDefinitionId: Privileged Role Administrator
roleEligibilities:
  - principalId: bob@contoso.com
    roleDefinitionId: Global Administrator
  - principalId: mia@contoso.com
    roleDefinitionId: User Administrator
    endDateTime: 2099-03-31T23:59:59Z
  - principalId: kim@contoso.com
    roleDefinitionId: User Administrator
  - principalId: chloe@contoso.com
    roleDefinitionId: Helpdesk Administrator
    directoryScopeId: /administrativeUnits/Paris office
  - principalId: 0b5e0000-0000-4000-8000-0000000000e1
    roleDefinitionId: User Administrator
roleAssignmentSchedules:
  - principalId: sam@contoso.com
    roleDefinitionId: User Administrator
    endDateTime: 2099-01-31T23:59:59Z
"
    ));
    s
}

/// The repo that matches [`seed`] exactly.
const MATCHING: &str = "\
tenant:
  domain: contoso.com
roles:
  - role: Global Administrator
    principals: [ann]
    eligible: [bob]
  - role: User Administrator
    eligible: [kim, {principal: mia, until: 2099-03-31}]
    active: [{principal: sam, until: 2099-01-31}]
  - role: Helpdesk Administrator
    scope: au:Paris office
    eligible: [chloe]
  - role: Privileged Role Administrator
    principals: [ops]
";

struct World {
    t: Tenant,
    repo: PathBuf,
    _dir: crate::scratch::Scratch,
}

fn world(name: &str, seed_extra: &str, repo_yaml: &str) -> World {
    let dir = tempdir(name);
    let seed_path = dir.join("seed.yaml");
    std::fs::write(&seed_path, seed(seed_extra)).unwrap();
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join("tenant.yaml"), repo_yaml).unwrap();
    let t = tenant_from(Seed::from_file(&seed_path).expect("seed"));
    World { t, repo, _dir: dir }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn plan_json(w: &World) -> Value {
    let o = run(&w.t, &["plan", s(&w.repo), "--format", "json"], &[]);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out(&o)))
}

fn ops(plan: &Value) -> Vec<Value> {
    plan["steps"].as_array().expect("steps").to_vec()
}

fn notices(plan: &Value, code: &str) -> Vec<String> {
    plan["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .filter(|n| n["code"] == code)
        .map(|n| n["message"].as_str().unwrap().to_string())
        .collect()
}

/// The schedule requests the tenant received, oldest first:
/// (collection, action, principal, role, scope, expiration type, end).
type Recorded = (String, String, String, String, String, String, String);

fn pim_requests(t: &Tenant) -> Vec<Recorded> {
    let state = t.emu.with_tenant(|x| {
        let mut v: Vec<(String, Value)> = Vec::new();
        v.extend(
            x.pim
                .eligibility_requests
                .iter()
                .map(|r| ("eligibility".to_string(), r.clone())),
        );
        v.extend(
            x.pim
                .assignment_requests
                .iter()
                .map(|r| ("assignment".to_string(), r.clone())),
        );
        v
    });
    let mut out: Vec<Recorded> = state
        .into_iter()
        .map(|(set, r)| {
            let text = |v: &Value| v.as_str().unwrap_or("").to_string();
            (
                set,
                text(&r["action"]),
                text(&r["principalId"]),
                text(&r["roleDefinitionId"]),
                text(&r["directoryScopeId"]),
                text(&r["scheduleInfo"]["expiration"]["type"]),
                text(&r["scheduleInfo"]["expiration"]["endDateTime"])
                    .get(..10)
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The acceptance round trip: export a PIM tenant (eligible, time-bound,
/// unit-scoped, group-inherited holdings), then plan against the same tenant:
/// nothing to do; the group's holding is shown, not touched.
#[test]
fn a_pim_tenant_exports_and_plans_empty() {
    let w = world("pim-roundtrip", "", MATCHING);
    let exported = w._dir.join("exported");
    let o = run(&w.t, &["export", "--out", s(&exported)], &[]);
    assert!(o.status.success(), "{}", out(&o));
    let roles = std::fs::read_to_string(exported.join("roles.yaml")).unwrap();
    assert!(roles.contains("eligible:"), "{roles}");
    assert!(roles.contains("until: 2099-03-31"), "{roles}");
    assert!(roles.contains("scope: au:Paris office"), "{roles}");
    assert!(roles.contains("active:"), "{roles}");
    let o = run(&w.t, &["plan", s(&exported), "--detailed-exitcode"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}\n{roles}", out(&o));
    // The hand-written repo too.
    let plan = plan_json(&w);
    assert_eq!(ops(&plan), Vec::<Value>::new(), "{plan:#}");
    let kept = notices(&plan, "role-kept");
    assert!(
        kept.iter()
            .any(|m| m.contains("dan@contoso.com") && m.contains("role-assignable group")),
        "{kept:?}"
    );
}

/// Every change kind, applied: the requests go to the PIM collections with
/// the documented actions and schedules, and a second plan is empty.
#[test]
fn each_change_kind_makes_its_schedule_request() {
    let repo = "\
tenant:
  domain: contoso.com
roles:
  - role: Global Administrator
    principals: [ann]
    eligible: [bob]
  - role: User Administrator
    eligible:
      - {principal: mia, until: 2099-12-31}
      - {principal: ben, until: 2099-06-30, justification: on-call rota}
    active: [{principal: ted, until: 2099-02-28}]
  - role: Helpdesk Administrator
    scope: au:Paris office
    eligible: [chloe, paul]
  - role: Privileged Role Administrator
    principals: [ops]
";
    let w = world("pim-kinds", "", repo);
    let plan = plan_json(&w);
    let kinds: Vec<(String, String)> = ops(&plan)
        .iter()
        .map(|o| {
            (
                o["op"].as_str().unwrap().to_string(),
                o["principal"]["upn"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("assign_role_schedule", "ben@contoso.com"),
        ("assign_role_schedule", "paul@contoso.com"),
        ("assign_role_schedule", "ted@contoso.com"),
        ("remove_role_schedule", "kim@contoso.com"),
        ("remove_role_schedule", "sam@contoso.com"),
        ("update_role_schedule", "mia@contoso.com"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let mut got = kinds.clone();
    got.sort();
    assert_eq!(got, want, "{plan:#}");
    let text = out(&run(&w.t, &["plan", s(&w.repo)], &[]));
    assert!(
        text.contains("make ben@contoso.com eligible until 2099-06-30"),
        "{text}"
    );
    assert!(
        text.contains("make paul@contoso.com eligible in administrative unit `Paris office`"),
        "{text}"
    );
    assert!(text.contains("2099-03-31 → 2099-12-31"), "{text}");
    assert!(
        text.contains("- remove kim@contoso.com's eligibility"),
        "{text}"
    );
    assert!(
        text.contains("- remove sam@contoso.com's active assignment (until 2099-01-31)"),
        "{text}"
    );
    assert!(
        text.contains("+ assign to ted@contoso.com until 2099-02-28"),
        "{text}"
    );
    assert!(text.contains("justification: \"on-call rota\""), "{text}");
    for format in ["markdown", "dot"] {
        let o = out(&run(&w.t, &["plan", s(&w.repo), "--format", format], &[]));
        assert!(
            o.contains("make ben@contoso.com eligible until 2099-06-30"),
            "{format}: {o}"
        );
    }

    let o = run(&w.t, &["apply", s(&w.repo), "--auto-approve"], &[]);
    assert!(o.status.success(), "{}", out(&o));
    let ids = |upn: &str| {
        w.t.emu
            .state()
            .users
            .iter()
            .find(|u| {
                u.properties
                    .get("userPrincipalName")
                    .and_then(|v| v.as_str())
                    == Some(upn)
            })
            .and_then(|u| u.id.clone())
            .unwrap()
    };
    let unit = format!("/administrativeUnits/{UNIT}");
    let mut want = vec![
        (
            "assignment",
            "adminAssign",
            ids("ted@contoso.com"),
            USER_ADMIN,
            "/",
            "afterDateTime",
            "2099-02-28",
        ),
        (
            "assignment",
            "adminRemove",
            ids("sam@contoso.com"),
            USER_ADMIN,
            "/",
            "",
            "",
        ),
        (
            "eligibility",
            "adminAssign",
            ids("ben@contoso.com"),
            USER_ADMIN,
            "/",
            "afterDateTime",
            "2099-06-30",
        ),
        (
            "eligibility",
            "adminAssign",
            ids("paul@contoso.com"),
            HELPDESK,
            unit.as_str(),
            "noExpiration",
            "",
        ),
        (
            "eligibility",
            "adminRemove",
            ids("kim@contoso.com"),
            USER_ADMIN,
            "/",
            "",
            "",
        ),
        (
            "eligibility",
            "adminUpdate",
            MIA.to_string(),
            USER_ADMIN,
            "/",
            "afterDateTime",
            "2099-12-31",
        ),
    ]
    .into_iter()
    .map(|(a, b, c, d, e, f, g)| {
        (
            a.to_string(),
            b.to_string(),
            c,
            d.to_string(),
            e.to_string(),
            f.to_string(),
            g.to_string(),
        )
    })
    .collect::<Vec<_>>();
    want.sort();
    assert_eq!(pim_requests(&w.t), want);
    // The declared justification reached PIM; the others carry entraform's default.
    let justifications: Vec<String> = w.t.emu.with_tenant(|x| {
        x.pim
            .eligibility_requests
            .iter()
            .filter(|r| r["action"] == "adminAssign")
            .map(|r| r["justification"].as_str().unwrap_or("").to_string())
            .collect()
    });
    assert!(
        justifications.iter().any(|j| j == "on-call rota"),
        "{justifications:?}"
    );
    assert!(
        justifications.iter().any(|j| j.contains("entraform")),
        "{justifications:?}"
    );
    let o = run(&w.t, &["plan", s(&w.repo), "--detailed-exitcode"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

/// mia activates her User Administrator eligibility for 4 hours
/// (`selfActivate`, signed in as herself); the emulator answers 201.
fn mia_activates(w: &World) {
    let token = w.t.emu.issue_token_as(&w.t.app, MIA);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        reqwest::Client::new()
            .post(format!(
                "{}/v1.0/roleManagement/directory/roleAssignmentScheduleRequests",
                w.t.emu.base_url()
            ))
            .bearer_auth(&token)
            .json(&json!({
                "action": "selfActivate", "principalId": MIA, "roleDefinitionId": USER_ADMIN,
                "directoryScopeId": "/", "justification": "fixing a user",
                "scheduleInfo": {"expiration": {"type": "AfterDuration", "duration": "PT4H"}}
            }))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status.as_u16(), 201);
}

/// An eligible admin activates the role; the next plan and reconcile leave
/// the activation alone (an authoritative role, the eligibility declared).
#[test]
fn an_activation_of_a_declared_eligibility_survives_a_reconcile() {
    let w = world("pim-activation", "", MATCHING);
    mia_activates(&w);
    let active = |t: &Tenant| {
        t.emu.with_tenant(|x| {
            x.assignments
                .values()
                .filter(|a| a.principal_id == MIA)
                .count()
        })
    };
    assert_eq!(active(&w.t), 1, "the activation is a role assignment");
    let o = run(&w.t, &["plan", s(&w.repo), "--detailed-exitcode"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let o = run(&w.t, &["reconcile", s(&w.repo), "--auto-approve"], &[]);
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(active(&w.t), 1, "the activation survived: {}", out(&o));
}

/// Undeclared eligibilities of an authoritative role are removed; the
/// Global Administrator gate counts eligible admins, and trips when the
/// last one (active or eligible) would go.
#[test]
fn undeclared_eligibilities_are_removed_under_the_global_admin_gate() {
    let keep_bob = "\
tenant:
  domain: contoso.com
roles:
  - role: Global Administrator
    eligible: [bob]
";
    let w = world("pim-ga", "", keep_bob);
    let plan = plan_json(&w);
    let gate = plan["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gate"] == "global-administrators")
        .unwrap()
        .clone();
    assert_eq!(gate["tripped"], false, "{gate:#}");
    assert!(
        gate["message"]
            .as_str()
            .unwrap()
            .contains("0 active, 1 eligible only"),
        "{gate:#}"
    );
    let o = ops(&plan);
    assert_eq!(o.len(), 1, "{plan:#}");
    assert_eq!(
        o[0]["op"], "remove_role",
        "ann's permanent assignment: {plan:#}"
    );

    std::fs::write(
        w.repo.join("tenant.yaml"),
        "tenant:\n  domain: contoso.com\nroles:\n  - role: Global Administrator\n    principals: []\n",
    )
    .unwrap();
    let plan = plan_json(&w);
    let removed: Vec<String> = ops(&plan)
        .iter()
        .map(|o| o["op"].as_str().unwrap().to_string())
        .collect();
    assert!(
        removed.iter().any(|o| o == "remove_role_schedule"),
        "{plan:#}"
    );
    let gate = plan["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gate"] == "global-administrators")
        .unwrap()
        .clone();
    assert_eq!(gate["tripped"], true, "{gate:#}");
    let o = run(&w.t, &["apply", s(&w.repo), "--auto-approve"], &[]);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    assert_eq!(
        w.t.emu.with_tenant(|x| x.pim.eligibilities.len()),
        5,
        "nothing removed"
    );
}

/// Protected principals keep their eligibilities (the gate stops the plan),
/// and the running principal's own eligibility for a privileged role counts.
#[test]
fn protected_and_own_eligibilities_are_gated() {
    let repo = "\
tenant:
  domain: contoso.com
  safety: { protected: [kim] }
roles:
  - role: User Administrator
    eligible: [{principal: mia, until: 2099-03-31}]
    active: [{principal: sam, until: 2099-01-31}]
";
    let w = world("pim-protected", "", repo);
    let plan = plan_json(&w);
    let gate = |name: &str| {
        plan["gates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["gate"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(gate("protected-principals")["tripped"], true, "{plan:#}");
    assert!(
        gate("protected-principals")["message"]
            .as_str()
            .unwrap()
            .contains("kim@contoso.com"),
        "{plan:#}"
    );

    // entraform's own identity (ops) eligible for a privileged role the repo
    // declares empty: the own-privileged-role gate stops the plan.
    let w = world(
        "pim-own",
        "",
        "tenant:\n  domain: contoso.com\nroles:\n  - role: Privileged Authentication Administrator\n    principals: []\n",
    );
    cli_support::portal_admin(
        &w.t,
        "POST",
        "/roleManagement/directory/roleEligibilityScheduleRequests",
        json!({
            "action": "adminAssign", "principalId": "0b5e0000-0000-4000-8000-0000000000f0",
            "roleDefinitionId": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13", "directoryScopeId": "/",
            "justification": "test", "scheduleInfo": {"expiration": {"type": "noExpiration"}}
        }),
    );
    let plan = plan_json(&w);
    let own = plan["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["gate"] == "own-privileged-role")
        .unwrap()
        .clone();
    assert_eq!(own["tripped"], true, "{plan:#}");
}

/// A declared eligibility is applied as an eligibility, never as an active
/// (permanent) role assignment.
#[test]
fn a_declared_eligibility_is_never_an_active_assignment() {
    let repo = "\
tenant:
  domain: contoso.com
users:
  - upn: ben
    roles: [{role: User Administrator, eligible: true}]
";
    let w = world("pim-never-active", "", repo);
    let o = run(&w.t, &["apply", s(&w.repo), "--auto-approve"], &[]);
    assert!(o.status.success(), "{}", out(&o));
    let ben = "0b5e0000-0000-4000-8000-0000000000c6";
    let state = w.t.emu.state();
    assert!(
        !state.role_assignments.iter().any(|a| a.principal_id == ben),
        "ben got an active assignment"
    );
    assert_eq!(
        w.t.emu.with_tenant(|x| x
            .pim
            .eligibilities
            .values()
            .filter(|e| e.principal_id == ben && e.role_definition_id == USER_ADMIN)
            .count()),
        1
    );
    assert_eq!(
        w.t.emu
            .metrics()
            .by_route
            .get("POST /roleManagement/directory/roleAssignments"),
        None
    );
    let o = run(&w.t, &["plan", s(&w.repo), "--detailed-exitcode"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

/// A tenant without Entra ID P2: Graph refuses PIM (400
/// AadPremiumLicenseRequired); plans still work on permanent assignments,
/// with a `pim-unavailable` notice, and refuse declared eligibilities.
#[test]
fn a_tenant_without_pim_degrades_to_plain_roles() {
    let plain = "\
tenant:
  domain: contoso.com
roles:
  - role: Global Administrator
    principals: [ann]
";
    let w = world("pim-no-p2", "  entraIdP2: false\n", plain);
    // The emulator answers as Graph does (maester365/maester#1421), and keeps
    // the setting in its state dump.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (status, body): (u16, Value) = rt.block_on(async {
        let r = reqwest::Client::new()
            .get(format!(
                "{}/v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
                w.t.emu.base_url()
            ))
            .bearer_auth(&w.t.token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    });
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "AadPremiumLicenseRequired", "{body}");
    assert!(!w.t.emu.state().tenant.entra_id_p2);
    let plan = plan_json(&w);
    assert_eq!(notices(&plan, "pim-unavailable").len(), 1, "{plan:#}");
    assert!(
        notices(&plan, "pim-unavailable")[0].contains("AadPremiumLicenseRequired")
            || notices(&plan, "pim-unavailable")[0].contains("P2"),
        "{plan:#}"
    );
    let o = run(&w.t, &["plan", s(&w.repo), "--detailed-exitcode"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // A snapshot of it is a tenant without PIM too.
    let seed = w._dir.join("snap.json");
    let o = run(&w.t, &["snapshot", "--out", s(&seed)], &[]);
    assert!(o.status.success(), "{}", out(&o));
    let snap: Value = serde_json::from_str(&std::fs::read_to_string(&seed).unwrap()).unwrap();
    assert_eq!(snap["tenant"]["entraIdP2"], false, "{}", snap["tenant"]);
    std::fs::write(
        w.repo.join("tenant.yaml"),
        format!("{plain}    eligible: [bob]\n"),
    )
    .unwrap();
    let plan = plan_json(&w);
    let errors: Vec<&str> = plan["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert_eq!(errors, vec!["pim-unavailable"], "{plan:#}");
}

/// Mistakes in holdings: static ones from `validate` (file, line, column,
/// code), tenant- and clock-dependent ones from `plan`.
#[test]
fn holdings_are_validated() {
    let bad = "\
tenant:
  domain: contoso.com
roles:
  - role: User Administrator
    principals: [mia]
    eligible: [mia, {principal: ben, until: 31/03/2027}]
  - role: Helpdesk Administrator
    scope: paris
users:
  - upn: kim
    roles:
      - {role: Security Reader, eligible: true, until: 2099-01-01}
      - {role: Security Reader, eligible: true, until: 2099-02-01}
";
    let w = world("pim-validate", "", bad);
    let o = cli_support::entraform()
        .args(["validate", s(&w.repo)])
        .output()
        .unwrap();
    let text = out(&o);
    assert!(!o.status.success(), "{text}");
    for want in [
        "tenant.yaml:6:16",
        "contradiction",
        "is declared both eligible and active",
        "`31/03/2027` is not a date",
        "invalid-value",
        "`paris` is not a role scope",
        "duplicate-holding",
    ] {
        assert!(text.contains(want), "missing {want}:\n{text}");
    }
    std::fs::write(
        w.repo.join("tenant.yaml"),
        "\
tenant:
  domain: contoso.com
roles:
  - role: Helpdesk Administrator
    scope: au:Paris ofice
    eligible: [chloe]
  - role: User Administrator
    eligible: [{principal: mia, until: 2020-01-01}]
",
    )
    .unwrap();
    let plan = plan_json(&w);
    let errors: Vec<(String, String)> = plan["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        errors
            .iter()
            .any(|(c, m)| c == "unknown-admin-unit" && m.contains("Paris office")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|(c, _)| c == "until-in-past"),
        "{errors:?}"
    );
    let _ = (GA, BOB);
}

/// `until-in-past` is judged by the plan's clock (`--now`), like every other
/// date rule, not by the machine's day.
#[test]
fn until_in_the_past_is_judged_at_now() {
    let repo = "\
tenant:
  domain: contoso.com
roles:
  - role: User Administrator
    eligible: [{principal: mia, until: 2031-03-31}]
";
    let w = world("pim-until-now", "", repo);
    let codes = |now: &str| -> Vec<String> {
        let o = run(
            &w.t,
            &["plan", s(&w.repo), "--format", "json", "--now", now],
            &[],
        );
        let plan: Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out(&o)));
        plan["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        !codes("2031-03-31T12:00:00Z").contains(&"until-in-past".to_string()),
        "the last day is still held"
    );
    assert!(
        codes("2031-04-01T00:00:00Z").contains(&"until-in-past".to_string()),
        "a day later it is past"
    );
}

/// The round trip with an activation in the tenant: export writes mia as
/// eligible (with her end date), never as active, and the exported repo
/// plans empty while the activation runs.
#[test]
fn a_pim_tenant_with_an_activation_exports_and_plans_empty() {
    let w = world("pim-roundtrip-activated", "", MATCHING);
    mia_activates(&w);
    let exported = w._dir.join("exported");
    let o = run(&w.t, &["export", "--out", s(&exported)], &[]);
    assert!(o.status.success(), "{}", out(&o));
    let roles = std::fs::read_to_string(exported.join("roles.yaml")).unwrap();
    assert!(roles.contains("until: 2099-03-31"), "{roles}");
    let o = run(&w.t, &["plan", s(&exported), "--detailed-exitcode"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}\n{roles}", out(&o));
}

fn example(name: &str) -> Value {
    let path = cli_support::root().join("tests/graph-examples").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("example")).expect("JSON")
}

/// Our request for `op` against Microsoft's documented one: method, path,
/// every documented body key present, protocol values equal (enum values
/// compared without case: the samples send `NoExpiration`, Graph answers
/// `noExpiration`), entity values the plan's; extra keys only `justification`
/// (documented, optional for `adminRemove`).
fn same_shape(op: &entraform::plan::op::Op, name: &str, protocol: &[&str]) {
    use entraform::apply::request::{Ids, for_op_at};
    use entraform::model::ObjectId;
    use entraform::plan::op::{GroupRef, UserRef};
    struct Known;
    impl Ids for Known {
        fn user(&self, r: &UserRef) -> Option<ObjectId> {
            r.id.clone()
        }
        fn group(&self, r: &GroupRef) -> Option<ObjectId> {
            r.id.clone()
        }
    }
    let ours = for_op_at(
        op,
        &Known,
        "https://graph.microsoft.com/v1.0",
        None,
        Some("2022-04-10T00:00:00Z"),
    )
    .expect("request");
    let doc = example(name);
    let req = &doc["request"];
    assert_eq!(ours.method.as_str(), req["method"], "{name}");
    assert_eq!(
        ours.url,
        req["url"]
            .as_str()
            .unwrap()
            .trim_start_matches("https://graph.microsoft.com/v1.0"),
        "{name}"
    );
    let body = ours.body.clone().expect("a body");
    fn leaves(v: &Value, at: String, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    leaves(x, format!("{at}/{k}"), out);
                }
            }
            _ => out.push((at, v.clone())),
        }
    }
    let (mut d, mut o) = (Vec::new(), Vec::new());
    leaves(&req["body"], String::new(), &mut d);
    leaves(&body, String::new(), &mut o);
    for (k, v) in &d {
        let ours = body
            .pointer(k)
            .unwrap_or_else(|| panic!("{name}: no {k} in {body}"));
        if protocol.contains(&k.as_str()) {
            assert!(
                ours.as_str().map(str::to_ascii_lowercase)
                    == v.as_str().map(str::to_ascii_lowercase),
                "{name}: {k} = {ours}, documented {v}"
            );
        }
    }
    for (k, _) in &o {
        assert!(
            d.iter().any(|(x, _)| x == k) || k == "/justification",
            "{name}: {k} is not in Microsoft's example"
        );
    }
}

/// Each PIM change kind's request has the shape of Microsoft's examples
/// (tests/graph-examples/pim-create-eligibility-request.json,
/// pim-create-assignment-request.json, pim-remove-eligibility-request.json).
#[test]
fn schedule_requests_have_the_documented_shape() {
    use entraform::model::{ObjectId, Upn};
    use entraform::plan::op::{Holding, Op, PrincipalRef, RoleRef, RoleScope, UserRef};
    let role = RoleRef {
        name: "User Administrator".into(),
        definition_id: USER_ADMIN.into(),
    };
    let mia = UserRef {
        upn: Upn::new_unchecked("mia@contoso.com"),
        id: Some(ObjectId(MIA.into())),
    };
    let p = PrincipalRef {
        id: ObjectId(MIA.into()),
        upn: None,
    };
    let assign = |holding, until: Option<&str>| Op::AssignRoleSchedule {
        role: role.clone(),
        principal: mia.clone(),
        holding,
        scope: RoleScope::tenant(),
        until: until.map(str::to_string),
        justification: Some("on-call rota".into()),
    };
    let proto = [
        "/action",
        "/directoryScopeId",
        "/scheduleInfo/startDateTime",
        "/scheduleInfo/expiration/type",
    ];
    same_shape(
        &assign(Holding::Eligible, Some("2024-04-09")),
        "pim-create-eligibility-request.json",
        &proto,
    );
    same_shape(
        &assign(Holding::Active, None),
        "pim-create-assignment-request.json",
        &proto,
    );
    same_shape(
        &Op::UpdateRoleSchedule {
            role: role.clone(),
            principal: p.clone(),
            holding: Holding::Eligible,
            scope: RoleScope::tenant(),
            old_until: None,
            until: Some("2024-04-09".into()),
            justification: None,
        },
        "pim-create-eligibility-request.json",
        &["/directoryScopeId", "/scheduleInfo/expiration/type"],
    );
    same_shape(
        &Op::RemoveRoleSchedule {
            role,
            principal: p,
            holding: Holding::Eligible,
            scope: RoleScope::tenant(),
            until: None,
        },
        "pim-remove-eligibility-request.json",
        &["/action", "/directoryScopeId"],
    );
}

/// Every PIM write commits and then answers 5xx (outcome unknown): apply
/// looks each one up before sending it again, so each is sent once, none is
/// reported failed, and the tenant ends as declared.
#[test]
fn pim_writes_with_unknown_outcomes_are_looked_up_not_repeated() {
    let repo = "\
tenant:
  domain: contoso.com
roles:
  - role: Global Administrator
    principals: [ann]
    eligible: [bob]
  - role: User Administrator
    eligible:
      - {principal: mia, until: 2099-12-31}
      - ben
    active: [{principal: sam, until: 2099-01-31}, {principal: ted, until: 2099-02-28}]
  - role: Helpdesk Administrator
    scope: au:Paris office
    eligible: [chloe]
  - role: Privileged Role Administrator
    principals: [ops]
";
    let w = world("pim-unknown", "", repo);
    w.t.emu.set_faults(graph_emulator::FaultConfig {
        seed: 16,
        commit_then_fail_rate: 1.0,
        ..graph_emulator::FaultConfig::default()
    });
    let o = run(&w.t, &["apply", s(&w.repo), "--auto-approve"], &[]);
    assert!(o.status.success(), "{}", out(&o));
    // adminAssign ben, adminUpdate mia, adminRemove kim; adminAssign ted: once each.
    let (e, a) = w.t.emu.with_tenant(|x| {
        (
            x.pim.eligibility_requests.len(),
            x.pim.assignment_requests.len(),
        )
    });
    assert_eq!((e, a), (3, 1), "{}", out(&o));
    w.t.emu.set_faults(graph_emulator::FaultConfig::default());
    let o = run(&w.t, &["plan", s(&w.repo), "--detailed-exitcode"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

/// A saved plan with PIM steps applies (its steps and fingerprints read
/// back), and is refused once the tenant changed a holding it touches.
#[test]
fn a_saved_pim_plan_applies_and_notices_a_changed_holding() {
    let repo = MATCHING.replace(
        "eligible: [kim, {principal: mia, until: 2099-03-31}]",
        "eligible: [kim, ben, {principal: mia, until: 2099-09-30}]",
    );
    let w = world("pim-saved", "", &repo);
    let plan_file = w._dir.join("plan.json");
    let o = run(&w.t, &["plan", s(&w.repo), "--out", s(&plan_file)], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // Someone changes mia's eligibility in the portal after the review.
    cli_support::portal_admin(
        &w.t,
        "POST",
        "/roleManagement/directory/roleEligibilityScheduleRequests",
        json!({
            "action": "adminUpdate", "principalId": MIA, "roleDefinitionId": USER_ADMIN,
            "directoryScopeId": "/", "justification": "portal",
            "scheduleInfo": {"expiration": {"type": "afterDateTime", "endDateTime": "2099-04-30T00:00:00Z"}}
        }),
    );
    let args = [
        "apply",
        s(&plan_file),
        "--dir",
        s(&w.repo),
        "--auto-approve",
    ];
    let o = run(&w.t, &args, &[]);
    assert_ne!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&o).contains("role:User Administrator") && out(&o).contains("Nothing was applied"),
        "{}",
        out(&o)
    );
    // Planned again, it applies.
    let o = run(&w.t, &["plan", s(&w.repo), "--out", s(&plan_file)], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let o = run(&w.t, &args, &[]);
    assert!(o.status.success(), "{}", out(&o));
    let o = run(&w.t, &["plan", s(&w.repo), "--detailed-exitcode"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

/// `entraform snapshot` of a PIM tenant (eligible, time-bound, unit-scoped,
/// group-inherited) gives a seed against which the same repo plans empty.
#[test]
fn a_snapshot_of_a_pim_tenant_plans_the_same() {
    let w = world("pim-snapshot", "", MATCHING);
    let seed = w._dir.join("snap.json");
    let o = run(&w.t, &["snapshot", "--out", s(&seed)], &[]);
    assert!(o.status.success(), "{}", out(&o));
    let text = std::fs::read_to_string(&seed).unwrap();
    let snap: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        snap["roleEligibilities"].as_array().map(Vec::len),
        Some(5),
        "{text}"
    );
    assert_eq!(
        snap["roleAssignmentSchedules"].as_array().map(Vec::len),
        Some(1),
        "{text}"
    );
    let t2 = tenant_from(Seed::from_file(&seed).expect("the snapshot loads"));
    let o = run(&t2, &["plan", s(&w.repo), "--detailed-exitcode"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

/// One change of each kind, alone, applied to the PIM tenant: exactly the
/// one schedule request it calls for, in order, and nothing else written.
#[test]
fn each_change_kind_alone_makes_exactly_its_request() {
    let unit = format!("/administrativeUnits/{UNIT}");
    let kim = "0b5e0000-0000-4000-8000-0000000000c2";
    let sam = "0b5e0000-0000-4000-8000-0000000000c3";
    let ben = "0b5e0000-0000-4000-8000-0000000000c6";
    let paul = "0b5e0000-0000-4000-8000-0000000000c8";
    // (collection, action, principal, scope, expiration type, end date)
    type Req<'a> = (&'a str, &'a str, &'a str, &'a str, &'a str, &'a str);
    // (name, MATCHING edited from → to, expected requests)
    let cases: Vec<(&str, &str, &str, Vec<Req<'_>>)> = vec![
        (
            "eligible-assign",
            "eligible: [kim,",
            "eligible: [kim, {principal: ben, until: 2099-05-31},",
            vec![(
                "eligibility",
                "adminAssign",
                ben,
                "/",
                "afterDateTime",
                "2099-05-31",
            )],
        ),
        (
            "eligible-update",
            "{principal: mia, until: 2099-03-31}",
            "mia",
            vec![("eligibility", "adminUpdate", MIA, "/", "noExpiration", "")],
        ),
        (
            "eligible-remove",
            "eligible: [kim,",
            "eligible: [",
            vec![("eligibility", "adminRemove", kim, "/", "", "")],
        ),
        (
            "active-assign",
            "active: [{principal: sam, until: 2099-01-31}]",
            "active: [{principal: sam, until: 2099-01-31}, {principal: ben, until: 2099-02-28}]",
            vec![(
                "assignment",
                "adminAssign",
                ben,
                "/",
                "afterDateTime",
                "2099-02-28",
            )],
        ),
        (
            "active-update",
            "{principal: sam, until: 2099-01-31}",
            "{principal: sam, until: 2099-07-31}",
            vec![(
                "assignment",
                "adminUpdate",
                sam,
                "/",
                "afterDateTime",
                "2099-07-31",
            )],
        ),
        (
            "active-remove",
            "    active: [{principal: sam, until: 2099-01-31}]\n",
            "",
            vec![("assignment", "adminRemove", sam, "/", "", "")],
        ),
        (
            "made-permanent",
            "    active: [{principal: sam, until: 2099-01-31}]\n",
            "    principals: [sam]\n",
            vec![("assignment", "adminUpdate", sam, "/", "noExpiration", "")],
        ),
        (
            "unit-assign",
            "eligible: [chloe]",
            "eligible: [chloe, paul]",
            vec![(
                "eligibility",
                "adminAssign",
                paul,
                unit.as_str(),
                "noExpiration",
                "",
            )],
        ),
    ];
    for (name, from, to, want) in cases {
        assert!(MATCHING.contains(from), "{name}");
        let w = world(
            &format!("pim-kind-{name}"),
            "",
            &MATCHING.replacen(from, to, 1),
        );
        let o = run(&w.t, &["apply", s(&w.repo), "--auto-approve"], &[]);
        assert!(o.status.success(), "{name}: {}", out(&o));
        let got: Vec<_> = w.t.emu.with_tenant(|x| {
            x.pim
                .eligibility_requests
                .iter()
                .map(|r| ("eligibility", r.clone()))
                .chain(
                    x.pim
                        .assignment_requests
                        .iter()
                        .map(|r| ("assignment", r.clone())),
                )
                .map(|(set, r)| {
                    let t = |v: &Value| v.as_str().unwrap_or("").to_string();
                    (
                        set.to_string(),
                        t(&r["action"]),
                        t(&r["principalId"]),
                        t(&r["directoryScopeId"]),
                        t(&r["scheduleInfo"]["expiration"]["type"]),
                        t(&r["scheduleInfo"]["expiration"]["endDateTime"])
                            .get(..10)
                            .unwrap_or("")
                            .to_string(),
                    )
                })
                .collect()
        });
        let want: Vec<_> = want
            .into_iter()
            .map(|(a, b, c, d, e, f)| {
                (
                    a.to_string(),
                    b.to_string(),
                    c.to_string(),
                    d.to_string(),
                    e.to_string(),
                    f.to_string(),
                )
            })
            .collect();
        assert_eq!(got, want, "{name}: {}", out(&o));
        // Nothing but that one request was written (the `$batch` carried it).
        assert_eq!(
            cli_support::writes(&w.t),
            1,
            "{name}: {:?}",
            w.t.emu.metrics().by_route
        );
        let o = run(&w.t, &["plan", s(&w.repo), "--detailed-exitcode"], &[]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", out(&o));
    }
}
