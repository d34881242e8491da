//! Federated credentials: a token issued by another identity provider is
//! presented as the client assertion (`client_assertion_type` jwt-bearer).
//!
//! - Workload identity: the token is re-read from a file on every token
//!   request (`AZURE_FEDERATED_TOKEN_FILE`; Kubernetes rotates it).
//! - GitHub Actions OIDC: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=api://AzureADTokenExchange`
//!   (the cloud's audience, or `AZURE_FEDERATED_AUDIENCE`)
//!   with `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN` answers
//!   `{"value": "<jwt>"}` (the job needs `permissions: id-token: write`).

use std::fmt;
use std::path::PathBuf;

use secrecy::SecretString;

use crate::graph::error::AuthError;
use crate::graph::retry::Traits;
use crate::graph::transport::{Bearer, Call, Meter, Payload, Stop, Transport};

/// Where the federated token comes from.
#[derive(Clone)]
pub enum FederatedSource {
    /// A file holding the token (re-read on every use).
    File(PathBuf),
    /// GitHub Actions' OIDC token endpoint.
    GitHubActions {
        /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
        request_url: String,
        /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
        request_token: SecretString,
        /// Audience to ask for (`api://AzureADTokenExchange`).
        audience: String,
    },
}

impl fmt::Debug for FederatedSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FederatedSource::File(p) => f.debug_tuple("File").field(p).finish(),
            FederatedSource::GitHubActions { audience, .. } => f
                .debug_struct("GitHubActions")
                .field("audience", audience)
                .field("request_token", &"[redacted]")
                .finish(),
        }
    }
}

#[derive(serde::Deserialize)]
struct GitHubTokenResponse {
    value: Option<String>,
}

impl FederatedSource {
    /// Obtain the current federated token; the GitHub request goes through
    /// the client's transport (its retry policy and in-flight limit).
    pub(crate) async fn token(&self, transport: &Transport) -> Result<SecretString, AuthError> {
        match self {
            FederatedSource::File(path) => {
                let err = |reason: String| AuthError::FederatedToken {
                    source_name: path.display().to_string(),
                    reason,
                };
                let text = tokio::fs::read_to_string(path)
                    .await
                    .map_err(|e| err(format!("cannot read: {e}")))?;
                let t = text.trim();
                if t.is_empty() {
                    return Err(err("the file is empty".into()));
                }
                Ok(SecretString::from(t.to_string()))
            }
            FederatedSource::GitHubActions {
                request_url,
                request_token,
                audience,
            } => {
                let err = |reason: String| AuthError::FederatedToken {
                    source_name: "GitHub Actions OIDC".into(),
                    reason,
                };
                let mut url = crate::graph::cloud::parse_endpoint(request_url)
                    .map_err(|e| err(e.to_string()))?;
                url.query_pairs_mut().append_pair("audience", audience);
                let shown = crate::graph::error::strip_query(url.as_str()).to_string();
                let no_headers = Default::default();
                let call = Call {
                    method: reqwest::Method::GET,
                    url: url.as_str(),
                    shown: &shown,
                    headers: &no_headers,
                    payload: Payload::None,
                    bearer: Bearer::Fixed(request_token),
                    traits: Traits {
                        idempotent: true,
                        ..Traits::default()
                    },
                    meter: Meter::SignIn,
                };
                let answer = match transport.exchange(&call).await {
                    Ok(answer) => answer,
                    Err(Stop::Answered { answer, .. })
                    | Err(Stop::GaveUp {
                        last: Ok(answer), ..
                    }) => {
                        return Err(err(format!(
                            "HTTP {}; does the workflow grant `permissions: id-token: write`?",
                            status_line(answer.status)
                        )));
                    }
                    Err(Stop::GaveUp { last: Err(r), .. })
                    | Err(Stop::Transport { reason: r, .. }) => {
                        return Err(err(r));
                    }
                    Err(Stop::Token(e)) => return Err(e),
                    Err(Stop::Closed { .. }) => return Err(err("client shut down".into())),
                };
                let body: GitHubTokenResponse = serde_json::from_slice(&answer.body)
                    .map_err(|e| err(format!("unexpected answer: {e}")))?;
                body.value
                    .filter(|v| !v.is_empty())
                    .map(SecretString::from)
                    .ok_or_else(|| err("the answer has no `value`".into()))
            }
        }
    }
}

/// `403 Forbidden`: the status with its reason phrase, as reqwest shows it.
fn status_line(status: u16) -> String {
    match reqwest::StatusCode::from_u16(status) {
        Ok(s) => s.to_string(),
        Err(_) => status.to_string(),
    }
}
