//! Looking a group up by id as Graph does: absent, or created so recently that
//! replication hides it, is `404`. Used by the group, owner, member-function
//! and relation handlers (its own module so that `groups` and `owners`, which
//! both need it, do not import each other).

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::state::Tenant;

/// Find a live group by id; replication delay may hide a fresh one.
pub fn group(ctx: &Ctx, t: &Tenant, id: &str) -> GraphResult<String> {
    let g = t.groups.get(id).ok_or_else(|| GraphError::not_found(id))?;
    if ctx.replication_miss(g.obj.created_at) {
        return Err(GraphError::not_found(id));
    }
    Ok(id.to_string())
}
