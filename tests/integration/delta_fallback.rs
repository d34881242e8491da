//! `users/delta` may refuse properties in `$select` ("Invalid request for
//! delta query … $select is not supported for the following properties:
//! …"; Microsoft publishes no list). A `--state-dir` run must not break on
//! it: it reads users and groups in full, warns naming the property, and
//! plans exactly as without the state directory (issue #15 §5).

use crate::cli_support::{out, run, tempdir, tenant};
use graph_emulator::FaultConfig;

#[test]
fn a_refused_delta_select_falls_back_to_a_full_read() {
    let t = tenant("examples/seed.yaml");
    t.emu.set_faults(FaultConfig {
        delta_refused_select: vec!["employeeHireDate".into()],
        ..FaultConfig::default()
    });
    let dir = tempdir("delta-refused");
    let state = dir.join("state");
    let state = state.to_str().unwrap();
    let plain = run(&t, &["plan", "examples/desired-state"], &[]);
    assert_eq!(plain.status.code(), Some(0), "{}", out(&plain));
    for round in 0..2 {
        t.emu.reset_metrics();
        let o = run(
            &t,
            &["plan", "examples/desired-state", "--state-dir", state],
            &[],
        );
        let text = out(&o);
        assert_eq!(o.status.code(), Some(0), "round {round}: {text}");
        assert!(
            text.contains("refused these properties in the delta query's $select")
                && text.contains("employeeHireDate"),
            "round {round}: {text}"
        );
        // The same plan as a read without the state directory.
        assert_eq!(o.stdout, plain.stdout, "round {round}");
        // The refused delta request, then the full listings.
        let m = t.emu.metrics();
        assert_eq!(m.by_status.get(&400).copied(), Some(1), "{:?}", m.by_status);
        assert!(m.by_route.contains_key("GET /users"), "{:?}", m.by_route);
    }
    // Graph accepts the $select again: the next run tracks changes with delta.
    t.emu.set_faults(FaultConfig::default());
    let o = run(
        &t,
        &["plan", "examples/desired-state", "--state-dir", state],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(!out(&o).contains("refused these properties"), "{}", out(&o));
}
