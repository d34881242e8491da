//! The parts of a seed that a copy of a live tenant needs besides users and
//! groups: role definitions the built-in catalog lacks (custom roles, newer
//! built-in roles) and listed-only directory objects (service principals of
//! other apps, devices, organizational contacts) that hold roles or group
//! memberships. Loaded into the tenant and dumped back by `to_seed`.

use std::collections::BTreeMap;

use super::error::EmulatorError;
use super::kind::{Kind, OtherObject};
use super::roles::{self, RoleDef};
use super::seed::{DirectoryObjectType, SeedDirectoryObject, SeedRoleDefinition};

fn kind(t: DirectoryObjectType) -> Kind {
    match t {
        DirectoryObjectType::ServicePrincipal => Kind::ServicePrincipal,
        DirectoryObjectType::Device => Kind::Device,
        DirectoryObjectType::OrgContact => Kind::OrgContact,
        DirectoryObjectType::DirectoryObject => Kind::DirectoryObject,
    }
}

fn object_type(k: Kind) -> DirectoryObjectType {
    match k {
        Kind::Device => DirectoryObjectType::Device,
        Kind::OrgContact => DirectoryObjectType::OrgContact,
        Kind::DirectoryObject | Kind::User | Kind::Group => DirectoryObjectType::DirectoryObject,
        Kind::ServicePrincipal => DirectoryObjectType::ServicePrincipal,
    }
}

/// Add the seed's extra role definitions and listed-only objects to the parts
/// of a tenant being built (before users and groups, so that members and
/// principals resolve); `app_principals`: the service principal ids of its
/// app registrations, which a listed-only object may not reuse.
pub fn load(
    role_defs: &mut Vec<RoleDef>,
    others: &mut BTreeMap<String, OtherObject>,
    app_principals: &[String],
    defs: Vec<SeedRoleDefinition>,
    objects: Vec<SeedDirectoryObject>,
) -> Result<(), EmulatorError> {
    for d in defs {
        if d.id.trim().is_empty() || d.display_name.trim().is_empty() {
            return Err(EmulatorError::InvalidSeed(
                "a role definition needs an id and a displayName".into(),
            ));
        }
        if role_defs.iter().any(|r| r.id.eq_ignore_ascii_case(&d.id)) {
            // Already in the built-in catalog: the catalog's entry stands.
            continue;
        }
        role_defs.push(roles::from_seed(d));
    }
    for o in objects {
        if o.id.trim().is_empty() {
            return Err(EmulatorError::InvalidSeed(
                "a directory object needs an id".into(),
            ));
        }
        if others.contains_key(&o.id) || app_principals.contains(&o.id) {
            return Err(EmulatorError::InvalidSeed(format!("duplicate id {}", o.id)));
        }
        others.insert(
            o.id,
            OtherObject {
                kind: kind(o.object_type),
                display_name: o.display_name,
            },
        );
    }
    Ok(())
}

/// The role definitions to dump: those that are not in the built-in catalog.
pub fn role_definitions_to_seed(defs: &[RoleDef]) -> Vec<SeedRoleDefinition> {
    defs.iter()
        .filter(|d| !(d.built_in && entra_data::builtin_roles::by_template_id(&d.id).is_some()))
        .map(|d| SeedRoleDefinition {
            id: d.id.clone(),
            display_name: d.display_name.clone(),
            template_id: d.template_id.clone(),
            is_built_in: d.built_in,
            is_enabled: d.enabled,
            description: (!d.description.is_empty()).then(|| d.description.clone()),
        })
        .collect()
}

/// The listed-only objects to dump.
pub fn others_to_seed(others: &BTreeMap<String, OtherObject>) -> Vec<SeedDirectoryObject> {
    others
        .iter()
        .map(|(id, o)| SeedDirectoryObject {
            id: id.clone(),
            object_type: object_type(o.kind),
            display_name: o.display_name.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::Seed;
    use crate::state::Tenant;

    #[test]
    fn custom_roles_and_listed_objects_load_and_dump() {
        let seed = Seed::parse(
            r#"{
              "users": [{"id": "u1", "userPrincipalName": "a@contoso.onmicrosoft.com"}],
              "groups": [{"id": "g1", "displayName": "devices", "members": ["u1", "d1", "c1"]}],
              "roleDefinitions": [{"id": "c0ffee00-0000-4000-8000-000000000001", "displayName": "Custom Reader"}],
              "directoryObjects": [
                {"id": "sp1", "type": "servicePrincipal", "displayName": "Backup app"},
                {"id": "d1", "type": "device"},
                {"id": "c1", "type": "orgContact", "displayName": "Vendor"}
              ],
              "roleAssignments": [
                {"principalId": "sp1", "roleDefinitionId": "c0ffee00-0000-4000-8000-000000000001"}
              ]
            }"#,
        )
        .unwrap();
        let t = Tenant::from_seed(seed, 1).unwrap();
        assert_eq!(t.kind_of("d1"), Some(Kind::Device));
        assert_eq!(t.kind_of("sp1"), Some(Kind::ServicePrincipal));
        assert_eq!(t.groups["g1"].members.len(), 3);
        let dumped = t.to_seed();
        assert_eq!(dumped.role_definitions.len(), 1);
        assert!(!dumped.role_definitions[0].is_built_in);
        assert_eq!(dumped.directory_objects.len(), 3);
        let again = Tenant::from_seed(dumped.clone(), 1).unwrap().to_seed();
        assert_eq!(again, dumped);
    }

    #[test]
    fn unknown_types_and_duplicates_are_refused() {
        assert!(Seed::parse(r#"{"directoryObjects":[{"id":"x","type":"printer"}]}"#).is_err());
        let seed = Seed::parse(
            r#"{"directoryObjects":[{"id":"x","type":"device"},{"id":"x","type":"device"}]}"#,
        )
        .unwrap();
        assert!(Tenant::from_seed(seed, 1).is_err());
        let seed = Seed::parse(
            r#"{"directoryObjects":[{"id":"x","type":"device"}],"users":[{"id":"x","userPrincipalName":"a@contoso.onmicrosoft.com"}]}"#,
        )
        .unwrap();
        assert!(Tenant::from_seed(seed, 1).is_err(), "an id used twice");
    }
}
