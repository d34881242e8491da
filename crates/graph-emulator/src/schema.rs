//! What the emulator knows of Graph's entity types: property names (from the
//! v1.0 CSDL via `openapi-subset.json`), default property sets, which
//! properties are writable, and which `$filter`s Graph accepts on which
//! properties.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Structural properties of `microsoft.graph.user` (plus `id`, `deletedDateTime`).
pub static USER_PROPERTIES: &[&str] = &[
    "id",
    "deletedDateTime",
    "aboutMe",
    "accountEnabled",
    "ageGroup",
    "assignedLicenses",
    "assignedPlans",
    "authorizationInfo",
    "birthday",
    "businessPhones",
    "city",
    "companyName",
    "consentProvidedForMinor",
    "country",
    "createdDateTime",
    "creationType",
    "customSecurityAttributes",
    "department",
    "deviceEnrollmentLimit",
    "displayName",
    "employeeHireDate",
    "employeeId",
    "employeeLeaveDateTime",
    "employeeOrgData",
    "employeeType",
    "externalUserState",
    "externalUserStateChangeDateTime",
    "faxNumber",
    "givenName",
    "hireDate",
    "identities",
    "identityParentId",
    "imAddresses",
    "interests",
    "isManagementRestricted",
    "isResourceAccount",
    "jobTitle",
    "lastPasswordChangeDateTime",
    "legalAgeGroupClassification",
    "licenseAssignmentStates",
    "mail",
    "mailboxSettings",
    "mailNickname",
    "mobilePhone",
    "mySite",
    "officeLocation",
    "onPremisesDistinguishedName",
    "onPremisesDomainName",
    "onPremisesExtensionAttributes",
    "onPremisesImmutableId",
    "onPremisesLastSyncDateTime",
    "onPremisesProvisioningErrors",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "onPremisesUserPrincipalName",
    "otherMails",
    "passwordPolicies",
    "passwordProfile",
    "pastProjects",
    "postalCode",
    "preferredDataLocation",
    "preferredLanguage",
    "preferredName",
    "print",
    "provisionedPlans",
    "proxyAddresses",
    "responsibilities",
    "schools",
    "securityIdentifier",
    "serviceProvisioningErrors",
    "showInAddressList",
    "signInActivity",
    "signInSessionsValidFromDateTime",
    "skills",
    "state",
    "streetAddress",
    "surname",
    "usageLocation",
    "userPrincipalName",
    "userType",
];

/// Properties returned for a user when no `$select` is given.
pub const USER_DEFAULT: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

/// Properties of a user expanded as a role assignment's `principal` (Graph returns more than the default set).
pub const USER_EXPANDED: &[&str] = &[
    "id",
    "accountEnabled",
    "businessPhones",
    "displayName",
    "givenName",
    "imAddresses",
    "jobTitle",
    "mail",
    "mailNickname",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "userType",
];

/// User properties that cannot be set by POST/PATCH (Graph computes them).
pub const USER_READ_ONLY: &[&str] = &[
    "id",
    "deletedDateTime",
    "createdDateTime",
    "creationType",
    "imAddresses",
    "lastPasswordChangeDateTime",
    "onPremisesSyncEnabled",
    "onPremisesLastSyncDateTime",
    "onPremisesSecurityIdentifier",
    "proxyAddresses",
    "signInSessionsValidFromDateTime",
    "securityIdentifier",
    "assignedPlans",
    "provisionedPlans",
    "signInActivity",
    // Licences are changed only through `assignLicense` (user-assignlicense);
    // neither property is in user-update's table of updatable properties, so
    // a PATCH or POST naming them is refused (the stricter reading).
    "assignedLicenses",
    "licenseAssignmentStates",
    // Computed from ageGroup and consentProvidedForMinor (user resource).
    "legalAgeGroupClassification",
];

/// Properties required by `POST /users`.
pub const USER_REQUIRED: &[&str] = &[
    "accountEnabled",
    "displayName",
    "mailNickname",
    "passwordProfile",
    "userPrincipalName",
];

/// Structural properties of `microsoft.graph.group` (plus `id`, `deletedDateTime`).
pub static GROUP_PROPERTIES: &[&str] = &[
    "id",
    "deletedDateTime",
    "accessType",
    "allowExternalSenders",
    "assignedLabels",
    "assignedLicenses",
    "autoSubscribeNewMembers",
    "classification",
    "createdDateTime",
    "description",
    "displayName",
    "expirationDateTime",
    "groupTypes",
    "hasMembersWithLicenseErrors",
    "hideFromAddressLists",
    "hideFromOutlookClients",
    "infoCatalogs",
    "isArchived",
    "isAssignableToRole",
    "isFavorite",
    "isManagementRestricted",
    "isSubscribedByMail",
    "licenseProcessingState",
    "mail",
    "mailEnabled",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "onPremisesDomainName",
    "onPremisesExtensionAttributes",
    "onPremisesLastSyncDateTime",
    "onPremisesNetBiosName",
    "onPremisesProvisioningErrors",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "organizationId",
    "preferredDataLocation",
    "preferredLanguage",
    "proxyAddresses",
    "renewedDateTime",
    "resourceBehaviorOptions",
    "securityEnabled",
    "securityIdentifier",
    "serviceProvisioningErrors",
    "theme",
    "uniqueName",
    "unseenConversationsCount",
    "unseenCount",
    "unseenMessagesCount",
    "visibility",
    "welcomeMessageEnabled",
];

/// Properties returned for a group when no `$select` is given.
pub const GROUP_DEFAULT: &[&str] = &[
    "id",
    "deletedDateTime",
    "classification",
    "createdDateTime",
    "description",
    "displayName",
    "expirationDateTime",
    "groupTypes",
    "isAssignableToRole",
    "mail",
    "mailEnabled",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "onPremisesSyncEnabled",
    "proxyAddresses",
    "renewedDateTime",
    "securityEnabled",
    "securityIdentifier",
    "visibility",
];

/// Group properties that cannot be set by POST/PATCH.
pub const GROUP_READ_ONLY: &[&str] = &[
    "id",
    "deletedDateTime",
    "createdDateTime",
    "mail",
    "onPremisesSyncEnabled",
    "proxyAddresses",
    "renewedDateTime",
    "securityIdentifier",
];

/// Properties required by `POST /groups`.
pub const GROUP_REQUIRED: &[&str] = &[
    "displayName",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
];

/// Properties of `unifiedRoleAssignment`.
pub const ROLE_ASSIGNMENT_PROPERTIES: &[&str] = &[
    "id",
    "appScopeId",
    "condition",
    "directoryScopeId",
    "principalId",
    "principalOrganizationId",
    "roleDefinitionId",
    "resourceScope",
];

/// How Graph lets a property be filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKind {
    /// String: `eq`, `in`, `startswith` by default; `ne`, `not`, `endswith`, `eq null` advanced.
    Text,
    /// Boolean: `eq` by default; `ne`/`not` advanced.
    Bool,
    /// Date-time: `ge`/`le`/`gt`/`lt`/`eq` advanced only.
    Date,
    /// Collection of strings: `/any(x:x eq 'v')` by default.
    TextCollection,
    /// Guid id: `eq`, `in` by default; `ne` advanced.
    Id,
    /// A date of `signInActivity`: `eq`, `ne`, `ge`, `le` (and `not`) by
    /// default, never with another property (the `sign_in_activity` module).
    SignInDate,
}

/// The filter kind of a user property, or `None` if Graph rejects filtering on it.
pub fn user_filter_kind(prop: &str) -> Option<FilterKind> {
    use FilterKind::*;
    Some(match prop {
        "id" => Id,
        "accountEnabled" | "onPremisesSyncEnabled" | "showInAddressList" => Bool,
        "city"
        | "companyName"
        | "country"
        | "department"
        | "displayName"
        | "employeeId"
        | "employeeType"
        | "givenName"
        | "jobTitle"
        | "mail"
        | "mailNickname"
        | "mobilePhone"
        | "officeLocation"
        | "onPremisesImmutableId"
        | "onPremisesSamAccountName"
        | "onPremisesUserPrincipalName"
        | "postalCode"
        | "preferredLanguage"
        | "state"
        | "streetAddress"
        | "surname"
        | "usageLocation"
        | "userPrincipalName"
        | "userType"
        | "faxNumber"
        | "externalUserState"
        | "creationType"
        | "ageGroup" => Text,
        "createdDateTime"
        | "employeeHireDate"
        | "employeeLeaveDateTime"
        | "lastPasswordChangeDateTime" => Date,
        "businessPhones" | "otherMails" | "proxyAddresses" | "imAddresses" => TextCollection,
        "signInActivity/lastSignInDateTime"
        | "signInActivity/lastNonInteractiveSignInDateTime"
        | "signInActivity/lastSuccessfulSignInDateTime" => SignInDate,
        _ => return None,
    })
}

/// The filter kind of a group property, or `None` if Graph rejects filtering on it.
pub fn group_filter_kind(prop: &str) -> Option<FilterKind> {
    use FilterKind::*;
    Some(match prop {
        "id" => Id,
        "mailEnabled" | "securityEnabled" | "isAssignableToRole" | "onPremisesSyncEnabled" => Bool,
        "displayName" | "mail" | "mailNickname" | "classification" | "description"
        | "membershipRule" | "visibility" | "preferredLanguage" | "theme" => Text,
        "expirationDateTime" | "renewedDateTime" => Date,
        "groupTypes" | "proxyAddresses" | "resourceBehaviorOptions" => TextCollection,
        _ => return None,
    })
}

/// The filter kind of a role-assignment property (Graph supports `eq` on these).
pub fn role_assignment_filter_kind(prop: &str) -> Option<FilterKind> {
    match prop {
        "id" | "principalId" | "roleDefinitionId" | "directoryScopeId" | "appScopeId" => {
            Some(FilterKind::Id)
        }
        _ => None,
    }
}

fn index(list: &'static [&'static str]) -> HashSet<&'static str> {
    list.iter().copied().collect()
}

/// Map a property name case-insensitively to its canonical spelling in `list`.
/// The exact spelling is looked up in a hash set for the big lists (seed loading at scale).
pub fn canonical(list: &[&'static str], name: &str) -> Option<&'static str> {
    static USERS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    static GROUPS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let set = if std::ptr::eq(list.as_ptr(), USER_PROPERTIES.as_ptr()) {
        Some(USERS.get_or_init(|| index(USER_PROPERTIES)))
    } else if std::ptr::eq(list.as_ptr(), GROUP_PROPERTIES.as_ptr()) {
        Some(GROUPS.get_or_init(|| index(GROUP_PROPERTIES)))
    } else {
        None
    };
    if let Some(p) = set.and_then(|s| s.get(name)) {
        return Some(p);
    }
    list.iter().copied().find(|p| p.eq_ignore_ascii_case(name))
}
