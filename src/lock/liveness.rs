//! Whether a lock's holder is alive: a running process on this host never
//! counts as dead; elsewhere only its heartbeat counts (see the module docs of
//! [`super`]).

use std::time::Duration;

use super::process::{ProcState, boot_id, pid_namespace};
use super::{Holder, MISSED_BEATS, hostname, human_duration};

/// Whether a lock's holder is alive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Alive (or not known to be dead): why, and what to do.
    Held(String),
    /// Dead: the reason, for the take-over warning.
    Dead(String),
}

/// This machine, as far as telling processes apart goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Machine {
    host: String,
    /// Boot id and pid namespace (Linux).
    ids: Option<(String, String)>,
}

impl Machine {
    pub(super) fn local() -> Machine {
        Machine {
            host: hostname(),
            ids: boot_id().zip(pid_namespace()),
        }
    }
}

/// Is the holder alive? `state_of` reads a pid's state on this machine.
pub(super) fn judge(
    h: &Holder,
    timeout: Duration,
    now: u64,
    local: &Machine,
    state_of: impl Fn(u32) -> ProcState,
) -> Verdict {
    let alive_here = |pid: u32| {
        Verdict::Held(format!(
            "its process {pid} is running on this host, and a running holder's lock is never taken over: wait for it to finish, or stop that process"
        ))
    };
    if h.host == local.host {
        let same_boot_and_ns = match (&h.process, &local.ids) {
            (Some(p), Some((boot, _))) if &p.boot_id != boot => {
                return Verdict::Dead("this host has restarted since the lock was taken".into());
            }
            (Some(p), Some((_, ns))) => (&p.pid_namespace == ns).then_some(p.start_ticks),
            _ => None,
        };
        match (same_boot_and_ns, state_of(h.pid)) {
            (_, ProcState::Gone) if h.process.is_none() || same_boot_and_ns.is_some() => {
                return Verdict::Dead(format!("process {} no longer exists on this host", h.pid));
            }
            (Some(ticks), ProcState::Running { start_ticks }) if ticks != start_ticks => {
                return Verdict::Dead(format!(
                    "process {} has ended (its pid now belongs to another process)",
                    h.pid
                ));
            }
            (Some(_), ProcState::Running { .. }) => return alive_here(h.pid),
            // Another pid namespace, an older lock, or no /proc: the heartbeat decides.
            _ => {}
        }
    }
    let last = h.heartbeat_at.max(h.started_at);
    let quiet = Duration::from_secs(now.saturating_sub(last));
    let limit = timeout.max(Duration::from_secs(
        h.heartbeat_every.saturating_mul(MISSED_BEATS),
    ));
    if quiet > limit {
        let what = if h.heartbeat_at == 0 {
            format!("held for {}", human_duration(quiet))
        } else {
            format!("no heartbeat for {}", human_duration(quiet))
        };
        return Verdict::Dead(format!(
            "{what}, longer than the lock timeout {}",
            human_duration(limit)
        ));
    }
    if h.heartbeat_at == 0 {
        Verdict::Held(format!(
            "wait for it to finish, or remove the file if that run is gone (it counts as abandoned after {})",
            human_duration(limit)
        ))
    } else {
        Verdict::Held(format!(
            "its last heartbeat was {} ago; wait for it to finish (it counts as abandoned after {} without a heartbeat, --lock-timeout)",
            human_duration(quiet),
            human_duration(limit)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::ProcessId;
    use super::*;

    fn machine() -> Machine {
        Machine {
            host: "runner-1".into(),
            ids: Some(("boot-a".into(), "pid:[1]".into())),
        }
    }

    fn holder(host: &str, process: Option<ProcessId>, started: u64, beat: u64) -> Holder {
        Holder {
            host: host.into(),
            user: "ci".into(),
            pid: 4242,
            started_at: started,
            command: "apply".into(),
            token: "t".into(),
            heartbeat_at: beat,
            heartbeat_every: 30,
            process,
        }
    }

    fn here(ticks: u64) -> Option<ProcessId> {
        Some(ProcessId {
            boot_id: "boot-a".into(),
            pid_namespace: "pid:[1]".into(),
            start_ticks: ticks,
        })
    }

    const NOW: u64 = 1_700_000_000;
    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_running_holder_on_this_host_is_never_dead_whatever_the_timeout() {
        let h = holder("runner-1", here(77), NOW - 30 * 86_400, NOW - 30 * 86_400);
        let running = |_| ProcState::Running { start_ticks: 77 };
        let v = judge(&h, Duration::ZERO, NOW, &machine(), running);
        assert!(
            matches!(&v, Verdict::Held(why) if why.contains("never taken over")),
            "{v:?}"
        );
    }

    #[test]
    fn a_holder_on_this_host_is_dead_when_gone_reused_or_before_a_reboot() {
        let h = holder("runner-1", here(77), NOW, NOW);
        let gone = judge(&h, HOUR, NOW, &machine(), |_| ProcState::Gone);
        assert!(
            matches!(&gone, Verdict::Dead(r) if r.contains("no longer exists")),
            "{gone:?}"
        );
        let reused = judge(&h, HOUR, NOW, &machine(), |_| ProcState::Running {
            start_ticks: 78,
        });
        assert!(
            matches!(&reused, Verdict::Dead(r) if r.contains("another process")),
            "{reused:?}"
        );
        let mut rebooted = h.clone();
        rebooted.process = Some(ProcessId {
            boot_id: "boot-b".into(),
            ..here(77).unwrap()
        });
        let v = judge(&rebooted, HOUR, NOW, &machine(), |_| ProcState::Running {
            start_ticks: 77,
        });
        assert!(
            matches!(&v, Verdict::Dead(r) if r.contains("restarted")),
            "{v:?}"
        );
    }

    #[test]
    fn elsewhere_only_the_heartbeat_counts() {
        let alive = |_| ProcState::Gone; // the pid means nothing on another host
        let fresh = holder("runner-2", None, NOW - 10 * 86_400, NOW - 5);
        assert!(matches!(
            judge(&fresh, HOUR, NOW, &machine(), alive),
            Verdict::Held(_)
        ));
        let silent = holder("runner-2", None, NOW - 10 * 86_400, NOW - 2 * 3600);
        let v = judge(&silent, HOUR, NOW, &machine(), alive);
        assert!(
            matches!(&v, Verdict::Dead(r) if r.contains("no heartbeat for 2h 0m")),
            "{v:?}"
        );
        // A timeout shorter than three heartbeats is stretched to three heartbeats.
        let recent = holder("runner-2", None, NOW - 600, NOW - 60);
        assert!(matches!(
            judge(&recent, Duration::ZERO, NOW, &machine(), alive),
            Verdict::Held(_)
        ));
        // Same host name, other pid namespace (another container): the heartbeat decides.
        let mut other_ns = holder("runner-1", here(77), NOW - 600, NOW - 5);
        if let Some(p) = &mut other_ns.process {
            p.pid_namespace = "pid:[2]".into();
        }
        assert!(matches!(
            judge(&other_ns, HOUR, NOW, &machine(), |_| ProcState::Gone),
            Verdict::Held(_)
        ));
    }
}
