//! `entraform snapshot` (issue #19): a seed written from a tenant, served
//! again, gives the same plan byte for byte; it holds no credential; it is
//! written privately; `--anonymise` leaves no name, mail or phone behind.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::cli_support::{self, command, out, root, tempdir};
use graph_emulator::Seed;

const EXAMPLE_SEED: &str = "examples/seed.yaml";
const REPO: &str = "examples/desired-state";

/// `entraform snapshot` of the emulated example tenant into `dir/seed.json`.
fn snapshot(t: &cli_support::Tenant, dir: &Path, extra: &[&str]) -> std::process::Output {
    let seed = dir.join("seed.json");
    let mut args = vec!["snapshot", "--out", seed.to_str().unwrap()];
    args.extend_from_slice(extra);
    command(t, &args, &[]).output().unwrap()
}

fn plan(t: &cli_support::Tenant, format: &str) -> Vec<u8> {
    let o = command(t, &["plan", REPO, "--format", format], &[])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    o.stdout
}

/// The binary alone, with no tenant variables from the caller.
fn bare(args: &[&str]) -> Command {
    let mut cmd = cli_support::entraform();
    cmd.args(args);
    cmd
}

/// `KEY=value` lines of the `.secret.env` file.
fn env_file(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// `entraform emulator --seed FILE` as a child process, and its base URL.
struct Served(Child, String);

impl Served {
    fn start(seed: &Path) -> Served {
        let mut child = bare(&["emulator", "--seed", seed.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
        Served(child, url)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_plan_against_the_snapshot_is_the_plan_against_the_tenant() {
    let t = cli_support::tenant(EXAMPLE_SEED);
    let dir = tempdir("snapshot-plan");
    let before_json = plan(&t, "json");
    let before_text = plan(&t, "text");
    t.emu.reset_metrics();
    let _ = plan(&t, "json");
    let plan_requests = t.emu.metrics().total_requests;
    t.emu.reset_metrics();
    let o = snapshot(&t, &dir, &[]);
    assert!(o.status.success(), "{}", out(&o));
    // The same bulk read as a plan: not one request more.
    assert_eq!(t.emu.metrics().total_requests, plan_requests);
    let seed = dir.join("seed.json");

    // In-process (`plan --emulator`): the seed's own app signs in.
    for (format, before) in [("json", &before_json), ("text", &before_text)] {
        let o = bare(&["plan", REPO, "--format", format, "--emulator"])
            .arg(&seed)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", out(&o));
        assert!(
            o.stdout == *before,
            "{format} plan differs:\n--- tenant\n{}\n--- snapshot\n{}",
            String::from_utf8_lossy(before),
            String::from_utf8_lossy(&o.stdout)
        );
    }

    // Served by `entraform emulator --seed`, signing in with the client secret
    // the snapshot wrote beside the seed.
    let served = Served::start(&seed);
    let creds = env_file(&dir.join("seed.json.secret.env"));
    let o = bare(&["plan", REPO, "--format", "json", "--graph-url", &served.1])
        .envs(creds.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", out(&o));
    assert!(o.stdout == before_json, "served plan differs: {}", out(&o));
    // A wrong secret is refused.
    let o = bare(&["plan", REPO, "--graph-url", &served.1])
        .envs(creds.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AZURE_CLIENT_SECRET", "not-the-secret")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(out(&o).contains("AADSTS7000215"), "{}", out(&o));
}

#[test]
fn the_seed_holds_no_credential_and_is_private() {
    let t = cli_support::tenant(EXAMPLE_SEED);
    let dir = tempdir("snapshot-private");
    let o = snapshot(&t, &dir, &[]);
    assert!(o.status.success(), "{}", out(&o));
    let text = std::fs::read_to_string(dir.join("seed.json")).unwrap();
    let creds = env_file(&dir.join("seed.json.secret.env"));
    let get = |k: &str| creds.iter().find(|(n, _)| n == k).unwrap().1.clone();
    let secret = get("AZURE_CLIENT_SECRET");
    assert!(secret.len() >= 40, "a 256-bit secret");
    assert!(!text.contains(&secret), "the secret is not in the seed");
    assert!(!out(&o).contains(&secret), "nor on the terminal");
    // The example tenant's own credentials never leave it.
    assert!(!text.contains("emulator-only-secret-not-for-production"));
    assert!(
        !text.contains("4f8e2c1a-6b3d-4e5f-a7b8-c9d0e1f2a3b4"),
        "its client id"
    );
    let seed = Seed::parse(&text).unwrap();
    assert_eq!(seed.applications.len(), 1);
    assert_eq!(seed.applications[0].app_id, get("AZURE_CLIENT_ID"));
    assert_eq!(seed.tenant.id, get("AZURE_TENANT_ID"));
    // The running app keeps its object id, so "own role" gates behave the same.
    assert_eq!(
        seed.applications[0].service_principal_id.as_deref(),
        Some("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["seed.json", "seed.json.secret.env"] {
            let mode = std::fs::metadata(dir.join(f)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }
    // An existing seed is not replaced without --force.
    let o = snapshot(&t, &dir, &[]);
    assert!(!o.status.success());
    assert!(out(&o).contains("--force"), "{}", out(&o));
    let o = snapshot(&t, &dir, &["--force"]);
    assert!(o.status.success(), "{}", out(&o));
    let again = env_file(&dir.join("seed.json.secret.env"));
    assert_ne!(again, creds, "a fresh app and secret each time");
}

#[cfg(unix)]
#[test]
fn a_link_at_the_seed_path_is_replaced_not_followed() {
    let t = cli_support::tenant(EXAMPLE_SEED);
    let dir = tempdir("snapshot-link");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("seed.json")).unwrap();
    let o = snapshot(&t, &dir, &["--force"]);
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    let meta = std::fs::symlink_metadata(dir.join("seed.json")).unwrap();
    assert!(meta.is_file(), "the link itself was replaced by the seed");
}

/// Every personal value of the example tenant's users (names, UPN local
/// parts, mail addresses, phone numbers, street addresses), and their given
/// names and surnames alone.
fn personal_values() -> (Vec<String>, Vec<String>) {
    let seed = Seed::from_file(&root().join(EXAMPLE_SEED)).unwrap();
    let (mut v, mut names) = (Vec::new(), Vec::new());
    for u in seed.users.iter().chain(&seed.deleted_users) {
        let s = |k: &str| {
            u.properties
                .get(k)
                .and_then(|x| x.as_str())
                .map(String::from)
        };
        for k in [
            "displayName",
            "givenName",
            "surname",
            "mobilePhone",
            "streetAddress",
        ] {
            v.extend(s(k));
        }
        names.extend(s("givenName"));
        names.extend(s("surname"));
        for k in ["businessPhones", "otherMails"] {
            for x in u
                .properties
                .get(k)
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
            {
                v.push(x.as_str().unwrap().to_string());
            }
        }
        let upn = u.properties["userPrincipalName"].as_str().unwrap();
        v.push(upn.split('@').next().unwrap().to_string());
    }
    for l in [&mut v, &mut names] {
        l.sort();
        l.dedup();
    }
    (v, names)
}

#[test]
fn an_anonymised_seed_has_no_original_name_mail_or_phone() {
    let t = cli_support::tenant(EXAMPLE_SEED);
    let dir = tempdir("snapshot-anon");
    let o = snapshot(&t, &dir, &["--anonymise"]);
    assert!(o.status.success(), "{}", out(&o));
    let text = std::fs::read_to_string(dir.join("seed.json")).unwrap();
    let lower = text.to_lowercase();
    let (values, names) = personal_values();
    assert!(values.len() > 100 && names.len() > 40, "{values:?}");
    let mut found: Vec<&String> = values
        .iter()
        .filter(|v| lower.contains(&v.to_lowercase()))
        .collect();
    // A given name or surname as a word of any value ("Amelia", "Hart").
    found.extend(names.iter().filter(|n| {
        lower
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w == n.to_lowercase())
    }));
    assert!(found.is_empty(), "left in the anonymised seed: {found:?}");
    // Still a tenant one can plan against: UPN domains, ids and links kept.
    let seed = Seed::parse(&text).unwrap();
    assert!(seed.users.iter().all(|u| {
        u.properties["userPrincipalName"]
            .as_str()
            .unwrap()
            .ends_with("@contoso.com")
            || u.properties["userPrincipalName"]
                .as_str()
                .unwrap()
                .ends_with(".onmicrosoft.com")
    }));
    assert!(
        text.contains("c0de1002-0000-4000-8000-000000001002"),
        "ids kept"
    );
    assert_ne!(
        seed.tenant.id, "7d1c0f4e-3b2a-4c5d-9e8f-0a1b2c3d4e5f",
        "tenant id replaced"
    );
    // The repo's people are not in it any more, so the plan is all creates
    // (and tripped gates), but it is a plan.
    let o = bare(&["plan", REPO, "--format", "json", "--emulator"])
        .arg(dir.join("seed.json"))
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", out(&o));
    });
    assert!(plan["summary"]["create"].as_u64().unwrap() > 30, "{plan}");
}
