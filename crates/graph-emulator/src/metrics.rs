//! Request counters, by method and route template, so benchmarks can report
//! how many Graph calls a run made (top-level and inside `$batch`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::faults::FaultStats;

/// A snapshot of the counters (`GET /_emulator/metrics`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    /// HTTP requests to `/v1.0` (a `$batch` counts once here).
    pub total_requests: u64,
    /// Top-level requests by `"METHOD /route/{template}"`.
    pub by_route: BTreeMap<String, u64>,
    /// Requests inside `$batch` bodies.
    pub batch_inner_requests: u64,
    /// Batch items by `"METHOD /route/{template}"`.
    pub batch_inner_by_route: BTreeMap<String, u64>,
    /// Requests to the token endpoint.
    pub token_requests: u64,
    /// Tokens issued.
    pub tokens_issued: u64,
    /// `/v1.0` requests refused with 401.
    pub unauthorized: u64,
    /// Responses by status code (top-level and batch items).
    pub by_status: BTreeMap<u16, u64>,
    /// Faults injected so far.
    pub faults: FaultStats,
}

impl Metrics {
    /// Count a top-level request.
    pub fn record(&mut self, route: &str, status: u16) {
        self.total_requests += 1;
        *self.by_route.entry(route.to_string()).or_default() += 1;
        *self.by_status.entry(status).or_default() += 1;
    }

    /// Count a request inside `$batch`.
    pub fn record_inner(&mut self, route: &str, status: u16) {
        self.batch_inner_requests += 1;
        *self
            .batch_inner_by_route
            .entry(route.to_string())
            .or_default() += 1;
        *self.by_status.entry(status).or_default() += 1;
    }
}
