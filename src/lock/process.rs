//! Telling processes apart on this host (Linux `/proc`): a pid's state and
//! start time, the boot id and the pid namespace, so a lock holder is judged
//! by its process, not by a pid that may have been reused.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// A process's identity on a Linux host: unlike the pid alone, it is never reused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessId {
    /// `/proc/sys/kernel/random/boot_id`: changes at every boot.
    pub boot_id: String,
    /// The pid namespace (`/proc/self/ns/pid`): containers sharing a host name have their own.
    pub pid_namespace: String,
    /// Start time of the process in clock ticks since boot (`/proc/<pid>/stat`, field 22).
    pub start_ticks: u64,
}

/// What `/proc` says about a pid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcState {
    /// No such process (or a zombie: it has ended).
    Gone,
    /// Running, started at this many clock ticks after boot.
    Running {
        /// `/proc/<pid>/stat` field 22.
        start_ticks: u64,
    },
    /// Cannot tell (no `/proc`).
    Unknown,
}

/// The identity of process `pid` on this machine (Linux; `None` elsewhere).
pub fn process_id(pid: u32) -> Option<ProcessId> {
    let ProcState::Running { start_ticks } = proc_state(pid) else {
        return None;
    };
    Some(ProcessId {
        boot_id: boot_id()?,
        pid_namespace: pid_namespace()?,
        start_ticks,
    })
}

/// The state of `pid` according to `/proc/<pid>/stat`.
pub fn proc_state(pid: u32) -> ProcState {
    if !Path::new("/proc/self/stat").exists() {
        return ProcState::Unknown;
    }
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => parse_stat(&stat).unwrap_or(ProcState::Unknown),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ProcState::Gone,
        Err(_) => ProcState::Unknown,
    }
}

/// `pid (comm) S ppid …`: the state (field 3) and the start time (field 22).
/// `comm` may hold spaces and parentheses, so fields are counted after the last `)`.
fn parse_stat(stat: &str) -> Option<ProcState> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = *fields.first()?;
    if state == "Z" || state == "X" || state == "x" {
        return Some(ProcState::Gone);
    }
    let start_ticks = fields.get(22 - 3)?.parse().ok()?;
    Some(ProcState::Running { start_ticks })
}

pub(super) fn boot_id() -> Option<String> {
    fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

pub(super) fn pid_namespace() -> Option<String> {
    fs::read_link("/proc/self/ns/pid")
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

/// Is `pid` a running process on this host? Unknown (no `/proc`) counts as alive; a zombie is dead.
pub fn pid_alive(pid: u32) -> bool {
    pid == std::process::id() || proc_state(pid) != ProcState::Gone
}

/// This host's name (`/proc/sys/kernel/hostname`, `HOSTNAME`, `COMPUTERNAME`, or `unknown`).
pub fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("COMPUTERNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_command_names() {
        let line = "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 0 0";
        assert_eq!(
            parse_stat(line),
            Some(ProcState::Running {
                start_ticks: 987_654
            })
        );
        let zombie = "4242 (x) Z 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 0 0";
        assert_eq!(parse_stat(zombie), Some(ProcState::Gone));
        assert_eq!(parse_stat("garbage"), None);
        let me = proc_state(std::process::id());
        if Path::new("/proc/self/stat").exists() {
            assert!(matches!(me, ProcState::Running { .. }), "{me:?}");
            assert!(process_id(std::process::id()).is_some());
        }
    }
}
