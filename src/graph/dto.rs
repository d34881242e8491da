//! Wire shapes of the Graph resources the live reader lists (only the
//! properties entraform compares; unknown fields are ignored).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};

use crate::model::attrs::{
    ATTRS, Attr, AttrValues, AttrValuesBuilder, first_of_property, members_of, property_count,
};

/// `$select` of the user listing: exactly the properties the diff compares —
/// `id`, `userPrincipalName`, the Graph property of every managed attribute
/// of [`ATTRS`] (in table order; an object-valued one such as
/// `employeeOrgData` once, whole), `accountEnabled`, `onPremisesSyncEnabled`, and the read-only
/// `lastPasswordChangeDateTime` and `signInSessionsValidFromDateTime`.
pub const USER_SELECT: &[&str] = &user_select();

const USER_SELECT_LEN: usize = property_count() + 6;

const fn user_select() -> [&'static str; USER_SELECT_LEN] {
    let mut out = [""; USER_SELECT_LEN];
    out[0] = "id";
    out[1] = "userPrincipalName";
    let (mut i, mut at) = (0, 2);
    while i < ATTRS.len() {
        if first_of_property(i) {
            out[at] = ATTRS[i].property;
            at += 1;
        }
        i += 1;
    }
    out[USER_SELECT_LEN - 4] = "accountEnabled";
    out[USER_SELECT_LEN - 3] = "onPremisesSyncEnabled";
    // Read-only times the one-off markers compare with (docs/format.md).
    out[USER_SELECT_LEN - 2] = "lastPasswordChangeDateTime";
    out[USER_SELECT_LEN - 1] = "signInSessionsValidFromDateTime";
    out
}

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
    /// Present on delta entries for removed members/objects (its content is not needed).
    #[serde(rename = "@removed")]
    pub removed: Option<IgnoredAny>,
}

/// A user as listed with [`USER_SELECT`] and `$expand=manager`. The managed
/// attributes are read by the table into [`AttrValues`] (a `null` or absent
/// one is not set); other properties are ignored.
#[derive(Debug, Clone)]
pub struct UserDto {
    /// Object id.
    pub id: String,
    /// `userPrincipalName`.
    pub user_principal_name: Option<String>,
    /// The managed attributes it carries with a value.
    pub attrs: AttrValues,
    /// `accountEnabled`.
    pub account_enabled: Option<bool>,
    /// `onPremisesSyncEnabled`.
    pub on_premises_sync_enabled: Option<bool>,
    /// `lastPasswordChangeDateTime`.
    pub last_password_change: Option<String>,
    /// `signInSessionsValidFromDateTime`.
    pub sessions_valid_from: Option<String>,
    /// The expanded manager (absent or null when the user has none).
    pub manager: Option<DirectoryObjectRef>,
    /// Only on soft-deleted users.
    pub deleted_date_time: Option<String>,
    /// `manager@delta` of a `users/delta` item that selected `manager`.
    pub manager_delta: Option<Vec<DirectoryObjectRef>>,
    /// Set on a `users/delta` item for a deleted user.
    pub removed: Option<IgnoredAny>,
}

/// The properties of a user object [`UserDto`] reads besides the table's.
enum UserField {
    Id,
    Upn,
    AccountEnabled,
    OnPremisesSyncEnabled,
    PasswordChanged,
    SessionsValidFrom,
    Manager,
    DeletedDateTime,
    ManagerDelta,
    Removed,
    Attr(Attr),
    /// An object-valued property whose members are rows of the table.
    Object(&'static str),
    Other,
}

impl<'de> Deserialize<'de> for UserField {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = UserField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a property name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<UserField, E> {
                Ok(match v {
                    "id" => UserField::Id,
                    "userPrincipalName" => UserField::Upn,
                    "accountEnabled" => UserField::AccountEnabled,
                    "onPremisesSyncEnabled" => UserField::OnPremisesSyncEnabled,
                    "lastPasswordChangeDateTime" => UserField::PasswordChanged,
                    "signInSessionsValidFromDateTime" => UserField::SessionsValidFrom,
                    "manager" => UserField::Manager,
                    "deletedDateTime" => UserField::DeletedDateTime,
                    "manager@delta" => UserField::ManagerDelta,
                    "@removed" => UserField::Removed,
                    other => match members_of(other).next() {
                        Some(m) => UserField::Object(m.property),
                        None => Attr::from_key(other)
                            .filter(|a| a.member().is_none())
                            .map_or(UserField::Other, UserField::Attr),
                    },
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// Read one property once; a second occurrence is an error (as Graph never sends one).
fn once<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    slot: &mut Option<T>,
    map: &mut A,
    name: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(name));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de> Deserialize<'de> for UserDto {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UserDto;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Microsoft Graph user")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UserDto, A::Error> {
                let mut id: Option<String> = None;
                let mut upn: Option<Option<String>> = None;
                let mut enabled: Option<Option<bool>> = None;
                let mut synced: Option<Option<bool>> = None;
                let mut password_changed: Option<Option<String>> = None;
                let mut sessions_from: Option<Option<String>> = None;
                let mut manager: Option<Option<DirectoryObjectRef>> = None;
                let mut deleted: Option<Option<String>> = None;
                let mut manager_delta: Option<Option<Vec<DirectoryObjectRef>>> = None;
                let mut removed: Option<Option<IgnoredAny>> = None;
                let mut attrs = AttrValuesBuilder::default();
                while let Some(field) = map.next_key::<UserField>()? {
                    match field {
                        UserField::Id => once(&mut id, &mut map, "id")?,
                        UserField::Upn => once(&mut upn, &mut map, "userPrincipalName")?,
                        UserField::AccountEnabled => {
                            once(&mut enabled, &mut map, "accountEnabled")?
                        }
                        UserField::OnPremisesSyncEnabled => {
                            once(&mut synced, &mut map, "onPremisesSyncEnabled")?
                        }
                        UserField::PasswordChanged => once(
                            &mut password_changed,
                            &mut map,
                            "lastPasswordChangeDateTime",
                        )?,
                        UserField::SessionsValidFrom => once(
                            &mut sessions_from,
                            &mut map,
                            "signInSessionsValidFromDateTime",
                        )?,
                        UserField::Manager => once(&mut manager, &mut map, "manager")?,
                        UserField::DeletedDateTime => {
                            once(&mut deleted, &mut map, "deletedDateTime")?
                        }
                        UserField::ManagerDelta => {
                            once(&mut manager_delta, &mut map, "manager@delta")?
                        }
                        UserField::Removed => once(&mut removed, &mut map, "@removed")?,
                        UserField::Attr(attr) => attrs.read_json(attr, &mut map)?,
                        UserField::Object(p) => attrs.read_json_object(p, &mut map)?,
                        UserField::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(UserDto {
                    id: id.ok_or_else(|| de::Error::missing_field("id"))?,
                    user_principal_name: upn.flatten(),
                    attrs: attrs.finish(),
                    account_enabled: enabled.flatten(),
                    on_premises_sync_enabled: synced.flatten(),
                    last_password_change: password_changed.flatten(),
                    sessions_valid_from: sessions_from.flatten(),
                    manager: manager.flatten(),
                    deleted_date_time: deleted.flatten(),
                    manager_delta: manager_delta.flatten(),
                    removed: removed.flatten(),
                })
            }
        }
        d.deserialize_map(V)
    }
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
    pub removed: Option<IgnoredAny>,
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

/// A PIM schedule instance: an eligibility
/// (`unifiedRoleEligibilityScheduleInstance`) or an active assignment
/// (`unifiedRoleAssignmentScheduleInstance`, with `assignmentType` and
/// `roleAssignmentOriginId`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct RoleScheduleInstanceDto {
    pub id: String,
    pub principal_id: String,
    pub role_definition_id: String,
    pub directory_scope_id: Option<String>,
    pub end_date_time: Option<String>,
    pub member_type: Option<String>,
    pub assignment_type: Option<String>,
    pub role_assignment_origin_id: Option<String>,
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
