//! The Graph HTTP client: sends [`Request`]s through the one transport (token,
//! in-flight limit, retry policy, counters). `$batch` lives in
//! [`super::batch`], paging in [`super::paging`].

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::auth::{AccessToken, AuthConfig, TokenSource};
use super::cloud::check_transport;
use super::counters::{CounterSnapshot, Counters};
use super::error::{ApiError, AuthError, ConfigError, GraphError, strip_query};
use super::request::{Body, Request, Response};
use super::retry::{Limit, RetryPolicy};
use super::transport::{Bearer, Call, Meter, Payload, Stop, Transport};

/// Tuning of a [`GraphClient`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Requests in flight at once (Graph requests, a `$batch` POST counting
    /// one, and sign-in requests).
    pub max_in_flight: usize,
    /// Retry policy for every request, every `$batch` item and sign-in.
    pub retry: RetryPolicy,
    /// Timeout of one HTTP attempt.
    pub request_timeout: Duration,
    /// Largest response body read, in bytes: a bigger one (announced or
    /// streamed) ends the call instead of filling memory. Graph's pages are
    /// a few MB at most; the default is 64 MiB.
    pub max_response_bytes: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            max_in_flight: 8,
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(60),
            max_response_bytes: 64 << 20,
        }
    }
}

/// A Microsoft Graph client. Cheap to clone; clones share the token cache,
/// the concurrency limit and the counters.
#[derive(Clone)]
pub struct GraphClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// The Graph version root, e.g. `https://graph.microsoft.com/v1.0`: every
    /// URL the client sends or puts in a body is built from it.
    root: String,
    tokens: TokenSource,
    pub(crate) transport: Arc<Transport>,
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
        let transport = Arc::new(Transport::new(
            http,
            options.max_in_flight,
            Arc::new(Counters::default()),
            options.retry,
            options.max_response_bytes,
        ));
        let tokens = TokenSource::new(auth, transport.clone())?;
        Ok(GraphClient {
            inner: Arc::new(Inner {
                root,
                tokens,
                transport,
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
        self.inner.transport.counters.snapshot()
    }

    /// The retry policy every call follows.
    pub(crate) fn policy(&self) -> &RetryPolicy {
        &self.inner.transport.policy
    }

    /// A valid access token (fetching one if needed). Never log it.
    pub async fn access_token(&self) -> Result<AccessToken, AuthError> {
        self.inner.tokens.token().await
    }

    /// Resolve a relative path or a nextLink to an absolute URL under the root.
    fn url_for(&self, url: &str) -> Result<String, GraphError> {
        if url.starts_with("http://") || url.starts_with("https://") {
            if super::cloud::relative_to_root(url, &self.inner.root).is_some() {
                Ok(url.to_string())
            } else {
                Err(GraphError::ForeignLink(strip_query(url).to_string()))
            }
        } else if url.starts_with('/') {
            Ok(format!("{}{}", self.inner.root, url))
        } else {
            Ok(format!("{}/{}", self.inner.root, url))
        }
    }

    /// The path of a request as shown in messages (relative, no query).
    pub(crate) fn display_path(&self, url: &str) -> String {
        let rel = super::cloud::relative_to_root(url, &self.inner.root).unwrap_or(url);
        strip_query(rel).to_string()
    }

    /// Send one request (with the retry policy) and return the successful
    /// answer. `batch_items` is the number of Graph requests inside when this
    /// is a `$batch` POST.
    pub(crate) async fn send_counted(
        &self,
        req: &Request,
        batch_items: Option<usize>,
    ) -> Result<Response, GraphError> {
        let url = self.url_for(&req.url)?;
        let shown = self.display_path(&req.url);
        let method = req.method.as_str();
        let call = Call {
            method: req.method.clone(),
            url: &url,
            shown: &shown,
            headers: &req.headers,
            payload: req.body.as_ref().map_or(Payload::None, Payload::Json),
            bearer: Bearer::Graph(&self.inner.tokens),
            traits: req.traits(),
            meter: Meter::Graph(batch_items),
        };
        let api = |a: &super::transport::Answer| {
            ApiError::from_body(method, &shown, a.status, &a.body, a.request_id())
        };
        match self.inner.transport.exchange(&call).await {
            Ok(answer) => Ok(Response {
                status: answer.status,
                headers: answer.headers,
                body: Body::Bytes(answer.body),
            }),
            Err(Stop::Answered { answer, .. }) => Err(api(&answer).into()),
            Err(Stop::Transport { reason, attempts }) => Err(GraphError::Transport {
                method: method.to_string(),
                path: shown.clone(),
                attempts,
                reason,
            }),
            Err(Stop::GaveUp {
                limit,
                last,
                attempts,
                elapsed,
            }) => Err(match (limit, last) {
                (Limit::Attempts, Ok(answer)) => api(&answer).into(),
                (Limit::Attempts, Err(reason)) => GraphError::Transport {
                    method: method.to_string(),
                    path: shown.clone(),
                    attempts,
                    reason,
                },
                (Limit::Deadline, last) => GraphError::Deadline {
                    method: method.to_string(),
                    path: shown.clone(),
                    attempts,
                    elapsed,
                    last: Some(last.map_or_else(|r| r, |a| api(&a).to_string())),
                },
            }),
            Err(Stop::Token(e)) => Err(e.into()),
            Err(Stop::Closed { attempts }) => Err(GraphError::Transport {
                method: method.to_string(),
                path: shown.clone(),
                attempts,
                reason: "client shut down".into(),
            }),
        }
    }

    /// Send one request (with retries) and return the successful answer.
    pub async fn send(&self, req: &Request) -> Result<Response, GraphError> {
        self.send_counted(req, None).await
    }

    /// GET `path` and decode the JSON body.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, GraphError> {
        let resp = self.send(&Request::get(path)).await?;
        resp.json("GET", &self.display_path(path))
    }
}
