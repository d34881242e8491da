//! Request counters: how many HTTP requests went out and how many Graph
//! requests they carried. Benchmarks, tests and `--verbose` read them.

use std::sync::atomic::{AtomicU64, Ordering};

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

/// A copy of the counters at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CounterSnapshot {
    /// HTTP requests sent to Graph (each `$batch` POST counts once; retries count).
    pub http_requests: u64,
    /// Of those, `$batch` POSTs.
    pub batch_requests: u64,
    /// Graph requests carried inside `$batch` POSTs (retried items count again).
    pub batch_items: u64,
    /// Retries (of whole requests and of batch items).
    pub retries: u64,
    /// Responses with status 429 (whole requests and batch items).
    pub throttled: u64,
    /// Requests to the token endpoint (not counted in `http_requests`).
    pub token_requests: u64,
}

impl CounterSnapshot {
    /// Graph requests in all: direct requests plus the items inside batches.
    pub fn graph_requests(&self) -> u64 {
        self.http_requests - self.batch_requests + self.batch_items
    }
    /// The difference `self - earlier`, to measure one phase.
    pub fn since(&self, earlier: &CounterSnapshot) -> CounterSnapshot {
        CounterSnapshot {
            http_requests: self.http_requests - earlier.http_requests,
            batch_requests: self.batch_requests - earlier.batch_requests,
            batch_items: self.batch_items - earlier.batch_items,
            retries: self.retries - earlier.retries,
            throttled: self.throttled - earlier.throttled,
            token_requests: self.token_requests - earlier.token_requests,
        }
    }
}

impl std::fmt::Display for CounterSnapshot {
    /// One line for `--verbose`: `17 HTTP requests (2 $batch carrying 40 Graph requests), 3 retries, 1 throttled, 1 token request`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |n: u64| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{} HTTP request{}",
            self.http_requests,
            s(self.http_requests)
        )?;
        if self.batch_requests > 0 {
            write!(
                f,
                " ({} $batch carrying {} Graph request{})",
                self.batch_requests,
                self.batch_items,
                s(self.batch_items)
            )?;
        }
        write!(
            f,
            ", {} {}, {} throttled, {} token request{}",
            self.retries,
            if self.retries == 1 {
                "retry"
            } else {
                "retries"
            },
            self.throttled,
            self.token_requests,
            s(self.token_requests)
        )
    }
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
