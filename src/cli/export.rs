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

    /// Write into a non-empty directory, replacing an earlier export completely: its files that
    /// this export does not write are removed; a file no export wrote is never overwritten.
    #[arg(long, env = "ENTRAFORM_EXPORT_FORCE")]
    pub force: bool,

    #[command(flatten)]
    pub tenant: TenantArgs,

    #[command(flatten)]
    pub select: super::tenancy::SelectArgs,
}

/// With `--tenant NAME`, `--out` is the many-tenant repo's root and the
/// tenant is exported into its existing folder `tenants/NAME/` (with
/// `--force`), signing in as that tenant.
impl super::tenancy::PerTenant for Args {
    const COMMAND: &'static str = "export";
    fn select(&self) -> &super::tenancy::SelectArgs {
        &self.select
    }
    fn root(&self) -> PathBuf {
        self.out.clone()
    }
    fn narrow(&mut self, dir: PathBuf, name: &str, sign_in: super::tenancy::SignIn) {
        self.out = dir;
        self.tenant.repo_tenant = Some(name.to_string());
        self.tenant.sign_in = Some(sign_in);
    }
    fn shared_paths(&self) -> Vec<(&'static str, PathBuf)> {
        Vec::new()
    }
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

/// Up to ten paths, then how many more.
fn shown_paths(paths: &[PathBuf]) -> String {
    let mut s: Vec<String> = paths
        .iter()
        .take(10)
        .map(|p| p.display().to_string())
        .collect();
    if paths.len() > 10 {
        s.push(format!("and {} more", paths.len() - 10));
    }
    s.join(", ")
}

/// Run `export`.
pub fn run(args: Args, rt: &tokio::runtime::Runtime) -> anyhow::Result<Exit> {
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
            "error: {} is not empty; export writes a new repo (use --force to replace an earlier export in it)",
            args.out.display()
        );
        return Ok(Exit::Error);
    }
    let conn = args.tenant.connect(rt)?;
    let live = conn.read(None)?;
    let live = conn.licenses_for_export(live);
    let opts = ExportOptions {
        split_by: args.split_by.into(),
        users,
        exclude,
        include_disabled: args.include_disabled,
    };
    let mut result = export(&live, &opts)?;
    // The `files:` rule of the tenant.yaml being replaced is the repo's, not the tenant's: keep it.
    let rule = crate::desired::load::file_rule(&args.out);
    let block = crate::export::files_block(&rule);
    if !block.is_empty()
        && let Some(t) = result.files.iter_mut().find(|f| f.path == "tenant.yaml")
    {
        t.text.push_str(&block);
    }
    // A repo tenant's `include:` and `connection:` are the repo's too: keep them.
    if args.tenant.repo_tenant.is_some() {
        let kept = crate::desired::tenancy::kept_blocks(&args.out);
        if let Some(t) = result.files.iter_mut().find(|f| f.path == "tenant.yaml") {
            t.text.push_str(&kept);
        }
    }
    // Never through a symbolic link below --out (see export::write).
    let replaced = crate::export::write::replace_export(&args.out, &result.files)?;
    for n in &result.notes {
        eprintln!("note: {n}");
    }
    if !replaced.removed.is_empty() {
        eprintln!(
            "note: removed {} of the earlier export that this one does not write: {}",
            if replaced.removed.len() == 1 {
                "1 file".to_string()
            } else {
                format!("{} files", replaced.removed.len())
            },
            shown_paths(&replaced.removed)
        );
    }
    if !replaced.kept.is_empty() {
        eprintln!(
            "warning: kept {} that no export wrote; {} part of the repo (validate it, or leave {} out with `files: {{ exclude: [...] }}` in tenant.yaml): {}",
            if replaced.kept.len() == 1 {
                "1 YAML file".to_string()
            } else {
                format!("{} YAML files", replaced.kept.len())
            },
            if replaced.kept.len() == 1 {
                "it is"
            } else {
                "they are"
            },
            if replaced.kept.len() == 1 {
                "it"
            } else {
                "them"
            },
            shown_paths(&replaced.kept)
        );
    }
    let n = |count: usize, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    println!(
        "Exported {}, {} and {} into {} ({}). Review them, commit, then run `entraform plan {}`.",
        n(result.users, "user", "users"),
        n(result.groups, "group", "groups"),
        n(result.roles, "role", "roles"),
        args.out.display(),
        n(result.files.len(), "file", "files"),
        args.out.display()
    );
    Ok(Exit::Ok)
}
