//! Each plan operation's Graph request matches Microsoft's documented request
//! (`tests/graph-examples/`): method, URL shape and body keys.

use std::collections::BTreeMap;
use std::path::PathBuf;

use entraform::apply::request::{Ids, for_op};
use entraform::desired::attrs::{Attr, AttrValue};
use entraform::desired::state::{GroupKind, PasswordPolicy};
use entraform::model::{ObjectId, Upn};
use entraform::plan::op::{AttrChange, GroupRef, Op, PrincipalRef, RoleRef, UserRef};
use secrecy::SecretString;
use serde_json::Value;

struct Known;
impl Ids for Known {
    fn user(&self, r: &UserRef) -> Option<ObjectId> {
        r.id.clone()
    }
    fn group(&self, r: &GroupRef) -> Option<ObjectId> {
        r.id.clone()
    }
}

fn example(name: &str) -> Value {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/graph-examples");
    let text = std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("{name}: {e} (shared/ must sit beside the repo)"));
    serde_json::from_str(&text).expect("example JSON")
}

fn user(id: &str) -> UserRef {
    UserRef {
        upn: Upn::new_unchecked(format!("{id}@contoso.com")),
        id: Some(ObjectId(id.into())),
    }
}

fn group(id: &str) -> GroupRef {
    GroupRef {
        name: "team".into(),
        id: Some(ObjectId(id.into())),
    }
}

/// Compare our request with the documented one: `{placeholder}` segments match anything.
fn check(op: &Op, name: &str) {
    let ex = example(name);
    let req = &ex["request"];
    let ours = for_op(
        op,
        &Known,
        "https://graph.microsoft.com",
        Some(&SecretString::from("Initial-Pass-1234!")),
    )
    .expect("request");
    assert_eq!(
        ours.method,
        req["method"].as_str().unwrap(),
        "{name}: method"
    );
    let doc_path = req["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("https://graph.microsoft.com/v1.0");
    let doc: Vec<&str> = doc_path.split('/').collect();
    let got: Vec<&str> = ours.url.split('/').collect();
    assert_eq!(doc.len(), got.len(), "{name}: {doc_path} vs {}", ours.url);
    for (d, g) in doc.iter().zip(&got) {
        assert!(
            d.starts_with('{') || d == g,
            "{name}: segment `{g}` where the docs have `{d}`"
        );
    }
    match (&req["body"], &ours.body) {
        (Value::Null, None) => {}
        (Value::Object(d), Some(Value::Object(g))) => {
            let dk: Vec<&String> = d.keys().collect();
            let gk: Vec<&String> = g.keys().collect();
            for k in &dk {
                assert!(
                    g.contains_key(*k),
                    "{name}: body lacks `{k}` (ours: {gk:?})"
                );
            }
            if let (Some(Value::String(d)), Some(Value::String(g))) =
                (d.get("@odata.id"), g.get("@odata.id"))
            {
                let prefix = d.split('{').next().unwrap_or_default();
                assert!(g.starts_with(prefix), "{name}: @odata.id {g} vs {d}");
            }
        }
        (d, g) => panic!("{name}: body {d} vs {g:?}"),
    }
}

#[test]
fn requests_match_microsofts_examples() {
    let mut attributes = BTreeMap::new();
    attributes.insert(Attr::DisplayName, AttrValue::Text("Adele Vance".into()));
    attributes.insert(Attr::MailNickname, AttrValue::Text("AdeleV".into()));
    check(
        &Op::CreateUser {
            upn: Upn::new_unchecked("AdeleV@contoso.com"),
            attributes,
            enabled: true,
            password: PasswordPolicy::Generate,
        },
        "create-user.json",
    );
    check(
        &Op::UpdateUser {
            user: user("u1"),
            changes: vec![
                AttrChange {
                    attr: Attr::BusinessPhones,
                    old: None,
                    new: Some(AttrValue::List(vec!["+1 425 555 0109".into()])),
                },
                AttrChange {
                    attr: Attr::OfficeLocation,
                    old: None,
                    new: Some(AttrValue::Text("18/2111".into())),
                },
            ],
        },
        "update-user.json",
    );
    check(
        &Op::SetManager {
            user: user("u1"),
            manager: user("m1"),
            previous: None,
        },
        "assign-manager.json",
    );
    check(
        &Op::RemoveManager {
            user: user("10f17b99-784c-4526-8747-aec8a3159d6a"),
            previous: PrincipalRef {
                id: ObjectId("m1".into()),
                upn: None,
            },
        },
        "remove-manager.json",
    );
    let ga = RoleRef {
        name: "Global Administrator".into(),
        definition_id: "c2cf284d-6c41-4e6b-afac-4b80928c9034".into(),
    };
    check(
        &Op::AssignRole {
            role: ga.clone(),
            principal: user("f8ca5a85"),
        },
        "create-role-assignment.json",
    );
    check(
        &Op::RemoveRole {
            role: ga,
            principal: PrincipalRef {
                id: ObjectId("p".into()),
                upn: None,
            },
            assignment_id: "lAPpYvVpN0KRkAEhdxReEJC2sEqbR_9Hr48lds9SGHI-1".into(),
        },
        "delete-role-assignment.json",
    );
    check(
        &Op::RemoveMember {
            group: group("g1"),
            member: PrincipalRef {
                id: ObjectId("u1".into()),
                upn: None,
            },
        },
        "remove-group-member.json",
    );
    check(
        &Op::AddMember {
            group: group("g1"),
            member: user("u1"),
        },
        "add-group-member-ref.json",
    );
    check(
        &Op::RestoreUser { user: user("u1") },
        "restore-deleted-item.json",
    );
    check(&Op::DeleteUser { user: user("u1") }, "delete-user.json");
}

#[test]
fn create_user_forces_a_password_change_and_clears_use_graphs_empty_values() {
    let op = Op::CreateUser {
        upn: Upn::new_unchecked("new@contoso.com"),
        attributes: BTreeMap::from([
            (Attr::DisplayName, AttrValue::Text("New".into())),
            (Attr::MailNickname, AttrValue::Text("new".into())),
        ]),
        enabled: true,
        password: PasswordPolicy::Generate,
    };
    let r = for_op(
        &op,
        &Known,
        "https://graph.microsoft.com",
        Some(&SecretString::from("Initial-Pass-1234!")),
    )
    .unwrap();
    let body = r.body.unwrap();
    assert_eq!(
        body["passwordProfile"]["forceChangePasswordNextSignIn"],
        true
    );
    assert_eq!(body["accountEnabled"], true);
    let op = Op::UpdateUser {
        user: user("u1"),
        changes: vec![
            AttrChange {
                attr: Attr::MobilePhone,
                old: Some(AttrValue::Text("1".into())),
                new: None,
            },
            AttrChange {
                attr: Attr::OtherMails,
                old: Some(AttrValue::List(vec!["a@b.c".into()])),
                new: None,
            },
        ],
    };
    let body = for_op(&op, &Known, "https://graph.microsoft.com", None)
        .unwrap()
        .body
        .unwrap();
    assert_eq!(body["mobilePhone"], Value::Null);
    assert_eq!(body["otherMails"], serde_json::json!([]));
    let op = Op::CreateGroup {
        name: "M365".into(),
        mail_nickname: "m365".into(),
        description: None,
        kind: GroupKind::Microsoft365,
    };
    let body = for_op(&op, &Known, "https://graph.microsoft.com", None)
        .unwrap()
        .body
        .unwrap();
    assert_eq!(body["groupTypes"], serde_json::json!(["Unified"]));
    assert_eq!(
        (
            body["mailEnabled"].as_bool(),
            body["securityEnabled"].as_bool()
        ),
        (Some(true), Some(false))
    );
}
