//! Guests to invite: a declared user with `invite:` whose UPN no live user
//! holds becomes one `invite_guest` step (`POST /invitations`). The
//! invitation carries the address, the redirect URL, the message and the
//! display name; Graph sets `userType: Guest`, `mail` and `otherMails`
//! itself (invitation-post). Every other declared attribute is PATCHed by an
//! `update_user` step that waits for the invitation (it names the guest with
//! no id, like a created user's).

use crate::desired::state::AttrMap;
use crate::model::Upn;
use crate::model::attrs::{Attr, AttrValue};
use crate::plan::op::{AttrChange, GuestInvite, Op};

/// The invitation of the guest `upn`, and the attribute changes that follow it.
pub(super) fn invite(
    upn: &Upn,
    invite: &GuestInvite,
    attributes: &AttrMap,
) -> (Op, Vec<AttrChange>) {
    let display_name = if let Some(Some(AttrValue::Text(t))) = attributes.get(&Attr::DisplayName) {
        Some(t.clone())
    } else {
        None
    };
    // What the invitation already makes so (Graph's guest: userType Guest).
    let set_by_invitation = |a: Attr, v: &Option<AttrValue>| {
        a == Attr::DisplayName
            || (a == Attr::UserType
                && matches!(v, Some(AttrValue::Text(t)) if t.eq_ignore_ascii_case("Guest")))
    };
    let rest = attributes
        .iter()
        .filter(|(a, v)| !set_by_invitation(**a, v) && v.is_some())
        .map(|(a, v)| AttrChange {
            attr: *a,
            old: None,
            new: v.clone(),
        })
        .collect();
    (
        Op::InviteGuest {
            upn: upn.clone(),
            invite: invite.clone(),
            display_name,
        },
        rest,
    )
}
