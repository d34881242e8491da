//! Errors of the Graph client, worded for the administrator who reads them.
//!
//! Every failing Graph call yields an [`ApiError`] carrying the method, path,
//! HTTP status, Graph's error code and message, and the `request-id` that
//! Microsoft support asks for. Token failures are [`AuthError`]s naming the
//! tenant and client id.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// Anything that can go wrong talking to Graph.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with an error status (after any retries).
    #[error(transparent)]
    Api(Box<ApiError>),
    /// Getting an access token failed.
    #[error(transparent)]
    Auth(Box<AuthError>),
    /// The connection failed or timed out and retries ran out.
    #[error("{method} {path}: could not reach Graph after {attempts} attempt(s): {reason}")]
    Transport {
        /// HTTP method.
        method: String,
        /// Request path (no query string).
        path: String,
        /// How many attempts were made.
        attempts: u32,
        /// What the HTTP stack reported.
        reason: String,
    },
    /// The overall deadline for a call (including its retries) passed.
    #[error(
        "{method} {path}: gave up after {:.0?} and {attempts} attempt(s) (retry deadline reached){}",
        elapsed,
        last.as_deref().map(|l| format!("; last answer: {l}")).unwrap_or_default()
    )]
    Deadline {
        /// HTTP method.
        method: String,
        /// Request path (no query string).
        path: String,
        /// Attempts made.
        attempts: u32,
        /// Time spent.
        elapsed: Duration,
        /// The last failure seen, in words.
        last: Option<String>,
    },
    /// Graph's answer could not be understood.
    #[error("{method} {path}: unexpected response from Graph: {reason}")]
    Decode {
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// What did not parse.
        reason: String,
    },
    /// A `@odata.nextLink` pointed somewhere other than the Graph host in use;
    /// it is not followed so that the token is never sent elsewhere.
    #[error("refusing to follow a paging link to another host: {0}")]
    ForeignLink(String),
    /// Client configuration was invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl From<ApiError> for GraphError {
    fn from(e: ApiError) -> Self {
        GraphError::Api(Box::new(e))
    }
}

impl From<AuthError> for GraphError {
    fn from(e: AuthError) -> Self {
        GraphError::Auth(Box::new(e))
    }
}

impl GraphError {
    /// The HTTP status when Graph answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Api(e) => Some(e.status),
            _ => None,
        }
    }
    /// The API error, if this is one.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            GraphError::Api(e) => Some(e),
            _ => None,
        }
    }
}

/// An error status returned by Graph for one request (direct or inside `$batch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP method of the failing request.
    pub method: String,
    /// Path of the failing request, without the query string.
    pub path: String,
    /// HTTP status.
    pub status: u16,
    /// Graph's error code (`Authorization_RequestDenied`, `Request_ResourceNotFound`…), may be empty.
    pub code: String,
    /// Graph's error message.
    pub message: String,
    /// The `request-id` header (or `innerError.request-id`), for support cases.
    pub request_id: Option<String>,
    /// For a 403: the Graph application permission the caller knows is needed.
    pub needed_permission: Option<String>,
    /// Whether the request was sent inside a `$batch`.
    pub in_batch: bool,
}

impl ApiError {
    /// Build from a status and a (possibly empty or non-JSON) error body.
    pub fn from_body(
        method: &str,
        path: &str,
        status: u16,
        body: &[u8],
        request_id: Option<String>,
    ) -> ApiError {
        let env = serde_json::from_slice::<ErrorEnvelope>(body).ok();
        Self::from_envelope(method, path, status, env, request_id)
    }

    /// Build from an already-parsed JSON body.
    pub fn from_value(
        method: &str,
        path: &str,
        status: u16,
        body: Option<&serde_json::Value>,
        request_id: Option<String>,
    ) -> ApiError {
        let env = body.and_then(|b| ErrorEnvelope::deserialize(b).ok());
        Self::from_envelope(method, path, status, env, request_id)
    }

    fn from_envelope(
        method: &str,
        path: &str,
        status: u16,
        env: Option<ErrorEnvelope>,
        request_id: Option<String>,
    ) -> ApiError {
        let (code, message, inner_id) = match env {
            Some(e) => (
                e.error.code.unwrap_or_default(),
                e.error.message.unwrap_or_default(),
                e.error.inner_error.and_then(|i| i.request_id),
            ),
            None => (String::new(), String::new(), None),
        };
        ApiError {
            method: method.to_string(),
            path: strip_query(path).to_string(),
            status,
            code,
            message,
            request_id: request_id.or(inner_id),
            needed_permission: None,
            in_batch: false,
        }
    }

    /// Whether this is Graph's "not found".
    pub fn is_not_found(&self) -> bool {
        self.status == 404
    }

    fn advice(&self) -> String {
        match self.status {
            400 => "Graph rejected the request as malformed.".to_string(),
            401 => "Graph did not accept the access token: check the tenant id, client id and \
                    credentials, and that the token was issued for this cloud's Graph."
                .to_string(),
            403 => match &self.needed_permission {
                Some(p) => format!(
                    "The application is not allowed to do this: grant it the Microsoft Graph \
                     application permission {p} and give admin consent (or, for privileged \
                     targets, a directory role that may act on them)."
                ),
                None => "The application is not allowed to do this: check its Microsoft Graph \
                         application permissions and admin consent, and whether the target is a \
                         privileged user only some roles may change."
                    .to_string(),
            },
            404 => "The object does not exist (or was just created and has not replicated yet)."
                .to_string(),
            409 => "The change conflicts with the current state of the object.".to_string(),
            429 => "Graph kept throttling the requests and the retry budget ran out; try again \
                    later or lower the concurrency."
                .to_string(),
            s if s >= 500 => {
                "Graph had a server-side failure and retries did not help; try again later."
                    .to_string()
            }
            s => format!("Graph answered HTTP {s}."),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}{} failed with HTTP {} {}",
            self.method,
            self.path,
            if self.in_batch { " (in $batch)" } else { "" },
            self.status,
            reason_phrase(self.status)
        )?;
        if !self.code.is_empty() || !self.message.is_empty() {
            write!(
                f,
                " [{}] {}",
                self.code,
                self.message.trim().trim_end_matches('.')
            )?;
        }
        write!(f, ". {}", self.advice())?;
        if let Some(id) = &self.request_id {
            write!(f, " (request-id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        412 => "Precondition Failed",
        424 => "Failed Dependency",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// The path part of a URL or relative reference, without query string.
pub fn strip_query(path: &str) -> &str {
    path.split_once('?').map_or(path, |(p, _)| p)
}

/// Graph's error envelope `{"error":{"code","message","innerError":{…}}}`.
#[derive(Debug, Deserialize)]
pub struct ErrorEnvelope {
    /// The error object.
    pub error: ErrorBody,
}

/// The `error` object of Graph's envelope.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    /// Error code.
    pub code: Option<String>,
    /// Human-readable message.
    pub message: Option<String>,
    /// Diagnostics.
    #[serde(rename = "innerError", alias = "innererror")]
    pub inner_error: Option<InnerError>,
}

/// `innerError` of Graph's envelope.
#[derive(Debug, Deserialize)]
pub struct InnerError {
    /// The request id.
    #[serde(rename = "request-id")]
    pub request_id: Option<String>,
}

/// Failure to obtain an access token.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The token endpoint refused the request.
    #[error("{0}")]
    Rejected(Box<Rejection>),
    /// The token endpoint could not be reached.
    #[error(
        "could not reach the token endpoint {url} for client id {client_id} in tenant {tenant}: {reason}"
    )]
    Unreachable {
        /// Token endpoint.
        url: String,
        /// Tenant id.
        tenant: String,
        /// Client id.
        client_id: String,
        /// Transport error.
        reason: String,
    },
    /// The token endpoint's answer did not contain a token.
    #[error("the token endpoint {url} answered without a usable access token: {reason}")]
    BadResponse {
        /// Token endpoint.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// The certificate file could not be used.
    #[error("certificate {path}: {reason}")]
    Certificate {
        /// File path.
        path: String,
        /// What was wrong.
        reason: String,
    },
    /// The federated token (file or GitHub Actions OIDC) could not be obtained.
    #[error("federated token from {source_name}: {reason}")]
    FederatedToken {
        /// Where it was read from (file path or "GitHub Actions OIDC").
        source_name: String,
        /// What went wrong.
        reason: String,
    },
}

/// What the token endpoint said when it refused to sign in (boxed in [`AuthError::Rejected`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The token endpoint that refused.
    pub url: String,
    /// Tenant id or domain.
    pub tenant: String,
    /// Application (client) id.
    pub client_id: String,
    /// HTTP status of the token endpoint.
    pub status: u16,
    /// OAuth2 error (`invalid_client`, `unauthorized_client`…), or `HTTP <status>` when none was given.
    pub error: String,
    /// First line of `error_description` (AADSTS code and text).
    pub description: String,
    /// The identity platform's trace id.
    pub trace_id: Option<String>,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not sign in as client id {} in tenant {} at {}: {}{}. {}",
            self.client_id,
            self.tenant,
            self.url,
            refusal(self.status, &self.error, &self.description),
            self.trace_id
                .as_deref()
                .map(|t| format!(" (trace id {t})"))
                .unwrap_or_default(),
            auth_advice(&self.error, &self.description)
        )
    }
}

/// The token endpoint's refusal in words: its OAuth2 error and description,
/// or, when it said nothing (not an identity platform: a wrong URL?), the status.
fn refusal(status: u16, error: &str, description: &str) -> String {
    let description = description.trim().trim_end_matches('.');
    match (error.starts_with("HTTP "), description.is_empty()) {
        (true, true) => format!(
            "HTTP {status} {} with no OAuth2 error in the answer (is this URL the base of the identity platform or emulator?)",
            reason_phrase(status)
        ),
        (_, true) => error.to_string(),
        (_, false) => format!("{error}: {description}"),
    }
}

fn auth_advice(error: &str, description: &str) -> &'static str {
    if description.contains("AADSTS7000215") || description.contains("AADSTS7000222") {
        "The client secret is wrong or expired: check AZURE_CLIENT_SECRET"
    } else if description.contains("AADSTS700016") {
        "No application with this client id exists in the tenant: check AZURE_CLIENT_ID and AZURE_TENANT_ID"
    } else if description.contains("AADSTS90002") || description.contains("AADSTS900023") {
        "The tenant was not found: check AZURE_TENANT_ID and the cloud"
    } else if description.contains("AADSTS700027") || description.contains("AADSTS700024") {
        "The client assertion was not accepted: check that the certificate is the one registered on the app and the clock is right"
    } else if description.contains("AADSTS70021") || description.contains("AADSTS700213") {
        "No federated identity credential on the app matches this token's issuer, subject and audience"
    } else if error == "invalid_client" {
        "The credentials were rejected: check the client id, the secret or certificate, and the tenant"
    } else if error == "invalid_scope" {
        "The scope is not valid for this cloud: check the cloud setting"
    } else {
        "Check the tenant id (AZURE_TENANT_ID), the client id (AZURE_CLIENT_ID), the credential, and the URL"
    }
}

/// Invalid configuration of the client or its credentials.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Unknown cloud name.
    #[error("unknown cloud `{0}` (expected global, usgov, usgovl5/dod or china)")]
    UnknownCloud(String),
    /// A URL did not parse or has an unsupported scheme.
    #[error("invalid URL {url}: {reason}")]
    BadUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Plain http to a host that is not loopback.
    #[error(
        "refusing plain http:// to {0}: tokens would travel unencrypted; use https:// (plain http is allowed only to 127.0.0.1/::1/localhost)"
    )]
    InsecureUrl(String),
    /// A required setting is missing.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// No credential could be found in the environment.
    #[error(
        "no credential configured: set AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or \
         AZURE_FEDERATED_TOKEN_FILE (or run in GitHub Actions with `id-token: write`), or \
         ENTRAFORM_GRAPH_TOKEN for a bearer token"
    )]
    NoCredential,
    /// A setting has a value that cannot be used.
    #[error("{name}: {reason}")]
    Invalid {
        /// Setting name.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client: {0}")]
    Http(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_graph_envelope_and_words_403() {
        let body = br#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2025-02-13T10:17:05","request-id":"93b6f17e","client-request-id":"e70c"}}}"#;
        let mut e = ApiError::from_body("GET", "/v1.0/users?$top=999", 403, body, None);
        assert_eq!(e.code, "Authorization_RequestDenied");
        assert_eq!(e.request_id.as_deref(), Some("93b6f17e"));
        assert_eq!(e.path, "/v1.0/users");
        e.needed_permission = Some("User.Read.All".into());
        let s = e.to_string();
        assert!(
            s.contains("GET /v1.0/users failed with HTTP 403 Forbidden"),
            "{s}"
        );
        assert!(s.contains("User.Read.All"), "{s}");
        assert!(s.contains("request-id 93b6f17e"), "{s}");
    }

    #[test]
    fn header_request_id_wins_and_non_json_body_is_tolerated() {
        let e = ApiError::from_body("DELETE", "/v1.0/x", 503, b"<html>", Some("rid".into()));
        assert_eq!(e.request_id.as_deref(), Some("rid"));
        assert!(e.to_string().contains("server-side failure"));
    }

    #[test]
    fn auth_error_names_tenant_and_client() {
        let e = AuthError::Rejected(Box::new(Rejection {
            url: "https://login.microsoftonline.com/contoso/oauth2/v2.0/token".into(),
            tenant: "contoso".into(),
            client_id: "abc".into(),
            status: 401,
            error: "invalid_client".into(),
            description: "AADSTS7000215: Invalid client secret provided.".into(),
            trace_id: Some("t1".into()),
        }));
        let s = e.to_string();
        assert!(s.contains("client id abc in tenant contoso at https://login.microsoftonline.com/contoso/oauth2/v2.0/token: invalid_client: AADSTS7000215"), "{s}");
        assert!(s.contains("AZURE_CLIENT_SECRET"), "{s}");
    }

    #[test]
    fn a_refusal_without_an_oauth2_error_names_the_status_not_an_empty_colon() {
        let e = AuthError::Rejected(Box::new(Rejection {
            url: "http://127.0.0.1:1/v1.0/t/oauth2/v2.0/token".into(),
            tenant: "t".into(),
            client_id: "abc".into(),
            status: 401,
            error: "HTTP 401".into(),
            description: String::new(),
            trace_id: None,
        }));
        let s = e.to_string();
        assert!(!s.contains(": ."), "{s}");
        assert!(
            s.contains("HTTP 401 Unauthorized with no OAuth2 error"),
            "{s}"
        );
        assert!(
            s.contains("at http://127.0.0.1:1/v1.0/t/oauth2/v2.0/token"),
            "{s}"
        );
    }
}
