//! Time and the leaver policy in the diff (pure: `now` is a value).
//!
//! - A declared `employeeLeaveDateTime` that has passed makes the user a
//!   leaver (`enabled: false`); one within `lifecycle.upcoming_days` is an
//!   `upcoming` notice.
//! - A declared `employeeHireDate` after `now` keeps the account disabled:
//!   created disabled, not enabled before that day (`hire-date-pending`).
//! - `tenant.lifecycle.leaver` turns "this user is disabled" into steps, each
//!   its own operation: `reset_password` in the plan that disables; removal of
//!   group memberships whenever the disabled user still has some; the disable
//!   time written to `employeeLeaveDateTime` (in Graph, not in a local file);
//!   and, `delete_after:` that time, a soft delete. A declared leaver deleted
//!   that way is *departed*: neither restored nor created again.
//!
//! Without a clock (`now` is `None`, [`super::diff`]) nothing here depends on
//! time: no leave date passes, no hire date holds, nothing is recorded or deleted.

use std::collections::{BTreeMap, HashSet};

use crate::desired::lifecycle::{LeaverPolicy, LeaverStep};
use crate::desired::state::{AbsentUsers, DesiredState, UserSpec};
use crate::model::attrs::{Attr, AttrValue};
use crate::model::clock::Moment;
use crate::model::live::{Live, LiveUser, live_attr};
use crate::model::{ObjectId, Upn};
use crate::plan::op::{AttrChange, GroupRef, Notice, NoticeCode, Op, PrincipalRef, UserRef};

/// A declared date attribute (`None` when not declared, cleared, or not a date).
fn declared_date(spec: &UserSpec, attr: Attr) -> Option<Moment> {
    match spec.attributes.get(&attr) {
        Some(Some(AttrValue::Text(t))) => Moment::parse(t),
        Some(Some(AttrValue::List(_)) | None) | None => None,
    }
}

/// A live user's `employeeLeaveDateTime`: when it left (recorded at disable).
pub(super) fn live_leave(u: &LiveUser) -> Option<Moment> {
    match live_attr(u, Attr::EmployeeLeaveDateTime) {
        Some(AttrValue::Text(t)) => Moment::parse(&t),
        Some(AttrValue::List(_)) | None => None,
    }
}

/// The hire date, when it is still ahead of `now`.
pub(super) fn hire_pending(spec: &UserSpec, now: Option<Moment>) -> Option<Moment> {
    let now = now?;
    declared_date(spec, Attr::EmployeeHireDate).filter(|d| *d > now)
}

/// The `enabled` the plan drives a declared user to: `false` once its leave
/// date has passed, else what the repo says.
pub(super) fn wanted_enabled(spec: &UserSpec, now: Option<Moment>) -> Option<bool> {
    match now {
        Some(now) if declared_date(spec, Attr::EmployeeLeaveDateTime).is_some_and(|d| d <= now) => {
            Some(false)
        }
        Some(_) | None => spec.enabled,
    }
}

/// Declared leavers the policy has deleted or deletes in this plan.
#[derive(Debug, Default)]
pub(super) struct Departures {
    /// UPNs whose references the diff ignores (no restore, no create).
    pub departed: HashSet<Upn>,
    /// The deletions due now (declared and absent leavers).
    pub deletes: Vec<Op>,
    /// `departed-user` and `upcoming` notices.
    pub notices: Vec<Notice>,
}

/// When a leaver is deleted: its leave time plus `delete_after`. The leave
/// time is the declared leave date (then the user may still be enabled: a
/// deletion already due replaces the offboarding, as the next plan would
/// delete it anyway), else the time recorded in Graph for a disabled user.
fn delete_at(u: &LiveUser, policy: &LeaverPolicy, declared: Option<Moment>) -> Option<Moment> {
    let after = policy.delete_after?;
    let left = match declared {
        Some(d) => d,
        None if u.account_enabled => return None,
        None => live_leave(u)?,
    };
    Some(left.plus(after))
}

fn day_window(desired: &DesiredState) -> i64 {
    i64::from(desired.tenant.lifecycle.upcoming_days) * 86_400
}

/// Which leavers `delete_after` removes now (and which it already removed).
pub(super) fn departures(desired: &DesiredState, live: &Live, now: Option<Moment>) -> Departures {
    let mut out = Departures::default();
    let (Some(now), Some(policy)) = (now, desired.tenant.lifecycle.leaver.as_ref()) else {
        return out;
    };
    if policy.delete_after.is_none() {
        return out;
    }
    let window = day_window(desired);
    let scope = &desired.tenant.scope;
    let consider = |u: &LiveUser, declared: Option<Moment>, out: &mut Departures| -> bool {
        if u.on_premises_sync_enabled || scope.exclude.contains(&u.upn) {
            return false;
        }
        let Some(at) = delete_at(u, policy, declared) else {
            return false;
        };
        if at <= now {
            out.deletes.push(Op::DeleteUser {
                user: UserRef {
                    upn: u.upn.clone(),
                    id: Some(u.id.clone()),
                },
            });
            return true;
        }
        if at.0 - now.0 <= window {
            out.notices.push(Notice {
                code: NoticeCode::Upcoming,
                object: u.upn.key(),
                message: format!(
                    "`{}` will be deleted on {} (`delete_after`, counted from its leave time {} in employeeLeaveDateTime)",
                    u.upn,
                    at.date(),
                    live_leave(u).map(Moment::date).unwrap_or_default()
                ),
            });
        }
        false
    };
    for spec in desired.users.values() {
        if wanted_enabled(spec, Some(now)) != Some(false) {
            continue;
        }
        match live.user_of(&spec.upn) {
            Some(u)
                if consider(
                    u,
                    declared_date(spec, Attr::EmployeeLeaveDateTime).filter(|d| *d <= now),
                    &mut out,
                ) =>
            {
                out.departed.insert(spec.upn.clone());
            }
            Some(_) => {}
            None if !live.deleted_by_upn(spec.upn.as_str()).is_empty() => {
                out.departed.insert(spec.upn.clone());
                out.notices.push(Notice {
                    code: NoticeCode::DepartedUser,
                    object: spec.upn.key(),
                    message: format!(
                        "`{}` left and is in deleted items (`delete_after`); it is not restored, and references to it are ignored: remove it from the repo",
                        spec.upn
                    ),
                });
            }
            None => {}
        }
    }
    if desired.tenant.absent_users == AbsentUsers::Disable {
        for u in live.users() {
            if scope.owns(&u.upn) && !desired.users.contains_key(&u.upn) && !is_guest(&u.upn) {
                consider(u, None, &mut out);
            }
        }
    }
    out
}

fn is_guest(upn: &Upn) -> bool {
    upn.as_str().to_ascii_uppercase().contains("#EXT#")
}

/// Notices for dates ahead: leave dates within the window, hire dates still to come.
pub(super) fn date_notices(desired: &DesiredState, now: Option<Moment>) -> Vec<Notice> {
    let Some(now) = now else {
        return Vec::new();
    };
    let window = day_window(desired);
    let mut out = Vec::new();
    for spec in desired.users.values() {
        if let Some(d) = declared_date(spec, Attr::EmployeeLeaveDateTime)
            && d > now
            && d.0 - now.0 <= window
            && spec.enabled != Some(false)
        {
            out.push(Notice {
                code: NoticeCode::Upcoming,
                object: spec.upn.key(),
                message: format!(
                    "`{}` leaves on {} (employeeLeaveDateTime): the first plan after that disables and offboards it",
                    spec.upn,
                    d.to_rfc3339()
                ),
            });
        }
        if let Some(d) = hire_pending(spec, Some(now)) {
            let how = if spec.enabled == Some(true) {
                "it is enabled by the first plan on or after that day"
            } else {
                "add `enabled: true` to have it enabled by the first plan on or after that day"
            };
            out.push(Notice {
                code: NoticeCode::HireDatePending,
                object: spec.upn.key(),
                message: format!(
                    "`{}` starts on {} (employeeHireDate): the account stays disabled until then; {how}",
                    spec.upn,
                    d.date()
                ),
            });
        }
    }
    out
}

/// A leaver: a live user the plan leaves disabled, and whether this plan disables it.
pub(super) struct Leaver<'a> {
    /// The live user.
    pub user: &'a LiveUser,
    /// Disabled by this plan (event steps run only then).
    pub disabling_now: bool,
}

/// The leaver policy's steps for `leavers` (not the departed: their delete
/// covers the rest), added to `ops`; `offboarding` notices are made later,
/// from the final operations ([`offboarding_notices`]).
pub(super) fn leaver_ops(
    desired: &DesiredState,
    live: &Live,
    now: Option<Moment>,
    leavers: &[Leaver<'_>],
    departed: &HashSet<Upn>,
    ops: &mut Vec<Op>,
) {
    let Some(policy) = desired.tenant.lifecycle.leaver.as_ref() else {
        return;
    };
    for l in leavers {
        let u = l.user;
        if !policy_applies(desired, departed, u) {
            continue;
        }
        let me = UserRef {
            upn: u.upn.clone(),
            id: Some(u.id.clone()),
        };
        if l.disabling_now && policy.has(LeaverStep::ResetPassword) {
            ops.push(Op::ResetPassword {
                user: me.clone(),
                keep: false,
            });
        }
        if policy.has(LeaverStep::RemoveGroupMemberships) {
            for g in live.groups_of(&u.id) {
                let name = g.display_name.to_lowercase();
                if g.is_dynamic()
                    || g.on_premises_sync_enabled
                    || policy.keep_groups.contains(&name)
                {
                    continue;
                }
                ops.push(Op::RemoveMember {
                    group: GroupRef {
                        name: g.display_name.clone(),
                        id: Some(g.id.clone()),
                    },
                    member: PrincipalRef {
                        id: u.id.clone(),
                        upn: Some(u.upn.clone()),
                    },
                });
            }
        }
        if policy.has(LeaverStep::RemoveLicenses) {
            remove_licenses(live, u, &me, ops);
        }
        // Every enabled Windows device the leaver owns (others: `devices_kept`).
        if policy.has(LeaverStep::DisableOwnedDevices)
            && let Some(devices) = live.devices()
        {
            for d in devices.owned_by(&u.id) {
                if d.account_enabled && d.app_may_disable() {
                    ops.push(Op::DisableDevice {
                        owner: me.clone(),
                        device: d.device.clone(),
                    });
                }
            }
        }
        // Every removable method as read for this plan (the password stays);
        // unread methods are a plan error (`methods_unread`).
        if policy.has(LeaverStep::RemoveAuthenticationMethods)
            && let Some(methods) = live.auth_methods().and_then(|m| m.of(&u.id))
        {
            for m in methods {
                ops.push(Op::RemoveAuthenticationMethod {
                    user: me.clone(),
                    method: m.clone(),
                });
            }
        }
        record_leave_time(desired, now, u, &me, ops);
    }
}

/// Does the leaver policy act on this leaver? Not when `delete_after` has
/// deleted it (its delete covers the rest), it is synced from on-premises AD,
/// or it is in `scope.exclude`.
pub(super) fn policy_applies(
    desired: &DesiredState,
    departed: &HashSet<Upn>,
    u: &LiveUser,
) -> bool {
    !(departed.contains(&u.upn)
        || u.on_premises_sync_enabled
        || desired.tenant.scope.exclude.contains(&u.upn))
}

/// `remove_authentication_methods` with leavers whose methods were not read
/// (Graph refused the read, or the caller did not read them): one plan error,
/// so the plan is not applied without the step its policy asks for.
pub(super) fn methods_unread(
    desired: &DesiredState,
    live: &Live,
    leavers: &[Leaver<'_>],
    departed: &HashSet<Upn>,
) -> Option<crate::plan::op::PlanError> {
    let policy = desired.tenant.lifecycle.leaver.as_ref()?;
    if !policy.has(LeaverStep::RemoveAuthenticationMethods) {
        return None;
    }
    let unread: Vec<&Upn> = leavers
        .iter()
        .filter(|l| policy_applies(desired, departed, l.user))
        .filter(|l| live.auth_methods().and_then(|m| m.of(&l.user.id)).is_none())
        .map(|l| &l.user.upn)
        .collect();
    let first = unread.first()?;
    let why = match live.auth_methods() {
        Some(crate::model::auth_methods::LiveAuthMethods::Unreadable(why)) => why.clone(),
        Some(crate::model::auth_methods::LiveAuthMethods::Read(_)) | None => {
            "they were not read".to_string()
        }
    };
    Some(crate::plan::op::PlanError {
        code: crate::plan::op::ErrorCode::AuthMethodsUnavailable,
        message: format!(
            "the leaver policy has `remove_authentication_methods`, but the authentication methods of {} could not be read ({why}); grant the application UserAuthenticationMethod.Read.All (reading) and UserAuthenticationMethod.ReadWrite.All (removing), or take the step out of `tenant.lifecycle.leaver`",
            if unread.len() == 1 {
                format!("`{first}`")
            } else {
                format!("{} leavers (first `{first}`)", unread.len())
            }
        ),
        origin: None,
    })
}

/// `disable_owned_devices`: a plan error when the devices could not be read
/// (and someone leaves), and a notice for each enabled device an application
/// may not disable (not Windows: device-update lets apps change only
/// `extensionAttributes` there), so the reviewer knows it stays enabled.
pub(super) fn devices_kept(
    desired: &DesiredState,
    live: &Live,
    leavers: &[Leaver<'_>],
    departed: &HashSet<Upn>,
) -> (Vec<Notice>, Option<crate::plan::op::PlanError>) {
    let Some(policy) = desired.tenant.lifecycle.leaver.as_ref() else {
        return (Vec::new(), None);
    };
    if !policy.has(LeaverStep::DisableOwnedDevices) {
        return (Vec::new(), None);
    }
    let applies: Vec<&LiveUser> = leavers
        .iter()
        .filter(|l| policy_applies(desired, departed, l.user))
        .map(|l| l.user)
        .collect();
    let Some(first) = applies.first() else {
        return (Vec::new(), None);
    };
    let devices = match live.devices() {
        Some(crate::model::devices::LiveDevices::Read(_)) => live.devices(),
        Some(crate::model::devices::LiveDevices::Unreadable(why)) => {
            return (Vec::new(), Some(devices_error(why, first, applies.len())));
        }
        None => {
            return (
                Vec::new(),
                Some(devices_error("they were not read", first, applies.len())),
            );
        }
    };
    let mut notices = Vec::new();
    for u in applies {
        for d in devices.into_iter().flat_map(|d| d.owned_by(&u.id)) {
            if d.account_enabled && !d.app_may_disable() {
                notices.push(Notice {
                    code: NoticeCode::DeviceKept,
                    object: u.upn.key(),
                    message: format!(
                        "`{}` owns device `{}` ({}, id {}), which stays enabled: Graph lets an application disable Windows devices only (device-update); disable it in the Intune or Entra admin center",
                        u.upn, d.device.name, d.device.operating_system, d.device.id
                    ),
                });
            }
        }
    }
    (notices, None)
}

fn devices_error(why: &str, first: &LiveUser, n: usize) -> crate::plan::op::PlanError {
    crate::plan::op::PlanError {
        code: crate::plan::op::ErrorCode::DevicesUnavailable,
        message: format!(
            "the leaver policy has `disable_owned_devices`, but the devices of {} could not be read ({why}); grant the application Device.Read.All (reading) and Device.ReadWrite.All with the Cloud Device Administrator role (disabling), or take the step out of `tenant.lifecycle.leaver`",
            if n == 1 {
                format!("`{}`", first.upn)
            } else {
                format!("{n} leavers (first `{}`)", first.upn)
            }
        ),
        origin: None,
    }
}

/// `remove_licenses`: the leaver's direct licences, in one `assignLicense`
/// remove (licences inherited from a group stay: Graph refuses removing them
/// directly). Declared ones too: the policy wins ([`overrides`]).
fn remove_licenses(live: &Live, u: &LiveUser, me: &UserRef, ops: &mut Vec<Op>) {
    let Some(l) = live.licenses() else {
        return;
    };
    let mut remove: Vec<crate::plan::op::LicenseChange> = l
        .of(&u.id)
        .iter()
        .filter(|h| h.by_group.is_none())
        .map(|h| crate::plan::op::LicenseChange {
            sku_id: h.sku_id.clone(),
            part_number: l
                .sku(&h.sku_id)
                .map_or_else(|| h.sku_id.clone(), |s| s.part_number.clone()),
            disabled_plans: Vec::new(),
        })
        .collect();
    if remove.is_empty() {
        return;
    }
    remove.sort_by(|a, b| a.part_number.cmp(&b.part_number));
    remove.dedup();
    ops.push(Op::AssignLicenses {
        user: me.clone(),
        add: Vec::new(),
        remove,
    });
}

/// Write the disable time to `employeeLeaveDateTime` when Graph has none and
/// the repo does not declare one (then `delete_after` counts from it).
fn record_leave_time(
    desired: &DesiredState,
    now: Option<Moment>,
    u: &LiveUser,
    me: &UserRef,
    ops: &mut Vec<Op>,
) {
    let Some(now) = now else {
        return;
    };
    let declared = desired
        .users
        .get(&u.upn)
        .is_some_and(|s| s.attributes.contains_key(&Attr::EmployeeLeaveDateTime));
    if declared || live_leave(u).is_some() {
        return;
    }
    let change = AttrChange {
        attr: Attr::EmployeeLeaveDateTime,
        old: None,
        new: Some(AttrValue::Text(now.to_rfc3339())),
    };
    for op in ops.iter_mut() {
        if let Op::UpdateUser { user, changes, .. } = op
            && user.upn == u.upn
        {
            changes.push(change);
            changes.sort();
            return;
        }
    }
    ops.push(Op::UpdateUser {
        user: me.clone(),
        changes: vec![change],
        keep: BTreeMap::new(),
    });
}

/// One `offboarding` notice per leaver with steps in the final plan: "offboarding: N steps for X (…)".
pub(super) fn offboarding_notices(
    desired: &DesiredState,
    leavers: &[Leaver<'_>],
    ops: &[Op],
) -> Vec<Notice> {
    if desired.tenant.lifecycle.leaver.is_none() {
        return Vec::new();
    }
    let ids: HashSet<&ObjectId> = leavers.iter().map(|l| &l.user.id).collect();
    let mut per_user: BTreeMap<&Upn, BTreeMap<&'static str, usize>> = BTreeMap::new();
    for op in ops {
        let (upn, counted) = match op {
            Op::DisableUser { user }
            | Op::RevokeSessions { user }
            | Op::ResetPassword { user, .. }
            | Op::DeleteUser { user }
            | Op::UpdateUser { user, .. } => (&user.upn, user.id.as_ref()),
            Op::RemoveMember { member, .. }
            | Op::RemoveRole {
                principal: member, ..
            } => match &member.upn {
                Some(upn) => (upn, Some(&member.id)),
                None => continue,
            },
            Op::AssignLicenses { user, .. }
            | Op::RemoveAuthenticationMethod { user, .. }
            | Op::DisableDevice { owner: user, .. } => (&user.upn, user.id.as_ref()),
            Op::RemoveRoleSchedule { principal, .. } => match &principal.upn {
                Some(upn) => (upn, Some(&principal.id)),
                None => continue,
            },
            Op::AssignRoleSchedule { .. } | Op::UpdateRoleSchedule { .. } => continue,
            Op::CreateUser { .. }
            | Op::InviteGuest { .. }
            | Op::RenameUser { .. }
            | Op::CreateTemporaryAccessPass { .. }
            | Op::RestoreUser { .. }
            | Op::EnableUser { .. }
            | Op::SetManager { .. }
            | Op::RemoveManager { .. }
            | Op::CreateGroup { .. }
            | Op::UpdateGroup { .. }
            | Op::AddMember { .. }
            | Op::AddOwner { .. }
            | Op::RemoveOwner { .. }
            | Op::AssignRole { .. } => continue,
        };
        if counted.is_some_and(|id| ids.contains(id)) {
            *per_user
                .entry(upn)
                .or_default()
                .entry(op.kind())
                .or_default() += 1;
        }
    }
    per_user
        .into_iter()
        .map(|(upn, kinds)| {
            let total: usize = kinds.values().sum();
            let list: Vec<String> = kinds
                .iter()
                .map(|(k, n)| {
                    if *n == 1 {
                        k.to_string()
                    } else {
                        format!("{n} × {k}")
                    }
                })
                .collect();
            Notice {
                code: NoticeCode::Offboarding,
                object: upn.key(),
                message: format!(
                    "offboarding: {total} step{} for {upn} ({})",
                    if total == 1 { "" } else { "s" },
                    list.join(", ")
                ),
            }
        })
        .collect()
}

/// The one-off markers of a live user: `reset_password_after` and
/// `revoke_sessions_after` each plan their step once `now` has reached the
/// marker while Graph's time of the last change (`lastPasswordChangeDateTime`,
/// `signInSessionsValidFromDateTime`) is older; after the step, Graph's time
/// is newer and the plan shows nothing again.
pub(super) fn marker_ops(
    spec: &UserSpec,
    u: &LiveUser,
    me: &UserRef,
    now: Option<Moment>,
) -> Vec<Op> {
    let Some(now) = now else {
        return Vec::new();
    };
    let older = |live: Option<&String>, marker: Moment| {
        marker <= now
            && live
                .and_then(|t| Moment::parse(t))
                .is_none_or(|t| t < marker)
    };
    let mut out = Vec::new();
    if let Some(m) = spec.reset_password_after
        && older(u.last_password_change.as_ref(), m)
    {
        out.push(Op::ResetPassword {
            user: me.clone(),
            keep: true,
        });
    }
    if let Some(m) = spec.revoke_sessions_after
        && older(u.sessions_valid_from.as_ref(), m)
    {
        out.push(Op::RevokeSessions { user: me.clone() });
    }
    out
}

/// Does the leaver policy's `step` apply to the declared user `upn`, over
/// what the repo still declares for it? True for a user the plan leaves
/// disabled (`enabled: false` or a passed leave date) under a policy with
/// that step, unless it is in `scope.exclude` or synced from on-premises AD
/// (which the policy never touches). The diff then neither adds nor keeps the
/// declared memberships (`remove_group_memberships`, except `keep_groups`)
/// or licences (`remove_licenses`): offboarding converges with a one-line
/// `enabled: false`, and [`override_notices`] asks for the lines to go.
pub(super) fn overrides(
    desired: &DesiredState,
    live: &Live,
    now: Option<Moment>,
    upn: &Upn,
    step: LeaverStep,
) -> bool {
    let Some(policy) = desired.tenant.lifecycle.leaver.as_ref() else {
        return false;
    };
    policy.has(step)
        && desired
            .users
            .get(upn)
            .is_some_and(|s| wanted_enabled(s, now) == Some(false))
        && !desired.tenant.scope.exclude.contains(upn)
        && !live
            .user_of(upn)
            .is_some_and(|u| u.on_premises_sync_enabled)
}

/// Is a declared group one that `remove_group_memberships` leaves alone?
pub(super) fn kept_group(desired: &DesiredState, group: &str) -> bool {
    desired
        .tenant
        .lifecycle
        .leaver
        .as_ref()
        .is_some_and(|p| p.keep_groups.contains(&group.to_lowercase()))
}

/// `leaver-overrides-declared`: for each declared user the plan leaves
/// disabled, what the repo still declares for it that is removed anyway —
/// groups (`remove_group_memberships`, but `keep_groups`, dynamic and synced
/// groups), licences (`remove_licenses`) and roles (always removed from a
/// disabled user; only a passed leave date gets here, `validate` refuses
/// roles on an `enabled: false` user). Shown on every plan while the lines stay.
pub(super) fn override_notices(
    desired: &DesiredState,
    live: &Live,
    now: Option<Moment>,
    departed: &HashSet<Upn>,
) -> Vec<Notice> {
    let mut out = Vec::new();
    for spec in desired.users.values() {
        let upn = &spec.upn;
        if departed.contains(upn)
            || wanted_enabled(spec, now) != Some(false)
            || desired.tenant.scope.exclude.contains(upn)
            || live
                .user_of(upn)
                .is_some_and(|u| u.on_premises_sync_enabled)
        {
            continue;
        }
        let mut items: Vec<String> = Vec::new();
        let mut groups = 0usize;
        if overrides(desired, live, now, upn, LeaverStep::RemoveGroupMemberships) {
            for g in desired.groups.values() {
                let fixed = live
                    .groups_named(&g.name)
                    .first()
                    .is_some_and(|lg| lg.is_dynamic() || lg.on_premises_sync_enabled);
                // An expired `until:` is removed for that reason, not the policy's.
                let expired = g
                    .until
                    .get(upn)
                    .is_some_and(|u| now.is_some_and(|n| *u <= n));
                if g.members.contains_key(upn)
                    && !kept_group(desired, &g.name)
                    && !fixed
                    && !expired
                {
                    items.push(format!("group `{}`", g.name));
                    groups += 1;
                }
            }
        }
        // Licences from `tenant.defaults` have no line to remove: the policy wins quietly.
        if spec.own_licenses && overrides(desired, live, now, upn, LeaverStep::RemoveLicenses) {
            for l in spec.licenses.iter().flatten() {
                items.push(format!("licence `{}`", l.sku));
            }
        }
        for r in desired.roles.values() {
            if r.principals.contains_key(upn) || r.holdings.iter().any(|h| h.upn == *upn) {
                items.push(format!("role `{}`", r.display_name));
            }
        }
        if items.is_empty() {
            continue;
        }
        let list = match items.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            Some(_) | None => items.join(""),
        };
        out.push(Notice {
            code: NoticeCode::LeaverOverridesDeclared,
            object: upn.key(),
            message: format!(
                "`{upn}` is offboarded: entraform removes {list} from it although the repo still declares {} — remove {}{}",
                if items.len() == 1 { "it" } else { "them" },
                if items.len() == 1 { "that line" } else { "those lines" },
                if groups > 0 {
                    " (or add the group to `keep_groups`)"
                } else {
                    ""
                }
            ),
        });
    }
    out
}
