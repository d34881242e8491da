//! The Microsoft Graph application permissions each read needs (least
//! privileged first, from the "Permissions" section of each API's page).

/// One read step of the live reader and the permission it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadStep {
    /// What is being read, in words.
    pub what: &'static str,
    /// Least-privileged Graph application permission.
    pub permission: &'static str,
    /// Higher-privileged permissions that also work.
    pub also: &'static str,
}

/// Users with their managers (`GET /users?$expand=manager`).
pub const USERS: ReadStep = ReadStep {
    what: "users and their managers",
    permission: "User.Read.All",
    also: "User.ReadWrite.All, Directory.Read.All",
};
/// Groups and their members (`GET /groups/delta` or `/groups` + `/groups/{id}/members`).
pub const GROUPS: ReadStep = ReadStep {
    what: "groups and their members",
    permission: "GroupMember.Read.All",
    also: "Group.Read.All, Directory.Read.All",
};
/// Role definitions (`GET /roleManagement/directory/roleDefinitions`).
pub const ROLE_DEFINITIONS: ReadStep = ReadStep {
    what: "directory role definitions",
    permission: "RoleManagement.Read.Directory",
    also: "RoleManagement.Read.All, Directory.Read.All",
};
/// Role assignments (`GET /roleManagement/directory/roleAssignments`).
pub const ROLE_ASSIGNMENTS: ReadStep = ReadStep {
    what: "directory role assignments",
    permission: "RoleManagement.Read.Directory",
    also: "RoleManagement.Read.All, Directory.Read.All",
};
/// PIM eligibilities and active assignment instances
/// (`GET /roleManagement/directory/roleEligibilityScheduleInstances` and
/// `…/roleAssignmentScheduleInstances`; rbacapplication-list-roleeligibilityschedules,
/// include rbacapplication-list-roleassignmentscheduleinstances-permissions.md).
/// Optional: without it (or without Entra ID P2) the read goes on and the
/// plan says PIM is unknown.
pub const ROLE_SCHEDULES: ReadStep = ReadStep {
    what: "PIM role eligibilities and assignment schedules",
    permission: "RoleManagement.Read.Directory",
    also: "RoleEligibilitySchedule.Read.Directory + RoleAssignmentSchedule.Read.Directory, RoleManagement.Read.All",
};
/// Deleted users (`GET /directory/deletedItems/microsoft.graph.user`).
pub const DELETED_USERS: ReadStep = ReadStep {
    what: "deleted users",
    permission: "User.Read.All",
    also: "Directory.Read.All",
};
/// Restricted management administrative units and their members
/// (`GET /directory/administrativeUnits` + `…/{id}/members`). Optional: without
/// it the read goes on and the plan says restricted objects are unknown.
pub const ADMIN_UNITS: ReadStep = ReadStep {
    what: "administrative units and their members",
    permission: "AdministrativeUnit.Read.All",
    also: "AdministrativeUnit.ReadWrite.All, Directory.Read.All",
};
/// The running service principal, when the token does not name it
/// (`GET /servicePrincipals(appId='…')`).
pub const SELF_LOOKUP: ReadStep = ReadStep {
    what: "the running service principal",
    permission: "Application.Read.All",
    also: "Directory.Read.All",
};

/// The application permissions `plan` needs (read-only), deduplicated.
pub const PLAN_PERMISSIONS: &[&str] = &[
    "User.Read.All",
    "GroupMember.Read.All",
    "RoleManagement.Read.Directory",
    "Organization.Read.All",
];

/// Subscribed SKUs (`GET /subscribedSkus`), read only when the repo declares licences.
pub const SUBSCRIBED_SKUS: ReadStep = ReadStep {
    what: "subscribed SKUs (licences)",
    permission: "Organization.Read.All",
    also: "Directory.Read.All, Organization.ReadWrite.All",
};

/// Permissions `plan` uses when granted and does without otherwise (with a warning).
pub const OPTIONAL_PLAN_PERMISSIONS: &[&str] = &["AdministrativeUnit.Read.All"];

/// The application permissions docs/permissions.md recommends for `apply`
/// on top of [`PLAN_PERMISSIONS`]: each covers several operation kinds (the
/// least-privileged permission of each kind is in [`crate::plan::access`]).
pub const APPLY_PERMISSIONS: &[&str] = &[
    "User.ReadWrite.All",
    "User.RevokeSessions.All",
    "User.DeleteRestore.All",
    "User-LifeCycleInfo.ReadWrite.All",
    "UserAuthMethod-TAP.ReadWrite.All",
    "Group.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
];

/// Everything docs/permissions.md recommends granting an app that runs
/// `plan` and `apply`: [`PLAN_PERMISSIONS`], [`OPTIONAL_PLAN_PERMISSIONS`]
/// and [`APPLY_PERMISSIONS`]. The example seed's app, the synthetic seed's
/// and the tests' are granted exactly this list.
pub fn recommended_grants() -> Vec<&'static str> {
    PLAN_PERMISSIONS
        .iter()
        .chain(OPTIONAL_PLAN_PERMISSIONS)
        .chain(APPLY_PERMISSIONS)
        .copied()
        .collect()
}

impl ReadStep {
    /// The permission as shown in a 403 message.
    pub fn needed(&self) -> String {
        format!(
            "{} (to read {}; {} also work)",
            self.permission, self.what, self.also
        )
    }
}
