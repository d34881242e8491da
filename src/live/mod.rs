//! Reading the live tenant into an immutable, indexed [`Live`] snapshot in
//! as few HTTP requests as Graph allows.

pub mod auth_methods;
pub mod delta;
pub mod devices;
pub mod licenses;
pub mod permissions;
mod progress;
mod reader;
pub mod store;

pub use crate::model::live::{
    DeletedUser, Live, LiveGroup, LiveParts, LiveRoleAssignment, LiveRoleDefinition, LiveUser,
    Member, ObjectKind, ReadStats, RestrictedUnit, RunningPrincipal,
};
pub use progress::ReadProgress;
pub use reader::{
    Incremental, MembershipStrategy, ReadError, ReadOptions, TokenClaims, first_requests,
    read_live, token_claims,
};
pub use store::{ReadMode, ResyncReason};
