//! Hostile directory repos (issue #12, loader part) against the real binary.
//!
//! A pull request controls every file of the repo `entraform validate` reads,
//! so each test builds a repo an attacker could push and runs
//! `entraform validate` under an address-space cap ([`MEMORY_CAP_KB`], through
//! `sh -c 'ulimit -v …; exec …'`) and a wall-clock limit ([`TIME_LIMIT`]): an
//! alias bomb, deep nesting, a huge file, links to devices and to
//! `/proc/self/environ`, a FIFO, huge values, a minified one-line file, an
//! unreadable folder. Each asserts the exit code and the diagnostic codes and
//! positions, not just "did not crash"; on the loader as it was before these
//! limits, each of them failed (crash, hang, leak or wrong report).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::scratch::Scratch;

/// Address-space cap for the binary: 512 MiB. A valid small repo needs well under
/// 64 MiB; the alias bomb needed 24 GB and reading `/dev/zero` grows without end.
const MEMORY_CAP_KB: u64 = 512 * 1024;

/// Wall-clock limit of one run: a read blocked on a FIFO, or a quadratic snippet
/// renderer, fails the test instead of hanging it.
const TIME_LIMIT: Duration = Duration::from_secs(60);

/// The outcome of one capped run.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn both(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    /// The JSON document of `--format json`.
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}); exit {:?}\nstdout: {}\nstderr: {}",
                self.code,
                cut(&self.stdout),
                cut(&self.stderr)
            )
        })
    }

    /// Every diagnostic of the JSON document.
    fn diags(&self) -> Vec<Value> {
        self.json()["diagnostics"]
            .as_array()
            .expect("diagnostics array")
            .clone()
    }

    /// The diagnostic codes, in output order.
    fn codes(&self) -> Vec<String> {
        self.diags()
            .iter()
            .map(|d| d["code"].as_str().unwrap_or("?").to_string())
            .collect()
    }
}

fn read_all(mut pipe: impl Read) -> String {
    let mut buf = Vec::new();
    let _ = pipe.read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// The first 2,000 characters of an output, for failure messages.
fn cut(s: &str) -> String {
    s.chars().take(2000).collect()
}

/// A tenant file every repo starts with.
const TENANT: &[u8] = b"tenant:\n  domain: contoso.com\n";

fn repo(name: &str) -> Scratch {
    let dir = Scratch::new(&format!("hostile-{name}"));
    dir.write("tenant.yaml", TENANT);
    dir
}

/// True when the tests run as root (CI does): root reads any folder whatever its mode.
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Run `entraform` with `args` under the memory cap and time limit; `envs` are added
/// to a clean environment; `as_nobody` drops to uid/gid 65534 when running as root.
fn entraform(args: &[&str], envs: &[(&str, &str)], as_nobody: bool) -> Run {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {MEMORY_CAP_KB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_entraform"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (var, _) in std::env::vars_os() {
        if var.to_str().is_some_and(crate::cli_support::scrubbed) {
            cmd.env_remove(var);
        }
    }
    cmd.env("NO_COLOR", "1");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    if as_nobody && running_as_root() {
        use std::os::unix::process::CommandExt;
        // std drops the supplementary groups too when root sets a uid.
        cmd.uid(65534).gid(65534);
    }
    let mut child = cmd.spawn().expect("spawn entraform");
    let out = child.stdout.take().expect("stdout");
    let err = child.stderr.take().expect("stderr");
    let out_t = std::thread::spawn(move || read_all(out));
    let err_t = std::thread::spawn(move || read_all(err));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for entraform") {
            break status;
        }
        if start.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "entraform {args:?} did not finish within {TIME_LIMIT:?} (blocked or unbounded work)"
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: out_t.join().expect("stdout reader"),
        stderr: err_t.join().expect("stderr reader"),
    }
}

fn validate(dir: &Path, format: &str) -> Run {
    let dir = dir.to_str().expect("UTF-8 path");
    entraform(&["validate", dir, "--format", format], &[], false)
}

/// The diagnostic with `code`, or a failure that shows what was reported.
fn find<'a>(diags: &'a [Value], code: &str, run: &Run) -> &'a Value {
    diags.iter().find(|d| d["code"] == code).unwrap_or_else(|| {
        panic!(
            "no `{code}` diagnostic; exit {:?}\nstdout: {}\nstderr: {}",
            run.code,
            cut(&run.stdout),
            cut(&run.stderr)
        )
    })
}

/// `(file, line, column)` of a diagnostic, the file relative to `dir`.
fn at(d: &Value, dir: &Path) -> (String, u64, u64) {
    let loc = &d["location"];
    let file = loc["file"].as_str().expect("file");
    let rel = file
        .strip_prefix(&format!("{}/", dir.display()))
        .unwrap_or(file);
    (
        rel.to_string(),
        loc["line"].as_u64().expect("line"),
        loc["column"].as_u64().expect("column"),
    )
}

/// A "billion laughs": nine levels of nine aliases (9^9 strings from 340 bytes).
fn billion_laughs() -> String {
    let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(", ");
        text.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
    }
    text
}

#[test]
fn an_alias_bomb_is_refused_at_the_alias_within_the_memory_cap() {
    let dir = repo("bomb");
    dir.write("users/bomb.yaml", billion_laughs().as_bytes());
    let run = validate(&dir, "json");
    assert_eq!(run.code, Some(1), "{}", cut(&run.both()));
    let diags = run.diags();
    let d = find(&diags, "alias-limit", &run);
    // `f` stands for 597,871 values; the sixth `*f` on the line of `g` passes 4,000,000.
    assert_eq!(at(d, &dir), ("users/bomb.yaml".into(), 7, 28), "{d:#}");
    assert!(d["message"].as_str().unwrap().contains("4000000"), "{d:#}");
    assert!(d["help"].as_str().unwrap().contains("anchor"), "{d:#}");
}

#[test]
fn forty_thousand_levels_of_nesting_is_a_diagnostic_not_a_stack_overflow() {
    let dir = repo("deep");
    dir.write(
        "users/block.yaml",
        format!("{}x\n", "- ".repeat(40_000)).as_bytes(),
    );
    dir.write(
        "users/flow.yaml",
        format!("users: {}x{}\n", "[".repeat(40_000), "]".repeat(40_000)).as_bytes(),
    );
    dir.write(
        "users/maps.yaml",
        format!("{}x\n", "{a: ".repeat(40_000)).as_bytes(),
    );
    let run = validate(&dir, "json");
    assert_eq!(run.code, Some(1), "{}", cut(&run.both()));
    let diags = run.diags();
    let mut places: Vec<(String, u64, u64)> = diags
        .iter()
        .filter(|d| d["code"] == "nesting-too-deep")
        .map(|d| at(d, &dir))
        .collect();
    places.sort();
    // The 65th `- ` starts at column 129; the flow file is stopped by the scanner's
    // own flow-level limit, somewhere on line 1.
    assert_eq!(places.len(), 3, "{}", cut(&run.stdout));
    assert_eq!(places[0], ("users/block.yaml".into(), 1, 129));
    assert_eq!((places[1].0.as_str(), places[1].1), ("users/flow.yaml", 1));
    assert_eq!((places[2].0.as_str(), places[2].1), ("users/maps.yaml", 1));
    // Human output too: the snippet of an 80 KB line is a window, not the line.
    let human = validate(&dir, "human");
    assert_eq!(human.code, Some(1));
    assert!(
        human.stderr.contains("error[nesting-too-deep]"),
        "{}",
        cut(&human.stderr)
    );
    assert!(human.stderr.len() < 20_000, "{} bytes", human.stderr.len());
}

#[test]
fn a_100_mb_file_is_refused_without_reading_it() {
    let dir = repo("huge");
    dir.write("users/a.yaml", b"users:\n  - upn: ann@contoso.com\n");
    let f = std::fs::File::create(dir.join("users/huge.yaml")).expect("create");
    f.set_len(100 * 1024 * 1024).expect("sparse 100 MB file");
    let start = Instant::now();
    let run = validate(&dir, "json");
    assert_eq!(run.code, Some(1), "{}", cut(&run.both()));
    let diags = run.diags();
    let d = find(&diags, "file-too-large", &run);
    let msg = d["message"].as_str().unwrap();
    assert!(
        msg.contains("users/huge.yaml")
            && msg.contains("104857600 bytes")
            && msg.contains("64 MiB"),
        "{msg}"
    );
    assert!(d["help"].as_str().unwrap().contains("split"), "{d:#}");
    assert_eq!(run.codes(), ["file-too-large"], "{}", cut(&run.stdout));
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn links_to_devices_are_refused_without_reading_them() {
    let dir = repo("devices");
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.yaml")).expect("link");
    std::os::unix::fs::symlink("/dev/urandom", dir.join("random.yml")).expect("link");
    let run = validate(&dir, "json");
    assert_eq!(run.code, Some(1), "{}", cut(&run.both()));
    let diags = run.diags();
    assert_eq!(run.codes(), ["path-outside-repo", "path-outside-repo"]);
    for (name, target) in [("zero.yaml", "/dev/zero"), ("random.yml", "/dev/urandom")] {
        assert!(
            diags.iter().any(|d| {
                let m = d["message"].as_str().unwrap();
                m.contains(name) && m.contains(target)
            }),
            "{name}: {diags:#?}"
        );
    }
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = repo("fifo");
    let status = Command::new("mkfifo")
        .arg(dir.join("users.yaml"))
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo failed");
    std::fs::create_dir_all(dir.join("team")).expect("mkdir");
    std::os::unix::fs::symlink("../users.yaml", dir.join("team/pipe.yaml")).expect("link");
    let run = validate(&dir, "json");
    assert_eq!(run.code, Some(1), "{}", cut(&run.both()));
    let diags = run.diags();
    assert_eq!(run.codes(), ["not-a-regular-file", "not-a-regular-file"]);
    for d in &diags {
        let m = d["message"].as_str().unwrap();
        assert!(m.contains("FIFO"), "{m}");
        assert!(
            d["help"].as_str().unwrap().contains("regular file"),
            "{d:#}"
        );
    }
}

#[test]
fn a_link_to_proc_self_environ_or_a_key_never_shows_their_content() {
    let canary = format!(
        "entraform-canary-{}-{:?}",
        std::process::id(),
        Instant::now()
    );
    let outside = Scratch::new("hostile-outside");
    outside.write(
        "key.pem",
        format!("-----BEGIN PRIVATE KEY-----\n{canary}\n-----END PRIVATE KEY-----\n").as_bytes(),
    );
    let dir = repo("environ");
    std::os::unix::fs::symlink("/proc/self/environ", dir.join("env.yaml")).expect("link");
    std::os::unix::fs::symlink(outside.join("key.pem"), dir.join("users.yaml")).expect("link");
    let dir_s = dir.to_str().unwrap();
    for format in ["human", "json", "github"] {
        let run = entraform(
            &["validate", dir_s, "--format", format],
            &[("AZURE_CLIENT_SECRET", canary.as_str())],
            false,
        );
        assert_eq!(run.code, Some(1), "{format}: {}", cut(&run.both()));
        let all = run.both();
        assert!(
            !all.contains(&canary),
            "{format} leaked the secret:\n{}",
            cut(&all)
        );
        assert!(
            !all.contains("PRIVATE KEY"),
            "{format} leaked the key:\n{}",
            cut(&all)
        );
        assert_eq!(
            all.matches("path-outside-repo").count(),
            2,
            "{format}: {}",
            cut(&all)
        );
    }
}

#[test]
fn folder_links_leaving_the_repo_are_errors_and_inside_ones_are_not_followed() {
    let outside = Scratch::new("hostile-outside-dir");
    outside.write("more.yaml", b"users:\n  - upn: mallory@contoso.com\n");
    let dir = repo("dirlinks");
    dir.write("users/a.yaml", b"users:\n  - upn: ann@contoso.com\n");
    std::os::unix::fs::symlink(&*outside, dir.join("shared")).expect("link");
    std::os::unix::fs::symlink(".", dir.join("users/loop")).expect("link");
    std::os::unix::fs::symlink("../..", dir.join("users/up")).expect("link");
    let run = validate(&dir, "json");
    assert_eq!(run.code, Some(1), "{}", cut(&run.both()));
    let diags = run.diags();
    assert_eq!(
        run.codes(),
        ["path-outside-repo", "path-outside-repo"],
        "{diags:#?}"
    );
    assert!(
        diags
            .iter()
            .any(|d| d["message"].as_str().unwrap().contains("shared"))
    );
    assert!(!run.both().contains("mallory"));

    // Without the link that leaves, the repo is valid: `loop` and `up` (inside) are not
    // followed, so the walk ends and ann is read once.
    std::fs::remove_file(dir.join("shared")).expect("unlink");
    std::fs::remove_file(dir.join("users/up")).expect("unlink");
    std::os::unix::fs::symlink("../users", dir.join("users/again")).expect("link");
    let run = validate(&dir, "human");
    assert_eq!(run.code, Some(0), "{}", cut(&run.both()));
    assert!(run.stdout.contains("valid — 1 user,"), "{}", run.stdout);
    assert!(run.stdout.contains("in 2 files"), "{}", run.stdout);
}

#[test]
fn a_link_to_a_file_inside_the_repo_is_read_under_its_own_name() {
    let dir = repo("filelink");
    dir.write(
        ".shared/people.txt",
        b"users:\n  - upn: ann@contoso.com\n    bogus: 1\n",
    );
    std::os::unix::fs::symlink("../.shared/people.txt", {
        std::fs::create_dir_all(dir.join("users")).expect("mkdir");
        dir.join("users/people.yaml")
    })
    .expect("link");
    let run = validate(&dir, "json");
    assert_eq!(run.code, Some(1), "{}", cut(&run.both()));
    let diags = run.diags();
    let d = find(&diags, "unknown-key", &run);
    assert_eq!(at(d, &dir), ("users/people.yaml".into(), 3, 5));
}

#[test]
fn a_ten_megabyte_value_is_not_repeated() {
    let dir = repo("longvalue");
    let local = "x".repeat(10_000_000);
    dir.write(
        "users/a.yaml",
        format!("users:\n  - upn: {local}@contoso.com\n").as_bytes(),
    );
    let run = validate(&dir, "json");
    assert_eq!(run.code, Some(1), "{}", cut(&run.both()));
    assert!(
        run.both().len() < 10_000,
        "{} bytes of output",
        run.both().len()
    );
    let diags = run.diags();
    let d = find(&diags, "invalid-upn", &run);
    assert_eq!(at(d, &dir), ("users/a.yaml".into(), 2, 10));
    let msg = d["message"].as_str().unwrap();
    let head = format!("`{}… (10000012 characters)`", &local[..80]);
    assert!(msg.starts_with(&head), "{msg}");
}

#[test]
fn long_values_are_cut_short_in_every_format() {
    // A megabyte is enough to show the bound (and parses fast in a debug build).
    let dir = repo("longvalues");
    let long = "y".repeat(1_000_000);
    dir.write(
        "users/a.yaml",
        format!(
            "users:\n  - upn: {long}@contoso.com\n  - upn: ann@contoso.com\n    usageLocation: {long}\n    preferredLanguage: {long}\n    groups: [{long}]\n"
        )
        .as_bytes(),
    );
    for format in ["json", "github", "human"] {
        let run = validate(&dir, format);
        assert_eq!(run.code, Some(1), "{format}: {}", cut(&run.both()));
        let all = run.both();
        assert!(
            all.len() < 20_000,
            "{format}: {} bytes of output",
            all.len()
        );
        for code in [
            "invalid-upn",
            "invalid-country-code",
            "invalid-value",
            "unknown-group",
        ] {
            assert!(all.contains(code), "{format}: no {code}:\n{}", cut(&all));
        }
        assert!(
            all.matches("(1000000 characters)").count() >= 3,
            "{format}: lengths not reported:\n{}",
            cut(&all)
        );
    }
}

#[test]
fn a_minified_one_line_file_is_shown_as_windows_with_exact_positions() {
    // 2,000 users on one 2 MB line, each with an unknown key after 900 spaces.
    let dir = repo("minified");
    let pad = " ".repeat(900);
    let items: Vec<String> = (0..2000)
        .map(|i| format!("{{upn: u{i}@contoso.com,{pad}bogus: 1}}"))
        .collect();
    dir.write(
        "users/min.yaml",
        format!("users: [{}]\n", items.join(", ")).as_bytes(),
    );
    let run = validate(&dir, "human");
    assert_eq!(run.code, Some(1), "{}", cut(&run.both()));
    assert_eq!(run.stderr.matches("error[unknown-key]").count(), 2000);
    let longest = run
        .stderr
        .lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    assert!(longest < 1000, "a line of {longest} characters was printed");
    // The last key's column, as JSON reports it, is the one the snippet header shows.
    let json = validate(&dir, "json");
    let diags = json.diags();
    let (_, line, col) = at(diags.last().expect("diagnostics"), &dir);
    assert!(col > 1_000_000, "column {col}");
    assert!(
        run.stderr.contains(&format!("users/min.yaml:{line}:{col}")),
        "no header with column {col}"
    );
}

#[test]
fn an_unreadable_sub_folder_is_named_and_the_rest_is_still_checked() {
    let dir = repo("locked");
    dir.write(
        "users/open/a.yaml",
        b"users:\n  - upn: ann@contoso.com\n    bogus: 1\n",
    );
    dir.write("users/locked/b.yaml", b"users:\n  - upn: bob@contoso.com\n");
    let locked = dir.join("users/locked");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    // Root reads any folder whatever its mode; CI runs as root, so the binary runs as
    // nobody (uid 65534) there. The rest of the repo is world-readable.
    let run = entraform(
        &["validate", dir.to_str().unwrap(), "--format", "json"],
        &[],
        true,
    );
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_eq!(run.code, Some(1), "{}", cut(&run.both()));
    let diags = run.diags();
    let io = find(&diags, "io-error", &run);
    let msg = io["message"].as_str().unwrap();
    assert!(msg.contains("users/locked"), "{msg}");
    assert!(msg.contains("cannot read folder"), "{msg}");
    // The other folder was still read and checked.
    let d = find(&diags, "unknown-key", &run);
    assert_eq!(at(d, &dir), ("users/open/a.yaml".into(), 3, 5));
}

#[test]
fn a_million_mistakes_are_counted_not_listed() {
    let dir = repo("many");
    let mut text = String::from("users:\n");
    text.push_str(&"  - 1\n".repeat(200_000));
    dir.write("users/many.yaml", text.as_bytes());
    let run = validate(&dir, "json");
    assert_eq!(run.code, Some(1), "{}", cut(&run.both()));
    let doc = run.json();
    let diags = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 10_001);
    let last = diags.last().unwrap();
    assert_eq!(last["code"], "too-many-problems");
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .starts_with("190000 more problems"),
        "{last:#}"
    );
    assert!(diags[..10_000].iter().all(|d| d["code"] == "wrong-type"));
}

#[test]
fn the_seed_reader_refuses_alias_bombs_and_deep_nesting_in_yaml_and_json() {
    use graph_emulator::Seed;
    let bomb = format!("users:\n  - displayName: *i\n{}", billion_laughs());
    let e = Seed::parse(&format!("{}users: [*i]\n", billion_laughs()))
        .expect_err("alias bomb accepted")
        .to_string();
    assert!(e.contains("aliases") && e.contains("line 7"), "{e}");
    assert!(Seed::parse(&bomb).is_err());
    // JSON is read first: serde_json's recursion limit (128) stays on, then the YAML
    // reader stops at its own depth limit; neither overflows the stack.
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let e = Seed::parse(&deep_json)
        .expect_err("deep JSON accepted")
        .to_string();
    assert!(e.contains("recursion limit exceeded"), "{e}");
    assert!(e.contains("nested more than 64 levels"), "{e}");
    let deep_yaml = format!("users:\n{}x\n", "- ".repeat(40_000));
    let e = Seed::parse(&deep_yaml)
        .expect_err("deep YAML accepted")
        .to_string();
    assert!(e.contains("nested more than 64 levels"), "{e}");
    // Reuse within the limits still works.
    let ok = "groups:\n  - displayName: G\n    members: &d [a@contoso.com]\n  - displayName: H\n    members: *d\n";
    let seed = Seed::parse(ok).expect("anchors within the limits");
    assert_eq!(seed.groups[1].members, ["a@contoso.com"]);
}
