//! Guests invited from the repo (issue #17): a user entry with `invite:` is
//! planned as one `invite_guest` step (`POST /invitations`), its other
//! attributes and groups wait for it, apply sends exactly one invitation and
//! takes the guest's id from `invitedUser.id`, and the next plan is empty. A
//! maybe-sent invitation (commit then 5xx) is looked up, never re-sent; an app
//! without `User.Invite.All` gets an unappliable plan; bad `invite:` blocks
//! are validation errors.

use crate::cli_support::{Tenant, command, out, run, tempdir, tenant_from, writes};
use graph_emulator::{FaultConfig, Seed};
use serde_json::Value;

const APP: &str = "11111111-1111-4111-8111-111111111111";
const PLANNER: &str = "44444444-4444-4444-8444-444444444444";
const ANN: &str = "0e000000-0000-4000-8000-000000000001";
const GROUP: &str = "0e000000-0000-4000-8000-0000000000e5";
const GUEST_UPN: &str = "ana_fabrikam.com#EXT#@contoso.onmicrosoft.com";

/// contoso.com and its initial domain; the first app has the recommended
/// grants, the second only what `plan` reads plus group writes (no
/// `User.Invite.All`, `User.ReadWrite.All`, `Directory.ReadWrite.All`).
fn tenant() -> Tenant {
    let grants = entraform::live::permissions::recommended_grants().join(", ");
    let y = format!(
        "tenant:\n  domains: [contoso.com, contoso.onmicrosoft.com]\napplications:\n  - appId: {APP}\n    permissions: [{grants}]\n  - appId: {PLANNER}\n    permissions: [User.Read.All, GroupMember.Read.All, GroupMember.ReadWrite.All, RoleManagement.Read.Directory, Organization.Read.All, User.ReadUpdate.All]\nusers:\n  - {{ id: {ANN}, userPrincipalName: ann@contoso.com, displayName: Ann, mailNickname: ann }}\ngroups:\n  - {{ id: {GROUP}, displayName: partners, mailNickname: partners, securityEnabled: true }}\nroleAssignments:\n  - {{ principalId: {ANN}, roleDefinitionId: Global Administrator }}\n"
    );
    tenant_from(Seed::parse(&y).expect("seed"))
}

/// A repo whose only user is the guest, written with `guest` (YAML lines
/// under `users:`), and the `partners` group.
fn repo(name: &str, guest: &str) -> crate::scratch::Scratch {
    let dir = tempdir(name);
    std::fs::write(
        dir.join("repo.yaml"),
        format!("tenant:\n  domain: contoso.com\n  domains: [contoso.onmicrosoft.com]\nusers:\n{guest}groups:\n  - name: partners\n"),
    )
    .unwrap();
    dir
}

const ANA: &str = "  - displayName: Ana (Fabrikam)\n    jobTitle: Partner\n    invite:\n      email: ana@fabrikam.com\n      redirect_url: https://myapps.microsoft.com\n      message: Welcome to Contoso\n    groups: [partners]\n";

fn plan_json(t: &Tenant, repo: &str) -> (Option<i32>, Value, String) {
    let o = run(t, &["plan", repo, "--format", "json"], &[]);
    (
        o.status.code(),
        serde_json::from_slice(&o.stdout).unwrap_or(Value::Null),
        out(&o),
    )
}

fn ops(v: &Value) -> Vec<String> {
    v["steps"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|s| s["op"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// `POST /invitations` requests the tenant received (alone or in `$batch`).
fn invitations(t: &Tenant) -> u64 {
    let m = t.emu.metrics();
    m.by_route.get("POST /invitations").copied().unwrap_or(0)
        + m.batch_inner_by_route
            .get("POST /invitations")
            .copied()
            .unwrap_or(0)
}

/// The live guest (through Graph), and `["partners"]` when it is a member of it.
fn guest(t: &Tenant) -> Option<(Value, Vec<String>)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = reqwest::Client::new();
        let base = format!("{}/v1.0", t.emu.base_url());
        let r = c
            .get(format!(
                "{base}/users/{}?$select=id,displayName,jobTitle,userType,mail",
                GUEST_UPN.replace('#', "%23")
            ))
            .bearer_auth(&t.token)
            .send()
            .await
            .unwrap();
        if r.status().as_u16() == 404 {
            return None;
        }
        let u: Value = r.json().await.unwrap();
        let g: Value = c
            .get(format!("{base}/groups/{GROUP}/members?$select=id"))
            .bearer_auth(&t.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let me = u["id"].as_str().unwrap();
        let names = g["value"]
            .as_array()
            .unwrap_or_else(|| panic!("members: {g}"))
            .iter()
            .filter(|x| x["id"] == me)
            .map(|_| "partners".to_string())
            .collect();
        Some((u, names))
    })
}

#[test]
fn a_guest_is_invited_then_given_its_attributes_and_group_in_one_apply() {
    let t = tenant();
    let dir = repo("guest-invite", ANA);
    let r = dir.to_str().unwrap();
    let (code, v, text) = plan_json(&t, r);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        ops(&v),
        vec!["invite_guest", "update_user", "add_member"],
        "{text}"
    );
    // An invitation is a create for the summary and the gates.
    assert_eq!(v["summary"]["create"], 1, "{text}");
    // The later steps wait for the invitation.
    let steps = v["steps"].as_array().unwrap();
    let invite = &steps[0];
    assert_eq!(invite["invite"]["email"], "ana@fabrikam.com", "{text}");
    assert_eq!(invite["upn"], GUEST_UPN, "derived UPN: {text}");
    for s in &steps[1..] {
        assert!(
            s["depends_on"].as_array().unwrap().contains(&invite["id"]),
            "{s} waits for the invitation"
        );
    }
    let o = run(&t, &["plan", r], &[]);
    let shown = out(&o);
    assert!(
        shown.contains("invite guest ana@fabrikam.com (redirect https://myapps.microsoft.com"),
        "{shown}"
    );
    let before = writes(&t);
    let o = run(&t, &["apply", r, "--auto-approve"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(invitations(&t), 1, "exactly one invitation");
    // The invitation, the PATCH, the membership: three writes.
    assert_eq!(writes(&t) - before, 3, "{:?}", t.emu.metrics().by_route);
    let (u, groups) = guest(&t).expect("the guest exists");
    assert_eq!(
        u["displayName"], "Ana (Fabrikam)",
        "invitedUserDisplayName: {u}"
    );
    assert_eq!(u["jobTitle"], "Partner", "{u}");
    assert_eq!(u["userType"], "Guest", "{u}");
    assert_eq!(u["mail"], "ana@fabrikam.com", "{u}");
    assert_eq!(groups, vec!["partners"]);
    let o = run(&t, &["plan", r, "--detailed-exitcode"], &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "second plan not empty: {}",
        out(&o)
    );
}

#[test]
fn a_declared_guest_upn_matches_and_an_invited_guest_is_not_invited_again() {
    let t = tenant();
    let with_upn = format!(
        "  - upn: \"{GUEST_UPN}\"\n    displayName: Ana\n    invite: {{ email: ana@fabrikam.com, redirect_url: \"https://myapps.microsoft.com\", send_email: false }}\n"
    );
    let dir = repo("guest-upn-declared", &with_upn);
    let r = dir.to_str().unwrap();
    let o = run(&t, &["apply", r, "--auto-approve"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(invitations(&t), 1);
    let (code, v, text) = plan_json(&t, r);
    assert_eq!(code, Some(0), "{text}");
    assert!(ops(&v).is_empty(), "{text}");
    assert_eq!(invitations(&t), 1, "a plan never invites");
}

#[test]
fn a_maybe_sent_invitation_is_looked_up_not_sent_again() {
    let t = tenant();
    let guest_only = "  - displayName: Ana\n    invite: { email: ana@fabrikam.com, redirect_url: \"https://myapps.microsoft.com\" }\n    groups: [partners]\n";
    let dir = repo("guest-unknown", guest_only);
    let r = dir.to_str().unwrap();
    // Every write is committed and then answered 500/503/504.
    t.emu.set_faults(FaultConfig {
        commit_then_fail_rate: 1.0,
        ..FaultConfig::default()
    });
    let o = run(&t, &["apply", r, "--auto-approve"], &[]);
    t.emu.set_faults(FaultConfig::default());
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        invitations(&t),
        1,
        "the invitation is looked up, never re-sent"
    );
    assert!(
        t.emu
            .metrics()
            .batch_inner_by_route
            .keys()
            .chain(t.emu.metrics().by_route.keys())
            .any(|r| r.starts_with("GET /users/")),
        "looked up by UPN"
    );
    let (_, groups) = guest(&t).expect("the guest exists");
    assert_eq!(groups, vec!["partners"], "membership used the looked-up id");
    let o = run(&t, &["plan", r, "--detailed-exitcode"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
}

#[test]
fn inviting_without_user_invite_all_is_unappliable_and_names_it() {
    let t = tenant();
    let guest_only = "  - displayName: Ana\n    invite: { email: ana@fabrikam.com, redirect_url: \"https://myapps.microsoft.com\" }\n";
    let dir = repo("guest-no-permission", guest_only);
    let r = dir.to_str().unwrap();
    let token = t.emu.issue_token(PLANNER);
    let o = command(&t, &["plan", r, "--format", "json"], &[])
        .env("ENTRAFORM_GRAPH_TOKEN", &token)
        .env("AZURE_CLIENT_ID", PLANNER)
        .output()
        .unwrap();
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let e = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "missing-permission")
        .unwrap_or_else(|| panic!("no missing-permission: {text}"));
    let m = e["message"].as_str().unwrap();
    assert!(m.starts_with("unappliable:"), "{m}");
    assert!(m.contains("User.Invite.All"), "{m}");
    assert!(m.contains("invite_guest"), "{m}");
    let o = command(&t, &["apply", r, "--auto-approve"], &[])
        .env("ENTRAFORM_GRAPH_TOKEN", &token)
        .env("AZURE_CLIENT_ID", PLANNER)
        .output()
        .unwrap();
    assert_ne!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(invitations(&t), 0, "nothing sent");
}

fn validate(dir: &std::path::Path) -> (Option<i32>, String) {
    let o = crate::cli_support::bare(&["validate", dir.to_str().unwrap()], &[])
        .output()
        .unwrap();
    (o.status.code(), out(&o))
}

#[test]
fn bad_invite_blocks_are_validation_errors_with_stable_codes() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "  - displayName: A\n    invite: { email: ana@fabrikam.com, redirect_url: \"http://myapps.microsoft.com\" }\n",
            "invalid-invite",
            "https://",
        ),
        (
            "  - displayName: A\n    invite: { email: \"ana fabrikam.com\", redirect_url: \"https://x.example\" }\n",
            "invalid-invite",
            "invite.email",
        ),
        (
            "  - upn: \"bob_fabrikam.com#EXT#@contoso.onmicrosoft.com\"\n    invite: { email: ana@fabrikam.com, redirect_url: \"https://x.example\" }\n",
            "invite-upn-mismatch",
            "ana_fabrikam.com#EXT#@contoso.onmicrosoft.com",
        ),
        (
            "  - displayName: A\n    invite: { redirect_url: \"https://x.example\" }\n",
            "missing-key",
            "email",
        ),
        (
            "  - displayName: A\n    invite: { email: ana@fabrikam.com, redirect_url: \"https://x.example\", cc: b@x.com }\n",
            "unknown-key",
            "cc",
        ),
    ];
    for (i, (user, code, needle)) in cases.iter().enumerate() {
        let dir = repo(&format!("guest-invalid-{i}"), user);
        let (status, text) = validate(&dir);
        assert_eq!(status, Some(1), "{user}: {text}");
        assert!(text.contains(code), "{user}: want {code}: {text}");
        assert!(text.contains(needle), "{user}: want {needle}: {text}");
    }
    // No initial domain to derive the guest's UPN from.
    let dir = tempdir("guest-invalid-domain");
    std::fs::write(
        dir.join("repo.yaml"),
        "tenant:\n  domain: contoso.com\nusers:\n  - displayName: A\n    invite: { email: ana@fabrikam.com, redirect_url: \"https://x.example\" }\n",
    )
    .unwrap();
    let (status, text) = validate(&dir);
    assert_eq!(status, Some(1), "{text}");
    assert!(
        text.contains("invalid-invite") && text.contains("onmicrosoft.com"),
        "{text}"
    );
    // The good one validates.
    let dir = repo("guest-valid", ANA);
    let (status, text) = validate(&dir);
    assert_eq!(status, Some(0), "{text}");
}
