//! Group owners: `GET /groups/{id}/owners` (typed objects, `$ref`, or a
//! type cast), `POST /groups/{id}/owners/$ref`, `DELETE
//! /groups/{id}/owners/{id}/$ref`, and the bookkeeping `owners@odata.bind`
//! and `owners@delta` use.
//!
//! Graph's rules (api-reference/v1.0/api/group-post-owners.md,
//! group-delete-owners.md): owners are users or service principals; adding
//! one twice is refused like a duplicate member ("One or more added object
//! references already exist for the following modified properties:
//! 'owners'."); "Once owners are assigned to a group, the last owner (a user
//! object) of the group cannot be removed" — 400 `Request_BadRequest` "The
//! group must have at least one owner, hence this owner cannot be removed."
//! (Graph's wording, microsoftgraph/microsoft-graph-docs issue #12054). The
//! emulator refuses removing the only owner whatever its type (the stricter
//! reading: the page names users, reports show the same for service principals).

use std::collections::BTreeSet;

use super::cast::Cast;
use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse, ref_body_id};
use super::listing;
use super::lookup::group as find;
use super::state::{Kind, MemberEvent, Tenant};

/// Graph's error when an owner being added is one already.
pub fn already_owner() -> GraphError {
    GraphError::bad_request(
        "One or more added object references already exist for the following modified properties: 'owners'.",
    )
}

/// Graph's error for removing a group's last owner.
pub fn last_owner() -> GraphError {
    GraphError::bad_request(
        "The group must have at least one owner, hence this owner cannot be removed.",
    )
}

impl Tenant {
    /// Add an owner (no checks); logs the change for `owners@delta` when `log`.
    pub fn add_owner_raw(&mut self, group: &str, owner: &str, log: bool) {
        if !self
            .owners
            .entry(group.to_string())
            .or_default()
            .insert(owner.to_string())
        {
            return;
        }
        if log {
            let seq = self.next_seq();
            self.owner_log.push(MemberEvent {
                seq,
                group: group.to_string(),
                member: owner.to_string(),
                added: true,
            });
        }
    }

    /// Remove an owner (no checks); returns whether it was one.
    pub fn remove_owner_raw(&mut self, group: &str, owner: &str) -> bool {
        let Some(set) = self.owners.get_mut(group) else {
            return false;
        };
        if !set.remove(owner) {
            return false;
        }
        let seq = self.next_seq();
        self.owner_log.push(MemberEvent {
            seq,
            group: group.to_string(),
            member: owner.to_string(),
            added: false,
        });
        true
    }

    /// A group's owners (empty when it has none).
    pub fn owners_of(&self, group: &str) -> BTreeSet<String> {
        self.owners.get(group).cloned().unwrap_or_default()
    }
}

/// `GET /groups/{id}/owners`, `…/owners/$ref`, or `…/owners/{cast}`.
pub fn list(
    ctx: &Ctx,
    t: &Tenant,
    req: &ApiRequest,
    id: &str,
    refs: bool,
    cast: Option<Cast>,
) -> GraphResult<ApiResponse> {
    let q = listing::relationship_query(req, "group owners")?;
    let id = find(ctx, t, id)?;
    let set = t.owners_of(&id);
    match cast {
        Some(c) => listing::directory_objects_cast(ctx, t, req, q, &set, c),
        None => listing::directory_objects(ctx, t, req, q, &set, refs),
    }
}

/// `POST /groups/{id}/owners/$ref`: a user or a service principal.
pub fn add(ctx: &Ctx, t: &mut Tenant, req: &ApiRequest, id: &str) -> GraphResult<ApiResponse> {
    let id = find(ctx, t, id)?;
    let target = ref_body_id(ctx.urls, req)?;
    let oid = t
        .resolve_principal(&target)
        .filter(|o| t.kind_of(o) != Some(Kind::Group))
        .ok_or_else(|| GraphError::not_found(&target))?;
    let created = t.users.get(&oid).and_then(|u| u.created_at);
    if ctx.replication_miss(created) {
        return Err(GraphError::not_found(&target));
    }
    if t.owners.get(&id).is_some_and(|o| o.contains(&oid)) {
        return Err(already_owner());
    }
    t.add_owner_raw(&id, &oid, true);
    Ok(ApiResponse::no_content())
}

/// `DELETE /groups/{id}/owners/{ownerId}/$ref`.
pub fn remove(ctx: &Ctx, t: &mut Tenant, id: &str, owner: &str) -> GraphResult<ApiResponse> {
    let gid = find(ctx, t, id)?;
    let oid = t
        .resolve_principal(owner)
        .unwrap_or_else(|| owner.to_string());
    let set = t.owners_of(&gid);
    if !set.contains(&oid) {
        return Err(GraphError::not_found(owner));
    }
    if set.len() == 1 {
        return Err(last_owner());
    }
    t.remove_owner_raw(&gid, &oid);
    Ok(ApiResponse::no_content())
}

/// Resolve `owners@odata.bind` ids to owners: users or service principals.
pub fn check_bound(t: &Tenant, ids: &[String]) -> GraphResult<()> {
    for id in ids {
        if !matches!(t.kind_of(id), Some(Kind::User | Kind::ServicePrincipal)) {
            return Err(GraphError::bad_request(
                "Invalid URL format specified in @odata.bind for owners",
            ));
        }
    }
    Ok(())
}
