//! The configuration every property test uses: failing inputs are saved in a
//! committed regressions file and replayed first by every later run.
//!
//! proptest writes the seed of a failure (after shrinking) to the file beside
//! the test's source tree: for `tests/integration/<module>.rs` (the
//! directory with `main.rs`) that is `tests/proptest-regressions/<module>.txt`;
//! for a property test under `src/` it is `proptest-regressions/<path>.txt` at
//! the repository root. Each `cc <hex> # shrinks to …` line is run before any
//! new random case.
//!
//! To replay a failure, local or from CI: the failing run prints
//! `proptest: Saving this and future failures in <file>` and the `cc …` line;
//! put that line in that file (a local run has already added it) and run the
//! test again (`cargo test --test integration <module>::`): it fails the same
//! way, every time. Commit the line together with the fix, so the case stays
//! covered.

use proptest::test_runner::{Config, FileFailurePersistence};

/// `cases` random cases per property, with failures persisted as described above
/// (set explicitly, so `PROPTEST_DISABLE_FAILURE_PERSISTENCE` cannot turn it off).
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "proptest-regressions",
        ))),
        ..Config::default()
    }
}
