//! `entraform export` writes each user's **direct** licences (issue #17,
//! *export round-trips all of it*): SKU part numbers, `disabled_plans:` by
//! service-plan name; licences inherited from a group are the group's and
//! are not written. The exported repo plans to zero changes — also once
//! `tenant.defaults.licenses: []` makes every declared user's licences
//! authoritative, so the round trip is empty because the licences are
//! declared, not because undeclared ones are left alone. When licences
//! cannot be read, export says so and declares none.

use crate::cli_support::{Tenant, out, run, tempdir, tenant_from};
use graph_emulator::Seed;

const APP: &str = "11111111-1111-4111-8111-111111111111";
const ANN: &str = "0e000000-0000-4000-8000-000000000001";
const BOB: &str = "0e000000-0000-4000-8000-000000000002";
const CARA: &str = "0e000000-0000-4000-8000-000000000003";
const DAN: &str = "0e000000-0000-4000-8000-000000000004";
const E5_GROUP: &str = "0e000000-0000-4000-8000-0000000000e5";
const E3_GROUP: &str = "0e000000-0000-4000-8000-0000000000e3";
const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
const E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";
const EXO: &str = "efb87545-963c-4e0d-99df-69c6916d9eb0";
const TEAMS: &str = "57ff2da0-773e-42df-b2af-ffb7a2317929";

/// ann: E3 direct without Teams, and SPE_E5 direct. bob: E5 only through
/// the group `e5-users`. cara: E3 both ways (direct and through `e3-users`).
/// dan: no licence (the Global Administrator).
fn seed(grants: &str) -> Seed {
    let y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: {APP}\n    permissions: [{grants}]\nusers:\n  - {{ id: {ANN}, userPrincipalName: ann@contoso.com, displayName: Ann, mailNickname: ann, usageLocation: US }}\n  - {{ id: {BOB}, userPrincipalName: bob@contoso.com, displayName: Bob, mailNickname: bob, usageLocation: NO }}\n  - {{ id: {CARA}, userPrincipalName: cara@contoso.com, displayName: Cara, mailNickname: cara, usageLocation: DE }}\n  - {{ id: {DAN}, userPrincipalName: dan@contoso.com, displayName: Dan, mailNickname: dan }}\ngroups:\n  - {{ id: {E5_GROUP}, displayName: e5-users, mailNickname: e5-users, members: [{BOB}] }}\n  - {{ id: {E3_GROUP}, displayName: e3-users, mailNickname: e3-users, members: [{CARA}] }}\nsubscribedSkus:\n  - {{ skuId: {E3}, skuPartNumber: ENTERPRISEPACK, enabled: 20, servicePlans: [{{ servicePlanId: {EXO}, servicePlanName: EXCHANGE_S_ENTERPRISE }}, {{ servicePlanId: {TEAMS}, servicePlanName: TEAMS1 }}] }}\n  - {{ skuId: {E5}, skuPartNumber: SPE_E5, enabled: 10, servicePlans: [{{ servicePlanId: {TEAMS}, servicePlanName: TEAMS1 }}] }}\nlicenseAssignments:\n  - {{ principal: {ANN}, sku: ENTERPRISEPACK, disabledPlans: [{TEAMS}] }}\n  - {{ principal: {ANN}, sku: SPE_E5 }}\n  - {{ principal: {E5_GROUP}, sku: SPE_E5 }}\n  - {{ principal: {E3_GROUP}, sku: ENTERPRISEPACK }}\n  - {{ principal: {CARA}, sku: ENTERPRISEPACK }}\nroleAssignments:\n  - {{ principalId: {DAN}, roleDefinitionId: Global Administrator }}\n"
    );
    Seed::parse(&y).expect("seed")
}

fn all_grants() -> String {
    entraform::live::permissions::recommended_grants().join(", ")
}

/// Export the tenant into a fresh repo; (repo dir, the users file, the command's output).
fn export(t: &Tenant, name: &str) -> (crate::scratch::Scratch, String, String) {
    let dir = tempdir(name);
    let repo = dir.join("repo");
    let o = run(
        t,
        &[
            "export",
            "--out",
            repo.to_str().unwrap(),
            "--split-by",
            "none",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let users = std::fs::read_to_string(repo.join("users.yaml")).unwrap();
    (dir, users, out(&o))
}

/// The lines of one user's entry in an exported users file.
fn entry<'a>(users: &'a str, upn: &str) -> Vec<&'a str> {
    let head = format!("  - upn: {upn}");
    users
        .lines()
        .skip_while(|l| *l != head)
        .skip(1)
        .take_while(|l| !l.starts_with("  - upn:"))
        .collect()
}

fn plan_code(t: &Tenant, repo: &str) -> (Option<i32>, String) {
    let o = run(t, &["plan", repo, "--detailed-exitcode"], &[]);
    (o.status.code(), out(&o))
}

#[test]
fn export_writes_direct_licences_only_and_the_declared_licences_plan_empty() {
    let t = tenant_from(seed(&all_grants()));
    let (dir, users, _) = export(&t, "lic-direct");
    let repo = dir.join("repo");
    let repo_s = repo.to_str().unwrap();

    // Exactly the direct ones, by part number and plan name.
    let ann = entry(&users, "ann@contoso.com");
    let at = ann
        .iter()
        .position(|l| *l == "    licenses:")
        .expect(&users);
    assert_eq!(
        ann[at + 1..],
        [
            "      - { sku: ENTERPRISEPACK, disabled_plans: [TEAMS1] }",
            "      - SPE_E5"
        ],
        "{users}"
    );
    // Both ways: the direct copy is declared, the group's is not.
    let cara = entry(&users, "cara@contoso.com");
    let at = cara
        .iter()
        .position(|l| *l == "    licenses:")
        .expect(&users);
    assert_eq!(cara[at + 1..], ["      - ENTERPRISEPACK"], "{users}");
    // Only through a group, or none: nothing written.
    for upn in ["bob@contoso.com", "dan@contoso.com"] {
        assert!(
            !entry(&users, upn).iter().any(|l| l.contains("licenses")),
            "{upn}: {users}"
        );
    }
    assert_eq!(users.matches("licenses:").count(), 2, "{users}");

    // The exported repo plans empty.
    let (code, text) = plan_code(&t, repo_s);
    assert_eq!(code, Some(0), "{text}");

    // Make licences authoritative for every declared user without its own
    // list (`defaults.licenses: []`): still empty, because ann's and cara's
    // direct licences are declared and bob's is inherited (kept, shown).
    let tenant_yaml = repo.join("tenant.yaml");
    let mut tt = std::fs::read_to_string(&tenant_yaml).unwrap();
    assert!(tt.ends_with("  defaults:\n    enabled: true\n"), "{tt}");
    tt.push_str("    licenses: []\n");
    std::fs::write(&tenant_yaml, &tt).unwrap();
    let (code, text) = plan_code(&t, repo_s);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("inherited-license"), "{text}");

    // The rule does bite: without ann's lines, her direct licences would go.
    let users_yaml = repo.join("users.yaml");
    let ann_block = "    licenses:\n      - { sku: ENTERPRISEPACK, disabled_plans: [TEAMS1] }\n      - SPE_E5\n";
    assert_eq!(users.matches(ann_block).count(), 1, "{users}");
    let stripped = users.replace(ann_block, "");
    std::fs::write(&users_yaml, &stripped).unwrap();
    let o = run(&t, &["plan", repo_s, "--format", "json"], &[]);
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", out(&o)));
    let lic: Vec<&serde_json::Value> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["op"] == "assign_licenses")
        .collect();
    assert_eq!(lic.len(), 1, "{stripped}\n{v}");
    assert_eq!(lic[0]["user"]["upn"], "ann@contoso.com");
    assert_eq!(lic[0]["remove"].as_array().unwrap().len(), 2, "{v}");
}

#[test]
fn export_without_licence_permission_says_so_and_declares_none() {
    // No Organization.Read.All: `GET /subscribedSkus` is refused (403).
    let t = tenant_from(seed(
        "User.Read.All, GroupMember.Read.All, RoleManagement.Read.Directory",
    ));
    let (_dir, users, text) = export(&t, "lic-refused");
    assert!(
        text.contains("warning: cannot read licences (subscribedSkus, licenseAssignmentStates)")
            && text.contains("the export declares no licences"),
        "{text}"
    );
    assert!(!users.contains("licenses"), "{users}");
}
