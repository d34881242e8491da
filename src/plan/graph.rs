//! Ordering operations: a petgraph DAG whose edges make every step valid when it runs.
//!
//! Edges: an object exists before anything refers to it (create/restore user →
//! its updates, manager, memberships, roles, and whoever it manages; create
//! group → its members); a manager's own manager is set first (top-down
//! chains); roles are removed before a user is disabled or deleted; a user
//! leaves groups before he is deleted; sessions are revoked after the account
//! is disabled (Microsoft's order: block sign-in, then revoke, so no new token
//! can be issued in between); a group's new owners exist before it is created
//! with them, and are added before any owner is removed.
//!
//! Every `match` on [`Op`] here names each variant (no catch-all arm), so a
//! new operation must be given its ordering before the crate compiles.

#![deny(clippy::wildcard_enum_match_arm)]

use std::collections::HashMap;

use petgraph::algo::toposort;
use petgraph::graph::{DiGraph, NodeIndex};

use super::Step;
use super::op::{Op, OwnerRef, PlanError};

/// Order the operations into steps with waves and dependencies (deterministic for the same input).
pub fn order(mut ops: Vec<Op>) -> Result<Vec<Step>, PlanError> {
    ops.sort();
    ops.dedup();
    let mut g: DiGraph<usize, ()> = DiGraph::with_capacity(ops.len(), ops.len());
    let nodes: Vec<NodeIndex> = (0..ops.len()).map(|i| g.add_node(i)).collect();

    // Indexes by user key / group name.
    let mut creates_user: HashMap<String, usize> = HashMap::new();
    let mut creates_group: HashMap<String, usize> = HashMap::new();
    let mut sets_manager: HashMap<String, usize> = HashMap::new();
    let mut disables: HashMap<String, usize> = HashMap::new();
    let mut deletes: HashMap<String, usize> = HashMap::new();
    let mut resets: HashMap<String, usize> = HashMap::new();
    let mut revokes: HashMap<String, usize> = HashMap::new();
    let mut update_of: HashMap<String, usize> = HashMap::new();
    // Owner additions by group: removals wait for them, so that a group
    // never drops to no owner (Graph refuses removing the last one).
    let mut adds_owner: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::AddOwner { group, .. } => {
                adds_owner
                    .entry(group.name.to_lowercase())
                    .or_default()
                    .push(i);
            }
            Op::CreateUser { upn, .. } | Op::InviteGuest { upn, .. } => {
                creates_user.insert(upn.key(), i);
            }
            Op::RestoreUser { user } => {
                creates_user.insert(user.upn.key(), i);
            }
            // The user's other steps name it by its new UPN: they wait for it.
            Op::RenameUser { new_upn, .. } => {
                creates_user.insert(new_upn.key(), i);
            }
            Op::CreateGroup { name, .. } => {
                creates_group.insert(name.to_lowercase(), i);
            }
            Op::SetManager { user, .. } => {
                sets_manager.insert(user.upn.key(), i);
            }
            Op::DisableUser { user } => {
                disables.insert(user.upn.key(), i);
            }
            Op::DeleteUser { user } => {
                deletes.insert(user.upn.key(), i);
            }
            Op::ResetPassword { user, .. } => {
                resets.insert(user.upn.key(), i);
            }
            // Nothing else is waited for by another step.
            Op::UpdateUser { user, .. } => {
                update_of.insert(user.upn.key(), i);
            }
            Op::RevokeSessions { user } => {
                revokes.insert(user.upn.key(), i);
            }
            Op::EnableUser { .. }
            | Op::RemoveAuthenticationMethod { .. }
            | Op::DisableDevice { .. }
            | Op::CreateTemporaryAccessPass { .. }
            | Op::RemoveManager { .. }
            | Op::UpdateGroup { .. }
            | Op::AddMember { .. }
            | Op::RemoveMember { .. }
            | Op::RemoveOwner { .. }
            | Op::AssignRole { .. }
            | Op::RemoveRole { .. }
            | Op::AssignLicenses { .. }
            | Op::AssignRoleSchedule { .. }
            | Op::UpdateRoleSchedule { .. }
            | Op::RemoveRoleSchedule { .. } => {}
        }
    }
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let after_user = |key: String, edges: &mut Vec<(usize, usize)>| {
            if let Some(&c) = creates_user.get(&key)
                && c != i
            {
                edges.push((c, i));
            }
        };
        match op {
            Op::UpdateUser { user, .. }
            | Op::EnableUser { user }
            | Op::DisableUser { user }
            | Op::RevokeSessions { user }
            | Op::ResetPassword { user, .. }
            | Op::CreateTemporaryAccessPass { user, .. }
            | Op::DeleteUser { user }
            | Op::RemoveManager { user, .. } => after_user(user.upn.key(), &mut edges),
            // After the user exists, and after its PATCH (which may set the
            // usageLocation Graph needs before a licence).
            Op::AssignLicenses { user, .. } => {
                after_user(user.upn.key(), &mut edges);
                if let Some(&u) = update_of.get(&user.upn.key()) {
                    edges.push((u, i));
                }
            }
            Op::SetManager { user, manager, .. } => {
                after_user(user.upn.key(), &mut edges);
                after_user(manager.upn.key(), &mut edges);
                if let Some(&m) = sets_manager.get(&manager.upn.key()) {
                    edges.push((m, i));
                }
            }
            Op::AddMember { group, member } => {
                after_user(member.upn.key(), &mut edges);
                if let Some(&c) = creates_group.get(&group.name.to_lowercase()) {
                    edges.push((c, i));
                }
            }
            Op::UpdateGroup { group, .. } => {
                if let Some(&c) = creates_group.get(&group.name.to_lowercase()) {
                    edges.push((c, i));
                }
            }
            Op::AddOwner { group, owner } => {
                if let Some(u) = owner.user() {
                    after_user(u.upn.key(), &mut edges);
                }
                if let Some(&c) = creates_group.get(&group.name.to_lowercase()) {
                    edges.push((c, i));
                }
            }
            Op::RemoveOwner { group, owner } => {
                for &a in adds_owner
                    .get(&group.name.to_lowercase())
                    .into_iter()
                    .flatten()
                {
                    edges.push((a, i));
                }
                if let Some(&d) = owner.upn.as_ref().and_then(|u| deletes.get(&u.key())) {
                    edges.push((i, d));
                }
            }
            // Owners bound in the create call must exist first.
            Op::CreateGroup { owners, .. } => {
                for u in owners.iter().filter_map(OwnerRef::user) {
                    after_user(u.upn.key(), &mut edges);
                }
            }
            Op::AssignRole { principal, .. } | Op::AssignRoleSchedule { principal, .. } => {
                after_user(principal.upn.key(), &mut edges)
            }
            Op::RemoveRole { principal, .. }
            | Op::UpdateRoleSchedule { principal, .. }
            | Op::RemoveRoleSchedule { principal, .. } => {
                if let Some(u) = &principal.upn {
                    for target in [disables.get(&u.key()), deletes.get(&u.key())]
                        .into_iter()
                        .flatten()
                    {
                        edges.push((i, *target));
                    }
                }
            }
            Op::RemoveMember { member, .. } => {
                if let Some(&d) = member.upn.as_ref().and_then(|u| deletes.get(&u.key())) {
                    edges.push((i, d));
                }
            }
            // Offboarding: after the account is disabled, its password reset
            // and its sessions revoked; before a delete. A user's methods go
            // in one wave: Graph's refusals that depend on the others (the
            // default method, `mobile` while `alternateMobile` exists) are
            // sent again by apply once the others are gone.
            // A leaver's devices: after the account is disabled, before a delete.
            Op::DisableDevice { owner, .. } => {
                let key = owner.upn.key();
                if let Some(&d) = disables.get(&key) {
                    edges.push((d, i));
                }
                if let Some(&d) = deletes.get(&key) {
                    edges.push((i, d));
                }
            }
            Op::RemoveAuthenticationMethod { user, .. } => {
                let key = user.upn.key();
                for &before in [disables.get(&key), resets.get(&key), revokes.get(&key)]
                    .into_iter()
                    .flatten()
                {
                    edges.push((before, i));
                }
                if let Some(&d) = deletes.get(&key) {
                    edges.push((i, d));
                }
            }
            Op::CreateUser { .. }
            | Op::InviteGuest { .. }
            | Op::RestoreUser { .. }
            | Op::RenameUser { .. } => {}
        }
        if let Op::RevokeSessions { user } | Op::ResetPassword { user, .. } = op
            && let Some(&d) = disables.get(&user.upn.key())
        {
            edges.push((d, i));
        }
        // Offboarding order (Microsoft's: block sign-in, reset the password,
        // then revoke): sessions are revoked after the password is reset.
        if let Op::RevokeSessions { user } = op
            && let Some(&r) = resets.get(&user.upn.key())
        {
            edges.push((r, i));
        }
    }
    edges.sort_unstable();
    edges.dedup();
    for (a, b) in &edges {
        g.add_edge(nodes[*a], nodes[*b], ());
    }
    let topo = toposort(&g, None).map_err(|cycle| PlanError {
        code: super::codes::ErrorCode::DependencyCycle,
        message: format!(
            "the operations depend on each other in a circle (around `{}`); this is a bug in entraform, please report it",
            ops[g[cycle.node_id()]].object_key()
        ),
        origin: None,
    })?;
    let mut wave = vec![0usize; ops.len()];
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); ops.len()];
    for (a, b) in &edges {
        deps[*b].push(*a);
    }
    for n in topo {
        let i = g[n];
        wave[i] = deps[i].iter().map(|d| wave[*d] + 1).max().unwrap_or(0);
    }
    // Execution order: by wave, then by the operation's own order.
    let mut order: Vec<usize> = (0..ops.len()).collect();
    order.sort_by_key(|&i| (wave[i], i));
    let mut new_id = vec![0usize; ops.len()];
    for (pos, &i) in order.iter().enumerate() {
        new_id[i] = pos;
    }
    let mut indexed: Vec<(usize, Op)> = ops.into_iter().enumerate().collect();
    indexed.sort_by_key(|(i, _)| (wave[*i], *i));
    let steps = indexed
        .into_iter()
        .map(|(i, op)| {
            let mut depends_on: Vec<usize> = deps[i].iter().map(|d| new_id[*d]).collect();
            depends_on.sort_unstable();
            Step {
                id: new_id[i],
                wave: wave[i],
                op,
                depends_on,
            }
        })
        .collect();
    Ok(steps)
}
