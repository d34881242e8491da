//! The steps apply and reconcile share, written once: stop on a plan with
//! errors or a tripped gate, ask before writing, and keep or discard an
//! in-process emulator's tenant at the end.

use std::io::{BufRead, IsTerminal, Write};

use super::Exit;
use super::connect::{Connection, KeepArgs};
use crate::plan::Plan;

/// Why a plan must not be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    /// The plan has errors (exit 1).
    Errors,
    /// A safety gate stopped it (exit 3).
    Gate,
    /// A SKU has too few free seats (exit 3; no override: Graph would refuse).
    Seats,
}

impl Halt {
    /// Whether `plan` must stop here: errors first, then a tripped gate.
    pub fn of(plan: &Plan) -> Option<Halt> {
        if plan.short_of_seats() {
            Some(Halt::Seats)
        } else if !plan.errors.is_empty() {
            Some(Halt::Errors)
        } else if plan.is_blocked() {
            Some(Halt::Gate)
        } else {
            None
        }
    }

    /// Say so on stderr (`nothing_was`: `applied`, `reconciled`) and give the exit code.
    pub fn report(self, nothing_was: &str) -> Exit {
        match self {
            Halt::Errors => {
                eprintln!("The plan has errors; nothing was {nothing_was}.");
                Exit::Error
            }
            Halt::Gate => {
                eprintln!("A safety gate stopped the plan; nothing was {nothing_was}.");
                Exit::Unsafe
            }
            Halt::Seats => {
                eprintln!(
                    "The plan needs more licence seats than are free (license-seats); nothing was {nothing_was}."
                );
                Exit::Unsafe
            }
        }
    }
}

/// The operator's answer to the confirmation prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Typed `yes`.
    Yes,
    /// Typed anything else.
    No,
    /// Nobody to ask: stdin is not a terminal.
    NoTerminal,
}

/// Ask `question` on stdout (`… Only 'yes' is accepted: `) and read one
/// line; only `yes` consents. Without a terminal nobody is asked.
pub fn confirm(question: &str) -> anyhow::Result<Consent> {
    if !std::io::stdin().is_terminal() {
        return Ok(Consent::NoTerminal);
    }
    print!("{question} Only 'yes' is accepted: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(if answer.trim() == "yes" {
        Consent::Yes
    } else {
        Consent::No
    })
}

/// Run `body` with a connection slot; afterwards, against `--emulator`, keep
/// (`--dump-state`) or discard its tenant, saying which (apply, reconcile).
pub fn keeping_emulator(
    keep: &KeepArgs,
    body: impl FnOnce(&mut Option<Connection>) -> anyhow::Result<Exit>,
) -> anyhow::Result<Exit> {
    let mut conn = None;
    let exit = body(&mut conn);
    let kept = conn
        .as_ref()
        .map(|c: &Connection| c.finish_in_process(keep))
        .transpose();
    let exit = exit?;
    kept?;
    Ok(exit)
}
