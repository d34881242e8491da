//! Shared by the renderers: symbols, object grouping and the per-step lines.

#![deny(clippy::wildcard_enum_match_arm)]

use std::borrow::Cow;
use std::collections::BTreeMap;

use similar::{ChangeTag, TextDiff};

use crate::desired::state::{GroupKind, PasswordPolicy};
use crate::model::attrs::AttrValue;
use crate::plan::gates::{GateKind, GateResult};
use crate::plan::op::{AttrChange, Holding, Op, PrincipalRef, RoleScope, UserRef};
use crate::plan::{Plan, Step};

/// Values longer than this (in characters) get a character-level inline diff.
pub(super) const LONG_VALUE: usize = 60;

/// The visual class of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sign {
    /// Create, restore, add, assign.
    Add,
    /// Update, enable, set manager.
    Change,
    /// Delete, remove, disable.
    Remove,
    /// Revoke sessions.
    Revoke,
}

impl Sign {
    pub(super) fn of(op: &Op) -> Sign {
        match op {
            Op::CreateUser { .. }
            | Op::InviteGuest { .. }
            | Op::RestoreUser { .. }
            | Op::CreateGroup { .. }
            | Op::AddMember { .. }
            | Op::AddOwner { .. }
            | Op::AssignRole { .. }
            | Op::CreateTemporaryAccessPass { .. }
            | Op::AssignRoleSchedule { .. } => Sign::Add,
            Op::UpdateUser { .. }
            | Op::EnableUser { .. }
            | Op::SetManager { .. }
            | Op::UpdateGroup { .. }
            | Op::AssignLicenses { .. }
            | Op::RenameUser { .. }
            | Op::UpdateRoleSchedule { .. } => Sign::Change,
            Op::DisableUser { .. }
            | Op::DeleteUser { .. }
            | Op::RemoveManager { .. }
            | Op::RemoveMember { .. }
            | Op::RemoveOwner { .. }
            | Op::RemoveRole { .. }
            | Op::RemoveRoleSchedule { .. }
            | Op::RemoveAuthenticationMethod { .. }
            | Op::DisableDevice { .. } => Sign::Remove,
            Op::RevokeSessions { .. } | Op::ResetPassword { .. } => Sign::Revoke,
        }
    }

    pub(super) fn symbol(self) -> char {
        match self {
            Sign::Add => '+',
            Sign::Change => '~',
            Sign::Remove => '-',
            Sign::Revoke => '!',
        }
    }

    fn ansi(self) -> &'static str {
        match self {
            Sign::Add => GREEN,
            Sign::Change => YELLOW,
            Sign::Remove => RED,
            Sign::Revoke => MAGENTA,
        }
    }
}

pub(super) const GREEN: &str = "\x1b[32m";
pub(super) const YELLOW: &str = "\x1b[33m";
pub(super) const RED: &str = "\x1b[31m";
pub(super) const MAGENTA: &str = "\x1b[35m";
pub(super) const BOLD: &str = "\x1b[1m";
pub(super) const DIM: &str = "\x1b[2m";
pub(super) const RESET: &str = "\x1b[0m";

/// Colouring that is a no-op when colour is off.
#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    pub(super) color: bool,
}

impl Style {
    pub(super) fn paint(self, code: &str, s: &str) -> String {
        if self.color {
            format!("{code}{s}{RESET}")
        } else {
            s.to_string()
        }
    }
    fn sign(self, sign: Sign) -> String {
        self.paint(sign.ansi(), &sign.symbol().to_string())
    }
}

/// Sort rank of an object key: users, then groups, then roles.
fn object_rank(key: &str) -> u8 {
    if key.starts_with("group:") {
        1
    } else if key.starts_with("role:") {
        2
    } else {
        0
    }
}

/// The plan's steps grouped by object (`Op::object_key`): users by UPN, then
/// `group:<name>`, then `role:<name>`, each sorted by name; steps in plan order.
pub(super) fn by_object(plan: &Plan) -> Vec<(String, Vec<&Step>)> {
    let mut map: BTreeMap<(u8, String), Vec<&Step>> = BTreeMap::new();
    for s in &plan.steps {
        let key = clean(&s.op.object_key()).into_owned();
        map.entry((object_rank(&key), key)).or_default().push(s);
    }
    map.into_iter()
        .map(|((_, k), mut v)| {
            v.sort_by_key(|s| s.id);
            (k, v)
        })
        .collect()
}

/// Step counts by operation kind, in the order of [`KINDS`].
pub(super) fn counts_by_kind(plan: &Plan) -> Vec<(&'static str, usize)> {
    KINDS
        .iter()
        .map(|k| (*k, plan.steps.iter().filter(|s| s.op.kind() == *k).count()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// Every operation kind, in the order reports list them.
pub(super) const KINDS: [&str; 20] = [
    "create_user",
    "invite_guest",
    "restore_user",
    "rename_user",
    "update_user",
    "enable_user",
    "set_manager",
    "remove_manager",
    "create_group",
    "update_group",
    "add_member",
    "remove_member",
    "add_owner",
    "remove_owner",
    "assign_role",
    "remove_role",
    "assign_licenses",
    "disable_user",
    "revoke_sessions",
    "delete_user",
];

/// A short list of the kinds in these steps with counts: `create_user, add_member ×4`.
pub(super) fn kinds_summary(steps: &[&Step]) -> String {
    let mut seen: Vec<(&'static str, usize)> = Vec::new();
    for s in steps {
        let k = s.op.kind();
        match seen.iter_mut().find(|(x, _)| *x == k) {
            Some((_, n)) => *n += 1,
            None => seen.push((k, 1)),
        }
    }
    seen.iter()
        .map(|(k, n)| {
            if *n > 1 {
                format!("{k} ×{n}")
            } else {
                (*k).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value as shown in a plan: a quoted string, a list of quoted strings, or `(unset)`.
pub(super) fn value(v: Option<&AttrValue>) -> String {
    match v {
        None => "(unset)".to_string(),
        Some(AttrValue::Text(s)) => quote(s),
        Some(AttrValue::List(l)) if l.is_empty() => "[]".to_string(),
        Some(AttrValue::List(l)) => format!(
            "[{}]",
            l.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Text from the repo or the tenant (a name, a message quoting a value) made
/// safe to print: control characters (ESC and the rest of C0/C1, newlines too)
/// and Unicode's bidirectional marks, overrides and isolates are shown as
/// `\u{…}` escapes, so a value can neither drive the terminal (hide or recolour
/// a line) nor reorder what a reviewer reads ("Trojan Source", CVE-2021-42574).
pub(crate) fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Characters [`clean`] escapes.
pub(super) fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// A string in double quotes with control characters, quotes and backslashes escaped.
pub(super) fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// An optional description as shown in a plan.
fn opt_text(v: Option<&String>) -> String {
    v.map_or_else(|| "(unset)".to_string(), |s| quote(s))
}

fn user(u: &UserRef) -> String {
    let upn = clean(u.upn.as_str());
    match &u.id {
        Some(_) => upn.into_owned(),
        None => format!("{upn} (new)"),
    }
}

fn principal(p: &PrincipalRef) -> String {
    match &p.upn {
        Some(u) => clean(u.as_str()).into_owned(),
        None => format!("object {}", clean(&p.id.0)),
    }
}

/// The one-line description of an operation (without its symbol).
pub(super) fn headline(op: &Op) -> String {
    match op {
        Op::CreateUser {
            enabled, password, ..
        } => {
            let pw = match password {
                PasswordPolicy::Generate => "generated at apply time".to_string(),
                PasswordPolicy::Env(var) => format!("from ${var} at apply time"),
            };
            format!(
                "create user ({}; initial password {pw})",
                if *enabled { "enabled" } else { "disabled" }
            )
        }
        // The address and where the guest lands are what a reviewer checks.
        Op::InviteGuest { invite, .. } => format!(
            "invite guest {} (redirect {}; {})",
            clean(&invite.email),
            clean(&invite.redirect_url),
            if invite.send_email {
                "Microsoft emails the invitation"
            } else {
                "no invitation email"
            }
        ),
        Op::RestoreUser { user } => match &user.id {
            Some(id) => format!("restore user from deleted items (object {id})"),
            None => "restore user from deleted items".to_string(),
        },
        Op::UpdateUser { changes, .. } => {
            let n = changes.len();
            format!(
                "update user ({n} attribute{})",
                if n == 1 { "" } else { "s" }
            )
        }
        Op::EnableUser { .. } => "enable user (accountEnabled → true)".to_string(),
        Op::DisableUser { .. } => "disable user (accountEnabled → false)".to_string(),
        Op::RevokeSessions { .. } => {
            "revoke sessions (refresh tokens and session cookies)".to_string()
        }
        Op::CreateTemporaryAccessPass {
            lifetime_minutes,
            one_time,
            ..
        } => format!(
            "issue temporary access pass ({lifetime_minutes} minutes, {}; written to --credentials-out only)",
            if *one_time { "one-time" } else { "multi-use" }
        ),
        Op::ResetPassword { keep: false, .. } => {
            "reset password (random, not kept: offboarding)".to_string()
        }
        Op::ResetPassword { keep: true, .. } => {
            "reset password (reset_password_after; new password to --credentials-out only, changed at next sign-in)".to_string()
        }
        Op::DeleteUser { .. } => "delete user (soft delete: restorable for 30 days)".to_string(),
        Op::SetManager {
            manager, previous, ..
        } => format!(
            "set manager: {} → {}",
            previous
                .as_ref()
                .map_or_else(|| "(unset)".to_string(), principal),
            user(manager)
        ),
        Op::RemoveManager { previous, .. } => {
            format!("remove manager: {} → (unset)", principal(previous))
        }
        Op::DisableDevice { device, .. } => format!(
            "disable device {} ({}, id {}; accountEnabled → false)",
            quote(&device.name),
            clean(&device.operating_system),
            clean(&device.id.0)
        ),
        // Type and id only: a phone number is never shown.
        Op::RemoveAuthenticationMethod { method, .. } => format!(
            "remove authentication method: {} (id {})",
            clean(&method.describe()),
            clean(&method.id)
        ),
        Op::CreateGroup {
            mail_nickname,
            kind,
            ..
        } => format!(
            "create group ({}, mailNickname {})",
            match kind {
                GroupKind::Security => "security",
                GroupKind::Microsoft365 => "Microsoft 365",
            },
            quote(mail_nickname)
        ),
        Op::UpdateGroup { .. } => "update group".to_string(),
        Op::AddMember { member, .. } => format!("add member {}", user(member)),
        Op::RemoveMember { member, .. } => format!("remove member {}", principal(member)),
        Op::AddOwner { owner, .. } => format!("add owner {owner}"),
        Op::RemoveOwner { owner, .. } => format!("remove owner {}", principal(owner)),
        Op::AssignRole { principal, .. } => format!("assign to {}", user(principal)),
        Op::RemoveRole {
            principal: p,
            assignment_id,
            ..
        } => format!("remove from {} (assignment {assignment_id})", principal(p)),
        Op::RenameUser { user, new_upn } => {
            format!("userPrincipalName: {} → {new_upn}", user.upn)
        }
        Op::AssignLicenses { add, remove, .. } => {
            let names = |l: &[crate::plan::op::LicenseChange]| {
                l.iter()
                    .map(|c| c.part_number.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            match (add.is_empty(), remove.is_empty()) {
                (false, true) => format!("assign licences: + {}", names(add)),
                (true, false) => format!("assign licences: - {}", names(remove)),
                _ => format!("assign licences: + {}; - {}", names(add), names(remove)),
            }
        }
        Op::AssignRoleSchedule {
            principal: p,
            holding,
            scope,
            until,
            ..
        } => {
            let what = match holding {
                Holding::Eligible => format!("make {} eligible", user(p)),
                Holding::Active => format!("assign to {}", user(p)),
            };
            format!("{what}{}{}", in_scope(scope), until_text(until.as_deref()))
        }
        Op::UpdateRoleSchedule {
            principal: p,
            holding,
            scope,
            old_until,
            until,
            ..
        } => format!(
            "change the end of {}'s {}{}: {} → {}",
            principal(p),
            holding_noun(*holding),
            in_scope(scope),
            old_until.as_deref().unwrap_or("no end"),
            until.as_deref().unwrap_or("no end"),
        ),
        Op::RemoveRoleSchedule {
            principal: p,
            holding,
            scope,
            until,
            ..
        } => format!(
            "remove {}'s {}{}{}",
            principal(p),
            holding_noun(*holding),
            in_scope(scope),
            until
                .as_deref()
                .map(|d| format!(" (until {d})"))
                .unwrap_or_default()
        ),
    }
}

/// `eligibility` or `active assignment`.
fn holding_noun(h: Holding) -> &'static str {
    match h {
        Holding::Eligible => "eligibility",
        Holding::Active => "active assignment",
    }
}

/// ` in administrative unit `Paris`` for an AU scope, nothing at tenant scope.
fn in_scope(scope: &RoleScope) -> String {
    if scope.is_tenant() {
        String::new()
    } else {
        format!(" in {scope}")
    }
}

/// ` until 2027-03-31`, or nothing without an end.
fn until_text(until: Option<&str>) -> String {
    until.map(|d| format!(" until {d}")).unwrap_or_default()
}

/// `(name, rendered value)` detail lines of an operation.
fn details(op: &Op, style: Style) -> Vec<(String, String)> {
    match op {
        Op::CreateUser { attributes, .. } => attributes
            .iter()
            .map(|(a, v)| (a.graph_name().to_string(), value(Some(v))))
            .collect(),
        Op::UpdateUser { changes, .. } => changes.iter().map(|c| change(c, style)).collect(),
        Op::InviteGuest {
            invite,
            display_name,
            ..
        } => display_name
            .iter()
            .map(|d| ("displayName".to_string(), quote(d)))
            .chain(
                invite
                    .message
                    .iter()
                    .map(|m| ("message".to_string(), quote(m))),
            )
            .collect(),
        Op::CreateGroup {
            description,
            owners,
            ..
        } => description
            .iter()
            .map(|d| ("description".to_string(), quote(d)))
            .chain((!owners.is_empty()).then(|| {
                let names: Vec<String> = owners.iter().map(ToString::to_string).collect();
                ("owners".to_string(), names.join(", "))
            }))
            .collect(),
        Op::UpdateGroup {
            old_description,
            new_description,
            ..
        } => vec![(
            "description".to_string(),
            text_change(
                old_description.as_deref(),
                new_description.as_deref(),
                style,
            ),
        )],
        // Everything else says all it changes on its one line.
        Op::RestoreUser { .. }
        | Op::EnableUser { .. }
        | Op::DisableUser { .. }
        | Op::RevokeSessions { .. }
        | Op::ResetPassword { .. }
        | Op::CreateTemporaryAccessPass { .. }
        | Op::DeleteUser { .. }
        | Op::SetManager { .. }
        | Op::RemoveManager { .. }
        | Op::AddMember { .. }
        | Op::RemoveMember { .. }
        | Op::AddOwner { .. }
        | Op::RemoveOwner { .. }
        | Op::AssignRole { .. }
        | Op::RemoveRole { .. }
        | Op::RenameUser { .. }
        | Op::RemoveRoleSchedule { .. }
        | Op::RemoveAuthenticationMethod { .. }
        | Op::DisableDevice { .. } => Vec::new(),
        Op::AssignLicenses { add, .. } => add
            .iter()
            .filter(|c| !c.disabled_plans.is_empty())
            .map(|c| {
                let plans: Vec<&str> = c.disabled_plans.iter().map(|p| p.name.as_str()).collect();
                (
                    format!("{} disabled_plans", c.part_number),
                    plans.join(", "),
                )
            })
            .collect(),
        Op::AssignRoleSchedule { justification, .. }
        | Op::UpdateRoleSchedule { justification, .. } => justification
            .iter()
            .map(|j| ("justification".to_string(), quote(j)))
            .collect(),
    }
}

fn change(c: &AttrChange, style: Style) -> (String, String) {
    let rendered = match (&c.old, &c.new) {
        (Some(AttrValue::Text(o)), Some(AttrValue::Text(n))) => {
            text_change(Some(o), Some(n), style)
        }
        (o, n) => format!("{} → {}", value(o.as_ref()), value(n.as_ref())),
    };
    (c.attr.graph_name().to_string(), rendered)
}

/// `"old" → "new"`, or a character-level inline diff when either side is long.
fn text_change(old: Option<&str>, new: Option<&str>, style: Style) -> String {
    match (old, new) {
        (Some(o), Some(n)) if o.chars().count() > LONG_VALUE || n.chars().count() > LONG_VALUE => {
            format!(
                "{} (inline diff: [-removed-] {{+added+}})",
                inline_diff(o, n, style)
            )
        }
        (o, n) => format!(
            "{} → {}",
            opt_text(o.map(str::to_string).as_ref()),
            opt_text(n.map(str::to_string).as_ref())
        ),
    }
}

/// A quoted string marking removed characters `[-…-]` and added ones `{+…+}`
/// (red and green as well when colouring), computed by `similar` (Myers, no deadline,
/// so the result is deterministic).
pub(super) fn inline_diff(old: &str, new: &str, style: Style) -> String {
    let diff = TextDiff::from_chars(old, new);
    let mut runs: Vec<(ChangeTag, String)> = Vec::new();
    for ch in diff.iter_all_changes() {
        let tag = ch.tag();
        let v = ch.value();
        match runs.last_mut() {
            Some((t, s)) if *t == tag => s.push_str(v),
            _ => runs.push((tag, v.to_string())),
        }
    }
    let mut out = String::from("\"");
    for (tag, s) in runs {
        let body = escape_inner(&s);
        match tag {
            ChangeTag::Equal => out.push_str(&body),
            ChangeTag::Delete => out.push_str(&style.paint(RED, &format!("[-{body}-]"))),
            ChangeTag::Insert => out.push_str(&style.paint(GREEN, &format!("{{+{body}+}}"))),
        }
    }
    out.push('"');
    out
}

/// The inside of a quoted string (as `quote` escapes it, without the quotes).
fn escape_inner(s: &str) -> String {
    let q = quote(s);
    q[1..q.len() - 1].to_string()
}

/// The lines of one step: `<sym> <headline>` then indented `name: value` details.
/// `indent` is prepended to every line.
pub(super) fn step_lines(step: &Step, style: Style, indent: &str) -> Vec<String> {
    let sign = Sign::of(&step.op);
    let mut out = vec![format!(
        "{indent}{} {}",
        style.sign(sign),
        headline(&step.op)
    )];
    let details = details(&step.op, style);
    let width = details.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in details {
        out.push(format!(
            "{indent}    {:<width$} {v}",
            format!("{k}:"),
            width = width + 1
        ));
    }
    out
}

/// The limit of a gate in words.
pub(super) fn gate_limit(g: &GateResult) -> String {
    match (g.gate, g.limit) {
        (GateKind::GlobalAdministrators, _) => "at least 1".to_string(),
        (_, Some(l)) => format!("at most {l}"),
        (_, None) => "none".to_string(),
    }
}

/// The status of a gate in words (`ok`, `TRIPPED`, `overridden`, `not applied`).
pub(super) fn gate_status(g: &GateResult) -> &'static str {
    if g.tripped && g.overridden {
        "overridden"
    } else if g.tripped {
        "TRIPPED"
    } else if !g.applies {
        "not applied"
    } else {
        "ok"
    }
}

/// Ids of the gates that block the plan.
pub(super) fn blocking_gates(plan: &Plan) -> Vec<&GateResult> {
    plan.gates
        .iter()
        .filter(|g| g.tripped && !g.overridden)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Style = Style { color: false };

    #[test]
    fn inline_diff_marks_removed_and_added_runs() {
        assert_eq!(
            inline_diff("4000 Contoso Way, Building 7", "4000 Contoso Way", PLAIN),
            "\"4000 Contoso Way[-, Building 7-]\""
        );
        assert_eq!(
            inline_diff("1 Main St", "10 Main Street", PLAIN),
            "\"1{+0+} Main St{+reet+}\""
        );
        assert_eq!(inline_diff("same", "same", PLAIN), "\"same\"");
        let c = inline_diff("ab", "ac", Style { color: true });
        assert_eq!(c, "\"a\x1b[31m[-b-]\x1b[0m\x1b[32m{+c+}\x1b[0m\"");
    }

    #[test]
    fn long_values_get_an_inline_diff_short_ones_an_arrow() {
        assert_eq!(
            text_change(Some("Engineer"), Some("Senior Engineer"), PLAIN),
            "\"Engineer\" → \"Senior Engineer\""
        );
        assert_eq!(text_change(None, Some("x"), PLAIN), "(unset) → \"x\"");
        assert_eq!(text_change(Some("x"), None, PLAIN), "\"x\" → (unset)");
        let long = "a".repeat(LONG_VALUE + 1);
        let out = text_change(Some(&long), Some("b"), PLAIN);
        assert!(out.starts_with("\"[-") && out.contains("{+b+}"), "{out}");
        // Exactly at the threshold is still short.
        let edge = "a".repeat(LONG_VALUE);
        assert!(text_change(Some(&edge), Some("b"), PLAIN).contains(" → "));
    }

    #[test]
    fn names_lose_their_power_over_the_terminal_and_the_reading_order() {
        assert!(matches!(clean("alice@contoso.com"), Cow::Borrowed(_)));
        assert_eq!(
            clean("ops\u{1b}[8m hidden\u{1b}[0m"),
            "ops\\u{1b}[8m hidden\\u{1b}[0m"
        );
        assert_eq!(clean("a\u{202e}b\u{2066}c"), "a\\u{202e}b\\u{2066}c");
        assert_eq!(clean("x\ny\u{9b}z"), "x\\u{a}y\\u{9b}z");
        // Ordinary non-ASCII text is kept as it is.
        assert_eq!(clean("Zoë Ångström — 東京"), "Zoë Ångström — 東京");
    }

    #[test]
    fn values_are_quoted_and_escaped() {
        assert_eq!(value(None), "(unset)");
        assert_eq!(
            value(Some(&AttrValue::Text("Chloé \"C\"".into()))),
            "\"Chloé \\\"C\\\"\""
        );
        assert_eq!(
            value(Some(&AttrValue::List(vec!["+1 1".into(), "+1 2".into()]))),
            "[\"+1 1\", \"+1 2\"]"
        );
        assert_eq!(value(Some(&AttrValue::List(Vec::new()))), "[]");
        assert_eq!(inline_diff("a\nb", "a\nc", PLAIN), "\"a\\n[-b-]{+c+}\"");
    }

    #[test]
    fn objects_sort_users_then_groups_then_roles() {
        assert!(object_rank("zed@contoso.com") < object_rank("group:a"));
        assert!(object_rank("group:z") < object_rank("role:a"));
    }
}
