//! Each plan operation's Graph request matches Microsoft's documented request
//! (`tests/graph-examples/`): method, URL (placeholders filled with the
//! operation's ids), the same body keys, and every body value: protocol values
//! as documented, entity data as the plan asked for, `@odata.id` references
//! in the documented shape pointing at the right object.

use std::collections::BTreeMap;
use std::path::PathBuf;

use entraform::apply::request::{Ids, bind_members, for_op};
use entraform::desired::attrs::{Attr, AttrValue};
use entraform::desired::state::{GroupKind, PasswordPolicy};
use entraform::graph::Request;
use entraform::model::{ObjectId, Upn};
use entraform::plan::op::{AttrChange, GroupRef, Op, PrincipalRef, RoleRef, UserRef};
use secrecy::SecretString;
use serde_json::{Value, json};

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

/// What a documented body value must be in our request, by JSON pointer.
enum Want {
    /// Protocol: equal to the documented example's value (`@odata.type`,
    /// `accountEnabled`, `forceChangePasswordNextSignIn`, `roleDefinitionId`, `directoryScopeId`).
    Doc,
    /// Entity data: equal to what the plan asked for (our fixture's value).
    Plan(Value),
    /// An `@odata.id` reference: the documented URL with its `{…}` placeholder
    /// (or trailing object id) replaced by this object id.
    Ref(&'static str),
}

/// Every leaf of a JSON body (scalars and arrays) by JSON pointer.
fn leaves(v: &Value, at: String, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                leaves(x, format!("{at}/{k}"), out);
            }
        }
        _ => {
            out.insert(at, v.clone());
        }
    }
}

/// The documented reference URL pointing at `id` instead of its placeholder.
fn reference(doc: &str, id: &str) -> String {
    let (base, _) = doc.rsplit_once('/').expect("a URL");
    format!("{base}/{id}")
}

/// Compare our request with the documented one: method; URL segment by
/// segment, `{placeholder}` segments taking `url_ids` in order; and the body:
/// the same keys as the docs, each value as `want` says.
fn check(op: &Op, name: &str, url_ids: &[&str], want: &[(&str, Want)]) {
    let ours = for_op(
        op,
        &Known,
        "https://graph.microsoft.com/v1.0",
        Some(&SecretString::from(PASSWORD)),
    )
    .expect("request");
    check_request(&ours, name, url_ids, want);
}

fn check_request(ours: &Request, name: &str, url_ids: &[&str], want: &[(&str, Want)]) {
    let ex = example(name);
    let req = &ex["request"];
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
    let mut ids = url_ids.iter();
    for (d, g) in doc.iter().zip(&got) {
        let expected = if d.starts_with('{') {
            *ids.next()
                .unwrap_or_else(|| panic!("{name}: no id for {d}"))
        } else {
            d
        };
        assert_eq!(
            g, &expected,
            "{name}: segment `{g}` where `{expected}` was due ({d} in the docs)"
        );
    }
    assert!(ids.next().is_none(), "{name}: more ids than placeholders");

    let (mut doc_body, mut our_body) = (BTreeMap::new(), BTreeMap::new());
    if !req["body"].is_null() {
        leaves(&req["body"], String::new(), &mut doc_body);
    }
    if let Some(b) = &ours.body {
        leaves(b, String::new(), &mut our_body);
    }
    let wanted: BTreeMap<&str, &Want> = want.iter().map(|(k, w)| (*k, w)).collect();
    assert_eq!(
        doc_body.keys().map(String::as_str).collect::<Vec<_>>(),
        wanted.keys().copied().collect::<Vec<_>>(),
        "{name}: the test must say how every documented body value is checked"
    );
    assert_eq!(
        our_body.keys().collect::<Vec<_>>(),
        doc_body.keys().collect::<Vec<_>>(),
        "{name}: body keys (ours vs the docs'): {:?}",
        ours.body
    );
    for (pointer, doc_value) in &doc_body {
        let got = &our_body[pointer];
        match wanted[pointer.as_str()] {
            Want::Doc => assert_eq!(
                got, doc_value,
                "{name}: {pointer} (protocol, from the docs)"
            ),
            Want::Plan(v) => assert_eq!(got, v, "{name}: {pointer} (what the plan asked for)"),
            Want::Ref(id) => {
                let expected = match doc_value {
                    Value::Array(refs) => Value::Array(
                        refs.iter()
                            .zip(id.split(','))
                            .map(|(r, id)| json!(reference(r.as_str().unwrap(), id)))
                            .collect(),
                    ),
                    v => json!(reference(v.as_str().unwrap(), id)),
                };
                assert_eq!(
                    got, &expected,
                    "{name}: {pointer} (reference shape from the docs)"
                );
            }
        }
    }
}

/// The initial password our fixture hands to a create.
const PASSWORD: &str = "Initial-Pass-1234!";

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
        &[],
        &[
            ("/accountEnabled", Want::Doc),
            ("/displayName", Want::Plan(json!("Adele Vance"))),
            ("/mailNickname", Want::Plan(json!("AdeleV"))),
            ("/passwordProfile/forceChangePasswordNextSignIn", Want::Doc),
            ("/passwordProfile/password", Want::Plan(json!(PASSWORD))),
            (
                "/userPrincipalName",
                Want::Plan(json!("AdeleV@contoso.com")),
            ),
        ],
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
                    old: Some(AttrValue::Text("18/1000".into())),
                    new: Some(AttrValue::Text("18/2111".into())),
                },
            ],
            keep: Default::default(),
        },
        "update-user.json",
        &["u1"],
        &[
            ("/businessPhones", Want::Plan(json!(["+1 425 555 0109"]))),
            ("/officeLocation", Want::Plan(json!("18/2111"))),
        ],
    );
    check(
        &Op::SetManager {
            user: user("u1"),
            manager: user("m1"),
            previous: None,
        },
        "assign-manager.json",
        &["u1"],
        &[("/@odata.id", Want::Ref("m1"))],
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
        &[],
        &[],
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
        &[],
        &[
            ("/@odata.type", Want::Doc),
            ("/directoryScopeId", Want::Doc),
            ("/principalId", Want::Plan(json!("f8ca5a85"))),
            ("/roleDefinitionId", Want::Doc),
        ],
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
        &[],
        &[],
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
        &["g1", "u1"],
        &[],
    );
    check(
        &Op::AddMember {
            group: group("g1"),
            member: user("u1"),
        },
        "add-group-member-ref.json",
        &["g1"],
        &[("/@odata.id", Want::Ref("u1"))],
    );
    // Several additions to one group travel as one members@odata.bind PATCH.
    let adds: Vec<Request> = ["u1", "u2", "u3"]
        .iter()
        .map(|m| {
            for_op(
                &Op::AddMember {
                    group: group("g1"),
                    member: user(m),
                },
                &Known,
                "https://graph.microsoft.com/v1.0",
                None,
            )
            .expect("request")
        })
        .collect();
    let bind = bind_members(&adds.iter().collect::<Vec<_>>()).expect("a bind PATCH");
    check_request(
        &bind,
        "add-group-members-bind.json",
        &["g1"],
        &[("/members@odata.bind", Want::Ref("u1,u2,u3"))],
    );
    check(
        &Op::RestoreUser { user: user("u1") },
        "restore-deleted-item.json",
        &["u1"],
        &[],
    );
    check(
        &Op::DeleteUser { user: user("u1") },
        "delete-user.json",
        &["u1"],
        &[],
    );
    // The leaver steps `remove_authentication_methods` and `disable_owned_devices`.
    use entraform::model::auth_methods::{AuthMethodKind, AuthMethodRef};
    let method = |kind, id: &str| AuthMethodRef {
        kind,
        id: id.into(),
        phone_type: None,
    };
    check(
        &Op::RemoveAuthenticationMethod {
            user: user("kim@contoso.com"),
            method: method(AuthMethodKind::Fido2, "_jpuR-TGZtk6aQCLF3BQjA2"),
        },
        "lifecycle-delete-fido2method.json",
        &[],
        &[],
    );
    check(
        &Op::RemoveAuthenticationMethod {
            user: user("071cc716-8147-4397-a5ba-b2105951cc0b"),
            method: method(
                AuthMethodKind::TemporaryAccessPass,
                "05267842-25b2-4b21-8abd-8e4982796f7f",
            ),
        },
        "lifecycle-delete-tapmethod.json",
        &[],
        &[],
    );
    check(
        &Op::DisableDevice {
            owner: user("u1"),
            device: entraform::model::devices::DeviceRef {
                id: ObjectId("7c06cd31-7c30-4f3b-a5c3-444cd8dd63ac".into()),
                name: "LAPTOP".into(),
                operating_system: "Windows".into(),
            },
        },
        "lifecycle-device-disable.json",
        &[],
        &[("/accountEnabled", Want::Doc)],
    );
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
        "https://graph.microsoft.com/v1.0",
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
        keep: Default::default(),
    };
    let body = for_op(&op, &Known, "https://graph.microsoft.com/v1.0", None)
        .unwrap()
        .body
        .unwrap();
    assert_eq!(body["mobilePhone"], Value::Null);
    assert_eq!(body["otherMails"], serde_json::json!([]));
    for (op, enabled) in [
        (Op::EnableUser { user: user("u1") }, true),
        (Op::DisableUser { user: user("u1") }, false),
    ] {
        let r = for_op(&op, &Known, "https://graph.microsoft.com/v1.0", None).unwrap();
        assert_eq!((r.method.as_str(), r.url.as_str()), ("PATCH", "/users/u1"));
        assert_eq!(
            r.body,
            Some(serde_json::json!({ "accountEnabled": enabled }))
        );
    }
    let op = Op::CreateGroup {
        name: "M365".into(),
        mail_nickname: "m365".into(),
        description: None,
        kind: GroupKind::Microsoft365,
        owners: Vec::new(),
    };
    let body = for_op(&op, &Known, "https://graph.microsoft.com/v1.0", None)
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
