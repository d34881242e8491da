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

use secrecy::{ExposeSecret, SecretString};

use crate::graph::error::AuthError;

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
    /// Obtain the current federated token.
    pub async fn token(&self, http: &reqwest::Client) -> Result<SecretString, AuthError> {
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
                let resp = http
                    .get(url)
                    .bearer_auth(request_token.expose_secret())
                    .header("Accept", "application/json")
                    .send()
                    .await
                    .map_err(|e| err(crate::graph::client::describe_reqwest(&e)))?;
                let status = resp.status();
                if !status.is_success() {
                    return Err(err(format!(
                        "HTTP {status}; does the workflow grant `permissions: id-token: write`?"
                    )));
                }
                let body: GitHubTokenResponse = resp
                    .json()
                    .await
                    .map_err(|e| err(format!("unexpected answer: {e}")))?;
                body.value
                    .filter(|v| !v.is_empty())
                    .map(SecretString::from)
                    .ok_or_else(|| err("the answer has no `value`".into()))
            }
        }
    }
}
