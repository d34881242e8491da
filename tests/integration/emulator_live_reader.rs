//! End to end: the live reader (real Graph client, real HTTP) reads a
//! synthetic tenant from the emulator, also under throttling and 5xx faults.

use crate::emulator_client::client_at;
use crate::emulator_support;

use emulator_support::*;
use entraform::graph::{Credential, GraphClient};
use entraform::live::{MembershipStrategy, ReadOptions, read_live};
use graph_emulator::{
    EmulatorConfig, FaultConfig, SYNTHETIC_CLIENT_ID, SYNTHETIC_CLIENT_SECRET, Seed, SyntheticSpec,
};

fn client(env: &Env, tenant: &str) -> GraphClient {
    client_at(
        env.emu.base_url(),
        tenant,
        SYNTHETIC_CLIENT_ID,
        Credential::Secret(SYNTHETIC_CLIENT_SECRET.into()),
        false,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_reader_reads_the_emulated_tenant() {
    let seed = Seed::synthetic(SyntheticSpec {
        users: 1500,
        groups: 40,
        memberships: 4000,
        rng_seed: 3,
    });
    let tenant = seed.tenant.id.clone();
    let expected_members: usize = seed.groups.iter().map(|g| g.members.len()).sum();
    let env = start_with(seed, EmulatorConfig::default()).await;
    let client = client(&env, &tenant);
    for membership in [MembershipStrategy::Delta, MembershipStrategy::Batch] {
        env.emu.reset_metrics();
        let opts = ReadOptions {
            membership,
            ..ReadOptions::default()
        };
        let live = read_live(&client, &opts).await.expect("live read");
        assert_eq!(live.users().len(), 1500);
        assert_eq!(live.groups().len(), 40);
        let members: usize = live.groups().iter().map(|g| g.members.len()).sum();
        assert_eq!(members, expected_members);
        assert_eq!(live.role_assignments().len(), 11);
        let m = env.emu.metrics();
        // 1,500 users with $expand=manager: Graph pages those at 100 → 15 pages.
        assert_eq!(m.by_route.get("GET /users"), Some(&15));
        assert_eq!(m.by_status.keys().copied().collect::<Vec<_>>(), vec![200]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_reader_survives_throttling_and_server_errors() {
    let seed = Seed::synthetic(SyntheticSpec {
        users: 600,
        groups: 30,
        memberships: 1200,
        rng_seed: 5,
    });
    let tenant = seed.tenant.id.clone();
    let config = EmulatorConfig {
        faults: FaultConfig {
            seed: 11,
            throttle_rate: 0.1,
            retry_after_ms: 10,
            error_rate: 0.05,
            ..FaultConfig::default()
        },
        ..EmulatorConfig::default()
    };
    let env = start_with(seed, config).await;
    let client = client(&env, &tenant);
    let opts = ReadOptions {
        membership: MembershipStrategy::Batch,
        ..ReadOptions::default()
    };
    let live = read_live(&client, &opts)
        .await
        .expect("live read despite faults");
    assert_eq!(live.users().len(), 600);
    let m = env.emu.metrics();
    assert!(m.faults.throttled > 0, "{m:?}");
    assert!(m.by_status.contains_key(&429));
}
