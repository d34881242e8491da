//! The Graph HTTP client: token handling, bounded concurrency, the retry
//! policy, paging and counters. `$batch` lives in [`super::batch`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use super::auth::{AccessToken, AuthConfig, TokenSource};
use super::cloud::check_transport;
use super::counters::{CounterSnapshot, Counters};
use super::error::{ApiError, AuthError, ConfigError, GraphError, strip_query};
use super::paging::{Listing, Page};
use super::retry::{Decision, Outcome, RetryPolicy, parse_retry_after};

/// Tuning of a [`GraphClient`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Requests in flight at once (HTTP requests, a `$batch` POST counting one).
    pub max_in_flight: usize,
    /// Retry policy for every request and every `$batch` item.
    pub retry: RetryPolicy,
    /// Timeout of one HTTP attempt.
    pub request_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            max_in_flight: 8,
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// One Graph request.
#[derive(Debug, Clone)]
pub struct GraphRequest {
    /// HTTP method.
    pub method: Method,
    /// Path relative to the version root (`/users?$top=999`) or an absolute
    /// URL under it (a `@odata.nextLink`).
    pub path: String,
    /// JSON body.
    pub body: Option<serde_json::Value>,
    /// Extra headers (e.g. `ConsistencyLevel: eventual`).
    pub headers: Vec<(String, String)>,
    /// Retry a 404 like a 503: for reads and writes of an object created a
    /// moment ago, which Graph's replication may not show yet.
    pub retry_not_found: bool,
    /// Do not send it again after a 500/502/503/504: the write may have been
    /// committed (429 is still retried: a throttled request did not run).
    pub once: bool,
}

impl GraphRequest {
    /// A GET of `path`.
    pub fn get(path: impl Into<String>) -> Self {
        GraphRequest {
            method: Method::GET,
            path: path.into(),
            body: None,
            headers: Vec::new(),
            retry_not_found: false,
            once: false,
        }
    }
    /// A request with a JSON body.
    pub fn with_body(method: Method, path: impl Into<String>, body: serde_json::Value) -> Self {
        GraphRequest {
            method,
            path: path.into(),
            body: Some(body),
            headers: Vec::new(),
            retry_not_found: false,
            once: false,
        }
    }
    /// Retry 404 answers (replication delay after a create).
    pub fn retrying_not_found(mut self) -> Self {
        self.retry_not_found = true;
        self
    }
    /// Add a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct GraphResponse {
    /// HTTP status (2xx).
    pub status: u16,
    /// The `request-id` header.
    pub request_id: Option<String>,
    /// The body (empty for 204).
    pub body: Vec<u8>,
}

impl GraphResponse {
    /// Decode the body as JSON.
    pub fn json<T: DeserializeOwned>(&self, method: &str, path: &str) -> Result<T, GraphError> {
        serde_json::from_slice(&self.body).map_err(|e| GraphError::Decode {
            method: method.to_string(),
            path: strip_query(path).to_string(),
            reason: e.to_string(),
        })
    }
}

/// A Microsoft Graph v1.0 client. Cheap to clone; clones share the token
/// cache, the concurrency limit and the counters.
#[derive(Clone)]
pub struct GraphClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    http: reqwest::Client,
    root: String,
    tokens: TokenSource,
    sem: Semaphore,
    pub(crate) counters: Arc<Counters>,
    pub(crate) options: ClientOptions,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("root", &self.inner.root)
            .field("tokens", &self.inner.tokens)
            .finish()
    }
}

impl GraphClient {
    /// Build a client for `auth.cloud`'s Graph with the given credentials.
    pub fn new(auth: AuthConfig, options: ClientOptions) -> Result<GraphClient, ConfigError> {
        let root = auth.cloud.graph_v1();
        let root_url = super::cloud::parse_endpoint(&root)?;
        check_transport(&root_url)?;
        let http = reqwest::Client::builder()
            .timeout(options.request_timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("entraform/", env!("CARGO_PKG_VERSION")))
            // Never follow redirects: the bearer token must not go elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ConfigError::Http(e.to_string()))?;
        let counters = Arc::new(Counters::default());
        let tokens = TokenSource::new(auth, http.clone(), counters.clone())?;
        let permits = options.max_in_flight.max(1);
        Ok(GraphClient {
            inner: Arc::new(Inner {
                http,
                root,
                tokens,
                sem: Semaphore::new(permits),
                counters,
                options,
            }),
        })
    }

    /// A client configured from the Azure SDK environment variables (see
    /// [`AuthConfig::from_env`]) for `cloud`.
    pub fn from_env(
        cloud: super::Cloud,
        options: ClientOptions,
    ) -> Result<GraphClient, ConfigError> {
        GraphClient::new(AuthConfig::from_env(cloud)?, options)
    }

    /// The Graph version root in use, e.g. `https://graph.microsoft.com/v1.0`.
    pub fn root(&self) -> &str {
        &self.inner.root
    }

    /// The authentication configuration (tenant, client id, cloud).
    pub fn auth(&self) -> &AuthConfig {
        self.inner.tokens.config()
    }

    /// Current request counters.
    pub fn counters(&self) -> CounterSnapshot {
        self.inner.counters.snapshot()
    }

    /// A valid access token (fetching one if needed). Never log it.
    pub async fn access_token(&self) -> Result<AccessToken, AuthError> {
        self.inner.tokens.token().await
    }

    /// Resolve a relative path or a nextLink to an absolute URL under the root.
    fn url_for(&self, path: &str) -> Result<String, GraphError> {
        if path.starts_with("http://") || path.starts_with("https://") {
            if super::paging::relative_to_root(path, &self.inner.root).is_some() {
                Ok(path.to_string())
            } else {
                Err(GraphError::ForeignLink(strip_query(path).to_string()))
            }
        } else if path.starts_with('/') {
            Ok(format!("{}{}", self.inner.root, path))
        } else {
            Ok(format!("{}/{}", self.inner.root, path))
        }
    }

    /// The path of a request as shown in messages (relative, no query).
    fn display_path(&self, path: &str) -> String {
        let rel = super::paging::relative_to_root(path, &self.inner.root).unwrap_or(path);
        strip_query(rel).to_string()
    }

    /// Send one request with the retry policy. `batch_items` is the number
    /// of Graph requests inside when this is a `$batch` POST.
    pub(crate) async fn send_counted(
        &self,
        req: &GraphRequest,
        batch_items: Option<usize>,
    ) -> Result<GraphResponse, GraphError> {
        let url = self.url_for(&req.path)?;
        let shown = self.display_path(&req.path);
        let method = req.method.as_str().to_string();
        let policy = &self.inner.options.retry;
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let mut renewed_after_401 = false;
        loop {
            attempt += 1;
            let token = self.inner.tokens.token().await?;
            let permit = self
                .inner
                .sem
                .acquire()
                .await
                .map_err(|_| GraphError::Transport {
                    method: method.clone(),
                    path: shown.clone(),
                    attempts: attempt,
                    reason: "client shut down".into(),
                })?;
            self.inner.counters.http();
            if let Some(n) = batch_items {
                self.inner.counters.batch(n);
            }
            let mut builder = self
                .inner
                .http
                .request(req.method.clone(), &url)
                .bearer_auth(token.expose())
                .header("Accept", "application/json");
            for (k, v) in &req.headers {
                builder = builder.header(k.as_str(), v.as_str());
            }
            if let Some(b) = &req.body {
                builder = builder.json(b);
            }
            let t0 = Instant::now();
            let result = match builder.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let request_id = header(&resp, "request-id");
                    let retry_after =
                        header(&resp, "retry-after").and_then(|v| parse_retry_after(&v));
                    match resp.bytes().await {
                        Ok(body) => Ok((status, request_id, retry_after, body.to_vec())),
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
            drop(permit);
            let outcome = match result {
                Ok((status, request_id, retry_after, body)) => {
                    // INFO: `-v` shows each request (never a body or a header).
                    tracing::info!(
                        %method, path = %shown, status = status.as_u16(),
                        request_id = request_id.as_deref().unwrap_or(""),
                        elapsed_ms = t0.elapsed().as_millis() as u64, attempt,
                        "graph request"
                    );
                    if status.is_success() {
                        return Ok(GraphResponse {
                            status: status.as_u16(),
                            request_id,
                            body,
                        });
                    }
                    if status == StatusCode::UNAUTHORIZED && !renewed_after_401 {
                        // The token expired (a long apply) or was revoked early: renew once.
                        renewed_after_401 = true;
                        tracing::debug!(%method, path = %shown, "401: renewing the access token once");
                        self.inner.tokens.invalidate_if(&token).await;
                        attempt -= 1;
                        continue;
                    }
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        self.inner.counters.throttle();
                    }
                    let code = status.as_u16();
                    if req.once && matches!(code, 500 | 502 | 503 | 504) {
                        return Err(
                            ApiError::from_body(&method, &shown, code, &body, request_id).into(),
                        );
                    }
                    // Replication delay: treat "not found yet" as "unavailable".
                    let as_seen = if code == 404 && req.retry_not_found {
                        503
                    } else {
                        code
                    };
                    match policy.decide(
                        Outcome::Status(as_seen, retry_after),
                        attempt,
                        started.elapsed(),
                    ) {
                        Decision::RetryAfter(wait) => {
                            tracing::debug!(%method, path = %shown, status = code, wait_ms = wait.as_millis() as u64, "retrying");
                            self.inner.counters.retry();
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                        Decision::Fail => {
                            return Err(ApiError::from_body(
                                &method, &shown, code, &body, request_id,
                            )
                            .into());
                        }
                        Decision::Exhausted => {
                            let api = ApiError::from_body(&method, &shown, code, &body, request_id);
                            if attempt >= policy.max_attempts {
                                return Err(api.into());
                            }
                            return Err(GraphError::Deadline {
                                method,
                                path: shown,
                                attempts: attempt,
                                elapsed: started.elapsed(),
                                last: Some(api.to_string()),
                            });
                        }
                    }
                }
                Err(e) => e,
            };
            // Transport failure. A connection that was never made is safe to
            // retry for any method; otherwise only idempotent methods.
            let e = outcome;
            let idempotent = matches!(
                req.method,
                Method::GET | Method::PUT | Method::DELETE | Method::HEAD
            );
            let reason = describe_reqwest(&e);
            tracing::debug!(%method, path = %shown, %reason, attempt, "graph request failed to complete");
            let retryable =
                e.is_connect() || (idempotent && (e.is_timeout() || e.is_request() || e.is_body()));
            if !retryable {
                return Err(GraphError::Transport {
                    method,
                    path: shown,
                    attempts: attempt,
                    reason,
                });
            }
            match policy.decide(Outcome::Connection, attempt, started.elapsed()) {
                Decision::RetryAfter(wait) => {
                    self.inner.counters.retry();
                    tokio::time::sleep(wait).await;
                }
                Decision::Fail | Decision::Exhausted => {
                    if attempt >= policy.max_attempts {
                        return Err(GraphError::Transport {
                            method,
                            path: shown,
                            attempts: attempt,
                            reason,
                        });
                    }
                    return Err(GraphError::Deadline {
                        method,
                        path: shown,
                        attempts: attempt,
                        elapsed: started.elapsed(),
                        last: Some(reason),
                    });
                }
            }
        }
    }

    /// Send one request (with retries) and return the successful answer.
    pub async fn send(&self, req: &GraphRequest) -> Result<GraphResponse, GraphError> {
        self.send_counted(req, None).await
    }

    /// GET `path` and decode the JSON body.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, GraphError> {
        let resp = self.send(&GraphRequest::get(path)).await?;
        resp.json("GET", &self.display_path(path))
    }

    /// GET a collection and follow `@odata.nextLink` to the end.
    pub async fn list<T: DeserializeOwned>(&self, path: &str) -> Result<Listing<T>, GraphError> {
        self.list_with(GraphRequest::get(path)).await
    }

    /// Like [`GraphClient::list`] with extra headers on every page request.
    pub async fn list_with<T: DeserializeOwned>(
        &self,
        first: GraphRequest,
    ) -> Result<Listing<T>, GraphError> {
        self.list_observed(first, &|_| {}).await
    }

    /// Like [`GraphClient::list_with`], telling `on_page` how many items each
    /// page brought as it arrives (progress of a long listing).
    pub async fn list_observed<T: DeserializeOwned>(
        &self,
        first: GraphRequest,
        on_page: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<Listing<T>, GraphError> {
        let mut items = Vec::new();
        let mut pages = 0;
        let mut req = first;
        loop {
            let resp = self.send(&req).await?;
            let page: Page<T> = resp.json("GET", &self.display_path(&req.path))?;
            pages += 1;
            on_page(page.value.len());
            items.extend(page.value);
            match page.next_link {
                Some(next) => req.path = next,
                None => {
                    return Ok(Listing {
                        items,
                        pages,
                        delta_link: page.delta_link,
                    });
                }
            }
        }
    }
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.to_string())
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
