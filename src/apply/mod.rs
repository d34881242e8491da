//! Executing a plan against Graph.
//!
//! Each plan operation's Graph request (`request`), new users' initial
//! passwords (`password`), the credentials ledger's format (`credentials`) and
//! the executor (`execute`: waves, `$batch`, partial failure, journal events)
//! and what it does after a write whose outcome is unknown (`unknown`).

pub mod credentials;
pub mod execute;
pub mod password;
pub mod request;
pub mod unknown;
