//! The desired state: YAML files → spanned raw tree → validated, checked types.

pub mod source;
pub mod yaml;
