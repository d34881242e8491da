//! Wire shapes of the Graph resources the live reader lists (only the
//! properties entraform compares; unknown fields are ignored).

use serde::Deserialize;

/// `$select` of the user listing: exactly the properties the diff compares.
pub const USER_SELECT: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "mailNickname",
    "jobTitle",
    "department",
    "companyName",
    "officeLocation",
    "employeeId",
    "employeeType",
    "employeeHireDate",
    "usageLocation",
    "preferredLanguage",
    "streetAddress",
    "city",
    "state",
    "postalCode",
    "country",
    "mobilePhone",
    "businessPhones",
    "otherMails",
    "accountEnabled",
    "onPremisesSyncEnabled",
];

/// `$select` of the group listing.
pub const GROUP_SELECT: &[&str] = &[
    "id",
    "displayName",
    "mailNickname",
    "description",
    "securityEnabled",
    "mailEnabled",
    "groupTypes",
    "membershipRule",
    "onPremisesSyncEnabled",
];

/// A reference to a directory object (`id` and `@odata.type`), as in member
/// listings, `members@delta` and an expanded `manager`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct DirectoryObjectRef {
    /// Object id.
    pub id: String,
    /// `#microsoft.graph.user`, `#microsoft.graph.group`…
    #[serde(rename = "@odata.type")]
    pub odata_type: Option<String>,
    /// Present on delta entries for removed members/objects.
    #[serde(rename = "@removed")]
    pub removed: Option<serde_json::Value>,
}

/// A user as listed with [`USER_SELECT`] and `$expand=manager`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct UserDto {
    pub id: String,
    pub user_principal_name: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub mail_nickname: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub company_name: Option<String>,
    pub office_location: Option<String>,
    pub employee_id: Option<String>,
    pub employee_type: Option<String>,
    pub employee_hire_date: Option<String>,
    pub usage_location: Option<String>,
    pub preferred_language: Option<String>,
    pub street_address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub mobile_phone: Option<String>,
    #[serde(default)]
    pub business_phones: Option<Vec<String>>,
    #[serde(default)]
    pub other_mails: Option<Vec<String>>,
    pub account_enabled: Option<bool>,
    pub on_premises_sync_enabled: Option<bool>,
    /// The expanded manager (absent or null when the user has none).
    pub manager: Option<DirectoryObjectRef>,
    /// Only on soft-deleted users.
    pub deleted_date_time: Option<String>,
    /// `manager@delta` of a `users/delta` item that selected `manager`.
    #[serde(rename = "manager@delta")]
    pub manager_delta: Option<Vec<DirectoryObjectRef>>,
    /// Set on a `users/delta` item for a deleted user.
    #[serde(rename = "@removed")]
    pub removed: Option<serde_json::Value>,
}

/// A group as listed with [`GROUP_SELECT`] (plus `members@delta` in delta).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct GroupDto {
    pub id: String,
    pub display_name: Option<String>,
    pub mail_nickname: Option<String>,
    pub description: Option<String>,
    pub security_enabled: Option<bool>,
    pub mail_enabled: Option<bool>,
    #[serde(default)]
    pub group_types: Option<Vec<String>>,
    pub membership_rule: Option<String>,
    pub on_premises_sync_enabled: Option<bool>,
    /// Member changes in a delta page (all members in an initial round).
    #[serde(rename = "members@delta")]
    pub members_delta: Option<Vec<DirectoryObjectRef>>,
    /// Owner changes in a delta page (all owners in an initial round), when `owners` is selected.
    #[serde(rename = "owners@delta")]
    pub owners_delta: Option<Vec<DirectoryObjectRef>>,
    /// Set when a delta entry reports a removed group.
    #[serde(rename = "@removed")]
    pub removed: Option<serde_json::Value>,
}

/// A `unifiedRoleDefinition`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct RoleDefinitionDto {
    pub id: String,
    pub display_name: Option<String>,
    pub template_id: Option<String>,
    pub is_built_in: Option<bool>,
    pub is_enabled: Option<bool>,
}

/// A `unifiedRoleAssignment`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct RoleAssignmentDto {
    pub id: String,
    pub principal_id: String,
    pub role_definition_id: String,
    pub directory_scope_id: Option<String>,
}

/// A service principal (only its ids).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct ServicePrincipalDto {
    pub id: String,
    pub app_id: Option<String>,
    pub display_name: Option<String>,
}

/// An administrative unit as the live reader lists it
/// (`$select=id,displayName,isMemberManagementRestricted`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminUnitDto {
    /// Object id.
    pub id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// `true` for a restricted management administrative unit (`null` = false).
    pub is_member_management_restricted: Option<bool>,
}
