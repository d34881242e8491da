//! JSON batching: many Graph requests in `POST /$batch` envelopes of at most
//! 20, responses mapped back to their requests by id, and only the items
//! that failed with a retryable status (429/503/504, honouring each item's
//! `Retry-After`) sent again.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::task::JoinSet;

use super::client::{GraphClient, GraphRequest};
use super::error::{ApiError, GraphError};
use super::retry::{Decision, Outcome, RetryPolicy, parse_retry_after};

/// Graph's limit of requests per `$batch`.
pub const MAX_BATCH: usize = 20;

/// One request to put in a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRequest {
    /// HTTP method (`GET`, `POST`, `PATCH`, `DELETE`…).
    pub method: String,
    /// URL relative to the version root, e.g. `/groups/{id}/members?$select=id`.
    pub url: String,
    /// JSON body (a `Content-Type: application/json` header is added).
    pub body: Option<Value>,
    /// Extra headers (e.g. `ConsistencyLevel`).
    pub headers: BTreeMap<String, String>,
    /// Retry a 404 like a 503 (replication delay right after a create).
    pub retry_not_found: bool,
    /// Send it once: a write that must not be repeated blindly (a create).
    /// A 500/502/503/504 answer, or none, then comes back as an error with
    /// code [`OUTCOME_UNKNOWN`] instead of being sent again: Graph may have
    /// committed it, and the caller checks before sending it again.
    pub once: bool,
}

/// The error code of a write sent [`BatchRequest::once`] whose outcome is
/// unknown: answered 500/502/503/504 (or not at all), so Graph may or may
/// not have committed it.
pub const OUTCOME_UNKNOWN: &str = "entraform_OutcomeUnknown";

impl BatchRequest {
    /// A GET item.
    pub fn get(url: impl Into<String>) -> Self {
        BatchRequest {
            method: "GET".into(),
            url: url.into(),
            body: None,
            headers: BTreeMap::new(),
            retry_not_found: false,
            once: false,
        }
    }
    /// An item with a JSON body.
    pub fn with_body(method: &str, url: impl Into<String>, body: Value) -> Self {
        let mut headers = BTreeMap::new();
        headers.insert("Content-Type".to_string(), "application/json".to_string());
        BatchRequest {
            method: method.to_string(),
            url: url.into(),
            body: Some(body),
            headers,
            retry_not_found: false,
            once: false,
        }
    }
    /// Retry 404 answers (replication delay after a create).
    pub fn retrying_not_found(mut self) -> Self {
        self.retry_not_found = true;
        self
    }
    /// Send it at most once per call (see [`BatchRequest::once`]).
    pub fn sent_once(mut self) -> Self {
        self.once = true;
        self
    }
}

/// A successful (2xx) item response.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchResponse {
    /// Status of the item.
    pub status: u16,
    /// Its headers (names as Graph sent them).
    pub headers: BTreeMap<String, String>,
    /// Its JSON body, if any.
    pub body: Option<Value>,
}

impl BatchResponse {
    /// A header by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_ci(&self.headers, name)
    }
}

fn header_ci<'a>(h: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[derive(Serialize)]
struct WireRequest<'a> {
    id: String,
    method: &'a str,
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: &'a BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct WireResponses {
    #[serde(default)]
    responses: Vec<WireResponse>,
}

#[derive(Deserialize)]
struct WireResponse {
    id: String,
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<Value>,
}

/// Build the JSON body of one `$batch` POST; item ids are the indexes into
/// the caller's list, so answers map back whatever their order.
pub fn envelope(requests: &[BatchRequest], indexes: &[usize]) -> Value {
    let items: Vec<WireRequest<'_>> = indexes
        .iter()
        .filter_map(|&i| {
            requests.get(i).map(|r| WireRequest {
                id: i.to_string(),
                method: &r.method,
                url: &r.url,
                body: r.body.as_ref(),
                headers: &r.headers,
            })
        })
        .collect();
    serde_json::json!({ "requests": items })
}

/// The result of one item: its success, or Graph's error for it.
pub type ItemResult = Result<BatchResponse, Box<ApiError>>;

/// What the batch loop does with one item's answer.
#[derive(Debug, PartialEq)]
pub(crate) enum ItemFate {
    Done(ItemResult),
    Retry(Option<std::time::Duration>),
}

pub(crate) fn classify(
    req: &BatchRequest,
    status: u16,
    headers: BTreeMap<String, String>,
    body: Option<Value>,
) -> ItemFate {
    if (200..300).contains(&status) {
        return ItemFate::Done(Ok(BatchResponse {
            status,
            headers,
            body,
        }));
    }
    if req.once && matches!(status, 500 | 502 | 503 | 504) {
        let rid = header_ci(&headers, "request-id").map(|s| s.to_string());
        let mut e = ApiError::from_value(&req.method, &req.url, status, body.as_ref(), rid);
        e.in_batch = true;
        e.code = OUTCOME_UNKNOWN.into();
        e.message = format!(
            "Graph answered HTTP {status} ({}); the write may or may not have been applied",
            if e.message.is_empty() {
                "no message"
            } else {
                e.message.as_str()
            }
        );
        return ItemFate::Done(Err(Box::new(e)));
    }
    let replication = status == 404 && req.retry_not_found;
    if replication || RetryPolicy::is_retryable(Outcome::Status(status, None)) {
        return ItemFate::Retry(header_ci(&headers, "retry-after").and_then(parse_retry_after));
    }
    let rid = header_ci(&headers, "request-id").map(|s| s.to_string());
    let mut e = ApiError::from_value(&req.method, &req.url, status, body.as_ref(), rid);
    e.in_batch = true;
    ItemFate::Done(Err(Box::new(e)))
}

impl GraphClient {
    /// Run many requests through `$batch`, 20 per POST, the POSTs in
    /// parallel (bounded by the client's in-flight limit). Returns one result
    /// per request, in the order given. Items answered 429/503/504 are sent
    /// again (alone, re-packed) after the longest `Retry-After` among them,
    /// under the retry policy's attempts and deadline. The items must not use
    /// `dependsOn`. An `Err` means a whole `$batch` POST failed (the other
    /// POSTs still run to completion; their results are dropped).
    pub async fn batch(&self, requests: Vec<BatchRequest>) -> Result<Vec<ItemResult>, GraphError> {
        let never = AtomicBool::new(false);
        let (results, failed) = self.batch_rounds(requests, &never).await;
        match failed {
            Some(e) => Err(e),
            None => Ok(results
                .into_iter()
                .map(|r| r.unwrap_or_else(|| Err(Box::new(stopped()))))
                .collect()),
        }
    }

    /// Like [`GraphClient::batch`] for writes, where every item's fate
    /// matters: a failed `$batch` POST fails only the items it carried (their
    /// error says Graph may have applied them), and once `stop` is set no
    /// further POST is sent, not even a retry. `None`: the item was not sent
    /// again after `stop`, and its last answer (429, 503…) means Graph did not apply it.
    pub async fn batch_each(
        &self,
        requests: Vec<BatchRequest>,
        stop: &AtomicBool,
    ) -> Vec<Option<ItemResult>> {
        self.batch_rounds(requests, stop).await.0
    }

    async fn batch_rounds(
        &self,
        requests: Vec<BatchRequest>,
        stop: &AtomicBool,
    ) -> (Vec<Option<ItemResult>>, Option<GraphError>) {
        let requests = std::sync::Arc::new(requests);
        let n = requests.len();
        let mut results: Vec<Option<ItemResult>> = vec![None; n];
        let mut first_failure: Option<GraphError> = None;
        let mut pending: Vec<usize> = (0..n).collect();
        let mut last_status: Vec<Option<u16>> = vec![None; n];
        let policy = self.inner.options.retry.clone();
        let started = Instant::now();
        let mut round: u32 = 0;
        while !pending.is_empty() {
            round += 1;
            let mut set = JoinSet::new();
            for chunk in pending.chunks(MAX_BATCH) {
                let client = self.clone();
                let reqs = requests.clone();
                let chunk = chunk.to_vec();
                set.spawn(async move {
                    let body = envelope(&reqs, &chunk);
                    let mut post = GraphRequest::with_body(Method::POST, "/$batch", body);
                    // A POST carrying writes sent once is itself sent once:
                    // after a 5xx its items may have run.
                    post.once = chunk.iter().any(|&i| reqs[i].once);
                    let answer = async {
                        let resp = client.send_counted(&post, Some(chunk.len())).await?;
                        resp.json::<WireResponses>("POST", "/$batch")
                    }
                    .await;
                    (chunk, answer)
                });
            }
            let mut retry: Vec<usize> = Vec::new();
            let mut wait: Option<std::time::Duration> = None;
            while let Some(joined) = set.join_next().await {
                let (chunk, answer) = match joined {
                    Ok(done) => done,
                    Err(e) => {
                        // A panicked task: its chunk is unknown here; its items stay unanswered.
                        first_failure.get_or_insert(GraphError::Transport {
                            method: "POST".into(),
                            path: "/$batch".into(),
                            attempts: round,
                            reason: format!("batch task failed: {e}"),
                        });
                        continue;
                    }
                };
                let parsed = match answer {
                    Ok(p) => p,
                    Err(e) => {
                        for &idx in &chunk {
                            results[idx] = Some(Err(Box::new(post_failed(&requests[idx], &e))));
                        }
                        first_failure.get_or_insert(e);
                        continue;
                    }
                };
                let mut answered = vec![false; chunk.len()];
                for item in parsed.responses {
                    let Ok(idx) = item.id.parse::<usize>() else {
                        continue;
                    };
                    let Some(pos) = chunk.iter().position(|&c| c == idx) else {
                        continue;
                    };
                    if answered[pos] {
                        continue;
                    }
                    answered[pos] = true;
                    if item.status == 429 {
                        self.inner.counters.throttle();
                    }
                    match classify(&requests[idx], item.status, item.headers, item.body) {
                        ItemFate::Done(r) => results[idx] = Some(r),
                        ItemFate::Retry(ra) => {
                            retry.push(idx);
                            let w = ra.unwrap_or_else(|| policy.backoff(round));
                            wait = Some(wait.map_or(w, |cur| cur.max(w)));
                            last_status[idx] = Some(item.status);
                        }
                    }
                }
                // An item Graph did not answer is sent again — unless it is
                // sent once: then its outcome is unknown.
                for (pos, ok) in answered.iter().enumerate() {
                    if !ok {
                        let idx = chunk[pos];
                        if requests[idx].once {
                            let mut e = unanswered(&requests[idx], None);
                            e.code = OUTCOME_UNKNOWN.into();
                            results[idx] = Some(Err(Box::new(e)));
                        } else {
                            retry.push(idx);
                        }
                    }
                }
            }
            if retry.is_empty() || stop.load(Ordering::SeqCst) {
                // Stopped: the items to retry stay without a result (not applied).
                if !retry.is_empty() {
                    return (results, first_failure);
                }
                break;
            }
            retry.sort_unstable();
            let w = wait.unwrap_or_else(|| policy.backoff(round));
            match policy.decide(Outcome::Status(429, Some(w)), round, started.elapsed()) {
                Decision::RetryAfter(d) => {
                    tracing::debug!(
                        items = retry.len(),
                        wait_ms = d.as_millis() as u64,
                        "retrying batch items"
                    );
                    for _ in &retry {
                        self.inner.counters.retry();
                    }
                    tokio::time::sleep(d).await;
                    if stop.load(Ordering::SeqCst) {
                        return (results, first_failure);
                    }
                    pending = retry;
                }
                Decision::Fail | Decision::Exhausted => break,
            }
        }
        let results = results
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                Some(match r {
                    Some(r) => r,
                    None => Err(Box::new(unanswered(&requests[i], last_status[i]))),
                })
            })
            .collect();
        (results, first_failure)
    }
}

/// The error code of an item whose `$batch` POST failed as a whole: Graph
/// may or may not have run it.
pub const BATCH_POST_FAILED: &str = "entraform_BatchPostFailed";

/// An item whose `$batch` POST failed as a whole (after the client's retries).
fn post_failed(req: &BatchRequest, e: &GraphError) -> ApiError {
    let status = match e {
        GraphError::Api(api) => api.status,
        _ => 503,
    };
    let mut item = ApiError::from_value(&req.method, &req.url, status, None, None);
    item.in_batch = true;
    item.code = BATCH_POST_FAILED.into();
    item.message = format!(
        "the $batch request carrying it failed ({e}); Graph may or may not have applied it — the next plan shows which"
    );
    item
}

/// Placeholder for an item without a result (never returned by `batch`, whose loop only stops on its own).
fn stopped() -> ApiError {
    let mut e = ApiError::from_value("POST", "/$batch", 503, None, None);
    e.message = "not sent: the run was stopped".into();
    e
}

fn unanswered(req: &BatchRequest, last_status: Option<u16>) -> ApiError {
    let mut e = ApiError::from_value(
        &req.method,
        &req.url,
        last_status.unwrap_or(503),
        None,
        None,
    );
    e.in_batch = true;
    e.message = match last_status {
        Some(s) => format!("the batch item was still answered HTTP {s} when its retries ran out"),
        None => "Graph never answered this batch item before the retries ran out".into(),
    };
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_uses_indexes_as_ids() {
        let reqs = vec![
            BatchRequest::get("/groups/a/members"),
            BatchRequest::with_body("PATCH", "/users/x", serde_json::json!({"city":"Oslo"})),
        ];
        let v = envelope(&reqs, &[0, 1]);
        assert_eq!(v["requests"][0]["id"], "0");
        assert_eq!(v["requests"][0]["method"], "GET");
        assert!(v["requests"][0].get("headers").is_none());
        assert_eq!(
            v["requests"][1]["headers"]["Content-Type"],
            "application/json"
        );
        assert_eq!(v["requests"][1]["body"]["city"], "Oslo");
    }

    #[test]
    fn item_classification() {
        let r = BatchRequest::get("/groups/a/members?$select=id");
        let mut h = BTreeMap::new();
        h.insert("Retry-After".to_string(), "3".to_string());
        assert_eq!(
            classify(&r, 429, h, None),
            ItemFate::Retry(Some(std::time::Duration::from_secs(3)))
        );
        assert_eq!(
            classify(&r, 503, BTreeMap::new(), None),
            ItemFate::Retry(None)
        );
        let body = serde_json::json!({"error":{"code":"Request_ResourceNotFound","message":"gone","innerError":{"request-id":"r1"}}});
        match classify(&r, 404, BTreeMap::new(), Some(body)) {
            ItemFate::Done(Err(e)) => {
                assert!(e.in_batch);
                assert_eq!(e.code, "Request_ResourceNotFound");
                assert_eq!(e.request_id.as_deref(), Some("r1"));
                assert_eq!(e.path, "/groups/a/members");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(
                &r,
                200,
                BTreeMap::new(),
                Some(serde_json::json!({"value":[]}))
            ),
            ItemFate::Done(Ok(_))
        ));
    }
}
