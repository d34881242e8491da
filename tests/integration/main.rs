//! Integration tests, one binary for all areas: one link step and one executable
//! instead of two dozen keeps CI's build time and disk use down.

#[path = "../common/scratch.rs"]
mod scratch;

#[path = "../common/emulator_client.rs"]
mod emulator_client;

#[path = "../common/live_fixture.rs"]
mod live_fixture;

mod cli_support;
mod emulator_support;
mod proptest_support;
mod snapshot_support;
mod stall_proxy;

mod apply_cli;
mod apply_faults;
mod apply_kill;
mod apply_passwords;
mod apply_refusals;
mod apply_requests;
mod apply_unknown_outcome;
mod attr_table;
mod attrs_orgdata;
mod cli_flags;
mod delta_fallback;
mod doctor_cli;
mod emulator_admin_units;
mod emulator_api;
mod emulator_auth_methods;
mod emulator_cli;
mod emulator_crate;
mod emulator_devices;
mod emulator_examples;
mod emulator_faults;
mod emulator_fidelity;
mod emulator_fuzz;
mod emulator_hostile;
mod emulator_licenses;
mod emulator_live_reader;
mod emulator_method_list;
mod emulator_org_data;
mod emulator_pim;
mod emulator_relations;
mod emulator_reports;
mod emulator_strict;
mod emulator_tenants;
mod examples_tenants;
mod export_licenses;
mod export_roundtrip;
mod files_written;
mod gates_cli;
mod graph_assertion;
mod graph_clients_replay;
mod graph_one_way;
mod incremental;
mod layering;
mod lifecycle_devices;
mod lifecycle_guests;
mod lifecycle_guests_plan;
mod lifecycle_leaver;
mod lifecycle_leaver_declared;
mod lifecycle_licenses;
mod lifecycle_methods;
mod lifecycle_renames;
mod lifecycle_story;
mod live_read;
mod loader_hostile;
mod loader_hostile_props;
mod lock_file;
mod memory_paging;
mod onboarding_emulator;
mod onboarding_export;
mod onboarding_output;
mod onboarding_progress;
mod onboarding_repo_files;
mod owners_cli;
mod packaging;
mod permission_rows;
mod pim_cli;
mod plan_cli;
mod plan_exclude_props;
mod plan_gates;
mod plan_leaver_declared_props;
mod plan_lifecycle_props;
mod plan_methods_props;
mod plan_props;
mod plan_render;
mod plan_restricted;
mod plan_unappliable;
mod reconcile_cli;
mod rehearsal_snapshot;
mod render_hostile;
mod report_cli;
mod saved_plan_hostile;
mod schema;
mod show_cli;
mod sign_in_audience;
mod sign_in_cli;
mod tenants_cli;
mod validate_cli;
mod validate_props;
