//! `entraform snapshot`: a live tenant → an emulator seed (pure).
//!
//! The seed holds what `plan` reads, so that a plan against
//! `entraform emulator --seed` (or `plan --emulator`) is the plan against the
//! tenant it came from: users with every compared attribute and their
//! managers, groups with their members, role definitions the built-in
//! catalog lacks, tenant-scope role assignments, deleted users, restricted
//! management administrative units with their members, and the other
//! directory objects that hold roles or memberships (service principals,
//! devices, contacts: id and type only). Object ids are kept.
//!
//! It holds no credential of the tenant: the seed gets its own
//! emulator-only application (a fresh client id, and only the SHA-256 of a
//! fresh secret the caller shows once), whose service principal id is the
//! one the reading app has in the tenant, so the safety gates that look at
//! "who is running" behave the same.
//!
//! With [`SeedOptions::anonymise`] people's names, mail addresses, phone
//! numbers and street addresses are replaced, consistently (the same value
//! gets the same replacement everywhere), keeping UPN domains, so a seed can
//! be attached to a bug report. Group names, departments, job titles and
//! cities are kept: they are what a rehearsal needs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value, json};

use crate::model::op::Holding;

use super::seed_format::{
    AppRegistration, DirectoryObjectType, Grants, Seed, SeedAdminUnit, SeedDirectoryObject,
    SeedGroup, SeedLicense, SeedRoleAssignment, SeedRoleDefinition, SeedRoleSchedule,
    SeedServicePlan, SeedSku, SeedUser, TenantInfo,
};
use crate::graph::dto::USER_SELECT;
use crate::live::{Live, LiveUser, ObjectKind};
use crate::model::ObjectId;
use crate::model::builtin_roles;

/// The seed's own application, made by the caller (random values are not pure).
#[derive(Debug, Clone)]
pub struct SeedApp {
    /// A fresh application (client) id.
    pub app_id: String,
    /// Lower-case hex SHA-256 of the fresh client secret (the secret itself never enters the seed).
    pub secret_sha256: String,
    /// Used as the service principal id when the reader could not tell its own.
    pub fallback_principal_id: String,
}

/// What to write.
#[derive(Debug, Clone)]
pub struct SeedOptions {
    /// The tenant id to record (the real one, or a fresh one when anonymising).
    pub tenant_id: String,
    /// The emulator-only application.
    pub app: SeedApp,
    /// Replace people's names, mail addresses, phone numbers and street addresses.
    pub anonymise: bool,
}

/// The seed and what could not be kept.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedExport {
    /// The seed.
    pub seed: Seed,
    /// Things left out, and why.
    pub notes: Vec<String>,
}

/// Display name of the seed's application.
pub const SEED_APP_NAME: &str = "entraform snapshot (emulator only)";

/// Build a seed from a live snapshot.
pub fn seed_from_live(live: &Live, opts: &SeedOptions) -> SeedExport {
    let mut notes = Vec::new();
    let mut anon = opts.anonymise.then(|| Pseudonyms::new(live));
    let user_ids: BTreeSet<&ObjectId> = live.users().iter().map(|u| &u.id).collect();
    let group_ids: BTreeSet<&ObjectId> = live.groups().iter().map(|g| &g.id).collect();
    let principal_id = live
        .principal()
        .and_then(|p| p.id.clone())
        .map_or_else(|| opts.app.fallback_principal_id.clone(), |id| id.0);
    let mut others: BTreeMap<String, DirectoryObjectType> = BTreeMap::new();

    // Users, in id order (stable output whatever order Graph listed them in).
    let mut users: Vec<&LiveUser> = live.users().iter().collect();
    users.sort_by(|a, b| a.id.cmp(&b.id));
    let mut seed_users = Vec::with_capacity(users.len());
    for u in users {
        let manager = match &u.manager {
            Some(m) if user_ids.contains(m) => Some(m.0.clone()),
            Some(m) => {
                notes.push(format!(
                    "the manager of user {} ({m}) is not a user (an organizational contact): left out",
                    u.id
                ));
                None
            }
            None => None,
        };
        let mut properties = user_properties(u);
        if let Some(a) = anon.as_mut() {
            a.user(&mut properties);
        }
        seed_users.push(SeedUser {
            id: Some(u.id.0.clone()),
            manager,
            properties,
        });
    }

    // Groups and their members.
    let mut groups: Vec<_> = live.groups().iter().collect();
    groups.sort_by(|a, b| a.id.cmp(&b.id));
    // Groups that hold a role are role-assignable (Graph assigns roles only
    // to such groups; the reader does not read the flag itself).
    let role_groups: BTreeSet<&str> = live
        .role_assignments()
        .iter()
        .map(|a| a.principal_id.0.as_str())
        .chain(
            live.role_schedules()
                .iter()
                .filter(|s| !s.inherited)
                .map(|s| s.principal_id.0.as_str()),
        )
        .collect();
    let mut seed_groups = Vec::with_capacity(groups.len());
    for g in groups {
        // A member or owner is kept when the seed holds it: a listed user or
        // group, the reading app's service principal, or another directory
        // object recorded (id and type) in `directoryObjects`.
        let mut keep = |m: &crate::live::Member, role: &str, out: &mut Vec<String>| {
            let known = match m.kind {
                ObjectKind::User => user_ids.contains(&m.id),
                ObjectKind::Group => group_ids.contains(&m.id),
                ObjectKind::ServicePrincipal if m.id.0 == principal_id => true,
                other => {
                    others.entry(m.id.0.clone()).or_insert(object_type(other));
                    true
                }
            };
            if known {
                out.push(m.id.0.clone());
            } else {
                notes.push(format!(
                    "{role} {} of group {} was not in the user or group listing (changed during the read?): left out",
                    m.id, g.id
                ));
            }
        };
        let mut members = Vec::with_capacity(g.members.len());
        for m in &g.members {
            keep(m, "member", &mut members);
        }
        let mut owners = Vec::with_capacity(g.owners.len());
        for o in &g.owners {
            keep(o, "owner", &mut owners);
        }
        let mut p = Map::new();
        p.insert("displayName".into(), json!(g.display_name));
        if let Some(n) = &g.mail_nickname {
            p.insert("mailNickname".into(), json!(n));
        }
        if let Some(d) = &g.description {
            p.insert("description".into(), json!(d));
        }
        p.insert("securityEnabled".into(), json!(g.security_enabled));
        if role_groups.contains(g.id.0.as_str()) {
            p.insert("isAssignableToRole".into(), json!(true));
        }
        p.insert("mailEnabled".into(), json!(g.mail_enabled));
        p.insert("groupTypes".into(), json!(g.group_types));
        if let Some(r) = &g.membership_rule {
            p.insert("membershipRule".into(), json!(r));
            p.insert("membershipRuleProcessingState".into(), json!("On"));
        }
        if g.on_premises_sync_enabled {
            p.insert("onPremisesSyncEnabled".into(), json!(true));
        }
        seed_groups.push(SeedGroup {
            id: Some(g.id.0.clone()),
            members,
            owners,
            properties: p,
        });
    }

    // Role definitions the catalog lacks, and the assignments.
    let mut role_definitions = Vec::new();
    let mut defined: BTreeSet<String> = BTreeSet::new();
    for d in live.role_definitions() {
        let lower = d.id.to_ascii_lowercase();
        if builtin_roles::by_template_id(&lower).is_some() || !defined.insert(lower) {
            continue;
        }
        role_definitions.push(SeedRoleDefinition {
            id: d.id.clone(),
            display_name: d.display_name.clone(),
            template_id: d.template_id.clone(),
            is_built_in: d.is_built_in,
            is_enabled: d.is_enabled,
            description: None,
        });
    }
    let mut role_assignments = Vec::new();
    // PIM-managed assignments (time-bound, activations) are written as schedules below.
    let pim_managed = live.pim_managed_assignments();
    let mut assignments: Vec<_> = live
        .role_assignments()
        .iter()
        .filter(|a| !pim_managed.contains(a.id.as_str()))
        .collect();
    assignments.sort_by(|a, b| a.id.cmp(&b.id));
    for a in assignments {
        let role = a.role_definition_id.to_ascii_lowercase();
        if builtin_roles::by_template_id(&role).is_none() && !defined.contains(&role) {
            notes.push(format!(
                "role assignment {} names role definition {} that Graph did not list: left out",
                a.id, a.role_definition_id
            ));
            continue;
        }
        let p = &a.principal_id;
        if !user_ids.contains(p) && !group_ids.contains(p) && p.0 != principal_id {
            // Role principals are users, groups or service principals.
            others
                .entry(p.0.clone())
                .or_insert(DirectoryObjectType::ServicePrincipal);
        }
        role_assignments.push(SeedRoleAssignment {
            id: Some(a.id.clone()),
            principal_id: p.0.clone(),
            role_definition_id: a.role_definition_id.clone(),
            directory_scope_id: a.directory_scope_id.clone(),
        });
    }

    // PIM: eligibilities, time-bound and unit-scoped active assignments,
    // activations (held directly; members inheriting through a group follow
    // from the group's holding). Units named by a scope are written too.
    let mut role_eligibilities = Vec::new();
    let mut role_assignment_schedules = Vec::new();
    let mut scoped_units: BTreeSet<String> = BTreeSet::new();
    let mut schedules: Vec<_> = live
        .role_schedules()
        .iter()
        .filter(|s| !s.inherited && s.pim_managed())
        .collect();
    schedules.sort_by(|a, b| (a.holding, &a.id).cmp(&(b.holding, &b.id)));
    for s in schedules {
        let role = s.role_definition_id.to_ascii_lowercase();
        let p = &s.principal_id;
        if builtin_roles::by_template_id(&role).is_none() && !defined.contains(&role)
            || (!user_ids.contains(p) && !group_ids.contains(p) && p.0 != principal_id)
        {
            notes.push(format!(
                "PIM holding {} of role {} by {p}: role or principal not in the snapshot, left out",
                s.id, s.role_definition_id
            ));
            continue;
        }
        if let Some(u) = live.admin_unit_of_scope(&s.directory_scope_id) {
            scoped_units.insert(u.id.clone());
        }
        let scope = s.directory_scope_id.clone();
        match (s.holding, s.end.is_some() || s.activated) {
            (Holding::Eligible, _) => role_eligibilities.push(SeedRoleSchedule {
                principal_id: p.0.clone(),
                role_definition_id: s.role_definition_id.clone(),
                directory_scope_id: scope,
                end_date_time: s.end.clone(),
                assignment_type: None,
            }),
            (Holding::Active, true) => role_assignment_schedules.push(SeedRoleSchedule {
                principal_id: p.0.clone(),
                role_definition_id: s.role_definition_id.clone(),
                directory_scope_id: scope,
                end_date_time: s.end.clone(),
                assignment_type: s.activated.then(|| "Activated".to_string()),
            }),
            // A permanent unit-scoped assignment is a plain role assignment.
            (Holding::Active, false) => role_assignments.push(SeedRoleAssignment {
                id: s.assignment_id.clone(),
                principal_id: p.0.clone(),
                role_definition_id: s.role_definition_id.clone(),
                directory_scope_id: scope,
            }),
        }
    }

    // Deleted users.
    let mut deleted: Vec<_> = live.deleted_users().iter().collect();
    deleted.sort_by(|a, b| a.id.cmp(&b.id));
    let mut deleted_users = Vec::with_capacity(deleted.len());
    for d in deleted {
        let mut p = Map::new();
        p.insert("userPrincipalName".into(), json!(d.original_upn.as_str()));
        if let Some(n) = &d.display_name {
            p.insert("displayName".into(), json!(n));
        }
        if let Some(t) = &d.deleted_date_time {
            p.insert("deletedDateTime".into(), json!(t));
        }
        if let Some(a) = anon.as_mut() {
            a.user(&mut p);
        }
        deleted_users.push(SeedUser {
            id: Some(d.id.0.clone()),
            manager: None,
            properties: p,
        });
    }

    // Restricted management administrative units (the only ones the reader keeps).
    let mut administrative_units = Vec::new();
    for u in live.restricted_units() {
        let mut members = Vec::new();
        for m in &u.members {
            if user_ids.contains(m) || group_ids.contains(m) {
                members.push(m.0.clone());
            } else {
                notes.push(format!(
                    "member {m} of administrative unit {} is not a user or group: left out",
                    u.id
                ));
            }
        }
        administrative_units.push(SeedAdminUnit {
            id: Some(u.id.clone()),
            display_name: u.display_name.clone(),
            description: None,
            is_member_management_restricted: true,
            visibility: None,
            members,
        });
    }
    // Units a PIM scope names (members not read: not needed to plan).
    for u in live.admin_units() {
        if scoped_units.contains(&u.id)
            && !administrative_units
                .iter()
                .any(|a: &SeedAdminUnit| a.id.as_deref() == Some(u.id.as_str()))
        {
            administrative_units.push(SeedAdminUnit {
                id: Some(u.id.clone()),
                display_name: u.display_name.clone(),
                description: None,
                is_member_management_restricted: false,
                visibility: None,
                members: Vec::new(),
            });
        }
    }
    if let Some(why) = live.restricted_unknown_reason() {
        notes.push(format!(
            "restricted administrative units are incomplete: {why}"
        ));
    }
    if let Some(why) = live.pim_unknown_reason() {
        notes.push(format!("PIM holdings are not in the seed: {why}"));
    }

    let domains = domains(live, anon.as_ref());
    let mut seed = Seed {
        tenant: TenantInfo {
            id: opts.tenant_id.clone(),
            domains,
            entra_id_p2: !live.pim_unlicensed(),
        },
        applications: vec![AppRegistration {
            app_id: opts.app.app_id.clone(),
            display_name: SEED_APP_NAME.to_string(),
            service_principal_id: Some(principal_id),
            client_secrets: Vec::new(),
            client_secret_sha256: vec![opts.app.secret_sha256.clone()],
            certificate_thumbprints: Vec::new(),
            federated_credentials: Vec::new(),
            // The reading app's grants (its token's `roles`), so the plan's
            // unappliable steps are the same against the seed; `all` when the
            // token could not be read (an opaque bearer token).
            permissions: Some(
                live.principal()
                    .and_then(|p| p.permissions.clone())
                    .map_or(Grants::All, Grants::List),
            ),
        }],
        users: seed_users,
        groups: seed_groups,
        role_assignments,
        deleted_users,
        administrative_units,
        role_definitions,
        directory_objects: others
            .into_iter()
            .map(|(id, object_type)| SeedDirectoryObject {
                id,
                object_type,
                display_name: None,
            })
            .collect(),
        subscribed_skus: Vec::new(),
        license_assignments: Vec::new(),
        role_eligibilities,
        role_assignment_schedules,
    };
    (seed.subscribed_skus, seed.license_assignments) = licenses(live);
    SeedExport { seed, notes }
}

/// The SKUs and licence assignments, when they were read: each user's direct
/// licences, and each group's licence once (from any member's inherited path).
fn licenses(live: &Live) -> (Vec<SeedSku>, Vec<SeedLicense>) {
    let Some(l) = live.licenses() else {
        return (Vec::new(), Vec::new());
    };
    let skus = l
        .skus
        .iter()
        .map(|s| SeedSku {
            sku_id: s.sku_id.clone(),
            sku_part_number: s.part_number.clone(),
            enabled: s.enabled,
            service_plans: s
                .plans
                .iter()
                .map(|p| SeedServicePlan {
                    service_plan_id: p.id.clone(),
                    service_plan_name: p.name.clone(),
                })
                .collect(),
        })
        .collect();
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (user, held) in &l.by_user {
        for h in held {
            let principal = h.by_group.as_ref().unwrap_or(user).0.clone();
            out.entry((principal, h.sku_id.clone()))
                .or_insert_with(|| h.disabled_plans.clone());
        }
    }
    let assignments = out
        .into_iter()
        .map(|((principal, sku), disabled_plans)| SeedLicense {
            principal,
            sku,
            disabled_plans,
        })
        .collect();
    (skus, assignments)
}

fn object_type(k: ObjectKind) -> DirectoryObjectType {
    match k {
        ObjectKind::ServicePrincipal => DirectoryObjectType::ServicePrincipal,
        ObjectKind::Device => DirectoryObjectType::Device,
        ObjectKind::OrgContact => DirectoryObjectType::OrgContact,
        ObjectKind::User | ObjectKind::Group | ObjectKind::Other => {
            DirectoryObjectType::DirectoryObject
        }
    }
}

/// A user's compared attributes as Graph properties (unset ones left out).
fn user_properties(u: &LiveUser) -> Map<String, Value> {
    let mut p = Map::new();
    for name in USER_SELECT.iter().copied().filter(|n| *n != "id") {
        match u.attribute(name) {
            None | Some(Value::Null) => {}
            Some(Value::Array(a)) if a.is_empty() => {}
            Some(Value::Bool(false)) if name == "onPremisesSyncEnabled" => {}
            Some(v) => {
                p.insert(name.to_string(), v);
            }
        }
    }
    p
}

/// The tenant's domains as far as the snapshot shows them: the UPN domains,
/// most used first (Graph gives a new Microsoft 365 group's mail the first).
fn domains(live: &Live, anon: Option<&Pseudonyms>) -> Vec<String> {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    let upns = live
        .users()
        .iter()
        .map(|u| u.upn.as_str())
        .chain(live.deleted_users().iter().map(|d| d.original_upn.as_str()));
    for upn in upns {
        if let Some((_, d)) = upn.rsplit_once('@')
            && !d.is_empty()
        {
            *count.entry(d.to_ascii_lowercase()).or_default() += 1;
        }
    }
    let _ = anon; // UPN domains are kept when anonymising.
    let mut v: Vec<(String, usize)> = count.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut out: Vec<String> = v.into_iter().map(|(d, _)| d).collect();
    if out.is_empty() {
        out.push("contoso.onmicrosoft.com".to_string());
    }
    out
}

/// Consistent replacements: the same original value always gets the same
/// pseudonym (numbered in order of first use), so links between values
/// survive (a mailNickname equal to the UPN's local part stays equal).
struct Pseudonyms {
    /// The tenant's UPN domains (other mail domains are replaced).
    domains: BTreeSet<String>,
    maps: HashMap<&'static str, HashMap<String, usize>>,
}

impl Pseudonyms {
    fn new(live: &Live) -> Self {
        Pseudonyms {
            domains: domains(live, None).into_iter().collect(),
            maps: HashMap::new(),
        }
    }

    /// The number of `value` in `category` (1-based, by first use; case-insensitive).
    fn n(&mut self, category: &'static str, value: &str) -> usize {
        let m = self.maps.entry(category).or_default();
        let next = m.len() + 1;
        *m.entry(value.to_lowercase()).or_insert(next)
    }

    fn upn(&mut self, upn: &str) -> String {
        match upn.rsplit_once('@') {
            Some((local, domain)) => format!("user{}@{domain}", self.n("upn", local)),
            None => format!("user{}", self.n("upn", upn)),
        }
    }

    fn mail(&mut self, mail: &str) -> String {
        let n = self.n("mail", mail);
        match mail.rsplit_once('@') {
            Some((_, d)) if self.domains.contains(&d.to_ascii_lowercase()) => {
                format!("mail{n}@{d}")
            }
            _ => format!("mail{n}@example.invalid"),
        }
    }

    fn phone(&mut self, phone: &str) -> String {
        format!("+1 555 {:07}", self.n("phone", phone))
    }

    /// Replace the personal values of a user's properties in place.
    fn user(&mut self, p: &mut Map<String, Value>) {
        let s =
            |p: &Map<String, Value>, k: &str| p.get(k).and_then(Value::as_str).map(String::from);
        let upn = s(p, "userPrincipalName");
        let local = upn
            .as_deref()
            .map(|u| u.rsplit_once('@').map_or(u, |(l, _)| l).to_string());
        let given = s(p, "givenName");
        let surname = s(p, "surname");
        let display = s(p, "displayName");
        if let Some(u) = &upn {
            p.insert("userPrincipalName".into(), json!(self.upn(u)));
        }
        let new_given = given
            .as_deref()
            .map(|g| format!("Given{}", self.n("given", g)));
        let new_surname = surname
            .as_deref()
            .map(|x| format!("Surname{}", self.n("surname", x)));
        if let Some(g) = &new_given {
            p.insert("givenName".into(), json!(g));
        }
        if let Some(x) = &new_surname {
            p.insert("surname".into(), json!(x));
        }
        if let Some(d) = &display {
            let composed = match (&given, &surname, &new_given, &new_surname) {
                (Some(g), Some(x), Some(ng), Some(nx))
                    if d.eq_ignore_ascii_case(&format!("{g} {x}")) =>
                {
                    Some(format!("{ng} {nx}"))
                }
                _ => None,
            };
            let v = composed.unwrap_or_else(|| format!("Person {}", self.n("display", d)));
            p.insert("displayName".into(), json!(v));
        }
        if let Some(nick) = s(p, "mailNickname") {
            let v = match &local {
                Some(l) if l.eq_ignore_ascii_case(&nick) => format!("user{}", self.n("upn", l)),
                _ => format!("nick{}", self.n("nick", &nick)),
            };
            p.insert("mailNickname".into(), json!(v));
        }
        if let Some(Value::Array(mails)) = p.get("otherMails").cloned() {
            let v: Vec<Value> = mails
                .iter()
                .filter_map(Value::as_str)
                .map(|m| json!(self.mail(m)))
                .collect();
            p.insert("otherMails".into(), Value::Array(v));
        }
        if let Some(m) = s(p, "mobilePhone") {
            p.insert("mobilePhone".into(), json!(self.phone(&m)));
        }
        if let Some(Value::Array(phones)) = p.get("businessPhones").cloned() {
            let v: Vec<Value> = phones
                .iter()
                .filter_map(Value::as_str)
                .map(|m| json!(self.phone(m)))
                .collect();
            p.insert("businessPhones".into(), Value::Array(v));
        }
        if let Some(a) = s(p, "streetAddress") {
            p.insert(
                "streetAddress".into(),
                json!(format!("{} Example Street", self.n("street", &a))),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{
        DeletedUser, LiveGroup, LiveParts, LiveRoleAssignment, Member, RunningPrincipal,
    };
    use crate::model::Upn;
    use crate::model::attrs::{Attr, AttrValue};

    fn user(id: &str, upn: &str, given: &str, surname: &str) -> LiveUser {
        let mut u = LiveUser::new(ObjectId(id.into()), Upn::new_unchecked(upn));
        u.set(Attr::GivenName, Some(given.into()));
        u.set(Attr::Surname, Some(surname.into()));
        u.set(Attr::DisplayName, Some(format!("{given} {surname}").into()));
        u.set(
            Attr::MailNickname,
            upn.split('@').next().map(String::from).map(AttrValue::from),
        );
        u.set(Attr::MobilePhone, Some("+1 425 555 0100".into()));
        u.set(
            Attr::BusinessPhones,
            Some(vec!["+1 425 555 0100".to_string()].into()),
        );
        u.set(
            Attr::OtherMails,
            Some(vec![format!("{given}@gmail.example")].into()),
        );
        u
    }

    fn live() -> Live {
        let mut amelia = user("u1", "amelia.hart@contoso.com", "Amelia", "Hart");
        amelia.set(Attr::StreetAddress, Some("1 Main Street".into()));
        let mut tomas = user("u2", "tomas.novak@contoso.com", "Tomas", "Novak");
        tomas.manager = Some(ObjectId("u1".into()));
        tomas.set(Attr::MobilePhone, Some("+1 425 555 0199".into()));
        Live::from_parts(LiveParts {
            users: vec![amelia, tomas],
            groups: vec![LiveGroup {
                id: ObjectId("g1".into()),
                display_name: "engineering".into(),
                mail_nickname: Some("engineering".into()),
                description: None,
                security_enabled: true,
                mail_enabled: false,
                group_types: vec![],
                membership_rule: None,
                on_premises_sync_enabled: false,
                members: vec![
                    Member {
                        id: ObjectId("u1".into()),
                        kind: ObjectKind::User,
                    },
                    Member {
                        id: ObjectId("laptop".into()),
                        kind: ObjectKind::Device,
                    },
                ],
                owners: vec![Member {
                    id: ObjectId("u2".into()),
                    kind: ObjectKind::User,
                }],
            }],
            role_assignments: vec![
                LiveRoleAssignment {
                    id: "a1".into(),
                    principal_id: ObjectId("backup-sp".into()),
                    role_definition_id: builtin_roles::GLOBAL_ADMINISTRATOR.into(),
                    directory_scope_id: "/".into(),
                },
                LiveRoleAssignment {
                    id: "a2".into(),
                    principal_id: ObjectId("me-sp".into()),
                    role_definition_id: "c0ffee00-0000-4000-8000-000000000001".into(),
                    directory_scope_id: "/".into(),
                },
            ],
            role_definitions: vec![crate::live::LiveRoleDefinition {
                id: "c0ffee00-0000-4000-8000-000000000001".into(),
                display_name: "Custom Writer".into(),
                template_id: None,
                is_built_in: false,
                is_enabled: true,
            }],
            deleted_users: vec![DeletedUser::new(
                ObjectId("0d000000-0000-4000-8000-000000000001".into()),
                "0d000000000040008000000000000001george.miles@contoso.com".into(),
                Some("George Miles".into()),
                Some("2025-01-02T03:04:05Z".into()),
            )],
            principal: Some(RunningPrincipal {
                client_id: "real-client".into(),
                id: Some(ObjectId("me-sp".into())),
                role_definition_ids: vec![],
                permissions: Some(vec!["User.Read.All".into()]),
            }),
            ..LiveParts::default()
        })
    }

    fn opts(anonymise: bool) -> SeedOptions {
        SeedOptions {
            tenant_id: "t-1".into(),
            app: SeedApp {
                app_id: "app-1".into(),
                secret_sha256: "ab".repeat(32),
                fallback_principal_id: "unused".into(),
            },
            anonymise,
        }
    }

    #[test]
    fn the_seed_holds_what_plan_reads_and_loads() {
        let out = seed_from_live(&live(), &opts(false));
        let s = &out.seed;
        assert_eq!(s.users.len(), 2);
        assert_eq!(s.users[1].manager.as_deref(), Some("u1"));
        assert_eq!(s.users[0].properties["mobilePhone"], "+1 425 555 0100");
        assert_eq!(
            s.applications[0].service_principal_id.as_deref(),
            Some("me-sp")
        );
        assert!(s.applications[0].client_secrets.is_empty());
        assert_eq!(s.role_definitions.len(), 1);
        let kinds: Vec<_> = s
            .directory_objects
            .iter()
            .map(|o| (o.id.as_str(), o.object_type))
            .collect();
        assert_eq!(
            kinds,
            [
                ("backup-sp", DirectoryObjectType::ServicePrincipal),
                ("laptop", DirectoryObjectType::Device)
            ]
        );
        assert_eq!(
            s.deleted_users[0].properties["userPrincipalName"],
            "george.miles@contoso.com"
        );
        // The emulator loading this seed: tests/integration/emulator_crate.rs.
        let json = serde_json::to_value(s).unwrap();
        let g1 = json["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == "g1");
        assert_eq!(g1.unwrap()["members"].as_array().unwrap().len(), 2);
        assert_eq!(json["roleAssignments"].as_array().unwrap().len(), 2);
        assert!(!serde_json::to_string(s).unwrap().contains("real-client"));
    }

    #[test]
    fn anonymised_seeds_keep_no_name_mail_or_phone_but_keep_links() {
        let out = seed_from_live(&live(), &opts(true));
        let text = serde_json::to_string(&out.seed).unwrap();
        for secret in [
            "Amelia",
            "amelia",
            "Hart",
            "Tomas",
            "Novak",
            "George",
            "Miles",
            "gmail",
            "425",
            "Main Street",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        let u = &out.seed.users[0].properties;
        assert_eq!(u["userPrincipalName"], "user1@contoso.com");
        assert_eq!(u["mailNickname"], "user1", "nickname follows the UPN");
        assert_eq!(u["displayName"], "Given1 Surname1");
        // The same phone number gets the same replacement everywhere.
        assert_eq!(u["mobilePhone"], u["businessPhones"][0]);
        assert_eq!(out.seed.users[1].manager.as_deref(), Some("u1"));
    }
}
