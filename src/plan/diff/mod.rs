//! Desired × live → operations (pure).
//!
//! Graph's semantics: UPNs match case-insensitively; an attribute absent from
//! YAML is unmanaged and an explicit `null` clears it; lists compare in the
//! order Graph stores them. Synced users and dynamic groups are never written;
//! the diff reports them as notices instead. Neither are members of restricted
//! management administrative units, which only AU-scoped administrators may
//! change (see [`withhold_restricted`]).

#![deny(clippy::wildcard_enum_match_arm)]

mod guests;
pub mod licenses;
mod lifecycle;
mod renames;
mod roles_pim;
mod suggest;

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::desired::lifecycle::LeaverStep;
use crate::desired::state::{
    AbsentUsers, DesiredState, GroupSpec, ManagerSpec, Membership, Origin, OwnerSpec, UserSpec,
};
use crate::model::attrs::{Attr, AttrValue};
use crate::model::clock::Moment;
use crate::model::live::live_ref;
use crate::model::live::{Live, LiveGroup, LiveUser, ObjectKind};
use crate::model::{ObjectId, Upn};
use crate::plan::op::{
    AttrChange, ErrorCode, GroupRef, Notice, NoticeCode, Op, OwnerRef, PlanError, PrincipalRef,
    RoleRef, UserRef,
};

/// Helpers the diff shares with `export` and `plan::saved` (they live with the domain types).
pub use crate::model::attrs::derive_mail_nickname;
pub use crate::model::live::live_attr;

/// Owners bound in a group's create call at most (Graph: 20 relationships,
/// owners and members together, in `POST /groups`; group-post-groups).
pub const CREATE_OWNERS: usize = 20;

/// What the diff found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    /// Operations, unordered.
    pub ops: Vec<Op>,
    /// Things not done, and why.
    pub notices: Vec<Notice>,
    /// Problems that make a plan impossible.
    pub errors: Vec<PlanError>,
    /// Live users the repo owns.
    pub owned_users: u64,
}

/// Does the live value equal the desired one (`None` = unset)? Compares without cloning.
fn same_attr(u: &LiveUser, attr: Attr, want: Option<&AttrValue>) -> bool {
    match (live_ref(u, attr), want) {
        (None, None) => true,
        (Some(have), Some(want)) => have.eq_value(want),
        // An empty list is no list.
        (None, Some(AttrValue::List(l))) => l.is_empty(),
        _ => false,
    }
}

/// The live values of the unchanged members of every object-valued property
/// (`employeeOrgData`) that `changes` touch: Graph replaces the object whole
/// and nulls a member left out, so a PATCH of one member carries the others
/// as they are — a member the repo does not manage is never cleared by it.
fn kept_members(u: &LiveUser, changes: &[AttrChange]) -> BTreeMap<Attr, AttrValue> {
    let mut keep = BTreeMap::new();
    for c in changes {
        let Some(_) = c.attr.member() else { continue };
        for m in crate::model::attrs::members_of(c.attr.property()) {
            if changes.iter().all(|o| o.attr != m.attr)
                && let Some(v) = u.attrs.value(m.attr)
            {
                keep.insert(m.attr, v);
            }
        }
    }
    keep
}

/// True unless `attr` is a member of an object-valued property whose other
/// members `spec` does not all declare.
fn whole_object_declared(spec: &UserSpec, attr: Attr) -> bool {
    attr.member().is_none()
        || crate::model::attrs::members_of(attr.property())
            .all(|m| spec.attributes.contains_key(&m.attr))
}

/// Guest accounts (`…#EXT#@…`) are never owned through `scope`, whatever it says.
fn is_guest(upn: &Upn) -> bool {
    upn.as_str().to_ascii_uppercase().contains("#EXT#")
}

/// A referenced user: declared in the repo (maybe not created yet) or live only.
#[derive(Clone, Copy)]
enum Found<'a> {
    Declared(&'a UserRef),
    Live(&'a LiveUser),
}

impl<'a> Found<'a> {
    fn id(self) -> Option<&'a ObjectId> {
        match self {
            Found::Declared(r) => r.id.as_ref(),
            Found::Live(u) => Some(&u.id),
        }
    }
    fn to_ref(self) -> UserRef {
        match self {
            Found::Declared(r) => r.clone(),
            Found::Live(u) => UserRef {
                upn: u.upn.clone(),
                id: Some(u.id.clone()),
            },
        }
    }
}

struct Ctx<'a> {
    desired: &'a DesiredState,
    live: &'a Live,
    /// Declared users found in the tenant under a previous UPN (renames in place).
    renamed: &'a HashMap<Upn, &'a LiveUser>,
    /// Planned identity of every declared user (id `None` when created by this plan).
    declared: &'a HashMap<Upn, UserRef>,
    /// Users this plan leaves disabled or deleted.
    leaving: &'a HashSet<Upn>,
    /// Users this plan deletes.
    deleting: &'a HashSet<Upn>,
    /// Declared leavers deleted by `delete_after` (now or before): ignored.
    departed: &'a HashSet<Upn>,
    /// The moment the plan is for (`None`: no time-based rule applies).
    now: Option<Moment>,
    /// "Did you mean …?" for references to nobody (bounded per plan).
    suggest: suggest::Suggester,
    out: Diff,
}

impl<'a> Ctx<'a> {
    /// The live user a declared entry is: by its UPN, or renamed from a previous one.
    fn live_user(&self, upn: &Upn) -> Option<&'a LiveUser> {
        self.live
            .user_of(upn)
            .or_else(|| self.renamed.get(upn).copied())
    }

    fn notice(&mut self, code: NoticeCode, object: String, message: String) {
        self.out.notices.push(Notice {
            code,
            object,
            message,
        });
    }

    /// Resolve a referenced user (declared, or live in the tenant); report a reference to nobody.
    fn find(&mut self, upn: &Upn, origin: Option<&Origin>, role: &str) -> Option<Found<'a>> {
        if self.departed.contains(upn) {
            // Deleted by the leaver policy: a `departed-user` notice says so once.
            return None;
        }
        let found = match self.declared.get(upn) {
            Some(r) => Some(Found::Declared(r)),
            None => self.live.user_of(upn).map(Found::Live),
        };
        let declared = matches!(found, Some(Found::Declared(_)));
        let problem = match found {
            None => Some((
                ErrorCode::UnknownUser,
                suggest::with_hint(
                    format!(
                        "{role} `{upn}` is declared neither in the repo nor in the tenant; declare the user or fix the name"
                    ),
                    self.suggest.user(upn, self.declared.keys(), self.live),
                ),
            )),
            Some(_) if role == "principal" && !declared && self.leaving.contains(upn) => Some((
                ErrorCode::PrincipalLeaving,
                format!(
                    "principal `{upn}` is not declared in the repo, so `absent_users` would disable or delete it; declare the user to keep it"
                ),
            )),
            // A declared user that ends disabled (a passed leave date) loses its
            // roles like any disabled user (`leaving_roles`): never re-assigned
            // (`leaver-overrides-declared`; `validate` refuses roles on `enabled: false`).
            Some(_) if role == "principal" && declared && self.leaving.contains(upn) => {
                return None;
            }
            Some(_) if self.deleting.contains(upn) => Some((
                ErrorCode::ReferencedUserDeleted,
                format!(
                    "{role} `{upn}` would be deleted by `absent_users: delete`; declare the user or change the reference"
                ),
            )),
            Some(_) => None,
        };
        if let Some((code, message)) = problem {
            self.out.errors.push(PlanError {
                code,
                message,
                origin: origin.cloned(),
            });
        }
        found
    }

    /// Is this user in `scope.exclude` (never owned, never touched)?
    fn excluded(&self, upn: &Upn) -> bool {
        self.desired.tenant.scope.exclude.contains(upn)
    }

    /// A live holding (membership, ownership, role) of a user in
    /// `scope.exclude` that the repo does not declare: entraform leaves it
    /// and says so. True when `upn` is excluded (the caller plans nothing).
    fn kept_excluded(&mut self, upn: &Upn, object: &str, what: &str, keeps: &str) -> bool {
        if !self.excluded(upn) {
            return false;
        }
        self.notice(
            NoticeCode::ExcludedUser,
            object.to_string(),
            format!("`{upn}` {what} but is in `scope.exclude`: entraform never touches it, so it {keeps}"),
        );
        true
    }

    /// A declared member or principal that is in `scope.exclude` and would be added:
    /// report it (entraform never changes an excluded user) and plan nothing.
    fn refuse_excluded(&mut self, upn: &Upn, origin: &Origin, what: &str) {
        self.out.errors.push(PlanError {
            code: ErrorCode::ExcludedUser,
            message: format!(
                "`{upn}` is in `scope.exclude`, so entraform never adds it to or removes it from {what}; remove it from this list, or from `scope.exclude`"
            ),
            origin: Some(origin.clone()),
        });
    }

    fn principal(&self, id: &ObjectId) -> PrincipalRef {
        PrincipalRef {
            id: id.clone(),
            upn: self.live.user(id).map(|u| u.upn.clone()),
        }
    }
}

/// Every live user a plan at `now` leaves disabled, the way the diff decides
/// it: owned users the repo does not declare under `absent_users: disable`
/// (disabled now, or already), and declared users driven to `enabled: false`
/// (declared so, or their leave date passed). Not renamed ones.
fn leavers_of<'a>(
    desired: &DesiredState,
    live: &'a Live,
    now: Option<Moment>,
    renamed_ids: &HashSet<&ObjectId>,
) -> Vec<lifecycle::Leaver<'a>> {
    let tenant = &desired.tenant;
    let mut out = Vec::new();
    if tenant.absent_users == AbsentUsers::Disable {
        for u in live.users() {
            if is_guest(&u.upn)
                || !tenant.scope.owns(&u.upn)
                || desired.users.contains_key(&u.upn)
                || renamed_ids.contains(&u.id)
                // Synced and still enabled: not disabled (a `synced-user` notice says so).
                || (u.account_enabled && u.on_premises_sync_enabled)
            {
                continue;
            }
            out.push(lifecycle::Leaver {
                user: u,
                disabling_now: u.account_enabled,
            });
        }
    }
    for spec in desired.users.values() {
        if lifecycle::wanted_enabled(spec, now) == Some(false)
            && let Some(u) = live.user_of(&spec.upn)
        {
            out.push(lifecycle::Leaver {
                user: u,
                disabling_now: u.account_enabled,
            });
        }
    }
    out
}

/// The users whose authentication methods a plan at `now` needs: those the
/// leaver policy applies to (the rule [`diff_at`] uses: disabled by the plan
/// or staying disabled, not synced, excluded or departed), when the policy
/// has `remove_authentication_methods`; none otherwise. The caller reads
/// their methods (I/O at the edge) and adds them with [`Live::with_auth_methods`].
pub fn method_readers(desired: &DesiredState, live: &Live, now: Option<Moment>) -> Vec<ObjectId> {
    policy_users(
        desired,
        live,
        now,
        crate::desired::lifecycle::LeaverStep::RemoveAuthenticationMethods,
    )
}

/// The leavers whose devices a plan at `now` needs (the same rule as
/// [`method_readers`]), when the policy has `disable_owned_devices`. The
/// caller reads the devices they own and adds them with [`Live::with_devices`].
pub fn device_owners(desired: &DesiredState, live: &Live, now: Option<Moment>) -> Vec<ObjectId> {
    policy_users(
        desired,
        live,
        now,
        crate::desired::lifecycle::LeaverStep::DisableOwnedDevices,
    )
}

/// The users the leaver policy applies to at `now`, when it has `step`.
fn policy_users(
    desired: &DesiredState,
    live: &Live,
    now: Option<Moment>,
    step: crate::desired::lifecycle::LeaverStep,
) -> Vec<ObjectId> {
    let wants = desired
        .tenant
        .lifecycle
        .leaver
        .as_ref()
        .is_some_and(|p| p.has(step));
    if !wants {
        return Vec::new();
    }
    let (renamed, _) = renames::find(desired, live);
    let renamed_ids: HashSet<&ObjectId> = renamed.values().map(|u| &u.id).collect();
    let departures = lifecycle::departures(desired, live, now);
    let mut ids: Vec<ObjectId> = leavers_of(desired, live, now, &renamed_ids)
        .iter()
        .filter(|l| lifecycle::policy_applies(desired, &departures.departed, l.user))
        .map(|l| l.user.id.clone())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Compute the operations that take `live` to `desired`, without a clock: no
/// time-based rule applies (see [`diff_at`]).
pub fn diff(desired: &DesiredState, live: &Live) -> Diff {
    diff_at(desired, live, None)
}

/// Compute the operations that take `live` to `desired` at `now`: leave and
/// hire dates, `delete_after` and the leaver policy's recorded leave time are
/// decided against it (the clock is an input; see `lifecycle`).
pub fn diff_at(desired: &DesiredState, live: &Live, now: Option<Moment>) -> Diff {
    let tenant = &desired.tenant;
    let departures = lifecycle::departures(desired, live, now);
    let mut ops = Vec::new();
    let mut notices = Vec::new();
    let mut owned_users = 0u64;

    // Identities of declared users; renames in place (`previous_upns`).
    let mut declared: HashMap<Upn, UserRef> = HashMap::with_capacity(desired.users.len());
    let mut leaving: HashSet<Upn> = HashSet::new();
    let mut deleting: HashSet<Upn> = HashSet::new();
    let (renamed, rename_errors) = renames::find(desired, live);
    let renamed_ids: HashSet<&ObjectId> = renamed.values().map(|u| &u.id).collect();
    for (upn, spec) in &desired.users {
        let id = match live.user_of(upn).or_else(|| renamed.get(upn).copied()) {
            Some(u) => Some(u.id.clone()),
            None => live
                .deleted_by_upn(upn.as_str())
                .last()
                .map(|d| d.id.clone()),
        };
        if lifecycle::wanted_enabled(spec, now) == Some(false) {
            leaving.insert(upn.clone());
        }
        declared.insert(
            upn.clone(),
            UserRef {
                upn: upn.clone(),
                id,
            },
        );
    }

    // Owned live users that the repo does not declare.
    for u in live.users() {
        if is_guest(&u.upn) || !tenant.scope.owns(&u.upn) {
            continue;
        }
        owned_users += 1;
        if desired.users.contains_key(&u.upn) || renamed_ids.contains(&u.id) {
            continue;
        }
        let acts = match tenant.absent_users {
            AbsentUsers::Ignore => continue,
            AbsentUsers::Disable => u.account_enabled,
            AbsentUsers::Delete => true,
        };
        if !acts {
            leaving.insert(u.upn.clone());
            continue;
        }
        // A protected principal is planned like anyone else: the protected-principals gate
        // then stops the plan (exit 3) instead of the change being skipped quietly.
        if u.on_premises_sync_enabled {
            notices.push(Notice {
                code: NoticeCode::SyncedUser,
                object: u.upn.key(),
                message: format!(
                    "`{}` is not in the repo, but it is synced from on-premises AD and cannot be disabled or deleted in the cloud",
                    u.upn
                ),
            });
            continue;
        }
        let user = UserRef {
            upn: u.upn.clone(),
            id: Some(u.id.clone()),
        };
        leaving.insert(u.upn.clone());
        if tenant.absent_users == AbsentUsers::Delete {
            deleting.insert(u.upn.clone());
            ops.push(Op::DeleteUser { user });
        } else {
            ops.push(Op::DisableUser { user: user.clone() });
            ops.push(Op::RevokeSessions { user });
        }
    }
    // `delete_after` deletions: their references fail like `absent_users: delete`'s.
    for op in &departures.deletes {
        if let Op::DeleteUser { user } = op
            && !desired.users.contains_key(&user.upn)
        {
            deleting.insert(user.upn.clone());
        }
    }
    ops.extend(departures.deletes.iter().cloned());
    notices.extend(departures.notices.iter().cloned());
    notices.extend(lifecycle::date_notices(desired, now));

    let mut c = Ctx {
        desired,
        live,
        renamed: &renamed,
        declared: &declared,
        leaving: &leaving,
        deleting: &deleting,
        departed: &departures.departed,
        now,
        suggest: suggest::Suggester::default(),
        out: Diff {
            ops,
            notices,
            errors: rename_errors,
            owned_users,
        },
    };
    for spec in desired.users.values() {
        user_ops(&mut c, spec);
    }
    licenses::license_ops(&mut c);
    group_ops(&mut c);
    role_ops(&mut c);
    leaving_roles(&mut c);
    // The leaver policy, for declared leavers and absent ones alike.
    let leavers = leavers_of(desired, live, now, &renamed_ids);
    lifecycle::leaver_ops(desired, live, now, &leavers, c.departed, &mut c.out.ops);
    c.out.errors.extend(lifecycle::methods_unread(
        desired, live, &leavers, c.departed,
    ));
    let (kept, unread) = lifecycle::devices_kept(desired, live, &leavers, c.departed);
    c.out.notices.extend(kept);
    c.out.errors.extend(unread);

    let mut out = c.out;
    out.ops.sort();
    out.ops.dedup();
    // One assignment may be removed for two reasons (authoritative role, leaving user): keep one step.
    let mut removed: HashSet<String> = HashSet::new();
    out.ops.retain(|op| match op {
        Op::RemoveRole { assignment_id, .. } => removed.insert(assignment_id.clone()),
        Op::CreateUser { .. }
        | Op::InviteGuest { .. }
        | Op::RestoreUser { .. }
        | Op::UpdateUser { .. }
        | Op::EnableUser { .. }
        | Op::DisableUser { .. }
        | Op::RevokeSessions { .. }
        | Op::ResetPassword { .. }
        | Op::CreateTemporaryAccessPass { .. }
        | Op::DeleteUser { .. }
        | Op::SetManager { .. }
        | Op::RemoveManager { .. }
        | Op::CreateGroup { .. }
        | Op::UpdateGroup { .. }
        | Op::AddMember { .. }
        | Op::RemoveMember { .. }
        | Op::AddOwner { .. }
        | Op::RemoveOwner { .. }
        | Op::AssignRole { .. }
        | Op::AssignLicenses { .. }
        | Op::RenameUser { .. }
        | Op::AssignRoleSchedule { .. }
        | Op::UpdateRoleSchedule { .. }
        | Op::RemoveRoleSchedule { .. }
        | Op::RemoveAuthenticationMethod { .. }
        | Op::DisableDevice { .. } => true,
    });
    withhold_restricted(&mut out, live);
    out.notices
        .extend(lifecycle::offboarding_notices(desired, &leavers, &out.ops));
    out.notices.extend(lifecycle::override_notices(
        desired,
        live,
        now,
        &departures.departed,
    ));
    if let Some(why) = live.pim_unknown_reason() {
        out.notices.push(Notice {
            code: NoticeCode::PimUnavailable,
            object: "tenant".to_string(),
            message: format!(
                "PIM eligibilities and time-bound assignments are not compared: {why}"
            ),
        });
    }
    out.notices.sort();
    out.notices.dedup();
    out.errors.sort();
    out.errors.dedup();
    out
}

fn user_ops(c: &mut Ctx<'_>, spec: &UserSpec) {
    if c.departed.contains(&spec.upn) {
        // Deleted by `delete_after` (now or before): the deletion is its only step.
        return;
    }
    let live_user = c.live_user(&spec.upn);
    let enabled = lifecycle::wanted_enabled(spec, c.now);
    let hire_pending = lifecycle::hire_pending(spec, c.now).is_some();
    let Some(me) = c.declared.get(&spec.upn).cloned() else {
        return;
    };
    let mut ops: Vec<Op> = Vec::new();
    if let Some(lu) = c.renamed.get(&spec.upn).copied() {
        ops.push(Op::RenameUser {
            user: UserRef {
                upn: lu.upn.clone(),
                id: Some(lu.id.clone()),
            },
            new_upn: spec.upn.clone(),
        });
    }
    let mut changes: Vec<AttrChange> = Vec::new();
    let mut live_manager: Option<&ObjectId> = None;
    match live_user {
        Some(lu) => {
            for (attr, want) in &spec.attributes {
                if !same_attr(lu, *attr, want.as_ref()) {
                    changes.push(AttrChange {
                        attr: *attr,
                        old: live_attr(lu, *attr),
                        new: want.clone(),
                    });
                }
            }
            match enabled {
                Some(true) if !lu.account_enabled && !hire_pending => {
                    ops.push(Op::EnableUser { user: me.clone() });
                }
                Some(false) if lu.account_enabled => {
                    ops.push(Op::DisableUser { user: me.clone() });
                    ops.push(Op::RevokeSessions { user: me.clone() });
                }
                _ => {}
            }
            live_manager = lu.manager.as_ref();
            ops.extend(lifecycle::marker_ops(spec, lu, &me, c.now));
        }
        None if me.id.is_some() => {
            // In deleted items: restore, then set everything the repo manages
            // — but what no application may update (employeeHireDate): the
            // restored user keeps its own, and the next plan compares it.
            ops.push(Op::RestoreUser { user: me.clone() });
            changes = spec
                .attributes
                .iter()
                .filter(|(a, _)| {
                    !crate::model::permissions::NOT_APP_UPDATABLE.contains(&a.graph_name())
                })
                // The restored user's own values are not read: a member of an
                // object Graph replaces whole is sent only with all its
                // siblings declared (else the next plan, which sees the
                // restored user, PATCHes it with their live values).
                .filter(|(a, _)| whole_object_declared(spec, **a))
                .map(|(a, v)| AttrChange {
                    attr: *a,
                    old: None,
                    new: v.clone(),
                })
                .collect();
            match enabled {
                Some(true) if !hire_pending => ops.push(Op::EnableUser { user: me.clone() }),
                Some(false) => ops.push(Op::DisableUser { user: me.clone() }),
                Some(true) | None => {}
            }
            // The manager link does not survive deletion: treat it as unset.
        }
        None if spec.invite.is_some() => {
            if let Some(invite) = &spec.invite {
                let (op, rest) = guests::invite(&spec.upn, invite, &spec.attributes);
                ops.push(op);
                changes = rest;
                if spec.enabled == Some(false) {
                    ops.push(Op::DisableUser { user: me.clone() });
                }
            }
        }
        None => {
            let mut attributes: BTreeMap<Attr, AttrValue> = spec
                .attributes
                .iter()
                .filter_map(|(a, v)| v.clone().map(|v| (*a, v)))
                .collect();
            if is_guest_upn(spec.upn.as_str()) {
                c.out.errors.push(PlanError {
                    code: ErrorCode::GuestUpnNotCreatable,
                    message: format!(
                        "`{}` does not exist yet and is a guest UPN (`#EXT#`), which Graph chooses when a guest is invited; a user cannot be created with it. Guests are invited through POST /invitations: give the entry an `invite:` block (`email`, `redirect_url`), or invite the guest in the portal and then declare it",
                        spec.upn
                    ),
                    origin: Some(spec.origin.clone()),
                });
                return;
            }
            if !attributes.contains_key(&Attr::DisplayName) {
                c.out.errors.push(PlanError {
                    code: ErrorCode::MissingDisplayName,
                    message: format!(
                        "`{}` does not exist yet and has no displayName, which Graph requires to create a user; add `displayName:`",
                        spec.upn
                    ),
                    origin: Some(spec.origin.clone()),
                });
                return;
            }
            attributes
                .entry(Attr::MailNickname)
                .or_insert_with(|| AttrValue::Text(derive_mail_nickname(spec.upn.local_part())));
            ops.push(Op::CreateUser {
                upn: spec.upn.clone(),
                attributes,
                enabled: enabled.unwrap_or(true) && !hire_pending,
                password: spec.password.clone(),
            });
            // Onboarding: a Temporary Access Pass, issued once, on create.
            if let Some(tap) = spec.tap {
                ops.push(Op::CreateTemporaryAccessPass {
                    user: me.clone(),
                    lifetime_minutes: tap.lifetime_minutes,
                    one_time: tap.one_time,
                });
            }
        }
    }
    if !changes.is_empty() {
        let keep = live_user.map_or_else(BTreeMap::new, |lu| kept_members(lu, &changes));
        ops.push(Op::UpdateUser {
            user: me.clone(),
            changes,
            keep,
        });
    }
    match &spec.manager {
        Some(ManagerSpec::Set(m)) => {
            if let Some(found) = c.find(m, spec.manager_origin.as_ref(), "manager") {
                let same =
                    live_user.is_some() && found.id().is_some() && found.id() == live_manager;
                if !same {
                    let previous = live_manager.map(|id| c.principal(id));
                    ops.push(Op::SetManager {
                        user: me.clone(),
                        manager: found.to_ref(),
                        previous,
                    });
                }
            }
        }
        Some(ManagerSpec::Remove) => {
            if let Some(id) = live_manager {
                let previous = c.principal(id);
                ops.push(Op::RemoveManager {
                    user: me.clone(),
                    previous,
                });
            }
        }
        None => {}
    }
    if live_user.is_some_and(|u| u.on_premises_sync_enabled) {
        let blocked: Vec<&str> = ops.iter().map(Op::kind).collect();
        if !blocked.is_empty() {
            c.notice(
                NoticeCode::SyncedUser,
                spec.upn.key(),
                format!(
                    "`{}` is synced from on-premises AD; these changes must be made there: {}",
                    spec.upn,
                    blocked.join(", ")
                ),
            );
        }
        return;
    }
    c.out.ops.extend(ops);
}

fn group_ops(c: &mut Ctx<'_>) {
    for spec in c.desired.groups.values() {
        let object = format!("group:{}", spec.name);
        let named = c.live.groups_named(&spec.name);
        if named.len() > 1 {
            c.out.errors.push(PlanError {
                code: ErrorCode::AmbiguousGroup,
                message: format!(
                    "{} groups in the tenant are named `{}`; rename all but one so the repo can tell them apart",
                    named.len(),
                    spec.name
                ),
                origin: Some(spec.origin.clone()),
            });
            continue;
        }
        let live_group = named.first().copied();
        let group = GroupRef {
            name: live_group.map_or_else(|| spec.name.clone(), |g| g.display_name.clone()),
            id: live_group.map(|g| g.id.clone()),
        };
        match live_group {
            None if spec.membership == Membership::Dynamic => {
                let hint = c.suggest.name(
                    &spec.name,
                    c.live
                        .groups()
                        .iter()
                        .filter(|g| g.is_dynamic())
                        .map(|g| g.display_name.as_str()),
                );
                c.out.errors.push(PlanError {
                    code: ErrorCode::UnknownGroup,
                    message: suggest::with_hint(
                        format!(
                            "dynamic group `{}` does not exist in the tenant; entraform does not create dynamic groups — create it in Entra or remove `dynamic: true`",
                            spec.name
                        ),
                        hint,
                    ),
                    origin: Some(spec.origin.clone()),
                });
                continue;
            }
            None => {
                // Never ownerless: the declared owners, else the running service principal.
                let mut owners = wanted_owners(c, spec, &object);
                let later = owners.split_off(owners.len().min(CREATE_OWNERS));
                c.out.ops.push(Op::CreateGroup {
                    name: spec.name.clone(),
                    mail_nickname: spec
                        .mail_nickname
                        .clone()
                        .unwrap_or_else(|| derive_mail_nickname(&spec.name)),
                    description: spec.description.clone().flatten(),
                    kind: spec.kind,
                    owners,
                });
                for owner in later {
                    c.out.ops.push(Op::AddOwner {
                        group: group.clone(),
                        owner,
                    });
                }
            }
            Some(lg) => {
                if lg.on_premises_sync_enabled {
                    c.notice(
                        NoticeCode::SyncedGroup,
                        object.clone(),
                        format!("`{}` is synced from on-premises AD; its members and description must be changed there", spec.name),
                    );
                    continue;
                }
                if spec.owners.is_some() {
                    owner_ops(c, spec, lg, &group, &object);
                }
                if let Some(want) = &spec.description {
                    let have = lg.description.clone().filter(|d| !d.is_empty());
                    if *want != have {
                        c.out.ops.push(Op::UpdateGroup {
                            group: group.clone(),
                            old_description: have,
                            new_description: want.clone(),
                        });
                    }
                }
                if lg.is_dynamic() {
                    if spec.membership != Membership::Dynamic {
                        c.notice(
                            NoticeCode::DynamicGroup,
                            object.clone(),
                            format!(
                                "`{}` is a dynamic group in the tenant; its members come from its rule and are not changed (mark it `dynamic: true`)",
                                spec.name
                            ),
                        );
                    }
                    continue;
                }
                if spec.membership == Membership::Dynamic {
                    c.notice(
                        NoticeCode::DynamicGroup,
                        object.clone(),
                        format!("`{}` is declared dynamic but has no membership rule in the tenant; its members are left alone", spec.name),
                    );
                    continue;
                }
            }
        }
        // Members.
        let live_members: HashSet<&ObjectId> = live_group
            .map(|g| g.members.iter().map(|m| &m.id).collect())
            .unwrap_or_default();
        let mut wanted_ids: HashSet<&ObjectId> = HashSet::with_capacity(spec.members.len());
        for (upn, origin) in &spec.members {
            if let Some(until) = spec.until.get(upn)
                && let Some(now) = c.now
            {
                if *until <= now {
                    // Expired: removed whatever the membership mode, never added.
                    if let Some(u) = c.live.user_of(upn)
                        && live_members.contains(&u.id)
                        && !c.excluded(upn)
                    {
                        let member = c.principal(&u.id);
                        c.out.ops.push(Op::RemoveMember {
                            group: group.clone(),
                            member,
                        });
                    }
                    continue;
                }
                if until.0 - now.0 <= i64::from(c.desired.tenant.lifecycle.upcoming_days) * 86_400 {
                    c.notice(
                        NoticeCode::Upcoming,
                        object.clone(),
                        format!(
                            "`{upn}`'s membership of `{}` ends on {} (`until`): the first plan after that removes it",
                            spec.name,
                            until.to_rfc3339()
                        ),
                    );
                }
            }
            let Some(found) = c.find(upn, Some(origin), "member") else {
                continue;
            };
            let id = found.id();
            if let Some(id) = id {
                wanted_ids.insert(id);
            }
            if !id.is_some_and(|id| live_members.contains(id)) {
                if c.excluded(upn) {
                    c.refuse_excluded(upn, origin, &format!("group `{}`", spec.name));
                    continue;
                }
                // Offboarded by the leaver policy: not added back (`leaver-overrides-declared`).
                if !lifecycle::kept_group(c.desired, &spec.name)
                    && lifecycle::overrides(
                        c.desired,
                        c.live,
                        c.now,
                        upn,
                        LeaverStep::RemoveGroupMemberships,
                    )
                {
                    continue;
                }
                c.out.ops.push(Op::AddMember {
                    group: group.clone(),
                    member: found.to_ref(),
                });
            }
        }
        if spec.membership == Membership::Authoritative
            && let Some(lg) = live_group
        {
            let mut others = 0usize;
            for m in &lg.members {
                if m.kind != ObjectKind::User {
                    others += 1;
                    continue;
                }
                if !wanted_ids.contains(&m.id) {
                    if let Some(u) = c.live.user(&m.id)
                        && c.kept_excluded(
                            &u.upn,
                            &object,
                            &format!("is a member of `{}`", spec.name),
                            "stays a member",
                        )
                    {
                        continue;
                    }
                    let member = c.principal(&m.id);
                    c.out.ops.push(Op::RemoveMember {
                        group: group.clone(),
                        member,
                    });
                }
            }
            if others > 0 {
                c.notice(
                    NoticeCode::NonUserMembers,
                    object.clone(),
                    format!(
                        "`{}` has {others} member(s) that are not users (groups, devices, service principals); entraform leaves them alone",
                        spec.name
                    ),
                );
            }
        }
    }
}

/// A group's declared owners, resolved; for a group without `owners:`, the
/// running service principal (a group is never created ownerless). A user
/// owner in `scope.exclude` is refused like an excluded member.
fn wanted_owners(c: &mut Ctx<'_>, spec: &GroupSpec, object: &str) -> Vec<OwnerRef> {
    let declared: Vec<(OwnerSpec, Option<Origin>)> = match &spec.owners {
        Some(list) => list
            .iter()
            .map(|(o, at)| (o.clone(), Some(at.clone())))
            .collect(),
        None => vec![(OwnerSpec::App, None)],
    };
    let mut out = Vec::with_capacity(declared.len());
    for (o, origin) in declared {
        match o {
            OwnerSpec::User(upn) => {
                let Some(found) = c.find(&upn, origin.as_ref(), "owner") else {
                    continue;
                };
                if c.excluded(&upn) {
                    let at = origin.unwrap_or_else(|| spec.origin.clone());
                    c.refuse_excluded(&upn, &at, &format!("the owners of group `{}`", spec.name));
                    continue;
                }
                let r = found.to_ref();
                out.push(OwnerRef::User {
                    upn: r.upn,
                    id: r.id,
                });
            }
            OwnerSpec::App => match c.live.principal().and_then(|p| p.id.clone()) {
                Some(id) => out.push(OwnerRef::ServicePrincipal { id }),
                None => c.out.errors.push(PlanError {
                    code: ErrorCode::UnknownRunningPrincipal,
                    message: format!(
                        "{object}: the service principal entraform runs as could not be determined (no `oid` in the token and no service principal found), so it cannot be made owner{}; name the owners under `owners:` (a user, or `servicePrincipal: <object id>`)",
                        if spec.owners.is_none() {
                            " of a group that declares none"
                        } else {
                            ""
                        }
                    ),
                    origin: origin.or_else(|| Some(spec.origin.clone())),
                }),
            },
            OwnerSpec::ServicePrincipal(id) => out.push(OwnerRef::ServicePrincipal {
                id: ObjectId(id),
            }),
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Owner changes of an existing group that declares `owners:`: add the
/// missing ones; remove the others unless the group is `membership:
/// additive` (an excluded user stays, with a notice). Graph refuses removing
/// a group's last owner, so the plan orders additions first.
fn owner_ops(c: &mut Ctx<'_>, spec: &GroupSpec, lg: &LiveGroup, group: &GroupRef, object: &str) {
    let wanted = wanted_owners(c, spec, object);
    let wanted_ids: HashSet<&ObjectId> = wanted.iter().filter_map(OwnerRef::id).collect();
    for o in &wanted {
        if !o.id().is_some_and(|id| lg.has_owner(id)) {
            c.out.ops.push(Op::AddOwner {
                group: group.clone(),
                owner: o.clone(),
            });
        }
    }
    if spec.membership == Membership::Additive || wanted.is_empty() {
        return;
    }
    for m in &lg.owners {
        if wanted_ids.contains(&m.id) {
            continue;
        }
        if let Some(u) = c.live.user(&m.id)
            && c.kept_excluded(
                &u.upn,
                object,
                &format!("is an owner of `{}`", spec.name),
                "stays an owner",
            )
        {
            continue;
        }
        let owner = c.principal(&m.id);
        c.out.ops.push(Op::RemoveOwner {
            group: group.clone(),
            owner,
        });
    }
}

fn role_ops(c: &mut Ctx<'_>) {
    for spec in c.desired.roles.values() {
        let key = spec
            .template_id
            .clone()
            .unwrap_or_else(|| spec.display_name.clone());
        let Some(def) = c
            .live
            .role(&key)
            .or_else(|| c.live.role(&spec.display_name))
        else {
            let hint = c.suggest.name(
                &spec.display_name,
                c.live
                    .role_definitions()
                    .iter()
                    .map(|d| d.display_name.as_str()),
            );
            c.out.errors.push(PlanError {
                code: ErrorCode::UnknownRole,
                message: suggest::with_hint(
                    format!(
                        "role `{}` does not exist in the tenant; create the custom role first or fix the name",
                        spec.display_name
                    ),
                    hint,
                ),
                origin: Some(spec.origin.clone()),
            });
            continue;
        };
        let role = RoleRef {
            name: def.display_name.clone(),
            definition_id: def.id.clone(),
        };
        let object = format!("role:{}", role.name);
        // Activations and time-bound assignments are PIM's (`roles_pim`):
        // only plain assignments are compared and removed here.
        let pim_managed = c.live.pim_managed_assignments();
        let assignments: Vec<_> = c
            .live
            .assignments_of_role(&def.id)
            .into_iter()
            .filter(|a| !pim_managed.contains(a.id.as_str()))
            .collect();
        let assigned: HashSet<&ObjectId> = assignments.iter().map(|a| &a.principal_id).collect();
        let mut wanted_ids: HashSet<&ObjectId> = HashSet::new();
        // A declared time-bound tenant-scope assignment keeps the principal's
        // plain one: `roles_pim` gives it its end date (adminUpdate).
        for h in &spec.holdings {
            if h.holding == crate::plan::op::Holding::Active
                && h.scope.is_none()
                && let Some(id) = c
                    .declared
                    .get(&h.upn)
                    .and_then(|r| r.id.as_ref())
                    .or_else(|| c.live.user_of(&h.upn).map(|u| &u.id))
            {
                wanted_ids.insert(id);
            }
        }
        for (upn, origin) in &spec.principals {
            let Some(found) = c.find(upn, Some(origin), "principal") else {
                continue;
            };
            let id = found.id();
            if let Some(id) = id {
                wanted_ids.insert(id);
            }
            if !id.is_some_and(|id| assigned.contains(id)) {
                if c.excluded(upn) {
                    c.refuse_excluded(upn, origin, &format!("role `{}`", role.name));
                    continue;
                }
                if let Some(id) = id
                    && roles_pim::permanent(c, &role, id)
                {
                    continue;
                }
                c.out.ops.push(Op::AssignRole {
                    role: role.clone(),
                    principal: found.to_ref(),
                });
            }
        }
        roles_pim::role_ops(c, spec, &role);
        if !spec.authoritative {
            continue;
        }
        let mut non_users = 0usize;
        for a in assignments {
            let Some(u) = c.live.user(&a.principal_id) else {
                non_users += 1;
                continue;
            };
            if wanted_ids.contains(&a.principal_id) {
                continue;
            }
            if c.kept_excluded(
                &u.upn,
                &object,
                &format!("holds {}", role.name),
                "keeps the role",
            ) {
                continue;
            }
            let principal = c.principal(&a.principal_id);
            c.out.ops.push(Op::RemoveRole {
                role: role.clone(),
                principal,
                assignment_id: a.id.clone(),
            });
        }
        if non_users > 0 {
            c.notice(
                NoticeCode::NonUserPrincipals,
                object,
                format!(
                    "{} is also assigned to {non_users} non-user principal(s) (service principals, groups); entraform leaves them alone",
                    role.name
                ),
            );
        }
    }
}

/// Users who end disabled or deleted lose every tenant-scope role (for a protected
/// principal the protected-principals gate then stops the plan).
fn leaving_roles(c: &mut Ctx<'_>) {
    let mut leaving: Vec<&Upn> = c.leaving.iter().collect();
    leaving.sort();
    for upn in leaving {
        let Some(u) = c.live_user(upn) else {
            continue;
        };
        if c.excluded(&u.upn) {
            continue;
        }
        roles_pim::leaving(c, &u.id);
        let pim_managed = c.live.pim_managed_assignments();
        for a in c.live.assignments_of(&u.id) {
            if pim_managed.contains(a.id.as_str()) {
                continue;
            }
            let name = c
                .live
                .role(&a.role_definition_id)
                .map_or_else(|| a.role_definition_id.clone(), |d| d.display_name.clone());
            let principal = c.principal(&a.principal_id);
            c.out.ops.push(Op::RemoveRole {
                role: RoleRef {
                    name,
                    definition_id: a.role_definition_id.clone(),
                },
                principal,
                assignment_id: a.id.clone(),
            });
        }
    }
}

/// The existing object an operation modifies, as far as restricted management
/// administrative units are concerned: (object id, notice object key, name).
///
/// Blocked for a tenant-scope principal (Microsoft's "Restricted management
/// administrative units", *What types of operations are blocked?*): any
/// property of a member user or group (incl. `accountEnabled`), deleting it,
/// and the members of a member group. Adding a restricted user to an ordinary
/// group is allowed there (it writes the group), so memberships are filed
/// under the group. The page does not mention the manager link, session
/// revocation or role assignments; they are treated as writes to the user.
fn modified_object(op: &Op) -> Option<(&ObjectId, String, String)> {
    fn user(u: &UserRef) -> Option<(&ObjectId, String, String)> {
        u.id.as_ref()
            .map(|id| (id, u.upn.key(), u.upn.as_str().to_string()))
    }
    match op {
        Op::UpdateUser { user: u, .. }
        | Op::EnableUser { user: u }
        | Op::DisableUser { user: u }
        | Op::RevokeSessions { user: u }
        | Op::ResetPassword { user: u, .. }
        | Op::CreateTemporaryAccessPass { user: u, .. }
        | Op::DeleteUser { user: u }
        | Op::SetManager { user: u, .. }
        | Op::RemoveManager { user: u, .. }
        | Op::AssignLicenses { user: u, .. }
        | Op::RemoveAuthenticationMethod { user: u, .. }
        | Op::DisableDevice { owner: u, .. }
        | Op::RenameUser { user: u, .. } => user(u),
        Op::AssignRole { principal, .. } | Op::AssignRoleSchedule { principal, .. } => {
            user(principal)
        }
        Op::RemoveRole { principal, .. }
        | Op::UpdateRoleSchedule { principal, .. }
        | Op::RemoveRoleSchedule { principal, .. } => Some(match &principal.upn {
            Some(upn) => (&principal.id, upn.key(), upn.as_str().to_string()),
            None => (
                &principal.id,
                principal.id.0.clone(),
                principal.id.0.clone(),
            ),
        }),
        Op::UpdateGroup { group, .. }
        | Op::AddMember { group, .. }
        | Op::RemoveMember { group, .. }
        | Op::AddOwner { group, .. }
        | Op::RemoveOwner { group, .. } => group
            .id
            .as_ref()
            .map(|id| (id, format!("group:{}", group.name), group.name.clone())),
        Op::CreateUser { .. }
        | Op::InviteGuest { .. }
        | Op::RestoreUser { .. }
        | Op::CreateGroup { .. } => None,
    }
}

/// Leave out the operations a tenant-scope principal would get `403` for
/// (members of restricted management administrative units) and say so: one
/// `restricted-au` notice per object, naming the unit(s) and the operations
/// not planned. When the units could not be read, one `restricted-au-unknown`
/// notice says that such operations may fail at apply.
fn withhold_restricted(out: &mut Diff, live: &Live) {
    if let Some(why) = live.restricted_unknown_reason()
        && !out.ops.is_empty()
    {
        out.notices.push(Notice {
            code: NoticeCode::RestrictedAuUnknown,
            object: "tenant".to_string(),
            message: format!("restricted management administrative units are unknown: {why}"),
        });
    }
    if live.restricted_units().is_empty() {
        return;
    }
    // object key → (name, units, operation kinds in plan order)
    let mut held: BTreeMap<String, (String, String, Vec<&'static str>)> = BTreeMap::new();
    out.ops.retain(|op| {
        let Some((id, key, name)) = modified_object(op) else {
            return true;
        };
        let Some(units) = live.restricted(id) else {
            return true;
        };
        let entry = held
            .entry(key)
            .or_insert_with(|| (name, units.to_string(), Vec::new()));
        if !entry.2.contains(&op.kind()) {
            entry.2.push(op.kind());
        }
        false
    });
    for (object, (name, units, kinds)) in held {
        let units = units.replace(", ", "`, `");
        out.notices.push(Notice {
            code: NoticeCode::RestrictedAu,
            object,
            message: format!(
                "`{name}` cannot be changed by this principal: member of restricted administrative unit `{units}`; use an AU-scoped administrator. Not planned: {}",
                kinds.join(", ")
            ),
        });
    }
}

/// Whether a UPN is a B2B guest's (`<local>_<domain>#EXT#@<initial domain>`,
/// invitation-post): Graph builds it when it invites a guest, so no user can
/// be created with it.
fn is_guest_upn(upn: &str) -> bool {
    upn.to_ascii_uppercase().contains("#EXT#@")
}
