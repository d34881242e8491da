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
