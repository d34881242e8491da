//! The user attributes entraform manages: YAML key, Graph property, type and limits.
//!
//! One table drives everything that knows the attributes — the decoder, the
//! JSON Schema and the docs, Graph's `$select` and the reading of a Graph
//! user, the live user's values ([`AttrValues`]), the diff, the plan
//! simulation and `export` — so they cannot disagree. Adding an attribute is
//! a variant of [`Attr`] and its row in [`ATTRS`] (the Graph property name,
//! its kind and limits), then the regenerated schema copy
//! (`examples/desired-state/entraform.schema.json`) and the row in
//! docs/format.md; the property test `tests/integration/attr_table.rs`
//! proves every row readable from Graph, diffable, exportable and
//! round-trippable.
//!
//! A row may be one member of an object Graph replaces whole
//! (`employeeOrgData.division`): its [`AttrInfo::property`] names the object,
//! which Graph reads, the YAML nests and a PATCH sends whole.

mod check;
mod values;

pub use check::{Invalid, is_email, is_language_tag, normalize_date};
pub use values::{AttrRef, AttrValues, Builder as AttrValuesBuilder, Items};

/// What kind of value an attribute holds and how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text up to `max` characters.
    Text {
        /// Graph's length limit.
        max: usize,
    },
    /// An e-mail nickname: no spaces or `@()\[]";:<>,`, at most 64 characters.
    MailNickname,
    /// A date (`YYYY-MM-DD`) or RFC 3339 timestamp, stored by Graph as DateTimeOffset.
    Date,
    /// ISO 3166-1 alpha-2 country code (Graph rejects anything else for usageLocation).
    CountryCode,
    /// A language tag such as `en` or `en-US`.
    Language,
    /// A list of phone numbers of which Graph keeps at most `max_items`.
    Phones {
        /// Graph's item limit.
        max_items: usize,
    },
    /// A list of e-mail addresses.
    Emails,
    /// `onPremisesImmutableId`: at most 64 characters, none of them `$` or `_`
    /// (Graph, user resource: "the $ and _ characters can't be used").
    ImmutableId,
    /// One of a closed set of values Graph accepts (spelled as Graph stores them).
    OneOf {
        /// The accepted values.
        values: &'static [&'static str],
    },
}

/// A managed user attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attr {
    /// displayName
    DisplayName,
    /// givenName
    GivenName,
    /// surname
    Surname,
    /// mailNickname
    MailNickname,
    /// jobTitle
    JobTitle,
    /// department
    Department,
    /// companyName
    CompanyName,
    /// officeLocation
    OfficeLocation,
    /// employeeId
    EmployeeId,
    /// employeeType
    EmployeeType,
    /// employeeHireDate
    EmployeeHireDate,
    /// employeeLeaveDateTime
    EmployeeLeaveDateTime,
    /// usageLocation
    UsageLocation,
    /// preferredLanguage
    PreferredLanguage,
    /// streetAddress
    StreetAddress,
    /// city
    City,
    /// state
    State,
    /// postalCode
    PostalCode,
    /// country
    Country,
    /// mobilePhone
    MobilePhone,
    /// businessPhones
    BusinessPhones,
    /// otherMails
    OtherMails,
    /// faxNumber
    FaxNumber,
    /// passwordPolicies
    PasswordPolicies,
    /// ageGroup
    AgeGroup,
    /// consentProvidedForMinor
    ConsentProvidedForMinor,
    /// onPremisesImmutableId
    OnPremisesImmutableId,
    /// userType
    UserType,
    /// employeeOrgData.division (a member of the object Graph replaces whole)
    EmployeeOrgDataDivision,
    /// employeeOrgData.costCenter (a member of the object Graph replaces whole)
    EmployeeOrgDataCostCenter,
}

/// Static facts about one attribute.
#[derive(Debug, Clone, Copy)]
pub struct AttrInfo {
    /// The attribute.
    pub attr: Attr,
    /// YAML key, identical to the Graph property name; for a member of an
    /// object-valued property, `property.member` (the nested YAML's path).
    pub key: &'static str,
    /// Value kind and limits.
    pub kind: Kind,
    /// May `tenant.defaults` set it?
    pub defaultable: bool,
    /// May an explicit `null` clear it? (Graph requires some properties.)
    pub clearable: bool,
    /// One line for docs and the schema.
    pub description: &'static str,
    /// The Graph property that holds the value: `key` itself, or the
    /// object-valued property this row is a member of (`employeeOrgData`).
    pub property: &'static str,
    /// The member's name inside [`AttrInfo::property`] for a row that is one
    /// member of an object Graph replaces whole (`division`); `None` otherwise.
    pub member: Option<&'static str>,
}

use Kind::*;

/// Every managed attribute, in documentation order.
pub const ATTRS: &[AttrInfo] = &[
    info(
        Attr::DisplayName,
        "displayName",
        Text { max: 256 },
        false,
        false,
        "Name shown in the address book.",
    ),
    info(
        Attr::GivenName,
        "givenName",
        Text { max: 64 },
        false,
        true,
        "First name.",
    ),
    info(
        Attr::Surname,
        "surname",
        Text { max: 64 },
        false,
        true,
        "Last name.",
    ),
    info(
        Attr::MailNickname,
        "mailNickname",
        MailNickname,
        false,
        false,
        "Mail alias; derived from the UPN's local part on create when absent.",
    ),
    info(
        Attr::JobTitle,
        "jobTitle",
        Text { max: 128 },
        false,
        true,
        "Job title.",
    ),
    info(
        Attr::Department,
        "department",
        Text { max: 64 },
        false,
        true,
        "Department.",
    ),
    info(
        Attr::CompanyName,
        "companyName",
        Text { max: 64 },
        true,
        true,
        "Company name.",
    ),
    info(
        Attr::OfficeLocation,
        "officeLocation",
        Text { max: 128 },
        true,
        true,
        "Office location.",
    ),
    info(
        Attr::EmployeeId,
        "employeeId",
        Text { max: 16 },
        false,
        true,
        "Employee identifier from HR (quote numbers to keep leading zeros).",
    ),
    info(
        Attr::EmployeeType,
        "employeeType",
        Text { max: 64 },
        true,
        true,
        "Employee, Contractor, Consultant, Vendor, …",
    ),
    info(
        Attr::EmployeeHireDate,
        "employeeHireDate",
        Date,
        false,
        true,
        "Hire date, YYYY-MM-DD or an RFC 3339 timestamp.",
    ),
    info(
        Attr::EmployeeLeaveDateTime,
        "employeeLeaveDateTime",
        Date,
        false,
        true,
        "Leave date: once it has passed the user is offboarded (tenant.lifecycle.leaver).",
    ),
    info(
        Attr::UsageLocation,
        "usageLocation",
        CountryCode,
        true,
        true,
        "ISO 3166-1 alpha-2 code; required by Graph before licences can be assigned.",
    ),
    info(
        Attr::PreferredLanguage,
        "preferredLanguage",
        Language,
        true,
        true,
        "Language tag such as en-US.",
    ),
    info(
        Attr::StreetAddress,
        "streetAddress",
        Text { max: 1024 },
        true,
        true,
        "Street address of the place of business.",
    ),
    info(Attr::City, "city", Text { max: 128 }, true, true, "City."),
    info(
        Attr::State,
        "state",
        Text { max: 128 },
        true,
        true,
        "State or province.",
    ),
    info(
        Attr::PostalCode,
        "postalCode",
        Text { max: 40 },
        true,
        true,
        "Postal code (quote it to keep leading zeros).",
    ),
    info(
        Attr::Country,
        "country",
        Text { max: 128 },
        true,
        true,
        "Country or region, free text (e.g. US or United States).",
    ),
    info(
        Attr::MobilePhone,
        "mobilePhone",
        Text { max: 64 },
        false,
        true,
        "Primary mobile number.",
    ),
    info(
        Attr::BusinessPhones,
        "businessPhones",
        Phones { max_items: 1 },
        false,
        true,
        "Business phone numbers; Graph stores only one.",
    ),
    info(
        Attr::OtherMails,
        "otherMails",
        Emails,
        false,
        true,
        "Additional e-mail addresses.",
    ),
    info(
        Attr::FaxNumber,
        "faxNumber",
        Text { max: 64 },
        false,
        true,
        "Fax number.",
    ),
    info(
        Attr::PasswordPolicies,
        "passwordPolicies",
        OneOf {
            values: PASSWORD_POLICIES,
        },
        true,
        true,
        "DisablePasswordExpiration, DisableStrongPassword, or both (comma and space between, in that order).",
    ),
    info(
        Attr::AgeGroup,
        "ageGroup",
        OneOf {
            values: &["Minor", "NotAdult", "Adult"],
        },
        false,
        true,
        "Minor, NotAdult or Adult (with consentProvidedForMinor, Graph derives legalAgeGroupClassification).",
    ),
    info(
        Attr::ConsentProvidedForMinor,
        "consentProvidedForMinor",
        OneOf {
            values: &["Granted", "Denied", "NotRequired"],
        },
        false,
        true,
        "Granted, Denied or NotRequired.",
    ),
    info(
        Attr::OnPremisesImmutableId,
        "onPremisesImmutableId",
        ImmutableId,
        false,
        true,
        "Source anchor of a federated user (no `$` or `_`); changing it is a sensitive action.",
    ),
    info(
        Attr::UserType,
        "userType",
        OneOf {
            values: &["Member", "Guest"],
        },
        false,
        false,
        "Member or Guest; Graph sets Member on create when absent.",
    ),
    // employeeOrgData (resources/employeeorgdata: two Strings, no documented
    // length limit; 256 as for displayName). Graph replaces the object whole
    // (user-update: "if you omit any, the system sets them to null"), so a
    // PATCH of one member carries the other's live value (Op::UpdateUser.keep).
    member_info(
        Attr::EmployeeOrgDataDivision,
        "employeeOrgData.division",
        "employeeOrgData",
        "division",
        Text { max: 256 },
        "Division the user works in (employeeOrgData.division).",
    ),
    member_info(
        Attr::EmployeeOrgDataCostCenter,
        "employeeOrgData.costCenter",
        "employeeOrgData",
        "costCenter",
        Text { max: 256 },
        "Cost centre of the user (employeeOrgData.costCenter; quote numbers to keep leading zeros).",
    ),
];

/// The values of `passwordPolicies` Graph accepts (user-update: the two
/// policies, or both joined by a comma and a space).
pub const PASSWORD_POLICIES: &[&str] = &[
    "DisablePasswordExpiration",
    "DisableStrongPassword",
    "DisablePasswordExpiration, DisableStrongPassword",
];

#[allow(clippy::too_many_arguments)]
const fn info(
    attr: Attr,
    key: &'static str,
    kind: Kind,
    defaultable: bool,
    clearable: bool,
    description: &'static str,
) -> AttrInfo {
    AttrInfo {
        attr,
        key,
        kind,
        defaultable,
        clearable,
        description,
        property: key,
        member: None,
    }
}

/// A row that is one member of an object-valued Graph property: never from
/// `defaults` (the decoder reads `defaults` keys as single values), `null`
/// clears it.
const fn member_info(
    attr: Attr,
    key: &'static str,
    property: &'static str,
    member: &'static str,
    kind: Kind,
    description: &'static str,
) -> AttrInfo {
    AttrInfo {
        attr,
        key,
        kind,
        defaultable: false,
        clearable: true,
        description,
        property,
        member: Some(member),
    }
}

/// `a == b`, usable in a `const fn`.
const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// How many distinct Graph properties the table's rows live in (the members
/// of one object are adjacent rows and count once).
pub const fn property_count() -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < ATTRS.len() {
        if i == 0 || !same_str(ATTRS[i].property, ATTRS[i - 1].property) {
            n += 1;
        }
        i += 1;
    }
    n
}

/// True when `i` is the first row of its Graph property (always, but for the
/// second and later members of an object-valued one).
pub const fn first_of_property(i: usize) -> bool {
    i == 0 || !same_str(ATTRS[i].property, ATTRS[i - 1].property)
}

/// The Graph properties of the table, once each, in table order (the YAML
/// keys of a user: an object-valued one is a nested mapping).
pub fn properties() -> impl Iterator<Item = &'static AttrInfo> {
    ATTRS
        .iter()
        .enumerate()
        .filter(|(i, _)| first_of_property(*i))
        .map(|(_, a)| a)
}

/// The rows that are members of the object-valued property `property`
/// (empty for any other name).
pub fn members_of(property: &str) -> impl Iterator<Item = &'static AttrInfo> + '_ {
    ATTRS
        .iter()
        .filter(move |a| a.member.is_some() && a.property == property)
}

/// True when `property` is an object-valued Graph property of the table.
pub fn is_object_property(property: &str) -> bool {
    members_of(property).next().is_some()
}

impl Attr {
    /// The static facts about this attribute.
    pub fn info(self) -> &'static AttrInfo {
        // ATTRS lists the variants in declaration order.
        &ATTRS[self as usize]
    }
    /// The Graph property name (also the YAML key); `property.member` for a
    /// member of an object-valued property, as plans name it.
    pub fn graph_name(self) -> &'static str {
        self.info().key
    }
    /// Look up by YAML key.
    pub fn from_key(key: &str) -> Option<Attr> {
        ATTRS.iter().find(|a| a.key == key).map(|a| a.attr)
    }
    /// The Graph property holding it (`employeeOrgData` for its members,
    /// else the key): the name in `$select`, permission rules and bodies.
    pub fn property(self) -> &'static str {
        self.info().property
    }
    /// Its member name inside an object-valued property, if it is one.
    pub fn member(self) -> Option<&'static str> {
        self.info().member
    }
    /// The member `member` of the object-valued property `property`.
    pub fn from_member(property: &str, member: &str) -> Option<Attr> {
        members_of(property)
            .find(|a| a.member == Some(member))
            .map(|a| a.attr)
    }
    /// True for list-valued attributes.
    pub fn is_list(self) -> bool {
        matches!(self.info().kind, Kind::Phones { .. } | Kind::Emails)
    }
}

impl serde::Serialize for Attr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.graph_name())
    }
}

impl<'de> serde::Deserialize<'de> for Attr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let key = String::deserialize(d)?;
        Attr::from_key(&key)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown attribute `{key}`")))
    }
}

/// A checked attribute value.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(untagged)]
pub enum AttrValue {
    /// A single string (dates normalised to `YYYY-MM-DDTHH:MM:SSZ`).
    Text(String),
    /// A list of strings, in declared order.
    List(Vec<String>),
}

impl From<&str> for AttrValue {
    fn from(s: &str) -> Self {
        AttrValue::Text(s.to_string())
    }
}

impl From<String> for AttrValue {
    fn from(s: String) -> Self {
        AttrValue::Text(s)
    }
}

impl From<Vec<String>> for AttrValue {
    fn from(l: Vec<String>) -> Self {
        AttrValue::List(l)
    }
}

/// Characters Graph rejects in mailNickname.
pub const MAIL_NICKNAME_FORBIDDEN: &str = " @()\\[]\";:<>,";

/// A mailNickname Graph accepts, derived from a UPN's local part or a group name.
pub fn derive_mail_nickname(s: &str) -> String {
    let nick: String = s
        .chars()
        .filter(|c| c.is_ascii() && !MAIL_NICKNAME_FORBIDDEN.contains(*c))
        .take(64)
        .collect();
    if nick.is_empty() {
        "user".to_string()
    } else {
        nick
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_in_declaration_order() {
        for (i, a) in ATTRS.iter().enumerate() {
            assert_eq!(a.attr as usize, i, "{} out of order", a.key);
            assert_eq!(Attr::from_key(a.key), Some(a.attr));
        }
    }

    #[test]
    fn object_members_are_adjacent_single_texts_outside_defaults() {
        for (i, a) in ATTRS.iter().enumerate() {
            let Some(member) = a.member else {
                assert_eq!(a.property, a.key);
                continue;
            };
            assert_eq!(a.key, format!("{}.{member}", a.property));
            assert!(
                !a.defaultable && a.clearable && !a.attr.is_list(),
                "{}",
                a.key
            );
            assert_eq!(Attr::from_member(a.property, member), Some(a.attr));
            if !first_of_property(i) {
                assert_eq!(ATTRS[i - 1].property, a.property);
            }
            // The members of one object are adjacent: no later row comes back to it.
            assert!(
                ATTRS[i + 1..]
                    .iter()
                    .skip_while(|b| b.property == a.property)
                    .all(|b| b.property != a.property),
                "{}",
                a.key
            );
        }
        assert_eq!(property_count(), properties().count());
        assert!(is_object_property("employeeOrgData") && !is_object_property("city"));
    }
}
