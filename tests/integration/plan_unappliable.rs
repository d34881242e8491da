//! Steps Graph would refuse are shown at plan time (issue #15 §1): the plan
//! reads the token's `roles` and the service principal's directory roles,
//! reports each missing permission or role as an *unappliable* error naming
//! the steps, exits 1, and `apply` refuses to run it (nothing is written).

use crate::cli_support::{out, root, run, tenant_from, writes};
use graph_emulator::Seed;
use graph_emulator::seed::Grants;
use serde_json::Value;

const SP: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

/// The example tenant with the app granted `grants`, its service principal
/// without its directory roles when `no_roles`, and olivia.bennett's hire date
/// drifted (the repo would change it).
fn example(grants: &[&str], no_roles: bool, hire_date_drift: bool) -> crate::cli_support::Tenant {
    let mut seed = Seed::from_file(&root().join("examples/seed.yaml")).unwrap();
    seed.applications[0].permissions = Some(Grants::list(grants));
    if no_roles {
        seed.role_assignments.retain(|a| a.principal_id != SP);
        // ethan.brooks (whose mobile phone the repo clears) holds a role the
        // repo does not manage: clearing it is a sensitive action on an admin.
        seed.role_assignments
            .push(graph_emulator::seed::SeedRoleAssignment {
                id: None,
                principal_id: "ethan.brooks@contoso.com".into(),
                role_definition_id: "Privileged Role Administrator".into(),
                directory_scope_id: "/".into(),
            });
    }
    if hire_date_drift {
        let olivia = seed
            .users
            .iter_mut()
            .find(|u| u.properties["userPrincipalName"] == "olivia.bennett@contoso.com")
            .unwrap();
        olivia
            .properties
            .insert("employeeHireDate".into(), "2001-01-01T00:00:00Z".into());
    }
    tenant_from(seed)
}

fn errors(plan_json: &[u8]) -> Vec<(String, String)> {
    let v: Value = serde_json::from_slice(plan_json).expect("plan json");
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_plan_the_app_may_run_has_no_unappliable_step() {
    let grants = entraform::live::permissions::recommended_grants();
    let t = example(&grants, false, false);
    let o = run(
        &t,
        &["plan", "examples/desired-state", "--format", "json"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(errors(&o.stdout), vec![]);
}

#[test]
fn missing_permissions_and_roles_make_steps_unappliable() {
    // No User.RevokeSessions.All, no Group.ReadWrite.All (but Group.Create and
    // GroupMember.ReadWrite.All), and a service principal without roles.
    let grants: Vec<&str> = entraform::live::permissions::recommended_grants()
        .into_iter()
        .filter(|p| !matches!(*p, "User.RevokeSessions.All" | "Group.ReadWrite.All"))
        .chain(["Group.Create", "GroupMember.ReadWrite.All"])
        .collect();
    let t = example(&grants, true, true);
    let o = run(
        &t,
        &["plan", "examples/desired-state", "--format", "json"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let errs = errors(&o.stdout);
    let find = |code: &str, needle: &str| {
        errs.iter()
            .find(|(c, m)| c == code && m.contains(needle))
            .unwrap_or_else(|| panic!("no {code} error with {needle}: {errs:#?}"))
            .1
            .clone()
    };
    // The leaver's sessions: the permission to grant, and the step.
    let m = find("missing-permission", "User.RevokeSessions.All");
    assert!(m.starts_with("unappliable:"), "{m}");
    assert!(
        m.contains("revoke_sessions lucas.ferreira@contoso.com"),
        "{m}"
    );
    assert!(m.contains("admin consent"), "{m}");
    // The description of an existing group needs Group.ReadWrite.All; members do not.
    let m = find("missing-permission", "Group.ReadWrite.All");
    assert!(m.contains("update_group group:dept-sales"), "{m}");
    assert!(!m.contains("add_member"), "{m}");
    // The new group binds a user owner: with Group.Create alone that needs User.Read.All,
    // which is granted: create_group is not unappliable.
    assert!(
        errs.iter().all(|(_, m)| !m.contains("create_group")),
        "{errs:#?}"
    );
    // ethan.brooks holds Privileged Role Administrator: changing his phone needs
    // Privileged Authentication Administrator or Global Administrator.
    let m = find("missing-role", "update_user ethan.brooks@contoso.com");
    assert!(
        m.contains("Privileged Authentication Administrator or Global Administrator"),
        "{m}"
    );
    assert!(m.contains("holds no directory role"), "{m}");
    // derek.shaw holds User Administrator, but the plan removes it before it
    // deletes him: no role is needed then.
    assert!(
        errs.iter().all(|(_, m)| !m.contains("delete_user")),
        "{errs:#?}"
    );
    // No application may change a hire date.
    let m = find("not-allowed-for-apps", "employeeHireDate");
    assert!(m.contains("update_user olivia.bennett@contoso.com"), "{m}");

    // Text: the errors section says the plan cannot be applied.
    let o = run(&t, &["plan", "examples/desired-state"], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("error[missing-permission]"), "{text}");
    assert!(text.contains("the plan cannot be applied"), "{text}");

    // Apply refuses it: nothing is written.
    t.emu.reset_metrics();
    let o = run(
        &t,
        &["apply", "examples/desired-state", "--auto-approve"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert_eq!(writes(&t), 0, "{}", out(&o));
}

/// The recommended pull-request set-up: a read-only app plans, another
/// applies. The read-only plan cannot know the applying app's grants, so it
/// reports no unappliable step (a `permissions-not-checked` notice instead)
/// and exits as any plan does; the apply — which plans again with its own
/// token — refuses before any write when its app lacks a permission.
#[test]
fn a_read_only_identity_plans_and_the_applying_identity_is_checked_at_apply() {
    let grants = entraform::live::permissions::recommended_grants();
    let t = example(&grants, false, false);
    let reader = t.emu.issue_token_with(
        &t.app,
        &[
            "User.Read.All",
            "GroupMember.Read.All",
            "RoleManagement.Read.Directory",
            "Organization.Read.All",
            "AdministrativeUnit.Read.All",
        ],
    );
    let d = crate::cli_support::tempdir("read-only-plan");
    let saved = d.join("plan.json");
    let o = run(
        &t,
        &[
            "plan",
            "examples/desired-state",
            "--format",
            "json",
            "--out",
            saved.to_str().unwrap(),
        ],
        &[("ENTRAFORM_GRAPH_TOKEN", &reader)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(errors(&o.stdout), vec![]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let notices: Vec<&str> = v["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["code"].as_str())
        .collect();
    assert!(notices.contains(&"permissions-not-checked"), "{notices:?}");

    // An applying app without User.RevokeSessions.All: refused before any write.
    let weak: Vec<&str> = grants
        .iter()
        .copied()
        .filter(|p| *p != "User.RevokeSessions.All")
        .collect();
    let writer_without = t.emu.issue_token_with(&t.app, &weak);
    let o = run(
        &t,
        &[
            "apply",
            saved.to_str().unwrap(),
            "--dir",
            "examples/desired-state",
            "--auto-approve",
        ],
        &[
            ("ENTRAFORM_GRAPH_TOKEN", &writer_without),
            crate::cli_support::NEW_HIRE,
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("User.RevokeSessions.All"), "{}", out(&o));
    assert_eq!(writes(&t), 0, "nothing may be written");

    // The applying app with every documented grant applies the reviewed plan.
    let o = run(
        &t,
        &[
            "apply",
            saved.to_str().unwrap(),
            "--dir",
            "examples/desired-state",
            "--auto-approve",
        ],
        &[crate::cli_support::NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}
