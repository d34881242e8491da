//! Renames in place: a declared user whose UPN no live user holds, but one
//! of whose `previous_upns` a live user does, is that user renamed — the
//! object (and its groups, roles, licences, mailbox) is kept and one
//! `rename_user` step changes its `userPrincipalName`. A rename whose new
//! UPN another live user already holds, or a live user claimed by two
//! entries, is a `rename-collision` error.

use std::collections::HashMap;

use crate::desired::state::DesiredState;
use crate::model::live::{Live, LiveUser};
use crate::model::{ObjectId, Upn};
use crate::plan::op::{ErrorCode, PlanError};

/// Declared UPN → the live user it renames, and the collisions found.
pub(super) fn find<'a>(
    desired: &DesiredState,
    live: &'a Live,
) -> (HashMap<Upn, &'a LiveUser>, Vec<PlanError>) {
    let mut renamed: HashMap<Upn, &'a LiveUser> = HashMap::new();
    let mut claimed: HashMap<&'a ObjectId, &Upn> = HashMap::new();
    let mut errors = Vec::new();
    for (upn, spec) in &desired.users {
        let Some((old, lu)) = spec
            .previous_upns
            .iter()
            .find_map(|p| live.user_of(p).map(|u| (p, u)))
        else {
            continue;
        };
        if let Some(holder) = live.user_of(upn) {
            if holder.id != lu.id {
                errors.push(PlanError {
                    code: ErrorCode::RenameCollision,
                    message: format!(
                        "`{old}` cannot be renamed to `{upn}`: another user (object {}) already holds that UPN; remove `{old}` from `previous_upns`, or free the UPN first",
                        holder.id
                    ),
                    origin: Some(spec.origin.clone()),
                });
            }
            // The new UPN is live already: no rename (done, or a collision).
            continue;
        }
        if desired.users.contains_key(&lu.upn) {
            errors.push(PlanError {
                code: ErrorCode::RenameCollision,
                message: format!(
                    "`{upn}` lists `{old}` in `previous_upns`, but `{old}` is declared as a user of its own; remove one of the two"
                ),
                origin: Some(spec.origin.clone()),
            });
            continue;
        }
        if let Some(other) = claimed.insert(&lu.id, upn) {
            errors.push(PlanError {
                code: ErrorCode::RenameCollision,
                message: format!(
                    "`{old}` is listed in `previous_upns` of both `{other}` and `{upn}`; one user can be renamed to one UPN"
                ),
                origin: Some(spec.origin.clone()),
            });
            renamed.remove(other);
            continue;
        }
        renamed.insert(upn.clone(), lu);
    }
    (renamed, errors)
}
