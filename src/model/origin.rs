//! Where a declared object is written in the repo (file, line, column): carried
//! from the YAML into operations so plan-time messages can point at it.

use std::sync::Arc;

use serde::Serialize;

/// A place in the repo, for messages at plan time ("declared at users/eng.yaml:12:5").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Origin {
    /// File path as shown to the user (shared: many origins point into one file).
    pub file: Arc<str>,
    /// Line, 1-based.
    pub line: u32,
    /// Column, 1-based.
    pub column: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}
