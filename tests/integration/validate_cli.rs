//! End-to-end tests of `entraform validate` on the fixture repos in `tests/fixtures/invalid/`.
//!
//! Each fixture directory holds a small directory repo with one kind of mistake
//! (or, for `ten-mistakes`, ten) and an `expect.txt`:
//!
//! ```text
//! <code> <file relative to the fixture>:<line>   one line per expected diagnostic
//! <code> -                                       a diagnostic without a location
//! related <file>:<line>                          some diagnostic has this related location
//! message <substring>                            some diagnostic's message contains it
//! help <substring>                               some diagnostic's help contains it
//! ```
//!
//! The set of `(code, file, line)` reported must equal the expected lines exactly.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

/// The distinctive literal password written in the `literal-password` and `ten-mistakes` fixtures.
const PASSWORD: &str = "Zq9-Hunter2-Quokka!";

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid")
}

fn fixture(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

/// Run the real binary with a clean environment for its own variables.
fn entraform(args: &[&str]) -> Output {
    crate::cli_support::entraform()
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run entraform")
}

fn validate(dir: &Path, format: &str) -> Output {
    entraform(&[
        "validate",
        dir.to_str().expect("UTF-8 path"),
        "--format",
        format,
    ])
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A diagnostic location as `(code, file relative to the fixture, line)`; `None` for repo-wide ones.
type Key = (String, Option<(String, u64)>);

#[derive(Debug, Default)]
struct Expect {
    diags: Vec<Key>,
    related: Vec<(String, u64)>,
    messages: Vec<String>,
    helps: Vec<String>,
}

fn parse_location(s: &str) -> (String, u64) {
    let (file, line) = s
        .rsplit_once(':')
        .unwrap_or_else(|| panic!("`{s}`: expected file:line"));
    (
        file.to_string(),
        line.parse().unwrap_or_else(|_| panic!("`{s}`: bad line")),
    )
}

fn read_expect(dir: &Path) -> Expect {
    let path = dir.join("expect.txt");
    let body = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut e = Expect::default();
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        let (head, rest) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("{}: bad line `{line}`", path.display()));
        match head {
            "message" => e.messages.push(rest.to_string()),
            "help" => e.helps.push(rest.to_string()),
            "related" => e.related.push(parse_location(rest)),
            code => {
                let loc = (rest != "-").then(|| parse_location(rest));
                e.diags.push((code.to_string(), loc));
            }
        }
    }
    e
}

/// The JSON document of `validate --format json`, checked for its documented shape.
fn json_doc(out: &Output) -> Value {
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    assert_eq!(doc["version"], 1, "{doc:#}");
    let diags = doc["diagnostics"].as_array().expect("diagnostics array");
    let errors = diags.iter().filter(|d| d["severity"] == "error").count();
    assert_eq!(doc["errors"].as_u64(), Some(errors as u64), "{doc:#}");
    assert_eq!(
        doc["warnings"].as_u64(),
        Some((diags.len() - errors) as u64),
        "{doc:#}"
    );
    for d in diags {
        assert!(d["code"].is_string(), "{d:#}");
        assert!(
            matches!(d["severity"].as_str(), Some("error" | "warning")),
            "{d:#}"
        );
        assert!(
            d["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{d:#}"
        );
        assert!(d["help"].is_string() || d["help"].is_null(), "{d:#}");
        assert!(d["related"].is_array(), "{d:#}");
        let mut locs: Vec<&Value> = d["related"].as_array().unwrap().iter().collect();
        if let Some(loc) = d.get("location") {
            assert!(d["label"].is_string(), "{d:#}");
            locs.push(loc);
        }
        for loc in locs {
            assert!(loc["file"].is_string(), "{d:#}");
            let (line, col) = (loc["line"].as_u64(), loc["column"].as_u64());
            let (end_line, end_col) = (loc["end_line"].as_u64(), loc["end_column"].as_u64());
            assert!(line >= Some(1) && col >= Some(1), "{d:#}");
            assert!(end_line >= line && end_col >= Some(1), "{d:#}");
        }
    }
    doc
}

/// `file` as displayed (the DIR argument joined with the relative path) → relative path.
fn relative(dir: &Path, file: &str) -> String {
    let prefix = format!("{}/", dir.to_str().unwrap());
    file.strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("file `{file}` is not under `{prefix}`"))
        .to_string()
}

fn location(dir: &Path, loc: &Value) -> (String, u64) {
    (
        relative(dir, loc["file"].as_str().unwrap()),
        loc["line"].as_u64().unwrap(),
    )
}

fn actual_keys(dir: &Path, doc: &Value) -> Vec<Key> {
    doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d.get("location").map(|l| location(dir, l)),
            )
        })
        .collect()
}

fn sorted(mut v: Vec<Key>) -> Vec<Key> {
    v.sort();
    v
}

/// Run `validate --format json` on a fixture and compare with its `expect.txt`.
fn check_fixture(name: &str) {
    let dir = fixture(name);
    let expect = read_expect(&dir);
    let out = validate(&dir, "json");
    let doc = json_doc(&out);
    let diags = doc["diagnostics"].as_array().unwrap();
    let report = format!(
        "fixture {name}: {}",
        serde_json::to_string_pretty(&doc).unwrap()
    );
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert_eq!(
        sorted(actual_keys(&dir, &doc)),
        sorted(expect.diags.clone()),
        "{report}"
    );
    for rel in &expect.related {
        let found = diags.iter().any(|d| {
            d["related"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| location(&dir, r) == *rel)
        });
        assert!(found, "no related location {rel:?}; {report}");
    }
    for m in &expect.messages {
        let found = diags
            .iter()
            .any(|d| d["message"].as_str().unwrap().contains(m.as_str()));
        assert!(found, "no message containing `{m}`; {report}");
    }
    for h in &expect.helps {
        let found = diags
            .iter()
            .any(|d| d["help"].as_str().is_some_and(|s| s.contains(h.as_str())));
        assert!(found, "no help containing `{h}`; {report}");
    }
}

macro_rules! fixtures {
    ($($test:ident => $name:literal,)*) => {
        const FIXTURES: &[&str] = &[$($name,)*];
        $(
            #[test]
            fn $test() {
                check_fixture($name);
            }
        )*
    };
}

fixtures! {
    fixture_yaml_syntax => "yaml-syntax",
    fixture_wrong_type => "wrong-type",
    fixture_unknown_key => "unknown-key",
    fixture_missing_key => "missing-key",
    fixture_duplicate_key => "duplicate-key",
    fixture_invalid_value_date => "invalid-value-date",
    fixture_invalid_value_language => "invalid-value-language",
    fixture_invalid_value_business_phones => "invalid-value-business-phones",
    fixture_invalid_value_absent_users => "invalid-value-absent-users",
    fixture_invalid_value_threshold => "invalid-value-threshold",
    fixture_invalid_value_env_name => "invalid-value-env-name",
    fixture_invalid_value_mail_nickname => "invalid-value-mail-nickname",
    fixture_invalid_value_user_type => "invalid-value-user-type",
    fixture_invalid_value_license_twice => "invalid-value-license-twice",
    fixture_license_needs_usage_location => "license-needs-usage-location",
    fixture_invalid_invite => "invalid-invite",
    fixture_invite_upn_mismatch => "invite-upn-mismatch",
    fixture_too_long => "too-long",
    fixture_missing_tenant => "missing-tenant",
    fixture_duplicate_tenant => "duplicate-tenant",
    fixture_invalid_upn => "invalid-upn",
    fixture_unknown_domain => "unknown-domain",
    fixture_duplicate_upn => "duplicate-upn",
    fixture_duplicate_group => "duplicate-group",
    fixture_duplicate_role_name => "duplicate-role-name",
    fixture_duplicate_role_template_id => "duplicate-role-template-id",
    fixture_self_manager => "self-manager",
    fixture_manager_cycle => "manager-cycle",
    fixture_unknown_group => "unknown-group",
    fixture_unknown_role => "unknown-role",
    fixture_contradiction_excluded => "contradiction-excluded",
    fixture_contradiction_protected_disabled => "contradiction-protected-disabled",
    fixture_contradiction_disabled_with_role => "contradiction-disabled-with-role",
    fixture_contradiction_out_of_scope => "contradiction-out-of-scope",
    fixture_dynamic_group_members_on_group => "dynamic-group-members-on-group",
    fixture_dynamic_group_members_via_user => "dynamic-group-members-via-user",
    fixture_invalid_country_code => "invalid-country-code",
    fixture_literal_password => "literal-password",
    fixture_ten_mistakes => "ten-mistakes",
    fixture_not_a_directory_file => "not-a-directory-file",
    fixture_duplicate_holding => "duplicate-holding",
    fixture_contradiction_eligible_active => "contradiction-eligible-active",
    fixture_literal_secret => "literal-secret",
}

#[test]
fn every_fixture_directory_is_tested_and_has_a_valid_tenant_file() {
    let mut on_disk: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FIXTURES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "fixture directories vs. the fixtures! list"
    );
    for name in FIXTURES {
        let dir = fixture(name);
        assert!(dir.join("expect.txt").is_file(), "{name}: no expect.txt");
        if *name != "missing-tenant" {
            let t = std::fs::read_to_string(dir.join("tenant.yaml"))
                .unwrap_or_else(|_| panic!("{name}: no tenant.yaml"));
            assert!(t.contains("domain: contoso.com"), "{name}: {t}");
        }
    }
}

#[test]
fn every_code_a_file_can_trigger_has_a_fixture() {
    let mut covered: BTreeSet<String> = BTreeSet::new();
    for name in FIXTURES {
        for (code, _) in read_expect(&fixture(name)).diags {
            covered.insert(code);
        }
    }
    // io-error needs a non-UTF-8 file, written at test time by `non_utf8_file_is_an_io_error`.
    covered.insert("io-error".into());
    // Hostile-repo codes need links, FIFOs, huge or generated files: tested in `loader_hostile`.
    for code in [
        "file-too-large",
        "not-a-regular-file",
        "path-outside-repo",
        "alias-limit",
        "nesting-too-deep",
        "too-many-problems",
    ] {
        covered.insert(code.into());
    }
    let all: BTreeSet<String> = entraform::desired::Code::ALL
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    let missing: Vec<&String> = all.difference(&covered).collect();
    assert!(missing.is_empty(), "codes without a fixture: {missing:?}");
    let unknown: Vec<&String> = covered.difference(&all).collect();
    assert!(
        unknown.is_empty(),
        "expect.txt names unknown codes: {unknown:?}"
    );
}

#[test]
fn ten_mistakes_gives_ten_distinct_kinds_in_three_files() {
    let dir = fixture("ten-mistakes");
    let out = validate(&dir, "json");
    let doc = json_doc(&out);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(doc["errors"], 10, "{doc:#}");
    let keys = actual_keys(&dir, &doc);
    let codes: BTreeSet<&str> = keys.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes.len(), 10, "{codes:?}");
    let files: BTreeSet<&str> = keys
        .iter()
        .filter_map(|(_, l)| l.as_ref().map(|(f, _)| f.as_str()))
        .collect();
    assert!(files.len() >= 3, "{files:?}");
    assert!(
        files.iter().filter(|f| f.contains('/')).count() >= 2,
        "{files:?}"
    );
}

use crate::scratch::Scratch as TempDir;

#[test]
fn non_utf8_file_is_an_io_error() {
    let tmp = TempDir::new("io");
    tmp.write("tenant.yaml", b"tenant:\n  domain: contoso.com\n");
    tmp.write(
        "users/latin1.yaml",
        b"users:\n  - upn: ann@contoso.com\n    city: M\xfcnchen\n",
    );
    let out = validate(&tmp, "json");
    let doc = json_doc(&out);
    assert_eq!(out.status.code(), Some(1), "{doc:#}");
    let diags = doc["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{doc:#}");
    assert_eq!(diags[0]["code"], "io-error", "{doc:#}");
    let msg = diags[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("latin1.yaml") && msg.contains("UTF-8"),
        "{msg}"
    );
    assert!(
        diags[0]["help"].as_str().unwrap().contains("UTF-8"),
        "{doc:#}"
    );
}

#[test]
fn example_repo_is_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/desired-state");
    let out = validate(&dir, "human");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains("valid"), "{}", text(&out.stdout));

    let out = validate(&dir, "json");
    assert_eq!(out.status.code(), Some(0));
    let doc = json_doc(&out);
    assert_eq!(doc["errors"], 0, "{doc:#}");
}

#[test]
fn github_format_prints_one_error_command_per_diagnostic() {
    let dir = fixture("ten-mistakes");
    let out = validate(&dir, "github");
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 10, "{stdout}");
    for l in &lines {
        assert!(l.starts_with("::error file="), "{l}");
        assert!(l.contains(",line=") && l.contains(",col="), "{l}");
        assert!(l.contains(",title=entraform%3A "), "{l}");
        let (_, msg) = l[2..].split_once("::").expect("::message");
        assert!(!msg.is_empty(), "{l}");
    }
    let tenant = format!(
        "::error file={}/tenant.yaml,line=3,col=17,",
        dir.to_str().unwrap()
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&tenant)),
        "no line starting with {tenant}:\n{stdout}"
    );
    // Help and related locations are folded into the message with escaped newlines.
    let dup = lines
        .iter()
        .find(|l| l.contains("title=entraform%3A duplicate-upn"))
        .expect("duplicate-upn line");
    assert!(dup.contains("%0Ahelp: "), "{dup}");
    assert!(
        dup.contains("%0Asee ") && dup.contains("users/engineering/platform.yaml:2:"),
        "{dup}"
    );
}

#[test]
fn human_format_shows_snippet_location_and_help() {
    let dir = fixture("unknown-key");
    let out = validate(&dir, "human");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let arrow = format!("--> {}/users/ann.yaml:3:5", dir.to_str().unwrap());
    assert!(stderr.contains(&arrow), "no `{arrow}` in:\n{stderr}");
    assert!(stderr.contains("DisplayName: Ann Smith"), "{stderr}");
    assert!(stderr.contains("^"), "{stderr}");
    assert!(
        stderr.contains("help: did you mean `displayName`?"),
        "{stderr}"
    );
    assert!(stderr.contains("unknown-key"), "{stderr}");
    assert!(stderr.contains("1 error"), "{stderr}");
}

fn assert_no_password(dir: &Path, secret: &str) {
    for format in ["human", "json", "github"] {
        let out = validate(dir, format);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(
            all.contains("literal-password"),
            "{format}: no literal-password diagnostic in\n{all}"
        );
        assert!(
            !all.contains(secret),
            "{format} output of {} leaks the password:\n{all}",
            dir.display()
        );
    }
}

#[test]
fn literal_password_never_appears_in_any_output() {
    assert_no_password(&fixture("literal-password"), PASSWORD);
    assert_no_password(&fixture("ten-mistakes"), PASSWORD);
    // Enough of the masked line is shown to find it.
    let out = validate(&fixture("literal-password"), "human");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("password: *"), "{stderr}");
}

#[test]
fn literal_password_in_defaults_never_appears_in_any_output() {
    let tmp = TempDir::new("pw-defaults");
    tmp.write(
        "tenant.yaml",
        b"tenant:\n  domain: contoso.com\n  defaults:\n    password: Defaults-Secret-Walrus42\n",
    );
    assert_no_password(&tmp, "Defaults-Secret-Walrus42");
}

#[test]
fn literal_password_as_block_scalar_never_appears_in_any_output() {
    let tmp = TempDir::new("pw-block");
    tmp.write("tenant.yaml", b"tenant:\n  domain: contoso.com\n");
    tmp.write(
        "users/ann.yaml",
        b"users:\n  - upn: ann@contoso.com\n    password: |\n      Block-Secret-Narwhal7\n    jobTitle: Engineer\n",
    );
    assert_no_password(&tmp, "Block-Secret-Narwhal7");
}

#[test]
fn duplicate_password_key_never_leaks() {
    let tmp = TempDir::new("pw-dup");
    tmp.write("tenant.yaml", b"tenant:\n  domain: contoso.com\n");
    tmp.write(
        "users/ann.yaml",
        b"users:\n  - upn: ann@contoso.com\n    password: First-Secret-Otter1\n    password: Second-Secret-Otter2\n",
    );
    assert_no_password(&tmp, "First-Secret-Otter1");
    assert_no_password(&tmp, "Second-Secret-Otter2");
}

/// A fixture repo in a temp dir: contoso tenant plus one user file holding `user_lines` under `ann`.
fn password_repo(tag: &str, user_lines: &str) -> TempDir {
    let tmp = TempDir::new(tag);
    tmp.write("tenant.yaml", b"tenant:\n  domain: contoso.com\n");
    let body = format!("users:\n  - upn: ann@contoso.com\n{user_lines}");
    tmp.write("users/ann.yaml", body.as_bytes());
    tmp
}

/// No output format may contain `secret`, whatever code the mistake gets.
fn assert_secret_hidden(dir: &Path, secret: &str) {
    for format in ["human", "json", "github"] {
        let out = validate(dir, format);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(
            !all.contains(secret),
            "{format} output leaks the password:\n{all}"
        );
    }
}

#[test]
fn password_written_as_env_name_never_leaks() {
    let tmp = password_repo("pw-env", "    password: { env: \"EnvSecret Emu9!\" }\n");
    assert_secret_hidden(&tmp, "EnvSecret Emu9!");
}

#[test]
fn password_written_as_list_never_leaks() {
    let tmp = password_repo("pw-list", "    password: [ListSecret-Emu9]\n");
    assert_secret_hidden(&tmp, "ListSecret-Emu9");
}

#[test]
fn password_under_miscased_key_never_leaks() {
    let tmp = password_repo("pw-case", "    Password: CaseSecret-Emu9\n");
    assert_secret_hidden(&tmp, "CaseSecret-Emu9");
}

#[test]
fn nonexistent_directory_is_an_error_naming_it() {
    let dir = fixtures_dir().join("no-such-repo");
    let out = validate(&dir, "human");
    assert_eq!(out.status.code(), Some(1));
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(all.contains("no-such-repo"), "{all}");

    let out = validate(&dir, "json");
    assert_eq!(out.status.code(), Some(1));
    let doc = json_doc(&out);
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "io-error", "{doc:#}");
    assert!(
        d["message"].as_str().unwrap().contains("no-such-repo"),
        "{doc:#}"
    );
}

#[test]
fn validate_help_exits_zero() {
    let out = entraform(&["validate", "--help"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("--format"), "{stdout}");
}
