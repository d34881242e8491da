//! Running the real binary: [`entraform`] is the one way every test starts
//! it (one scrub of the caller's environment), and against an in-process
//! emulator with [`command`].

pub mod lifecycle;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use crate::scratch::Scratch;
use graph_emulator::{BackgroundEmulator, EmulatorConfig, Seed};

/// The repository root (tests run commands from there).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An emulated tenant and a token for its first app registration.
pub struct Tenant {
    pub emu: BackgroundEmulator,
    pub token: String,
    pub app: String,
}

/// One Graph request to the tenant's emulator with `token`, blocking: the
/// status and the JSON body (`Null` when there is none).
pub fn graph_call(
    t: &Tenant,
    token: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut rb = reqwest::Client::new()
            .request(
                method.parse().unwrap(),
                format!("{}/v1.0{path}", t.emu.base_url()),
            )
            .bearer_auth(token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    })
}

/// Start a tenant from a seed value.
pub fn tenant_from(seed: Seed) -> Tenant {
    let app = seed.applications[0].app_id.clone();
    let emu = BackgroundEmulator::start(seed, EmulatorConfig::default()).expect("emulator");
    let token = emu.issue_token(&app);
    Tenant { emu, token, app }
}

/// Start a tenant from a seed file (relative to the repository root).
pub fn tenant(seed: &str) -> Tenant {
    tenant_from(Seed::from_file(&root().join(seed)).expect("seed"))
}

/// Whether a variable of the caller's environment is kept from the binary
/// under test: every `ENTRAFORM_*` (flags, the emulator's shuffle seed),
/// `AZURE_*` and `ACTIONS_*` (sign-in), `NO_COLOR` (output), and the example
/// repo's password variable, so a developer's own settings never change what
/// a test sees.
pub fn scrubbed(var: &str) -> bool {
    var.starts_with("ENTRAFORM_")
        || var.starts_with("AZURE_")
        || var.starts_with("ACTIONS_")
        || matches!(var, "NO_COLOR" | "CONTOSO_NEWHIRE_PASSWORD")
}

/// The binary, run from the repository root with no standard input and none
/// of the caller's [`scrubbed`] variables: every test starts it this way.
pub fn entraform() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_entraform"));
    cmd.current_dir(root()).stdin(Stdio::null());
    for (var, _) in std::env::vars_os() {
        if var.to_str().is_some_and(scrubbed) {
            cmd.env_remove(var);
        }
    }
    cmd
}

/// The binary with `args`, pointed at the tenant (see [`entraform`]).
pub fn command(t: &Tenant, args: &[&str], envs: &[(&str, &str)]) -> Command {
    let mut cmd = entraform();
    cmd.args(args).args(["--graph-url", t.emu.base_url()]);
    cmd.env("ENTRAFORM_GRAPH_TOKEN", &t.token)
        .env("AZURE_TENANT_ID", t.emu.tenant_id())
        .env("AZURE_CLIENT_ID", &t.app);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd
}

/// Run the binary and wait for it.
pub fn run(t: &Tenant, args: &[&str], envs: &[(&str, &str)]) -> Output {
    command(t, args, envs).output().expect("run entraform")
}

/// stdout then stderr, as text.
pub fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Write requests the tenant received (top-level and inside `$batch`, the `$batch` POSTs themselves and reads inside them not counted).
pub fn writes(t: &Tenant) -> u64 {
    let m = t.emu.metrics();
    m.by_route
        .iter()
        .filter(|(r, _)| !r.starts_with("GET "))
        .map(|(r, n)| if r.contains("$batch") { 0 } else { *n })
        .sum::<u64>()
        + m.batch_inner_by_route
            .iter()
            .filter(|(r, _)| !r.starts_with("GET "))
            .map(|(_, n)| *n)
            .sum::<u64>()
}

/// A fresh, empty scratch directory, removed when the test drops it.
pub fn tempdir(name: &str) -> Scratch {
    Scratch::new(&format!("test-{name}"))
}

/// The environment variable the example repo's new hire takes her password from.
pub const NEW_HIRE: (&str, &str) = ("CONTOSO_NEWHIRE_PASSWORD", "Env-Supplied-Pass-42!");

/// Like [`command`], but the binary talks to Graph at `graph_url` (e.g. a proxy in front of the tenant).
pub fn command_via(t: &Tenant, graph_url: &str, args: &[&str], envs: &[(&str, &str)]) -> Command {
    let mut cmd = entraform();
    cmd.args(args).args(["--graph-url", graph_url]);
    cmd.env("ENTRAFORM_GRAPH_TOKEN", &t.token)
        .env("AZURE_TENANT_ID", t.emu.tenant_id())
        .env("AZURE_CLIENT_ID", &t.app);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd
}

/// A Global Administrator changes the tenant in the portal: one Graph request
/// straight to the emulator as the tenant's first user holding Global
/// Administrator (sensitive actions on other admins need one), which must succeed.
pub fn portal_admin(t: &Tenant, method: &str, path: &str, body: serde_json::Value) {
    let state = t.emu.state();
    let admin = state
        .role_assignments
        .iter()
        .find(|a| {
            a.role_definition_id == entraform::builtin_roles::GLOBAL_ADMINISTRATOR
                && state
                    .users
                    .iter()
                    .any(|u| u.id.as_deref() == Some(a.principal_id.as_str()))
        })
        .map(|a| a.principal_id.clone())
        .expect("a user holding Global Administrator");
    let token = t.emu.issue_token_as(&t.app, &admin);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let url = format!("{}/v1.0{path}", t.emu.base_url());
        let mut req = reqwest::Client::new()
            .request(method.parse().expect("method"), url)
            .bearer_auth(&token);
        if !body.is_null() {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request");
        assert!(
            resp.status().is_success(),
            "{method} {path}: {}",
            resp.status()
        );
    });
}

/// Someone changes the tenant outside entraform (the portal): one Graph request
/// straight to the emulator, which must succeed.
pub fn portal(t: &Tenant, method: &str, path: &str, body: serde_json::Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let url = format!("{}/v1.0{path}", t.emu.base_url());
        let mut req = reqwest::Client::new()
            .request(method.parse().expect("method"), url)
            .bearer_auth(&t.token);
        if !body.is_null() {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request");
        assert!(
            resp.status().is_success(),
            "{method} {path}: {}",
            resp.status()
        );
    });
}

/// The binary with `args` and only `envs` of the ENTRAFORM_* and AZURE_* variables
/// (the caller's are removed); no tenant is added (for `--emulator`, or a tenant set up by hand).
pub fn bare(args: &[&str], envs: &[(&str, &str)]) -> Command {
    let mut cmd = entraform();
    cmd.args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd
}
