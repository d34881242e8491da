//! The one way the tests (and the plan bench) build a hand-made live tenant:
//! fill a [`LiveFixture`] with users (made with `LiveUser::new` and
//! `LiveUser::set`) and the short forms of the other objects, then
//! [`LiveFixture::build`] the indexed [`Live`]. The struct literals of groups,
//! roles, assignments and the running principal are written only here, so a
//! new field on one of them is one edit.
//! Included by each binary that needs it with `#[path]`, like `emulator_client.rs`.
//! (Plain fields rather than one method per kind of object: every binary that
//! includes it uses all of it, whatever subset of objects it fills.)

use entraform::live::{
    DeletedUser, Live, LiveGroup, LiveParts, LiveRoleAssignment, LiveRoleDefinition, LiveUser,
    Member, ObjectKind, RunningPrincipal,
};
use entraform::model::ObjectId;

/// A live tenant to build; every field defaults to empty.
#[derive(Debug, Default)]
pub struct LiveFixture {
    /// Users, as the reader would hold them.
    pub users: Vec<LiveUser>,
    /// Soft-deleted users: (object id, UPN, displayName).
    pub deleted: Vec<(ObjectId, String, String)>,
    /// Assigned cloud security groups: (object id, displayName, which is also
    /// the mailNickname; the ids of its user members).
    pub groups: Vec<(ObjectId, String, Vec<ObjectId>)>,
    /// Enabled built-in role definitions: (id, which is also the template id; displayName).
    pub roles: Vec<(String, String)>,
    /// Tenant-scope (`/`) role assignments: (assignment id, principal, role definition id).
    pub assignments: Vec<(String, ObjectId, String)>,
    /// The principal entraform runs as: (its service principal id, its role
    /// definition ids); client id `app`, no readable permissions claim.
    pub running_as: Option<(ObjectId, Vec<String>)>,
}

impl LiveFixture {
    /// The indexed snapshot of everything filled in.
    pub fn build(self) -> Live {
        let mut p = LiveParts {
            users: self.users,
            ..LiveParts::default()
        };
        for (id, upn, display_name) in self.deleted {
            p.deleted_users
                .push(DeletedUser::new(id, upn, Some(display_name), None));
        }
        for (id, name, members) in self.groups {
            p.groups.push(LiveGroup {
                id,
                display_name: name.clone(),
                mail_nickname: Some(name),
                description: None,
                security_enabled: true,
                mail_enabled: false,
                group_types: Vec::new(),
                membership_rule: None,
                on_premises_sync_enabled: false,
                members: members
                    .into_iter()
                    .map(|id| Member {
                        id,
                        kind: ObjectKind::User,
                    })
                    .collect(),
                owners: Vec::new(),
            });
        }
        for (id, display_name) in self.roles {
            p.role_definitions.push(LiveRoleDefinition {
                template_id: Some(id.clone()),
                id,
                display_name,
                is_built_in: true,
                is_enabled: true,
            });
        }
        for (id, principal_id, role_definition_id) in self.assignments {
            p.role_assignments.push(LiveRoleAssignment {
                id,
                principal_id,
                role_definition_id,
                directory_scope_id: "/".into(),
            });
        }
        p.principal = self
            .running_as
            .map(|(id, role_definition_ids)| RunningPrincipal {
                client_id: "app".into(),
                id: Some(id),
                role_definition_ids,
                permissions: None,
            });
        Live::from_parts(p)
    }
}
