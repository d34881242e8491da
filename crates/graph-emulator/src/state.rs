//! The in-memory tenant: users, groups, memberships, managers, role
//! assignments and deleted items, with the indexes that keep lookups and
//! keyset paging cheap, and a change log (sequence numbers) for delta queries.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use serde_json::{Map, Value, json};

use super::error::EmulatorError;
use super::roles::{self, RoleDef};
use super::schema;
use super::seed::{AppRegistration, Seed, SeedGroup, SeedRoleAssignment, SeedUser, TenantInfo};
use super::util::{Rng, iso8601, now_secs};

pub use super::kind::{Kind, OtherObject};

/// A directory object (user or group): id, Graph properties, bookkeeping.
#[derive(Debug, Clone)]
pub struct Object {
    /// Object id.
    pub id: String,
    /// Graph properties (canonical names), without `id`.
    pub props: Map<String, Value>,
    /// When it was created or restored in this emulator run (for the replication-delay fault).
    pub created_at: Option<Instant>,
    /// Change-log sequence of its last change (for delta).
    pub seq: u64,
}

impl Object {
    /// A string property.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.props.get(name).and_then(Value::as_str)
    }
}

/// A group: its object plus direct members (ordered, for keyset paging).
#[derive(Debug, Clone)]
pub struct Group {
    /// The group object.
    pub obj: Object,
    /// Direct member ids.
    pub members: BTreeSet<String>,
}

impl Group {
    /// A dynamic-membership group (members are computed, not writable).
    pub fn is_dynamic(&self) -> bool {
        self.obj
            .props
            .get("groupTypes")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|t| t.as_str() == Some("DynamicMembership")))
    }
}

/// A role assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleAssignment {
    /// Opaque assignment id.
    pub id: String,
    /// Principal object id.
    pub principal_id: String,
    /// Role definition (template) id.
    pub role_definition_id: String,
    /// Directory scope (`/` = tenant).
    pub directory_scope_id: String,
}

/// A soft-deleted object, restorable from deleted items.
#[derive(Debug, Clone)]
pub struct Deleted {
    /// What it was.
    pub kind: Kind,
    /// The object as it was (with `deletedDateTime` set).
    pub obj: Object,
    /// Groups it was a direct member of (restored with it).
    pub member_of: Vec<String>,
    /// A deleted group's members.
    pub members: BTreeSet<String>,
    /// Its manager at deletion.
    pub manager: Option<String>,
}

/// What one change-log entry changed (delta rounds after a token report an
/// object only for changes to what was selected, and in the minimal mode
/// only the changed properties).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// Created, restored or removed: the whole object.
    Whole,
    /// These properties (canonical names).
    Props(Vec<String>),
    /// The user's manager link.
    Manager,
}

/// One entry of the object change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The object's type.
    pub kind: Kind,
    /// The object's id.
    pub id: String,
    /// What changed.
    pub what: Changed,
}

/// One membership change, for `members@delta`.
#[derive(Debug, Clone)]
pub struct MemberEvent {
    /// Sequence number.
    pub seq: u64,
    /// Group id.
    pub group: String,
    /// Member id.
    pub member: String,
    /// Added (true) or removed.
    pub added: bool,
}

/// The whole tenant.
#[derive(Debug)]
pub struct Tenant {
    /// Tenant id and verified domains.
    pub info: TenantInfo,
    /// App registrations (for the token endpoint).
    pub apps: Vec<AppRegistration>,
    /// Users by id.
    pub users: BTreeMap<String, Object>,
    /// Lower-cased UPN → id.
    pub upn_index: BTreeMap<String, String>,
    /// (lower-cased displayName, id) of users, for `$orderby=displayName`.
    pub user_names: BTreeSet<(String, String)>,
    /// User id → manager id.
    pub manager: HashMap<String, String>,
    /// Manager id → direct report ids.
    pub reports: HashMap<String, BTreeSet<String>>,
    /// Groups by id.
    pub groups: BTreeMap<String, Group>,
    /// (lower-cased displayName, id) of groups.
    pub group_names: BTreeSet<(String, String)>,
    /// Member id → ids of groups it directly belongs to.
    pub member_of: HashMap<String, BTreeSet<String>>,
    /// Role definitions (built-in roles).
    pub role_defs: Vec<RoleDef>,
    /// Role assignments by id.
    pub assignments: BTreeMap<String, RoleAssignment>,
    /// Template ids of roles activated as directoryRoles (ever assigned or activated; see `directory_roles`).
    pub activated_roles: BTreeSet<String>,
    /// Soft-deleted objects by id.
    pub deleted: BTreeMap<String, Deleted>,
    /// Membership change log.
    pub member_log: Vec<MemberEvent>,
    /// Object change log: sequence → what changed in which object (every
    /// create, update, delete, restore and manager change).
    pub change_log: BTreeMap<u64, Change>,
    /// Last sequence number handed out.
    pub seq: u64,
    /// Generator for new ids.
    pub rng: Rng,
    /// Administrative units by id.
    pub admin_units: BTreeMap<String, AdminUnit>,
    /// User id → (sequence, old manager id) of the last manager removal, for `manager@delta`.
    pub manager_removed: HashMap<String, (u64, String)>,
    /// The change-tracking generation: delta tokens of another generation (another
    /// emulator instance, or before [`Tenant::expire_delta_tokens`]) are rejected.
    pub delta_generation: u64,
    /// Reject stale delta tokens with `410 Gone` instead of `400 syncStateNotFound`.
    pub delta_gone: bool,
    /// Listed-only directory objects (seed `directoryObjects`) by id.
    pub others: BTreeMap<String, OtherObject>,
    /// Group id → owner ids (users, service principals); see `owners.rs`.
    pub owners: HashMap<String, BTreeSet<String>>,
    /// Ownership change log, for `owners@delta`.
    pub owner_log: Vec<MemberEvent>,
    /// PIM: eligibilities, assignment schedules, role policies (`pim`).
    pub pim: super::pim::PimState,
    /// User id → its Temporary Access Pass method (without the pass); see `auth_methods.rs`.
    pub taps: BTreeMap<String, Value>,
    /// Sign-in reports: the premium licence and the registration rows (`reports`).
    pub sign_in_reports: super::report_state::ReportState,
    /// Subscribed SKUs and licence assignments (`licenses`).
    pub licenses: super::license_state::LicenseState,
    /// User id → seeded authentication methods (`method_list.rs`).
    pub auth_methods: BTreeMap<String, Vec<super::method_state::StoredMethod>>,
    /// Devices by object id, with registered owners and users (`devices.rs`).
    pub devices: BTreeMap<String, super::device_state::Device>,
}

/// The few numeric properties of users and groups (every other scalar is a string or a boolean).
const NUMERIC_PROPS: &[&str] = &[
    "deviceEnrollmentLimit",
    "unseenCount",
    "unseenConversationsCount",
    "unseenMessagesCount",
];

/// A generation number unlikely to repeat across emulator instances (not the
/// id seed, which is the same for every instance).
fn fresh_generation() -> u64 {
    super::util::random_seed()
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

impl Tenant {
    /// Build a tenant from a seed; references may be ids or UPNs.
    pub fn from_seed(seed: Seed, rng_seed: u64) -> Result<Tenant, EmulatorError> {
        let mut t = Tenant {
            info: seed.tenant,
            apps: seed.applications,
            users: BTreeMap::new(),
            upn_index: BTreeMap::new(),
            user_names: BTreeSet::new(),
            manager: HashMap::new(),
            reports: HashMap::new(),
            groups: BTreeMap::new(),
            group_names: BTreeSet::new(),
            member_of: HashMap::new(),
            role_defs: roles::definitions(),
            assignments: BTreeMap::new(),
            activated_roles: BTreeSet::new(),
            deleted: BTreeMap::new(),
            member_log: Vec::new(),
            change_log: BTreeMap::new(),
            seq: 0,
            rng: Rng::new(rng_seed),
            admin_units: BTreeMap::new(),
            manager_removed: HashMap::new(),
            delta_generation: fresh_generation(),
            delta_gone: false,
            others: BTreeMap::new(),
            owners: HashMap::new(),
            owner_log: Vec::new(),
            pim: Default::default(),
            taps: BTreeMap::new(),
            sign_in_reports: Default::default(),
            licenses: Default::default(),
            auth_methods: BTreeMap::new(),
            devices: BTreeMap::new(),
        };
        for a in &t.apps {
            if a.permissions.is_none() {
                return Err(EmulatorError::InvalidSeed(format!(
                    "application {} has no `permissions`: list the Microsoft Graph application permissions it is granted (e.g. `permissions: [User.Read.All, GroupMember.Read.All]`, see docs/permissions.md), or write `permissions: all` to allow everything (emulator only)",
                    a.app_id
                )));
            }
        }
        let app_principals: Vec<String> = t
            .apps
            .iter()
            .filter_map(|a| a.service_principal_id.clone())
            .collect();
        super::seed_objects::load(
            &mut t.role_defs,
            &mut t.others,
            &app_principals,
            seed.role_definitions,
            seed.directory_objects,
        )?;
        // Every app registration has a service principal in its home tenant.
        for i in 0..t.apps.len() {
            if t.apps[i].service_principal_id.is_none() {
                let id = t.rng.guid();
                t.apps[i].service_principal_id = Some(id);
            }
        }
        let now = iso8601(now_secs());
        let mut managers = Vec::new();
        for u in seed.users {
            let id = t.seed_user_id(&u)?;
            let mut props = t.seed_props(u.properties, schema::USER_PROPERTIES, "user", &now)?;
            props.entry("userType").or_insert(json!("Member"));
            props.entry("accountEnabled").or_insert(json!(true));
            let upn = props
                .get("userPrincipalName")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    EmulatorError::InvalidSeed(format!("user {id} has no userPrincipalName"))
                })?
                .to_string();
            if t.upn_index.contains_key(&lower(&upn)) {
                return Err(EmulatorError::InvalidSeed(format!(
                    "duplicate userPrincipalName {upn}"
                )));
            }
            if let Some(m) = u.manager {
                managers.push((id.clone(), m));
            }
            t.insert_user(Object {
                id,
                props,
                created_at: None,
                seq: 0,
            });
        }
        for (id, m) in managers {
            let mid = t
                .resolve_user(&m)
                .ok_or_else(|| EmulatorError::InvalidSeed(format!("unknown manager {m}")))?;
            t.set_manager_raw(&id, &mid);
        }
        for d in seed.deleted_users {
            let id = t.seed_user_id(&d)?;
            let mut props = t.seed_props(d.properties, schema::USER_PROPERTIES, "user", &now)?;
            props.entry("deletedDateTime").or_insert(json!(now));
            Tenant::deleted_upn(&id, &mut props);
            t.deleted.insert(
                id.clone(),
                Deleted {
                    kind: Kind::User,
                    obj: Object {
                        id,
                        props,
                        created_at: None,
                        seq: 0,
                    },
                    member_of: Vec::new(),
                    members: BTreeSet::new(),
                    manager: None,
                },
            );
        }
        // Devices before groups (a group may list a device as a member).
        let taken: BTreeSet<String> = t
            .users
            .keys()
            .chain(t.deleted.keys())
            .chain(t.others.keys())
            .cloned()
            .chain(app_principals.iter().cloned())
            .collect();
        // A generator of its own, drawn only when there are devices, so that
        // the ids of seeds without devices stay what they were.
        let mut device_rng = Rng::new(if seed.devices.is_empty() {
            0
        } else {
            t.rng.next_u64()
        });
        t.devices = super::device_state::load(
            seed.devices,
            |k| t.resolve_user(k),
            |id| taken.contains(id),
            || device_rng.guid(),
        )
        .map_err(EmulatorError::InvalidSeed)?;
        let mut memberships = Vec::new();
        for g in seed.groups {
            let SeedGroup {
                id,
                members,
                owners,
                properties,
            } = g;
            let id = match id {
                Some(id) => id,
                None => t.rng.guid(),
            };
            if t.users.contains_key(&id)
                || t.groups.contains_key(&id)
                || t.others.contains_key(&id)
                || t.devices.contains_key(&id)
            {
                return Err(EmulatorError::InvalidSeed(format!("duplicate id {id}")));
            }
            let mut props = t.seed_props(properties, schema::GROUP_PROPERTIES, "group", &now)?;
            props.entry("groupTypes").or_insert(json!([]));
            props.entry("securityEnabled").or_insert(json!(true));
            props.entry("mailEnabled").or_insert(json!(false));
            if !props.contains_key("displayName") {
                return Err(EmulatorError::InvalidSeed(format!(
                    "group {id} has no displayName"
                )));
            }
            memberships.push((id.clone(), members, owners));
            t.insert_group(Group {
                obj: Object {
                    id,
                    props,
                    created_at: None,
                    seq: 0,
                },
                members: BTreeSet::new(),
            });
        }
        for (gid, members, owners) in memberships {
            for m in members {
                let mid = t
                    .resolve_object(&m)
                    .or_else(|| t.others.contains_key(&m).then(|| m.clone()))
                    .or_else(|| t.devices.contains_key(&m).then(|| m.clone()))
                    .ok_or_else(|| EmulatorError::InvalidSeed(format!("unknown member {m}")))?;
                t.add_member_raw(&gid, &mid, false);
            }
            for o in owners {
                let oid = t
                    .resolve_principal(&o)
                    .filter(|id| t.kind_of(id) != Some(Kind::Group))
                    .ok_or_else(|| {
                        EmulatorError::InvalidSeed(format!(
                            "unknown owner {o} (a user id or UPN, or a service principal id)"
                        ))
                    })?;
                t.add_owner_raw(&gid, &oid, false);
            }
        }
        for a in seed.role_assignments {
            let SeedRoleAssignment {
                id,
                principal_id,
                role_definition_id,
                directory_scope_id,
            } = a;
            let principal = t.resolve_principal(&principal_id).ok_or_else(|| {
                EmulatorError::InvalidSeed(format!("unknown role principal {principal_id}"))
            })?;
            let role = roles::resolve(&t.role_defs, &role_definition_id).ok_or_else(|| {
                EmulatorError::InvalidSeed(format!("unknown role {role_definition_id}"))
            })?;
            let id = match id {
                Some(id) => id,
                None => t.new_assignment_id(),
            };
            t.activated_roles.insert(role.clone());
            t.assignments.insert(
                id.clone(),
                RoleAssignment {
                    id,
                    principal_id: principal,
                    role_definition_id: role,
                    directory_scope_id,
                },
            );
        }
        load_admin_units(&mut t, seed.administrative_units)?;
        let assignments = seed
            .license_assignments
            .into_iter()
            .map(|a| (t.resolve_object(&a.principal), a))
            .collect();
        t.licenses
            .load(seed.subscribed_skus, assignments)
            .map_err(EmulatorError::InvalidSeed)?;
        super::pim::seed::load(
            &mut t,
            seed.role_eligibilities,
            seed.role_assignment_schedules,
            seed.role_management_policies,
        )?;
        t.sign_in_reports = super::report_state::load(
            |k| t.resolve_user(k),
            seed.entra_id_premium,
            seed.user_registration_details,
        )?;
        let methods = seed
            .authentication_methods
            .into_iter()
            .map(|m| (t.resolve_user(&m.user), m))
            .collect();
        let rng = &mut t.rng;
        t.auth_methods = super::method_state::load(methods, || rng.guid())
            .map_err(EmulatorError::InvalidSeed)?;
        // Sequence 0 means "before everything" in delta tokens; the seeded state is 1.
        t.seq = t.seq.max(1);
        Ok(t)
    }

    fn seed_user_id(&mut self, u: &SeedUser) -> Result<String, EmulatorError> {
        let id = match &u.id {
            Some(id) => id.clone(),
            None => self.rng.guid(),
        };
        if self.users.contains_key(&id)
            || self.deleted.contains_key(&id)
            || self.others.contains_key(&id)
        {
            return Err(EmulatorError::InvalidSeed(format!("duplicate id {id}")));
        }
        Ok(id)
    }

    fn seed_props(
        &self,
        input: Map<String, Value>,
        allowed: &[&'static str],
        type_name: &str,
        now: &str,
    ) -> Result<Map<String, Value>, EmulatorError> {
        let mut props = Map::new();
        for (k, v) in input {
            let p = schema::canonical(allowed, &k).ok_or_else(|| {
                EmulatorError::InvalidSeed(format!("unknown {type_name} property '{k}'"))
            })?;
            if p == "passwordProfile" || p == "id" {
                continue;
            }
            // YAML turns `postalCode: 98052` into a number; Graph's properties here are strings.
            let v = match v {
                Value::Number(n) if !NUMERIC_PROPS.contains(&p) => Value::String(n.to_string()),
                v => v,
            };
            let key = if k == p { k } else { p.to_string() };
            props.insert(key, v);
        }
        props
            .entry("createdDateTime")
            .or_insert(json!(now.to_string()));
        Ok(props)
    }

    /// Rename a user's UPN the way Entra does while it sits in deleted items:
    /// `{object id without dashes}{original UPN}` (idempotent).
    pub fn deleted_upn(id: &str, props: &mut Map<String, Value>) {
        let prefix = id.replace('-', "");
        let renamed = props
            .get("userPrincipalName")
            .and_then(Value::as_str)
            .filter(|upn| !upn.starts_with(&prefix))
            .map(|upn| format!("{prefix}{upn}"));
        if let Some(renamed) = renamed {
            props.insert("userPrincipalName".into(), json!(renamed));
        }
    }

    /// The original UPN of a deleted user (the Entra prefix removed).
    pub fn original_upn(id: &str, props: &Map<String, Value>) -> Option<String> {
        let prefix = id.replace('-', "");
        let upn = props.get("userPrincipalName")?.as_str()?;
        Some(upn.strip_prefix(&prefix).unwrap_or(upn).to_string())
    }

    /// Invalidate every delta token handed out so far (Graph expires them after
    /// 7 days, or when it can no longer track changes): their next use gets
    /// `400 syncStateNotFound`.
    pub fn expire_delta_tokens(&mut self) {
        self.delta_gone = false;
        self.bump_delta_generation();
    }

    /// Like [`Tenant::expire_delta_tokens`], but stale tokens get `410 Gone`
    /// (Graph's "synchronization reset" answer) instead.
    pub fn reset_delta_tokens_gone(&mut self) {
        self.delta_gone = true;
        self.bump_delta_generation();
    }

    fn bump_delta_generation(&mut self) {
        let old = self.delta_generation;
        while self.delta_generation == old {
            self.delta_generation = fresh_generation();
        }
    }

    /// The next change-log sequence number.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A fresh opaque role-assignment id, shaped like Graph's (`<base64url>-1`).
    pub fn new_assignment_id(&mut self) -> String {
        format!("{}-1", self.rng.token(33))
    }

    /// Insert a user and index it.
    pub fn insert_user(&mut self, u: Object) {
        if let Some(upn) = u.str("userPrincipalName") {
            self.upn_index.insert(lower(upn), u.id.clone());
        }
        self.user_names
            .insert((lower(u.str("displayName").unwrap_or("")), u.id.clone()));
        self.users.insert(u.id.clone(), u);
    }

    /// Remove a user from the maps and indexes (not from groups or managers).
    pub fn take_user(&mut self, id: &str) -> Option<Object> {
        let u = self.users.remove(id)?;
        if let Some(upn) = u.str("userPrincipalName") {
            self.upn_index.remove(&lower(upn));
        }
        self.user_names
            .remove(&(lower(u.str("displayName").unwrap_or("")), u.id.clone()));
        Some(u)
    }

    /// Insert a group and index it.
    pub fn insert_group(&mut self, g: Group) {
        self.group_names.insert((
            lower(g.obj.str("displayName").unwrap_or("")),
            g.obj.id.clone(),
        ));
        self.groups.insert(g.obj.id.clone(), g);
    }

    /// Remove a group from the maps and index.
    pub fn take_group(&mut self, id: &str) -> Option<Group> {
        let g = self.groups.remove(id)?;
        self.group_names.remove(&(
            lower(g.obj.str("displayName").unwrap_or("")),
            g.obj.id.clone(),
        ));
        Some(g)
    }

    /// A user by id or userPrincipalName.
    pub fn resolve_user(&self, key: &str) -> Option<String> {
        if self.users.contains_key(key) {
            return Some(key.to_string());
        }
        self.upn_index.get(&lower(key)).cloned()
    }

    /// A user or group by id (or a user by UPN).
    pub fn resolve_object(&self, key: &str) -> Option<String> {
        if self.groups.contains_key(key) {
            return Some(key.to_string());
        }
        self.resolve_user(key)
    }

    /// A role principal: user, group, or an app's service principal.
    pub fn resolve_principal(&self, key: &str) -> Option<String> {
        self.resolve_object(key)
            .or_else(|| {
                self.apps
                    .iter()
                    .find_map(|a| a.service_principal_id.clone().filter(|s| s == key))
            })
            .or_else(|| {
                self.others
                    .get(key)
                    .filter(|o| o.kind == Kind::ServicePrincipal)
                    .map(|_| key.to_string())
            })
    }

    /// The type of a live object id.
    pub fn kind_of(&self, id: &str) -> Option<Kind> {
        if self.users.contains_key(id) {
            Some(Kind::User)
        } else if self.groups.contains_key(id) {
            Some(Kind::Group)
        } else if self
            .apps
            .iter()
            .any(|a| a.service_principal_id.as_deref() == Some(id))
        {
            Some(Kind::ServicePrincipal)
        } else if self.devices.contains_key(id) {
            Some(Kind::Device)
        } else {
            self.others.get(id).map(|o| o.kind)
        }
    }

    /// Record a change of the whole object (create, delete, restore) in the change log.
    pub fn touch(&mut self, id: &str) {
        self.record(id, Changed::Whole);
    }

    /// Record a change of some properties of an object.
    pub fn touch_props<I, S>(&mut self, id: &str, props: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let props = props.into_iter().map(Into::into).collect();
        self.record(id, Changed::Props(props));
    }

    /// Record a change of a user's manager link.
    pub fn touch_manager(&mut self, id: &str) {
        self.record(id, Changed::Manager);
    }

    fn record(&mut self, id: &str, what: Changed) {
        let kind = match self.kind_of(id) {
            Some(k) => k,
            None => match self.deleted.get(id) {
                Some(d) => d.kind,
                None => return,
            },
        };
        self.record_kind(kind, id, what);
    }

    /// Record a change of a whole object of a known type (also for permanently deleted ones).
    pub fn touch_kind(&mut self, kind: Kind, id: &str) {
        self.record_kind(kind, id, Changed::Whole);
    }

    fn record_kind(&mut self, kind: Kind, id: &str, what: Changed) {
        let s = self.next_seq();
        if let Some(u) = self.users.get_mut(id) {
            u.seq = s;
        } else if let Some(g) = self.groups.get_mut(id) {
            g.obj.seq = s;
        }
        self.change_log.insert(
            s,
            Change {
                kind,
                id: id.to_string(),
                what,
            },
        );
    }

    /// Set a user's manager (no checks).
    pub fn set_manager_raw(&mut self, user: &str, manager: &str) {
        self.remove_manager_raw(user);
        self.manager.insert(user.to_string(), manager.to_string());
        self.reports
            .entry(manager.to_string())
            .or_default()
            .insert(user.to_string());
    }

    /// Remove a user's manager; returns the old one.
    pub fn remove_manager_raw(&mut self, user: &str) -> Option<String> {
        let old = self.manager.remove(user)?;
        let seq = self.next_seq();
        self.manager_removed
            .insert(user.to_string(), (seq, old.clone()));
        if let Some(r) = self.reports.get_mut(&old) {
            r.remove(user);
            if r.is_empty() {
                self.reports.remove(&old);
            }
        }
        Some(old)
    }

    /// Add a member (no checks); `log` records it for delta.
    pub fn add_member_raw(&mut self, group: &str, member: &str, log: bool) {
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        if !g.members.insert(member.to_string()) {
            return;
        }
        match self.member_of.get_mut(member) {
            Some(set) => {
                set.insert(group.to_string());
            }
            None => {
                self.member_of
                    .insert(member.to_string(), BTreeSet::from([group.to_string()]));
            }
        }
        if log {
            let seq = self.next_seq();
            self.member_log.push(MemberEvent {
                seq,
                group: group.to_string(),
                member: member.to_string(),
                added: true,
            });
        }
    }

    /// Remove a member (no checks); returns whether it was one.
    pub fn remove_member_raw(&mut self, group: &str, member: &str) -> bool {
        let Some(g) = self.groups.get_mut(group) else {
            return false;
        };
        if !g.members.remove(member) {
            return false;
        }
        if let Some(m) = self.member_of.get_mut(member) {
            m.remove(group);
            if m.is_empty() {
                self.member_of.remove(member);
            }
        }
        let seq = self.next_seq();
        self.member_log.push(MemberEvent {
            seq,
            group: group.to_string(),
            member: member.to_string(),
            added: false,
        });
        true
    }

    /// Detach an object from everything before it leaves the directory:
    /// memberships, manager links, role assignments. Returns (groups, manager).
    pub fn detach(&mut self, id: &str) -> (Vec<String>, Option<String>) {
        let groups: Vec<String> = self
            .member_of
            .get(id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for g in &groups {
            self.remove_member_raw(g, id);
        }
        let manager = self.remove_manager_raw(id);
        if let Some(reports) = self.reports.remove(id) {
            for r in reports {
                if let Some(old) = self.manager.remove(&r) {
                    let seq = self.next_seq();
                    self.manager_removed.insert(r.clone(), (seq, old));
                }
                self.touch_manager(&r);
            }
        }
        self.assignments.retain(|_, a| a.principal_id != id);
        let owned: Vec<String> = self
            .owners
            .iter()
            .filter(|(_, o)| o.contains(id))
            .map(|(g, _)| g.clone())
            .collect();
        for g in owned {
            self.remove_owner_raw(&g, id);
        }
        for u in self.admin_units.values_mut() {
            u.members.remove(id);
        }
        (groups, manager)
    }

    /// Dump the state in the seed format (no secrets, no passwords).
    pub fn to_seed(&self) -> Seed {
        let mut seed = self.to_seed_without_pim();
        super::pim::seed::dump(self, &mut seed);
        (seed.entra_id_premium, seed.user_registration_details) =
            super::report_state::dump(&self.sign_in_reports, |id| self.users.contains_key(id));
        (seed.subscribed_skus, seed.license_assignments) = self.licenses.dump();
        seed.authentication_methods = super::method_state::dump(&self.auth_methods);
        seed.devices = super::device_state::dump(&self.devices);
        seed
    }

    fn to_seed_without_pim(&self) -> Seed {
        let user = |u: &Object, manager: Option<&String>| SeedUser {
            id: Some(u.id.clone()),
            manager: manager.cloned(),
            properties: u.props.clone(),
        };
        Seed {
            tenant: self.info.clone(),
            applications: self.apps.clone(),
            users: self
                .users
                .values()
                .map(|u| user(u, self.manager.get(&u.id)))
                .collect(),
            groups: self
                .groups
                .values()
                .map(|g| SeedGroup {
                    id: Some(g.obj.id.clone()),
                    members: g.members.iter().cloned().collect(),
                    owners: self
                        .owners
                        .get(&g.obj.id)
                        .map(|o| o.iter().cloned().collect())
                        .unwrap_or_default(),
                    properties: g.obj.props.clone(),
                })
                .collect(),
            role_assignments: self
                .assignments
                .values()
                // A started PIM schedule is dumped as the schedule.
                .filter(|a| !self.pim.owns_assignment(&a.id))
                .map(|a| SeedRoleAssignment {
                    id: Some(a.id.clone()),
                    principal_id: a.principal_id.clone(),
                    role_definition_id: a.role_definition_id.clone(),
                    directory_scope_id: a.directory_scope_id.clone(),
                })
                .collect(),
            deleted_users: self
                .deleted
                .values()
                .filter(|d| d.kind == Kind::User)
                .map(|d| user(&d.obj, None))
                .collect(),
            administrative_units: admin_units_to_seed(&self.admin_units),
            role_definitions: super::seed_objects::role_definitions_to_seed(&self.role_defs),
            directory_objects: super::seed_objects::others_to_seed(&self.others),
            ..Seed::default()
        }
    }
}

/// An administrative unit and its direct members (users and groups).
#[derive(Debug, Clone)]
pub struct AdminUnit {
    /// The unit (`displayName`, `isMemberManagementRestricted`, …).
    pub obj: Object,
    /// Member ids.
    pub members: BTreeSet<String>,
}

impl AdminUnit {
    /// A restricted management administrative unit.
    pub fn restricted(&self) -> bool {
        self.obj
            .props
            .get("isMemberManagementRestricted")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

/// Build the administrative units of a seed (members as ids or UPNs) into the tenant.
fn load_admin_units(
    t: &mut Tenant,
    units: Vec<super::seed::SeedAdminUnit>,
) -> Result<(), super::error::EmulatorError> {
    use super::error::EmulatorError;
    for u in units {
        let id = match u.id {
            Some(id) => id,
            None => t.rng.guid(),
        };
        if t.admin_units.contains_key(&id) || t.kind_of(&id).is_some() {
            return Err(EmulatorError::InvalidSeed(format!("duplicate id {id}")));
        }
        let mut props = Map::new();
        props.insert("displayName".into(), json!(u.display_name));
        if let Some(d) = u.description {
            props.insert("description".into(), json!(d));
        }
        props.insert(
            "isMemberManagementRestricted".into(),
            json!(u.is_member_management_restricted),
        );
        if let Some(v) = u.visibility {
            props.insert("visibility".into(), json!(v));
        }
        let mut members = BTreeSet::new();
        for m in u.members {
            let mid = t.resolve_object(&m).ok_or_else(|| {
                EmulatorError::InvalidSeed(format!(
                    "unknown member {m} of administrative unit {}",
                    u.display_name
                ))
            })?;
            members.insert(mid);
        }
        t.admin_units.insert(
            id.clone(),
            AdminUnit {
                obj: Object {
                    id,
                    props,
                    created_at: None,
                    seq: 0,
                },
                members,
            },
        );
    }
    Ok(())
}
/// The administrative units in the seed format.
fn admin_units_to_seed(units: &BTreeMap<String, AdminUnit>) -> Vec<super::seed::SeedAdminUnit> {
    units
        .values()
        .map(|u| super::seed::SeedAdminUnit {
            id: Some(u.obj.id.clone()),
            display_name: u.obj.str("displayName").unwrap_or("").to_string(),
            description: u.obj.str("description").map(str::to_string),
            is_member_management_restricted: u.restricted(),
            visibility: u.obj.str("visibility").map(str::to_string),
            members: u.members.iter().cloned().collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::SyntheticSpec;

    #[test]
    fn seed_round_trips_through_state() {
        let seed = Seed::synthetic(SyntheticSpec {
            users: 50,
            groups: 10,
            memberships: 100,
            rng_seed: 1,
        });
        let t = Tenant::from_seed(seed.clone(), 1).unwrap();
        assert_eq!(t.users.len(), 50);
        assert_eq!(
            t.groups.values().map(|g| g.members.len()).sum::<usize>(),
            100
        );
        let dumped = t.to_seed();
        let t2 = Tenant::from_seed(dumped.clone(), 1).unwrap();
        assert_eq!(t2.to_seed(), dumped);
        assert_eq!(t2.manager.len(), 49);
    }

    #[test]
    fn an_application_must_say_what_it_is_granted() {
        let app = "applications:\n  - appId: a1\n";
        let e = Tenant::from_seed(Seed::parse(app).unwrap(), 0).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("application a1 has no `permissions`"), "{msg}");
        assert!(msg.contains("permissions: all"), "{msg}");
        for ok in [
            "    permissions: all\n",
            "    permissions: [User.Read.All]\n",
        ] {
            let seed = Seed::parse(&format!("{app}{ok}")).unwrap();
            assert!(Tenant::from_seed(seed, 0).is_ok(), "{ok}");
        }
        for bad in [
            "    permissions: everything\n",
            "    permissions: [1]\n",
            "    permissions: [\"\"]\n",
        ] {
            assert!(Seed::parse(&format!("{app}{bad}")).is_err(), "{bad}");
        }
    }

    #[test]
    fn yaml_numbers_become_strings() {
        let seed = Seed::parse(
            "users:\n  - userPrincipalName: a@x\n    postalCode: 98052\n    employeeId: 1042\n",
        )
        .unwrap();
        let t = Tenant::from_seed(seed, 0).unwrap();
        let u = t.users.values().next().unwrap();
        assert_eq!(u.props["postalCode"], "98052");
        assert_eq!(u.props["employeeId"], "1042");
    }

    #[test]
    fn rejects_bad_references() {
        let seed =
            Seed::parse(r#"{"users":[{"userPrincipalName":"a@x","manager":"nobody"}]}"#).unwrap();
        assert!(Tenant::from_seed(seed, 0).is_err());
        let seed = Seed::parse(r#"{"users":[{"userPrincipalName":"a@x","bogus":1}]}"#).unwrap();
        assert!(Tenant::from_seed(seed, 0).is_err());
    }
}
