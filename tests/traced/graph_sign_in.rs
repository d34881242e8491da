//! Sign-in goes through the same error policy and in-flight limit as every
//! Graph request: the token endpoint and GitHub's OIDC endpoint are retried
//! on 429/503 (honouring `Retry-After`), a refusal is not, and a token
//! request waits for a free slot like any other request.

use crate::graph_mock::{Req, Resp, start, token_ok};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entraform::graph::auth::FederatedSource;
use entraform::graph::{AuthConfig, ClientOptions, Cloud, Credential, GraphClient, RetryPolicy};
use secrecy::SecretString;
use serde_json::json;

const TENANT: &str = "contoso.onmicrosoft.com";

fn client(base: &str, credential: Credential, max_in_flight: usize) -> GraphClient {
    let auth = AuthConfig {
        tenant_id: TENANT.into(),
        client_id: "app-1".into(),
        cloud: Cloud::custom(base).unwrap(),
        credential,
    };
    let options = ClientOptions {
        retry: RetryPolicy::fast(),
        max_in_flight,
        ..ClientOptions::default()
    };
    GraphClient::new(auth, options).unwrap()
}

fn secret() -> Credential {
    Credential::Secret(SecretString::from("s3cr3t"))
}

fn is_token(r: &Req) -> bool {
    r.path() == format!("/{TENANT}/oauth2/v2.0/token")
}

#[tokio::test]
async fn token_endpoint_busy_or_throttling_is_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let mock = start(Arc::new(move |r: &Req| {
        if is_token(r) {
            return match c2.fetch_add(1, Ordering::SeqCst) {
                0 => Resp::json(503, json!({"error":"temporarily_unavailable"})),
                1 => Resp::json(429, json!({"error":"temporarily_unavailable"}))
                    .header("Retry-After", "0.05"),
                _ => token_ok("token-after-retries"),
            };
        }
        Resp::json(200, json!({"auth": r.headers["authorization"]}))
    }))
    .await;
    let c = client(&mock.base(), secret(), 8);
    let started = std::time::Instant::now();
    let v: serde_json::Value = c.get_json("/organization").await.unwrap();
    assert_eq!(v["auth"], "Bearer token-after-retries");
    assert!(
        started.elapsed() >= Duration::from_millis(50),
        "Retry-After honoured"
    );
    let n = c.counters();
    assert_eq!(
        (n.token_requests, n.retries, n.throttled, n.http_requests),
        (3, 2, 1, 1),
        "{n:?}"
    );
}

#[tokio::test]
async fn a_refused_sign_in_is_not_retried() {
    let mock = start(Arc::new(|r: &Req| {
        if is_token(r) {
            return Resp::json(
                401,
                json!({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}),
            );
        }
        Resp::json(200, json!({}))
    }))
    .await;
    let c = client(&mock.base(), secret(), 8);
    let e = c
        .get_json::<serde_json::Value>("/organization")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("AADSTS7000215"), "{e}");
    assert_eq!(mock.count(is_token), 1, "a refusal is final");
    assert_eq!(c.counters().retries, 0);
}

#[tokio::test]
async fn github_oidc_request_is_retried() {
    let oidc = Arc::new(AtomicUsize::new(0));
    let o2 = oidc.clone();
    let mock = start(Arc::new(move |r: &Req| {
        if r.path() == "/github-oidc" {
            if o2.fetch_add(1, Ordering::SeqCst) == 0 {
                return Resp::json(503, json!({"message":"busy"}));
            }
            return Resp::json(200, json!({"count": 1, "value": "jwt-from-github"}));
        }
        if is_token(r) {
            assert_eq!(r.form()["client_assertion"], "jwt-from-github");
            return token_ok("graph-token");
        }
        Resp::json(200, json!({"auth": r.headers["authorization"]}))
    }))
    .await;
    let gh = Credential::Federated(FederatedSource::GitHubActions {
        request_url: format!("{}/github-oidc?api-version=2.0", mock.base()),
        request_token: SecretString::from("gh-request-token"),
        audience: "api://AzureADTokenExchange".into(),
    });
    let c = client(&mock.base(), gh, 8);
    let v: serde_json::Value = c.get_json("/organization").await.unwrap();
    assert_eq!(v["auth"], "Bearer graph-token");
    assert_eq!(oidc.load(Ordering::SeqCst), 2, "sent again after the 503");
    assert_eq!(c.counters().retries, 1);
}

/// With one slot, a token renewed after a 401 waits for the request in
/// flight: the server never sees two requests at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sign_in_waits_for_a_free_in_flight_slot() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let tokens = Arc::new(AtomicUsize::new(0));
    let order: Arc<Mutex<Vec<String>>> = Arc::default();
    let (f2, m2, t2, o2) = (
        in_flight.clone(),
        most.clone(),
        tokens.clone(),
        order.clone(),
    );
    let mock = start(Arc::new(move |r: &Req| {
        let now = f2.fetch_add(1, Ordering::SeqCst) + 1;
        m2.fetch_max(now, Ordering::SeqCst);
        let resp = if is_token(r) {
            std::thread::sleep(Duration::from_millis(100));
            let n = t2.fetch_add(1, Ordering::SeqCst) + 1;
            token_ok(&format!("token-{n}"))
        } else if r.path().ends_with("/expiring") && r.headers["authorization"] == "Bearer token-1"
        {
            // Time for the other request to queue for the slot.
            std::thread::sleep(Duration::from_millis(50));
            Resp::json(
                401,
                json!({"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired."}}),
            )
        } else {
            std::thread::sleep(Duration::from_millis(300));
            Resp::json(200, json!({"ok": true}))
        };
        o2.lock().unwrap().push(r.path().to_string());
        f2.fetch_sub(1, Ordering::SeqCst);
        resp
    }))
    .await;
    let c = client(&mock.base(), secret(), 1);
    c.access_token().await.unwrap();
    let first = {
        let c = c.clone();
        tokio::spawn(async move { c.get_json::<serde_json::Value>("/users/expiring").await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = {
        let c = c.clone();
        tokio::spawn(async move { c.get_json::<serde_json::Value>("/users/slow").await })
    };
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();
    assert_eq!(
        tokens.load(Ordering::SeqCst),
        2,
        "renewed once after the 401"
    );
    assert_eq!(
        most.load(Ordering::SeqCst),
        1,
        "never more than one request in flight: {:?}",
        order.lock().unwrap()
    );
}
