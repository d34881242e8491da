//! How environment variables fill in flags, one rule for every flag.
//!
//! Every flag of every command can come from an environment variable
//! (`ENTRAFORM_…`, `AZURE_…`). Two rules apply to all of them, here rather
//! than on each flag so that a new flag cannot miss them:
//!
//! - a variable that is set but empty counts as unset (CI systems and
//!   `docker run -e VAR=` set empty variables; `ENTRAFORM_DRY_RUN=""` must not
//!   be an error, nor `ENTRAFORM_STATE_DIR=""` a state directory named "");
//! - the variable of an on/off flag (`--dry-run`, `--allow-…`) takes the usual
//!   spellings: `1`/`0`, `true`/`false`, `yes`/`no`, `on`/`off` (any case).

use clap::builder::BoolishValueParser;
use clap::{ArgAction, CommandFactory};

use super::Cli;

/// The command line of entraform, with the environment rules above applied.
pub fn command() -> clap::Command {
    adjust(Cli::command())
}

/// Apply the rules to `cmd`'s arguments and, recursively, its subcommands'.
fn adjust(mut cmd: clap::Command) -> clap::Command {
    let ids: Vec<clap::Id> = cmd
        .get_arguments()
        .filter(|a| a.get_env().is_some())
        .map(|a| a.get_id().clone())
        .collect();
    for id in ids {
        cmd = cmd.mut_arg(id, |mut arg| {
            let empty = arg
                .get_env()
                .and_then(std::env::var_os)
                .is_some_and(|v| v.is_empty());
            if empty {
                // `Arg::env(None)` forgets the variable: the flag's default applies.
                arg = arg.env(None);
            }
            if matches!(arg.get_action(), ArgAction::SetTrue) {
                arg = arg.value_parser(BoolishValueParser::new());
            }
            arg
        });
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in subs {
        cmd = cmd.mut_subcommand(name, adjust);
    }
    cmd
}
