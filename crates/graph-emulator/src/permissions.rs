//! Graph's permission model for app-only tokens: every endpoint the emulator
//! serves requires what Microsoft's permission table for that API requires
//! (its least-privileged application permission, or any higher one the page
//! lists), checked against the token's `roles` claim; sensitive actions on
//! privileged users also need a directory role of the calling service
//! principal ([`entra_data::sensitive_actions`]).
//!
//! The table below records, per endpoint, the accepted permissions and the
//! reference page they come from (`learn.microsoft.com/graph/api/{page}`,
//! v1.0). A request the table has no entry for is refused (fail closed):
//! a write with 403 before it runs, a read that the router answers with
//! data with 403 instead of the data. Inside `$batch` each item is checked
//! on its own (concepts/json-batching.md: "a 403 can sit inside an HTTP 200
//! batch response"); `POST /$batch` itself needs no permission.
//!
//! The refusal is Graph's: 403 `Authorization_RequestDenied` "Insufficient
//! privileges to complete the operation." (json-batching.md's example and
//! Microsoft Q&A reports of app-only calls; research in docs/permissions.md).
//!
//! Where Microsoft's pages could not be verified the stricter documented
//! reading is used, and the entry says so.

use std::collections::BTreeSet;

use serde_json::Value;

use super::cast;
use super::error::GraphError;
use super::http::ApiRequest;
use super::state::{Kind, Tenant};
use entra_data::sensitive_actions::{self, Table, Target};

use entra_data::graph_any as any;
pub use entra_data::graph_permissions::AnyOf;
use entra_data::graph_permissions::*;

/// Who calls: the token's `roles` claim and its service principal (`oid`).
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// Application permissions granted (the `roles` claim).
    pub roles: &'a BTreeSet<String>,
    /// The calling service principal's object id.
    pub principal: Option<&'a str>,
}

impl Caller<'_> {
    fn has(&self, p: &str) -> bool {
        self.roles.iter().any(|r| r.eq_ignore_ascii_case(p))
    }

    /// Whether the caller holds every permission of one alternative.
    pub fn satisfies(&self, any_of: &[&[&str]]) -> bool {
        any_of.iter().any(|all| all.iter().all(|p| self.has(p)))
    }
}

/// Checks beyond the endpoint's permission list, which depend on the
/// request (its body, its target).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extra {
    /// Nothing more.
    None,
    /// `PATCH /users/{id}`: property-specific permissions and the
    /// sensitive-action rule (user-update).
    UserUpdate,
    /// `DELETE /users/{id}`: the sensitive-action rule (user-delete).
    UserDelete,
    /// `POST /users/{id}/revokeSignInSessions`: who may invalidate refresh tokens.
    UserRevoke,
    /// `POST /groups`: read rights on the objects bound as owners or members.
    GroupCreate,
    /// `PATCH /groups/{id}`: properties need Group.ReadWrite.All; binds need
    /// the member or owner permissions.
    GroupUpdate,
    /// `POST /groups/{id}/members/$ref`: per member type, and role-assignable groups.
    MemberAdd,
    /// `DELETE /groups/{id}/members/{id}/$ref`: role-assignable groups.
    MemberRemove,
    /// `GET /directory/deletedItems/{id}`: per object type.
    DeletedRead,
    /// `POST /directory/deletedItems/{id}/restore`: per object type, sensitive rule for users.
    DeletedRestore,
    /// `DELETE /directory/deletedItems/{id}`: per object type, sensitive rule for users.
    DeletedPurge,
    /// Administrative-unit members: hidden membership needs Member.Read.Hidden.
    HiddenMembers,
    /// `/directory/deletedItems/{cast}`: per cast type.
    DeletedList,
    /// `POST roleAssignmentScheduleRequests`: a `selfActivate`/`selfDeactivate`
    /// must come from the principal itself ([`crate::pim::requests::self_action_allowed`]).
    PimSelf,
    /// `POST /invitations` with `resetRedemption: true`: `User.ReadWrite.All`
    /// is the least permission (invitation-post).
    InviteReset,
    /// `GET /users`, `/users/{id}`: `$select=signInActivity` also needs
    /// AuditLog.Read.All and a premium tenant ([`crate::sign_in_activity`]).
    SignInActivity,
    /// A report that needs a premium tenant besides its permission ([`crate::reports`]).
    Premium,
    /// `PATCH /devices/{id}`: per property, directory roles of the calling
    /// service principal ([`device_update`]).
    DeviceUpdate,
    /// The page's application row says "Not supported": every app-only token
    /// is refused, whatever it holds (user-list-owneddevices,
    /// user-list-registereddevices).
    AppOnlyNotSupported,
}

/// One endpoint: method, path pattern, permissions, source.
#[derive(Debug)]
pub struct Endpoint {
    /// HTTP method (`*`: any).
    pub method: &'static str,
    /// Path pattern after `/v1.0`: literal segments, `{id}` (any segment),
    /// `{cast}` (a type cast, [`cast::parse`]), `{delta}` (the delta
    /// function in any spelling), `prefix(*` (an alternate-key segment).
    pub path: &'static str,
    /// Accepted application permissions (least privileged first).
    pub any_of: AnyOf,
    /// The reference page (`learn.microsoft.com/graph/api/…`) the list comes from.
    pub source: &'static str,
    /// Request-dependent checks.
    pub extra: Extra,
}

const fn ep(
    method: &'static str,
    path: &'static str,
    any_of: AnyOf,
    source: &'static str,
) -> Endpoint {
    Endpoint {
        method,
        path,
        any_of,
        source,
        extra: Extra::None,
    }
}

const fn epx(
    method: &'static str,
    path: &'static str,
    any_of: AnyOf,
    source: &'static str,
    extra: Extra,
) -> Endpoint {
    Endpoint {
        method,
        path,
        any_of,
        source,
        extra,
    }
}

/// Every endpoint the emulator serves (and those being added: transitive
/// memberships, `$count` segments, membership functions), in match order:
/// the first entry whose method and pattern fit the request applies.
#[rustfmt::skip]
pub static TABLE: &[Endpoint] = &[
    // users
    // `$select=signInActivity`: user-list, Example 11 note (AuditLog.Read.All, Entra ID P1).
    epx("GET", "/users", USER_READ, "user-list", Extra::SignInActivity),
    ep("GET", "/users/$count", USER_READ, "user-list"),
    ep("GET", "/users/{delta}", USER_DELTA, "user-delta"),
    ep("POST", "/users", USER_CREATE, "user-post-users"),
    epx("GET", "/users/{id}", USER_READ, "user-get (signInActivity: user-list Example 11 note)", Extra::SignInActivity),
    epx("PATCH", "/users/{id}", USER_UPDATE, "user-update", Extra::UserUpdate),
    epx("DELETE", "/users/{id}", USER_DELETE, "user-delete (and What's New, Dec 2024: User.DeleteRestore.All)", Extra::UserDelete),
    // The application row of user-list-manager could not be verified (the
    // visible table is the signed-in user's); the agentUser page's
    // User.Read.All with user-get's higher permissions is used.
    ep("GET", "/users/{id}/manager", USER_READ, "user-list-manager (application row unverified)"),
    ep("PUT", "/users/{id}/manager/$ref", MANAGER_SET, "user-post-manager"),
    ep("DELETE", "/users/{id}/manager/$ref", MANAGER_REMOVE, "user-delete-manager"),
    ep("GET", "/users/{id}/directReports", USER_READ, "user-list-directreports"),
    ep("GET", "/users/{id}/directReports/{cast}", USER_READ, "user-list-directreports"),
    ep("GET", "/users/{id}/directReports/$count", USER_READ, "user-list-directreports"),
    ep("GET", "/users/{id}/memberOf", MEMBER_OF, "user-list-memberof"),
    ep("GET", "/users/{id}/memberOf/$count", MEMBER_OF, "user-list-memberof"),
    ep("GET", "/users/{id}/memberOf/{cast}", MEMBER_OF, "user-list-memberof"),
    ep("GET", "/users/{id}/memberOf/{cast}/$count", MEMBER_OF, "user-list-memberof"),
    ep("GET", "/users/{id}/transitiveMemberOf", USER_TRANSITIVE_MEMBER_OF, "user-list-transitivememberof"),
    ep("GET", "/users/{id}/transitiveMemberOf/$count", USER_TRANSITIVE_MEMBER_OF, "user-list-transitivememberof"),
    ep("GET", "/users/{id}/transitiveMemberOf/{cast}", USER_TRANSITIVE_MEMBER_OF, "user-list-transitivememberof"),
    ep("GET", "/users/{id}/transitiveMemberOf/{cast}/$count", USER_TRANSITIVE_MEMBER_OF, "user-list-transitivememberof"),
    epx("POST", "/users/{id}/revokeSignInSessions", REVOKE, "user-revokesigninsessions", Extra::UserRevoke),
    // The 2025 page's application table lists read permissions only (the List
    // table's, a generator error); the stricter reading: the write permissions
    // (UserAuthMethod-TAP.ReadWrite.All, or UserAuthenticationMethod.ReadWrite.All
    // as the older page says).
    ep("POST", "/users/{id}/authentication/temporaryAccessPassMethods", any![["UserAuthMethod-TAP.ReadWrite.All"], ["UserAuthenticationMethod.ReadWrite.All"]], "authentication-post-temporaryaccesspassmethods"),
    ep("GET", "/users/{id}/authentication/temporaryAccessPassMethods", any![["UserAuthMethod-TAP.Read.All"], ["UserAuthMethod-TAP.ReadWrite.All"], ["UserAuthenticationMethod.Read.All"], ["UserAuthenticationMethod.ReadWrite.All"]], "authentication-list-temporaryaccesspassmethods"),
    ep("GET", "/users/{id}/authentication/methods", any![["UserAuthenticationMethod.Read.All"], ["UserAuthenticationMethod.ReadWrite.All"]], "authentication-list-methods"),
    ep("DELETE", "/users/{id}/authentication/phoneMethods/{id}", any![["UserAuthenticationMethod.ReadWrite.All"]], "phoneauthenticationmethod-delete"),
    ep("DELETE", "/users/{id}/authentication/microsoftAuthenticatorMethods/{id}", any![["UserAuthMethod-MicrosoftAuthApp.ReadWrite.All"], ["UserAuthenticationMethod.ReadWrite.All"]], "microsoftauthenticatorauthenticationmethod-delete"),
    // The stored includes conflict (one says application "Not supported"); the
    // current page lists UserAuthMethod-Passkey.ReadWrite.All (least).
    ep("DELETE", "/users/{id}/authentication/fido2Methods/{id}", any![["UserAuthMethod-Passkey.ReadWrite.All"], ["UserAuthenticationMethod.ReadWrite.All"]], "fido2authenticationmethod-delete"),
    ep("DELETE", "/users/{id}/authentication/softwareOathMethods/{id}", any![["UserAuthMethod-SoftwareOATH.ReadWrite.All"], ["UserAuthenticationMethod.ReadWrite.All"]], "softwareoathauthenticationmethod-delete"),
    ep("DELETE", "/users/{id}/authentication/emailMethods/{id}", any![["UserAuthenticationMethod.ReadWrite.All"]], "emailauthenticationmethod-delete"),
    ep("DELETE", "/users/{id}/authentication/windowsHelloForBusinessMethods/{id}", any![["UserAuthMethod-WindowsHello.ReadWrite.All"], ["UserAuthenticationMethod.ReadWrite.All"]], "windowshelloforbusinessauthenticationmethod-delete"),
    ep("DELETE", "/users/{id}/authentication/temporaryAccessPassMethods/{id}", any![["UserAuthMethod-TAP.ReadWrite.All"], ["UserAuthenticationMethod.ReadWrite.All"]], "temporaryaccesspassauthenticationmethod-delete"),
    ep("POST", "/users/{id}/assignLicense", LICENSE_ASSIGN, "user-assignlicense"),
    ep("GET", "/subscribedSkus", SUBSCRIBED_SKUS_READ, "subscribedsku-list"),
    epx("POST", "/invitations", INVITE, "invitation-post", Extra::InviteReset),
    ep("POST", "/users/{id}/checkMemberGroups", USER_MEMBERSHIPS, "directoryobject-checkmembergroups"),
    ep("POST", "/users/{id}/getMemberGroups", USER_MEMBERSHIPS, "directoryobject-getmembergroups"),
    ep("POST", "/users/{id}/checkMemberObjects", USER_MEMBERSHIPS, "directoryobject-checkmemberobjects"),
    ep("POST", "/users/{id}/getMemberObjects", USER_MEMBERSHIPS, "directoryobject-getmemberobjects"),
    ep("*", "/me", NONE, "user-get (/me needs a delegated token)"),
    // groups
    ep("GET", "/groups", GROUP_READ, "group-list"),
    ep("GET", "/groups/$count", GROUP_READ, "group-list"),
    ep("GET", "/groups/{delta}", GROUP_READ, "group-delta"),
    epx("POST", "/groups", GROUP_CREATE, "group-post-groups", Extra::GroupCreate),
    ep("GET", "/groups/{id}", GROUP_READ, "group-get"),
    epx("PATCH", "/groups/{id}", GROUP_PROPS, "group-update", Extra::GroupUpdate),
    ep("DELETE", "/groups/{id}", GROUP_DELETE, "group-delete"),
    ep("GET", "/groups/{id}/members", GROUP_MEMBERS_READ, "group-list-members"),
    ep("GET", "/groups/{id}/members/$ref", GROUP_MEMBERS_READ, "group-list-members"),
    ep("GET", "/groups/{id}/members/$count", GROUP_MEMBERS_READ, "group-list-members"),
    ep("GET", "/groups/{id}/members/{cast}", GROUP_MEMBERS_READ, "group-list-members"),
    ep("GET", "/groups/{id}/members/{cast}/$count", GROUP_MEMBERS_READ, "group-list-members"),
    epx("POST", "/groups/{id}/members/$ref", MEMBER_WRITE, "group-post-members", Extra::MemberAdd),
    epx("DELETE", "/groups/{id}/members/{id}/$ref", MEMBER_WRITE, "group-delete-members", Extra::MemberRemove),
    ep("GET", "/groups/{id}/transitiveMembers", GROUP_MEMBERS_READ, "group-list-transitivemembers"),
    ep("GET", "/groups/{id}/transitiveMembers/$count", GROUP_MEMBERS_READ, "group-list-transitivemembers"),
    ep("GET", "/groups/{id}/transitiveMembers/{cast}", GROUP_MEMBERS_READ, "group-list-transitivemembers"),
    ep("GET", "/groups/{id}/transitiveMembers/{cast}/$count", GROUP_MEMBERS_READ, "group-list-transitivemembers"),
    ep("GET", "/groups/{id}/memberOf", GROUP_MEMBERS_READ, "group-list-memberof"),
    ep("GET", "/groups/{id}/memberOf/$count", GROUP_MEMBERS_READ, "group-list-memberof"),
    ep("GET", "/groups/{id}/memberOf/{cast}", GROUP_MEMBERS_READ, "group-list-memberof"),
    ep("GET", "/groups/{id}/transitiveMemberOf", MEMBER_OF, "group-list-transitivememberof"),
    ep("GET", "/groups/{id}/transitiveMemberOf/$count", MEMBER_OF, "group-list-transitivememberof"),
    ep("GET", "/groups/{id}/transitiveMemberOf/{cast}", MEMBER_OF, "group-list-transitivememberof"),
    ep("GET", "/groups/{id}/owners", GROUP_OWNERS_READ, "group-list-owners"),
    ep("GET", "/groups/{id}/owners/$ref", GROUP_OWNERS_READ, "group-list-owners"),
    ep("GET", "/groups/{id}/owners/$count", GROUP_OWNERS_READ, "group-list-owners"),
    ep("GET", "/groups/{id}/owners/{cast}", GROUP_OWNERS_READ, "group-list-owners"),
    ep("POST", "/groups/{id}/owners/$ref", OWNER_WRITE, "group-post-owners"),
    ep("DELETE", "/groups/{id}/owners/{id}/$ref", OWNER_WRITE, "group-delete-owners"),
    ep("POST", "/groups/{id}/checkMemberGroups", GROUP_MEMBERSHIPS, "directoryobject-checkmembergroups"),
    ep("POST", "/groups/{id}/getMemberGroups", GROUP_MEMBERSHIPS, "directoryobject-getmembergroups"),
    ep("POST", "/groups/{id}/checkMemberObjects", GROUP_MEMBERSHIPS, "directoryobject-checkmemberobjects"),
    ep("POST", "/groups/{id}/getMemberObjects", GROUP_MEMBERSHIPS, "directoryobject-getmemberobjects"),
    // directory objects
    ep("POST", "/directoryObjects/getByIds", DIRECTORY_READ, "directoryobject-getbyids"),
    ep("POST", "/directoryObjects/{id}/checkMemberGroups", DIRECTORY_READ, "directoryobject-checkmembergroups"),
    ep("POST", "/directoryObjects/{id}/getMemberGroups", DIRECTORY_READ, "directoryobject-getmembergroups"),
    ep("POST", "/directoryObjects/{id}/checkMemberObjects", DIRECTORY_READ, "directoryobject-checkmemberobjects"),
    ep("POST", "/directoryObjects/{id}/getMemberObjects", DIRECTORY_READ, "directoryobject-getmemberobjects"),
    // deleted items (per-resource tables; the list's table gives the least
    // privileged permission only, so only it — and User.DeleteRestore.All,
    // What's New Dec 2024 — is accepted)
    epx("GET", "/directory/deletedItems/{cast}", DELETE_RESTORE, "directory-deleteditems-list", Extra::DeletedList),
    epx("GET", "/directory/deletedItems/{cast}/$count", DELETE_RESTORE, "directory-deleteditems-list", Extra::DeletedList),
    ep("GET", "/directory/deletedItems", USER_READ, "directory-deleteditems-list (a cast is required)"),
    epx("GET", "/directory/deletedItems/{id}", DELETE_RESTORE, "directory-deleteditems-get", Extra::DeletedRead),
    epx("POST", "/directory/deletedItems/{id}/restore", DELETE_RESTORE, "directory-deleteditems-restore", Extra::DeletedRestore),
    epx("DELETE", "/directory/deletedItems/{id}", DELETE_RESTORE, "directory-deleteditems-delete", Extra::DeletedPurge),
    // administrative units
    ep("GET", "/directory/administrativeUnits", UNITS, "directory-list-administrativeunits"),
    ep("GET", "/directory/administrativeUnits/{id}", UNITS, "administrativeunit-get"),
    epx("GET", "/directory/administrativeUnits/{id}/members", UNITS, "administrativeunit-list-members", Extra::HiddenMembers),
    epx("GET", "/directory/administrativeUnits/{id}/members/$ref", UNITS, "administrativeunit-list-members", Extra::HiddenMembers),
    epx("GET", "/directory/administrativeUnits/{id}/members/{cast}", UNITS, "administrativeunit-list-members", Extra::HiddenMembers),
    // role management
    ep("GET", "/roleManagement/directory/roleDefinitions", ROLE_DEFS, "rbacapplication-list-roledefinitions"),
    ep("GET", "/roleManagement/directory/roleDefinitions/{id}", ROLE_DEFS, "unifiedroledefinition-get"),
    ep("GET", "/roleManagement/directory/roleAssignments", ROLE_ASSIGNMENTS, "rbacapplication-list-roleassignments"),
    ep("GET", "/roleManagement/directory/roleAssignments/{id}", ROLE_ASSIGNMENTS, "unifiedroleassignment-get"),
    ep("POST", "/roleManagement/directory/roleAssignments", ROLE_WRITE, "rbacapplication-post-roleassignments"),
    ep("DELETE", "/roleManagement/directory/roleAssignments/{id}", ROLE_WRITE, "unifiedroleassignment-delete"),
    // PIM (crate::pim)
    ep("GET", "/roleManagement/directory/roleEligibilitySchedules", PIM_ELIGIBILITY_READ, "rbacapplication-list-roleeligibilityschedules"),
    ep("GET", "/roleManagement/directory/roleEligibilityScheduleInstances", PIM_ELIGIBILITY_READ, "rbacapplication-list-roleeligibilityscheduleinstances (its include unread: the schedules' table)"),
    ep("GET", "/roleManagement/directory/roleAssignmentSchedules", PIM_ASSIGNMENT_SCHEDULES_READ, "rbacapplication-list-roleassignmentschedules"),
    ep("GET", "/roleManagement/directory/roleAssignmentScheduleInstances", PIM_ASSIGNMENT_INSTANCES_READ, "rbacapplication-list-roleassignmentscheduleinstances"),
    ep("GET", "/roleManagement/directory/roleAssignmentScheduleInstances/{id}", PIM_ASSIGNMENT_SCHEDULES_READ, "unifiedroleassignmentscheduleinstance-get"),
    ep("POST", "/roleManagement/directory/roleEligibilityScheduleRequests", PIM_ELIGIBILITY_WRITE, "rbacapplication-post-roleeligibilityschedulerequests"),
    ep("GET", "/roleManagement/directory/roleEligibilityScheduleRequests", PIM_ELIGIBILITY_WRITE, "rbacapplication-list-roleeligibilityschedulerequests (table unverified: the POST's)"),
    epx("POST", "/roleManagement/directory/roleAssignmentScheduleRequests", PIM_ASSIGNMENT_WRITE, "rbacapplication-post-roleassignmentschedulerequests", Extra::PimSelf),
    ep("GET", "/roleManagement/directory/roleAssignmentScheduleRequests", PIM_ASSIGNMENT_WRITE, "unifiedroleassignmentschedulerequest-get (the list's table unverified)"),
    // legacy directory roles
    ep("GET", "/directoryRoles", DIRECTORY_ROLES, "directoryrole-list"),
    ep("POST", "/directoryRoles", ROLE_WRITE, "directoryrole-post-directoryroles"),
    ep("GET", "/directoryRoles/{delta}", DIRECTORY_ROLES, "directoryrole-delta"),
    ep("GET", "/directoryRoles/$count", DIRECTORY_ROLES, "directoryrole-list"),
    ep("GET", "/directoryRoles/{id}", DIRECTORY_ROLES, "directoryrole-get"),
    ep("GET", "/directoryRoles/{id}/members", DIRECTORY_ROLES, "directoryrole-list-members"),
    ep("GET", "/directoryRoles/{id}/members/$ref", DIRECTORY_ROLES, "directoryrole-list-members"),
    ep("GET", "/directoryRoles/{id}/members/$count", DIRECTORY_ROLES, "directoryrole-list-members"),
    ep("POST", "/directoryRoles/{id}/members/$ref", ROLE_WRITE, "directoryrole-post-members"),
    ep("DELETE", "/directoryRoles/{id}/members/{id}/$ref", ROLE_WRITE, "directoryrole-delete-member"),
    ep("GET", "/directoryRoles(*", DIRECTORY_ROLES, "directoryrole-get"),
    ep("GET", "/directoryRoles(*/members", DIRECTORY_ROLES, "directoryrole-list-members"),
    ep("GET", "/directoryRoles(*/members/$ref", DIRECTORY_ROLES, "directoryrole-list-members"),
    ep("GET", "/directoryRoles(*/members/$count", DIRECTORY_ROLES, "directoryrole-list-members"),
    ep("POST", "/directoryRoles(*/members/$ref", ROLE_WRITE, "directoryrole-post-members"),
    ep("DELETE", "/directoryRoles(*/members/{id}/$ref", ROLE_WRITE, "directoryrole-delete-member"),
    // reports (crate::reports): AuditLog.Read.All only, and Entra ID P1/P2
    epx("GET", "/reports/authenticationMethods/userRegistrationDetails", AUDIT_LOG_READ, "authenticationmethodsroot-list-userregistrationdetails", Extra::Premium),
    // devices (crate::devices)
    // user-list-owneddevices and user-list-registereddevices: the current
    // learn pages (en-us, nl-nl, pl-pl) give Application "Not supported";
    // older versions (@02b4cba0; include @c9bbab2c) listed User.Read.All and
    // higher. The newer page, and the stricter reading: refused to every
    // app-only token. An app reads owners through the device side
    // (device-list with $expand=registeredOwners, device-list-registeredowners).
    epx("GET", "/users/{id}/ownedDevices", USER_DEVICES_READ_OLD, "user-list-owneddevices (Application: Not supported)", Extra::AppOnlyNotSupported),
    epx("GET", "/users/{id}/ownedDevices/{cast}", USER_DEVICES_READ_OLD, "user-list-owneddevices (Application: Not supported)", Extra::AppOnlyNotSupported),
    epx("GET", "/users/{id}/registeredDevices", USER_DEVICES_READ_OLD, "user-list-registereddevices (Application: Not supported)", Extra::AppOnlyNotSupported),
    epx("GET", "/users/{id}/registeredDevices/{cast}", USER_DEVICES_READ_OLD, "user-list-registereddevices (Application: Not supported)", Extra::AppOnlyNotSupported),
    ep("GET", "/devices", DEVICE_READ, "device-list"),
    ep("GET", "/devices/$count", DEVICE_READ, "device-list"),
    ep("GET", "/devices/{id}", DEVICE_READ, "device-get"),
    epx("PATCH", "/devices/{id}", DEVICE_UPDATE, "device-update", Extra::DeviceUpdate),
    ep("GET", "/devices/{id}/registeredOwners", DEVICE_READ, "device-list-registeredowners"),
    ep("GET", "/devices/{id}/registeredUsers", DEVICE_READ, "device-list-registeredusers"),
    ep("GET", "/devices(*", DEVICE_READ, "device-get"),
    epx("PATCH", "/devices(*", DEVICE_UPDATE, "device-update", Extra::DeviceUpdate),
    ep("GET", "/devices(*/registeredOwners", DEVICE_READ, "device-list-registeredowners"),
    ep("GET", "/devices(*/registeredUsers", DEVICE_READ, "device-list-registeredusers"),
    // service principals
    ep("GET", "/servicePrincipals(*", SERVICE_PRINCIPALS, "serviceprincipal-get"),
    ep("GET", "/servicePrincipals/{id}", SERVICE_PRINCIPALS, "serviceprincipal-get"),
];

fn seg_matches(pattern: &str, seg: &str) -> bool {
    match pattern {
        "{id}" => !seg.is_empty(),
        "{cast}" => cast::parse(seg).is_some(),
        "{delta}" => cast::is_function(seg, "delta"),
        // Graph matches path segments without regard to case (OData URL
        // conventions), as the router does: so does the table.
        p if p.ends_with("(*") => seg
            .get(..p.len() - 1)
            .is_some_and(|head| head.eq_ignore_ascii_case(&p[..p.len() - 1])),
        p => p.eq_ignore_ascii_case(seg),
    }
}

fn path_matches(pattern: &str, segs: &[&str]) -> bool {
    let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    if pat.first() == Some(&"me") {
        return segs.first() == Some(&"me");
    }
    // `directoryRoles(*` stands for one segment holding the alternate key.
    pat.len() == segs.len() && pat.iter().zip(segs).all(|(p, s)| seg_matches(p, s))
}

/// What the table says about a request.
#[derive(Debug)]
pub enum Lookup {
    /// The endpoint's entry.
    Found(&'static Endpoint),
    /// The path is known, with other methods only (Graph's 405).
    WrongMethod,
    /// No entry: refused (fail closed) unless the router finds nothing there either.
    Unknown,
}

/// The table entry for a request (`segs`: the path after `/v1.0`, decoded).
pub fn lookup(method: &str, segs: &[&str]) -> Lookup {
    let mut path_known = false;
    for e in TABLE {
        if path_matches(e.path, segs) {
            if e.method == "*" || e.method.eq_ignore_ascii_case(method) {
                return Lookup::Found(e);
            }
            path_known = true;
        }
    }
    if path_known {
        Lookup::WrongMethod
    } else {
        Lookup::Unknown
    }
}

/// Every permission name the table mentions (what `permissions: all` grants).
pub fn all_permissions() -> BTreeSet<String> {
    let mut all: BTreeSet<String> = TABLE
        .iter()
        .flat_map(|e| e.any_of.iter().flat_map(|a| a.iter()))
        .map(|p| p.to_string())
        .collect();
    for extra in EXTRA_PERMISSIONS {
        all.insert(extra.to_string());
    }
    all
}

/// Permissions only the request-dependent checks name.
const EXTRA_PERMISSIONS: &[&str] = &[
    "User.EnableDisableAccount.All",
    "User-Phone.ReadWrite.All",
    "User-Mail.ReadWrite.All",
    "User-PasswordProfile.ReadWrite.All",
    "User.ManageIdentities.All",
    "User-LifeCycleInfo.ReadWrite.All",
    "CustomSecAttributeAssignment.ReadWrite.All",
    "Member.Read.Hidden",
    "Application.ReadWrite.All",
    "Group.Read.All",
];

/// The directory roles (template ids) a principal holds at tenant scope.
pub fn roles_of(t: &Tenant, principal: &str) -> Vec<String> {
    t.assignments
        .values()
        .filter(|a| a.principal_id == principal && a.directory_scope_id == "/")
        .map(|a| a.role_definition_id.clone())
        .collect()
}

/// What makes a user privileged for the sensitive-action tables.
pub fn target_of(t: &Tenant, user: &str) -> Target {
    let roles = roles_of(t, user);
    let assignable = |g: &str| {
        t.groups
            .get(g)
            .is_some_and(|g| g.obj.props.get("isAssignableToRole") == Some(&Value::Bool(true)))
            || t.assignments.values().any(|a| a.principal_id == g)
    };
    let in_group = t
        .member_of
        .get(user)
        .is_some_and(|gs| gs.iter().any(|g| assignable(g)))
        || t.owners
            .iter()
            .any(|(g, owners)| owners.contains(user) && assignable(g));
    let restricted_unit_role = t.assignments.values().any(|a| {
        a.principal_id == user
            && a.directory_scope_id
                .strip_prefix("/administrativeUnits/")
                .and_then(|id| t.admin_units.get(id))
                .is_some_and(|u| u.restricted())
    });
    Target {
        roles,
        in_role_assignable_group: in_group,
        restricted_unit_role,
    }
}

fn denied() -> GraphError {
    GraphError::denied()
}

fn need(caller: &Caller, any_of: &[&[&str]]) -> Result<(), GraphError> {
    if caller.satisfies(any_of) {
        Ok(())
    } else {
        Err(denied())
    }
}

/// The sensitive-action rule: the caller's directory roles must let it act on the user.
fn sensitive(t: &Tenant, caller: &Caller, table: Table, user: &str) -> Result<(), GraphError> {
    let target = target_of(t, user);
    let mine = caller.principal.map(|p| roles_of(t, p)).unwrap_or_default();
    if sensitive_actions::allowed(table, &mine, &target) {
        Ok(())
    } else {
        Err(denied())
    }
}

fn user_update(t: &Tenant, caller: &Caller, req: &ApiRequest, key: &str) -> Result<(), GraphError> {
    let Some(body) = req.body.as_ref().and_then(Value::as_object) else {
        return need(caller, USER_UPDATE);
    };
    let user = t.resolve_user(key);
    if body.keys().all(|k| k.contains('@')) {
        return need(caller, USER_UPDATE);
    }
    for (prop, value) in body.iter().filter(|(k, _)| !k.contains('@')) {
        let canonical =
            super::schema::canonical(super::schema::USER_PROPERTIES, prop).unwrap_or(prop.as_str());
        // Graph's OData reader refuses a malformed body (400) before the
        // properties are authorized: leave it to the route.
        if super::prop_types::check(super::prop_types::user_prop(canonical), value).is_err() {
            return Ok(());
        }
        if NOT_APP_UPDATABLE.contains(&canonical) {
            return Err(denied());
        }
        need(caller, user_property_rule(canonical))?;
        let (Some(table), Some(user)) = (user_property_table(canonical), user.as_deref()) else {
            continue;
        };
        let ok = match canonical {
            // Resetting a password includes phones and other mails.
            "businessPhones" | "mobilePhone" | "otherMails" => {
                sensitive(t, caller, Table::SensitiveActions, user).is_ok()
                    || sensitive(t, caller, Table::ResetPassword, user).is_ok()
            }
            "passwordProfile" => {
                // App-only: "at least the User Administrator Entra role" as well.
                let mine = caller.principal.map(|p| roles_of(t, p)).unwrap_or_default();
                let admin = [
                    sensitive_actions::role::USER_ADMINISTRATOR,
                    sensitive_actions::role::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
                    sensitive_actions::role::GLOBAL_ADMINISTRATOR,
                ];
                mine.iter()
                    .any(|r| admin.iter().any(|a| a.eq_ignore_ascii_case(r)))
                    && sensitive(t, caller, table, user).is_ok()
            }
            _ => sensitive(t, caller, table, user).is_ok(),
        };
        if !ok {
            return Err(denied());
        }
    }
    Ok(())
}

/// Read rights on the objects bound in `xxx@odata.bind` when the caller
/// creates groups with `Group.Create` only (group-post-groups: "the app may
/// always bind itself … users need at least User.Read.All, service
/// principals Application.Read.All, either Directory.Read.All").
fn binds_readable(t: &Tenant, caller: &Caller, req: &ApiRequest) -> Result<(), GraphError> {
    if caller.satisfies(any![["Group.ReadWrite.All"], ["Directory.ReadWrite.All"]]) {
        return Ok(());
    }
    let Some(body) = req.body.as_ref().and_then(Value::as_object) else {
        return Ok(());
    };
    for key in ["owners@odata.bind", "members@odata.bind"] {
        for url in body
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            let Some(id) = url.rsplit('/').find(|s| cast::parse(s).is_none()) else {
                continue;
            };
            let id = id
                .trim_start_matches("users(")
                .trim_start_matches('\'')
                .trim_end_matches(')')
                .trim_end_matches('\'');
            match t.kind_of(id) {
                Some(Kind::ServicePrincipal) if caller.principal == Some(id) => {}
                Some(Kind::ServicePrincipal) => need(
                    caller,
                    any![
                        ["Application.Read.All"],
                        ["Application.ReadWrite.All"],
                        ["Directory.Read.All"]
                    ],
                )?,
                Some(Kind::User) => need(caller, USER_READ)?,
                _ => {}
            }
        }
    }
    Ok(())
}

/// `PATCH /devices/{id}` per property: `extensionAttributes` needs only the
/// permission (device-update Example 2); `accountEnabled` a role in
/// [`DEVICE_ENABLE_ROLES`]; `displayName`, `operatingSystem`,
/// `operatingSystemVersion` a role in [`DEVICE_UPDATE_ROLES`]; `isCompliant`
/// and `isManaged` "can only be updated by Intune … or by an approved MDM
/// app": refused (403). Unknown or malformed properties are left to the
/// route's 400.
fn device_update(t: &Tenant, caller: &Caller, req: &ApiRequest) -> Result<(), GraphError> {
    let Some(body) = req.body.as_ref().and_then(Value::as_object) else {
        return Ok(());
    };
    let mine = caller.principal.map(|p| roles_of(t, p)).unwrap_or_default();
    let holds = |roles: &[&str]| {
        mine.iter()
            .any(|r| roles.iter().any(|a| a.eq_ignore_ascii_case(r)))
    };
    for prop in body.keys() {
        let p = super::schema::canonical(super::device_state::DEVICE_PROPERTIES, prop);
        let ok = match p {
            Some("accountEnabled") => holds(DEVICE_ENABLE_ROLES),
            Some("displayName" | "operatingSystem" | "operatingSystemVersion") => {
                holds(DEVICE_UPDATE_ROLES)
            }
            Some("isCompliant" | "isManaged") => false,
            _ => true,
        };
        if !ok {
            return Err(denied());
        }
    }
    Ok(())
}

fn is_role_assignable(t: &Tenant, group: &str) -> bool {
    t.groups
        .get(group)
        .is_some_and(|g| g.obj.props.get("isAssignableToRole") == Some(&Value::Bool(true)))
}

fn member_write(t: &Tenant, caller: &Caller, group: &str) -> Result<(), GraphError> {
    need(caller, MEMBER_WRITE)?;
    if is_role_assignable(t, group) {
        need(caller, ROLE_WRITE)?;
    }
    Ok(())
}

/// Check a request against the table; `Ok` when the caller may make it.
pub fn check(
    t: &Tenant,
    caller: &Caller,
    req: &ApiRequest,
    ep: &Endpoint,
    segs: &[&str],
) -> Result<(), GraphError> {
    match ep.extra {
        // Decided by the request: per property, per object type.
        Extra::UserUpdate
        | Extra::GroupUpdate
        | Extra::DeletedRead
        | Extra::DeletedRestore
        | Extra::DeletedPurge
        | Extra::DeletedList => {}
        _ => need(caller, ep.any_of)?,
    }
    match (ep.extra, segs) {
        (Extra::None, _) => Ok(()),
        (Extra::UserUpdate, [_, key]) => user_update(t, caller, req, key),
        (Extra::UserDelete, [_, key]) => match t.resolve_user(key) {
            Some(id) => sensitive(t, caller, Table::SensitiveActions, &id),
            None => Ok(()),
        },
        (Extra::UserRevoke, [_, key, ..]) => match t.resolve_user(key) {
            Some(id) => sensitive(t, caller, Table::ResetPassword, &id),
            None => Ok(()),
        },
        (Extra::GroupCreate, _) => binds_readable(t, caller, req),
        (Extra::GroupUpdate, [_, g]) => {
            let body = req.body.as_ref().and_then(Value::as_object);
            let props = body.is_none_or(|b| b.keys().any(|k| !k.contains('@')));
            if props {
                need(caller, GROUP_PROPS)?;
            }
            if body.is_some_and(|b| b.contains_key("members@odata.bind")) {
                member_write(t, caller, g)?;
            }
            if body.is_some_and(|b| b.contains_key("owners@odata.bind")) {
                need(caller, OWNER_WRITE)?;
            }
            Ok(())
        }
        (Extra::MemberAdd, [_, g, ..]) => {
            member_write(t, caller, g)?;
            // A service principal member also needs Application.ReadWrite.All (group-post-members).
            if ref_target(req).and_then(|id| t.kind_of(id)) == Some(Kind::ServicePrincipal) {
                need(
                    caller,
                    any![["Application.ReadWrite.All"], ["Directory.ReadWrite.All"]],
                )?;
            }
            Ok(())
        }
        (Extra::MemberRemove, [_, g, ..]) => member_write(t, caller, g),
        (Extra::InviteReset, _)
            if req
                .body
                .as_ref()
                .and_then(|b| b.get("resetRedemption"))
                .and_then(Value::as_bool)
                == Some(true) =>
        {
            need(caller, INVITE_RESET)
        }
        (Extra::SignInActivity, _) => crate::sign_in_activity::check(
            caller.satisfies(AUDIT_LOG_READ),
            t.sign_in_reports.premium,
            req,
        ),
        (Extra::Premium, _) => crate::sign_in_activity::audit_and_premium(
            caller.satisfies(AUDIT_LOG_READ),
            t.sign_in_reports.premium,
        ),
        (Extra::DeviceUpdate, _) => device_update(t, caller, req),
        // A token issued as a user (`issue_token_as`, "in the portal") reads
        // them as the delegated row allows; an app never does.
        (Extra::AppOnlyNotSupported, _) => match caller.principal {
            Some(p) if t.users.contains_key(p) => Ok(()),
            _ => Err(denied()),
        },
        (Extra::PimSelf, _)
            if !crate::pim::requests::self_action_allowed(req, caller.principal) =>
        {
            Err(denied())
        }
        (Extra::DeletedList, [_, _, c, ..]) => match cast::parse(c).and_then(cast::Cast::kind) {
            Some(Kind::Group) => need(caller, any![["Group.Read.All"], ["Group.ReadWrite.All"]]),
            _ => need(caller, any![["User.Read.All"], ["User.DeleteRestore.All"]]),
        },
        (Extra::DeletedRead, [_, _, id]) => match t.deleted.get(*id).map(|d| d.kind) {
            Some(Kind::Group) => need(caller, any![["Group.Read.All"], ["Group.ReadWrite.All"]]),
            _ => need(caller, any![["User.Read.All"], ["User.DeleteRestore.All"]]),
        },
        (Extra::DeletedRestore, [_, _, id, ..]) => match t.deleted.get(*id).map(|d| d.kind) {
            Some(Kind::Group) => need(caller, any![["Group.ReadWrite.All"]]),
            // A deleted user's role assignments left with it (as in Entra),
            // so the sensitive-action rule finds no admin role to protect.
            _ => need(caller, DELETE_RESTORE),
        },
        (Extra::DeletedPurge, [_, _, id]) => match t.deleted.get(*id).map(|d| d.kind) {
            // directory-deleteditems-delete: group, Application "Not supported".
            Some(Kind::Group) => Err(denied()),
            _ => need(caller, DELETE_RESTORE),
        },
        (Extra::HiddenMembers, [_, _, id, ..]) => {
            let hidden = t.admin_units.get(*id).is_some_and(|u| {
                u.obj
                    .str("visibility")
                    .is_some_and(|v| v.eq_ignore_ascii_case("HiddenMembership"))
            });
            if hidden {
                need(caller, any![["Member.Read.Hidden"]])?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The object id an `@odata.id` body names (its last segment that is not a cast).
fn ref_target(req: &ApiRequest) -> Option<&str> {
    let url = req.body.as_ref()?.get("@odata.id")?.as_str()?;
    url.trim_end_matches('/')
        .rsplit('/')
        .find(|s| cast::parse(s).is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_the_paths_they_name() {
        let found = |m: &str, p: &str| {
            let segs: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
            match lookup(m, &segs) {
                Lookup::Found(e) => e.path,
                Lookup::WrongMethod => "405",
                Lookup::Unknown => "?",
            }
        };
        assert_eq!(found("GET", "/users/delta"), "/users/{delta}");
        assert_eq!(found("GET", "/users/graph.delta()"), "/users/{delta}");
        assert_eq!(found("GET", "/users/$count"), "/users/$count");
        assert_eq!(found("GET", "/users/abc"), "/users/{id}");
        assert_eq!(
            found("GET", "/groups/g/members/graph.user"),
            "/groups/{id}/members/{cast}"
        );
        assert_eq!(
            found("GET", "/directory/deletedItems/graph.user"),
            "/directory/deletedItems/{cast}"
        );
        assert_eq!(
            found("GET", "/directory/deletedItems/abc"),
            "/directory/deletedItems/{id}"
        );
        assert_eq!(
            found("GET", "/directoryRoles(roleTemplateId='x')/members"),
            "/directoryRoles(*/members"
        );
        assert_eq!(
            found("GET", "/servicePrincipals(appId='x')"),
            "/servicePrincipals(*"
        );
        assert_eq!(found("PUT", "/users"), "405");
        assert_eq!(found("GET", "/me/memberOf"), "/me");
        assert_eq!(found("GET", "/devices"), "/devices");
        assert_eq!(found("PATCH", "/devices(deviceId='x')"), "/devices(*");
        assert_eq!(found("GET", "/printers"), "?");
    }

    #[test]
    fn every_entry_names_its_source_and_a_permission() {
        for e in TABLE {
            assert!(!e.source.is_empty(), "{} {}", e.method, e.path);
            assert!(!e.any_of.is_empty(), "{} {}", e.method, e.path);
        }
        let all = all_permissions();
        for p in [
            "User.Read.All",
            "User.EnableDisableAccount.All",
            "Group.Create",
            "Member.Read.Hidden",
        ] {
            assert!(all.contains(p), "{p}");
        }
    }

    #[test]
    fn device_roles_are_the_named_built_in_roles() {
        let name = |id: &str| {
            entra_data::builtin_roles::by_template_id(id)
                .map(|r| r.display_name)
                .unwrap_or("?")
        };
        let enable: Vec<&str> = DEVICE_ENABLE_ROLES.iter().map(|id| name(id)).collect();
        assert_eq!(
            enable,
            ["Cloud Device Administrator", "Global Administrator"]
        );
        let update: Vec<&str> = DEVICE_UPDATE_ROLES.iter().map(|id| name(id)).collect();
        assert_eq!(
            update,
            [
                "Intune Administrator",
                "Windows 365 Administrator",
                "Global Administrator"
            ]
        );
    }

    #[test]
    fn alternatives_need_every_permission_of_one() {
        let roles: BTreeSet<String> = ["User.EnableDisableAccount.All".to_string()].into();
        let c = Caller {
            roles: &roles,
            principal: None,
        };
        assert!(!c.satisfies(user_property_rule("accountEnabled")));
        let roles: BTreeSet<String> = [
            "User.EnableDisableAccount.All".to_string(),
            "user.read.all".to_string(),
        ]
        .into();
        let c = Caller {
            roles: &roles,
            principal: None,
        };
        assert!(c.satisfies(user_property_rule("accountEnabled")));
        assert!(!c.satisfies(user_property_rule("jobTitle")));
        assert!(c.satisfies(NONE));
    }
}
