//! `entraform show plan.json` renders a saved plan byte for byte as `plan`
//! printed it, and `apply plan.json` prints the plan it is about to apply.

use crate::cli_support;

use std::path::Path;

use cli_support::{NEW_HIRE, out, run, tempdir, tenant};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `entraform show …`: no tenant flags (show reads only the file).
fn show(args: &[&str]) -> std::process::Output {
    cli_support::entraform()
        .arg("show")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run entraform show")
}

#[test]
fn show_prints_a_saved_plan_exactly_as_plan_did() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("show");
    let file = dir.join("plan.json");
    for format in ["text", "markdown", "json", "dot"] {
        let planned = run(
            &t,
            &[
                "plan",
                "examples/desired-state",
                "--format",
                format,
                "--out",
                s(&file),
            ],
            &[],
        );
        assert_eq!(planned.status.code(), Some(0), "{}", out(&planned));
        let shown = show(&[s(&file), "--format", format]);
        assert_eq!(shown.status.code(), Some(0), "{}", out(&shown));
        assert!(
            shown.stdout == planned.stdout,
            "`show --format {format}` differs from `plan --format {format}`:\n--- plan\n{}\n--- show\n{}",
            String::from_utf8_lossy(&planned.stdout),
            String::from_utf8_lossy(&shown.stdout)
        );
    }
    // Text is the default, and show reads no tenant (the emulator got no request).
    t.emu.reset_metrics();
    let o = show(&[s(&file)]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout)
            .starts_with("entraform will perform 31 operations on 16 objects:"),
        "{}",
        out(&o)
    );
    assert!(
        t.emu.metrics().by_route.is_empty(),
        "{:?}",
        t.emu.metrics().by_route
    );
}

#[test]
fn show_renders_blocked_plans_and_refuses_damaged_files() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("show-blocked");
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(
        repo.join("tenant.yaml"),
        "tenant:\n  domain: contoso.com\n  domains: [contoso.onmicrosoft.com]\n  scope: { users: all, exclude: [breakglass@contoso.onmicrosoft.com] }\n  absent_users: disable\n  safety: { max_disables: 1, min_tenant_size: 1 }\n",
    )
    .unwrap();
    let file = dir.join("plan.json");
    let planned = run(
        &t,
        &["plan", s(&repo), "--format", "markdown", "--out", s(&file)],
        &[],
    );
    assert_eq!(planned.status.code(), Some(3), "{}", out(&planned));
    let shown = show(&[s(&file), "--format", "markdown"]);
    assert_eq!(shown.status.code(), Some(0));
    assert_eq!(shown.stdout, planned.stdout);
    std::fs::write(
        &file,
        "{\"format_version\": 2,\n  \"plan\": {\"steps\": 7}}",
    )
    .unwrap();
    let o = show(&[s(&file)]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("plan.json:"), "{}", out(&o));
}

#[test]
fn apply_of_a_saved_plan_prints_the_plan_it_applies() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("apply-prints");
    let file = dir.join("plan.json");
    let planned = run(
        &t,
        &["plan", "examples/desired-state", "--out", s(&file)],
        &[],
    );
    assert_eq!(planned.status.code(), Some(0), "{}", out(&planned));
    let o = run(
        &t,
        &[
            "apply",
            s(&file),
            "--dir",
            "examples/desired-state",
            "--auto-approve",
        ],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    let plan_text = String::from_utf8_lossy(&planned.stdout);
    assert!(
        stdout.starts_with(plan_text.as_ref()),
        "apply must print the whole plan first:\n{stdout}"
    );
    assert!(
        stdout.contains("- delete user (soft delete: restorable for 30 days)")
            && stdout.contains("is current: 31 operations in 2 waves"),
        "{stdout}"
    );
}
