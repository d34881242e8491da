//! National-cloud endpoints: where to get tokens and where Graph lives.
//!
//! Values from Microsoft's "National cloud deployments" tables (Graph) and
//! the identity platform's authority hosts.

use std::fmt;

use reqwest::Url;

use super::error::ConfigError;

/// A Microsoft cloud, or a custom pair of endpoints (the emulator).
#[derive(Clone, PartialEq, Eq)]
pub enum Cloud {
    /// Global service: `login.microsoftonline.com`, `graph.microsoft.com`.
    Global,
    /// US Government L4 (GCC High): `login.microsoftonline.us`, `graph.microsoft.us`.
    UsGovL4,
    /// US Government L5 (DoD): `login.microsoftonline.us`, `dod-graph.microsoft.us`.
    UsGovL5Dod,
    /// Microsoft Graph China operated by 21Vianet:
    /// `login.chinacloudapi.cn`, `microsoftgraph.chinacloudapi.cn`.
    China,
    /// Explicit endpoints, e.g. an emulator on loopback. The token scope stays
    /// that of the global Graph resource unless `resource` is given.
    Custom {
        /// Base of the token endpoint: `{authority}/{tenant}/oauth2/v2.0/token`.
        authority: Url,
        /// Base of Graph: requests go to `{graph}/v1.0/...`.
        graph: Url,
        /// The resource whose `/.default` scope is requested.
        resource: String,
    },
}

const GLOBAL_GRAPH: &str = "https://graph.microsoft.com";

impl Cloud {
    /// Parse a cloud name as given on the command line or in config:
    /// `global`, `usgov` / `usgovl4` / `gcchigh`, `usgovl5` / `dod`, `china`.
    pub fn from_name(name: &str) -> Result<Cloud, ConfigError> {
        match name.to_ascii_lowercase().as_str() {
            "global" | "public" | "azurepubliccloud" => Ok(Cloud::Global),
            "usgov" | "usgovl4" | "gcchigh" | "azureusgovernment" => Ok(Cloud::UsGovL4),
            "usgovl5" | "dod" | "usgovdod" => Ok(Cloud::UsGovL5Dod),
            "china" | "azurechinacloud" => Ok(Cloud::China),
            other => Err(ConfigError::UnknownCloud(other.to_string())),
        }
    }

    /// A custom cloud whose authority and Graph share one base URL (the emulator).
    ///
    /// The URL may end in Graph's version segment, `/v1.0` (the emulator's
    /// banner calls `…/v1.0` the Graph endpoint): it is dropped, since requests
    /// add it. Another version (`/beta`) is refused: entraform speaks v1.0.
    pub fn custom(base: &str) -> Result<Cloud, ConfigError> {
        let url = parse_endpoint(&without_version(base)?)?;
        Ok(Cloud::Custom {
            authority: url.clone(),
            graph: url,
            resource: GLOBAL_GRAPH.to_string(),
        })
    }

    /// The authority host, e.g. `https://login.microsoftonline.com` (no trailing slash).
    pub fn authority(&self) -> String {
        match self {
            Cloud::Global => "https://login.microsoftonline.com".into(),
            Cloud::UsGovL4 | Cloud::UsGovL5Dod => "https://login.microsoftonline.us".into(),
            Cloud::China => "https://login.chinacloudapi.cn".into(),
            Cloud::Custom { authority, .. } => authority.as_str().trim_end_matches('/').into(),
        }
    }

    /// The Graph host, e.g. `https://graph.microsoft.com` (no trailing slash).
    pub fn graph(&self) -> String {
        match self {
            Cloud::Global => GLOBAL_GRAPH.into(),
            Cloud::UsGovL4 => "https://graph.microsoft.us".into(),
            Cloud::UsGovL5Dod => "https://dod-graph.microsoft.us".into(),
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn".into(),
            Cloud::Custom { graph, .. } => graph.as_str().trim_end_matches('/').into(),
        }
    }

    /// The OAuth2 scope to request: `{graph resource}/.default`.
    pub fn scope(&self) -> String {
        match self {
            Cloud::Custom { resource, .. } => {
                format!("{}/.default", resource.trim_end_matches('/'))
            }
            _ => format!("{}/.default", self.graph()),
        }
    }

    /// The token endpoint for a tenant: `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self, tenant: &str) -> Result<Url, ConfigError> {
        parse_endpoint(&format!(
            "{}/{}/oauth2/v2.0/token",
            self.authority(),
            tenant
        ))
    }

    /// The Graph v1.0 root, e.g. `https://graph.microsoft.com/v1.0`.
    pub fn graph_v1(&self) -> String {
        format!("{}/v1.0", self.graph())
    }

    /// The audience Entra expects in a federated token (workload identity
    /// federation) for this cloud, as Microsoft documents the federated
    /// identity credential's `audiences`: `api://AzureADTokenExchange`
    /// (global), `api://AzureADTokenExchangeUSGov` (US Government),
    /// `api://AzureADTokenExchangeChina` (21Vianet). Source:
    /// MicrosoftDocs/entra-docs, docs/workload-id/workload-identity-federation-config-app-trust-managed-identity.md.
    /// A custom endpoint (the emulator) uses the global value.
    pub fn federated_audience(&self) -> &'static str {
        match self {
            Cloud::UsGovL4 | Cloud::UsGovL5Dod => "api://AzureADTokenExchangeUSGov",
            Cloud::China => "api://AzureADTokenExchangeChina",
            Cloud::Global | Cloud::Custom { .. } => "api://AzureADTokenExchange",
        }
    }
}

impl fmt::Debug for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cloud::Global => f.write_str("Global"),
            Cloud::UsGovL4 => f.write_str("UsGovL4"),
            Cloud::UsGovL5Dod => f.write_str("UsGovL5Dod"),
            Cloud::China => f.write_str("China"),
            Cloud::Custom {
                authority, graph, ..
            } => {
                write!(f, "Custom(authority={authority}, graph={graph})")
            }
        }
    }
}

/// `base` without a trailing `/` or `/v1.0` (any case); an error for a `/beta` base.
fn without_version(base: &str) -> Result<String, ConfigError> {
    let trimmed = base.trim().trim_end_matches('/');
    let lower = trimmed.to_ascii_lowercase();
    if lower.ends_with("/beta") {
        return Err(ConfigError::BadUrl {
            url: base.to_string(),
            reason: "entraform uses Microsoft Graph v1.0: give the base URL (without /beta)".into(),
        });
    }
    match lower.strip_suffix("/v1.0") {
        Some(rest) => Ok(trimmed[..rest.len()].trim_end_matches('/').to_string()),
        None => Ok(trimmed.to_string()),
    }
}

/// Parse an endpoint URL and enforce the transport rule: `https://` anywhere,
/// plain `http://` only to a loopback address (the emulator).
pub fn parse_endpoint(s: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(s).map_err(|e| ConfigError::BadUrl {
        url: s.to_string(),
        reason: e.to_string(),
    })?;
    check_transport(&url)?;
    Ok(url)
}

/// Refuse plain `http://` unless the host is loopback.
pub fn check_transport(url: &Url) -> Result<(), ConfigError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(ConfigError::InsecureUrl(url.to_string())),
        other => Err(ConfigError::BadUrl {
            url: url.to_string(),
            reason: format!("unsupported scheme `{other}`"),
        }),
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// Turn an absolute `@odata.nextLink` into a path relative to the version
/// root (`/users?$skiptoken=…`), as `$batch` items require. `None` when the
/// link does not start with `root` (another host or version).
pub fn relative_to_root<'a>(link: &'a str, root: &str) -> Option<&'a str> {
    let rest = link.strip_prefix(root.trim_end_matches('/'))?;
    if rest.starts_with('/') {
        Some(rest)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_cloud_endpoints() {
        assert_eq!(
            Cloud::Global.scope(),
            "https://graph.microsoft.com/.default"
        );
        assert_eq!(
            Cloud::UsGovL5Dod.graph_v1(),
            "https://dod-graph.microsoft.us/v1.0"
        );
        assert_eq!(
            Cloud::China
                .token_url("contoso.onmicrosoft.com")
                .map(|u| u.to_string())
                .ok(),
            Some("https://login.chinacloudapi.cn/contoso.onmicrosoft.com/oauth2/v2.0/token".into())
        );
        assert_eq!(
            Cloud::UsGovL4.scope(),
            "https://graph.microsoft.us/.default"
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(Cloud::custom("http://127.0.0.1:8080").is_ok());
        assert!(Cloud::custom("http://localhost:8080").is_ok());
        assert!(Cloud::custom("http://[::1]:8080").is_ok());
        assert!(matches!(
            Cloud::custom("http://graph.example.com"),
            Err(ConfigError::InsecureUrl(_))
        ));
        assert!(Cloud::custom("https://graph.example.com").is_ok());
    }

    #[test]
    fn custom_takes_the_base_url_with_or_without_its_version() {
        for url in [
            "http://127.0.0.1:1",
            "http://127.0.0.1:1/",
            "http://127.0.0.1:1/v1.0",
            "http://127.0.0.1:1/v1.0/",
            "http://127.0.0.1:1/V1.0",
        ] {
            let c = Cloud::custom(url).unwrap();
            assert_eq!(c.graph_v1(), "http://127.0.0.1:1/v1.0", "{url}");
            assert_eq!(
                c.token_url("t").unwrap().as_str(),
                "http://127.0.0.1:1/t/oauth2/v2.0/token",
                "{url}"
            );
        }
        let proxied = Cloud::custom("https://proxy.example.com/graph/v1.0").unwrap();
        assert_eq!(proxied.graph_v1(), "https://proxy.example.com/graph/v1.0");
        assert!(matches!(
            Cloud::custom("https://graph.example.com/beta"),
            Err(ConfigError::BadUrl { .. })
        ));
    }

    #[test]
    fn custom_keeps_global_scope() {
        let c = Cloud::custom("http://127.0.0.1:1").unwrap();
        assert_eq!(c.scope(), "https://graph.microsoft.com/.default");
        assert_eq!(c.graph_v1(), "http://127.0.0.1:1/v1.0");
    }
}
