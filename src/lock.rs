//! A lock file so two runs against the same state directory never interleave applies.
//!
//! `DIR/entraform.lock` is created atomically (`create_new`: `O_CREAT|O_EXCL`)
//! and holds who took it (host, user, pid and, on Linux, the process's
//! identity: boot id, pid namespace and start time), when, the command, and a
//! heartbeat that a background thread refreshes while the lock is held. A
//! second run fails with a message naming the holder and its age.
//!
//! A lock is taken over (with a warning) only when its holder is dead:
//! - on this host (same boot and pid namespace), when its process is gone or
//!   its pid now belongs to another process (start time differs). A running
//!   holder is never taken over, whatever `--lock-timeout` says;
//! - on another host (or where the process cannot be checked), when its
//!   heartbeat is older than the lock timeout (and at least three heartbeat
//!   intervals).
//!
//! The take-over, and each heartbeat, happen under a short-lived guard file
//! (`entraform.lock.takeover`) so two runs that find the same stale lock cannot
//! both win, and a heartbeat never rewrites a lock that is no longer ours. The
//! lock is released when the [`Lock`] is dropped (also on an error path), and
//! only if the file still holds this run's token.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// File name of the lock inside the state directory.
pub const LOCK_FILE: &str = "entraform.lock";
/// Default lock timeout: a holder on another host is abandoned after this long without a heartbeat.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);
/// A take-over guard older than this is left over from a crash and is removed.
const GUARD_STALE: Duration = Duration::from_secs(60);
/// Longest interval between two heartbeats.
const MAX_HEARTBEAT: Duration = Duration::from_secs(30);
/// A holder is abandoned only after missing at least this many heartbeats.
const MISSED_BEATS: u64 = 3;

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Host name of the holder.
    pub host: String,
    /// User name of the holder (`USER` / `USERNAME`).
    pub user: String,
    /// Process id of the holder on `host`.
    pub pid: u32,
    /// When the lock was taken (seconds since the Unix epoch).
    pub started_at: u64,
    /// The command that took it (`apply`, `reconcile`).
    pub command: String,
    /// Random token identifying this acquisition (release checks it).
    pub token: String,
    /// Last heartbeat (seconds since the Unix epoch; 0 in locks of older versions).
    #[serde(default)]
    pub heartbeat_at: u64,
    /// Seconds between heartbeats (0 in locks of older versions).
    #[serde(default)]
    pub heartbeat_every: u64,
    /// Which process exactly (Linux), so a reused pid is not mistaken for the holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessId>,
}

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

impl Holder {
    fn current(command: &str, heartbeat_every: Duration) -> Holder {
        let now = now_secs();
        let pid = std::process::id();
        Holder {
            host: hostname(),
            user: std::env::var("USER")
                .or_else(|_| std::env::var("USERNAME"))
                .unwrap_or_else(|_| "unknown".into()),
            pid,
            started_at: now,
            command: command.to_string(),
            token: format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
            heartbeat_at: now,
            heartbeat_every: heartbeat_every.as_secs(),
            process: process_id(pid),
        }
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` run by {}@{} (pid {})",
            self.command, self.user, self.host, self.pid
        )
    }
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another live run holds it.
    #[error(
        "{path} is held by {holder}, taken {age} ago; {why}",
        path = path.display(),
        age = human_duration(*age),
    )]
    Held {
        /// The lock file.
        path: PathBuf,
        /// Its holder, described (command, user@host, pid).
        holder: String,
        /// How long it has been held.
        age: Duration,
        /// Why it counts as alive, and what to do.
        why: String,
    },
    /// The state directory or lock file could not be used.
    #[error("cannot use the lock file {}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A held lock; dropping it stops the heartbeat and removes the file.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    holder: Holder,
    heartbeat: Option<Heartbeat>,
    /// The holder that was displaced, when a dead holder's lock was taken over.
    pub took_over: Option<String>,
}

impl Lock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// This run's entry in the lock file (as written when it was taken).
    pub fn holder(&self) -> &Holder {
        &self.holder
    }
    /// How often the heartbeat is refreshed.
    pub fn heartbeat_every(&self) -> Duration {
        Duration::from_secs(self.holder.heartbeat_every)
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(h) = self.heartbeat.take() {
            h.stop();
        }
        // Only remove the file if it is still ours (not taken over after we were judged dead).
        if let Ok(text) = fs::read_to_string(&self.path)
            && let Ok(h) = serde_json::from_str::<Holder>(&text)
            && h.token == self.holder.token
        {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Seconds between heartbeats for a run using `timeout`: a quarter of it,
/// between 1 s and 30 s.
pub fn heartbeat_interval(timeout: Duration) -> Duration {
    (timeout / 4).clamp(Duration::from_secs(1), MAX_HEARTBEAT)
}

/// Take the lock in `dir` (created with mode 0700 if missing) for `command`.
///
/// A dead holder's lock is taken over (the displaced holder is in
/// [`Lock::took_over`]; the caller warns about it): see the module docs for
/// when a holder counts as dead. `timeout` also sets this run's heartbeat
/// interval ([`heartbeat_interval`]).
pub fn acquire(dir: &Path, command: &str, timeout: Duration) -> Result<Lock, LockError> {
    crate::private_file::create_private_dir(dir).map_err(|source| LockError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let path = dir.join(LOCK_FILE);
    let holder = Holder::current(command, heartbeat_interval(timeout));
    let mut took_over = None;
    // A few rounds: create; if held by a dead holder, remove under the guard and retry.
    for round in 0..10 {
        match try_create(&path, &holder) {
            Ok(()) => {
                let heartbeat = Heartbeat::start(path.clone(), dir.to_path_buf(), holder.clone());
                return Ok(Lock {
                    path,
                    holder,
                    heartbeat: Some(heartbeat),
                    took_over,
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => return Err(LockError::Io { path, source }),
        }
        let existing = inspect(&path);
        let Some(existing) = existing else {
            // Vanished between create and read: just try again.
            continue;
        };
        if existing.holder.is_none() && existing.age < Duration::from_secs(2) && round < 9 {
            // Probably being written right now (between create_new and write): look again.
            std::thread::sleep(Duration::from_millis(20));
            continue;
        }
        match existing.verdict(timeout) {
            Verdict::Held(why) => {
                return Err(LockError::Held {
                    holder: existing.describe(),
                    age: existing.age,
                    why,
                    path,
                });
            }
            Verdict::Dead(reason) => {
                if remove_if_unchanged(&path, dir, &existing)? {
                    took_over = Some(format!("{} ({reason})", existing.describe()));
                }
            }
        }
    }
    let existing = inspect(&path);
    Err(LockError::Held {
        holder: existing
            .as_ref()
            .map_or_else(|| "another run".into(), Existing::describe),
        age: existing.as_ref().map_or(Duration::ZERO, |e| e.age),
        why: "other runs kept taking it; try again".into(),
        path,
    })
}

fn holder_text(holder: &Holder) -> std::io::Result<String> {
    let mut text = serde_json::to_string_pretty(holder).map_err(std::io::Error::other)?;
    text.push('\n');
    Ok(text)
}

fn try_create(path: &Path, holder: &Holder) -> std::io::Result<()> {
    let mut f = crate::private_file::create_new_private(path)?;
    let written = holder_text(holder)
        .and_then(|text| f.write_all(text.as_bytes()))
        .and_then(|_| f.sync_all());
    if let Err(e) = written {
        let _ = fs::remove_file(path);
        return Err(e);
    }
    Ok(())
}

/// Refreshes the holder's heartbeat in the lock file until stopped.
#[derive(Debug)]
struct Heartbeat {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    fn start(path: PathBuf, dir: PathBuf, mut holder: Holder) -> Heartbeat {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = stop.clone();
        let every = Duration::from_secs(holder.heartbeat_every.max(1));
        let thread = std::thread::Builder::new()
            .name("entraform-lock-heartbeat".into())
            .spawn(move || {
                let (lock, cvar) = &*flag;
                let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    // The flag is checked before waiting: a stop sent before this thread first waits is not lost.
                    let (guard, _) = cvar
                        .wait_timeout_while(stopped, every, |stop| !*stop)
                        .unwrap_or_else(|e| e.into_inner());
                    stopped = guard;
                    if *stopped {
                        return;
                    }
                    match beat(&path, &dir, &mut holder) {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(
                                path = %path.display(),
                                "the lock file no longer holds this run's token (removed or taken over); heartbeat stopped"
                            );
                            return;
                        }
                        Err(e) => {
                            tracing::warn!(path = %path.display(), error = %e, "cannot refresh the lock heartbeat");
                        }
                    }
                }
            })
            .ok();
        Heartbeat { stop, thread }
    }

    fn stop(mut self) {
        let (lock, cvar) = &*self.stop;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cvar.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Write a new heartbeat if the lock is still ours. `Ok(false)`: it is not.
fn beat(path: &Path, dir: &Path, holder: &mut Holder) -> std::io::Result<bool> {
    let Some(_guard) = Guard::take(dir)? else {
        return Ok(true); // a take-over is being judged right now; beat next time
    };
    let current = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    match serde_json::from_str::<Holder>(&current) {
        Ok(h) if h.token == holder.token => {}
        _ => return Ok(false),
    }
    holder.heartbeat_at = now_secs();
    crate::private_file::write_private(path, holder_text(holder)?.as_bytes())?;
    Ok(true)
}

/// The take-over guard file, removed on drop.
struct Guard(PathBuf);

impl Guard {
    /// `None` when another run holds the guard (one left by a crash is removed when old).
    fn take(dir: &Path) -> std::io::Result<Option<Guard>> {
        let path = dir.join(format!("{LOCK_FILE}.takeover"));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(_) => Ok(Some(Guard(path))),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if modified_age(&path).is_some_and(|age| age > GUARD_STALE) {
                    let _ = fs::remove_file(&path);
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn modified_age(path: &Path) -> Option<Duration> {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
}

/// A lock file found on disk.
#[derive(Debug)]
struct Existing {
    raw: String,
    holder: Option<Holder>,
    age: Duration,
}

/// Whether a lock's holder is alive.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// Alive (or not known to be dead): why, and what to do.
    Held(String),
    /// Dead: the reason, for the take-over warning.
    Dead(String),
}

impl Existing {
    fn describe(&self) -> String {
        match &self.holder {
            Some(h) => h.to_string(),
            None => "an unknown run (the lock file is empty or unreadable)".into(),
        }
    }

    fn verdict(&self, timeout: Duration) -> Verdict {
        match &self.holder {
            Some(h) => judge(h, timeout, now_secs(), &Machine::local(), proc_state),
            None if self.age > timeout => Verdict::Dead(format!(
                "unreadable and untouched for {}, longer than the lock timeout {}",
                human_duration(self.age),
                human_duration(timeout)
            )),
            None => Verdict::Held(format!(
                "the file cannot be read; remove it if no run is using this state directory (it counts as abandoned after {} untouched)",
                human_duration(timeout)
            )),
        }
    }
}

/// This machine, as far as telling processes apart goes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Machine {
    host: String,
    /// Boot id and pid namespace (Linux).
    ids: Option<(String, String)>,
}

impl Machine {
    fn local() -> Machine {
        Machine {
            host: hostname(),
            ids: boot_id().zip(pid_namespace()),
        }
    }
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

/// Is the holder alive? `state_of` reads a pid's state on this machine.
fn judge(
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

fn inspect(path: &Path) -> Option<Existing> {
    let raw = fs::read_to_string(path).ok()?;
    let holder = serde_json::from_str::<Holder>(&raw).ok();
    let age = match &holder {
        Some(h) => Duration::from_secs(now_secs().saturating_sub(h.started_at)),
        None => modified_age(path).unwrap_or(Duration::ZERO),
    };
    Some(Existing { raw, holder, age })
}

/// Remove the dead holder's lock, under the take-over guard, if it is still the one judged.
fn remove_if_unchanged(path: &Path, dir: &Path, seen: &Existing) -> Result<bool, LockError> {
    let guard = Guard::take(dir).map_err(|source| LockError::Io {
        path: dir.join(format!("{LOCK_FILE}.takeover")),
        source,
    })?;
    let Some(_guard) = guard else {
        // Someone else is taking over (or beating) right now.
        std::thread::sleep(Duration::from_millis(50));
        return Ok(false);
    };
    let still = fs::read_to_string(path).ok();
    Ok(still.as_deref() == Some(seen.raw.as_str()) && fs::remove_file(path).is_ok())
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

fn boot_id() -> Option<String> {
    fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn pid_namespace() -> Option<String> {
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

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `1h 5m`, `42s`.
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m {s}s"),
        (h, m, _) => format!("{h}h {m}m"),
    }
}

/// Parse `90s`, `30m`, `1h`, `2h30m` or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Ok(Duration::from_secs(n));
    }
    let mut total = 0u64;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num
            .parse()
            .map_err(|_| format!("invalid duration `{text}`; use e.g. 90s, 30m, 1h"))?;
        num.clear();
        total += n * match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(format!("invalid duration `{text}`; use e.g. 90s, 30m, 1h")),
        };
    }
    if !num.is_empty() || t.is_empty() {
        return Err(format!("invalid duration `{text}`; use e.g. 90s, 30m, 1h"));
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3600"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("2h30m"), Ok(Duration::from_secs(9000)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("1x").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5m3").is_err());
        assert_eq!(human_duration(Duration::from_secs(3900)), "1h 5m");
        assert_eq!(human_duration(Duration::from_secs(42)), "42s");
    }

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

    #[test]
    fn heartbeat_intervals() {
        assert_eq!(heartbeat_interval(HOUR), Duration::from_secs(30));
        assert_eq!(
            heartbeat_interval(Duration::from_secs(8)),
            Duration::from_secs(2)
        );
        assert_eq!(heartbeat_interval(Duration::ZERO), Duration::from_secs(1));
    }
}
