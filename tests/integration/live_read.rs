//! The live reader against the emulator over HTTP: the read returns exactly
//! the seeded tenant, in a number of requests close to the minimum, also
//! with throttling and 5xx faults on.

use crate::emulator_client::client_at;
use std::collections::{BTreeMap, BTreeSet};

use entraform::desired::attrs::Attr;
use entraform::graph::{Credential, GraphClient};
use entraform::live::{Live, MembershipStrategy, ReadOptions, read_live};
use graph_emulator::{
    Emulator, EmulatorConfig, FaultConfig, SYNTHETIC_CLIENT_ID, SYNTHETIC_CLIENT_SECRET, Seed,
    SyntheticSpec,
};

fn client_for(emu: &Emulator) -> GraphClient {
    client_at(
        emu.base_url(),
        &emu.tenant_id(),
        SYNTHETIC_CLIENT_ID,
        Credential::Secret(SYNTHETIC_CLIENT_SECRET.into()),
        true,
    )
}

fn ceil(a: usize, b: usize) -> usize {
    a.div_ceil(b)
}

/// The tenant as the seed describes it, in the reader's terms.
#[derive(Debug, PartialEq)]
struct Shape {
    users: BTreeMap<String, (String, Option<String>, Option<String>, bool)>,
    groups: BTreeMap<String, (String, bool, BTreeSet<String>)>,
    assignments: BTreeSet<(String, String)>,
}

fn seed_shape(seed: &Seed) -> Shape {
    let s = |m: &serde_json::Map<String, serde_json::Value>, k: &str| {
        m.get(k).and_then(|v| v.as_str()).map(str::to_string)
    };
    let users = seed
        .users
        .iter()
        .map(|u| {
            let p = &u.properties;
            (
                u.id.clone().unwrap(),
                (
                    s(p, "userPrincipalName").unwrap().to_lowercase(),
                    s(p, "displayName"),
                    u.manager.clone(),
                    p.get("accountEnabled")
                        .and_then(|v| v.as_bool())
                        .unwrap_or(true),
                ),
            )
        })
        .collect();
    let groups = seed
        .groups
        .iter()
        .map(|g| {
            let p = &g.properties;
            (
                g.id.clone().unwrap(),
                (
                    s(p, "displayName").unwrap(),
                    p.get("membershipRule").is_some(),
                    g.members.iter().cloned().collect(),
                ),
            )
        })
        .collect();
    let assignments = seed
        .role_assignments
        .iter()
        .map(|a| (a.principal_id.clone(), a.role_definition_id.clone()))
        .collect();
    Shape {
        users,
        groups,
        assignments,
    }
}

fn live_shape(live: &Live) -> Shape {
    let users = live
        .users()
        .iter()
        .map(|u| {
            (
                u.id.0.clone(),
                (
                    u.upn.key(),
                    u.attrs.text(Attr::DisplayName).map(str::to_string),
                    u.manager.as_ref().map(|m| m.0.clone()),
                    u.account_enabled,
                ),
            )
        })
        .collect();
    let groups = live
        .groups()
        .iter()
        .map(|g| {
            (
                g.id.0.clone(),
                (
                    g.display_name.clone(),
                    g.is_dynamic(),
                    g.members.iter().map(|m| m.id.0.clone()).collect(),
                ),
            )
        })
        .collect();
    let assignments = live
        .role_assignments()
        .iter()
        .map(|a| (a.principal_id.0.clone(), a.role_definition_id.clone()))
        .collect();
    Shape {
        users,
        groups,
        assignments,
    }
}

fn spec(users: usize, groups: usize, memberships: usize) -> Seed {
    Seed::synthetic(SyntheticSpec {
        users,
        groups,
        memberships,
        rng_seed: 42,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_read_is_exact_and_near_the_minimum_of_requests() {
    let (u, g, m) = (2_500, 450, 9_000);
    let seed = spec(u, g, m);
    let emu = Emulator::serve(seed.clone(), EmulatorConfig::default())
        .await
        .unwrap();
    let client = client_for(&emu);
    let live = read_live(&client, &ReadOptions::default()).await.unwrap();
    assert_eq!(live_shape(&live), seed_shape(&seed));
    assert_eq!(live.membership_count(), m);

    // Formula: ⌈U/100⌉ user pages ($expand=manager caps Graph's pages at 100) + delta pages for groups+members (the
    // emulator's delta page holds 200 groups) + ⌈R/999⌉ role assignment pages
    // + 1 role definitions + ⌈D/999⌉ deleted-user pages (D = 0 → 1 request)
    // + ⌈A/999⌉ administrative-unit pages (A = 0 → 1 request) + ⌈Aᵣ/20⌉ `$batch`
    // POSTs for the members of restricted units (Aᵣ = 0 → none)
    // + 2 PIM listings (eligibility and assignment schedule instances, one page each here).
    // The running principal comes from the token's `oid` claim: no request.
    let r = seed.role_assignments.len();
    let expected = ceil(u, 100) + ceil(g, 200) + ceil(r, 999) + 1 + 1 + 1 + 2;
    let stats = live.stats();
    assert_eq!(stats.requests.http_requests as usize, expected, "{stats:?}");
    assert_eq!(stats.requests.token_requests, 1);
    let metrics = emu.metrics();
    assert_eq!(
        metrics.total_requests as usize, expected,
        "the emulator saw the same requests: {metrics:?}"
    );
    assert_eq!(metrics.token_requests, 1);
    let principal = live.principal().unwrap();
    assert_eq!(principal.client_id, SYNTHETIC_CLIENT_ID);
    assert_eq!(
        principal.id.as_ref().map(|i| i.0.clone()),
        seed.applications[0].service_principal_id,
        "the principal's id comes from the token's oid claim"
    );
    eprintln!(
        "full read of U={u} G={g} M={m} R={r}: {} HTTP requests ({stats:?})",
        stats.requests.http_requests
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_memberships_are_cheaper_than_batched_member_listings() {
    let (u, g, m) = (1_200, 600, 6_000);
    let seed = spec(u, g, m);
    let emu = Emulator::serve(seed.clone(), EmulatorConfig::default())
        .await
        .unwrap();
    let mut counts = Vec::new();
    for strategy in [MembershipStrategy::Delta, MembershipStrategy::Batch] {
        let client = client_for(&emu);
        let opts = ReadOptions {
            membership: strategy,
            ..ReadOptions::default()
        };
        let live = read_live(&client, &opts).await.unwrap();
        assert_eq!(live_shape(&live), seed_shape(&seed), "{strategy:?}");
        let s = live.stats();
        counts.push((
            strategy,
            s.requests.http_requests,
            s.requests.graph_requests(),
        ));
    }
    eprintln!("memberships for G={g}, M={m}: {counts:?}");
    let (delta, batch) = (counts[0].1, counts[1].1);
    assert!(delta < batch, "{counts:?}");
    // Batch: ⌈G/999⌉ group pages + ⌈G/20⌉ batches of members and as many of
    // owners (no group exceeds 999 members here).
    // Others: user pages + role definitions + role assignments + deleted users
    // + administrative units (none restricted: no member batches) + 2 PIM listings.
    let others = (ceil(u, 100) + 1 + 1 + 1 + 1 + 2) as u64;
    assert_eq!(batch, others + ceil(g, 999) as u64 + 2 * ceil(g, 20) as u64);
    assert_eq!(delta, others + ceil(g, 200) as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_with_throttling_and_server_errors_returns_the_seeded_tenant() {
    let (u, g, m) = (1_500, 300, 4_000);
    let seed = spec(u, g, m);
    let faults = FaultConfig {
        seed: 9,
        throttle: true,
        throttle_rate: 0.10,
        retry_after_ms: 20,
        error_rate: 0.05,
        ..FaultConfig::default()
    };
    let emu = Emulator::serve(
        seed.clone(),
        EmulatorConfig {
            faults,
            ..EmulatorConfig::default()
        },
    )
    .await
    .unwrap();
    // The delta read needs few requests, so it is repeated to meet faults.
    let rounds = [MembershipStrategy::Delta; 5]
        .into_iter()
        .chain([MembershipStrategy::Batch]);
    // What the clients saw, summed over the rounds.
    let (mut throttled, mut retries) = (0, 0);
    for strategy in rounds {
        let client = client_for(&emu);
        let opts = ReadOptions {
            membership: strategy,
            ..ReadOptions::default()
        };
        let live = read_live(&client, &opts).await.unwrap();
        // Ridden out: every round still returns exactly the seeded tenant.
        assert_eq!(live_shape(&live), seed_shape(&seed), "{strategy:?}");
        let s = live.stats().requests;
        eprintln!("{strategy:?} with faults: {s:?}");
        throttled += s.throttled;
        retries += s.retries;
    }
    let metrics = emu.metrics();
    let f = &metrics.faults;
    let status = |code: u16| metrics.by_status.get(&code).copied().unwrap_or(0);
    // Throttling really happened: the emulator answered 429s (top level or
    // inside `$batch`), and so did 503/504.
    assert!(f.throttled > 0, "no 429 was injected: {f:?}");
    assert!(f.server_errors > 0, "no 503/504 was injected: {f:?}");
    assert_eq!(status(429), f.throttled, "{metrics:?}");
    assert_eq!(status(503) + status(504), f.server_errors, "{metrics:?}");
    // The reader saw every one of those 429s, and retried every fault: each
    // 429/503/504 was followed by another attempt (the reads above succeeded).
    assert_eq!(throttled, f.throttled, "429s the client counted");
    assert_eq!(
        retries,
        f.throttled + f.server_errors,
        "one retry per injected fault"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_permission_is_named() {
    let seed = spec(50, 5, 20);
    let faults = FaultConfig {
        deny_paths: vec!["/roleManagement".into()],
        ..FaultConfig::default()
    };
    let emu = Emulator::serve(
        seed,
        EmulatorConfig {
            faults,
            ..EmulatorConfig::default()
        },
    )
    .await
    .unwrap();
    let e = read_live(&client_for(&emu), &ReadOptions::default())
        .await
        .unwrap_err();
    let s = e.to_string();
    assert!(s.contains("RoleManagement.Read.Directory"), "{s}");
    assert!(
        s.contains("403") && s.contains("Authorization_RequestDenied"),
        "{s}"
    );
    assert!(s.contains("request-id"), "{s}");
    eprintln!("{s}");
}

/// Request counts for the documented sizes (slow in debug builds: run with
/// `cargo test --release --test live_read -- --ignored --nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn measure_large_tenants() {
    for (u, g, m) in [(10_000, 500, 50_000), (100_000, 5_000, 500_000)] {
        let seed = spec(u, g, m);
        let emu = Emulator::serve(seed.clone(), EmulatorConfig::default())
            .await
            .unwrap();
        for strategy in [MembershipStrategy::Delta, MembershipStrategy::Batch] {
            let client = client_for(&emu);
            let opts = ReadOptions {
                membership: strategy,
                ..ReadOptions::default()
            };
            let live = read_live(&client, &opts).await.unwrap();
            assert_eq!(live.users().len(), u);
            assert_eq!(live.membership_count(), m);
            let s = live.stats();
            eprintln!(
                "U={u} G={g} M={m} {strategy:?}: {} HTTP requests, {} Graph requests, {} ms",
                s.requests.http_requests,
                s.requests.graph_requests(),
                s.elapsed_ms
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_users_are_read_for_restore() {
    let mut seed = spec(30, 3, 10);
    let mut gone = graph_emulator::seed::SeedUser {
        id: Some("0f0e0d0c-0b0a-4909-8807-060504030201".into()),
        ..Default::default()
    };
    gone.properties.insert(
        "userPrincipalName".into(),
        serde_json::json!("Returning.User@contoso.com"),
    );
    gone.properties
        .insert("displayName".into(), serde_json::json!("Returning User"));
    gone.properties
        .insert("mailNickname".into(), serde_json::json!("returning.user"));
    gone.properties
        .insert("accountEnabled".into(), serde_json::json!(true));
    seed.deleted_users.push(gone);
    let emu = Emulator::serve(seed, EmulatorConfig::default())
        .await
        .unwrap();
    let live = read_live(&client_for(&emu), &ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(live.users().len(), 30);
    let d = live.deleted_by_upn("returning.user@CONTOSO.com");
    assert_eq!(d.len(), 1, "{:?}", live.deleted_users());
    assert_eq!(d[0].id.0, "0f0e0d0c-0b0a-4909-8807-060504030201");
    assert!(live.user_by_upn("returning.user@contoso.com").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_fail_once_with_a_sign_in_error() {
    let emu = Emulator::serve(spec(5, 1, 2), EmulatorConfig::default())
        .await
        .unwrap();
    let client = client_at(
        emu.base_url(),
        &emu.tenant_id(),
        SYNTHETIC_CLIENT_ID,
        Credential::Secret("not-the-secret".into()),
        false,
    );
    let e = read_live(&client, &ReadOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(e, entraform::live::ReadError::SignIn(_)), "{e}");
    let s = e.to_string();
    assert!(s.starts_with("could not sign in to Microsoft Graph"), "{s}");
    assert!(
        s.contains(SYNTHETIC_CLIENT_ID) && s.contains(&emu.tenant_id()),
        "{s}"
    );
    assert_eq!(client.counters().http_requests, 0);
}

/// A synchronous caller (like the CLI) runs the read on a runtime it owns:
/// the library creates none.
#[test]
fn synchronous_callers_read_on_a_runtime_of_their_own() {
    let emu = graph_emulator::BackgroundEmulator::start(spec(40, 4, 30), EmulatorConfig::default())
        .unwrap();
    let client = client_at(
        emu.base_url(),
        &emu.tenant_id(),
        SYNTHETIC_CLIENT_ID,
        Credential::Secret(SYNTHETIC_CLIENT_SECRET.into()),
        false,
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let live = rt
        .block_on(entraform::live::read_live(&client, &ReadOptions::default()))
        .unwrap();
    assert_eq!(live.users().len(), 40);
    assert_eq!(live.membership_count(), 30);
}
