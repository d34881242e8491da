//! The CLI edge of executing steps, shared by `apply` and `reconcile`: progress
//! (a bar on a terminal, lines otherwise), the journal, the credentials file and Ctrl-C.

use std::collections::HashSet;
use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use secrecy::SecretString;

use super::connect::Connection;
use super::credentials::{LedgerFile, RESET_HINT, STATE_LEDGER, some_upns};
use crate::apply::credentials::Settled;
use crate::apply::execute::{CreateEnd, Observer, Outcome, Report, StepStatus, execute};
use crate::apply::password::{InitialPasswords, env_problems, resolve_env};
use crate::desired::state::PasswordPolicy;
use crate::model::Upn;
use crate::plan::Step;
use crate::plan::effect::NewObject;

struct Sinks {
    bar: Option<indicatif::ProgressBar>,
    /// Where new users' passwords (or, without `--credentials-out`, their states) are recorded.
    ledger: Option<LedgerFile>,
    journal: Option<File>,
    failed_io: Option<String>,
    /// Users whose password is generated here (not read from the environment).
    generated: HashSet<Upn>,
    /// Created users whose generated password is not kept anywhere.
    not_kept: Vec<Upn>,
    /// Creates whose `$batch` POST failed: the user may or may not exist.
    unknown: Vec<Upn>,
    /// Users whose Temporary Access Pass was issued without `--credentials-out` (kept nowhere).
    tap_not_kept: Vec<Upn>,
}

impl Sinks {
    fn ledger_failed(&mut self, e: std::io::Error) {
        let path = self
            .ledger
            .as_ref()
            .map(|l| l.path().display().to_string())
            .unwrap_or_default();
        self.failed_io
            .get_or_insert(format!("cannot write the credentials file {path}: {e}"));
    }
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
                "wave {}/{waves}: {finished}/{total} operation{} finished",
                wave + 1,
                if total == 1 { "" } else { "s" }
            ),
        }
    }
    fn before_create(&mut self, users: &[(&Upn, &SecretString)]) -> Result<(), String> {
        let Some(l) = &mut self.ledger else {
            return Ok(());
        };
        // The password-less ledger is about passwords nobody knows: generated ones.
        let users: Vec<(&Upn, &SecretString)> = users
            .iter()
            .filter(|(u, _)| l.keeps_passwords() || self.generated.contains(*u))
            .copied()
            .collect();
        if users.is_empty() {
            return Ok(());
        }
        l.pending(&users)
            .map_err(|e| format!("{}: {e}", l.path().display()))
    }
    fn temporary_access_pass(&mut self, upn: &Upn, pass: &SecretString) {
        match self.ledger.as_mut().filter(|l| l.keeps_passwords()) {
            Some(l) => {
                if let Err(e) = l.temporary_access_pass(upn, pass) {
                    self.ledger_failed(e);
                }
            }
            None => self.tap_not_kept.push(upn.clone()),
        }
    }
    fn password_reset(&mut self, upn: &Upn, password: &SecretString) {
        if let Some(l) = self.ledger.as_mut().filter(|l| l.keeps_passwords())
            && let Err(e) = l.password_reset(upn, password)
        {
            self.ledger_failed(e);
        }
    }
    fn after_create(&mut self, upn: &Upn, end: CreateEnd) {
        let recorded = self
            .ledger
            .as_ref()
            .is_some_and(|l| l.keeps_passwords() || self.generated.contains(upn));
        let how = match end {
            CreateEnd::Created => {
                if self.generated.contains(upn)
                    && !self.ledger.as_ref().is_some_and(|l| l.keeps_passwords())
                {
                    self.not_kept.push(upn.clone());
                }
                Settled::Confirmed
            }
            CreateEnd::NotCreated => Settled::NotCreated,
            CreateEnd::Unknown => {
                self.unknown.push(upn.clone());
                return;
            }
        };
        if let Some(l) = self.ledger.as_mut().filter(|_| recorded)
            && let Err(e) = l.settle(upn, how)
        {
            self.ledger_failed(e);
        }
    }
}

/// Where outcomes and new passwords go.
pub struct Outputs<'a> {
    /// `--credentials-out`.
    pub credentials: Option<&'a Path>,
    /// `--journal`.
    pub journal: Option<&'a Path>,
    /// `--state-dir`: without `--credentials-out`, new users are recorded in
    /// `DIR/new-users.tsv` (no passwords) so the next run can list them.
    pub state_dir: Option<&'a Path>,
}

/// The initial passwords new users take from environment variables
/// (`password: { env: VAR }`), read here at the CLI edge for the executor;
/// refuses a plan where any is unset, empty or unusable — before anything is sent.
pub fn check_passwords(steps: &[Step]) -> anyhow::Result<InitialPasswords> {
    let problems = match resolve_env(steps, |v| std::env::var(v).ok()) {
        Ok(passwords) => return Ok(passwords),
        Err(problems) => problems,
    };
    let list: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
    anyhow::bail!(
        "{} new user(s) cannot get their initial password; nothing was applied:\n{}\nSet the variable(s) (or use `password: generate`) and run again.",
        problems.len(),
        list.join("\n")
    )
}

/// Warn (for `plan`) about new users whose password variable is unset, empty or unusable.
pub fn warn_passwords(steps: &[Step]) {
    for p in env_problems(steps, |v| std::env::var(v).ok()) {
        eprintln!("warning: {p}; apply will refuse to run until it is set");
    }
}

/// Open the ledgers at the start of a run: list the users an earlier run left
/// with an unknown password, and return the ledger this run records in.
fn open_ledgers(steps: &[Step], outputs: &Outputs<'_>) -> anyhow::Result<Option<LedgerFile>> {
    let creating: HashSet<Upn> = steps
        .iter()
        .filter_map(|s| match s.op.new_object() {
            Some(NewObject::User { upn, .. }) => Some(upn.clone()),
            // A guest has no password to record.
            Some(NewObject::Group { .. } | NewObject::Guest { .. }) | None => None,
        })
        .collect();
    let state_ledger = outputs.state_dir.map(|d| d.join(STATE_LEDGER));
    let mut active = None;
    // The credentials file when given; the state directory's ledger is read too
    // (an earlier run may have had no --credentials-out), and records this run
    // when there is no credentials file.
    let candidates = [
        outputs.credentials.map(|p| (p.to_path_buf(), true)),
        state_ledger.map(|p| (p, false)),
    ];
    // Secrets Graph hands out once: a one-off reset's password, a Temporary
    // Access Pass (to the credentials file only).
    let secrets = steps.iter().any(|s| {
        matches!(
            s.op,
            crate::plan::Op::ResetPassword { keep: true, .. }
                | crate::plan::Op::CreateTemporaryAccessPass { .. }
        )
    });
    for (path, passwords) in candidates.into_iter().flatten() {
        let records_here = (!creating.is_empty() && (passwords || outputs.credentials.is_none()))
            || (secrets && passwords);
        if !records_here && !path.exists() {
            continue;
        }
        if let (false, Some(dir)) = (passwords, outputs.state_dir) {
            crate::private_file::create_private_dir(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let (mut file, ledger) = LedgerFile::open(&path, passwords)?;
        let review = super::credentials::review(&mut file, &ledger, &creating)?;
        super::credentials::report_review(&path, &review);
        if records_here && active.is_none() {
            active = Some(file);
        }
    }
    Ok(active)
}

/// Run `steps` against the connected tenant, reporting as they go. Before
/// anything is sent: every `password: { env: VAR }` is checked, the ledgers are
/// read (users an earlier run left with an unknown password are listed), and
/// the credentials file is opened (0600, appended to, never through a link).
pub fn run(conn: &Connection, steps: &[Step], outputs: Outputs<'_>) -> anyhow::Result<Report> {
    let passwords = check_passwords(steps)?;
    let resets: Vec<&Upn> = steps
        .iter()
        .filter_map(|s| match &s.op {
            crate::plan::Op::ResetPassword { user, keep: true } => Some(&user.upn),
            _ => None,
        })
        .collect();
    if !resets.is_empty() && outputs.credentials.is_none() {
        anyhow::bail!(
            "{} user(s) get a new password from `reset_password_after` ({}), which must be kept: give --credentials-out FILE; nothing was applied.",
            resets.len(),
            some_upns(resets.iter().copied())
        );
    }
    let generated: HashSet<Upn> = steps
        .iter()
        .filter_map(|s| match s.op.new_object() {
            Some(NewObject::User {
                upn,
                password: PasswordPolicy::Generate,
            }) => Some(upn.clone()),
            Some(NewObject::User {
                password: PasswordPolicy::Env(_),
                ..
            })
            | Some(NewObject::Group { .. } | NewObject::Guest { .. })
            | None => None,
        })
        .collect();
    let ledger = open_ledgers(steps, &outputs)?;
    let journal = match outputs.journal {
        Some(p) => Some(
            crate::private_file::open_private_append(p)
                .with_context(|| format!("cannot open the journal {}", p.display()))?,
        ),
        None => None,
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(steps.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} operations")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    });
    if !generated.is_empty() && outputs.credentials.is_none() {
        eprintln!(
            "warning: {} new user(s) get a generated password that is not kept anywhere (no --credentials-out); you will have to reset them to hand them over.",
            generated.len()
        );
    }
    let mut sinks = Sinks {
        bar,
        ledger,
        journal,
        failed_io: None,
        generated,
        not_kept: Vec::new(),
        unknown: Vec::new(),
        tap_not_kept: Vec::new(),
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let on_ctrl_c = conn.rt.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("Interrupted: finishing the requests in flight, sending no new ones…");
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let report = conn
        .rt
        .block_on(execute(&conn.client, steps, &passwords, &stop, &mut sinks));
    on_ctrl_c.abort();
    if let Some(bar) = &sinks.bar {
        bar.finish_and_clear();
    }
    if let Some(l) = &mut sinks.ledger
        && let Err(e) = l.sync()
    {
        sinks.ledger_failed(e);
    }
    if report.interrupted() > 0 {
        eprintln!(
            "{} not run because of the interruption; run `plan` to see what remains.",
            super::progress::count(
                report.interrupted() as u64,
                "operation was",
                "operations were"
            )
        );
    }
    if let Some(e) = sinks.failed_io {
        eprintln!("warning: {e}");
    }
    if !sinks.unknown.is_empty() {
        let where_ = sinks.ledger.as_ref().map_or_else(
            || "it was not kept (no --credentials-out)".to_string(),
            |l| format!("it is their `pending` line in {}", l.path().display()),
        );
        eprintln!(
            "warning: Graph may or may not have created {} user(s) (the request carrying them failed): {}. The next `plan` shows which exist; their initial password: {where_}. If in doubt, {RESET_HINT}.",
            sinks.unknown.len(),
            some_upns(sinks.unknown.iter())
        );
    }
    if !sinks.not_kept.is_empty() {
        println!(
            "New users' generated passwords were not kept (use --credentials-out FILE to save them): {}. To hand them over, {RESET_HINT}.",
            some_upns(sinks.not_kept.iter())
        );
    }
    if !sinks.tap_not_kept.is_empty() {
        println!(
            "Temporary Access Passes were issued but not kept (use --credentials-out FILE to save them): {}. Issue a new one in the Microsoft Entra admin center (Users → the user → Authentication methods), which replaces it.",
            some_upns(sinks.tap_not_kept.iter())
        );
    }
    Ok(report)
}
