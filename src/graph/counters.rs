//! Request counters: how many HTTP requests went out and how many Graph
//! requests they carried. Benchmarks, tests and `--verbose` read them.

use std::sync::atomic::{AtomicU64, Ordering};

pub use crate::model::read::CounterSnapshot;

/// Live counters shared by all clones of a client.
#[derive(Debug, Default)]
pub struct Counters {
    http_requests: AtomicU64,
    batch_requests: AtomicU64,
    batch_items: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    token_requests: AtomicU64,
}

impl Counters {
    pub(crate) fn http(&self) {
        self.http_requests.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn batch(&self, items: usize) {
        self.batch_requests.fetch_add(1, Ordering::Relaxed);
        self.batch_items.fetch_add(items as u64, Ordering::Relaxed);
    }
    pub(crate) fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn throttle(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn token(&self) {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
    }
    /// Read all counters.
    pub fn snapshot(&self) -> CounterSnapshot {
        CounterSnapshot {
            http_requests: self.http_requests.load(Ordering::Relaxed),
            batch_requests: self.batch_requests.load(Ordering::Relaxed),
            batch_items: self.batch_items.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            token_requests: self.token_requests.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_totals() {
        let c = Counters::default();
        c.http();
        c.http();
        c.batch(20);
        c.token();
        let s = c.snapshot();
        assert_eq!(s.graph_requests(), 1 + 20);
        assert_eq!(
            s.to_string(),
            "2 HTTP requests (1 $batch carrying 20 Graph requests), 0 retries, 0 throttled, 1 token request"
        );
    }
}
