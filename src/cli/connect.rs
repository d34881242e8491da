//! Reaching a tenant: real Microsoft Graph with Azure-SDK-style credentials, or the emulator.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use crate::desired::DesiredState;
use crate::graph::{AuthConfig, ClientOptions, Cloud, Credential, GraphClient};
use crate::live::{Live, ReadError, ReadOptions, ReadProgress, read_live};
use crate::plan::saved::Target;
use graph_emulator::{BackgroundEmulator, BatchOrder, EmulatorConfig, SHUFFLE_SEED_ENV, Seed};

use super::flags::StateArgs;

/// Where the tenant is and how to sign in (shared by plan, apply and export).
#[derive(Debug, Clone, clap::Args)]
pub struct TenantArgs {
    /// Use an in-process emulator started from this seed file (YAML or JSON) instead of a real
    /// tenant; it lives as long as this command (changes made to it are discarded at exit).
    #[arg(long, value_name = "SEED", env = "ENTRAFORM_EMULATOR")]
    pub emulator: Option<PathBuf>,

    /// Microsoft cloud: global, usgov (GCC High), dod, china.
    #[arg(long, default_value = "global", env = "ENTRAFORM_CLOUD")]
    pub cloud: String,

    /// Custom Graph/authority base URL (e.g. an emulator started with `entraform emulator`), with or
    /// without the trailing /v1.0; overrides --cloud.
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

    /// The repo tenant (`tenants/<name>/`) this run is for, set by `--tenant`
    /// (recorded in saved plans; `None` for a single-tenant repo).
    #[arg(skip)]
    pub repo_tenant: Option<String>,

    /// Where that tenant's sign-in comes from (its `connection:` block or the
    /// per-tenant variable names), set by `--tenant`.
    #[arg(skip)]
    pub sign_in: Option<super::tenancy::SignIn>,
}

/// A connected tenant: the client, the command's async runtime, and the
/// emulator kept alive while it is used.
pub struct Connection {
    /// The Graph client.
    pub client: GraphClient,
    /// The one runtime of the command ([`super::runtime`]): every read and
    /// write of this connection runs on it.
    pub rt: tokio::runtime::Handle,
    /// The in-process emulator, when `--emulator` was given.
    pub emulator: Option<BackgroundEmulator>,
    /// The seed file the in-process emulator started from.
    pub seed: Option<PathBuf>,
}

/// What happens to the in-process emulator's tenant at the end of `apply` and `reconcile`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct KeepArgs {
    /// With --emulator: write the in-process emulator's tenant, as the run left it, to this file
    /// (seed format, JSON, no secrets; mode 0600), e.g. to use as the next run's seed.
    #[arg(
        long,
        value_name = "FILE",
        requires = "emulator",
        env = "ENTRAFORM_DUMP_STATE"
    )]
    pub dump_state: Option<PathBuf>,
}

/// The `$batch` shuffle seed of an in-process emulator: from
/// `ENTRAFORM_EMULATOR_SHUFFLE_SEED` (to replay a run), or random.
fn in_process_shuffle_seed() -> u64 {
    std::env::var(SHUFFLE_SEED_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or_else(graph_emulator::util::random_seed)
}

impl TenantArgs {
    /// Sign in (or start the emulator) and return a client whose requests run on `rt`.
    pub fn connect(&self, rt: &tokio::runtime::Runtime) -> anyhow::Result<Connection> {
        let rt = rt.handle().clone();
        if let Some(seed_path) = &self.emulator {
            let seed = Seed::from_file(seed_path)
                .with_context(|| format!("cannot load emulator seed {}", seed_path.display()))?;
            let app = seed
                .applications
                .first()
                .map(|a| a.app_id.clone())
                .context("the emulator seed has no `applications` entry to sign in as; add one with an appId")?;
            // Graph promises no order inside a `$batch`: the emulator keeps its random
            // order, and the seed goes to the log (`-v`), not to every run's output.
            let shuffle = in_process_shuffle_seed();
            let config = EmulatorConfig {
                batch_order: BatchOrder::Seeded(shuffle),
                ..EmulatorConfig::default()
            };
            let emu =
                BackgroundEmulator::start(seed, config).context("cannot start the emulator")?;
            tracing::info!(
                "in-process emulator: $batch items run in a random order, seed {shuffle} ({SHUFFLE_SEED_ENV}={shuffle} replays it)"
            );
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
                rt,
                emulator: Some(emu),
                seed: Some(seed_path.clone()),
            });
        }
        let cloud = match &self.graph_url {
            Some(url) => Cloud::custom(url)?,
            None => Cloud::from_name(&self.cloud)?,
        };
        let tenant = self.tenant_id.clone();
        let client_id = self.client_id.clone();
        let audience = self.federated_audience.clone();
        let sign_in = self.sign_in.clone();
        let auth = AuthConfig::from_lookup(cloud, |k| {
            // A repo tenant's own variables decide the keys they name (see `tenancy::SignIn`).
            if let Some(decided) = sign_in.as_ref().and_then(|s| s.lookup(k)) {
                return decided;
            }
            match k {
                "AZURE_TENANT_ID" => tenant.clone(),
                "AZURE_CLIENT_ID" => client_id.clone(),
                "AZURE_FEDERATED_AUDIENCE" => audience.clone(),
                other => std::env::var(other).ok().filter(|v| !v.is_empty()),
            }
        })
        .with_context(|| match &self.sign_in {
            Some(s) => s.missing_hint(),
            None => "cannot configure Microsoft Graph sign-in (set AZURE_TENANT_ID, AZURE_CLIENT_ID and a credential, or use --emulator)".to_string(),
        })?;
        Ok(Connection {
            client: GraphClient::new(auth, ClientOptions::default())?,
            rt,
            emulator: None,
            seed: None,
        })
    }
}

impl Connection {
    /// Read the tenant: in full, or incrementally from the state directory's
    /// snapshot when `state` names one.
    /// Progress goes to stderr while it runs (see [`super::progress`]).
    pub fn read(&self, state: Option<&StateArgs>) -> anyhow::Result<Live> {
        let progress = Arc::new(ReadProgress::default());
        let options = ReadOptions {
            incremental: state.and_then(StateArgs::incremental),
            progress: Some(progress.clone()),
            ..ReadOptions::default()
        };
        let client = self.client.clone();
        let display =
            super::progress::ReadDisplay::start(progress, move || client.counters().http_requests);
        let read = self.rt.block_on(read_live(&self.client, &options));
        display.finish();
        let live = read.map_err(|e| self.read_failed(e))?;
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

impl Connection {
    /// Add the licences (SKUs and every user's licence paths) to a read
    /// snapshot, when the repo manages licences (1 + ⌈U/999⌉ requests).
    pub fn with_licenses(&self, live: Live, desired: &DesiredState) -> anyhow::Result<Live> {
        // Read when the repo declares licences, or its leaver policy removes them.
        let leaver_removes = desired
            .tenant
            .lifecycle
            .leaver
            .as_ref()
            .is_some_and(|p| p.has(crate::desired::lifecycle::LeaverStep::RemoveLicenses));
        if !leaver_removes && !desired.users.values().any(|u| u.licenses.is_some()) {
            return Ok(live);
        }
        let l = self
            .rt
            .block_on(crate::live::licenses::read_licenses(&self.client))
            .map_err(|e| {
                let graph = self.client.root().to_string();
                anyhow::Error::new(e).context(format!(
                    "cannot read licences (subscribedSkus, licenseAssignmentStates) from Microsoft Graph at {graph}"
                ))
            })?;
        Ok(live.with_licenses(l))
    }

    /// Add the authentication methods of the users the leaver policy applies
    /// to ([`crate::plan::diff::method_readers`]), when the policy has
    /// `remove_authentication_methods` (⌈L/20⌉ `$batch` requests for L
    /// leavers; none otherwise). Graph refusing the read is recorded in the
    /// snapshot, and the plan reports it as an error naming the permission.
    pub fn with_auth_methods(
        &self,
        live: Live,
        desired: &DesiredState,
        now: Option<crate::model::clock::Moment>,
    ) -> anyhow::Result<Live> {
        let users = crate::plan::diff::method_readers(desired, &live, now);
        let wants = desired.tenant.lifecycle.leaver.as_ref().is_some_and(|p| {
            p.has(crate::desired::lifecycle::LeaverStep::RemoveAuthenticationMethods)
        });
        if !wants {
            return Ok(live);
        }
        let m = self
            .rt
            .block_on(crate::live::auth_methods::read_auth_methods(
                &self.client,
                &users,
            ))
            .map_err(|e| {
                let graph = self.client.root().to_string();
                anyhow::Error::new(e).context(format!(
                    "cannot read leavers' authentication methods from Microsoft Graph at {graph}"
                ))
            })?;
        tracing::info!(users = users.len(), "read leavers' authentication methods");
        Ok(live.with_auth_methods(m))
    }

    /// Add the devices the leavers own ([`crate::plan::diff::device_owners`]),
    /// when the policy has `disable_owned_devices` and someone leaves
    /// (⌈D/100⌉ requests for D devices in the tenant; none otherwise). Graph
    /// refusing the read is recorded, and the plan reports it as an error.
    pub fn with_devices(
        &self,
        live: Live,
        desired: &DesiredState,
        now: Option<crate::model::clock::Moment>,
    ) -> anyhow::Result<Live> {
        let owners = crate::plan::diff::device_owners(desired, &live, now);
        if owners.is_empty() {
            return Ok(live);
        }
        let d = self
            .rt
            .block_on(crate::live::devices::read_devices(&self.client, &owners))
            .map_err(|e| {
                let graph = self.client.root().to_string();
                anyhow::Error::new(e).context(format!(
                    "cannot read leavers' devices from Microsoft Graph at {graph}"
                ))
            })?;
        tracing::info!(owners = owners.len(), "read leavers' devices");
        Ok(live.with_devices(d))
    }

    /// Add the licences to the snapshot `export` writes from (1 + ⌈U/999⌉
    /// requests): when they cannot be read, or the tenant subscribes to no
    /// SKU, say so on stderr (the plan's words) and export none.
    pub fn licenses_for_export(&self, live: Live) -> Live {
        match self
            .rt
            .block_on(crate::live::licenses::read_licenses(&self.client))
        {
            Ok(l) if l.skus.is_empty() => {
                eprintln!(
                    "note: the tenant subscribes to no SKU (subscribedSkus is empty): the export declares no licences"
                );
                live
            }
            Ok(l) => live.with_licenses(l),
            Err(e) => {
                eprintln!(
                    "warning: cannot read licences (subscribedSkus, licenseAssignmentStates) from Microsoft Graph at {}: {e}; the export declares no licences",
                    self.client.root()
                );
                live
            }
        }
    }

    /// Add the licences to a snapshot when the app may read them (`snapshot`
    /// has no repo to ask): a refusal is a warning, the seed then has none.
    pub fn try_licenses(&self, live: Live) -> Live {
        match self
            .rt
            .block_on(crate::live::licenses::read_licenses(&self.client))
        {
            Ok(l) => live.with_licenses(l),
            Err(e) => {
                tracing::warn!(error = %e, "licences not read: the seed holds no subscribed SKUs or licence assignments");
                live
            }
        }
    }

    /// The tenant and Graph endpoint this connection signs in to (recorded in saved plans).
    pub fn target(&self) -> Target {
        Target {
            tenant_id: self.client.auth().tenant_id.clone(),
            graph_root: self.client.root().to_string(),
        }
    }

    /// A failed read in words, naming the Graph endpoint. What to check after
    /// a refusal (401, 403, a sign-in refused) is in the error itself: the
    /// Graph client words each status for the administrator (src/graph/error.rs).
    fn read_failed(&self, e: ReadError) -> anyhow::Error {
        let graph = self.client.root().to_string();
        anyhow::Error::new(e).context(format!(
            "cannot read the tenant from Microsoft Graph at {graph}"
        ))
    }

    /// At the end of `apply` or `reconcile` against `--emulator`: write the
    /// tenant to `--dump-state`, and say that it is discarded otherwise.
    pub fn finish_in_process(&self, keep: &KeepArgs) -> anyhow::Result<()> {
        let (Some(emu), Some(seed)) = (&self.emulator, &self.seed) else {
            return Ok(());
        };
        if let Some(path) = &keep.dump_state {
            let text = serde_json::to_string_pretty(&emu.state())?;
            crate::private_file::write_private(path, text.as_bytes()).with_context(|| {
                format!("cannot write the emulator's tenant to {}", path.display())
            })?;
            eprintln!(
                "The in-process emulator's tenant was written to {} (seed format): `--emulator {}` continues from it.",
                path.display(),
                path.display()
            );
            return Ok(());
        }
        let writes = writes_to(emu);
        if writes > 0 {
            eprintln!(
                "note: the in-process emulator's tenant is discarded now, with the {} this run made to it: the next `--emulator {}` run starts again from the seed. Keep it with --dump-state FILE, or run `entraform emulator --seed {}` and point --graph-url at it.",
                super::progress::count(writes, "write", "writes"),
                seed.display(),
                seed.display()
            );
        }
        Ok(())
    }
}

/// Write requests an emulator received (top level and inside `$batch`; the `$batch` POSTs themselves not counted).
fn writes_to(emu: &BackgroundEmulator) -> u64 {
    let m = emu.metrics();
    let is_write = |route: &str| !route.starts_with("GET ") && !route.contains("$batch");
    m.by_route
        .iter()
        .chain(m.batch_inner_by_route.iter())
        .filter(|(r, _)| is_write(r))
        .map(|(_, n)| *n)
        .sum()
}
