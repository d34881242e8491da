//! Tests that capture every log line with a process-wide trace subscriber, kept in
//! their own binary so the capture neither slows nor collects the other tests.

#[path = "../common/scratch.rs"]
mod scratch;

#[path = "../common/emulator_client.rs"]
mod emulator_client;

mod graph_mock;
mod trace_capture;

mod graph_auth;
mod graph_body_limit;
mod graph_client;
mod graph_sign_in;
