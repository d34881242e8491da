//! Renames in place through the binary against the emulator (issue #17,
//! *Movers*): a user entry carrying `previous_upns` matches the live user
//! that holds one of them; the plan has one `rename_user` step
//! (`~ userPrincipalName: old → new`, `PATCH /users/{id}`), not a delete and
//! a create, and the user keeps its object id, groups, roles and licences;
//! the next plan is empty. A new UPN another live user holds is a
//! `rename-collision` error.

use crate::cli_support::{Tenant, out, run, tempdir, tenant_from, writes};
use graph_emulator::Seed;
use serde_json::Value;

const APP: &str = "11111111-1111-4111-8111-111111111111";
const ANN: &str = "0f000000-0000-4000-8000-000000000001";
const BOB: &str = "0f000000-0000-4000-8000-000000000002";
const CARA: &str = "0f000000-0000-4000-8000-000000000003";
/// entraform's service principal: User Administrator, which renaming a
/// Helpdesk Administrator needs (a sensitive action).
const SP: &str = "0f000000-0000-4000-8000-0000000000ff";
const TEAM: &str = "0f000000-0000-4000-8000-0000000000aa";
const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";

fn tenant() -> Tenant {
    let y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: {APP}\n    servicePrincipalId: {SP}\n    permissions: [{grants}]\nusers:\n  - {{ id: {ANN}, userPrincipalName: ann.lee@contoso.com, displayName: Ann Lee, mailNickname: ann.lee, usageLocation: US, department: Sales }}\n  - {{ id: {BOB}, userPrincipalName: bob@contoso.com, displayName: Bob, mailNickname: bob }}\n  - {{ id: {CARA}, userPrincipalName: cara@contoso.com, displayName: Cara, mailNickname: cara }}\ngroups:\n  - {{ id: {TEAM}, displayName: team, mailNickname: team, members: [{ANN}] }}\nroleAssignments:\n  - {{ principalId: {CARA}, roleDefinitionId: Global Administrator }}\n  - {{ principalId: {SP}, roleDefinitionId: User Administrator }}\n  - {{ principalId: {ANN}, roleDefinitionId: Helpdesk Administrator }}\nsubscribedSkus:\n  - {{ skuId: {E3}, skuPartNumber: ENTERPRISEPACK, enabled: 5 }}\nlicenseAssignments:\n  - {{ principal: {ANN}, sku: ENTERPRISEPACK }}\n",
        grants = entraform::live::permissions::recommended_grants().join(", ")
    );
    tenant_from(Seed::parse(&y).expect("seed"))
}

const REPO: &str = "\
tenant:
  domain: contoso.com
users:
  # Ann married: a new surname and UPN, and a move to Marketing.
  - upn: ann.kim
    previous_upns: [ann.lee]
    displayName: Ann Kim
    department: Marketing
    usageLocation: US
    groups: [team]
    roles: [Helpdesk Administrator]
    licenses: [ENTERPRISEPACK]
groups:
  - name: team
";

fn plan(t: &Tenant, repo: &str) -> (Option<i32>, Value, String) {
    let o = run(t, &["plan", repo, "--format", "json"], &[]);
    (
        o.status.code(),
        serde_json::from_slice(&o.stdout).unwrap_or(Value::Null),
        out(&o),
    )
}

#[test]
fn a_rename_keeps_the_object_its_groups_roles_and_licences() {
    let t = tenant();
    let dir = tempdir("rename");
    std::fs::write(dir.join("repo.yaml"), REPO).unwrap();
    let repo = dir.to_str().unwrap();
    let (code, v, text) = plan(&t, repo);
    assert_eq!(code, Some(0), "{text}");
    let kinds: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["op"].as_str().unwrap())
        .collect();
    // A rename and the attribute changes: no delete, no create, no group,
    // role or licence step.
    assert_eq!(kinds, vec!["rename_user", "update_user"], "{text}");
    let rename = &v["steps"][0];
    assert_eq!(rename["user"]["id"], ANN);
    assert_eq!(rename["user"]["upn"], "ann.lee@contoso.com");
    assert_eq!(rename["new_upn"], "ann.kim@contoso.com");
    // The update waits for the rename.
    assert!(
        v["steps"][1]["depends_on"]
            .as_array()
            .unwrap()
            .contains(&rename["id"]),
        "{text}"
    );
    let o = run(&t, &["plan", repo], &[]);
    let plain = out(&o);
    assert!(
        plain.contains("~ userPrincipalName: ann.lee@contoso.com → ann.kim@contoso.com"),
        "{plain}"
    );

    let o = run(&t, &["apply", repo, "--auto-approve"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let state = t.emu.state();
    let ann = state
        .users
        .iter()
        .find(|u| u.id.as_deref() == Some(ANN))
        .expect("same object");
    assert_eq!(ann.properties["userPrincipalName"], "ann.kim@contoso.com");
    assert_eq!(ann.properties["department"], "Marketing");
    let team = state
        .groups
        .iter()
        .find(|g| g.id.as_deref() == Some(TEAM))
        .unwrap();
    assert_eq!(team.members, vec![ANN.to_string()]);
    assert!(
        state.role_assignments.iter().any(|a| a.principal_id == ANN
            && a.role_definition_id == "729827e3-9c14-49f7-bb1b-9608f156bbb8"),
        "{:?}",
        state.role_assignments
    );
    assert_eq!(
        state.license_assignments.len(),
        1,
        "{:?}",
        state.license_assignments
    );
    assert_eq!(state.license_assignments[0].principal, ANN);

    let (code, v, text) = plan(&t, repo);
    assert_eq!(code, Some(0), "{text}");
    assert!(v["steps"].as_array().unwrap().is_empty(), "{text}");
}

#[test]
fn a_rename_onto_another_users_upn_is_a_plan_error() {
    let t = tenant();
    let dir = tempdir("rename-collision");
    std::fs::write(
        dir.join("repo.yaml"),
        "tenant:\n  domain: contoso.com\nusers:\n  - { upn: bob, previous_upns: [ann.lee], displayName: Bob }\n",
    )
    .unwrap();
    let before = writes(&t);
    let (code, v, text) = plan(&t, dir.to_str().unwrap());
    assert_eq!(code, Some(1), "{text}");
    let e = &v["errors"][0];
    assert_eq!(e["code"], "rename-collision", "{text}");
    assert!(
        e["message"].as_str().unwrap().contains(BOB),
        "names the other user: {text}"
    );
    assert_eq!(writes(&t), before);
}
