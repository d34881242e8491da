//! Several tenants at once: one child process per tenant (this binary with
//! `--tenant NAME`), at most `--parallel` running, every one waited for;
//! then their outputs in tenant order, one summary table, and the worst exit.
//!
//! Exit codes, worst first: 1 (an error, a tenant that could not run or sign
//! in), 3 (a safety gate stopped a tenant's plan), 2 (changes, with
//! `--detailed-exitcode`), 0.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use super::Exit;

/// The variable a child gets to have its one-tenant run report its figures
/// on stderr for the summary table (internal; not a user setting).
pub const SUMMARY_ENV: &str = "ENTRAFORM_TENANT_SUMMARY";
/// The stderr line prefix of that report.
pub const SUMMARY_MARK: &str = "::entraform-tenant-summary::";

/// What one tenant's run found, for the summary table.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Figures {
    /// Operations planned.
    pub changes: usize,
    /// Ids of the safety gates that stopped the plan.
    pub gates: Vec<String>,
    /// Errors in the plan.
    pub errors: usize,
}

/// How the tenants' outputs are put together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// Each tenant's output under a header, then the summary table.
    Text,
    /// One Markdown document (one PR comment): the table, then a section per tenant.
    Markdown,
    /// One JSON document: a `tenants` array with each tenant's figures and output.
    Json,
}

/// GitHub refuses comments over 65,536 characters; the whole comment stays under this.
const MARKDOWN_BUDGET: usize = 60_000;
/// Most characters of one error line shown in the summary.
const NOTE_CHARS: usize = 300;

/// What one tenant's child process did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The tenant.
    pub name: String,
    /// Its exit code.
    pub exit: Exit,
    /// What it printed on stdout.
    pub stdout: String,
    /// Its stderr, without the summary line.
    pub stderr: String,
    /// Its figures, when it got as far as a plan.
    pub figures: Option<Figures>,
}

impl Outcome {
    /// The first `error:` line of its stderr (shortened), for the table.
    pub fn error_line(&self) -> Option<String> {
        let line = self
            .stderr
            .lines()
            .find(|l| l.starts_with("error:"))
            .or_else(|| {
                (self.exit == Exit::Error)
                    .then(|| self.stderr.lines().last())
                    .flatten()
            })?;
        let mut s: String = line.chars().take(NOTE_CHARS).collect();
        if line.chars().count() > NOTE_CHARS {
            s.push('…');
        }
        Some(s)
    }
}

/// How bad an exit is, for "the worst of the tenants".
fn rank(e: Exit) -> u8 {
    match e {
        Exit::Ok => 0,
        Exit::Changes => 1,
        Exit::Unsafe => 2,
        Exit::Error => 3,
    }
}

/// The worst of `exits` (0 for none).
pub fn worst(exits: impl IntoIterator<Item = Exit>) -> Exit {
    exits
        .into_iter()
        .max_by_key(|e| rank(*e))
        .unwrap_or(Exit::Ok)
}

fn exit_of(code: Option<i32>) -> Exit {
    match code {
        Some(0) => Exit::Ok,
        Some(2) => Exit::Changes,
        Some(3) => Exit::Unsafe,
        _ => Exit::Error,
    }
}

fn exit_word(e: Exit) -> &'static str {
    match e {
        Exit::Ok => "0 ok",
        Exit::Changes => "2 changes",
        Exit::Unsafe => "3 unsafe",
        Exit::Error => "1 error",
    }
}

/// The child's arguments: the command line as given without the tenant
/// selection flags, plus `--tenant NAME`.
pub fn child_args(argv: &[OsString], name: &str) -> Vec<OsString> {
    let mut out = Vec::with_capacity(argv.len() + 2);
    let mut skip_value = false;
    let mut rest = false;
    for a in argv.iter().skip(1) {
        if rest {
            out.push(a.clone());
            continue;
        }
        if skip_value {
            skip_value = false;
            continue;
        }
        let s = a.to_string_lossy();
        if s == "--" {
            rest = true;
            out.push(a.clone());
            continue;
        }
        if s == "--tenant" || s == "--parallel" {
            skip_value = true;
            continue;
        }
        if s.starts_with("--tenant=")
            || s.starts_with("--parallel=")
            || s == "--all-tenants"
            || s.starts_with("--all-tenants=")
        {
            continue;
        }
        out.push(a.clone());
    }
    let at = out.iter().position(|a| a == "--").unwrap_or(out.len());
    out.insert(at, OsString::from(format!("--tenant={name}")));
    out
}

/// One tenant's child process: its name and the variables it must not inherit.
#[derive(Debug, Clone)]
pub struct Child {
    /// The repo tenant.
    pub name: String,
    /// Other tenants' sign-in variables ([`super::tenancy::foreign_vars`]).
    pub env_remove: Vec<String>,
}

/// The child process of one tenant: one tenant selected, the selection
/// variables and the other tenants' sign-in variables removed.
fn command(exe: &Path, argv: &[OsString], child: &Child) -> Command {
    let mut cmd = Command::new(exe);
    for v in &child.env_remove {
        cmd.env_remove(v);
    }
    cmd.args(child_args(argv, &child.name))
        .env_remove("ENTRAFORM_TENANT")
        .env_remove("ENTRAFORM_ALL_TENANTS")
        .env_remove("ENTRAFORM_PARALLEL")
        .env(SUMMARY_ENV, "1")
        .stdin(Stdio::null());
    cmd
}

fn run_one(exe: &Path, argv: &[OsString], child: &Child) -> Outcome {
    let name = child.name.as_str();
    let output = command(exe, argv, child).output();
    match output {
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let mut figures = None;
            let mut stderr = String::with_capacity(err.len());
            for line in err.lines() {
                match line.strip_prefix(SUMMARY_MARK) {
                    Some(json) => figures = serde_json::from_str(json).ok(),
                    None => {
                        stderr.push_str(line);
                        stderr.push('\n');
                    }
                }
            }
            Outcome {
                name: name.to_string(),
                exit: exit_of(o.status.code()),
                stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                stderr,
                figures,
            }
        }
        Err(e) => Outcome {
            name: name.to_string(),
            exit: Exit::Error,
            stdout: String::new(),
            stderr: format!("error: cannot start {}: {e}\n", exe.display()),
            figures: None,
        },
    }
}

/// Run every tenant, `parallel` at a time; outcomes in `children` order.
pub fn run_all(exe: &Path, argv: &[OsString], children: &[Child], parallel: usize) -> Vec<Outcome> {
    let queue: Arc<Mutex<VecDeque<(usize, Child)>>> =
        Arc::new(Mutex::new(children.iter().cloned().enumerate().collect()));
    let results: Arc<Mutex<Vec<Option<Outcome>>>> =
        Arc::new(Mutex::new(vec![None; children.len()]));
    std::thread::scope(|s| {
        for _ in 0..parallel.clamp(1, children.len().max(1)) {
            let queue = queue.clone();
            let results = results.clone();
            s.spawn(move || {
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.pop_front());
                    let Some((i, child)) = next else {
                        break;
                    };
                    let name = &child.name;
                    tracing::info!(tenant = %name, "tenant started");
                    let outcome = run_one(exe, argv, &child);
                    tracing::info!(tenant = %name, exit = outcome.exit as u8, "tenant finished");
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(outcome);
                    }
                }
            });
        }
    });
    let results = results.lock().map(|r| r.clone()).unwrap_or_default();
    children
        .iter()
        .zip(results)
        .map(|(child, o)| {
            o.unwrap_or_else(|| Outcome {
                name: child.name.clone(),
                exit: Exit::Error,
                stdout: String::new(),
                stderr: "error: the tenant's run was lost\n".into(),
                figures: None,
            })
        })
        .collect()
}

fn cells(o: &Outcome) -> (String, String) {
    match &o.figures {
        Some(f) => (
            f.changes.to_string(),
            if f.gates.is_empty() {
                "ok".to_string()
            } else {
                format!("stopped: {}", f.gates.join(", "))
            },
        ),
        None => ("-".into(), "-".into()),
    }
}

/// The summary table as text.
pub fn text_table(outcomes: &[Outcome]) -> String {
    let w = outcomes
        .iter()
        .map(|o| o.name.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut s = format!(
        "{:<w$}  {:>7}  {:<20}  {:<9}  note\n",
        "tenant", "changes", "gates", "exit"
    );
    for o in outcomes {
        let (changes, gates) = cells(o);
        let note = if o.exit == Exit::Error {
            o.error_line().unwrap_or_default()
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "{:<w$}  {:>7}  {:<20}  {:<9}  {}",
            o.name,
            changes,
            gates,
            exit_word(o.exit),
            note
        );
    }
    s.trim_end_matches(' ').to_string()
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// One Markdown document: the summary table, then a section per tenant.
pub fn markdown(command: &str, outcomes: &[Outcome]) -> String {
    let mut s = format!(
        "## entraform {command}: {} tenants\n\n| Tenant | Changes | Gates | Exit |\n|---|---:|---|---|\n",
        outcomes.len()
    );
    for o in outcomes {
        let (changes, gates) = cells(o);
        let mut exit = exit_word(o.exit).to_string();
        if let (Exit::Error, Some(line)) = (o.exit, o.error_line()) {
            exit = format!("{exit}: {}", md_cell(&line));
        }
        let _ = writeln!(s, "| `{}` | {changes} | {gates} | {exit} |", o.name);
    }
    let per = MARKDOWN_BUDGET.saturating_sub(s.len()) / outcomes.len().max(1);
    for o in outcomes {
        let _ = write!(s, "\n### Tenant `{}`\n\n", o.name);
        let mut body = o.stdout.trim_end().to_string();
        if body.is_empty()
            && let Some(line) = o.error_line()
        {
            body = format!("~~~text\n{}\n~~~", line.replace("~~~", "~ ~ ~"));
        }
        if body.len() > per {
            let mut cut = per.saturating_sub(80);
            while !body.is_char_boundary(cut) {
                cut -= 1;
            }
            body.truncate(cut);
            body.push_str("\n\n… (cut to fit one comment: see this tenant's job log)");
        }
        s.push_str(&body);
        s.push('\n');
    }
    s
}

/// One JSON document with every tenant's figures and output.
pub fn json(command: &str, outcomes: &[Outcome]) -> String {
    let tenants: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| {
            let output = serde_json::from_str::<serde_json::Value>(&o.stdout)
                .unwrap_or_else(|_| serde_json::Value::String(o.stdout.clone()));
            serde_json::json!({
                "tenant": o.name,
                "exit": o.exit as u8,
                "changes": o.figures.as_ref().map(|f| f.changes),
                "gates": o.figures.as_ref().map(|f| f.gates.clone()),
                "error": if o.exit == Exit::Error { o.error_line() } else { None },
                "output": output,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "format_version": 1,
        "command": command,
        "exit": worst(outcomes.iter().map(|o| o.exit)) as u8,
        "tenants": tenants,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// Run `command` for every tenant in `children` and report them together.
pub fn run(
    exe: &Path,
    argv: &[OsString],
    command: &str,
    children: &[Child],
    parallel: usize,
    report: Report,
) -> anyhow::Result<Exit> {
    eprintln!(
        "Running {command} for {} tenants, at most {} at once.",
        children.len(),
        parallel.min(children.len())
    );
    // Ctrl-C reaches every child (one process group): each stops as it would
    // alone (apply finishes its wave). This process waits for them and still
    // prints what they did, instead of dying first and closing their pipes.
    let signals = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    signals.spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("interrupted: waiting for the tenants' runs to stop");
        }
    });
    let outcomes = run_all(exe, argv, children, parallel);
    signals.shutdown_background();
    // Each tenant's stderr, prefixed with its name, in tenant order.
    for o in &outcomes {
        for line in o.stderr.lines() {
            eprintln!("[{}] {line}", o.name);
        }
    }
    let mut out = std::io::stdout().lock();
    match report {
        Report::Markdown => out.write_all(markdown(command, &outcomes).as_bytes())?,
        Report::Json => out.write_all(json(command, &outcomes).as_bytes())?,
        Report::Text => {
            for o in &outcomes {
                writeln!(out, "==> tenant {} ({})", o.name, exit_word(o.exit))?;
                out.write_all(o.stdout.as_bytes())?;
                if !o.stdout.ends_with('\n') && !o.stdout.is_empty() {
                    writeln!(out)?;
                }
            }
            writeln!(out, "\n{}", text_table(&outcomes))?;
        }
    }
    Ok(worst(outcomes.iter().map(|o| o.exit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_does_not_inherit_the_other_tenants_sign_in_variables() {
        let child = Child {
            name: "eu".into(),
            env_remove: vec!["ENTRAFORM_US_AZURE_CLIENT_SECRET".into()],
        };
        let cmd = command(Path::new("entraform"), &[OsString::from("plan")], &child);
        let removed: Vec<_> = cmd
            .get_envs()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        assert!(removed.contains(&"ENTRAFORM_US_AZURE_CLIENT_SECRET".to_string()));
        assert!(removed.contains(&"ENTRAFORM_TENANT".to_string()));
        assert!(cmd.get_args().any(|a| a == "--tenant=eu"));
    }

    #[test]
    fn the_worst_exit_is_error_then_unsafe_then_changes() {
        assert_eq!(worst([Exit::Ok, Exit::Changes, Exit::Unsafe]), Exit::Unsafe);
        assert_eq!(worst([Exit::Unsafe, Exit::Error, Exit::Ok]), Exit::Error);
        assert_eq!(worst([Exit::Ok, Exit::Changes]), Exit::Changes);
        assert_eq!(worst([]), Exit::Ok);
    }

    #[test]
    fn children_get_one_tenant_and_no_selection_flags() {
        let argv: Vec<OsString> = [
            "entraform",
            "plan",
            "repo",
            "--all-tenants",
            "--parallel",
            "2",
            "--tenant=a,b",
            "--format",
            "markdown",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let got: Vec<String> = child_args(&argv, "b")
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(got, ["plan", "repo", "--format", "markdown", "--tenant=b"]);
    }
}
