//! A local Microsoft Graph v1.0 server for tests, demos, benchmarks and
//! rehearsals: an in-memory tenant loaded from a seed, Graph's JSON shapes,
//! OData query options, `$batch`, delta, the error envelope, a token
//! endpoint, switchable faults, and request metrics.
//!
//! Start one with [`Emulator::serve`] (async, current runtime) or
//! [`BackgroundEmulator::start`] (own thread); see `docs/emulator.md`.

#![warn(missing_docs)]

pub mod admin_units;
pub mod auth;
pub mod auth_methods;
pub mod batch;
pub mod cast;
pub mod ctx;
pub mod delta;
pub mod device_state;
pub mod devices;
pub mod directory;
pub mod directory_roles;
pub mod error;
pub mod faults;
pub mod groups;
pub mod http;
pub mod invitations;
pub mod kind;
pub mod license_state;
pub mod licenses;
pub mod limits;
pub mod listing;
pub mod lookup;
pub mod member_functions;
pub mod method_list;
pub mod method_state;
pub mod metrics;
pub mod odata;
pub mod owners;
pub mod permissions;
pub mod pim;
pub mod prop_types;
pub mod rbac;
pub mod relations;
pub mod render;
pub mod report_state;
pub mod reports;
pub mod roles;
pub mod router;
pub mod schema;
pub mod seed;
pub mod seed_objects;
pub mod server;
pub mod service_principals;
pub mod shared;
pub mod sign_in_activity;
pub mod state;
pub mod tenants;
pub mod transitive;
pub mod users;
pub mod util;
pub mod yaml;

pub use error::{EmulatorError, GraphError};
pub use faults::FaultConfig;
pub use metrics::Metrics;
pub use seed::{
    AppRegistration, FederatedCredential, SYNTHETIC_CERT_THUMBPRINT, SYNTHETIC_CLIENT_ID,
    SYNTHETIC_CLIENT_SECRET, Seed, SyntheticSpec,
};
pub use server::{
    BackgroundEmulator, BatchOrder, Emulator, EmulatorConfig, EmulatorHandle,
    REPORTED_EXPAND_PAGE_CAP, SHUFFLE_SEED_ENV,
};
