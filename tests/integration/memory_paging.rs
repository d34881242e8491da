//! Reading a large listing page by page (issue #14 §7): what a page's items
//! become is made as the page arrives, so the wire form of a 100,000-user
//! tenant is never held whole next to it.

use std::fmt::Write as _;

use entraform::graph::{Credential, GraphClient, Request};
use graph_emulator::{BackgroundEmulator, EmulatorConfig, Seed};
use secrecy::SecretString;

use crate::emulator_client::client_at;

const APP: &str = "11111111-1111-4111-8111-111111111111";

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
    Seed::parse(&y).expect("seed")
}

fn client(emu: &BackgroundEmulator) -> GraphClient {
    let token = SecretString::from(emu.issue_token(APP));
    client_at(
        emu.base_url(),
        &emu.tenant_id(),
        APP,
        Credential::Bearer(token),
        false,
    )
}

/// 250 users in pages of 100: each item is turned into its result while only
/// the requests up to its own page have been sent (1, 1, …, 2, …, 3), not after
/// the last page (all 3), and the listing keeps Graph's order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_mapped_turns_each_page_into_results_before_the_next_page() {
    let emu = BackgroundEmulator::start(seed(250), EmulatorConfig::default()).expect("emulator");
    let c = client(&emu);
    let before = c.counters();
    let mut sent_when_mapped: Vec<u64> = Vec::new();
    let listing = c
        .list_mapped::<serde_json::Value, _>(
            Request::get("/users?$select=id,userPrincipalName&$top=100"),
            &|_| {},
            |user| {
                sent_when_mapped.push(c.counters().since(&before).http_requests);
                user["userPrincipalName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            },
        )
        .await
        .expect("users");
    assert_eq!((listing.items.len(), listing.pages), (250, 3));
    let expected: Vec<u64> = (0..250).map(|i| i / 100 + 1).collect();
    assert_eq!(sent_when_mapped, expected);
    let plain = c
        .list::<serde_json::Value>("/users?$select=id,userPrincipalName&$top=100")
        .await
        .expect("users");
    let names: Vec<String> = plain
        .items
        .iter()
        .map(|u| {
            u["userPrincipalName"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(listing.items, names, "same items, same order as `list`");
}
