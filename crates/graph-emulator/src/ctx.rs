//! What a handler needs besides the tenant: URLs for links, fault state for
//! replication delay, the delta and paging settings, and the request's work
//! budget. Its own module so that the handlers and the router that calls them
//! both use it without importing each other.

use std::sync::Mutex;
use std::time::Instant;

use super::faults::FaultState;
use super::http::Urls;
use super::odata::{self, Expr, Work};

/// What handlers need besides the tenant: URLs for links, and fault state for replication delay.
pub struct Ctx<'a> {
    /// URL builder.
    pub urls: &'a Urls,
    /// Fault state (replication delay decisions).
    pub faults: &'a Mutex<FaultState>,
    /// Most users per page with `$expand` (0 = only `$top` limits).
    pub expand_page_cap: usize,
    /// Most `members@delta` entries per group item in a delta page (0 = no split).
    pub delta_member_cap: usize,
    /// Delta tokens older than this are rejected with `syncStateNotFound`.
    pub delta_token_lifetime_secs: u64,
    /// Seed of the shuffles (`$batch` order, minimal delta pages); `None`: no shuffling.
    pub shuffle_seed: Option<u64>,
    /// Delta rounds after a token return only changed properties (see `EmulatorConfig::delta_minimal`).
    pub delta_minimal: bool,
    /// The request's work budget (filter clauses, manager levels).
    pub work: &'a Work,
}

impl Ctx<'_> {
    /// Evaluate a filter against an object, charged to the request's budget.
    pub fn eval(
        &self,
        e: &Expr,
        id: &str,
        obj: &serde_json::Map<String, serde_json::Value>,
    ) -> bool {
        odata::eval_with(e, id, obj, self.work)
    }

    /// Whether a read of an object created at `created` misses because of replication delay.
    pub fn replication_miss(&self, created: Option<Instant>) -> bool {
        created.is_some()
            && self
                .faults
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .replication_miss(created)
    }
}
