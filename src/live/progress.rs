//! How far a read of the tenant has got: objects received so far, updated as
//! each page arrives, read by another thread that shows progress.

use std::sync::atomic::{AtomicU64, Ordering};

/// Users and groups received so far by a read (shared with a progress display).
///
/// Counts are of objects in the pages received: in an incremental read, the
/// changed objects; a large group whose members span several delta pages counts once per page.
#[derive(Debug, Default)]
pub struct ReadProgress {
    users: AtomicU64,
    groups: AtomicU64,
}

impl ReadProgress {
    /// Users received so far.
    pub fn users(&self) -> u64 {
        self.users.load(Ordering::Relaxed)
    }

    /// Groups received so far.
    pub fn groups(&self) -> u64 {
        self.groups.load(Ordering::Relaxed)
    }

    pub(crate) fn add_users(&self, n: usize) {
        self.users.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub(crate) fn add_groups(&self, n: usize) {
        self.groups.fetch_add(n as u64, Ordering::Relaxed);
    }
}
