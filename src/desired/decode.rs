//! Phase one of loading: decode each file's YAML tree into spanned raw records.
//!
//! The decoder checks what one value can tell on its own (types, keys, formats,
//! lengths) and records every problem instead of stopping at the first. Rules
//! that need the whole repo (duplicates, references, cycles) are in `validate`.

use std::borrow::Cow;

use super::attrs::{ATTRS, Attr, AttrValue, Invalid};
use super::country;
use super::diagnostic::{Code, DiagList, Diagnostic, shown};
use super::file_rule::Pattern;
use super::limits::MAX_FILE_PATTERNS;
use super::source::{FileId, Loc, Span};
use super::state::{AbsentUsers, GroupKind, PasswordPolicy, Threshold};
use super::suggest::did_you_mean;
use super::yaml::{Node, Scalar, Style, Value};
use crate::model::attrs::{is_object_property, members_of, properties};
use crate::model::licenses::LicenseSpec;

/// A string with the place it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Str {
    /// The text.
    pub text: String,
    /// Where.
    pub loc: Loc,
}

/// A value that may be an explicit `null`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Nullable<T> {
    /// `key: null`.
    Null(Loc),
    /// `key: value`.
    Value(T),
}

/// `tenant.scope.users`.
#[derive(Debug, Clone, Default)]
pub enum RawScopeUsers {
    /// `all` (also the default).
    #[default]
    All,
    /// `{ domains: [...] }`.
    Domains(Vec<Str>),
    /// `{ list: [...] }`.
    List(Vec<Str>),
}

/// The `tenant:` block as written.
#[derive(Debug, Clone, Default)]
pub struct RawTenant {
    /// The `tenant` key.
    pub loc: Loc,
    /// `domain`.
    pub domain: Option<Str>,
    /// `domains`.
    pub domains: Vec<Str>,
    /// `scope.users`.
    pub scope_users: RawScopeUsers,
    /// `scope.exclude`.
    pub exclude: Vec<Str>,
    /// `absent_users`.
    pub absent_users: Option<AbsentUsers>,
    /// `safety.max_deletes`.
    pub max_deletes: Option<Threshold>,
    /// `safety.max_disables`.
    pub max_disables: Option<Threshold>,
    /// `safety.max_changes`.
    pub max_changes: Option<Threshold>,
    /// `safety.min_tenant_size`.
    pub min_tenant_size: Option<u64>,
    /// `safety.protected`.
    pub protected: Vec<Str>,
    /// `defaults` attributes.
    pub default_attrs: Vec<(Attr, AttrValue)>,
    /// `defaults.enabled`.
    pub default_enabled: Option<bool>,
    /// `defaults.password`.
    pub default_password: Option<PasswordPolicy>,
    /// `defaults.onboarding.temporary_access_pass`.
    pub default_onboarding: Option<Option<crate::model::kinds::TapPolicy>>,
    /// `lifecycle` (checked as it is decoded).
    pub lifecycle: Option<super::lifecycle::Lifecycle>,
    /// `defaults.licenses`.
    pub default_licenses: Option<Vec<LicenseSpec>>,
}

/// One `users:` item as written.
#[derive(Debug, Clone)]
pub struct RawUser {
    /// The list item.
    pub loc: Loc,
    /// `upn`.
    pub upn: Option<Str>,
    /// Attributes: `None` value = explicit null.
    pub attrs: Vec<(Attr, Option<AttrValue>, Loc)>,
    /// `manager`.
    pub manager: Option<Nullable<Str>>,
    /// `enabled` and where.
    pub enabled: Option<(bool, Loc)>,
    /// `groups`.
    pub groups: Vec<Str>,
    /// `roles`: plain role names.
    pub roles: Vec<Str>,
    /// `roles`: items written as mappings (`{role: …, eligible: true, until: …}`).
    pub role_holdings: Vec<RawHolding>,
    /// `password`.
    pub password: Option<PasswordPolicy>,
    /// `onboarding.temporary_access_pass`: `Some(None)` when written `null` (no pass).
    pub onboarding: Option<Option<crate::model::kinds::TapPolicy>>,
    /// `reset_password_after`: a one-off reset marker.
    pub reset_password_after: Option<crate::model::clock::Moment>,
    /// `revoke_sessions_after`: a one-off revocation marker.
    pub revoke_sessions_after: Option<crate::model::clock::Moment>,
    /// `licenses` and where the key's value is.
    pub licenses: Option<(Vec<LicenseSpec>, Loc)>,
    /// `previous_upns`: UPNs the user had (a rename in place).
    pub previous_upns: Vec<Str>,
    /// `invite`: the user is a B2B guest invited through `POST /invitations`.
    pub invite: Option<RawInvite>,
}

/// A user's `invite:` block as written.
#[derive(Debug, Clone)]
pub struct RawInvite {
    /// The block (its value).
    pub loc: Loc,
    /// `email`: the guest's own address.
    pub email: Option<Str>,
    /// `redirect_url`: where the guest lands after redeeming.
    pub redirect_url: Option<Str>,
    /// `message`: text added to Microsoft's invitation email.
    pub message: Option<Str>,
    /// `send_email`: whether Microsoft emails the invitation (default true).
    pub send_email: Option<bool>,
}

/// One `groups:` item as written.
#[derive(Debug, Clone)]
pub struct RawGroup {
    /// The list item.
    pub loc: Loc,
    /// `name`.
    pub name: Option<Str>,
    /// `mailNickname`.
    pub mail_nickname: Option<Str>,
    /// `description`.
    pub description: Option<Nullable<Str>>,
    /// `type`.
    pub kind: GroupKind,
    /// `membership: additive`.
    pub additive: bool,
    /// `dynamic: true` and where.
    pub dynamic: Option<Loc>,
    /// `members` (and where the key is).
    pub members: Option<(MemberList, Loc)>,
    /// `until:` of members written `{ user: …, until: … }`: where the member is, and the date.
    pub member_until: Vec<(Loc, crate::model::clock::Moment)>,
    /// `owners` (and where the key is, and how many items were written —
    /// an invalid item is reported and left out): users, or service principals.
    pub owners: Option<(Vec<RawOwner>, Loc, usize)>,
}

/// A group's `members:` items as written, compactly: each item is its span
/// and where its text is in the file's text (as decoded, before redaction),
/// instead of a `String` and a 32-byte [`Loc`] of its own. The 500,000
/// members of a large tenant are the bulk of a repo's raw records; only an
/// item whose text the file does not hold as written (escapes, folded lines)
/// keeps a copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberList {
    /// The file every item is in.
    file: FileId,
    items: Vec<MemberRef>,
    /// Texts of items that the file does not hold as they read.
    copies: Vec<String>,
}

/// One item of a [`MemberList`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MemberRef {
    span: Span,
    text: TextAt,
}

/// Where a member's text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextAt {
    /// Bytes `start..start + len` of the file's text.
    File { start: u32, len: u32 },
    /// An index into [`MemberList::copies`].
    Copy(u32),
}

impl MemberList {
    /// An empty list of members in `file`, with room for `n`.
    fn with_capacity(file: FileId, n: usize) -> Self {
        MemberList {
            file,
            items: Vec::with_capacity(n),
            copies: Vec::new(),
        }
    }

    /// Add an item: `text` as the tree holds it (borrowed from `file_text`
    /// where the file holds it as written), written at `span`.
    fn push(&mut self, text: &str, span: Span, file_text: &str) {
        let at = match offset_in(text, file_text) {
            Some(start) => TextAt::File {
                start,
                len: u32::try_from(text.len()).unwrap_or(u32::MAX),
            },
            None => {
                self.copies.push(text.to_string());
                TextAt::Copy(u32::try_from(self.copies.len() - 1).unwrap_or(u32::MAX))
            }
        };
        self.items.push(MemberRef { span, text: at });
    }

    /// The file the items are written in.
    pub fn file(&self) -> FileId {
        self.file
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the list has no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Each item's text and location, in order; `file_text` is the text of
    /// the list's file as it was decoded (not yet redacted).
    pub fn iter<'s>(&'s self, file_text: &'s str) -> impl Iterator<Item = (&'s str, Loc)> + 's {
        self.items.iter().map(move |m| {
            let text = match m.text {
                TextAt::File { start, len } => {
                    let start = start as usize;
                    file_text.get(start..start + len as usize)
                }
                TextAt::Copy(i) => self.copies.get(i as usize).map(String::as_str),
            };
            debug_assert!(text.is_some(), "a member's text is outside its file");
            let loc = Loc {
                file: self.file,
                span: m.span,
            };
            (text.unwrap_or(""), loc)
        })
    }
}

/// The byte offset of `part` in `whole` when `part` is a slice of it (not an equal copy).
fn offset_in(part: &str, whole: &str) -> Option<u32> {
    let base = whole.as_ptr() as usize;
    let at = (part.as_ptr() as usize).checked_sub(base)?;
    let end = at.checked_add(part.len())?;
    if end > whole.len() || !whole.is_char_boundary(at) || !whole.is_char_boundary(end) {
        return None;
    }
    u32::try_from(at)
        .ok()
        .filter(|_| u32::try_from(end).is_ok())
}

/// One `owners:` item as written.
#[derive(Debug, Clone)]
pub enum RawOwner {
    /// A user: UPN or short name.
    User(Str),
    /// `servicePrincipal: self` (the app entraform signs in as) or
    /// `servicePrincipal: <object id>`.
    ServicePrincipal(Str),
}

/// One `roles:` item as written.
#[derive(Debug, Clone)]
pub struct RawRole {
    /// The list item.
    pub loc: Loc,
    /// `role`.
    pub role: Option<Str>,
    /// `custom: true`.
    pub custom: bool,
    /// `principals`.
    pub principals: Vec<Str>,
    /// `scope` (`/` or `au:<name>`).
    pub scope: Option<Str>,
    /// `eligible`.
    pub eligible: Vec<RawHolding>,
    /// `active`.
    pub active: Vec<RawHolding>,
}

/// A PIM holding as written: an item of a role's `eligible:`/`active:` (a
/// principal, or `{principal, until, justification}`), or a mapping item of
/// a user's `roles:` (`{role, eligible, until, justification, scope}`).
#[derive(Debug, Clone)]
pub struct RawHolding {
    /// The item.
    pub loc: Loc,
    /// `principal` (role lists).
    pub principal: Option<Str>,
    /// `role` (users' lists).
    pub role: Option<Str>,
    /// Eligible (`eligible:` list, or `eligible: true`).
    pub eligible: bool,
    /// `until`.
    pub until: Option<Str>,
    /// `justification`.
    pub justification: Option<Str>,
    /// `scope` (users' lists).
    pub scope: Option<Str>,
}

/// Everything decoded from the repo's files.
#[derive(Debug, Clone, Default)]
pub struct RawRepo {
    /// Every `tenant:` block (exactly one is valid).
    pub tenants: Vec<RawTenant>,
    /// Every user item.
    pub users: Vec<RawUser>,
    /// Every group item.
    pub groups: Vec<RawGroup>,
    /// Every role item.
    pub roles: Vec<RawRole>,
}

const TOP_KEYS: &[&str] = &["tenant", "users", "groups", "roles"];
/// The top-level keys of `tenant.yaml` at the root, which may also hold the `files:` rule.
const RULE_FILE_KEYS: &[&str] = &[
    "tenant",
    "users",
    "groups",
    "roles",
    "files",
    "include",
    "connection",
];
const FILES_KEYS: &[&str] = &["include", "exclude"];
const TENANT_KEYS: &[&str] = &[
    "domain",
    "domains",
    "scope",
    "absent_users",
    "safety",
    "defaults",
    "lifecycle",
];
const SCOPE_KEYS: &[&str] = &["users", "exclude"];
const SAFETY_KEYS: &[&str] = &[
    "max_deletes",
    "max_disables",
    "max_changes",
    "min_tenant_size",
    "protected",
];
const USER_EXTRA_KEYS: &[&str] = &[
    "upn",
    "manager",
    "enabled",
    "groups",
    "roles",
    "password",
    "onboarding",
    "reset_password_after",
    "revoke_sessions_after",
    "licenses",
    "previous_upns",
    "invite",
];
const INVITE_KEYS: &[&str] = &["email", "redirect_url", "message", "send_email"];
const LICENSE_KEYS: &[&str] = &["sku", "disabled_plans"];
const GROUP_KEYS: &[&str] = &[
    "name",
    "mailNickname",
    "description",
    "type",
    "membership",
    "members",
    "owners",
    "dynamic",
];
const ROLE_KEYS: &[&str] = &[
    "role",
    "custom",
    "principals",
    "scope",
    "eligible",
    "active",
];
const ROLE_HOLDING_KEYS: &[&str] = &["principal", "until", "justification"];
const USER_ROLE_KEYS: &[&str] = &["role", "eligible", "until", "justification", "scope"];

/// Keys accepted in a user item.
pub fn user_keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = vec!["upn"];
    // An object-valued property (`employeeOrgData`) is one key, a nested mapping.
    keys.extend(properties().map(|a| a.property));
    keys.extend(USER_EXTRA_KEYS.iter().skip(1));
    keys
}

/// Keys accepted in `tenant.defaults`.
pub fn default_keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = ATTRS
        .iter()
        .filter(|a| a.defaultable)
        .map(|a| a.key)
        .collect();
    keys.extend(["enabled", "password", "onboarding", "licenses"]);
    keys
}

/// Decodes one file, pushing diagnostics.
pub struct Decoder<'a> {
    file: FileId,
    diags: &'a mut DiagList,
    /// The file's text, which the tree's scalars borrow from where they can
    /// (group members are kept as ranges of it).
    text: &'a str,
    /// Spans to mask in snippets (literal passwords).
    pub redactions: Vec<Loc>,
    /// The file's path relative to the repo root (`/`-separated), when known.
    rel: Option<String>,
    /// Whether this is the repo's `tenant.yaml`, which may hold the `files:` rule.
    rule_file: bool,
}

/// A checked mapping: its entries by key, with unknown and duplicate keys already reported.
struct Fields<'n> {
    entries: Vec<(&'n str, &'n Node<'n>, &'n Node<'n>)>,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node<'n>> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, v)| *v)
    }
    fn key_node(&self, key: &str) -> Option<&'n Node<'n>> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, k, _)| *k)
    }
}

impl<'a> Decoder<'a> {
    /// A decoder for one file.
    pub fn new(file: FileId, diags: &'a mut DiagList) -> Self {
        Decoder {
            file,
            diags,
            text: "",
            redactions: Vec::new(),
            rel: None,
            rule_file: false,
        }
    }

    /// Where the file is in the repo: its relative path (for hints), and whether
    /// it is the `tenant.yaml` at the root that may hold the `files:` rule.
    pub fn in_repo(mut self, rel: Option<String>, rule_file: bool) -> Self {
        self.rel = rel;
        self.rule_file = rule_file;
        self
    }

    /// The text of the file being decoded, which its tree was parsed from:
    /// members are then kept as ranges of it instead of copies.
    pub fn with_text(mut self, text: &'a str) -> Self {
        self.text = text;
        self
    }

    fn loc(&self, n: &Node) -> Loc {
        Loc {
            file: self.file,
            span: n.span,
        }
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn wrong_type(&mut self, n: &Node, what: &str, expected: &str, help: Option<&str>) {
        let mut d = Diagnostic::error(
            Code::WrongType,
            self.loc(n),
            format!("{what} must be {expected}, found {}", n.kind_name()),
        )
        .label(format!("expected {expected}"));
        if let Some(h) = help {
            d = d.help(h);
        }
        self.push(d);
    }

    fn fields<'n>(&mut self, n: &'n Node<'n>, what: &str, allowed: &[&str]) -> Option<Fields<'n>> {
        let Value::Map(entries) = &n.value else {
            self.wrong_type(n, what, "a mapping of keys to values", None);
            return None;
        };
        let mut out: Vec<(&str, &Node<'n>, &Node<'n>)> = Vec::with_capacity(entries.len());
        for (k, v) in entries.iter() {
            if k.scalar().is_some_and(|s| looks_secret(&s.text)) && !is_safe_password(v) {
                // Whatever else is wrong here, a snippet must never show a password.
                self.redactions.push(self.loc(v));
            }
            let Some(Scalar { text: key, .. }) = k.scalar() else {
                self.wrong_type(k, &format!("a key in {what}"), "a plain word", None);
                continue;
            };
            if !allowed.contains(&&**key) {
                let mut d = Diagnostic::error(
                    Code::UnknownKey,
                    self.loc(k),
                    format!("unknown key `{}` in {what}", shown(key.as_ref())),
                )
                .label("not a known key");
                d = match did_you_mean(key, allowed) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(format!("allowed keys: {}", allowed.join(", "))),
                };
                self.push(d);
                continue;
            }
            if let Some((_, first, _)) = out.iter().find(|(name, _, _)| *name == &**key) {
                let first = self.loc(first);
                let d = Diagnostic::error(
                    Code::DuplicateKey,
                    self.loc(k),
                    format!("key `{key}` appears twice in {what}"),
                )
                .label("second occurrence")
                .related(first, "first occurrence")
                .help("keep one of them; YAML would silently drop the first");
                self.push(d);
                continue;
            }
            out.push((&**key, k, v));
        }
        Some(Fields { entries: out })
    }

    fn require<'n>(
        &mut self,
        f: &Fields<'n>,
        parent: &Node,
        key: &str,
        what: &str,
    ) -> Option<&'n Node<'n>> {
        let v = f.get(key);
        if v.is_none() {
            let d = Diagnostic::error(
                Code::MissingKey,
                Loc {
                    file: self.file,
                    span: super::source::Span {
                        start: parent.span.start,
                        end: parent.span.start,
                    },
                },
                format!("{what} has no `{key}`"),
            )
            .label(format!("`{key}` is required here"))
            .help(format!("add `{key}: …` to this entry"));
            self.push(d);
        }
        v
    }

    fn string(&mut self, n: &Node, what: &str) -> Option<Str> {
        match n.scalar() {
            Some(s) if s.is_null() => {
                self.wrong_type(
                    n,
                    what,
                    "a string",
                    Some("remove the key to leave it unmanaged"),
                );
                None
            }
            Some(s) => Some(Str {
                text: s.text.to_string(),
                loc: self.loc(n),
            }),
            None => {
                self.wrong_type(n, what, "a string", None);
                None
            }
        }
    }

    fn nullable_string(&mut self, n: &Node, what: &str) -> Option<Nullable<Str>> {
        if n.is_null() {
            return Some(Nullable::Null(self.loc(n)));
        }
        self.string(n, what).map(Nullable::Value)
    }

    fn bool(&mut self, n: &Node, what: &str) -> Option<bool> {
        match n.scalar() {
            Some(s) => match s.as_bool() {
                Some(b) => Some(b),
                None => {
                    let help = if s.style == Style::Quoted && matches!(&*s.text, "true" | "false") {
                        "remove the quotes: a quoted \"true\" is a string"
                    } else {
                        "write true or false"
                    };
                    self.wrong_type(n, what, "true or false", Some(help));
                    None
                }
            },
            None => {
                self.wrong_type(n, what, "true or false", None);
                None
            }
        }
    }

    fn string_list(&mut self, n: &Node, what: &str) -> Vec<Str> {
        match &n.value {
            Value::Seq(items) => {
                // Sized for the list up front: a group's members are kept until validation.
                let mut out = Vec::with_capacity(items.len());
                out.extend(items.iter().filter_map(|i| match i.scalar() {
                    Some(sc) if !sc.is_null() => Some(Str {
                        text: sc.text.to_string(),
                        loc: self.loc(i),
                    }),
                    _ => self.string(i, &format!("an item of {what}")),
                }));
                out
            }
            Value::Scalar(s) if s.is_null() => Vec::new(),
            _ => {
                self.wrong_type(
                    n,
                    what,
                    "a list",
                    Some("write a list, e.g. [a, b] or one `- item` per line"),
                );
                Vec::new()
            }
        }
    }

    /// A group's `members:`: as [`Decoder::string_list`], kept as a [`MemberList`].
    /// An item may also be `{ user: <upn>, until: <date> }`: a membership
    /// that ends on that date (pushed to `until`).
    fn member_list(
        &mut self,
        n: &Node,
        until: &mut Vec<(Loc, crate::model::clock::Moment)>,
    ) -> MemberList {
        let what = "`members`";
        match &n.value {
            Value::Seq(items) => {
                let mut out = MemberList::with_capacity(self.file, items.len());
                for i in items.iter() {
                    if let Value::Map(_) = &i.value {
                        let Some(f) = self.fields(i, "a member", &["user", "until"]) else {
                            continue;
                        };
                        let Some(u) = self.require(&f, i, "user", "a member") else {
                            continue;
                        };
                        let Some(s) = self.string(u, "`user`") else {
                            continue;
                        };
                        if let Some(d) = f.get("until") {
                            let date = d
                                .scalar()
                                .filter(|sc| !sc.is_null())
                                .and_then(|sc| crate::model::clock::Moment::parse(&sc.text));
                            match date {
                                Some(m) => until.push((s.loc, m)),
                                None => self.invalid(
                                    d,
                                    "`until` must be a date".into(),
                                    "not a date",
                                    "write YYYY-MM-DD or an RFC 3339 timestamp, e.g. `until: 2026-12-31`",
                                ),
                            }
                        }
                        out.push(&s.text, s.loc.span, self.text);
                        continue;
                    }
                    match i.scalar() {
                        Some(sc) if !sc.is_null() => out.push(&sc.text, i.span, self.text),
                        _ => {
                            if let Some(s) = self.string(i, &format!("an item of {what}")) {
                                out.push(&s.text, s.loc.span, self.text);
                            }
                        }
                    }
                }
                out
            }
            Value::Scalar(s) if s.is_null() => MemberList::with_capacity(self.file, 0),
            _ => {
                self.wrong_type(
                    n,
                    what,
                    "a list",
                    Some("write a list, e.g. [a, b] or one `- item` per line"),
                );
                MemberList::with_capacity(self.file, 0)
            }
        }
    }

    /// A date or timestamp (a one-off marker).
    fn moment(&mut self, n: &Node, what: &str) -> Option<crate::model::clock::Moment> {
        let s = self.string(n, what)?;
        let m = crate::model::clock::Moment::parse(&s.text);
        if m.is_none() {
            self.invalid(
                n,
                format!("{what} must be a date, found `{}`", shown(&s.text)),
                "not a date",
                "write YYYY-MM-DD or an RFC 3339 timestamp, e.g. `2026-12-01T10:00Z`",
            );
        }
        m
    }

    /// `onboarding: { temporary_access_pass: { lifetime: 8h, one_time: true } }`
    /// (`temporary_access_pass: null`: none, overriding a default).
    fn onboarding(
        &mut self,
        n: &Node,
        what: &str,
    ) -> Option<Option<crate::model::kinds::TapPolicy>> {
        use crate::model::kinds::TapPolicy;
        let f = self.fields(n, what, &["temporary_access_pass"])?;
        let v = f.get("temporary_access_pass")?;
        if v.is_null() {
            return Some(None);
        }
        let tf = self.fields(v, "`temporary_access_pass`", &["lifetime", "one_time"])?;
        let mut tap = TapPolicy {
            lifetime_minutes: 60,
            one_time: true,
        };
        if let Some(l) = tf.get("lifetime")
            && let Some(s) = self.string(l, "`lifetime`")
        {
            let minutes = crate::model::clock::parse_span(&s.text)
                .filter(|secs| secs % 60 == 0)
                .and_then(|secs| u32::try_from(secs / 60).ok())
                .filter(|m| TapPolicy::LIFETIME_MINUTES.contains(m));
            match minutes {
                Some(m) => tap.lifetime_minutes = m,
                None => {
                    self.invalid(
                        l,
                        format!(
                            "`lifetime: {}` is not a Temporary Access Pass lifetime",
                            shown(&s.text)
                        ),
                        "not 10 minutes to 30 days",
                        "Graph accepts 10 minutes to 30 days in whole minutes, e.g. `lifetime: 8h` or `lifetime: 90m`",
                    );
                    return None;
                }
            }
        }
        if let Some(o) = tf.get("one_time") {
            tap.one_time = self.bool(o, "`one_time`")?;
        }
        Some(Some(tap))
    }

    /// `tenant.lifecycle`: `upcoming_days` and the `leaver` policy.
    fn lifecycle(&mut self, n: &Node) -> Option<super::lifecycle::Lifecycle> {
        use super::lifecycle::{LeaverPolicy, LeaverStep, Lifecycle, MAX_UPCOMING_DAYS};
        let f = self.fields(n, "`tenant.lifecycle`", &["leaver", "upcoming_days"])?;
        let mut out = Lifecycle::default();
        if let Some(v) = f.get("upcoming_days") {
            match v.scalar().and_then(Scalar::as_int) {
                Some(i) if (0..=i64::from(MAX_UPCOMING_DAYS)).contains(&i) => {
                    out.upcoming_days = i as u32;
                }
                _ => self.wrong_type(
                    v,
                    "`lifecycle.upcoming_days`",
                    &format!("a whole number of days from 0 to {MAX_UPCOMING_DAYS}"),
                    None,
                ),
            }
        }
        let Some(l) = f.get("leaver") else {
            return Some(out);
        };
        let lf = self.fields(
            l,
            "`tenant.lifecycle.leaver`",
            &["steps", "keep_groups", "delete_after"],
        )?;
        let mut policy = LeaverPolicy {
            steps: Vec::new(),
            keep_groups: Vec::new(),
            delete_after: None,
        };
        if let Some(v) = lf.get("steps") {
            for s in self.string_list(v, "`leaver.steps`") {
                if let Some((_, step)) = LeaverStep::KNOWN.iter().find(|(k, _)| *k == s.text) {
                    policy.steps.push(*step);
                    continue;
                }
                let node_loc = s.loc;
                let d = match LeaverStep::NOT_YET.iter().find(|(k, _)| *k == s.text) {
                    Some((k, why)) => Diagnostic::error(
                        Code::InvalidValue,
                        node_loc,
                        format!("leaver step `{k}` is not supported by this version: {why}"),
                    )
                    .label("not carried out")
                    .help("remove it from `steps`; do this step by hand for now"),
                    None => {
                        let known: Vec<&str> = LeaverStep::KNOWN.iter().map(|(k, _)| *k).collect();
                        let d = Diagnostic::error(
                            Code::InvalidValue,
                            node_loc,
                            format!("unknown leaver step `{}`", shown(&s.text)),
                        )
                        .label("unknown step");
                        match did_you_mean(&s.text, &known) {
                            Some(k) => d.help(format!("did you mean `{k}`?")),
                            None => d.help(format!("known steps: {}", known.join(", "))),
                        }
                    }
                };
                self.push(d);
            }
            policy.steps.sort();
            policy.steps.dedup();
        }
        if let Some(v) = lf.get("keep_groups") {
            policy.keep_groups = self
                .string_list(v, "`leaver.keep_groups`")
                .into_iter()
                .map(|s| s.text.to_lowercase())
                .collect();
        }
        if let Some(v) = lf.get("delete_after")
            && let Some(s) = self.string(v, "`leaver.delete_after`")
        {
            match crate::model::clock::parse_span(&s.text) {
                Some(secs) => policy.delete_after = Some(secs),
                None => self.invalid(
                    v,
                    format!("`delete_after: {}` is not a duration", shown(&s.text)),
                    "not a duration",
                    "write a number of days, hours or weeks, e.g. `30d`, `12h`, `2w` (at most 100 years)",
                ),
            }
        }
        out.leaver = Some(policy);
        Some(out)
    }

    fn seq<'n>(&mut self, n: &'n Node<'n>, what: &str) -> &'n [Node<'n>] {
        match &n.value {
            Value::Seq(items) => items,
            Value::Scalar(s) if s.is_null() => &[],
            _ => {
                self.wrong_type(n, what, "a list", Some("start each entry with `- `"));
                &[]
            }
        }
    }

    fn invalid(&mut self, n: &Node, message: String, label: &str, help: &str) {
        let d = Diagnostic::error(Code::InvalidValue, self.loc(n), message)
            .label(label)
            .help(help);
        self.push(d);
    }

    fn threshold(&mut self, n: &Node, what: &str) -> Option<Threshold> {
        let s = n.scalar()?;
        if let Some(i) = s.as_int() {
            if i >= 0 {
                return Some(Threshold::Count(i as u64));
            }
        } else if let Some(p) = s.text.strip_suffix('%')
            && let Ok(v) = p.trim().parse::<f64>()
            && (0.0..=100.0).contains(&v)
        {
            return Some(Threshold::BasisPoints((v * 100.0).round() as u32));
        }
        self.invalid(
            n,
            format!(
                "{what} must be a count or a percentage, found `{}`",
                shown(&s.text)
            ),
            "not a count or percentage",
            "write a whole number such as 10, or a percentage such as \"5%\"",
        );
        None
    }

    fn password(&mut self, n: &Node, what: &str) -> Option<PasswordPolicy> {
        if let Some(s) = n.scalar() {
            if s.style == Style::Plain && s.text == "generate" {
                return Some(PasswordPolicy::Generate);
            }
            self.redactions.push(self.loc(n));
            let d = Diagnostic::error(
                Code::LiteralPassword,
                self.loc(n),
                format!("{what} must not be written in YAML"),
            )
            .label("a literal password (hidden here)")
            .help(
                "passwords in a repo leak through history and reviews: write `password: generate`, \
                 or `password: { env: VAR_NAME }` to read it from the environment at apply time",
            );
            self.push(d);
            return None;
        }
        let f = self.fields(n, what, &["env"])?;
        let env = f.get("env").and_then(|v| self.string(v, "password.env"));
        match env {
            Some(e) if is_env_name(&e.text) => Some(PasswordPolicy::Env(e.text)),
            Some(e) => {
                // Never echo the value: someone may have put the password itself here.
                let d = Diagnostic::error(
                    Code::InvalidValue,
                    e.loc,
                    "`password.env` is not an environment variable name",
                )
                .label("letters, digits and _ only, not starting with a digit")
                .help("name the variable that holds the password, e.g. { env: NEW_HIRE_PASSWORD }");
                self.push(d);
                None
            }
            None => {
                self.require(&f, n, "env", what);
                None
            }
        }
    }

    /// Decode one attribute value (not null) and check it with its kind's
    /// [`Kind::check`](crate::desired::attrs::Kind::check) (the check `export`
    /// uses too); dates come back normalised.
    fn attr_value(&mut self, attr: Attr, n: &Node) -> Option<AttrValue> {
        let info = attr.info();
        let what = format!("`{}`", info.key);
        let value = if attr.is_list() {
            AttrValue::List(self.list_of_strings_checked(n, &what)?)
        } else {
            AttrValue::Text(self.string(n, &what)?.text)
        };
        let problem = match info.kind.check(&value) {
            Ok(Cow::Borrowed(_)) => return Some(value),
            Ok(Cow::Owned(normal)) => return Some(normal),
            Err(problem) => problem,
        };
        let text = match &value {
            AttrValue::Text(t) => t.as_str(),
            AttrValue::List(_) => "",
        };
        match problem {
            Invalid::TooLong { len, max } => self.too_long(n, info.key, len, max),
            Invalid::NicknameChar(c) => self.invalid(
                n,
                format!(
                    "mailNickname `{}` contains `{c}`, which Graph rejects",
                    shown(text)
                ),
                "invalid character",
                "use ASCII letters, digits, dots, hyphens and underscores",
            ),
            Invalid::NotADate => self.invalid(
                n,
                format!("`{}` is not a valid date", shown(text)),
                "not a date",
                "write a date as YYYY-MM-DD (e.g. 2021-03-01) or an RFC 3339 timestamp",
            ),
            Invalid::NotACountryCode => {
                let hint = match country::suggest(text) {
                    Some(code) => {
                        format!("did you mean `{code}`? Graph needs an ISO 3166-1 alpha-2 code")
                    }
                    None => {
                        "use an ISO 3166-1 alpha-2 code in upper case, e.g. US, GB, DE".to_string()
                    }
                };
                let d = Diagnostic::error(
                    Code::InvalidCountryCode,
                    self.loc(n),
                    format!(
                        "{} `{}` is not an ISO 3166-1 alpha-2 country code",
                        info.key,
                        shown(text)
                    ),
                )
                .label("not a two-letter country code")
                .help(hint);
                self.push(d);
            }
            Invalid::NotALanguageTag => self.invalid(
                n,
                format!("`{}` is not a language tag", shown(text)),
                "not a language tag",
                "write an ISO 639-1 language, optionally with a country: en, en-US, fr-CA",
            ),
            Invalid::TooManyItems { count, max } => self.invalid(
                n,
                format!(
                    "{} has {count} numbers; Graph stores at most {max}",
                    info.key
                ),
                "too many numbers",
                "keep one business phone; put a mobile number in mobilePhone",
            ),
            Invalid::NotAnEmail(bad) => self.invalid(
                n,
                format!("`{}` in {} is not an e-mail address", shown(&bad), info.key),
                "not an e-mail address",
                "write addresses like name@example.com",
            ),
            Invalid::NotOneOf { allowed } => {
                let hint = match allowed.iter().find(|a| a.eq_ignore_ascii_case(text)) {
                    Some(a) => format!("did you mean `{a}`? Graph's values are case-sensitive"),
                    None => format!("write one of: {}", allowed.join(", ")),
                };
                self.invalid(
                    n,
                    format!("{} `{}` is not a value Graph accepts", info.key, shown(text)),
                    "not an accepted value",
                    &hint,
                )
            }
            Invalid::ImmutableIdChar(c) => self.invalid(
                n,
                format!("{} `{}` contains `{c}`, which Graph rejects", info.key, shown(text)),
                "invalid character",
                "an immutable id is usually the base64 of the on-premises objectGUID; `$` and `_` are not allowed",
            ),
            // The value was read in its kind's shape above.
            Invalid::WrongShape => self.wrong_type(n, &what, "another shape", None),
        }
        None
    }

    fn list_of_strings_checked(&mut self, n: &Node, what: &str) -> Option<Vec<String>> {
        if !matches!(n.value, Value::Seq(_)) {
            self.wrong_type(
                n,
                what,
                "a list",
                Some("write a list, e.g. [\"+1 425 555 0100\"]"),
            );
            return None;
        }
        let before = self.diags.count();
        let items: Vec<String> = self
            .string_list(n, what)
            .into_iter()
            .map(|s| s.text)
            .collect();
        (self.diags.count() == before).then_some(items)
    }

    fn check_len(&mut self, n: &Node, key: &str, text: &str, max: usize) -> Option<()> {
        let len = text.chars().count();
        if len > max {
            self.too_long(n, key, len, max);
            return None;
        }
        Some(())
    }

    fn too_long(&mut self, n: &Node, key: &str, len: usize, max: usize) {
        let d = Diagnostic::error(
            Code::TooLong,
            self.loc(n),
            format!("{key} is {len} characters long; Graph accepts at most {max}"),
        )
        .label("too long")
        .help(format!("shorten it to {max} characters"));
        self.push(d);
    }

    /// Decode one document (a file may hold several).
    pub fn document(&mut self, root: &Node, repo: &mut RawRepo) {
        if self.not_a_directory_file(root) {
            return;
        }
        let Some(f) = self.fields(root, "the file", RULE_FILE_KEYS) else {
            return;
        };
        if let (Some(k), Some(v)) = (f.key_node("files"), f.get("files")) {
            if self.rule_file {
                self.files_rule(v);
            } else {
                let d = Diagnostic::error(
                    Code::UnknownKey,
                    self.loc(k),
                    "`files` is read only from tenant.yaml at the root of the repo".to_string(),
                )
                .label("not read here")
                .help("move this `files:` block into tenant.yaml at the root of the repo");
                self.push(d);
            }
        }
        for key in ["include", "connection"] {
            if let (Some(k), Some(v)) = (f.key_node(key), f.get(key)) {
                self.tenancy_key(key, k, v);
            }
        }
        if let (Some(k), Some(v)) = (f.key_node("tenant"), f.get("tenant"))
            && let Some(t) = self.tenant(k, v)
        {
            repo.tenants.push(t);
        }
        if let Some(v) = f.get("users") {
            let items = self.seq(v, "`users`");
            repo.users.reserve_exact(items.len());
            for item in items {
                if let Some(u) = self.user(item) {
                    repo.users.push(u);
                }
            }
        }
        if let Some(v) = f.get("groups") {
            let items = self.seq(v, "`groups`");
            repo.groups.reserve_exact(items.len());
            for item in items {
                if let Some(g) = self.group(item) {
                    repo.groups.push(g);
                }
            }
        }
        if let Some(v) = f.get("roles") {
            for item in self.seq(v, "`roles`") {
                if let Some(r) = self.role(item) {
                    repo.roles.push(r);
                }
            }
        }
    }

    /// A document whose top level is a mapping with none of entraform's keys (nor
    /// a likely typo of one) is another tool's file (`mkdocs.yml`, an OpenAPI
    /// spec): one `not-a-directory-file` error naming the keys found, rather
    /// than one `unknown-key` per key. Returns whether it was one.
    fn not_a_directory_file(&mut self, root: &Node) -> bool {
        let Value::Map(entries) = &root.value else {
            return false;
        };
        let keys: Vec<&str> = entries
            .iter()
            .filter_map(|(k, _)| k.scalar().map(|s| &*s.text))
            .collect();
        let ours = |k: &&str| RULE_FILE_KEYS.contains(k) || did_you_mean(k, TOP_KEYS).is_some();
        let Some((first, _)) = entries.first() else {
            return false;
        };
        if keys.len() != entries.len() || keys.iter().any(ours) {
            return false;
        }
        const SHOWN_KEYS: usize = 5;
        let mut named: Vec<String> = keys
            .iter()
            .take(SHOWN_KEYS)
            .map(|k| format!("`{}`", shown(k)))
            .collect();
        if keys.len() > SHOWN_KEYS {
            named.push(format!("and {} more", keys.len() - SHOWN_KEYS));
        }
        let exclude = self
            .rel
            .as_deref()
            .map(|r| shown(r).into_owned())
            .unwrap_or_else(|| "<this file>".to_string());
        let d = Diagnostic::error(
            Code::NotADirectoryFile,
            self.loc(first),
            format!(
                "not a directory-repo file: its top-level keys ({}) are none of entraform's ({})",
                named.join(", "),
                TOP_KEYS.join(", ")
            ),
        )
        .label("not an entraform key")
        .help(format!(
            "entraform reads every YAML file of the repo; if this one belongs to another tool, leave it out in tenant.yaml with `files: {{ exclude: [{exclude}] }}`"
        ));
        self.push(d);
        true
    }

    /// Check the `files:` rule of `tenant.yaml` (the walk applied it already, leniently).
    fn files_rule(&mut self, n: &Node) {
        let Some(f) = self.fields(n, "`files`", FILES_KEYS) else {
            return;
        };
        let mut count = 0usize;
        for key in FILES_KEYS {
            let Some(v) = f.get(key) else {
                continue;
            };
            let what = format!("`files.{key}`");
            for item in self.seq(v, &what) {
                let Some(text) = self.string(item, &format!("a pattern in {what}")) else {
                    continue;
                };
                count += 1;
                if count == MAX_FILE_PATTERNS + 1 {
                    self.invalid(
                        item,
                        format!("`files` holds more than {MAX_FILE_PATTERNS} patterns"),
                        "one pattern too many",
                        "exclude folders rather than files one by one (`docs` leaves out all of docs/)",
                    );
                }
                if let Err(why) = Pattern::parse(&text.text) {
                    self.invalid(
                        item,
                        format!("`{}` is not a pattern: {why}", shown(&text.text)),
                        "not a pattern",
                        "write a path relative to the repo root, with `*`, `?` and `**` as wildcards: `docs`, `mkdocs.yml`, `**/*.openapi.yaml`",
                    );
                }
            }
        }
    }

    /// `include:` and `connection:` of a tenant's `tenant.yaml` (see
    /// [`super::tenancy`]): checked here, in place; read by the loader and the CLI.
    fn tenancy_key(&mut self, key: &str, k: &Node, v: &Node) {
        if !self.rule_file {
            let d = Diagnostic::error(
                Code::UnknownKey,
                self.loc(k),
                format!("`{key}` is read only from tenant.yaml"),
            )
            .label("not read here")
            .help(format!(
                "move this `{key}:` block into the tenant's tenant.yaml (tenants/<name>/tenant.yaml)"
            ));
            self.push(d);
            return;
        }
        if key == "include" {
            let items = self.seq(v, "`include`");
            if items.len() > super::tenancy::MAX_INCLUDES {
                self.invalid(
                    v,
                    format!(
                        "`include` lists {} paths; at most {} are read",
                        items.len(),
                        super::tenancy::MAX_INCLUDES
                    ),
                    "too many",
                    "include folders rather than files one by one",
                );
            }
            for item in items {
                let Some(text) = self.string(item, "a path in `include`") else {
                    continue;
                };
                if let Err(why) = super::tenancy::include_path(&text.text) {
                    self.invalid(
                        item,
                        format!("`{}` cannot be included: {why}", shown(&text.text)),
                        "not included",
                        "write a path relative to this tenant.yaml that stays inside the repo, e.g. `../../common/groups`",
                    );
                }
            }
            return;
        }
        let Some(f) = self.fields(v, "`connection`", super::tenancy::CONNECTION_KEYS_ALL) else {
            return;
        };
        for key in super::tenancy::CONNECTION_KEYS_ALL {
            let (Some(kn), Some(value)) = (f.key_node(key), f.get(key)) else {
                continue;
            };
            if super::tenancy::SECRET_KEYS.contains(key) {
                let d = Diagnostic::error(
                    Code::LiteralSecret,
                    self.loc(kn),
                    format!("`connection.{key}` would put a credential in the repo"),
                )
                .label("never in YAML")
                .help(format!(
                    "remove it; name the environment variable that holds it instead: `{key}_env: MY_TENANT_{}`",
                    key.to_ascii_uppercase()
                ));
                self.push(d);
                self.redactions.push(self.loc(value));
                continue;
            }
            let Some(text) = self.string(value, &format!("`connection.{key}`")) else {
                continue;
            };
            if key.ends_with("_env")
                && let Err(why) = super::tenancy::env_name(&text.text)
            {
                // The value is not echoed: it may be the secret itself.
                let d = Diagnostic::error(
                    Code::LiteralSecret,
                    self.loc(value),
                    format!("`connection.{key}` must name an environment variable: {why}"),
                )
                .label("not a variable name")
                .help("write the NAME of the variable (letters, digits and `_`, e.g. `CONTOSO_CLIENT_SECRET`) and set the variable in CI; if this was the secret itself, rotate it: it is in the repo's history");
                self.push(d);
                self.redactions.push(self.loc(value));
            }
        }
    }

    fn tenant(&mut self, key: &Node, n: &Node) -> Option<RawTenant> {
        let f = self.fields(n, "`tenant`", TENANT_KEYS)?;
        let mut t = RawTenant {
            loc: self.loc(key),
            ..RawTenant::default()
        };
        t.domain = self
            .require(&f, key, "domain", "`tenant`")
            .and_then(|v| self.string(v, "`tenant.domain`"));
        if let Some(v) = f.get("domains") {
            t.domains = self.string_list(v, "`tenant.domains`");
        }
        if let Some(scope) = f.get("scope")
            && let Some(sf) = self.fields(scope, "`tenant.scope`", SCOPE_KEYS)
        {
            if let Some(u) = sf.get("users") {
                t.scope_users = self.scope_users(u);
            }
            if let Some(e) = sf.get("exclude") {
                t.exclude = self.string_list(e, "`tenant.scope.exclude`");
            }
        }
        if let Some(v) = f.get("absent_users") {
            t.absent_users = match v.scalar().map(|s| &*s.text) {
                Some("ignore") => Some(AbsentUsers::Ignore),
                Some("disable") => Some(AbsentUsers::Disable),
                Some("delete") => Some(AbsentUsers::Delete),
                _ => {
                    self.invalid(
                        v,
                        "`absent_users` must be ignore, disable or delete".into(),
                        "unknown policy",
                        "ignore leaves unlisted users alone; disable or delete acts on owned users missing from YAML",
                    );
                    None
                }
            };
        }
        if let Some(s) = f.get("safety")
            && let Some(sf) = self.fields(s, "`tenant.safety`", SAFETY_KEYS)
        {
            t.max_deletes = sf
                .get("max_deletes")
                .and_then(|v| self.threshold(v, "max_deletes"));
            t.max_disables = sf
                .get("max_disables")
                .and_then(|v| self.threshold(v, "max_disables"));
            t.max_changes = sf
                .get("max_changes")
                .and_then(|v| self.threshold(v, "max_changes"));
            if let Some(v) = sf.get("min_tenant_size") {
                match v.scalar().and_then(Scalar::as_int) {
                    Some(i) if i >= 0 => t.min_tenant_size = Some(i as u64),
                    _ => self.wrong_type(v, "`min_tenant_size`", "a whole number", None),
                }
            }
            if let Some(v) = sf.get("protected") {
                t.protected = self.string_list(v, "`tenant.safety.protected`");
            }
        }
        if let Some(v) = f.get("lifecycle") {
            t.lifecycle = self.lifecycle(v);
        }
        if let Some(d) = f.get("defaults") {
            let keys = default_keys();
            if let Some(df) = self.fields(d, "`tenant.defaults`", &keys) {
                for (k, _, v) in &df.entries {
                    match *k {
                        "enabled" => t.default_enabled = self.bool(v, "`defaults.enabled`"),
                        "password" => t.default_password = self.password(v, "`defaults.password`"),
                        "onboarding" => {
                            t.default_onboarding = self.onboarding(v, "`defaults.onboarding`");
                        }
                        "licenses" => t.default_licenses = self.licenses(v),
                        key => {
                            if let Some(attr) = Attr::from_key(key) {
                                if v.is_null() {
                                    self.wrong_type(
                                        v,
                                        &format!("`defaults.{key}`"),
                                        "a value",
                                        Some("remove the key instead"),
                                    );
                                } else if let Some(val) = self.attr_value(attr, v) {
                                    t.default_attrs.push((attr, val));
                                }
                            }
                        }
                    }
                }
            }
        }
        Some(t)
    }

    fn scope_users(&mut self, n: &Node) -> RawScopeUsers {
        if let Some(s) = n.scalar() {
            if s.text == "all" {
                return RawScopeUsers::All;
            }
            self.invalid(
                n,
                format!("`scope.users` must be `all`, {{ domains: [...] }} or {{ list: [...] }}, found `{}`", shown(&s.text)),
                "unknown scope",
                "write `users: all`, `users: { domains: [contoso.com] }` or `users: { list: [a@contoso.com] }`",
            );
            return RawScopeUsers::All;
        }
        let Some(f) = self.fields(n, "`scope.users`", &["domains", "list"]) else {
            return RawScopeUsers::All;
        };
        match (f.get("domains"), f.get("list")) {
            (Some(d), None) => RawScopeUsers::Domains(self.string_list(d, "`scope.users.domains`")),
            (None, Some(l)) => RawScopeUsers::List(self.string_list(l, "`scope.users.list`")),
            _ => {
                self.invalid(
                    n,
                    "`scope.users` needs exactly one of `domains` or `list`".into(),
                    "ambiguous scope",
                    "keep either `domains:` or `list:`",
                );
                RawScopeUsers::All
            }
        }
    }

    fn user(&mut self, n: &Node) -> Option<RawUser> {
        let keys = user_keys();
        let f = self.fields(n, "a user", &keys)?;
        let mut u = RawUser {
            loc: self.loc(n),
            upn: None,
            attrs: Vec::new(),
            manager: None,
            enabled: None,
            groups: Vec::new(),
            roles: Vec::new(),
            role_holdings: Vec::new(),
            password: None,
            onboarding: None,
            reset_password_after: None,
            revoke_sessions_after: None,
            licenses: None,
            previous_upns: Vec::new(),
            invite: None,
        };
        // An invited guest's UPN is Graph's to choose: with `invite:` it may
        // be left out (the validator derives it).
        u.upn = if f.get("invite").is_some() {
            f.get("upn").and_then(|v| self.string(v, "`upn`"))
        } else {
            self.require(&f, n, "upn", "a user")
                .and_then(|v| self.string(v, "`upn`"))
        };
        for (k, _, v) in &f.entries {
            match *k {
                "upn" => {}
                "manager" => u.manager = self.nullable_string(v, "`manager`"),
                "enabled" => u.enabled = self.bool(v, "`enabled`").map(|b| (b, self.loc(v))),
                "groups" => u.groups = self.string_list(v, "`groups`"),
                "roles" => (u.roles, u.role_holdings) = self.user_roles(v),
                "password" => u.password = self.password(v, "`password`"),
                "onboarding" => u.onboarding = self.onboarding(v, "`onboarding`"),
                "reset_password_after" => {
                    u.reset_password_after = self.moment(v, "`reset_password_after`");
                }
                "revoke_sessions_after" => {
                    u.revoke_sessions_after = self.moment(v, "`revoke_sessions_after`");
                }
                "licenses" => u.licenses = self.licenses(v).map(|l| (l, self.loc(v))),
                "previous_upns" => u.previous_upns = self.string_list(v, "`previous_upns`"),
                "invite" => u.invite = self.invite(v),
                key if is_object_property(key) => self.object_attrs(key, v, &mut u.attrs),
                key => {
                    let Some(attr) = Attr::from_key(key) else {
                        continue;
                    };
                    if v.is_null() {
                        if attr.info().clearable {
                            u.attrs.push((attr, None, self.loc(v)));
                        } else {
                            self.wrong_type(
                                v,
                                &format!("`{key}`"),
                                "a value",
                                Some("Graph requires this property; it cannot be cleared. Remove the key to leave it unmanaged"),
                            );
                        }
                    } else if let Some(val) = self.attr_value(attr, v) {
                        u.attrs.push((attr, Some(val), self.loc(v)));
                    }
                }
            }
        }
        // Kept until validation: no room for attributes that will never come.
        u.attrs.shrink_to_fit();
        Some(u)
    }

    /// An object-valued property as a nested mapping of its members
    /// (`employeeOrgData: {division: …, costCenter: …}`): each member is
    /// checked like any attribute and managed on its own; a member left out
    /// is not managed; `null` (the whole object, or one member) clears.
    fn object_attrs(
        &mut self,
        property: &str,
        n: &Node,
        out: &mut Vec<(Attr, Option<AttrValue>, Loc)>,
    ) {
        if n.is_null() {
            for m in members_of(property) {
                out.push((m.attr, None, self.loc(n)));
            }
            return;
        }
        let names: Vec<&str> = members_of(property).filter_map(|m| m.member).collect();
        let Some(f) = self.fields(n, &format!("`{property}`"), &names) else {
            return;
        };
        for (k, _, v) in &f.entries {
            let Some(attr) = Attr::from_member(property, k) else {
                continue;
            };
            if v.is_null() {
                out.push((attr, None, self.loc(v)));
            } else if let Some(val) = self.attr_value(attr, v) {
                out.push((attr, Some(val), self.loc(v)));
            }
        }
    }

    /// `invite: {email, redirect_url, message?, send_email?}`; `email` and
    /// `redirect_url` are required (Graph's required properties).
    fn invite(&mut self, n: &Node) -> Option<RawInvite> {
        let f = self.fields(n, "`invite`", INVITE_KEYS)?;
        let email = self
            .require(&f, n, "email", "`invite`")
            .and_then(|v| self.string(v, "`invite.email`"));
        let redirect_url = self
            .require(&f, n, "redirect_url", "`invite`")
            .and_then(|v| self.string(v, "`invite.redirect_url`"));
        let message = f
            .get("message")
            .and_then(|v| self.string(v, "`invite.message`"));
        let send_email = f
            .get("send_email")
            .and_then(|v| self.bool(v, "`invite.send_email`"));
        Some(RawInvite {
            loc: self.loc(n),
            email,
            redirect_url,
            message,
            send_email,
        })
    }

    /// `licenses:`: a list of SKU part numbers, each either a string or
    /// `{sku, disabled_plans}`; `[]` removes every direct licence.
    fn licenses(&mut self, n: &Node) -> Option<Vec<LicenseSpec>> {
        let Value::Seq(items) = &n.value else {
            self.wrong_type(
                n,
                "`licenses`",
                "a list",
                Some("write a list of SKU part numbers, e.g. [ENTERPRISEPACK]"),
            );
            return None;
        };
        let mut out: Vec<LicenseSpec> = Vec::new();
        for item in items.iter() {
            let spec = if matches!(item.value, Value::Map(_)) {
                let Some(f) = self.fields(item, "a licence", LICENSE_KEYS) else {
                    continue;
                };
                let Some(sku) = self
                    .require(&f, item, "sku", "a licence")
                    .and_then(|v| self.string(v, "`sku`"))
                else {
                    continue;
                };
                let mut plans: Vec<String> = f
                    .get("disabled_plans")
                    .map(|v| self.string_list(v, "`disabled_plans`"))
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| s.text)
                    .collect();
                plans.sort();
                plans.dedup();
                LicenseSpec {
                    sku: sku.text,
                    disabled_plans: plans,
                }
            } else {
                let Some(sku) = self.string(item, "a licence") else {
                    continue;
                };
                LicenseSpec {
                    sku: sku.text,
                    disabled_plans: Vec::new(),
                }
            };
            if out.iter().any(|o| o.sku.eq_ignore_ascii_case(&spec.sku)) {
                self.invalid(
                    item,
                    format!("licence `{}` is listed twice", shown(&spec.sku)),
                    "listed twice",
                    "list each SKU once; put its disabled plans in one entry",
                );
                continue;
            }
            out.push(spec);
        }
        Some(out)
    }

    fn group(&mut self, n: &Node) -> Option<RawGroup> {
        let f = self.fields(n, "a group", GROUP_KEYS)?;
        let mut g = RawGroup {
            loc: self.loc(n),
            name: self
                .require(&f, n, "name", "a group")
                .and_then(|v| self.string(v, "`name`")),
            mail_nickname: None,
            description: None,
            kind: GroupKind::Security,
            additive: false,
            dynamic: None,
            members: None,
            member_until: Vec::new(),
            owners: None,
        };
        if let Some(name) = &g.name
            && name.text.chars().count() > 256
        {
            let v = f.get("name");
            if let Some(v) = v {
                self.check_len(v, "name", &name.text, 256);
            }
        }
        if let Some(v) = f.get("mailNickname")
            && let Some(AttrValue::Text(t)) = self.attr_value(Attr::MailNickname, v)
        {
            g.mail_nickname = Some(Str {
                text: t,
                loc: self.loc(v),
            });
        }
        if let Some(v) = f.get("description") {
            g.description = self.nullable_string(v, "`description`");
            if let Some(Nullable::Value(d)) = &g.description {
                let text = d.text.clone();
                self.check_len(v, "description", &text, 1024);
            }
        }
        if let Some(v) = f.get("type") {
            match v.scalar().map(|s| &*s.text) {
                Some("security") => g.kind = GroupKind::Security,
                Some("microsoft365") => g.kind = GroupKind::Microsoft365,
                _ => self.invalid(
                    v,
                    "group `type` must be security or microsoft365".into(),
                    "unknown group type",
                    "use `security` (default) or `microsoft365`",
                ),
            }
        }
        if let Some(v) = f.get("membership") {
            match v.scalar().map(|s| &*s.text) {
                Some("authoritative") => g.additive = false,
                Some("additive") => g.additive = true,
                _ => self.invalid(
                    v,
                    "`membership` must be authoritative or additive".into(),
                    "unknown membership mode",
                    "authoritative (default) removes undeclared members; additive only adds",
                ),
            }
        }
        if let Some(v) = f.get("dynamic")
            && self.bool(v, "`dynamic`") == Some(true)
        {
            g.dynamic = Some(self.loc(v));
        }
        if let (Some(k), Some(v)) = (f.key_node("members"), f.get("members")) {
            g.members = Some((self.member_list(v, &mut g.member_until), self.loc(k)));
        }
        if let (Some(k), Some(v)) = (f.key_node("owners"), f.get("owners")) {
            let written = match &v.value {
                Value::Seq(items) => items.len(),
                _ => 0,
            };
            g.owners = Some((self.owner_list(v), self.loc(k), written));
        }
        Some(g)
    }

    /// `owners:` items: a user (UPN or short name), or `servicePrincipal: self | <id>`.
    fn owner_list(&mut self, n: &Node) -> Vec<RawOwner> {
        let items = self.seq(n, "`owners`");
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            if let Value::Map(_) = &i.value {
                let Some(f) = self.fields(i, "an owner", &["servicePrincipal"]) else {
                    continue;
                };
                let Some(v) = self.require(&f, i, "servicePrincipal", "an owner") else {
                    continue;
                };
                if let Some(s) = self.string(v, "`servicePrincipal`") {
                    let ok = s.text == "self" || is_guid(&s.text);
                    if ok {
                        out.push(RawOwner::ServicePrincipal(s));
                    } else {
                        self.invalid(
                            v,
                            format!(
                                "`{}` is not a service principal: write `self` or an object id",
                                shown(&s.text)
                            ),
                            "not `self` or an object id",
                            "`servicePrincipal: self` is the app entraform signs in as; another one is named by its object id (a GUID)",
                        );
                    }
                }
            } else if let Some(s) = match i.scalar() {
                Some(sc) if !sc.is_null() => Some(Str {
                    text: sc.text.to_string(),
                    loc: self.loc(i),
                }),
                _ => self.string(i, "an item of `owners`"),
            } {
                out.push(RawOwner::User(s));
            }
        }
        out
    }

    fn role(&mut self, n: &Node) -> Option<RawRole> {
        let f = self.fields(n, "a role", ROLE_KEYS)?;
        let role = self
            .require(&f, n, "role", "a role")
            .and_then(|v| self.string(v, "`role`"));
        let custom = f
            .get("custom")
            .and_then(|v| self.bool(v, "`custom`"))
            .unwrap_or(false);
        let principals = f
            .get("principals")
            .map(|v| self.string_list(v, "`principals`"))
            .unwrap_or_default();
        let scope = f.get("scope").and_then(|v| self.string(v, "`scope`"));
        let eligible = f
            .get("eligible")
            .map(|v| self.holding_list(v, "`eligible`", true))
            .unwrap_or_default();
        let active = f
            .get("active")
            .map(|v| self.holding_list(v, "`active`", false))
            .unwrap_or_default();
        Some(RawRole {
            loc: self.loc(n),
            role,
            custom,
            principals,
            scope,
            eligible,
            active,
        })
    }

    /// A plain scalar item as a [`Str`], or the wrong-type diagnostic.
    fn item_str(&mut self, i: &Node, what: &str) -> Option<Str> {
        match i.scalar() {
            Some(sc) if !sc.is_null() => Some(Str {
                text: sc.text.to_string(),
                loc: self.loc(i),
            }),
            _ => self.string(i, what),
        }
    }

    /// A role's `eligible:` or `active:` list: principals, or
    /// `{principal, until, justification}` mappings.
    fn holding_list(&mut self, n: &Node, what: &str, eligible: bool) -> Vec<RawHolding> {
        let items = self.seq(n, what);
        let mut out = Vec::with_capacity(items.len());
        for i in items {
            let mut h = RawHolding {
                loc: self.loc(i),
                principal: None,
                role: None,
                eligible,
                until: None,
                justification: None,
                scope: None,
            };
            if let Value::Map(_) = &i.value {
                let Some(f) = self.fields(i, &format!("an item of {what}"), ROLE_HOLDING_KEYS)
                else {
                    continue;
                };
                h.principal = self
                    .require(&f, i, "principal", &format!("an item of {what}"))
                    .and_then(|v| self.string(v, "`principal`"));
                h.until = f.get("until").and_then(|v| self.string(v, "`until`"));
                h.justification = f
                    .get("justification")
                    .and_then(|v| self.string(v, "`justification`"));
                if h.principal.is_none() {
                    continue;
                }
            } else {
                h.principal = self.item_str(i, &format!("an item of {what}"));
                if h.principal.is_none() {
                    continue;
                }
            }
            out.push(h);
        }
        out
    }

    /// A user's `roles:`: plain role names, and mappings
    /// (`{role, eligible, until, justification, scope}`); a mapping with
    /// `role` alone is a plain name.
    fn user_roles(&mut self, n: &Node) -> (Vec<Str>, Vec<RawHolding>) {
        let items = self.seq(n, "`roles`");
        let mut plain = Vec::with_capacity(items.len());
        let mut held = Vec::new();
        for i in items {
            if let Value::Map(_) = &i.value {
                let Some(f) = self.fields(i, "an item of `roles`", USER_ROLE_KEYS) else {
                    continue;
                };
                let Some(role) = self
                    .require(&f, i, "role", "an item of `roles`")
                    .and_then(|v| self.string(v, "`role`"))
                else {
                    continue;
                };
                let eligible = f
                    .get("eligible")
                    .and_then(|v| self.bool(v, "`eligible`"))
                    .unwrap_or(false);
                let until = f.get("until").and_then(|v| self.string(v, "`until`"));
                let justification = f
                    .get("justification")
                    .and_then(|v| self.string(v, "`justification`"));
                let scope = f.get("scope").and_then(|v| self.string(v, "`scope`"));
                if !eligible && until.is_none() && justification.is_none() && scope.is_none() {
                    plain.push(role);
                } else {
                    held.push(RawHolding {
                        loc: self.loc(i),
                        principal: None,
                        role: Some(role),
                        eligible,
                        until,
                        justification,
                        scope,
                    });
                }
            } else if let Some(s) = self.item_str(i, "an item of `roles`") {
                plain.push(s);
            }
        }
        (plain, held)
    }
}

/// Keys whose values may hold a secret (matched loosely: `Password`, `passwd`, `client_secret`).
fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("password") || k.contains("passwd") || k.contains("secret")
}

/// `generate` or `{ env: NAME }`: the only password forms that hold no secret.
fn is_safe_password(v: &Node) -> bool {
    match &v.value {
        Value::Scalar(s) => s.style == Style::Plain && s.text == "generate",
        Value::Map(entries) => entries.iter().all(|(k, v)| {
            k.scalar().is_some_and(|k| k.text == "env")
                && v.scalar().is_some_and(|s| is_env_name(&s.text))
        }),
        Value::Seq(_) => false,
    }
}

fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// An object id as Entra writes it: 8-4-4-4-12 hexadecimal digits.
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_format_checks() {
        assert!(is_env_name("NEW_HIRE_PW") && !is_env_name("1X") && !is_env_name("A-B"));
    }

    /// Decode `text` (one file) and return its groups' members: text and location of each.
    fn members_of(text: &str) -> Vec<Vec<(String, Loc)>> {
        let mut diags = DiagList::default();
        let mut repo = RawRepo::default();
        let docs = crate::desired::yaml::parse(text).expect("valid YAML");
        let mut dec = Decoder::new(FileId(3), &mut diags).with_text(text);
        for doc in &docs {
            dec.document(doc, &mut repo);
        }
        assert!(diags.kept.is_empty(), "{:?}", diags.kept);
        repo.groups
            .iter()
            .map(|g| {
                let (list, _) = g.members.as_ref().expect("members");
                list.iter(text).map(|(t, l)| (t.to_string(), l)).collect()
            })
            .collect()
    }

    /// The members' texts and spans as the tree gives them (what `Str` held before `MemberList`).
    fn tree_members(text: &str) -> Vec<Vec<(String, Loc)>> {
        let docs = crate::desired::yaml::parse(text).expect("valid YAML");
        let mut out = Vec::new();
        for doc in &docs {
            let Value::Map(top) = &doc.value else {
                continue;
            };
            for (_, groups) in top.iter() {
                let Value::Seq(groups) = &groups.value else {
                    continue;
                };
                for g in groups.iter() {
                    let Value::Map(fields) = &g.value else {
                        continue;
                    };
                    for (k, v) in fields.iter() {
                        if k.scalar().is_some_and(|k| k.text == "members")
                            && let Value::Seq(items) = &v.value
                        {
                            out.push(
                                items
                                    .iter()
                                    .map(|i| {
                                        let text = i.scalar().map_or("", |s| &s.text).to_string();
                                        (
                                            text,
                                            Loc {
                                                file: FileId(3),
                                                span: i.span,
                                            },
                                        )
                                    })
                                    .collect(),
                            );
                        }
                    }
                }
            }
        }
        out
    }

    #[test]
    fn members_as_ranges_resolve_to_the_texts_and_places_written() {
        // Plain, quoted, escaped (not in the file as it reads), folded over two
        // lines, flow style, non-ASCII before and inside, an alias: each item
        // must read and point exactly where the tree says.
        let text = "# é€𝄞\ngroups:\n  - name: g1\n    members:\n      - ann@contoso.com\n      \
                    - 'bob@contoso.com'\n      - \"c\\u0061t@contoso.com\"\n      - &d dée@contoso.com\n      \
                    - long\n        name@contoso.com\n  - name: g2\n    members: [ \"€@x.com\", *d, zoë@x.com ]\n  \
                    - name: g3\n    members: []\n";
        let got = members_of(text);
        assert_eq!(got, tree_members(text));
        let texts: Vec<Vec<&str>> = got
            .iter()
            .map(|g| g.iter().map(|(t, _)| t.as_str()).collect())
            .collect();
        assert_eq!(
            texts,
            vec![
                vec![
                    "ann@contoso.com",
                    "bob@contoso.com",
                    "cat@contoso.com",
                    "dée@contoso.com",
                    "long name@contoso.com"
                ],
                vec!["€@x.com", "dée@contoso.com", "zoë@x.com"],
                vec![],
            ]
        );
        let (_, first) = &got[0][0];
        assert_eq!((first.span.start.line, first.span.start.col), (5, 8));
        assert_eq!((first.span.end.line, first.span.end.col), (5, 23));
    }

    #[test]
    fn members_in_the_file_are_ranges_and_the_rest_copies() {
        let text = "groups:\n  - name: g\n    members: [a@x.com, \"b\\u0040x.com\", 'c@x.com']\n";
        let mut diags = DiagList::default();
        let mut repo = RawRepo::default();
        let docs = crate::desired::yaml::parse(text).expect("valid YAML");
        let mut dec = Decoder::new(FileId(0), &mut diags).with_text(text);
        dec.document(&docs[0], &mut repo);
        let (list, _) = repo.groups[0].members.as_ref().expect("members");
        let kinds: Vec<bool> = list
            .items
            .iter()
            .map(|m| matches!(m.text, TextAt::File { .. }))
            .collect();
        assert_eq!(kinds, [true, false, true]);
        assert_eq!(list.copies, ["b@x.com"]);
    }

    #[test]
    fn offset_in_takes_only_slices_of_the_text() {
        let whole = "ab€cd";
        assert_eq!(offset_in(&whole[2..5], whole), Some(2));
        assert_eq!(offset_in(&whole[5..5], whole), Some(5));
        assert_eq!(offset_in(whole, whole), Some(0));
        // An equal copy elsewhere is not a range of the text.
        let copy = String::from("ab");
        assert_eq!(offset_in(&copy, whole), None);
        assert_eq!(offset_in(whole, &whole[1..]), None);
    }
}
