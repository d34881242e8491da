//! Issue #13 §4: reading a tenant shows progress. Off a terminal (as here: the
//! test's pipes) a line every 2 s on stderr, with the objects and requests so
//! far, and the totals at the end; stdout carries only the plan or JSON.

use std::time::{Duration, Instant};

use graph_emulator::{BackgroundEmulator, EmulatorConfig, FaultConfig, Seed, SyntheticSpec};

use crate::cli_support::{Tenant, out, run, tempdir};

/// 1,500 users at 200 ms a request: the user listing alone takes 15 pages (Graph
/// pages `$expand` listings by 100), about 3 s.
fn slow_tenant() -> Tenant {
    let seed = Seed::synthetic(SyntheticSpec {
        users: 1_500,
        groups: 20,
        memberships: 300,
        rng_seed: 7,
    });
    let app = seed.applications[0].app_id.clone();
    let config = EmulatorConfig {
        faults: FaultConfig {
            latency_ms: 200,
            ..FaultConfig::default()
        },
        ..EmulatorConfig::default()
    };
    let emu = BackgroundEmulator::start(seed, config).expect("emulator");
    let token = emu.issue_token(&app);
    Tenant { emu, token, app }
}

/// The progress lines of a run's stderr.
fn progress_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.starts_with("reading the tenant: ") || l.starts_with("read the tenant: "))
        .map(str::to_string)
        .collect()
}

/// `12,400 users, 300 groups, 131 requests` → (12400, 300, 131).
fn counts(line: &str) -> (u64, u64, u64) {
    let body = line.split_once(": ").unwrap().1;
    let n: Vec<u64> = body
        .split(", ")
        .take(3)
        .map(|part| {
            let digits: String = part
                .split(' ')
                .next()
                .unwrap()
                .chars()
                .filter(|c| *c != ',')
                .collect();
            digits.parse().unwrap_or_else(|_| panic!("{line}"))
        })
        .collect();
    (n[0], n[1], n[2])
}

fn check_progress(stderr: &[u8], took: Duration) {
    let lines = progress_lines(stderr);
    let text = String::from_utf8_lossy(stderr);
    assert!(
        lines.len() >= 2,
        "a read of {took:?} shows at least one line and the totals: {text}"
    );
    let (last, running) = lines.split_last().unwrap();
    for l in running {
        assert!(
            l.starts_with("reading the tenant: ") && l.ends_with(" requests so far"),
            "{l}"
        );
        let (users, _, requests) = counts(l);
        assert!(requests >= 1 && users <= 1_500, "{l}");
    }
    // Counts only grow.
    let seen: Vec<(u64, u64, u64)> = running.iter().map(|l| counts(l)).collect();
    assert!(
        seen.windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1 && w[0].2 <= w[1].2),
        "{lines:?}"
    );
    assert!(
        last.starts_with("read the tenant: 1,500 users, 20 groups, "),
        "{last}"
    );
    assert!(last.ends_with(" s"), "{last}");
    // At most one line per 2 s (plus the totals).
    assert!(
        running.len() as u64 <= took.as_secs() / 2 + 1,
        "{} lines in {took:?}",
        running.len()
    );
}

#[test]
fn a_slow_read_shows_progress_on_stderr_and_nothing_on_stdout() {
    let t = slow_tenant();
    let dir = tempdir("progress-export");
    let repo = dir.join("repo");
    let started = Instant::now();
    let o = run(&t, &["export", "--out", repo.to_str().unwrap()], &[]);
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    check_progress(&o.stderr, took);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        !stdout.contains("tenant:"),
        "progress is not on stdout: {stdout}"
    );
    assert!(stdout.starts_with("Exported "), "{stdout}");

    // plan --format json: stdout stays one JSON document.
    let started = Instant::now();
    let o = run(
        &t,
        &["plan", repo.to_str().unwrap(), "--format", "json"],
        &[],
    );
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    check_progress(&o.stderr, took);
    let plan: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", out(&o)));
    assert_eq!(plan["summary"]["create"], 0, "{plan}");
}

#[test]
fn a_quick_read_stays_silent() {
    let t = crate::cli_support::tenant("examples/seed.yaml");
    let o = run(&t, &["plan", "examples/desired-state"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        progress_lines(&o.stderr),
        Vec::<String>::new(),
        "{}",
        out(&o)
    );
}
