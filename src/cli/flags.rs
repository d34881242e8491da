//! The flag groups several commands share, defined once: every command
//! flattens them from here (no command imports another), so a flag keeps one
//! name, one environment variable and one help text everywhere.
//!
//! | group | flags | used by |
//! |---|---|---|
//! | [`GateFlags`] | `--allow-…` overrides of the safety gates | plan, apply, reconcile |
//! | [`StateArgs`] | `--state-dir`, `--full-read-after`, `--full-read` | plan (and, in [`LockArgs`], apply, reconcile) |
//! | [`LockArgs`] | the state directory and `--lock-timeout` | apply, reconcile |
//! | [`RecordArgs`] | `--credentials-out`, `--journal` | apply, reconcile |
//! | [`ApproveArgs`] | `--auto-approve` | apply, reconcile |
//! | [`OutFormat`] | `--format` of a plan | plan, show |
//! | [`ClockArgs`] | `--now` | plan, apply, reconcile |
//! | [`ReportFormat`] | `--format` of a report | report |
//!
//! The tenant flags (`--emulator`, `--graph-url`, …) are in [`super::connect`].

use std::path::PathBuf;
use std::time::Duration;

use crate::live::Incremental;
use crate::lock::{self, Lock};
use crate::plan::render::{PlanFormat, RenderOptions, render};
use crate::plan::{self, GateKind, GateOverrides};

/// Overrides of the safety gates (each one deliberate, after reviewing the plan).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GateFlags {
    /// Allow more deletions than `safety.max_deletes`.
    #[arg(long, env = "ENTRAFORM_ALLOW_MASS_DELETES")]
    pub allow_mass_deletes: bool,
    /// Allow more disables than `safety.max_disables`.
    #[arg(long, env = "ENTRAFORM_ALLOW_MASS_DISABLES")]
    pub allow_mass_disables: bool,
    /// Allow more operations than `safety.max_changes`.
    #[arg(long, env = "ENTRAFORM_ALLOW_MASS_CHANGES")]
    pub allow_mass_changes: bool,
    /// Allow disabling, deleting or removing roles of protected principals.
    #[arg(long, env = "ENTRAFORM_ALLOW_PROTECTED_CHANGES")]
    pub allow_protected_changes: bool,
    /// Allow a plan that leaves no enabled Global Administrator.
    #[arg(long, env = "ENTRAFORM_ALLOW_NO_GLOBAL_ADMIN")]
    pub allow_no_global_admin: bool,
    /// Allow removing a privileged role from the identity entraform runs as.
    #[arg(long, env = "ENTRAFORM_ALLOW_OWN_ROLE_REMOVAL")]
    pub allow_own_role_removal: bool,
}

impl GateFlags {
    /// The domain-level overrides.
    pub fn overrides(&self) -> GateOverrides {
        let pairs = [
            (self.allow_mass_deletes, GateKind::MaxDeletes),
            (self.allow_mass_disables, GateKind::MaxDisables),
            (self.allow_mass_changes, GateKind::MaxChanges),
            (self.allow_protected_changes, GateKind::ProtectedPrincipals),
            (self.allow_no_global_admin, GateKind::GlobalAdministrators),
            (self.allow_own_role_removal, GateKind::OwnPrivilegedRole),
        ];
        GateOverrides(
            pairs
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, g)| g)
                .collect(),
        )
    }
}

/// The state directory: the snapshot that makes reads incremental (and, for
/// apply and reconcile, the lock).
#[derive(Debug, Clone, clap::Args)]
pub struct StateArgs {
    /// State directory. Keeps a snapshot of users and groups with Graph delta links, so the
    /// next run reads only what changed; apply and reconcile also hold the lock DIR/entraform.lock
    /// there, so two runs against the same tenant and state dir never interleave applies.
    #[arg(long, value_name = "DIR", env = "ENTRAFORM_STATE_DIR")]
    pub state_dir: Option<PathBuf>,

    /// With --state-dir: read the whole tenant again when the last full read is older than this.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = lock::parse_duration, env = "ENTRAFORM_FULL_READ_AFTER")]
    pub full_read_after: Duration,

    /// With --state-dir: read the whole tenant now (and start a new snapshot).
    #[arg(long, env = "ENTRAFORM_FULL_READ")]
    pub full_read: bool,
}

impl StateArgs {
    /// How the tenant is read: incremental when a state directory was given.
    pub fn incremental(&self) -> Option<Incremental> {
        self.state_dir.as_ref().map(|dir| Incremental {
            state_dir: dir.clone(),
            full_read_after: self.full_read_after,
            force_full: self.full_read,
        })
    }
}

/// The state directory and its lock (apply and reconcile).
#[derive(Debug, Clone, clap::Args)]
pub struct LockArgs {
    /// The state directory (snapshot for incremental reads, and the lock).
    /// Without one, no lock is taken.
    #[command(flatten)]
    pub state: StateArgs,

    /// A lock whose holder runs elsewhere is abandoned after this long without a heartbeat; on this
    /// host only a lock whose process is gone is taken over (a running holder never is).
    #[arg(long, value_name = "DURATION", default_value = "1h", value_parser = lock::parse_duration, env = "ENTRAFORM_LOCK_TIMEOUT")]
    pub lock_timeout: Duration,
}

impl LockArgs {
    /// Take the lock when `--state-dir` was given; warn when a stale lock was taken over.
    pub fn acquire(&self, command: &str) -> anyhow::Result<Option<Lock>> {
        let Some(dir) = &self.state.state_dir else {
            return Ok(None);
        };
        let lock = lock::acquire(dir, command, self.lock_timeout)?;
        if let Some(old) = &lock.took_over {
            eprintln!(
                "warning: took over the stale lock {}: {old}",
                lock.path().display()
            );
        }
        Ok(Some(lock))
    }
}

/// Where a run that writes records what it did (apply and reconcile).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RecordArgs {
    /// Write new users' initial passwords to this file (created with mode 0600; never overwritten).
    /// Without it, generated passwords are not kept anywhere.
    #[arg(long, value_name = "FILE", env = "ENTRAFORM_CREDENTIALS_OUT")]
    pub credentials_out: Option<PathBuf>,

    /// Append one JSON line per operation outcome to this file, as it happens.
    #[arg(long, value_name = "FILE", env = "ENTRAFORM_JOURNAL")]
    pub journal: Option<PathBuf>,
}

/// Consent to write without being asked (apply and reconcile).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ApproveArgs {
    /// Apply without asking (for CI). Without it, the command asks on a terminal and refuses
    /// otherwise.
    #[arg(long, env = "ENTRAFORM_AUTO_APPROVE")]
    pub auto_approve: bool,
}

/// `--format` of a plan (plan, show).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    /// Terraform-like, coloured on a terminal.
    Text,
    /// For pull-request comments (fits GitHub's comment limit).
    Markdown,
    /// Versioned JSON (docs/plan-format.md).
    Json,
    /// Graphviz DOT of the dependency graph.
    Dot,
    /// GitHub Actions workflow commands: errors as `::error file=…,line=…,col=…::`, as `validate --format github`.
    Github,
}

impl OutFormat {
    /// `plan` in this format.
    pub fn render(self, plan: &plan::Plan, opts: &RenderOptions) -> String {
        let format = match self {
            OutFormat::Text => PlanFormat::Text,
            OutFormat::Markdown => PlanFormat::Markdown,
            OutFormat::Json => PlanFormat::Json,
            OutFormat::Dot => PlanFormat::Dot,
            OutFormat::Github => return crate::plan::render::github::render(plan),
        };
        render(plan, format, opts)
    }
}

/// The moment a plan is computed for (plan, apply, reconcile): the clock is an
/// input, so leave and hire dates, expiring memberships and `delete_after:` are
/// decided against this value, never against a clock read inside the planner.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ClockArgs {
    /// Compute as of this moment (YYYY-MM-DD or an RFC 3339 UTC timestamp) instead of the
    /// system time: plans compare leave and hire dates, `until:` of memberships and
    /// `delete_after:` with it, reports count ages and days left from it. For rehearsals
    /// ("what will the plan do on the 1st?") and tests.
    #[arg(long, value_name = "TIME", value_parser = parse_now, env = "ENTRAFORM_NOW")]
    pub now: Option<crate::model::clock::Moment>,
}

impl ClockArgs {
    /// `--now`, or the system time.
    pub fn now(&self) -> crate::model::clock::Moment {
        self.now.unwrap_or_else(|| {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            crate::model::clock::Moment(secs)
        })
    }
}

fn parse_now(text: &str) -> Result<crate::model::clock::Moment, String> {
    crate::model::clock::Moment::parse(text).ok_or_else(|| {
        format!("`{text}` is not a date; write YYYY-MM-DD or an RFC 3339 timestamp such as 2026-12-01T10:00:00Z")
    })
}

/// `--format` of a report (report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Aligned columns for a terminal.
    Text,
    /// A Markdown table (PR or issue comment).
    Markdown,
    /// One JSON document (`version` 1).
    Json,
    /// Comma-separated values, formula-like cells neutralised.
    Csv,
}

impl ReportFormat {
    /// The renderer's format.
    pub fn format(self) -> crate::report::render::Format {
        use crate::report::render::Format;
        match self {
            ReportFormat::Text => Format::Text,
            ReportFormat::Markdown => Format::Markdown,
            ReportFormat::Json => Format::Json,
            ReportFormat::Csv => Format::Csv,
        }
    }
}
