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
        &Holder {
            host: "build-agent-7".into(),
            user: "ci".into(),
            pid: 4242,
            started_at: now() - 2 * 3600,
            command: "apply".into(),
            token: "abc".into(),
        },
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
fn a_lock_whose_process_is_gone_on_this_host_is_taken_over() {
    let dir = tempdir("dead");
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    if !std::path::Path::new("/proc/self").exists() {
        return; // pid liveness is only checked where /proc exists
    }
    write_lock(
        &dir,
        &Holder {
            host: lock::hostname(),
            user: "me".into(),
            pid: dead,
            started_at: now(),
            command: "apply".into(),
            token: "abc".into(),
        },
    );
    let l = lock::acquire(&dir, "apply", DEFAULT_TIMEOUT).unwrap();
    assert!(
        l.took_over.as_deref().unwrap().contains("no longer exists"),
        "{:?}",
        l.took_over
    );
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
    let successor = Holder {
        host: "elsewhere".into(),
        user: "ci".into(),
        pid: 1,
        started_at: now(),
        command: "reconcile".into(),
        token: "successor".into(),
    };
    write_lock(&dir, &successor);
    drop(first);
    assert!(dir.join(LOCK_FILE).exists(), "the successor's lock stays");
}
