//! The plan renderers on the README example (examples/desired-state planned
//! against the emulator seeded with examples/seed.yaml), and on a large
//! synthetic plan.
//!
//! Snapshot tests compare every format byte for byte with the files under
//! `tests/snapshots/`. After an intended change to a renderer or the example,
//! regenerate them with
//!
//! ```sh
//! UPDATE_SNAPSHOTS=1 cargo test --test integration plan_render::
//! ```
//!
//! That run writes the files and fails on purpose; review the diff of
//! `tests/snapshots/`, then run the tests again without the variable (see
//! `snapshot_support`).

use crate::emulator_client::client_at;
use crate::live_fixture::LiveFixture;
use std::collections::BTreeSet;
use std::path::Path;

use entraform::desired::DesiredState;
use entraform::desired::attrs::{Attr, AttrValue};
use entraform::graph::Credential;
use entraform::live::{Live, ReadOptions, read_live};
use entraform::plan::{self, AttrChange, GateOverrides, Op, Plan};
use graph_emulator::{BackgroundEmulator, EmulatorConfig, Seed};

fn desired_example() -> DesiredState {
    // A relative path keeps origins (`examples/desired-state/…:line:col`) machine-independent.
    let loaded = entraform::desired::load::load_dir(Path::new("examples/desired-state"));
    match loaded.result {
        Ok((state, _warnings)) => state,
        Err(diags) => panic!("examples/desired-state does not load: {diags:?}"),
    }
}

/// Start the emulator from examples/seed.yaml and read it like a real tenant.
fn live_from_seed() -> Live {
    let seed = Seed::from_file(Path::new("examples/seed.yaml")).expect("examples/seed.yaml parses");
    let app = seed
        .applications
        .first()
        .expect("the seed has an app")
        .app_id
        .clone();
    let emu = BackgroundEmulator::start(seed, EmulatorConfig::default()).expect("emulator starts");
    let client = client_at(
        emu.base_url(),
        &emu.tenant_id(),
        &app,
        Credential::Bearer(emu.issue_token(&app).into()),
        false,
    );
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(read_live(&client, &ReadOptions::default()))
        .expect("read the emulated tenant")
}

fn example_plan() -> Plan {
    plan::build(
        &desired_example(),
        &live_from_seed(),
        &GateOverrides::default(),
    )
}

#[test]
fn example_seed_shows_every_operation_and_plans_cleanly() {
    let plan = example_plan();
    for s in &plan.steps {
        eprintln!(
            "{:>2} w{} {:<16} {} {:?}",
            s.id,
            s.wave,
            s.op.kind(),
            s.op.object_key(),
            s.depends_on
        );
    }
    for n in &plan.notices {
        eprintln!("notice {} {} {}", n.code, n.object, n.message);
    }
    for g in &plan.gates {
        eprintln!(
            "gate {:?} {} {:?} {} {}",
            g.gate, g.value, g.limit, g.tripped, g.message
        );
    }
    eprintln!("{:?}", plan.errors);
    let kinds: BTreeSet<&str> = plan.steps.iter().map(|s| s.op.kind()).collect();
    let want = [
        "create_user",
        "restore_user",
        "update_user",
        "enable_user",
        "disable_user",
        "revoke_sessions",
        "delete_user",
        "set_manager",
        "remove_manager",
        "create_group",
        "update_group",
        "add_member",
        "remove_member",
        "assign_role",
        "remove_role",
    ];
    for k in want {
        assert!(kinds.contains(k), "no {k} in the example plan: {kinds:?}");
    }
    assert!(plan.errors.is_empty(), "{:?}", plan.errors);
    assert!(!plan.is_blocked());
    assert!(plan.gates.iter().all(|g| !g.tripped), "{:?}", plan.gates);
    assert!(
        plan.gates.iter().all(|g| g.applies),
        "every gate is evaluated: {:?}",
        plan.gates
    );
    assert!(plan.has_changes());

    // Where the operations come from (see the comment at the top of the seed).
    let has = |kind: &str, object: &str| {
        plan.steps
            .iter()
            .any(|s| s.op.kind() == kind && s.op.object_key() == object)
    };
    assert!(has("create_user", "ella.morgan@contoso.com"));
    assert!(has("restore_user", "george.miles@contoso.com"));
    assert!(has("enable_user", "hannah.lindqvist@contoso.com"));
    assert!(has("disable_user", "lucas.ferreira@contoso.com"));
    assert!(has("revoke_sessions", "lucas.ferreira@contoso.com"));
    assert!(
        has("delete_user", "derek.shaw@contoso.com"),
        "absent_users: delete"
    );
    assert!(
        has("delete_user", "aaron.abbott@contoso.com"),
        "absent_users: delete also removes a disabled absentee"
    );
    // The meeting rooms are disabled, undeclared and excluded from scope: untouched.
    assert!(
        !plan.steps.iter().any(|s| s
            .op
            .subject_upn()
            .is_some_and(|u| u.as_str().starts_with("room."))),
        "excluded accounts are never touched"
    );
    assert!(has("remove_manager", "olivia.bennett@contoso.com"));
    assert!(has("remove_member", "group:dept-engineering"));
    assert!(has("create_group", "group:sales-emea"));
    assert!(has("update_group", "group:dept-sales"));
    assert!(has("remove_role", "role:User Administrator"));
    let changes: Vec<&AttrChange> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.op {
            Op::UpdateUser { changes, .. } => Some(changes),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(changes.iter().any(|c| c.attr == Attr::StreetAddress
        && matches!(&c.old, Some(AttrValue::Text(t)) if t.chars().count() > 60)));
    assert!(
        changes
            .iter()
            .any(|c| c.attr == Attr::MobilePhone && c.old.is_some() && c.new.is_none()),
        "a `null` clears a value"
    );
    // Nothing touches the break-glass account or the synced user; both are reported.
    for s in &plan.steps {
        let upn = s.op.subject_upn().map(|u| u.key()).unwrap_or_default();
        assert_ne!(upn, "breakglass@contoso.onmicrosoft.com", "{:?}", s.op);
        assert_ne!(upn, "peter.walsh@contoso.com", "{:?}", s.op);
    }
    let notice = |code: &str, object: &str| {
        plan.notices
            .iter()
            .any(|n| n.code == code && n.object == object)
    };
    assert!(notice("synced-user", "peter.walsh@contoso.com"));
    assert!(notice("excluded-user", "role:Global Administrator"));
    let ga = plan
        .gates
        .iter()
        .find(|g| g.gate == entraform::plan::GateKind::GlobalAdministrators)
        .unwrap();
    assert!(ga.value >= 1);
}

#[test]
fn example_seed_has_an_app_with_a_secret_and_the_tenant_features() {
    let seed = Seed::from_file(Path::new("examples/seed.yaml")).unwrap();
    let app = &seed.applications[0];
    assert!(!app.client_secrets.is_empty() && app.service_principal_id.is_some());
    let live = live_from_seed();
    let all_staff = live.groups_named("all-staff");
    assert!(all_staff.len() == 1 && all_staff[0].is_dynamic());
    assert!(
        live.user_by_upn("peter.walsh@contoso.com")
            .unwrap()
            .on_premises_sync_enabled
    );
    assert_eq!(
        live.deleted_by_upn("george.miles@contoso.com").len(),
        1,
        "george.miles is in deleted items"
    );
    let bg = live
        .user_by_upn("breakglass@contoso.onmicrosoft.com")
        .unwrap();
    assert!(bg.account_enabled);
    assert!(live.assignments_of(&bg.id).iter().any(|a| {
        a.role_definition_id
            .eq_ignore_ascii_case(entraform::builtin_roles::GLOBAL_ADMINISTRATOR)
    }));
    assert!(live.principal().and_then(|p| p.id.clone()).is_some());
}

use entraform::plan::render::{PlanFormat, RenderOptions, render};

#[test]
fn snapshots_of_all_four_formats_and_determinism() {
    // Two independent builds (two emulators, two reads) must render identically.
    let a = example_plan();
    let b = example_plan();
    let opts = RenderOptions::default();
    let mut snapshots = Vec::new();
    for format in PlanFormat::ALL {
        let first = render(&a, format, &opts);
        assert_eq!(
            first,
            render(&a, format, &opts),
            "{format} is not deterministic"
        );
        assert_eq!(
            first,
            render(&b, format, &opts),
            "{format} differs between two reads"
        );
        assert!(
            first.ends_with('\n') && !first.ends_with("\n\n"),
            "{format}: one final newline"
        );
        assert!(
            !first.contains('\x1b'),
            "{format} without colour has escape codes"
        );
        snapshots.push((
            format!("tests/snapshots/plan.{}", format.extension()),
            first,
        ));
    }
    // Compared with tests/snapshots/plan.<ext>, all four before failing (so one
    // blessing run rewrites all of them; see `snapshot_support`).
    crate::snapshot_support::check_files("plan_render", &snapshots);
}

#[test]
fn text_colour_only_when_asked() {
    let plan = example_plan();
    let plain = render(&plan, PlanFormat::Text, &RenderOptions::default());
    assert!(!plain.contains('\x1b'));
    let colored = render(
        &plan,
        PlanFormat::Text,
        &RenderOptions {
            color: true,
            ..RenderOptions::default()
        },
    );
    assert!(colored.contains("\x1b[32m+\x1b[0m"), "green +");
    assert!(colored.contains("\x1b[33m~\x1b[0m"), "yellow ~");
    assert!(colored.contains("\x1b[31m-\x1b[0m"), "red -");
    // Stripping the escape codes gives back the plain text.
    let mut stripped = String::new();
    let mut it = colored.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\x1b' {
            for d in it.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            stripped.push(c);
        }
    }
    assert_eq!(stripped, plain);
}

#[test]
fn text_shows_attributes_long_values_gates_and_summary_last() {
    let plan = example_plan();
    let text = render(&plan, PlanFormat::Text, &RenderOptions::default());
    let has = |prefix: &str, rest: &str| {
        text.lines()
            .any(|l| l.trim_start().starts_with(prefix) && l.trim_end().ends_with(rest))
    };
    assert!(
        has("jobTitle:", " \"CEO\" → \"Chief Executive Officer\""),
        "{text}"
    );
    assert!(
        has("mobilePhone:", " \"+1 425 555 0144\" → (unset)"),
        "{text}"
    );
    // The long streetAddress is a character-level inline diff.
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("streetAddress:")
                && l.contains(" \"4000 Contoso Way[-, Building 7, Floor 3")),
        "{text}"
    );
    assert!(text.contains("! revoke sessions"));
    for g in entraform::plan::GateKind::ALL {
        assert!(text.contains(g.id()), "gate {} missing", g.id());
    }
    assert!(text.contains("[synced-user]"));
    let last = text.lines().last().unwrap();
    assert_eq!(last, plan.summary.to_string());
    assert!(last.starts_with("Plan: "));
}

#[test]
fn json_is_versioned_complete_and_has_no_passwords() {
    let plan = example_plan();
    let json = render(&plan, PlanFormat::Json, &RenderOptions::default());
    let v: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(
        v["format_version"],
        serde_json::json!(entraform::plan::PLAN_FORMAT_VERSION)
    );
    assert!(json.starts_with("{\n  \"format_version\": 1,"));
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), plan.steps.len());
    for (s, j) in plan.steps.iter().zip(steps) {
        assert_eq!(j["id"], serde_json::json!(s.id));
        assert_eq!(j["wave"], serde_json::json!(s.wave));
        assert_eq!(j["op"], serde_json::json!(s.op.kind()));
        assert_eq!(j["depends_on"], serde_json::json!(s.depends_on));
    }
    let create = steps.iter().find(|s| s["op"] == "create_user").unwrap();
    assert_eq!(
        create["password"],
        serde_json::json!({"env": "CONTOSO_NEWHIRE_PASSWORD"})
    );
    for key in ["summary", "notices", "errors", "gates", "owned_users"] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    assert_eq!(v["gates"].as_array().unwrap().len(), 6);
    // The seed's client secret never reaches a plan.
    assert!(!json.contains("emulator-only-secret"));
}

#[test]
fn dot_is_a_ranked_digraph_of_the_steps() {
    let plan = example_plan();
    let dot = render(&plan, PlanFormat::Dot, &RenderOptions::default());
    assert!(dot.starts_with("digraph plan {\n") && dot.ends_with("}\n"));
    for s in &plan.steps {
        assert!(dot.contains(&format!("  s{} [label=", s.id)));
        for d in &s.depends_on {
            assert!(dot.contains(&format!("  s{d} -> s{};", s.id)));
        }
    }
    assert_eq!(dot.matches("rank=same").count(), plan.waves());
    assert_eq!(dot.matches('{').count(), dot.matches('}').count());
}

/// A repo declaring `n` users (and one group holding them all) against an empty tenant.
fn large_plan(n: usize) -> Plan {
    let tenant = "tenant:\n  domain: contoso.com\n  scope:\n    users: all\n  absent_users: ignore\n  defaults:\n    usageLocation: US\n    companyName: Contoso\n".to_string();
    let mut users = String::from("users:\n");
    for i in 0..n {
        users.push_str(&format!(
            "  - upn: user{i:05}@contoso.com\n    displayName: User {i:05}\n    givenName: User\n    surname: N{i:05}\n    jobTitle: Engineer\n    department: Engineering\n    city: Redmond\n    groups: [team-{}]\n",
            i % 50
        ));
    }
    let mut groups = String::from("groups:\n");
    for g in 0..50 {
        groups.push_str(&format!("  - name: team-{g}\n    description: Team {g}\n"));
    }
    let mut sources = entraform::desired::source::SourceMap::default();
    let loaded = entraform::desired::load::load_texts(
        vec![
            ("tenant.yaml".into(), tenant),
            ("users/all.yaml".into(), users),
            ("groups/teams.yaml".into(), groups),
        ],
        &mut sources,
        Vec::new(),
    );
    let desired = match loaded.result {
        Ok((d, _)) => d,
        Err(diags) => panic!("{} diagnostics, first: {:?}", diags.len(), diags.first()),
    };
    let live = LiveFixture::default().build();
    plan::build(&desired, &live, &GateOverrides::default())
}

#[test]
fn markdown_of_a_huge_plan_fits_a_github_comment() {
    let plan = large_plan(2_500);
    // 2,500 creates + 2,500 memberships + 50 new groups.
    assert!(plan.steps.len() >= 5_000, "{}", plan.steps.len());
    let objects = 2_500 + 50;
    for max in [65_536, 65_000, 20_000] {
        let md = render(
            &plan,
            PlanFormat::Markdown,
            &RenderOptions {
                max_markdown_chars: max,
                ..RenderOptions::default()
            },
        );
        assert!(md.len() <= max, "{} > {max}", md.len());
        assert!(md.starts_with(&format!("**{}**", plan.summary)));
        let shown = md.matches("<details>").count();
        assert!(shown > 0 && shown < objects);
        let note = format!(
            "… {} more objects not shown; see the saved plan / CI artifact.",
            objects - shown
        );
        assert!(md.contains(&note), "no note {note:?}");
        assert!(md.contains("### Safety gates"));
        assert!(md.contains("| `create_user` | 2500 |"));
        // Deterministic, and no section is cut in half.
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
    }
    let default = render(&plan, PlanFormat::Markdown, &RenderOptions::default());
    assert!(default.len() <= 65_000);
    if std::env::var_os("SHOW_MARKDOWN").is_some() {
        eprintln!("{default}");
    }
    assert_eq!(
        default,
        render(&plan, PlanFormat::Markdown, &RenderOptions::default())
    );
}

#[test]
fn markdown_never_exceeds_even_a_tiny_limit() {
    let plan = large_plan(30);
    for max in [0, 1, 10, 100, 500, 1_000, 3_000] {
        let md = render(
            &plan,
            PlanFormat::Markdown,
            &RenderOptions {
                max_markdown_chars: max,
                ..RenderOptions::default()
            },
        );
        assert!(md.len() <= max, "{} > {max}", md.len());
    }
}

#[test]
fn small_plan_markdown_is_whole() {
    let plan = example_plan();
    let md = render(&plan, PlanFormat::Markdown, &RenderOptions::default());
    assert!(!md.contains("more objects not shown"));
    assert_eq!(
        md.matches("<details>").count(),
        plan.steps
            .iter()
            .map(|s| s.op.object_key())
            .collect::<BTreeSet<_>>()
            .len()
    );
    assert!(
        md.lines()
            .next()
            .unwrap()
            .contains(&plan.summary.to_string())
    );
}

#[test]
fn blocked_plans_and_errors_are_shown_in_text_and_markdown() {
    // No Global Administrator after the plan (the tenant is empty): a gate trips.
    let tenant =
        "tenant:\n  domain: contoso.com\n  scope:\n    users: all\n  absent_users: ignore\n";
    let users =
        "users:\n  - upn: a@contoso.com\n    displayName: A\n    manager: nobody@contoso.com\n";
    let mut sources = entraform::desired::source::SourceMap::default();
    let loaded = entraform::desired::load::load_texts(
        vec![
            ("tenant.yaml".into(), tenant.to_string()),
            ("users/a.yaml".into(), users.to_string()),
        ],
        &mut sources,
        Vec::new(),
    );
    let desired = match loaded.result {
        Ok((d, _)) => d,
        Err(diags) => panic!("{diags:?}"),
    };
    let live = LiveFixture::default().build();
    let plan = plan::build(&desired, &live, &GateOverrides::default());
    assert!(plan.is_blocked());
    assert_eq!(plan.errors.len(), 1, "{:?}", plan.errors);
    let origin = plan.errors[0].origin.as_ref().unwrap().to_string();
    assert!(origin.starts_with("users/a.yaml:4:"), "{origin}");

    let text = render(&plan, PlanFormat::Text, &RenderOptions::default());
    assert!(
        text.contains(&format!("error[unknown-user] {origin}: ")),
        "{text}"
    );
    assert!(
        text.contains("TRIPPED (override: --allow-no-global-admin)"),
        "{text}"
    );
    assert!(text.contains("Blocked by safety gate"), "{text}");
    assert!(text.lines().last().unwrap().starts_with("Plan: "));

    let md = render(&plan, PlanFormat::Markdown, &RenderOptions::default());
    let mut lines = md.lines();
    assert_eq!(lines.next(), Some(format!("**{}**", plan.summary).as_str()));
    assert!(md.contains("> This plan is **blocked**"), "{md}");
    assert!(md.contains("`--allow-no-global-admin`"), "{md}");
    assert!(md.contains("**1 error**"), "{md}");
    assert!(
        md.contains(&format!("- `unknown-user` at `{origin}`: ")),
        "{md}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&render(&plan, PlanFormat::Json, &RenderOptions::default())).unwrap();
    assert_eq!(json["blocked"], serde_json::json!(true));
    assert_eq!(json["errors"][0]["code"], "unknown-user");
    assert_eq!(json["errors"][0]["origin"]["file"], "users/a.yaml");
    assert_eq!(json["steps"][0]["password"], "generate");
}

#[test]
fn an_empty_plan_says_no_changes() {
    let plan = Plan {
        steps: Vec::new(),
        notices: Vec::new(),
        errors: Vec::new(),
        gates: Vec::new(),
        summary: Default::default(),
        owned_users: 0,
    };
    let text = render(&plan, PlanFormat::Text, &RenderOptions::default());
    assert!(text.starts_with("No changes."), "{text}");
    let md = render(&plan, PlanFormat::Markdown, &RenderOptions::default());
    assert!(md.contains("No changes."));
    assert!(md.starts_with("**Plan: 0 to create, 0 to update, 0 to disable, 0 to delete.**\n"));
    let dot = render(&plan, PlanFormat::Dot, &RenderOptions::default());
    assert!(!dot.contains(" s0 ") && !dot.contains("rank=same"));
}

/// The summary class and text sign of every operation kind, as
/// docs/plan-format.md states them (`summary` field; `text` format). No `_`
/// arm on purpose: a new `Op` variant does not compile here until its class and
/// sign are decided, so a wildcard in the library cannot swallow it unnoticed.
fn documented_class(op: &Op) -> (&'static str, char) {
    match op {
        Op::CreateUser { .. }
        | Op::InviteGuest { .. }
        | Op::RestoreUser { .. }
        | Op::CreateGroup { .. } => ("create", '+'),
        Op::AddMember { .. }
        | Op::AddOwner { .. }
        | Op::AssignRole { .. }
        | Op::CreateTemporaryAccessPass { .. }
        | Op::AssignRoleSchedule { .. } => ("update", '+'),
        Op::UpdateUser { .. }
        | Op::EnableUser { .. }
        | Op::SetManager { .. }
        | Op::UpdateGroup { .. }
        | Op::AssignLicenses { .. }
        | Op::RenameUser { .. }
        | Op::UpdateRoleSchedule { .. } => ("update", '~'),
        Op::RemoveManager { .. }
        | Op::RemoveMember { .. }
        | Op::RemoveOwner { .. }
        | Op::RemoveRole { .. }
        | Op::RemoveRoleSchedule { .. }
        | Op::RemoveAuthenticationMethod { .. }
        | Op::DisableDevice { .. } => ("update", '-'),
        Op::RevokeSessions { .. } | Op::ResetPassword { .. } => ("update", '!'),
        Op::DisableUser { .. } => ("disable", '-'),
        Op::DeleteUser { .. } => ("delete", '-'),
    }
}

/// The lines of each object's section: text `# key` blocks, Markdown `<details>` blocks.
fn sections(rendered: &str, format: PlanFormat) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut out = std::collections::BTreeMap::new();
    let mut current: Option<String> = None;
    for line in rendered.lines() {
        let start = match format {
            PlanFormat::Text => line.strip_prefix("# ").map(str::to_string),
            _ => line
                .strip_prefix("<details><summary><code>")
                .and_then(|l| l.split_once("</code>"))
                .map(|(k, _)| k.to_string()),
        };
        let end = match format {
            PlanFormat::Text => line.is_empty(),
            _ => line == "</details>",
        };
        if let Some(key) = start {
            current = Some(key.clone());
            out.insert(key, Vec::new());
        } else if end {
            current = None;
        } else if let Some(key) = &current {
            out.get_mut(key).unwrap().push(line.to_string());
        }
    }
    out
}

/// How a value is shown in a plan (a quoted string or a list of quoted strings).
fn shown(v: &AttrValue) -> String {
    match v {
        AttrValue::Text(t) => format!("{t:?}"),
        AttrValue::List(l) => format!(
            "[{}]",
            l.iter()
                .map(|s| format!("{s:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Every operation, with every attribute it sets, appears under its object in the
/// text and Markdown renderings, with the documented sign; the summary line and
/// the Markdown table of kinds count every operation. Independent of the
/// snapshots, so a blessed snapshot cannot hide a renderer that drops a line.
#[test]
fn renderings_show_every_operation_and_every_attribute_change() {
    let plan = example_plan();
    // The summary classifies every step as documented.
    let count = |class: &str| {
        plan.steps
            .iter()
            .filter(|s| documented_class(&s.op).0 == class)
            .count()
    };
    let s = &plan.summary;
    assert_eq!(
        (s.create, s.update, s.disable, s.delete),
        (
            count("create"),
            count("update"),
            count("disable"),
            count("delete")
        ),
        "summary vs the documented classes"
    );
    assert_eq!(s.total(), plan.steps.len());

    for format in [PlanFormat::Text, PlanFormat::Markdown] {
        let rendered = render(&plan, format, &RenderOptions::default());
        let sections = sections(&rendered, format);
        let mut keys: Vec<String> = plan.steps.iter().map(|s| s.op.object_key()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(
            sections.keys().cloned().collect::<Vec<_>>(),
            keys,
            "{format}: one section per object"
        );
        for (key, lines) in &sections {
            let steps: Vec<_> = plan
                .steps
                .iter()
                .filter(|s| &s.op.object_key() == key)
                .collect();
            // Operation lines start with their sign (text indents them by two).
            let signs: Vec<char> = lines
                .iter()
                .map(|l| l.strip_prefix("  ").unwrap_or(l))
                .filter(|l| !l.starts_with(' ') && !l.starts_with('`'))
                .filter_map(|l| l.chars().next().filter(|_| l.chars().nth(1) == Some(' ')))
                .collect();
            let want: Vec<char> = steps.iter().map(|s| documented_class(&s.op).1).collect();
            assert_eq!(
                signs,
                want,
                "{format}: operations of {key}:\n{}",
                lines.join("\n")
            );
            let detail = |name: &str| -> Vec<&String> {
                lines
                    .iter()
                    .filter(|l| l.trim_start().starts_with(&format!("{name}:")))
                    .collect()
            };
            for step in &steps {
                let shown_changes: Vec<(String, Option<String>, bool)> = match &step.op {
                    Op::CreateUser { attributes, .. } => attributes
                        .iter()
                        .map(|(a, v)| (a.graph_name().to_string(), Some(shown(v)), false))
                        .collect(),
                    Op::UpdateUser { changes, .. } => changes
                        .iter()
                        .map(|c| {
                            let long = [&c.old, &c.new].iter().any(
                                |v| matches!(v, Some(AttrValue::Text(t)) if t.chars().count() > 60),
                            );
                            (
                                c.attr.graph_name().to_string(),
                                c.new.as_ref().map(shown),
                                long,
                            )
                        })
                        .collect(),
                    Op::UpdateGroup {
                        new_description, ..
                    } => vec![(
                        "description".into(),
                        new_description.as_ref().map(|d| format!("{d:?}")),
                        false,
                    )],
                    _ => Vec::new(),
                };
                for (name, new, inline_diff) in shown_changes {
                    let found = detail(&name);
                    assert_eq!(found.len(), 1, "{format}: {key}: one `{name}:` line");
                    let line = found[0];
                    let ok = if inline_diff {
                        line.contains("(inline diff")
                    } else {
                        line.trim_end()
                            .ends_with(new.as_deref().unwrap_or("(unset)"))
                    };
                    assert!(ok, "{format}: {key}: `{name}` shows {new:?}: {line}");
                }
            }
        }
        if format == PlanFormat::Markdown {
            // The table of kinds counts every operation.
            let mut listed = 0;
            for line in rendered.lines() {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                if cells.len() == 4 && cells[1].starts_with('`') {
                    let kind = cells[1].trim_matches('`');
                    let n: usize = cells[2].parse().unwrap();
                    let want = plan.steps.iter().filter(|s| s.op.kind() == kind).count();
                    assert_eq!(n, want, "markdown: count of {kind}");
                    listed += n;
                }
            }
            assert_eq!(
                listed,
                plan.steps.len(),
                "markdown: the table lists every operation"
            );
        }
    }
}
