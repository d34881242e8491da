//! Folding delta pages into users and groups (pure).
//!
//! A delta round's first pass (no token) lists every object; later rounds list
//! only what changed. Both are folded the same way into maps keyed by object
//! id, so a full read and "last snapshot + changes" build the same state:
//!
//! - an item with `@removed` (deleted, soft or hard) leaves the map;
//! - any other item replaces the object's properties: Graph returns every
//!   selected property of a changed object, not only the changed ones (no
//!   `Prefer: return=minimal` is sent), and leaves out properties never set;
//! - `members@delta` entries add a member, or remove it with `@removed`; a
//!   group item without them keeps its members (a large group's members
//!   arrive over several items of the same group);
//! - `manager@delta` names the manager, or removes it with `@removed`; a user
//!   item without it keeps the manager it had.

use std::collections::HashMap;

use crate::graph::dto::{DirectoryObjectRef, GroupDto, UserDto};
use crate::model::{ObjectId, Upn};

use super::snapshot::{LiveGroup, LiveUser, Member, ObjectKind};

/// A user from its Graph representation (the manager as given by `$expand`).
pub(crate) fn user_from_dto(u: UserDto) -> LiveUser {
    LiveUser {
        upn: Upn::new_unchecked(u.user_principal_name.unwrap_or_default()),
        id: ObjectId(u.id),
        display_name: u.display_name,
        given_name: u.given_name,
        surname: u.surname,
        mail_nickname: u.mail_nickname,
        job_title: u.job_title,
        department: u.department,
        company_name: u.company_name,
        office_location: u.office_location,
        employee_id: u.employee_id,
        employee_type: u.employee_type,
        employee_hire_date: u.employee_hire_date,
        usage_location: u.usage_location,
        preferred_language: u.preferred_language,
        street_address: u.street_address,
        city: u.city,
        state: u.state,
        postal_code: u.postal_code,
        country: u.country,
        mobile_phone: u.mobile_phone,
        business_phones: u.business_phones.unwrap_or_default(),
        other_mails: u.other_mails.unwrap_or_default(),
        account_enabled: u.account_enabled.unwrap_or(false),
        on_premises_sync_enabled: u.on_premises_sync_enabled.unwrap_or(false),
        manager: u.manager.map(|m| ObjectId(m.id)),
    }
}

/// A group from its Graph representation, without members.
pub(crate) fn group_from_dto(g: GroupDto) -> LiveGroup {
    LiveGroup {
        id: ObjectId(g.id),
        display_name: g.display_name.unwrap_or_default(),
        mail_nickname: g.mail_nickname,
        description: g.description,
        security_enabled: g.security_enabled.unwrap_or(false),
        mail_enabled: g.mail_enabled.unwrap_or(false),
        group_types: g.group_types.unwrap_or_default(),
        membership_rule: g.membership_rule,
        on_premises_sync_enabled: g.on_premises_sync_enabled.unwrap_or(false),
        members: Vec::new(),
    }
}

/// A member reference as a [`Member`].
pub(crate) fn member(r: DirectoryObjectRef) -> Member {
    Member {
        kind: ObjectKind::from_odata_type(r.odata_type.as_deref()),
        id: ObjectId(r.id),
    }
}

/// Fold `users/delta` items into `users`.
pub fn fold_users(users: &mut HashMap<ObjectId, LiveUser>, items: Vec<UserDto>) {
    for mut item in items {
        let id = ObjectId(item.id.clone());
        if item.removed.is_some() {
            users.remove(&id);
            continue;
        }
        let manager_delta = item.manager_delta.take();
        let previous_manager = users.get(&id).and_then(|u| u.manager.clone());
        let mut user = user_from_dto(item);
        user.manager = match manager_delta {
            // The last entry decides: a removal without a new manager clears it.
            Some(entries) => entries.into_iter().fold(previous_manager, |m, e| {
                if e.removed.is_some() {
                    m.filter(|old| old.0 != e.id)
                } else {
                    Some(ObjectId(e.id))
                }
            }),
            None => user.manager.or(previous_manager),
        };
        users.insert(id, user);
    }
}

/// Fold `groups/delta` items (with `members@delta`) into `groups`.
pub fn fold_groups(groups: &mut HashMap<ObjectId, LiveGroup>, items: Vec<GroupDto>) {
    for mut item in items {
        let id = ObjectId(item.id.clone());
        if item.removed.is_some() {
            groups.remove(&id);
            continue;
        }
        let changes = item.members_delta.take().unwrap_or_default();
        let mut members = groups.remove(&id).map(|g| g.members).unwrap_or_default();
        let mut group = group_from_dto(item);
        if !changes.is_empty() {
            // In order: the last change of a member wins.
            let mut last: HashMap<ObjectId, Option<ObjectKind>> = HashMap::new();
            for c in changes {
                let removed = c.removed.is_some();
                let m = member(c);
                last.insert(m.id, (!removed).then_some(m.kind));
            }
            members.retain(|m| !last.contains_key(&m.id));
            members.extend(
                last.into_iter()
                    .filter_map(|(id, kind)| kind.map(|kind| Member { id, kind })),
            );
        }
        group.members = members;
        groups.insert(id, group);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn users(v: serde_json::Value) -> Vec<UserDto> {
        serde_json::from_value(v).unwrap()
    }
    fn groups(v: serde_json::Value) -> Vec<GroupDto> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn users_are_added_replaced_and_removed() {
        let mut map = HashMap::new();
        fold_users(
            &mut map,
            users(json!([
                {"id": "a", "userPrincipalName": "a@x", "jobTitle": "Dev",
                 "manager@delta": [{"@odata.type": "#microsoft.graph.user", "id": "b"}]},
                {"id": "b", "userPrincipalName": "b@x"}
            ])),
        );
        assert_eq!(
            map[&ObjectId("a".into())].manager,
            Some(ObjectId("b".into()))
        );
        // A changed user without manager@delta keeps its manager; a property
        // left out is no longer set.
        fold_users(
            &mut map,
            users(json!([{"id": "a", "userPrincipalName": "a@x", "department": "R&D"}])),
        );
        let a = &map[&ObjectId("a".into())];
        assert_eq!(a.manager, Some(ObjectId("b".into())));
        assert_eq!(a.job_title, None);
        assert_eq!(a.department.as_deref(), Some("R&D"));
        // Manager removed, b deleted.
        fold_users(
            &mut map,
            users(json!([
                {"id": "a", "userPrincipalName": "a@x",
                 "manager@delta": [{"id": "b", "@removed": {"reason": "deleted"}}]},
                {"id": "b", "@removed": {"reason": "changed"}}
            ])),
        );
        assert_eq!(map[&ObjectId("a".into())].manager, None);
        assert!(!map.contains_key(&ObjectId("b".into())));
    }

    #[test]
    fn members_merge_over_split_items_and_rounds() {
        let mut map = HashMap::new();
        fold_groups(
            &mut map,
            groups(json!([
                {"id": "g", "displayName": "G", "members@delta": [
                    {"@odata.type": "#microsoft.graph.user", "id": "1"},
                    {"@odata.type": "#microsoft.graph.user", "id": "2"}]},
                {"id": "g", "displayName": "G", "members@delta": [
                    {"@odata.type": "#microsoft.graph.group", "id": "3"}]}
            ])),
        );
        assert_eq!(map[&ObjectId("g".into())].members.len(), 3);
        fold_groups(
            &mut map,
            groups(json!([
                {"id": "g", "displayName": "G2", "members@delta": [
                    {"@odata.type": "#microsoft.graph.user", "id": "1", "@removed": {"reason": "deleted"}},
                    {"@odata.type": "#microsoft.graph.user", "id": "4"},
                    {"@odata.type": "#microsoft.graph.user", "id": "4", "@removed": {"reason": "deleted"}},
                    {"@odata.type": "#microsoft.graph.user", "id": "5", "@removed": {"reason": "deleted"}},
                    {"@odata.type": "#microsoft.graph.user", "id": "5"}]}
            ])),
        );
        let g = &map[&ObjectId("g".into())];
        assert_eq!(g.display_name, "G2");
        let mut ids: Vec<&str> = g.members.iter().map(|m| m.id.0.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["2", "3", "5"]);
        // A property-only change keeps the members; a removed group leaves.
        fold_groups(&mut map, groups(json!([{"id": "g", "displayName": "G3"}])));
        assert_eq!(map[&ObjectId("g".into())].members.len(), 3);
        fold_groups(
            &mut map,
            groups(json!([{"id": "g", "@removed": {"reason": "deleted"}}])),
        );
        assert!(map.is_empty());
    }
}
