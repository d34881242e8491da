//! Benchmark: load and validate a synthetic repo of 100,000 users in 100 files.
//!
//! Run with `cargo bench --bench load_validate` (release profile). Prints the
//! wall time of `entraform::desired::load_dir` for each of several runs, with
//! the CPU time (less sensitive than wall time to other work on a shared
//! machine) and the process's peak RSS so far.

use std::fmt::Write as _;
use std::time::Instant;

mod common;
use common::{cpu_seconds, peak_rss_mb};

fn main() {
    // `cargo bench` passes `--bench`; under `cargo test --all-targets` run a small smoke version.
    let full = std::env::args().any(|a| a == "--bench");
    let users: usize = std::env::var("USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 100_000 } else { 2_000 });
    let files: usize = std::env::var("FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 100 } else { 4 });
    let dir = std::env::temp_dir().join(format!("entraform-bench-{users}-{files}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("users")).expect("create bench dir");
    let groups = 200;
    let mut t = String::from(
        "tenant:\n  domain: contoso.com\n  absent_users: disable\n  defaults:\n    usageLocation: US\n    enabled: true\ngroups:\n",
    );
    for g in 0..groups {
        let _ = writeln!(t, "  - name: team-{g}\n    description: Team {g}");
    }
    t.push_str("roles:\n  - role: Helpdesk Administrator\n    principals: [u0, u1, u2]\n");
    std::fs::write(dir.join("tenant.yaml"), t).expect("write tenant");
    let per_file = users.div_ceil(files);
    let mut bytes = 0usize;
    for f in 0..files {
        let mut s = String::from("users:\n");
        for i in f * per_file..((f + 1) * per_file).min(users) {
            let manager = if i == 0 {
                "null".to_string()
            } else {
                format!("u{}", (i - 1) / 10)
            };
            let _ = write!(
                s,
                "  - upn: u{i}@contoso.com\n    displayName: User Number {i}\n    givenName: User\n    surname: Number{i}\n    \
                 jobTitle: Engineer\n    department: Dept {d}\n    employeeId: \"{i:08}\"\n    employeeHireDate: 2021-03-01\n    \
                 city: Redmond\n    postalCode: \"98052\"\n    businessPhones: [\"+1 425 555 0100\"]\n    manager: {manager}\n    \
                 groups: [team-{g1}, team-{g2}]\n",
                d = i % 20,
                g1 = i % groups,
                g2 = (i * 7 + 3) % groups,
            );
        }
        bytes += s.len();
        std::fs::write(dir.join(format!("users/part-{f:03}.yaml")), s).expect("write users");
    }
    println!(
        "repo: {users} users, {groups} groups in {} files, {:.1} MB",
        files + 1,
        bytes as f64 / 1e6
    );
    for run in 1..=if full { 3 } else { 1 } {
        let (start, cpu0) = (Instant::now(), cpu_seconds());
        let loaded = entraform::desired::load_dir(&dir);
        let (elapsed, cpu) = (start.elapsed(), cpu_seconds() - cpu0);
        match &loaded.result {
            Ok((state, _)) => println!(
                "run {run}: load + validate {:.3} s wall, {cpu:.2} s CPU ({} users, {} groups); peak RSS {:.0} MB",
                elapsed.as_secs_f64(),
                state.users.len(),
                state.groups.len(),
                peak_rss_mb()
            ),
            Err(d) => panic!("synthetic repo invalid: {:?}", d.first()),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
