//! The types of directory objects the tenant holds, and the listed-only
//! objects of a seed: plain data below the tenant (`state.rs`, which
//! re-exports them), so the modules that only need a type name (`cast`,
//! `seed_objects`) do not depend on the tenant.

/// A directory object's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `#microsoft.graph.user`
    User,
    /// `#microsoft.graph.group`
    Group,
    /// `#microsoft.graph.servicePrincipal`
    ServicePrincipal,
    /// `#microsoft.graph.device` (listed only, from the seed's `directoryObjects`)
    Device,
    /// `#microsoft.graph.orgContact` (listed only)
    OrgContact,
    /// `#microsoft.graph.directoryObject`: a type the seed did not name (listed only)
    DirectoryObject,
}

impl Kind {
    /// The `@odata.type` value.
    pub fn odata_type(self) -> &'static str {
        match self {
            Kind::User => "#microsoft.graph.user",
            Kind::Group => "#microsoft.graph.group",
            Kind::ServicePrincipal => "#microsoft.graph.servicePrincipal",
            Kind::Device => "#microsoft.graph.device",
            Kind::OrgContact => "#microsoft.graph.orgContact",
            Kind::DirectoryObject => "#microsoft.graph.directoryObject",
        }
    }

    /// The type name in `Microsoft.DirectoryServices.{name}` reference links.
    pub fn ref_suffix(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
            Kind::ServicePrincipal => "ServicePrincipal",
            Kind::Device => "Device",
            Kind::OrgContact => "Contact",
            Kind::DirectoryObject => "DirectoryObject",
        }
    }
}

/// A directory object the emulator only lists (seed `directoryObjects`): a
/// service principal without an app registration here, a device, a contact.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherObject {
    /// Its type.
    pub kind: Kind,
    /// Display name, when known.
    pub display_name: Option<String>,
}
