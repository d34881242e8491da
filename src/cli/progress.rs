//! Progress while the tenant is read (on stderr; stdout carries plans and JSON).
//!
//! A read of a large tenant takes a while (10,000 users at Graph's usual
//! latency: about 16 s). On a terminal a spinner shows the objects and
//! requests so far; otherwise (CI logs, pipes) a line every
//! [`LINE_EVERY`], and a last line with the totals when at least one was
//! printed. A read that ends before the first line stays silent.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::live::ReadProgress;

/// How often a progress line is printed when stderr is not a terminal.
pub const LINE_EVERY: Duration = Duration::from_secs(2);

/// How often the terminal spinner is redrawn.
const TICK: Duration = Duration::from_millis(120);

/// `12400` → `12,400`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 user`, `2 users`, `12,400 users`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// What has been read so far, in words.
fn so_far(progress: &ReadProgress, requests: u64) -> String {
    format!(
        "{}, {}, {}",
        count(progress.users(), "user", "users"),
        count(progress.groups(), "group", "groups"),
        count(requests, "request", "requests"),
    )
}

/// A running progress display; [`ReadDisplay::finish`] stops it.
pub struct ReadDisplay {
    stop: Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl ReadDisplay {
    /// Start showing `progress`; `requests` tells how many HTTP requests were sent so far.
    pub fn start(
        progress: Arc<ReadProgress>,
        requests: impl Fn() -> u64 + Send + 'static,
    ) -> ReadDisplay {
        let (stop, stopped) = channel();
        let terminal = std::io::stderr().is_terminal();
        let thread = std::thread::Builder::new()
            .name("entraform-progress".into())
            .spawn(move || {
                if terminal {
                    spinner(&progress, &requests, &stopped);
                } else {
                    lines(&progress, &requests, &stopped);
                }
            })
            .ok();
        ReadDisplay { stop, thread }
    }

    /// Stop the display (and wait for its last line).
    pub fn finish(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ReadDisplay {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// Off a terminal: a line every [`LINE_EVERY`], and the totals at the end if anything was printed.
fn lines(progress: &ReadProgress, requests: &dyn Fn() -> u64, stopped: &Receiver<()>) {
    let started = Instant::now();
    let mut printed = false;
    // Until told to stop (or the sender is gone): a line at each timeout.
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(LINE_EVERY) {
        eprintln!(
            "reading the tenant: {} so far",
            so_far(progress, requests())
        );
        printed = true;
    }
    if printed {
        eprintln!(
            "read the tenant: {} in {:.1} s",
            so_far(progress, requests()),
            started.elapsed().as_secs_f64()
        );
    }
}

/// On a terminal: a spinner redrawn in place, cleared at the end.
fn spinner(progress: &ReadProgress, requests: &dyn Fn() -> u64, stopped: &Receiver<()>) {
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    loop {
        bar.set_message(format!(
            "reading the tenant: {}",
            so_far(progress, requests())
        ));
        bar.tick();
        match stopped.recv_timeout(TICK) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    bar.finish_and_clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_a_person_writes_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(12_400), "12,400");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(count(1, "user", "users"), "1 user");
        assert_eq!(count(0, "user", "users"), "0 users");
        assert_eq!(count(131, "request", "requests"), "131 requests");
    }
}
