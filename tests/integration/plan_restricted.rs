//! Members of restricted management administrative units, end to end through
//! the library: emulator seed → live read → plan. Operations a tenant-scope
//! app would get 403 for are not planned; each object gets one `restricted-au`
//! notice naming the unit and what was left out; everything else is planned.

use std::path::PathBuf;

use entraform::desired::DesiredState;
use entraform::desired::load::load_texts;
use entraform::desired::source::SourceMap;
use entraform::emulator::{
    BackgroundEmulator, EmulatorConfig, FaultConfig, SYNTHETIC_CLIENT_ID, SYNTHETIC_CLIENT_SECRET,
    Seed,
};
use entraform::graph::{AuthConfig, ClientOptions, Cloud, Credential, GraphClient, RetryPolicy};
use entraform::live::{Live, ReadOptions, read_live};
use entraform::model::ObjectId;
use entraform::plan::{self, GateOverrides, Op, Plan};
use secrecy::SecretString;
use serde_json::json;

const CEO: &str = "a0000000-0000-4000-8000-000000000001";
const ASSISTANT: &str = "a0000000-0000-4000-8000-000000000002";
const ADELE: &str = "a0000000-0000-4000-8000-000000000003";
const FINANCE: &str = "b0000000-0000-4000-8000-000000000001";
const LEADERSHIP: &str = "b0000000-0000-4000-8000-000000000002";
const HELPDESK: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

fn seed() -> Seed {
    serde_json::from_value(json!({
        "tenant": { "domains": ["contoso.com"] },
        "applications": [{ "appId": SYNTHETIC_CLIENT_ID, "displayName": "entraform",
                           "clientSecrets": [SYNTHETIC_CLIENT_SECRET],
                           "permissions": entraform::live::permissions::recommended_grants() }],
        "users": [
            { "id": CEO, "userPrincipalName": "ceo@contoso.com", "displayName": "Chief",
              "jobTitle": "CEO", "mailNickname": "ceo" },
            { "id": ASSISTANT, "userPrincipalName": "assistant@contoso.com",
              "displayName": "Assistant", "mailNickname": "assistant" },
            { "id": ADELE, "userPrincipalName": "adele@contoso.com", "displayName": "Adele",
              "jobTitle": "Engineer", "mailNickname": "adele" }
        ],
        "groups": [
            { "id": FINANCE, "displayName": "finance-data", "mailNickname": "finance-data" },
            { "id": LEADERSHIP, "displayName": "leadership", "mailNickname": "leadership",
              "members": [ADELE] }
        ],
        "administrativeUnits": [
            { "displayName": "Executives", "isMemberManagementRestricted": true,
              "members": ["ceo@contoso.com", "assistant@contoso.com", FINANCE] },
            { "displayName": "Seattle", "members": ["adele@contoso.com"] }
        ]
    }))
    .expect("valid seed")
}

/// The CEO differs in title, manager, a role and a group;
/// the assistant is absent (absent_users: disable); finance-data gains a
/// member; Adele (in an ordinary unit) gets a new title.
const REPO: &str = "\
tenant:
  domain: contoso.com
  scope:
    users: all
  absent_users: disable
users:
  - upn: ceo
    displayName: Chief
    jobTitle: Chief Executive Officer
    manager: adele
  - upn: adele
    displayName: Adele
    jobTitle: Staff Engineer
groups:
  - name: finance-data
    members: [adele]
  - name: leadership
    members: [adele, ceo]
roles:
  - role: Helpdesk Administrator
    principals: [ceo, adele]
";

fn desired(yaml: &str) -> DesiredState {
    let loaded = load_texts(
        vec![(PathBuf::from("t.yaml"), yaml.to_string())],
        &mut SourceMap::default(),
        Vec::new(),
    );
    match loaded.result {
        Ok((s, _)) => s,
        Err(d) => panic!("invalid test repo: {d:#?}"),
    }
}

fn read(emu: &BackgroundEmulator) -> Live {
    let auth = AuthConfig {
        tenant_id: emu.tenant_id(),
        client_id: SYNTHETIC_CLIENT_ID.into(),
        cloud: Cloud::custom(emu.base_url()).unwrap(),
        credential: Credential::Secret(SecretString::from(SYNTHETIC_CLIENT_SECRET)),
    };
    let options = ClientOptions {
        retry: RetryPolicy::fast(),
        ..ClientOptions::default()
    };
    let client = GraphClient::new(auth, options).unwrap();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(read_live(&client, &ReadOptions::default()))
        .expect("read")
}

/// The existing object an operation writes to (the group for memberships).
fn written(op: &Op) -> Option<String> {
    let id = |o: &Option<ObjectId>| o.as_ref().map(|i| i.0.clone());
    match op {
        Op::UpdateUser { user, .. }
        | Op::EnableUser { user }
        | Op::DisableUser { user }
        | Op::RevokeSessions { user }
        | Op::DeleteUser { user }
        | Op::SetManager { user, .. }
        | Op::RemoveManager { user, .. } => id(&user.id),
        Op::AssignRole { principal, .. } => id(&principal.id),
        Op::RemoveRole { principal, .. } => Some(principal.id.0.clone()),
        Op::UpdateGroup { group, .. }
        | Op::AddMember { group, .. }
        | Op::RemoveMember { group, .. } => id(&group.id),
        _ => None,
    }
}

fn plan_for(emu: &BackgroundEmulator) -> Plan {
    plan::build(&desired(REPO), &read(emu), &GateOverrides::default())
}

#[test]
fn restricted_members_are_listed_not_planned() {
    let emu = BackgroundEmulator::start(seed(), EmulatorConfig::default()).unwrap();
    let p = plan_for(&emu);
    assert!(p.errors.is_empty(), "{:?}", p.errors);

    // No operation writes to a restricted object.
    for s in &p.steps {
        let w = written(&s.op);
        assert!(
            !matches!(w.as_deref(), Some(CEO | ASSISTANT | FINANCE)),
            "planned a write to a restricted object: {:?}",
            s.op
        );
    }

    // One notice per restricted object, naming the unit and what was left out.
    let notice = |object: &str| {
        let n: Vec<_> = p
            .notices
            .iter()
            .filter(|n| n.code == "restricted-au" && n.object == object)
            .collect();
        assert_eq!(n.len(), 1, "one notice for {object}: {:?}", p.notices);
        n[0].message.clone()
    };
    let ceo = notice("ceo@contoso.com");
    assert!(
        ceo.contains("cannot be changed by this principal")
            && ceo.contains("restricted administrative unit `Executives`")
            && ceo.contains("AU-scoped administrator"),
        "{ceo}"
    );
    for kind in ["update_user", "set_manager", "assign_role"] {
        assert!(ceo.contains(kind), "{kind} in {ceo}");
    }
    let assistant = notice("assistant@contoso.com");
    assert!(
        assistant.contains("disable_user") && assistant.contains("revoke_sessions"),
        "{assistant}"
    );
    let finance = notice("group:finance-data");
    assert!(finance.contains("add_member"), "{finance}");
    assert_eq!(
        p.notices
            .iter()
            .filter(|n| n.code == "restricted-au")
            .count(),
        3
    );

    // Everything else is planned: Adele's update and role, and adding the CEO
    // to an ordinary group (Graph allows it: the group is written, not him).
    let has = |f: &dyn Fn(&Op) -> bool| p.steps.iter().any(|s| f(&s.op));
    assert!(has(
        &|op| matches!(op, Op::UpdateUser { user, .. } if user.upn.as_str() == "adele@contoso.com")
    ));
    assert!(has(
        &|op| matches!(op, Op::AssignRole { principal, role } if principal.upn.as_str() == "adele@contoso.com" && role.definition_id == HELPDESK)
    ));
    assert!(has(
        &|op| matches!(op, Op::AddMember { group, member } if group.name == "leadership" && member.upn.as_str() == "ceo@contoso.com")
    ));
    assert_eq!(p.summary.disable, 0, "{:?}", p.summary);
    assert!(
        !p.notices.iter().any(|n| n.code == "restricted-au-unknown"),
        "{:?}",
        p.notices
    );
}

#[test]
fn unreadable_units_are_reported_once_and_do_not_hide_changes() {
    let faults = FaultConfig {
        deny_paths: vec!["/directory/administrativeUnits".into()],
        ..FaultConfig::default()
    };
    let emu = BackgroundEmulator::start(
        seed(),
        EmulatorConfig {
            faults,
            ..EmulatorConfig::default()
        },
    )
    .unwrap();
    let p = plan_for(&emu);
    let unknown: Vec<_> = p
        .notices
        .iter()
        .filter(|n| n.code == "restricted-au-unknown")
        .collect();
    assert_eq!(unknown.len(), 1, "{:?}", p.notices);
    assert!(
        unknown[0].message.contains("AdministrativeUnit.Read.All"),
        "{}",
        unknown[0].message
    );
    assert!(!p.notices.iter().any(|n| n.code == "restricted-au"));
    // Not knowing, the plan keeps the CEO's changes (apply would meet the 403).
    assert!(
        p.steps
            .iter()
            .any(|s| written(&s.op).as_deref() == Some(CEO))
    );
}

/// The other half of the operations: enable, remove manager, remove role,
/// delete (absent_users: delete), a restricted group's description and a
/// member removal.
#[test]
fn removals_and_deletes_of_restricted_objects_are_withheld_too() {
    let mut v = serde_json::to_value(seed()).unwrap();
    v["applications"][0]["clientSecrets"] = json!([SYNTHETIC_CLIENT_SECRET]);
    v["users"][0]["manager"] = json!(ADELE);
    v["users"][0]["accountEnabled"] = json!(false);
    v["groups"][0]["members"] = json!([ADELE]);
    v["roleAssignments"] = json!([{ "principalId": CEO, "roleDefinitionId": HELPDESK }]);
    let seed: Seed = serde_json::from_value(v).unwrap();
    let emu = BackgroundEmulator::start(seed, EmulatorConfig::default()).unwrap();
    let repo = "\
tenant:
  domain: contoso.com
  scope:
    users: all
  absent_users: delete
users:
  - upn: ceo
    manager: null
    enabled: true
  - upn: adele
groups:
  - name: finance-data
    description: Finance data
    members: []
roles:
  - role: Helpdesk Administrator
    principals: [adele]
";
    let p = plan::build(&desired(repo), &read(&emu), &GateOverrides::default());
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    for s in &p.steps {
        assert!(
            !matches!(written(&s.op).as_deref(), Some(CEO | ASSISTANT | FINANCE)),
            "planned a write to a restricted object: {:?}",
            s.op
        );
    }
    let message = |object: &str| {
        p.notices
            .iter()
            .find(|n| n.code == "restricted-au" && n.object == object)
            .map(|n| n.message.clone())
            .unwrap_or_else(|| panic!("no notice for {object}: {:?}", p.notices))
    };
    let ceo = message("ceo@contoso.com");
    for kind in ["enable_user", "remove_manager", "remove_role"] {
        assert!(ceo.contains(kind), "{kind} in {ceo}");
    }
    assert!(message("assistant@contoso.com").contains("delete_user"));
    let finance = message("group:finance-data");
    assert!(
        finance.contains("update_group") && finance.contains("remove_member"),
        "{finance}"
    );
    assert_eq!(p.summary.delete, 0);
    // Adele is not restricted: she gets the role.
    assert!(p.steps.iter().any(|s| matches!(&s.op,
        Op::AssignRole { principal, .. } if principal.upn.as_str() == "adele@contoso.com")));
}
