//! `entraform reconcile`: plan + apply with the same gates, for scheduled (unattended) runs,
//! with a drift report.
//!
//! The flow is apply's: load the repo, read the tenant, build a fresh plan,
//! stop on errors (exit 1) or a tripped gate (exit 3), confirm, execute. The
//! differences: confirmation is skipped only with an explicit `--unattended`
//! (or `--auto-approve`), `--dry-run` reports without applying, `--report`
//! writes the drift report, and `--detailed-exitcode` exits 2 when drift was
//! found. With `--state-dir`, the run holds `DIR/entraform.lock`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use super::connect::{Connection, TenantArgs};
use super::plan::GateFlags;
use super::progress::count;
use super::{ColorChoice, Exit};
use crate::apply::execute::StepStatus;
use crate::desired::load_dir;
use crate::drift::{self, DriftReport};
use crate::lock::{self, Lock};
use crate::plan::render::{PlanFormat, RenderOptions, render};
use crate::plan::{self};

/// The state directory and its lock (shared by `apply` and `reconcile`).
#[derive(Debug, Clone, clap::Args)]
pub struct LockArgs {
    /// The state directory (snapshot for incremental reads, and the lock).
    /// Without one, no lock is taken.
    #[command(flatten)]
    pub state: super::state::StateArgs,

    /// A lock whose holder runs elsewhere is abandoned after this long without a heartbeat; on this
    /// host only a lock whose process is gone is taken over (a running holder never is).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = lock::parse_duration, env = "ENTRAFORM_LOCK_TIMEOUT")]
    pub lock_timeout: Duration,
}

impl LockArgs {
    /// Take the lock when `--state-dir` was given; warn when a stale lock was taken over.
    pub fn acquire(&self, command: &str) -> anyhow::Result<Option<Lock>> {
        let Some(dir) = &self.state.state_dir else {
            return Ok(None);
        };
        let lock = lock::acquire(dir, command, self.lock_timeout)?;
        if let Some(old) = &lock.took_over {
            eprintln!(
                "warning: took over the stale lock {}: {old}",
                lock.path().display()
            );
        }
        Ok(Some(lock))
    }
}

/// `--report-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// For people (an issue, a chat message, a job summary).
    Markdown,
    /// Versioned JSON for machines.
    Json,
}

/// Arguments of `entraform reconcile`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory repo (every *.yaml / *.yml file below it).
    #[arg(default_value = ".", env = "ENTRAFORM_DIR")]
    pub dir: PathBuf,

    /// A scheduled run with nobody to ask: implies --auto-approve. Safety gates still apply.
    #[arg(long, env = "ENTRAFORM_UNATTENDED")]
    pub unattended: bool,

    /// Apply without asking. Without it (and without --unattended) reconcile asks on a terminal
    /// and refuses otherwise, like apply.
    #[arg(long, env = "ENTRAFORM_AUTO_APPROVE")]
    pub auto_approve: bool,

    /// Report the drift, change nothing.
    #[arg(long, env = "ENTRAFORM_DRY_RUN")]
    pub dry_run: bool,

    /// Write the drift report here (Markdown, or JSON when the name ends in .json).
    #[arg(long, value_name = "FILE", env = "ENTRAFORM_REPORT")]
    pub report: Option<PathBuf>,

    /// Format of --report (default: from the file extension).
    #[arg(long, value_enum, env = "ENTRAFORM_REPORT_FORMAT")]
    pub report_format: Option<ReportFormat>,

    /// Exit 0 when there was no drift, 2 when there was (reverted, or only reported with
    /// --dry-run); 1 error, 3 unsafe either way.
    #[arg(long, env = "ENTRAFORM_DETAILED_EXITCODE")]
    pub detailed_exitcode: bool,

    /// Write new users' initial passwords to this file (mode 0600; never overwritten).
    #[arg(long, value_name = "FILE", env = "ENTRAFORM_CREDENTIALS_OUT")]
    pub credentials_out: Option<PathBuf>,

    /// Append one JSON line per operation outcome to this file, as it happens.
    #[arg(long, value_name = "FILE", env = "ENTRAFORM_JOURNAL")]
    pub journal: Option<PathBuf>,

    #[command(flatten)]
    pub lock: LockArgs,

    #[command(flatten)]
    pub tenant: TenantArgs,

    #[command(flatten)]
    pub keep: super::connect::KeepArgs,

    #[command(flatten)]
    pub gates: GateFlags,
}

impl Args {
    fn write_report(&self, report: &DriftReport) -> anyhow::Result<()> {
        let Some(path) = &self.report else {
            return Ok(());
        };
        let format = self.report_format.unwrap_or_else(|| {
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            {
                ReportFormat::Json
            } else {
                ReportFormat::Markdown
            }
        });
        let text = match format {
            ReportFormat::Markdown => report.to_markdown(),
            ReportFormat::Json => report.to_json(),
        };
        // Directory data: private like the plan file and the journal.
        crate::private_file::write_private(path, text.as_bytes())
            .with_context(|| format!("cannot write the drift report {}", path.display()))
    }

    fn drift_exit(&self) -> Exit {
        if self.detailed_exitcode {
            Exit::Changes
        } else {
            Exit::Ok
        }
    }
}

/// Run `reconcile`; against `--emulator`, then keep (`--dump-state`) or discard its tenant, saying which.
pub fn run(args: Args, color: ColorChoice) -> anyhow::Result<Exit> {
    let keep = args.keep.clone();
    let mut conn = None;
    let exit = reconcile(args, color, &mut conn);
    let kept = conn
        .as_ref()
        .map(|c: &Connection| c.finish_in_process(&keep))
        .transpose();
    let exit = exit?;
    kept?;
    Ok(exit)
}

/// `reconcile` itself; the connection is left in `slot` for [`run`].
fn reconcile(
    args: Args,
    color: ColorChoice,
    slot: &mut Option<Connection>,
) -> anyhow::Result<Exit> {
    let loaded = load_dir(&args.dir);
    let Some(desired) = super::checked(&loaded, &args.dir, color, "nothing was reconciled") else {
        return Ok(Exit::Error);
    };
    // Held until the end of the run (dropped on every return, also on errors).
    let _lock = if args.dry_run {
        None
    } else {
        args.lock.acquire("reconcile")?
    };
    let conn: &Connection = slot.insert(args.tenant.connect()?);
    let live = conn.read(Some(&args.lock.state))?;
    let plan = plan::build(desired, &live, &args.gates.overrides());
    let mut report = DriftReport::from_plan(&plan);
    let opts = RenderOptions {
        color: color.enabled(std::io::stdout().is_terminal()),
        ..RenderOptions::default()
    };
    print!("{}", render(&plan, PlanFormat::Text, &opts));
    if !plan.errors.is_empty() {
        args.write_report(&report)?;
        eprintln!("The plan has errors; nothing was reconciled.");
        return Ok(Exit::Error);
    }
    if plan.is_blocked() {
        args.write_report(&report)?;
        eprintln!("A safety gate stopped the plan; nothing was reconciled.");
        return Ok(Exit::Unsafe);
    }
    if !plan.has_changes() {
        args.write_report(&report)?;
        println!("No drift. The tenant matches the repo.");
        return Ok(Exit::Ok);
    }
    let drift = format!(
        "{} on {}",
        count(report.operations as u64, "operation", "operations"),
        count(report.objects as u64, "object", "objects")
    );
    if args.dry_run {
        println!("Drift: {drift} would be reverted (--dry-run: nothing was changed).");
        report.outcome = drift::Outcome::NotApplied {
            reason: "--dry-run".into(),
        };
        args.write_report(&report)?;
        return Ok(args.drift_exit());
    }
    println!("Drift: {drift} to revert.");
    let steps = plan.steps;
    if !(args.unattended || args.auto_approve) {
        if !std::io::stdin().is_terminal() {
            report.outcome = drift::Outcome::NotApplied {
                reason: "no confirmation".into(),
            };
            args.write_report(&report)?;
            eprintln!(
                "Refusing to reconcile without confirmation: stdin is not a terminal. For scheduled runs pass --unattended."
            );
            return Ok(Exit::Error);
        }
        print!(
            "Revert this drift ({})? Only 'yes' is accepted: ",
            count(steps.len() as u64, "operation", "operations")
        );
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            report.outcome = drift::Outcome::NotApplied {
                reason: "cancelled".into(),
            };
            args.write_report(&report)?;
            println!("Reconcile cancelled.");
            return Ok(args.drift_exit());
        }
    }
    let result = super::execute::run(
        conn,
        &steps,
        super::execute::Outputs {
            credentials: args.credentials_out.as_deref(),
            journal: args.journal.as_deref(),
            state_dir: args.lock.state.state_dir.as_deref(),
        },
    )?;
    let status: std::collections::HashMap<usize, &'static str> = result
        .outcomes
        .iter()
        .map(|o| {
            let word = match o.status {
                StepStatus::Done => "done",
                StepStatus::Failed { .. } => "failed",
                StepStatus::Skipped { .. } => "skipped",
                StepStatus::Interrupted => "interrupted",
            };
            (o.step, word)
        })
        .collect();
    report.applied(
        |step| status.get(&step).copied().unwrap_or("not run"),
        drift::Outcome::Reconciled {
            done: result.done(),
            failed: result.failed(),
            skipped: result.skipped(),
        },
    );
    args.write_report(&report)?;
    // Past tense: this is what the run did.
    let what = match (result.done(), result.failed() + result.skipped()) {
        (_, 0) => "Drift reverted",
        (0, _) => "Drift not reverted",
        _ => "Drift partly reverted",
    };
    println!(
        "{what}: {} done, {} failed, {} skipped ({}).",
        result.done(),
        result.failed(),
        result.skipped(),
        conn.client.counters()
    );
    Ok(if result.failed() > 0 || result.skipped() > 0 {
        Exit::Error
    } else {
        args.drift_exit()
    })
}
