//! The immutable, indexed snapshot of a live tenant that the diff reads.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::read::CounterSnapshot;
use crate::model::attrs::{
    ATTRS, Attr, AttrRef, AttrValue, AttrValues, AttrValuesBuilder, first_of_property,
    is_object_property, members_of,
};
use crate::model::op::Holding;
use crate::model::{ObjectId, Upn};

/// A user with the properties entraform compares. The managed attributes
/// are [`AttrValues`] keyed by [`Attr`] (the table in `model::attrs`).
///
/// Stored in a state directory's snapshot as a Graph-shaped JSON object: the
/// attributes under their Graph names (a list one always, as an array), the
/// manager as its object id.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveUser {
    /// Object id.
    pub id: ObjectId,
    /// `userPrincipalName`.
    pub upn: Upn,
    /// The managed attributes Graph holds a value for.
    pub attrs: AttrValues,
    /// `accountEnabled`.
    pub account_enabled: bool,
    /// `onPremisesSyncEnabled == true`: the user is synced and read-only in the cloud.
    pub on_premises_sync_enabled: bool,
    /// The manager's object id (a user or an organizational contact).
    pub manager: Option<ObjectId>,
    /// `lastPasswordChangeDateTime` (read-only; compared with `reset_password_after`).
    pub last_password_change: Option<String>,
    /// `signInSessionsValidFromDateTime` (read-only; compared with `revoke_sessions_after`).
    pub sessions_valid_from: Option<String>,
}

impl LiveUser {
    /// An enabled, cloud-only user with only an id and a UPN (everything else unset).
    pub fn new(id: ObjectId, upn: Upn) -> LiveUser {
        LiveUser {
            id,
            upn,
            attrs: AttrValues::default(),
            account_enabled: true,
            on_premises_sync_enabled: false,
            manager: None,
            last_password_change: None,
            sessions_valid_from: None,
        }
    }

    /// Set (`Some`) or unset (`None`) a managed attribute.
    pub fn set(&mut self, attr: Attr, value: Option<AttrValue>) {
        self.attrs.set(attr, value);
    }

    /// A compared property by its Graph name (`jobTitle`, `businessPhones`,
    /// `accountEnabled`…): `Some(Value::Null)` when unset (`[]` for a list
    /// attribute), `None` for a name that is not a compared property.
    pub fn attribute(&self, graph_name: &str) -> Option<Value> {
        Some(match graph_name {
            "id" => Value::String(self.id.0.clone()),
            "userPrincipalName" => Value::String(self.upn.as_str().to_string()),
            "accountEnabled" => Value::Bool(self.account_enabled),
            "onPremisesSyncEnabled" => Value::Bool(self.on_premises_sync_enabled),
            "lastPasswordChangeDateTime" => self
                .last_password_change
                .clone()
                .map_or(Value::Null, Value::String),
            "signInSessionsValidFromDateTime" => self
                .sessions_valid_from
                .clone()
                .map_or(Value::Null, Value::String),
            "manager" => self
                .manager
                .as_ref()
                .map_or(Value::Null, |m| Value::String(m.0.clone())),
            other if is_object_property(other) => object_json(&self.attrs, other),
            other => attr_json(&self.attrs, Attr::from_key(other)?),
        })
    }
}

/// The JSON of an object-valued property as Graph returns it: `null` when no
/// member is set, else every member (`null` for an unset one).
fn object_json(attrs: &AttrValues, property: &str) -> Value {
    if members_of(property).all(|m| attrs.get(m.attr).is_none()) {
        return Value::Null;
    }
    Value::Object(
        members_of(property)
            .filter_map(|m| Some((m.member?.to_string(), attr_json(attrs, m.attr))))
            .collect(),
    )
}

/// The JSON of one attribute as Graph returns it: a string or `null`, an array (maybe empty).
fn attr_json(attrs: &AttrValues, attr: Attr) -> Value {
    match attrs.get(attr) {
        Some(AttrRef::Text(t)) => Value::String(t.to_string()),
        Some(AttrRef::List(items)) => {
            Value::Array(items.map(|t| Value::String(t.into())).collect())
        }
        None if attr.is_list() => Value::Array(Vec::new()),
        None => Value::Null,
    }
}

impl Serialize for LiveUser {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("userPrincipalName", &self.upn)?;
        for (i, info) in ATTRS.iter().enumerate() {
            if info.member.is_some() {
                // An object-valued property: once, Graph-shaped, when any member is set.
                if first_of_property(i) {
                    let v = object_json(&self.attrs, info.property);
                    if !v.is_null() {
                        m.serialize_entry(info.property, &v)?;
                    }
                }
                continue;
            }
            match self.attrs.get(info.attr) {
                Some(AttrRef::Text(t)) => m.serialize_entry(info.key, t)?,
                Some(AttrRef::List(items)) => {
                    m.serialize_entry(info.key, &items.collect::<Vec<&str>>())?
                }
                None if info.attr.is_list() => m.serialize_entry(info.key, &[] as &[&str])?,
                None => {}
            }
        }
        m.serialize_entry("accountEnabled", &self.account_enabled)?;
        m.serialize_entry("onPremisesSyncEnabled", &self.on_premises_sync_enabled)?;
        if let Some(manager) = &self.manager {
            m.serialize_entry("manager", manager)?;
        }
        if let Some(t) = &self.last_password_change {
            m.serialize_entry("lastPasswordChangeDateTime", t)?;
        }
        if let Some(t) = &self.sessions_valid_from {
            m.serialize_entry("signInSessionsValidFromDateTime", t)?;
        }
        m.end()
    }
}

/// A map key, borrowed from the input when it can be (no allocation per key
/// when a large snapshot is read).
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a property name")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for LiveUser {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{self, IgnoredAny, MapAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LiveUser;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a stored user")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LiveUser, A::Error> {
                let mut id: Option<ObjectId> = None;
                let mut upn: Option<Upn> = None;
                let mut enabled: Option<bool> = None;
                let mut synced: Option<bool> = None;
                let mut manager: Option<ObjectId> = None;
                let mut password_changed: Option<String> = None;
                let mut sessions_from: Option<String> = None;
                let mut attrs = AttrValuesBuilder::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match &*key {
                        "id" => id = Some(map.next_value()?),
                        "userPrincipalName" => upn = Some(map.next_value()?),
                        "accountEnabled" => enabled = Some(map.next_value()?),
                        "onPremisesSyncEnabled" => synced = Some(map.next_value()?),
                        "manager" => manager = map.next_value()?,
                        "lastPasswordChangeDateTime" => password_changed = map.next_value()?,
                        "signInSessionsValidFromDateTime" => sessions_from = map.next_value()?,
                        other => match Attr::from_key(other) {
                            _ if is_object_property(other) => {
                                let p = members_of(other).next().map_or("", |m| m.property);
                                attrs.read_json_object(p, &mut map)?
                            }
                            Some(attr) if attr.member().is_none() => {
                                attrs.read_json(attr, &mut map)?
                            }
                            _ => {
                                map.next_value::<IgnoredAny>()?;
                            }
                        },
                    }
                }
                Ok(LiveUser {
                    id: id.ok_or_else(|| de::Error::missing_field("id"))?,
                    upn: upn.ok_or_else(|| de::Error::missing_field("userPrincipalName"))?,
                    attrs: attrs.finish(),
                    account_enabled: enabled
                        .ok_or_else(|| de::Error::missing_field("accountEnabled"))?,
                    on_premises_sync_enabled: synced
                        .ok_or_else(|| de::Error::missing_field("onPremisesSyncEnabled"))?,
                    manager,
                    last_password_change: password_changed,
                    sessions_valid_from: sessions_from,
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// What kind of directory object a member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ObjectKind {
    /// `#microsoft.graph.user`
    User,
    /// `#microsoft.graph.group`
    Group,
    /// `#microsoft.graph.servicePrincipal`
    ServicePrincipal,
    /// `#microsoft.graph.orgContact`
    OrgContact,
    /// `#microsoft.graph.device`
    Device,
    /// Anything else (or no type given).
    Other,
}

impl ObjectKind {
    /// From an `@odata.type` annotation.
    pub fn from_odata_type(t: Option<&str>) -> ObjectKind {
        match t.map(|t| t.trim_start_matches('#')) {
            Some("microsoft.graph.user") => ObjectKind::User,
            Some("microsoft.graph.group") => ObjectKind::Group,
            Some("microsoft.graph.servicePrincipal") => ObjectKind::ServicePrincipal,
            Some("microsoft.graph.orgContact") => ObjectKind::OrgContact,
            Some("microsoft.graph.device") => ObjectKind::Device,
            _ => ObjectKind::Other,
        }
    }
}

/// A direct member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Member {
    /// Object id.
    pub id: ObjectId,
    /// Its kind.
    pub kind: ObjectKind,
}

/// A group with its direct members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct LiveGroup {
    pub id: ObjectId,
    pub display_name: String,
    pub mail_nickname: Option<String>,
    pub description: Option<String>,
    pub security_enabled: bool,
    pub mail_enabled: bool,
    pub group_types: Vec<String>,
    /// Set for dynamic groups.
    pub membership_rule: Option<String>,
    pub on_premises_sync_enabled: bool,
    /// Direct members, sorted by id.
    pub members: Vec<Member>,
    /// Owners (users, service principals), sorted by id.
    #[serde(default)]
    pub owners: Vec<Member>,
}

impl LiveGroup {
    /// A dynamic group: members come from its rule and cannot be written.
    pub fn is_dynamic(&self) -> bool {
        self.membership_rule.is_some()
            || self
                .group_types
                .iter()
                .any(|t| t.eq_ignore_ascii_case("DynamicMembership"))
    }
    /// A Microsoft 365 group (`groupTypes` contains `Unified`).
    pub fn is_unified(&self) -> bool {
        self.group_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("Unified"))
    }
    /// Whether `id` is a direct member.
    pub fn has_member(&self, id: &ObjectId) -> bool {
        self.members.binary_search_by(|m| m.id.cmp(id)).is_ok()
    }
    /// Whether `id` is an owner.
    pub fn has_owner(&self, id: &ObjectId) -> bool {
        self.owners.iter().any(|m| &m.id == id)
    }
}

/// A directory role definition (built-in or custom).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveRoleDefinition {
    /// Definition id (for built-in roles equal to the template id).
    pub id: String,
    /// Display name, e.g. `Helpdesk Administrator`.
    pub display_name: String,
    /// Template id.
    pub template_id: Option<String>,
    /// Built-in or custom.
    pub is_built_in: bool,
    /// Enabled.
    pub is_enabled: bool,
}

/// A directory role assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveRoleAssignment {
    /// Assignment id (opaque, not a GUID).
    pub id: String,
    /// The assigned principal (user, group or service principal).
    pub principal_id: ObjectId,
    /// The role definition id (template id for built-in roles).
    pub role_definition_id: String,
    /// `/` for tenant scope.
    pub directory_scope_id: String,
}

/// A PIM holding of a directory role, at any scope: an eligibility
/// (`roleEligibilitySchedules`) or an active assignment instance
/// (`roleAssignmentScheduleInstances`, which also lists plain role
/// assignments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveRoleSchedule {
    /// Eligible or active.
    pub holding: Holding,
    /// The eligibility schedule's id, or the assignment instance's id.
    pub id: String,
    /// The principal (user, group or service principal).
    pub principal_id: ObjectId,
    /// The role definition id.
    pub role_definition_id: String,
    /// `/` or `/administrativeUnits/{id}`.
    pub directory_scope_id: String,
    /// `endDateTime` as Graph gives it (`None`: no end).
    pub end: Option<String>,
    /// `assignmentType: Activated`: an eligible principal activated the role.
    pub activated: bool,
    /// `memberType` other than `Direct` (held through a role-assignable group).
    pub inherited: bool,
    /// `roleAssignmentOriginId`: the role assignment behind an active instance.
    pub assignment_id: Option<String>,
}

impl LiveRoleSchedule {
    /// The last day it holds (`YYYY-MM-DD`, UTC), `None` without an end.
    pub fn until(&self) -> Option<String> {
        self.end
            .as_deref()
            .and_then(crate::model::date::date_of_datetime)
    }
    /// Managed through PIM rather than a plain role assignment: an
    /// eligibility, an activation, a time-bound or an administrative-unit
    /// scoped assignment.
    pub fn pim_managed(&self) -> bool {
        self.holding == Holding::Eligible
            || self.activated
            || self.end.is_some()
            || self.directory_scope_id != "/"
    }
}

/// An administrative unit, for `scope: au:<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminUnit {
    /// Object id.
    pub id: String,
    /// Display name.
    pub display_name: String,
}

/// A soft-deleted user, restorable for 30 days.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletedUser {
    /// Object id (kept on restore).
    pub id: ObjectId,
    /// The UPN as Graph shows it in deleted items. Entra prefixes a deleted
    /// user's UPN with its object id without dashes; see `original_upn`.
    pub upn_in_deleted_items: String,
    /// The UPN the user had before deletion (the id prefix removed).
    pub original_upn: Upn,
    /// Display name.
    pub display_name: Option<String>,
    /// When it was deleted.
    pub deleted_date_time: Option<String>,
}

impl DeletedUser {
    /// Build from the deleted-items UPN, stripping the `{id without dashes}` prefix when present.
    pub fn new(
        id: ObjectId,
        upn: String,
        display_name: Option<String>,
        deleted: Option<String>,
    ) -> Self {
        let bare: String = id.0.chars().filter(|c| *c != '-').collect();
        // `get`: a UPN from Graph may hold a multi-byte character across the
        // prefix's length, where slicing would panic.
        let original = match (upn.get(..bare.len()), upn.get(bare.len()..)) {
            (Some(head), Some(rest))
                if !bare.is_empty() && !rest.is_empty() && head.eq_ignore_ascii_case(&bare) =>
            {
                rest.to_string()
            }
            _ => upn.clone(),
        };
        DeletedUser {
            id,
            upn_in_deleted_items: upn,
            original_upn: Upn::new_unchecked(original),
            display_name,
            deleted_date_time: deleted,
        }
    }
}

/// A restricted management administrative unit (`isMemberManagementRestricted:
/// true`): its members can be changed only by a principal with a role scoped
/// to it, so tenant-scope apps such as entraform get `403` when they try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestrictedUnit {
    /// The unit's object id.
    pub id: String,
    /// Its display name.
    pub display_name: String,
    /// Its direct members (users, groups, devices).
    pub members: Vec<ObjectId>,
}

/// The principal entraform runs as (the app's service principal).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunningPrincipal {
    /// Application (client) id.
    pub client_id: String,
    /// Service principal object id, when it could be determined.
    pub id: Option<ObjectId>,
    /// Role definition ids assigned to it at tenant scope.
    pub role_definition_ids: Vec<String>,
    /// The Microsoft Graph application permissions it was granted: the
    /// access token's `roles` claim (empty when the claim is absent, as in
    /// Entra's tokens for an app granted nothing). `None` when the token is
    /// not a JWT entraform can read (an opaque `ENTRAFORM_GRAPH_TOKEN`):
    /// the plan then cannot say which steps Graph would refuse.
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
}

/// Request counts and timing of one read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadStats {
    /// Counters of the read alone.
    pub requests: CounterSnapshot,
    /// Pages of the user listing.
    pub user_pages: usize,
    /// Pages of the group listing (delta pages when memberships came from delta).
    pub group_pages: usize,
    /// Requests spent on memberships beyond the group listing (`$batch` POSTs).
    pub membership_requests: usize,
    /// Pages of role assignments.
    pub role_assignment_pages: usize,
    /// Pages of PIM eligibility schedules and assignment schedule instances.
    #[serde(default)]
    pub role_schedule_pages: usize,
    /// Pages of deleted users.
    pub deleted_user_pages: usize,
    /// Requests for administrative units: the unit listing's pages plus the
    /// `$batch` POSTs for the members of restricted units.
    pub admin_unit_requests: usize,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
    /// Full, incremental, or a full read that started a new snapshot.
    pub mode: super::read::ReadMode,
}

/// A live user's value of a managed attribute (`None` when unset, empty or an empty list).
pub fn live_attr(u: &LiveUser, attr: Attr) -> Option<AttrValue> {
    live_ref(u, attr).map(|r| r.to_value())
}

/// A live user's value as the diff sees it: an empty text is no value.
pub fn live_ref(u: &LiveUser, attr: Attr) -> Option<AttrRef<'_>> {
    u.attrs
        .get(attr)
        .filter(|r| !matches!(r, AttrRef::Text(t) if t.is_empty()))
}

/// Everything the reader collected, before indexing.
#[derive(Debug, Clone, Default)]
pub struct LiveParts {
    /// Users.
    pub users: Vec<LiveUser>,
    /// Groups with members.
    pub groups: Vec<LiveGroup>,
    /// Role definitions.
    pub role_definitions: Vec<LiveRoleDefinition>,
    /// Tenant-scope role assignments.
    pub role_assignments: Vec<LiveRoleAssignment>,
    /// Soft-deleted users.
    pub deleted_users: Vec<DeletedUser>,
    /// The running principal.
    pub principal: Option<RunningPrincipal>,
    /// Restricted management administrative units and their members.
    pub restricted_units: Vec<RestrictedUnit>,
    /// Why restricted units could not be read (`None`: read, or nothing to read).
    /// When set, no object is known to be restricted and the plan says so.
    pub restricted_unknown: Option<String>,
    /// PIM holdings (eligibilities and active assignment instances, every scope).
    pub role_schedules: Vec<LiveRoleSchedule>,
    /// Why PIM could not be read (no Entra ID P2, a missing permission);
    /// `None`: read. When set, `role_schedules` is empty.
    pub pim_unknown: Option<String>,
    /// Graph said the tenant has no PIM licence (400 `AadPremiumLicenseRequired`).
    pub pim_unlicensed: bool,
    /// Every administrative unit (for `scope: au:<name>`).
    pub admin_units: Vec<AdminUnit>,
    /// The UTC date the tenant was read (`YYYY-MM-DD`): the clock, as a value
    /// (`until` dates are compared with it). `None`: unknown, not checked.
    pub today: Option<String>,
    /// How the read went.
    pub stats: ReadStats,
}

/// An immutable snapshot of the live tenant, indexed for the diff: users by
/// object id and by lower-cased UPN, groups by id and by lower-cased name,
/// roles by id, template id and lower-cased name, memberships by member.
/// Build it with [`Live::from_parts`] (the reader, or tests with hand-made data).
#[derive(Debug, Clone)]
pub struct Live {
    parts: LiveParts,
    user_by_id: HashMap<ObjectId, usize>,
    user_by_upn: HashMap<Upn, usize>,
    group_by_id: HashMap<ObjectId, usize>,
    groups_by_name: HashMap<String, Vec<usize>>,
    role_by_key: HashMap<String, usize>,
    groups_of_member: HashMap<ObjectId, Vec<usize>>,
    assignments_of: HashMap<ObjectId, Vec<usize>>,
    deleted_by_upn: HashMap<String, Vec<usize>>,
    restricted_by_id: HashMap<ObjectId, String>,
    /// Licences, when read (`None`: the repo manages none, so none were read).
    licenses: Option<crate::model::licenses::LiveLicenses>,
    /// Leavers' authentication methods, when read (`None`: the leaver policy
    /// does not remove them, so none were read).
    auth_methods: Option<crate::model::auth_methods::LiveAuthMethods>,
    /// Leavers' devices, when read (`None`: the leaver policy does not
    /// disable them, or nobody leaves).
    devices: Option<crate::model::devices::LiveDevices>,
}

impl Live {
    /// The same snapshot with the licences read for it.
    pub fn with_licenses(mut self, l: crate::model::licenses::LiveLicenses) -> Live {
        self.licenses = Some(l);
        self
    }

    /// Licences, when they were read.
    pub fn licenses(&self) -> Option<&crate::model::licenses::LiveLicenses> {
        self.licenses.as_ref()
    }

    /// The same snapshot with the authentication methods read for its leavers.
    pub fn with_auth_methods(mut self, m: crate::model::auth_methods::LiveAuthMethods) -> Live {
        self.auth_methods = Some(m);
        self
    }

    /// The same snapshot with the devices read for its leavers.
    pub fn with_devices(mut self, d: crate::model::devices::LiveDevices) -> Live {
        self.devices = Some(d);
        self
    }

    /// Leavers' devices, when they were read.
    pub fn devices(&self) -> Option<&crate::model::devices::LiveDevices> {
        self.devices.as_ref()
    }

    /// Leavers' authentication methods, when they were read.
    pub fn auth_methods(&self) -> Option<&crate::model::auth_methods::LiveAuthMethods> {
        self.auth_methods.as_ref()
    }

    /// Index the parts. Users, groups and assignments are sorted (by UPN key,
    /// name key then id, and id) so that iteration order is deterministic.
    pub fn from_parts(mut parts: LiveParts) -> Live {
        parts
            .users
            .sort_by(|a, b| a.upn.cmp(&b.upn).then_with(|| a.id.cmp(&b.id)));
        parts.groups.sort_by(|a, b| {
            a.display_name
                .to_lowercase()
                .cmp(&b.display_name.to_lowercase())
                .then_with(|| a.id.cmp(&b.id))
        });
        for g in &mut parts.groups {
            g.members.sort();
            g.members.dedup();
            g.owners.sort();
            g.owners.dedup();
        }
        parts
            .role_definitions
            .sort_by(|a, b| a.display_name.cmp(&b.display_name));
        parts.role_assignments.sort_by(|a, b| a.id.cmp(&b.id));
        parts
            .role_schedules
            .sort_by(|a, b| (a.holding, &a.id).cmp(&(b.holding, &b.id)));
        parts.admin_units.sort_by(|a, b| {
            a.display_name
                .cmp(&b.display_name)
                .then_with(|| a.id.cmp(&b.id))
        });
        parts.deleted_users.sort_by(|a, b| a.id.cmp(&b.id));
        parts.restricted_units.sort_by(|a, b| {
            a.display_name
                .cmp(&b.display_name)
                .then_with(|| a.id.cmp(&b.id))
        });

        let mut live = Live {
            user_by_id: HashMap::with_capacity(parts.users.len()),
            user_by_upn: HashMap::with_capacity(parts.users.len()),
            group_by_id: HashMap::with_capacity(parts.groups.len()),
            groups_by_name: HashMap::with_capacity(parts.groups.len()),
            role_by_key: HashMap::new(),
            groups_of_member: HashMap::new(),
            assignments_of: HashMap::new(),
            deleted_by_upn: HashMap::new(),
            restricted_by_id: HashMap::new(),
            licenses: None,
            auth_methods: None,
            devices: None,
            parts,
        };
        for (i, u) in live.parts.users.iter().enumerate() {
            live.user_by_id.insert(u.id.clone(), i);
            live.user_by_upn.insert(u.upn.clone(), i);
        }
        for (i, g) in live.parts.groups.iter().enumerate() {
            live.group_by_id.insert(g.id.clone(), i);
            live.groups_by_name
                .entry(g.display_name.to_lowercase())
                .or_default()
                .push(i);
            for m in &g.members {
                live.groups_of_member
                    .entry(m.id.clone())
                    .or_default()
                    .push(i);
            }
        }
        for (i, r) in live.parts.role_definitions.iter().enumerate() {
            live.role_by_key.insert(r.id.to_lowercase(), i);
            if let Some(t) = &r.template_id {
                live.role_by_key.entry(t.to_lowercase()).or_insert(i);
            }
            live.role_by_key
                .entry(r.display_name.to_lowercase())
                .or_insert(i);
        }
        for (i, a) in live.parts.role_assignments.iter().enumerate() {
            live.assignments_of
                .entry(a.principal_id.clone())
                .or_default()
                .push(i);
        }
        for (i, d) in live.parts.deleted_users.iter().enumerate() {
            live.deleted_by_upn
                .entry(d.original_upn.key())
                .or_default()
                .push(i);
        }
        for unit in &live.parts.restricted_units {
            for m in &unit.members {
                let names = live.restricted_by_id.entry(m.clone()).or_default();
                let name = unit.display_name.as_str();
                if names.is_empty() {
                    names.push_str(name);
                } else if !names.split(", ").any(|n| n == name) {
                    names.push_str(", ");
                    names.push_str(name);
                }
            }
        }
        live
    }

    /// All users, sorted by UPN.
    pub fn users(&self) -> &[LiveUser] {
        &self.parts.users
    }
    /// A user by object id.
    pub fn user(&self, id: &ObjectId) -> Option<&LiveUser> {
        self.user_by_id.get(id).map(|&i| &self.parts.users[i])
    }
    /// A user by UPN (case-insensitive).
    pub fn user_by_upn(&self, upn: &str) -> Option<&LiveUser> {
        self.user_of(&Upn::new_unchecked(upn))
    }
    /// A user by UPN without allocating (UPN equality is case-insensitive).
    pub fn user_of(&self, upn: &Upn) -> Option<&LiveUser> {
        self.user_by_upn.get(upn).map(|&i| &self.parts.users[i])
    }
    /// All groups, sorted by name.
    pub fn groups(&self) -> &[LiveGroup] {
        &self.parts.groups
    }
    /// A group by object id.
    pub fn group(&self, id: &ObjectId) -> Option<&LiveGroup> {
        self.group_by_id.get(id).map(|&i| &self.parts.groups[i])
    }
    /// Groups with this display name (case-insensitive; Entra allows duplicates).
    pub fn groups_named(&self, name: &str) -> Vec<&LiveGroup> {
        self.groups_by_name
            .get(&name.to_lowercase())
            .map(|v| v.iter().map(|&i| &self.parts.groups[i]).collect())
            .unwrap_or_default()
    }
    /// Groups `member` is a direct member of.
    pub fn groups_of(&self, member: &ObjectId) -> Vec<&LiveGroup> {
        self.groups_of_member
            .get(member)
            .map(|v| v.iter().map(|&i| &self.parts.groups[i]).collect())
            .unwrap_or_default()
    }
    /// All role definitions.
    pub fn role_definitions(&self) -> &[LiveRoleDefinition] {
        &self.parts.role_definitions
    }
    /// A role definition by id, template id or display name (case-insensitive).
    pub fn role(&self, key: &str) -> Option<&LiveRoleDefinition> {
        self.role_by_key
            .get(&key.to_lowercase())
            .map(|&i| &self.parts.role_definitions[i])
    }
    /// Tenant-scope role assignments.
    pub fn role_assignments(&self) -> &[LiveRoleAssignment] {
        &self.parts.role_assignments
    }
    /// Tenant-scope role assignments of one principal.
    pub fn assignments_of(&self, principal: &ObjectId) -> Vec<&LiveRoleAssignment> {
        self.assignments_of
            .get(principal)
            .map(|v| v.iter().map(|&i| &self.parts.role_assignments[i]).collect())
            .unwrap_or_default()
    }
    /// Tenant-scope assignments of a role (by definition id).
    pub fn assignments_of_role(&self, role_definition_id: &str) -> Vec<&LiveRoleAssignment> {
        self.parts
            .role_assignments
            .iter()
            .filter(|a| {
                a.role_definition_id
                    .eq_ignore_ascii_case(role_definition_id)
            })
            .collect()
    }
    /// Soft-deleted users.
    pub fn deleted_users(&self) -> &[DeletedUser] {
        &self.parts.deleted_users
    }
    /// Soft-deleted users whose original UPN is `upn` (case-insensitive),
    /// most recently deleted last.
    pub fn deleted_by_upn(&self, upn: &str) -> Vec<&DeletedUser> {
        let mut v: Vec<&DeletedUser> = self
            .deleted_by_upn
            .get(&upn.to_ascii_lowercase())
            .map(|v| v.iter().map(|&i| &self.parts.deleted_users[i]).collect())
            .unwrap_or_default();
        v.sort_by(|a, b| a.deleted_date_time.cmp(&b.deleted_date_time));
        v
    }
    /// The restricted management administrative unit(s) an object is a member
    /// of (display names, `, `-separated when several), or `None` when it is
    /// in none — or when units could not be read (see [`Live::restricted_known`]).
    pub fn restricted(&self, id: &ObjectId) -> Option<&str> {
        self.restricted_by_id.get(id).map(String::as_str)
    }
    /// Whether restricted management administrative units were read.
    pub fn restricted_known(&self) -> bool {
        self.parts.restricted_unknown.is_none()
    }
    /// Why restricted management administrative units could not be read.
    pub fn restricted_unknown_reason(&self) -> Option<&str> {
        self.parts.restricted_unknown.as_deref()
    }
    /// Restricted management administrative units, sorted by name.
    pub fn restricted_units(&self) -> &[RestrictedUnit] {
        &self.parts.restricted_units
    }
    /// PIM holdings of a role (by definition id), every scope.
    pub fn schedules_of_role(&self, role_definition_id: &str) -> Vec<&LiveRoleSchedule> {
        self.parts
            .role_schedules
            .iter()
            .filter(|s| {
                s.role_definition_id
                    .eq_ignore_ascii_case(role_definition_id)
            })
            .collect()
    }
    /// PIM holdings of a principal, every role and scope.
    pub fn schedules_of(&self, principal: &ObjectId) -> Vec<&LiveRoleSchedule> {
        self.parts
            .role_schedules
            .iter()
            .filter(|s| &s.principal_id == principal)
            .collect()
    }
    /// All PIM holdings.
    pub fn role_schedules(&self) -> &[LiveRoleSchedule] {
        &self.parts.role_schedules
    }
    /// Why PIM could not be read (`None`: it was).
    pub fn pim_unknown_reason(&self) -> Option<&str> {
        self.parts.pim_unknown.as_deref()
    }
    /// Whether Graph said the tenant has no PIM licence (no Entra ID P2).
    pub fn pim_unlicensed(&self) -> bool {
        self.parts.pim_unlicensed
    }
    /// The role assignment ids PIM manages (activations, time-bound and
    /// administrative-unit-scoped assignments): not plain assignments.
    pub fn pim_managed_assignments(&self) -> std::collections::HashSet<&str> {
        self.parts
            .role_schedules
            .iter()
            .filter(|s| s.holding == Holding::Active && s.pim_managed() && !s.inherited)
            .filter_map(|s| s.assignment_id.as_deref())
            .collect()
    }
    /// An administrative unit by display name (case-insensitive); `Err` with
    /// the number of units of that name when there is not exactly one.
    pub fn admin_unit_named(&self, name: &str) -> Result<&AdminUnit, usize> {
        let found: Vec<&AdminUnit> = self
            .parts
            .admin_units
            .iter()
            .filter(|u| u.display_name.eq_ignore_ascii_case(name))
            .collect();
        match found.as_slice() {
            [one] => Ok(one),
            other => Err(other.len()),
        }
    }
    /// An administrative unit's display name by a `directoryScopeId`
    /// (`/administrativeUnits/{id}`).
    pub fn admin_unit_of_scope(&self, directory_scope_id: &str) -> Option<&AdminUnit> {
        const PREFIX: &str = "/administrativeunits/";
        let id = directory_scope_id
            .get(..PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(PREFIX))
            .and_then(|_| directory_scope_id.get(PREFIX.len()..))?;
        self.parts
            .admin_units
            .iter()
            .find(|u| u.id.eq_ignore_ascii_case(id))
    }
    /// Every administrative unit, sorted by name.
    pub fn admin_units(&self) -> &[AdminUnit] {
        &self.parts.admin_units
    }
    /// The UTC date of the read, when known.
    pub fn today(&self) -> Option<&str> {
        self.parts.today.as_deref()
    }
    /// The principal entraform runs as.
    pub fn principal(&self) -> Option<&RunningPrincipal> {
        self.parts.principal.as_ref()
    }
    /// Request counts and timing of the read.
    pub fn stats(&self) -> &ReadStats {
        &self.parts.stats
    }
    /// The unindexed parts (for simulations that derive a new snapshot).
    pub fn parts(&self) -> &LiveParts {
        &self.parts
    }
    /// Total direct memberships over all groups.
    pub fn membership_count(&self) -> usize {
        self.parts.groups.iter().map(|g| g.members.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, upn: &str, manager: Option<&str>) -> LiveUser {
        let mut u = LiveUser::new(ObjectId(id.into()), Upn::new_unchecked(upn));
        u.set(Attr::DisplayName, Some(upn.into()));
        u.set(Attr::JobTitle, Some("Engineer".into()));
        u.set(
            Attr::BusinessPhones,
            Some(vec!["+1 425 555 0100".to_string()].into()),
        );
        u.manager = manager.map(|m| ObjectId(m.into()));
        u
    }

    fn group(id: &str, name: &str, members: &[&str]) -> LiveGroup {
        LiveGroup {
            id: ObjectId(id.into()),
            display_name: name.into(),
            mail_nickname: None,
            description: None,
            security_enabled: true,
            mail_enabled: false,
            group_types: vec![],
            membership_rule: None,
            on_premises_sync_enabled: false,
            owners: Vec::new(),
            members: members
                .iter()
                .rev()
                .map(|m| Member {
                    id: ObjectId((*m).into()),
                    kind: ObjectKind::User,
                })
                .collect(),
        }
    }

    /// Users as format 2 snapshots (written before the attribute table drove
    /// `LiveUser`, by a derived serializer: unset texts left out, lists always
    /// written) read back with every value, and are written back byte for
    /// byte, so the snapshot format (`store::FORMAT`) is unchanged.
    #[test]
    fn format_2_users_read_and_write_unchanged() {
        let old = concat!(
            r#"[{"id":"u1","userPrincipalName":"ann@contoso.com","displayName":"Ann","#,
            r#""givenName":"","mailNickname":"ann","employeeHireDate":"2021-03-01T00:00:00Z","#,
            r#""usageLocation":"NO","mobilePhone":"+47 1","businessPhones":["+47 2"],"#,
            r#""otherMails":["a@b.org","c@d.org"],"accountEnabled":false,"#,
            r#""onPremisesSyncEnabled":true,"manager":"u2"},"#,
            r#"{"id":"u2","userPrincipalName":"bo@contoso.com","businessPhones":[],"#,
            r#""otherMails":[],"accountEnabled":true,"onPremisesSyncEnabled":false}]"#
        );
        let users: Vec<LiveUser> = serde_json::from_str(old).unwrap();
        let ann = &users[0];
        assert_eq!(ann.attrs.text(Attr::DisplayName), Some("Ann"));
        assert_eq!(ann.attrs.text(Attr::GivenName), Some(""));
        assert_eq!(ann.attrs.text(Attr::Surname), None);
        assert_eq!(
            ann.attrs.text(Attr::EmployeeHireDate),
            Some("2021-03-01T00:00:00Z")
        );
        assert_eq!(
            ann.attrs.value(Attr::OtherMails),
            Some(AttrValue::List(vec!["a@b.org".into(), "c@d.org".into()]))
        );
        assert_eq!(
            ann.attribute("businessPhones"),
            Some(serde_json::json!(["+47 2"]))
        );
        assert!(!ann.account_enabled && ann.on_premises_sync_enabled);
        assert_eq!(ann.manager, Some(ObjectId("u2".into())));
        assert!(users[1].attrs.is_empty() && users[1].manager.is_none());
        assert_eq!(serde_json::to_string(&users).unwrap(), old);
        // A property this version does not manage (a newer version's) is ignored.
        let newer = r#"{"id":"u3","userPrincipalName":"c@x","mySite":"1","accountEnabled":true,"onPremisesSyncEnabled":false}"#;
        let u: LiveUser = serde_json::from_str(newer).unwrap();
        assert!(u.attrs.is_empty());
    }

    #[test]
    fn employee_org_data_is_stored_graph_shaped_and_read_back() {
        let stored = concat!(
            r#"{"id":"u1","userPrincipalName":"ann@contoso.com","businessPhones":[],"otherMails":[],"#,
            r#""employeeOrgData":{"costCenter":null,"division":"Eng"},"#,
            r#""accountEnabled":true,"onPremisesSyncEnabled":false}"#
        );
        let u: LiveUser = serde_json::from_str(stored).unwrap();
        assert_eq!(u.attrs.text(Attr::EmployeeOrgDataDivision), Some("Eng"));
        assert_eq!(u.attrs.text(Attr::EmployeeOrgDataCostCenter), None);
        assert_eq!(
            u.attribute("employeeOrgData"),
            Some(serde_json::json!({"division": "Eng", "costCenter": null}))
        );
        assert_eq!(
            u.attribute("employeeOrgData.division"),
            Some(serde_json::json!("Eng"))
        );
        assert_eq!(serde_json::to_string(&u).unwrap(), stored);
        let mut none = u.clone();
        none.set(Attr::EmployeeOrgDataDivision, None);
        assert_eq!(none.attribute("employeeOrgData"), Some(Value::Null));
        assert!(
            !serde_json::to_string(&none)
                .unwrap()
                .contains("employeeOrgData")
        );
        // Given twice, as any property: an error.
        let twice = stored.replace(
            r#""accountEnabled""#,
            r#""employeeOrgData":null,"accountEnabled""#,
        );
        assert!(serde_json::from_str::<LiveUser>(&twice).is_err());
    }

    #[test]
    fn indexes() {
        let live = Live::from_parts(LiveParts {
            users: vec![
                user("u2", "Zed@contoso.com", Some("u1")),
                user("u1", "Adele.Vance@contoso.com", None),
            ],
            groups: vec![
                group("g2", "Platform", &["u1", "u2"]),
                group("g1", "platform", &["u2"]),
            ],
            role_definitions: vec![LiveRoleDefinition {
                id: "62e90394-69f5-4237-9190-012177145e10".into(),
                display_name: "Global Administrator".into(),
                template_id: Some("62e90394-69f5-4237-9190-012177145e10".into()),
                is_built_in: true,
                is_enabled: true,
            }],
            role_assignments: vec![LiveRoleAssignment {
                id: "a-1".into(),
                principal_id: ObjectId("u1".into()),
                role_definition_id: "62e90394-69f5-4237-9190-012177145e10".into(),
                directory_scope_id: "/".into(),
            }],
            ..LiveParts::default()
        });
        assert_eq!(live.users()[0].id.0, "u1", "sorted by UPN");
        assert_eq!(
            live.user_by_upn("ADELE.vance@CONTOSO.com").map(|u| &u.id.0),
            Some(&"u1".to_string())
        );
        let zed = live.user(&ObjectId("u2".into())).unwrap();
        assert_eq!(zed.attribute("manager"), Some(Value::String("u1".into())));
        assert_eq!(zed.attribute("city"), Some(Value::Null));
        assert_eq!(zed.attribute("nonsense"), None);
        assert_eq!(live.groups_named("PLATFORM").len(), 2);
        assert_eq!(live.groups_of(&ObjectId("u2".into())).len(), 2);
        assert!(
            live.group(&ObjectId("g2".into()))
                .unwrap()
                .has_member(&ObjectId("u1".into()))
        );
        assert_eq!(
            live.role("global administrator").map(|r| r.id.as_str()),
            Some("62e90394-69f5-4237-9190-012177145e10")
        );
        assert_eq!(live.assignments_of(&ObjectId("u1".into())).len(), 1);
        assert_eq!(
            live.assignments_of_role("62E90394-69F5-4237-9190-012177145E10")
                .len(),
            1
        );
        assert_eq!(live.membership_count(), 3);
        assert_eq!(live.restricted(&ObjectId("u1".into())), None);
        assert!(live.restricted_known());
    }

    #[test]
    fn restricted_members_name_their_units() {
        let unit = |id: &str, name: &str, members: &[&str]| RestrictedUnit {
            id: id.into(),
            display_name: name.into(),
            members: members.iter().map(|m| ObjectId((*m).into())).collect(),
        };
        let live = Live::from_parts(LiveParts {
            restricted_units: vec![
                unit("au2", "Legal", &["u1"]),
                unit("au1", "Executives", &["u1", "g1"]),
            ],
            ..LiveParts::default()
        });
        assert_eq!(
            live.restricted(&ObjectId("u1".into())),
            Some("Executives, Legal")
        );
        assert_eq!(live.restricted(&ObjectId("g1".into())), Some("Executives"));
        assert_eq!(live.restricted(&ObjectId("u2".into())), None);
    }

    #[test]
    fn deleted_upn_prefix_is_stripped() {
        let d = DeletedUser::new(
            ObjectId("f3c5a8d9-e4b8-4467-87c2-d3ef1d9f1f3f".into()),
            "f3c5a8d9e4b8446787c2d3ef1d9f1f3fAdele@contoso.com".into(),
            None,
            None,
        );
        assert_eq!(d.original_upn.as_str(), "Adele@contoso.com");
        let d = DeletedUser::new(ObjectId("x".into()), "adele@contoso.com".into(), None, None);
        assert_eq!(d.original_upn.as_str(), "adele@contoso.com");
    }
}
