//! A lock file so two runs against the same state directory never interleave applies.
//!
//! `DIR/entraform.lock` is created atomically (`create_new`: `O_CREAT|O_EXCL`)
//! and holds who took it (host, user, pid), when (Unix seconds) and the
//! command. A second run fails with a message naming the holder and its age.
//! A lock is *stale*, and is taken over with a warning, when it is older than
//! the timeout or when its holder ran on this host and its pid no longer
//! exists (Linux: `/proc/<pid>`; elsewhere only the age counts). The take-over
//! itself is serialised by a short-lived guard file (`entraform.lock.takeover`)
//! so two runs that both find the same stale lock cannot both win. The lock is
//! released when the [`Lock`] is dropped (also on an error path), and only if
//! the file still holds this run's token.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// File name of the lock inside the state directory.
pub const LOCK_FILE: &str = "entraform.lock";
/// Default age after which a lock is considered abandoned.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);
/// A take-over guard older than this is left over from a crash and is removed.
const GUARD_STALE: Duration = Duration::from_secs(60);

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
}

impl Holder {
    fn current(command: &str) -> Holder {
        Holder {
            host: hostname(),
            user: std::env::var("USER")
                .or_else(|_| std::env::var("USERNAME"))
                .unwrap_or_else(|_| "unknown".into()),
            pid: std::process::id(),
            started_at: now_secs(),
            command: command.to_string(),
            token: format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
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
        "{path} is held by {holder}, taken {age} ago; wait for it to finish, or remove the file if that run is gone (it counts as abandoned after {timeout})",
        path = path.display(),
        age = human_duration(*age),
        timeout = human_duration(*timeout)
    )]
    Held {
        /// The lock file.
        path: PathBuf,
        /// Its holder, described (command, user@host, pid).
        holder: String,
        /// How long it has been held.
        age: Duration,
        /// The configured timeout.
        timeout: Duration,
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

/// A held lock; dropping it removes the file.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    holder: Holder,
    /// The holder that was displaced, when a stale lock was taken over.
    pub took_over: Option<String>,
}

impl Lock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// This run's entry in the lock file.
    pub fn holder(&self) -> &Holder {
        &self.holder
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Only remove the file if it is still ours (not taken over after we were judged stale).
        if let Ok(text) = fs::read_to_string(&self.path)
            && let Ok(h) = serde_json::from_str::<Holder>(&text)
            && h.token == self.holder.token
        {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Take the lock in `dir` (created if missing) for `command`.
///
/// A lock older than `timeout`, or held by a pid that no longer exists on
/// this host, is taken over (the displaced holder is in [`Lock::took_over`];
/// the caller warns about it).
pub fn acquire(dir: &Path, command: &str, timeout: Duration) -> Result<Lock, LockError> {
    fs::create_dir_all(dir).map_err(|source| LockError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let path = dir.join(LOCK_FILE);
    let holder = Holder::current(command);
    let mut took_over = None;
    // A few rounds: create; if held and stale, remove under the guard and retry.
    for round in 0..10 {
        match try_create(&path, &holder) {
            Ok(()) => {
                return Ok(Lock {
                    path,
                    holder,
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
        match existing.stale(timeout) {
            None => {
                return Err(LockError::Held {
                    holder: existing.describe(),
                    age: existing.age,
                    timeout,
                    path,
                });
            }
            Some(reason) => {
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
        age: existing.map_or(Duration::ZERO, |e| e.age),
        timeout,
        path,
    })
}

fn try_create(path: &Path, holder: &Holder) -> std::io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    let mut text = serde_json::to_string_pretty(holder).map_err(std::io::Error::other)?;
    text.push('\n');
    let written = f.write_all(text.as_bytes()).and_then(|_| f.sync_all());
    if let Err(e) = written {
        let _ = fs::remove_file(path);
        return Err(e);
    }
    Ok(())
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

    /// `Some(reason)` when the lock may be taken over.
    fn stale(&self, timeout: Duration) -> Option<String> {
        if self.age > timeout {
            return Some(format!(
                "held for {}, longer than the lock timeout {}",
                human_duration(self.age),
                human_duration(timeout)
            ));
        }
        let h = self.holder.as_ref()?;
        if h.host == hostname() && !pid_alive(h.pid) {
            return Some(format!("process {} no longer exists on this host", h.pid));
        }
        None
    }
}

fn inspect(path: &Path) -> Option<Existing> {
    let raw = fs::read_to_string(path).ok()?;
    let holder = serde_json::from_str::<Holder>(&raw).ok();
    let age = match &holder {
        Some(h) => Duration::from_secs(now_secs().saturating_sub(h.started_at)),
        None => fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .unwrap_or(Duration::ZERO),
    };
    Some(Existing { raw, holder, age })
}

/// Remove the stale lock, under the take-over guard, if it is still the one judged stale.
fn remove_if_unchanged(path: &Path, dir: &Path, seen: &Existing) -> Result<bool, LockError> {
    let guard = dir.join(format!("{LOCK_FILE}.takeover"));
    match OpenOptions::new().write(true).create_new(true).open(&guard) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // Someone else is taking over right now; a guard left by a crash is removed when old.
            let old = fs::metadata(&guard)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > GUARD_STALE);
            if old {
                let _ = fs::remove_file(&guard);
            }
            std::thread::sleep(Duration::from_millis(50));
            return Ok(false);
        }
        Err(source) => {
            return Err(LockError::Io {
                path: guard,
                source,
            });
        }
    }
    let still = fs::read_to_string(path).ok();
    let removed = if still.as_deref() == Some(seen.raw.as_str()) {
        fs::remove_file(path).is_ok()
    } else {
        false
    };
    let _ = fs::remove_file(&guard);
    Ok(removed)
}

/// Is `pid` a running process on this host? Unknown (not Linux) counts as alive.
pub fn pid_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc_root = Path::new("/proc");
    if proc_root.join("self").exists() {
        proc_root.join(pid.to_string()).exists()
    } else {
        true
    }
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
}
