//! Export of a hand-made tenant full of awkward cases: the result must load
//! without a diagnostic and diff to no operation and no error.

use std::path::PathBuf;

use super::*;
use crate::desired::load::load_texts;
use crate::desired::source::SourceMap;
use crate::live::{LiveParts, LiveRoleAssignment, LiveRoleDefinition, Member};

fn user(id: &str, upn: &str) -> LiveUser {
    let mut u = LiveUser::new(ObjectId(id.into()), Upn::new_unchecked(upn));
    u.set(Attr::DisplayName, Some(format!("User {id}").into()));
    u
}

fn group(id: &str, name: &str, members: &[(&str, ObjectKind)]) -> LiveGroup {
    LiveGroup {
        id: ObjectId(id.into()),
        display_name: name.into(),
        mail_nickname: None,
        description: None,
        security_enabled: true,
        mail_enabled: false,
        group_types: vec![],
        membership_rule: None,
        on_premises_sync_enabled: false,
        owners: Vec::new(),
        members: members
            .iter()
            .map(|(m, k)| Member {
                id: ObjectId((*m).into()),
                kind: *k,
            })
            .collect(),
    }
}

fn role(id: &str, name: &str, builtin: bool) -> LiveRoleDefinition {
    LiveRoleDefinition {
        id: id.into(),
        display_name: name.into(),
        template_id: builtin.then(|| id.to_string()),
        is_built_in: builtin,
        is_enabled: true,
    }
}

fn assign(n: usize, principal: &str, role: &str) -> LiveRoleAssignment {
    LiveRoleAssignment {
        id: format!("a{n}"),
        principal_id: ObjectId(principal.into()),
        role_definition_id: role.into(),
        directory_scope_id: "/".into(),
    }
}

const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
const HELPDESK: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
const USER_ADMIN: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";

fn tenant() -> Live {
    use ObjectKind::*;
    let mut u1 = user("u1", "adele.vance@contoso.com");
    u1.set(Attr::Department, Some("R&D / Labs".into()));
    u1.set(Attr::EmployeeId, Some("007".into()));
    u1.set(Attr::JobTitle, Some("yes".into()));
    u1.set(Attr::City, Some("Zürich: Nord #2".into()));
    u1.set(Attr::MobilePhone, Some("+41 44 000".into()));
    u1.set(
        Attr::BusinessPhones,
        Some(vec!["+1 1".to_string(), "+1 2".to_string()].into()),
    );
    u1.set(Attr::UsageLocation, Some("usa".into()));
    u1.set(Attr::PreferredLanguage, Some("EN".into()));
    u1.set(Attr::EmployeeHireDate, Some("2020-01-02T08:30:00Z".into()));
    u1.set(Attr::MailNickname, Some("adele.vance".into()));
    u1.set(
        Attr::OtherMails,
        Some(vec!["a@example.com".to_string()].into()),
    );
    u1.set(Attr::StreetAddress, Some("1 Main St\nFloor 2".into()));
    u1.manager = Some(ObjectId("contact-1".into()));
    let u2 = user("u2", "john_example.com#EXT#@contoso.onmicrosoft.com");
    let u3 = user("u3", "bad user@contoso.com");
    let mut u4 = user("u4", "disabled.admin@contoso.com");
    u4.account_enabled = false;
    let mut u5 = user("u5", "disabled@contoso.com");
    u5.account_enabled = false;
    u5.set(Attr::EmployeeHireDate, Some("2019-05-06T00:00:00Z".into()));
    let mut u6 = user("u6", "synced@contoso.com");
    u6.on_premises_sync_enabled = true;
    u6.manager = Some(ObjectId("u1".into()));
    u6.set(Attr::MailNickname, Some("Synced-Nick".into()));
    let mut u7 = user("u7", "long@contoso.com");
    u7.set(Attr::JobTitle, Some("x".repeat(200).into()));
    u7.manager = Some(ObjectId("u8".into()));
    let mut u8 = user("u8", "other@fabrikam.com");
    u8.manager = Some(ObjectId("u7".into()));
    u8.set(Attr::DisplayName, Some("true".into()));
    u8.set(Attr::PostalCode, Some("02134".into()));

    let mut m365 = group("g5", "m365", &[("u1", User)]);
    m365.group_types = vec!["Unified".into()];
    m365.mail_nickname = Some("m365".into());
    let mut synced = group("g6", "synced", &[("u1", User)]);
    synced.on_premises_sync_enabled = true;
    let mut dynamic = group("g7", "dyn", &[("u1", User)]);
    dynamic.group_types = vec!["DynamicMembership".into()];
    dynamic.membership_rule = Some("(user.department -eq \"x\")\n or (user.city -eq \"y\")".into());
    let mut team = group(
        "g1",
        "Team: A",
        &[("u1", User), ("u2", User), ("u5", User), ("dev-1", Device)],
    );
    team.description = Some("100".into());
    team.mail_nickname = Some("team-a".into());
    Live::from_parts(LiveParts {
        users: vec![u1, u2, u3, u4, u5, u6, u7, u8],
        groups: vec![
            team,
            group("g2", "bad", &[("u3", User), ("u1", User), ("ghost", User)]),
            group("g3", "Dup", &[("u1", User)]),
            group("g4", "dup", &[]),
            m365,
            synced,
            dynamic,
            group("g8", "empty", &[]),
        ],
        role_definitions: vec![
            role(GA, "Global Administrator", true),
            role(HELPDESK, "Helpdesk Administrator", true),
            role(USER_ADMIN, "User Administrator", true),
            role(
                "00000000-0000-4000-8000-000000000000",
                "Mystery Admin",
                true,
            ),
            role("custom-1", "Contoso Reader", false),
            role("custom-2", "global administrator", false),
        ],
        role_assignments: vec![
            assign(1, "u1", GA),
            assign(2, "sp-1", GA),
            assign(3, "u4", HELPDESK),
            assign(4, "u3", USER_ADMIN),
            assign(5, "u1", "00000000-0000-4000-8000-000000000000"),
            assign(6, "u2", "custom-1"),
            assign(7, "u1", "custom-2"),
        ],
        ..LiveParts::default()
    })
}

fn round_trip(live: &Live, opts: &ExportOptions) -> Export {
    let out = export(live, opts).expect("export");
    let texts: Vec<(PathBuf, String)> = out
        .files
        .iter()
        .map(|f| (PathBuf::from(&f.path), f.text.clone()))
        .collect();
    let mut sources = SourceMap::default();
    let loaded = load_texts(texts, &mut sources, Vec::new());
    let all: String = out
        .files
        .iter()
        .map(|f| format!("--- {}\n{}", f.path, f.text))
        .collect();
    let (desired, _) = match loaded.result {
        Ok(ok) => ok,
        Err(d) => panic!("export does not load: {d:#?}\n{all}"),
    };
    let d = crate::plan::diff::diff(&desired, live);
    assert!(d.ops.is_empty(), "ops: {:#?}\n{all}", d.ops);
    assert!(d.errors.is_empty(), "errors: {:#?}\n{all}", d.errors);
    out
}

fn file<'a>(e: &'a Export, path: &str) -> &'a str {
    &e.files.iter().find(|f| f.path == path).expect(path).text
}

#[test]
fn awkward_tenant_loads_and_plans_to_nothing() {
    let live = tenant();
    let opts = ExportOptions {
        include_disabled: true,
        ..ExportOptions::default()
    };
    let e = round_trip(&live, &opts);
    let tenant = file(&e, "tenant.yaml");
    assert!(tenant.contains("  domain: contoso.com\n"), "{tenant}");
    assert!(tenant.contains("domains: [contoso.onmicrosoft.com, fabrikam.com]"));
    assert!(tenant.contains("      - adele.vance@contoso.com\n"));
    let rd = file(&e, "users/r-d-labs.yaml");
    assert!(rd.contains("employeeId: \"007\""), "{rd}");
    assert!(rd.contains("jobTitle: \"yes\""));
    assert!(rd.contains("city: \"Zürich: Nord #2\""));
    assert!(rd.contains("streetAddress: \"1 Main St\\nFloor 2\""));
    assert!(rd.contains("employeeHireDate: \"2020-01-02T08:30:00Z\""));
    assert!(rd.contains("# businessPhones left unmanaged"));
    assert!(rd.contains("# usageLocation left unmanaged"));
    assert!(rd.contains("# preferredLanguage left unmanaged"));
    assert!(rd.contains("# manager left unmanaged: it is not a user"));
    assert!(!rd.contains("mailNickname"), "derived: omitted");
    let other = file(&e, "users/no-department.yaml");
    assert!(other.contains("upn: \"john_example.com#EXT#@contoso.onmicrosoft.com\""));
    assert!(other.contains("# user `bad user@contoso.com` left out"));
    assert!(other.contains("# user `disabled.admin@contoso.com` left out"));
    assert!(other.contains("  - upn: disabled@contoso.com\n"));
    assert!(other.contains("employeeHireDate: 2019-05-06\n    enabled: false\n"));
    assert!(other.contains("# Synced from on-premises AD"));
    assert!(other.contains("mailNickname: Synced-Nick"));
    assert!(other.contains("# jobTitle left unmanaged"));
    assert!(other.contains("displayName: \"true\""));
    assert!(other.contains("postalCode: \"02134\""));
    assert!(other.contains("the managers form a cycle"));
    let groups = file(&e, "groups.yaml");
    assert!(
        groups.contains("group `Dup` left out: 2 groups have this name"),
        "{groups}"
    );
    assert!(
        groups.contains(
            "  - name: \"Team: A\"\n    mailNickname: team-a\n    description: \"100\"\n"
        )
    );
    assert!(groups.contains("not users (groups, devices, service principals)"));
    assert!(groups.contains("  - name: bad\n    # Additive: 2 member(s)"));
    assert!(groups.contains("type: microsoft365"));
    assert!(groups.contains("dynamic: true"));
    assert!(groups.contains("(user.department -eq \"x\") or (user.city -eq \"y\")"));
    assert!(groups.contains("  - name: empty\n    members: []\n"));
    let roles = file(&e, "roles.yaml");
    assert!(roles.contains("role `Mystery Admin` left out"), "{roles}");
    assert!(roles.contains("role `User Administrator` left out"));
    assert!(roles.contains("custom role `global administrator` left out"));
    assert!(roles.contains("  - role: Contoso Reader\n    custom: true\n"));
    assert!(roles.contains(
        "  - role: Helpdesk Administrator\n    principals:\n      - disabled.admin@contoso.com\n"
    ));
    assert_eq!(e.users, 6);
    assert!(!e.notes.is_empty());
}

#[test]
fn options_select_users_and_stay_stable() {
    let live = tenant();
    for opts in [
        ExportOptions::default(),
        ExportOptions {
            split_by: SplitBy::Domain,
            exclude: vec![Upn::new_unchecked("Adele.Vance@contoso.com")],
            ..ExportOptions::default()
        },
        ExportOptions {
            split_by: SplitBy::None,
            users: Some(UserFilter::parse("startswith(userPrincipalName,'syn')").unwrap()),
            ..ExportOptions::default()
        },
    ] {
        let a = round_trip(&live, &opts);
        assert_eq!(a, export(&live, &opts).unwrap(), "deterministic");
    }
    let e = export(
        &live,
        &ExportOptions {
            split_by: SplitBy::Domain,
            exclude: vec![Upn::new_unchecked("Adele.Vance@contoso.com")],
            ..ExportOptions::default()
        },
    )
    .unwrap();
    assert!(
        file(&e, "tenant.yaml").contains(
            "    exclude:\n      # Left out of the export (--exclude): never touched.\n      - Adele.Vance@contoso.com\n"
        ),
        "{}",
        file(&e, "tenant.yaml")
    );
    // The disabled account left out is excluded from the scope too, in its own part.
    assert!(
        file(&e, "tenant.yaml").contains("not exported: excluded so that no `absent_users`")
            && file(&e, "tenant.yaml").contains("      - disabled@contoso.com\n"),
        "{}",
        file(&e, "tenant.yaml")
    );
    assert!(!file(&e, "users/contoso.com.yaml").contains("upn: adele.vance"));
    assert!(file(&e, "users/fabrikam.com.yaml").contains("upn: other@fabrikam.com"));
    assert!(!file(&e, "users/contoso.com.yaml").contains("disabled@contoso.com"));
}

#[test]
fn no_users_is_an_error() {
    let live = Live::from_parts(LiveParts::default());
    assert_eq!(
        export(&live, &ExportOptions::default()),
        Err(ExportError::NoDomain)
    );
}
