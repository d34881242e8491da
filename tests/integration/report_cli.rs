//! `entraform report KIND` through the binary against the emulator (issue
//! #18, reports): each report's rows, its HTTP request count, every output
//! format at least once, CSV with hostile values, the refusal of a tenant
//! without Entra ID P1 and of a token without the permission.

use crate::cli_support::{out, run, tempdir, tenant_from};
use graph_emulator::Seed;
use serde_json::{Value, json};

const DAY: i64 = 86_400;
const TENANT: &str = "aaaabbbb-0000-4000-8000-0000000000r1";
const APP: &str = "97e0a5b7-d745-40b6-94fe-5f77d35c6e05";
const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
const USER_ADMIN: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
const TIER0: &str = "0b000000-0000-4000-8000-0000000000a1";
/// What the reports need, least privileged.
const GRANTS: &[&str] = &[
    "User.Read.All",
    "AuditLog.Read.All",
    "RoleManagement.Read.Directory",
];

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// ISO 8601 of `days` ago (an hour less, so a day boundary during the test does not matter).
fn ago(days: i64) -> String {
    entraform::report::time::iso(now() - days * DAY + 3600)
}

fn seed(grants: &[&str], extra: Value) -> Seed {
    let mut v = json!({
        "tenant": {"id": TENANT, "domains": ["contoso.com"]},
        "applications": [{"appId": APP, "displayName": "entraform-reports", "permissions": grants}],
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    serde_json::from_value(v).unwrap()
}

fn user(upn: &str, name: &str, enabled: bool, activity: Option<Value>) -> Value {
    let mut u = json!({"userPrincipalName": upn, "displayName": name, "accountEnabled": enabled,
                       "mailNickname": upn.split('@').next().unwrap(),
                       "createdDateTime": "2020-01-15T08:00:00Z"});
    if let Some(a) = activity {
        u["signInActivity"] = a;
    }
    u
}

/// Five named users and `padding` recent ones.
fn sign_in_users(padding: usize) -> Vec<Value> {
    let mut users = vec![
        user(
            "alice@contoso.com",
            "Alice",
            true,
            Some(json!({"lastSignInDateTime": ago(5), "lastSignInRequestId": "r1"})),
        ),
        user(
            "bob@contoso.com",
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            true,
            Some(
                json!({"lastSignInDateTime": ago(200), "lastNonInteractiveSignInDateTime": "0001-01-01T00:00:00Z",
                         "lastSuccessfulSignInDateTime": ""}),
            ),
        ),
        user("carol@contoso.com", "Carol, \"C\"\nsecond line", true, None),
        user(
            "dave@contoso.com",
            "Dave",
            false,
            Some(json!({"lastSignInDateTime": ago(400)})),
        ),
        user(
            "erin@contoso.com",
            "@Erin",
            true,
            Some(
                json!({"lastSignInDateTime": ago(300), "lastNonInteractiveSignInDateTime": ago(2)}),
            ),
        ),
    ];
    for i in 0..padding {
        users.push(user(
            &format!("pad{i:04}@contoso.com"),
            &format!("Pad {i}"),
            true,
            Some(json!({"lastSignInDateTime": ago(1)})),
        ));
    }
    users
}

fn gets(t: &crate::cli_support::Tenant) -> (u64, Vec<String>) {
    let m = t.emu.metrics();
    (m.total_requests, m.by_route.keys().cloned().collect())
}

#[test]
fn stale_accounts_lists_old_and_never_seen_users_reading_500_a_page() {
    // 1,104 enabled users: ⌈1104/500⌉ = 3 pages of /users with signInActivity.
    let t = tenant_from(seed(GRANTS, json!({"users": sign_in_users(1100)})));
    let o = run(&t, &["report", "stale-accounts", "--days", "90"], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("Enabled users without a sign-in in the last 90 days: 2 (1 never signed in)"),
        "{text}"
    );
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("@contoso.com"))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(
        rows[0].starts_with("carol@contoso.com") && rows[0].contains("never"),
        "{text}"
    );
    assert!(
        rows[1].starts_with("bob@contoso.com") && rows[1].contains(" 199 "),
        "{text}"
    );
    // The hostile name stays on one line on a terminal.
    assert!(
        rows[0].contains("second line") && rows[0].contains("\\u{a}"),
        "{text}"
    );
    assert_eq!(
        gets(&t),
        (3, vec!["GET /users".to_string()]),
        "3 requests, reads only"
    );
}

#[test]
fn stale_accounts_csv_quotes_and_neutralises_hostile_cells() {
    let t = tenant_from(seed(GRANTS, json!({"users": sign_in_users(0)})));
    let o = run(
        &t,
        &[
            "report",
            "stale-accounts",
            "--days",
            "30",
            "--format",
            "csv",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let csv = String::from_utf8(o.stdout).unwrap();
    let mut lines = csv.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("userPrincipalName,displayName,lastSignIn,daysSinceSignIn,created")
    );
    assert_eq!(
        lines.next(),
        Some("\"carol@contoso.com\",\"Carol, \"\"C\"\"\nsecond line\",\"never\",,\"2020-01-15\"")
    );
    let bob = lines.next().unwrap();
    assert!(
        bob.starts_with(
            "\"bob@contoso.com\",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\","
        ),
        "{bob}"
    );
    assert!(bob.ends_with(",199,\"2020-01-15\""), "{bob}");
    assert_eq!(
        lines.next(),
        Some(""),
        "erin's background sign-in 2 days ago keeps her off: {csv}"
    );
    assert_eq!(t.emu.metrics().total_requests, 1);
}

#[test]
fn stale_accounts_without_entra_id_p1_says_so() {
    let t = tenant_from(seed(
        GRANTS,
        json!({"users": sign_in_users(0), "entraIdPremium": false}),
    ));
    let o = run(&t, &["report", "stale-accounts"], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(o.stdout.is_empty(), "{text}");
    assert!(
        text.contains(
            "the tenant has no Microsoft Entra ID P1 or P2 licence, which this report needs"
        ),
        "{text}"
    );
    assert!(
        text.contains("HTTP 403 Forbidden [Authentication_RequestFromNonPremiumTenantOrB2CTenant] Neither tenant is B2C or tenant doesn't have premium license"),
        "{text}"
    );
    assert_eq!(t.emu.metrics().total_requests, 1);
}

#[test]
fn stale_accounts_without_audit_log_permission_names_it() {
    let t = tenant_from(seed(&["User.Read.All"], json!({"users": sign_in_users(0)})));
    let o = run(&t, &["report", "stale-accounts"], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("cannot read users' sign-in activity"),
        "{text}"
    );
    assert!(
        text.contains("HTTP 403 Forbidden [Authorization_RequestDenied]"),
        "{text}"
    );
    assert!(
        text.contains("grant it the Microsoft Graph application permission AuditLog.Read.All (with User.Read.All)"),
        "{text}"
    );
}

#[test]
fn mfa_lists_enabled_users_without_a_strong_method_in_markdown() {
    let mut users = vec![
        user("alice@contoso.com", "Alice", true, None),
        user("bob@contoso.com", "Bob | *admin*", true, None),
        user("dave@contoso.com", "Dave", false, None),
    ];
    for i in 0..150 {
        users.push(user(&format!("pad{i:04}@contoso.com"), "Pad", true, None));
    }
    let mut registered: Vec<Value> = (0..150)
        .map(|i| {
            json!({"user": format!("pad{i:04}@contoso.com"), "isMfaRegistered": true,
                        "methodsRegistered": ["microsoftAuthenticatorPush"]})
        })
        .collect();
    registered.push(json!({"user": "alice@contoso.com", "isMfaRegistered": false,
                           "methodsRegistered": ["email"], "lastUpdatedDateTime": "2026-11-30T10:00:00Z"}));
    let t = tenant_from(seed(
        GRANTS,
        json!({"users": users, "userRegistrationDetails": registered,
               "roleAssignments": [{"principalId": "bob@contoso.com", "roleDefinitionId": "User Administrator"}]}),
    ));
    let o = run(&t, &["report", "mfa", "--format", "markdown"], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("### Enabled users without a registered strong authentication method: 2 (1 with an admin role)"),
        "{text}"
    );
    assert!(
        text.contains("| User | Name | Type | Admin | Methods registered | Report updated |"),
        "{text}"
    );
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("@contoso.com"))
        .collect();
    assert_eq!(
        rows,
        [
            "| bob@contoso.com | Bob \\| \\*admin\\* | member | yes |  | 2020-01-15T08:00:00Z |",
            "| alice@contoso.com | Alice | member | no | email | 2026-11-30T10:00:00Z |",
        ],
        "{text}"
    );
    // Graph filters on isMfaRegistered: one page, though 152 users are enabled.
    assert_eq!(
        gets(&t),
        (
            1,
            vec!["GET /reports/authenticationMethods/userRegistrationDetails".to_string()]
        )
    );
}

#[test]
fn mfa_needs_audit_log_and_p1() {
    let users = json!([user("alice@contoso.com", "Alice", true, None)]);
    let t = tenant_from(seed(&["User.Read.All"], json!({"users": users})));
    let o = run(&t, &["report", "mfa"], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("grant it the Microsoft Graph application permission AuditLog.Read.All"),
        "{text}"
    );
    let t = tenant_from(seed(
        GRANTS,
        json!({"users": users, "entraIdPremium": false}),
    ));
    let o = run(&t, &["report", "mfa"], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("no Microsoft Entra ID P1 or P2 licence"),
        "{text}"
    );
}

#[test]
fn deleted_users_shows_days_left_as_json() {
    let t = tenant_from(seed(
        GRANTS,
        json!({"users": [user("alice@contoso.com", "Alice", true, None)],
        "deletedUsers": [
            {"id": "11111111-1111-4111-8111-111111111111", "userPrincipalName": "gone@contoso.com",
             "displayName": "Gone Soon", "deletedDateTime": ago(28)},
            {"id": "22222222-2222-4222-8222-222222222222", "userPrincipalName": "left@contoso.com",
             "displayName": "Just Left", "deletedDateTime": ago(1)}
        ]}),
    ));
    let o = run(&t, &["report", "deleted-users", "--format", "json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["version"], 1);
    assert_eq!(v["report"], "deleted-users");
    assert_eq!(v["title"], "Soft-deleted users: 2 (1 purged within 7 days)");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(
        rows[0]["userPrincipalName"], "gone@contoso.com",
        "the id prefix Entra adds is gone"
    );
    assert_eq!(rows[0]["displayName"], "Gone Soon");
    assert_eq!(rows[0]["daysLeft"], 2);
    assert_eq!(rows[1]["userPrincipalName"], "left@contoso.com");
    assert_eq!(rows[1]["daysLeft"], 29);
    assert_eq!(
        gets(&t),
        (
            1,
            vec!["GET /directory/deletedItems/microsoft.graph.user".to_string()]
        )
    );
}

#[test]
fn privileged_lists_active_and_eligible_holders_and_compares_with_the_repo() {
    let users = json!([
        user("amelia@contoso.com", "Amelia", true, None),
        user("ben@contoso.com", "Ben", true, None),
        user("cara@contoso.com", "Cara", true, None),
        user("dan@contoso.com", "Dan", true, None),
    ]);
    let t = tenant_from(seed(
        GRANTS,
        json!({"users": users,
        "groups": [{"id": TIER0, "displayName": "Tier0 Admins", "mailNickname": "tier0", "isAssignableToRole": true,
                    "securityEnabled": true, "mailEnabled": false, "members": ["dan@contoso.com"]}],
        "roleAssignments": [
            {"principalId": "amelia@contoso.com", "roleDefinitionId": "Global Administrator"},
            {"principalId": "ben@contoso.com", "roleDefinitionId": "User Administrator"},
            {"principalId": "dan@contoso.com", "roleDefinitionId": "Directory Readers"},
            {"principalId": TIER0, "roleDefinitionId": "Global Administrator"}
        ],
        "roleEligibilities": [
            {"principalId": "cara@contoso.com", "roleDefinitionId": GA, "endDateTime": "2030-01-01T00:00:00Z"}
        ]}),
    ));
    let before = t.emu.metrics().total_requests;
    let repo = tempdir("report-privileged");
    repo.write(
        "tenant.yaml",
        b"tenant:\n  domain: contoso.com\n  scope:\n    users: all\n",
    );
    repo.write(
        "roles.yaml",
        format!("roles:\n  - role: Global Administrator\n    principals: [amelia]\n    eligible: [cara]\n  - role: {USER_ADMIN}\n    principals: [cara]\n").as_bytes(),
    );
    let dir = repo.to_str().unwrap();
    let o = run(&t, &["report", "privileged", "--repo", dir], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("Privileged role holders: 4 principal(s), 4 assignment(s)"),
        "{text}"
    );
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.contains("Administrator  "))
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .collect();
    assert_eq!(
        rows,
        [
            vec![
                "Tier0 Admins",
                "group",
                "Global Administrator",
                "tenant",
                "active",
                "-",
                "-"
            ],
            vec![
                "amelia@contoso.com",
                "user",
                "Global Administrator",
                "tenant",
                "active",
                "-",
                "yes"
            ],
            vec![
                "ben@contoso.com",
                "user",
                "User Administrator",
                "tenant",
                "active",
                "-",
                "no"
            ],
            vec![
                "cara@contoso.com",
                "user",
                "Global Administrator",
                "tenant",
                "eligible",
                "2030-01-01T00:00:00Z",
                "yes"
            ],
        ],
        "{text}"
    );
    assert!(
        !text.contains("Directory Readers"),
        "not privileged: {text}"
    );
    assert!(
        // Cara is declared eligible for Global Administrator: only Ben is not.
        text.contains("1 user assignment(s) are not declared in the repo's roles."),
        "{text}"
    );
    // Definitions, assignments and eligibilities in one $batch POST.
    let m = t.emu.metrics();
    assert_eq!(m.total_requests - before, 1, "{:?}", m.by_route);
    assert_eq!(m.by_route.get("POST /$batch"), Some(&1), "{:?}", m.by_route);
}

#[test]
fn privileged_without_a_repo_and_without_the_permission() {
    let t = tenant_from(seed(&["User.Read.All"], json!({})));
    let o = run(&t, &["report", "privileged"], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("cannot read directory roles and their holders"),
        "{text}"
    );
    assert!(
        text.contains(
            "grant it the Microsoft Graph application permission RoleManagement.Read.Directory"
        ),
        "{text}"
    );
}

#[test]
fn bad_input_is_refused_before_any_request() {
    let t = tenant_from(seed(GRANTS, json!({"users": sign_in_users(0)})));
    let o = run(&t, &["report", "stale-accounts", "--days", "0"], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("--days"), "{text}");
    // A broken repo: its diagnostics, nothing read.
    let repo = tempdir("report-bad-repo");
    repo.write("tenant.yaml", b"tenant:\n  domain: contoso.com\n");
    repo.write(
        "roles.yaml",
        b"roles:\n  - role: No Such Role\n    principals: [amelia]\n",
    );
    let o = run(
        &t,
        &["report", "privileged", "--repo", repo.to_str().unwrap()],
        &[],
    );
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("roles.yaml:2:"), "file and line: {text}");
    assert!(
        text.contains("the repo is invalid; nothing was read"),
        "{text}"
    );
    assert_eq!(t.emu.metrics().total_requests, 0);
    // The format from the environment, as every flag.
    let o = run(
        &t,
        &["report", "stale-accounts"],
        &[("ENTRAFORM_REPORT_FORMAT", "json")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["report"], "stale-accounts");
}

#[test]
fn licenses_counts_seats_and_how_users_hold_them() {
    const E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";
    const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
    const LICENSED: &str = "0b000000-0000-4000-8000-0000000000b1";
    let users = json!([
        user("a@contoso.com", "A", true, None),
        user("b@contoso.com", "B", true, None),
        user("c@contoso.com", "C", true, None),
        user("d@contoso.com", "D", true, None),
        user("e@contoso.com", "E", true, None),
    ]);
    let extra = json!({
        "users": users,
        "groups": [{"id": LICENSED, "displayName": "Licensed", "mailNickname": "licensed",
                    "securityEnabled": true, "mailEnabled": false,
                    "members": ["b@contoso.com", "c@contoso.com"]}],
        "subscribedSkus": [
            {"skuId": E5, "skuPartNumber": "SPE_E5", "enabled": 5},
            {"skuId": E3, "skuPartNumber": "ENTERPRISEPACK", "enabled": 2}
        ],
        "licenseAssignments": [
            {"principal": LICENSED, "sku": "SPE_E5"},
            {"principal": "a@contoso.com", "sku": "SPE_E5"},
            {"principal": "c@contoso.com", "sku": "SPE_E5"},
            {"principal": "d@contoso.com", "sku": "ENTERPRISEPACK"},
            {"principal": "e@contoso.com", "sku": "ENTERPRISEPACK"}
        ]
    });
    let t = tenant_from(seed(
        &["User.Read.All", "Organization.Read.All"],
        extra.clone(),
    ));
    let o = run(&t, &["report", "licenses"], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(
        text.contains("Subscribed SKUs: 2 (0 with more licences assigned than purchased)"),
        "{text}"
    );
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|l| l.starts_with("SPE_E5") || l.starts_with("ENTERPRISEPACK"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            [
                "ENTERPRISEPACK",
                "Enabled",
                "2",
                "2",
                "0",
                "2",
                "0",
                "0",
                "0"
            ],
            // a direct, b through the group, c both ways (one seat).
            ["SPE_E5", "Enabled", "5", "3", "2", "1", "1", "1", "0"],
        ],
        "{text}"
    );
    // subscribedSkus and the users' first page in one $batch POST.
    let m = t.emu.metrics();
    assert_eq!(m.total_requests, 1, "{:?}", m.by_route);
    assert_eq!(m.batch_inner_requests, 2, "{:?}", m.batch_inner_by_route);

    // Without Organization.Read.All: the SKUs are refused, and the report names it.
    let t = tenant_from(seed(&["User.Read.All"], extra));
    let o = run(&t, &["report", "licenses"], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("grant it the Microsoft Graph application permission Organization.Read.All"),
        "{text}"
    );
}

/// Reports take the same clock as plans: `--now` (ENTRAFORM_NOW) fixes the
/// moment ages and days left are counted from, so a report is reproducible.
#[test]
fn reports_are_computed_for_now() {
    let t = tenant_from(seed(
        GRANTS,
        json!({"users": [user("alice@contoso.com", "Alice", true, None)],
        "deletedUsers": [
            {"id": "11111111-1111-4111-8111-111111111111", "userPrincipalName": "gone@contoso.com",
             "displayName": "Gone", "deletedDateTime": "2026-11-01T12:00:00Z"}
        ]}),
    ));
    let days_left = |args: &[&str], envs: &[(&str, &str)]| {
        let mut all = vec!["report", "deleted-users", "--format", "json"];
        all.extend_from_slice(args);
        let o = run(&t, &all, envs);
        assert_eq!(o.status.code(), Some(0), "{}", out(&o));
        let v: Value = serde_json::from_slice(&o.stdout).expect("json");
        v["rows"][0]["daysLeft"].clone()
    };
    assert_eq!(days_left(&["--now", "2026-11-02"], &[]), 29);
    assert_eq!(
        days_left(&[], &[("ENTRAFORM_NOW", "2026-11-21T12:00:00Z")]),
        10
    );
    let bad = run(&t, &["report", "deleted-users", "--now", "soon"], &[]);
    assert_eq!(bad.status.code(), Some(1), "{}", out(&bad));
    assert!(out(&bad).contains("is not a date"), "{}", out(&bad));
}
