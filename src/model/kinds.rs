//! Choices a declared object carries into its operations: the kind of a group,
//! and how a new user's initial password is chosen.

use serde::{Deserialize, Serialize};

/// How a new user's initial password is chosen (never a literal in YAML).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordPolicy {
    /// Generate a random password at apply time.
    Generate,
    /// Read it from this environment variable at apply time.
    Env(String),
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

/// A Temporary Access Pass to issue to a new user (`onboarding.temporary_access_pass`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TapPolicy {
    /// `lifetimeInMinutes` (Graph accepts 10–43200).
    pub lifetime_minutes: u32,
    /// `isUsableOnce`.
    pub one_time: bool,
}

impl TapPolicy {
    /// Graph's bounds on `lifetimeInMinutes` (authentication-post-temporaryaccesspassmethods).
    pub const LIFETIME_MINUTES: std::ops::RangeInclusive<u32> = 10..=43_200;
}
