//! Directory role definitions (the built-in roles, from `builtin_roles`) and
//! how role references resolve.

use serde_json::{Value, json};

use entra_data::builtin_roles::{self, BUILTIN_ROLES};

/// A role definition as the emulator serves it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleDef {
    /// Id; for built-in roles Graph uses the template id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Description.
    pub description: String,
    /// Template id (`None` for a custom role without one).
    pub template_id: Option<String>,
    /// Built in (`false` for a custom role from the seed).
    pub built_in: bool,
    /// Whether the role can be assigned.
    pub enabled: bool,
}

impl RoleDef {
    /// The `unifiedRoleDefinition` JSON (without `@odata` annotations).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "description": self.description,
            "displayName": self.display_name,
            "isBuiltIn": self.built_in,
            "isEnabled": self.enabled,
            "resourceScopes": ["/"],
            "templateId": self.template_id,
            "version": "1",
            "rolePermissions": [],
            "inheritsPermissionsFrom": [],
        })
    }
}

/// All built-in role definitions.
pub fn definitions() -> Vec<RoleDef> {
    BUILTIN_ROLES
        .iter()
        .map(|r| RoleDef {
            id: r.template_id.to_string(),
            display_name: r.display_name.to_string(),
            description: r.description.to_string(),
            template_id: Some(r.template_id.to_string()),
            built_in: true,
            enabled: true,
        })
        .collect()
}

/// A role definition from the seed (custom, or a built-in role the catalog lacks).
pub fn from_seed(d: super::seed::SeedRoleDefinition) -> RoleDef {
    RoleDef {
        id: d.id,
        display_name: d.display_name,
        description: d.description.unwrap_or_default(),
        template_id: d.template_id,
        built_in: d.is_built_in,
        enabled: d.is_enabled,
    }
}

/// Resolve a role given by id (template id) or display name to its id.
pub fn resolve(defs: &[RoleDef], key: &str) -> Option<String> {
    defs.iter()
        .find(|d| d.id.eq_ignore_ascii_case(key) || d.display_name.eq_ignore_ascii_case(key))
        .map(|d| d.id.clone())
        .or_else(|| builtin_roles::lookup(key).map(|r| r.template_id.to_string()))
}
