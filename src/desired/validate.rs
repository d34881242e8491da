//! Phase two of loading: cross-file rules, turning raw records into checked state.

use std::collections::{BTreeMap, HashMap};

use super::attrs::{Attr, AttrValue};
use super::decode::{
    MemberList, Nullable, RawHolding, RawOwner, RawRepo, RawScopeUsers, RawTenant, RawUser, Str,
};
use super::diagnostic::{Code, DiagList, Diagnostic, shown};
use super::source::{Loc, SourceMap};
use super::state::{
    AbsentUsers, AttrMap, DesiredState, GroupSpec, HoldingSpec, MAX_GROUP_OWNERS, ManagerSpec,
    Membership, Origin, OwnerSpec, PasswordPolicy, RoleSpec, Safety, Scope, ScopeUsers, Tenant,
    Threshold, UpnMap, UserMap, UserSpec,
};
use super::suggest::did_you_mean;

mod invite;
use crate::model::Upn;
use crate::model::builtin_roles;
use crate::model::op::Holding;

/// Default `safety.min_tenant_size`.
pub const DEFAULT_MIN_TENANT_SIZE: u64 = 50;
/// Default deletion and disable thresholds: 10% of owned users.
pub const DEFAULT_THRESHOLD: Threshold = Threshold::BasisPoints(1000);

struct Checker<'a> {
    sources: &'a SourceMap,
    names: Vec<std::sync::Arc<str>>,
    diags: DiagList,
    domain: Option<String>,
    domains: Vec<String>,
}

impl Checker<'_> {
    fn origin(&self, loc: Loc) -> Origin {
        Origin {
            file: self
                .names
                .get(loc.file.0)
                .cloned()
                .unwrap_or_else(|| self.sources.name(loc.file).into()),
            line: loc.span.start.line,
            column: loc.span.start.col + 1,
        }
    }

    /// Resolve a UPN or short name and check it; `None` after reporting a problem.
    fn upn(&mut self, s: &Str) -> Option<Upn> {
        self.upn_owned(s.text.clone(), s.loc)
    }

    /// As [`Checker::upn`], reusing `text`'s allocation when it is already a full UPN.
    fn upn_owned(&mut self, text: String, loc: Loc) -> Option<Upn> {
        let s = Str { text, loc };
        let full = if s.text.contains('@') {
            s.text
        } else {
            match &self.domain {
                Some(d) => {
                    let mut full = String::with_capacity(s.text.len() + 1 + d.len());
                    full.push_str(&s.text);
                    full.push('@');
                    full.push_str(d);
                    full
                }
                None => return None, // the missing tenant domain is reported once, elsewhere
            }
        };
        if let Some(problem) = upn_problem(&full) {
            let d = Diagnostic::error(Code::InvalidUpn, s.loc, format!("`{}` is not a valid user principal name: {problem}", shown(&full)))
                .label(problem)
                .help("a UPN is name@domain; the name may use letters, digits and ' . - _ ! # ^ ~ (no leading, trailing or double dots)");
            self.diags.push(d);
            return None;
        }
        let upn = Upn::new_unchecked(full);
        if !self.domains.is_empty()
            && !self
                .domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(upn.domain()))
        {
            let candidates: Vec<&str> = self.domains.iter().map(String::as_str).collect();
            let help = match did_you_mean(upn.domain(), &candidates) {
                Some(c) => {
                    format!("did you mean `{c}`? Otherwise add the domain to `tenant.domains`")
                }
                None => format!(
                    "the tenant lists {}; add the domain to `tenant.domains` if it is verified",
                    candidates.join(", ")
                ),
            };
            let d = Diagnostic::error(
                Code::UnknownDomain,
                s.loc,
                format!(
                    "`{upn}` uses domain `{}`, which the tenant does not list",
                    upn.domain()
                ),
            )
            .label("unknown domain")
            .help(help);
            self.diags.push(d);
            return None;
        }
        Some(upn)
    }

    fn upns(&mut self, list: &[Str]) -> Vec<(Upn, Loc)> {
        list.iter()
            .filter_map(|s| self.upn(s).map(|u| (u, s.loc)))
            .collect()
    }

    /// Resolve a group's members (ranges of their file's text as decoded);
    /// each with where it was declared.
    fn members(&mut self, list: &MemberList) -> Vec<(Upn, Origin)> {
        let sources = self.sources;
        let file_text = sources.get(list.file()).map_or("", |f| f.text.as_str());
        let mut out = Vec::with_capacity(list.len());
        for (text, loc) in list.iter(file_text) {
            if let Some(u) = self.upn_owned(text.to_string(), loc) {
                out.push((u, self.origin(loc)));
            }
        }
        out
    }
}

/// A group's `owners:`: users (short names get the default domain) and
/// service principals, first declaration wins. An empty list, or more than
/// Graph's 100, is an error (a group without owners can be changed only by
/// administrators; remove the key to leave owners unmanaged).
fn owners(
    c: &mut Checker,
    group: &str,
    list: Vec<RawOwner>,
    key_loc: Loc,
    written: usize,
) -> Vec<(OwnerSpec, Origin)> {
    if written == 0 {
        c.diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                key_loc,
                format!("group `{}` declares no owners", shown(group)),
            )
            .label("empty `owners`")
            .help("name at least one owner (a user, or `servicePrincipal: self`), or remove the key to leave the owners unmanaged"),
        );
        return Vec::new();
    }
    if list.len() > MAX_GROUP_OWNERS {
        c.diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                key_loc,
                format!(
                    "group `{}` declares {} owners; Graph allows at most {MAX_GROUP_OWNERS}",
                    shown(group),
                    list.len()
                ),
            )
            .label("too many owners")
            .help("keep at most 100 owners (add the others as members)"),
        );
    }
    let mut out: Vec<(OwnerSpec, Origin)> = Vec::with_capacity(list.len());
    for o in list {
        let (spec, loc) = match o {
            RawOwner::User(s) => {
                let loc = s.loc;
                match c.upn_owned(s.text, loc) {
                    Some(u) => (OwnerSpec::User(u), loc),
                    None => continue,
                }
            }
            RawOwner::ServicePrincipal(s) if s.text == "self" => (OwnerSpec::App, s.loc),
            RawOwner::ServicePrincipal(s) => (
                OwnerSpec::ServicePrincipal(s.text.to_ascii_lowercase()),
                s.loc,
            ),
        };
        if !out.iter().any(|(o, _)| *o == spec) {
            out.push((spec, c.origin(loc)));
        }
    }
    out.truncate(MAX_GROUP_OWNERS);
    out
}

/// Why `upn` is not a valid Entra UPN, or `None` if it is.
pub fn upn_problem(upn: &str) -> Option<&'static str> {
    let Some((local, domain)) = upn.rsplit_once('@') else {
        return Some("missing `@domain`");
    };
    if local.is_empty() {
        return Some("nothing before `@`");
    }
    if local.chars().count() > 64 {
        return Some("more than 64 characters before `@`");
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Some("dots may not start, end or repeat in the name");
    }
    if !local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "'.-_!#^~".contains(c))
    {
        return Some("the name contains a character Entra does not allow");
    }
    if domain.len() > 48 || !is_domain(domain) {
        return Some("the domain is not a valid DNS name");
    }
    None
}

fn is_domain(d: &str) -> bool {
    d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Check the whole repo and build the checked state, or return every problem found.
///
/// `parts` holds what each file decoded to, in file order. They are consumed
/// as they are checked: strings move into the checked state instead of being
/// copied, and each file's raw records are freed once read, so the raw records
/// of the whole repo and the checked state do not both stay in memory.
/// `sources` must hold the texts as they were decoded (not yet redacted):
/// group members are read from them.
pub fn validate(
    parts: Vec<RawRepo>,
    sources: &SourceMap,
    diags: Vec<Diagnostic>,
) -> Result<(DesiredState, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut list = DiagList::default();
    for d in diags {
        list.push(d);
    }
    validate_list(parts, sources, list)
}

/// [`validate`] with the problems found so far in a [`DiagList`]: the checks add to
/// it up to its cap, and a `too-many-problems` note ends the list if any were left out.
pub fn validate_list(
    mut parts: Vec<RawRepo>,
    sources: &SourceMap,
    diags: DiagList,
) -> Result<(DesiredState, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut c = Checker {
        sources,
        names: sources
            .files()
            .iter()
            .map(|f| f.name.as_str().into())
            .collect(),
        diags,
        domain: None,
        domains: Vec::new(),
    };
    let mut tenants = parts
        .iter_mut()
        .flat_map(|p| std::mem::take(&mut p.tenants))
        .collect::<Vec<_>>()
        .into_iter();
    let first = tenants.next();
    for extra in tenants {
        if let Some(f) = &first {
            let d = Diagnostic::error(Code::DuplicateTenant, extra.loc, "a second `tenant:` block")
                .label("second tenant block")
                .related(f.loc, "first tenant block")
                .help(
                    "keep exactly one `tenant:` block in the repo (conventionally in tenant.yaml)",
                );
            c.diags.push(d);
        }
    }
    let tenant_raw = first.unwrap_or_else(|| {
        c.diags.push(
            Diagnostic::global(Code::MissingTenant, "no file declares the `tenant:` block")
                .help("add tenant.yaml with at least `tenant: { domain: contoso.com }`"),
        );
        RawTenant::default()
    });
    if let Some(d) = &tenant_raw.domain {
        if is_domain(&d.text) {
            c.domain = Some(d.text.to_ascii_lowercase());
            c.domains.push(d.text.to_ascii_lowercase());
        } else {
            c.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    d.loc,
                    format!("`{}` is not a domain name", shown(&d.text)),
                )
                .label("not a DNS name")
                .help("write the tenant's verified domain, e.g. contoso.com"),
            );
        }
    }
    for d in &tenant_raw.domains {
        if is_domain(&d.text) {
            let lower = d.text.to_ascii_lowercase();
            if !c.domains.contains(&lower) {
                c.domains.push(lower);
            }
        } else {
            c.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    d.loc,
                    format!("`{}` is not a domain name", shown(&d.text)),
                )
                .label("not a DNS name")
                .help("list verified domains such as contoso.onmicrosoft.com"),
            );
        }
    }
    let tenant = tenant(&mut c, &tenant_raw);

    // Users.
    let mut acc = Users::default();
    // Room for every user at once: grown by doubling, the vector of 100,000 users
    // was copied at each step and held up to twice the room it needed.
    let declared: usize = parts.iter().map(|p| p.users.len()).sum();
    acc.users.reserve_exact(declared);
    acc.locs.reserve(declared);
    for part in &mut parts {
        for u in std::mem::take(&mut part.users) {
            user(&mut c, &tenant, &tenant_raw, u, &mut acc);
        }
    }
    let Users {
        users,
        locs: user_locs,
        group_refs: user_group_refs,
        role_refs: user_role_refs,
        holding_refs: user_holding_refs,
    } = acc;
    let users = UserMap::new(users);
    manager_cycles(&mut c, &users, &user_locs);
    drop(user_locs);

    // Groups.
    let mut groups: BTreeMap<String, GroupSpec> = BTreeMap::new();
    // Members in declaration order (the group's own list first, then users' `groups:`).
    let mut members: HashMap<String, Vec<(Upn, Origin)>> = HashMap::new();
    let mut group_locs: HashMap<String, (Loc, Option<Loc>)> = HashMap::new();
    for part in &mut parts {
        for g in std::mem::take(&mut part.groups) {
            let Some(name) = g.name else { continue };
            let key = name.text.to_lowercase();
            if let Some((first, _)) = group_locs.get(&key) {
                c.diags.push(
                    Diagnostic::error(
                        Code::DuplicateGroup,
                        name.loc,
                        format!("group `{}` is declared twice", shown(&name.text)),
                    )
                    .label("second declaration")
                    .related(*first, "first declaration")
                    .help("group names are compared without regard to case; merge the two entries"),
                );
                continue;
            }
            group_locs.insert(key.clone(), (name.loc, g.dynamic));
            let mut declared = Vec::new();
            if let (Some(dyn_loc), Some((_, key_loc))) = (g.dynamic, &g.members) {
                c.diags.push(
                    Diagnostic::error(
                        Code::DynamicGroupMembers,
                        *key_loc,
                        format!("group `{}` is dynamic, so its members cannot be declared", shown(&name.text)),
                    )
                    .label("members of a dynamic group")
                    .related(dyn_loc, "marked dynamic here")
                    .help("Entra computes a dynamic group's members from its rule; remove `members:` (or change the rule in Entra)"),
                );
            } else if let Some((list, _)) = g.members {
                declared = c.members(&list);
            }
            // `{ user, until }` items: matched to their member by where they are written.
            let mut until = BTreeMap::new();
            for (loc, date) in &g.member_until {
                let at = c.origin(*loc);
                if let Some((upn, _)) = declared.iter().find(|(_, o)| *o == at) {
                    until.insert(upn.clone(), *date);
                }
            }
            members.insert(key.clone(), declared);
            let owners = g
                .owners
                .map(|(list, key_loc, written)| owners(&mut c, &name.text, list, key_loc, written));
            let spec = GroupSpec {
                owners,
                origin: c.origin(name.loc),
                name: name.text,
                mail_nickname: g.mail_nickname.map(|s| s.text),
                description: g.description.map(|d| match d {
                    Nullable::Null(_) => None,
                    Nullable::Value(s) => Some(s.text),
                }),
                kind: g.kind,
                membership: if g.dynamic.is_some() {
                    Membership::Dynamic
                } else if g.additive {
                    Membership::Additive
                } else {
                    Membership::Authoritative
                },
                members: UpnMap::default(),
                until,
            };
            groups.insert(key, spec);
        }
    }
    for (upn, gref) in user_group_refs {
        let key = gref.text.to_lowercase();
        match (groups.get(&key), group_locs.get(&key)) {
            (Some(g), Some((_, Some(dyn_loc)))) => {
                let d = Diagnostic::error(
                    Code::DynamicGroupMembers,
                    gref.loc,
                    format!("`{upn}` lists dynamic group `{}`, whose members cannot be declared", shown(&g.name)),
                )
                .label("membership of a dynamic group")
                .related(*dyn_loc, "marked dynamic here")
                .help("remove the group from this user's `groups:`; Entra adds members by the group's rule");
                c.diags.push(d);
            }
            (Some(_), _) => {
                let origin = c.origin(gref.loc);
                members.entry(key).or_default().push((upn, origin));
            }
            (None, _) => {
                let candidates: Vec<&str> = groups.values().map(|g| g.name.as_str()).collect();
                let help = match did_you_mean(&gref.text, &candidates) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => {
                        "declare the group under `groups:` (name: …), or fix the name".to_string()
                    }
                };
                c.diags.push(
                    Diagnostic::error(
                        Code::UnknownGroup,
                        gref.loc,
                        format!("group `{}` is not declared", shown(&gref.text)),
                    )
                    .label("unknown group")
                    .help(help),
                );
            }
        }
    }
    drop(group_locs);
    for (key, g) in &mut groups {
        if let Some(list) = members.remove(key) {
            g.members = UpnMap::first_wins(list);
        }
    }
    drop(members);

    // Roles.
    let mut roles: BTreeMap<String, RoleSpec> = BTreeMap::new();
    // Principals in declaration order (the role's own list first, then users' `roles:`).
    let mut principals: HashMap<String, Vec<(Upn, Origin)>> = HashMap::new();
    // PIM holdings per role key, in declaration order.
    let mut holdings: HashMap<String, Vec<(HoldingSpec, Loc)>> = HashMap::new();
    // (role key, scope) → where declared.
    let mut role_locs: HashMap<(String, Option<String>), Loc> = HashMap::new();
    for part in &mut parts {
        for r in std::mem::take(&mut part.roles) {
            let Some(name) = &r.role else { continue };
            let builtin = builtin_roles::lookup(&name.text);
            let (key, display, template) = match (builtin, r.custom) {
                (Some(b), false) => (
                    b.template_id.to_string(),
                    b.display_name.to_string(),
                    Some(b.template_id.to_string()),
                ),
                (Some(b), true) => {
                    c.diags.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            name.loc,
                            format!("`{}` is a built-in role, not a custom one", b.display_name),
                        )
                        .label("built-in role")
                        .help("remove `custom: true`"),
                    );
                    continue;
                }
                (None, true) => (name.text.to_lowercase(), name.text.clone(), None),
                (None, false) => {
                    c.diags.push(unknown_role(name));
                    continue;
                }
            };
            let Ok(scope) = role_scope(&mut c, r.scope.as_ref()) else {
                continue;
            };
            let scope_key = scope.as_ref().map(|s| s.to_lowercase());
            if let Some(first) = role_locs.get(&(key.clone(), scope_key.clone())) {
                c.diags.push(
                    Diagnostic::error(Code::DuplicateRole, name.loc, format!("role `{}` is declared twice{}", shown(&display), scope.as_ref().map(|s| format!(" for administrative unit `{}`", shown(s))).unwrap_or_default()))
                        .label("second declaration")
                        .related(*first, "first declaration")
                        .help("a role may be named by display name or template id, but only once per scope; merge the entries"),
                );
                continue;
            }
            role_locs.insert((key.clone(), scope_key), name.loc);
            let mut declared = Vec::with_capacity(r.principals.len());
            let mut held: Vec<(HoldingSpec, Loc)> = Vec::new();
            let plain = r.principals.into_iter().map(|s| RawHolding {
                loc: s.loc,
                principal: Some(s),
                role: None,
                eligible: false,
                until: None,
                justification: None,
                scope: None,
            });
            for h in plain.chain(r.eligible).chain(r.active) {
                let Some(p) = h.principal.clone() else {
                    continue;
                };
                let loc = p.loc;
                let Some(u) = c.upn_owned(p.text, loc) else {
                    continue;
                };
                if users.get(&u).is_some_and(|s| s.enabled == Some(false)) {
                    c.diags.push(disabled_with_role(&u, &display, loc));
                }
                let Ok(until) = holding_until(&mut c, h.until.as_ref()) else {
                    continue;
                };
                if !h.eligible && until.is_none() && scope.is_none() {
                    declared.push((u, c.origin(loc)));
                } else {
                    held.push((
                        HoldingSpec {
                            upn: u,
                            scope: scope.clone(),
                            holding: if h.eligible {
                                Holding::Eligible
                            } else {
                                Holding::Active
                            },
                            until,
                            justification: h.justification.map(|j| j.text),
                            origin: c.origin(h.loc),
                        },
                        h.loc,
                    ));
                }
            }
            principals.entry(key.clone()).or_default().extend(declared);
            holdings.entry(key.clone()).or_default().extend(held);
            let spec = roles.entry(key).or_insert_with(|| RoleSpec {
                display_name: display,
                template_id: template,
                authoritative: false,
                principals: UpnMap::default(),
                holdings: Vec::new(),
                au_scopes: Vec::new(),
                origin: c.origin(name.loc),
            });
            match scope {
                None => spec.authoritative = true,
                Some(unit) => spec.au_scopes.push(unit),
            }
        }
    }
    drop(parts);
    for (upn, rref) in user_role_refs {
        if users.get(&upn).is_some_and(|s| s.enabled == Some(false)) {
            c.diags.push(disabled_with_role(&upn, &rref.text, rref.loc));
            continue;
        }
        let Some(key) = role_key(&mut c, &roles, &rref) else {
            continue;
        };
        let origin = c.origin(rref.loc);
        roles
            .entry(key.clone())
            .or_insert_with(|| referenced_role(&rref, origin.clone()));
        principals.entry(key).or_default().push((upn, origin));
    }
    for (upn, h) in user_holding_refs {
        let Some(rref) = h.role.clone() else { continue };
        if users.get(&upn).is_some_and(|s| s.enabled == Some(false)) {
            c.diags.push(disabled_with_role(&upn, &rref.text, rref.loc));
            continue;
        }
        let Some(key) = role_key(&mut c, &roles, &rref) else {
            continue;
        };
        let (Ok(scope), Ok(until)) = (
            role_scope(&mut c, h.scope.as_ref()),
            holding_until(&mut c, h.until.as_ref()),
        ) else {
            continue;
        };
        let origin = c.origin(h.loc);
        roles
            .entry(key.clone())
            .or_insert_with(|| referenced_role(&rref, origin.clone()));
        if !h.eligible && until.is_none() && scope.is_none() {
            principals.entry(key).or_default().push((upn, origin));
            continue;
        }
        holdings.entry(key).or_default().push((
            HoldingSpec {
                upn,
                scope,
                holding: if h.eligible {
                    Holding::Eligible
                } else {
                    Holding::Active
                },
                until,
                justification: h.justification.map(|j| j.text),
                origin,
            },
            h.loc,
        ));
    }
    for (key, r) in &mut roles {
        if let Some(list) = principals.remove(key) {
            r.principals = UpnMap::first_wins(list);
        }
        if let Some(list) = holdings.remove(key) {
            r.holdings = check_holdings(&mut c, r, list);
        }
    }

    let summary = c.diags.summary();
    let mut diags = c.diags.kept;
    sort(&mut diags, sources);
    diags.extend(summary);
    if diags
        .iter()
        .any(|d| d.severity == super::diagnostic::Severity::Error)
    {
        return Err(diags);
    }
    Ok((
        DesiredState {
            tenant,
            users,
            groups,
            roles,
        },
        diags,
    ))
}

/// What the users pass collects.
#[derive(Default)]
struct Users {
    /// The checked users.
    users: Vec<UserSpec>,
    /// Where each user's `upn` and (if any) `manager` are written.
    locs: HashMap<Upn, (Loc, Option<Loc>)>,
    /// Users' `groups:` entries, resolved once every group is known.
    group_refs: Vec<(Upn, Str)>,
    /// Users' `roles:` entries, resolved once every role is known.
    role_refs: Vec<(Upn, Str)>,
    /// Users' `roles:` mapping entries (PIM holdings).
    holding_refs: Vec<(Upn, RawHolding)>,
}

/// Check one `users:` item and add it to `acc`, consuming it.
fn user(c: &mut Checker<'_>, tenant: &Tenant, tenant_raw: &RawTenant, u: RawUser, acc: &mut Users) {
    let Users {
        users,
        locs: user_locs,
        group_refs: user_group_refs,
        role_refs: user_role_refs,
        holding_refs: user_holding_refs,
    } = acc;
    let RawUser {
        loc: _,
        upn: upn_str,
        attrs,
        manager,
        enabled,
        groups,
        roles,
        role_holdings,
        password,
        onboarding,
        reset_password_after,
        revoke_sessions_after,
        licenses,
        previous_upns,
        invite,
    } = u;
    let (upn_str, invite) = match invite {
        Some(raw) => invite::check(c, upn_str, raw),
        None => (upn_str, None),
    };
    let Some(upn_str) = upn_str else { return };
    let upn_loc = upn_str.loc;
    let Some(upn) = c.upn_owned(upn_str.text, upn_loc) else {
        // Still check what the entry refers to, so one bad UPN does not hide other mistakes.
        check_refs_only(c, manager.as_ref(), &roles);
        return;
    };
    if let Some((first, _)) = user_locs.get(&upn) {
        let d = Diagnostic::error(
            Code::DuplicateUpn,
            upn_loc,
            format!("user `{upn}` is declared twice"),
        )
        .label("second declaration")
        .related(*first, "first declaration")
        .help("UPNs are compared without regard to case; merge the two entries into one");
        c.diags.push(d);
        // Still report this entry's own mistakes; the state is invalid anyway.
        if let Some(Nullable::Value(m)) = &manager
            && c.upn(m).is_some_and(|mu| mu == upn)
        {
            c.diags.push(self_manager(&upn, m.loc));
        }
        user_group_refs.extend(groups.into_iter().map(|g| (upn.clone(), g)));
        user_role_refs.extend(roles.into_iter().map(|r| (upn.clone(), r)));
        user_holding_refs.extend(role_holdings.into_iter().map(|r| (upn.clone(), r)));
        return;
    }
    if tenant.scope.exclude.contains(&upn) {
        c.diags.push(
            Diagnostic::error(
                Code::Contradiction,
                upn_loc,
                format!("`{upn}` is declared but also excluded from scope"),
            )
            .label("declared here")
            .help("remove the user from `tenant.scope.exclude`, or remove this declaration"),
        );
    } else if !tenant.scope.owns(&upn) {
        c.diags.push(
            Diagnostic::error(
                Code::Contradiction,
                upn_loc,
                format!("`{upn}` is declared but outside `tenant.scope`"),
            )
            .label("declared here")
            .help("widen `tenant.scope.users` to include this user, or remove this declaration"),
        );
    }
    if let (true, Some((false, loc))) = (tenant.safety.protected.contains(&upn), enabled) {
        c.diags.push(
            Diagnostic::error(Code::Contradiction, loc, format!("`{upn}` is protected but declared `enabled: false`"))
                .label("would disable a protected principal")
                .help("protected principals are never disabled; remove them from `safety.protected` first if this is intended"),
        );
    }
    let defaults = tenant_raw
        .default_attrs
        .iter()
        .filter(|(a, _)| !attrs.iter().any(|(x, _, _)| x == a))
        .map(|(a, v)| (*a, Some(v.clone())))
        .collect::<Vec<(Attr, Option<AttrValue>)>>();
    let attributes: AttrMap = attrs
        .into_iter()
        .map(|(a, v, _)| (a, v))
        .chain(defaults)
        .collect();
    let mut manager_loc = None;
    let manager = match manager {
        None => None,
        Some(Nullable::Null(loc)) => {
            manager_loc = Some(loc);
            Some(ManagerSpec::Remove)
        }
        Some(Nullable::Value(m)) => {
            let loc = m.loc;
            manager_loc = Some(loc);
            match c.upn_owned(m.text, loc) {
                Some(mu) if mu == upn => {
                    c.diags.push(self_manager(&upn, loc));
                    None
                }
                Some(mu) => Some(ManagerSpec::Set(mu)),
                None => None,
            }
        }
    };
    user_locs.insert(upn.clone(), (upn_loc, manager_loc));
    user_group_refs.extend(groups.into_iter().map(|g| (upn.clone(), g)));
    user_role_refs.extend(roles.into_iter().map(|r| (upn.clone(), r)));
    // A licence waits for usageLocation (Graph refuses assignLicense without
    // one): the user or the defaults must set it.
    let own_licenses = licenses.is_some();
    let licenses = match licenses {
        Some((l, loc)) => {
            if !l.is_empty() && !matches!(attributes.get(&Attr::UsageLocation), Some(Some(_))) {
                c.diags.push(
                    Diagnostic::error(
                        Code::LicenseNeedsUsageLocation,
                        loc,
                        format!("`{upn}` is given licences but no `usageLocation`"),
                    )
                    .label("Graph refuses a licence without a usage location")
                    .help("add `usageLocation: US` (an ISO 3166-1 alpha-2 code) to the user, or to `tenant.defaults`"),
                );
            }
            Some(l)
        }
        None => match &tenant_raw.default_licenses {
            Some(l)
                if !l.is_empty()
                    && !matches!(attributes.get(&Attr::UsageLocation), Some(Some(_))) =>
            {
                c.diags.push(
                    Diagnostic::error(
                        Code::LicenseNeedsUsageLocation,
                        upn_loc,
                        format!("`{upn}` gets `tenant.defaults.licenses` but has no `usageLocation`"),
                    )
                    .label("Graph refuses a licence without a usage location")
                    .help("add `usageLocation` to the user or to `tenant.defaults`, or give the user `licenses: []`"),
                );
                Some(l.clone())
            }
            other => other.clone(),
        },
    };
    let mut previous: Vec<Upn> = Vec::new();
    for p in previous_upns {
        let loc = p.loc;
        if let Some(old) = c.upn_owned(p.text, loc) {
            if old == upn {
                c.diags.push(
                    Diagnostic::error(
                        Code::Contradiction,
                        loc,
                        format!("`{upn}` lists its own UPN in `previous_upns`"),
                    )
                    .label("the user's current UPN")
                    .help("list only the UPNs the user had before the rename"),
                );
            } else if !previous.contains(&old) {
                previous.push(old);
            }
        }
    }
    user_holding_refs.extend(role_holdings.into_iter().map(|r| (upn.clone(), r)));
    let spec = UserSpec {
        invite,
        previous_upns: previous,
        licenses,
        own_licenses,
        upn,
        attributes,
        manager_origin: manager_loc.map(|l| c.origin(l)),
        manager,
        enabled: enabled.map(|(b, _)| b).or(tenant_raw.default_enabled),
        password: password
            .or_else(|| tenant_raw.default_password.clone())
            .unwrap_or(PasswordPolicy::Generate),
        tap: onboarding.or(tenant_raw.default_onboarding).flatten(),
        reset_password_after,
        revoke_sessions_after,
        origin: c.origin(upn_loc),
    };
    users.push(spec);
}

/// The key of a role a user's `roles:` names (a built-in role, or a custom
/// role declared under `roles:`); `None` after an `unknown-role` diagnostic.
fn role_key(c: &mut Checker<'_>, roles: &BTreeMap<String, RoleSpec>, rref: &Str) -> Option<String> {
    match builtin_roles::lookup(&rref.text) {
        Some(b) => Some(b.template_id.to_string()),
        None => {
            let k = rref.text.to_lowercase();
            if roles.contains_key(&k) {
                Some(k)
            } else {
                c.diags.push(unknown_role(rref));
                None
            }
        }
    }
}

/// A role only referenced from users' `roles:` (managed additively).
fn referenced_role(rref: &Str, origin: Origin) -> RoleSpec {
    let b = builtin_roles::lookup(&rref.text);
    RoleSpec {
        display_name: b.map_or_else(|| rref.text.clone(), |b| b.display_name.to_string()),
        template_id: b.map(|b| b.template_id.to_string()),
        authoritative: false,
        principals: UpnMap::default(),
        holdings: Vec::new(),
        au_scopes: Vec::new(),
        origin,
    }
}

/// A role's `scope:`: absent or `/` is the tenant (`Ok(None)`), `au:<name>` an
/// administrative unit (whether it exists is checked when planning); `Err`
/// after a diagnostic.
fn role_scope(c: &mut Checker<'_>, scope: Option<&Str>) -> Result<Option<String>, ()> {
    let Some(s) = scope else { return Ok(None) };
    let text = s.text.trim();
    if text == "/" {
        return Ok(None);
    }
    match text.strip_prefix("au:").map(str::trim) {
        Some(name) if !name.is_empty() => Ok(Some(name.to_string())),
        _ => {
            c.diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    s.loc,
                    format!("`{}` is not a role scope", shown(&s.text)),
                )
                .label("not `/` or `au:<name>`")
                .help("write `/` (the tenant, the default) or `au:<administrative unit name>`, e.g. `au:Paris office`"),
            );
            Err(())
        }
    }
}

/// An `until:`: a calendar date `YYYY-MM-DD` (`Ok(None)` when absent; whether
/// it is still ahead is checked when planning, against the clock); `Err`
/// after a diagnostic.
fn holding_until(c: &mut Checker<'_>, until: Option<&Str>) -> Result<Option<String>, ()> {
    let Some(u) = until else { return Ok(None) };
    if crate::model::date::is_date(u.text.trim()) {
        return Ok(Some(u.text.trim().to_string()));
    }
    c.diags.push(
        Diagnostic::error(
            Code::InvalidValue,
            u.loc,
            format!("`{}` is not a date", shown(&u.text)),
        )
        .label("expected YYYY-MM-DD")
        .help("write the last day the role is held, e.g. `until: 2027-03-31` (UTC)"),
    );
    Err(())
}

/// One role's holdings, checked: the same principal both eligible and
/// active at one scope is a `contradiction`; the same holding declared twice
/// with a different `until` or `justification` is `duplicate-holding`
/// (identical repeats merge, like principals).
fn check_holdings(
    c: &mut Checker<'_>,
    role: &RoleSpec,
    list: Vec<(HoldingSpec, Loc)>,
) -> Vec<HoldingSpec> {
    let mut out: Vec<(HoldingSpec, Loc)> = Vec::with_capacity(list.len());
    for (h, loc) in list {
        let scope_key = h.scope.as_ref().map(|s| s.to_lowercase());
        let here = |o: &HoldingSpec| {
            o.upn == h.upn && o.scope.as_ref().map(|s| s.to_lowercase()) == scope_key
        };
        if let Some((_, first)) = out.iter().find(|(o, _)| here(o) && o.holding != h.holding) {
            let d = contradiction(&h, role, loc).related(*first, "first holding");
            c.diags.push(d);
            continue;
        }
        if h.holding == Holding::Eligible
            && h.scope.is_none()
            && let Some(first) = role.principals.get(&h.upn)
        {
            let d = contradiction(&h, role, loc).help(format!(
                "an eligible principal activates the role when needed: keep either the eligibility or the permanent assignment (`principals:` or a user's `roles:`, at {}:{}:{})",
                first.file, first.line, first.column
            ));
            c.diags.push(d);
            continue;
        }
        if let Some((o, first)) = out.iter().find(|(o, _)| here(o) && o.holding == h.holding) {
            if o.until != h.until || o.justification != h.justification {
                c.diags.push(
                    Diagnostic::error(
                        Code::DuplicateHolding,
                        loc,
                        format!(
                            "`{}` is {} for {} twice, with a different `until` or `justification`",
                            h.upn,
                            h.holding.as_str(),
                            role.display_name
                        ),
                    )
                    .label("second declaration")
                    .related(*first, "first declaration")
                    .help("keep one of the two entries"),
                );
            }
            continue;
        }
        out.push((h, loc));
    }
    let mut out: Vec<HoldingSpec> = out.into_iter().map(|(h, _)| h).collect();
    out.sort();
    out
}

/// "Eligible and active at once" for one holding.
fn contradiction(h: &HoldingSpec, role: &RoleSpec, loc: Loc) -> Diagnostic {
    Diagnostic::error(
        Code::Contradiction,
        loc,
        format!(
            "`{}` is declared both eligible and active for {}{}",
            h.upn,
            role.display_name,
            h.scope
                .as_ref()
                .map(|s| format!(" in administrative unit `{}`", shown(s)))
                .unwrap_or_default()
        ),
    )
    .label("second holding")
    .help("an eligible principal activates the role when needed: keep either the eligibility or the active assignment")
}

/// For an entry whose own UPN is invalid: check its references without recording anything.
fn check_refs_only(c: &mut Checker<'_>, manager: Option<&Nullable<Str>>, roles: &[Str]) {
    if let Some(Nullable::Value(m)) = manager {
        c.upn(m);
    }
    for r in roles {
        if builtin_roles::lookup(&r.text).is_none() {
            c.diags.push(unknown_role(r));
        }
    }
}

fn disabled_with_role(upn: &Upn, role: &str, loc: Loc) -> Diagnostic {
    Diagnostic::error(
        Code::Contradiction,
        loc,
        format!(
            "`{upn}` is declared `enabled: false` but assigned `{}`",
            shown(role)
        ),
    )
    .label("role for a disabled user")
    .help("a disabled account loses its roles; remove the role, or enable the user")
}

fn self_manager(upn: &Upn, loc: Loc) -> Diagnostic {
    Diagnostic::error(
        Code::SelfManager,
        loc,
        format!("`{upn}` is declared as his own manager"),
    )
    .label("the user himself")
    .help("name the user's actual manager, or write `manager: null` for none")
}

fn unknown_role(name: &Str) -> Diagnostic {
    let names: Vec<&str> = builtin_roles::BUILTIN_ROLES
        .iter()
        .map(|r| r.display_name)
        .collect();
    let help = match did_you_mean(&name.text, &names) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "use a built-in role's display name or template id (see `entraform schema`), or declare a custom role under `roles:` with `custom: true`".to_string(),
    };
    Diagnostic::error(
        Code::UnknownRole,
        name.loc,
        format!(
            "`{}` is not a built-in role or a declared custom role",
            shown(&name.text)
        ),
    )
    .label("unknown role")
    .help(help)
}

fn tenant(c: &mut Checker<'_>, t: &RawTenant) -> Tenant {
    let users = match &t.scope_users {
        RawScopeUsers::All => ScopeUsers::All,
        RawScopeUsers::Domains(ds) => {
            for d in ds {
                if !c.domains.is_empty()
                    && !c.domains.iter().any(|x| x.eq_ignore_ascii_case(&d.text))
                {
                    c.diags.push(
                        Diagnostic::error(
                            Code::UnknownDomain,
                            d.loc,
                            format!(
                                "scope domain `{}` is not one of the tenant's domains",
                                shown(&d.text)
                            ),
                        )
                        .label("unknown domain")
                        .help("add it to `tenant.domains` or fix the name"),
                    );
                }
            }
            ScopeUsers::Domains(ds.iter().map(|d| d.text.to_ascii_lowercase()).collect())
        }
        RawScopeUsers::List(l) => ScopeUsers::List(c.upns(l).into_iter().map(|(u, _)| u).collect()),
    };
    let exclude = c.upns(&t.exclude).into_iter().map(|(u, _)| u).collect();
    let protected = c.upns(&t.protected).into_iter().map(|(u, _)| u).collect();
    Tenant {
        domain: c.domain.clone().unwrap_or_default(),
        domains: c.domains.clone(),
        scope: Scope { users, exclude },
        absent_users: t.absent_users.unwrap_or(AbsentUsers::Ignore),
        safety: Safety {
            max_deletes: Some(t.max_deletes.unwrap_or(DEFAULT_THRESHOLD)),
            max_disables: Some(t.max_disables.unwrap_or(DEFAULT_THRESHOLD)),
            max_changes: t.max_changes,
            min_tenant_size: t.min_tenant_size.unwrap_or(DEFAULT_MIN_TENANT_SIZE),
            protected,
        },
        lifecycle: t.lifecycle.clone().unwrap_or_default(),
        origin: c.origin(t.loc),
    }
}

/// Report every manager cycle among declared users once, naming its members in order.
fn manager_cycles(c: &mut Checker<'_>, users: &UserMap, locs: &HashMap<Upn, (Loc, Option<Loc>)>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark: HashMap<&Upn, Mark> = users.keys().map(|u| (u, Mark::New)).collect();
    for start in users.keys() {
        if mark.get(start) != Some(&Mark::New) {
            continue;
        }
        let mut path: Vec<&Upn> = Vec::new();
        let mut cur = Some(start);
        while let Some(u) = cur {
            match mark.get(u) {
                Some(Mark::New) => {
                    mark.insert(u, Mark::Active);
                    path.push(u);
                    cur = match users.get(u).and_then(|s| s.manager.as_ref()) {
                        Some(ManagerSpec::Set(m)) if users.contains_key(m) => {
                            users.get_key_value(m).map(|(k, _)| k)
                        }
                        _ => None,
                    };
                }
                Some(Mark::Active) => {
                    let pos = path.iter().position(|p| *p == u).unwrap_or(0);
                    let mut cycle: Vec<&Upn> = path[pos..].to_vec();
                    // Start the cycle at its smallest member so the message is deterministic.
                    let min = cycle
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, u)| **u)
                        .map_or(0, |(i, _)| i);
                    cycle.rotate_left(min);
                    let chain: Vec<String> = cycle
                        .iter()
                        .chain(cycle.first())
                        .map(|u| u.to_string())
                        .collect();
                    if let Some(first) = cycle
                        .first()
                        .and_then(|u| locs.get(*u))
                        .and_then(|(_, m)| *m)
                    {
                        let mut d = Diagnostic::error(
                            Code::ManagerCycle,
                            first,
                            format!("managers form a cycle: {}", chain.join(" → ")),
                        )
                        .label(format!("{} reports to {}", cycle[0], cycle.get(1).unwrap_or(&cycle[0])))
                        .help("a manager chain must end at someone without a manager; change one of these managers");
                        for (i, u) in cycle.iter().enumerate().skip(1) {
                            if let Some(l) = locs.get(*u).and_then(|(_, m)| *m) {
                                let next = cycle.get(i + 1).unwrap_or(&cycle[0]);
                                d = d.related(l, format!("{u} reports to {next}"));
                            }
                        }
                        c.diags.push(d);
                    }
                    cur = None;
                }
                _ => cur = None,
            }
        }
        for u in path {
            mark.insert(u, Mark::Done);
        }
    }
}

/// Order diagnostics by file, line and column (repo-wide ones first) so output never depends on load order.
pub fn sort(diags: &mut [Diagnostic], sources: &SourceMap) {
    diags.sort_by(|a, b| {
        let key = |d: &Diagnostic| {
            d.primary.as_ref().map(|p| {
                (
                    sources.name(p.loc.file).to_string(),
                    p.loc.span.start.line,
                    p.loc.span.start.col,
                )
            })
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| a.message.cmp(&b.message))
    });
}
