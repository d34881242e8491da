//! docs/permissions.md against Graph's permission model as the emulator
//! enforces it (issue #15 §1): for every row of the "Per operation" table,
//! the request entraform sends for that operation succeeds with exactly the
//! documented least-privileged permission, and with each "also works"
//! permission alone, and is refused (Graph's 403) without any one permission
//! of the least-privileged grant. The table in the docs is the planner's
//! (`plan::access::LEAST`), and the recommended grants are what the example
//! seed's app is granted.

use std::collections::BTreeMap;

use entraform::apply::request::{Ids, for_op};
use entraform::desired::attrs::{Attr, AttrValue};
use entraform::desired::state::{GroupKind, PasswordPolicy};
use entraform::model::{ObjectId, Upn};
use entraform::plan::access::{KindPermissions, LEAST};
use entraform::plan::op::{
    AttrChange, GroupRef, Holding, Op, OwnerRef, PrincipalRef, RoleRef, RoleScope, UserRef,
};
use graph_emulator::{BackgroundEmulator, EmulatorConfig, Seed};
use secrecy::SecretString;
use serde_json::Value;

use crate::cli_support::root;

const APP: &str = "11111111-1111-4111-8111-111111111111";
const SP: &str = "11111111-0000-4000-8000-0000000000aa";
const PAT: &str = "0a000000-0000-4000-8000-000000000001";
const SAM: &str = "0a000000-0000-4000-8000-000000000002";
const GONE: &str = "0a000000-0000-4000-8000-000000000003";
const TEAM: &str = "0b000000-0000-4000-8000-000000000001";
const ASSIGNMENT: &str = "ra-helpdesk-sam";
const HELPDESK: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
const LAPTOP: &str = "0c000000-0000-4000-8000-000000000001";
const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";

fn seed() -> Seed {
    let y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: {APP}\n    servicePrincipalId: {SP}\n    permissions: all\nusers:\n  - {{ id: {PAT}, userPrincipalName: pat@contoso.com, displayName: Pat, mailNickname: pat, manager: {SAM}, usageLocation: US }}\n  - {{ id: {SAM}, userPrincipalName: sam@contoso.com, displayName: Sam, mailNickname: sam }}\ngroups:\n  - {{ id: {TEAM}, displayName: team, mailNickname: team, members: [{SAM}], owners: [{SAM}, {SP}] }}\nroleAssignments:\n  - {{ id: {ASSIGNMENT}, principalId: {SAM}, roleDefinitionId: Helpdesk Administrator }}\n  - {{ id: ra-sp-user-admin, principalId: {SP}, roleDefinitionId: User Administrator }}\n  - {{ id: ra-sp-device-admin, principalId: {SP}, roleDefinitionId: 7698a772-787b-4ac8-901f-60d6b08affd2 }}\ndeletedUsers:\n  - {{ id: {GONE}, userPrincipalName: gone@contoso.com, displayName: Gone, mailNickname: gone }}\nsubscribedSkus:\n  - {{ skuId: {E3}, skuPartNumber: ENTERPRISEPACK, enabled: 5 }}\ndevices:\n  - {{ id: {LAPTOP}, displayName: LAPTOP-PAT, operatingSystem: Windows, accountEnabled: true, registeredOwners: [{PAT}] }}\nauthenticationMethods:\n  - {{ user: {PAT}, type: phone, phoneType: office, phoneNumber: '+1 2065550100' }}\n"
    );
    Seed::parse(&y).expect("seed")
}

fn user(id: &str, upn: &str) -> UserRef {
    UserRef {
        upn: Upn::new_unchecked(upn),
        id: Some(ObjectId(id.into())),
    }
}

fn team() -> GroupRef {
    GroupRef {
        name: "team".into(),
        id: Some(ObjectId(TEAM.into())),
    }
}

fn change(attr: Attr, v: AttrValue) -> AttrChange {
    AttrChange {
        attr,
        old: None,
        new: Some(v),
    }
}

/// The operations of a row, as the plan would hold them.
fn ops(row: &KindPermissions) -> Vec<Op> {
    let pat = user(PAT, "pat@contoso.com");
    let text = |s: &str| AttrValue::Text(s.into());
    match row.row {
        "create_user" => vec![Op::CreateUser {
            upn: Upn::new_unchecked("new@contoso.com"),
            attributes: BTreeMap::from([
                (Attr::DisplayName, text("New")),
                (Attr::MailNickname, text("new")),
            ]),
            enabled: true,
            password: PasswordPolicy::Generate,
        }],
        "update_user" => vec![Op::UpdateUser {
            user: pat,
            changes: vec![change(Attr::JobTitle, text("Lead"))],
            keep: Default::default(),
        }],
        "update_user (mobilePhone, businessPhones)" => vec![Op::UpdateUser {
            user: pat,
            changes: vec![change(Attr::MobilePhone, text("+1 425 555 0100"))],
            keep: Default::default(),
        }],
        "update_user (otherMails)" => vec![Op::UpdateUser {
            user: pat,
            changes: vec![change(
                Attr::OtherMails,
                AttrValue::List(vec!["pat@example.com".into()]),
            )],
            keep: Default::default(),
        }],
        "update_user (employeeLeaveDateTime)" => vec![Op::UpdateUser {
            user: pat.clone(),
            changes: vec![change(
                Attr::EmployeeLeaveDateTime,
                text("2026-12-01T09:00:00Z"),
            )],
            keep: Default::default(),
        }],
        "reset_password" => vec![Op::ResetPassword {
            user: pat.clone(),
            keep: false,
        }],
        "create_temporary_access_pass" => vec![Op::CreateTemporaryAccessPass {
            user: pat.clone(),
            lifetime_minutes: 60,
            one_time: true,
        }],
        "enable_user, disable_user" => vec![
            Op::DisableUser { user: pat.clone() },
            Op::EnableUser { user: pat },
        ],
        "revoke_sessions" => vec![Op::RevokeSessions { user: pat }],
        "delete_user" => vec![Op::DeleteUser { user: pat }],
        "restore_user" => vec![Op::RestoreUser {
            user: user(GONE, "gone@contoso.com"),
        }],
        "set_manager" => vec![Op::SetManager {
            user: user(SAM, "sam@contoso.com"),
            manager: pat,
            previous: None,
        }],
        "remove_manager" => vec![Op::RemoveManager {
            user: pat,
            previous: PrincipalRef {
                id: ObjectId(SAM.into()),
                upn: None,
            },
        }],
        "create_group" => vec![Op::CreateGroup {
            name: "new-group".into(),
            mail_nickname: "new-group".into(),
            description: None,
            kind: GroupKind::Security,
            // The app may always bind itself (group-post-groups).
            owners: vec![OwnerRef::ServicePrincipal {
                id: ObjectId(SP.into()),
            }],
        }],
        "update_group" => vec![Op::UpdateGroup {
            group: team(),
            old_description: None,
            new_description: Some("The team".into()),
        }],
        "add_member, remove_member" => vec![
            Op::AddMember {
                group: team(),
                member: pat,
            },
            Op::RemoveMember {
                group: team(),
                member: PrincipalRef {
                    id: ObjectId(SAM.into()),
                    upn: None,
                },
            },
        ],
        "add_owner, remove_owner" => vec![
            Op::AddOwner {
                group: team(),
                owner: OwnerRef::User {
                    upn: Upn::new_unchecked("pat@contoso.com"),
                    id: Some(ObjectId(PAT.into())),
                },
            },
            Op::RemoveOwner {
                group: team(),
                owner: PrincipalRef {
                    id: ObjectId(SAM.into()),
                    upn: None,
                },
            },
        ],
        "assign_role, remove_role" => vec![
            Op::AssignRole {
                role: RoleRef {
                    name: "Helpdesk Administrator".into(),
                    definition_id: HELPDESK.into(),
                },
                principal: pat,
            },
            Op::RemoveRole {
                role: RoleRef {
                    name: "Helpdesk Administrator".into(),
                    definition_id: HELPDESK.into(),
                },
                principal: PrincipalRef {
                    id: ObjectId(SAM.into()),
                    upn: None,
                },
                assignment_id: ASSIGNMENT.into(),
            },
        ],
        "rename_user" => vec![Op::RenameUser {
            user: pat,
            new_upn: Upn::new_unchecked("patricia@contoso.com"),
        }],
        "assign_licenses" => vec![Op::AssignLicenses {
            user: pat,
            add: vec![entraform::plan::op::LicenseChange {
                sku_id: E3.into(),
                part_number: "ENTERPRISEPACK".into(),
                disabled_plans: Vec::new(),
            }],
            remove: Vec::new(),
        }],
        "invite_guest" => vec![Op::InviteGuest {
            upn: Upn::new_unchecked("ana_fabrikam.com#EXT#@contoso.onmicrosoft.com"),
            invite: entraform::plan::op::GuestInvite {
                email: "ana@fabrikam.com".into(),
                redirect_url: "https://myapps.microsoft.com".into(),
                message: None,
                send_email: false,
            },
            display_name: None,
        }],
        // A phone: only UserAuthenticationMethod.ReadWrite.All deletes it
        // (phoneauthenticationmethod-delete).
        "remove_authentication_method" => vec![Op::RemoveAuthenticationMethod {
            user: pat,
            method: entraform::model::auth_methods::AuthMethodRef {
                kind: entraform::model::auth_methods::AuthMethodKind::Phone,
                id: "e37fc753-ff3b-4958-9484-eaa9425c82bc".into(),
                phone_type: Some("office".into()),
            },
        }],
        "disable_device" => vec![Op::DisableDevice {
            owner: pat,
            device: entraform::model::devices::DeviceRef {
                id: ObjectId(LAPTOP.into()),
                name: "LAPTOP-PAT".into(),
                operating_system: "Windows".into(),
            },
        }],
        "assign_role_schedule, update_role_schedule, remove_role_schedule (eligible)" => {
            schedule_ops(pat, Holding::Eligible)
        }
        "assign_role_schedule, update_role_schedule, remove_role_schedule (active)" => {
            schedule_ops(pat, Holding::Active)
        }
        other => panic!("no sample operation for row `{other}`: add one"),
    }
}

/// PIM: pat is given Helpdesk Administrator (eligible or time-bound
/// active), its end is moved, then it is removed — in that order.
fn schedule_ops(pat: UserRef, holding: Holding) -> Vec<Op> {
    let role = RoleRef {
        name: "Helpdesk Administrator".into(),
        definition_id: HELPDESK.into(),
    };
    let principal = PrincipalRef {
        id: ObjectId(PAT.into()),
        upn: None,
    };
    vec![
        Op::AssignRoleSchedule {
            role: role.clone(),
            principal: pat,
            holding,
            scope: RoleScope::tenant(),
            until: Some("2099-03-31".into()),
            justification: None,
        },
        Op::UpdateRoleSchedule {
            role: role.clone(),
            principal: principal.clone(),
            holding,
            scope: RoleScope::tenant(),
            old_until: Some("2099-03-31".into()),
            until: Some("2099-06-30".into()),
            justification: None,
        },
        Op::RemoveRoleSchedule {
            role,
            principal,
            holding,
            scope: RoleScope::tenant(),
            until: Some("2099-06-30".into()),
        },
    ]
}

struct Known;
impl Ids for Known {
    fn user(&self, r: &UserRef) -> Option<ObjectId> {
        r.id.clone()
    }
    fn group(&self, r: &GroupRef) -> Option<ObjectId> {
        r.id.clone()
    }
}

/// Send `op`'s request (as apply builds it) with a token granted exactly `grants`.
fn send(emu: &BackgroundEmulator, op: &Op, grants: &[&str]) -> (u16, Value) {
    let pw = SecretString::from("Xy7!abcdefghijkmnopq".to_string());
    let req = for_op(op, &Known, "https://graph.microsoft.com/v1.0", Some(&pw)).expect("request");
    let token = emu.issue_token_with(APP, grants);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut rb = reqwest::Client::new()
            .request(
                req.method.clone(),
                format!("{}{}", emu.graph_url(), req.url),
            )
            .bearer_auth(token);
        if let Some(b) = &req.body {
            rb = rb.json(b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    })
}

#[test]
fn every_documented_operation_needs_exactly_its_documented_permission() {
    for row in LEAST {
        let ops = ops(row);
        for op in &ops {
            assert!(
                row.kinds.contains(&op.kind()),
                "{}: sample {}",
                row.row,
                op.kind()
            );
        }
        // Without any one permission of the least-privileged grant: 403.
        let emu = BackgroundEmulator::start(seed(), EmulatorConfig::default()).unwrap();
        let before = emu.state();
        for missing in row.least {
            let grants: Vec<&str> = row.least.iter().copied().filter(|p| p != missing).collect();
            for op in &ops {
                let (status, body) = send(&emu, op, &grants);
                assert_eq!(
                    (status, body["error"]["code"].as_str()),
                    (403, Some("Authorization_RequestDenied")),
                    "{} without {missing}: {body}",
                    op.kind()
                );
            }
        }
        // Nothing was written by the refusals.
        assert_eq!(emu.state(), before, "{}", row.row);
        // With exactly the least-privileged grant, and with each higher one alone: done.
        let grants: Vec<Vec<&str>> = std::iter::once(row.least.to_vec())
            .chain(row.also.iter().map(|p| vec![*p]))
            .collect();
        for g in grants {
            let emu = BackgroundEmulator::start(seed(), EmulatorConfig::default()).unwrap();
            for op in &ops {
                let (status, body) = send(&emu, op, &g);
                assert!(
                    (200..300).contains(&status),
                    "{} with {g:?}: {status} {body}",
                    op.kind()
                );
            }
        }
    }
}

/// The "Per operation" table of docs/permissions.md, as rows of cells.
fn docs_table(begin: &str) -> Vec<Vec<String>> {
    let docs = std::fs::read_to_string(root().join("docs/permissions.md")).unwrap();
    let start = docs
        .find(begin)
        .unwrap_or_else(|| panic!("{begin} in docs"));
    let end = docs[start..].find("<!-- end").unwrap() + start;
    docs[start..end]
        .lines()
        .filter(|l| {
            l.starts_with("| ") && !l.starts_with("| Operation") && !l.starts_with("| Permission")
        })
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

fn ticked(items: &[&str], sep: &str) -> String {
    if items.is_empty() {
        return "—".into();
    }
    items
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(sep)
}

#[test]
fn the_docs_table_is_the_planners() {
    let rows = docs_table("<!-- begin operations -->");
    let want: Vec<Vec<String>> = LEAST
        .iter()
        .map(|r| {
            let mut name = ticked(r.kinds, ", ");
            if let Some((_, detail)) = r.row.split_once(" (") {
                name = format!("{name} ({detail}");
            }
            vec![
                name,
                ticked(r.least, " + "),
                ticked(r.also, ", "),
                r.role.to_string(),
            ]
        })
        .collect();
    assert_eq!(rows, want);
}

#[test]
fn the_recommended_grants_are_documented_and_granted_to_the_example_app() {
    let want: Vec<String> = entraform::live::permissions::recommended_grants()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let documented: Vec<String> = docs_table("<!-- begin recommended grants -->")
        .iter()
        .map(|r| r[0].trim_matches('`').to_string())
        .collect();
    assert_eq!(documented, want, "docs/permissions.md, What to grant");
    let seed = Seed::from_file(&root().join("examples/seed.yaml")).unwrap();
    assert_eq!(
        seed.applications[0].permissions,
        Some(graph_emulator::seed::Grants::List(want)),
        "examples/seed.yaml"
    );
}
