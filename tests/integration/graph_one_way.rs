//! One way to talk to Graph (issue #14 §4), through the library against the
//! emulator: many listings paged through `$batch` by the client's one paging
//! path, the executor taking new users' passwords from its caller (it reads
//! no environment), and the rules that keep it so — no async runtime made
//! inside the library, no Graph version written into a URL outside the
//! cloud table.

use std::fmt::Write as _;
use std::path::PathBuf;

use entraform::apply::execute::{CreateEnd, Observer, Outcome, StepStatus, execute};
use entraform::apply::password::InitialPasswords;
use entraform::desired::load::load_texts;
use entraform::desired::source::SourceMap;
use entraform::graph::{AuthConfig, ClientOptions, Cloud, Credential, GraphClient, Request};
use entraform::live::{ReadOptions, read_live};
use entraform::model::Upn;
use entraform::plan::{self, GateOverrides};
use graph_emulator::{BackgroundEmulator, EmulatorConfig, Seed};
use secrecy::{ExposeSecret, SecretString};

use crate::cli_support::root;

const APP: &str = "11111111-1111-4111-8111-111111111111";

/// `users` users; group `big` holds all of them, group `small` three.
fn seed(users: usize) -> Seed {
    let mut y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: {APP}\n    permissions: [{}]\nusers:\n",
        entraform::live::permissions::recommended_grants().join(", ")
    );
    for i in 0..users {
        let _ = write!(
            y,
            "  - userPrincipalName: u{i}@contoso.com\n    displayName: U{i}\n    mailNickname: u{i}\n    accountEnabled: true\n"
        );
    }
    let all: Vec<String> = (0..users).map(|i| format!("u{i}@contoso.com")).collect();
    let _ = write!(
        y,
        "groups:\n  - displayName: big\n    mailNickname: big\n    securityEnabled: true\n    mailEnabled: false\n    members: [{}]\n  - displayName: small\n    mailNickname: small\n    securityEnabled: true\n    mailEnabled: false\n    members: [{}]\n",
        all.join(", "),
        all[..3].join(", ")
    );
    Seed::parse(&y).expect("seed")
}

fn client(emu: &BackgroundEmulator) -> GraphClient {
    let auth = AuthConfig {
        tenant_id: emu.tenant_id(),
        client_id: APP.into(),
        cloud: Cloud::custom(emu.base_url()).expect("cloud"),
        credential: Credential::Bearer(SecretString::from(emu.issue_token(APP))),
    };
    GraphClient::new(auth, ClientOptions::default()).expect("client")
}

/// Pages of `$top=10` members: the big group's listing takes 25 pages, each
/// after the first in a later `$batch` (nextLinks are followed through the
/// same batches), the small group's one; a missing group is its own 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_many_follows_each_listings_next_links_through_batch() {
    let emu = BackgroundEmulator::start(seed(250), EmulatorConfig::default()).expect("emulator");
    let c = client(&emu);
    let groups = c
        .list::<serde_json::Value>("/groups?$select=id,displayName")
        .await
        .expect("groups");
    let id = |name: &str| {
        groups
            .items
            .iter()
            .find(|g| g["displayName"] == name)
            .and_then(|g| g["id"].as_str())
            .expect("group")
            .to_string()
    };
    let (big, small) = (id("big"), id("small"));
    let before = c.counters();
    let lists = c
        .list_many::<serde_json::Value>(
            [
                big.as_str(),
                small.as_str(),
                "00000000-0000-4000-8000-000000000000",
            ]
            .iter()
            .map(|g| Request::get(format!("/groups/{g}/members?$select=id&$top=10")))
            .collect(),
        )
        .await
        .expect("listings");
    let used = c.counters().since(&before);
    let big_list = lists[0].as_ref().expect("big");
    assert_eq!((big_list.items.len(), big_list.pages), (250, 25));
    let small_list = lists[1].as_ref().expect("small");
    assert_eq!((small_list.items.len(), small_list.pages), (3, 1));
    assert_eq!(lists[2].as_ref().expect_err("missing group").status, 404);
    // Round 1 carries the three first pages, each later round one page of `big`.
    assert_eq!(
        (used.batch_requests, used.batch_items, used.http_requests),
        (25, 27, 25),
        "{used:?}"
    );
}

#[derive(Default)]
struct Seen {
    passwords: Vec<(String, String)>,
    outcomes: Vec<StepStatus>,
}

impl Observer for Seen {
    fn outcome(&mut self, o: &Outcome) {
        self.outcomes.push(o.status.clone());
    }
    fn before_create(&mut self, users: &[(&Upn, &SecretString)]) -> Result<(), String> {
        for (u, p) in users {
            self.passwords
                .push((u.to_string(), p.expose_secret().to_string()));
        }
        Ok(())
    }
    fn after_create(&mut self, _: &Upn, _: CreateEnd) {}
}

/// A new user whose YAML names an environment variable gets the password
/// its caller resolved: the executor does not read the (unset) variable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_executor_takes_new_users_passwords_from_its_caller() {
    const VAR: &str = "ENTRAFORM_TEST_PASSWORD_NEVER_SET_7F3A";
    assert!(std::env::var_os(VAR).is_none(), "{VAR} must not be set");
    let emu = BackgroundEmulator::start(seed(3), EmulatorConfig::default()).expect("emulator");
    let c = client(&emu);
    let repo = format!(
        "tenant:\n  domain: contoso.com\n  absent_users: ignore\nusers:\n  - upn: hire\n    displayName: New Hire\n    password: {{ env: {VAR} }}\n"
    );
    let loaded = load_texts(
        vec![(PathBuf::from("repo.yaml"), repo)],
        &mut SourceMap::default(),
        Vec::new(),
    );
    let desired = loaded.result.expect("valid repo").0;
    let live = read_live(&c, &ReadOptions::default()).await.expect("read");
    let p = plan::build(&desired, &live, &GateOverrides::default());
    assert_eq!(p.steps.len(), 1, "{:?}", p.steps);
    let mut passwords = InitialPasswords::default();
    passwords.insert(
        Upn::new_unchecked("hire@contoso.com"),
        SecretString::from("Given-Pass-4242!"),
    );
    let mut seen = Seen::default();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let report = execute(&c, &p.steps, &passwords, &stop, &mut seen).await;
    assert_eq!(
        (report.done(), report.failed()),
        (1, 0),
        "{:?}",
        seen.outcomes
    );
    assert_eq!(
        seen.passwords,
        vec![(
            "hire@contoso.com".to_string(),
            "Given-Pass-4242!".to_string()
        )]
    );
    // Without one, the create fails with a reason and nothing is sent.
    let emu = BackgroundEmulator::start(seed(3), EmulatorConfig::default()).expect("emulator");
    let c = client(&emu);
    let mut seen = Seen::default();
    let report = execute(&c, &p.steps, &InitialPasswords::default(), &stop, &mut seen).await;
    assert_eq!(report.failed(), 1);
    assert!(
        matches!(&seen.outcomes[0], StepStatus::Failed { error } if error.contains(VAR)),
        "{:?}",
        seen.outcomes
    );
    assert_eq!(c.counters().http_requests, 0, "nothing was sent");
}

/// Every `.rs` file under `src/<dir>`, with its path.
fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut todo = vec![root().join("src").join(dir)];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("src dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).expect("source");
                out.push((p, text));
            }
        }
    }
    out
}

/// The CLI creates the one async runtime of a command and hands it down: no
/// library module makes its own (the emulator, which serves, aside).
#[test]
fn the_library_creates_no_async_runtime() {
    let mut checked = 0;
    for dir in [
        "graph", "live", "apply", "plan", "model", "desired", "export", "lock",
    ] {
        for (path, text) in sources(dir) {
            checked += 1;
            for needle in ["runtime::Builder", "Runtime::new", "#[tokio::main]"] {
                assert!(
                    !text.contains(needle),
                    "{} makes an async runtime (`{needle}`): take the caller's",
                    path.display()
                );
            }
        }
    }
    assert!(checked > 20, "{checked} files");
}

/// The Graph version is written once, in the cloud table (`Cloud::graph_v1`):
/// the client's URLs and `@odata.id` references are built from its root.
#[test]
fn no_url_outside_the_cloud_table_writes_the_graph_version() {
    for dir in ["graph", "live", "apply", "cli"] {
        for (path, text) in sources(dir) {
            if path.ends_with("graph/cloud.rs") {
                continue;
            }
            for (n, line) in text.lines().enumerate() {
                assert!(
                    !line.contains("}/v1.0"),
                    "{}:{}: a URL built with the Graph version: {line}",
                    path.display(),
                    n + 1
                );
            }
        }
    }
}
