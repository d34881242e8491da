//! The one Graph request type, sent alone ([`GraphClient::send`]) or inside a
//! `$batch` ([`GraphClient::batch`]), and the one response type.
//!
//! [`GraphClient::send`]: super::GraphClient::send
//! [`GraphClient::batch`]: super::GraphClient::batch

use std::collections::BTreeMap;

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{GraphError, strip_query};
use super::retry::Traits;

/// One Graph request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// HTTP method.
    pub method: Method,
    /// URL relative to the version root (`/groups/{id}/members?$select=id`),
    /// or an absolute URL under it (a `@odata.nextLink` or delta link).
    pub url: String,
    /// JSON body.
    pub body: Option<Value>,
    /// Extra headers (e.g. `ConsistencyLevel: eventual`).
    pub headers: BTreeMap<String, String>,
    /// Retry a 404 like a 503: for reads and writes of an object created a
    /// moment ago, which Graph's replication may not show yet.
    pub retry_not_found: bool,
    /// Send it once: a write that must not be repeated blindly (a create).
    /// After a 500/502/503/504 answer, or none, its outcome is unknown: it is
    /// not sent again, and inside a `$batch` it comes back as an error with
    /// code [`super::batch::OUTCOME_UNKNOWN`] (429 is still retried: a
    /// throttled request did not run).
    pub once: bool,
}

impl Request {
    /// A request without a body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            body: None,
            headers: BTreeMap::new(),
            retry_not_found: false,
            once: false,
        }
    }
    /// A GET of `url`.
    pub fn get(url: impl Into<String>) -> Self {
        Request::new(Method::GET, url)
    }
    /// A request with a JSON body.
    pub fn with_body(method: Method, url: impl Into<String>, body: Value) -> Self {
        Request {
            body: Some(body),
            ..Request::new(method, url)
        }
    }
    /// Retry 404 answers (replication delay after a create).
    pub fn retrying_not_found(mut self) -> Self {
        self.retry_not_found = true;
        self
    }
    /// Send it at most once per call (see [`Request::once`]).
    pub fn sent_once(mut self) -> Self {
        self.once = true;
        self
    }
    /// Add a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_string(), value.to_string());
        self
    }
    /// The path as messages show it: no query string.
    pub fn path(&self) -> &str {
        strip_query(&self.url)
    }

    /// What the retry policy may do with it when sent alone: a lost answer
    /// is retried for the idempotent methods only.
    pub(crate) fn traits(&self) -> Traits {
        Traits {
            idempotent: !self.once
                && matches!(
                    self.method,
                    Method::GET | Method::PUT | Method::DELETE | Method::HEAD
                ),
            once: self.once,
            retry_not_found: self.retry_not_found,
            renewable: true,
        }
    }

    /// What the retry policy may do with it as a `$batch` item: every item
    /// not sent once is safe to send again (reads, PATCH/PUT/DELETE, and
    /// additions Graph refuses as "already there" when repeated); Graph
    /// authenticates the POST, not the item.
    pub(crate) fn item_traits(&self) -> Traits {
        Traits {
            idempotent: !self.once,
            once: self.once,
            retry_not_found: self.retry_not_found,
            renewable: false,
        }
    }
}

/// A successful (2xx) answer, to a request sent alone or inside a `$batch`.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers (names as Graph sent them inside a `$batch`, lower-case otherwise).
    pub headers: BTreeMap<String, String>,
    /// The body.
    pub body: Body,
}

/// A response body: raw bytes from a request sent alone (decoded straight
/// into the caller's type, never through a JSON tree), or the JSON value a
/// `$batch` response carried.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Bytes as received (empty for 204).
    Bytes(Vec<u8>),
    /// A `$batch` item's `body` (`None`: it had none).
    Json(Option<Value>),
}

impl Response {
    /// A header by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `request-id` header.
    pub fn request_id(&self) -> Option<&str> {
        self.header("request-id")
    }

    /// Decode the body as JSON into `T`; `method` and `path` name the
    /// request in the error. An absent or empty body decodes as `null`.
    pub fn json<T: DeserializeOwned>(&self, method: &str, path: &str) -> Result<T, GraphError> {
        let decoded = match &self.body {
            Body::Bytes(b) if b.is_empty() => serde_json::from_value(Value::Null),
            Body::Bytes(b) => serde_json::from_slice(b),
            Body::Json(Some(v)) => T::deserialize(v),
            Body::Json(None) => serde_json::from_value(Value::Null),
        };
        decoded.map_err(|e| GraphError::Decode {
            method: method.to_string(),
            path: strip_query(path).to_string(),
            reason: e.to_string(),
        })
    }

    /// The body as a JSON value (`None` when it is absent or not JSON).
    pub fn value(&self) -> Option<Value> {
        match &self.body {
            Body::Bytes(b) => serde_json::from_slice(b).ok(),
            Body::Json(v) => v.clone(),
        }
    }

    /// The `temporaryAccessPass` of a created Temporary Access Pass method
    /// (Graph returns it in the create answer only), kept out of `Debug`.
    pub fn temporary_access_pass(&self) -> Option<secrecy::SecretString> {
        #[derive(serde::Deserialize)]
        struct Tap {
            #[serde(rename = "temporaryAccessPass")]
            pass: Option<String>,
        }
        let pass = self.json::<Option<Tap>>("", "").ok().flatten()?.pass?;
        Some(secrecy::SecretString::from(pass))
    }

    /// The `id` of the object in the body (a create's answer).
    pub fn object_id(&self) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct Id {
            id: Option<String>,
        }
        self.json::<Option<Id>>("", "").ok().flatten()?.id
    }

    /// The `invitedUser.id` of an invitation in the body (`POST /invitations`'
    /// answer: the guest user Graph made or found; invitation-post).
    pub fn invited_user_id(&self) -> Option<String> {
        self.value()?
            .get("invitedUser")?
            .get("id")?
            .as_str()
            .map(str::to_string)
    }
}
