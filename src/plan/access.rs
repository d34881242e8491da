//! Which steps Graph would refuse to the principal entraform runs as (pure).
//!
//! Graph authorizes an app-only call by the access token's `roles` claim
//! (the application permissions granted) against the API's permission
//! table, and sensitive actions on privileged users also by the calling
//! service principal's directory roles ([`crate::model::sensitive_actions`]). The
//! plan knows both (the reader decodes the token's `roles`; role
//! assignments are read anyway), so a step Graph would refuse is reported
//! at plan time — an *unappliable* step — instead of surfacing as a 403
//! halfway through apply. Unappliable steps are plan errors: the plan exits
//! 1 and apply refuses it (docs/plan-format.md).
//!
//! The tables are Microsoft's ([`crate::model::permissions`]); the emulator
//! enforces the same ones, and a test checks every row of
//! docs/permissions.md against it.

#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::{BTreeMap, HashSet};

use super::Step;
use super::op::{Holding, Op, OwnerRef, PlanError};
use crate::model::ObjectId;
use crate::model::attrs::Attr;
use crate::model::live::Live;
use crate::model::permissions::{self as table, AnyOf};
use crate::model::sensitive_actions::{self, Table, Target};

/// The least-privileged grant of each kind of operation, as
/// docs/permissions.md lists it (one row each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindPermissions {
    /// The row's name: the operation kind(s), maybe with the attributes it is about.
    pub row: &'static str,
    /// The operation kinds (`Op::kind`) of the row.
    pub kinds: &'static [&'static str],
    /// The least-privileged application permissions: all of these.
    pub least: &'static [&'static str],
    /// Higher permissions that also work (each alone).
    pub also: &'static [&'static str],
    /// The directory role the app's service principal needs, in words.
    pub role: &'static str,
}

/// `POST /users/{id}/authentication/temporaryAccessPassMethods`
/// (authentication-post-temporaryaccesspassmethods). The 2025 page's
/// application table repeats the List table's read permissions (a generator
/// error); the write permissions are the stricter reading, as the emulator's.
pub const TAP_CREATE: AnyOf = crate::graph_any![
    ["UserAuthMethod-TAP.ReadWrite.All"],
    ["UserAuthenticationMethod.ReadWrite.All"]
];

/// `DELETE /users/{id}/authentication/{type}Methods/{id}`: each type's page
/// (phoneauthenticationmethod-delete, microsoftauthenticatorauthenticationmethod-delete,
/// fido2authenticationmethod-delete, softwareoathauthenticationmethod-delete,
/// emailauthenticationmethod-delete, windowshelloforbusinessauthenticationmethod-delete,
/// temporaryaccesspassauthenticationmethod-delete), as the emulator's table:
/// `UserAuthenticationMethod.ReadWrite.All` for every type, or the type's own permission.
pub fn method_delete_rule(kind: crate::model::auth_methods::AuthMethodKind) -> AnyOf {
    use crate::model::auth_methods::AuthMethodKind as K;
    match kind {
        K::Phone | K::Email => crate::graph_any![["UserAuthenticationMethod.ReadWrite.All"]],
        K::MicrosoftAuthenticator => crate::graph_any![
            ["UserAuthMethod-MicrosoftAuthApp.ReadWrite.All"],
            ["UserAuthenticationMethod.ReadWrite.All"]
        ],
        K::Fido2 => crate::graph_any![
            ["UserAuthMethod-Passkey.ReadWrite.All"],
            ["UserAuthenticationMethod.ReadWrite.All"]
        ],
        K::SoftwareOath => crate::graph_any![
            ["UserAuthMethod-SoftwareOATH.ReadWrite.All"],
            ["UserAuthenticationMethod.ReadWrite.All"]
        ],
        K::WindowsHelloForBusiness => crate::graph_any![
            ["UserAuthMethod-WindowsHello.ReadWrite.All"],
            ["UserAuthenticationMethod.ReadWrite.All"]
        ],
        K::TemporaryAccessPass => crate::graph_any![
            ["UserAuthMethod-TAP.ReadWrite.All"],
            ["UserAuthenticationMethod.ReadWrite.All"]
        ],
    }
}

/// One row per kind of operation entraform plans (docs/permissions.md, "Per operation").
pub const LEAST: &[KindPermissions] = &[
    KindPermissions {
        row: "create_user",
        kinds: &["create_user"],
        least: &["User.Create"],
        also: &["User.ReadWrite.All", "Directory.ReadWrite.All"],
        role: "none",
    },
    KindPermissions {
        row: "update_user",
        kinds: &["update_user"],
        least: &["User.ReadUpdate.All"],
        also: &["User.ReadWrite.All", "Directory.ReadWrite.All"],
        role: "none (employeeHireDate: no application may update it)",
    },
    KindPermissions {
        row: "update_user (mobilePhone, businessPhones)",
        kinds: &["update_user"],
        least: &["User-Phone.ReadWrite.All"],
        also: &["User.ReadWrite.All", "Directory.ReadWrite.All"],
        role: "sensitive actions, for a user holding an admin role",
    },
    KindPermissions {
        row: "update_user (otherMails)",
        kinds: &["update_user"],
        least: &["User-Mail.ReadWrite.All"],
        also: &["User.ReadWrite.All", "Directory.ReadWrite.All"],
        role: "sensitive actions, for a user holding an admin role",
    },
    KindPermissions {
        row: "update_user (employeeLeaveDateTime)",
        kinds: &["update_user"],
        least: &["User-LifeCycleInfo.ReadWrite.All", "User.Read.All"],
        also: &[],
        role: "none",
    },
    KindPermissions {
        row: "enable_user, disable_user",
        kinds: &["enable_user", "disable_user"],
        least: &["User.EnableDisableAccount.All", "User.Read.All"],
        also: &["User.ReadWrite.All", "Directory.ReadWrite.All"],
        role: "sensitive actions, for a user holding an admin role",
    },
    KindPermissions {
        row: "revoke_sessions",
        kinds: &["revoke_sessions"],
        least: &["User.RevokeSessions.All"],
        also: &[],
        role: "reset passwords, for a user holding an admin role",
    },
    KindPermissions {
        row: "reset_password",
        kinds: &["reset_password"],
        least: &["User-PasswordProfile.ReadWrite.All"],
        also: &["User.ReadWrite.All", "Directory.ReadWrite.All"],
        role: "User Administrator (or Privileged Authentication Administrator, Global Administrator); reset passwords, for a user holding an admin role",
    },
    KindPermissions {
        row: "create_temporary_access_pass",
        kinds: &["create_temporary_access_pass"],
        least: &["UserAuthMethod-TAP.ReadWrite.All"],
        also: &["UserAuthenticationMethod.ReadWrite.All"],
        role: "none",
    },
    KindPermissions {
        row: "delete_user",
        kinds: &["delete_user"],
        least: &["User.DeleteRestore.All"],
        also: &["User.ReadWrite.All"],
        role: "sensitive actions, for a user holding an admin role",
    },
    KindPermissions {
        row: "restore_user",
        kinds: &["restore_user"],
        least: &["User.DeleteRestore.All"],
        also: &[],
        role: "none",
    },
    KindPermissions {
        row: "set_manager",
        kinds: &["set_manager"],
        least: &["User.ReadWrite.All"],
        also: &["Directory.ReadWrite.All"],
        role: "none",
    },
    KindPermissions {
        row: "remove_manager",
        kinds: &["remove_manager"],
        least: &["User.ReadWrite.All"],
        also: &["Directory.ReadWrite.All"],
        role: "none",
    },
    KindPermissions {
        row: "create_group",
        kinds: &["create_group"],
        least: &["Group.Create"],
        also: &["Group.ReadWrite.All", "Directory.ReadWrite.All"],
        role: "none (user owners: also User.Read.All)",
    },
    KindPermissions {
        row: "update_group",
        kinds: &["update_group"],
        least: &["Group.ReadWrite.All"],
        also: &["Directory.ReadWrite.All"],
        role: "none",
    },
    KindPermissions {
        row: "add_member, remove_member",
        kinds: &["add_member", "remove_member"],
        least: &["GroupMember.ReadWrite.All"],
        also: &["Group.ReadWrite.All", "Directory.ReadWrite.All"],
        role: "none (role-assignable group: also RoleManagement.ReadWrite.Directory)",
    },
    KindPermissions {
        row: "add_owner, remove_owner",
        kinds: &["add_owner", "remove_owner"],
        least: &["Group.ReadWrite.All"],
        also: &["Directory.ReadWrite.All"],
        role: "none",
    },
    KindPermissions {
        row: "assign_role, remove_role",
        kinds: &["assign_role", "remove_role"],
        least: &["RoleManagement.ReadWrite.Directory"],
        also: &[],
        role: "none",
    },
    KindPermissions {
        row: "rename_user",
        kinds: &["rename_user"],
        least: &["User.ReadUpdate.All"],
        also: &["User.ReadWrite.All", "Directory.ReadWrite.All"],
        role: "sensitive actions, for a user holding an admin role",
    },
    KindPermissions {
        row: "assign_licenses",
        kinds: &["assign_licenses"],
        least: &["LicenseAssignment.ReadWrite.All"],
        also: &["User.ReadWrite.All", "Directory.ReadWrite.All"],
        role: "none",
    },
    // invitation-post (entra-data's INVITE).
    KindPermissions {
        row: "invite_guest",
        kinds: &["invite_guest"],
        least: &["User.Invite.All"],
        also: &["User.ReadWrite.All", "Directory.ReadWrite.All"],
        role: "none",
    },
    // The per-type DELETE pages (see `method_delete_rule`); one type's own
    // permission (e.g. UserAuthMethod-Passkey.ReadWrite.All) covers that type only.
    KindPermissions {
        row: "remove_authentication_method",
        kinds: &["remove_authentication_method"],
        least: &["UserAuthenticationMethod.ReadWrite.All"],
        also: &[],
        role: "none (app-only; the roles the pages list are for delegated callers)",
    },
    // device-update (entra-data DEVICE_UPDATE, DEVICE_ENABLE_ROLES).
    KindPermissions {
        row: "disable_device",
        kinds: &["disable_device"],
        least: &["Device.ReadWrite.All"],
        also: &["Directory.ReadWrite.All"],
        role: "Cloud Device Administrator (or Global Administrator), always",
    },
    // PIM (issue #16): rbacapplication-post-roleeligibilityschedulerequests,
    // rbacapplication-post-roleassignmentschedulerequests (entra-data's
    // PIM_ELIGIBILITY_WRITE / PIM_ASSIGNMENT_WRITE).
    KindPermissions {
        row: "assign_role_schedule, update_role_schedule, remove_role_schedule (eligible)",
        kinds: &[
            "assign_role_schedule",
            "update_role_schedule",
            "remove_role_schedule",
        ],
        least: &["RoleEligibilitySchedule.ReadWrite.Directory"],
        also: &["RoleManagement.ReadWrite.Directory"],
        role: "none",
    },
    KindPermissions {
        row: "assign_role_schedule, update_role_schedule, remove_role_schedule (active)",
        kinds: &[
            "assign_role_schedule",
            "update_role_schedule",
            "remove_role_schedule",
        ],
        least: &["RoleAssignmentSchedule.ReadWrite.Directory"],
        also: &["RoleManagement.ReadWrite.Directory"],
        role: "none",
    },
];

impl KindPermissions {
    /// The alternatives Graph accepts for this row (its table; the first is [`KindPermissions::least`];
    /// none for a row this match does not name).
    pub fn rule(&self) -> AnyOf {
        match self.row {
            "create_user" => table::USER_CREATE,
            "update_user (mobilePhone, businessPhones)" => table::user_property_rule("mobilePhone"),
            "update_user (otherMails)" => table::user_property_rule("otherMails"),
            "update_user (employeeLeaveDateTime)" => {
                table::user_property_rule("employeeLeaveDateTime")
            }
            "enable_user, disable_user" => table::user_property_rule("accountEnabled"),
            "revoke_sessions" => table::REVOKE,
            "reset_password" => table::user_property_rule("passwordProfile"),
            "create_temporary_access_pass" => TAP_CREATE,
            "delete_user" => table::USER_DELETE,
            "restore_user" => table::DELETE_RESTORE,
            "set_manager" => table::MANAGER_SET,
            "remove_manager" => table::MANAGER_REMOVE,
            "create_group" => table::GROUP_CREATE,
            "update_group" => table::GROUP_PROPS,
            "add_member, remove_member" => table::MEMBER_WRITE,
            "add_owner, remove_owner" => table::OWNER_WRITE,
            "assign_role, remove_role" => table::ROLE_WRITE,
            "assign_licenses" => table::LICENSE_ASSIGN,
            "rename_user" => table::user_property_rule("userPrincipalName"),
            "invite_guest" => table::INVITE,
            "disable_device" => table::DEVICE_UPDATE,
            "remove_authentication_method" => {
                method_delete_rule(crate::model::auth_methods::AuthMethodKind::Phone)
            }
            "assign_role_schedule, update_role_schedule, remove_role_schedule (eligible)" => {
                table::PIM_ELIGIBILITY_WRITE
            }
            "assign_role_schedule, update_role_schedule, remove_role_schedule (active)" => {
                table::PIM_ASSIGNMENT_WRITE
            }
            "update_user" => table::USER_UPDATE,
            // A row without its table accepts no grant (fail closed: doctor then names
            // it as missing), and `every_row_is_the_first_alternative_of_its_table` fails.
            _ => &[],
        }
    }
}

/// What one step needs beyond the permissions of its endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Need {
    /// Application permissions: every one of some alternative.
    Permissions(AnyOf),
    /// A directory role of the app's service principal, one of `roles`
    /// (template ids), because the target user is privileged.
    Role {
        /// Which of Graph's tables decides.
        table: Table,
        /// The roles any one of which would do.
        roles: Vec<&'static str>,
    },
    /// Graph refuses it to every application; why.
    Never(String),
    /// A directory role of the app's service principal, one of `roles`
    /// (template ids), whatever the target (device-update, `accountEnabled`).
    DeviceRole {
        /// The roles any one of which would do.
        roles: Vec<&'static str>,
    },
}

/// What Graph requires of the running principal for `op`: its permissions,
/// then any role the target's privileges call for. `target` tells what
/// makes a user privileged; `role_assignable` whether a group can hold roles.
pub fn needs(
    op: &Op,
    target: &dyn Fn(&ObjectId) -> Target,
    role_assignable: &dyn Fn(&ObjectId) -> bool,
    self_id: Option<&ObjectId>,
) -> Vec<Need> {
    let mut out = Vec::new();
    let role = |out: &mut Vec<Need>, t: Table, id: Option<&ObjectId>| {
        if let Some(roles) = id.and_then(|id| sensitive_actions::required_roles(t, &target(id))) {
            out.push(Need::Role { table: t, roles });
        }
    };
    match op {
        Op::CreateUser { .. } => out.push(Need::Permissions(table::USER_CREATE)),
        // invitation-post: User.Invite.All (or User.ReadWrite.All,
        // Directory.ReadWrite.All); entraform never sends resetRedemption.
        Op::InviteGuest { .. } => out.push(Need::Permissions(table::INVITE)),
        Op::RestoreUser { .. } => out.push(Need::Permissions(table::DELETE_RESTORE)),
        Op::UpdateUser { user, changes, .. } => {
            let mut sensitive = false;
            for c in changes {
                // The Graph property (`employeeOrgData` for its members).
                let name = c.attr.property();
                if table::NOT_APP_UPDATABLE.contains(&name) {
                    out.push(Need::Never(format!(
                        "Graph does not let an application update `{name}` (user-update: it \"cannot be updated by an app with only application permissions\"); change it in the Entra admin center, or leave it out of the repo for existing users"
                    )));
                }
                out.push(Need::Permissions(table::user_property_rule(name)));
                sensitive |= matches!(
                    c.attr,
                    Attr::MobilePhone | Attr::BusinessPhones | Attr::OtherMails
                );
            }
            if sensitive {
                // Either table lets the caller change phones and other mails.
                let sa = user.id.as_ref().and_then(|id| {
                    sensitive_actions::required_roles(Table::SensitiveActions, &target(id))
                });
                let rp = user.id.as_ref().and_then(|id| {
                    sensitive_actions::required_roles(Table::ResetPassword, &target(id))
                });
                if let (Some(mut a), Some(b)) = (sa, rp) {
                    for r in b {
                        if !a.contains(&r) {
                            a.push(r);
                        }
                    }
                    out.push(Need::Role {
                        table: Table::SensitiveActions,
                        roles: a,
                    });
                }
            }
        }
        Op::EnableUser { user } | Op::DisableUser { user } => {
            out.push(Need::Permissions(table::user_property_rule(
                "accountEnabled",
            )));
            role(&mut out, Table::SensitiveActions, user.id.as_ref());
        }
        Op::RevokeSessions { user } => {
            out.push(Need::Permissions(table::REVOKE));
            role(&mut out, Table::ResetPassword, user.id.as_ref());
        }
        // user-update, passwordProfile: User-PasswordProfile.ReadWrite.All (or
        // higher) and, app-only, "at least the User Administrator Entra role";
        // then the "who can reset passwords" table for a privileged target.
        Op::CreateTemporaryAccessPass { .. } => out.push(Need::Permissions(TAP_CREATE)),
        Op::ResetPassword { user, .. } => {
            out.push(Need::Permissions(table::user_property_rule(
                "passwordProfile",
            )));
            out.push(Need::Role {
                table: Table::ResetPassword,
                roles: vec![
                    sensitive_actions::role::USER_ADMINISTRATOR,
                    sensitive_actions::role::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
                    sensitive_actions::role::GLOBAL_ADMINISTRATOR,
                ],
            });
            role(&mut out, Table::ResetPassword, user.id.as_ref());
        }
        Op::DeleteUser { user } => {
            out.push(Need::Permissions(table::USER_DELETE));
            role(&mut out, Table::SensitiveActions, user.id.as_ref());
        }
        Op::SetManager { .. } => out.push(Need::Permissions(table::MANAGER_SET)),
        Op::RemoveManager { .. } => out.push(Need::Permissions(table::MANAGER_REMOVE)),
        Op::AssignLicenses { .. } => out.push(Need::Permissions(table::LICENSE_ASSIGN)),
        // App-only: the permission alone (the Entra roles the pages list are
        // for delegated callers acting on others).
        // device-update: the permission, and for `accountEnabled` a directory
        // role of the app's service principal (entra-data DEVICE_ENABLE_ROLES).
        Op::DisableDevice { .. } => {
            out.push(Need::Permissions(table::DEVICE_UPDATE));
            out.push(Need::DeviceRole {
                roles: table::DEVICE_ENABLE_ROLES.to_vec(),
            });
        }
        Op::RemoveAuthenticationMethod { method, .. } => {
            out.push(Need::Permissions(method_delete_rule(method.kind)))
        }
        // "Update user principal name" is a sensitive action (resources/users).
        Op::RenameUser { user, .. } => {
            out.push(Need::Permissions(table::user_property_rule(
                "userPrincipalName",
            )));
            role(&mut out, Table::SensitiveActions, user.id.as_ref());
        }
        Op::CreateGroup { owners, .. } => {
            out.push(Need::Permissions(table::GROUP_CREATE));
            // Binding others than itself needs read rights on them unless the
            // app may write any group (group-post-groups).
            let users = owners.iter().any(|o| matches!(o, OwnerRef::User { .. }));
            let others = owners
                .iter()
                .any(|o| matches!(o, OwnerRef::ServicePrincipal { id } if Some(id) != self_id));
            if users {
                out.push(Need::Permissions(crate::graph_any![
                    ["User.Read.All"],
                    ["User.ReadWrite.All"],
                    ["Directory.Read.All"],
                    ["Directory.ReadWrite.All"],
                    ["Group.ReadWrite.All"]
                ]));
            }
            if others {
                out.push(Need::Permissions(crate::graph_any![
                    ["Application.Read.All"],
                    ["Application.ReadWrite.All"],
                    ["Directory.Read.All"],
                    ["Directory.ReadWrite.All"],
                    ["Group.ReadWrite.All"]
                ]));
            }
        }
        Op::UpdateGroup { .. } => out.push(Need::Permissions(table::GROUP_PROPS)),
        Op::AddMember { group, .. } | Op::RemoveMember { group, .. } => {
            out.push(Need::Permissions(table::MEMBER_WRITE));
            if group.id.as_ref().is_some_and(role_assignable) {
                out.push(Need::Permissions(table::ROLE_WRITE));
            }
        }
        Op::AddOwner { .. } | Op::RemoveOwner { .. } => {
            out.push(Need::Permissions(table::OWNER_WRITE));
        }
        Op::AssignRole { .. } | Op::RemoveRole { .. } => {
            out.push(Need::Permissions(table::ROLE_WRITE));
        }
        Op::AssignRoleSchedule { holding, .. }
        | Op::UpdateRoleSchedule { holding, .. }
        | Op::RemoveRoleSchedule { holding, .. } => out.push(Need::Permissions(match holding {
            Holding::Eligible => table::PIM_ELIGIBILITY_WRITE,
            Holding::Active => table::PIM_ASSIGNMENT_WRITE,
        })),
    }
    out
}

/// Whether `granted` holds every permission of one alternative.
pub fn satisfied(granted: &[String], any_of: &[&[&str]]) -> bool {
    any_of.iter().any(|all| {
        all.iter()
            .all(|p| granted.iter().any(|g| g.eq_ignore_ascii_case(p)))
    })
}

/// An alternative list in words: `A + B (or C, or D)`.
pub fn describe(any_of: AnyOf) -> String {
    let one = |all: &[&str]| all.join(" + ");
    match any_of {
        [] => "nothing".into(),
        [first] => one(first),
        [first, rest @ ..] => format!(
            "{} (or {})",
            one(first),
            rest.iter()
                .map(|a| one(a))
                .collect::<Vec<_>>()
                .join(", or ")
        ),
    }
}

/// Most steps one error names before "and N more".
const NAMED: usize = 10;

fn step_name(s: &Step) -> String {
    format!("{} {} (step {})", s.op.kind(), s.op.object_key(), s.id)
}

fn listing(names: &[String]) -> String {
    let mut out = names
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > NAMED {
        out.push_str(&format!(" and {} more", names.len() - NAMED));
    }
    out
}

/// What makes each user privileged, from the live tenant: its tenant-scope
/// roles (less those the plan removes first: it orders role removals before
/// disables and deletes), and membership or ownership of a group that holds
/// a role (such a group is role-assignable).
fn target_of(live: &Live, steps: &[Step]) -> impl Fn(&ObjectId) -> Target {
    let removed: HashSet<(ObjectId, String)> = steps
        .iter()
        .filter_map(|s| match &s.op {
            Op::RemoveRole {
                principal, role, ..
            }
            | Op::RemoveRoleSchedule {
                principal,
                role,
                holding: Holding::Active,
                ..
            } => Some((
                principal.id.clone(),
                role.definition_id.to_ascii_lowercase(),
            )),
            // Only a role removal takes a privilege away before the steps
            // that disable or delete (a new variant must say whether it does).
            Op::CreateUser { .. }
            | Op::InviteGuest { .. }
            | Op::RestoreUser { .. }
            | Op::UpdateUser { .. }
            | Op::EnableUser { .. }
            | Op::DisableUser { .. }
            | Op::RevokeSessions { .. }
            | Op::ResetPassword { .. }
            | Op::CreateTemporaryAccessPass { .. }
            | Op::DeleteUser { .. }
            | Op::SetManager { .. }
            | Op::RemoveManager { .. }
            | Op::CreateGroup { .. }
            | Op::UpdateGroup { .. }
            | Op::AddMember { .. }
            | Op::RemoveMember { .. }
            | Op::AddOwner { .. }
            | Op::RemoveOwner { .. }
            | Op::AssignRole { .. }
            | Op::AssignLicenses { .. }
            | Op::RenameUser { .. }
            | Op::RemoveRoleSchedule { .. }
            | Op::AssignRoleSchedule { .. }
            | Op::UpdateRoleSchedule { .. }
            | Op::RemoveAuthenticationMethod { .. }
            | Op::DisableDevice { .. } => None,
        })
        .collect();
    let role_groups: HashSet<ObjectId> = live
        .role_assignments()
        .iter()
        .filter(|a| live.group(&a.principal_id).is_some())
        .map(|a| a.principal_id.clone())
        .collect();
    let owned: HashSet<ObjectId> = live
        .groups()
        .iter()
        .filter(|g| role_groups.contains(&g.id))
        .flat_map(|g| g.owners.iter().map(|o| o.id.clone()))
        .collect();
    let roles: BTreeMap<ObjectId, Vec<String>> = live
        .role_assignments()
        .iter()
        .filter(|a| {
            !removed.contains(&(
                a.principal_id.clone(),
                a.role_definition_id.to_ascii_lowercase(),
            ))
        })
        .fold(BTreeMap::new(), |mut m, a| {
            m.entry(a.principal_id.clone())
                .or_insert_with(Vec::new)
                .push(a.role_definition_id.to_ascii_lowercase());
            m
        });
    let in_groups: HashSet<ObjectId> = live
        .groups()
        .iter()
        .filter(|g| role_groups.contains(&g.id))
        .flat_map(|g| g.members.iter().map(|m| m.id.clone()))
        .chain(owned)
        .collect();
    move |id: &ObjectId| Target {
        roles: roles.get(id).cloned().unwrap_or_default(),
        in_role_assignable_group: in_groups.contains(id),
        restricted_unit_role: false,
    }
}

/// Is the running principal a read-only identity (it holds none of the write
/// permissions of [`LEAST`])? The recommended pull-request set-up plans with a
/// read-only app and applies with another: such a plan cannot know what the
/// applying identity may do. [`check`] then reports nothing, the plan carries
/// a `permissions-not-checked` notice, and `apply` — which computes the plan
/// again with its own token — refuses unappliable steps before any write.
pub fn is_read_only(live: &Live) -> bool {
    let Some(granted) = live.principal().and_then(|p| p.permissions.as_ref()) else {
        return false;
    };
    !LEAST
        .iter()
        .flat_map(|k| k.least.iter().chain(k.also))
        .filter(|p| !p.contains(".Read."))
        .any(|p| granted.iter().any(|g| g.eq_ignore_ascii_case(p)))
}

/// The notice a read-only identity's plan carries (see [`is_read_only`]).
pub fn read_only_notice() -> super::op::Notice {
    super::op::Notice {
        code: super::codes::NoticeCode::PermissionsNotChecked,
        object: "tenant".to_string(),
        message: "planned with a read-only identity: whether the identity that applies may perform each step is checked when apply computes the plan again, before anything is written (run `entraform doctor` with the applying app to check it now)".to_string(),
    }
}

/// The plan errors for every step Graph would refuse to the running
/// principal, grouped by what is missing (a permission grant, a directory
/// role, or something no application may do). Nothing when the principal's
/// permissions are unknown (a token entraform cannot read).
pub fn check(steps: &[Step], live: &Live) -> Vec<PlanError> {
    let Some(principal) = live.principal() else {
        return Vec::new();
    };
    let Some(granted) = &principal.permissions else {
        return Vec::new();
    };
    let target = target_of(live, steps);
    let role_groups: HashSet<ObjectId> = live
        .role_assignments()
        .iter()
        .map(|a| a.principal_id.clone())
        .collect();
    let assignable = |id: &ObjectId| role_groups.contains(id) && live.group(id).is_some();
    let mine: Vec<String> = principal.role_definition_ids.clone();
    // missing permission text → steps; missing roles text → steps; never → steps.
    let mut perms: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut roles: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut never: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut device_roles: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in steps {
        for need in needs(&s.op, &target, &assignable, principal.id.as_ref()) {
            match need {
                Need::Permissions(any_of) if !satisfied(granted, any_of) => {
                    perms
                        .entry(describe(any_of))
                        .or_default()
                        .push(step_name(s));
                }
                Need::Role { table: t, roles: r }
                    if !r
                        .iter()
                        .any(|x| mine.iter().any(|m| m.eq_ignore_ascii_case(x))) =>
                {
                    let which = match t {
                        Table::SensitiveActions => "Who can perform sensitive actions",
                        Table::ResetPassword => "Who can reset passwords",
                    };
                    roles
                        .entry((sensitive_actions::names(&r), which.to_string()))
                        .or_default()
                        .push(step_name(s));
                }
                Need::DeviceRole { roles: r }
                    if !r
                        .iter()
                        .any(|x| mine.iter().any(|m| m.eq_ignore_ascii_case(x))) =>
                {
                    device_roles
                        .entry(sensitive_actions::names(&r))
                        .or_default()
                        .push(step_name(s));
                }
                Need::Never(why) => never.entry(why).or_default().push(step_name(s)),
                // Granted: the guards above did not match.
                Need::Permissions(_) | Need::Role { .. } | Need::DeviceRole { .. } => {}
            }
        }
    }
    let app = if principal.client_id.is_empty() {
        "the app".to_string()
    } else {
        format!("the app (client id {})", principal.client_id)
    };
    let held = if mine.is_empty() {
        "holds no directory role".to_string()
    } else {
        let names: Vec<&str> = mine.iter().map(String::as_str).collect();
        format!(
            "holds {}",
            sensitive_actions::names(&names).replace(" or ", " and ")
        )
    };
    let mut out = Vec::new();
    for (what, names) in perms {
        out.push(PlanError {
            code: super::codes::ErrorCode::MissingPermission,
            message: format!(
                "unappliable: Microsoft Graph would refuse {} step{} (403): {app} was not granted the application permission {what}; grant it and give admin consent (docs/permissions.md): {}",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                listing(&names)
            ),
            origin: None,
        });
    }
    for ((need, which), names) in roles {
        out.push(PlanError {
            code: super::codes::ErrorCode::MissingRole,
            message: format!(
                "unappliable: Microsoft Graph would refuse {} step{} (403) on users holding admin roles: its service principal must hold {need} (Graph's \"{which}\") and {held}; assign the role, or leave those users out of the repo's scope: {}",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                listing(&names)
            ),
            origin: None,
        });
    }
    for (need, names) in device_roles {
        out.push(PlanError {
            code: super::codes::ErrorCode::MissingRole,
            message: format!(
                "unappliable: Microsoft Graph would refuse {} step{} (403): disabling a device (`accountEnabled`) needs a directory role of the app's service principal, {need} (device-update), and it {held}; assign the role (docs/permissions.md): {}",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                listing(&names)
            ),
            origin: None,
        });
    }
    for (why, names) in never {
        out.push(PlanError {
            code: super::codes::ErrorCode::NotAllowedForApps,
            message: format!("unappliable: {why}: {}", listing(&names)),
            origin: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_in_words_and_satisfaction() {
        let rule = table::user_property_rule("accountEnabled");
        assert_eq!(
            describe(rule),
            "User.EnableDisableAccount.All + User.Read.All (or User.ReadWrite.All, or Directory.ReadWrite.All)"
        );
        let g = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(!satisfied(&g(&["User.EnableDisableAccount.All"]), rule));
        assert!(satisfied(
            &g(&["user.read.all", "User.EnableDisableAccount.All"]),
            rule
        ));
        assert!(satisfied(&g(&["Directory.ReadWrite.All"]), rule));
    }

    #[test]
    fn every_row_is_the_first_alternative_of_its_table() {
        // The documented least-privileged grant is what the table accepts first.
        for row in LEAST {
            let rule = row.rule();
            assert_eq!(rule[0], row.least, "{}", row.row);
            for also in row.also {
                assert!(rule.iter().any(|a| a == &[*also]), "{}: {also}", row.row);
            }
        }
    }
}
