//! Benchmark: diff + plan (pure core) for a large tenant.
//!
//! `cargo bench --bench plan` builds a synthetic tenant of 100,000 users, 5,000
//! groups and 500,000 memberships (and a desired state with ~2% drift), then
//! times `plan::build` and reports CPU time and peak memory (VmHWM).
//! Under `cargo test --all-targets` it runs a small smoke size.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use entraform::desired::attrs::{Attr, AttrValues};
use entraform::desired::load::load_texts;
use entraform::desired::source::SourceMap;
use entraform::live::LiveUser;
use entraform::model::{ObjectId, Upn};
use entraform::plan::{self, GateOverrides};

mod common;
#[path = "../tests/common/live_fixture.rs"]
mod live_fixture;
use common::{cpu_seconds, peak_rss_mb, rss_mb};
use live_fixture::LiveFixture;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let users: usize = if full { 100_000 } else { 2_000 };
    let groups: usize = if full { 5_000 } else { 100 };
    let per_group = 100; // memberships = groups × 100
    const GA: &str = "62e90394-69f5-4237-9190-012177145e10";

    // Live tenant.
    let mut f = LiveFixture::default();
    for i in 0..users {
        let mut u = LiveUser::new(
            ObjectId(format!("00000000-0000-4000-8000-{i:012}")),
            Upn::new_unchecked(format!("u{i}@contoso.com")),
        );
        u.attrs = AttrValues::from_values([
            (Attr::DisplayName, format!("User {i}").into()),
            (Attr::GivenName, "User".into()),
            (Attr::Surname, format!("N{i}").into()),
            (Attr::MailNickname, format!("u{i}").into()),
            (
                Attr::JobTitle,
                if i % 50 == 0 { "Old Title" } else { "Engineer" }.into(),
            ),
            (Attr::Department, format!("Dept {}", i % 20).into()),
            (Attr::UsageLocation, "US".into()),
            (Attr::City, "Redmond".into()),
        ]);
        u.manager =
            (i > 0).then(|| ObjectId(format!("00000000-0000-4000-8000-{:012}", (i - 1) / 10)));
        f.users.push(u);
    }
    for g in 0..groups {
        let members = (0..per_group)
            .map(|k| (g * 37 + k * 1009) % users)
            .map(|u| ObjectId(format!("00000000-0000-4000-8000-{u:012}")))
            .collect();
        f.groups.push((
            ObjectId(format!("10000000-0000-4000-8000-{g:012}")),
            format!("team-{g}"),
            members,
        ));
    }
    f.roles.push((GA.into(), "Global Administrator".into()));
    f.assignments.push((
        "ra-0".into(),
        ObjectId("00000000-0000-4000-8000-000000000000".into()),
        GA.into(),
    ));
    let live = f.build();

    // Desired state: same people; every 50th user gets a new title; each group gains one member and loses one.
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    files.push((PathBuf::from("tenant.yaml"), "tenant:\n  domain: contoso.com\n  absent_users: disable\nroles:\n  - role: Global Administrator\n    principals: [u0]\n".to_string()));
    let chunk = users.div_ceil(100);
    for f in 0..users.div_ceil(chunk) {
        let mut y = String::from("users:\n");
        for i in f * chunk..((f + 1) * chunk).min(users) {
            let manager = if i == 0 {
                "null".to_string()
            } else {
                format!("u{}", (i - 1) / 10)
            };
            let _ = writeln!(
                y,
                "  - upn: u{i}\n    displayName: User {i}\n    jobTitle: Engineer\n    department: Dept {}\n    manager: {manager}",
                i % 20
            );
        }
        files.push((PathBuf::from(format!("users-{f:03}.yaml")), y));
    }
    let gchunk = groups.div_ceil(50);
    for f in 0..groups.div_ceil(gchunk) {
        let mut y = String::from("groups:\n");
        for g in f * gchunk..((f + 1) * gchunk).min(groups) {
            let mut members: Vec<usize> = (1..per_group)
                .map(|k| (g * 37 + k * 1009) % users)
                .collect();
            members.push((g * 37 + 5) % users);
            let list: Vec<String> = members.iter().map(|m| format!("u{m}")).collect();
            let _ = writeln!(y, "  - name: team-{g}\n    members: [{}]", list.join(", "));
        }
        files.push((PathBuf::from(format!("groups-{f:03}.yaml")), y));
    }
    println!("yaml generated: RSS {:.0} MB", rss_mb());
    let loaded = load_texts(files, &mut SourceMap::default(), Vec::new());
    println!("repo loaded: RSS {:.0} MB", rss_mb());
    let desired = match loaded.result {
        Ok((s, _)) => s,
        Err(d) => panic!("bench repo invalid: {:?}", d.first()),
    };
    let memberships: usize = live.groups().iter().map(|g| g.members.len()).sum();
    drop(loaded.sources);
    println!(
        "tenant: {users} users, {groups} groups, {memberships} memberships; inputs in memory: RSS {:.0} MB (peak so far {:.0} MB)",
        rss_mb(),
        peak_rss_mb()
    );

    for run in 1..=if full { 3 } else { 1 } {
        let (cpu0, t0) = (cpu_seconds(), Instant::now());
        let plan = plan::build(&desired, &live, &GateOverrides::default());
        let (wall, cpu) = (t0.elapsed().as_secs_f64(), cpu_seconds() - cpu0);
        println!(
            "run {run}: diff + plan {wall:.3} s wall, {cpu:.2} s CPU; {} steps in {} waves; {}; peak RSS {:.0} MB",
            plan.steps.len(),
            plan.waves(),
            plan.summary,
            peak_rss_mb()
        );
        assert!(plan.errors.is_empty(), "{:?}", plan.errors.first());
    }
}
