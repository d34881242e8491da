//! Command-line front end: clap types live here and never reach the domain.
//!
//! `main` parses arguments, sets up logging, dispatches to one handler per
//! command and maps the outcome to a process exit code.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// One module per command; a command uses the shared modules below, never another command.
pub mod apply;
pub mod doctor;
pub mod emulator;
pub mod export;
pub mod plan;
pub mod reconcile;
pub mod report;
pub mod schema;
pub mod show;
pub mod snapshot;
pub mod tenants;
pub mod validate;

// Shared by the commands.
pub mod connect;
pub mod credentials;
pub mod env;
pub mod execute;
pub mod fanout;
pub mod flags;
pub mod flow;
pub mod progress;
pub mod saved;
pub mod tenancy;

/// Process exit codes shared by every command (terraform's `-detailed-exitcode` plus "unsafe").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success; for `plan --detailed-exitcode`, "no changes".
    Ok = 0,
    /// An error, or invalid input.
    Error = 1,
    /// `plan --detailed-exitcode`: changes are present.
    Changes = 2,
    /// A safety gate stopped the plan.
    Unsafe = 3,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// entraform: declarative, reviewable management of Microsoft Entra ID users.
///
/// A directory repo holds the desired state of your tenant's people in YAML;
/// entraform validates it, compares it with the live tenant (or the built-in
/// emulator), and shows or applies the difference.
#[derive(Debug, Parser)]
#[command(name = "entraform", version, propagate_version = true)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, env = "ENTRAFORM_VERBOSE")]
    pub verbose: u8,

    /// When to colour output: auto (only on a terminal, honouring NO_COLOR), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, env = "ENTRAFORM_COLOR")]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,

    /// The command line as given (set by [`main`]): what `--all-tenants` runs
    /// again for each tenant.
    #[arg(skip)]
    pub argv: Vec<OsString>,
}

/// Colour policy for human-readable output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Resolve the policy for a stream that is (or is not) a terminal.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && is_terminal
            }
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a directory repo for mistakes (all of them, with file, line and a hint).
    Validate(validate::Args),
    /// Compare the repo with the tenant (or an emulator) and show what would change; changes nothing.
    Plan(Box<plan::Args>),
    /// Compute a fresh plan, show it, ask, and apply it to the tenant.
    Apply(Box<apply::Args>),
    /// Plan and apply with the same gates, for scheduled runs; report the drift it reverts.
    Reconcile(Box<reconcile::Args>),
    /// Show a saved plan (from `plan --out`) exactly as `plan` printed it; reads no tenant.
    Show(show::Args),
    /// Print the JSON Schema of the YAML files (for editors and yaml-language-server).
    Schema(schema::Args),
    /// Serve a local Microsoft Graph v1.0 emulator from a seed until Ctrl-C.
    Emulator(Box<emulator::Args>),
    /// Write a directory repo from the live tenant (or an emulator): the first step of adopting entraform.
    Export(Box<export::Args>),
    /// Write an emulator seed from the live tenant (or an emulator): rehearse changes against a copy of it.
    Snapshot(Box<snapshot::Args>),
    /// Check a tenant before the first plan: permissions, reads, roles (read-only).
    Doctor(Box<doctor::Args>),
    /// List the tenants of a many-tenant repo (tenants/<name>/), e.g. as a CI matrix (`--json`).
    Tenants(tenants::Args),
    /// Read-only reports on the tenant: stale accounts, MFA registration, deleted users, privileged roles, licences.
    Report(Box<report::Args>),
}

/// Entry point used by the binary: parse, run, and map the result to an exit code.
pub fn main<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let argv: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cli = match env::command()
        .try_get_matches_from(argv.clone())
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m))
    {
        Ok(cli) => Cli { argv, ..cli },
        Err(e) => {
            let code = if e.use_stderr() {
                Exit::Error
            } else {
                Exit::Ok
            };
            let _ = e.print();
            return code.into();
        }
    };
    init_logging(cli.verbose);
    match run(cli) {
        Ok(exit) => exit.into(),
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            Exit::Error.into()
        }
    }
}

/// An error and its causes on one line, `outer: inner: …`, each said once: a
/// cause whose words an outer error already carries (a library error that
/// quotes its source) is not repeated.
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// Run a parsed command line; the library-level entry point behind `main`.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    use tenancy::dispatch;
    let (color, argv) = (cli.color, &cli.argv);
    match cli.command {
        Command::Validate(args) => dispatch(argv, args, |a| validate::run(a, color)),
        Command::Plan(args) => dispatch(argv, *args, |a| plan::run(a, color, &runtime()?)),
        Command::Apply(args) => dispatch(argv, *args, |a| apply::run(a, color, &runtime()?)),
        Command::Reconcile(args) => {
            dispatch(argv, *args, |a| reconcile::run(a, color, &runtime()?))
        }
        Command::Show(args) => show::run(args, cli.color),
        Command::Schema(args) => schema::run(args),
        Command::Emulator(args) => emulator::run(*args, &runtime()?),
        Command::Export(args) => dispatch(argv, *args, |a| export::run(a, &runtime()?)),
        Command::Snapshot(args) => snapshot::run(*args, &runtime()?),
        Command::Doctor(args) => dispatch(argv, *args, |a| doctor::run(a, &runtime()?)),
        Command::Tenants(args) => tenants::run(args),
        Command::Report(args) => report::run(*args, cli.color, &runtime()?),
    }
}

/// The one async runtime of a command that talks HTTP, created here at the
/// edge and handed down: the library creates none, and a command keeps the
/// same one from its read to its writes.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The checked state of a loaded repo, or `None` after printing every diagnostic
/// with `consequence` (the caller then exits 1).
fn checked<'a>(
    loaded: &'a crate::desired::Loaded,
    dir: &std::path::Path,
    color: ColorChoice,
    consequence: &str,
) -> Option<&'a crate::desired::DesiredState> {
    use std::io::IsTerminal;
    match &loaded.result {
        Ok((state, _)) => Some(state),
        Err(diags) => {
            let colored = color.enabled(std::io::stderr().is_terminal());
            eprint!(
                "{}",
                crate::desired::render::human(diags, &loaded.sources, colored)
            );
            eprintln!("{}: the repo is invalid; {consequence}", dir.display());
            None
        }
    }
}

/// The log filter for `-v` given `verbose` times: warnings; `-v` INFO (with
/// each Graph HTTP request); `-vv` entraform's DEBUG, its in-process emulator's
/// included (the `graph_emulator` crate; other dependencies stay at INFO: their
/// connection-pool chatter is not ours to show); `-vvv` TRACE of everything.
pub fn log_filter(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn",
        1 => "info",
        2 => "info,entraform=debug,graph_emulator=debug",
        _ => "trace",
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = log_filter(verbose);
    // ENTRAFORM_LOG (an env-filter directive) wins; empty means unset, like every ENTRAFORM_* variable.
    let filter = std::env::var("ENTRAFORM_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
