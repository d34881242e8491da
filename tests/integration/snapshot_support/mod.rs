//! Snapshot comparison shared by every snapshot test (`plan_render`,
//! `export_roundtrip`, `reconcile_cli`): one rule for comparing and blessing.
//!
//! A test compares what it produced with the committed file(s) under
//! `tests/snapshots/`. After an intended change, bless the new output with
//!
//! ```sh
//! UPDATE_SNAPSHOTS=1 cargo test --test integration <module>::
//! ```
//!
//! which writes the snapshots and still **fails** every snapshot test it ran
//! (the message names what was written): a blessing run is never green.
//! Review `git diff tests/snapshots/`, then run the tests again without the
//! variable. Any value of `UPDATE_SNAPSHOTS` other than `1` (even `0` or an
//! empty string) is an error, not a bless, so a typo cannot pass silently.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The environment variable that asks for a bless.
pub const VAR: &str = "UPDATE_SNAPSHOTS";

/// What a run does with its snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Compare with the committed snapshot (the variable is not set).
    Compare,
    /// Write the new snapshot, then fail the run (`UPDATE_SNAPSHOTS=1`).
    Bless,
}

/// The mode for a value of `UPDATE_SNAPSHOTS`; any value but `1` is an error.
pub fn mode_from(value: Option<&OsStr>) -> Result<Mode, String> {
    match value {
        None => Ok(Mode::Compare),
        Some(v) if v == "1" => Ok(Mode::Bless),
        Some(v) => Err(format!(
            "{VAR}={v:?} is not understood: set {VAR}=1 to rewrite the snapshots (that run fails on purpose), or unset it to compare"
        )),
    }
}

/// The mode of this run, from the environment.
fn mode() -> Mode {
    mode_from(std::env::var_os(VAR).as_deref()).unwrap_or_else(|e| panic!("{e}"))
}

/// The repository root; snapshot paths are relative to it.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// How to bless, for messages: the test module that owns the snapshot.
fn bless_hint(module: &str) -> String {
    format!(
        "if the change is intended, run `{VAR}=1 cargo test --test integration {module}::` (it rewrites the snapshot and fails on purpose), review `git diff tests/snapshots/` and run the tests again without {VAR}"
    )
}

/// Where two texts first differ, for a readable failure.
fn first_difference(expected: &str, actual: &str) -> String {
    let line = expected
        .lines()
        .zip(actual.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
    format!(
        "first difference at line {}:\n  expected: {:?}\n  actual:   {:?}",
        line + 1,
        expected.lines().nth(line),
        actual.lines().nth(line)
    )
}

/// Compare (or, in [`Mode::Bless`], write) one snapshot file; `Err` fails the test.
/// `path` is absolute or relative to the repository root.
pub fn check_file_with(mode: Mode, module: &str, path: &Path, actual: &str) -> Result<(), String> {
    let full = root().join(path);
    let shown = path.display();
    match mode {
        Mode::Bless => {
            let before = std::fs::read_to_string(&full).ok();
            if before.as_deref() == Some(actual) {
                return Err(format!(
                    "{VAR}=1: {shown} is already up to date (nothing written); run the tests again without {VAR}"
                ));
            }
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            }
            std::fs::write(&full, actual).map_err(|e| format!("cannot write {shown}: {e}"))?;
            Err(format!(
                "{VAR}=1: wrote {shown}; review `git diff {shown}` and run the tests again without {VAR} (a blessing run always fails)"
            ))
        }
        Mode::Compare => {
            let expected = std::fs::read_to_string(&full)
                .map_err(|e| format!("cannot read {shown}: {e}; {}", bless_hint(module)))?;
            if expected == actual {
                Ok(())
            } else {
                Err(format!(
                    "{shown} differs from the output ({}); {}",
                    first_difference(&expected, actual),
                    bless_hint(module)
                ))
            }
        }
    }
}

/// Every file below `dir`, by `/`-separated relative path (empty when `dir` is missing).
pub fn read_tree(dir: &Path) -> Result<BTreeMap<String, String>, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for e in entries {
            let p = e.map_err(|e| format!("{}: {e}", dir.display()))?.path();
            if p.is_dir() {
                walk(base, &p, out)?;
            } else {
                let rel = p
                    .strip_prefix(base)
                    .map_err(|e| format!("{}: {e}", p.display()))?
                    .to_string_lossy()
                    .replace('\\', "/");
                let text =
                    std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                out.insert(rel, text);
            }
        }
        Ok(())
    }
    let mut out = BTreeMap::new();
    if dir.is_dir() {
        walk(dir, dir, &mut out)?;
    }
    Ok(out)
}

/// Compare (or, in [`Mode::Bless`], rewrite) a directory of snapshot files:
/// the same file set, each file byte for byte. `dir` is absolute or relative
/// to the repository root.
pub fn check_tree_with(
    mode: Mode,
    module: &str,
    dir: &Path,
    actual: &BTreeMap<String, String>,
) -> Result<(), String> {
    let full = root().join(dir);
    let shown = dir.display();
    let expected = read_tree(&full)?;
    match mode {
        Mode::Bless => {
            if &expected == actual {
                return Err(format!(
                    "{VAR}=1: {shown}/ is already up to date (nothing written); run the tests again without {VAR}"
                ));
            }
            for stale in expected.keys().filter(|k| !actual.contains_key(*k)) {
                let p = full.join(stale);
                std::fs::remove_file(&p)
                    .map_err(|e| format!("cannot remove {}: {e}", p.display()))?;
            }
            for (rel, body) in actual {
                let p = full.join(rel);
                if let Some(parent) = p.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
                }
                std::fs::write(&p, body)
                    .map_err(|e| format!("cannot write {}: {e}", p.display()))?;
            }
            Err(format!(
                "{VAR}=1: rewrote {shown}/; review `git status {shown}` and `git diff {shown}` and run the tests again without {VAR} (a blessing run always fails)"
            ))
        }
        Mode::Compare => {
            let want: Vec<&String> = expected.keys().collect();
            let got: Vec<&String> = actual.keys().collect();
            if want != got {
                return Err(format!(
                    "the file set differs from {shown}/:\n  expected: {want:?}\n  actual:   {got:?}\n{}",
                    bless_hint(module)
                ));
            }
            for (rel, body) in actual {
                if &expected[rel] != body {
                    return Err(format!(
                        "{shown}/{rel} differs from the output ({}); {}",
                        first_difference(&expected[rel], body),
                        bless_hint(module)
                    ));
                }
            }
            Ok(())
        }
    }
}

/// Compare `actual` with the snapshot file at `path` (relative to the
/// repository root); with `UPDATE_SNAPSHOTS=1` write it and fail.
pub fn check_file(module: &str, path: &str, actual: &str) {
    if let Err(e) = check_file_with(mode(), module, Path::new(path), actual) {
        panic!("{e}");
    }
}

/// [`check_file`] for several snapshot files at once: every file is compared
/// (or, when blessing, written) before the test fails, so one blessing run
/// rewrites all of them.
pub fn check_files(module: &str, files: &[(String, String)]) {
    let mode = mode();
    let errors: Vec<String> = files
        .iter()
        .filter_map(|(path, actual)| check_file_with(mode, module, Path::new(path), actual).err())
        .collect();
    if !errors.is_empty() {
        panic!("{}", errors.join("\n"));
    }
}

/// Compare a set of files with the snapshot directory `dir` (relative to the
/// repository root); with `UPDATE_SNAPSHOTS=1` rewrite it and fail.
pub fn check_tree(module: &str, dir: &str, actual: &BTreeMap<String, String>) {
    if let Err(e) = check_tree_with(mode(), module, Path::new(dir), actual) {
        panic!("{e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_means_bless_and_other_values_are_errors() {
        assert_eq!(mode_from(None), Ok(Mode::Compare));
        assert_eq!(mode_from(Some(OsStr::new("1"))), Ok(Mode::Bless));
        for v in ["0", "", "true", "yes", "01", " 1"] {
            let e = mode_from(Some(OsStr::new(v))).unwrap_err();
            assert!(
                e.contains("UPDATE_SNAPSHOTS") && e.contains("=1"),
                "{v:?}: {e}"
            );
        }
    }

    #[test]
    fn blessing_a_file_writes_it_and_still_fails() {
        let dir = crate::scratch::Scratch::new("snapshot-file");
        let path = dir.join("snap.txt");
        std::fs::write(&path, "old\n").unwrap();
        let e = check_file_with(Mode::Bless, "m", &path, "new\n").unwrap_err();
        assert!(
            e.contains("wrote") && e.contains("without UPDATE_SNAPSHOTS"),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        // Blessing an unchanged snapshot fails too; comparing now passes.
        let e = check_file_with(Mode::Bless, "m", &path, "new\n").unwrap_err();
        assert!(e.contains("already up to date"), "{e}");
        assert_eq!(check_file_with(Mode::Compare, "m", &path, "new\n"), Ok(()));
        let e = check_file_with(Mode::Compare, "m", &path, "new\nline\n").unwrap_err();
        assert!(
            e.contains("line 2") && e.contains("UPDATE_SNAPSHOTS=1"),
            "{e}"
        );
        // A missing snapshot is an error in compare mode, created by a bless.
        let fresh = dir.join("sub/fresh.txt");
        assert!(check_file_with(Mode::Compare, "m", &fresh, "x").is_err());
        assert!(check_file_with(Mode::Bless, "m", &fresh, "x").is_err());
        assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "x");
    }

    #[test]
    fn blessing_a_tree_rewrites_it_removes_stale_files_and_still_fails() {
        let dir = crate::scratch::Scratch::new("snapshot-tree");
        dir.write("snap/a.yaml", b"a\n");
        dir.write("snap/old/gone.yaml", b"gone\n");
        let snap = dir.join("snap");
        let actual = BTreeMap::from([
            ("a.yaml".to_string(), "a2\n".to_string()),
            ("users/b.yaml".to_string(), "b\n".to_string()),
        ]);
        let e = check_tree_with(Mode::Compare, "m", &snap, &actual).unwrap_err();
        assert!(e.contains("file set differs"), "{e}");
        let e = check_tree_with(Mode::Bless, "m", &snap, &actual).unwrap_err();
        assert!(e.contains("rewrote"), "{e}");
        assert_eq!(read_tree(&snap).unwrap(), actual);
        assert_eq!(check_tree_with(Mode::Compare, "m", &snap, &actual), Ok(()));
        let mut changed = actual.clone();
        changed.insert("a.yaml".into(), "a3\n".into());
        let e = check_tree_with(Mode::Compare, "m", &snap, &changed).unwrap_err();
        assert!(e.contains("a.yaml differs"), "{e}");
        let e = check_tree_with(Mode::Bless, "m", &snap, &actual).unwrap_err();
        assert!(e.contains("already up to date"), "{e}");
    }
}
