//! `entraform validate`: load and check a directory repo.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use super::{ColorChoice, Exit};
use crate::desired::render::{self, Format};
use crate::desired::{Severity, load_dir};

/// Arguments of `entraform validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory repo to check (every *.yaml / *.yml file below it; hidden folders skipped).
    #[arg(default_value = ".", env = "ENTRAFORM_DIR")]
    pub dir: PathBuf,

    /// How to print problems: human (snippets), json (for tools), github (inline PR annotations).
    #[arg(long, value_enum, default_value_t = DiagFormat::Human, env = "ENTRAFORM_FORMAT")]
    pub format: DiagFormat,

    #[command(flatten)]
    pub select: super::tenancy::SelectArgs,
}

impl super::tenancy::PerTenant for Args {
    const COMMAND: &'static str = "validate";
    fn select(&self) -> &super::tenancy::SelectArgs {
        &self.select
    }
    fn root(&self) -> PathBuf {
        self.dir.clone()
    }
    fn narrow(&mut self, dir: PathBuf, _name: &str, _sign_in: super::tenancy::SignIn) {
        self.dir = dir;
    }
    fn shared_paths(&self) -> Vec<(&'static str, PathBuf)> {
        Vec::new()
    }
    fn report(&self) -> super::fanout::Report {
        match self.format {
            DiagFormat::Json => super::fanout::Report::Json,
            DiagFormat::Human | DiagFormat::Github => super::fanout::Report::Text,
        }
    }
}

/// `--format` for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiagFormat {
    /// Source snippets with a hint for each problem (on stderr), summary on stdout.
    Human,
    /// One JSON document on stdout.
    Json,
    /// GitHub Actions `::error file=…,line=…,col=…::` lines on stdout.
    Github,
}

impl From<DiagFormat> for Format {
    fn from(f: DiagFormat) -> Self {
        match f {
            DiagFormat::Human => Format::Human,
            DiagFormat::Json => Format::Json,
            DiagFormat::Github => Format::Github,
        }
    }
}

/// `1 user`, `2 users`.
fn n(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// Run `validate`: exit 0 when the repo is valid, 1 when it is not.
pub fn run(args: Args, color: ColorChoice) -> anyhow::Result<Exit> {
    let loaded = load_dir(&args.dir);
    let (diags, summary) = match &loaded.result {
        Ok((state, warnings)) => (
            warnings.as_slice(),
            Some(format!(
                "{}: valid — {}, {}, {} in {}",
                args.dir.display(),
                n(state.users.len(), "user", "users"),
                n(state.groups.len(), "group", "groups"),
                n(state.roles.len(), "role", "roles"),
                n(loaded.sources.files().len(), "file", "files")
            )),
        ),
        Err(diags) => (diags.as_slice(), None),
    };
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let mut out = std::io::stdout().lock();
    match args.format {
        DiagFormat::Human => {
            let use_color = color.enabled(std::io::stderr().is_terminal());
            eprint!("{}", render::human(diags, &loaded.sources, use_color));
            match summary {
                Some(s) => writeln!(out, "{s}")?,
                None => eprintln!(
                    "{}: {errors} error{} found in {} file{}",
                    args.dir.display(),
                    if errors == 1 { "" } else { "s" },
                    loaded.sources.files().len(),
                    if loaded.sources.files().len() == 1 {
                        ""
                    } else {
                        "s"
                    },
                ),
            }
        }
        DiagFormat::Json | DiagFormat::Github => {
            write!(
                out,
                "{}",
                render::render(diags, &loaded.sources, args.format.into(), false)
            )?;
        }
    }
    Ok(if errors > 0 { Exit::Error } else { Exit::Ok })
}
