//! Group owners end to end (issue #15 §2): groups are never created
//! ownerless (declared owners, else entraform's service principal, bound in
//! the create call), `owners:` is authoritative for existing groups
//! (additive with `membership: additive`), apply converges, and the repo
//! format refuses an empty or malformed owner list.

use crate::cli_support::{out, run, tempdir, tenant_from};
use graph_emulator::Seed;
use serde_json::Value;

const APP: &str = "11111111-1111-4111-8111-111111111111";
const SP: &str = "11111111-0000-4000-8000-0000000000aa";
const ANN: &str = "0c000000-0000-4000-8000-000000000001";
const BOB: &str = "0c000000-0000-4000-8000-000000000002";
const CAT: &str = "0c000000-0000-4000-8000-000000000003";

fn seed() -> Seed {
    let y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: {APP}\n    servicePrincipalId: {SP}\n    permissions: [{grants}]\nusers:\n  - {{ id: {ANN}, userPrincipalName: ann@contoso.com, displayName: Ann, mailNickname: ann }}\n  - {{ id: {BOB}, userPrincipalName: bob@contoso.com, displayName: Bob, mailNickname: bob }}\n  - {{ id: {CAT}, userPrincipalName: cat@contoso.com, displayName: Cat, mailNickname: cat }}\ngroups:\n  - {{ displayName: ops, mailNickname: ops, members: [{ANN}], owners: [{ANN}] }}\n  - {{ displayName: guild, mailNickname: guild, owners: [{ANN}] }}\n  - {{ displayName: legacy, mailNickname: legacy, owners: [{ANN}] }}\nroleAssignments:\n  - {{ principalId: {ANN}, roleDefinitionId: Global Administrator }}\n",
        grants = entraform::live::permissions::recommended_grants().join(", ")
    );
    Seed::parse(&y).expect("seed")
}

const REPO: &str = "\
tenant:
  domain: contoso.com
users:
  - { upn: ann, displayName: Ann }
  - { upn: bob, displayName: Bob }
  - { upn: cat, displayName: Cat }
groups:
  # An existing group: owners authoritative.
  - name: ops
    members: [ann]
    owners: [bob, { servicePrincipal: self }]
  # Additive: owners are added, none removed.
  - name: guild
    membership: additive
    owners: [cat]
  # No owners key: left alone.
  - name: legacy
  # New groups: declared owners, or entraform's service principal.
  - name: staffed
    owners: [cat]
  - name: fresh
";

fn steps(plan_json: &[u8]) -> Vec<(String, String, Value)> {
    let v: Value = serde_json::from_slice(plan_json).expect("json");
    v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["op"].as_str().unwrap().to_string(),
                s["group"]["name"]
                    .as_str()
                    .or(s["name"].as_str())
                    .unwrap_or("")
                    .to_string(),
                s.clone(),
            )
        })
        .collect()
}

fn owners_of(t: &crate::cli_support::Tenant, name: &str) -> Vec<String> {
    let g = t
        .emu
        .state()
        .groups
        .into_iter()
        .find(|g| g.properties["displayName"] == name)
        .unwrap_or_else(|| panic!("group {name}"));
    let mut o = g.owners;
    o.sort();
    o
}

#[test]
fn owners_are_planned_bound_at_creation_and_converge() {
    let t = tenant_from(seed());
    let dir = tempdir("owners");
    std::fs::write(dir.join("repo.yaml"), REPO).unwrap();
    let repo = dir.to_str().unwrap();
    let o = run(&t, &["plan", repo, "--format", "json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let s = steps(&o.stdout);
    let kinds: Vec<(String, String)> = s.iter().map(|(k, g, _)| (k.clone(), g.clone())).collect();
    let has = |k: &str, g: &str| kinds.contains(&(k.to_string(), g.to_string()));
    assert!(
        has("add_owner", "ops") && has("remove_owner", "ops"),
        "{kinds:?}"
    );
    assert!(
        has("add_owner", "guild") && !has("remove_owner", "guild"),
        "{kinds:?}"
    );
    assert!(!kinds.iter().any(|(_, g)| g == "legacy"), "{kinds:?}");
    let create = |name: &str| {
        s.iter()
            .find(|(k, g, _)| k == "create_group" && g == name)
            .map(|(_, _, v)| v["owners"].clone())
            .unwrap_or_else(|| panic!("create_group {name}: {kinds:?}"))
    };
    assert_eq!(
        create("staffed"),
        serde_json::json!([{"kind": "user", "upn": "cat@contoso.com", "id": CAT}])
    );
    assert_eq!(
        create("fresh"),
        serde_json::json!([{"kind": "service_principal", "id": SP}])
    );
    // The removal waits for the additions (a group never drops to no owner).
    let index = |k: &str, g: &str| {
        s.iter()
            .find(|(kk, gg, _)| kk == k && gg == g)
            .map(|(_, _, v)| v["id"].as_u64().unwrap())
            .unwrap()
    };
    let remove = s
        .iter()
        .find(|(k, g, _)| k == "remove_owner" && g == "ops")
        .unwrap();
    let deps: Vec<u64> = remove.2["depends_on"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap())
        .collect();
    assert!(deps.contains(&index("add_owner", "ops")), "{deps:?}");

    // Text shows the owners of a new group.
    let o = run(&t, &["plan", repo], &[]);
    let text = out(&o);
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("owners:") && l.ends_with("cat@contoso.com")),
        "{text}"
    );

    let o = run(&t, &["apply", repo, "--auto-approve"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let mut ops = vec![BOB.to_string(), SP.to_string()];
    ops.sort();
    assert_eq!(owners_of(&t, "ops"), ops);
    let mut guild = vec![ANN.to_string(), CAT.to_string()];
    guild.sort();
    assert_eq!(owners_of(&t, "guild"), guild);
    assert_eq!(owners_of(&t, "legacy"), vec![ANN.to_string()]);
    assert_eq!(owners_of(&t, "staffed"), vec![CAT.to_string()]);
    assert_eq!(owners_of(&t, "fresh"), vec![SP.to_string()]);
    let o = run(&t, &["plan", repo, "--detailed-exitcode"], &[]);
    assert_eq!(o.status.code(), Some(0), "converged: {}", out(&o));
}

#[test]
fn an_empty_or_malformed_owner_list_is_refused() {
    let dir = tempdir("owners-invalid");
    std::fs::write(
        dir.join("repo.yaml"),
        "tenant:\n  domain: contoso.com\ngroups:\n  - name: a\n    owners: []\n  - name: b\n    owners: [{ servicePrincipal: nope }]\n  - name: c\n    owners: [{ application: self }]\n",
    )
    .unwrap();
    let o = crate::cli_support::entraform()
        .args(["validate", dir.to_str().unwrap()])
        .output()
        .unwrap();
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("group `a` declares no owners"), "{text}");
    assert!(text.contains("`nope` is not a service principal"), "{text}");
    assert!(text.contains("repo.yaml:7:34"), "{text}");
    assert_eq!(text.matches("declares no owners").count(), 1, "{text}");
    assert!(text.contains("unknown key `application`"), "{text}");
}
