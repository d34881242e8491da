//! Licences end to end through the binary against the emulator (issue #17,
//! *Licences*): `licenses:` on users and in `tenant.defaults` become one
//! `assign_licenses` step per user (`POST /users/{id}/assignLicense`), after
//! the user exists; licences inherited from a group are shown and never
//! removed; the plan shows seats per SKU and is unappliable (exit 3, its own
//! `seat-shortfall` line naming the SKU and the shortfall) when a SKU has
//! too few free seats; a licence without `usageLocation` is a validation
//! error; apply converges (the next plan is empty).

use crate::cli_support::{Tenant, bare, out, run, tempdir, tenant_from, writes};
use graph_emulator::Seed;
use serde_json::Value;

const APP: &str = "11111111-1111-4111-8111-111111111111";
const ANN: &str = "0d000000-0000-4000-8000-000000000001";
const BOB: &str = "0d000000-0000-4000-8000-000000000002";
const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
const E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";
const EXO: &str = "efb87545-963c-4e0d-99df-69c6916d9eb0";
const TEAMS: &str = "57ff2da0-773e-42df-b2af-ffb7a2317929";

/// ann holds E3 directly; bob holds E5 through the group `e5-users`. E3 has
/// `e3_seats` seats.
fn seed(e3_seats: u32) -> Seed {
    let y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: {APP}\n    permissions: [{grants}]\nusers:\n  - {{ id: {ANN}, userPrincipalName: ann@contoso.com, displayName: Ann, mailNickname: ann, usageLocation: US }}\n  - {{ id: {BOB}, userPrincipalName: bob@contoso.com, displayName: Bob, mailNickname: bob, usageLocation: NO }}\ngroups:\n  - {{ id: 0d000000-0000-4000-8000-0000000000e5, displayName: e5-users, mailNickname: e5-users, members: [{BOB}] }}\nsubscribedSkus:\n  - {{ skuId: {E3}, skuPartNumber: ENTERPRISEPACK, enabled: {e3_seats}, servicePlans: [{{ servicePlanId: {EXO}, servicePlanName: EXCHANGE_S_ENTERPRISE }}, {{ servicePlanId: {TEAMS}, servicePlanName: TEAMS1 }}] }}\n  - {{ skuId: {E5}, skuPartNumber: SPE_E5, enabled: 10, servicePlans: [{{ servicePlanId: {TEAMS}, servicePlanName: TEAMS1 }}] }}\nlicenseAssignments:\n  - {{ principal: {ANN}, sku: ENTERPRISEPACK }}\n  - {{ principal: 0d000000-0000-4000-8000-0000000000e5, sku: SPE_E5 }}\nroleAssignments:\n  - {{ principalId: {BOB}, roleDefinitionId: Global Administrator }}\n",
        grants = entraform::live::permissions::recommended_grants().join(", ")
    );
    Seed::parse(&y).expect("seed")
}

fn plan_json(t: &Tenant, repo: &str) -> (Option<i32>, Value, String) {
    let o = run(t, &["plan", repo, "--format", "json"], &[]);
    let v = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    (o.status.code(), v, out(&o))
}

/// Licence paths of a user as Graph reports them: (skuId, disabledPlans, assignedByGroup).
fn states(t: &Tenant, user: &str) -> Vec<(String, Vec<String>, Option<String>)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let v: Value = rt.block_on(async {
        reqwest::Client::new()
            .get(format!(
                "{}/v1.0/users/{user}?$select=licenseAssignmentStates",
                t.emu.base_url()
            ))
            .bearer_auth(&t.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let mut out: Vec<_> = v["licenseAssignmentStates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["skuId"].as_str().unwrap().to_string(),
                s["disabledPlans"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap().to_string())
                    .collect(),
                s["assignedByGroup"].as_str().map(str::to_string),
            )
        })
        .collect();
    out.sort();
    out
}

const REPO: &str = "\
tenant:
  domain: contoso.com
  defaults:
    usageLocation: US
    licenses: [ENTERPRISEPACK]
users:
  # Moves from E3 to E5 without Exchange's sibling plan Teams.
  - upn: ann
    displayName: Ann
    licenses:
      - { sku: SPE_E5, disabled_plans: [TEAMS1] }
  # Inherits E5 from e5-users: declares no licence, the inherited one stays.
  - upn: bob
    displayName: Bob
    licenses: []
  # A joiner: created, then licensed from the defaults.
  - upn: cara
    displayName: Cara
";

#[test]
fn licences_are_assigned_inherited_ones_kept_and_apply_converges() {
    let t = tenant_from(seed(5));
    let dir = tempdir("licences");
    std::fs::write(dir.join("repo.yaml"), REPO).unwrap();
    let repo = dir.to_str().unwrap();

    let (code, v, text) = plan_json(&t, repo);
    assert_eq!(code, Some(0), "{text}");
    let steps = v["steps"].as_array().unwrap();
    let lic: Vec<&Value> = steps
        .iter()
        .filter(|s| s["op"] == "assign_licenses")
        .collect();
    assert_eq!(lic.len(), 2, "ann and cara, not bob: {text}");
    let ann = lic
        .iter()
        .find(|s| s["user"]["upn"] == "ann@contoso.com")
        .unwrap();
    assert_eq!(ann["add"][0]["part_number"], "SPE_E5");
    assert_eq!(ann["add"][0]["disabled_plans"][0]["name"], "TEAMS1");
    assert_eq!(ann["remove"][0]["part_number"], "ENTERPRISEPACK");
    // cara's licence waits for her creation.
    let cara = lic
        .iter()
        .find(|s| s["user"]["upn"] == "cara@contoso.com")
        .unwrap();
    let create = steps.iter().find(|s| s["op"] == "create_user").unwrap();
    assert!(
        cara["depends_on"]
            .as_array()
            .unwrap()
            .contains(&create["id"]),
        "{cara}"
    );
    let notices = v["notices"].as_array().unwrap();
    assert!(
        notices.iter().any(|n| n["code"] == "inherited-license"
            && n["object"] == "bob@contoso.com"
            && n["message"].as_str().unwrap().contains("e5-users")),
        "{notices:?}"
    );
    // Seats before and after: E3 loses ann and gains cara, E5 gains ann.
    let seats: Vec<&str> = notices
        .iter()
        .filter(|n| n["code"] == "license-seats")
        .map(|n| n["message"].as_str().unwrap())
        .collect();
    assert!(
        seats.contains(&"ENTERPRISEPACK: 1 of 5 seats used before the plan, 1 after"),
        "{seats:?}"
    );
    assert!(
        seats.contains(&"SPE_E5: 1 of 10 seats used before the plan, 2 after"),
        "{seats:?}"
    );
    // The text plan names the licences.
    let o = run(&t, &["plan", repo], &[]);
    let text = out(&o);
    assert!(
        text.contains("assign licences: + SPE_E5; - ENTERPRISEPACK"),
        "{text}"
    );

    let o = run(&t, &["apply", repo, "--auto-approve"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        states(&t, ANN),
        vec![(E5.to_string(), vec![TEAMS.to_string()], None)]
    );
    // bob's inherited licence is untouched.
    assert_eq!(
        states(&t, BOB),
        vec![(
            E5.to_string(),
            vec![],
            Some("0d000000-0000-4000-8000-0000000000e5".to_string())
        )]
    );
    let cara_id = t
        .emu
        .state()
        .users
        .iter()
        .find(|u| u.properties["userPrincipalName"] == "cara@contoso.com")
        .and_then(|u| u.id.clone())
        .unwrap();
    assert_eq!(states(&t, &cara_id), vec![(E3.to_string(), vec![], None)]);

    let (code, v, text) = plan_json(&t, repo);
    assert_eq!(code, Some(0), "{text}");
    assert!(v["steps"].as_array().unwrap().is_empty(), "{text}");
}

#[test]
fn too_few_seats_make_the_plan_unappliable_naming_the_sku_and_shortfall() {
    // E3 has 2 seats, ann uses one; two joiners need two more: short by one.
    let t = tenant_from(seed(2));
    let dir = tempdir("licences-seats");
    std::fs::write(
        dir.join("repo.yaml"),
        "tenant:\n  domain: contoso.com\n  defaults:\n    usageLocation: US\nusers:\n  - { upn: dan, displayName: Dan, licenses: [ENTERPRISEPACK] }\n  - { upn: eve, displayName: Eve, licenses: [enterprisepack] }\n",
    )
    .unwrap();
    let repo = dir.to_str().unwrap();
    let o = run(&t, &["plan", repo], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(3), "{text}");
    // Its own line among the gates, naming the SKU and the shortfall.
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with("license-seats") && l.contains("TRIPPED"))
        .unwrap_or_else(|| panic!("no license-seats gate line: {text}"));
    assert!(
        lines[at + 1].contains("ENTERPRISEPACK") && lines[at + 1].contains("shortfall 1"),
        "{text}"
    );
    assert!(text.contains("seat-shortfall"), "{text}");
    let before = writes(&t);
    let o = run(&t, &["apply", repo, "--auto-approve"], &[]);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    assert_eq!(writes(&t), before, "nothing applied");
}

#[test]
fn a_licence_needs_a_usage_location_and_a_known_sku() {
    let t = tenant_from(seed(5));
    let dir = tempdir("licences-invalid");
    std::fs::write(
        dir.join("repo.yaml"),
        "tenant:\n  domain: contoso.com\nusers:\n  - upn: dan\n    displayName: Dan\n    licenses: [ENTERPRISEPACK]\n",
    )
    .unwrap();
    let o = bare(&["validate", dir.to_str().unwrap()], &[])
        .output()
        .unwrap();
    let text = out(&o);
    assert_ne!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("license-needs-usage-location") && text.contains("repo.yaml:6"),
        "{text}"
    );

    std::fs::write(
        dir.join("repo.yaml"),
        "tenant:\n  domain: contoso.com\nusers:\n  - { upn: dan, displayName: Dan, usageLocation: US, licenses: [E7_ULTRA] }\n",
    )
    .unwrap();
    let (code, _, text) = plan_json(&t, dir.to_str().unwrap());
    assert_ne!(code, Some(0), "{text}");
    assert!(
        text.contains("unknown-sku") && text.contains("ENTERPRISEPACK, SPE_E5"),
        "{text}"
    );
}
