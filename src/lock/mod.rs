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
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

mod heartbeat;
mod liveness;
mod process;

pub use heartbeat::heartbeat_interval;
pub use process::{ProcState, ProcessId, hostname, pid_alive, proc_state, process_id};

use heartbeat::Heartbeat;
use liveness::{Machine, Verdict, judge};

/// File name of the lock inside the state directory.
pub const LOCK_FILE: &str = "entraform.lock";
/// Default lock timeout: a holder on another host is abandoned after this long without a heartbeat.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);
/// A take-over guard older than this is left over from a crash and is removed.
const GUARD_STALE: Duration = Duration::from_secs(60);
/// A holder is abandoned only after missing at least this many heartbeats.
pub(crate) const MISSED_BEATS: u64 = 3;

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

pub(crate) fn holder_text(holder: &Holder) -> std::io::Result<String> {
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

/// The take-over guard file, removed on drop.
pub(crate) struct Guard(PathBuf);

impl Guard {
    /// `None` when another run holds the guard (one left by a crash is removed when old).
    pub(crate) fn take(dir: &Path) -> std::io::Result<Option<Guard>> {
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

pub(crate) fn now_secs() -> u64 {
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
}
