//! Issue #13 §3, the emulator as a newcomer meets it: `--graph-url` with or
//! without `/v1.0`, refusals that name the URL and what to check (once), the
//! in-process tenant discarded (or kept with `--dump-state`), the standalone
//! emulator's `export` lines, and the in-process shuffle seed kept to `-v`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Output, Stdio};

use graph_emulator::{BackgroundEmulator, EmulatorConfig, FaultConfig, Seed};

use crate::cli_support::{NEW_HIRE, bare, out, root, tempdir};

const SEED: &str = "examples/seed.yaml";
const REPO: &str = "examples/desired-state";
const TENANT: &str = "7d1c0f4e-3b2a-4c5d-9e8f-0a1b2c3d4e5f";
const APP: &str = "4f8e2c1a-6b3d-4e5f-a7b8-c9d0e1f2a3b4";
const SECRET: &str = "emulator-only-secret-not-for-production";

fn example_tenant() -> BackgroundEmulator {
    let seed = Seed::from_file(&root().join(SEED)).expect("seed");
    BackgroundEmulator::start(seed, EmulatorConfig::default()).expect("emulator")
}

/// `plan` of the example repo against `url`, signing in with `secret`.
fn plan_at(url: &str, secret: &str) -> Output {
    bare(
        &["plan", REPO, "--graph-url", url],
        &[
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", APP),
            ("AZURE_CLIENT_SECRET", secret),
        ],
    )
    .output()
    .expect("run entraform")
}

/// A phrase of at least 25 characters that the error says twice, if any.
fn repeated(text: &str) -> Option<String> {
    let parts: Vec<&str> = text
        .split([':', '.', '(', ')'])
        .map(str::trim)
        .filter(|p| p.len() >= 25)
        .collect();
    parts
        .iter()
        .enumerate()
        .find(|(i, p)| parts[i + 1..].contains(p))
        .map(|(_, p)| p.to_string())
}

fn error_line(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn graph_url_works_with_or_without_v1_0_and_refuses_beta() {
    let emu = example_tenant();
    let base = emu.base_url().to_string();
    let plain = plan_at(&base, SECRET);
    assert_eq!(plain.status.code(), Some(0), "{}", out(&plain));
    for url in [
        format!("{base}/v1.0"),
        format!("{base}/v1.0/"),
        format!("{base}/"),
    ] {
        let o = plan_at(&url, SECRET);
        assert_eq!(o.status.code(), Some(0), "{url}: {}", out(&o));
        assert_eq!(o.stdout, plain.stdout, "{url}: the same plan");
    }
    let o = plan_at(&format!("{base}/beta"), SECRET);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        error_line(&o).contains("entraform uses Microsoft Graph v1.0"),
        "{}",
        out(&o)
    );
}

#[test]
fn a_refused_sign_in_names_both_urls_and_what_to_check_once() {
    let emu = example_tenant();
    let base = emu.base_url().to_string();
    let o = plan_at(&format!("{base}/v1.0"), "not-the-secret");
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let e = error_line(&o);
    assert!(
        e.contains(&format!("Microsoft Graph at {base}/v1.0")),
        "the Graph endpoint: {e}"
    );
    assert!(
        e.contains(&format!("at {base}/{TENANT}/oauth2/v2.0/token")),
        "the token endpoint: {e}"
    );
    assert!(
        e.contains("AADSTS7000215") && e.contains("check AZURE_CLIENT_SECRET"),
        "{e}"
    );
    assert_eq!(repeated(&e), None, "said twice: {e}");
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).lines().count(),
        1,
        "one line, no log line repeating it: {}",
        out(&o)
    );
    assert!(!out(&o).contains("not-the-secret"), "{}", out(&o));
}

#[test]
fn a_token_graph_refuses_is_a_401_naming_the_url_and_what_to_check() {
    let emu = example_tenant();
    let base = emu.base_url().to_string();
    let o = bare(
        &["plan", REPO, "--graph-url", &base],
        &[
            ("AZURE_TENANT_ID", TENANT),
            ("AZURE_CLIENT_ID", APP),
            ("ENTRAFORM_GRAPH_TOKEN", "not-a-token"),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let e = error_line(&o);
    assert!(
        e.contains(&format!("Microsoft Graph at {base}/v1.0")),
        "{e}"
    );
    assert!(e.contains("HTTP 401 Unauthorized"), "{e}");
    assert!(
        e.contains("check the tenant id, client id and credentials"),
        "{e}"
    );
    assert_eq!(repeated(&e), None, "said twice: {e}");
}

#[test]
fn a_missing_permission_is_a_403_naming_the_url_the_permission_and_consent() {
    let emu = example_tenant();
    emu.set_faults(FaultConfig {
        deny_paths: vec!["/users".into()],
        ..FaultConfig::default()
    });
    let base = emu.base_url().to_string();
    let o = plan_at(&base, SECRET);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let e = error_line(&o);
    assert!(
        e.contains(&format!("Microsoft Graph at {base}/v1.0")),
        "{e}"
    );
    assert!(e.contains("HTTP 403 Forbidden"), "{e}");
    assert!(
        e.contains("User.Read.All") && e.contains("admin consent"),
        "{e}"
    );
    assert_eq!(repeated(&e), None, "said twice: {e}");
}

#[test]
fn apply_against_the_in_process_emulator_says_its_tenant_is_discarded_or_keeps_it() {
    let dir = tempdir("onboarding-dump");
    let apply = |extra: &[&str]| {
        let mut args = vec!["apply", REPO, "--emulator", SEED, "--auto-approve"];
        args.extend_from_slice(extra);
        bare(&args, &[NEW_HIRE]).output().unwrap()
    };
    let o = apply(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("note: the in-process emulator's tenant is discarded now")
            && err.contains("--dump-state FILE"),
        "{err}"
    );
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("discarded"),
        "the note is not part of stdout"
    );

    let dump = dir.join("after.json");
    let o = apply(&["--dump-state", dump.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(!out(&o).contains("discarded"), "{}", out(&o));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&dump).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "directory data is private");
    }
    let text = std::fs::read_to_string(&dump).unwrap();
    assert!(!text.contains(SECRET), "no secret in the dump");
    // The dump is a seed: the next run continues from the applied tenant.
    let o = bare(
        &[
            "plan",
            REPO,
            "--emulator",
            dump.to_str().unwrap(),
            "--detailed-exitcode",
        ],
        &[],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "nothing left to do: {}", out(&o));

    // A plan changes nothing: no note; --dump-state is for apply and reconcile only.
    let o = bare(&["plan", REPO, "--emulator", SEED], &[])
        .output()
        .unwrap();
    assert!(!out(&o).contains("discarded"), "{}", out(&o));
    let o = bare(&["apply", REPO, "--dump-state", "x.json"], &[])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("--emulator"),
        "requires --emulator: {}",
        out(&o)
    );
}

#[test]
fn reconcile_against_the_in_process_emulator_says_its_tenant_is_discarded() {
    let o = bare(
        &["reconcile", REPO, "--emulator", SEED, "--unattended"],
        &[NEW_HIRE],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("note: the in-process emulator's tenant is discarded now"),
        "{}",
        out(&o)
    );
}

#[test]
fn the_in_process_shuffle_seed_is_in_the_log_not_in_every_run() {
    let o = bare(&["plan", REPO, "--emulator", SEED], &[])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(!out(&o).contains("random order"), "{}", out(&o));
    let o = bare(&["-v", "plan", REPO, "--emulator", SEED], &[])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("INFO") && err.contains("$batch items run in a random order, seed "),
        "{err}"
    );
    // The seed replays: the variable sets it.
    let o = bare(
        &["-v", "plan", REPO, "--emulator", SEED],
        &[(graph_emulator::SHUFFLE_SEED_ENV, "4242")],
    )
    .output()
    .unwrap();
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("seed 4242"),
        "{}",
        out(&o)
    );
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_standalone_emulator_prints_the_lines_that_point_entraform_at_it() {
    let dir = tempdir("onboarding-banner");
    let env_file = dir.join("emulator.env");
    // stderr to a file: a closed pipe would make the server's next line fail.
    let banner_file = dir.join("stderr.txt");
    let mut child = bare(
        &[
            "emulator",
            "--seed",
            SEED,
            "--env-file",
            env_file.to_str().unwrap(),
        ],
        &[],
    )
    .stdout(Stdio::piped())
    .stderr(std::fs::File::create(&banner_file).unwrap())
    .spawn()
    .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut printed: Vec<String> = Vec::new();
    for _ in 0..5 {
        printed.push(lines.next().unwrap().unwrap());
    }
    let url = printed[0].clone();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "first line: the URL: {url}"
    );
    let exports = &printed[1..];
    assert_eq!(
        exports,
        [
            format!("export ENTRAFORM_GRAPH_URL={url}"),
            format!("export AZURE_TENANT_ID={TENANT}"),
            format!("export AZURE_CLIENT_ID={APP}"),
            format!("export AZURE_CLIENT_SECRET={SECRET}"),
        ]
    );
    // The same lines in the env file, private.
    assert_eq!(
        std::fs::read_to_string(&env_file).unwrap(),
        format!("{}\n", exports.join("\n"))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&env_file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // The banner on stderr still gives the seed of the random $batch order.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let banner = loop {
        let b = std::fs::read_to_string(&banner_file).unwrap();
        if b.contains("Serving until Ctrl-C.") || std::time::Instant::now() > deadline {
            break b;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(banner.contains("random order, seed "), "{banner}");
    assert!(banner.contains("paste the `export` lines"), "{banner}");
    // Exactly those variables are enough for entraform.
    let vars: Vec<(String, String)> = exports
        .iter()
        .map(|l| {
            let (k, v) = l.trim_start_matches("export ").split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    let envs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let o = bare(&["plan", REPO], &envs).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("Plan: 3 to create"),
        "{}",
        out(&o)
    );
}
