//! Property tests with a "hostile repo" generator for the loader (issue #12).
//!
//! Random directory repos as a pull request could push them — YAML-ish bytes,
//! deep nesting, anchors and aliases, huge scalars, empty, binary and
//! non-UTF-8 files, links inside and outside the root, links to devices and
//! `/proc/self/environ`, FIFOs, folder links that loop or leave — are loaded
//! with `load_dir` in this process and rendered in every format. The loader
//! must not panic or abort (a stack overflow would kill the test binary),
//! must finish in bounded time, must refuse each hostile entry with its code,
//! and no byte of a file outside the repo may reach its output. The case
//! budget is small and fixed so the suite stays fast (cargo-fuzz needs nightly).

use std::path::Path;
use std::time::{Duration, Instant};

use entraform::desired::render::{self, Format};
use entraform::desired::{Diagnostic, load_dir, yaml};
use proptest::prelude::*;

use crate::scratch::Scratch;

/// Written in the file outside the repo that links point at; must never be output.
const OUTSIDE_SECRET: &str = "OUTSIDE-SECRET-7f3a9c";

/// Where an entry goes.
#[derive(Debug, Clone, Copy)]
enum Place {
    Top,
    Sub,
    Hidden,
    NotYaml,
}

/// One entry of a hostile repo.
#[derive(Debug, Clone)]
enum Entry {
    Text(String),
    Bytes(Vec<u8>),
    Deep { levels: usize, style: u8 },
    Aliases { levels: u8, width: u8 },
    Huge(usize),
    LinkInside(usize),
    LinkOutside,
    LinkSpecial(u8),
    Fifo,
    FolderLoop,
    FolderOutside,
}

const SPECIAL: [&str; 4] = [
    "/dev/zero",
    "/dev/urandom",
    "/dev/null",
    "/proc/self/environ",
];

/// YAML-ish text: tokens of the format and of YAML's syntax, in any order.
fn yamlish() -> impl Strategy<Value = String> {
    let tokens = prop::sample::select(vec![
        "users:",
        "tenant:",
        "groups:",
        "roles:",
        "\n",
        "\n  ",
        "- ",
        "  ",
        "&a ",
        "*a",
        "&b ",
        "*b",
        "*zz",
        "[",
        "]",
        "{",
        "}",
        ": ",
        ", ",
        "upn: ",
        "ann@contoso.com",
        "domain: ",
        "contoso.com",
        "'",
        "\"",
        "? ",
        "!!str ",
        "---\n",
        "...\n",
        "# c",
        "\t",
        "é",
        "\u{1b}[31m",
        "password: ",
        "hunter2",
        "groups: ",
        "members: ",
        "null",
        "~",
        "0123",
        "true",
        "|\n",
        ">-\n",
        "<<: *a",
        "\\",
        "\r\n",
    ]);
    prop::collection::vec(tokens, 0..120).prop_map(|t| t.concat())
}

fn entry() -> impl Strategy<Value = Entry> {
    prop_oneof![
        4 => yamlish().prop_map(Entry::Text),
        1 => prop::collection::vec(any::<u8>(), 0..300).prop_map(Entry::Bytes),
        2 => (1usize..3000, 0u8..3).prop_map(|(levels, style)| Entry::Deep { levels, style }),
        2 => (1u8..9, 1u8..10).prop_map(|(levels, width)| Entry::Aliases { levels, width }),
        1 => (0usize..300_000).prop_map(Entry::Huge),
        1 => (0usize..8).prop_map(Entry::LinkInside),
        1 => Just(Entry::LinkOutside),
        1 => (0u8..4).prop_map(Entry::LinkSpecial),
        1 => Just(Entry::Fifo),
        1 => Just(Entry::FolderLoop),
        1 => Just(Entry::FolderOutside),
    ]
}

fn place() -> impl Strategy<Value = Place> {
    prop_oneof![
        4 => Just(Place::Top),
        3 => Just(Place::Sub),
        1 => Just(Place::Hidden),
        1 => Just(Place::NotYaml),
    ]
}

fn rel_path(i: usize, place: Place) -> String {
    match place {
        Place::Top => format!("f{i}.yaml"),
        Place::Sub => format!("sub/f{i}.yml"),
        Place::Hidden => format!(".hidden/f{i}.yaml"),
        Place::NotYaml => format!("f{i}.txt"),
    }
}

fn text_of(e: &Entry) -> Option<Vec<u8>> {
    Some(match e {
        Entry::Text(t) => t.clone().into_bytes(),
        Entry::Bytes(b) => b.clone(),
        Entry::Deep { levels, style } => match style {
            0 => format!("{}x\n", "- ".repeat(*levels)),
            1 => format!("{}x{}\n", "[".repeat(*levels), "]".repeat(*levels)),
            _ => format!("{}x\n", "{k: ".repeat(*levels)),
        }
        .into_bytes(),
        Entry::Aliases { levels, width } => {
            let mut t = String::from("users:\n  - &l0 {upn: a@contoso.com, bogus: 1}\n");
            for l in 1..=*levels {
                let refs = vec![format!("*l{}", l - 1); *width as usize].join(", ");
                t.push_str(&format!("  - &l{l} [{refs}]\n"));
            }
            t.into_bytes()
        }
        Entry::Huge(n) => format!("users:\n  - upn: {}@contoso.com\n", "z".repeat(*n)).into_bytes(),
        _ => return None,
    })
}

/// The code the loader must report for an entry at `place`, if it is one it refuses.
fn expected_code(e: &Entry, place: Place) -> Option<&'static str> {
    let visible_yaml = matches!(place, Place::Top | Place::Sub);
    match e {
        Entry::LinkOutside | Entry::LinkSpecial(_) if visible_yaml => Some("path-outside-repo"),
        Entry::Fifo if visible_yaml => Some("not-a-regular-file"),
        Entry::FolderOutside if !matches!(place, Place::Hidden) => Some("path-outside-repo"),
        Entry::Deep { levels, .. } if visible_yaml && *levels > 64 => Some("nesting-too-deep"),
        Entry::Bytes(b) if visible_yaml && std::str::from_utf8(b).is_err() => Some("io-error"),
        _ => None,
    }
}

/// Build the repo; returns the codes that must appear.
fn build(
    root: &Path,
    outside: &Path,
    tenant: bool,
    entries: &[(Entry, Place)],
) -> Vec<&'static str> {
    if tenant {
        std::fs::write(root.join("tenant.yaml"), "tenant:\n  domain: contoso.com\n").unwrap();
    }
    for dir in ["sub", ".hidden"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    let mut expect = Vec::new();
    for (i, (e, place)) in entries.iter().enumerate() {
        let rel = rel_path(i, *place);
        let path = root.join(&rel);
        if let Some(bytes) = text_of(e) {
            std::fs::write(&path, bytes).unwrap();
        } else {
            match e {
                Entry::LinkInside(j) => {
                    let target = rel_path(*j % entries.len(), entries[*j % entries.len()].1);
                    // Relative to the link's folder; may dangle or point at anything.
                    let up = if rel.contains('/') { "../" } else { "" };
                    std::os::unix::fs::symlink(format!("{up}{target}"), &path).unwrap();
                }
                Entry::LinkOutside => {
                    std::os::unix::fs::symlink(outside.join("secret.yaml"), &path).unwrap();
                }
                Entry::LinkSpecial(k) => {
                    std::os::unix::fs::symlink(SPECIAL[*k as usize], &path).unwrap();
                }
                Entry::Fifo => {
                    let ok = std::process::Command::new("mkfifo").arg(&path).status();
                    assert!(ok.is_ok_and(|s| s.success()), "mkfifo {}", path.display());
                }
                Entry::FolderLoop => {
                    let folder = path.with_extension("");
                    std::os::unix::fs::symlink(".", folder).unwrap();
                }
                Entry::FolderOutside => {
                    let folder = path.with_extension("");
                    std::os::unix::fs::symlink(outside, folder).unwrap();
                }
                _ => unreachable!("text entries are written above"),
            }
        }
        expect.extend(expected_code(e, *place));
    }
    expect
}

fn all_diags(loaded: &entraform::desired::Loaded) -> &[Diagnostic] {
    match &loaded.result {
        Ok((_, w)) => w,
        Err(d) => d,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any hostile repo: no panic or abort, bounded time, each hostile entry refused
    /// with its code, nothing from outside the repo in any output.
    #[test]
    fn hostile_repos_are_refused_cleanly(
        tenant in any::<bool>(),
        entries in prop::collection::vec((entry(), place()), 0..8),
    ) {
        let root = Scratch::new("hostile-prop");
        let outside = Scratch::new("hostile-prop-outside");
        outside.write("secret.yaml", format!("users:\n  - upn: {OUTSIDE_SECRET}\n").as_bytes());
        let expect = build(&root, &outside, tenant, &entries);

        let start = Instant::now();
        let loaded = load_dir(&root);
        let diags = all_diags(&loaded);
        let outputs = [
            render::render(diags, &loaded.sources, Format::Human, false),
            render::render(diags, &loaded.sources, Format::Json, false),
            render::render(diags, &loaded.sources, Format::Github, false),
        ];
        prop_assert!(start.elapsed() < Duration::from_secs(20), "took {:?}", start.elapsed());

        let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
        for code in &expect {
            prop_assert!(codes.contains(code), "no `{code}` in {codes:?}");
        }
        let description = env!("CARGO_PKG_DESCRIPTION");
        for out in &outputs {
            prop_assert!(!out.contains(OUTSIDE_SECRET), "outside file leaked:\n{out}");
            prop_assert!(!out.contains(description), "process environment leaked:\n{out}");
        }
        for f in loaded.sources.files() {
            prop_assert!(!f.text.contains(OUTSIDE_SECRET), "{} holds the outside file", f.name);
            prop_assert!(
                f.path.starts_with(&*root),
                "{} is not a path inside the repo", f.path.display()
            );
        }
    }

    /// The YAML tree builder alone, on YAML-ish text with anchors, aliases and
    /// nesting (up to 50,000 levels): no panic or stack overflow, and a tree that
    /// can be converted to JSON and dropped.
    #[test]
    fn the_yaml_reader_never_panics(
        text in yamlish(),
        levels in prop_oneof![0usize..200, 20_000usize..50_000],
    ) {
        let nested = format!("{}{text}", "- ".repeat(levels));
        for t in [&text, &nested] {
            if let Ok(docs) = yaml::parse(t) {
                for d in &docs {
                    let _ = yaml::node_to_json(d);
                }
            }
        }
    }
}
