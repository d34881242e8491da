//! OData type-cast and bound-function segments, in both spellings Graph
//! accepts: the namespace (`microsoft.graph.user`) and the schema alias
//! (`graph.user`).
//!
//! Graph's CSDL declares `<Schema Namespace="microsoft.graph" Alias="graph">`,
//! and under OData a qualified name may use either the namespace or the
//! alias. Microsoft's own SDKs send the alias: msgraph-sdk-python's URL
//! template for a cast of group members is
//! `{+baseurl}/groups/{group%2Did}/members/graph.user`
//! (`msgraph/generated/groups/item/members/graph_user/graph_user_request_builder.py`),
//! and likewise `/users/{id}/memberOf/graph.group` and
//! `/directory/deletedItems/graph.user`. The reference pages use the long
//! form ("OData cast is enabled", e.g. `/groups/{id}/members/microsoft.graph.user`,
//! api-reference/v1.0/api/group-list-members.md).
//!
//! Every route that allows a cast segment (members, transitiveMembers,
//! memberOf, transitiveMemberOf, directReports, owners, deletedItems,
//! administrative-unit members) parses it with [`parse`].

use super::kind::Kind;

/// A directory-object type named by a cast segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cast {
    /// `microsoft.graph.user`
    User,
    /// `microsoft.graph.group`
    Group,
    /// `microsoft.graph.servicePrincipal`
    ServicePrincipal,
    /// `microsoft.graph.device` (the emulator keeps none)
    Device,
    /// `microsoft.graph.orgContact` (the emulator keeps none)
    OrgContact,
    /// `microsoft.graph.application` (the emulator keeps none as directory objects)
    Application,
    /// `microsoft.graph.administrativeUnit` (never a member; in `memberOf` and deleted items)
    AdministrativeUnit,
    /// `microsoft.graph.directoryRole` (in `memberOf`: the roles a principal holds)
    DirectoryRole,
}

const ALL: &[(Cast, &str, &str)] = &[
    (Cast::User, "user", "users"),
    (Cast::Group, "group", "groups"),
    (
        Cast::ServicePrincipal,
        "servicePrincipal",
        "servicePrincipals",
    ),
    (Cast::Device, "device", "devices"),
    (Cast::OrgContact, "orgContact", "contacts"),
    (Cast::Application, "application", "applications"),
    (
        Cast::AdministrativeUnit,
        "administrativeUnit",
        "administrativeUnits",
    ),
    (Cast::DirectoryRole, "directoryRole", "directoryRoles"),
];

impl Cast {
    fn entry(self) -> &'static (Cast, &'static str, &'static str) {
        // Every variant is in ALL; the fallback is never taken.
        ALL.iter().find(|(c, _, _)| *c == self).unwrap_or(&ALL[0])
    }

    /// The type name without namespace (`user`).
    pub fn name(self) -> &'static str {
        self.entry().1
    }

    /// The fully qualified name (`microsoft.graph.user`), as metrics and contexts show it.
    pub fn qualified(self) -> String {
        format!("microsoft.graph.{}", self.name())
    }

    /// The entity set the cast collection's `@odata.context` names (`users`).
    pub fn entity_set(self) -> &'static str {
        self.entry().2
    }

    /// The emulator's object kind, for the types it stores.
    pub fn kind(self) -> Option<Kind> {
        match self {
            Cast::User => Some(Kind::User),
            Cast::Group => Some(Kind::Group),
            Cast::ServicePrincipal => Some(Kind::ServicePrincipal),
            _ => None,
        }
    }
}

/// Strip the namespace or its alias from a qualified name: `microsoft.graph.x`
/// or `graph.x` → `x` (namespace compared case-insensitively, as Graph's
/// URL parser does).
fn unqualified(segment: &str) -> Option<&str> {
    let lower = segment.get(..16).map(str::to_ascii_lowercase);
    if lower.as_deref() == Some("microsoft.graph.") {
        return segment.get(16..);
    }
    let lower = segment.get(..6).map(str::to_ascii_lowercase);
    if lower.as_deref() == Some("graph.") {
        return segment.get(6..);
    }
    None
}

/// Whether a segment is namespace-qualified (`microsoft.graph.…` or the
/// alias `graph.…`): a cast, or a bound function, rather than a key or a
/// navigation property.
pub fn is_qualified(segment: &str) -> bool {
    unqualified(segment).is_some_and(|name| !name.is_empty())
}

/// Parse a type-cast segment: `microsoft.graph.{type}` or `graph.{type}` for
/// a directory-object type. `None` for anything else (an id, `$ref`, …).
pub fn parse(segment: &str) -> Option<Cast> {
    let name = unqualified(segment)?;
    ALL.iter()
        .find(|(_, n, _)| n.eq_ignore_ascii_case(name))
        .map(|(c, _, _)| *c)
}

/// Whether `segment` names the bound function `name` (`delta`): bare, or
/// qualified by the namespace or the alias, with or without `()`.
pub fn is_function(segment: &str, name: &str) -> bool {
    let s = segment.strip_suffix("()").unwrap_or(segment);
    let bare = unqualified(s).unwrap_or(s);
    bare == name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_parse_to_the_same_type() {
        for (seg, want) in [
            ("microsoft.graph.user", Cast::User),
            ("graph.user", Cast::User),
            ("Microsoft.Graph.Group", Cast::Group),
            ("graph.servicePrincipal", Cast::ServicePrincipal),
            ("graph.orgContact", Cast::OrgContact),
            (
                "microsoft.graph.administrativeUnit",
                Cast::AdministrativeUnit,
            ),
        ] {
            assert_eq!(parse(seg), Some(want), "{seg}");
        }
        for seg in [
            "user",
            "graph.",
            "graph.delta",
            "microsoft.graph",
            "$ref",
            "graphuser",
            "microsoft.graph.nothing",
            "ü",
            "",
        ] {
            assert_eq!(parse(seg), None, "{seg}");
        }
        assert_eq!(Cast::User.qualified(), "microsoft.graph.user");
        assert_eq!(Cast::OrgContact.entity_set(), "contacts");
        assert_eq!(Cast::Device.kind(), None);
    }

    #[test]
    fn functions_in_every_spelling() {
        for seg in [
            "delta",
            "delta()",
            "microsoft.graph.delta",
            "microsoft.graph.delta()",
            "graph.delta",
            "graph.delta()",
        ] {
            assert!(is_function(seg, "delta"), "{seg}");
        }
        for seg in ["deltas", "graph.user", "x.delta", "delta(1)"] {
            assert!(!is_function(seg, "delta"), "{seg}");
        }
    }
}
