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
    let plan = plan::build(desired, &live, &args.gates.overrides());
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
        let saved = SavedPlan::new(
            &plan,
            &live,
            &conn.target(),
            repo_digest,
            &args.gates.overrides(),
        );
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
