//! Authentication against the emulator's token endpoint: client secret,
//! certificate assertion, federated token file; a wrong secret's error.

use crate::emulator_client::client_at;
use crate::trace_capture;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entraform::graph::auth::{Certificate, FederatedSource};
use entraform::graph::{Credential, GraphClient, GraphError};
use graph_emulator::{AppRegistration, Emulator, EmulatorConfig, FederatedCredential, Seed};
use secrecy::SecretString;

const APP: &str = "22222222-2222-4222-8222-222222222222";
const PEM: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/graph_fixtures/cert-and-key.pem"
);
const CERT_SHA256: &str = "E3D92F332E35B70E0B27EA66B6205E2EC3696C800521D6399502F24E71EECE48";
const GH_ISSUER: &str = "https://token.actions.githubusercontent.com";
const GH_SUBJECT: &str = "repo:contoso/directory:environment:production";

async fn emulator() -> Emulator {
    let seed = Seed {
        applications: vec![AppRegistration {
            app_id: APP.into(),
            display_name: "entraform-test".into(),
            service_principal_id: Some("33333333-3333-4333-8333-333333333333".into()),
            client_secrets: vec!["right-secret".into()],
            client_secret_sha256: Vec::new(),
            certificate_thumbprints: vec![CERT_SHA256.into()],
            federated_credentials: vec![FederatedCredential {
                issuer: GH_ISSUER.into(),
                subject: GH_SUBJECT.into(),
                audience: "api://AzureADTokenExchange".into(),
            }],
            permissions: Some(graph_emulator::seed::Grants::list(
                &entraform::live::permissions::recommended_grants(),
            )),
        }],
        ..Seed::default()
    };
    Emulator::serve(seed, EmulatorConfig::default())
        .await
        .unwrap()
}

fn client(emu: &Emulator, credential: Credential) -> GraphClient {
    client_at(emu.base_url(), &emu.tenant_id(), APP, credential, true)
}

async fn can_list_users(c: &GraphClient) -> Result<usize, GraphError> {
    c.list::<serde_json::Value>("/users?$select=id")
        .await
        .map(|l| l.items.len())
}

#[tokio::test]
async fn client_secret() {
    let emu = emulator().await;
    let c = client(&emu, Credential::Secret(SecretString::from("right-secret")));
    assert_eq!(can_list_users(&c).await.unwrap(), 0);
    assert_eq!(c.counters().token_requests, 1);
}

#[tokio::test]
async fn wrong_secret_is_a_clear_error() {
    let emu = emulator().await;
    let c = client(&emu, Credential::Secret(SecretString::from("wrong-secret")));
    let e = can_list_users(&c).await.unwrap_err();
    let s = e.to_string();
    assert!(matches!(e, GraphError::Auth(_)), "{s}");
    assert!(
        s.contains(&format!("client id {APP} in tenant {}", emu.tenant_id())),
        "{s}"
    );
    assert!(s.contains("invalid_client"), "{s}");
    assert!(!s.contains("wrong-secret"), "{s}");
}

#[tokio::test]
async fn certificate_assertion() {
    let emu = emulator().await;
    let cert = Certificate::from_pem_file(PEM).unwrap();
    let c = client(&emu, Credential::Certificate(Box::new(cert)));
    assert_eq!(can_list_users(&c).await.unwrap(), 0);
}

fn unsigned_jwt(claims: serde_json::Value) -> String {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT","kid":"test"}"#);
    let p = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{h}.{p}.c2lnbmF0dXJl")
}

#[tokio::test]
async fn federated_token_file() {
    let emu = emulator().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let jwt = unsigned_jwt(serde_json::json!({
        "iss": GH_ISSUER, "sub": GH_SUBJECT, "aud": "api://AzureADTokenExchange",
        "iat": now, "nbf": now, "exp": now + 300
    }));
    let dir = crate::scratch::Scratch::new("auth");
    let file = dir.join("federated-token");
    std::fs::write(&file, &jwt).unwrap();
    let c = client(
        &emu,
        Credential::Federated(FederatedSource::File(file.clone())),
    );
    assert_eq!(can_list_users(&c).await.unwrap(), 0);

    // A token for another subject is refused with the identity platform's words.
    let other = unsigned_jwt(serde_json::json!({
        "iss": GH_ISSUER, "sub": "repo:someone/else:ref:refs/heads/main",
        "aud": "api://AzureADTokenExchange", "exp": now + 300
    }));
    std::fs::write(&file, &other).unwrap();
    let c = client(&emu, Credential::Federated(FederatedSource::File(file)));
    let s = can_list_users(&c).await.unwrap_err().to_string();
    assert!(s.contains(APP) && s.contains("invalid_client"), "{s}");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn full_read_at_trace_level_logs_no_secret_or_token() {
    let cap = trace_capture::global_capture();
    let emu = emulator().await;
    let c = client(&emu, Credential::Secret(SecretString::from("right-secret")));
    let live = entraform::live::read_live(&c, &entraform::live::ReadOptions::default())
        .await
        .unwrap();
    tracing::debug!(?live, client = ?c, "after the read");
    let bad = client(&emu, Credential::Secret(SecretString::from("wrong-secret")));
    assert!(can_list_users(&bad).await.is_err());
    let token = c.access_token().await.unwrap();
    let logs = String::from_utf8(cap.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("live tenant read"), "{logs}");
    assert!(logs.contains("token request refused"), "{logs}");
    for needle in ["right-secret", "wrong-secret", token.expose()] {
        assert!(!logs.contains(needle), "`{needle}` leaked into the logs");
    }
    assert!(!format!("{token:?}").contains(token.expose()));
}
