//! `entraform export`: write a directory repo from the live tenant (or an emulator).

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Exit;
use super::connect::TenantArgs;
use crate::desired::validate::upn_problem;
use crate::export::{ExportOptions, SplitBy, UserFilter, export};
use crate::model::Upn;

/// Arguments of `entraform export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write the repo into (created if missing; must be empty unless --force).
    #[arg(long, value_name = "DIR", env = "ENTRAFORM_EXPORT_OUT")]
    pub out: PathBuf,

    /// How users are split into files: users/<department>.yaml, users/<domain>.yaml, or one users.yaml.
    #[arg(long, value_enum, default_value_t = Split::Department, env = "ENTRAFORM_EXPORT_SPLIT_BY")]
    pub split_by: Split,

    /// Declare only users matching this filter: startswith(prop,'text') or prop eq 'text'
    /// (joined with `and`), applied by entraform to the users it read.
    #[arg(long, value_name = "FILTER", env = "ENTRAFORM_EXPORT_USERS")]
    pub users: Option<String>,

    /// Leave these users out (repeatable or comma-separated); they go to `scope.exclude`.
    #[arg(long, value_name = "UPN", num_args = 1.., value_delimiter = ',', env = "ENTRAFORM_EXPORT_EXCLUDE")]
    pub exclude: Vec<String>,

    /// Also declare disabled users (with `enabled: false`).
    #[arg(long, env = "ENTRAFORM_EXPORT_INCLUDE_DISABLED")]
    pub include_disabled: bool,

    /// Write into a non-empty directory, overwriting files with the same names.
    #[arg(long, env = "ENTRAFORM_EXPORT_FORCE")]
    pub force: bool,

    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// `--split-by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Split {
    /// One file per department.
    Department,
    /// One file per UPN domain.
    Domain,
    /// A single users.yaml.
    None,
}

impl From<Split> for SplitBy {
    fn from(s: Split) -> Self {
        match s {
            Split::Department => SplitBy::Department,
            Split::Domain => SplitBy::Domain,
            Split::None => SplitBy::None,
        }
    }
}

fn is_non_empty_dir(p: &Path) -> anyhow::Result<bool> {
    match std::fs::read_dir(p) {
        Ok(mut it) => Ok(it.next().is_some()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
    }
}

/// Run `export`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    let users = match args.users.as_deref() {
        Some(f) => Some(UserFilter::parse(f)?),
        None => None,
    };
    let mut exclude = Vec::new();
    for e in args
        .exclude
        .iter()
        .map(|e| e.trim())
        .filter(|e| !e.is_empty())
    {
        if let Some(problem) = upn_problem(e) {
            anyhow::bail!("--exclude `{e}` is not a UPN: {problem}");
        }
        exclude.push(Upn::new_unchecked(e));
    }
    if args.out.exists() && !args.out.is_dir() {
        anyhow::bail!("{} exists and is not a directory", args.out.display());
    }
    if !args.force && is_non_empty_dir(&args.out)? {
        eprintln!(
            "error: {} is not empty; export writes a new repo (use --force to overwrite files in it)",
            args.out.display()
        );
        return Ok(Exit::Error);
    }
    let conn = args.tenant.connect()?;
    let live = conn.read(None)?;
    let opts = ExportOptions {
        split_by: args.split_by.into(),
        users,
        exclude,
        include_disabled: args.include_disabled,
    };
    let result = export(&live, &opts)?;
    // Never through a symbolic link below --out (see export::write).
    crate::export::write::write_files(&args.out, &result.files)?;
    for n in &result.notes {
        eprintln!("note: {n}");
    }
    println!(
        "Exported {} users, {} groups and {} roles into {} ({} files). Review them, commit, then run `entraform plan {}`.",
        result.users,
        result.groups,
        result.roles,
        args.out.display(),
        result.files.len(),
        args.out.display()
    );
    Ok(Exit::Ok)
}
