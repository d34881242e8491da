//! Reference tables of Microsoft Entra ID and Microsoft Graph, as pure data:
//! the built-in directory roles, who may perform sensitive actions on a user,
//! and which application permissions each Graph API accepts.
//!
//! Shared by entraform (validation, planning, `doctor`) and its Graph
//! emulator (which enforces the same tables) so neither depends on the other;
//! see docs/decisions.md ("The emulator is its own crate"). No I/O, no
//! dependencies.

#![warn(missing_docs)]

pub mod builtin_roles;
pub mod graph_permissions;
pub mod sensitive_actions;
