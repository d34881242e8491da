//! `entraform apply`: compute a fresh plan, show it, confirm, and make it so.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::connect::{Connection, KeepArgs, TenantArgs};
use super::flags::{ApproveArgs, GateFlags, LockArgs, RecordArgs};
use super::flow::{Consent, Halt, confirm, keeping_emulator};
use super::progress::count;
use super::saved::load_plan;
use super::{ColorChoice, Exit};
use crate::desired::{load::digest, load_dir};
use crate::plan::render::{PlanFormat, RenderOptions, render};
use crate::plan::saved::Refusal;
use crate::plan::{self};

/// Arguments of `entraform apply`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory repo (every *.yaml / *.yml file below it; default `.`), or a saved plan
    /// file (`apply plan.json`, same as `--plan plan.json`; the repo is then `--dir`).
    #[arg(env = "ENTRAFORM_DIR")]
    pub dir: Option<PathBuf>,

    /// The directory repo (with a saved plan: the repo the plan was made from).
    #[arg(long = "dir", value_name = "DIR", env = "ENTRAFORM_REPO_DIR")]
    pub repo_dir: Option<PathBuf>,

    #[command(flatten)]
    pub approve: ApproveArgs,

    /// Apply this saved plan (from `plan --out`): the plan is computed again and applied only
    /// if it is the same; refused if the repo or any object it touches changed since.
    #[arg(long, value_name = "FILE", env = "ENTRAFORM_PLAN_FILE")]
    pub plan: Option<PathBuf>,

    #[command(flatten)]
    pub record: RecordArgs,

    #[command(flatten)]
    pub lock: LockArgs,

    #[command(flatten)]
    pub tenant: TenantArgs,

    #[command(flatten)]
    pub keep: KeepArgs,

    #[command(flatten)]
    pub gates: GateFlags,
}

/// The repo directory and the saved plan file, from `DIR`, `plan.json`, `--dir` and `--plan`.
fn resolve(args: &Args) -> anyhow::Result<(PathBuf, Option<PathBuf>)> {
    match &args.dir {
        Some(p) if p.is_file() => {
            if let Some(other) = args.plan.as_ref().filter(|o| *o != p) {
                anyhow::bail!(
                    "two saved plans given: {} and --plan {}; give one",
                    p.display(),
                    other.display()
                );
            }
            let dir = args.repo_dir.clone().unwrap_or_else(|| PathBuf::from("."));
            Ok((dir, Some(p.clone())))
        }
        positional => {
            if let (Some(a), Some(b)) = (positional, &args.repo_dir)
                && a != b
            {
                anyhow::bail!(
                    "two directory repos given: {} and --dir {}; give one",
                    a.display(),
                    b.display()
                );
            }
            let dir = args
                .repo_dir
                .clone()
                .or_else(|| positional.clone())
                .unwrap_or_else(|| PathBuf::from("."));
            Ok((dir, args.plan.clone()))
        }
    }
}

fn refuse(path: &Path, r: &Refusal) -> Exit {
    if r.is_success() {
        println!("Saved plan {}: {r}.", path.display());
        return Exit::Ok;
    }
    eprintln!("error: refusing to apply {}: {r}", path.display());
    eprintln!("Nothing was applied.");
    if r.is_gate() {
        Exit::Unsafe
    } else {
        Exit::Error
    }
}

/// Run `apply` on `rt`; against `--emulator`, then keep (`--dump-state`) or discard its tenant, saying which.
pub fn run(args: Args, color: ColorChoice, rt: &tokio::runtime::Runtime) -> anyhow::Result<Exit> {
    let keep = args.keep.clone();
    keeping_emulator(&keep, |slot| apply(args, color, rt, slot))
}

/// `apply` itself; the connection is left in `slot` for [`run`].
fn apply(
    args: Args,
    color: ColorChoice,
    rt: &tokio::runtime::Runtime,
    slot: &mut Option<Connection>,
) -> anyhow::Result<Exit> {
    let (dir, plan_path) = resolve(&args)?;
    let saved = match &plan_path {
        Some(path) => match load_plan(path)? {
            Some(p) => Some((path.as_path(), p)),
            None => return Ok(Exit::Error),
        },
        None => None,
    };
    let loaded = load_dir(&dir);
    let Some(desired) = super::checked(&loaded, &dir, color, "nothing was applied") else {
        return Ok(Exit::Error);
    };
    let _lock = args.lock.acquire("apply")?;
    let conn: &Connection = slot.insert(args.tenant.connect(rt)?);
    let opts = RenderOptions {
        color: color.enabled(std::io::stdout().is_terminal()),
        ..RenderOptions::default()
    };
    let given = args.gates.overrides();
    let steps = match saved {
        Some((path, saved)) => {
            // The file is the reviewer's commitment: the plan that runs is computed here,
            // from the repo and the tenant as they are now, and must equal it.
            let overrides = match saved.check_before_read(
                &conn.target(),
                &digest(&dir, &loaded.sources),
                &given,
            ) {
                Ok(o) => o,
                Err(r) => return Ok(refuse(path, &r)),
            };
            let live = conn.read(Some(&args.lock.state))?;
            let live = conn.with_licenses(live, desired)?;
            let fresh = plan::build(desired, &live, &overrides);
            if !fresh.errors.is_empty() {
                print!("{}", render(&fresh, PlanFormat::Text, &opts));
                eprintln!(
                    "error: refusing to apply {}: the plan computed now has errors; nothing was applied.",
                    path.display()
                );
                return Ok(Exit::Error);
            }
            if let Err(r) = saved.check_fresh(&fresh, &live) {
                return Ok(refuse(path, &r));
            }
            print!("{}", render(&fresh, PlanFormat::Text, &opts));
            if fresh.is_blocked() {
                eprintln!(
                    "error: refusing to apply {}: a safety gate stops this plan against the tenant as it is now; nothing was applied.",
                    path.display()
                );
                let unrecorded: Vec<&str> = fresh
                    .gates
                    .iter()
                    .filter(|g| g.tripped && !g.overridden && given.allows(g.gate))
                    .map(|g| g.gate.flag())
                    .collect();
                if !unrecorded.is_empty() {
                    eprintln!(
                        "{} counts for a saved plan only when the plan was made with it (reviewers then see the override): plan again with it.",
                        unrecorded.join(", ")
                    );
                }
                return Ok(Exit::Unsafe);
            }
            println!(
                "Saved plan {} is current: {} in {}.",
                path.display(),
                count(fresh.steps.len() as u64, "operation", "operations"),
                count(fresh.waves() as u64, "wave", "waves")
            );
            fresh.steps
        }
        None => {
            let live = conn.read(Some(&args.lock.state))?;
            let live = conn.with_licenses(live, desired)?;
            let plan = plan::build(desired, &live, &given);
            print!("{}", render(&plan, PlanFormat::Text, &opts));
            if let Some(halt) = Halt::of(&plan) {
                return Ok(halt.report("applied"));
            }
            plan.steps
        }
    };
    if steps.is_empty() {
        println!("No changes. The tenant matches the repo.");
        return Ok(Exit::Ok);
    }
    super::execute::check_passwords(&steps)?;
    if !args.approve.auto_approve {
        let question = format!(
            "Apply {} to the tenant?",
            if steps.len() == 1 {
                "this operation".to_string()
            } else {
                format!("these {} operations", steps.len())
            }
        );
        match confirm(&question)? {
            Consent::Yes => {}
            Consent::NoTerminal => {
                eprintln!(
                    "Refusing to apply without confirmation: stdin is not a terminal. Review the plan and pass --auto-approve."
                );
                return Ok(Exit::Error);
            }
            Consent::No => {
                println!("Apply cancelled.");
                return Ok(Exit::Ok);
            }
        }
    }
    let report = super::execute::run(
        conn,
        &steps,
        super::execute::Outputs {
            credentials: args.record.credentials_out.as_deref(),
            journal: args.record.journal.as_deref(),
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
