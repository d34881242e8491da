//! `employeeOrgData` (a user's division and cost centre) end to end through
//! the binary against the emulator: Graph keeps the two in one object that a
//! PATCH replaces whole, nulling a member left out (user-update), while the
//! repo manages each member on its own. The plan shows the one member that
//! changes; apply sends the whole object with the other member's live value
//! (seen on the wire through a proxy, and in the tenant: the emulator nulls
//! an omitted member as Graph does); the next plan is empty; a repo managing
//! only `division` never clears the live `costCenter`; `null` clears one
//! member; an unknown member is a clear error; export writes the nested form
//! and round-trips.

use crate::cli_support::{Tenant, out, run, tempdir, tenant_from, writes};
use crate::stall_proxy::{Stall, StallProxy};
use graph_emulator::Seed;
use serde_json::{Value, json};

const APP: &str = "11111111-1111-4111-8111-111111111111";
const ANN: &str = "0e000000-0000-4000-8000-000000000001";
const BOB: &str = "0e000000-0000-4000-8000-000000000002";
const CY: &str = "0e000000-0000-4000-8000-000000000003";
const ROOT: &str = "0e000000-0000-4000-8000-000000000004";
const DEE: &str = "0e000000-0000-4000-8000-000000000005";

/// ann: Engineering / 1; bob: Sales / 9; cy: only a division; root holds
/// Global Administrator (the gate wants one).
fn seed() -> Seed {
    let y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: {APP}\n    permissions: [{grants}]\nusers:\n  - {{ id: {ANN}, userPrincipalName: ann@contoso.com, displayName: Ann, mailNickname: ann, employeeOrgData: {{ division: Engineering, costCenter: '1' }} }}\n  - {{ id: {BOB}, userPrincipalName: bob@contoso.com, displayName: Bob, mailNickname: bob, employeeOrgData: {{ division: Sales, costCenter: '9' }} }}\n  - {{ id: {CY}, userPrincipalName: cy@contoso.com, displayName: Cy, mailNickname: cy, employeeOrgData: {{ division: Legal, costCenter: null }} }}\n  - {{ id: {ROOT}, userPrincipalName: root@contoso.com, displayName: Root, mailNickname: root }}\nroleAssignments:\n  - {{ principalId: {ROOT}, roleDefinitionId: Global Administrator }}\n",
        grants = entraform::live::permissions::recommended_grants().join(", ")
    );
    Seed::parse(&y).expect("seed")
}

/// The user's `employeeOrgData` as the tenant holds it.
fn org_data(t: &Tenant, id: &str) -> Value {
    t.emu
        .state()
        .users
        .iter()
        .find(|u| u.id.as_deref() == Some(id))
        .map(|u| {
            u.properties
                .get("employeeOrgData")
                .cloned()
                .unwrap_or(Value::Null)
        })
        .expect("the user exists")
}

fn repo(name: &str, yaml: &str) -> (crate::scratch::Scratch, String) {
    let dir = tempdir(name);
    std::fs::write(dir.join("repo.yaml"), yaml).unwrap();
    let path = dir.to_str().unwrap().to_string();
    (dir, path)
}

/// `apply --auto-approve` through a proxy; whether a request carried `body` (compact JSON).
fn apply_sends(t: &Tenant, repo: &str, body: &str) -> bool {
    let proxy = StallProxy::start(t.emu.base_url(), body, Stall::HoldRequest);
    proxy.release(); // never hold: the proxy only watches
    let o =
        crate::cli_support::command_via(t, &proxy.url(), &["apply", repo, "--auto-approve"], &[])
            .output()
            .expect("run entraform");
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    proxy.tripped()
}

fn assert_plan_empty(t: &Tenant, repo: &str) {
    let o = run(t, &["plan", repo, "--detailed-exitcode"], &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the next plan is not empty ({:?}):\n{}",
        o.status.code(),
        out(&o)
    );
}

const HEAD: &str = "tenant:\n  domain: contoso.com\nusers:\n";

#[test]
fn one_member_change_is_planned_alone_and_patched_as_the_whole_object() {
    let t = tenant_from(seed());
    let (_d, r) = repo(
        "orgdata-one",
        &format!(
            "{HEAD}  - upn: ann\n    employeeOrgData:\n      division: Engineering\n      costCenter: \"2\"\n"
        ),
    );
    let o = run(&t, &["plan", &r], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("employeeOrgData.costCenter"), "{text}");
    assert!(
        !text.contains("employeeOrgData.division"),
        "only the change is shown: {text}"
    );
    let o = run(&t, &["plan", &r, "--format", "json"], &[]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("a JSON plan");
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{v}");
    assert_eq!(
        steps[0]["changes"],
        json!([{"attr": "employeeOrgData.costCenter", "old": "1", "new": "2"}]),
        "{v}"
    );
    assert!(
        apply_sends(
            &t,
            &r,
            r#"{"employeeOrgData":{"costCenter":"2","division":"Engineering"}}"#
        ),
        "the PATCH does not carry the whole object"
    );
    assert_eq!(
        org_data(&t, ANN),
        json!({"division": "Engineering", "costCenter": "2"})
    );
    assert_eq!(writes(&t), 1, "one PATCH for the member's change");
    assert_plan_empty(&t, &r);
}

#[test]
fn a_repo_managing_only_division_never_clears_the_live_cost_centre() {
    let t = tenant_from(seed());
    let (_d, r) = repo(
        "orgdata-division",
        &format!("{HEAD}  - upn: bob\n    employeeOrgData: {{ division: Marketing }}\n"),
    );
    let o = run(&t, &["plan", &r], &[]);
    let text = out(&o);
    assert!(text.contains("employeeOrgData.division"), "{text}");
    assert!(!text.contains("employeeOrgData.costCenter"), "{text}");
    // The JSON plan records the kept value (not a change).
    let o = run(&t, &["plan", &r, "--format", "json"], &[]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("a JSON plan");
    assert_eq!(
        v["steps"][0]["keep"],
        json!({"employeeOrgData.costCenter": "9"}),
        "{v}"
    );
    assert!(
        apply_sends(
            &t,
            &r,
            r#"{"employeeOrgData":{"costCenter":"9","division":"Marketing"}}"#
        ),
        "the PATCH does not carry the live cost centre"
    );
    assert_eq!(
        org_data(&t, BOB),
        json!({"division": "Marketing", "costCenter": "9"})
    );
    assert_plan_empty(&t, &r);
}

/// A saved plan records the kept cost centre: when the tenant's changes
/// after the plan, applying it would write the old value back, so the fresh
/// plan's step differs and apply refuses it, writing nothing.
#[test]
fn a_saved_plan_whose_kept_member_changed_is_refused() {
    let t = tenant_from(seed());
    let (d, r) = repo(
        "orgdata-saved",
        &format!("{HEAD}  - upn: bob\n    employeeOrgData: {{ division: Marketing }}\n"),
    );
    let plan_file = d.join("plan.json");
    let plan_file = plan_file.to_str().unwrap();
    let o = run(&t, &["plan", &r, "--out", plan_file], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    crate::cli_support::portal(
        &t,
        "PATCH",
        &format!("/users/{BOB}"),
        json!({"employeeOrgData": {"division": "Sales", "costCenter": "10"}}),
    );
    t.emu.reset_metrics();
    let o = run(
        &t,
        &["apply", &r, "--plan", plan_file, "--auto-approve"],
        &[],
    );
    assert_ne!(o.status.code(), Some(0), "{}", out(&o));
    // The step itself differs (its kept value), not only bob's fingerprint.
    assert!(
        out(&o).contains("these objects differ: bob@contoso.com"),
        "{}",
        out(&o)
    );
    assert_eq!(writes(&t), 0, "a refused plan writes nothing");
    assert_eq!(
        org_data(&t, BOB),
        json!({"division": "Sales", "costCenter": "10"})
    );
}

#[test]
fn null_clears_one_member_and_keeps_the_other() {
    let t = tenant_from(seed());
    let (_d, r) = repo(
        "orgdata-clear",
        &format!("{HEAD}  - upn: ann\n    employeeOrgData: {{ costCenter: null }}\n"),
    );
    assert!(
        apply_sends(
            &t,
            &r,
            r#"{"employeeOrgData":{"costCenter":null,"division":"Engineering"}}"#
        ),
        "the PATCH does not keep the division"
    );
    assert_eq!(
        org_data(&t, ANN),
        json!({"division": "Engineering", "costCenter": null})
    );
    assert_plan_empty(&t, &r);
}

#[test]
fn an_unknown_member_is_an_error_with_a_suggestion() {
    let (_d, r) = repo(
        "orgdata-unknown",
        &format!("{HEAD}  - upn: ann\n    employeeOrgData: {{ divison: Engineering }}\n"),
    );
    let o = crate::cli_support::bare(&["validate", &r], &[])
        .output()
        .expect("run entraform");
    let text = out(&o);
    assert_ne!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("unknown key `divison` in `employeeOrgData`")
            && text.contains("did you mean `division`?")
            && text.contains("repo.yaml:5:"),
        "{text}"
    );
    // Neither a flat dotted key nor `defaults` holds it.
    for (yaml, want) in [
        (
            format!("{HEAD}  - upn: ann\n    employeeOrgData.division: Engineering\n"),
            "unknown key `employeeOrgData.division` in a user",
        ),
        (
            "tenant:\n  domain: contoso.com\n  defaults:\n    employeeOrgData: { division: Engineering }\nusers: []\n".to_string(),
            "unknown key `employeeOrgData` in `tenant.defaults`",
        ),
    ] {
        std::fs::write(std::path::Path::new(&r).join("repo.yaml"), &yaml).unwrap();
        let o = crate::cli_support::bare(&["validate", &r], &[])
            .output()
            .expect("run entraform");
        let text = out(&o);
        assert!(
            o.status.code() != Some(0) && text.contains(want),
            "{yaml}\n{text}"
        );
    }
}

/// The JSON Schema (`entraform schema`) takes the nested form and refuses
/// an unknown member.
#[test]
fn the_schema_nests_the_members() {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource(
            "entraform.schema.json",
            entraform::desired::schema::schema(),
        )
        .expect("schema resource");
    let idx = compiler
        .compile("entraform.schema.json", &mut schemas)
        .expect("the schema compiles");
    let check = |y: &str| {
        let json = entraform::desired::yaml::to_json(y).expect("parses");
        schemas.validate(&json, idx).is_ok()
    };
    assert!(check(
        "users:\n  - upn: a\n    employeeOrgData: { division: Eng, costCenter: '1' }\n"
    ));
    assert!(check(
        "users:\n  - upn: a\n    employeeOrgData: { costCenter: null }\n"
    ));
    assert!(check("users:\n  - upn: a\n    employeeOrgData: null\n"));
    assert!(!check(
        "users:\n  - upn: a\n    employeeOrgData: { region: EU }\n"
    ));
    assert!(!check("users:\n  - upn: a\n    employeeOrgData: Eng\n"));
}

#[test]
fn export_writes_the_nested_form_and_round_trips() {
    let t = tenant_from(seed());
    let dir = tempdir("orgdata-export");
    let d = dir.to_str().unwrap();
    let o = run(&t, &["export", "--out", d], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let mut all = String::new();
    for e in walk(dir.as_ref()) {
        all.push_str(&std::fs::read_to_string(e).unwrap());
    }
    assert!(
        all.contains(
            "    employeeOrgData:\n      division: Engineering\n      costCenter: \"1\"\n"
        ),
        "{all}"
    );
    // cy has no cost centre: only the division is managed, never a null.
    assert!(
        all.contains("    employeeOrgData:\n      division: Legal\n")
            && !all.contains("costCenter: null"),
        "{all}"
    );
    assert_plan_empty(&t, d);
}

/// A restored user's own values are not known when the plan is made: a
/// member is not sent without its sibling (that PATCH would null the
/// restored cost centre); the next plan, reading the restored user, sends
/// the division with the live cost centre.
#[test]
fn a_restored_user_keeps_its_cost_centre() {
    let y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: {APP}\n    permissions: [{grants}]\nusers:\n  - {{ id: {ROOT}, userPrincipalName: root@contoso.com, displayName: Root, mailNickname: root }}\nroleAssignments:\n  - {{ principalId: {ROOT}, roleDefinitionId: Global Administrator }}\ndeletedUsers:\n  - {{ id: {DEE}, userPrincipalName: dee@contoso.com, displayName: Dee, mailNickname: dee, employeeOrgData: {{ division: Sales, costCenter: '7' }} }}\n",
        grants = entraform::live::permissions::recommended_grants().join(", ")
    );
    let t = tenant_from(Seed::parse(&y).expect("seed"));
    let (_d, r) = repo(
        "orgdata-restore",
        &format!(
            "{HEAD}  - upn: dee\n    displayName: Dee\n    employeeOrgData: {{ division: Marketing }}\n"
        ),
    );
    let o = run(&t, &["plan", &r], &[]);
    let text = out(&o);
    assert!(
        text.contains("restore") && !text.contains("employeeOrgData"),
        "{text}"
    );
    let o = run(&t, &["apply", &r, "--auto-approve"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        org_data(&t, DEE),
        json!({"division": "Sales", "costCenter": "7"})
    );
    let o = run(&t, &["plan", &r], &[]);
    let text = out(&o);
    assert!(
        text.contains("employeeOrgData.division: \"Sales\" → \"Marketing\""),
        "{text}"
    );
    assert!(apply_sends(
        &t,
        &r,
        r#"{"employeeOrgData":{"costCenter":"7","division":"Marketing"}}"#
    ));
    assert_eq!(
        org_data(&t, DEE),
        json!({"division": "Marketing", "costCenter": "7"})
    );
    assert_plan_empty(&t, &r);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
    out.sort();
    out
}
