//! `entraform apply`: compute a fresh plan, show it, confirm, and make it so.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;

use super::connect::TenantArgs;
use super::plan::GateFlags;
use super::{ColorChoice, Exit};
use crate::desired::{load::digest, load_dir};
use crate::plan::render::{PlanFormat, RenderOptions, render};
use crate::plan::saved::LoadedPlan;
use crate::plan::{self};

/// Arguments of `entraform apply`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory repo (every *.yaml / *.yml file below it), or a saved plan file
    /// (`apply plan.json`, same as `--plan plan.json`; the repo is then `--dir`).
    #[arg(default_value = ".", env = "ENTRAFORM_DIR")]
    pub dir: PathBuf,

    /// The directory repo when the positional argument is a saved plan.
    #[arg(long = "dir", value_name = "DIR", env = "ENTRAFORM_REPO_DIR")]
    pub repo_dir: Option<PathBuf>,

    /// Apply without asking (for CI). Without it, apply asks on a terminal and refuses otherwise.
    #[arg(long, env = "ENTRAFORM_AUTO_APPROVE")]
    pub auto_approve: bool,

    /// Write new users' initial passwords to this file (created with mode 0600; never overwritten).
    /// Without it, generated passwords are not kept anywhere.
    #[arg(long, value_name = "FILE", env = "ENTRAFORM_CREDENTIALS_OUT")]
    pub credentials_out: Option<PathBuf>,

    /// Apply exactly this saved plan (from `plan --out`) instead of a fresh one; refused if the
    /// repo or any object it touches changed since.
    #[arg(long, value_name = "FILE", env = "ENTRAFORM_PLAN_FILE")]
    pub plan: Option<PathBuf>,

    /// Append one JSON line per operation outcome to this file, as it happens.
    #[arg(long, value_name = "FILE", env = "ENTRAFORM_JOURNAL")]
    pub journal: Option<PathBuf>,

    #[command(flatten)]
    pub lock: super::reconcile::LockArgs,

    #[command(flatten)]
    pub tenant: TenantArgs,

    #[command(flatten)]
    pub gates: GateFlags,
}

/// Run `apply`.
pub fn run(mut args: Args, color: ColorChoice) -> anyhow::Result<Exit> {
    if args.dir.is_file() {
        // `apply plan.json [--dir DIR]`.
        args.plan = Some(std::mem::replace(
            &mut args.dir,
            args.repo_dir.clone().unwrap_or_else(|| PathBuf::from(".")),
        ));
    }
    let loaded = load_dir(&args.dir);
    let Some(desired) = super::checked(&loaded, &args.dir, color, "nothing was applied") else {
        return Ok(Exit::Error);
    };
    let _lock = args.lock.acquire("apply")?;
    let conn = args.tenant.connect()?;
    let live = conn.read(Some(&args.lock.state))?;
    let steps = match &args.plan {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the plan {}", path.display()))?;
            let saved: LoadedPlan = serde_json::from_str(&text).with_context(|| {
                format!(
                    "{} is not a plan written by `entraform plan --out`",
                    path.display()
                )
            })?;
            if let Err(e) = saved.check(&digest(&args.dir, &loaded.sources), &live) {
                eprintln!("error: refusing to apply {}: {e}", path.display());
                return Ok(Exit::Error);
            }
            let waves = saved
                .plan
                .steps
                .iter()
                .map(|s| s.wave + 1)
                .max()
                .unwrap_or(0);
            println!(
                "Saved plan {} is current: {} operations in {waves} waves.",
                path.display(),
                saved.plan.steps.len()
            );
            saved.plan.steps
        }
        None => {
            let plan = plan::build(desired, &live, &args.gates.overrides());
            let opts = RenderOptions {
                color: color.enabled(std::io::stdout().is_terminal()),
                ..RenderOptions::default()
            };
            print!("{}", render(&plan, PlanFormat::Text, &opts));
            if !plan.errors.is_empty() {
                eprintln!("The plan has errors; nothing was applied.");
                return Ok(Exit::Error);
            }
            if plan.is_blocked() {
                eprintln!("A safety gate stopped the plan; nothing was applied.");
                return Ok(Exit::Unsafe);
            }
            plan.steps
        }
    };
    if steps.is_empty() {
        println!("No changes. The tenant matches the repo.");
        return Ok(Exit::Ok);
    }
    super::execute::check_passwords(&steps)?;
    if !args.auto_approve {
        if !std::io::stdin().is_terminal() {
            eprintln!(
                "Refusing to apply without confirmation: stdin is not a terminal. Review the plan and pass --auto-approve."
            );
            return Ok(Exit::Error);
        }
        print!(
            "Apply these {} operations to the tenant? Only 'yes' is accepted: ",
            steps.len()
        );
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            println!("Apply cancelled.");
            return Ok(Exit::Ok);
        }
    }
    let report = super::execute::run(
        &conn,
        &steps,
        super::execute::Outputs {
            credentials: args.credentials_out.as_deref(),
            journal: args.journal.as_deref(),
            state_dir: args.lock.state.state_dir.as_deref(),
        },
    )?;
    println!(
        "Apply finished: {} done, {} failed, {} skipped ({}).",
        report.done(),
        report.failed(),
        report.skipped(),
        conn.client.counters()
    );
    Ok(if report.failed() > 0 || report.skipped() > 0 {
        Exit::Error
    } else {
        Exit::Ok
    })
}
