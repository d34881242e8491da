//! A group's `owners:` in an exported repo: users by UPN, entraform's own
//! service principal as `servicePrincipal: self`, another one by object id.
//! Owners that cannot be written (a user whose UPN the repo format refuses)
//! leave the key out altogether — owners stay unmanaged — so the exported
//! repo still plans to zero changes.

use std::fmt::Write as _;

use super::quote::scalar;
use crate::live::{Live, LiveGroup, ObjectKind};

/// Write `    owners:` for `g`, if it has owners and all of them can be written.
pub(super) fn owners_entry(out: &mut String, g: &LiveGroup, live: &Live, notes: &mut Vec<String>) {
    if g.owners.is_empty() {
        return;
    }
    let me = live.principal().and_then(|p| p.id.as_ref());
    let mut users: Vec<String> = Vec::new();
    let mut principals: Vec<String> = Vec::new();
    let mut unwritable = 0usize;
    for o in &g.owners {
        match (o.kind, live.user(&o.id)) {
            (_, Some(u)) if super::representable(&u.upn) => users.push(scalar(u.upn.as_str())),
            (ObjectKind::ServicePrincipal, None) if Some(&o.id) == me => {
                principals.push("self".to_string())
            }
            (ObjectKind::ServicePrincipal, None) => principals.push(o.id.0.to_ascii_lowercase()),
            _ => unwritable += 1,
        }
    }
    if unwritable > 0 {
        let _ = writeln!(
            out,
            "    # Owners left unmanaged: {unwritable} owner(s) cannot be written in the repo."
        );
        notes.push(format!(
            "group `{}`: owners left unmanaged, {unwritable} cannot be written",
            g.display_name
        ));
        return;
    }
    users.sort();
    principals.sort();
    out.push_str("    owners:\n");
    for u in users {
        let _ = writeln!(out, "      - {u}");
    }
    for p in principals {
        let _ = writeln!(out, "      - servicePrincipal: {p}");
    }
}
