//! The lock holder's heartbeat: a background thread rewrites the lock file's
//! `heartbeat_at` while the run holds it, under the take-over guard and only
//! while the file still holds the run's token.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::{Guard, Holder, holder_text, now_secs};

/// Longest interval between two heartbeats.
const MAX_HEARTBEAT: Duration = Duration::from_secs(30);

/// Seconds between heartbeats for a run using `timeout`: a quarter of it,
/// between 1 s and 30 s.
pub fn heartbeat_interval(timeout: Duration) -> Duration {
    (timeout / 4).clamp(Duration::from_secs(1), MAX_HEARTBEAT)
}

/// Refreshes the holder's heartbeat in the lock file until stopped.
#[derive(Debug)]
pub(super) struct Heartbeat {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Heartbeat {
    pub(super) fn start(path: PathBuf, dir: PathBuf, mut holder: Holder) -> Heartbeat {
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

    pub(super) fn stop(mut self) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_intervals() {
        assert_eq!(
            heartbeat_interval(Duration::from_secs(3600)),
            Duration::from_secs(30)
        );
        assert_eq!(
            heartbeat_interval(Duration::from_secs(8)),
            Duration::from_secs(2)
        );
        assert_eq!(heartbeat_interval(Duration::ZERO), Duration::from_secs(1));
    }
}
