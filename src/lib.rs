//! entraform: declarative reconciliation of Microsoft Entra ID users from YAML.
//!
//! The pure core (validation, diff, plan, safety gates, rendering) takes data
//! and returns data; I/O lives at the edges (YAML loader, Graph client, apply
//! executor). The Graph emulator is its own crate (`graph-emulator`), used
//! only by the CLI and the tests. See `docs/` for the user-facing documentation.

pub mod apply;
pub mod cli;
pub mod desired;
pub mod digest;
pub mod drift;
pub mod export;
pub mod graph;
pub mod live;
pub mod lock;
pub mod model;
pub mod plan;
pub mod private_file;
pub mod report;

pub use model::{builtin_roles, sensitive_actions};

/// `graph_any![[A, B], [C]]`: a permission alternative list (A and B, or C), from `entra-data`.
#[doc(hidden)]
pub use entra_data::graph_any;
