//! Benchmark: a full plan versus an incremental plan (`--state-dir`) of a
//! large emulated tenant after 100 changes.
//!
//! `cargo bench --bench incremental` starts the emulator in-process on a
//! synthetic tenant of 100,000 users, 5,000 groups and 500,000 memberships,
//! exports it into a repo (every user declared), then measures over HTTP:
//! a full plan (full read + diff + plan), the first run with a state dir (full
//! delta round, snapshot written), 100 changes made through Graph (60 user
//! attributes, 20 memberships added, 20 removed), and the incremental plan
//! (snapshot + delta + diff + plan), then one more with no changes since. It
//! checks that both reads give the same
//! tenant and the same plan, and that the incremental read stays within 10
//! HTTP requests. `LATENCY_MS=N` adds N ms per request on the emulator (Graph
//! answers list pages in roughly 100–300 ms; the default 0 measures CPU
//! cost only). Under `cargo test --all-targets` it runs a small smoke size.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use entraform::desired::DesiredState;
use entraform::desired::load::load_texts;
use entraform::desired::source::SourceMap;
use entraform::emulator::{
    BackgroundEmulator, EmulatorConfig, FaultConfig, SYNTHETIC_CLIENT_ID, Seed, SyntheticSpec,
};
use entraform::export::{ExportOptions, SplitBy, export};
use entraform::graph::Request;
use entraform::graph::{AuthConfig, ClientOptions, Cloud, Credential, GraphClient};
use entraform::live::{Incremental, Live, ReadMode, ReadOptions, read_live};
use entraform::plan::{self, GateOverrides, Plan};
use secrecy::SecretString;
use serde_json::json;

fn client(emu: &BackgroundEmulator) -> GraphClient {
    let auth = AuthConfig {
        tenant_id: emu.tenant_id(),
        client_id: SYNTHETIC_CLIENT_ID.into(),
        cloud: Cloud::custom(emu.base_url()).expect("emulator URL"),
        credential: Credential::Bearer(SecretString::from(emu.issue_token(SYNTHETIC_CLIENT_ID))),
    };
    GraphClient::new(auth, ClientOptions::default()).expect("client")
}

/// The bench's one runtime (as the CLI has one per command).
fn rt() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

struct Run {
    live: Live,
    plan: Plan,
    requests: u64,
    read: Duration,
    total: Duration,
}

fn plan_once(c: &GraphClient, desired: &DesiredState, options: &ReadOptions) -> Run {
    let before = c.counters();
    let started = Instant::now();
    let live = rt().block_on(read_live(c, options)).expect("read");
    let read = started.elapsed();
    let plan = plan::build(desired, &live, &GateOverrides::default());
    Run {
        requests: c.counters().since(&before).http_requests,
        read,
        total: started.elapsed(),
        live,
        plan,
    }
}

/// 100 changes "made elsewhere" through Graph: 60 job titles, 20 memberships
/// added and 20 removed, in five `$batch` POSTs.
fn hundred_changes(c: &GraphClient, emu: &BackgroundEmulator) {
    let state = emu.state();
    let users: Vec<String> = state.users.iter().filter_map(|u| u.id.clone()).collect();
    let groups: Vec<_> = state
        .groups
        .iter()
        .filter(|g| !g.properties.contains_key("membershipRule") && !g.members.is_empty())
        .collect();
    let mut reqs = Vec::new();
    for (i, u) in users.iter().step_by(users.len() / 60).take(60).enumerate() {
        reqs.push(Request::with_body(
            reqwest::Method::PATCH,
            format!("/users/{u}"),
            json!({ "jobTitle": format!("Changed elsewhere {i}") }),
        ));
    }
    for (i, g) in groups.iter().take(20).enumerate() {
        let gid = g.id.clone().unwrap_or_default();
        let member = &g.members[0];
        reqs.push(Request::new(
            reqwest::Method::DELETE,
            format!("/groups/{gid}/members/{member}/$ref"),
        ));
        let newcomer = users
            .iter()
            .skip(i * 7)
            .find(|u| !g.members.contains(*u))
            .expect("a non-member");
        reqs.push(Request::with_body(
            reqwest::Method::POST,
            format!("/groups/{gid}/members/$ref"),
            json!({ "@odata.id": format!("{}/directoryObjects/{newcomer}", emu.graph_url()) }),
        ));
    }
    let results = rt().block_on(c.batch(reqs)).expect("changes");
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 100, "all 100 changes applied");
}

fn main() {
    if let Ok(filter) = std::env::var("RUST_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let full = std::env::args().any(|a| a == "--bench");
    let (users, groups, memberships) = if full {
        (100_000, 5_000, 500_000)
    } else {
        (1_000, 50, 5_000)
    };
    let latency_ms: u64 = std::env::var("LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);

    let t = Instant::now();
    let seed = Seed::synthetic(SyntheticSpec {
        users,
        groups,
        memberships,
        rng_seed: 1,
    });
    let emu = BackgroundEmulator::start(seed, EmulatorConfig::default()).expect("emulator");
    let c = client(&emu);
    println!(
        "tenant: {users} users, {groups} groups, {memberships} memberships (emulator up in {:.1} s)",
        t.elapsed().as_secs_f64()
    );

    // The repo: the tenant exported, every user declared.
    let live = rt()
        .block_on(read_live(&c, &ReadOptions::default()))
        .expect("read");
    let opts = ExportOptions {
        split_by: SplitBy::Department,
        users: None,
        exclude: Vec::new(),
        include_disabled: true,
    };
    let files: Vec<(PathBuf, String)> = export(&live, &opts)
        .expect("export")
        .files
        .into_iter()
        .map(|f| (PathBuf::from(f.path), f.text))
        .collect();
    drop(live);
    let t = Instant::now();
    let loaded = load_texts(files, &mut SourceMap::default(), Vec::new());
    let desired = loaded.result.expect("the exported repo is valid").0;
    let load = t.elapsed();
    println!(
        "repo: exported and loaded in {:.2} s (the same for both kinds of plan)",
        load.as_secs_f64()
    );

    emu.set_faults(FaultConfig {
        latency_ms,
        ..FaultConfig::default()
    });
    let state = std::env::temp_dir().join(format!("entraform-bench-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let inc = ReadOptions {
        incremental: Some(Incremental {
            state_dir: state.clone(),
            full_read_after: Duration::from_secs(24 * 3600),
            force_full: false,
        }),
        ..ReadOptions::default()
    };

    let first = plan_once(&c, &desired, &inc);
    assert!(matches!(first.live.stats().mode, ReadMode::Resync(_)));
    let first = stats(&first);
    hundred_changes(&c, &emu);
    let full_run = plan_once(&c, &desired, &ReadOptions::default());
    let inc_run = plan_once(&c, &desired, &inc);
    assert_eq!(inc_run.live.stats().mode, ReadMode::Incremental);
    assert_eq!(full_run.live.users(), inc_run.live.users(), "same users");
    assert_eq!(full_run.live.groups(), inc_run.live.groups(), "same groups");
    assert_eq!(
        serde_json::to_value(&full_run.plan).expect("json"),
        serde_json::to_value(&inc_run.plan).expect("json"),
        "same plan"
    );
    assert_eq!(
        full_run.plan.steps.len(),
        100,
        "the plan reverts the 100 changes"
    );
    assert!(
        inc_run.requests <= 10,
        "incremental read: {} HTTP requests",
        inc_run.requests
    );
    // Right after: nothing changed (only the small links file is rewritten).
    let quiet_run = plan_once(&c, &desired, &inc);
    assert_eq!(quiet_run.live.stats().mode, ReadMode::Incremental);
    let snapshot_mb =
        std::fs::metadata(state.join("live-snapshot.json")).map_or(0.0, |m| m.len() as f64 / 1e6);
    let _ = std::fs::remove_dir_all(&state);

    println!("latency per request: {latency_ms} ms; snapshot file: {snapshot_mb:.1} MB");
    println!("| run | HTTP requests | read | read + diff + plan | + repo load |");
    println!("|---|--:|--:|--:|--:|");
    for (name, r) in [
        ("first run with --state-dir (full delta round)", &first),
        ("full plan (no state dir)", &stats(&full_run)),
        ("incremental plan (100 changes)", &stats(&inc_run)),
        ("incremental plan (no changes)", &stats(&quiet_run)),
    ] {
        println!(
            "| {name} | {} | {:.2} s | {:.2} s | {:.2} s |",
            r.0,
            r.1.as_secs_f64(),
            r.2.as_secs_f64(),
            (r.2 + load).as_secs_f64()
        );
    }
    println!(
        "speed-up of the incremental plan: read {:.1}×, read + diff + plan {:.1}×, with the repo load {:.1}×",
        full_run.read.as_secs_f64() / inc_run.read.as_secs_f64(),
        full_run.total.as_secs_f64() / inc_run.total.as_secs_f64(),
        (full_run.total + load).as_secs_f64() / (inc_run.total + load).as_secs_f64()
    );
}

fn stats(r: &Run) -> (u64, Duration, Duration) {
    (r.requests, r.read, r.total)
}
