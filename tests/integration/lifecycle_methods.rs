//! The leaver step `remove_authentication_methods` (issue #17) through the
//! real binary against the emulator: the plan reads the methods of the
//! policy's leavers only (one `$batch`), shows one step per method, apply
//! deletes them all by their per-type paths (the default method, which Graph
//! refuses while others exist, last), the next plan is empty; a missing
//! permission is a plan error naming it; without the step nothing is read.

use std::path::Path;
use std::process::Output;

use graph_emulator::{BackgroundEmulator, BatchOrder, EmulatorConfig};
use serde_json::Value;

use crate::cli_support::lifecycle::{
    ANA, APP, LUCAS, apply_at, exit_code, leaver_repo as repo, lucas_and_ana, plan_at, requests,
};
use crate::cli_support::{Tenant, out, portal_admin, run, tempdir, writes};

const AUTHENTICATOR: &str = "6e4c2a1b-0000-4000-8000-0000000000d1";
const KEY: &str = "6e4c2a1b-0000-4000-8000-0000000000d2";
const MOBILE: &str = "3179e48a-750b-4051-897c-87b9720928f7";
const ALTERNATE: &str = "b6332ec1-7057-4abe-9331-3d72feddfe41";

/// lucas (the leaver: phone mobile + alternateMobile, Authenticator as his
/// default, a FIDO2 key) and ana (not a leaver: a phone); the app holds the
/// recommended grants plus `extra`.
fn seed(extra: &[&str]) -> Tenant {
    let methods = format!(
        r#"authenticationMethods:
  - {{ user: {LUCAS}, type: phone, phoneType: mobile, phoneNumber: '+1 2065550100' }}
  - {{ user: {LUCAS}, type: phone, phoneType: alternateMobile, phoneNumber: '+1 2065550101' }}
  - {{ user: {LUCAS}, type: microsoftAuthenticator, id: {AUTHENTICATOR}, displayName: iPhone, default: true }}
  - {{ user: {LUCAS}, type: fido2, id: {KEY}, displayName: Red key }}
  - {{ user: {ANA}, type: phone, phoneType: mobile, phoneNumber: '+1 2065550200', default: true }}
"#
    );
    let seed = lucas_and_ana(extra, "", &methods);
    // `$batch` items run in the order sent, so which delete Graph refuses is
    // fixed (the default, and `mobile` before `alternateMobile`).
    let emu = BackgroundEmulator::start(
        seed,
        EmulatorConfig {
            batch_order: BatchOrder::Listed,
            ..EmulatorConfig::default()
        },
    )
    .expect("emulator");
    let token = emu.issue_token(APP);
    Tenant {
        emu,
        token,
        app: APP.to_string(),
    }
}

const NOW: &str = "2026-12-01T09:00:00Z";
const STEPS: &str = "revoke_sessions, reset_password, remove_authentication_methods";

fn plan(t: &Tenant, dir: &Path, extra: &[&str]) -> Output {
    plan_at(t, dir, NOW, extra)
}

/// `GET /users/{id}/authentication/methods` requests so far (inside `$batch` or not).
fn method_reads(t: &Tenant) -> u64 {
    requests(t, |r| {
        r.starts_with("GET ") && r.ends_with("/authentication/methods")
    })
}

/// Seeded methods and the TAP left on a user, as `type:id`.
fn methods_of(t: &Tenant, id: &str) -> Vec<String> {
    t.emu.with_tenant(|s| {
        let mut v: Vec<String> = s
            .auth_methods
            .get(id)
            .into_iter()
            .flatten()
            .map(|m| format!("{}:{}", m.kind, m.id()))
            .collect();
        if s.taps.contains_key(id) {
            v.push("tap".into());
        }
        v
    })
}

#[test]
fn a_leavers_methods_are_removed_the_default_last_and_the_next_plan_is_empty() {
    let t = seed(&["UserAuthenticationMethod.ReadWrite.All"]);
    // A Temporary Access Pass, issued in the portal.
    portal_admin(
        &t,
        "POST",
        &format!("/users/{LUCAS}/authentication/temporaryAccessPassMethods"),
        serde_json::json!({}),
    );
    assert_eq!(methods_of(&t, LUCAS).len(), 5);
    let scratch = tempdir("lifecycle-methods");
    let dir = scratch.join("repo");

    // Nobody leaves: no method is read.
    repo(&dir, "", STEPS);
    let p = plan(&t, &dir, &[]);
    assert_eq!(p.status.code(), Some(0), "{}", out(&p));
    assert_eq!(method_reads(&t), 0, "no leaver, no methods read");

    // The leaver PR: lucas's five methods are five steps; ana (not a leaver) is not read.
    repo(&dir, "    enabled: false\n", STEPS);
    let p = plan(&t, &dir, &["--format", "json"]);
    let json_text = String::from_utf8_lossy(&p.stdout).to_string();
    assert_eq!(p.status.code(), Some(2), "{}", out(&p));
    assert_eq!(method_reads(&t), 1, "one read, for the one leaver");
    let planned: Value = serde_json::from_str(&json_text).expect("plan json");
    let steps = planned["steps"].as_array().expect("steps");
    let method_step = |id: &str| -> u64 {
        steps
            .iter()
            .find(|s| s["op"] == "remove_authentication_method" && s["method"]["id"] == id)
            .and_then(|s| s["id"].as_u64())
            .unwrap_or_else(|| panic!("no step removing {id}: {json_text}"))
    };
    let (default_step, mobile_step, alternate_step) = (
        method_step(AUTHENTICATOR),
        method_step(MOBILE),
        method_step(ALTERNATE),
    );
    method_step(KEY);
    // Each removal waits for the disable, the password reset and the session revocation.
    let step_of = |op: &str| -> Value {
        steps
            .iter()
            .find(|s| s["op"] == op)
            .map(|s| s["id"].clone())
            .unwrap_or_else(|| panic!("no {op}: {json_text}"))
    };
    let firsts = [
        step_of("disable_user"),
        step_of("reset_password"),
        step_of("revoke_sessions"),
    ];
    for s in steps
        .iter()
        .filter(|s| s["op"] == "remove_authentication_method")
    {
        let deps = s["depends_on"].as_array().expect("depends_on");
        for f in &firsts {
            assert!(deps.contains(f), "{s} does not wait for step {f}");
        }
    }

    let text = exit_code(plan(&t, &dir, &[]), 2);
    for needle in [
        "offboarding: 9 steps for lucas.ferreira@contoso.com (disable_user, 5 × remove_authentication_method, reset_password, revoke_sessions, update_user)",
        "remove authentication method: phone (mobile) (id 3179e48a-750b-4051-897c-87b9720928f7)",
        "remove authentication method: phone (alternateMobile)",
        "remove authentication method: Microsoft Authenticator (id 6e4c2a1b-0000-4000-8000-0000000000d1)",
        "remove authentication method: FIDO2 security key",
        "remove authentication method: Temporary Access Pass",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    // Phone numbers are never shown, not even in trace logs.
    assert!(!text.contains("2065550"), "{text}");
    assert!(!json_text.contains("2065550"), "{json_text}");
    let traced = run(
        &t,
        &["plan", dir.to_str().unwrap()],
        &[("ENTRAFORM_NOW", NOW), ("ENTRAFORM_LOG", "trace")],
    );
    let traced = out(&traced);
    assert!(traced.contains("authentication"), "{traced}");
    assert!(!traced.contains("2065550"), "{traced}");

    let journal = scratch.join("journal.jsonl");
    let before = writes(&t);
    let a = apply_at(&t, &dir, NOW, &["--journal", journal.to_str().unwrap()]);
    let applied = out(&a);
    assert_eq!(a.status.code(), Some(0), "{applied}");
    assert!(
        methods_of(&t, LUCAS).is_empty(),
        "{:?}",
        methods_of(&t, LUCAS)
    );
    assert_eq!(methods_of(&t, ANA), vec![format!("phone:{MOBILE}")]);
    // 4 account writes (leave time, disable, reset, revoke) + 5 deletes + those
    // Graph refused and apply sent again.
    let m = t.emu.metrics();
    let refused = m.by_status.get(&400).copied().unwrap_or(0);
    assert_eq!(
        writes(&t) - before,
        9 + refused,
        "{:?}",
        m.batch_inner_by_route
    );
    eprintln!(
        "leaver with 5 methods: {} writes ({refused} refused and sent again)",
        writes(&t) - before
    );

    // Sent in plan order, Graph refused `mobile` (alternateMobile still there)
    // and the default (others still there); apply sent both again after the
    // others. The journal records outcomes as they happen: the default last,
    // `mobile` after `alternateMobile`.
    assert_eq!(refused, 2, "{:?}", m.batch_inner_by_route);
    let order: Vec<u64> = std::fs::read_to_string(&journal)
        .expect("journal")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["op"] == "remove_authentication_method" && v["status"] == "done")
        .filter_map(|v| v["step"].as_u64())
        .collect();
    assert_eq!(order.len(), 5, "{order:?}");
    assert_eq!(order.last(), Some(&default_step), "{order:?}");
    let pos = |s: u64| order.iter().position(|x| *x == s).unwrap();
    assert!(pos(alternate_step) < pos(mobile_step), "{order:?}");

    // Nothing left to do.
    let p = plan(&t, &dir, &[]);
    let text = out(&p);
    assert_eq!(p.status.code(), Some(0), "expected an empty plan:\n{text}");
}

#[test]
fn without_the_delete_permission_the_plan_is_unappliable_naming_it() {
    let t = seed(&["UserAuthenticationMethod.Read.All"]);
    let scratch = tempdir("lifecycle-methods-perm");
    let dir = scratch.join("repo");
    repo(&dir, "    enabled: false\n", STEPS);
    let text = exit_code(plan(&t, &dir, &[]), 1);
    assert!(text.contains("missing-permission"), "{text}");
    assert!(
        text.contains("UserAuthenticationMethod.ReadWrite.All"),
        "{text}"
    );
    let a = apply_at(&t, &dir, NOW, &[]);
    assert_ne!(a.status.code(), Some(0), "{}", out(&a));
    assert_eq!(methods_of(&t, LUCAS).len(), 4, "nothing removed");
    let enabled = t
        .emu
        .with_tenant(|s| s.users[LUCAS].props["accountEnabled"].clone());
    assert_eq!(enabled, Value::Bool(true), "nothing applied");
}

#[test]
fn without_the_read_permission_the_plan_says_which_one_is_missing() {
    let t = seed(&[]);
    let scratch = tempdir("lifecycle-methods-read");
    let dir = scratch.join("repo");
    repo(&dir, "    enabled: false\n", STEPS);
    let text = exit_code(plan(&t, &dir, &[]), 1);
    assert!(text.contains("auth-methods-unavailable"), "{text}");
    assert!(text.contains("UserAuthenticationMethod.Read.All"), "{text}");
    assert!(text.contains("lucas.ferreira@contoso.com"), "{text}");
}

#[test]
fn a_policy_without_the_step_reads_no_methods() {
    let t = seed(&["UserAuthenticationMethod.ReadWrite.All"]);
    let scratch = tempdir("lifecycle-methods-none");
    let dir = scratch.join("repo");
    repo(
        &dir,
        "    enabled: false\n",
        "revoke_sessions, reset_password",
    );
    let text = exit_code(plan(&t, &dir, &[]), 2);
    assert!(!text.contains("authentication method"), "{text}");
    assert_eq!(
        method_reads(&t),
        0,
        "the step is not in the policy: no read"
    );
}

#[test]
fn doctor_shows_the_method_permission_as_opt_in_not_as_a_problem() {
    let t = seed(&[]);
    let d = run(&t, &["doctor"], &[]);
    let text = out(&d);
    assert_eq!(d.status.code(), Some(0), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("remove_authentication_method"))
        .unwrap_or_else(|| panic!("no row in:\n{text}"));
    assert!(line.contains("opt-in"), "{line}");
    assert!(
        line.contains("grant UserAuthenticationMethod.ReadWrite.All"),
        "{line}"
    );

    let t = seed(&["UserAuthenticationMethod.ReadWrite.All"]);
    let d = run(&t, &["doctor"], &[]);
    let text = out(&d);
    let line = text
        .lines()
        .find(|l| l.contains("remove_authentication_method"))
        .unwrap_or_else(|| panic!("no row in:\n{text}"));
    assert!(line.trim_start().starts_with("ok"), "{line}");
}

/// The read costs ⌈L/20⌉ `$batch` POSTs for L leavers: 26 leavers (lucas and
/// 25 absent, already disabled users under `absent_users: disable`) take 2.
#[test]
fn the_read_costs_one_batch_per_twenty_leavers() {
    let t = seed(&["UserAuthenticationMethod.ReadWrite.All"]);
    for i in 0..25 {
        portal_admin(
            &t,
            "POST",
            "/users",
            serde_json::json!({
                "accountEnabled": false,
                "displayName": format!("Gone {i}"),
                "mailNickname": format!("gone{i}"),
                "userPrincipalName": format!("gone{i}@contoso.com"),
                "passwordProfile": {"password": "Unused-Pass-1234!", "forceChangePasswordNextSignIn": true},
            }),
        );
    }
    let scratch = tempdir("lifecycle-methods-cost");
    let dir = scratch.join("repo");
    let requests = |steps: &str| -> (u64, u64) {
        repo(&dir, "    enabled: false\n", steps);
        let text = std::fs::read_to_string(dir.join("repo.yaml")).unwrap();
        std::fs::write(
            dir.join("repo.yaml"),
            text.replace("absent_users: ignore", "absent_users: disable"),
        )
        .unwrap();
        let (before, reads_before) = (t.emu.metrics().total_requests, method_reads(&t));
        let p = plan(&t, &dir, &[]);
        assert_eq!(p.status.code(), Some(2), "{}", out(&p));
        (
            t.emu.metrics().total_requests - before,
            method_reads(&t) - reads_before,
        )
    };
    let (without, none) = requests("revoke_sessions");
    let (with, read) = requests(STEPS);
    assert_eq!(none, 0);
    assert_eq!(read, 26, "every leaver read once, nobody else");
    assert_eq!(with - without, 2, "⌈26/20⌉ $batch POSTs");
    eprintln!("plan: {without} HTTP requests without the step, {with} with it (26 leavers)");
}

/// Every write commits and then answers 5xx (`commitThenFailRate: 1`): each
/// method delete is looked up by listing the user's methods and counted done,
/// never sent blindly again (no 404 from a repeat).
#[test]
fn a_delete_with_an_unknown_outcome_is_looked_up_not_resent() {
    let t = seed(&["UserAuthenticationMethod.ReadWrite.All"]);
    // lucas left earlier: disabled, his leave time recorded; only his methods remain.
    t.emu.with_tenant(|s| {
        let u = s.users.get_mut(LUCAS).expect("lucas");
        u.props.insert("accountEnabled".into(), Value::Bool(false));
        u.props.insert(
            "employeeLeaveDateTime".into(),
            Value::String("2026-11-01T09:00:00Z".into()),
        );
    });
    let scratch = tempdir("lifecycle-methods-unknown");
    let dir = scratch.join("repo");
    repo(&dir, "    enabled: false\n", STEPS);
    t.emu.set_faults(graph_emulator::FaultConfig {
        seed: 17,
        commit_then_fail_rate: 1.0,
        ..graph_emulator::FaultConfig::default()
    });
    let before = t.emu.metrics();
    let a = apply_at(&t, &dir, NOW, &[]);
    let applied = out(&a);
    assert_eq!(a.status.code(), Some(0), "{applied}");
    assert!(methods_of(&t, LUCAS).is_empty(), "{applied}");
    let m = t.emu.metrics();
    let count = |m: &graph_emulator::Metrics, f: &dyn Fn(&str) -> bool| -> u64 {
        m.batch_inner_by_route
            .iter()
            .chain(m.by_route.iter())
            .filter(|(r, _)| f(r))
            .map(|(_, n)| *n)
            .sum()
    };
    let deletes = |m: &graph_emulator::Metrics| count(m, &|r: &str| r.starts_with("DELETE "));
    let status = |m: &graph_emulator::Metrics, s: u16| m.by_status.get(&s).copied().unwrap_or(0);
    let refused = status(&m, 400) - status(&before, 400);
    assert_eq!(
        deletes(&m) - deletes(&before),
        4 + refused,
        "one DELETE per method, plus the refused ones: {:?}",
        m.batch_inner_by_route
    );
    assert_eq!(status(&m, 404), status(&before, 404), "no blind resend");
    assert!(m.faults.commit_then_fail >= 4, "{:?}", m.faults);
    // The plan's read, and at least one look-up.
    let lists = count(&m, &|r: &str| r.ends_with("/authentication/methods"))
        - count(&before, &|r: &str| r.ends_with("/authentication/methods"));
    assert!(lists >= 2, "{lists}");
}
