//! The JSON type of each user and group property in Graph's model, and the
//! check that a POST/PATCH body gives each property a value of that type,
//! answered with the errors Graph's OData reader gives.
//!
//! Types: `tests/graph-examples/openapi-subset.json` (derived from Graph's
//! v1.0 CSDL). Messages, code `Request_BadRequest`:
//! - "Cannot convert the literal '800067' to the expected type 'Edm.String'."
//!   (a number for `employeeId` on `POST /users`: microsoftgraph/msgraph-sdk-powershell
//!   issue #3304; a boolean is rendered `'True'`: issue #3202);
//! - "An unexpected 'StartArray' node was found when reading from the JSON
//!   reader. A 'PrimitiveValue' node was expected." and its siblings for an
//!   array, object or scalar where another shape is expected (the wording of
//!   Microsoft.OData.Core's JSON reader, seen from Microsoft services in
//!   MicrosoftDocs/dynamics365smb-devitpro-pb issue #2221 and Azure/LogicAppsUX
//!   issue #4415).

use serde_json::Value;

use super::error::GraphError;

/// The JSON shape of a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropType {
    /// `Edm.String` (also enumerations such as `accessType`).
    String,
    /// `Edm.Boolean`.
    Bool,
    /// `Edm.Int32`.
    Int32,
    /// `Edm.DateTimeOffset` (an ISO 8601 string with a time and an offset).
    DateTime,
    /// A collection of `Edm.String`.
    StringList,
    /// A complex type (JSON object).
    Object,
    /// A collection of a complex type.
    ObjectList,
}

/// The type of a (canonical) user property.
pub fn user_prop(p: &str) -> PropType {
    use PropType::*;
    match p {
        "accountEnabled"
        | "isManagementRestricted"
        | "isResourceAccount"
        | "onPremisesSyncEnabled"
        | "showInAddressList" => Bool,
        "deviceEnrollmentLimit" => Int32,
        "birthday"
        | "createdDateTime"
        | "deletedDateTime"
        | "employeeHireDate"
        | "employeeLeaveDateTime"
        | "externalUserStateChangeDateTime"
        | "hireDate"
        | "lastPasswordChangeDateTime"
        | "onPremisesLastSyncDateTime"
        | "signInSessionsValidFromDateTime" => DateTime,
        "businessPhones" | "imAddresses" | "interests" | "otherMails" | "pastProjects"
        | "proxyAddresses" | "responsibilities" | "schools" | "skills" => StringList,
        "assignedLicenses"
        | "assignedPlans"
        | "identities"
        | "licenseAssignmentStates"
        | "onPremisesProvisioningErrors"
        | "provisionedPlans"
        | "serviceProvisioningErrors" => ObjectList,
        "authorizationInfo"
        | "customSecurityAttributes"
        | "employeeOrgData"
        | "mailboxSettings"
        | "onPremisesExtensionAttributes"
        | "passwordProfile"
        | "print"
        | "signInActivity" => Object,
        _ => String,
    }
}

/// The type of a (canonical) group property.
pub fn group_prop(p: &str) -> PropType {
    use PropType::*;
    match p {
        "allowExternalSenders"
        | "autoSubscribeNewMembers"
        | "hasMembersWithLicenseErrors"
        | "hideFromAddressLists"
        | "hideFromOutlookClients"
        | "isArchived"
        | "isAssignableToRole"
        | "isFavorite"
        | "isManagementRestricted"
        | "isSubscribedByMail"
        | "mailEnabled"
        | "onPremisesSyncEnabled"
        | "securityEnabled"
        | "welcomeMessageEnabled" => Bool,
        "unseenConversationsCount" | "unseenCount" | "unseenMessagesCount" => Int32,
        "createdDateTime"
        | "deletedDateTime"
        | "expirationDateTime"
        | "onPremisesLastSyncDateTime"
        | "renewedDateTime" => DateTime,
        "groupTypes" | "infoCatalogs" | "proxyAddresses" | "resourceBehaviorOptions" => StringList,
        "assignedLabels"
        | "assignedLicenses"
        | "onPremisesProvisioningErrors"
        | "serviceProvisioningErrors" => ObjectList,
        "licenseProcessingState" | "onPremisesExtensionAttributes" => Object,
        _ => String,
    }
}

/// The JSON reader's name for the start of a value.
fn node(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "StartArray",
        Value::Object(_) => "StartObject",
        _ => "PrimitiveValue",
    }
}

fn unexpected(found: &Value, expected: &str) -> GraphError {
    GraphError::bad_request(format!(
        "An unexpected '{}' node was found when reading from the JSON reader. A '{expected}' node was expected.",
        node(found)
    ))
}

/// A scalar as the reader quotes it (`True` for a boolean, as .NET renders it).
fn literal(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

fn cannot_convert(v: &Value, edm: &str) -> GraphError {
    GraphError::bad_request(format!(
        "Cannot convert the literal '{}' to the expected type '{edm}'.",
        literal(v)
    ))
}

/// Whether `s` is an OData `Edm.DateTimeOffset` literal:
/// `YYYY-MM-DDThh:mm[:ss[.fffffff]]` then `Z` or `±hh:mm`.
pub fn is_datetime_offset(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .is_some_and(|d| d.len() == r.len() && d.iter().all(u8::is_ascii_digit))
    };
    if !(digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(b.get(10), Some(b'T' | b't'))
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16))
    {
        return false;
    }
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        if !digits(i + 1..i + 3) {
            return false;
        }
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            i = start;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return false;
            }
        }
    }
    match b.get(i) {
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            digits(i + 1..i + 3)
                && b.get(i + 3) == Some(&b':')
                && digits(i + 4..i + 6)
                && i + 6 == b.len()
        }
        _ => false,
    }
}

fn check_scalar(t: PropType, v: &Value) -> Result<(), GraphError> {
    if v.is_array() || v.is_object() {
        return Err(unexpected(v, "PrimitiveValue"));
    }
    match t {
        PropType::String if !v.is_string() => Err(cannot_convert(v, "Edm.String")),
        PropType::Bool if !v.is_boolean() => Err(cannot_convert(v, "Edm.Boolean")),
        PropType::Int32 if v.as_i64().is_none_or(|n| i32::try_from(n).is_err()) => {
            Err(cannot_convert(v, "Edm.Int32"))
        }
        PropType::DateTime if !v.as_str().is_some_and(is_datetime_offset) => {
            Err(cannot_convert(v, "Edm.DateTimeOffset"))
        }
        _ => Ok(()),
    }
}

/// Check a property value against its type (`null` is accepted: every such
/// property is nullable; required ones are checked by the caller).
pub fn check(t: PropType, v: &Value) -> Result<(), GraphError> {
    if v.is_null() {
        return Ok(());
    }
    match t {
        PropType::String | PropType::Bool | PropType::Int32 | PropType::DateTime => {
            check_scalar(t, v)
        }
        PropType::Object => match v {
            Value::Object(_) => Ok(()),
            other => Err(unexpected(other, "StartObject")),
        },
        PropType::StringList => match v {
            Value::Array(items) => items
                .iter()
                .filter(|x| !x.is_null())
                .try_for_each(|x| check_scalar(PropType::String, x)),
            other => Err(unexpected(other, "StartArray")),
        },
        PropType::ObjectList => match v {
            Value::Array(items) => items
                .iter()
                .filter(|x| !x.is_null() && !x.is_object())
                .try_for_each(|x| Err(unexpected(x, "StartObject"))),
            other => Err(unexpected(other, "StartArray")),
        },
    }
}

/// Members of `passwordProfile` and their types.
pub const PASSWORD_PROFILE: &[(&str, PropType)] = &[
    ("password", PropType::String),
    ("forceChangePasswordNextSignIn", PropType::Bool),
    ("forceChangePasswordNextSignInWithMfa", PropType::Bool),
];

/// Check the known members of a complex value (unknown members are left to
/// the caller).
pub fn check_members(v: &Value, members: &[(&str, PropType)]) -> Result<(), GraphError> {
    let Some(obj) = v.as_object() else {
        return Ok(());
    };
    for (name, t) in members {
        if let Some(x) = obj.get(*name) {
            check(*t, x)?;
        }
    }
    Ok(())
}

/// Members of `employeeOrgData` and their types (resources/employeeorgdata.md
/// in microsoftgraph/microsoft-graph-docs-contrib @33735607: `division` and
/// `costCenter`, both String).
pub const EMPLOYEE_ORG_DATA: &[(&str, PropType)] = &[
    ("division", PropType::String),
    ("costCenter", PropType::String),
];

/// A written `employeeOrgData` as Graph stores it: the object replaces the
/// stored one whole, and a member left out is set to `null` (Graph's
/// user-update page, https://learn.microsoft.com/graph/api/user-update,
/// property table: send both members, an omitted one becomes null). A member
/// the resource page does not list is refused — undocumented either way, so
/// the stricter reading, in OData's reader wording (docs/emulator.md,
/// Users). `null` clears the whole object.
pub fn employee_org_data(v: &Value) -> Result<Value, GraphError> {
    let Some(obj) = v.as_object() else {
        return Ok(v.clone());
    };
    if let Some(k) = obj
        .keys()
        .find(|k| !k.contains('@') && !EMPLOYEE_ORG_DATA.iter().any(|(m, _)| m == k))
    {
        return Err(GraphError::bad_request(format!(
            "The property '{k}' does not exist on type 'microsoft.graph.employeeOrgData'. Make sure to only use property names that are defined by the type."
        )));
    }
    check_members(v, EMPLOYEE_ORG_DATA)?;
    let mut out = serde_json::Map::new();
    for (m, _) in EMPLOYEE_ORG_DATA {
        out.insert(
            (*m).to_string(),
            obj.get(*m).cloned().unwrap_or(Value::Null),
        );
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(t: PropType, v: Value) -> String {
        check(t, &v).unwrap_err().message
    }

    #[test]
    fn graph_reader_messages() {
        assert_eq!(
            msg(PropType::String, json!(800067)),
            "Cannot convert the literal '800067' to the expected type 'Edm.String'."
        );
        assert_eq!(
            msg(PropType::String, json!(true)),
            "Cannot convert the literal 'True' to the expected type 'Edm.String'."
        );
        assert_eq!(
            msg(PropType::Bool, json!("yes")),
            "Cannot convert the literal 'yes' to the expected type 'Edm.Boolean'."
        );
        assert_eq!(
            msg(PropType::StringList, json!("x")),
            "An unexpected 'PrimitiveValue' node was found when reading from the JSON reader. A 'StartArray' node was expected."
        );
        assert_eq!(
            msg(PropType::String, json!(["x"])),
            "An unexpected 'StartArray' node was found when reading from the JSON reader. A 'PrimitiveValue' node was expected."
        );
        assert_eq!(
            msg(PropType::Object, json!("x")),
            "An unexpected 'PrimitiveValue' node was found when reading from the JSON reader. A 'StartObject' node was expected."
        );
        assert!(msg(PropType::StringList, json!(["a", 1])).contains("'1'"));
        assert!(msg(PropType::Int32, json!(1.5)).contains("Edm.Int32"));
        assert!(msg(PropType::Int32, json!(3_000_000_000u64)).contains("Edm.Int32"));
        assert!(check(PropType::Int32, &json!(7)).is_ok());
        assert!(check(PropType::Bool, &Value::Null).is_ok());
        assert!(check(PropType::ObjectList, &json!([{"a": 1}])).is_ok());
        assert!(check(PropType::ObjectList, &json!(["a"])).is_err());
    }

    #[test]
    fn datetime_offsets() {
        for ok in [
            "2021-03-01T00:00:00Z",
            "2021-03-01T08:30Z",
            "2021-03-01T08:30:00.1234567+02:00",
        ] {
            assert!(is_datetime_offset(ok), "{ok}");
        }
        for bad in [
            "2021-03-01",
            "2021-3-01T00:00:00Z",
            "2021-03-01T00:00:00",
            "2021-03-01T00:00:00.Z",
            "2021-03-01T00:00:00Z ",
            "yesterday",
            "",
        ] {
            assert!(!is_datetime_offset(bad), "{bad}");
        }
    }

    #[test]
    fn types_match_the_model() {
        assert_eq!(user_prop("accountEnabled"), PropType::Bool);
        assert_eq!(user_prop("businessPhones"), PropType::StringList);
        assert_eq!(user_prop("jobTitle"), PropType::String);
        assert_eq!(user_prop("employeeHireDate"), PropType::DateTime);
        assert_eq!(group_prop("groupTypes"), PropType::StringList);
        assert_eq!(group_prop("securityEnabled"), PropType::Bool);
    }
}
