//! Fault injection: latency, throttling by a resource-unit budget (modelled
//! on Graph's identity-and-access limits), random 503/504, and replication
//! delay. Off by default; deterministic under `seed` for a given request order.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::error::GraphError;
use super::util::Rng;

/// Length of the read (resource-unit) throttling window.
pub const READ_WINDOW: Duration = Duration::from_secs(10);
/// Length of the write throttling window (Graph: 3,000 writes per 2 min 30 s per app and tenant).
pub const WRITE_WINDOW: Duration = Duration::from_secs(150);

/// Which faults to inject. All off by default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Seed for the fault RNG (5xx and replication decisions, latency jitter).
    pub seed: u64,
    /// Fixed latency added to every request, in milliseconds.
    pub latency_ms: u64,
    /// Extra random latency, uniform in `0..=latency_jitter_ms`.
    pub latency_jitter_ms: u64,
    /// Enable throttling (429 + `Retry-After`).
    pub throttle: bool,
    /// Resource units per 10 s; 0 = Graph's budget by tenant size (3,500 / 5,000 / 8,000).
    pub read_budget: u32,
    /// Writes per 150 s; 0 = Graph's 3,000.
    pub write_budget: u32,
    /// Fraction (0..1) of requests answered with 503 or 504 (alternating by RNG).
    pub error_rate: f64,
    /// Replication delay: for this many milliseconds after creation an object may read as 404.
    pub replication_delay_ms: u64,
    /// Fraction (0..1) of reads of a fresh object that get 404 (default when 0: 1.0, every read).
    pub replication_miss_rate: f64,
    /// Fraction (0..1) of requests (and batch items) answered 429 regardless of the budget.
    pub throttle_rate: f64,
    /// `Retry-After` sent with rate-based 429s, in milliseconds (rendered as fractional seconds); 0 = 1 s.
    pub retry_after_ms: u64,
    /// Path prefixes (after `/v1.0`, e.g. `/roleManagement`) answered 403 `Authorization_RequestDenied`,
    /// as if the app lacked the permission.
    pub deny_paths: Vec<String>,
    /// Fraction (0..1) of successful writes (and batch items) that are
    /// applied and then answered 500, 503 or 504: the outcome a client sees
    /// after a gateway timeout on a write Graph committed.
    pub commit_then_fail_rate: f64,
    /// Properties `users/delta` refuses in `$select` with Graph's 400
    /// ("Invalid request for delta query … $select is not supported for the
    /// following properties: …"). Microsoft publishes no list of them.
    pub delta_refused_select: Vec<String>,
}

/// Counters of injected faults.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultStats {
    /// 429s returned.
    pub throttled: u64,
    /// 503/504 returned.
    pub server_errors: u64,
    /// 404s caused by replication delay.
    pub replication_misses: u64,
    /// Writes applied and then answered 500/503/504.
    pub commit_then_fail: u64,
}

/// Live fault state of one server.
#[derive(Debug)]
pub struct FaultState {
    cfg: FaultConfig,
    rng: Rng,
    read_window: Instant,
    read_used: u32,
    write_window: Instant,
    write_used: u32,
    /// Counters.
    pub stats: FaultStats,
}

/// Graph's resource-unit cost of a request: 1, minus 1 with `$select`, plus 1 with `$expand` (at least 1).
pub fn resource_units(has_select: bool, has_expand: bool) -> u32 {
    let c: i32 = 1 - i32::from(has_select) + i32::from(has_expand);
    c.max(1) as u32
}

/// Graph's read budget per 10 s for a tenant of `users` users.
pub fn default_read_budget(users: usize) -> u32 {
    match users {
        0..50 => 3500,
        50..=500 => 5000,
        _ => 8000,
    }
}

impl FaultState {
    /// A fresh state for a configuration.
    pub fn new(cfg: FaultConfig) -> Self {
        let now = Instant::now();
        FaultState {
            rng: Rng::new(cfg.seed),
            cfg,
            read_window: now,
            read_used: 0,
            write_window: now,
            write_used: 0,
            stats: FaultStats::default(),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &FaultConfig {
        &self.cfg
    }

    /// Replace the configuration (resets windows and the RNG, keeps counters).
    pub fn reconfigure(&mut self, cfg: FaultConfig) {
        let stats = std::mem::take(&mut self.stats);
        *self = FaultState::new(cfg);
        self.stats = stats;
    }

    /// Latency to add before answering.
    pub fn latency(&mut self) -> Duration {
        let jitter = if self.cfg.latency_jitter_ms > 0 {
            self.rng.below(self.cfg.latency_jitter_ms + 1)
        } else {
            0
        };
        Duration::from_millis(self.cfg.latency_ms + jitter)
    }

    /// Admit a request costing `units` RU (and one write if `write`), or fail it
    /// with 429 (budget exhausted) or a random 503/504.
    pub fn admit(
        &mut self,
        units: u32,
        write: bool,
        tenant_users: usize,
        scope: &str,
    ) -> Result<(), GraphError> {
        if self.cfg.throttle {
            let now = Instant::now();
            if now.duration_since(self.read_window) >= READ_WINDOW {
                self.read_window = now;
                self.read_used = 0;
            }
            if now.duration_since(self.write_window) >= WRITE_WINDOW {
                self.write_window = now;
                self.write_used = 0;
            }
            let budget = if self.cfg.read_budget > 0 {
                self.cfg.read_budget
            } else {
                default_read_budget(tenant_users)
            };
            let write_budget = if self.cfg.write_budget > 0 {
                self.cfg.write_budget
            } else {
                3000
            };
            if write && self.write_used >= write_budget {
                let wait = WRITE_WINDOW.saturating_sub(now.duration_since(self.write_window));
                self.stats.throttled += 1;
                return Err(throttled(wait, scope, "WriteLimitExceeded"));
            }
            if self.read_used + units > budget {
                let wait = READ_WINDOW.saturating_sub(now.duration_since(self.read_window));
                self.stats.throttled += 1;
                return Err(throttled(wait, scope, "ResourceUnitLimitExceeded"));
            }
            self.read_used += units;
            if write {
                self.write_used += 1;
            }
        }
        if self.cfg.throttle_rate > 0.0 && self.rng.next_f64() < self.cfg.throttle_rate {
            self.stats.throttled += 1;
            let ms = if self.cfg.retry_after_ms > 0 {
                self.cfg.retry_after_ms
            } else {
                1000
            };
            return Err(throttled_ms(ms, scope, "RateLimitExceeded"));
        }
        if self.cfg.error_rate > 0.0 && self.rng.next_f64() < self.cfg.error_rate {
            self.stats.server_errors += 1;
            return Err(if self.rng.below(2) == 0 {
                GraphError::new(
                    503,
                    "serviceNotAvailable",
                    "The service is temporarily unavailable. Please retry later.",
                )
                .with_header("Retry-After", "1")
            } else {
                GraphError::new(504, "GatewayTimeout", "The operation has timed out.")
            });
        }
        Ok(())
    }

    /// After a write was applied: the 500, 503 or 504 to answer instead of
    /// its success, drawn at `commitThenFailRate` (`None`: answer normally).
    pub fn commit_then_fail(&mut self) -> Option<GraphError> {
        if self.cfg.commit_then_fail_rate <= 0.0
            || self.rng.next_f64() >= self.cfg.commit_then_fail_rate
        {
            return None;
        }
        self.stats.commit_then_fail += 1;
        // Codes and messages of the 503/504 are those of the 5xx fault; the
        // 500's is Graph's generic "generalException" (concepts/errors.md).
        Some(match self.rng.below(3) {
            0 => GraphError::new(
                500,
                "generalException",
                "An unspecified error has occurred.",
            ),
            1 => GraphError::new(
                503,
                "serviceNotAvailable",
                "The service is temporarily unavailable. Please retry later.",
            )
            .with_header("Retry-After", "1"),
            _ => GraphError::new(504, "GatewayTimeout", "The operation has timed out."),
        })
    }

    /// Whether a read of an object created at `created_at` misses because of replication delay.
    pub fn replication_miss(&mut self, created_at: Option<std::time::Instant>) -> bool {
        let Some(t) = created_at else {
            return false;
        };
        if self.cfg.replication_delay_ms == 0
            || t.elapsed() >= Duration::from_millis(self.cfg.replication_delay_ms)
        {
            return false;
        }
        let rate = if self.cfg.replication_miss_rate > 0.0 {
            self.cfg.replication_miss_rate
        } else {
            1.0
        };
        let miss = self.rng.next_f64() < rate;
        if miss {
            self.stats.replication_misses += 1;
        }
        miss
    }
}

/// Whether a path (after `/v1.0`) is on the deny list.
pub fn denied(cfg: &FaultConfig, path: &str) -> bool {
    cfg.deny_paths.iter().any(|p| {
        !p.is_empty()
            && path
                .to_ascii_lowercase()
                .starts_with(&p.to_ascii_lowercase())
    })
}

/// Graph's 429 response (as in `throttled-429.json`), with `Retry-After` in whole seconds.
pub fn throttled(wait: Duration, scope: &str, reason: &str) -> GraphError {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    throttled_header(secs.max(1).to_string(), scope, reason)
}

/// A 429 whose `Retry-After` is `ms` milliseconds as fractional seconds (Graph sends e.g. `2.128`).
pub fn throttled_ms(ms: u64, scope: &str, reason: &str) -> GraphError {
    let v = if ms.is_multiple_of(1000) {
        (ms / 1000).to_string()
    } else {
        format!("{}.{:03}", ms / 1000, ms % 1000)
    };
    throttled_header(v, scope, reason)
}

fn throttled_header(retry_after: String, scope: &str, reason: &str) -> GraphError {
    GraphError::new(429, "TooManyRequests", "Please retry again later.")
        .with_header("Retry-After", retry_after)
        .with_header("x-ms-throttle-scope", scope.to_string())
        .with_header("x-ms-throttle-information", reason.to_string())
        .with_inner(vec![
            ("code".into(), "429".into()),
            ("message".into(), "Please retry after".into()),
            ("status".into(), "429".into()),
        ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_throttles_then_reports_retry_after() {
        let mut f = FaultState::new(FaultConfig {
            throttle: true,
            read_budget: 3,
            ..FaultConfig::default()
        });
        for _ in 0..3 {
            assert!(f.admit(1, false, 10, "s").is_ok());
        }
        let e = f.admit(1, false, 10, "s").unwrap_err();
        assert_eq!(e.status, 429);
        let ra: u64 = e.headers()[0].1.parse().unwrap();
        assert!((1..=10).contains(&ra));
        assert_eq!(f.stats.throttled, 1);
    }

    #[test]
    fn errors_are_deterministic() {
        let cfg = FaultConfig {
            error_rate: 0.5,
            seed: 9,
            ..FaultConfig::default()
        };
        let run = |cfg: &FaultConfig| {
            let mut f = FaultState::new(cfg.clone());
            (0..50)
                .map(|_| f.admit(1, false, 1, "s").map_err(|e| e.status))
                .collect::<Vec<_>>()
        };
        let a = run(&cfg);
        assert_eq!(a, run(&cfg));
        assert!(a.iter().any(|r| r.is_err()) && a.iter().any(|r| r.is_ok()));
    }

    #[test]
    fn rate_throttle_uses_fractional_retry_after() {
        let mut f = FaultState::new(FaultConfig {
            throttle_rate: 1.0,
            retry_after_ms: 20,
            ..FaultConfig::default()
        });
        let e = f.admit(1, false, 1, "s").unwrap_err();
        assert_eq!(e.status, 429);
        assert_eq!(
            e.headers()[0],
            ("Retry-After".to_string(), "0.020".to_string())
        );
    }

    #[test]
    fn costs() {
        assert_eq!(resource_units(true, false), 1);
        assert_eq!(resource_units(false, true), 2);
        assert_eq!(default_read_budget(600), 8000);
    }
}
