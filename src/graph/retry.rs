//! The one error policy: for every HTTP call the client makes — Graph
//! requests, `$batch` POSTs and the items inside them, the token endpoint,
//! the GitHub Actions OIDC request — one pure function, [`RetryPolicy::decide`],
//! turns a failed attempt into an [`Action`]: wait and send again, renew the
//! access token and send again, give up, or report that a write may have been
//! applied. (The shape of kube-rs's controller, whose `error_policy` returns
//! the `Action` the runtime carries out.)
//!
//! The rules:
//!
//! - `429 Too Many Requests`: wait what `Retry-After` says (Graph's
//!   throttling guidance), else back off exponentially.
//! - `503`/`504`, and a connection that could not be made: jittered
//!   exponential backoff, honouring `Retry-After` when present.
//! - `404` of a request that acts on an object created moments ago
//!   ([`Traits::retry_not_found`]): Graph's replication delay, retried as a 503.
//! - `401` to our own Graph token: the token is renewed once per call.
//! - A request sent but whose answer was lost (timeout, connection reset, a
//!   `$batch` item left unanswered): sent again only when repeating it is
//!   harmless ([`Traits::idempotent`]).
//! - A write sent once ([`Traits::once`]: creates) answered 500/502/503/504,
//!   or lost: its outcome is unknown ([`Action::Unknown`]); the caller looks
//!   before sending it again (`apply::unknown`).
//! - Everything else is final. 500 is not retried: a write may have run.
//!
//! All retries of one call (or of one `$batch` item) stay under an overall
//! deadline; a wait that would cross it is not started.
//!
//! Sign-in follows the same rules: Microsoft's MSAL retries token requests
//! answered 5xx and honours Entra's `Retry-After` on 429
//! (learn.microsoft.com/entra/msal/dotnet/advanced/exceptions/retry-policy),
//! and GitHub's own OIDC client retries the ID-token request
//! (actions/toolkit, packages/core/src/oidc-utils.ts: `allowRetries`, 10 retries).

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

/// What a request allows, whatever the answer: set by whoever sends it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traits {
    /// Sending it twice does no harm (GET, PUT, DELETE, a token request, or
    /// a `$batch` item not sent once): a lost answer is retried.
    pub idempotent: bool,
    /// A write that must not be repeated blindly: after 500/502/503/504 or
    /// a lost answer its outcome is unknown.
    pub once: bool,
    /// A 404 is Graph's replication delay (the object was just created).
    pub retry_not_found: bool,
    /// It carries our own Graph access token: a 401 renews it once.
    pub renewable: bool,
}

/// How one attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Answered with this (non-2xx) status, and maybe a `Retry-After`.
    Status(u16, Option<Duration>),
    /// No connection could be made: nothing was sent.
    NotConnected,
    /// Sent, but no answer came back (timeout, reset, a `$batch` item the
    /// batch response left out): it may or may not have run.
    Lost,
    /// The request could not be sent at all (never retried).
    Unsendable,
}

/// Where a call stands when an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// Which attempt failed (1-based).
    pub number: u32,
    /// Time since the call's first attempt started.
    pub elapsed: Duration,
    /// The access token was already renewed after a 401 in this call.
    pub renewed: bool,
}

/// The limit that ended the retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// [`RetryPolicy::max_attempts`] attempts were made.
    Attempts,
    /// The next wait would cross [`RetryPolicy::deadline`].
    Deadline,
}

/// The decision for a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Wait this long, then send it again.
    Retry(Duration),
    /// Drop the access token Graph refused, fetch a new one, send again now.
    Renew,
    /// Final: the failure stands.
    Fail,
    /// Final: a write sent once may or may not have been applied.
    Unknown,
    /// It would be retried, but a limit is reached.
    GiveUp(Limit),
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

    /// Decide what to do after `attempt` failed with `failure`, for a request
    /// with `traits`. Pure: the caller carries the action out.
    pub fn decide(&self, traits: Traits, failure: Failure, attempt: Attempt) -> Action {
        let retry_after = match failure {
            Failure::Status(401, _) if traits.renewable && !attempt.renewed => {
                return Action::Renew;
            }
            Failure::Status(500 | 502 | 503 | 504, _) | Failure::Lost if traits.once => {
                return Action::Unknown;
            }
            Failure::Status(429 | 503 | 504, ra) => ra,
            // Replication delay: "not found yet" is "unavailable".
            Failure::Status(404, ra) if traits.retry_not_found => ra,
            Failure::NotConnected => None,
            Failure::Lost if traits.idempotent => None,
            Failure::Status(..) | Failure::Lost | Failure::Unsendable => return Action::Fail,
        };
        if attempt.number >= self.max_attempts {
            return Action::GiveUp(Limit::Attempts);
        }
        let wait = match retry_after {
            Some(ra) => ra.min(self.max_retry_after) + small_jitter(),
            None => self.backoff(attempt.number),
        };
        if attempt.elapsed + wait > self.deadline {
            return Action::GiveUp(Limit::Deadline);
        }
        Action::Retry(wait)
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

    fn first() -> Attempt {
        Attempt {
            number: 1,
            elapsed: Duration::ZERO,
            renewed: false,
        }
    }

    const GET: Traits = Traits {
        idempotent: true,
        once: false,
        retry_not_found: false,
        renewable: true,
    };
    const POST: Traits = Traits {
        idempotent: false,
        once: false,
        retry_not_found: false,
        renewable: true,
    };
    const CREATE: Traits = Traits {
        idempotent: false,
        once: true,
        retry_not_found: false,
        renewable: true,
    };

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
        let status = |s| Failure::Status(s, None);
        assert_eq!(p.decide(GET, status(404), first()), Action::Fail);
        assert_eq!(p.decide(GET, status(500), first()), Action::Fail);
        assert_eq!(p.decide(GET, status(403), first()), Action::Fail);
        match p.decide(
            GET,
            Failure::Status(429, Some(Duration::from_secs(3))),
            first(),
        ) {
            Action::Retry(d) => {
                assert!(d >= Duration::from_secs(3) && d < Duration::from_millis(3050))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            p.decide(GET, status(503), first()),
            Action::Retry(_)
        ));
        let second = Attempt {
            number: 2,
            ..first()
        };
        assert!(matches!(
            p.decide(POST, Failure::NotConnected, second),
            Action::Retry(_)
        ));
        let last = Attempt {
            number: p.max_attempts,
            ..first()
        };
        assert_eq!(
            p.decide(GET, status(504), last),
            Action::GiveUp(Limit::Attempts)
        );
        // A wait that would cross the deadline is not started.
        let late = Attempt {
            elapsed: p.deadline - Duration::from_secs(10),
            ..first()
        };
        assert_eq!(
            p.decide(
                GET,
                Failure::Status(429, Some(Duration::from_secs(60))),
                late
            ),
            Action::GiveUp(Limit::Deadline)
        );
    }

    #[test]
    fn renewal_replication_and_unknown_outcomes() {
        let p = RetryPolicy::default();
        let status = |s| Failure::Status(s, None);
        // 401 to our token: renewed once, then final; never for sign-in itself.
        assert_eq!(p.decide(GET, status(401), first()), Action::Renew);
        let renewed = Attempt {
            renewed: true,
            ..first()
        };
        assert_eq!(p.decide(GET, status(401), renewed), Action::Fail);
        let sign_in = Traits {
            renewable: false,
            ..GET
        };
        assert_eq!(p.decide(sign_in, status(401), first()), Action::Fail);
        // 404 is retried only for an object created moments ago.
        let fresh = Traits {
            retry_not_found: true,
            ..POST
        };
        assert!(matches!(
            p.decide(fresh, status(404), first()),
            Action::Retry(_)
        ));
        // A create answered 5xx, or lost, may have been applied; throttled, it did not run.
        for s in [500, 502, 503, 504] {
            assert_eq!(p.decide(CREATE, status(s), first()), Action::Unknown);
        }
        assert_eq!(p.decide(CREATE, Failure::Lost, first()), Action::Unknown);
        assert!(matches!(
            p.decide(CREATE, status(429), first()),
            Action::Retry(_)
        ));
        // A lost answer is retried only when repeating is harmless.
        assert!(matches!(
            p.decide(GET, Failure::Lost, first()),
            Action::Retry(_)
        ));
        assert_eq!(p.decide(POST, Failure::Lost, first()), Action::Fail);
        assert_eq!(p.decide(GET, Failure::Unsendable, first()), Action::Fail);
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
