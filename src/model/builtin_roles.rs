//! The catalogue of Microsoft Entra built-in directory roles: the shared
//! table of the `entra-data` crate (the emulator reads the same one).

pub use entra_data::builtin_roles::*;
