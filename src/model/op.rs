//! Operations: the steps of a plan, each one Graph call (or a small fixed set).
//! What each one does (action, destructive, objects touched) is described once,
//! in [`super::effect`].

#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::attrs::{Attr, AttrValue};
use crate::model::kinds::{GroupKind, PasswordPolicy};
use crate::model::origin::Origin;
use crate::model::{ObjectId, Upn};

pub use super::codes::{ErrorCode, NoticeCode};

/// A user an operation acts on: its UPN, and its object id when it exists already.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UserRef {
    /// The UPN.
    pub upn: Upn,
    /// Object id; `None` for a user this plan creates.
    pub id: Option<ObjectId>,
}

/// A group an operation acts on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GroupRef {
    /// displayName.
    pub name: String,
    /// Object id; `None` for a group this plan creates.
    pub id: Option<ObjectId>,
}

/// A directory role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RoleRef {
    /// Display name.
    pub name: String,
    /// roleDefinitionId (the template id for built-in roles).
    pub definition_id: String,
}

/// How a principal holds a directory role (PIM): eligible (activates it when
/// needed) or active (assigned; permanent, or time-bound with an end date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holding {
    /// A PIM eligibility (`roleEligibilitySchedules`).
    Eligible,
    /// An active assignment (`roleAssignmentSchedules`).
    Active,
}

impl Holding {
    /// `eligible` or `active`, as the YAML and the plan write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Holding::Eligible => "eligible",
            Holding::Active => "active",
        }
    }
}

/// Where a role holds: the tenant (`/`) or one administrative unit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RoleScope {
    /// Graph's `directoryScopeId`: `/` or `/administrativeUnits/{id}`.
    pub directory_scope_id: String,
    /// The administrative unit's display name (`None` at tenant scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl RoleScope {
    /// The whole tenant.
    pub fn tenant() -> RoleScope {
        RoleScope {
            directory_scope_id: "/".to_string(),
            unit: None,
        }
    }
    /// Is this the tenant scope?
    pub fn is_tenant(&self) -> bool {
        self.directory_scope_id == "/"
    }
}

impl std::fmt::Display for RoleScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.unit {
            Some(u) => write!(f, "administrative unit `{u}`"),
            None if self.is_tenant() => f.write_str("the tenant"),
            None => write!(f, "scope {}", self.directory_scope_id),
        }
    }
}

/// A member or principal that may not be a user (live objects entraform found).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PrincipalRef {
    /// Object id.
    pub id: ObjectId,
    /// UPN when the principal is a known user.
    pub upn: Option<Upn>,
}

/// An owner of a group: a user (maybe created by this plan), or a service
/// principal (entraform's own, or another one by object id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OwnerRef {
    /// A user.
    User {
        /// The UPN.
        upn: Upn,
        /// Object id; `None` for a user this plan creates.
        id: Option<ObjectId>,
    },
    /// A service principal.
    ServicePrincipal {
        /// Its object id.
        id: ObjectId,
    },
}

impl OwnerRef {
    /// The user, for a user owner.
    pub fn user(&self) -> Option<UserRef> {
        match self {
            OwnerRef::User { upn, id } => Some(UserRef {
                upn: upn.clone(),
                id: id.clone(),
            }),
            OwnerRef::ServicePrincipal { .. } => None,
        }
    }

    /// The object id, when it exists already.
    pub fn id(&self) -> Option<&ObjectId> {
        match self {
            OwnerRef::User { id, .. } => id.as_ref(),
            OwnerRef::ServicePrincipal { id } => Some(id),
        }
    }
}

impl std::fmt::Display for OwnerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OwnerRef::User { upn, .. } => write!(f, "{upn}"),
            OwnerRef::ServicePrincipal { id } => write!(f, "service principal {id}"),
        }
    }
}

/// One attribute change: `None` means unset/cleared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AttrChange {
    /// Which attribute.
    pub attr: Attr,
    /// Live value (`None` when unset or unknown, e.g. after a restore).
    pub old: Option<AttrValue>,
    /// Desired value (`None` clears it).
    pub new: Option<AttrValue>,
}

/// One licence in an [`Op::AssignLicenses`]: the SKU and, for an added one,
/// the service plans it disables.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LicenseChange {
    /// `skuId`.
    pub sku_id: String,
    /// `skuPartNumber`, as reviewers know it.
    pub part_number: String,
    /// Service plans to disable (empty for a removal).
    #[serde(default)]
    pub disabled_plans: Vec<crate::model::licenses::ServicePlan>,
}

/// A B2B guest invitation as declared (`invite:` on a user entry): what
/// `POST /invitations` sends (user-post-invitations / invitation-post).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestInvite {
    /// The guest's own address (`invitedUserEmailAddress`).
    pub email: String,
    /// Where the guest lands after redeeming (`inviteRedirectUrl`, https).
    pub redirect_url: String,
    /// Text added to Microsoft's invitation email (`customizedMessageBody`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Whether Graph emails the invitation (`sendInvitationMessage`).
    pub send_email: bool,
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Create a user (password generated or read from the environment at apply time).
    CreateUser {
        /// The new user's UPN.
        upn: Upn,
        /// Every attribute to set (displayName and mailNickname always present).
        attributes: BTreeMap<Attr, AttrValue>,
        /// accountEnabled.
        enabled: bool,
        /// How the initial password is chosen.
        password: PasswordPolicy,
    },
    /// Restore a soft-deleted user instead of creating a duplicate.
    RestoreUser {
        /// The user (id of the deleted object).
        user: UserRef,
    },
    /// PATCH changed attributes.
    UpdateUser {
        /// The user.
        user: UserRef,
        /// What changes, sorted by attribute.
        changes: Vec<AttrChange>,
        /// Live values of the unchanged members of an object Graph replaces
        /// whole (`employeeOrgData`) that a change touches: sent along so
        /// they are kept (Graph nulls an omitted member). Not a change.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        keep: BTreeMap<Attr, AttrValue>,
    },
    /// Set accountEnabled = true.
    EnableUser {
        /// The user.
        user: UserRef,
    },
    /// Set accountEnabled = false.
    DisableUser {
        /// The user.
        user: UserRef,
    },
    /// Invalidate refresh tokens and session cookies (disabling alone does not end sessions).
    RevokeSessions {
        /// The user.
        user: UserRef,
    },
    /// Set a random password: nobody keeps it (offboarding: `reset_password`,
    /// so a password known before the user left no longer signs in), or it
    /// goes to `--credentials-out` (`reset_password_after:`, a one-off reset
    /// for a user who must sign in again; the user changes it at next sign-in).
    ResetPassword {
        /// The user.
        user: UserRef,
        /// Record the new password in `--credentials-out` (a one-off reset), or keep it nowhere.
        #[serde(default)]
        keep: bool,
    },
    /// Issue a Temporary Access Pass to a user this plan creates (onboarding):
    /// the pass Graph answers with goes to `--credentials-out` only.
    CreateTemporaryAccessPass {
        /// The user.
        user: UserRef,
        /// `lifetimeInMinutes`.
        lifetime_minutes: u32,
        /// `isUsableOnce`.
        one_time: bool,
    },
    /// Delete (soft: restorable for 30 days).
    DeleteUser {
        /// The user.
        user: UserRef,
    },
    /// PUT manager/$ref.
    SetManager {
        /// The user.
        user: UserRef,
        /// The new manager.
        manager: UserRef,
        /// The current manager, if any.
        previous: Option<PrincipalRef>,
    },
    /// DELETE manager/$ref.
    RemoveManager {
        /// The user.
        user: UserRef,
        /// The current manager.
        previous: PrincipalRef,
    },
    /// Create a group.
    CreateGroup {
        /// The new group.
        name: String,
        /// mailNickname (derived from the name when not declared).
        mail_nickname: String,
        /// description.
        description: Option<String>,
        /// Security or Microsoft 365.
        kind: GroupKind,
        /// Owners bound at creation (`owners@odata.bind`), so the group is
        /// never ownerless; at most 20 (Graph's limit), the rest follow as
        /// [`Op::AddOwner`].
        #[serde(default)]
        owners: Vec<OwnerRef>,
    },
    /// PATCH a group's description.
    UpdateGroup {
        /// The group.
        group: GroupRef,
        /// Current description.
        old_description: Option<String>,
        /// Desired description (`None` clears it).
        new_description: Option<String>,
    },
    /// POST members/$ref.
    AddMember {
        /// The group.
        group: GroupRef,
        /// The member.
        member: UserRef,
    },
    /// DELETE members/{id}/$ref.
    RemoveMember {
        /// The group.
        group: GroupRef,
        /// The member.
        member: PrincipalRef,
    },
    /// POST owners/$ref.
    AddOwner {
        /// The group.
        group: GroupRef,
        /// The new owner.
        owner: OwnerRef,
    },
    /// DELETE owners/{id}/$ref.
    RemoveOwner {
        /// The group.
        group: GroupRef,
        /// The owner.
        owner: PrincipalRef,
    },
    /// POST roleAssignments at tenant scope.
    AssignRole {
        /// The role.
        role: RoleRef,
        /// The principal.
        principal: UserRef,
    },
    /// DELETE roleAssignments/{id}.
    RemoveRole {
        /// The role.
        role: RoleRef,
        /// The principal.
        principal: PrincipalRef,
        /// The assignment to delete.
        assignment_id: String,
    },
    /// PATCH userPrincipalName: a rename in place (the object, its groups,
    /// roles, licences and mailbox stay).
    RenameUser {
        /// The user, by its current (old) UPN and id.
        user: UserRef,
        /// The new UPN.
        new_upn: Upn,
    },
    /// POST assignLicense: add (or change the disabled plans of) and remove
    /// a user's direct licences in one call. Licences inherited from a group
    /// are never in it.
    AssignLicenses {
        /// The user.
        user: UserRef,
        /// Licences to add or change, sorted by part number.
        add: Vec<LicenseChange>,
        /// Direct licences to remove, sorted by part number.
        remove: Vec<LicenseChange>,
    },
    /// Make a principal eligible for a role, or give it a time-bound or
    /// administrative-unit-scoped active assignment: PIM `adminAssign`
    /// (`roleEligibilityScheduleRequests` / `roleAssignmentScheduleRequests`).
    AssignRoleSchedule {
        /// The role.
        role: RoleRef,
        /// The principal.
        principal: UserRef,
        /// Eligible or active.
        holding: Holding,
        /// Tenant or administrative unit.
        scope: RoleScope,
        /// Last day (UTC, `YYYY-MM-DD`); `None`: no end.
        until: Option<String>,
        /// Justification sent to PIM (declared, or entraform's default).
        justification: Option<String>,
    },
    /// Change the end date of an eligibility or active assignment: PIM `adminUpdate`.
    UpdateRoleSchedule {
        /// The role.
        role: RoleRef,
        /// The principal.
        principal: PrincipalRef,
        /// Eligible or active.
        holding: Holding,
        /// Tenant or administrative unit.
        scope: RoleScope,
        /// The current last day (`None`: no end).
        old_until: Option<String>,
        /// The new last day (`None`: no end).
        until: Option<String>,
        /// Justification sent to PIM.
        justification: Option<String>,
    },
    /// End an eligibility or a PIM-managed active assignment: PIM `adminRemove`.
    RemoveRoleSchedule {
        /// The role.
        role: RoleRef,
        /// The principal.
        principal: PrincipalRef,
        /// Eligible or active.
        holding: Holding,
        /// Tenant or administrative unit.
        scope: RoleScope,
        /// Its current last day (`None`: no end).
        until: Option<String>,
    },
    /// POST /invitations: invite a B2B guest; Graph makes the guest user
    /// (under `upn`, the `#EXT#` UPN it derives from the address) and its id
    /// comes back as `invitedUser.id`.
    InviteGuest {
        /// The guest's UPN as Graph will assign it (declared in the repo).
        upn: Upn,
        /// The invitation.
        invite: GuestInvite,
        /// `invitedUserDisplayName`, when the entry declares `displayName`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        display_name: Option<String>,
    },
    /// DELETE one authentication method of a leaver (`remove_authentication_methods`),
    /// by its type's own path. Graph refuses deleting the user's default method
    /// while others exist and v1.0 cannot say which one it is: apply sends a
    /// refused one again after the user's other removals.
    RemoveAuthenticationMethod {
        /// The user.
        user: UserRef,
        /// The method (type and id; never a number or a pass).
        method: crate::model::auth_methods::AuthMethodRef,
    },
    /// PATCH `accountEnabled: false` on a device a leaver is the registered
    /// owner of (`disable_owned_devices`): `PATCH /devices/{id}`.
    DisableDevice {
        /// The leaver.
        owner: UserRef,
        /// The device.
        device: crate::model::devices::DeviceRef,
    },
}

impl Op {
    /// The stable snake_case name of the operation kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::CreateUser { .. } => "create_user",
            Op::RestoreUser { .. } => "restore_user",
            Op::UpdateUser { .. } => "update_user",
            Op::EnableUser { .. } => "enable_user",
            Op::DisableUser { .. } => "disable_user",
            Op::RevokeSessions { .. } => "revoke_sessions",
            Op::ResetPassword { .. } => "reset_password",
            Op::CreateTemporaryAccessPass { .. } => "create_temporary_access_pass",
            Op::DeleteUser { .. } => "delete_user",
            Op::SetManager { .. } => "set_manager",
            Op::RemoveManager { .. } => "remove_manager",
            Op::CreateGroup { .. } => "create_group",
            Op::UpdateGroup { .. } => "update_group",
            Op::AddMember { .. } => "add_member",
            Op::RemoveMember { .. } => "remove_member",
            Op::AddOwner { .. } => "add_owner",
            Op::RemoveOwner { .. } => "remove_owner",
            Op::AssignRole { .. } => "assign_role",
            Op::RemoveRole { .. } => "remove_role",
            Op::AssignLicenses { .. } => "assign_licenses",
            Op::RenameUser { .. } => "rename_user",
            Op::AssignRoleSchedule { .. } => "assign_role_schedule",
            Op::UpdateRoleSchedule { .. } => "update_role_schedule",
            Op::RemoveRoleSchedule { .. } => "remove_role_schedule",
            Op::InviteGuest { .. } => "invite_guest",
            Op::RemoveAuthenticationMethod { .. } => "remove_authentication_method",
            Op::DisableDevice { .. } => "disable_device",
        }
    }

    /// The user this operation is about, if any (the member/principal for membership and role ops).
    pub fn subject_upn(&self) -> Option<&Upn> {
        match self {
            Op::CreateUser { upn, .. }
            | Op::InviteGuest { upn, .. }
            | Op::RenameUser { new_upn: upn, .. } => Some(upn),
            Op::RestoreUser { user }
            | Op::UpdateUser { user, .. }
            | Op::EnableUser { user }
            | Op::DisableUser { user }
            | Op::RevokeSessions { user }
            | Op::ResetPassword { user, .. }
            | Op::CreateTemporaryAccessPass { user, .. }
            | Op::DeleteUser { user }
            | Op::SetManager { user, .. }
            | Op::RemoveManager { user, .. }
            | Op::AssignLicenses { user, .. }
            | Op::RemoveAuthenticationMethod { user, .. }
            | Op::DisableDevice { owner: user, .. } => Some(&user.upn),
            Op::AddMember { member, .. } => Some(&member.upn),
            Op::AssignRole { principal, .. } | Op::AssignRoleSchedule { principal, .. } => {
                Some(&principal.upn)
            }
            Op::RemoveMember { member, .. } => member.upn.as_ref(),
            Op::RemoveRole { principal, .. }
            | Op::UpdateRoleSchedule { principal, .. }
            | Op::RemoveRoleSchedule { principal, .. } => principal.upn.as_ref(),
            Op::AddOwner {
                owner: OwnerRef::User { upn, .. },
                ..
            } => Some(upn),
            Op::RemoveOwner { owner, .. } => owner.upn.as_ref(),
            Op::CreateGroup { .. } | Op::UpdateGroup { .. } | Op::AddOwner { .. } => None,
        }
    }

    /// The object the operation is filed under in renderers: a user's UPN or `group:<name>`.
    pub fn object_key(&self) -> String {
        match self {
            Op::CreateGroup { name, .. } => format!("group:{name}"),
            Op::UpdateGroup { group, .. } => format!("group:{}", group.name),
            Op::AddMember { group, .. }
            | Op::RemoveMember { group, .. }
            | Op::AddOwner { group, .. }
            | Op::RemoveOwner { group, .. } => {
                format!("group:{}", group.name)
            }
            Op::AssignRole { role, .. }
            | Op::RemoveRole { role, .. }
            | Op::AssignRoleSchedule { role, .. }
            | Op::UpdateRoleSchedule { role, .. }
            | Op::RemoveRoleSchedule { role, .. } => {
                format!("role:{}", role.name)
            }
            Op::CreateUser { .. }
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
            | Op::AssignLicenses { .. }
            | Op::InviteGuest { .. }
            | Op::RemoveAuthenticationMethod { .. }
            | Op::DisableDevice { .. }
            | Op::RenameUser { .. } => self.subject_upn().map(|u| u.key()).unwrap_or_default(),
        }
    }
}

/// Something the plan reports without an operation: read-only objects, skipped changes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    /// Stable kebab-case code (`synced-user`, `dynamic-group`, `excluded-user`, …).
    pub code: NoticeCode,
    /// The object concerned (UPN, `group:name`, `role:name`).
    pub object: String,
    /// What was not done and why.
    pub message: String,
}

/// A problem that makes the plan impossible (a reference to nobody, an ambiguous group name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanError {
    /// Stable kebab-case code (`unknown-user`, `ambiguous-group`, `missing-display-name`, …).
    pub code: ErrorCode,
    /// What is wrong and how to fix it.
    pub message: String,
    /// Where in the repo the problem was declared.
    #[serde(deserialize_with = "origin_de")]
    pub origin: Option<Origin>,
}

/// Read back an [`Origin`] as a saved plan writes it (`{"file", "line", "column"}`).
fn origin_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Origin>, D::Error> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        file: String,
        line: u32,
        column: u32,
    }
    Ok(Option::<Raw>::deserialize(d)?.map(|r| Origin {
        file: r.file.into(),
        line: r.line,
        column: r.column,
    }))
}
