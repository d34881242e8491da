//! `entraform doctor` against the emulator (issue #15 §6): with the
//! documented grants everything is fine (exit 0); with a partial set it names
//! each missing permission, the reads Graph refuses (status and the
//! permission to grant) and exits 1; `--read-only` checks only what `plan`
//! needs; JSON for CI; nothing secret in the output.

use crate::cli_support::{out, root, run, tenant_from};
use graph_emulator::Seed;
use graph_emulator::seed::Grants;
use serde_json::Value;

const SECRET: &str = "emulator-only-secret-not-for-production";

fn example(grants: Option<&[&str]>) -> crate::cli_support::Tenant {
    let mut seed = Seed::from_file(&root().join("examples/seed.yaml")).unwrap();
    if let Some(g) = grants {
        seed.applications[0].permissions = Some(Grants::list(g));
    }
    tenant_from(seed)
}

/// Sign in through the token endpoint with the client secret, as in production.
const SIGN_IN: &[(&str, &str)] = &[
    ("ENTRAFORM_GRAPH_TOKEN", ""),
    ("AZURE_CLIENT_SECRET", SECRET),
];

#[test]
fn with_the_documented_grants_everything_is_fine() {
    let t = example(None);
    let o = run(&t, &["doctor"], SIGN_IN);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("Sign-in: ok"), "{text}");
    assert!(text.contains("Result: ok."), "{text}");
    assert!(text.contains("revoke_sessions"), "{text}");
    assert!(text.contains("GET /users/delta"), "{text}");
    assert!(
        text.contains("Directory roles of the service principal: User Administrator, Privileged Role Administrator"),
        "{text}"
    );
    assert!(
        text.contains("Refused on users holding: Authentication Administrator"),
        "{text}"
    );
    // Nothing secret: neither the client secret nor the access token.
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains("eyJ"), "no JWT in the output: {text}");
    assert_eq!(t.emu.metrics().tokens_issued, 1);
    // Read-only: no write was sent.
    let m = t.emu.metrics();
    assert!(
        m.by_route.keys().all(|r| r.starts_with("GET ")),
        "{:?}",
        m.by_route
    );

    let o = run(&t, &["doctor", "--format", "json"], SIGN_IN);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["version"], 1);
    assert_eq!(v["ok"], true);
    assert_eq!(v["problems"], serde_json::json!([]));
    // 7 listings, subscribedSkus (issue #17) and the two PIM ones (issue #16).
    assert_eq!(v["reads"].as_array().unwrap().len(), 10);
    assert!(
        v["reads"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == 200)
    );
    assert_eq!(
        v["operations"].as_array().unwrap().len(),
        entraform::plan::access::LEAST.len()
    );
    assert_eq!(
        v["token"]["objectId"],
        "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains(SECRET));
}

#[test]
fn a_partial_grant_is_named_permission_by_permission() {
    // A plan-only grant without role management, and no administrative units.
    let t = example(Some(&["User.Read.All", "GroupMember.Read.All"]));
    let o = run(&t, &["doctor", "--format", "json"], SIGN_IN);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["ok"], false);
    let problems: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let has = |needle: &str| problems.iter().any(|p| p.contains(needle));
    assert!(
        has("revoke_sessions: grant User.RevokeSessions.All"),
        "{problems:#?}"
    );
    assert!(has("create_group: grant Group.Create"), "{problems:#?}");
    assert!(
        has(
            "reading directory role assignments (GET /roleManagement/directory/roleAssignments): HTTP 403"
        ),
        "{problems:#?}"
    );
    // The optional read of administrative units is a warning, not a problem.
    assert!(!has("administrative units"), "{problems:#?}");
    let reads = v["reads"].as_array().unwrap();
    let read = |what: &str| reads.iter().find(|r| r["what"] == what).unwrap();
    let assignments = read("directory role assignments");
    assert_eq!(assignments["status"], 403);
    assert!(
        assignments["error"]
            .as_str()
            .unwrap()
            .contains("grant RoleManagement.Read.Directory"),
        "{assignments}"
    );
    assert_eq!(read("users and their managers")["status"], 200);
    let units = read("administrative units and their members");
    assert_eq!(
        (units["status"].as_u64(), units["optional"].as_bool()),
        (Some(403), Some(true))
    );
    // Role assignments could not be read: no role check.
    assert!(v["roles"].is_null());

    // Text says the same in words.
    let o = run(&t, &["doctor"], SIGN_IN);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("MISSING  revoke_sessions"), "{text}");
    assert!(text.contains("FAIL  403"), "{text}");
    assert!(text.contains("warn  403"), "{text}");
    assert!(text.contains("Authorization_RequestDenied"), "{text}");

    // --read-only: a plan app with what plan needs is fine.
    let t = example(Some(&[
        "User.Read.All",
        "GroupMember.Read.All",
        "RoleManagement.Read.Directory",
        "Organization.Read.All",
        "AdministrativeUnit.Read.All",
    ]));
    let o = run(&t, &["doctor", "--read-only"], SIGN_IN);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(!out(&o).contains("Operations"), "{}", out(&o));
}

#[test]
fn a_refused_sign_in_is_one_clear_problem() {
    let t = example(None);
    let o = run(
        &t,
        &["doctor"],
        &[
            ("ENTRAFORM_GRAPH_TOKEN", ""),
            ("AZURE_CLIENT_SECRET", "wrong-secret"),
        ],
    );
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("sign-in failed"), "{text}");
    assert!(text.contains("AADSTS7000215"), "{text}");
    assert!(!text.contains("wrong-secret"), "{text}");
}
