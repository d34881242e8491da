//! Folding delta pages into users and groups (pure).
//!
//! A delta round's first pass (no token) lists every object; later rounds list
//! only what changed. Both are folded the same way into maps keyed by object
//! id, so a full read and "last snapshot + changes" build the same state:
//!
//! - an item with `@removed` (deleted, soft or hard) leaves the map, and a
//!   removed user is nobody's manager any more (a full read would not show it);
//! - any other item sets the properties it carries (a `null` clears one).
//!   Graph returns every selected property of a changed object (no
//!   `Prefer: return=minimal` is sent), but its overview only promises "at
//!   least the properties that have been updated", so in a round after a
//!   token a property left out keeps its value; in the first round (nothing
//!   known yet) left out means unset;
//! - `members@delta` entries add a member, or remove it with `@removed`; a
//!   group item without them keeps its members (a large group's members
//!   arrive over several items of the same group); `owners@delta` likewise
//!   for owners;
//! - `manager@delta` names the manager, or removes it with `@removed` (a user
//!   has one manager: entries without `@removed` name it, removals alone mean
//!   none); a user item without it keeps the manager it had;
//! - Graph does not promise an order within a round, so an object reported
//!   both removed and present in one round is [`Ambiguous`]: the caller reads
//!   everything again.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::graph::dto::{DirectoryObjectRef, GroupDto, UserDto};
use crate::model::attrs::{ATTRS, AttrValuesBuilder};
use crate::model::{ObjectId, Upn};

use crate::model::live::{LiveGroup, LiveUser, Member, ObjectKind};

/// A user from its Graph representation (the manager as given by `$expand`).
pub(crate) fn user_from_dto(u: UserDto) -> LiveUser {
    LiveUser {
        upn: Upn::new_unchecked(u.user_principal_name.unwrap_or_default()),
        id: ObjectId(u.id),
        attrs: u.attrs,
        account_enabled: u.account_enabled.unwrap_or(false),
        on_premises_sync_enabled: u.on_premises_sync_enabled.unwrap_or(false),
        manager: u.manager.map(|m| ObjectId(m.id)),
        last_password_change: u.last_password_change,
        sessions_valid_from: u.sessions_valid_from,
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
        owners: Vec::new(),
    }
}

/// A member reference as a [`Member`].
pub(crate) fn member(r: DirectoryObjectRef) -> Member {
    Member {
        kind: ObjectKind::from_odata_type(r.odata_type.as_deref()),
        id: ObjectId(r.id),
    }
}

/// An object reported both removed and present in one delta round.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Microsoft Graph reported {0} both removed and present in one delta round")]
pub struct Ambiguous(pub String);

/// The manager after a user item. A user has at most one manager, so when
/// `manager@delta` is there, an entry without `@removed` is the manager now
/// (whatever the order of entries: Graph promises none), and removals alone
/// mean there is none (whichever id they name: the one removed may be a
/// manager set and removed again since the last round). Without it: the
/// manager expanded on a listing, else the one the user had.
fn next_manager(
    previous: Option<ObjectId>,
    delta: Option<Vec<DirectoryObjectRef>>,
    expanded: Option<ObjectId>,
) -> Option<ObjectId> {
    match delta {
        Some(entries) => entries
            .into_iter()
            .rev()
            .find(|e| e.removed.is_none())
            .map(|e| ObjectId(e.id)),
        None => expanded.or(previous),
    }
}

/// Nobody reports to a user that is gone.
fn forget_managers(users: &mut HashMap<ObjectId, LiveUser>, removed: &HashSet<ObjectId>) {
    let gone: HashSet<&ObjectId> = removed
        .iter()
        .filter(|id| !users.contains_key(*id))
        .collect();
    if gone.is_empty() {
        return;
    }
    for u in users.values_mut() {
        if u.manager.as_ref().is_some_and(|m| gone.contains(m)) {
            u.manager = None;
        }
    }
}

/// Fold the items of a first (full) `users/delta` round into `users`.
pub fn fold_users(users: &mut HashMap<ObjectId, LiveUser>, items: Vec<UserDto>) {
    let mut removed = HashSet::new();
    for mut item in items {
        let id = ObjectId(item.id.clone());
        if item.removed.is_some() {
            users.remove(&id);
            removed.insert(id);
            continue;
        }
        let delta = item.manager_delta.take();
        let previous = users.get(&id).and_then(|u| u.manager.clone());
        let mut user = user_from_dto(item);
        user.manager = next_manager(previous, delta, user.manager.take());
        users.insert(id, user);
    }
    forget_managers(users, &removed);
}

/// The ids an incremental round reports removed and present; an id in both is ambiguous.
fn check_round(items: &[Value]) -> Result<HashSet<ObjectId>, Ambiguous> {
    let mut removed = HashSet::new();
    let mut present = HashSet::new();
    for item in items {
        let Some(id) = item.get("id").and_then(Value::as_str) else {
            continue;
        };
        if item.get("@removed").is_some() {
            removed.insert(ObjectId(id.to_string()));
        } else {
            present.insert(ObjectId(id.to_string()));
        }
    }
    match removed.intersection(&present).next() {
        Some(id) => Err(Ambiguous(id.0.clone())),
        None => Ok(removed),
    }
}

/// A user's properties after an item of a round after a token: those the
/// item carries replace the old values (a `null` clears one), the others are
/// kept. The managed attributes are those of the table; the members of an
/// object-valued property (`employeeOrgData`) come with it, whole.
fn overlay_user(old: &LiveUser, u: UserDto, has: &Map<String, Value>) -> LiveUser {
    let mut n = old.clone();
    if ATTRS.iter().any(|info| has.contains_key(info.property)) {
        let mut attrs = AttrValuesBuilder::default();
        for info in ATTRS {
            let from = if has.contains_key(info.property) {
                &u.attrs
            } else {
                &old.attrs
            };
            attrs.set(info.attr, from.value(info.attr));
        }
        n.attrs = attrs.finish();
    }
    if let Some(upn) = u.user_principal_name {
        n.upn = Upn::new_unchecked(upn);
    }
    if has.contains_key("accountEnabled") {
        n.account_enabled = u.account_enabled.unwrap_or(false);
    }
    if has.contains_key("onPremisesSyncEnabled") {
        n.on_premises_sync_enabled = u.on_premises_sync_enabled.unwrap_or(false);
    }
    if has.contains_key("lastPasswordChangeDateTime") {
        n.last_password_change = u.last_password_change;
    }
    if has.contains_key("signInSessionsValidFromDateTime") {
        n.sessions_valid_from = u.sessions_valid_from;
    }
    n
}

/// Fold the items of a `users/delta` round after a token into `users`.
pub fn fold_user_changes(
    users: &mut HashMap<ObjectId, LiveUser>,
    items: Vec<Value>,
) -> Result<(), Ambiguous> {
    let removed = check_round(&items)?;
    for item in items {
        let Some(fields) = item.as_object() else {
            continue;
        };
        if fields.contains_key("@removed") {
            if let Some(id) = fields.get("id").and_then(Value::as_str) {
                users.remove(&ObjectId(id.to_string()));
            }
            continue;
        }
        let Ok(mut dto) = UserDto::deserialize(&item) else {
            continue;
        };
        let id = ObjectId(dto.id.clone());
        let delta = dto.manager_delta.take();
        let user = match users.get(&id) {
            Some(old) => {
                let previous = old.manager.clone();
                let mut n = overlay_user(old, dto, fields);
                n.manager = next_manager(previous, delta, None);
                n
            }
            None => {
                let mut n = user_from_dto(dto);
                n.manager = next_manager(None, delta, n.manager.take());
                n
            }
        };
        users.insert(id, user);
    }
    forget_managers(users, &removed);
    Ok(())
}

/// Apply `members@delta` entries in order (the last change of a member wins).
fn apply_member_changes(members: &mut Vec<Member>, changes: Vec<DirectoryObjectRef>) {
    if changes.is_empty() {
        return;
    }
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

/// Fold the items of a first (full) `groups/delta` round (with `members@delta`) into `groups`.
pub fn fold_groups(groups: &mut HashMap<ObjectId, LiveGroup>, items: Vec<GroupDto>) {
    for mut item in items {
        let id = ObjectId(item.id.clone());
        if item.removed.is_some() {
            groups.remove(&id);
            continue;
        }
        let changes = item.members_delta.take().unwrap_or_default();
        let owner_changes = item.owners_delta.take().unwrap_or_default();
        let (mut members, mut owners) = groups
            .remove(&id)
            .map(|g| (g.members, g.owners))
            .unwrap_or_default();
        apply_member_changes(&mut members, changes);
        apply_member_changes(&mut owners, owner_changes);
        let mut group = group_from_dto(item);
        group.members = members;
        group.owners = owners;
        groups.insert(id, group);
    }
}

/// Fold the items of a `groups/delta` round after a token into `groups`.
pub fn fold_group_changes(
    groups: &mut HashMap<ObjectId, LiveGroup>,
    items: Vec<Value>,
) -> Result<(), Ambiguous> {
    check_round(&items)?;
    for item in items {
        let Some(fields) = item.as_object() else {
            continue;
        };
        if fields.contains_key("@removed") {
            if let Some(id) = fields.get("id").and_then(Value::as_str) {
                groups.remove(&ObjectId(id.to_string()));
            }
            continue;
        }
        let Ok(mut dto) = GroupDto::deserialize(&item) else {
            continue;
        };
        let id = ObjectId(dto.id.clone());
        let changes = dto.members_delta.take().unwrap_or_default();
        let owner_changes = dto.owners_delta.take().unwrap_or_default();
        let mut group = match groups.remove(&id) {
            Some(old) => {
                let mut n = old;
                if fields.contains_key("displayName") {
                    n.display_name = dto.display_name.unwrap_or_default();
                }
                if fields.contains_key("mailNickname") {
                    n.mail_nickname = dto.mail_nickname;
                }
                if fields.contains_key("description") {
                    n.description = dto.description;
                }
                if fields.contains_key("securityEnabled") {
                    n.security_enabled = dto.security_enabled.unwrap_or(false);
                }
                if fields.contains_key("mailEnabled") {
                    n.mail_enabled = dto.mail_enabled.unwrap_or(false);
                }
                if fields.contains_key("groupTypes") {
                    n.group_types = dto.group_types.unwrap_or_default();
                }
                if fields.contains_key("membershipRule") {
                    n.membership_rule = dto.membership_rule;
                }
                if fields.contains_key("onPremisesSyncEnabled") {
                    n.on_premises_sync_enabled = dto.on_premises_sync_enabled.unwrap_or(false);
                }
                n
            }
            None => group_from_dto(dto),
        };
        apply_member_changes(&mut group.members, changes);
        apply_member_changes(&mut group.owners, owner_changes);
        groups.insert(id, group);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::attrs::{Attr, AttrValue};
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
        assert_eq!(a.attrs.text(Attr::JobTitle), None);
        assert_eq!(a.attrs.text(Attr::Department), Some("R&D"));
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
    fn a_later_round_keeps_what_an_item_leaves_out_and_clears_nulls() {
        let mut map = HashMap::new();
        fold_users(
            &mut map,
            users(json!([
                {"id": "a", "userPrincipalName": "a@x", "jobTitle": "Dev", "city": "Oslo",
                 "accountEnabled": true, "businessPhones": ["1"],
                 "manager@delta": [{"@odata.type": "#microsoft.graph.user", "id": "m"}]},
                {"id": "m", "userPrincipalName": "m@x", "accountEnabled": true}
            ])),
        );
        fold_user_changes(
            &mut map,
            vec![json!({"id": "a", "jobTitle": "Lead", "city": null})],
        )
        .unwrap();
        let a = &map[&ObjectId("a".into())];
        assert_eq!(a.upn.as_str(), "a@x", "left out: kept");
        assert_eq!(a.attrs.text(Attr::JobTitle), Some("Lead"));
        assert_eq!(a.attrs.text(Attr::City), None, "null: cleared");
        assert!(a.account_enabled, "left out: kept");
        assert_eq!(
            a.attrs.value(Attr::BusinessPhones),
            Some(AttrValue::List(vec!["1".to_string()]))
        );
        assert_eq!(a.manager, Some(ObjectId("m".into())));
        // The manager is deleted: nobody reports to it any more.
        fold_user_changes(
            &mut map,
            vec![json!({"id": "m", "@removed": {"reason": "changed"}})],
        )
        .unwrap();
        assert_eq!(map[&ObjectId("a".into())].manager, None);
        // Removed and present in one round: ambiguous.
        let e = fold_user_changes(
            &mut map,
            vec![
                json!({"id": "a", "userPrincipalName": "a@x"}),
                json!({"id": "a", "@removed": {"reason": "changed"}}),
            ],
        );
        assert_eq!(e, Err(Ambiguous("a".into())));
    }

    #[test]
    fn one_manager_whatever_the_order_of_entries() {
        let r = |id: &str, removed: bool| DirectoryObjectRef {
            id: id.into(),
            odata_type: Some("#microsoft.graph.user".into()),
            removed: removed.then_some(serde::de::IgnoredAny),
        };
        let m1 = Some(ObjectId("m1".into()));
        // Changed from m1 to m2, entries in either order.
        for entries in [
            vec![r("m2", false), r("m1", true)],
            vec![r("m1", true), r("m2", false)],
        ] {
            assert_eq!(
                next_manager(m1.clone(), Some(entries), None),
                Some(ObjectId("m2".into()))
            );
        }
        // Set to m2 and removed again since the last round: the removal names m2, not m1.
        assert_eq!(
            next_manager(m1.clone(), Some(vec![r("m2", true)]), None),
            None
        );
        // No manager@delta: unchanged.
        assert_eq!(next_manager(m1.clone(), None, None), m1);
    }

    #[test]
    fn group_changes_keep_unsent_properties_and_apply_member_changes() {
        let mut map = HashMap::new();
        fold_groups(
            &mut map,
            groups(
                json!([{"id": "g", "displayName": "G", "description": "d", "securityEnabled": true,
                "members@delta": [{"@odata.type": "#microsoft.graph.user", "id": "1"}]}]),
            ),
        );
        fold_group_changes(
            &mut map,
            vec![json!({"id": "g", "description": null, "members@delta": [
                {"@odata.type": "#microsoft.graph.group", "id": "2"},
                {"@odata.type": "#microsoft.graph.user", "id": "1", "@removed": {"reason": "deleted"}}]})],
        )
        .unwrap();
        let g = &map[&ObjectId("g".into())];
        assert_eq!(g.display_name, "G");
        assert!(g.security_enabled);
        assert_eq!(g.description, None);
        assert_eq!(
            g.members,
            vec![Member {
                id: ObjectId("2".into()),
                kind: ObjectKind::Group
            }]
        );
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
