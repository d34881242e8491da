//! Many tenants from one repo: `--tenant NAME` (repeatable) and
//! `--all-tenants` on plan, apply, reconcile, export, validate and doctor.
//!
//! One tenant runs in this process: the command is pointed at
//! `tenants/<name>/`, signs in with that tenant's own variables, keeps its
//! state in `--state-dir DIR/<name>/` and records the tenant in a saved plan.
//! Several tenants run as one child process each (this same binary with
//! `--tenant NAME`), at most `--parallel` at once (see [`super::fanout`]): a
//! tenant that fails, hangs its sign-in or panics cannot stop, hide or share
//! memory with another, and each keeps exactly the single-tenant behaviour.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, bail};

use super::Exit;
use crate::desired::tenancy::{self, Connection};
use crate::plan::Plan;

/// Which tenants of a many-tenant repo a command runs for.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SelectArgs {
    /// Run for this tenant of a many-tenant repo (the folder tenants/NAME/); repeatable, or
    /// comma-separated. Each tenant signs in with its own variables (docs/format.md, "Many tenants").
    #[arg(
        long = "tenant",
        value_name = "NAME",
        value_delimiter = ',',
        env = "ENTRAFORM_TENANT"
    )]
    pub tenants: Vec<String>,

    /// Run for every tenant of the repo (every tenants/*/ with a tenant.yaml), concurrently.
    #[arg(long, conflicts_with = "tenants", env = "ENTRAFORM_ALL_TENANTS")]
    pub all_tenants: bool,

    /// With several tenants: how many run at once (one process each).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64), env = "ENTRAFORM_PARALLEL")]
    pub parallel: u16,
}

use super::fanout::{Figures, SUMMARY_ENV, SUMMARY_MARK};

static FIGURES: Mutex<Option<Figures>> = Mutex::new(None);

/// Record the plan a command built (the last one counts), for the summary of a fan-out.
pub fn note(plan: &Plan) {
    let figures = Figures {
        changes: plan.steps.len(),
        gates: plan
            .gates
            .iter()
            .filter(|g| g.tripped && !g.overridden)
            .map(|g| g.gate.id().to_string())
            .collect(),
        errors: plan.errors.len(),
    };
    if let Ok(mut slot) = FIGURES.lock() {
        *slot = Some(figures);
    }
}

/// The per-tenant prefix of the conventional variable names:
/// `contoso-eu` → `ENTRAFORM_CONTOSO_EU_`.
pub fn env_prefix(name: &str) -> String {
    format!("ENTRAFORM_{}_", name.to_ascii_uppercase().replace('-', "_"))
}

/// Where one repo tenant's sign-in comes from: its `connection:` block, else
/// the conventional variables `ENTRAFORM_<NAME>_AZURE_TENANT_ID`, … . The
/// tenant id never falls back to the unprefixed `AZURE_TENANT_ID` (every
/// tenant would then sign in to the same one); the client id and credential
/// do when the tenant names none of its own (one multitenant app for all).
#[derive(Debug, Clone, Default)]
pub struct SignIn {
    /// The repo tenant's folder name.
    pub name: String,
    /// Its `connection:` block.
    pub connection: Connection,
}

/// The sign-in keys a repo tenant decides, and their `connection:` keys.
const CREDENTIAL_KEYS: [(&str, &str); 4] = [
    ("AZURE_CLIENT_SECRET", "client_secret_env"),
    (
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "client_certificate_path_env",
    ),
    ("AZURE_CLIENT_CERTIFICATE_PASSWORD", ""),
    ("AZURE_FEDERATED_TOKEN_FILE", "federated_token_file_env"),
];

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl SignIn {
    /// The variable named for `key` by the `connection:` block, if any.
    fn named(&self, conn_key: &str) -> Option<&String> {
        let c = &self.connection;
        match conn_key {
            "tenant_id_env" => c.tenant_id_env.as_ref(),
            "client_id_env" => c.client_id_env.as_ref(),
            "client_secret_env" => c.client_secret_env.as_ref(),
            "client_certificate_path_env" => c.client_certificate_path_env.as_ref(),
            "federated_token_file_env" => c.federated_token_file_env.as_ref(),
            _ => None,
        }
    }

    /// Whether the tenant names a credential of its own (block or convention).
    fn own_credential(&self) -> bool {
        let prefix = env_prefix(&self.name);
        CREDENTIAL_KEYS.iter().any(|(key, conn)| {
            self.named(conn).is_some() || var(&format!("{prefix}{key}")).is_some()
        }) || self.connection.client_id.is_some()
            || self.named("client_id_env").is_some()
            || var(&format!("{prefix}AZURE_CLIENT_ID")).is_some()
    }

    /// The value for sign-in key `key`: `Some(value)` when this tenant
    /// decides it (`Some(None)`: unset, no fallback), `None` to fall back to
    /// the command's flags and the unprefixed variables.
    pub fn lookup(&self, key: &str) -> Option<Option<String>> {
        let prefix = env_prefix(&self.name);
        let c = &self.connection;
        match key {
            "AZURE_TENANT_ID" => Some(c.tenant_id.clone().or_else(|| match &c.tenant_id_env {
                Some(v) => var(v),
                None => var(&format!("{prefix}AZURE_TENANT_ID")),
            })),
            "ENTRAFORM_GRAPH_TOKEN" => Some(var(&format!("{prefix}ENTRAFORM_GRAPH_TOKEN"))),
            "AZURE_CLIENT_ID" if self.own_credential() => {
                Some(c.client_id.clone().or_else(|| match &c.client_id_env {
                    Some(v) => var(v),
                    None => var(&format!("{prefix}AZURE_CLIENT_ID")),
                }))
            }
            _ => {
                let (_, conn) = CREDENTIAL_KEYS.iter().find(|(k, _)| *k == key)?;
                if !self.own_credential() {
                    return None;
                }
                Some(match self.named(conn) {
                    Some(v) => var(v),
                    None => var(&format!("{prefix}{key}")),
                })
            }
        }
    }

    /// What to set when this tenant's sign-in is incomplete.
    pub fn missing_hint(&self) -> String {
        let p = env_prefix(&self.name);
        format!(
            "cannot configure Microsoft Graph sign-in for tenant `{}`: set {p}AZURE_TENANT_ID, {p}AZURE_CLIENT_ID and a credential ({p}AZURE_CLIENT_SECRET, …), or name the variables in the `connection:` block of tenants/{}/tenant.yaml",
            self.name, self.name
        )
    }
}

/// The conventional sign-in variables of tenant `name` (`ENTRAFORM_<NAME>_…`).
fn conventional_vars(name: &str) -> Vec<String> {
    let prefix = env_prefix(name);
    [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "ENTRAFORM_GRAPH_TOKEN",
    ]
    .iter()
    .chain(CREDENTIAL_KEYS.iter().map(|(k, _)| k))
    .map(|k| format!("{prefix}{k}"))
    .collect()
}

/// The variables a `connection:` block names.
fn named_vars(c: &Connection) -> Vec<String> {
    [
        &c.tenant_id_env,
        &c.client_id_env,
        &c.client_secret_env,
        &c.client_certificate_path_env,
        &c.federated_token_file_env,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect()
}

/// The variables the child process of tenant `me` must not inherit: the
/// other tenants' conventional `ENTRAFORM_<NAME>_…` variables, always (a
/// `connection:` naming another tenant's variable gets nothing), and the
/// variables other tenants' `connection:` blocks name, unless `me` names
/// them too (one app shared by several tenants). The unprefixed `AZURE_*`
/// fallbacks are shared on purpose and stay.
pub fn foreign_vars(me: &str, mine: &Connection, others: &[(String, Connection)]) -> Vec<String> {
    let own = named_vars(mine);
    let mut out: Vec<String> = Vec::new();
    for (name, c) in others.iter().filter(|(name, _)| name != me) {
        out.extend(conventional_vars(name));
        out.extend(named_vars(c).into_iter().filter(|v| !own.contains(v)));
    }
    let mine_conventional = conventional_vars(me);
    out.retain(|v| !mine_conventional.contains(v));
    out.sort();
    out.dedup();
    out
}

/// A command that can run for one or several repo tenants.
pub trait PerTenant {
    /// The command's name (`plan`, …), for messages.
    const COMMAND: &'static str;
    /// The tenant selection flags.
    fn select(&self) -> &SelectArgs;
    /// The root of the repo the tenants are in.
    fn root(&self) -> PathBuf;
    /// Point the command at one tenant: its folder, sign-in, state folder,
    /// and `{tenant}` in its output paths replaced by the name.
    fn narrow(&mut self, dir: PathBuf, name: &str, sign_in: SignIn);
    /// Output paths that several tenants must not share (need `{tenant}`).
    fn shared_paths(&self) -> Vec<(&'static str, PathBuf)>;
    /// How the outputs of several tenants are put together.
    fn report(&self) -> super::fanout::Report {
        super::fanout::Report::Text
    }
}

/// `{tenant}` in `path` replaced by `name`.
pub fn per_tenant(path: &Path, name: &str) -> PathBuf {
    PathBuf::from(path.to_string_lossy().replace("{tenant}", name))
}

/// A state folder of tenant `name`: `DIR/<name>/`.
pub fn state_of(dir: &Option<PathBuf>, name: &str) -> Option<PathBuf> {
    dir.as_ref().map(|d| d.join(name))
}

/// Run `args` for the tenants it selects: unchanged without a selection (a
/// single-tenant repo), in this process for one tenant, one child process
/// per tenant for several. `argv` is the command line as given.
pub fn dispatch<A: PerTenant>(
    argv: &[std::ffi::OsString],
    mut args: A,
    run: impl FnOnce(A) -> anyhow::Result<Exit>,
) -> anyhow::Result<Exit> {
    let root = args.root();
    let select = args.select().clone();
    let many = tenancy::is_many(&root);
    let names: Vec<String> = if select.all_tenants {
        if !many {
            bail!(
                "--all-tenants: {} is not a many-tenant repo (it needs a tenants/ folder and no tenant.yaml at its root)",
                root.display()
            );
        }
        let names = tenancy::list(&root).map_err(anyhow::Error::msg)?;
        if names.is_empty() {
            bail!(
                "--all-tenants: {}/tenants/ holds no tenant (a folder with a tenant.yaml)",
                root.display()
            );
        }
        names
    } else if select.tenants.is_empty() {
        if many {
            let names = tenancy::list(&root).unwrap_or_default();
            bail!(
                "{} holds many tenants ({}): pass --tenant NAME or --all-tenants",
                root.display(),
                names.join(", ")
            );
        }
        let summary = std::env::var_os(SUMMARY_ENV).is_some();
        let exit = run(args);
        if summary {
            print_figures();
        }
        return exit;
    } else {
        if !many {
            bail!(
                "--tenant: {} is not a many-tenant repo (it needs a tenants/ folder and no tenant.yaml at its root)",
                root.display()
            );
        }
        let mut names = select.tenants.clone();
        names.sort();
        names.dedup();
        for n in &names {
            tenancy::tenant_dir(&root, n).map_err(anyhow::Error::msg)?;
        }
        names
    };
    if let [name] = names.as_slice() {
        let dir = tenancy::tenant_dir(&root, name).map_err(anyhow::Error::msg)?;
        let sign_in = SignIn {
            name: name.clone(),
            connection: tenancy::connection(&dir),
        };
        args.narrow(dir, name, sign_in);
        let exit = run(args);
        if std::env::var_os(SUMMARY_ENV).is_some() {
            print_figures();
        }
        return exit;
    }
    for (flag, path) in args.shared_paths() {
        if !path.to_string_lossy().contains("{tenant}") {
            bail!(
                "{flag} {}: with several tenants each needs its own file; put {{tenant}} in the path (e.g. plans/{{tenant}}.json)",
                path.display()
            );
        }
    }
    let exe = std::env::current_exe()
        .context("cannot find the entraform executable to run each tenant")?;
    // Every tenant of the repo, selected or not: none of their secrets reaches another's run.
    let all: Vec<(String, Connection)> = tenancy::list(&root)
        .map_err(anyhow::Error::msg)?
        .into_iter()
        .filter_map(|n| {
            let dir = tenancy::tenant_dir(&root, &n).ok()?;
            Some((n, tenancy::connection(&dir)))
        })
        .collect();
    let children: Vec<super::fanout::Child> = names
        .iter()
        .map(|n| {
            let mine = all
                .iter()
                .find(|(a, _)| a == n)
                .map(|(_, c)| c.clone())
                .unwrap_or_default();
            super::fanout::Child {
                name: n.clone(),
                env_remove: foreign_vars(n, &mine, &all),
            }
        })
        .collect();
    super::fanout::run(
        &exe,
        argv,
        A::COMMAND,
        &children,
        usize::from(select.parallel),
        args.report(),
    )
}

/// Print the recorded figures on stderr for the parent's summary table.
fn print_figures() {
    // Only a run that got as far as a plan has figures; the others show `-`.
    let Some(figures) = FIGURES.lock().ok().and_then(|f| f.clone()) else {
        return;
    };
    if let Ok(json) = serde_json::to_string(&figures) {
        eprintln!("{SUMMARY_MARK}{json}");
    }
}

/// `--tenant-seed NAME=FILE` values of `entraform emulator`, checked.
pub fn parse_tenant_seeds(values: &[String]) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut out: Vec<(String, PathBuf)> = Vec::new();
    for v in values {
        let Some((name, file)) = v.split_once('=') else {
            bail!("--tenant-seed {v}: expected NAME=FILE (e.g. contoso=seeds/contoso.yaml)");
        };
        tenancy::tenant_name(name).map_err(|why| anyhow::anyhow!("--tenant-seed {name}: {why}"))?;
        if out.iter().any(|(n, _)| n == name) {
            bail!("--tenant-seed: tenant {name} is given twice");
        }
        out.push((name.to_string(), PathBuf::from(file)));
    }
    Ok(out)
}

/// The `export` lines of a many-tenant emulator: the Graph URL once, and each
/// tenant's sign-in under its conventional variable names.
pub fn emulator_env_lines(
    named: &[(String, PathBuf)],
    tenants: &[graph_emulator::server::EmulatorHandle],
) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(first) = tenants.first() {
        lines.push(format!("export ENTRAFORM_GRAPH_URL={}", first.base_url()));
    }
    for ((name, _), emu) in named.iter().zip(tenants) {
        let p = env_prefix(name);
        lines.push(format!("export {p}AZURE_TENANT_ID={}", emu.tenant_id()));
        match emu.client_credentials() {
            Some((app, secret)) => {
                lines.push(format!("export {p}AZURE_CLIENT_ID={app}"));
                lines.push(format!(
                    "export {p}AZURE_CLIENT_SECRET='{}'",
                    secret.replace('\'', "'\\''")
                ));
            }
            None => lines.push(format!(
                "# tenant {name}: the seed has no application with a client secret to sign in as"
            )),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_never_inherits_another_tenants_secret() {
        let eu = Connection {
            client_secret_env: Some("EU_SECRET".into()),
            ..Connection::default()
        };
        let shared = Connection {
            client_secret_env: Some("EU_SECRET".into()),
            ..Connection::default()
        };
        let all = vec![
            ("eu".to_string(), eu.clone()),
            ("us".to_string(), Connection::default()),
            ("apac".to_string(), shared),
        ];
        let gone = foreign_vars("us", &Connection::default(), &all);
        assert!(gone.contains(&"EU_SECRET".to_string()));
        assert!(gone.contains(&"ENTRAFORM_EU_AZURE_CLIENT_SECRET".to_string()));
        assert!(gone.contains(&"ENTRAFORM_APAC_ENTRAFORM_GRAPH_TOKEN".to_string()));
        assert!(
            !gone.iter().any(|v| v.starts_with("ENTRAFORM_US_")),
            "{gone:?}"
        );
        assert!(
            !gone.iter().any(|v| v.starts_with("AZURE_")),
            "shared fallbacks stay"
        );
        // A variable a tenant names itself stays, even if another names it too.
        let eu_gone = foreign_vars("eu", &eu, &all);
        assert!(!eu_gone.contains(&"EU_SECRET".to_string()), "{eu_gone:?}");
        assert!(eu_gone.contains(&"ENTRAFORM_US_AZURE_CLIENT_ID".to_string()));
        // Naming another tenant's conventional variable gets nothing.
        let thief = Connection {
            client_secret_env: Some("ENTRAFORM_EU_AZURE_CLIENT_SECRET".into()),
            ..Connection::default()
        };
        let stolen = foreign_vars("us", &thief, &all);
        assert!(stolen.contains(&"ENTRAFORM_EU_AZURE_CLIENT_SECRET".to_string()));
    }

    #[test]
    fn prefixes_and_seeds() {
        assert_eq!(env_prefix("contoso-eu"), "ENTRAFORM_CONTOSO_EU_");
        let seeds = parse_tenant_seeds(&["a=x.yaml".into(), "b-2=y.json".into()]).unwrap();
        assert_eq!(seeds[1], ("b-2".to_string(), PathBuf::from("y.json")));
        assert!(parse_tenant_seeds(&["a".into()]).is_err());
        assert!(parse_tenant_seeds(&["A=x".into()]).is_err());
        assert!(parse_tenant_seeds(&["a=x".into(), "a=y".into()]).is_err());
    }

    #[test]
    fn a_tenant_id_never_falls_back_to_the_global_one() {
        let s = SignIn {
            name: "nobody-has-this-tenant".into(),
            connection: Connection::default(),
        };
        assert_eq!(s.lookup("AZURE_TENANT_ID"), Some(None));
        // No credential of its own: the client id and secret are the shared app's.
        assert_eq!(s.lookup("AZURE_CLIENT_SECRET"), None);
        let named = SignIn {
            name: "x".into(),
            connection: Connection {
                tenant_id: Some("t-1".into()),
                client_secret_env: Some("ENTRAFORM_TEST_UNSET_VARIABLE_X".into()),
                ..Connection::default()
            },
        };
        assert_eq!(named.lookup("AZURE_TENANT_ID"), Some(Some("t-1".into())));
        // The block names the secret's variable: unset means unset, never the global one.
        assert_eq!(named.lookup("AZURE_CLIENT_SECRET"), Some(None));
    }
}
