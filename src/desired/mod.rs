//! The desired state: YAML files → spanned raw tree → validated, checked types.
//!
//! Phase one (`yaml`, `decode`) turns each file into spanned raw records and
//! reports per-value problems; phase two (`validate`) applies the rules that
//! need the whole repo and produces [`DesiredState`], which cannot hold
//! invalid data. Every problem is a [`Diagnostic`] with a stable code.

pub mod decode;
pub mod diagnostic;
pub mod file_rule;
pub mod files;
pub mod lifecycle;
pub mod limits;
pub mod load;
pub mod render;
pub mod schema;
pub mod source;
pub mod state;
pub mod suggest;
pub mod tenancy;
pub mod validate;
pub mod yaml;

/// The attribute table and the country codes live with the domain types (`model`).
pub use crate::model::{attrs, country};

pub use diagnostic::{Code, Diagnostic, Severity};
pub use load::{Loaded, load_dir};
pub use state::DesiredState;
