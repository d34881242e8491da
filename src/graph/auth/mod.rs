//! OAuth2 client-credentials authentication against the Microsoft identity
//! platform (`{authority}/{tenant}/oauth2/v2.0/token`, scope
//! `{graph}/.default`), with a client secret, a certificate, or a federated
//! token (workload identity file, GitHub Actions OIDC); or a fixed bearer
//! token for debugging.
//!
//! Secrets and tokens live in [`secrecy::SecretString`]: their `Debug` prints
//! `[REDACTED]`, they are zeroed on drop, and nothing here logs them.

mod assertion;
mod federated;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;

pub use assertion::Certificate;
pub use federated::FederatedSource;

use super::cloud::Cloud;
use super::error::{AuthError, ConfigError};
use super::retry::{Limit, Traits};
use super::transport::{Bearer, Call, Meter, Payload, Stop, TokenFuture, Tokens, Transport};

/// `client_assertion_type` for JWT bearer assertions (certificate and federated).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Environment variable holding a ready bearer token (debugging only).
pub const BEARER_ENV: &str = "ENTRAFORM_GRAPH_TOKEN";

/// Environment variable naming the audience to request for a GitHub Actions
/// OIDC token (default: the cloud's, [`Cloud::federated_audience`]).
pub const FEDERATED_AUDIENCE_ENV: &str = "AZURE_FEDERATED_AUDIENCE";

/// Renew a cached token when less than this is left.
const RENEW_MARGIN: Duration = Duration::from_secs(300);

/// How the application proves its identity.
#[derive(Clone)]
pub enum Credential {
    /// A client secret (`AZURE_CLIENT_SECRET`).
    Secret(SecretString),
    /// A certificate with private key (`AZURE_CLIENT_CERTIFICATE_PATH`).
    Certificate(Box<Certificate>),
    /// A federated token from another identity provider.
    Federated(FederatedSource),
    /// A fixed access token used as is (no token endpoint; debugging).
    Bearer(SecretString),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Secret(_) => f.write_str("Secret([redacted])"),
            Credential::Certificate(c) => f.debug_tuple("Certificate").field(c).finish(),
            Credential::Federated(s) => f.debug_tuple("Federated").field(s).finish(),
            Credential::Bearer(_) => f.write_str("Bearer([redacted])"),
        }
    }
}

impl Credential {
    /// A short name for messages: `client secret`, `certificate`, …
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::Secret(_) => "client secret",
            Credential::Certificate(_) => "certificate",
            Credential::Federated(FederatedSource::File(_)) => "federated token file",
            Credential::Federated(FederatedSource::GitHubActions { .. }) => "GitHub Actions OIDC",
            Credential::Bearer(_) => "bearer token",
        }
    }
}

/// Who signs in, where, and how.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// Tenant id or verified domain (`AZURE_TENANT_ID`).
    pub tenant_id: String,
    /// Application (client) id (`AZURE_CLIENT_ID`).
    pub client_id: String,
    /// Which cloud's endpoints to use.
    pub cloud: Cloud,
    /// The credential.
    pub credential: Credential,
}

impl AuthConfig {
    /// Read the configuration from the Azure SDK environment variables, as
    /// `EnvironmentCredential`/`WorkloadIdentityCredential` do:
    /// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, then the first of
    /// `AZURE_CLIENT_SECRET`, `AZURE_CLIENT_CERTIFICATE_PATH`,
    /// `AZURE_FEDERATED_TOKEN_FILE`, GitHub Actions OIDC
    /// (`ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN`).
    /// `ENTRAFORM_GRAPH_TOKEN` (a bearer token) wins over all of them.
    /// `AZURE_AUTHORITY_HOST` overrides the cloud's authority host.
    pub fn from_env(cloud: Cloud) -> Result<AuthConfig, ConfigError> {
        Self::from_lookup(cloud, |k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// Same as [`AuthConfig::from_env`] with a custom variable lookup (tests, CLI flags).
    pub fn from_lookup(
        cloud: Cloud,
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<AuthConfig, ConfigError> {
        let cloud = match get("AZURE_AUTHORITY_HOST") {
            Some(host) => with_authority(cloud, &host)?,
            None => cloud,
        };
        if let Some(token) = get(BEARER_ENV) {
            return Ok(AuthConfig {
                tenant_id: get("AZURE_TENANT_ID").unwrap_or_default(),
                client_id: get("AZURE_CLIENT_ID").unwrap_or_default(),
                cloud,
                credential: Credential::Bearer(SecretString::from(token)),
            });
        }
        let tenant_id = get("AZURE_TENANT_ID").ok_or(ConfigError::Missing("AZURE_TENANT_ID"))?;
        let client_id = get("AZURE_CLIENT_ID").ok_or(ConfigError::Missing("AZURE_CLIENT_ID"))?;
        let credential = if let Some(secret) = get("AZURE_CLIENT_SECRET") {
            Credential::Secret(SecretString::from(secret))
        } else if let Some(path) = get("AZURE_CLIENT_CERTIFICATE_PATH") {
            if get("AZURE_CLIENT_CERTIFICATE_PASSWORD").is_some() {
                return Err(ConfigError::Invalid {
                    name: "AZURE_CLIENT_CERTIFICATE_PASSWORD",
                    reason: "password-protected certificates are not supported; use an \
                             unencrypted PEM with certificate and private key"
                        .into(),
                });
            }
            let cert = Certificate::from_pem_file(&path).map_err(|e| ConfigError::Invalid {
                name: "AZURE_CLIENT_CERTIFICATE_PATH",
                reason: e.to_string(),
            })?;
            Credential::Certificate(Box::new(cert))
        } else if let Some(file) = get("AZURE_FEDERATED_TOKEN_FILE") {
            Credential::Federated(FederatedSource::File(PathBuf::from(file)))
        } else if let (Some(url), Some(token)) = (
            get("ACTIONS_ID_TOKEN_REQUEST_URL"),
            get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
        ) {
            Credential::Federated(FederatedSource::GitHubActions {
                request_url: url,
                request_token: SecretString::from(token),
                // The federated credential's audience: the cloud's default
                // unless AZURE_FEDERATED_AUDIENCE says otherwise.
                audience: get(FEDERATED_AUDIENCE_ENV)
                    .unwrap_or_else(|| cloud.federated_audience().to_string()),
            })
        } else {
            return Err(ConfigError::NoCredential);
        };
        Ok(AuthConfig {
            tenant_id,
            client_id,
            cloud,
            credential,
        })
    }
}

fn with_authority(cloud: Cloud, host: &str) -> Result<Cloud, ConfigError> {
    let host = if host.contains("://") {
        host.to_string()
    } else {
        format!("https://{host}")
    };
    let authority = super::cloud::parse_endpoint(&host)?;
    let graph = super::cloud::parse_endpoint(&cloud.graph())?;
    let resource = match &cloud {
        Cloud::Custom { resource, .. } => resource.clone(),
        other => other.graph(),
    };
    Ok(Cloud::Custom {
        authority,
        graph,
        resource,
    })
}

/// An access token and when it stops being usable.
#[derive(Clone)]
pub struct AccessToken {
    secret: SecretString,
    expires_at: Instant,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

impl AccessToken {
    /// The token for the `Authorization` header. Never log the result.
    pub fn expose(&self) -> &str {
        self.secret.expose_secret()
    }
    fn fresh(&self) -> bool {
        Instant::now() + RENEW_MARGIN < self.expires_at
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct TokenErrorResponse {
    error: Option<String>,
    error_description: Option<String>,
    trace_id: Option<String>,
}

/// Fetches tokens and caches them until shortly before they expire.
/// Cloning shares the cache.
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<TokenInner>,
}

struct TokenInner {
    config: AuthConfig,
    token_url: String,
    /// The client's transport: token requests follow the same retry policy
    /// and in-flight limit as Graph requests.
    transport: Arc<Transport>,
    cache: Mutex<Option<AccessToken>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("tenant_id", &self.inner.config.tenant_id)
            .field("client_id", &self.inner.config.client_id)
            .field("credential", &self.inner.config.credential.kind())
            .finish()
    }
}

impl TokenSource {
    /// Prepare a token source sending through `transport`. Checks the token
    /// endpoint's transport rule.
    pub(crate) fn new(
        config: AuthConfig,
        transport: Arc<Transport>,
    ) -> Result<TokenSource, ConfigError> {
        let token_url = config.cloud.token_url(&config.tenant_id)?.to_string();
        Ok(TokenSource {
            inner: Arc::new(TokenInner {
                config,
                token_url,
                transport,
                cache: Mutex::new(None),
            }),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &AuthConfig {
        &self.inner.config
    }

    /// A valid token: the cached one, or a new one if it is about to expire.
    pub async fn token(&self) -> Result<AccessToken, AuthError> {
        let mut cache = self.inner.cache.lock().await;
        if let Some(t) = cache.as_ref().filter(|t| t.fresh()) {
            return Ok(t.clone());
        }
        let t = self.fetch().await?;
        *cache = Some(t.clone());
        Ok(t)
    }

    /// Drop the cached token (after Graph answered 401 to it).
    pub async fn invalidate(&self) {
        *self.inner.cache.lock().await = None;
    }

    /// Drop the cached token if it is still `failed` (Graph answered 401 to
    /// it). When many requests in flight meet the same expired token, the
    /// first renews it and the others reuse the new one instead of each
    /// throwing away the token just fetched.
    pub async fn invalidate_if(&self, failed: &AccessToken) {
        Tokens::forget(self, &failed.secret).await
    }

    async fn fetch(&self) -> Result<AccessToken, AuthError> {
        let cfg = &self.inner.config;
        let scope = cfg.cloud.scope();
        let mut form: Vec<(&str, String)> = vec![
            ("client_id", cfg.client_id.clone()),
            ("scope", scope),
            ("grant_type", "client_credentials".to_string()),
        ];
        // The secret values are moved into the form only for the request body.
        match &cfg.credential {
            Credential::Bearer(t) => {
                return Ok(AccessToken {
                    secret: t.clone(),
                    // A fixed token is used as long as Graph accepts it.
                    expires_at: Instant::now() + Duration::from_secs(365 * 24 * 3600),
                });
            }
            Credential::Secret(s) => form.push(("client_secret", s.expose_secret().to_string())),
            Credential::Certificate(c) => {
                form.push(("client_assertion_type", JWT_BEARER.to_string()));
                form.push((
                    "client_assertion",
                    c.assertion(&cfg.client_id, &self.inner.token_url)?,
                ));
            }
            Credential::Federated(src) => {
                let assertion = src.token(&self.inner.transport).await?;
                form.push(("client_assertion_type", JWT_BEARER.to_string()));
                form.push(("client_assertion", assertion.expose_secret().to_string()));
            }
        }
        tracing::debug!(
            tenant = %cfg.tenant_id,
            client_id = %cfg.client_id,
            credential = cfg.credential.kind(),
            "requesting an access token"
        );
        let started = Instant::now();
        let url = &self.inner.token_url;
        let unreachable = |reason: String| AuthError::Unreachable {
            url: url.clone(),
            tenant: cfg.tenant_id.clone(),
            client_id: cfg.client_id.clone(),
            reason,
        };
        let no_headers = Default::default();
        let call = Call {
            method: reqwest::Method::POST,
            url,
            shown: url,
            headers: &no_headers,
            payload: Payload::Form(&form),
            bearer: Bearer::None,
            // A token request changes nothing: it may be sent again.
            traits: Traits {
                idempotent: true,
                ..Traits::default()
            },
            meter: Meter::Token,
        };
        let (status, body) = match self.inner.transport.exchange(&call).await {
            Ok(answer) => (answer.status, answer.body),
            Err(Stop::Answered { answer, .. })
            | Err(Stop::GaveUp {
                last: Ok(answer), ..
            }) => (answer.status, answer.body),
            Err(Stop::GaveUp {
                limit,
                last: Err(reason),
                attempts,
                ..
            }) => {
                let why = match limit {
                    Limit::Attempts => format!("{reason} (after {attempts} attempts)"),
                    Limit::Deadline => {
                        format!(
                            "{reason} (gave up after {attempts} attempts: retry deadline reached)"
                        )
                    }
                };
                return Err(unreachable(why));
            }
            Err(Stop::Transport { reason, .. }) => return Err(unreachable(reason)),
            Err(Stop::Token(e)) => return Err(e),
            Err(Stop::Closed { .. }) => return Err(unreachable("client shut down".into())),
        };
        drop(form);
        if !(200..300).contains(&status) {
            let err: Option<TokenErrorResponse> = serde_json::from_slice(&body).ok();
            let (error, description, trace_id) = match err {
                Some(e) => (
                    e.error.unwrap_or_else(|| format!("HTTP {status}")),
                    e.error_description
                        .as_deref()
                        .and_then(|d| d.lines().next())
                        .unwrap_or("")
                        .trim()
                        .to_string(),
                    e.trace_id,
                ),
                None => (format!("HTTP {status}"), String::new(), None),
            };
            // DEBUG: the error returned says all of it; a WARN line would print it twice.
            tracing::debug!(tenant = %cfg.tenant_id, client_id = %cfg.client_id, status, %error, "token request refused");
            return Err(AuthError::Rejected(Box::new(super::error::Rejection {
                url: self.inner.token_url.clone(),
                tenant: cfg.tenant_id.clone(),
                client_id: cfg.client_id.clone(),
                status,
                error,
                description,
                trace_id,
            })));
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| AuthError::BadResponse {
                url: self.inner.token_url.clone(),
                reason: format!("not JSON: {e}"),
            })?;
        let token = parsed.access_token.ok_or_else(|| AuthError::BadResponse {
            url: self.inner.token_url.clone(),
            reason: "no access_token".into(),
        })?;
        let lifetime = match parsed.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .unwrap_or(3599);
        tracing::debug!(
            client_id = %cfg.client_id,
            expires_in = lifetime,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "access token acquired"
        );
        Ok(AccessToken {
            secret: SecretString::from(token),
            expires_at: started + Duration::from_secs(lifetime),
        })
    }
}

/// The HTTP loop's view of a token source: the token's secret, and forgetting
/// one Graph refused.
impl Tokens for TokenSource {
    fn bearer(&self) -> TokenFuture<'_, Result<SecretString, AuthError>> {
        Box::pin(async move { Ok(self.token().await?.secret) })
    }
    fn forget<'a>(&'a self, failed: &'a SecretString) -> TokenFuture<'a, ()> {
        Box::pin(async move {
            let mut cache = self.inner.cache.lock().await;
            if cache
                .as_ref()
                .is_some_and(|t| t.secret.expose_secret() == failed.expose_secret())
            {
                *cache = None;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn env_secret_wins_and_is_redacted() {
        let c = AuthConfig::from_lookup(
            Cloud::Global,
            lookup(&[
                ("AZURE_TENANT_ID", "t"),
                ("AZURE_CLIENT_ID", "c"),
                ("AZURE_CLIENT_SECRET", "hunter2-secret"),
                ("AZURE_FEDERATED_TOKEN_FILE", "/x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.credential.kind(), "client secret");
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
    }

    #[test]
    fn env_federated_and_github() {
        let c = AuthConfig::from_lookup(
            Cloud::Global,
            lookup(&[
                ("AZURE_TENANT_ID", "t"),
                ("AZURE_CLIENT_ID", "c"),
                ("AZURE_FEDERATED_TOKEN_FILE", "/var/run/token"),
            ]),
        )
        .unwrap();
        assert_eq!(c.credential.kind(), "federated token file");
        let c = AuthConfig::from_lookup(
            Cloud::Global,
            lookup(&[
                ("AZURE_TENANT_ID", "t"),
                ("AZURE_CLIENT_ID", "c"),
                ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://x/?api-version=2.0"),
                ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ghs_secret"),
            ]),
        )
        .unwrap();
        assert_eq!(c.credential.kind(), "GitHub Actions OIDC");
        assert!(!format!("{c:?}").contains("ghs_secret"));
    }

    #[test]
    fn federated_audience_per_cloud_and_override() {
        let env = [
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "c"),
            ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://x/?api-version=2.0"),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ghs_secret"),
        ];
        let audience = |cloud: Cloud, extra: &[(&str, &str)]| {
            let mut all = env.to_vec();
            all.extend_from_slice(extra);
            match AuthConfig::from_lookup(cloud, lookup(&all))
                .unwrap()
                .credential
            {
                Credential::Federated(FederatedSource::GitHubActions { audience, .. }) => audience,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(audience(Cloud::Global, &[]), "api://AzureADTokenExchange");
        assert_eq!(
            audience(Cloud::UsGovL4, &[]),
            "api://AzureADTokenExchangeUSGov"
        );
        assert_eq!(
            audience(Cloud::UsGovL5Dod, &[]),
            "api://AzureADTokenExchangeUSGov"
        );
        assert_eq!(
            audience(Cloud::China, &[]),
            "api://AzureADTokenExchangeChina"
        );
        assert_eq!(
            audience(
                Cloud::China,
                &[("AZURE_FEDERATED_AUDIENCE", "api://custom")]
            ),
            "api://custom"
        );
    }

    #[test]
    fn env_missing_things() {
        let e = AuthConfig::from_lookup(Cloud::Global, lookup(&[("AZURE_TENANT_ID", "t")]));
        assert!(matches!(e, Err(ConfigError::Missing("AZURE_CLIENT_ID"))));
        let e = AuthConfig::from_lookup(
            Cloud::Global,
            lookup(&[("AZURE_TENANT_ID", "t"), ("AZURE_CLIENT_ID", "c")]),
        );
        assert!(matches!(e, Err(ConfigError::NoCredential)));
    }

    #[test]
    fn authority_host_override() {
        let c = AuthConfig::from_lookup(
            Cloud::UsGovL4,
            lookup(&[
                ("AZURE_TENANT_ID", "t"),
                ("AZURE_CLIENT_ID", "c"),
                ("AZURE_CLIENT_SECRET", "s"),
                ("AZURE_AUTHORITY_HOST", "https://login.example.us/"),
            ]),
        )
        .unwrap();
        assert_eq!(c.cloud.authority(), "https://login.example.us");
        assert_eq!(c.cloud.graph(), "https://graph.microsoft.us");
        assert_eq!(c.cloud.scope(), "https://graph.microsoft.us/.default");
        let e = AuthConfig::from_lookup(
            Cloud::Global,
            lookup(&[("AZURE_AUTHORITY_HOST", "http://login.example.com")]),
        );
        assert!(matches!(e, Err(ConfigError::InsecureUrl(_))));
    }
}
