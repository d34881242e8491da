//! Microsoft Graph's application permissions per API: the shared table of
//! the `entra-data` crate (the emulator enforces the same one; the planner
//! reports what Graph would refuse with it: `plan::access`).

pub use entra_data::graph_permissions::*;
