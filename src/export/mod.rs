//! `entraform export`: a live tenant → the files of a directory repo (pure).
//!
//! [`export`] takes the [`Live`] snapshot that `plan` reads and returns
//! (relative path, YAML text) pairs; the CLI writes them. The output is made
//! to plan to **zero changes** against the tenant it came from: every value
//! the diff compares is written exactly as Graph holds it, values the repo
//! could not hold (too long, malformed, unrepresentable UPNs) are left
//! unmanaged with a comment, and `absent_users: ignore` keeps the users that
//! are not exported untouched. Output is sorted and byte-stable.

pub mod filter;
mod owners;
pub mod quote;
pub mod seed;
pub mod seed_format;
pub mod write;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;

use crate::desired::validate::upn_problem;
use crate::live::{Live, LiveGroup, LiveUser, ObjectKind};
use crate::model::attrs::derive_mail_nickname;
use crate::model::attrs::{ATTRS, Attr, AttrValue, Invalid, Kind};
use crate::model::builtin_roles;
use crate::model::live::live_attr;
use crate::model::op::Holding;
use crate::model::{ObjectId, Upn};

pub use filter::{FilterError, UserFilter};
use quote::{comment_text, flow_list, scalar};

/// How users are split into files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SplitBy {
    /// `users/<department slug>.yaml` (`users/no-department.yaml` for none).
    #[default]
    Department,
    /// `users/<UPN domain>.yaml`.
    Domain,
    /// A single `users.yaml`.
    None,
}

/// What to export.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// File layout of the users.
    pub split_by: SplitBy,
    /// Only users matching this filter are declared.
    pub users: Option<UserFilter>,
    /// Never declared; written to `tenant.scope.exclude`.
    pub exclude: Vec<Upn>,
    /// Also declare disabled users (with `enabled: false`).
    pub include_disabled: bool,
}

/// One file of the exported repo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFile {
    /// Path relative to the repo root, `/`-separated.
    pub path: String,
    /// The YAML text.
    pub text: String,
}

/// The exported repo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Export {
    /// Files, sorted by path.
    pub files: Vec<ExportedFile>,
    /// Users declared.
    pub users: usize,
    /// Groups declared.
    pub groups: usize,
    /// Roles declared.
    pub roles: usize,
    /// Things left out or left unmanaged, and why (also written as comments).
    pub notes: Vec<String>,
}

/// Why nothing could be exported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// No user has a valid UPN, so the tenant's domain is unknown.
    #[error(
        "the tenant has no user with a valid UPN, so its domain cannot be determined; nothing to export"
    )]
    NoDomain,
}

/// The first line of every file export writes: how a later `export --force` knows its own files.
pub const HEADER: &str =
    "# Exported from the live tenant by `entraform export`. Review before committing.\n";

/// The safety gates `tenant.yaml` gets for a tenant of `owned` users: counts
/// (a percentage of a small tenant rounds down to nothing), 1% of the owned
/// users for deletions, 2% for disables and 10% for all operations, with a
/// floor so that ordinary work (a leaver, a new team) passes.
pub fn gate_limits(owned: u64) -> (u64, u64, u64) {
    let pct = |n: u64| owned.saturating_mul(n).div_ceil(100);
    (pct(1).max(3), pct(2).max(5), pct(10).max(25))
}

fn representable(upn: &Upn) -> bool {
    upn_problem(upn.as_str()).is_none()
}

/// Turn the snapshot into repo files.
pub fn export(live: &Live, opts: &ExportOptions) -> Result<Export, ExportError> {
    let mut notes: Vec<String> = Vec::new();
    let excluded: HashSet<&Upn> = opts.exclude.iter().collect();

    // Domains: the live snapshot does not carry the tenant's domain list, so
    // take the domains of the users' UPNs; the most common is the default.
    let mut domains: BTreeMap<String, usize> = BTreeMap::new();
    for u in live.users().iter().filter(|u| representable(&u.upn)) {
        *domains
            .entry(u.upn.domain().to_ascii_lowercase())
            .or_default() += 1;
    }
    let default_domain = domains
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(d, _)| d.clone())
        .ok_or(ExportError::NoDomain)?;
    let other_domains: Vec<&str> = domains
        .keys()
        .filter(|d| **d != default_domain)
        .map(String::as_str)
        .collect();

    // Role holders: protected Global Administrators, and who holds any role.
    let mut protected: BTreeSet<Upn> = BTreeSet::new();
    let mut holds_role: HashSet<&ObjectId> = HashSet::new();
    for a in live.role_assignments() {
        holds_role.insert(&a.principal_id);
        let is_ga = a
            .role_definition_id
            .eq_ignore_ascii_case(builtin_roles::GLOBAL_ADMINISTRATOR)
            || live.role(&a.role_definition_id).is_some_and(|d| {
                d.template_id
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case(builtin_roles::GLOBAL_ADMINISTRATOR))
            });
        if is_ga
            && let Some(u) = live.user(&a.principal_id)
            && u.account_enabled
            && representable(&u.upn)
        {
            protected.insert(u.upn.clone());
        }
    }

    // Users.
    let mut files: BTreeMap<String, (Vec<String>, String)> = BTreeMap::new();
    let mut selected: Vec<(String, &LiveUser)> = Vec::new();
    // Disabled accounts not declared: excluded from the scope, so that a later
    // `absent_users: delete` never deletes them.
    let mut disabled_left_out: Vec<Upn> = Vec::new();
    for u in live.users() {
        if excluded.contains(&u.upn) {
            continue;
        }
        if opts.users.as_ref().is_some_and(|f| !f.matches(u)) {
            continue;
        }
        if !u.account_enabled && !opts.include_disabled {
            if representable(&u.upn) {
                disabled_left_out.push(u.upn.clone());
            }
            continue;
        }
        let path = user_file(u, opts.split_by);
        if let Some(problem) = upn_problem(u.upn.as_str()) {
            let note = format!("user `{}` left out: {problem}", u.upn);
            files.entry(path).or_default().0.push(note.clone());
            notes.push(note);
            continue;
        }
        if !u.account_enabled && holds_role.contains(&u.id) {
            let note = format!(
                "user `{}` left out (and excluded from the scope): disabled but holds directory roles, and `enabled: false` would remove them",
                u.upn
            );
            files.entry(path).or_default().0.push(note.clone());
            notes.push(note);
            disabled_left_out.push(u.upn.clone());
            continue;
        }
        selected.push((path, u));
    }
    // The users the exported repo owns: the scope (all) less every exclusion; guests never count.
    let left_out: HashSet<&Upn> = disabled_left_out.iter().collect();
    let owned = live
        .users()
        .iter()
        .filter(|u| {
            !excluded.contains(&u.upn)
                && !left_out.contains(&u.upn)
                && !u.upn.as_str().contains("#EXT#")
        })
        .count() as u64;
    let cyclic = manager_cycles(live, selected.iter().map(|(_, u)| *u));
    let user_count = selected.len();
    for (path, u) in selected {
        let entry = files.entry(path).or_default();
        user_entry(&mut entry.1, u, live, cyclic.contains(&u.id), &mut notes);
    }
    let mut out: Vec<ExportedFile> = Vec::new();
    for (path, (comments, body)) in files {
        let mut text = String::from(HEADER);
        for c in comments {
            let _ = writeln!(text, "# {}", comment_text(&c));
        }
        if body.is_empty() {
            text.push_str("users: []\n");
        } else {
            text.push_str("users:\n");
            text.push_str(&body);
        }
        out.push(ExportedFile { path, text });
    }

    let (groups_text, group_count) = groups_file(live, &mut notes);
    out.push(ExportedFile {
        path: "groups.yaml".into(),
        text: groups_text,
    });
    let (roles_text, role_count) = roles_file(live, &mut notes);
    out.push(ExportedFile {
        path: "roles.yaml".into(),
        text: roles_text,
    });
    out.push(ExportedFile {
        path: "tenant.yaml".into(),
        text: tenant_file(&TenantFile {
            domain: &default_domain,
            others: &other_domains,
            exclude: &opts.exclude,
            disabled: &disabled_left_out,
            protected: &protected,
            owned,
        }),
    });
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Export {
        files: out,
        users: user_count,
        groups: group_count,
        roles: role_count,
        notes,
    })
}

/// The `files:` block of `tenant.yaml` for `rule` (empty for the default rule):
/// `export --force` keeps the rule of the tenant.yaml it replaces.
pub fn files_block(rule: &crate::desired::file_rule::FileRule) -> String {
    if rule.include.is_empty() && rule.exclude.is_empty() {
        return String::new();
    }
    let mut t = String::from(
        "# Which YAML files are the repo (kept from the tenant.yaml this export replaced).\nfiles:\n",
    );
    for (key, list) in [("include", &rule.include), ("exclude", &rule.exclude)] {
        if !list.is_empty() {
            let items: Vec<&str> = list.iter().map(|p| p.as_str()).collect();
            let _ = writeln!(t, "  {key}: {}", flow_list(&items));
        }
    }
    t
}

/// A file-name-safe slug: lower case, letters and digits, `-` between words.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

fn user_file(u: &LiveUser, split: SplitBy) -> String {
    match split {
        SplitBy::None => "users.yaml".to_string(),
        SplitBy::Domain => format!("users/{}.yaml", slug_domain(u.upn.domain())),
        SplitBy::Department => {
            let s = slug(u.attrs.text(Attr::Department).unwrap_or(""));
            let s = if s.is_empty() {
                "no-department".to_string()
            } else {
                s
            };
            format!("users/{s}.yaml")
        }
    }
}

fn slug_domain(d: &str) -> String {
    let s: String = d
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("domain-{s}")
    } else {
        s
    }
}

/// The YAML value to write for a live attribute, or why the repo cannot hold
/// it: the value must pass its kind's check (the decoder's) unchanged, so
/// that loading the export gives back exactly what Graph holds.
fn attr_yaml(u: &LiveUser, attr: Attr, value: &AttrValue) -> Result<Option<String>, String> {
    let kind = attr.info().kind;
    if kind == Kind::MailNickname
        && *value == AttrValue::Text(derive_mail_nickname(u.upn.local_part()))
    {
        // Derived from the UPN when a user is created: nothing to say.
        return Ok(None);
    }
    match (kind.check(value), value) {
        (Ok(Cow::Borrowed(_)), AttrValue::Text(t)) => Ok(Some(match kind {
            // A date at midnight reads back from its day alone.
            Kind::Date => scalar(t.strip_suffix("T00:00:00Z").unwrap_or(t)),
            _ => scalar(t),
        })),
        (Ok(Cow::Borrowed(_)), AttrValue::List(l)) => Ok(Some(flow_list(l))),
        (Ok(Cow::Owned(_)), _) | (Err(Invalid::NotADate), _) => Err(format!(
            "`{}` is not a date entraform reads back unchanged",
            text_of(value)
        )),
        (Err(problem), _) => Err(why_not(kind, &problem, value)),
    }
}

fn text_of(value: &AttrValue) -> &str {
    match value {
        AttrValue::Text(t) => t,
        AttrValue::List(_) => "",
    }
}

/// Why the repo cannot hold a live value, for the comment export writes.
fn why_not(kind: Kind, problem: &Invalid, value: &AttrValue) -> String {
    match problem {
        Invalid::TooLong { max, .. } if kind == Kind::MailNickname => {
            format!("longer than the {max} characters Graph allows in a mailNickname")
        }
        Invalid::TooLong { max, .. } => format!("longer than the {max} characters Graph allows"),
        Invalid::NicknameChar(_) => {
            "contains characters Graph rejects in a new mailNickname".into()
        }
        Invalid::NotADate => format!(
            "`{}` is not a date entraform reads back unchanged",
            text_of(value)
        ),
        Invalid::NotACountryCode => {
            format!("`{}` is not an ISO 3166-1 alpha-2 code", text_of(value))
        }
        Invalid::NotALanguageTag => format!("`{}` is not a language tag", text_of(value)),
        Invalid::TooManyItems { count, max } => {
            format!("holds {count} numbers; the format allows {max}")
        }
        Invalid::NotAnEmail(_) => "holds a value that is not an e-mail address".into(),
        Invalid::NotOneOf { allowed } => {
            format!("`{}` is not one of {}", text_of(value), allowed.join(" / "))
        }
        Invalid::ImmutableIdChar(c) => format!("contains `{c}`, which Graph rejects"),
        Invalid::WrongShape => "has an unexpected shape".into(),
    }
}

/// Users whose manager link must stay unmanaged because the declared users'
/// managers form a cycle in the tenant (`manager-cycle` would reject the repo):
/// one per cycle, the smallest UPN in it.
fn manager_cycles<'a>(
    live: &'a Live,
    users: impl Iterator<Item = &'a LiveUser>,
) -> HashSet<ObjectId> {
    let declared: Vec<&LiveUser> = users.collect();
    let ids: HashSet<&ObjectId> = declared.iter().map(|u| &u.id).collect();
    let next = |u: &'a LiveUser| -> Option<&'a ObjectId> {
        u.manager
            .as_ref()
            .filter(|m| ids.contains(m) && live.user(m).is_some_and(|m| representable(&m.upn)))
    };
    let mut broken: HashSet<ObjectId> = HashSet::new();
    let mut done: HashSet<&ObjectId> = HashSet::new();
    for start in &declared {
        let mut path: Vec<&LiveUser> = Vec::new();
        let mut on_path: HashMap<&ObjectId, usize> = HashMap::new();
        let mut cur: Option<&LiveUser> = Some(start);
        while let Some(u) = cur {
            if done.contains(&u.id) {
                break;
            }
            if let Some(&i) = on_path.get(&u.id) {
                if let Some(min) = path[i..].iter().min_by(|a, b| a.upn.cmp(&b.upn)) {
                    broken.insert(min.id.clone());
                }
                break;
            }
            on_path.insert(&u.id, path.len());
            path.push(u);
            cur = if broken.contains(&u.id) {
                None
            } else {
                next(u).and_then(|m| live.user(m))
            };
        }
        done.extend(path.iter().map(|u| &u.id));
    }
    broken
}

fn user_entry(out: &mut String, u: &LiveUser, live: &Live, cyclic: bool, notes: &mut Vec<String>) {
    if u.on_premises_sync_enabled {
        out.push_str(
            "  # Synced from on-premises AD: read-only in the cloud; change this user on-premises.\n",
        );
    }
    let _ = writeln!(out, "  - upn: {}", scalar(u.upn.as_str()));
    // The members of an object-valued property (`employeeOrgData`) are
    // written nested under it, once, when one of them has a value the repo
    // can hold (an empty header would read back as `null`: clear them all).
    let mut members: Vec<(&str, String)> = Vec::new();
    for (i, info) in ATTRS.iter().enumerate() {
        if let Some(value) = live_attr(u, info.attr) {
            match attr_yaml(u, info.attr, &value) {
                Ok(Some(v)) => match info.member {
                    Some(m) => members.push((m, v)),
                    None => {
                        let _ = writeln!(out, "    {}: {v}", info.key);
                    }
                },
                Ok(None) => {}
                Err(why) => {
                    let note = format!("{} of `{}` left unmanaged: {why}", info.key, u.upn);
                    let _ = writeln!(
                        out,
                        "    # {} left unmanaged: {}",
                        info.key,
                        comment_text(&why)
                    );
                    notes.push(note);
                }
            }
        }
        let last_member =
            info.member.is_some() && ATTRS.get(i + 1).is_none_or(|n| n.property != info.property);
        if last_member && !members.is_empty() {
            let _ = writeln!(out, "    {}:", info.property);
            for (m, v) in members.drain(..) {
                let _ = writeln!(out, "      {m}: {v}");
            }
        }
    }
    if !u.account_enabled {
        out.push_str("    enabled: false\n");
    }
    if let Some(mid) = &u.manager {
        match live.user(mid) {
            Some(m) if cyclic => {
                let _ = writeln!(
                    out,
                    "    # manager ({}) left unmanaged: the managers form a cycle in the tenant",
                    comment_text(m.upn.as_str())
                );
                notes.push(format!(
                    "manager of `{}` left unmanaged: the managers form a cycle in the tenant",
                    u.upn
                ));
            }
            Some(m) if representable(&m.upn) => {
                let _ = writeln!(out, "    manager: {}", scalar(m.upn.as_str()));
            }
            Some(m) => {
                let _ = writeln!(
                    out,
                    "    # manager left unmanaged: {} is not a UPN the format accepts",
                    comment_text(m.upn.as_str())
                );
                notes.push(format!("manager of `{}` left unmanaged", u.upn));
            }
            None => {
                out.push_str(
                    "    # manager left unmanaged: it is not a user (an organizational contact)\n",
                );
            }
        }
    }
    license_lines(out, u, live, notes);
}

/// A user's `licenses:`: its **direct** licences only (those inherited from a
/// group are the group's, and the diff never removes them), by SKU part
/// number with `disabled_plans:` by service-plan name. Nothing when the
/// licences were not read or the user holds none directly; left unmanaged
/// with a comment when the repo could not hold them exactly.
fn license_lines(out: &mut String, u: &LiveUser, live: &Live, notes: &mut Vec<String>) {
    let Some(l) = live.licenses() else {
        return;
    };
    let mut direct: Vec<&crate::model::licenses::HeldLicense> = l
        .of(&u.id)
        .iter()
        .filter(|h| h.by_group.is_none())
        .collect();
    if direct.is_empty() {
        return;
    }
    direct.sort_by(|a, b| a.sku_id.cmp(&b.sku_id));
    direct.dedup_by(|a, b| a.sku_id.eq_ignore_ascii_case(&b.sku_id));
    let mut items: Vec<(String, String)> = Vec::new();
    let mut problem: Option<String> = None;
    if !matches!(live_attr(u, Attr::UsageLocation), Some(AttrValue::Text(t)) if !t.is_empty()) {
        problem = Some("the user has no usageLocation, which a declared licence needs".into());
    }
    for h in &direct {
        let Some(sku) = l
            .skus
            .iter()
            .find(|s| s.sku_id.eq_ignore_ascii_case(&h.sku_id))
        else {
            problem = Some(format!(
                "`{}` is not one of the tenant's subscribed SKUs",
                h.sku_id
            ));
            break;
        };
        if l.skus
            .iter()
            .filter(|s| s.part_number.eq_ignore_ascii_case(&sku.part_number))
            .count()
            > 1
        {
            problem = Some(format!(
                "two subscribed SKUs have the part number `{}`",
                sku.part_number
            ));
            break;
        }
        let mut plans: Vec<&str> = Vec::new();
        for id in &h.disabled_plans {
            match sku.plans.iter().find(|p| p.id.eq_ignore_ascii_case(id)) {
                Some(p) => plans.push(p.name.as_str()),
                None => {
                    problem = Some(format!(
                        "disabled plan `{id}` is not a service plan of {}",
                        sku.part_number
                    ));
                    break;
                }
            }
        }
        plans.sort_unstable();
        plans.dedup();
        let item = if plans.is_empty() {
            scalar(&sku.part_number)
        } else {
            format!(
                "{{ sku: {}, disabled_plans: {} }}",
                scalar(&sku.part_number),
                flow_list(&plans)
            )
        };
        items.push((sku.part_number.to_ascii_lowercase(), item));
    }
    if let Some(why) = problem {
        let _ = writeln!(out, "    # licenses left unmanaged: {}", comment_text(&why));
        notes.push(format!("licenses of `{}` left unmanaged: {why}", u.upn));
        return;
    }
    items.sort();
    out.push_str("    licenses:\n");
    for (_, item) in items {
        let _ = writeln!(out, "      - {item}");
    }
}

fn groups_file(live: &Live, notes: &mut Vec<String>) -> (String, usize) {
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for g in live.groups() {
        *by_name.entry(g.display_name.to_lowercase()).or_default() += 1;
    }
    let mut head: Vec<String> = Vec::new();
    let mut body = String::new();
    let mut count = 0usize;
    let mut reported: HashSet<String> = HashSet::new();
    for g in live.groups() {
        let key = g.display_name.to_lowercase();
        if by_name[&key] > 1 {
            if reported.insert(key) {
                let note = format!(
                    "group `{}` left out: {} groups have this name; rename all but one to manage it",
                    g.display_name,
                    by_name[&g.display_name.to_lowercase()]
                );
                head.push(note.clone());
                notes.push(note);
            }
            continue;
        }
        if g.display_name.trim().is_empty() || g.display_name.chars().count() > 256 {
            let note = format!(
                "group `{}` left out: its name is empty or too long",
                g.display_name
            );
            head.push(note.clone());
            notes.push(note);
            continue;
        }
        count += 1;
        group_entry(&mut body, g, live, notes);
    }
    let mut text = String::from(HEADER);
    text.push_str(
        "# Groups are authoritative: a live member that is not listed is removed on apply.\n",
    );
    for c in head {
        let _ = writeln!(text, "# {}", comment_text(&c));
    }
    if body.is_empty() {
        text.push_str("groups: []\n");
    } else {
        text.push_str("groups:\n");
        text.push_str(&body);
    }
    (text, count)
}

fn group_entry(out: &mut String, g: &LiveGroup, live: &Live, notes: &mut Vec<String>) {
    let _ = writeln!(out, "  - name: {}", scalar(&g.display_name));
    if let Some(nick) = g.mail_nickname.as_deref().filter(|n| !n.is_empty())
        && nick != derive_mail_nickname(&g.display_name)
        && Kind::MailNickname
            .check(&AttrValue::Text(nick.to_string()))
            .is_ok()
    {
        let _ = writeln!(out, "    mailNickname: {}", scalar(nick));
    }
    if let Some(d) = g.description.as_deref().filter(|d| !d.is_empty()) {
        if d.chars().count() <= 1024 {
            let _ = writeln!(out, "    description: {}", scalar(d));
        } else {
            out.push_str("    # description left unmanaged: longer than 1024 characters\n");
        }
    }
    if g.is_unified() {
        out.push_str("    type: microsoft365\n");
    }
    if g.on_premises_sync_enabled {
        out.push_str(
            "    # Synced from on-premises AD: read-only in the cloud; its members are managed there and not listed.\n",
        );
        return;
    }
    owners::owners_entry(out, g, live, notes);
    if g.is_dynamic() {
        match &g.membership_rule {
            Some(rule) => {
                let _ = writeln!(
                    out,
                    "    # Dynamic: Entra computes the members from the rule {}",
                    comment_text(rule)
                );
            }
            None => out.push_str("    # Dynamic: Entra computes the members from its rule.\n"),
        }
        out.push_str("    dynamic: true\n");
        return;
    }
    let mut members: Vec<&Upn> = Vec::new();
    let mut non_users = 0usize;
    let mut unlisted_users = 0usize;
    for m in &g.members {
        match (m.kind, live.user(&m.id)) {
            (_, Some(u)) if representable(&u.upn) => members.push(&u.upn),
            (ObjectKind::User, _) => unlisted_users += 1,
            (_, Some(_)) => unlisted_users += 1,
            _ => non_users += 1,
        }
    }
    members.sort();
    members.dedup();
    if unlisted_users > 0 {
        let _ = writeln!(
            out,
            "    # Additive: {unlisted_users} member(s) cannot be written in the repo (unknown or invalid UPN), so nobody is removed."
        );
        out.push_str("    membership: additive\n");
        notes.push(format!(
            "group `{}` exported as additive: {unlisted_users} member(s) cannot be written",
            g.display_name
        ));
    }
    if non_users > 0 {
        let _ = writeln!(
            out,
            "    # Also has {non_users} member(s) that are not users (groups, devices, service principals): not listed, left alone."
        );
    }
    if members.is_empty() {
        out.push_str("    members: []\n");
    } else {
        out.push_str("    members:\n");
        for m in members {
            let _ = writeln!(out, "      - {}", scalar(m.as_str()));
        }
    }
}

/// Who holds a role at one scope, as the format writes it.
#[derive(Default)]
struct Holders<'a> {
    /// Active, permanent.
    principals: Vec<&'a ObjectId>,
    /// Eligible, with the last day.
    eligible: Vec<(&'a ObjectId, Option<String>)>,
    /// Active until a day.
    active: Vec<(&'a ObjectId, String)>,
}

fn roles_file(live: &Live, notes: &mut Vec<String>) -> (String, usize) {
    // Holders by (role definition id, directory scope id), lower-case:
    // plain tenant-scope assignments, and the PIM holdings (eligibilities,
    // time-bound and unit-scoped assignments); activations and holdings
    // through a group are not written (the eligibility is; the group's members are).
    let pim_managed = live.pim_managed_assignments();
    let mut by_def: BTreeMap<(String, String), Holders<'_>> = BTreeMap::new();
    for a in live.role_assignments() {
        if pim_managed.contains(a.id.as_str()) {
            continue;
        }
        by_def
            .entry((a.role_definition_id.to_lowercase(), "/".to_string()))
            .or_default()
            .principals
            .push(&a.principal_id);
    }
    for s in live.role_schedules() {
        if s.inherited || s.activated || !s.pim_managed() {
            continue;
        }
        let h = by_def
            .entry((
                s.role_definition_id.to_lowercase(),
                s.directory_scope_id.to_lowercase(),
            ))
            .or_default();
        match (s.holding, s.until()) {
            (Holding::Eligible, until) => h.eligible.push((&s.principal_id, until)),
            (Holding::Active, Some(until)) => h.active.push((&s.principal_id, until)),
            (Holding::Active, None) => h.principals.push(&s.principal_id),
        }
    }
    let custom_names: HashMap<String, usize> = {
        let mut m: HashMap<String, usize> = HashMap::new();
        for d in live.role_definitions().iter().filter(|d| !d.is_built_in) {
            *m.entry(d.display_name.to_lowercase()).or_default() += 1;
        }
        m
    };
    let mut head: Vec<String> = Vec::new();
    // Sort key (lower-cased name, scope) → (YAML entry).
    let mut entries: BTreeMap<(String, String), String> = BTreeMap::new();
    for ((def_id, scope_id), holders) in by_def {
        let Some(def) = live.role(&def_id) else {
            let note = format!(
                "role definition `{def_id}` left out: assigned, but not found among the role definitions"
            );
            head.push(note.clone());
            notes.push(note);
            continue;
        };
        let builtin = def
            .template_id
            .as_deref()
            .and_then(builtin_roles::by_template_id)
            .or_else(|| builtin_roles::by_template_id(&def.id));
        let (name, custom) = if def.is_built_in {
            match builtin.or_else(|| builtin_roles::by_display_name(&def.display_name)) {
                Some(b) => (b.display_name.to_string(), false),
                None => {
                    let note = format!(
                        "role `{}` left out: a built-in role entraform does not know yet",
                        def.display_name
                    );
                    head.push(note.clone());
                    notes.push(note);
                    continue;
                }
            }
        } else {
            if builtin_roles::lookup(&def.display_name).is_some()
                || custom_names
                    .get(&def.display_name.to_lowercase())
                    .is_some_and(|n| *n > 1)
            {
                let note = format!(
                    "custom role `{}` left out: its name is not unique",
                    def.display_name
                );
                head.push(note.clone());
                notes.push(note);
                continue;
            }
            (def.display_name.clone(), true)
        };
        // An administrative unit is written by its name, which must name it alone.
        let unit = if scope_id == "/" {
            None
        } else {
            match live.admin_unit_of_scope(&scope_id) {
                Some(u) if live.admin_unit_named(&u.display_name).is_ok() => {
                    Some(u.display_name.clone())
                }
                _ => {
                    let note = format!(
                        "role `{name}` at scope `{scope_id}` left out: not an administrative unit with a unique name"
                    );
                    head.push(note.clone());
                    notes.push(note);
                    continue;
                }
            }
        };
        let mut non_users = 0usize;
        let mut bad_user = None;
        let mut upn_of = |p: &ObjectId| -> Option<Upn> {
            match live.user(p) {
                Some(u) if representable(&u.upn) => Some(u.upn.clone()),
                Some(u) => {
                    bad_user = Some(u.upn.clone());
                    None
                }
                None => {
                    non_users += 1;
                    None
                }
            }
        };
        let mut users: Vec<Upn> = holders
            .principals
            .iter()
            .filter_map(|p| upn_of(p))
            .collect();
        let mut eligible: Vec<(Upn, Option<String>)> = holders
            .eligible
            .iter()
            .filter_map(|(p, until)| upn_of(p).map(|u| (u, until.clone())))
            .collect();
        let mut active: Vec<(Upn, String)> = holders
            .active
            .iter()
            .filter_map(|(p, until)| upn_of(p).map(|u| (u, until.clone())))
            .collect();
        if let Some(bad) = bad_user {
            let note = format!(
                "role `{name}` left out: held by `{bad}`, a UPN the format does not accept"
            );
            head.push(note.clone());
            notes.push(note);
            continue;
        }
        users.sort();
        users.dedup();
        eligible.sort();
        eligible.dedup_by(|a, b| a.0 == b.0);
        active.sort();
        active.dedup_by(|a, b| a.0 == b.0);
        let mut e = String::new();
        let _ = writeln!(e, "  - role: {}", scalar(&name));
        if custom {
            e.push_str("    custom: true\n");
        }
        if let Some(u) = &unit {
            let _ = writeln!(e, "    scope: {}", scalar(&format!("au:{u}")));
        }
        if non_users > 0 {
            let _ = writeln!(
                e,
                "    # Also assigned to {non_users} principal(s) that are not users (service principals, groups): not listed, left alone."
            );
        }
        if users.is_empty() && eligible.is_empty() && active.is_empty() {
            e.push_str("    principals: []\n");
        }
        if !users.is_empty() {
            e.push_str("    principals:\n");
            for u in users {
                let _ = writeln!(e, "      - {}", scalar(u.as_str()));
            }
        }
        if !eligible.is_empty() {
            e.push_str("    eligible:\n");
            for (u, until) in eligible {
                match until {
                    Some(d) => {
                        let _ = writeln!(
                            e,
                            "      - principal: {}\n        until: {d}",
                            scalar(u.as_str())
                        );
                    }
                    None => {
                        let _ = writeln!(e, "      - {}", scalar(u.as_str()));
                    }
                }
            }
        }
        if !active.is_empty() {
            e.push_str("    active:\n");
            for (u, d) in active {
                let _ = writeln!(
                    e,
                    "      - principal: {}\n        until: {d}",
                    scalar(u.as_str())
                );
            }
        }
        entries
            .entry((name.to_lowercase(), unit.unwrap_or_default().to_lowercase()))
            .or_insert(e);
    }
    let mut text = String::from(HEADER);
    text.push_str(
        "# Tenant-wide directory role assignments. A role listed here is authoritative:\n",
    );
    text.push_str("# a user assignment that is not listed is removed on apply.\n");
    for c in head {
        let _ = writeln!(text, "# {}", comment_text(&c));
    }
    let count = entries.len();
    if entries.is_empty() {
        text.push_str("roles: []\n");
    } else {
        text.push_str("roles:\n");
        for e in entries.values() {
            text.push_str(e);
        }
    }
    (text, count)
}

/// What `tenant.yaml` is made of.
struct TenantFile<'a> {
    domain: &'a str,
    others: &'a [&'a str],
    /// `--exclude`.
    exclude: &'a [Upn],
    /// Disabled accounts left out of the export.
    disabled: &'a [Upn],
    protected: &'a BTreeSet<Upn>,
    /// Users the repo owns (the base of the gates).
    owned: u64,
}

fn tenant_file(f: &TenantFile<'_>) -> String {
    let mut t = String::from(HEADER);
    t.push_str("tenant:\n");
    let _ = writeln!(t, "  domain: {}", scalar(f.domain));
    if !f.others.is_empty() {
        t.push_str("  # Taken from the users' UPNs: add any other verified domain you use.\n");
        let _ = writeln!(t, "  domains: {}", flow_list(f.others));
    }
    t.push_str("  scope:\n    users: all\n");
    let mut exclude: Vec<&Upn> = f.exclude.iter().collect();
    exclude.sort();
    exclude.dedup();
    let mut disabled: Vec<&Upn> = f.disabled.iter().filter(|u| !exclude.contains(u)).collect();
    disabled.sort();
    disabled.dedup();
    if !exclude.is_empty() || !disabled.is_empty() {
        t.push_str("    exclude:\n");
    }
    if !exclude.is_empty() {
        t.push_str("      # Left out of the export (--exclude): never touched.\n");
        for u in exclude {
            let _ = writeln!(t, "      - {}", scalar(u.as_str()));
        }
    }
    if !disabled.is_empty() {
        let _ = writeln!(
            t,
            "      # Disabled accounts ({}), not exported: excluded so that no `absent_users`\n      # policy ever disables or deletes them. To manage one, remove it from this list\n      # and declare it (`export --include-disabled` declares them with `enabled: false`).",
            disabled.len()
        );
        for u in disabled {
            let _ = writeln!(t, "      - {}", scalar(u.as_str()));
        }
    }
    t.push_str("  # Live users this repo does not declare are left alone.\n");
    t.push_str("  absent_users: ignore\n");
    let (deletes, disables, changes) = gate_limits(f.owned);
    let _ = writeln!(
        t,
        "  # Safety gates: a plan over a limit stops (exit 3, nothing written) unless its\n  # --allow-… flag is given. Counts chosen for the {} owned at export\n  # (1%, 2% and 10%, at least 3, 5 and 25): raise them as the tenant grows.",
        if f.owned == 1 {
            "1 user".to_string()
        } else {
            format!("{} users", f.owned)
        }
    );
    t.push_str("  safety:\n");
    let gates = [
        (
            format!("max_deletes: {deletes}"),
            "most users one plan may delete (--allow-mass-deletes)",
        ),
        (
            format!("max_disables: {disables}"),
            "most users one plan may disable (--allow-mass-disables)",
        ),
        (
            format!("max_changes: {changes}"),
            "most operations of any kind in one plan (--allow-mass-changes)",
        ),
        (
            "min_tenant_size: 0".to_string(),
            "the limits apply whatever the number of users (the default, 50, would switch them off below 50)",
        ),
    ];
    let width = gates.iter().map(|(g, _)| g.len()).max().unwrap_or(0) + 2;
    for (gate, what) in gates {
        let _ = writeln!(t, "    {gate:<width$}# {what}");
    }
    let protected = f.protected;
    if protected.is_empty() {
        t.push_str("    protected: []\n");
    } else {
        t.push_str("    # Every enabled Global Administrator: never disabled, deleted or stripped of roles.\n");
        t.push_str("    protected:\n");
        for u in protected {
            let _ = writeln!(t, "      - {}", scalar(u.as_str()));
        }
    }
    t.push_str("  # Declared users without `enabled:` are kept enabled.\n");
    t.push_str("  defaults:\n    enabled: true\n");
    t
}

#[cfg(test)]
mod edge_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slug("Engineering"), "engineering");
        assert_eq!(slug("IT Operations"), "it-operations");
        assert_eq!(slug("  R&D / Labs "), "r-d-labs");
        assert_eq!(slug("Försäljning"), "försäljning");
        assert_eq!(slug("--"), "");
        assert_eq!(slug_domain("Contoso.COM"), "contoso.com");
    }
}
