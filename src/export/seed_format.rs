//! The emulator seed format as `entraform snapshot` writes it (docs/emulator.md,
//! "Seed format"): plain serialisable records, so the snapshot does not depend
//! on the emulator crate (see docs/decisions.md, "The emulator is its own
//! crate"). Field names and defaults are those the emulator reads
//! (`graph_emulator::seed`, which rejects unknown fields); the integration test
//! `emulator_crate::the_emulator_loads_the_seed_snapshot_writes` proves the emulator loads what this writes.

use serde::Serialize;
use serde_json::{Map, Value};

/// A tenant snapshot: what `GET /_emulator/state` dumps and `--seed` reads.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Seed {
    /// Tenant id and verified domains.
    pub tenant: TenantInfo,
    /// App registrations that may get tokens.
    pub applications: Vec<AppRegistration>,
    /// Users with their Graph properties.
    pub users: Vec<SeedUser>,
    /// Groups with members and owners.
    pub groups: Vec<SeedGroup>,
    /// Directory role assignments.
    pub role_assignments: Vec<SeedRoleAssignment>,
    /// Soft-deleted users.
    pub deleted_users: Vec<SeedUser>,
    /// Administrative units (restricted management ones).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub administrative_units: Vec<SeedAdminUnit>,
    /// Role definitions the built-in catalogue lacks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub role_definitions: Vec<SeedRoleDefinition>,
    /// Other directory objects (id and type) that hold roles or memberships.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub directory_objects: Vec<SeedDirectoryObject>,
    /// Subscribed SKUs with their seats (when licences were read).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subscribed_skus: Vec<SeedSku>,
    /// Licences held directly by users or by groups (group-based licensing).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub license_assignments: Vec<SeedLicense>,
    /// PIM eligibilities.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub role_eligibilities: Vec<SeedRoleSchedule>,
    /// PIM active assignments with an end, and activations.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub role_assignment_schedules: Vec<SeedRoleSchedule>,
}

/// A subscribed SKU in the emulator's seed form.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedSku {
    /// `skuId`.
    pub sku_id: String,
    /// `skuPartNumber`.
    pub sku_part_number: String,
    /// Seats (`prepaidUnits.enabled`).
    pub enabled: u64,
    /// Service plans.
    pub service_plans: Vec<SeedServicePlan>,
}

/// A service plan of a [`SeedSku`].
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedServicePlan {
    /// `servicePlanId`.
    pub service_plan_id: String,
    /// `servicePlanName`.
    pub service_plan_name: String,
}

/// A licence a user or group holds, in the emulator's seed form.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedLicense {
    /// User or group object id.
    pub principal: String,
    /// The SKU's `skuId`.
    pub sku: String,
    /// Disabled service plan ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disabled_plans: Vec<String>,
}

/// A PIM eligibility or scheduled active assignment (the emulator's
/// `graph_emulator::pim::seed::SeedRoleSchedule`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedRoleSchedule {
    /// The principal's object id.
    pub principal_id: String,
    /// The role definition (template) id.
    pub role_definition_id: String,
    /// `/` or `/administrativeUnits/{id}`.
    pub directory_scope_id: String,
    /// End (ISO 8601); absent: no expiration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<String>,
    /// `Activated` for an activation (default `Assigned`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment_type: Option<String>,
}

/// A custom (or otherwise missing) role definition.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedRoleDefinition {
    /// Definition id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Template id, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// Built in (`true`) or custom.
    pub is_built_in: bool,
    /// Whether it can be assigned.
    pub is_enabled: bool,
    /// Description, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The type of a [`SeedDirectoryObject`].
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum DirectoryObjectType {
    /// `#microsoft.graph.servicePrincipal`.
    ServicePrincipal,
    /// `#microsoft.graph.device`.
    Device,
    /// `#microsoft.graph.orgContact`.
    OrgContact,
    /// Any other directory object.
    DirectoryObject,
}

/// A directory object kept by id and type only.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedDirectoryObject {
    /// Object id.
    pub id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub object_type: DirectoryObjectType,
    /// Display name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// An administrative unit.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedAdminUnit {
    /// Object id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Display name.
    pub display_name: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Restricted management.
    pub is_member_management_restricted: bool,
    /// Visibility, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    /// Member object ids.
    pub members: Vec<String>,
}

/// The tenant's id and domains.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TenantInfo {
    /// Tenant id.
    pub id: String,
    /// Verified domains.
    pub domains: Vec<String>,
    /// `false` for a tenant without PIM (no Entra ID P2): the emulator then
    /// refuses PIM as Graph does. Written only when false.
    #[serde(skip_serializing_if = "is_true")]
    pub entra_id_p2: bool,
}

/// An app registration that may get tokens from the emulator.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AppRegistration {
    /// Client id.
    pub app_id: String,
    /// Display name.
    pub display_name: String,
    /// Its service principal's object id.
    pub service_principal_id: Option<String>,
    /// Client secrets in clear: never written (the snapshot records only digests).
    #[serde(skip_serializing)]
    pub client_secrets: Vec<String>,
    /// Lower-case hex SHA-256 of each accepted client secret.
    #[serde(rename = "clientSecretSha256", skip_serializing_if = "Vec::is_empty")]
    pub client_secret_sha256: Vec<String>,
    /// Accepted certificate thumbprints.
    pub certificate_thumbprints: Vec<String>,
    /// Federated credentials (none in a snapshot).
    pub federated_credentials: Vec<Value>,
    /// Granted application permissions.
    pub permissions: Option<Grants>,
}

/// An app's application permissions: a list, or every permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grants {
    /// `"all"`.
    All,
    /// These permission names.
    List(Vec<String>),
}

impl Serialize for Grants {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Grants::All => s.serialize_str("all"),
            Grants::List(l) => l.serialize(s),
        }
    }
}

/// A user (live or deleted): id, manager id and Graph properties.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedUser {
    /// Object id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Manager's object id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
    /// Graph properties.
    #[serde(flatten)]
    pub properties: Map<String, Value>,
}

/// A group: id, members, owners and Graph properties.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedGroup {
    /// Object id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Member object ids.
    pub members: Vec<String>,
    /// Owner object ids.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// Graph properties.
    #[serde(flatten)]
    pub properties: Map<String, Value>,
}

/// A directory role assignment.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeedRoleAssignment {
    /// Assignment id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The assigned principal.
    pub principal_id: String,
    /// The role definition.
    pub role_definition_id: String,
    /// `/` or `/administrativeUnits/{id}`.
    pub directory_scope_id: String,
}

fn is_true(b: &bool) -> bool {
    *b
}

/// No id or domain yet; PIM licensed (the emulator's default).
impl Default for TenantInfo {
    fn default() -> Self {
        TenantInfo {
            id: String::new(),
            domains: Vec::new(),
            entra_id_p2: true,
        }
    }
}
