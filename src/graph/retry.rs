//! The one retry policy: which failures are retried, how long to wait, and
//! when to give up.
//!
//! - `429 Too Many Requests`: wait what `Retry-After` says (Graph's
//!   throttling guidance), else back off exponentially.
//! - `503`/`504` and connection failures: jittered exponential backoff,
//!   honouring `Retry-After` when present.
//! - Everything else is final.
//!
//! All retries of one call (or of one `$batch` item) stay under an overall
//! deadline; a wait that would cross it is not started.

use std::time::Duration;

/// Retry tuning. The defaults suit Graph: a few seconds of backoff, up to a
/// couple of minutes of total patience per call.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per call, the first one included.
    pub max_attempts: u32,
    /// First backoff step (doubled each attempt, before jitter).
    pub base_delay: Duration,
    /// Upper bound of one backoff step.
    pub max_delay: Duration,
    /// Upper bound of a server-requested `Retry-After` wait.
    pub max_retry_after: Duration,
    /// Total time allowed for one call including all retries.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            deadline: Duration::from_secs(300),
        }
    }
}

/// What happened on one attempt, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Graph answered with this status and maybe a `Retry-After`.
    Status(u16, Option<Duration>),
    /// The connection could not be made, or broke before an answer.
    Connection,
}

/// The decision for a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// The failure is final (not retryable).
    Fail,
    /// It would be retryable, but the attempts or the deadline are used up.
    Exhausted,
}

impl RetryPolicy {
    /// A policy for tests: tiny waits, same rules.
    pub fn fast() -> Self {
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_millis(200),
            deadline: Duration::from_secs(30),
        }
    }

    /// Whether an outcome is worth retrying at all.
    pub fn is_retryable(outcome: Outcome) -> bool {
        match outcome {
            Outcome::Status(s, _) => matches!(s, 429 | 503 | 504),
            Outcome::Connection => true,
        }
    }

    /// Decide what to do after attempt number `attempt` (1-based) failed with
    /// `outcome`, `elapsed` after the call started.
    pub fn decide(&self, outcome: Outcome, attempt: u32, elapsed: Duration) -> Decision {
        if !Self::is_retryable(outcome) {
            return Decision::Fail;
        }
        if attempt >= self.max_attempts {
            return Decision::Exhausted;
        }
        let wait = match outcome {
            Outcome::Status(_, Some(ra)) => ra.min(self.max_retry_after) + small_jitter(),
            _ => self.backoff(attempt),
        };
        if elapsed + wait > self.deadline {
            return Decision::Exhausted;
        }
        Decision::RetryAfter(wait)
    }

    /// Full-jitter exponential backoff for attempt `attempt` (1-based):
    /// uniform in `[step/2, step]` with `step = min(max, base · 2^(attempt-1))`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let step = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let half = step / 2;
        let extra = half.as_nanos() as f64 * fastrand::f64();
        half + Duration::from_nanos(extra as u64)
    }
}

/// Up to 50 ms extra on server-given waits, so that many clients told the same
/// `Retry-After` do not all return in the same instant.
fn small_jitter() -> Duration {
    Duration::from_millis(fastrand::u64(0..50))
}

/// Parse a `Retry-After` value: delta-seconds (Graph sends integers, and its
/// throttling sample shows a fraction such as `2.128`). An HTTP-date is not
/// produced by Graph and yields `None` (the caller then backs off).
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let secs: f64 = v.trim().parse().ok()?;
    if secs.is_finite() && secs >= 0.0 {
        Some(Duration::from_secs_f64(secs.min(86_400.0)))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after("10"), Some(Duration::from_secs(10)));
        assert_eq!(
            parse_retry_after(" 2.128 "),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn decisions() {
        let p = RetryPolicy::default();
        let t0 = Duration::ZERO;
        assert_eq!(p.decide(Outcome::Status(404, None), 1, t0), Decision::Fail);
        assert_eq!(p.decide(Outcome::Status(500, None), 1, t0), Decision::Fail);
        assert_eq!(p.decide(Outcome::Status(403, None), 1, t0), Decision::Fail);
        match p.decide(Outcome::Status(429, Some(Duration::from_secs(3))), 1, t0) {
            Decision::RetryAfter(d) => {
                assert!(d >= Duration::from_secs(3) && d < Duration::from_millis(3050))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            p.decide(Outcome::Status(503, None), 1, t0),
            Decision::RetryAfter(_)
        ));
        assert!(matches!(
            p.decide(Outcome::Connection, 2, t0),
            Decision::RetryAfter(_)
        ));
        assert_eq!(
            p.decide(Outcome::Status(504, None), p.max_attempts, t0),
            Decision::Exhausted
        );
        // A wait that would cross the deadline is not started.
        assert_eq!(
            p.decide(
                Outcome::Status(429, Some(Duration::from_secs(60))),
                1,
                p.deadline - Duration::from_secs(10)
            ),
            Decision::Exhausted
        );
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let p = RetryPolicy::default();
        for attempt in 1..12 {
            let d = p.backoff(attempt);
            let step = p
                .base_delay
                .saturating_mul(1 << (attempt - 1))
                .min(p.max_delay);
            assert!(d >= step / 2 && d <= step, "attempt {attempt}: {d:?}");
        }
        assert!(p.backoff(30) <= p.max_delay);
    }
}
