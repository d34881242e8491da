//! The leaver step `disable_owned_devices` (issue #17) through the real
//! binary against the emulator: the leaver's enabled Windows devices are
//! disabled (one `PATCH /devices/{id}` each), one already disabled is left
//! alone, a non-Windows one is kept with a notice, nobody else's device is
//! touched; the next plan is empty; without the Cloud Device Administrator
//! role the plan is unappliable naming it; without the step nothing is read.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::cli_support::lifecycle::{
    ANA, LUCAS, SP, apply_at, exit_code, leaver_repo as repo, lucas_and_ana, plan_at, requests,
};
use crate::cli_support::{Tenant, out, tempdir, tenant_from};

const LAPTOP: &str = "0d000000-0000-4000-8000-0000000000e1";
const DESKTOP: &str = "0d000000-0000-4000-8000-0000000000e2";
const PHONE: &str = "0d000000-0000-4000-8000-0000000000e3";
const ANAS: &str = "0d000000-0000-4000-8000-0000000000e4";
const CLOUD_DEVICE_ADMINISTRATOR: &str = "7698a772-787b-4ac8-901f-60d6b08affd2";

/// lucas (the leaver: an enabled Windows laptop, a disabled Windows desktop,
/// an iPhone) and ana (her own laptop); the app holds the recommended grants,
/// `Device.ReadWrite.All`, and the Cloud Device Administrator role when `role`.
fn seed(role: bool) -> Tenant {
    seed_with(role, true)
}

/// [`seed`], granting `Device.ReadWrite.All` or not.
fn seed_with(role: bool, device_grant: bool) -> Tenant {
    let grants: &[&str] = if device_grant {
        &["Device.ReadWrite.All"]
    } else {
        &[]
    };
    let device_role = if role {
        format!("  - principalId: {SP}\n    roleDefinitionId: {CLOUD_DEVICE_ADMINISTRATOR}\n")
    } else {
        String::new()
    };
    let devices = format!(
        r#"devices:
  - {{ id: {LAPTOP}, displayName: LAPTOP-LUCAS, operatingSystem: Windows, accountEnabled: true, registeredOwners: [{LUCAS}] }}
  - {{ id: {DESKTOP}, displayName: DESKTOP-LUCAS, operatingSystem: Windows, accountEnabled: false, registeredOwners: [{LUCAS}] }}
  - {{ id: {PHONE}, displayName: Lucas iPhone, operatingSystem: iOS, accountEnabled: true, registeredOwners: [{LUCAS}] }}
  - {{ id: {ANAS}, displayName: LAPTOP-ANA, operatingSystem: Windows, accountEnabled: true, registeredOwners: [{ANA}] }}
"#
    );
    tenant_from(lucas_and_ana(grants, &device_role, &devices))
}

const NOW: &str = "2026-12-01T09:00:00Z";
const STEPS: &str = "revoke_sessions, disable_owned_devices";

fn plan(t: &Tenant, dir: &Path) -> Output {
    plan_at(t, dir, NOW, &[])
}

fn enabled(t: &Tenant, device: &str) -> Value {
    let state = serde_json::to_value(t.emu.state()).unwrap();
    state["devices"]
        .as_array()
        .and_then(|d| d.iter().find(|x| x["id"] == device))
        .map(|d| d["accountEnabled"].clone())
        .unwrap_or(Value::Null)
}

/// Requests to `/devices` and `PATCH /devices/{id}` so far.
fn device_calls(t: &Tenant) -> (u64, u64) {
    (
        requests(t, |r| r.starts_with("GET /devices")),
        requests(t, |r| r.starts_with("PATCH /devices")),
    )
}

#[test]
fn a_leavers_windows_devices_are_disabled_and_the_next_plan_is_empty() {
    let t = seed(true);
    let scratch = tempdir("lifecycle-devices");
    let dir = scratch.join("repo");

    repo(&dir, "", STEPS);
    let p = plan(&t, &dir);
    assert_eq!(p.status.code(), Some(0), "{}", out(&p));
    assert_eq!(device_calls(&t), (0, 0), "nobody leaves: no device read");

    repo(&dir, "    enabled: false\n", STEPS);
    let text = exit_code(plan(&t, &dir), 2);
    assert_eq!(device_calls(&t).0, 1, "one device read");
    for needle in [
        "offboarding: 4 steps for lucas.ferreira@contoso.com (disable_device, disable_user, revoke_sessions, update_user)",
        &format!("disable device \"LAPTOP-LUCAS\" (Windows, id {LAPTOP}; accountEnabled → false)"),
        "[device-kept]",
        "Lucas iPhone",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    assert!(!text.contains("DESKTOP-LUCAS"), "already disabled: {text}");
    assert!(!text.contains("LAPTOP-ANA"), "not a leaver's: {text}");

    let a = apply_at(&t, &dir, NOW, &[]);
    assert_eq!(a.status.code(), Some(0), "{}", out(&a));
    assert_eq!(device_calls(&t).1, 1, "one PATCH");
    assert_eq!(enabled(&t, LAPTOP), Value::Bool(false));
    assert_eq!(enabled(&t, DESKTOP), Value::Bool(false));
    assert_eq!(enabled(&t, PHONE), Value::Bool(true));
    assert_eq!(enabled(&t, ANAS), Value::Bool(true));

    let p = plan(&t, &dir);
    let text = out(&p);
    assert_eq!(p.status.code(), Some(0), "expected an empty plan:\n{text}");
    assert!(text.contains("[device-kept]"), "still said: {text}");
}

#[test]
fn without_the_cloud_device_administrator_role_the_plan_is_unappliable() {
    let t = seed(false);
    let scratch = tempdir("lifecycle-devices-role");
    let dir = scratch.join("repo");
    repo(&dir, "    enabled: false\n", STEPS);
    let text = exit_code(plan(&t, &dir), 1);
    assert!(text.contains("missing-role"), "{text}");
    assert!(text.contains("Cloud Device Administrator"), "{text}");
    let a = apply_at(&t, &dir, NOW, &[]);
    assert_ne!(a.status.code(), Some(0), "{}", out(&a));
    assert_eq!(device_calls(&t).1, 0, "nothing sent");
    assert_eq!(enabled(&t, LAPTOP), Value::Bool(true));
}

#[test]
fn a_policy_without_the_step_reads_no_device() {
    let t = seed(true);
    let scratch = tempdir("lifecycle-devices-none");
    let dir = scratch.join("repo");
    repo(&dir, "    enabled: false\n", "revoke_sessions");
    let p = plan(&t, &dir);
    assert_eq!(p.status.code(), Some(2), "{}", out(&p));
    assert_eq!(device_calls(&t), (0, 0));
}

#[test]
fn without_the_device_read_permission_the_plan_says_which_one_is_missing() {
    let t = seed_with(true, false);
    let scratch = tempdir("lifecycle-devices-read");
    let dir = scratch.join("repo");
    repo(&dir, "    enabled: false\n", STEPS);
    let text = exit_code(plan(&t, &dir), 1);
    assert!(text.contains("devices-unavailable"), "{text}");
    assert!(text.contains("Device.Read.All"), "{text}");
}
