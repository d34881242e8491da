//! Domain types shared by every layer: identifiers of Entra objects.

use std::fmt;

/// A Microsoft Entra object id (a GUID string as Graph returns it).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct ObjectId(pub String);

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user principal name as written (`Sawyer.Miller@contoso.com`).
///
/// Entra compares UPNs case-insensitively, so equality, ordering and hashing
/// use the lower-cased form while `as_str` keeps the spelling given.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Upn(String);

impl Upn {
    /// Wrap a UPN without checking it (checked UPNs come from `desired::validate`).
    pub fn new_unchecked(s: impl Into<String>) -> Self {
        Upn(s.into())
    }
    /// The UPN as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The lower-cased key Entra compares on.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
    /// The part before `@`.
    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or(&self.0, |(l, _)| l)
    }
}

impl PartialEq for Upn {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for Upn {}
impl std::hash::Hash for Upn {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Lower-case eight bytes at a time: UPNs are hashed a lot when indexing large tenants.
        let bytes = self.0.as_bytes();
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            for (d, b) in w.iter_mut().zip(c) {
                *d = b.to_ascii_lowercase();
            }
            state.write_u64(u64::from_le_bytes(w));
        }
        for b in chunks.remainder() {
            state.write_u8(b.to_ascii_lowercase());
        }
        state.write_usize(bytes.len());
    }
}
impl PartialOrd for Upn {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Upn {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let a = self.0.bytes().map(|b| b.to_ascii_lowercase());
        let b = other.0.bytes().map(|b| b.to_ascii_lowercase());
        a.cmp(b)
    }
}
impl fmt::Display for Upn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
