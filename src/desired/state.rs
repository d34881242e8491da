//! Checked desired-state types: what the planner accepts.
//!
//! These are produced only by [`super::validate`]; their fields hold values
//! that already passed every rule, so later stages need not re-check them.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::attrs::{Attr, AttrValue};
use crate::model::Upn;
pub use crate::model::kinds::{GroupKind, PasswordPolicy};
pub use crate::model::origin::Origin;

/// The whole validated directory repo.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredState {
    /// Tenant-wide settings.
    pub tenant: Tenant,
    /// Declared users by UPN (case-insensitive).
    pub users: UserMap,
    /// Declared groups by lower-cased name.
    pub groups: BTreeMap<String, GroupSpec>,
    /// Declared or referenced roles by key (template id for built-ins, lower-cased name for custom roles).
    pub roles: BTreeMap<String, RoleSpec>,
}

/// Settings from the `tenant:` block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tenant {
    /// The default domain (short names get `@domain`).
    pub domain: String,
    /// Every domain users may use (the default domain first).
    pub domains: Vec<String>,
    /// Which live users this repo owns.
    pub scope: Scope,
    /// What happens to owned live users missing from the repo.
    pub absent_users: AbsentUsers,
    /// Thresholds and protected principals.
    pub safety: Safety,
    /// The offboarding policy and the notice window for upcoming dates.
    pub lifecycle: super::lifecycle::Lifecycle,
    /// Where the block is.
    pub origin: Origin,
}

/// Which live users the repo owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeUsers {
    /// Every user in the tenant.
    All,
    /// Users whose UPN domain is one of these (lower-case).
    Domains(Vec<String>),
    /// Exactly these users.
    List(Vec<Upn>),
}

/// Ownership scope: a selection minus exclusions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// The selection.
    pub users: ScopeUsers,
    /// Never owned, never touched.
    pub exclude: Vec<Upn>,
}

impl Scope {
    /// Does the repo own the live user with this UPN?
    pub fn owns(&self, upn: &Upn) -> bool {
        if self.exclude.contains(upn) {
            return false;
        }
        match &self.users {
            ScopeUsers::All => true,
            ScopeUsers::Domains(d) => d.iter().any(|d| d.eq_ignore_ascii_case(upn.domain())),
            ScopeUsers::List(l) => l.contains(upn),
        }
    }
}

/// Policy for owned live users that the repo does not declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AbsentUsers {
    /// Leave them alone.
    Ignore,
    /// Disable them (and revoke their sessions).
    Disable,
    /// Delete them (soft delete; restorable for 30 days).
    Delete,
}

/// A limit given as a count or as a percentage of owned users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// At most this many.
    Count(u64),
    /// At most this share, in hundredths of a percent (`"2.5%"` → 250).
    BasisPoints(u32),
}

impl Threshold {
    /// The largest allowed number for a tenant with `owned` users.
    pub fn limit(self, owned: u64) -> u64 {
        match self {
            Threshold::Count(n) => n,
            Threshold::BasisPoints(bp) => owned * u64::from(bp) / 10_000,
        }
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Threshold::Count(n) => write!(f, "{n}"),
            Threshold::BasisPoints(bp) if bp % 100 == 0 => write!(f, "{}%", bp / 100),
            Threshold::BasisPoints(bp) => write!(f, "{}.{:02}%", bp / 100, bp % 100),
        }
    }
}

/// Safety settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Safety {
    /// Most deletions one plan may contain (default 10%).
    pub max_deletes: Option<Threshold>,
    /// Most disables one plan may contain (default 10%).
    pub max_disables: Option<Threshold>,
    /// Most changes of any kind (default: no limit).
    pub max_changes: Option<Threshold>,
    /// Thresholds apply only when the repo owns at least this many users (default 50).
    pub min_tenant_size: u64,
    /// Never disabled, deleted or stripped of roles.
    pub protected: Vec<Upn>,
}

/// What the repo says about a user's manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ManagerSpec {
    /// `manager: null`: the user must have no manager.
    Remove,
    /// This user must be the manager.
    Set(Upn),
}

/// One declared user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserSpec {
    /// The UPN.
    pub upn: Upn,
    /// Managed attributes: absent = unmanaged, `None` = clear, `Some` = set.
    pub attributes: AttrMap,
    /// Manager, if managed.
    pub manager: Option<ManagerSpec>,
    /// Where the manager is declared (for plan-time errors).
    pub manager_origin: Option<Origin>,
    /// accountEnabled, if managed.
    pub enabled: Option<bool>,
    /// Initial password policy (used only when the user is created).
    pub password: PasswordPolicy,
    /// A Temporary Access Pass issued when the user is created (`onboarding`).
    pub tap: Option<crate::model::kinds::TapPolicy>,
    /// One-off: reset the password once `lastPasswordChangeDateTime` is older than this.
    pub reset_password_after: Option<crate::model::clock::Moment>,
    /// One-off: revoke sessions once `signInSessionsValidFromDateTime` is older than this.
    pub revoke_sessions_after: Option<crate::model::clock::Moment>,
    /// Where the user is declared.
    pub origin: Origin,
    /// Direct licences, if managed (`licenses:` or `tenant.defaults.licenses`).
    pub licenses: Option<Vec<crate::model::licenses::LicenseSpec>>,
    /// `licenses:` is on the entry itself (not taken from `tenant.defaults`):
    /// lines a leaver's `leaver-overrides-declared` notice can ask to remove.
    #[serde(skip)]
    pub own_licenses: bool,
    /// UPNs the user had: a live user holding one of them (and none holding
    /// `upn`) is this user, renamed in place.
    pub previous_upns: Vec<Upn>,
    /// A B2B guest to invite (`invite:`) when no live user holds `upn`.
    pub invite: Option<crate::model::op::GuestInvite>,
}

/// How the repo treats a group's membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Membership {
    /// Live members not declared are removed.
    Authoritative,
    /// Declared members are added; others are left alone.
    Additive,
    /// A dynamic group: membership is read-only.
    Dynamic,
}

/// One declared group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSpec {
    /// displayName.
    pub name: String,
    /// mailNickname, if given.
    pub mail_nickname: Option<String>,
    /// description: absent = unmanaged, `None` = clear.
    pub description: Option<Option<String>>,
    /// Security or Microsoft 365.
    pub kind: GroupKind,
    /// Membership mode.
    pub membership: Membership,
    /// Members (merged from the group and from users' `groups:`), with where each was declared.
    pub members: UpnMap<Origin>,
    /// Owners: `None` when the group has no `owners:` key (unmanaged; a
    /// group the plan creates then gets the running service principal),
    /// else exactly these (authoritative), with where each was declared.
    pub owners: Option<Vec<(OwnerSpec, Origin)>>,
    /// Members whose membership ends (`{ user, until }`): removed by the first plan at or after the date.
    pub until: BTreeMap<Upn, crate::model::clock::Moment>,
    /// Where the group is declared.
    pub origin: Origin,
}

/// A declared owner of a group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnerSpec {
    /// A user.
    User(Upn),
    /// The service principal entraform signs in as (`servicePrincipal: self`).
    App,
    /// Another service principal, by object id (lower-case).
    ServicePrincipal(String),
}

/// Most owners a group may have (Graph's limit on the owners relationship).
pub const MAX_GROUP_OWNERS: usize = 100;

/// One role and its principals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleSpec {
    /// Display name (the built-in name, or the custom role's name as written).
    pub display_name: String,
    /// Template id of a built-in role; `None` for a custom role (resolved at plan time by name).
    pub template_id: Option<String>,
    /// True when declared under `roles:` (its assignments are then authoritative);
    /// false when only referenced from users' `roles:` lists (additive).
    pub authoritative: bool,
    /// Principals (merged), with where each was declared: active,
    /// permanent, at tenant scope.
    pub principals: UpnMap<Origin>,
    /// Every other holding (PIM): eligibilities, time-bound active
    /// assignments, administrative-unit-scoped ones; one per (principal,
    /// holding, scope), sorted.
    pub holdings: Vec<HoldingSpec>,
    /// The administrative units (names as written) this role is declared for
    /// under `roles:` with `scope: au:<name>`: its holdings there are authoritative.
    pub au_scopes: Vec<String>,
    /// Where the role is declared (or first referenced).
    pub origin: Origin,
}

/// One declared PIM holding of a role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct HoldingSpec {
    /// The principal.
    pub upn: Upn,
    /// Administrative unit name (`None`: the tenant).
    pub scope: Option<String>,
    /// Eligible or active.
    pub holding: crate::model::op::Holding,
    /// Last day (`YYYY-MM-DD`, UTC); `None`: no end.
    pub until: Option<String>,
    /// Justification for PIM.
    pub justification: Option<String>,
    /// Where it is declared.
    pub origin: Origin,
}

/// A user's managed attributes, sorted by attribute: a key that is absent is
/// unmanaged, `None` clears the attribute, `Some` sets it.
///
/// A sorted boxed slice rather than a `BTreeMap`: a user declares a handful of
/// attributes, and a `BTreeMap` allocates a node with room for eleven entries
/// for even one; at 100,000 users that difference is tens of megabytes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttrMap(Box<[(Attr, Option<AttrValue>)]>);

/// An entry of an [`AttrMap`], as its iterators yield it.
pub type AttrEntry<'a> = (&'a Attr, &'a Option<AttrValue>);

impl AttrMap {
    /// The value for `attr`, if the attribute is managed.
    pub fn get(&self, attr: &Attr) -> Option<&Option<AttrValue>> {
        self.0
            .binary_search_by(|(a, _)| a.cmp(attr))
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, v)| v)
    }
    /// Is `attr` managed?
    pub fn contains_key(&self, attr: &Attr) -> bool {
        self.get(attr).is_some()
    }
    /// The managed attributes in attribute order.
    pub fn iter(&self) -> impl Iterator<Item = AttrEntry<'_>> + '_ {
        self.into_iter()
    }
    /// How many attributes are managed.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when no attribute is managed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(Attr, Option<AttrValue>)> for AttrMap {
    /// Collect entries; of two entries for the same attribute the later wins (as in a map).
    fn from_iter<I: IntoIterator<Item = (Attr, Option<AttrValue>)>>(iter: I) -> Self {
        let mut v: Vec<(Attr, Option<AttrValue>)> = Vec::new();
        for (a, value) in iter {
            match v.iter_mut().find(|(x, _)| *x == a) {
                Some(slot) => slot.1 = value,
                None => v.push((a, value)),
            }
        }
        v.sort_by_key(|e| e.0);
        AttrMap(v.into_boxed_slice())
    }
}

fn attr_entry(e: &(Attr, Option<AttrValue>)) -> AttrEntry<'_> {
    (&e.0, &e.1)
}

impl<'a> IntoIterator for &'a AttrMap {
    type Item = AttrEntry<'a>;
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Attr, Option<AttrValue>)>,
        fn(&'a (Attr, Option<AttrValue>)) -> AttrEntry<'a>,
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(attr_entry as fn(&'a _) -> _)
    }
}

impl Serialize for AttrMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.0.len()))?;
        for (a, v) in self {
            m.serialize_entry(a, v)?;
        }
        m.end()
    }
}

/// The declared users, in UPN order, looked up by UPN (case-insensitive).
///
/// One sorted boxed slice keyed by each [`UserSpec::upn`]: a `BTreeMap` would
/// hold every UPN twice (key and spec) plus its nodes' spare room.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserMap(Box<[UserSpec]>);

impl UserMap {
    /// Build from users with distinct UPNs (validation guarantees it); of
    /// two users with the same UPN the first is kept.
    pub fn new(mut users: Vec<UserSpec>) -> Self {
        users.sort_by(|a, b| a.upn.cmp(&b.upn));
        users.dedup_by(|later, earlier| later.upn == earlier.upn);
        UserMap(users.into_boxed_slice())
    }
    fn index(&self, upn: &Upn) -> Option<usize> {
        self.0.binary_search_by(|u| u.upn.cmp(upn)).ok()
    }
    /// The user declared with this UPN.
    pub fn get(&self, upn: &Upn) -> Option<&UserSpec> {
        self.index(upn).and_then(|i| self.0.get(i))
    }
    /// The UPN as declared and the user.
    pub fn get_key_value(&self, upn: &Upn) -> Option<(&Upn, &UserSpec)> {
        self.get(upn).map(|u| (&u.upn, u))
    }
    /// Is a user with this UPN declared?
    pub fn contains_key(&self, upn: &Upn) -> bool {
        self.index(upn).is_some()
    }
    /// The UPNs, in order.
    pub fn keys(&self) -> impl Iterator<Item = &Upn> + '_ {
        self.0.iter().map(|u| &u.upn)
    }
    /// The users, in UPN order.
    pub fn values(&self) -> std::slice::Iter<'_, UserSpec> {
        self.0.iter()
    }
    /// (UPN, user) pairs, in UPN order.
    pub fn iter(&self) -> impl Iterator<Item = (&Upn, &UserSpec)> + '_ {
        self.into_iter()
    }
    /// How many users are declared.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when no user is declared.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn user_entry(u: &UserSpec) -> (&Upn, &UserSpec) {
    (&u.upn, u)
}

impl<'a> IntoIterator for &'a UserMap {
    type Item = (&'a Upn, &'a UserSpec);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, UserSpec>, fn(&'a UserSpec) -> (&'a Upn, &'a UserSpec)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(user_entry as fn(&'a _) -> _)
    }
}

impl Serialize for UserMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.0.len()))?;
        for (u, spec) in self {
            m.serialize_entry(u, spec)?;
        }
        m.end()
    }
}

/// A map from UPN (case-insensitive, in UPN order) to a value, stored as one
/// sorted boxed slice: the compact form of group members and role principals,
/// which are built once by validation and only looked up and iterated after.
#[derive(Debug, Clone, PartialEq)]
pub struct UpnMap<V>(Box<[(Upn, V)]>);

impl<V> Default for UpnMap<V> {
    fn default() -> Self {
        UpnMap(Box::default())
    }
}

impl<V> UpnMap<V> {
    /// Build from entries in declaration order; of two entries for the same
    /// UPN the first is kept (where a member was declared first).
    pub fn first_wins(mut entries: Vec<(Upn, V)>) -> Self {
        // A stable sort keeps equal UPNs in declaration order, and `dedup_by`
        // keeps the first of each run.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, earlier| later.0 == earlier.0);
        UpnMap(entries.into_boxed_slice())
    }
    /// The value for `upn`.
    pub fn get(&self, upn: &Upn) -> Option<&V> {
        self.0
            .binary_search_by(|(u, _)| u.cmp(upn))
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, v)| v)
    }
    /// Is `upn` in the map?
    pub fn contains_key(&self, upn: &Upn) -> bool {
        self.get(upn).is_some()
    }
    /// The UPNs, in order.
    pub fn keys(&self) -> impl Iterator<Item = &Upn> + '_ {
        self.0.iter().map(|(u, _)| u)
    }
    /// The entries, in UPN order.
    pub fn iter(&self) -> impl Iterator<Item = (&Upn, &V)> + '_ {
        self.into_iter()
    }
    /// How many entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn upn_entry<V>(e: &(Upn, V)) -> (&Upn, &V) {
    (&e.0, &e.1)
}

impl<'a, V> IntoIterator for &'a UpnMap<V> {
    type Item = (&'a Upn, &'a V);
    type IntoIter =
        std::iter::Map<std::slice::Iter<'a, (Upn, V)>, fn(&'a (Upn, V)) -> (&'a Upn, &'a V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(upn_entry as fn(&'a _) -> _)
    }
}

impl<V: Serialize> Serialize for UpnMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(self.0.len()))?;
        for (u, v) in self {
            m.serialize_entry(u, v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upn(s: &str) -> Upn {
        Upn::new_unchecked(s)
    }

    #[test]
    fn upn_map_keeps_the_first_declaration_and_ignores_case() {
        let m = UpnMap::first_wins(vec![
            (upn("b@x.com"), 1),
            (upn("A@x.com"), 2),
            (upn("B@X.com"), 3),
            (upn("a@x.com"), 4),
        ]);
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&upn("a@X.COM")), Some(&2));
        assert_eq!(m.get(&upn("b@x.com")), Some(&1));
        assert!(!m.contains_key(&upn("c@x.com")));
        let keys: Vec<&str> = m.keys().map(Upn::as_str).collect();
        assert_eq!(keys, ["A@x.com", "b@x.com"]);
    }

    #[test]
    fn user_map_finds_users_by_upn_in_any_case_and_keeps_the_first() {
        let origin = Origin {
            file: "u.yaml".into(),
            line: 1,
            column: 1,
        };
        let spec = |u: &str, enabled: bool| UserSpec {
            upn: upn(u),
            attributes: AttrMap::default(),
            manager: None,
            manager_origin: None,
            enabled: Some(enabled),
            password: PasswordPolicy::Generate,
            tap: None,
            reset_password_after: None,
            revoke_sessions_after: None,
            origin: origin.clone(),
            licenses: None,
            own_licenses: false,
            previous_upns: Vec::new(),
            invite: None,
        };
        let m = UserMap::new(vec![
            spec("zoe@x.com", true),
            spec("Adam@x.com", true),
            spec("ZOE@x.com", false),
        ]);
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&upn("ZOE@X.COM")).and_then(|u| u.enabled), Some(true));
        assert_eq!(
            m.get_key_value(&upn("adam@x.com")).map(|(k, _)| k.as_str()),
            Some("Adam@x.com")
        );
        assert!(!m.contains_key(&upn("eve@x.com")));
        let keys: Vec<&str> = m.keys().map(Upn::as_str).collect();
        assert_eq!(keys, ["Adam@x.com", "zoe@x.com"]);
        assert_eq!(m.iter().count(), m.values().count());
    }

    #[test]
    fn attr_map_is_sorted_and_the_later_value_wins() {
        let m: AttrMap = [
            (Attr::JobTitle, Some(AttrValue::Text("a".into()))),
            (Attr::DisplayName, None),
            (Attr::JobTitle, Some(AttrValue::Text("b".into()))),
        ]
        .into_iter()
        .collect();
        assert_eq!(m.len(), 2);
        assert_eq!(
            m.get(&Attr::JobTitle),
            Some(&Some(AttrValue::Text("b".into())))
        );
        assert_eq!(m.get(&Attr::DisplayName), Some(&None));
        assert!(!m.contains_key(&Attr::City));
        let keys: Vec<Attr> = m.iter().map(|(a, _)| *a).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }
}
