//! Executing a plan against Graph (issue 7, in progress).
//!
//! What exists so far is the pure part: each plan operation's Graph request
//! (`request`) and new users' initial passwords (`password`). The executor
//! (waves, `$batch`, partial failure, journal) builds on these.

pub mod credentials;
pub mod execute;
pub mod password;
pub mod request;
