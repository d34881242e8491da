//! The desired state: YAML files → spanned raw tree → validated, checked types.
