//! The state-directory lock: one winner, stale-lock recovery, release on drop.

use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use entraform::lock::{self, DEFAULT_TIMEOUT, Holder, LOCK_FILE, LockError};

fn tempdir(name: &str) -> crate::scratch::Scratch {
    crate::scratch::Scratch::new(&format!("lock-{name}"))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A lock as an older entraform wrote it (no heartbeat, no process identity).
fn old_style(host: &str, pid: u32, started_at: u64, command: &str, token: &str) -> Holder {
    Holder {
        host: host.into(),
        user: "ci".into(),
        pid,
        started_at,
        command: command.into(),
        token: token.into(),
        heartbeat_at: 0,
        heartbeat_every: 0,
        process: None,
    }
}

fn write_lock(dir: &std::path::Path, holder: &Holder) {
    std::fs::write(dir.join(LOCK_FILE), serde_json::to_string(holder).unwrap()).unwrap();
}

#[test]
fn of_many_concurrent_runs_exactly_one_wins_each_round() {
    let dir = tempdir("race");
    for _round in 0..20 {
        let n = 8;
        let barrier = Arc::new(Barrier::new(n));
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let dir = dir.to_path_buf();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    barrier.wait();
                    let r = lock::acquire(&dir, &format!("run-{i}"), DEFAULT_TIMEOUT);
                    // Hold it until every thread has tried.
                    std::thread::sleep(Duration::from_millis(100));
                    r
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let winners = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "{results:?}");
        for r in &results {
            if let Err(e) = r {
                assert!(matches!(e, LockError::Held { .. }), "{e}");
                let msg = e.to_string();
                assert!(msg.contains("is held by `run-"), "{msg}");
                assert!(
                    msg.contains(&format!("(pid {})", std::process::id())),
                    "{msg}"
                );
            }
        }
        drop(results);
        assert!(!dir.join(LOCK_FILE).exists(), "released when dropped");
    }
}

#[test]
fn the_lock_file_names_the_holder() {
    let dir = tempdir("holder");
    let l = lock::acquire(&dir, "reconcile", DEFAULT_TIMEOUT).unwrap();
    let h: Holder =
        serde_json::from_str(&std::fs::read_to_string(dir.join(LOCK_FILE)).unwrap()).unwrap();
    assert_eq!(h.pid, std::process::id());
    assert_eq!(h.command, "reconcile");
    assert_eq!(h.host, lock::hostname());
    assert!(now() - h.started_at < 5);
    assert_eq!(&h, l.holder());
    assert!(l.took_over.is_none());
}

#[test]
fn a_lock_older_than_the_timeout_is_taken_over() {
    let dir = tempdir("old");
    write_lock(
        &dir,
        &old_style("build-agent-7", 4242, now() - 2 * 3600, "apply", "abc"),
    );
    // Within a 3 h timeout it is still held (another host: its pid cannot be checked).
    let e = lock::acquire(&dir, "reconcile", Duration::from_secs(3 * 3600)).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("`apply` run by ci@build-agent-7 (pid 4242), taken 2h 0m ago"),
        "{msg}"
    );
    let l = lock::acquire(&dir, "reconcile", DEFAULT_TIMEOUT).unwrap();
    let took = l.took_over.clone().expect("took over");
    assert!(
        took.contains("build-agent-7") && took.contains("longer than the lock timeout"),
        "{took}"
    );
    assert_eq!(l.holder().command, "reconcile");
}

#[test]
fn a_lock_whose_pid_cannot_exist_on_this_host_is_taken_over() {
    // Deterministic: a pid above the kernel's pid_max never belongs to a process
    // (a pid taken from an exited child could be reused by the time the lock is judged).
    let Ok(max) = std::fs::read_to_string("/proc/sys/kernel/pid_max") else {
        return; // pid liveness is only checked where /proc exists
    };
    let impossible = max.trim().parse::<u32>().unwrap() + 1;
    let dir = tempdir("dead");
    write_lock(
        &dir,
        &old_style(&lock::hostname(), impossible, now(), "apply", "abc"),
    );
    let l = lock::acquire(&dir, "apply", DEFAULT_TIMEOUT).unwrap();
    assert!(
        l.took_over.as_deref().unwrap().contains("no longer exists"),
        "{:?}",
        l.took_over
    );
}

/// A lock naming `child` (identity included), taken long ago, with a fresh heartbeat.
fn lock_of(child: &std::process::Child, started_at: u64) -> Holder {
    Holder {
        host: lock::hostname(),
        user: "ci".into(),
        pid: child.id(),
        started_at,
        command: "apply".into(),
        token: format!("child-{}", child.id()),
        heartbeat_at: started_at,
        heartbeat_every: 1,
        process: lock::process_id(child.id()),
    }
}

#[test]
fn a_running_holder_is_never_taken_over_and_a_dead_one_is() {
    if !std::path::Path::new("/proc/self/stat").exists() {
        return; // process identity is read from /proc
    }
    let dir = tempdir("live");
    let mut child = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    // Taken ten days ago, heartbeat as old: still held while the process runs.
    write_lock(&dir, &lock_of(&child, now() - 10 * 86_400));
    for timeout in [Duration::ZERO, Duration::from_secs(1), DEFAULT_TIMEOUT] {
        let e = lock::acquire(&dir, "reconcile", timeout).unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, LockError::Held { .. }) && msg.contains("never taken over"),
            "timeout {timeout:?}: {msg}"
        );
    }
    // Killed but not reaped: a zombie keeps its pid (no reuse possible), and counts as dead.
    child.kill().unwrap();
    let start = std::time::Instant::now();
    while lock::proc_state(child.id()) != lock::ProcState::Gone {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "child never died"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let l = lock::acquire(&dir, "reconcile", DEFAULT_TIMEOUT).unwrap();
    let took = l.took_over.clone().expect("took over");
    assert!(took.contains("no longer exists"), "{took}");
    drop(l);
    child.wait().unwrap();
}

#[test]
fn a_reused_pid_does_not_keep_a_dead_holders_lock() {
    if !std::path::Path::new("/proc/self/stat").exists() {
        return;
    }
    let dir = tempdir("reused");
    let mut child = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let mut h = lock_of(&child, now());
    // The holder was an earlier process with the same pid.
    if let Some(p) = &mut h.process {
        p.start_ticks -= 1;
    }
    write_lock(&dir, &h);
    let l = lock::acquire(&dir, "apply", DEFAULT_TIMEOUT).unwrap();
    assert!(
        l.took_over.as_deref().unwrap().contains("another process"),
        "{:?}",
        l.took_over
    );
    drop(l);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_holder_on_another_host_lives_as_long_as_its_heartbeat() {
    let dir = tempdir("foreign");
    let mut h = old_style("build-agent-9", 77, now() - 10 * 86_400, "apply", "far");
    h.heartbeat_every = 30;
    h.heartbeat_at = now() - 5;
    write_lock(&dir, &h);
    // Taken ten days ago, but beating: held even with a short timeout.
    let e = lock::acquire(&dir, "reconcile", Duration::from_secs(60)).unwrap_err();
    assert!(e.to_string().contains("last heartbeat was"), "{e}");
    h.heartbeat_at = now() - 2 * 3600;
    write_lock(&dir, &h);
    let l = lock::acquire(&dir, "reconcile", DEFAULT_TIMEOUT).unwrap();
    let took = l.took_over.clone().expect("took over");
    assert!(took.contains("no heartbeat for 2h 0m"), "{took}");
}

#[test]
fn the_heartbeat_is_refreshed_while_the_lock_is_held() {
    let dir = tempdir("beat");
    let l = lock::acquire(&dir, "apply", Duration::from_secs(4)).unwrap();
    assert_eq!(l.heartbeat_every(), Duration::from_secs(1));
    let first: Holder =
        serde_json::from_str(&std::fs::read_to_string(dir.join(LOCK_FILE)).unwrap()).unwrap();
    let start = std::time::Instant::now();
    loop {
        let h: Holder =
            serde_json::from_str(&std::fs::read_to_string(dir.join(LOCK_FILE)).unwrap()).unwrap();
        assert_eq!(h.token, first.token);
        if h.heartbeat_at >= first.heartbeat_at + 2 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "heartbeat not refreshed: {h:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(l);
    assert!(!dir.join(LOCK_FILE).exists());
}

#[test]
fn an_unreadable_fresh_lock_counts_as_held() {
    let dir = tempdir("empty");
    std::fs::write(dir.join(LOCK_FILE), "").unwrap();
    let e = lock::acquire(&dir, "apply", DEFAULT_TIMEOUT).unwrap_err();
    assert!(e.to_string().contains("unknown run"), "{e}");
}

#[test]
fn released_on_drop_also_on_an_error_path_but_never_someone_elses() {
    let dir = tempdir("drop");
    fn failing_run(dir: &std::path::Path) -> Result<(), String> {
        let _lock = lock::acquire(dir, "apply", DEFAULT_TIMEOUT).map_err(|e| e.to_string())?;
        assert!(dir.join(LOCK_FILE).exists());
        Err("the tenant could not be read".into())
    }
    assert!(failing_run(&dir).is_err());
    assert!(!dir.join(LOCK_FILE).exists());

    // A run judged stale and taken over must not remove its successor's lock when it ends.
    let first = lock::acquire(&dir, "apply", DEFAULT_TIMEOUT).unwrap();
    let successor = old_style("elsewhere", 1, now(), "reconcile", "successor");
    write_lock(&dir, &successor);
    drop(first);
    assert!(dir.join(LOCK_FILE).exists(), "the successor's lock stays");
}

/// Through the binary: an `apply` stalled at its first write holds the lock and
/// beats; a second run is refused whatever its `--lock-timeout`, and the lock is
/// gone once the first run ends.
#[cfg(unix)]
#[test]
fn a_running_apply_keeps_its_lock_against_any_lock_timeout() {
    use crate::cli_support::{self, NEW_HIRE, out};
    use crate::stall_proxy::{Stall, StallProxy};

    let t = cli_support::tenant("examples/seed.yaml");
    let dir = tempdir("cli");
    let state = dir.join("state");
    let proxy = StallProxy::start(t.emu.base_url(), "POST /v1.0/$batch", Stall::HoldRequest);
    let state_arg = state.to_str().unwrap();
    let mut first = cli_support::command_via(
        &t,
        &proxy.url(),
        &[
            "apply",
            "examples/desired-state",
            "--auto-approve",
            "--state-dir",
            state_arg,
            "--lock-timeout",
            "4s",
        ],
        &[NEW_HIRE],
    );
    let mut child = first
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !proxy.tripped() {
        if child.try_wait().unwrap().is_some() {
            panic!(
                "apply ended early:\n{}",
                out(&child.wait_with_output().unwrap())
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "apply never sent its first write"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let read = || -> Holder {
        serde_json::from_str(&std::fs::read_to_string(state.join(LOCK_FILE)).unwrap()).unwrap()
    };
    let held = read();
    assert_eq!(held.pid, child.id());
    assert_eq!(held.heartbeat_every, 1);
    // The heartbeat moves while the run waits on Graph.
    let start = std::time::Instant::now();
    while read().heartbeat_at < held.heartbeat_at + 2 {
        assert!(start.elapsed() < Duration::from_secs(10), "no heartbeat");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Older than any timeout given, yet never taken over while its process runs.
    std::thread::sleep(Duration::from_millis(1100));
    for timeout in ["0s", "1s"] {
        let o = cli_support::run(
            &t,
            &[
                "apply",
                "examples/desired-state",
                "--auto-approve",
                "--state-dir",
                state_arg,
                "--lock-timeout",
                timeout,
            ],
            &[NEW_HIRE],
        );
        let text = out(&o);
        assert_eq!(o.status.code(), Some(1), "{text}");
        assert!(
            text.contains("is held by `apply`") && text.contains("never taken over"),
            "{text}"
        );
    }
    assert_eq!(
        read().token,
        held.token,
        "the lock still belongs to the first run"
    );
    proxy.release();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(!state.join(LOCK_FILE).exists(), "released at the end");
}
