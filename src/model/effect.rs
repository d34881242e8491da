//! What each operation does, described once: its [`Action`] (summary line,
//! `max_deletes`/`max_disables`), whether it is destructive (the
//! protected-principals gate), and the objects it touches (saved-plan
//! fingerprints and the names in apply's refusals). Every consumer reads this
//! description instead of matching on [`Op`] with a catch-all arm, so a new
//! variant does not compile until it is classified here (and the modules that
//! still match on `Op` deny `clippy::wildcard_enum_match_arm`).

#![deny(clippy::wildcard_enum_match_arm)]

use super::op::{GroupRef, Op, OwnerRef, PrincipalRef, UserRef};
use crate::model::kinds::PasswordPolicy;
use crate::model::{ObjectId, Upn};

/// Broad classes of operations, for summaries and thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Something new appears.
    Create,
    /// Something existing changes.
    Update,
    /// An account is disabled.
    Disable,
    /// Something is deleted or removed.
    Delete,
}

/// An object an operation touches: what a saved plan fingerprints to notice
/// that the tenant changed under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Touched<'a> {
    /// A user the plan creates, by UPN (absent until created).
    NewUser(&'a Upn),
    /// A user: by id when it exists, else by UPN (created earlier in the plan).
    User {
        /// The UPN.
        upn: &'a Upn,
        /// Object id, when the user exists.
        id: Option<&'a ObjectId>,
    },
    /// A directory object by id (a member, owner or principal that may not be a user).
    Object(&'a PrincipalRef),
    /// A group the plan creates, by name.
    NewGroup(&'a str),
    /// A group by reference: by id when it exists, else by name.
    Group(&'a GroupRef),
    /// The directory role assignments of a principal (`None`: one the plan creates).
    RolesOf(Option<&'a ObjectId>),
}

/// The effect of one operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect<'a> {
    /// Its class, for the summary line and the count gates.
    pub action: Action,
    /// Takes a principal's account or privileges away (disable, delete, role
    /// removal): refused on protected principals without the override.
    pub destructive: bool,
    /// The objects it touches, in a fixed order.
    pub touches: Vec<Touched<'a>>,
}

impl<'a> Touched<'a> {
    fn user(u: &'a UserRef) -> Self {
        Touched::User {
            upn: &u.upn,
            id: u.id.as_ref(),
        }
    }
}

impl<'a> Effect<'a> {
    fn new(action: Action, destructive: bool, touches: Vec<Touched<'a>>) -> Self {
        Effect {
            action,
            destructive,
            touches,
        }
    }
}

impl Op {
    /// What kind of change this is, for the summary line and the count gates
    /// (from [`Op::effect`]).
    pub fn action(&self) -> Action {
        self.effect().action
    }

    /// The one description of what this operation does (no catch-all: a new
    /// variant must be classified here before the crate compiles).
    pub fn effect(&self) -> Effect<'_> {
        use Action::{Create, Delete, Disable, Update};
        use Touched as T;
        match self {
            Op::CreateUser { upn, .. } => Effect::new(Create, false, vec![T::NewUser(upn)]),
            // Graph makes the guest user when it invites: a create.
            Op::InviteGuest { upn, .. } => Effect::new(Create, false, vec![T::NewUser(upn)]),
            Op::RestoreUser { user } => Effect::new(Create, false, vec![T::user(user)]),
            Op::UpdateUser { user, .. } | Op::EnableUser { user } => {
                Effect::new(Update, false, vec![T::user(user)])
            }
            // Revoking sessions signs the user out, but the account and its
            // access stay: an update, like removing a manager.
            Op::RevokeSessions { user } | Op::RemoveManager { user, .. } => {
                Effect::new(Update, false, vec![T::user(user)])
            }
            // Licences change what the user may use, not the account: an
            // update, like a group membership.
            Op::AssignLicenses { user, .. } => Effect::new(Update, false, vec![T::user(user)]),
            // The object and everything it holds stay; only its name changes.
            Op::RenameUser { user, .. } => Effect::new(Update, false, vec![T::user(user)]),
            Op::DisableUser { user } => Effect::new(Disable, true, vec![T::user(user)]),
            // A password nobody knows locks the account out for good (until an
            // admin resets it again): destructive, so a protected principal's
            // reset trips the protected-principals gate.
            Op::ResetPassword { user, .. } => Effect::new(Update, true, vec![T::user(user)]),
            // A new sign-in method for a user this plan creates.
            Op::CreateTemporaryAccessPass { user, .. } => {
                Effect::new(Update, false, vec![T::user(user)])
            }
            Op::DeleteUser { user } => Effect::new(Delete, true, vec![T::user(user)]),
            Op::SetManager { user, manager, .. } => {
                Effect::new(Update, false, vec![T::user(user), T::user(manager)])
            }
            // Owners bound at creation are checked when they are users the
            // plan also creates or changes; the new group is what can clash.
            Op::CreateGroup { name, .. } => Effect::new(Create, false, vec![T::NewGroup(name)]),
            Op::UpdateGroup { group, .. } => Effect::new(Update, false, vec![T::Group(group)]),
            Op::AddMember { group, member } => {
                Effect::new(Update, false, vec![T::Group(group), T::user(member)])
            }
            Op::RemoveMember { group, member } => {
                Effect::new(Update, false, vec![T::Group(group), T::Object(member)])
            }
            Op::AddOwner { group, owner } => {
                let touches = match owner {
                    OwnerRef::User { upn, id } => vec![
                        T::Group(group),
                        T::User {
                            upn,
                            id: id.as_ref(),
                        },
                    ],
                    // A service principal owner is not fingerprinted (it is not a user).
                    OwnerRef::ServicePrincipal { .. } => vec![T::Group(group)],
                };
                Effect::new(Update, false, touches)
            }
            Op::RemoveOwner { group, owner } => {
                Effect::new(Update, false, vec![T::Group(group), T::Object(owner)])
            }
            Op::AssignRole { principal, .. } => Effect::new(
                Update,
                false,
                vec![T::user(principal), T::RolesOf(principal.id.as_ref())],
            ),
            Op::RemoveRole { principal, .. } => Effect::new(
                Update,
                true,
                vec![T::Object(principal), T::RolesOf(Some(&principal.id))],
            ),
            // Giving a role (eligible or active) grants, never takes away.
            Op::AssignRoleSchedule { principal, .. } => Effect::new(
                Update,
                false,
                vec![T::user(principal), T::RolesOf(principal.id.as_ref())],
            ),
            // An earlier end date shortens a holding: a removal of privileges
            // (protected principals keep theirs); a later one only grants.
            Op::UpdateRoleSchedule {
                principal,
                old_until,
                until,
                ..
            } => Effect::new(
                Update,
                match (old_until, until) {
                    (_, None) => false,
                    (None, Some(_)) => true,
                    (Some(old), Some(new)) => new < old,
                },
                vec![T::Object(principal), T::RolesOf(Some(&principal.id))],
            ),
            Op::RemoveRoleSchedule { principal, .. } => Effect::new(
                Update,
                true,
                vec![T::Object(principal), T::RolesOf(Some(&principal.id))],
            ),
            // The account stays, but the user can no longer prove who they are
            // (MFA, passwordless): destructive, so a protected principal's
            // methods trip the protected-principals gate; an update for the
            // counts, like a membership removal.
            Op::RemoveAuthenticationMethod { user, .. } => {
                Effect::new(Update, true, vec![T::user(user)])
            }
            // The device can no longer be signed in to; the leaver's account
            // is not touched. Destructive like a method removal (a protected
            // principal's devices trip the gate); an update for the counts
            // (`max_disables` counts user accounts).
            Op::DisableDevice { owner, .. } => Effect::new(Update, true, vec![T::user(owner)]),
        }
    }
}

/// An object an operation brings into existence with a new id: apply records
/// the id (later steps address the object by it) and, for a user, handles its
/// initial password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewObject<'a> {
    /// A user the operation creates, with how its initial password is chosen.
    User {
        /// The new user's UPN.
        upn: &'a Upn,
        /// How its initial password is chosen.
        password: &'a PasswordPolicy,
    },
    /// A group the operation creates, by name.
    Group {
        /// The new group's displayName.
        name: &'a str,
    },
    /// A guest user an invitation creates (no password: the guest signs in
    /// at home); its id is the answer's `invitedUser.id`.
    Guest {
        /// The guest's UPN (as Graph assigns it).
        upn: &'a Upn,
    },
}

impl Op {
    /// The object this operation creates, if any (no catch-all: a new variant
    /// must say whether apply has a new id and a password to handle).
    pub fn new_object(&self) -> Option<NewObject<'_>> {
        match self {
            Op::CreateUser { upn, password, .. } => Some(NewObject::User { upn, password }),
            Op::CreateGroup { name, .. } => Some(NewObject::Group { name }),
            Op::InviteGuest { upn, .. } => Some(NewObject::Guest { upn }),
            // A restored user comes back under its old id, which the plan knows.
            Op::RestoreUser { .. }
            | Op::UpdateUser { .. }
            | Op::EnableUser { .. }
            | Op::DisableUser { .. }
            | Op::RevokeSessions { .. }
            | Op::ResetPassword { .. }
            | Op::CreateTemporaryAccessPass { .. }
            | Op::DeleteUser { .. }
            | Op::SetManager { .. }
            | Op::RemoveManager { .. }
            | Op::UpdateGroup { .. }
            | Op::AddMember { .. }
            | Op::RemoveMember { .. }
            | Op::AddOwner { .. }
            | Op::RemoveOwner { .. }
            | Op::AssignRole { .. }
            | Op::RemoveRole { .. }
            | Op::AssignLicenses { .. }
            | Op::RenameUser { .. }
            | Op::AssignRoleSchedule { .. }
            | Op::UpdateRoleSchedule { .. }
            | Op::RemoveRoleSchedule { .. }
            | Op::RemoveAuthenticationMethod { .. }
            | Op::DisableDevice { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kinds::{GroupKind, PasswordPolicy};
    use crate::model::op::{Holding, RoleRef, RoleScope};

    fn upn(s: &str) -> Upn {
        Upn::new_unchecked(s)
    }
    fn id(s: &str) -> ObjectId {
        ObjectId(s.into())
    }
    fn user(s: &str) -> UserRef {
        UserRef {
            upn: upn(s),
            id: Some(id(&format!("id-{s}"))),
        }
    }
    fn group() -> GroupRef {
        GroupRef {
            name: "Team".into(),
            id: Some(id("g1")),
        }
    }
    fn principal() -> PrincipalRef {
        PrincipalRef {
            id: id("p1"),
            upn: Some(upn("p@contoso.com")),
        }
    }
    fn role() -> RoleRef {
        RoleRef {
            name: "Global Administrator".into(),
            definition_id: "62e90394-69f5-4237-9190-012177145e10".into(),
        }
    }

    /// Which variant an operation is, numbered: written with every variant
    /// named, so a new one does not compile until it is numbered here, and
    /// then `every_variant_is_classified` fails until it has a sample.
    fn variant(op: &Op) -> usize {
        match op {
            Op::CreateUser { .. } => 0,
            Op::RestoreUser { .. } => 1,
            Op::UpdateUser { .. } => 2,
            Op::EnableUser { .. } => 3,
            Op::DisableUser { .. } => 4,
            Op::RevokeSessions { .. } => 5,
            Op::DeleteUser { .. } => 6,
            Op::SetManager { .. } => 7,
            Op::RemoveManager { .. } => 8,
            Op::CreateGroup { .. } => 9,
            Op::UpdateGroup { .. } => 10,
            Op::AddMember { .. } => 11,
            Op::RemoveMember { .. } => 12,
            Op::AddOwner { .. } => 13,
            Op::RemoveOwner { .. } => 14,
            Op::AssignRole { .. } => 15,
            Op::RemoveRole { .. } => 16,
            Op::AssignLicenses { .. } => 17,
            Op::RenameUser { .. } => 18,
            Op::AssignRoleSchedule { .. } => 19,
            Op::UpdateRoleSchedule { .. } => 20,
            Op::RemoveRoleSchedule { .. } => 21,
            Op::ResetPassword { .. } => 22,
            Op::CreateTemporaryAccessPass { .. } => 23,
            Op::InviteGuest { .. } => 24,
            Op::RemoveAuthenticationMethod { .. } => 25,
            Op::DisableDevice { .. } => 26,
        }
    }
    const VARIANTS: usize = 27;

    /// One sample of each variant, with the action and destructiveness it
    /// has always had (the summary's classes; the protected-principals gate's
    /// disable/delete/role removal) and the number of objects it touches.
    fn samples() -> Vec<(Op, Action, bool, usize)> {
        use Action::{Create, Delete, Disable, Update};
        let a = || user("a@contoso.com");
        vec![
            (
                Op::CreateUser {
                    upn: upn("new@contoso.com"),
                    attributes: Default::default(),
                    enabled: true,
                    password: PasswordPolicy::Generate,
                },
                Create,
                false,
                1,
            ),
            (Op::RestoreUser { user: a() }, Create, false, 1),
            (
                Op::UpdateUser {
                    user: a(),
                    changes: vec![],
                    keep: Default::default(),
                },
                Update,
                false,
                1,
            ),
            (Op::EnableUser { user: a() }, Update, false, 1),
            (Op::DisableUser { user: a() }, Disable, true, 1),
            (Op::RevokeSessions { user: a() }, Update, false, 1),
            (
                Op::ResetPassword {
                    user: a(),
                    keep: false,
                },
                Update,
                true,
                1,
            ),
            (
                Op::CreateTemporaryAccessPass {
                    user: a(),
                    lifetime_minutes: 480,
                    one_time: true,
                },
                Update,
                false,
                1,
            ),
            (Op::DeleteUser { user: a() }, Delete, true, 1),
            (
                Op::SetManager {
                    user: a(),
                    manager: user("m@contoso.com"),
                    previous: None,
                },
                Update,
                false,
                2,
            ),
            (
                Op::RemoveManager {
                    user: a(),
                    previous: principal(),
                },
                Update,
                false,
                1,
            ),
            (
                Op::CreateGroup {
                    name: "Team".into(),
                    mail_nickname: "team".into(),
                    description: None,
                    kind: GroupKind::Security,
                    owners: vec![],
                },
                Create,
                false,
                1,
            ),
            (
                Op::UpdateGroup {
                    group: group(),
                    old_description: None,
                    new_description: Some("d".into()),
                },
                Update,
                false,
                1,
            ),
            (
                Op::AddMember {
                    group: group(),
                    member: a(),
                },
                Update,
                false,
                2,
            ),
            (
                Op::RemoveMember {
                    group: group(),
                    member: principal(),
                },
                Update,
                false,
                2,
            ),
            (
                Op::AddOwner {
                    group: group(),
                    owner: OwnerRef::User {
                        upn: upn("a@contoso.com"),
                        id: None,
                    },
                },
                Update,
                false,
                2,
            ),
            (
                Op::RemoveOwner {
                    group: group(),
                    owner: principal(),
                },
                Update,
                false,
                2,
            ),
            (
                Op::AssignRole {
                    role: role(),
                    principal: a(),
                },
                Update,
                false,
                2,
            ),
            (
                Op::RemoveRole {
                    role: role(),
                    principal: principal(),
                    assignment_id: "as1".into(),
                },
                Update,
                true,
                2,
            ),
            (
                Op::AssignLicenses {
                    user: a(),
                    add: vec![],
                    remove: vec![],
                },
                Update,
                false,
                1,
            ),
            (
                Op::RenameUser {
                    user: a(),
                    new_upn: upn("b@contoso.com"),
                },
                Update,
                false,
                1,
            ),
            (
                Op::AssignRoleSchedule {
                    role: role(),
                    principal: a(),
                    holding: Holding::Eligible,
                    scope: RoleScope::tenant(),
                    until: Some("2027-03-31".into()),
                    justification: None,
                },
                Update,
                false,
                2,
            ),
            (
                Op::UpdateRoleSchedule {
                    role: role(),
                    principal: principal(),
                    holding: Holding::Eligible,
                    scope: RoleScope::tenant(),
                    old_until: Some("2027-03-31".into()),
                    until: Some("2027-01-31".into()),
                    justification: None,
                },
                Update,
                true,
                2,
            ),
            (
                Op::RemoveRoleSchedule {
                    role: role(),
                    principal: principal(),
                    holding: Holding::Active,
                    scope: RoleScope::tenant(),
                    until: None,
                },
                Update,
                true,
                2,
            ),
            (
                Op::InviteGuest {
                    upn: upn("ana_fabrikam.com#EXT#@contoso.onmicrosoft.com"),
                    invite: crate::model::op::GuestInvite {
                        email: "ana@fabrikam.com".into(),
                        redirect_url: "https://myapps.microsoft.com".into(),
                        message: None,
                        send_email: true,
                    },
                    display_name: None,
                },
                Create,
                false,
                1,
            ),
            (
                Op::RemoveAuthenticationMethod {
                    user: a(),
                    method: crate::model::auth_methods::AuthMethodRef {
                        kind: crate::model::auth_methods::AuthMethodKind::Fido2,
                        id: "m1".into(),
                        phone_type: None,
                    },
                },
                Update,
                true,
                1,
            ),
            (
                Op::DisableDevice {
                    owner: a(),
                    device: crate::model::devices::DeviceRef {
                        id: id("d1"),
                        name: "LAPTOP-1".into(),
                        operating_system: "Windows".into(),
                    },
                },
                Update,
                true,
                1,
            ),
        ]
    }

    /// Apply records a new id (and handles a password) for exactly the two
    /// creates; a restore keeps its old id.
    #[test]
    fn only_the_creates_bring_a_new_object() {
        let samples = samples();
        let new: Vec<(usize, Option<NewObject<'_>>)> = samples
            .iter()
            .map(|(op, ..)| (variant(op), op.new_object()))
            .filter(|(_, n)| n.is_some())
            .collect();
        let created = upn("new@contoso.com");
        let guest = upn("ana_fabrikam.com#EXT#@contoso.onmicrosoft.com");
        assert_eq!(
            new,
            vec![
                (
                    0,
                    Some(NewObject::User {
                        upn: &created,
                        password: &PasswordPolicy::Generate,
                    })
                ),
                (9, Some(NewObject::Group { name: "Team" })),
                (24, Some(NewObject::Guest { upn: &guest })),
            ]
        );
    }

    #[test]
    fn every_variant_is_classified() {
        let samples = samples();
        let mut seen = [false; VARIANTS];
        for (op, action, destructive, touched) in &samples {
            seen[variant(op)] = true;
            let e = op.effect();
            assert_eq!(
                (e.action, e.destructive, e.touches.len()),
                (*action, *destructive, *touched),
                "{}",
                op.kind()
            );
            assert_eq!(op.action(), e.action, "{}", op.kind());
        }
        let missing: Vec<usize> = (0..VARIANTS).filter(|i| !seen[*i]).collect();
        assert!(missing.is_empty(), "variants without a sample: {missing:?}");
    }

    #[test]
    fn a_service_principal_owner_is_not_a_touched_user() {
        let op = Op::AddOwner {
            group: group(),
            owner: OwnerRef::ServicePrincipal { id: id("sp") },
        };
        assert_eq!(op.effect().touches, vec![Touched::Group(&group())]);
    }

    #[test]
    fn a_role_for_a_user_the_plan_creates_has_no_assignments_to_touch() {
        let principal = UserRef {
            upn: upn("new@contoso.com"),
            id: None,
        };
        let op = Op::AssignRole {
            role: role(),
            principal: principal.clone(),
        };
        assert_eq!(
            op.effect().touches,
            vec![
                Touched::User {
                    upn: &principal.upn,
                    id: None
                },
                Touched::RolesOf(None)
            ]
        );
    }
}
