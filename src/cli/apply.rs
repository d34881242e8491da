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

    #[command(flatten)]
    pub clock: super::flags::ClockArgs,

    #[command(flatten)]
    pub select: super::tenancy::SelectArgs,
}

impl super::tenancy::PerTenant for Args {
    const COMMAND: &'static str = "apply";
    fn select(&self) -> &super::tenancy::SelectArgs {
        &self.select
    }
    fn root(&self) -> PathBuf {
        // A positional `plans/{tenant}.json` is a plan file per tenant, not the repo.
        if self
            .dir
            .as_ref()
            .is_some_and(|p| p.to_string_lossy().contains("{tenant}"))
        {
            return self.repo_dir.clone().unwrap_or_else(|| PathBuf::from("."));
        }
        resolve(self).map_or_else(|_| PathBuf::from("."), |(dir, _)| dir)
    }
    fn narrow(&mut self, dir: PathBuf, name: &str, sign_in: super::tenancy::SignIn) {
        use super::tenancy::per_tenant;
        // The positional argument stays only as a saved plan (the repo is the tenant's folder).
        let positional_plan = self
            .dir
            .take()
            .filter(|p| p.is_file() || p.to_string_lossy().contains("{tenant}"));
        if let Some(p) = positional_plan {
            // Passed on as --plan: a missing per-tenant file is then reported as such.
            self.plan = Some(p);
        }
        self.repo_dir = Some(dir);
        self.plan = self.plan.as_deref().map(|p| per_tenant(p, name));
        self.tenant.repo_tenant = Some(name.to_string());
        self.tenant.sign_in = Some(sign_in);
        self.lock.state.state_dir = super::tenancy::state_of(&self.lock.state.state_dir, name);
        self.record.journal = self.record.journal.as_deref().map(|p| per_tenant(p, name));
        self.record.credentials_out = self
            .record
            .credentials_out
            .as_deref()
            .map(|p| per_tenant(p, name));
        self.keep.dump_state = self.keep.dump_state.as_deref().map(|p| per_tenant(p, name));
    }
    fn shared_paths(&self) -> Vec<(&'static str, PathBuf)> {
        let positional = self
            .dir
            .as_ref()
            .filter(|p| p.is_file() || p.to_string_lossy().contains("{tenant}"));
        [
            ("--plan", positional.or(self.plan.as_ref())),
            ("--journal", self.record.journal.as_ref()),
            ("--credentials-out", self.record.credentials_out.as_ref()),
            ("--dump-state", self.keep.dump_state.as_ref()),
        ]
        .into_iter()
        .filter_map(|(f, p)| Some((f, p?.clone())))
        .collect()
    }
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
            Some(p) => {
                // First: a plan made for another repo tenant is never applied here.
                if let Err(r) = p.check_repo_tenant(args.tenant.repo_tenant.as_deref()) {
                    return Ok(refuse(path, &r));
                }
                Some((path.as_path(), p))
            }
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
            // The moment the reviewed plan was computed for (older files: now).
            let now = saved.planned_at.unwrap_or_else(|| args.clock.now());
            let live = conn.with_auth_methods(live, desired, Some(now))?;
            let live = conn.with_devices(live, desired, Some(now))?;
            let fresh = plan::build_at(desired, &live, &overrides, now);
            super::tenancy::note(&fresh);
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
            let now = args.clock.now();
            let live = conn.with_auth_methods(live, desired, Some(now))?;
            let live = conn.with_devices(live, desired, Some(now))?;
            let plan = plan::build_at(desired, &live, &given, now);
            super::tenancy::note(&plan);
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
