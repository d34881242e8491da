//! The one HTTP loop: every call the client makes — to Graph, to the token
//! endpoint, to GitHub's OIDC endpoint — goes through [`Transport::exchange`],
//! which holds an in-flight permit around each attempt, counts it, logs it
//! (method, path, status, request-id, timing: never a header or a body) and
//! carries out what the one error policy ([`super::retry`]) decides.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use super::counters::Counters;
use super::error::AuthError;
use super::retry::{Action, Attempt, Failure, Limit, RetryPolicy, Traits, parse_retry_after};

/// What every client clone shares: the HTTP stack, the in-flight limit, the
/// counters and the retry policy.
pub(crate) struct Transport {
    pub(crate) http: reqwest::Client,
    sem: Semaphore,
    pub(crate) counters: Arc<Counters>,
    pub(crate) policy: RetryPolicy,
    /// Largest response body read (bytes).
    max_body: usize,
}

/// The body of one call.
pub(crate) enum Payload<'a> {
    /// No body.
    None,
    /// JSON.
    Json(&'a serde_json::Value),
    /// `application/x-www-form-urlencoded` (the token request).
    Form(&'a [(&'a str, String)]),
}

/// A future a [`Tokens`] source returns (boxed: fetching a token is itself
/// an exchange through this loop).
pub(crate) type TokenFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a Graph call's access token comes from (`auth::TokenSource`). A
/// trait so that this loop does not depend on sign-in, which sends its own
/// requests through the loop.
pub(crate) trait Tokens: Send + Sync {
    /// A valid access token: the cached one, or a new one shortly before it expires.
    fn bearer(&self) -> TokenFuture<'_, Result<SecretString, AuthError>>;
    /// Forget `failed` if it is still the token in use (Graph answered 401 to it).
    fn forget<'a>(&'a self, failed: &'a SecretString) -> TokenFuture<'a, ()>;
}

/// Who the call presents itself as.
pub(crate) enum Bearer<'a> {
    /// Nobody (the token request authenticates in its form).
    None,
    /// Our Graph access token, renewed once after a 401.
    Graph(&'a dyn Tokens),
    /// A fixed bearer token (GitHub's OIDC request token).
    Fixed(&'a SecretString),
}

/// Which counter an attempt counts in.
#[derive(Clone, Copy)]
pub(crate) enum Meter {
    /// A Graph HTTP request; a `$batch` POST carrying this many items.
    Graph(Option<usize>),
    /// A request to the token endpoint.
    Token,
    /// Another sign-in request (GitHub OIDC): only its retries count.
    SignIn,
}

/// One call: a request and what the policy may do with it.
pub(crate) struct Call<'a> {
    pub(crate) method: Method,
    /// Absolute URL.
    pub(crate) url: &'a str,
    /// What logs and errors show: the path without query (or the URL for sign-in).
    pub(crate) shown: &'a str,
    pub(crate) headers: &'a BTreeMap<String, String>,
    pub(crate) payload: Payload<'a>,
    pub(crate) bearer: Bearer<'a>,
    pub(crate) traits: Traits,
    pub(crate) meter: Meter,
}

/// An HTTP answer: status, headers (names lower-case), body.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    /// A header by (lower-case) name.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    /// The `request-id` header.
    pub(crate) fn request_id(&self) -> Option<String> {
        self.header("request-id").map(str::to_string)
    }
}

/// Why a call ended without a successful answer.
#[derive(Debug)]
pub(crate) enum Stop {
    /// A final answer ([`Action::Fail`]), or a write sent once answered
    /// 5xx ([`Action::Unknown`]).
    Answered { answer: Answer },
    /// No answer, and it is not to be sent again (or its outcome is unknown).
    Transport { reason: String, attempts: u32 },
    /// Retryable, but a limit was reached; the last answer or transport failure.
    GaveUp {
        limit: Limit,
        last: Result<Answer, String>,
        attempts: u32,
        elapsed: Duration,
    },
    /// The access token for the call could not be obtained.
    Token(AuthError),
    /// The client is shutting down.
    Closed { attempts: u32 },
}

impl Transport {
    /// A transport with `permits` requests in flight at most.
    pub(crate) fn new(
        http: reqwest::Client,
        permits: usize,
        counters: Arc<Counters>,
        policy: RetryPolicy,
        max_body: usize,
    ) -> Transport {
        Transport {
            http,
            sem: Semaphore::new(permits.max(1)),
            counters,
            policy,
            max_body,
        }
    }

    /// Send `call` under the in-flight limit until it succeeds or the policy
    /// says stop. Waits between attempts hold no permit.
    pub(crate) async fn exchange(&self, call: &Call<'_>) -> Result<Answer, Stop> {
        let started = Instant::now();
        let method = call.method.as_str();
        let mut attempt: u32 = 0;
        let mut renewed = false;
        loop {
            attempt += 1;
            let token: Option<SecretString> = match call.bearer {
                // Boxed: fetching a token is itself an exchange (sign-in).
                Bearer::Graph(tokens) => Some(tokens.bearer().await.map_err(Stop::Token)?),
                _ => None,
            };
            let Ok(permit) = self.sem.acquire().await else {
                return Err(Stop::Closed { attempts: attempt });
            };
            match call.meter {
                Meter::Graph(items) => {
                    self.counters.http();
                    if let Some(n) = items {
                        self.counters.batch(n);
                    }
                }
                Meter::Token => self.counters.token(),
                Meter::SignIn => {}
            }
            let mut builder = self
                .http
                .request(call.method.clone(), call.url)
                .header("Accept", "application/json");
            builder = match (&call.bearer, &token) {
                (Bearer::Graph(_), Some(t)) => builder.bearer_auth(t.expose_secret()),
                (Bearer::Fixed(s), _) => builder.bearer_auth(s.expose_secret()),
                _ => builder,
            };
            for (k, v) in call.headers {
                builder = builder.header(k.as_str(), v.as_str());
            }
            builder = match call.payload {
                Payload::None => builder,
                Payload::Json(b) => builder.json(b),
                Payload::Form(f) => builder.form(f),
            };
            let t0 = Instant::now();
            let result = match builder.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = header_map(resp.headers());
                    match read_capped(resp, self.max_body).await {
                        Ok(body) => Ok(Answer {
                            status,
                            headers,
                            body,
                        }),
                        Err(BodyError::Read(e)) => Err(e),
                        Err(BodyError::TooLarge) => {
                            // Not retried: the same server would send the same body.
                            drop(permit);
                            tracing::warn!(%method, path = %call.shown, limit = self.max_body, "response body over the limit; not read");
                            return Err(Stop::Transport {
                                reason: format!(
                                    "the response body is larger than {} MiB, entraform's limit (Graph's pages are a few MB): not read — is a proxy or another server answering instead of Microsoft Graph?",
                                    self.max_body >> 20
                                ),
                                attempts: attempt,
                            });
                        }
                    }
                }
                Err(e) => Err(e),
            };
            drop(permit);
            if let Ok(answer) = &result {
                log_answer(call, answer, attempt, t0.elapsed());
            }
            let result = match result {
                Ok(answer) if (200..300).contains(&answer.status) => return Ok(answer),
                other => other,
            };
            let failure = match &result {
                Ok(answer) => {
                    if answer.status == 429 {
                        self.counters.throttle();
                    }
                    let ra = answer.header("retry-after").and_then(parse_retry_after);
                    Failure::Status(answer.status, ra)
                }
                Err(e) => {
                    tracing::debug!(%method, path = %call.shown, reason = %describe_reqwest(e), attempt, "request failed to complete");
                    classify(e)
                }
            };
            let action = self.policy.decide(
                call.traits,
                failure,
                Attempt {
                    number: attempt,
                    elapsed: started.elapsed(),
                    renewed,
                },
            );
            let last = result.map_err(|e| describe_reqwest(&e));
            match action {
                Action::Retry(wait) => {
                    tracing::debug!(%method, path = %call.shown, wait_ms = wait.as_millis() as u64, "retrying");
                    self.counters.retry();
                    tokio::time::sleep(wait).await;
                }
                Action::Renew => {
                    // The token expired (a long apply) or was revoked early: renew once.
                    tracing::debug!(%method, path = %call.shown, "401: renewing the access token once");
                    renewed = true;
                    if let (Bearer::Graph(tokens), Some(t)) = (&call.bearer, &token) {
                        tokens.forget(t).await;
                    }
                    attempt -= 1;
                }
                // A direct call whose outcome is unknown ends like a failure: its
                // caller (a `$batch` POST carrying creates) reports it as such.
                Action::Fail | Action::Unknown => {
                    return Err(match last {
                        Ok(answer) => Stop::Answered { answer },
                        Err(reason) => Stop::Transport {
                            reason,
                            attempts: attempt,
                        },
                    });
                }
                Action::GiveUp(limit) => {
                    return Err(Stop::GaveUp {
                        limit,
                        last,
                        attempts: attempt,
                        elapsed: started.elapsed(),
                    });
                }
            }
        }
    }
}

/// Why a response body was not read.
enum BodyError {
    /// The connection failed while reading.
    Read(reqwest::Error),
    /// The body is (or announced itself as) larger than the limit.
    TooLarge,
}

/// Read a response body chunk by chunk, stopping at `max` bytes: a hostile
/// or broken server cannot make the client buffer without bound.
async fn read_capped(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, BodyError> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Read)? {
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// INFO: `-v` shows each request (never a body or a header).
fn log_answer(call: &Call<'_>, answer: &Answer, attempt: u32, took: Duration) {
    let (method, path) = (call.method.as_str(), call.shown);
    let request_id = answer.header("request-id").unwrap_or("");
    let (status, elapsed_ms) = (answer.status, took.as_millis() as u64);
    match call.meter {
        Meter::Graph(_) => tracing::info!(
            %method, %path, status, request_id, elapsed_ms, attempt, "graph request"
        ),
        Meter::Token | Meter::SignIn => tracing::info!(
            %method, %path, status, request_id, elapsed_ms, attempt, "sign-in request"
        ),
    }
}

/// How a request that got no answer failed, for the policy.
fn classify(e: &reqwest::Error) -> Failure {
    if e.is_connect() {
        Failure::NotConnected
    } else if e.is_timeout() || e.is_request() || e.is_body() {
        Failure::Lost
    } else {
        Failure::Unsendable
    }
}

fn header_map(h: &reqwest::header::HeaderMap) -> BTreeMap<String, String> {
    h.iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect()
}

/// Describe a reqwest error in words, without the URL's query (and never
/// with headers, which hold the token).
pub(crate) fn describe_reqwest(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the response body could not be read"
    } else if e.is_request() {
        "the request could not be sent"
    } else {
        "HTTP error"
    };
    let mut msg = kind.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}
