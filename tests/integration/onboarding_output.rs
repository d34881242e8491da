//! Issue #13 §4, output a person can trust: a plan with errors never says "No
//! changes" and its errors get `validate`'s suggestions and formats;
//! reconcile speaks in the past tense once it applied; counts agree in
//! number; `-v`/`-vv`; empty and boolean environment variables; help and
//! docs without leftovers.

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};

use crate::cli_support::{
    NEW_HIRE, Tenant, bare, command, out, portal, root, run, tempdir, tenant, tenant_from, writes,
};

const TENANT_YAML: &str = "tenant:
  domain: contoso.com
  domains: [contoso.onmicrosoft.com]
  scope: { users: all }
  absent_users: ignore
";

/// A repo that declares one live user with a misspelt manager (`tomas.novk`)
/// and a custom role misspelt after a built-in one: nothing to change, two errors.
fn repo_with_typos(dir: &Path) {
    std::fs::write(dir.join("tenant.yaml"), TENANT_YAML).unwrap();
    std::fs::create_dir_all(dir.join("users")).unwrap();
    std::fs::write(
        dir.join("users/a.yaml"),
        "users:\n  - upn: amelia.hart\n    manager: tomas.novk\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("roles.yaml"),
        "roles:\n  - role: Helpdesk Administator\n    custom: true\n    principals: []\n",
    )
    .unwrap();
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_plan_with_errors_never_says_no_changes_and_suggests_the_names() {
    let t = tenant("examples/seed.yaml");
    let d = tempdir("output-plan-errors");
    repo_with_typos(&d);
    let repo = d.to_str().unwrap();
    // The repo itself is valid: these are plan-time errors (the tenant is needed).
    let o = bare(&["validate", repo], &[]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));

    let o = run(&t, &["plan", repo], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let text = stdout(&o);
    assert!(!text.contains("No changes"), "{text}");
    assert!(
        text.starts_with("The plan has 2 errors (listed below) and cannot be applied"),
        "{text}"
    );
    assert!(
        text.contains("error[unknown-user]")
            && text.contains("did you mean `tomas.novak@contoso.com`?"),
        "{text}"
    );
    assert!(
        text.contains("error[unknown-role]")
            && text.contains("did you mean `Helpdesk Administrator`?"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l == "The plan has 2 errors: nothing can be applied until they are fixed."),
        "{text}"
    );

    let o = run(&t, &["plan", repo, "--format", "markdown"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let md = stdout(&o);
    assert!(!md.contains("No changes"), "{md}");
    assert!(md.contains("This plan has **2 errors**"), "{md}");
    assert!(
        md.contains("did you mean `tomas.novak@contoso.com`?"),
        "{md}"
    );

    // GitHub annotations, as `validate --format github` prints them.
    let o = run(&t, &["plan", repo, "--format", "github"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let gh = stdout(&o);
    let user_line = gh
        .lines()
        .find(|l| l.contains("title=entraform%3A unknown-user::"))
        .unwrap_or_else(|| panic!("{gh}"));
    assert!(
        user_line.starts_with(&format!("::error file={repo}/users/a.yaml,line=3,col=")),
        "{user_line}"
    );
    assert!(
        user_line.ends_with("did you mean `tomas.novak@contoso.com`?"),
        "{user_line}"
    );
    assert!(
        gh.lines().any(
            |l| l.starts_with(&format!("::error file={repo}/roles.yaml,line=2,"))
                && l.contains("unknown-role")
        ),
        "{gh}"
    );
    assert!(
        gh.lines()
            .last()
            .unwrap()
            .starts_with("::notice title=entraform%3A plan::Plan: "),
        "{gh}"
    );

    // JSON: the same code, message (with the suggestion) and place.
    let o = run(&t, &["plan", repo, "--format", "json"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let plan: Value = serde_json::from_slice(&o.stdout).unwrap();
    let e = plan["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "unknown-user")
        .unwrap();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .ends_with("did you mean `tomas.novak@contoso.com`?"),
        "{e}"
    );
    assert_eq!(e["origin"]["file"], format!("{repo}/users/a.yaml"));
    assert_eq!(e["origin"]["line"], 3);
}

/// The example tenant after `apply` of the example repo, then one change made in the portal.
fn drifted() -> Tenant {
    let t = tenant("examples/seed.yaml");
    let o = run(
        &t,
        &["apply", "examples/desired-state", "--auto-approve"],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    portal(
        &t,
        "PATCH",
        "/users/olivia.bennett@contoso.com",
        json!({ "jobTitle": "Chief Portal Clicker" }),
    );
    t
}

#[test]
fn reconcile_says_would_revert_only_in_a_dry_run_and_reverted_after_applying() {
    let t = drifted();
    let d = tempdir("output-reconcile");
    let report = d.join("drift.json");
    let r = report.to_str().unwrap();

    let o = run(
        &t,
        &[
            "reconcile",
            "examples/desired-state",
            "--dry-run",
            "--report",
            r,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        stdout(&o).contains(
            "Drift: 1 operation on 1 object would be reverted (--dry-run: nothing was changed)."
        ),
        "{}",
        out(&o)
    );
    let j: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(j.get("reverted").is_none(), "{j:#}");
    assert_eq!(
        j["would_revert"][0]["changes"][0]["live"],
        "Chief Portal Clicker"
    );
    assert!(j["would_revert"][0]["changes"][0].get("result").is_none());

    let o = run(
        &t,
        &[
            "reconcile",
            "examples/desired-state",
            "--unattended",
            "--report",
            r,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = stdout(&o);
    assert!(!text.contains("would"), "past tense after applying: {text}");
    assert!(
        text.contains("Drift: 1 operation on 1 object to revert."),
        "{text}"
    );
    assert!(
        text.contains("Drift reverted: 1 done, 0 failed, 0 skipped"),
        "{text}"
    );
    let j: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(j.get("would_revert").is_none(), "{j:#}");
    assert_eq!(j["reverted"][0]["object"], "olivia.bennett@contoso.com");
    assert_eq!(j["reverted"][0]["changes"][0]["result"], "done");
    assert_eq!(j["outcome"]["status"], "reconciled");

    // The Markdown report says the same.
    let md = d.join("drift.md");
    portal(
        &t,
        "PATCH",
        "/users/olivia.bennett@contoso.com",
        json!({ "jobTitle": "Chief Portal Clicker" }),
    );
    let o = run(
        &t,
        &[
            "reconcile",
            "examples/desired-state",
            "--unattended",
            "--report",
            md.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(
        md.contains("**Drift reverted**: 1 done") && md.contains("(1 object)"),
        "{md}"
    );
    assert!(
        md.contains("### Reverted\n") && !md.contains("Would be"),
        "{md}"
    );
    assert!(md.contains("| `update_user` | done |"), "{md}");
}

/// "1 operations", "1 waves"…: a count of one with a plural noun.
fn wrong_number(text: &str) -> Option<String> {
    let words = [
        "operations",
        "objects",
        "waves",
        "requests",
        "users",
        "groups",
        "roles",
        "files",
        "deletions",
        "disables",
        "retries",
        "principals",
        "errors",
        "Administrators",
    ];
    let tokens: Vec<&str> = text.split_whitespace().collect();
    tokens.windows(2).find_map(|w| {
        let n = w[0].trim_start_matches(['(', '[']);
        let noun = w[1].trim_end_matches([',', '.', ')', ':', ';']);
        (n == "1" && words.contains(&noun)).then(|| format!("{} {}", w[0], w[1]))
    })
}

#[test]
fn counts_of_one_are_singular() {
    // One drifted attribute: one operation, one object, one wave.
    let t = drifted();
    let d = tempdir("output-counts");
    let plan_file = d.join("plan.json");
    let o = run(
        &t,
        &[
            "plan",
            "examples/desired-state",
            "--out",
            plan_file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains("entraform will perform 1 operation on 1 object:"),
        "{text}"
    );
    assert!(text.contains("\n1 wave: apply runs"), "{text}");
    assert!(text.contains("1 operation of at most"), "{text}");
    assert_eq!(wrong_number(&text), None, "{text}");

    let o = run(
        &t,
        &[
            "apply",
            plan_file.to_str().unwrap(),
            "--dir",
            "examples/desired-state",
            "--auto-approve",
        ],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains("is current: 1 operation in 1 wave."),
        "{text}"
    );
    assert!(
        text.contains("Apply finished: 1 done, 0 failed, 0 skipped ("),
        "{text}"
    );
    assert_eq!(wrong_number(&text), None, "{text}");

    // validate and export of a one-person tenant.
    let seed = d.join("seed.yaml");
    std::fs::write(
        &seed,
        "tenant:
  id: 11111111-2222-4333-8444-555555555555
  domains: [contoso.com]
applications:
  - appId: app-1
    clientSecrets: [pw-123]
    permissions: [User.Read.All, GroupMember.Read.All, RoleManagement.Read.Directory]
users:
  - userPrincipalName: ann@contoso.com
    displayName: Ann
    accountEnabled: true
groups:
  - displayName: team
    mailNickname: team
    securityEnabled: true
    mailEnabled: false
    members: [ann@contoso.com]
roleAssignments:
  - principalId: ann@contoso.com
    roleDefinitionId: Global Administrator
",
    )
    .unwrap();
    let one = tenant_from(graph_emulator::Seed::from_file(&seed).unwrap());
    let repo = d.join("one");
    let o = run(&one, &["export", "--out", repo.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        stdout(&o).starts_with("Exported 1 user, 1 group and 1 role into "),
        "{}",
        out(&o)
    );
    // Everything in one file: one user, group and role in one file.
    let all: String = [
        "tenant.yaml",
        "users/no-department.yaml",
        "groups.yaml",
        "roles.yaml",
    ]
    .iter()
    .map(|f| {
        let t = std::fs::read_to_string(repo.join(f)).unwrap();
        t.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    })
    .collect();
    let single = d.join("single");
    std::fs::create_dir_all(&single).unwrap();
    std::fs::write(single.join("tenant.yaml"), all).unwrap();
    let o = bare(&["validate", single.to_str().unwrap()], &[])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        stdout(&o).ends_with("valid — 1 user, 1 group, 1 role in 1 file\n"),
        "{}",
        out(&o)
    );
}

#[test]
fn v_shows_info_and_vv_shows_entraforms_debug_also_from_the_variable() {
    let plan = |args: &[&str], envs: &[(&str, &str)]| -> String {
        let mut a = args.to_vec();
        a.extend([
            "plan",
            "examples/desired-state",
            "--emulator",
            "examples/seed.yaml",
        ]);
        let o = bare(&a, envs).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", out(&o));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let level = |log: &str, l: &str| log.lines().any(|line| line.contains(&format!(" {l} ")));
    let quiet = plan(&[], &[]);
    assert!(!level(&quiet, "INFO"), "{quiet}");
    let v = plan(&["-v"], &[]);
    assert!(level(&v, "INFO") && v.contains("graph request"), "{v}");
    assert!(!level(&v, "DEBUG"), "-v is INFO, not DEBUG: {v}");
    let vv = plan(&["-vv"], &[]);
    assert!(level(&vv, "DEBUG"), "{vv}");
    assert!(
        !vv.contains("pooling idle") && !vv.contains("connecting to"),
        "-vv is entraform's DEBUG, not the HTTP stack's: {vv}"
    );
    let env2 = plan(&[], &[("ENTRAFORM_VERBOSE", "2")]);
    assert!(
        level(&env2, "DEBUG"),
        "ENTRAFORM_VERBOSE=2 counts as -vv: {env2}"
    );
    let env1 = plan(&[], &[("ENTRAFORM_VERBOSE", "1")]);
    assert!(level(&env1, "INFO") && !level(&env1, "DEBUG"), "{env1}");
    let empty = plan(&[], &[("ENTRAFORM_VERBOSE", ""), ("ENTRAFORM_LOG", "")]);
    assert!(!level(&empty, "INFO"), "empty means unset: {empty}");
}

/// Every argument of `sub` that reads an environment variable, by kind.
fn env_vars(sub: &str) -> (Vec<String>, Vec<String>) {
    let cmd = entraform::cli::env::command();
    let sub = cmd.find_subcommand(sub).unwrap();
    let mut switches = Vec::new();
    let mut values = Vec::new();
    for a in sub.get_arguments().chain(cmd.get_arguments()) {
        let Some(var) = a.get_env() else { continue };
        let var = var.to_string_lossy().into_owned();
        if matches!(a.get_action(), clap::ArgAction::SetTrue) {
            switches.push(var);
        } else {
            values.push(var);
        }
    }
    (switches, values)
}

fn parse_error(o: &Output) -> Option<String> {
    let err = String::from_utf8_lossy(&o.stderr);
    [
        "invalid value",
        "a value is required",
        "cannot parse",
        "For more information, try '--help'",
    ]
    .iter()
    .find(|m| err.contains(*m))
    .map(|_| err.into_owned())
}

#[test]
fn empty_variables_are_unset_and_switches_take_the_usual_spellings_for_every_command() {
    // Each command with arguments that end quickly (no tenant, no such file).
    let commands: [(&str, &[&str]); 8] = [
        ("validate", &["/nonexistent/repo"]),
        ("plan", &["/nonexistent/repo"]),
        ("apply", &["/nonexistent/repo"]),
        ("reconcile", &["/nonexistent/repo"]),
        ("show", &["/nonexistent/plan.json"]),
        ("schema", &[]),
        ("export", &["--out", "/nonexistent/out"]),
        ("emulator", &["--seed", "/nonexistent/seed.yaml"]),
    ];
    for (sub, args) in commands {
        let (switches, values) = env_vars(sub);
        let mut argv = vec![sub];
        argv.extend_from_slice(args);
        let all: Vec<&String> = switches.iter().chain(values.iter()).collect();
        let empty: Vec<(&str, &str)> = all.iter().map(|v| (v.as_str(), "")).collect();
        let o = bare(&argv, &empty).output().unwrap();
        assert_eq!(
            parse_error(&o),
            None,
            "{sub} with every variable empty ({})",
            all.len()
        );
        for spelling in ["1", "0", "yes", "no", "TRUE", "false", "on", "off"] {
            let envs: Vec<(&str, &str)> = switches.iter().map(|v| (v.as_str(), spelling)).collect();
            let o = bare(&argv, &envs).output().unwrap();
            assert_eq!(parse_error(&o), None, "{sub} with switches = {spelling}");
        }
    }
    // A word that is no boolean is still an error, naming the flag.
    let o = bare(
        &["plan", "/nonexistent/repo"],
        &[("ENTRAFORM_ALLOW_MASS_DELETES", "maybe")],
    )
    .output()
    .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("invalid value 'maybe' for '--allow-mass-deletes'"),
        "{}",
        out(&o)
    );
}

#[test]
fn switch_variables_take_effect_and_empty_ones_do_nothing() {
    let t = tenant("examples/seed.yaml");
    let code = |envs: &[(&str, &str)]| {
        run(&t, &["plan", "examples/desired-state"], envs)
            .status
            .code()
    };
    assert_eq!(code(&[("ENTRAFORM_DETAILED_EXITCODE", "1")]), Some(2));
    assert_eq!(code(&[("ENTRAFORM_DETAILED_EXITCODE", "yes")]), Some(2));
    assert_eq!(code(&[("ENTRAFORM_DETAILED_EXITCODE", "0")]), Some(0));
    assert_eq!(code(&[("ENTRAFORM_DETAILED_EXITCODE", "")]), Some(0));
    assert_eq!(
        code(&[("ENTRAFORM_PLAN_FORMAT", ""), ("ENTRAFORM_STATE_DIR", "")]),
        Some(0)
    );
    // reconcile with ENTRAFORM_DRY_RUN=1 changes nothing; an empty one is no dry run.
    let o = run(
        &t,
        &["reconcile", "examples/desired-state", "--unattended"],
        &[("ENTRAFORM_DRY_RUN", "1"), NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(writes(&t), 0, "{}", out(&o));
    let o = command(
        &t,
        &["reconcile", "examples/desired-state", "--unattended"],
        &[("ENTRAFORM_DRY_RUN", ""), NEW_HIRE],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(writes(&t) > 0, "{}", out(&o));
}

#[test]
fn export_help_speaks_of_export_and_the_tenant_flags_of_any_command() {
    let o = bare(&["export", "--help"], &[]).output().unwrap();
    let help = stdout(&o);
    assert!(!help.contains("Plan against"), "{help}");
    assert!(help.contains("--emulator <SEED>"), "{help}");
    assert!(help.contains("in-process emulator"), "{help}");
}

#[test]
fn validate_prints_its_summary_where_the_readme_says() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let row = readme
        .lines()
        .find(|l| l.starts_with("| `--format human`"))
        .unwrap();
    assert!(
        row.contains("`valid — …` summary on stdout")
            && row.contains("problems and their count on stderr"),
        "{row}"
    );
    let o = bare(&["validate", "examples/desired-state"], &[])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains(": valid — "), "{}", out(&o));
    assert!(o.stderr.is_empty(), "{}", out(&o));
    let o = bare(&["validate", "tests/fixtures/invalid/unknown-key"], &[])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty(), "{}", out(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("1 error found in 2 files"),
        "{}",
        out(&o)
    );
}

#[test]
fn the_docs_hold_no_drafting_notes() {
    let mut files = vec![root().join("README.md")];
    for e in std::fs::read_dir(root().join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let lower = line.to_lowercase();
            let draft = lower.replace("draft-07", "");
            let found = ["TODO", "FIXME", "XXX"].iter().any(|m| line.contains(m))
                || ["(tbd)", " tbd ", "note to self", "notes to self", "draft", "to be merged"]
                    .iter()
                    .any(|m| draft.contains(m))
                // An HTML comment is a note to the writers, except the plan comment's
                // marker and the begin/end markers of tables a test reads.
                || (line.contains("<!--")
                    && !line.contains("<!-- entraform-plan -->")
                    && !line.starts_with("<!-- begin ")
                    && !line.starts_with("<!-- end "));
            assert!(!found, "{}:{}: {line}", f.display(), n + 1);
        }
    }
}
