//! The CLI edge of executing steps, shared by `apply` and `reconcile`: progress
//! (a bar on a terminal, lines otherwise), the journal, the credentials file and Ctrl-C.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};

use super::connect::Connection;
use crate::apply::execute::{Observer, Outcome, Report, StepStatus, execute};
use crate::model::Upn;
use crate::plan::{Op, Step};

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
        match &self.bar {
            Some(bar) => {
                bar.set_length(total as u64);
                bar.set_position(finished as u64);
                bar.set_message(format!("wave {}/{waves}", wave + 1));
            }
            None => eprintln!(
                "wave {}/{waves}: {finished}/{total} operations finished",
                wave + 1
            ),
        }
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

/// Create a file only the owner can read, refusing to overwrite one.
fn create_private(path: &Path) -> anyhow::Result<File> {
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

/// Where outcomes and new passwords go.
pub struct Outputs<'a> {
    /// `--credentials-out`.
    pub credentials: Option<&'a Path>,
    /// `--journal`.
    pub journal: Option<&'a Path>,
}

/// Run `steps` against the connected tenant, reporting as they go. The
/// credentials file is created (0600, never overwritten) before anything is sent.
pub fn run(conn: &Connection, steps: &[Step], outputs: Outputs<'_>) -> anyhow::Result<Report> {
    let creates_users = steps.iter().any(|s| matches!(s.op, Op::CreateUser { .. }));
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
        credentials: match outputs.credentials {
            Some(p) if creates_users => Some(create_private(p)?),
            _ => None,
        },
        journal: match outputs.journal {
            Some(p) => Some(
                crate::private_file::open_private_append(p)
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
        execute(&conn.client, steps, &graph_root, &stop, &mut sinks).await
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
    if let Some(e) = sinks.failed_io {
        eprintln!("warning: {e}");
    }
    if creates_users && outputs.credentials.is_none() {
        println!(
            "New users' generated passwords were not kept (use --credentials-out FILE to save them)."
        );
    }
    Ok(report)
}
