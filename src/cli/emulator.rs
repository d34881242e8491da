//! `entraform emulator`: serve a local Microsoft Graph v1.0 tenant from a seed
//! until Ctrl-C (see `docs/emulator.md`).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

use super::Exit;
use graph_emulator::server::EmulatorHandle;
use graph_emulator::{BatchOrder, Emulator, EmulatorConfig, FaultConfig, Seed, SyntheticSpec};

/// Arguments of `entraform emulator`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Seed file (JSON or YAML tenant snapshot); see docs/emulator.md.
    #[arg(
        long,
        env = "ENTRAFORM_EMULATOR_SEED",
        required_unless_present_any = ["synthetic", "tenant_seed"]
    )]
    pub seed: Option<PathBuf>,

    /// Serve several tenants at once, one seed each: NAME=FILE, repeatable (or comma-separated in
    /// the variable). NAME is the repo's tenant folder name; the `export` lines printed then use the
    /// per-tenant variable names (`ENTRAFORM_<NAME>_AZURE_TENANT_ID`, …, see docs/format.md). The
    /// token endpoint `/{tenant}/oauth2/v2.0/token` picks the tenant, and Graph requests are served
    /// by the tenant of their token's `tid`.
    #[arg(
        long,
        value_name = "NAME=FILE",
        value_delimiter = ',',
        conflicts_with_all = ["seed", "synthetic", "dump_state"],
        env = "ENTRAFORM_EMULATOR_TENANT_SEEDS"
    )]
    pub tenant_seed: Vec<String>,

    /// Instead of a seed file, generate a tenant: USERS,GROUPS,MEMBERSHIPS (e.g. 1000,50,5000).
    #[arg(long, value_name = "USERS,GROUPS,MEMBERSHIPS", conflicts_with = "seed")]
    pub synthetic: Option<String>,

    /// Address to listen on (port 0 picks a free port); loopback only unless --allow-remote.
    #[arg(long, default_value = "127.0.0.1:0", env = "ENTRAFORM_EMULATOR_ADDR")]
    pub addr: SocketAddr,

    /// Allow a non-loopback --addr. The /_emulator control endpoints need no token:
    /// anyone who reaches the port can read the tenant and switch faults.
    #[arg(long, env = "ENTRAFORM_EMULATOR_ALLOW_REMOTE")]
    pub allow_remote: bool,

    /// Run $batch items that do not depend on each other in the order drawn from
    /// this seed (default: a random seed, printed at start; Graph promises no order).
    #[arg(long, value_name = "N", conflicts_with = "batch_in_order")]
    pub shuffle_seed: Option<u64>,

    /// Run $batch items in list order (gentler than Graph; for debugging a client).
    #[arg(long)]
    pub batch_in_order: bool,

    /// Delta rounds after a token return only id and the changed properties
    /// (as with `Prefer: return=minimal`), manager@delta only when it changed, in shuffled order.
    #[arg(long, env = "ENTRAFORM_EMULATOR_DELTA_MINIMAL")]
    pub delta_minimal: bool,

    /// Seed for fault decisions and generated ids (same seed, same run).
    #[arg(long, default_value_t = 0)]
    pub fault_seed: u64,

    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,

    /// Extra random latency up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_jitter_ms: u64,

    /// Throttle with 429 + Retry-After once the resource-unit budget per 10 s is spent.
    #[arg(long)]
    pub throttle: bool,

    /// Resource units per 10 s (0 = Graph's budget for the tenant's size).
    #[arg(long, default_value_t = 0)]
    pub read_budget: u32,

    /// Writes per 150 s (0 = Graph's 3,000).
    #[arg(long, default_value_t = 0)]
    pub write_budget: u32,

    /// Fraction (0..1) of requests answered with 503/504.
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,

    /// Milliseconds during which a just-created object may read as 404.
    #[arg(long, default_value_t = 0)]
    pub replication_delay_ms: u64,

    /// Fraction (0..1) of such reads that miss (0 = all of them).
    #[arg(long, default_value_t = 0.0)]
    pub replication_miss_rate: f64,

    /// Fraction (0..1) of requests (and batch items) answered 429 regardless of the budget.
    #[arg(long, default_value_t = 0.0)]
    pub throttle_rate: f64,

    /// Retry-After of rate-based 429s, in milliseconds (0 = 1 s).
    #[arg(long, default_value_t = 0)]
    pub retry_after_ms: u64,

    /// Answer requests under this path prefix (after /v1.0) with 403, as if a permission were missing; repeatable.
    #[arg(long, value_name = "PREFIX")]
    pub deny_path: Vec<String>,

    /// Fraction (0..1) of successful writes applied and then answered 500/503/504.
    #[arg(long, default_value_t = 0.0)]
    pub commit_then_fail_rate: f64,

    /// Refuse this property in `users/delta` `$select` with Graph's 400; repeatable.
    #[arg(long, value_name = "PROPERTY")]
    pub delta_refuse_select: Vec<String>,

    /// Most users per page with $expand (Graph's known issue: 100); 0 lets $top decide.
    #[arg(
        long,
        default_value_t = 100,
        env = "ENTRAFORM_EMULATOR_EXPAND_PAGE_CAP"
    )]
    pub expand_page_cap: usize,

    /// Split a group's members@delta over several pages after this many entries (0 = never).
    #[arg(long, default_value_t = 0, env = "ENTRAFORM_EMULATOR_DELTA_MEMBER_CAP")]
    pub delta_member_cap: usize,

    /// Delta tokens older than this get `400 syncStateNotFound` (Graph: 7 days).
    #[arg(long, value_name = "DURATION", default_value = "7d", value_parser = crate::lock::parse_duration, env = "ENTRAFORM_EMULATOR_DELTA_TOKEN_LIFETIME")]
    pub delta_token_lifetime: std::time::Duration,

    /// Work one request may do: filter clauses evaluated × objects (and manager
    /// levels expanded), shared by a $batch's items; beyond it the request gets 400.
    #[arg(long, value_name = "UNITS", default_value_t = graph_emulator::limits::MAX_WORK)]
    pub max_work: u64,

    /// On Ctrl-C, write the final tenant (seed format, no secrets) to this file.
    #[arg(long, value_name = "FILE")]
    pub dump_state: Option<PathBuf>,

    /// Once listening, also write the `export …` lines printed on stdout to this file (mode 0600,
    /// written whole and renamed into place), for scripts: wait for it, then `. ./FILE`.
    #[arg(long, value_name = "FILE", env = "ENTRAFORM_EMULATOR_ENV_FILE")]
    pub env_file: Option<PathBuf>,
}

/// A value for a POSIX shell, quoted only when it needs to be.
fn sh_quote(v: &str) -> String {
    let plain = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-:/@%+=,".contains(c));
    if plain {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "'\\''"))
    }
}

/// The lines that point entraform at this emulator, ready to paste into a
/// shell (or `eval`): Graph URL, tenant, and the first application that can
/// sign in (with its client secret, or else a bearer token).
pub fn env_lines(emu: &EmulatorHandle) -> Vec<String> {
    let mut lines = vec![
        format!("export ENTRAFORM_GRAPH_URL={}", sh_quote(emu.base_url())),
        format!("export AZURE_TENANT_ID={}", sh_quote(&emu.tenant_id())),
    ];
    if let Some((app, secret)) = emu.client_credentials() {
        lines.push(format!("export AZURE_CLIENT_ID={}", sh_quote(&app)));
        lines.push(format!("export AZURE_CLIENT_SECRET={}", sh_quote(&secret)));
    } else if let Some(app) = emu.state().applications.first().map(|a| a.app_id.clone()) {
        // No application has a secret: a token the emulator issued (valid about an hour).
        let token = emu.issue_token(&app);
        lines.push(format!("export AZURE_CLIENT_ID={}", sh_quote(&app)));
        lines.push(format!("export ENTRAFORM_GRAPH_TOKEN={}", sh_quote(&token)));
    } else {
        lines.push(
            "# the seed has no `applications` entry to sign in as: add one with an appId and clientSecrets"
                .to_string(),
        );
    }
    lines
}

fn parse_synthetic(s: &str) -> anyhow::Result<SyntheticSpec> {
    let n: Vec<usize> = s
        .split(',')
        .map(|x| x.trim().parse::<usize>())
        .collect::<Result<_, _>>()
        .context("--synthetic expects three numbers: USERS,GROUPS,MEMBERSHIPS")?;
    match n.as_slice() {
        [users, groups, memberships] => Ok(SyntheticSpec {
            users: *users,
            groups: *groups,
            memberships: *memberships,
            rng_seed: 1,
        }),
        _ => anyhow::bail!("--synthetic expects three numbers: USERS,GROUPS,MEMBERSHIPS"),
    }
}

/// Run `emulator` on `rt`: print the base URL and the `export` lines on stdout, serve until Ctrl-C.
pub fn run(args: Args, rt: &tokio::runtime::Runtime) -> anyhow::Result<Exit> {
    let named = super::tenancy::parse_tenant_seeds(&args.tenant_seed)?;
    let seeds: Vec<Seed> = match (&args.seed, &args.synthetic) {
        _ if !named.is_empty() => named
            .iter()
            .map(|(name, path)| {
                Seed::from_file(path).with_context(|| {
                    format!("cannot load the seed of tenant {name} ({})", path.display())
                })
            })
            .collect::<anyhow::Result<_>>()?,
        (_, Some(spec)) => vec![Seed::synthetic(parse_synthetic(spec)?)],
        (Some(path), None) => vec![Seed::from_file(path)?],
        (None, None) => anyhow::bail!("give --seed FILE or --synthetic USERS,GROUPS,MEMBERSHIPS"),
    };
    let config = EmulatorConfig {
        addr: args.addr,
        id_seed: args.fault_seed,
        expand_page_cap: args.expand_page_cap,
        delta_member_cap: args.delta_member_cap,
        delta_token_lifetime: args.delta_token_lifetime,
        batch_order: match (args.shuffle_seed, args.batch_in_order) {
            (_, true) => BatchOrder::Listed,
            (Some(seed), false) => BatchOrder::Seeded(seed),
            (None, false) => BatchOrder::Random,
        },
        delta_minimal: args.delta_minimal,
        allow_remote: args.allow_remote,
        max_work: args.max_work,
        faults: FaultConfig {
            seed: args.fault_seed,
            latency_ms: args.latency_ms,
            latency_jitter_ms: args.latency_jitter_ms,
            throttle: args.throttle,
            read_budget: args.read_budget,
            write_budget: args.write_budget,
            error_rate: args.error_rate,
            replication_delay_ms: args.replication_delay_ms,
            replication_miss_rate: args.replication_miss_rate,
            throttle_rate: args.throttle_rate,
            retry_after_ms: args.retry_after_ms,
            deny_paths: args.deny_path,
            commit_then_fail_rate: args.commit_then_fail_rate,
            delta_refused_select: args.delta_refuse_select,
        },
    };
    let dump_state = args.dump_state.clone();
    let env_file = args.env_file.clone();
    rt.block_on(async move {
        let emu = Emulator::serve_many(seeds, config).await?;
        let lines = if named.is_empty() {
            env_lines(&emu.handle())
        } else {
            super::tenancy::emulator_env_lines(&named, &emu.tenants())
        };
        if let Some(path) = &env_file {
            let mut text = lines.join("\n");
            text.push('\n');
            crate::private_file::write_private(path, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        // stdout: the base URL (first line, for scripts), then the lines to paste, in one
        // write: a reader that takes the first line and closes the pipe still gets them
        // all, and a closed stdout does not stop the server.
        let mut banner = format!("{}\n", emu.base_url());
        for l in &lines {
            banner.push_str(l);
            banner.push('\n');
        }
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(banner.as_bytes()).and_then(|()| out.flush()) {
            tracing::debug!(error = %e, "stdout is closed; serving anyway");
        }
        drop(out);
        eprintln!("Graph endpoint: {}", emu.graph_url());
        eprintln!("Token endpoint: {}", emu.token_url());
        eprintln!(
            "Point entraform at it: paste the `export` lines above into another shell{}, then e.g. `entraform plan examples/desired-state`.",
            env_file
                .as_ref()
                .map(|p| format!(" (or `. {}`)", p.display()))
                .unwrap_or_default()
        );
        eprintln!("Serving until Ctrl-C.");
        tokio::signal::ctrl_c()
            .await
            .context("cannot listen for Ctrl-C")?;
        for (i, t) in emu.tenants().iter().enumerate() {
            let metrics = serde_json::to_string_pretty(&t.metrics())?;
            match named.get(i) {
                Some((name, _)) => eprintln!("Requests served (tenant {name}):\n{metrics}"),
                None => eprintln!("Requests served:\n{metrics}"),
            }
        }
        if let Some(path) = &dump_state {
            let state = serde_json::to_string_pretty(&emu.state())?;
            std::fs::write(path, state)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("State written to {}", path.display());
        }
        emu.shutdown().await;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::sh_quote;

    #[test]
    fn shell_values_are_quoted_only_when_needed_and_always_safely() {
        assert_eq!(sh_quote("http://127.0.0.1:4000"), "http://127.0.0.1:4000");
        assert_eq!(sh_quote("emulator-only-secret"), "emulator-only-secret");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("$(rm -rf ~)"), "'$(rm -rf ~)'");
        assert_eq!(sh_quote("it's"), "'it'\\''s'");
        assert_eq!(sh_quote(""), "''");
    }
}
