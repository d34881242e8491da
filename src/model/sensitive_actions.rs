//! Who may perform sensitive actions on a user (Graph's two tables): the
//! shared table of the `entra-data` crate (the emulator enforces the same one).

pub use entra_data::sensitive_actions::*;
