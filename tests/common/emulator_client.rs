//! The one way the tests (and the incremental bench) build a Graph client for
//! an emulator: its base URL and tenant, an app's client id and credential
//! (`Credential::Secret(s.into())`, or `Credential::Bearer(emu.issue_token(app).into())`).
//! Included by each binary that needs it with `#[path]`, like `scratch.rs`.

use entraform::graph::{AuthConfig, ClientOptions, Cloud, Credential, GraphClient, RetryPolicy};

/// A client of the Graph (and token endpoint) served at `base_url`; with
/// `fast_retry`, retries wait only milliseconds (tests with throttling or 5xx faults).
pub fn client_at(
    base_url: &str,
    tenant_id: &str,
    client_id: &str,
    credential: Credential,
    fast_retry: bool,
) -> GraphClient {
    let auth = AuthConfig {
        tenant_id: tenant_id.to_string(),
        client_id: client_id.to_string(),
        cloud: Cloud::custom(base_url).expect("a loopback emulator URL"),
        credential,
    };
    let options = if fast_retry {
        ClientOptions {
            retry: RetryPolicy::fast(),
            ..ClientOptions::default()
        }
    } else {
        ClientOptions::default()
    };
    GraphClient::new(auth, options).expect("client")
}
