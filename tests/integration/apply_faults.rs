//! Apply under faults: 10% 429 with Retry-After (also inside `$batch`), 3% 503/504
//! and a 2 s replication delay; 2,000+ operations converge, nothing is done twice,
//! and the HTTP requests stay close to ⌈N/20⌉.

use std::fmt::Write as _;
use std::path::PathBuf;

use entraform::apply::execute::{CreateEnd, Observer, Outcome, execute};
use entraform::apply::password::InitialPasswords;
use entraform::desired::load::load_texts;
use entraform::desired::source::SourceMap;
use entraform::emulator::{BackgroundEmulator, EmulatorConfig, FaultConfig, Seed};
use entraform::graph::{AuthConfig, ClientOptions, Cloud, Credential, GraphClient};
use entraform::live::{ReadOptions, read_live};
use entraform::model::Upn;
use entraform::plan::{self, GateOverrides};
use secrecy::SecretString;

struct Quiet;
impl Observer for Quiet {
    fn outcome(&mut self, _: &Outcome) {}
    fn before_create(&mut self, _: &[(&Upn, &SecretString)]) -> Result<(), String> {
        Ok(())
    }
    fn after_create(&mut self, _: &Upn, _: CreateEnd) {}
}

const APP: &str = "11111111-1111-4111-8111-111111111111";

fn seed(existing: usize, groups: usize) -> Seed {
    let mut y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: {APP}\n    permissions: [{}]\nusers:\n",
        entraform::live::permissions::recommended_grants().join(", ")
    );
    for i in 0..existing {
        let _ = write!(
            y,
            "  - userPrincipalName: u{i}@contoso.com\n    displayName: U{i}\n    mailNickname: u{i}\n    accountEnabled: true\n"
        );
    }
    let _ = writeln!(y, "groups:");
    for g in 0..groups {
        let _ = write!(
            y,
            "  - displayName: team-{g}\n    mailNickname: team-{g}\n    securityEnabled: true\n    mailEnabled: false\n"
        );
    }
    y.push_str("roleAssignments:\n  - principalId: u0@contoso.com\n    roleDefinitionId: 62e90394-69f5-4237-9190-012177145e10\n");
    Seed::parse(&y).expect("seed")
}

fn repo(existing: usize, new: usize, groups: usize) -> entraform::desired::DesiredState {
    let mut y = String::from(
        "tenant:\n  domain: contoso.com\n  safety:\n    max_changes: 100000\nusers:\n",
    );
    for i in 0..existing + new {
        let _ = write!(y, "  - upn: u{i}\n    displayName: U{i}\n");
    }
    y.push_str("groups:\n");
    for g in 0..groups {
        let members: Vec<String> = (0..existing + new).map(|i| format!("u{i}")).collect();
        let _ = write!(
            y,
            "  - name: team-{g}\n    members: [{}]\n",
            members.join(", ")
        );
    }
    let loaded = load_texts(
        vec![(PathBuf::from("repo.yaml"), y)],
        &mut SourceMap::default(),
        Vec::new(),
    );
    loaded.result.expect("valid repo").0
}

async fn client(emu: &BackgroundEmulator) -> GraphClient {
    let auth = AuthConfig {
        tenant_id: emu.tenant_id(),
        client_id: APP.into(),
        cloud: Cloud::custom(emu.base_url()).expect("cloud"),
        credential: Credential::Bearer(SecretString::from(emu.issue_token(APP))),
    };
    GraphClient::new(auth, ClientOptions::default()).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_operations_converge_under_faults_without_doing_anything_twice() {
    let (existing, new, groups) = (80, 20, 20); // 20 creates + 20 × 100 member additions
    let emu = BackgroundEmulator::start(seed(existing, groups), EmulatorConfig::default())
        .expect("emulator");
    let c = client(&emu).await;
    let desired = repo(existing, new, groups);
    let live = read_live(&c, &ReadOptions::default()).await.expect("read");
    let p = plan::build(&desired, &live, &GateOverrides::default());
    assert!(
        p.errors.is_empty() && !p.is_blocked(),
        "{:?} {:?}",
        p.errors,
        p.gates
    );
    let n = p.steps.len();
    assert_eq!(n, new + groups * (existing + new), "creates + memberships");

    emu.set_faults(FaultConfig {
        seed: 7,
        throttle_rate: 0.10,
        retry_after_ms: 20,
        error_rate: 0.03,
        replication_delay_ms: 2000,
        ..FaultConfig::default()
    });
    emu.reset_metrics();
    let report = execute(
        &c,
        &p.steps,
        &InitialPasswords::default(),
        &std::sync::atomic::AtomicBool::new(false),
        &mut Quiet,
    )
    .await;
    assert_eq!(
        (report.done(), report.failed(), report.skipped()),
        (n, 0, 0),
        "{:?}",
        report
            .outcomes
            .iter()
            .find(|o| o.status != entraform::apply::execute::StepStatus::Done)
    );
    let m = emu.metrics();
    let faults = m.by_status.get(&429).copied().unwrap_or(0)
        + m.by_status.get(&503).copied().unwrap_or(0)
        + m.by_status.get(&504).copied().unwrap_or(0);
    assert!(faults > 10, "faults were injected: {:?}", m.by_status);
    // Nothing done twice: no "already exists" refusals, one successful write per operation.
    assert_eq!(m.by_status.get(&400), None, "{:?}", m.by_status);
    let batches = m.by_route.get("POST /$batch").copied().unwrap_or(0);
    println!(
        "{n} operations: {batches} $batch requests ({} items incl. retries), statuses {:?}",
        m.batch_inner_requests, m.by_status
    );
    // 20 creates, then 2,000 additions packed 20 per `members@odata.bind`
    // PATCH: 120 `$batch` items, 6 full POSTs without faults.
    let items = new + (groups * (existing + new)).div_ceil(20);
    assert!(
        batches as usize <= items.div_ceil(20) + 10,
        "{batches} requests for {n} operations"
    );

    emu.set_faults(FaultConfig::default());
    let after = read_live(&c, &ReadOptions::default())
        .await
        .expect("read again");
    let again = plan::build(&desired, &after, &GateOverrides::default());
    assert!(
        again.steps.is_empty(),
        "left to do: {:?}",
        &again.steps[..again.steps.len().min(5)]
    );
    assert_eq!(after.membership_count(), groups * (existing + new));
}

/// 10,000 membership additions (500 users × 20 groups) without faults: they
/// travel 20 per `members@odata.bind` PATCH and 20 PATCHes per `$batch` POST,
/// so the request count is ⌈G·⌈U/20⌉/20⌉ (here 25 POSTs carrying 500 PATCHes).
/// It is the measurement behind docs/performance.md ("Apply"), and cheap
/// enough (well under a second in a debug build) to run with every
/// `cargo test`; `--nocapture` prints the figure, `--release` times it as the
/// docs do: `cargo test --release --test integration apply_faults::ten_thousand -- --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_membership_additions_take_one_request_per_400() {
    let (existing, groups) = (500, 20);
    let emu = BackgroundEmulator::start(seed(existing, groups), EmulatorConfig::default())
        .expect("emulator");
    let c = client(&emu).await;
    let desired = repo(existing, 0, groups);
    let live = read_live(&c, &ReadOptions::default()).await.expect("read");
    let p = plan::build(&desired, &live, &GateOverrides::default());
    let n = p.steps.len();
    assert_eq!(n, existing * groups, "one add_member per user and group");
    assert!(
        p.steps
            .iter()
            .all(|s| s.op.kind() == "add_member" && s.wave == 0),
        "one wave of member additions"
    );
    emu.reset_metrics();
    let t = std::time::Instant::now();
    let report = execute(
        &c,
        &p.steps,
        &InitialPasswords::default(),
        &std::sync::atomic::AtomicBool::new(false),
        &mut Quiet,
    )
    .await;
    let elapsed = t.elapsed();
    let m = emu.metrics();
    let posts = m.by_route.get("POST /$batch").copied().unwrap_or(0);
    println!(
        "{n} operations ({} done): {} HTTP requests ({posts} $batch POSTs carrying {} Graph requests) in {:.2} s",
        report.done(),
        m.total_requests,
        m.batch_inner_requests,
        elapsed.as_secs_f64(),
    );
    // Every step is reported once, and done.
    assert_eq!(report.outcomes.len(), n);
    assert_eq!(
        (report.done(), report.failed(), report.skipped()),
        (n, 0, 0)
    );
    // The formula: ⌈U/20⌉ bind PATCHes per group, 20 items per `$batch` POST,
    // and nothing else (no single additions, no retries).
    let patches = groups * existing.div_ceil(20);
    assert_eq!(
        m.batch_inner_by_route.get("PATCH /groups/{id}").copied(),
        Some(patches as u64),
        "{:?}",
        m.batch_inner_by_route
    );
    assert_eq!(
        m.batch_inner_requests, patches as u64,
        "{:?}",
        m.batch_inner_by_route
    );
    assert_eq!(posts, patches.div_ceil(20) as u64);
    assert_eq!(m.total_requests, posts, "{:?}", m.by_route);
    // Nothing done twice: every PATCH accepted once (204), none refused as "already exist".
    assert_eq!(
        m.by_status,
        std::collections::BTreeMap::from([(200, posts), (204, patches as u64)]),
        "statuses (200 per $batch POST, 204 per PATCH)"
    );
    // Converged: the tenant holds exactly the declared memberships; nothing left to do.
    let after = read_live(&c, &ReadOptions::default())
        .await
        .expect("read again");
    assert_eq!(after.membership_count(), n);
    assert!(
        plan::build(&desired, &after, &GateOverrides::default())
            .steps
            .is_empty()
    );
}

/// A `members@odata.bind` PATCH is all or nothing in Graph: when a member was
/// added elsewhere between plan and apply, the PATCH is refused (400 "already
/// exist") and its additions are sent one by one, where the existing one
/// counts as done. Member additions otherwise travel 20 per PATCH.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_member_bind_falls_back_to_one_by_one() {
    let (existing, groups) = (30, 2);
    let emu = BackgroundEmulator::start(seed(existing, groups), EmulatorConfig::default())
        .expect("emulator");
    let c = client(&emu).await;
    let desired = repo(existing, 0, groups);
    let live = read_live(&c, &ReadOptions::default()).await.expect("read");
    let p = plan::build(&desired, &live, &GateOverrides::default());
    assert_eq!(p.steps.len(), existing * groups);

    // Someone adds u3 to team-0 in the portal after the plan was made.
    let state = emu.state();
    let id_of = |upn: &str| {
        state
            .users
            .iter()
            .find(|u| u.properties["userPrincipalName"] == upn)
            .and_then(|u| u.id.clone())
            .unwrap()
    };
    let team0 = state
        .groups
        .iter()
        .find(|g| g.properties["displayName"] == "team-0")
        .and_then(|g| g.id.clone())
        .unwrap();
    let u3 = id_of("u3@contoso.com");
    let resp = reqwest::Client::new()
        .post(format!("{}/v1.0/groups/{team0}/members/$ref", emu.base_url()))
        .bearer_auth(emu.issue_token(APP))
        .json(&serde_json::json!({ "@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{u3}") }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);

    emu.reset_metrics();
    let report = execute(
        &c,
        &p.steps,
        &InitialPasswords::default(),
        &std::sync::atomic::AtomicBool::new(false),
        &mut Quiet,
    )
    .await;
    assert_eq!((report.done(), report.failed()), (existing * groups, 0));
    let m = emu.metrics();
    let patches = m
        .batch_inner_by_route
        .get("PATCH /groups/{id}")
        .copied()
        .unwrap_or(0);
    let singles = m
        .batch_inner_by_route
        .get("POST /groups/{id}/members/$ref")
        .copied()
        .unwrap_or(0);
    // 30 additions per group: a PATCH of 20 and one of 10 each (in UPN order,
    // u3 comes after u29: in team-0's second PATCH); that refused PATCH is
    // redone as 10 single additions, u3's counting as done.
    assert_eq!((patches, singles), (4, 10), "{:?}", m.batch_inner_by_route);
    assert_eq!(m.by_status.get(&400).copied(), Some(2), "{:?}", m.by_status);
    let after = read_live(&c, &ReadOptions::default()).await.expect("read");
    assert!(
        plan::build(&desired, &after, &GateOverrides::default())
            .steps
            .is_empty()
    );
}
