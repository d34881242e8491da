//! The seed: a tenant snapshot in JSON or YAML that the emulator starts from,
//! and that `GET /_emulator/state` dumps back. Also a synthetic generator for
//! tests and benchmarks.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::error::EmulatorError;
use super::util::Rng;

/// A tenant snapshot: the emulator's starting state.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// Tenant id and verified domains.
    #[serde(default)]
    pub tenant: TenantInfo,
    /// App registrations that may obtain tokens (client credentials).
    #[serde(default)]
    pub applications: Vec<AppRegistration>,
    /// Users (Graph property names), with `manager` as an id or UPN.
    #[serde(default)]
    pub users: Vec<SeedUser>,
    /// Groups (Graph property names), with `members` as ids or UPNs.
    #[serde(default)]
    pub groups: Vec<SeedGroup>,
    /// Directory role assignments at tenant scope.
    #[serde(default)]
    pub role_assignments: Vec<SeedRoleAssignment>,
    /// Soft-deleted users (restorable from deleted items).
    #[serde(default)]
    pub deleted_users: Vec<SeedUser>,
    /// Administrative units, with `members` as user/group ids or UPNs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub administrative_units: Vec<SeedAdminUnit>,
    /// Role definitions besides the built-in catalog (custom roles, and
    /// built-in roles newer than the catalog), so that assignments of them load.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_definitions: Vec<SeedRoleDefinition>,
    /// Directory objects entraform does not manage but that hold roles or
    /// group memberships: service principals of other apps, devices,
    /// organizational contacts (only their id, type and name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directory_objects: Vec<SeedDirectoryObject>,
    /// PIM role eligibilities (docs/emulator.md, *PIM*).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_eligibilities: Vec<crate::pim::seed::SeedRoleSchedule>,
    /// Active role assignments with a schedule: time-bound, or activated from an eligibility.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_assignment_schedules: Vec<crate::pim::seed::SeedRoleSchedule>,
    /// Per-role PIM settings (expiration required, longest activation, justification).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role_management_policies: Vec<crate::pim::seed::SeedRolePolicy>,
    /// `false`: the tenant has no Microsoft Entra ID P1/P2 licence, so
    /// `signInActivity` and the registration report are refused (`reports`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entra_id_premium: Option<bool>,
    /// Per-user rows of `reports/authenticationMethods/userRegistrationDetails`
    /// (users without a row have registered nothing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_registration_details: Vec<crate::report_state::SeedRegistration>,
    /// Subscribed SKUs (`GET /subscribedSkus`), with their enabled seats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscribed_skus: Vec<crate::license_state::Sku>,
    /// Licences held by users (direct) and groups (group-based licensing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub license_assignments: Vec<crate::license_state::SeedLicense>,
    /// Users' authentication methods (`GET /users/{id}/authentication/methods`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authentication_methods: Vec<crate::method_state::SeedMethod>,
    /// Devices with their registered owners and users (`GET /devices`,
    /// `/users/{id}/ownedDevices`, `PATCH /devices/{id}`; `device_state`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<crate::device_state::SeedDevice>,
}

/// A role definition the built-in catalog does not have (a custom role, or a
/// built-in role newer than the catalog).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedRoleDefinition {
    /// Definition id (role assignments name it in `roleDefinitionId`).
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Template id (for built-in roles equal to the id; for custom roles often absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// `false` for a custom role.
    #[serde(default)]
    pub is_built_in: bool,
    /// Whether the role can be assigned.
    #[serde(default = "yes")]
    pub is_enabled: bool,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn yes() -> bool {
    true
}

/// The type of a [`SeedDirectoryObject`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum DirectoryObjectType {
    /// `#microsoft.graph.servicePrincipal` (an app's identity; no credentials here).
    ServicePrincipal,
    /// `#microsoft.graph.device`
    Device,
    /// `#microsoft.graph.orgContact`
    OrgContact,
    /// `#microsoft.graph.directoryObject` (a type the reader did not know).
    DirectoryObject,
}

/// A directory object the emulator only lists (as a group member or a role
/// principal): id, type and an optional display name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedDirectoryObject {
    /// Object id.
    pub id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub object_type: DirectoryObjectType,
    /// Display name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// An administrative unit; `isMemberManagementRestricted: true` makes it a
/// restricted management unit whose members tenant-scope apps cannot modify.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedAdminUnit {
    /// Object id; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// displayName.
    pub display_name: String,
    /// description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A restricted management administrative unit.
    #[serde(default)]
    pub is_member_management_restricted: bool,
    /// `HiddenMembership` or `Public` (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    /// Direct members: user ids/UPNs or group ids.
    #[serde(default)]
    pub members: Vec<String>,
}

/// The tenant's identity.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantInfo {
    /// Tenant (directory) id, a GUID.
    #[serde(default = "default_tenant_id")]
    pub id: String,
    /// Verified domains; a user's UPN must end in one of them.
    #[serde(default = "default_domains")]
    pub domains: Vec<String>,
    /// The tenant has Microsoft Entra ID P2 (or ID Governance), which PIM
    /// needs (default true). `false`: every PIM endpoint answers 400
    /// `AadPremiumLicenseRequired`, as Graph does (maester365/maester#1421).
    #[serde(default = "entra_id_p2_default", skip_serializing_if = "is_true")]
    pub entra_id_p2: bool,
}

fn entra_id_p2_default() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn default_tenant_id() -> String {
    "00000000-0000-4000-8000-00000000e1d0".to_string()
}

fn default_domains() -> Vec<String> {
    vec!["contoso.onmicrosoft.com".to_string()]
}

impl Default for TenantInfo {
    fn default() -> Self {
        TenantInfo {
            id: default_tenant_id(),
            domains: default_domains(),
            entra_id_p2: true,
        }
    }
}

/// An app registration allowed to use the token endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppRegistration {
    /// The application (client) id.
    pub app_id: String,
    /// Display name (informational).
    #[serde(default)]
    pub display_name: String,
    /// Object id of the app's service principal in this tenant (role assignments may name it).
    #[serde(default)]
    pub service_principal_id: Option<String>,
    /// Accepted client secrets. Never dumped by `/_emulator/state`.
    #[serde(default, skip_serializing)]
    pub client_secrets: Vec<String>,
    /// Accepted client secrets by their SHA-256 (lower-case hex): a seed
    /// written by `entraform snapshot` holds only this, never the secret.
    #[serde(
        default,
        rename = "clientSecretSha256",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub client_secret_sha256: Vec<String>,
    /// Hex SHA-1 (or SHA-256) thumbprints of registered certificates, matched against a client assertion's `x5t` (`x5t#S256`).
    #[serde(default)]
    pub certificate_thumbprints: Vec<String>,
    /// Federated identity credentials (issuer + subject + audience), e.g. GitHub Actions OIDC.
    #[serde(default)]
    pub federated_credentials: Vec<FederatedCredential>,
    /// The Microsoft Graph application permissions granted to the app (and
    /// admin-consented); its tokens carry them in `roles` and every request
    /// is checked against them. Required: a list, or `all` (emulator only:
    /// every permission the emulator knows).
    #[serde(default)]
    pub permissions: Option<Grants>,
}

/// An app registration's granted application permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grants {
    /// `permissions: all` — every permission the emulator's table names (emulator only).
    All,
    /// `permissions: [User.Read.All, …]`.
    List(Vec<String>),
}

impl Grants {
    /// A list of permission names.
    pub fn list<S: AsRef<str>>(names: &[S]) -> Grants {
        Grants::List(names.iter().map(|s| s.as_ref().to_string()).collect())
    }
}

impl Serialize for Grants {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Grants::All => s.serialize_str("all"),
            Grants::List(l) => l.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Grants {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) if s == "all" => Ok(Grants::All),
            Value::Array(a) => a
                .into_iter()
                .map(|v| match v {
                    Value::String(p) if !p.trim().is_empty() => Ok(p),
                    other => Err(serde::de::Error::custom(format!(
                        "a permission name (e.g. User.Read.All) was expected, not {other}"
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Grants::List),
            other => Err(serde::de::Error::custom(format!(
                "`permissions` must be a list of Microsoft Graph application permissions (e.g. [User.Read.All]) or `all`, not {other}"
            ))),
        }
    }
}

/// A federated identity credential of an app registration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FederatedCredential {
    /// Expected `iss` of the external token.
    pub issuer: String,
    /// Expected `sub` of the external token.
    pub subject: String,
    /// Expected `aud` (Graph's default is `api://AzureADTokenExchange`).
    #[serde(default = "default_fic_audience")]
    pub audience: String,
}

fn default_fic_audience() -> String {
    "api://AzureADTokenExchange".to_string()
}

/// A user: `id` (generated if absent), `manager` (id or UPN), and Graph properties.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedUser {
    /// Object id; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The manager's id or userPrincipalName.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// Every other key is a Graph user property (`userPrincipalName`, `displayName`, …).
    #[serde(flatten)]
    pub properties: Map<String, Value>,
}

/// A group: `id` (generated if absent), `members` (user/group ids or UPNs), and Graph properties.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedGroup {
    /// Object id; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Direct members: user ids/UPNs or group ids.
    #[serde(default)]
    pub members: Vec<String>,
    /// Owners: user ids/UPNs or service principal ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// Every other key is a Graph group property (`displayName`, `groupTypes`, `membershipRule`, …).
    #[serde(flatten)]
    pub properties: Map<String, Value>,
}

/// A role assignment: principal (id or UPN) and role (template id or display name).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedRoleAssignment {
    /// Assignment id; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The principal's object id or userPrincipalName.
    pub principal_id: String,
    /// The role's template id or built-in display name.
    pub role_definition_id: String,
    /// Scope; `/` (tenant) by default.
    #[serde(default = "default_scope")]
    pub directory_scope_id: String,
}

fn default_scope() -> String {
    "/".to_string()
}

/// Client id of the app registration the synthetic seed includes.
pub const SYNTHETIC_CLIENT_ID: &str = "11111111-1111-4111-8111-111111111111";
/// Client secret of the synthetic seed's app registration (test-only credential).
pub const SYNTHETIC_CLIENT_SECRET: &str = "emulator-secret";
/// The application permissions the synthetic seed's app holds: those
/// entraform's docs/permissions.md recommends for `plan` and `apply` (a test
/// of the entraform crate keeps this list equal to its
/// `live::permissions::recommended_grants()`).
pub const SYNTHETIC_GRANTS: &[&str] = &[
    "User.Read.All",
    "GroupMember.Read.All",
    "RoleManagement.Read.Directory",
    "Organization.Read.All",
    "AdministrativeUnit.Read.All",
    "User.ReadWrite.All",
    "User.RevokeSessions.All",
    "User.DeleteRestore.All",
    "User-LifeCycleInfo.ReadWrite.All",
    "UserAuthMethod-TAP.ReadWrite.All",
    "Group.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
];

/// Certificate thumbprint (hex SHA-1) registered for the synthetic app.
pub const SYNTHETIC_CERT_THUMBPRINT: &str = "0123456789ABCDEF0123456789ABCDEF01234567";

/// Size of a synthetic tenant.
#[derive(Debug, Clone, Copy)]
pub struct SyntheticSpec {
    /// Number of users.
    pub users: usize,
    /// Number of groups (one in 50 is dynamic).
    pub groups: usize,
    /// Number of (group, user) memberships, spread over the non-dynamic groups.
    pub memberships: usize,
    /// Seed for the generator: the same spec gives the same tenant.
    pub rng_seed: u64,
}

const FIRST: &[&str] = &[
    "Adele",
    "Alex",
    "Bianca",
    "Cameron",
    "Delia",
    "Diego",
    "Grady",
    "Henrietta",
    "Isaiah",
    "Johanna",
    "Joni",
    "Lee",
    "Lidia",
    "Lynne",
    "Megan",
    "Miriam",
    "Nestor",
    "Patti",
    "Pradeep",
    "Sawyer",
];
const LAST: &[&str] = &[
    "Vance",
    "Wilber",
    "Pisani",
    "White",
    "Dennis",
    "Siciliani",
    "Archie",
    "Cartwright",
    "Gale",
    "Lauer",
    "Sherman",
    "Gu",
    "Holloway",
    "Robbins",
    "Bowen",
    "Hunter",
    "Kelley",
    "Fernandez",
    "Gupta",
    "Miller",
];
const DEPARTMENTS: &[&str] = &[
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Legal",
    "Operations",
    "Support",
];

impl AppRegistration {
    /// Whether `secret` is one of the app's client secrets (given in clear or by its SHA-256).
    pub fn accepts_secret(&self, secret: &str) -> bool {
        if self.client_secrets.iter().any(|s| s == secret) {
            return true;
        }
        if self.client_secret_sha256.is_empty() {
            return false;
        }
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
        let hex = super::util::hex(d.as_ref());
        self.client_secret_sha256
            .iter()
            .any(|h| h.trim().eq_ignore_ascii_case(&hex))
    }
}

impl Seed {
    /// Parse a seed from JSON or YAML text (JSON is tried first).
    pub fn parse(text: &str) -> Result<Seed, EmulatorError> {
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(json_err) => crate::yaml::to_json(text).map_err(|yaml_err| {
                EmulatorError::InvalidSeed(format!(
                    "neither JSON ({json_err}) nor YAML ({yaml_err})"
                ))
            })?,
        };
        serde_json::from_value(value).map_err(|e| EmulatorError::InvalidSeed(e.to_string()))
    }

    /// Read and parse a seed file.
    pub fn from_file(path: &std::path::Path) -> Result<Seed, EmulatorError> {
        let text = std::fs::read_to_string(path).map_err(|source| EmulatorError::ReadSeed {
            path: path.display().to_string(),
            source,
        })?;
        Seed::parse(&text)
    }

    /// A generated tenant of the given size: managers form a tree, one group in
    /// 50 is dynamic, a few users hold roles, and one app registration
    /// ([`SYNTHETIC_CLIENT_ID`] / [`SYNTHETIC_CLIENT_SECRET`]) may get tokens.
    pub fn synthetic(spec: SyntheticSpec) -> Seed {
        let mut rng = Rng::new(spec.rng_seed);
        let domain = "contoso.com";
        let mut seed = Seed {
            tenant: TenantInfo {
                id: rng.guid(),
                domains: vec![domain.to_string(), "contoso.onmicrosoft.com".to_string()],
                entra_id_p2: true,
            },
            applications: vec![AppRegistration {
                app_id: SYNTHETIC_CLIENT_ID.to_string(),
                display_name: "entraform".to_string(),
                service_principal_id: Some(rng.guid()),
                client_secrets: vec![SYNTHETIC_CLIENT_SECRET.to_string()],
                client_secret_sha256: Vec::new(),
                certificate_thumbprints: vec![SYNTHETIC_CERT_THUMBPRINT.to_string()],
                federated_credentials: Vec::new(),
                permissions: Some(Grants::list(SYNTHETIC_GRANTS)),
            }],
            ..Seed::default()
        };
        let mut user_ids: Vec<String> = Vec::with_capacity(spec.users);
        for i in 0..spec.users {
            let first = FIRST[i % FIRST.len()];
            let last = LAST[(i / FIRST.len()) % LAST.len()];
            let nick = format!("{}.{}{}", first.to_lowercase(), last.to_lowercase(), i);
            let id = rng.guid();
            let mut p = Map::new();
            p.insert("accountEnabled".into(), json!(i % 17 != 5));
            p.insert("displayName".into(), json!(format!("{first} {last} {i}")));
            p.insert("givenName".into(), json!(first));
            p.insert("surname".into(), json!(last));
            p.insert("mailNickname".into(), json!(nick));
            p.insert(
                "userPrincipalName".into(),
                json!(format!("{nick}@{domain}")),
            );
            p.insert("mail".into(), json!(format!("{nick}@{domain}")));
            p.insert(
                "department".into(),
                json!(DEPARTMENTS[i % DEPARTMENTS.len()]),
            );
            p.insert(
                "jobTitle".into(),
                json!(if i % 10 == 0 { "Manager" } else { "Engineer" }),
            );
            p.insert("usageLocation".into(), json!("US"));
            // A manager tree: user i reports to user (i-1)/10, the first user has none.
            let manager = if i == 0 {
                None
            } else {
                Some(user_ids[(i - 1) / 10].clone())
            };
            seed.users.push(SeedUser {
                id: Some(id.clone()),
                manager,
                properties: p,
            });
            user_ids.push(id);
        }
        let static_groups: Vec<usize> = (0..spec.groups).filter(|g| g % 50 != 49).collect();
        let mut members: Vec<Vec<String>> = vec![Vec::new(); spec.groups];
        if !user_ids.is_empty() && !static_groups.is_empty() {
            // Each group gets a contiguous run of users: distinct, deterministic, cheap.
            let per_group = spec.memberships / static_groups.len();
            let extra = spec.memberships % static_groups.len();
            for (k, &g) in static_groups.iter().enumerate() {
                let n = (per_group + usize::from(k < extra)).min(user_ids.len());
                let start = rng.below(user_ids.len() as u64) as usize;
                members[g] = (0..n)
                    .map(|j| user_ids[(start + j) % user_ids.len()].clone())
                    .collect();
            }
        }
        for (g, m) in members.into_iter().enumerate() {
            let dynamic = g % 50 == 49;
            let name = format!("group-{g:05}");
            let mut p = Map::new();
            p.insert("displayName".into(), json!(name));
            p.insert("mailNickname".into(), json!(name));
            p.insert("description".into(), json!(format!("Synthetic group {g}")));
            p.insert("mailEnabled".into(), json!(false));
            p.insert("securityEnabled".into(), json!(true));
            if dynamic {
                p.insert("groupTypes".into(), json!(["DynamicMembership"]));
                p.insert(
                    "membershipRule".into(),
                    json!("(user.department -eq \"Engineering\")"),
                );
                p.insert("membershipRuleProcessingState".into(), json!("On"));
            } else {
                p.insert("groupTypes".into(), json!([]));
            }
            seed.groups.push(SeedGroup {
                id: Some(rng.guid()),
                members: m,
                owners: Vec::new(),
                properties: p,
            });
        }
        if let Some(first) = user_ids.first() {
            seed.role_assignments.push(SeedRoleAssignment {
                id: None,
                principal_id: first.clone(),
                role_definition_id: "62e90394-69f5-4237-9190-012177145e10".to_string(),
                directory_scope_id: "/".to_string(),
            });
        }
        for uid in user_ids.iter().skip(1).step_by(97).take(10) {
            seed.role_assignments.push(SeedRoleAssignment {
                id: None,
                principal_id: uid.clone(),
                role_definition_id: "729827e3-9c14-49f7-bb1b-9608f156bbb8".to_string(),
                directory_scope_id: "/".to_string(),
            });
        }
        seed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_is_deterministic_and_sized() {
        let spec = SyntheticSpec {
            users: 120,
            groups: 60,
            memberships: 500,
            rng_seed: 3,
        };
        let a = Seed::synthetic(spec);
        assert_eq!(a, Seed::synthetic(spec));
        assert_eq!(a.users.len(), 120);
        assert_eq!(a.groups.len(), 60);
        assert_eq!(a.groups.iter().map(|g| g.members.len()).sum::<usize>(), 500);
        assert_eq!(
            a.groups
                .iter()
                .filter(|g| g.properties.contains_key("membershipRule"))
                .count(),
            1
        );
    }

    #[test]
    fn parses_yaml_and_json() {
        let yaml = "tenant:\n  domains: [contoso.com]\nusers:\n  - userPrincipalName: a@contoso.com\n    displayName: A\n";
        let s = Seed::parse(yaml).unwrap();
        assert_eq!(s.users[0].properties["displayName"], "A");
        let j = Seed::parse(r#"{"users":[{"id":"x","manager":"y","displayName":"B"}]}"#).unwrap();
        assert_eq!(j.users[0].manager.as_deref(), Some("y"));
        assert!(Seed::parse("{\"bogus\": 1}").is_err());
    }

    #[test]
    fn parses_administrative_units() {
        let yaml = "administrativeUnits:\n  - displayName: Executives\n    isMemberManagementRestricted: true\n    members: [ceo@contoso.com]\n";
        let s = Seed::parse(yaml).unwrap();
        let au = &s.administrative_units[0];
        assert!(au.is_member_management_restricted);
        assert_eq!(au.members, ["ceo@contoso.com"]);
        assert!(
            Seed::parse("administrativeUnits:\n  - displayName: X\n    bogus: 1\n").is_err(),
            "unknown keys are refused"
        );
        assert!(
            !serde_json::to_string(&Seed::default())
                .unwrap()
                .contains("administrativeUnits"),
            "an empty list is not dumped"
        );
    }
}
