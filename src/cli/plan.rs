//! `entraform plan`: compare the directory repo with the tenant and show the plan.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;

use super::connect::TenantArgs;
use super::flags::{GateFlags, OutFormat, StateArgs};
use super::{ColorChoice, Exit};
use crate::desired::{load::digest, load_dir};
use crate::plan::render::RenderOptions;
use crate::plan::saved::SavedPlan;
use crate::plan::{self};

/// Arguments of `entraform plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory repo (every *.yaml / *.yml file below it).
    #[arg(default_value = ".", env = "ENTRAFORM_DIR")]
    pub dir: PathBuf,

    /// Output format: text (terminal), markdown (PR comment), json (machines), dot (dependency
    /// graph), github (errors as GitHub Actions annotations on the repo's files).
    #[arg(long, value_enum, default_value_t = OutFormat::Text, env = "ENTRAFORM_PLAN_FORMAT")]
    pub format: OutFormat,

    /// Save the plan (JSON, with a digest of the repo and fingerprints of the live objects) for `apply`.
    #[arg(long, value_name = "FILE", env = "ENTRAFORM_PLAN_OUT")]
    pub out: Option<PathBuf>,

    /// Exit 0 when there are no changes, 2 when there are (1 error, 3 unsafe either way).
    #[arg(long, env = "ENTRAFORM_DETAILED_EXITCODE")]
    pub detailed_exitcode: bool,

    #[command(flatten)]
    pub tenant: TenantArgs,

    #[command(flatten)]
    pub state: StateArgs,

    #[command(flatten)]
    pub gates: GateFlags,

    #[command(flatten)]
    pub clock: super::flags::ClockArgs,

    #[command(flatten)]
    pub select: super::tenancy::SelectArgs,
}

impl super::tenancy::PerTenant for Args {
    const COMMAND: &'static str = "plan";
    fn select(&self) -> &super::tenancy::SelectArgs {
        &self.select
    }
    fn root(&self) -> PathBuf {
        self.dir.clone()
    }
    fn narrow(&mut self, dir: PathBuf, name: &str, sign_in: super::tenancy::SignIn) {
        self.dir = dir;
        self.tenant.repo_tenant = Some(name.to_string());
        self.tenant.sign_in = Some(sign_in);
        self.state.state_dir = super::tenancy::state_of(&self.state.state_dir, name);
        self.out = self
            .out
            .as_deref()
            .map(|p| super::tenancy::per_tenant(p, name));
    }
    fn shared_paths(&self) -> Vec<(&'static str, PathBuf)> {
        self.out.iter().map(|p| ("--out", p.clone())).collect()
    }
    fn report(&self) -> super::fanout::Report {
        match self.format {
            OutFormat::Markdown => super::fanout::Report::Markdown,
            OutFormat::Json => super::fanout::Report::Json,
            OutFormat::Text | OutFormat::Dot | OutFormat::Github => super::fanout::Report::Text,
        }
    }
}

/// Run `plan` on `rt`.
pub fn run(args: Args, color: ColorChoice, rt: &tokio::runtime::Runtime) -> anyhow::Result<Exit> {
    let mut loaded = load_dir(&args.dir);
    if super::checked(
        &loaded,
        &args.dir,
        color,
        "fix the errors above (see `entraform validate`)",
    )
    .is_none()
    {
        return Ok(Exit::Error);
    }
    // From here the repo's text serves only the saved plan's digest: take it now and
    // free the text (about 50 MB with its line index for 100,000 users) before the
    // tenant is read.
    let repo_digest = args
        .out
        .is_some()
        .then(|| digest(&args.dir, &loaded.sources));
    drop(std::mem::take(&mut loaded.sources));
    let Ok((desired, _)) = &loaded.result else {
        return Ok(Exit::Error);
    };
    let conn = args.tenant.connect(rt)?;
    let live = conn.read(Some(&args.state))?;
    let live = conn.with_licenses(live, desired)?;
    let now = args.clock.now();
    let live = conn.with_auth_methods(live, desired, Some(now))?;
    let live = conn.with_devices(live, desired, Some(now))?;
    let plan = plan::build_at(desired, &live, &args.gates.overrides(), now);
    super::tenancy::note(&plan);
    let opts = RenderOptions {
        color: args.format == OutFormat::Text && color.enabled(std::io::stdout().is_terminal()),
        ..RenderOptions::default()
    };
    super::execute::warn_passwords(&plan.steps);
    let mut out = std::io::stdout().lock();
    out.write_all(args.format.render(&plan, &opts).as_bytes())?;
    if let (Some(path), Some(repo_digest)) = (&args.out, repo_digest) {
        // Written also when the plan has errors or is blocked: reviewers can read it
        // (`entraform show`), and apply refuses it.
        let mut saved = SavedPlan::new(
            &plan,
            &live,
            &conn.target(),
            repo_digest,
            &args.gates.overrides(),
        )
        .at(now);
        saved.tenant = args.tenant.repo_tenant.clone();
        let text = saved.to_json()?;
        crate::private_file::write_private(path, text.as_bytes())
            .with_context(|| format!("cannot write the plan to {}", path.display()))?;
        tracing::info!(path = %path.display(), "plan saved");
    }
    Ok(if plan.short_of_seats() {
        Exit::Unsafe
    } else if !plan.errors.is_empty() {
        Exit::Error
    } else if plan.is_blocked() {
        Exit::Unsafe
    } else if args.detailed_exitcode && plan.has_changes() {
        Exit::Changes
    } else {
        Exit::Ok
    })
}
