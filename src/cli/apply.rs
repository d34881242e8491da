//! `entraform apply`: compute a fresh plan, show it, confirm, and make it so.

use std::fs::File;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};

use super::connect::TenantArgs;
use super::plan::GateFlags;
use super::{ColorChoice, Exit};
use crate::apply::execute::{Observer, Outcome, StepStatus, execute};
use crate::desired::{load::digest, load_dir, render as diag_render};
use crate::model::Upn;
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

struct Sinks {
    bar: Option<indicatif::ProgressBar>,
    credentials: Option<File>,
    journal: Option<File>,
    failed_io: Option<String>,
}

impl Observer for Sinks {
    fn outcome(&mut self, o: &Outcome) {
        let line = match &o.status {
            StepStatus::Done => {
                tracing::info!(step = o.step, op = o.op, object = %o.object, "done");
                None
            }
            StepStatus::Interrupted => None,
            StepStatus::Failed { error } => Some(format!(
                "failed: step {} {} {}: {error}",
                o.step, o.op, o.object
            )),
            StepStatus::Skipped { because_of } => Some(format!(
                "skipped: step {} {} {} (depends on step {because_of})",
                o.step, o.op, o.object
            )),
        };
        if let Some(line) = line {
            match &self.bar {
                Some(bar) => bar.println(line),
                None => eprintln!("{line}"),
            }
        }
        if let Some(j) = &mut self.journal {
            let line = serde_json::to_string(o).unwrap_or_default();
            if let Err(e) = writeln!(j, "{line}").and_then(|_| j.flush()) {
                self.failed_io
                    .get_or_insert(format!("cannot write the journal: {e}"));
            }
        }
    }
    fn progress(&mut self, wave: usize, waves: usize, finished: usize, total: usize) {
        eprintln!(
            "wave {}/{waves}: {finished}/{total} operations finished",
            wave + 1
        );
    }
    fn credential(&mut self, upn: &Upn, password: &SecretString) {
        if let Some(f) = &mut self.credentials
            && let Err(e) =
                writeln!(f, "{upn}\t{}", password.expose_secret()).and_then(|_| f.flush())
        {
            self.failed_io
                .get_or_insert(format!("cannot write the credentials file: {e}"));
        }
    }
}

fn create_private(path: &PathBuf) -> anyhow::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))
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
    let desired = match &loaded.result {
        Ok((state, _)) => state,
        Err(diags) => {
            eprint!(
                "{}",
                diag_render::human(
                    diags,
                    &loaded.sources,
                    color.enabled(std::io::stderr().is_terminal())
                )
            );
            eprintln!(
                "{}: the repo is invalid; nothing was applied",
                args.dir.display()
            );
            return Ok(Exit::Error);
        }
    };
    let _lock = args.lock.acquire("apply")?;
    let conn = args.tenant.connect()?;
    let live = conn.read()?;
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
    let creates_users = steps
        .iter()
        .any(|s| matches!(s.op, crate::plan::Op::CreateUser { .. }));
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(steps.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} operations")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    let mut sinks = Sinks {
        bar,
        credentials: match &args.credentials_out {
            Some(p) if creates_users => Some(create_private(p)?),
            _ => None,
        },
        journal: match &args.journal {
            Some(p) => Some(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .with_context(|| format!("cannot open the journal {}", p.display()))?,
            ),
            None => None,
        },
        failed_io: None,
    };
    let graph_root = conn.client.auth().cloud.graph();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let report = rt.block_on(async {
        let flag = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("Interrupted: finishing the requests in flight, sending no new ones…");
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        });
        execute(&conn.client, &steps, &graph_root, &stop, &mut sinks).await
    });
    if let Some(bar) = &sinks.bar {
        bar.finish_and_clear();
    }
    if report.interrupted() > 0 {
        eprintln!(
            "{} operations were not run because of the interruption; run `plan` to see what remains.",
            report.interrupted()
        );
    }
    println!(
        "Apply finished: {} done, {} failed, {} skipped ({}).",
        report.done(),
        report.failed(),
        report.skipped(),
        conn.client.counters()
    );
    if let Some(e) = sinks.failed_io {
        eprintln!("warning: {e}");
    }
    if creates_users && args.credentials_out.is_none() {
        println!(
            "New users' generated passwords were not kept (use --credentials-out FILE to save them)."
        );
    }
    Ok(if report.failed() > 0 || report.skipped() > 0 {
        Exit::Error
    } else {
        Exit::Ok
    })
}
