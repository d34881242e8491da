//! The domain: the types every other layer speaks — identifiers, the attribute
//! table, the live tenant snapshot ([`live::Live`]), operations ([`op::Op`] and
//! what each one does), and Microsoft's fixed tables (built-in roles, Graph
//! permissions, sensitive actions).
//!
//! The bottom layer: nothing here imports another module of the crate, so
//! every layer above may use it (`docs/architecture.md`; the layering test
//! `tests/integration/layering.rs` holds the rule).

pub mod attrs;
pub mod auth_methods;
pub mod builtin_roles;
pub mod clock;
pub mod codes;
pub mod country;
pub mod date;
pub mod devices;
pub mod effect;
mod ids;
pub mod kinds;
pub mod licenses;
pub mod live;
pub mod op;
pub mod origin;
pub mod permissions;
pub mod read;
pub mod sensitive_actions;

pub use ids::{ObjectId, Upn};
