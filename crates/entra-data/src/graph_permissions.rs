//! Microsoft Graph's permission tables for application (app-only) tokens:
//! which application permissions each API accepts, per the "Permissions"
//! table of its reference page (`learn.microsoft.com/graph/api/{page}`,
//! v1.0): the least privileged one and every higher one the page lists.
//!
//! Pure data, shared by the emulator (which enforces it, per endpoint:
//! `graph_emulator::permissions`), the planner (which reports the steps Graph
//! would refuse: `plan::access`) and `entraform doctor`. Where a page could
//! not be verified the stricter documented reading is used, and said so.

/// Alternatives: the caller must hold every permission of at least one.
pub type AnyOf = &'static [&'static [&'static str]];

/// `any![[A, B], [C]]`: A and B, or C.
#[macro_export]
#[doc(hidden)]
macro_rules! graph_any {
    ($([$($p:literal),+]),+ $(,)?) => { &[$(&[$($p),+]),+] };
}
use crate::graph_any as any;

/// Reading users (user-list, user-get, user-list-directreports).
pub const USER_READ: AnyOf = any![
    ["User.Read.All"],
    ["User.ReadWrite.All"],
    ["Directory.Read.All"],
    ["Directory.ReadWrite.All"]
];
/// `users/delta` (user-delta).
pub const USER_DELTA: AnyOf = any![
    ["User.Read.All"],
    ["AgentIdUser.ReadWrite.All"],
    ["AgentIdUser.ReadWrite.IdentityParentedBy"],
    ["Directory.Read.All"],
    ["Directory.ReadWrite.All"],
    ["User.ReadWrite.All"]
];
/// `POST /users` (user-post-users; `User.Create`: What's New, July 2026).
pub const USER_CREATE: AnyOf = any![
    ["User.Create"],
    ["User.ReadWrite.All"],
    ["Directory.ReadWrite.All"]
];
/// `PATCH /users/{id}`, properties without a rule of their own (user-update).
pub const USER_UPDATE: AnyOf = any![
    ["User.ReadUpdate.All"],
    ["User.ReadWrite.All"],
    ["Directory.ReadWrite.All"]
];
/// `DELETE /users/{id}` (user-delete; `User.DeleteRestore.All`: What's New, Dec 2024).
pub const USER_DELETE: AnyOf = any![["User.DeleteRestore.All"], ["User.ReadWrite.All"]];
/// Restoring or purging a deleted user (directory-deleteditems-restore, -delete).
pub const DELETE_RESTORE: AnyOf = any![["User.DeleteRestore.All"]];
/// `PUT /users/{id}/manager/$ref` (user-post-manager).
pub const MANAGER_SET: AnyOf = any![
    ["User.ReadWrite.All"],
    ["AgentIdUser.ReadWrite.All"],
    ["AgentIdUser.ReadWrite.IdentityParentedBy"],
    ["Directory.ReadWrite.All"]
];
/// `DELETE /users/{id}/manager/$ref` (user-delete-manager; v1.0 table unverified, beta's used).
pub const MANAGER_REMOVE: AnyOf = any![["User.ReadWrite.All"], ["Directory.ReadWrite.All"]];
/// `POST /users/{id}/revokeSignInSessions` (user-revokesigninsessions: no higher application permission).
pub const REVOKE: AnyOf = any![["User.RevokeSessions.All"]];
/// `POST /users/{id}/assignLicense` (user-assignlicense).
pub const LICENSE_ASSIGN: AnyOf = any![
    ["LicenseAssignment.ReadWrite.All"],
    ["AgentIdUser.ReadWrite.All"],
    ["AgentIdUser.ReadWrite.IdentityParentedBy"],
    ["Directory.ReadWrite.All"],
    ["User.ReadWrite.All"]
];
/// `POST /invitations` (invitation-post: least `User.Invite.All`; higher
/// `User.ReadWrite.All`, `Directory.ReadWrite.All`).
pub const INVITE: AnyOf = any![
    ["User.Invite.All"],
    ["User.ReadWrite.All"],
    ["Directory.ReadWrite.All"]
];
/// `POST /invitations` with `resetRedemption: true` (invitation-post: least
/// `User.ReadWrite.All`; `Directory.ReadWrite.All` is higher).
pub const INVITE_RESET: AnyOf = any![["User.ReadWrite.All"], ["Directory.ReadWrite.All"]];
/// `GET /subscribedSkus` (subscribedsku-list).
pub const SUBSCRIBED_SKUS_READ: AnyOf = any![
    ["Organization.Read.All"],
    ["Directory.Read.All"],
    ["Directory.ReadWrite.All"],
    ["Organization.ReadWrite.All"]
];
/// Another user's `memberOf`, a group's `transitiveMemberOf` (user-list-memberof, group-list-transitivememberof).
pub const MEMBER_OF: AnyOf = any![["Directory.Read.All"], ["Directory.ReadWrite.All"]];
/// A user's `transitiveMemberOf` (user-list-transitivememberof).
pub const USER_TRANSITIVE_MEMBER_OF: AnyOf = any![
    ["User.Read.All"],
    ["Directory.Read.All"],
    ["Directory.ReadWrite.All"],
    ["Group.Read.All"],
    ["GroupMember.Read.All"]
];
/// Reading groups (group-list, group-get, group-delta).
pub const GROUP_READ: AnyOf = any![
    ["GroupMember.Read.All"],
    ["Directory.Read.All"],
    ["Directory.ReadWrite.All"],
    ["Group.Read.All"],
    ["Group.ReadWrite.All"]
];
/// A group's members (group-list-members).
pub const GROUP_MEMBERS_READ: AnyOf = any![
    ["GroupMember.Read.All"],
    ["Directory.Read.All"],
    ["Group.Read.All"],
    ["Group.ReadWrite.All"],
    ["GroupMember.ReadWrite.All"]
];
/// A group's owners (group-list-owners).
pub const GROUP_OWNERS_READ: AnyOf = any![
    ["GroupMember.Read.All"],
    ["Group.ReadWrite.All"],
    ["Directory.Read.All"],
    ["Group.Read.All"],
    ["GroupMember.ReadWrite.All"]
];
/// `POST /groups` (group-post-groups).
pub const GROUP_CREATE: AnyOf = any![
    ["Group.Create"],
    ["Directory.ReadWrite.All"],
    ["Group-PreferredDataLocation.ReadWrite.All"],
    ["Group.ReadWrite.All"]
];
/// Group properties (description, displayName…): `Group-NestingSupport.ReadWrite.All`
/// is printed first on the page but its scenario note limits it to
/// `disableNesting`, which the emulator does not model.
pub const GROUP_PROPS: AnyOf = any![["Group.ReadWrite.All"], ["Directory.ReadWrite.All"]];
/// `DELETE /groups/{id}` (group-delete).
pub const GROUP_DELETE: AnyOf = any![["Group.ReadWrite.All"]];
/// Adding or removing a user or group member (group-post-members, group-delete-members).
pub const MEMBER_WRITE: AnyOf = any![
    ["GroupMember.ReadWrite.All"],
    ["Group.ReadWrite.All"],
    ["Directory.ReadWrite.All"]
];
/// Adding or removing an owner (group-post-owners, group-delete-owners).
pub const OWNER_WRITE: AnyOf = any![["Group.ReadWrite.All"], ["Directory.ReadWrite.All"]];
/// Role definitions (rbacapplication-list-roledefinitions).
pub const ROLE_DEFS: AnyOf = any![
    ["RoleManagement.Read.Directory"],
    ["Directory.Read.All"],
    ["RoleManagement.ReadWrite.Directory"],
    ["Directory.ReadWrite.All"]
];
/// Role assignments (rbacapplication-list-roleassignments).
pub const ROLE_ASSIGNMENTS: AnyOf = any![
    ["RoleManagement.Read.Directory"],
    ["RoleManagement.Read.All"],
    ["Directory.Read.All"],
    ["RoleManagement.ReadWrite.Directory"],
    ["Directory.ReadWrite.All"]
];
/// Creating or deleting role assignments, directory-role members (rbacapplication-post-roleassignments, unifiedroleassignment-delete).
pub const ROLE_WRITE: AnyOf = any![["RoleManagement.ReadWrite.Directory"]];
/// PIM eligibility schedules and instances (rbacapplication-list-roleeligibilityschedules;
/// the instances page takes its table from an include that could not be
/// read, so the schedules' table is used for both).
pub const PIM_ELIGIBILITY_READ: AnyOf = any![
    ["RoleEligibilitySchedule.Read.Directory"],
    ["RoleManagement.Read.Directory"],
    ["RoleManagement.Read.All"],
    ["RoleEligibilitySchedule.ReadWrite.Directory"],
    ["RoleManagement.ReadWrite.Directory"]
];
/// PIM assignment schedule instances (include
/// rbacapplication-list-roleassignmentscheduleinstances-permissions.md).
pub const PIM_ASSIGNMENT_INSTANCES_READ: AnyOf = any![
    ["RoleAssignmentSchedule.Read.Directory"],
    ["RoleManagement.Read.Directory"],
    ["RoleManagement.Read.All"],
    ["RoleAssignmentSchedule.ReadWrite.Directory"],
    ["RoleManagement.ReadWrite.Directory"]
];
/// PIM assignment schedules, and one instance by id: the application row of
/// rbacapplication-list-roleassignmentschedules and
/// unifiedroleassignmentscheduleinstance-get lists only the RoleManagement
/// permissions (the stricter reading of the stored page versions).
pub const PIM_ASSIGNMENT_SCHEDULES_READ: AnyOf = any![
    ["RoleManagement.Read.Directory"],
    ["RoleManagement.Read.All"],
    ["RoleManagement.ReadWrite.Directory"]
];
/// `POST roleEligibilityScheduleRequests` (rbacapplication-post-roleeligibilityschedulerequests);
/// also used for listing them (no verified table: the stricter reading).
pub const PIM_ELIGIBILITY_WRITE: AnyOf = any![
    ["RoleEligibilitySchedule.ReadWrite.Directory"],
    ["RoleManagement.ReadWrite.Directory"]
];
/// `POST roleAssignmentScheduleRequests` (rbacapplication-post-roleassignmentschedulerequests;
/// the include's `*.Remove.Directory` alternatives are not accepted: the
/// emulator does not tell removals apart by permission); also listing them
/// (unifiedroleassignmentschedulerequest-get).
pub const PIM_ASSIGNMENT_WRITE: AnyOf = any![
    ["RoleAssignmentSchedule.ReadWrite.Directory"],
    ["RoleManagement.ReadWrite.Directory"]
];
/// Sign-in activity and the authentication-methods registration report:
/// `signInActivity` on users needs AuditLog.Read.All besides User.Read.All
/// (user-list, Example 11 note); `reports/authenticationMethods/userRegistrationDetails`
/// lists AuditLog.Read.All as least privileged and no higher application
/// permission (authenticationmethodsroot-list-userregistrationdetails).
pub const AUDIT_LOG_READ: AnyOf = any![["AuditLog.Read.All"]];
/// The legacy `directoryRoles` (directoryrole-list).
pub const DIRECTORY_ROLES: AnyOf = any![
    ["RoleManagement.Read.Directory"],
    ["RoleManagement.ReadWrite.Directory"],
    ["Directory.Read.All"],
    ["Directory.ReadWrite.All"]
];
/// Administrative units and their members (directory-list-administrativeunits, administrativeunit-list-members).
pub const UNITS: AnyOf = any![
    ["AdministrativeUnit.Read.All"],
    ["AdministrativeUnit.ReadWrite.All"],
    ["Directory.Read.All"],
    ["Directory.ReadWrite.All"]
];
/// Service principals (serviceprincipal-get).
pub const SERVICE_PRINCIPALS: AnyOf = any![
    ["Application.Read.All"],
    ["Application.ReadWrite.OwnedBy"],
    ["Application.ReadWrite.All"],
    ["Directory.Read.All"]
];
/// Any directory object (directoryobject-getbyids and the membership functions).
pub const DIRECTORY_READ: AnyOf = any![["Directory.Read.All"], ["Directory.ReadWrite.All"]];
/// A user's membership functions (directoryobject-checkmembergroups…).
pub const USER_MEMBERSHIPS: AnyOf = any![
    ["Directory.Read.All"],
    ["Directory.ReadWrite.All"],
    ["User.Read.All", "GroupMember.Read.All"]
];
/// A group's membership functions (directoryobject-checkmembergroups…).
pub const GROUP_MEMBERSHIPS: AnyOf = any![
    ["Directory.Read.All"],
    ["Directory.ReadWrite.All"],
    ["GroupMember.Read.All"]
];
/// No permission at all (the request fails for another reason, e.g. `/me`
/// with an app-only token: 400 "only valid with delegated authentication flow").
pub const NONE: AnyOf = &[&[]];

/// Properties app-only calls cannot update at all (user-update, Note: "The
/// following properties cannot be updated by an app with only application
/// permissions").
pub const NOT_APP_UPDATABLE: &[&str] = &[
    "aboutMe",
    "birthday",
    "employeeHireDate",
    "interests",
    "mySite",
    "pastProjects",
    "responsibilities",
    "schools",
    "skills",
];

/// The alternatives for one property of `PATCH /users/{id}` (user-update,
/// "Permissions for specific scenarios" and the property table).
pub fn user_property_rule(prop: &str) -> AnyOf {
    match prop {
        "accountEnabled" => any![
            ["User.EnableDisableAccount.All", "User.Read.All"],
            ["User.ReadWrite.All"],
            ["Directory.ReadWrite.All"]
        ],
        "businessPhones" | "mobilePhone" => any![
            ["User-Phone.ReadWrite.All"],
            ["User.ReadWrite.All"],
            ["Directory.ReadWrite.All"]
        ],
        "otherMails" => any![
            ["User-Mail.ReadWrite.All"],
            ["User.ReadWrite.All"],
            ["Directory.ReadWrite.All"]
        ],
        "passwordProfile" => any![
            ["User-PasswordProfile.ReadWrite.All"],
            ["User.ReadWrite.All"],
            ["Directory.ReadWrite.All"]
        ],
        "identities" => any![["User.ManageIdentities.All"]],
        "employeeLeaveDateTime" => any![["User-LifeCycleInfo.ReadWrite.All", "User.Read.All"]],
        "customSecurityAttributes" => any![["CustomSecAttributeAssignment.ReadWrite.All"]],
        _ => USER_UPDATE,
    }
}

/// Which sensitive-action table a property of `PATCH /users/{id}` falls under.
pub fn user_property_table(prop: &str) -> Option<crate::sensitive_actions::Table> {
    match prop {
        "accountEnabled" | "onPremisesImmutableId" | "userPrincipalName" => {
            Some(crate::sensitive_actions::Table::SensitiveActions)
        }
        "businessPhones" | "mobilePhone" | "otherMails" => {
            Some(crate::sensitive_actions::Table::SensitiveActions)
        }
        "passwordProfile" => Some(crate::sensitive_actions::Table::ResetPassword),
        _ => None,
    }
}

/// Reading devices (device-list, device-get, device-list-registeredowners,
/// device-list-registeredusers: least `Device.Read.All`; higher
/// `Device.ReadWrite.All`, `Directory.Read.All`, `Directory.ReadWrite.All`).
pub const DEVICE_READ: AnyOf = any![
    ["Device.Read.All"],
    ["Device.ReadWrite.All"],
    ["Directory.Read.All"],
    ["Directory.ReadWrite.All"]
];
/// `PATCH /devices/{id}` (device-update: least `Device.ReadWrite.All`;
/// higher `Directory.ReadWrite.All`). `accountEnabled` also needs a directory
/// role of the calling service principal (Cloud Device Administrator or
/// Global Administrator; see the emulator's `permissions::device_update`).
pub const DEVICE_UPDATE: AnyOf = any![["Device.ReadWrite.All"], ["Directory.ReadWrite.All"]];
/// `GET /users/{id}/ownedDevices` and `/registeredDevices` as the older pages
/// listed them (user-list-owneddevices @02b4cba0, include
/// user-list-registereddevices-permissions @c9bbab2c); the current pages say
/// Application "Not supported", so the emulator refuses app-only callers.
pub const USER_DEVICES_READ_OLD: AnyOf = USER_READ;

/// Directory roles that may change a device's `accountEnabled` (device-update:
/// "Only callers with at least the Cloud Device Administrator role"; the
/// older page: Global Administrator and Cloud Device Administrator). An
/// app-only caller needs the role on its service principal: a Microsoft
/// writer confirmed an app assigned Cloud Device Administrator could
/// (microsoft-graph-docs#16562), app permissions alone could not (#14298,
/// msgraph-sdk-powershell#968: 403 "Insufficient privileges…"). Template ids.
pub const DEVICE_ENABLE_ROLES: &[&str] = &[
    "7698a772-787b-4ac8-901f-60d6b08affd2", // Cloud Device Administrator
    "62e90394-69f5-4237-9190-012177145e10", // Global Administrator
];

/// Directory roles that may change a device's basic properties (device-update:
/// Intune Administrator is the least role for updates, Windows 365
/// Administrator "can only update basic device properties"; the page states
/// it for delegated callers, the emulator asks it of app-only callers too —
/// the stricter reading, as for `accountEnabled`).
pub const DEVICE_UPDATE_ROLES: &[&str] = &[
    "3a2c62db-5318-420d-8d74-23affee5d9d5", // Intune Administrator
    "11451d60-acb2-45eb-a7d6-43d0f0125c13", // Windows 365 Administrator
    "62e90394-69f5-4237-9190-012177145e10", // Global Administrator
];
