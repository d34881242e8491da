//! `--state-dir` and the incremental-read flags (plan, apply, reconcile).

use std::path::PathBuf;
use std::time::Duration;

use crate::live::Incremental;
use crate::lock;

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
