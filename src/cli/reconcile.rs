//! `entraform reconcile`: plan + apply with the same gates, for scheduled (unattended) runs,
//! with a drift report.
//!
//! The flow is apply's: load the repo, read the tenant, build a fresh plan,
//! stop on errors (exit 1) or a tripped gate (exit 3), confirm, execute. The
//! differences: confirmation is skipped only with an explicit `--unattended`
//! (or `--auto-approve`), `--dry-run` reports without applying, `--report`
//! writes the drift report, and `--detailed-exitcode` exits 2 when drift was
//! found. With `--state-dir`, the run holds `DIR/entraform.lock`.

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Context;

use super::connect::{Connection, KeepArgs, TenantArgs};
use super::flags::{ApproveArgs, GateFlags, LockArgs, RecordArgs};
use super::flow::{Consent, Halt, confirm, keeping_emulator};
use super::progress::count;
use super::{ColorChoice, Exit};
use crate::apply::execute::StepStatus;
use crate::desired::load_dir;
use crate::drift::{self, DriftReport};
use crate::plan::render::{PlanFormat, RenderOptions, render};
use crate::plan::{self};

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

    #[command(flatten)]
    pub approve: ApproveArgs,

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

    #[command(flatten)]
    pub clock: super::flags::ClockArgs,

    #[command(flatten)]
    pub select: super::tenancy::SelectArgs,
}

impl super::tenancy::PerTenant for Args {
    const COMMAND: &'static str = "reconcile";
    fn select(&self) -> &super::tenancy::SelectArgs {
        &self.select
    }
    fn root(&self) -> PathBuf {
        self.dir.clone()
    }
    fn narrow(&mut self, dir: PathBuf, name: &str, sign_in: super::tenancy::SignIn) {
        use super::tenancy::per_tenant;
        self.dir = dir;
        self.tenant.repo_tenant = Some(name.to_string());
        self.tenant.sign_in = Some(sign_in);
        self.lock.state.state_dir = super::tenancy::state_of(&self.lock.state.state_dir, name);
        self.report = self.report.as_deref().map(|p| per_tenant(p, name));
        self.record.journal = self.record.journal.as_deref().map(|p| per_tenant(p, name));
        self.record.credentials_out = self
            .record
            .credentials_out
            .as_deref()
            .map(|p| per_tenant(p, name));
        self.keep.dump_state = self.keep.dump_state.as_deref().map(|p| per_tenant(p, name));
    }
    fn shared_paths(&self) -> Vec<(&'static str, PathBuf)> {
        [
            ("--report", self.report.as_ref()),
            ("--journal", self.record.journal.as_ref()),
            ("--credentials-out", self.record.credentials_out.as_ref()),
            ("--dump-state", self.keep.dump_state.as_ref()),
        ]
        .into_iter()
        .filter_map(|(f, p)| Some((f, p?.clone())))
        .collect()
    }
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

/// Run `reconcile` on `rt`; against `--emulator`, then keep (`--dump-state`) or discard its tenant, saying which.
pub fn run(args: Args, color: ColorChoice, rt: &tokio::runtime::Runtime) -> anyhow::Result<Exit> {
    let keep = args.keep.clone();
    keeping_emulator(&keep, |slot| reconcile(args, color, rt, slot))
}

/// `reconcile` itself; the connection is left in `slot` for [`run`].
fn reconcile(
    args: Args,
    color: ColorChoice,
    rt: &tokio::runtime::Runtime,
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
    let conn: &Connection = slot.insert(args.tenant.connect(rt)?);
    let live = conn.read(Some(&args.lock.state))?;
    let live = conn.with_licenses(live, desired)?;
    let now = args.clock.now();
    let live = conn.with_auth_methods(live, desired, Some(now))?;
    let live = conn.with_devices(live, desired, Some(now))?;
    let plan = plan::build_at(desired, &live, &args.gates.overrides(), now);
    super::tenancy::note(&plan);
    let mut report = DriftReport::from_plan(&plan);
    let opts = RenderOptions {
        color: color.enabled(std::io::stdout().is_terminal()),
        ..RenderOptions::default()
    };
    print!("{}", render(&plan, PlanFormat::Text, &opts));
    if let Some(halt) = Halt::of(&plan) {
        args.write_report(&report)?;
        return Ok(halt.report("reconciled"));
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
    if !(args.unattended || args.approve.auto_approve) {
        let question = format!(
            "Revert this drift ({})?",
            count(steps.len() as u64, "operation", "operations")
        );
        match confirm(&question)? {
            Consent::Yes => {}
            Consent::NoTerminal => {
                report.outcome = drift::Outcome::NotApplied {
                    reason: "no confirmation".into(),
                };
                args.write_report(&report)?;
                eprintln!(
                    "Refusing to reconcile without confirmation: stdin is not a terminal. For scheduled runs pass --unattended."
                );
                return Ok(Exit::Error);
            }
            Consent::No => {
                report.outcome = drift::Outcome::NotApplied {
                    reason: "cancelled".into(),
                };
                args.write_report(&report)?;
                println!("Reconcile cancelled.");
                return Ok(args.drift_exit());
            }
        }
    }
    let result = super::execute::run(
        conn,
        &steps,
        super::execute::Outputs {
            credentials: args.record.credentials_out.as_deref(),
            journal: args.record.journal.as_deref(),
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
