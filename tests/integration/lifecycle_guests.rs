//! Guests (issue #17): the emulator's `POST /invitations` against Microsoft's
//! reference (invitation-post, resources/invitation): the guest it creates,
//! re-invitation, the address rules, and the permission (`User.Invite.All`);
//! through the binary, a new user with a guest (`#EXT#`) UPN is a
//! `guest-upn-not-creatable` plan error, while an invited guest can be
//! declared and managed (groups) like any user.

use crate::cli_support::graph_call as call;
use crate::cli_support::{Tenant, out, run, tempdir, tenant_from, writes};
use graph_emulator::Seed;
use serde_json::{Value, json};

const APP: &str = "11111111-1111-4111-8111-111111111111";
const INVITER: &str = "22222222-2222-4222-8222-222222222222";
const READER: &str = "33333333-3333-4333-8333-333333333333";
const ANN: &str = "0e000000-0000-4000-8000-000000000001";
const GROUP: &str = "0e000000-0000-4000-8000-0000000000e5";

/// contoso.com plus its initial domain; one app with everything, one with
/// only `User.Invite.All` (and reads), one that may only read users; ann is
/// the Global Administrator the plan's gate wants to remain.
fn tenant() -> Tenant {
    let y = format!(
        "tenant:\n  domains: [contoso.com, contoso.onmicrosoft.com]\napplications:\n  - appId: {APP}\n    permissions: all\n  - appId: {INVITER}\n    permissions: [User.Invite.All, User.Read.All]\n  - appId: {READER}\n    permissions: [User.Read.All]\nusers:\n  - {{ id: {ANN}, userPrincipalName: ann@contoso.com, displayName: Ann, mailNickname: ann }}\ngroups:\n  - {{ id: {GROUP}, displayName: partners, mailNickname: partners, securityEnabled: true }}\nroleAssignments:\n  - {{ principalId: {ANN}, roleDefinitionId: Global Administrator }}\n"
    );
    tenant_from(Seed::parse(&y).expect("seed"))
}

fn invite(t: &Tenant, token: &str, body: Value) -> (u16, Value) {
    call(t, token, "POST", "/invitations", Some(body))
}

fn user_count(t: &Tenant) -> usize {
    let (s, v) = call(t, &t.token, "GET", "/users?$select=id", None);
    assert_eq!(s, 200, "{v}");
    v["value"].as_array().unwrap().len()
}

#[test]
fn invitation_creates_a_pending_guest_with_the_ext_upn() {
    let t = tenant();
    let (s, v) = invite(
        &t,
        &t.token,
        json!({"invitedUserEmailAddress": "ana@fabrikam.com", "inviteRedirectUrl": "https://myapps.microsoft.com", "invitedUserDisplayName": "Ana (Fabrikam)"}),
    );
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["status"], "PendingAcceptance");
    assert_eq!(v["invitedUserType"], "Guest");
    assert_eq!(v["sendInvitationMessage"], false, "defaults to false: {v}");
    assert!(
        v["inviteRedeemUrl"]
            .as_str()
            .unwrap()
            .starts_with("https://login.microsoftonline.com/redeem?")
    );
    let upn = v["invitedUser"]["userPrincipalName"].as_str().unwrap();
    // The initial domain, not the first verified one.
    assert_eq!(upn, "ana_fabrikam.com#EXT#@contoso.onmicrosoft.com");
    let id = v["invitedUser"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        v["invitedUser"].as_object().unwrap().len(),
        2,
        "only id and UPN: {v}"
    );
    let (s, u) = call(
        &t,
        &t.token,
        "GET",
        &format!(
            "/users/{id}?$select=displayName,userType,externalUserState,mail,otherMails,creationType"
        ),
        None,
    );
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["displayName"], "Ana (Fabrikam)");
    assert_eq!(u["userType"], "Guest");
    assert_eq!(u["externalUserState"], "PendingAcceptance");
    assert_eq!(u["mail"], "ana@fabrikam.com");
    assert_eq!(u["otherMails"], json!(["ana@fabrikam.com"]));
    assert_eq!(u["creationType"], "Invitation");
    // The UPN (with '#' escaped) finds the guest, and the guest can join a group.
    let (s, u) = call(
        &t,
        &t.token,
        "GET",
        "/users/ana_fabrikam.com%23EXT%23@contoso.onmicrosoft.com?$select=id",
        None,
    );
    assert_eq!((s, u["id"].as_str()), (200, Some(id.as_str())), "{u}");
    let (s, r) = call(
        &t,
        &t.token,
        "POST",
        &format!("/groups/{GROUP}/members/$ref"),
        Some(
            json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")}),
        ),
    );
    assert_eq!(s, 204, "{r}");
}

#[test]
fn re_invitation_returns_the_same_guest_and_creates_no_second_user() {
    let t = tenant();
    let body = json!({"invitedUserEmailAddress": "ana@fabrikam.com", "inviteRedirectUrl": "https://myapps.microsoft.com"});
    let (s1, a) = invite(&t, &t.token, body.clone());
    let before = user_count(&t);
    let (s2, b) = invite(&t, &t.token, body);
    assert_eq!((s1, s2), (201, 201), "{a} {b}");
    assert_eq!(a["invitedUser"]["id"], b["invitedUser"]["id"]);
    assert_ne!(a["id"], b["id"], "each invitation has its own id");
    assert_eq!(user_count(&t), before);
}

#[test]
fn invalid_invitations_are_refused_and_change_nothing() {
    let t = tenant();
    let before = user_count(&t);
    for body in [
        json!({"inviteRedirectUrl": "https://x.example"}),
        json!({"invitedUserEmailAddress": "ana@fabrikam.com"}),
        json!({"invitedUserEmailAddress": "an#a@fabrikam.com", "inviteRedirectUrl": "https://x.example"}),
        json!({"invitedUserEmailAddress": ".ana@fabrikam.com", "inviteRedirectUrl": "https://x.example"}),
        json!({"invitedUserEmailAddress": "no-at-sign", "inviteRedirectUrl": "https://x.example"}),
        json!({"invitedUserEmailAddress": "ana@fabrikam.com", "inviteRedirectUrl": "https://x.example", "invitedUserType": "Member"}),
        json!({"invitedUserEmailAddress": "ana@fabrikam.com", "inviteRedirectUrl": "https://x.example", "resetRedemption": true}),
        json!({"invitedUserEmailAddress": "ana@fabrikam.com", "inviteRedirectUrl": "https://x.example", "colour": "red"}),
    ] {
        let (s, v) = invite(&t, &t.token, body.clone());
        assert_eq!(s, 400, "{body}: {v}");
        assert_eq!(v["error"]["code"], "Request_BadRequest", "{body}: {v}");
    }
    assert_eq!(user_count(&t), before);
}

#[test]
fn inviting_needs_user_invite_all() {
    let t = tenant();
    let body = json!({"invitedUserEmailAddress": "ana@fabrikam.com", "inviteRedirectUrl": "https://x.example"});
    let reader = t.emu.issue_token(READER);
    let (s, v) = invite(&t, &reader, body.clone());
    assert_eq!(s, 403, "{v}");
    assert_eq!(v["error"]["code"], "Authorization_RequestDenied");
    assert_eq!(user_count(&t), 1, "nothing created");
    // The least permission is enough.
    let inviter = t.emu.issue_token(INVITER);
    let (s, v) = invite(&t, &inviter, body);
    assert_eq!(s, 201, "{v}");
}

const GUEST_UPN: &str = "ana_fabrikam.com#EXT#@contoso.onmicrosoft.com";

fn plan(t: &Tenant, repo: &str) -> (Option<i32>, Value, String) {
    let o = run(t, &["plan", repo, "--format", "json"], &[]);
    (
        o.status.code(),
        serde_json::from_slice(&o.stdout).unwrap_or(Value::Null),
        out(&o),
    )
}

#[test]
fn a_new_user_with_a_guest_upn_is_a_plan_error() {
    let t = tenant();
    let dir = tempdir("guest-upn");
    std::fs::write(
        dir.join("repo.yaml"),
        format!("tenant:\n  domain: contoso.com\n  domains: [contoso.onmicrosoft.com]\nusers:\n  - upn: \"{GUEST_UPN}\"\n    displayName: Ana\n"),
    )
    .unwrap();
    let before = writes(&t);
    let (code, v, text) = plan(&t, dir.to_str().unwrap());
    assert_eq!(code, Some(1), "{text}");
    let e = &v["errors"][0];
    assert_eq!(e["code"], "guest-upn-not-creatable", "{text}");
    assert!(
        e["message"].as_str().unwrap().contains("invite"),
        "hint: {text}"
    );
    assert_eq!(e["origin"]["line"], 5, "{text}");
    assert!(
        !v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["op"] == "create_user"),
        "no create step: {text}"
    );
    assert_eq!(writes(&t), before);
}

#[test]
fn an_invited_guest_is_declared_and_put_in_a_group_like_any_user() {
    let t = tenant();
    let (s, v) = invite(
        &t,
        &t.token,
        json!({"invitedUserEmailAddress": "ana@fabrikam.com", "inviteRedirectUrl": "https://myapps.microsoft.com", "invitedUserDisplayName": "Ana"}),
    );
    assert_eq!(s, 201, "{v}");
    let dir = tempdir("guest-member");
    std::fs::write(
        dir.join("repo.yaml"),
        format!("tenant:\n  domain: contoso.com\n  domains: [contoso.onmicrosoft.com]\nusers:\n  - upn: \"{GUEST_UPN}\"\n    displayName: Ana\n    userType: Guest\n    groups: [partners]\ngroups:\n  - name: partners\n"),
    )
    .unwrap();
    let repo = dir.to_str().unwrap();
    let (code, v, text) = plan(&t, repo);
    assert_eq!(code, Some(0), "{text}");
    let ops: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops, vec!["add_member"], "{text}");
    let o = run(&t, &["apply", repo, "--auto-approve"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let (code, v, text) = plan(&t, repo);
    assert_eq!(code, Some(0), "{text}");
    assert!(v["steps"].as_array().unwrap().is_empty(), "{text}");
}

#[test]
fn an_invited_guest_round_trips_through_export() {
    let t = tenant();
    let (s, v) = invite(
        &t,
        &t.token,
        json!({"invitedUserEmailAddress": "ana@fabrikam.com", "inviteRedirectUrl": "https://myapps.microsoft.com"}),
    );
    assert_eq!(s, 201, "{v}");
    let dir = tempdir("guest-export");
    let repo = dir.join("repo");
    let d = repo.to_str().unwrap();
    let o = run(&t, &["export", "--out", d], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let mut written = String::new();
    for e in walk(&repo) {
        written.push_str(&std::fs::read_to_string(e).unwrap());
    }
    assert!(
        written.contains(GUEST_UPN),
        "the guest is exported: {written}"
    );
    assert!(written.contains("userType: Guest"), "{written}");
    let o = run(&t, &["plan", d, "--detailed-exitcode"], &[]);
    assert_eq!(o.status.code(), Some(0), "plan is not empty: {}", out(&o));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else {
            files.push(p);
        }
    }
    files
}

#[test]
fn reset_redemption_needs_user_readwrite_all_and_an_address_in_other_mails() {
    let t = tenant();
    let (s, v) = invite(
        &t,
        &t.token,
        json!({"invitedUserEmailAddress": "ana@fabrikam.com", "inviteRedirectUrl": "https://x.example"}),
    );
    assert_eq!(s, 201, "{v}");
    let id = v["invitedUser"]["id"].as_str().unwrap().to_string();
    let reset = |address: &str| json!({"invitedUserEmailAddress": address, "inviteRedirectUrl": "https://x.example", "invitedUser": {"id": id}, "resetRedemption": true});
    // User.Invite.All is not enough for a reset.
    let inviter = t.emu.issue_token(INVITER);
    let (s, v) = invite(&t, &inviter, reset("ana@fabrikam.com"));
    assert_eq!(s, 403, "{v}");
    // The new address must be one of the guest's otherMails first.
    let (s, v) = invite(&t, &t.token, reset("ana@northwind.com"));
    assert_eq!(s, 400, "{v}");
    let (s, v) = invite(&t, &t.token, reset("ana@fabrikam.com"));
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["invitedUser"]["id"], json!(id));
    assert_eq!(v["resetRedemption"], true);
}
