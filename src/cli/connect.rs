//! Reaching a tenant: real Microsoft Graph with Azure-SDK-style credentials, or the emulator.

use std::path::PathBuf;

use anyhow::Context;

use crate::emulator::{BackgroundEmulator, EmulatorConfig, Seed};
use crate::graph::{AuthConfig, ClientOptions, Cloud, Credential, GraphClient};
use crate::live::{Live, ReadOptions, read_live_blocking};

use super::state::StateArgs;

/// Where the tenant is and how to sign in (shared by plan, apply and export).
#[derive(Debug, Clone, clap::Args)]
pub struct TenantArgs {
    /// Plan against an in-process emulator started from this seed file (YAML or JSON) instead of a real tenant.
    #[arg(long, value_name = "SEED", env = "ENTRAFORM_EMULATOR")]
    pub emulator: Option<PathBuf>,

    /// Microsoft cloud: global, usgov (GCC High), dod, china.
    #[arg(long, default_value = "global", env = "ENTRAFORM_CLOUD")]
    pub cloud: String,

    /// Custom Graph/authority base URL (e.g. an emulator started with `entraform emulator`); overrides --cloud.
    #[arg(long, value_name = "URL", env = "ENTRAFORM_GRAPH_URL")]
    pub graph_url: Option<String>,

    /// Tenant id or verified domain (default: AZURE_TENANT_ID).
    #[arg(long, env = "AZURE_TENANT_ID")]
    pub tenant_id: Option<String>,

    /// Application (client) id (default: AZURE_CLIENT_ID). The credential comes from
    /// AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE or GitHub Actions OIDC.
    #[arg(long, env = "AZURE_CLIENT_ID")]
    pub client_id: Option<String>,

    /// Audience of the GitHub Actions OIDC token (default: the cloud's:
    /// api://AzureADTokenExchange, …USGov for usgov/dod, …China for china).
    #[arg(long, value_name = "AUDIENCE", env = "AZURE_FEDERATED_AUDIENCE")]
    pub federated_audience: Option<String>,
}

/// A connected tenant: the client, and the emulator kept alive while it is used.
pub struct Connection {
    /// The Graph client.
    pub client: GraphClient,
    /// The in-process emulator, when `--emulator` was given.
    pub emulator: Option<BackgroundEmulator>,
}

impl TenantArgs {
    /// Sign in (or start the emulator) and return a client.
    pub fn connect(&self) -> anyhow::Result<Connection> {
        if let Some(seed_path) = &self.emulator {
            let seed = Seed::from_file(seed_path)
                .with_context(|| format!("cannot load emulator seed {}", seed_path.display()))?;
            let app = seed
                .applications
                .first()
                .map(|a| a.app_id.clone())
                .context("the emulator seed has no `applications` entry to sign in as; add one with an appId")?;
            let emu = BackgroundEmulator::start(seed, EmulatorConfig::default())
                .context("cannot start the emulator")?;
            let auth = AuthConfig {
                tenant_id: emu.tenant_id(),
                client_id: app.clone(),
                cloud: Cloud::custom(emu.base_url())?,
                credential: Credential::Bearer(emu.issue_token(&app).into()),
            };
            tracing::info!(url = emu.base_url(), "emulator started");
            let client = GraphClient::new(auth, ClientOptions::default())?;
            return Ok(Connection {
                client,
                emulator: Some(emu),
            });
        }
        let cloud = match &self.graph_url {
            Some(url) => Cloud::custom(url)?,
            None => Cloud::from_name(&self.cloud)?,
        };
        let tenant = self.tenant_id.clone();
        let client_id = self.client_id.clone();
        let audience = self.federated_audience.clone();
        let auth = AuthConfig::from_lookup(cloud, |k| match k {
            "AZURE_TENANT_ID" => tenant.clone(),
            "AZURE_CLIENT_ID" => client_id.clone(),
            "AZURE_FEDERATED_AUDIENCE" => audience.clone(),
            other => std::env::var(other).ok().filter(|v| !v.is_empty()),
        })
        .context("cannot configure Microsoft Graph sign-in (set AZURE_TENANT_ID, AZURE_CLIENT_ID and a credential, or use --emulator)")?;
        Ok(Connection {
            client: GraphClient::new(auth, ClientOptions::default())?,
            emulator: None,
        })
    }
}

impl Connection {
    /// Read the tenant: in full, or incrementally from the state directory's
    /// snapshot when `state` names one.
    pub fn read(&self, state: Option<&StateArgs>) -> anyhow::Result<Live> {
        let options = ReadOptions {
            incremental: state.and_then(StateArgs::incremental),
            ..ReadOptions::default()
        };
        let live = read_live_blocking(&self.client, &options).context("cannot read the tenant")?;
        tracing::info!(
            users = live.users().len(),
            groups = live.groups().len(),
            requests = %live.stats().requests,
            mode = ?live.stats().mode,
            "read the tenant"
        );
        Ok(live)
    }
}
