//! Microsoft Graph v1.0 client: one request type ([`Request`]), one paging
//! path per shape (a listing, or many listings through `$batch`), one error
//! policy ([`retry`]) and one HTTP loop ([`transport`]) for every call
//! including sign-in, bounded concurrency, request counters, and errors
//! worded for administrators.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use entraform::graph::{AuthConfig, ClientOptions, Cloud, GraphClient};
//! let auth = AuthConfig::from_env(Cloud::Global)?;
//! let client = GraphClient::new(auth, ClientOptions::default())?;
//! let users: serde_json::Value = client.get_json("/users?$top=1").await?;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod batch;
pub mod client;
pub mod cloud;
pub mod counters;
pub mod dto;
pub mod error;
pub mod paging;
pub mod request;
pub mod retry;
pub(crate) mod transport;

/// Graph's application permissions per API (the table lives with the domain types).
pub use crate::model::permissions;

pub use auth::{AuthConfig, Credential};
pub use client::{ClientOptions, GraphClient};
pub use cloud::Cloud;
pub use counters::CounterSnapshot;
pub use error::{ApiError, AuthError, ConfigError, GraphError};
pub use paging::{ListResult, Listing};
pub use request::{Body, Request, Response};
pub use retry::RetryPolicy;
