//! Checked desired-state types: what the planner accepts.
//!
//! These are produced only by [`super::validate`]; their fields hold values
//! that already passed every rule, so later stages need not re-check them.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::attrs::{Attr, AttrValue};
use crate::model::Upn;

/// A place in the repo, for messages at plan time ("declared at users/eng.yaml:12:5").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Origin {
    /// File path as shown to the user (shared: many origins point into one file).
    pub file: Arc<str>,
    /// Line, 1-based.
    pub line: usize,
    /// Column, 1-based.
    pub column: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The whole validated directory repo.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredState {
    /// Tenant-wide settings.
    pub tenant: Tenant,
    /// Declared users by UPN (case-insensitive).
    pub users: BTreeMap<Upn, UserSpec>,
    /// Declared groups by lower-cased name.
    pub groups: BTreeMap<String, GroupSpec>,
    /// Declared or referenced roles by key (template id for built-ins, lower-cased name for custom roles).
    pub roles: BTreeMap<String, RoleSpec>,
}

/// Settings from the `tenant:` block.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tenant {
    /// The default domain (short names get `@domain`).
    pub domain: String,
    /// Every domain users may use (the default domain first).
    pub domains: Vec<String>,
    /// Which live users this repo owns.
    pub scope: Scope,
    /// What happens to owned live users missing from the repo.
    pub absent_users: AbsentUsers,
    /// Thresholds and protected principals.
    pub safety: Safety,
    /// Where the block is.
    pub origin: Origin,
}

/// Which live users the repo owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeUsers {
    /// Every user in the tenant.
    All,
    /// Users whose UPN domain is one of these (lower-case).
    Domains(Vec<String>),
    /// Exactly these users.
    List(Vec<Upn>),
}

/// Ownership scope: a selection minus exclusions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// The selection.
    pub users: ScopeUsers,
    /// Never owned, never touched.
    pub exclude: Vec<Upn>,
}

impl Scope {
    /// Does the repo own the live user with this UPN?
    pub fn owns(&self, upn: &Upn) -> bool {
        if self.exclude.contains(upn) {
            return false;
        }
        match &self.users {
            ScopeUsers::All => true,
            ScopeUsers::Domains(d) => d.iter().any(|d| d.eq_ignore_ascii_case(upn.domain())),
            ScopeUsers::List(l) => l.contains(upn),
        }
    }
}

/// Policy for owned live users that the repo does not declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AbsentUsers {
    /// Leave them alone.
    Ignore,
    /// Disable them (and revoke their sessions).
    Disable,
    /// Delete them (soft delete; restorable for 30 days).
    Delete,
}

/// A limit given as a count or as a percentage of owned users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// At most this many.
    Count(u64),
    /// At most this share, in hundredths of a percent (`"2.5%"` → 250).
    BasisPoints(u32),
}

impl Threshold {
    /// The largest allowed number for a tenant with `owned` users.
    pub fn limit(self, owned: u64) -> u64 {
        match self {
            Threshold::Count(n) => n,
            Threshold::BasisPoints(bp) => owned * u64::from(bp) / 10_000,
        }
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Threshold::Count(n) => write!(f, "{n}"),
            Threshold::BasisPoints(bp) if bp % 100 == 0 => write!(f, "{}%", bp / 100),
            Threshold::BasisPoints(bp) => write!(f, "{}.{:02}%", bp / 100, bp % 100),
        }
    }
}

/// Safety settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Safety {
    /// Most deletions one plan may contain (default 10%).
    pub max_deletes: Option<Threshold>,
    /// Most disables one plan may contain (default 10%).
    pub max_disables: Option<Threshold>,
    /// Most changes of any kind (default: no limit).
    pub max_changes: Option<Threshold>,
    /// Thresholds apply only when the repo owns at least this many users (default 50).
    pub min_tenant_size: u64,
    /// Never disabled, deleted or stripped of roles.
    pub protected: Vec<Upn>,
}

/// How a new user's initial password is chosen (never a literal in YAML).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordPolicy {
    /// Generate a random password at apply time.
    Generate,
    /// Read it from this environment variable at apply time.
    Env(String),
}

/// What the repo says about a user's manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ManagerSpec {
    /// `manager: null`: the user must have no manager.
    Remove,
    /// This user must be the manager.
    Set(Upn),
}

/// One declared user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserSpec {
    /// The UPN.
    pub upn: Upn,
    /// Managed attributes: absent = unmanaged, `None` = clear, `Some` = set.
    pub attributes: BTreeMap<Attr, Option<AttrValue>>,
    /// Manager, if managed.
    pub manager: Option<ManagerSpec>,
    /// Where the manager is declared (for plan-time errors).
    pub manager_origin: Option<Origin>,
    /// accountEnabled, if managed.
    pub enabled: Option<bool>,
    /// Initial password policy (used only when the user is created).
    pub password: PasswordPolicy,
    /// Where the user is declared.
    pub origin: Origin,
}

/// Kind of group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKind {
    /// A security group (securityEnabled, not mail-enabled).
    Security,
    /// A Microsoft 365 (unified) group.
    Microsoft365,
}

/// How the repo treats a group's membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Membership {
    /// Live members not declared are removed.
    Authoritative,
    /// Declared members are added; others are left alone.
    Additive,
    /// A dynamic group: membership is read-only.
    Dynamic,
}

/// One declared group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSpec {
    /// displayName.
    pub name: String,
    /// mailNickname, if given.
    pub mail_nickname: Option<String>,
    /// description: absent = unmanaged, `None` = clear.
    pub description: Option<Option<String>>,
    /// Security or Microsoft 365.
    pub kind: GroupKind,
    /// Membership mode.
    pub membership: Membership,
    /// Members (merged from the group and from users' `groups:`), with where each was declared.
    pub members: BTreeMap<Upn, Origin>,
    /// Where the group is declared.
    pub origin: Origin,
}

/// One role and its principals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleSpec {
    /// Display name (the built-in name, or the custom role's name as written).
    pub display_name: String,
    /// Template id of a built-in role; `None` for a custom role (resolved at plan time by name).
    pub template_id: Option<String>,
    /// True when declared under `roles:` (its assignments are then authoritative);
    /// false when only referenced from users' `roles:` lists (additive).
    pub authoritative: bool,
    /// Principals (merged), with where each was declared.
    pub principals: BTreeMap<Upn, Origin>,
    /// Where the role is declared (or first referenced).
    pub origin: Origin,
}
