//! How a read of the live tenant went: its request counts and whether it was
//! incremental. Plain data, carried in [`super::live::ReadStats`]; the Graph
//! client counts (`graph::counters`), the reader and its store decide the mode.

use serde::Serialize;

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

/// Why a read was (or was not) incremental.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMode {
    /// No state directory: a full read, nothing kept.
    #[default]
    Full,
    /// Changes since the snapshot, from Graph's delta links.
    Incremental,
    /// A full read that starts a new snapshot, for the reason given.
    Resync(ResyncReason),
}

/// Why a full read replaced the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResyncReason {
    /// The state directory holds no snapshot yet.
    NoSnapshot,
    /// The snapshot could not be read or parsed (the log says why).
    Unreadable,
    /// Written by another entraform version, or for another tenant, Graph or app.
    Mismatch,
    /// The last full read is older than the configured age.
    TooOld,
    /// A full read was asked for.
    Forced,
    /// Graph no longer knows the delta link (`syncStateNotFound`, 410 Gone).
    DeltaExpired,
    /// Graph reported an object both removed and present in one round.
    Ambiguous,
}

impl std::fmt::Display for ResyncReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ResyncReason::NoSnapshot => "no snapshot in the state directory yet",
            ResyncReason::Unreadable => "the snapshot could not be read",
            ResyncReason::Mismatch => {
                "the snapshot is for another tenant, Graph endpoint, app or entraform version"
            }
            ResyncReason::TooOld => "the last full read is older than --full-read-after",
            ResyncReason::Forced => "--full-read was given",
            ResyncReason::DeltaExpired => "Microsoft Graph expired the delta links",
            ResyncReason::Ambiguous => {
                "Microsoft Graph reported an object both removed and present in one round"
            }
        })
    }
}
