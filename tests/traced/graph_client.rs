//! The Graph client against a scripted loopback server: paging, retries on
//! 429/503 with Retry-After, `$batch` per-item retries, error wording,
//! credentials (secret, federated file, GitHub OIDC), and no secret in logs.

use crate::graph_mock;
use crate::trace_capture;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use entraform::graph::auth::FederatedSource;
use entraform::graph::{
    AuthConfig, ClientOptions, Cloud, Credential, GraphClient, GraphError, Request, RetryPolicy,
};
use graph_mock::{Req, Resp, start, token_ok};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::json;

const SECRET: &str = "s3cr3t-Value-never-logged";
const TOKEN: &str = "eyJ.access-token-never-logged.sig";

fn client(base: &str, credential: Credential) -> GraphClient {
    let auth = AuthConfig {
        tenant_id: "contoso.onmicrosoft.com".into(),
        client_id: "app-1".into(),
        cloud: Cloud::custom(base).unwrap(),
        credential,
    };
    let options = ClientOptions {
        retry: RetryPolicy::fast(),
        max_in_flight: 4,
        ..ClientOptions::default()
    };
    GraphClient::new(auth, options).unwrap()
}

fn secret() -> Credential {
    Credential::Secret(SecretString::from(SECRET))
}

fn is_token(r: &Req) -> bool {
    r.path() == "/contoso.onmicrosoft.com/oauth2/v2.0/token"
}

#[tokio::test]
async fn token_request_and_paging() {
    let base = Arc::new(Mutex::new(String::new()));
    let b2 = base.clone();
    let mock = start(Arc::new(move |r: &Req| {
        if is_token(r) {
            let f = r.form();
            assert_eq!(f["grant_type"], "client_credentials");
            assert_eq!(f["client_id"], "app-1");
            assert_eq!(f["scope"], "https://graph.microsoft.com/.default");
            assert_eq!(f["client_secret"], SECRET);
            return token_ok(TOKEN);
        }
        assert_eq!(r.headers["authorization"], format!("Bearer {TOKEN}"));
        let base = b2.lock().unwrap().clone();
        match r.query().get("$skiptoken").map(String::as_str) {
            None => Resp::json(
                200,
                json!({"value":[{"id":"1"},{"id":"2"}],
                "@odata.nextLink": format!("{base}/v1.0/users?$top=2&$skiptoken=p2")}),
            ),
            Some("p2") => Resp::json(200, json!({"value":[{"id":"3"}]})),
            Some(_) => Resp::json(400, json!({})),
        }
    }))
    .await;
    *base.lock().unwrap() = mock.base();
    let c = client(&mock.base(), secret());
    let l = c.list::<serde_json::Value>("/users?$top=2").await.unwrap();
    assert_eq!(l.items.len(), 3);
    assert_eq!(l.pages, 2);
    // The token is cached: a second call does not fetch another.
    c.list::<serde_json::Value>("/users?$top=2").await.unwrap();
    let n = c.counters();
    assert_eq!(n.http_requests, 4);
    assert_eq!(n.token_requests, 1);
    assert_eq!(mock.count(is_token), 1);
}

#[tokio::test]
async fn retries_429_and_503_honouring_retry_after() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let mock = start(Arc::new(move |r: &Req| {
        if is_token(r) {
            return token_ok(TOKEN);
        }
        match c2.fetch_add(1, Ordering::SeqCst) {
            0 => Resp::json(
                429,
                json!({"error":{"code":"TooManyRequests","message":"Please retry again later."}}),
            )
            .header("Retry-After", "0.05"),
            1 => Resp::json(
                503,
                json!({"error":{"code":"serviceNotAvailable","message":"busy"}}),
            ),
            _ => Resp::json(200, json!({"id":"u1"})),
        }
    }))
    .await;
    let c = client(&mock.base(), secret());
    let started = std::time::Instant::now();
    let v: serde_json::Value = c.get_json("/users/u1").await.unwrap();
    assert_eq!(v["id"], "u1");
    assert!(started.elapsed() >= std::time::Duration::from_millis(50));
    let n = c.counters();
    assert_eq!((n.http_requests, n.retries, n.throttled), (3, 2, 1));
}

#[tokio::test]
async fn gives_up_with_a_clear_error() {
    let mock = start(Arc::new(|r: &Req| {
        if is_token(r) {
            return token_ok(TOKEN);
        }
        if r.path().ends_with("/forbidden") {
            return Resp::json(
                403,
                json!({"error":{"code":"Authorization_RequestDenied",
                "message":"Insufficient privileges to complete the operation.",
                "innerError":{"request-id":"inner-id"}}}),
            )
            .header("request-id", "rid-403");
        }
        Resp::json(
            503,
            json!({"error":{"code":"serviceNotAvailable","message":"down"}}),
        )
        .header("request-id", "rid-503")
    }))
    .await;
    let c = client(&mock.base(), secret());
    let e = c
        .get_json::<serde_json::Value>("/groups/forbidden?$select=id")
        .await
        .unwrap_err();
    let s = e.to_string();
    assert!(
        s.contains("GET /groups/forbidden failed with HTTP 403 Forbidden"),
        "{s}"
    );
    assert!(
        s.contains("Authorization_RequestDenied") && s.contains("request-id rid-403"),
        "{s}"
    );
    assert!(s.contains("application permissions"), "{s}");
    assert_eq!(c.counters().http_requests, 1, "403 is not retried");

    let e = c.get_json::<serde_json::Value>("/users").await.unwrap_err();
    let s = e.to_string();
    assert!(s.contains("503") && s.contains("rid-503"), "{s}");
    assert_eq!(e.status(), Some(503));
}

#[tokio::test]
async fn batch_splits_maps_and_retries_only_failed_items() {
    let attempts: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let a2 = attempts.clone();
    let mock = start(Arc::new(move |r: &Req| {
        if is_token(r) {
            return token_ok(TOKEN);
        }
        assert_eq!(r.path(), "/v1.0/$batch");
        let body = r.json();
        let reqs = body["requests"].as_array().unwrap();
        assert!(reqs.len() <= 20, "at most 20 per batch");
        let mut out = Vec::new();
        // Answer in reverse order: mapping must use ids.
        for q in reqs.iter().rev() {
            let id = q["id"].as_str().unwrap().to_string();
            let url = q["url"].as_str().unwrap().to_string();
            let n = {
                let mut m = a2.lock().unwrap();
                let e = m.entry(url.clone()).or_insert(0);
                *e += 1;
                *e
            };
            let k: usize = url.trim_start_matches("/groups/g").split('/').next().unwrap().parse().unwrap();
            if k == 7 {
                out.push(json!({"id": id, "status": 404, "headers": {"request-id":"r7"},
                    "body": {"error":{"code":"Request_ResourceNotFound","message":"Resource 'g7' does not exist."}}}));
            } else if k.is_multiple_of(5) && n == 1 {
                out.push(json!({"id": id, "status": 429, "headers": {"Retry-After": "0.02"},
                    "body": {"error":{"code":"TooManyRequests","message":"later"}}}));
            } else if k.is_multiple_of(11) && n == 1 {
                // Not answered at all: must be sent again.
                continue;
            } else {
                out.push(json!({"id": id, "status": 200, "headers": {},
                    "body": {"value":[{"id": format!("member-of-{k}")}]}}));
            }
        }
        Resp::json(200, json!({"responses": out}))
    }))
    .await;
    let c = client(&mock.base(), secret());
    let reqs: Vec<Request> = (0..45)
        .map(|k| Request::get(format!("/groups/g{k}/members?$select=id")))
        .collect();
    let results = c.batch(reqs).await.unwrap();
    assert_eq!(results.len(), 45);
    for (k, r) in results.iter().enumerate() {
        if k == 7 {
            let e = r.as_ref().unwrap_err();
            assert_eq!(
                (e.status, e.code.as_str()),
                (404, "Request_ResourceNotFound")
            );
            assert!(e.to_string().contains("(in $batch)"));
        } else {
            let body = r.as_ref().unwrap().value().unwrap();
            assert_eq!(body["value"][0]["id"], format!("member-of-{k}"));
        }
    }
    let retried = (0..45usize)
        .filter(|&k| k.is_multiple_of(5) || k.is_multiple_of(11))
        .count();
    let n = c.counters();
    assert_eq!(n.batch_items as usize, 45 + retried);
    assert_eq!(
        n.batch_requests,
        3 + 1,
        "3 batches, then one batch of the retried items"
    );
    assert_eq!(n.http_requests, n.batch_requests);
}

/// A `$batch` POST that fails as a whole (here 400 on the envelope) fails
/// only the items it carried: `batch_each` keeps the other POST's results,
/// `batch` reports the failure.
#[tokio::test]
async fn a_failed_batch_post_fails_only_its_own_items() {
    let mock = start(Arc::new(|r: &Req| {
        if is_token(r) {
            return token_ok(TOKEN);
        }
        let body = r.json();
        let reqs = body["requests"].as_array().unwrap();
        if reqs.iter().any(|q| q["url"] == "/users/u25") {
            return Resp::json(
                400,
                json!({"error":{"code":"BadRequest","message":"Invalid batch payload."}}),
            );
        }
        let out: Vec<_> = reqs
            .iter()
            .map(|q| json!({"id": q["id"], "status": 204, "headers": {}}))
            .collect();
        Resp::json(200, json!({"responses": out}))
    }))
    .await;
    let c = client(&mock.base(), secret());
    let reqs = || -> Vec<Request> {
        (0..40)
            .map(|k| {
                Request::with_body(
                    Method::PATCH,
                    format!("/users/u{k}"),
                    json!({"city": "Oslo"}),
                )
            })
            .collect()
    };
    let never = std::sync::atomic::AtomicBool::new(false);
    let results = c.batch_each(reqs(), &never).await;
    for (k, r) in results.iter().enumerate() {
        let r = r.as_ref().expect("every item has a result");
        if k < 20 {
            assert!(r.is_ok(), "item {k}: {r:?}");
        } else {
            let e = r.as_ref().unwrap_err();
            assert_eq!(
                e.code,
                entraform::graph::batch::BATCH_POST_FAILED,
                "item {k}"
            );
            assert!(e.to_string().contains("may or may not have applied"), "{e}");
        }
    }
    assert!(
        c.batch(reqs()).await.is_err(),
        "batch() reports the failed POST"
    );
}

/// Once the stop flag is set, throttled items are not sent again.
#[tokio::test]
async fn no_retry_is_sent_after_stop() {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let mock = start(Arc::new(move |r: &Req| {
        if is_token(r) {
            return token_ok(TOKEN);
        }
        // Everything is throttled; Ctrl-C arrives while the first answer is on its way.
        s2.store(true, std::sync::atomic::Ordering::SeqCst);
        let out: Vec<_> = r.json()["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| json!({"id": q["id"], "status": 429, "headers": {"Retry-After": "0"}}))
            .collect();
        Resp::json(200, json!({"responses": out}))
    }))
    .await;
    let c = client(&mock.base(), secret());
    let reqs: Vec<Request> = (0..5)
        .map(|k| {
            Request::with_body(
                Method::PATCH,
                format!("/users/u{k}"),
                json!({"city": "Oslo"}),
            )
        })
        .collect();
    let results = c.batch_each(reqs, &stop).await;
    assert!(results.iter().all(Option::is_none), "{results:?}");
    assert_eq!(
        mock.count(|r| r.path() == "/v1.0/$batch"),
        1,
        "no retry after stop"
    );
}

#[tokio::test]
async fn wrong_secret_names_tenant_and_client() {
    let mock = start(Arc::new(|_r: &Req| {
        Resp::json(401, json!({"error":"invalid_client",
            "error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: t-1\r\nCorrelation ID: c-1",
            "error_codes":[7000215],"trace_id":"t-1","correlation_id":"c-1"}))
    }))
    .await;
    let c = client(
        &mock.base(),
        Credential::Secret(SecretString::from("wrong")),
    );
    let e = c.get_json::<serde_json::Value>("/users").await.unwrap_err();
    assert!(matches!(e, GraphError::Auth(_)));
    let s = e.to_string();
    assert!(
        s.contains("client id app-1 in tenant contoso.onmicrosoft.com"),
        "{s}"
    );
    assert!(
        s.contains("AADSTS7000215") && s.contains("AZURE_CLIENT_SECRET"),
        "{s}"
    );
    assert!(
        !s.contains("Correlation"),
        "only the first line of the description: {s}"
    );
}

#[tokio::test]
async fn federated_token_file_and_github_oidc() {
    let dir = crate::scratch::Scratch::new("fed");
    let file = dir.join("token");
    std::fs::write(&file, "federated-jwt-from-file\n").unwrap();
    let mock = start(Arc::new(|r: &Req| {
        if r.path() == "/github-oidc" {
            assert_eq!(r.headers["authorization"], "Bearer gh-request-token");
            let q = r.query();
            assert_eq!(q["api-version"], "2.0");
            assert_eq!(q["audience"], "api://AzureADTokenExchange");
            return Resp::json(
                200,
                json!({"count": 1, "value": "federated-jwt-from-github"}),
            );
        }
        if is_token(r) {
            let f = r.form();
            assert_eq!(
                f["client_assertion_type"],
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
            );
            assert!(!f.contains_key("client_secret"));
            return token_ok(&format!("token-for-{}", f["client_assertion"]));
        }
        Resp::json(200, json!({"auth": r.headers["authorization"]}))
    }))
    .await;
    let c = client(
        &mock.base(),
        Credential::Federated(FederatedSource::File(file.clone())),
    );
    let v: serde_json::Value = c.get_json("/me").await.unwrap();
    assert_eq!(v["auth"], "Bearer token-for-federated-jwt-from-file");

    let gh = Credential::Federated(FederatedSource::GitHubActions {
        request_url: format!("{}/github-oidc?api-version=2.0", mock.base()),
        request_token: SecretString::from("gh-request-token"),
        audience: "api://AzureADTokenExchange".into(),
    });
    let c = client(&mock.base(), gh);
    let v: serde_json::Value = c.get_json("/me").await.unwrap();
    assert_eq!(v["auth"], "Bearer token-for-federated-jwt-from-github");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn refuses_foreign_next_links() {
    let mock = start(Arc::new(|r: &Req| {
        if is_token(r) {
            return token_ok(TOKEN);
        }
        Resp::json(
            200,
            json!({"value":[], "@odata.nextLink": "https://evil.example/v1.0/users?$skiptoken=x"}),
        )
    }))
    .await;
    let c = client(&mock.base(), secret());
    let e = c.list::<serde_json::Value>("/users").await.unwrap_err();
    assert!(matches!(e, GraphError::ForeignLink(_)), "{e}");
}

#[tokio::test]
async fn trace_logs_hold_no_secret_or_token() {
    let cap = trace_capture::global_capture();
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let mock = start(Arc::new(move |r: &Req| {
        if is_token(r) {
            return token_ok(TOKEN);
        }
        if c2.fetch_add(1, Ordering::SeqCst) == 0 {
            return Resp::json(429, json!({})).header("Retry-After", "0");
        }
        Resp::json(200, json!({"value":[]}))
    }))
    .await;
    let c = client(&mock.base(), secret());
    c.list::<serde_json::Value>("/users").await.unwrap();
    let bad = client(&mock.base(), secret());
    drop(bad);
    // Debug output of the client and its config is redacted too.
    tracing::debug!(client = ?c, auth = ?c.auth(), "client state");
    let logs = String::from_utf8(cap.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("graph request"),
        "logging was captured: {logs}"
    );
    assert!(logs.contains("access token acquired"), "{logs}");
    assert!(!logs.contains(SECRET), "secret leaked: {logs}");
    assert!(
        !logs.contains("access-token-never-logged"),
        "token leaked: {logs}"
    );
}

#[tokio::test]
async fn not_found_is_retried_only_when_asked() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = calls.clone();
    let mock = start(Arc::new(move |r: &Req| {
        if is_token(r) {
            return token_ok(TOKEN);
        }
        if c2.fetch_add(1, Ordering::SeqCst) < 2 {
            return Resp::json(
                404,
                json!({"error":{"code":"Request_ResourceNotFound","message":"not yet"}}),
            );
        }
        Resp::json(200, json!({"id":"new"}))
    }))
    .await;
    let c = client(&mock.base(), secret());
    let e = c
        .get_json::<serde_json::Value>("/users/new")
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(404));
    let req = Request::get("/users/new").retrying_not_found();
    let resp = c.send(&req).await.unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_time_out_under_the_deadline() {
    let mock = start(Arc::new(|r: &Req| {
        if is_token(r) {
            return token_ok(TOKEN);
        }
        std::thread::sleep(std::time::Duration::from_millis(400));
        Resp::json(200, json!({}))
    }))
    .await;
    let auth = AuthConfig {
        tenant_id: "contoso.onmicrosoft.com".into(),
        client_id: "app-1".into(),
        cloud: Cloud::custom(&mock.base()).unwrap(),
        credential: secret(),
    };
    let options = ClientOptions {
        request_timeout: std::time::Duration::from_millis(100),
        retry: RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::fast()
        },
        ..ClientOptions::default()
    };
    let c = GraphClient::new(auth, options).unwrap();
    let e = c.get_json::<serde_json::Value>("/users").await.unwrap_err();
    let s = e.to_string();
    assert!(s.contains("GET /users") && s.contains("timed out"), "{s}");
    assert!(s.contains("3 attempt"), "{s}");
}

/// Several `$batch` POSTs in flight meet the same expired token (401): the
/// token is renewed once, and every POST is sent again once with the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_401s_renew_the_token_once() {
    let tokens = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let (t2, r2) = (tokens.clone(), refused.clone());
    let mock = start(Arc::new(move |r: &Req| {
        if is_token(r) {
            let n = t2.fetch_add(1, Ordering::SeqCst) + 1;
            return token_ok(&format!("token-{n}"));
        }
        if r.headers["authorization"] == "Bearer token-1" {
            // The first token has expired. Once all four POSTs carrying it are
            // here, the refusals go out one after the other, each after the
            // previous one has been renewed.
            let k = r2.fetch_add(1, Ordering::SeqCst);
            let start = std::time::Instant::now();
            while r2.load(Ordering::SeqCst) < 4
                && start.elapsed() < std::time::Duration::from_secs(5)
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            std::thread::sleep(std::time::Duration::from_millis(80 * k as u64));
            return Resp::json(
                401,
                json!({"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired."}}),
            );
        }
        let reqs = r.json()["requests"].as_array().unwrap().clone();
        let out: Vec<_> = reqs
            .iter()
            .map(|q| json!({"id": q["id"], "status": 204, "headers": {}}))
            .collect();
        Resp::json(200, json!({"responses": out}))
    }))
    .await;
    let c = client(&mock.base(), secret());
    // Fetch the first token before the POSTs, so all four carry it.
    c.access_token().await.unwrap();
    let reqs: Vec<Request> = (0..80)
        .map(|k| Request::get(format!("/users/u{k}")))
        .collect();
    let results = c.batch(reqs).await.unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(
        refused.load(Ordering::SeqCst),
        4,
        "4 POSTs refused once each"
    );
    assert_eq!(
        tokens.load(Ordering::SeqCst),
        2,
        "renewed once, not per refusal"
    );
}
