//! A saved plan is the reviewer's commitment, not a program (issue #12): `apply`
//! recomputes the plan from the repo and the tenant and runs it only when it
//! equals the saved one. Hand-written steps, edited gates, damaged values, a plan
//! for another tenant or an old tenant are refused through the real binary,
//! without a write (and, for a file that cannot be read, without a request).

use crate::cli_support;

use std::path::{Path, PathBuf};

use cli_support::{NEW_HIRE, Tenant, out, portal, root, run, tempdir, tenant, tenant_from, writes};
use graph_emulator::Seed;
use serde_json::{Value, json};

const EXAMPLE: &str = "examples/desired-state";
const BREAK_GLASS_ID: &str = "b9eac000-0000-4000-8000-000000000001";
const MIA_ID: &str = "c0de1049-0000-4000-8000-000000001049";
const NORA_ID: &str = "c0de1053-0000-4000-8000-000000001053";
const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
const GROUPS_ADMINISTRATOR: &str = "fdd7a751-b60b-444a-984c-02652fe8fa1c";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn plan_out(t: &Tenant, repo: &str, file: &Path) -> std::process::Output {
    run(t, &["plan", repo, "--out", s(file)], &[])
}

fn apply_saved(t: &Tenant, file: &Path, repo: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["apply", s(file), "--dir", repo, "--auto-approve"];
    args.extend(extra);
    run(t, &args, &[NEW_HIRE])
}

fn read(file: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

fn write(file: &Path, v: &Value) {
    std::fs::write(file, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

/// Replace the saved plan's steps by `ops` (op objects without id, wave and
/// depends_on), all in wave 0, and fix every count so the file is well-formed:
/// what a careful attacker does.
fn forge(file: &Path, ops: Vec<Value>) {
    let mut v = read(file);
    let mut summary = json!({ "create": 0, "update": 0, "disable": 0, "delete": 0 });
    let steps: Vec<Value> = ops
        .into_iter()
        .enumerate()
        .map(|(i, mut op)| {
            let class = match op["op"].as_str().unwrap() {
                "create_user" | "restore_user" | "create_group" => "create",
                "disable_user" => "disable",
                "delete_user" => "delete",
                _ => "update",
            };
            summary[class] = json!(summary[class].as_u64().unwrap() + 1);
            let m = op.as_object_mut().unwrap();
            m.insert("id".into(), json!(i));
            m.insert("wave".into(), json!(0));
            m.insert("depends_on".into(), json!([]));
            op
        })
        .collect();
    v["plan"]["has_changes"] = json!(!steps.is_empty());
    v["plan"]["waves"] = json!(usize::from(!steps.is_empty()));
    v["plan"]["steps"] = Value::Array(steps);
    v["plan"]["summary"] = summary;
    write(file, &v);
}

/// The saved plan's ops without their placement.
fn saved_ops(file: &Path) -> Vec<Value> {
    read(file)["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let mut s = s.clone();
            let m = s.as_object_mut().unwrap();
            for k in ["id", "wave", "depends_on"] {
                m.remove(k);
            }
            s
        })
        .collect()
}

fn user_exists(t: &Tenant, id: &str) -> bool {
    t.emu
        .state()
        .users
        .iter()
        .any(|u| u.id.as_deref() == Some(id))
}

fn requests(t: &Tenant) -> u64 {
    t.emu.metrics().by_route.values().sum()
}

#[test]
fn a_hand_written_delete_of_the_break_glass_account_is_refused() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("forge-delete");
    let file = dir.join("plan.json");
    // The tenant matches the repo: the honest plan is empty.
    let o = run(&t, &["apply", EXAMPLE, "--auto-approve"], &[NEW_HIRE]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(plan_out(&t, EXAMPLE, &file).status.code(), Some(0));
    forge(
        &file,
        vec![json!({
            "op": "delete_user",
            "user": { "upn": "nobody@contoso.com", "id": BREAK_GLASS_ID }
        })],
    );
    t.emu.reset_metrics();
    let o = apply_saved(&t, &file, EXAMPLE, &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("this plan is not what the repo and the tenant call for now")
            && text.contains("nobody@contoso.com"),
        "{text}"
    );
    assert!(!text.contains("is current"), "{text}");
    assert_eq!(writes(&t), 0, "{:?}", t.emu.metrics().by_route);
    assert!(
        user_exists(&t, BREAK_GLASS_ID),
        "the break-glass account is gone"
    );
}

#[test]
fn a_hand_written_role_assignment_is_refused() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("forge-role");
    let file = dir.join("plan.json");
    assert_eq!(plan_out(&t, EXAMPLE, &file).status.code(), Some(0));
    let mut ops = saved_ops(&file);
    ops.push(json!({
        "op": "assign_role",
        "role": { "name": "Global Administrator", "definition_id": GA },
        "principal": { "upn": "mia.tanaka@contoso.com", "id": MIA_ID }
    }));
    forge(&file, ops);
    let o = apply_saved(&t, &file, EXAMPLE, &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("role:Global Administrator"), "{text}");
    assert_eq!(writes(&t), 0);
}

#[test]
fn the_same_operations_in_another_order_are_refused() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("forge-order");
    let file = dir.join("plan.json");
    assert_eq!(plan_out(&t, EXAMPLE, &file).status.code(), Some(0));
    // Every operation in one wave: a user's roles would go before it is created.
    forge(&file, saved_ops(&file));
    let o = apply_saved(&t, &file, EXAMPLE, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains("waves or dependencies differ"),
        "{}",
        out(&o)
    );
    assert_eq!(writes(&t), 0);
}

#[test]
fn what_runs_is_the_recomputed_plan_not_the_file() {
    // Steps compare UPNs case-insensitively, as Entra does; the file's spelling must
    // still never reach the tenant: the steps that run are the ones computed now.
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("forge-case");
    let file = dir.join("plan.json");
    assert_eq!(plan_out(&t, EXAMPLE, &file).status.code(), Some(0));
    let text = std::fs::read_to_string(&file).unwrap();
    let needle = "\"upn\": \"ella.morgan@contoso.com\"";
    assert!(text.contains(needle));
    std::fs::write(
        &file,
        text.replace(needle, "\"upn\": \"ELLA.MORGAN@contoso.com\""),
    )
    .unwrap();
    let o = apply_saved(&t, &file, EXAMPLE, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let upns: Vec<String> = t
        .emu
        .state()
        .users
        .iter()
        .filter_map(|u| {
            u.properties
                .get("userPrincipalName")?
                .as_str()
                .map(String::from)
        })
        .filter(|u| u.eq_ignore_ascii_case("ella.morgan@contoso.com"))
        .collect();
    assert_eq!(upns, ["ella.morgan@contoso.com"]);
}

/// The example repo with `max_deletes: 1` (the plan deletes two users).
fn strict_repo(name: &str) -> (crate::scratch::Scratch, PathBuf) {
    let dir = tempdir(name);
    let repo = dir.join("repo");
    copy_dir(&root().join(EXAMPLE), &repo);
    let tenant_yaml = repo.join("tenant.yaml");
    let text = std::fs::read_to_string(&tenant_yaml).unwrap();
    assert!(text.contains("max_deletes: 3 "));
    std::fs::write(
        &tenant_yaml,
        text.replace("max_deletes: 3 ", "max_deletes: 1 "),
    )
    .unwrap();
    (dir, repo)
}

#[test]
fn gates_edited_in_the_file_do_not_pass() {
    let t = tenant("examples/seed.yaml");
    let (dir, repo) = strict_repo("forge-gates");
    let file = dir.join("plan.json");
    let o = plan_out(&t, s(&repo), &file);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    // Untripped by hand.
    let mut v = read(&file);
    assert_eq!(v["plan"]["gates"][0]["gate"], "max-deletes");
    v["plan"]["gates"][0]["tripped"] = json!(false);
    v["plan"]["blocked"] = json!(false);
    write(&file, &v);
    let o = apply_saved(&t, &file, s(&repo), &[]);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    assert!(
        out(&o).contains("a safety gate stops this plan against the tenant as it is now"),
        "{}",
        out(&o)
    );
    assert_eq!(writes(&t), 0);
    // Overridden by hand, override recorded by hand: apply was not given the flag.
    v["plan"]["gates"][0]["tripped"] = json!(true);
    v["plan"]["gates"][0]["overridden"] = json!(true);
    v["gate_overrides"] = json!(["max-deletes"]);
    write(&file, &v);
    let o = apply_saved(&t, &file, s(&repo), &[]);
    assert_eq!(o.status.code(), Some(3), "{}", out(&o));
    assert!(
        out(&o).contains("this plan was made with --allow-mass-deletes"),
        "{}",
        out(&o)
    );
    assert_eq!(writes(&t), 0);
}

#[test]
fn damaged_or_absurd_files_are_refused_before_any_request() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("forge-values");
    let good = dir.join("good.json");
    assert_eq!(plan_out(&t, EXAMPLE, &good).status.code(), Some(0));
    let text = std::fs::read_to_string(&good).unwrap();
    let file = dir.join("plan.json");
    let check = |content: &str, expect: &[&str]| {
        std::fs::write(&file, content).unwrap();
        t.emu.reset_metrics();
        let o = apply_saved(&t, &file, EXAMPLE, &[]);
        let msg = out(&o);
        assert_eq!(o.status.code(), Some(1), "{msg}");
        for e in expect {
            assert!(msg.contains(e), "expected {e:?} in:\n{msg}");
        }
        assert!(!msg.contains("panicked"), "{msg}");
        assert_eq!(
            requests(&t),
            0,
            "a bad file must be refused before reading the tenant"
        );
    };
    // "wave": 4000000000, pointed at by line and column.
    let first_wave = text.find("\"wave\": 0").unwrap();
    let line = text[..first_wave].lines().count();
    let huge = format!(
        "{}\"wave\": 4000000000{}",
        &text[..first_wave],
        &text[first_wave + "\"wave\": 0".len()..]
    );
    check(
        &huge,
        &[
            &format!("plan.json:{line}:"),
            "step index 4000000000 is out of range",
            "plan again",
        ],
    );
    // An op kind entraform does not know.
    let unknown = text.replacen(
        "\"op\": \"create_user\"",
        "\"op\": \"make_global_admin\"",
        1,
    );
    check(&unknown, &["unknown variant `make_global_admin`"]);
    // Another envelope version.
    check(
        &text.replacen("\"format_version\": 2", "\"format_version\": 1", 1),
        &["format version 1; this entraform reads version 2"],
    );
    // Not JSON at all.
    check("{\"format_version\": 2, \"plan\": [", &["plan.json:1:"]);
    // Counts that do not match the steps.
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["plan"]["summary"]["delete"] = json!(0);
    check(
        &serde_json::to_string(&v).unwrap(),
        &["`summary` does not match"],
    );
    // A step out of place.
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["plan"]["steps"][3]["id"] = json!(7);
    check(&serde_json::to_string(&v).unwrap(), &["step 3", "has id 7"]);
    // A terminal escape sequence in a value.
    check(
        &text.replacen("ella.morgan@contoso.com", "ella\\u001b[2J@contoso.com", 1),
        &["control character"],
    );
    // A file far larger than any plan (sparse: nothing is read).
    let big = std::fs::File::create(&file).unwrap();
    big.set_len(300 * 1024 * 1024).unwrap();
    drop(big);
    t.emu.reset_metrics();
    let o = apply_saved(&t, &file, EXAMPLE, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains("more than the 268435456 a plan file may have"),
        "{}",
        out(&o)
    );
    assert_eq!(requests(&t), 0);
}

#[test]
fn a_plan_for_another_tenant_is_refused() {
    let a = tenant("examples/seed.yaml");
    let b = tenant("examples/seed.yaml");
    let dir = tempdir("other-tenant");
    let file = dir.join("plan.json");
    assert_eq!(plan_out(&a, EXAMPLE, &file).status.code(), Some(0));
    let o = apply_saved(&b, &file, EXAMPLE, &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("this plan was made for tenant") && text.contains(a.emu.base_url()),
        "{text}"
    );
    assert_eq!(writes(&b), 0);
    assert_eq!(writes(&a), 0);
}

/// x, a and b hold Global Administrator; the repo keeps a and b.
const THREE_ADMINS: &str = "\
tenant:
  id: 5e7a0000-0000-4000-8000-000000000005
  domains: [contoso.com]
applications:
  - appId: 11111111-1111-4111-8111-111111111111
    permissions: [User.Read.All, GroupMember.Read.All, RoleManagement.Read.Directory, AdministrativeUnit.Read.All, User.ReadWrite.All, User.RevokeSessions.All, User.DeleteRestore.All, Group.ReadWrite.All, RoleManagement.ReadWrite.Directory]
users:
  - { userPrincipalName: x@contoso.com, displayName: X, mailNickname: x, accountEnabled: true }
  - { userPrincipalName: a@contoso.com, displayName: A, mailNickname: a, accountEnabled: true }
  - { userPrincipalName: b@contoso.com, displayName: B, mailNickname: b, accountEnabled: true }
roleAssignments:
  - { id: ra-x, principalId: x@contoso.com, roleDefinitionId: Global Administrator }
  - { id: ra-a, principalId: a@contoso.com, roleDefinitionId: Global Administrator }
  - { id: ra-b, principalId: b@contoso.com, roleDefinitionId: Global Administrator }
";

fn three_admins(name: &str) -> (Tenant, crate::scratch::Scratch, PathBuf, PathBuf) {
    let dir = tempdir(name);
    let seed = dir.join("seed.yaml");
    std::fs::write(&seed, THREE_ADMINS).unwrap();
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    // `enabled` is left unmanaged: disabling a or b in the portal does not change the plan.
    std::fs::write(
        repo.join("tenant.yaml"),
        "tenant:\n  domain: contoso.com\nusers:\n  - upn: x\n  - upn: a\n  - upn: b\nroles:\n  - role: Global Administrator\n    principals: [a, b]\n",
    )
    .unwrap();
    let t = tenant_from(Seed::from_file(&seed).unwrap());
    let file = dir.join("plan.json");
    let o = plan_out(&t, s(&repo), &file);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("remove from x@contoso.com"), "{}", out(&o));
    (t, dir, repo, file)
}

#[test]
fn gates_are_checked_against_the_tenant_as_it_is_at_apply() {
    // Issue #12 item 5: reviewed when a and b were enabled admins; both disabled since.
    let (t, _dir, repo, file) = three_admins("ga-now");
    for upn in ["a@contoso.com", "b@contoso.com"] {
        // Global Administrators: only another one may disable them.
        cli_support::portal_admin(
            &t,
            "PATCH",
            &format!("/users/{upn}"),
            json!({ "accountEnabled": false }),
        );
    }
    t.emu.reset_metrics();
    let o = apply_saved(&t, &file, s(&repo), &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(3), "{text}");
    assert!(
        text.contains("global-administrators  0")
            && text.contains("no enabled user would hold Global Administrator"),
        "{text}"
    );
    assert_eq!(writes(&t), 0, "x lost Global Administrator");
    // One disabled, the other stripped of the role: the plan is no longer the same.
    let (t, _dir, repo, file) = three_admins("ga-now-stripped");
    cli_support::portal_admin(
        &t,
        "PATCH",
        "/users/a@contoso.com",
        json!({ "accountEnabled": false }),
    );
    portal(
        &t,
        "DELETE",
        "/roleManagement/directory/roleAssignments/ra-b",
        Value::Null,
    );
    t.emu.reset_metrics();
    let o = apply_saved(&t, &file, s(&repo), &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("role:Global Administrator"), "{text}");
    assert_eq!(writes(&t), 0);
}

#[test]
fn apply_of_a_saved_plan_reads_the_repo_given_by_dir() {
    // Issue #12 item 12: `apply --plan p.json --dir repo` used `.` as the repo.
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("plan-dir");
    let repo = dir.join("repo");
    copy_dir(&root().join(EXAMPLE), &repo);
    let file = dir.join("plan.json");
    assert_eq!(plan_out(&t, s(&repo), &file).status.code(), Some(0));
    let o = run(
        &t,
        &[
            "apply",
            "--plan",
            s(&file),
            "--dir",
            s(&repo),
            "--auto-approve",
        ],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&o).contains("is current: 31 operations"), "{}", out(&o));
    // The positional form too, on a fresh tenant.
    let t = tenant("examples/seed.yaml");
    assert_eq!(plan_out(&t, s(&repo), &file).status.code(), Some(0));
    let o = run(
        &t,
        &["apply", s(&file), "--dir", s(&repo), "--auto-approve"],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    // Two different repos are a mistake, not a guess.
    let o = run(
        &t,
        &["apply", EXAMPLE, "--dir", s(&repo), "--auto-approve"],
        &[NEW_HIRE],
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("two directory repos given"), "{}", out(&o));
}

#[test]
fn a_plan_saved_with_errors_is_written_and_refused() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("plan-errors");
    let repo = dir.join("repo");
    copy_dir(&root().join(EXAMPLE), &repo);
    std::fs::write(
        repo.join("oops.yaml"),
        "groups:\n  - name: oops\n    members: [nobody.at.all]\n",
    )
    .unwrap();
    let file = dir.join("plan.json");
    let o = plan_out(&t, s(&repo), &file);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(file.exists(), "plan --out writes the file even with errors");
    let o = apply_saved(&t, &file, s(&repo), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        out(&o).contains("this plan had 1 error(s) when it was made"),
        "{}",
        out(&o)
    );
    assert_eq!(writes(&t), 0);
}

/// Object ids in the example seed look like `c0de1001-0000-4000-8000-…` (groups `6a0e…`).
fn has_object_id(text: &str) -> bool {
    text.contains("-0000-4000-8000-")
}

#[test]
fn a_stale_plan_names_objects_by_upn_group_and_role() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("stale-names");
    let file = dir.join("plan.json");
    assert_eq!(plan_out(&t, EXAMPLE, &file).status.code(), Some(0));
    // An attribute the plan changes, changed again in the portal: the plan differs.
    portal(
        &t,
        "PATCH",
        "/users/olivia.bennett@contoso.com",
        json!({ "jobTitle": "Chief Portal Clicker" }),
    );
    // A member added by hand to a group the plan changes.
    portal(
        &t,
        "POST",
        "/groups/6a0e0002-0000-4000-8000-000000000002/members/$ref",
        json!({ "@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{NORA_ID}") }),
    );
    t.emu.reset_metrics();
    let o = apply_saved(&t, &file, EXAMPLE, &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("olivia.bennett@contoso.com") && text.contains("group:dept-engineering"),
        "{text}"
    );
    assert!(!has_object_id(&text), "an opaque id in: {text}");
    assert_eq!(writes(&t), 0);

    // Same steps, but an object they touch changed (a property the repo does not manage).
    let t = tenant("examples/seed.yaml");
    assert_eq!(plan_out(&t, EXAMPLE, &file).status.code(), Some(0));
    portal(
        &t,
        "PATCH",
        "/users/lucas.ferreira@contoso.com",
        json!({ "mobilePhone": "+1 425 555 0999" }),
    );
    t.emu.reset_metrics();
    let o = apply_saved(&t, &file, EXAMPLE, &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("lucas.ferreira@contoso.com"), "{text}");
    assert!(!has_object_id(&text), "an opaque id in: {text}");
    assert_eq!(writes(&t), 0);

    // Same steps, but the role assignments of a principal the plan assigns a role
    // changed (a role the repo does not manage): named by UPN, not by object id.
    let t = tenant("examples/seed.yaml");
    assert_eq!(plan_out(&t, EXAMPLE, &file).status.code(), Some(0));
    portal(
        &t,
        "POST",
        "/roleManagement/directory/roleAssignments",
        json!({
            "principalId": MIA_ID,
            "roleDefinitionId": GROUPS_ADMINISTRATOR,
            "directoryScopeId": "/"
        }),
    );
    t.emu.reset_metrics();
    let o = apply_saved(&t, &file, EXAMPLE, &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("the tenant changed since this plan was made")
            && text.contains("the roles of mia.tanaka@contoso.com"),
        "{text}"
    );
    assert!(!has_object_id(&text), "an opaque id in: {text}");
    assert_eq!(writes(&t), 0);
}

#[test]
fn applied_and_partly_applied_plans_say_so() {
    let t = tenant("examples/seed.yaml");
    let dir = tempdir("applied");
    let file = dir.join("plan.json");
    assert_eq!(plan_out(&t, EXAMPLE, &file).status.code(), Some(0));
    // Someone enabled hannah in the portal: one of the 31 operations is done.
    portal(
        &t,
        "PATCH",
        "/users/hannah.lindqvist@contoso.com",
        json!({ "accountEnabled": true }),
    );
    t.emu.reset_metrics();
    let o = apply_saved(&t, &file, EXAMPLE, &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("partly applied: 1 of the plan's 31 operations are already done"),
        "{text}"
    );
    assert_eq!(writes(&t), 0);
    // The whole plan applied (by a fresh plan): the saved one is already applied.
    let o = run(&t, &["apply", EXAMPLE, "--auto-approve"], &[NEW_HIRE]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    t.emu.reset_metrics();
    let o = apply_saved(&t, &file, EXAMPLE, &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("already applied: the tenant already matches this plan"),
        "{text}"
    );
    assert!(!text.contains("tenant changed"), "{text}");
    assert_eq!(writes(&t), 0);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}
