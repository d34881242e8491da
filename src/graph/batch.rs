//! JSON batching: many Graph [`Request`]s in `POST /$batch` envelopes of at
//! most 20, responses mapped back to their requests by id, and each failed
//! item judged by the one error policy ([`RetryPolicy::decide`]): only the
//! items it retries (429/503/504 honouring each item's `Retry-After`, a
//! replication 404, an item Graph left unanswered) are sent again, re-packed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::task::JoinSet;

use super::client::GraphClient;
use super::error::{ApiError, GraphError};
use super::request::{Body, Request, Response};
use super::retry::{Action, Attempt, Failure, RetryPolicy, parse_retry_after};

/// Graph's limit of requests per `$batch`.
pub const MAX_BATCH: usize = 20;

/// The error code of a write sent [`Request::once`] whose outcome is
/// unknown: answered 500/502/503/504 (or not at all), so Graph may or may
/// not have committed it.
pub const OUTCOME_UNKNOWN: &str = "entraform_OutcomeUnknown";

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
    headers: BTreeMap<&'a str, &'a str>,
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
/// the caller's list, so answers map back whatever their order. Item URLs
/// are relative to the version root `root` (an absolute URL under it is made
/// relative); an item with a body gets `Content-Type: application/json`.
pub fn envelope(requests: &[Request], indexes: &[usize], root: &str) -> Value {
    let items: Vec<WireRequest<'_>> = indexes
        .iter()
        .filter_map(|&i| {
            requests.get(i).map(|r| {
                let mut headers: BTreeMap<&str, &str> = r
                    .headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                if r.body.is_some() && header_ci(&r.headers, "content-type").is_none() {
                    headers.insert("Content-Type", "application/json");
                }
                WireRequest {
                    id: i.to_string(),
                    method: r.method.as_str(),
                    url: super::cloud::relative_to_root(&r.url, root).unwrap_or(&r.url),
                    body: r.body.as_ref(),
                    headers,
                }
            })
        })
        .collect();
    serde_json::json!({ "requests": items })
}

/// The result of one item: its success, or Graph's error for it.
pub type ItemResult = Result<Response, Box<ApiError>>;

/// Graph's error for a failed item.
fn item_error(
    req: &Request,
    status: u16,
    headers: &BTreeMap<String, String>,
    body: Option<&Value>,
) -> ApiError {
    let rid = header_ci(headers, "request-id").map(str::to_string);
    let mut e = ApiError::from_value(req.method.as_str(), &req.url, status, body, rid);
    e.in_batch = true;
    e
}

/// What the batch loop does with one item's answer (`None`: Graph left it
/// unanswered), as the error policy decides for attempt `round`.
#[derive(Debug, PartialEq)]
pub(crate) enum ItemFate {
    /// Final: its result.
    Done(ItemResult),
    /// Send it again after this wait.
    Retry(Duration),
    /// Retryable, but the attempts or the deadline are used up.
    Exhausted,
}

pub(crate) fn judge(
    policy: &RetryPolicy,
    req: &Request,
    answer: Option<WireAnswer>,
    attempt: Attempt,
) -> ItemFate {
    let failure = match answer {
        Some(a) if (200..300).contains(&a.status) => {
            return ItemFate::Done(Ok(Response {
                status: a.status,
                headers: a.headers,
                body: Body::Json(a.body),
            }));
        }
        Some(ref a) => Failure::Status(
            a.status,
            header_ci(&a.headers, "retry-after").and_then(parse_retry_after),
        ),
        None => Failure::Lost,
    };
    let action = policy.decide(req.item_traits(), failure, attempt);
    let mut error = match &answer {
        Some(a) => item_error(req, a.status, &a.headers, a.body.as_ref()),
        None => unanswered(req, None),
    };
    match action {
        Action::Retry(wait) => ItemFate::Retry(wait),
        Action::GiveUp(_) => ItemFate::Exhausted,
        Action::Unknown => {
            if let Some(a) = &answer {
                error.message = format!(
                    "Graph answered HTTP {} ({}); the write may or may not have been applied",
                    a.status,
                    if error.message.is_empty() {
                        "no message"
                    } else {
                        error.message.as_str()
                    }
                );
            }
            error.code = OUTCOME_UNKNOWN.into();
            ItemFate::Done(Err(Box::new(error)))
        }
        Action::Fail | Action::Renew => ItemFate::Done(Err(Box::new(error))),
    }
}

/// One item's answer inside a `$batch` response.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WireAnswer {
    pub(crate) status: u16,
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: Option<Value>,
}

impl GraphClient {
    /// Run many requests through `$batch`, 20 per POST, the POSTs in
    /// parallel (bounded by the client's in-flight limit). Returns one result
    /// per request, in the order given. Items the error policy retries
    /// (429/503/504, a replication 404, an item left unanswered) are sent
    /// again (alone, re-packed) after the longest wait among them, under the
    /// policy's attempts and deadline. The items must not use `dependsOn`. An
    /// `Err` means a whole `$batch` POST failed (the other POSTs still run to
    /// completion; their results are dropped).
    pub async fn batch(&self, requests: Vec<Request>) -> Result<Vec<ItemResult>, GraphError> {
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
        requests: Vec<Request>,
        stop: &AtomicBool,
    ) -> Vec<Option<ItemResult>> {
        self.batch_rounds(requests, stop).await.0
    }

    async fn batch_rounds(
        &self,
        requests: Vec<Request>,
        stop: &AtomicBool,
    ) -> (Vec<Option<ItemResult>>, Option<GraphError>) {
        let requests = std::sync::Arc::new(requests);
        let n = requests.len();
        let mut results: Vec<Option<ItemResult>> = vec![None; n];
        let mut first_failure: Option<GraphError> = None;
        let mut pending: Vec<usize> = Vec::with_capacity(n);
        // An absolute URL elsewhere than the Graph root in use is never sent.
        for (i, r) in requests.iter().enumerate() {
            let foreign = (r.url.starts_with("http://") || r.url.starts_with("https://"))
                && super::cloud::relative_to_root(&r.url, self.root()).is_none();
            if foreign {
                let mut e = item_error(r, 400, &BTreeMap::new(), None);
                e.code = "entraform_ForeignLink".into();
                e.message =
                    "refusing to send a request to another host than the Graph root in use".into();
                results[i] = Some(Err(Box::new(e)));
            } else {
                pending.push(i);
            }
        }
        let mut last_status: Vec<Option<u16>> = vec![None; n];
        let policy = self.policy().clone();
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
                    let body = envelope(&reqs, &chunk, client.root());
                    let mut post = Request::with_body(Method::POST, "/$batch", body);
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
            let mut wait = Duration::ZERO;
            let mut exhausted = false;
            let attempt = Attempt {
                number: round,
                elapsed: started.elapsed(),
                renewed: false,
            };
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
                let mut answers: Vec<Option<WireAnswer>> = vec![None; chunk.len()];
                for item in parsed.responses {
                    let Ok(idx) = item.id.parse::<usize>() else {
                        continue;
                    };
                    let Some(pos) = chunk.iter().position(|&c| c == idx) else {
                        continue;
                    };
                    if answers[pos].is_some() {
                        continue;
                    }
                    if item.status == 429 {
                        self.inner.transport.counters.throttle();
                    }
                    answers[pos] = Some(WireAnswer {
                        status: item.status,
                        headers: item.headers,
                        body: item.body,
                    });
                }
                for (&idx, answer) in chunk.iter().zip(answers) {
                    let status = answer.as_ref().map(|a| a.status);
                    match judge(&policy, &requests[idx], answer, attempt) {
                        ItemFate::Done(r) => results[idx] = Some(r),
                        ItemFate::Retry(w) => {
                            retry.push(idx);
                            wait = wait.max(w);
                            last_status[idx] = status.or(last_status[idx]);
                        }
                        ItemFate::Exhausted => {
                            exhausted = true;
                            last_status[idx] = status.or(last_status[idx]);
                        }
                    }
                }
            }
            if retry.is_empty() && !exhausted {
                break;
            }
            if stop.load(Ordering::SeqCst) {
                // Stopped: the items to retry stay without a result (not applied).
                return (results, first_failure);
            }
            if exhausted {
                break;
            }
            retry.sort_unstable();
            tracing::debug!(
                items = retry.len(),
                wait_ms = wait.as_millis() as u64,
                "retrying batch items"
            );
            for _ in &retry {
                self.inner.transport.counters.retry();
            }
            tokio::time::sleep(wait).await;
            if stop.load(Ordering::SeqCst) {
                return (results, first_failure);
            }
            pending = retry;
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
fn post_failed(req: &Request, e: &GraphError) -> ApiError {
    let status = match e {
        GraphError::Api(api) => api.status,
        _ => 503,
    };
    let mut item = item_error(req, status, &BTreeMap::new(), None);
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

fn unanswered(req: &Request, last_status: Option<u16>) -> ApiError {
    let mut e = item_error(req, last_status.unwrap_or(503), &BTreeMap::new(), None);
    e.message = match last_status {
        Some(s) => format!("the batch item was still answered HTTP {s} when its retries ran out"),
        None => "Graph never answered this batch item before the retries ran out".into(),
    };
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "https://graph.microsoft.com/v1.0";

    #[test]
    fn envelope_uses_indexes_as_ids() {
        let reqs = vec![
            Request::get("/groups/a/members"),
            Request::with_body(
                Method::PATCH,
                "/users/x",
                serde_json::json!({"city":"Oslo"}),
            ),
            Request::get(format!("{ROOT}/groups/a/members?$skiptoken=2")),
        ];
        let v = envelope(&reqs, &[0, 1, 2], ROOT);
        assert_eq!(v["requests"][0]["id"], "0");
        assert_eq!(v["requests"][0]["method"], "GET");
        assert!(v["requests"][0].get("headers").is_none());
        assert_eq!(
            v["requests"][1]["headers"]["Content-Type"],
            "application/json"
        );
        assert_eq!(v["requests"][1]["body"]["city"], "Oslo");
        assert_eq!(v["requests"][2]["url"], "/groups/a/members?$skiptoken=2");
    }

    fn answer(status: u16, headers: &[(&str, &str)], body: Option<Value>) -> Option<WireAnswer> {
        Some(WireAnswer {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body,
        })
    }

    #[test]
    fn items_are_judged_by_the_one_policy() {
        let p = RetryPolicy::default();
        let first = Attempt {
            number: 1,
            elapsed: Duration::ZERO,
            renewed: false,
        };
        let r = Request::get("/groups/a/members?$select=id");
        match judge(&p, &r, answer(429, &[("Retry-After", "3")], None), first) {
            ItemFate::Retry(w) => assert!(w >= Duration::from_secs(3), "{w:?}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            judge(&p, &r, answer(503, &[], None), first),
            ItemFate::Retry(_)
        ));
        // Unanswered: sent again, unless it is a write sent once.
        assert!(matches!(judge(&p, &r, None, first), ItemFate::Retry(_)));
        let create = Request::with_body(Method::POST, "/users", serde_json::json!({})).sent_once();
        match judge(&p, &create, None, first) {
            ItemFate::Done(Err(e)) => assert_eq!(e.code, OUTCOME_UNKNOWN),
            other => panic!("{other:?}"),
        }
        match judge(&p, &create, answer(504, &[], None), first) {
            ItemFate::Done(Err(e)) => {
                assert_eq!((e.code.as_str(), e.status), (OUTCOME_UNKNOWN, 504))
            }
            other => panic!("{other:?}"),
        }
        let last = Attempt {
            number: p.max_attempts,
            ..first
        };
        assert_eq!(
            judge(&p, &r, answer(503, &[], None), last),
            ItemFate::Exhausted
        );
        let body = serde_json::json!({"error":{"code":"Request_ResourceNotFound","message":"gone","innerError":{"request-id":"r1"}}});
        match judge(&p, &r, answer(404, &[], Some(body.clone())), first) {
            ItemFate::Done(Err(e)) => {
                assert!(e.in_batch);
                assert_eq!(e.code, "Request_ResourceNotFound");
                assert_eq!(e.request_id.as_deref(), Some("r1"));
                assert_eq!(e.path, "/groups/a/members");
            }
            other => panic!("{other:?}"),
        }
        // The same 404 right after a create is Graph's replication delay.
        let fresh = r.clone().retrying_not_found();
        assert!(matches!(
            judge(&p, &fresh, answer(404, &[], Some(body)), first),
            ItemFate::Retry(_)
        ));
        assert!(matches!(
            judge(
                &p,
                &r,
                answer(200, &[], Some(serde_json::json!({"value":[]}))),
                first
            ),
            ItemFate::Done(Ok(_))
        ));
    }
}
