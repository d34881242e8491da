//! The flags several commands share are defined once (`src/cli/flags.rs`):
//! each reads the same — name, value, environment variable, help — in every
//! command's `--help`, and no command module reaches into another.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use crate::cli_support::root;

/// `entraform <cmd> --help`, with no ENTRAFORM_*/AZURE_* variable of the caller.
fn help(cmd: &str) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_entraform"));
    c.args([cmd, "--help"])
        .stdin(Stdio::null())
        .env("COLUMNS", "100");
    for (var, _) in std::env::vars() {
        if var.starts_with("ENTRAFORM_") || var.starts_with("AZURE_") {
            c.env_remove(var);
        }
    }
    let o = c.output().expect("run entraform");
    assert_eq!(o.status.code(), Some(0), "{cmd} --help");
    String::from_utf8(o.stdout).expect("UTF-8 help")
}

/// Each long flag of a help text and its whole entry (the flag line, its
/// help, its `[env: …]` and default), whitespace collapsed. In clap's long
/// help a flag line is indented 2 to 6 spaces and starts with `-`; its text
/// is indented further; a section header is not indented.
fn entries(help: &str) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in help.lines() {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        if indent == 0 && !t.is_empty() {
            current = None;
        } else if (2..=6).contains(&indent) && t.starts_with('-') {
            current = t
                .split([' ', ',', '='])
                .find(|w| w.starts_with("--"))
                .map(str::to_string);
        }
        if let Some(name) = &current {
            let e = out.entry(name.clone()).or_default();
            e.push(' ');
            e.push_str(t);
        }
    }
    out.into_iter()
        .map(|(k, v)| (k, v.split_whitespace().collect::<Vec<_>>().join(" ")))
        .collect()
}

/// The shared groups' flags (and the tenant flags) read the same in every
/// command that has them.
#[test]
fn shared_flags_read_the_same_in_every_command() {
    let shared = [
        // GateFlags
        "--allow-mass-deletes",
        "--allow-mass-disables",
        "--allow-mass-changes",
        "--allow-protected-changes",
        "--allow-no-global-admin",
        "--allow-own-role-removal",
        // StateArgs, LockArgs
        "--state-dir",
        "--full-read-after",
        "--full-read",
        "--lock-timeout",
        // RecordArgs, ApproveArgs
        "--credentials-out",
        "--journal",
        "--auto-approve",
        // TenantArgs, KeepArgs
        "--emulator",
        "--cloud",
        "--graph-url",
        "--tenant-id",
        "--client-id",
        "--federated-audience",
        "--dump-state",
    ];
    let commands = ["plan", "apply", "reconcile", "export", "snapshot", "doctor"];
    let helps: Vec<(&str, BTreeMap<String, String>)> =
        commands.iter().map(|c| (*c, entries(&help(c)))).collect();
    let mut checked = 0;
    for flag in shared {
        let mut seen: Option<(&str, &String)> = None;
        for (cmd, entries) in &helps {
            let Some(entry) = entries.get(flag) else {
                continue;
            };
            assert!(
                entry.contains("[env: "),
                "{cmd} {flag} has no environment variable: {entry}"
            );
            match seen {
                None => seen = Some((cmd, entry)),
                Some((first, text)) => {
                    assert_eq!(
                        entry, text,
                        "{flag} reads differently in `{cmd}` and `{first}`"
                    );
                    checked += 1;
                }
            }
        }
        assert!(seen.is_some(), "no command has {flag}");
    }
    assert!(checked >= 40, "only {checked} comparisons made");
}

/// Commands share code through the shared modules (flags, flow, connect,
/// execute, saved…), never through one another.
#[test]
fn no_command_module_uses_another() {
    let commands = [
        "apply",
        "doctor",
        "emulator",
        "export",
        "plan",
        "reconcile",
        "schema",
        "show",
        "snapshot",
        "validate",
    ];
    let dir = root().join("src/cli");
    for cmd in commands {
        let text = std::fs::read_to_string(dir.join(format!("{cmd}.rs"))).expect("command module");
        for other in commands.iter().filter(|o| **o != cmd) {
            // A path through another command: inline (`super::plan::X`) or
            // inside a `use super::{…}` / `use crate::cli::{…}` tree.
            for needle in [format!("super::{other}::"), format!("crate::cli::{other}")] {
                assert!(
                    !text.contains(&needle),
                    "src/cli/{cmd}.rs uses the `{other}` command (`{needle}`): move what they share to a shared module"
                );
            }
            for tree in use_trees(&text) {
                assert!(
                    !path_segments(&tree).any(|s| s == *other),
                    "src/cli/{cmd}.rs uses the `{other}` command (`{tree}`): move what they share to a shared module"
                );
            }
        }
    }
    // The shared modules exist and every command module is registered.
    let mod_rs = std::fs::read_to_string(dir.join("mod.rs")).unwrap();
    for m in ["flags", "flow"].iter().chain(commands.iter()) {
        assert!(mod_rs.contains(&format!("pub mod {m};")), "cli::{m}");
    }
}

/// Every `use super::…;` and `use crate::cli::…;` statement of `text`, whole
/// (a tree may span lines).
fn use_trees(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for start in ["use super::", "use crate::cli::"] {
        let mut rest = text;
        while let Some(i) = rest.find(start) {
            let tail = &rest[i + start.len()..];
            let end = tail.find(';').unwrap_or(tail.len());
            out.push(tail[..end].split_whitespace().collect::<Vec<_>>().join(" "));
            rest = &tail[end..];
        }
    }
    out
}

/// The identifiers a use tree names (modules and items).
fn path_segments(tree: &str) -> impl Iterator<Item = &str> {
    tree.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|s| !s.is_empty())
}
