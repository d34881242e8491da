//! Names from the repo or the tenant cannot drive the reviewer's terminal or
//! reorder what the plan says: control characters (ESC sequences that hide or
//! recolour a line) and Unicode bidirectional overrides are printed escaped in
//! every human format (docs/security.md, "Live values mislead the reviewer").

use crate::cli_support::{out, root, run, tempdir, tenant};

const ESC: char = '\u{1b}';
const RLO: char = '\u{202e}';

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

#[test]
fn escape_sequences_and_bidi_overrides_in_names_are_printed_escaped() {
    let t = tenant("examples/seed.yaml");
    let d = tempdir("render-hostile");
    let repo = d.join("repo");
    copy_dir(&root().join("examples/desired-state"), &repo);
    // A group whose name would conceal text (SGR 8) and reverse the reading
    // order (U+202E) if printed raw.
    let mut teams = std::fs::read_to_string(repo.join("groups/teams.yaml")).unwrap();
    teams
        .push_str("  - name: \"ops\\e[8m hidden \\e[0m\\u202Eevil\"\n    members: [tomas.novak]\n");
    std::fs::write(repo.join("groups/teams.yaml"), teams).unwrap();
    for format in ["text", "markdown", "dot"] {
        let o = run(
            &t,
            &[
                "plan",
                repo.to_str().unwrap(),
                "--format",
                format,
                "--color",
                "always",
            ],
            &[],
        );
        assert_eq!(o.status.code(), Some(0), "{format}: {}", out(&o));
        let stdout = String::from_utf8(o.stdout.clone()).unwrap();
        assert!(
            stdout.contains("ops\\u{1b}[8m hidden"),
            "{format}: the name is shown, escaped:\n{stdout}"
        );
        assert!(
            !stdout.contains(RLO),
            "{format}: a raw U+202E reached the output"
        );
        // With --color always the text format colours its own lines: every ESC
        // left must start one of entraform's SGR sequences, never the name's `[8m`.
        assert!(
            !stdout.contains(&format!("{ESC}[8m")),
            "{format}: the name's conceal sequence reached the output"
        );
        if format != "text" {
            assert!(
                !stdout.contains(ESC),
                "{format}: a raw ESC reached the output"
            );
        }
    }
}
