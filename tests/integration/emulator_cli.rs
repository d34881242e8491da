//! `entraform emulator`: prints its URL, serves a YAML seed, stops when killed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str]) -> (Server, String) {
    let mut child = crate::cli_support::entraform()
        .arg("emulator")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn entraform emulator");
    let stdout = child.stdout.take().expect("stdout");
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    (server, line.trim().to_string())
}

#[tokio::test]
async fn serves_a_yaml_seed_and_prints_its_url() {
    let dir = crate::scratch::Scratch::new("emulator-cli");
    let seed = dir.join("tenant.yaml");
    std::fs::write(
        &seed,
        r#"tenant:
  id: 11111111-2222-4333-8444-555555555555
  domains: [contoso.com]
applications:
  - appId: app-1
    clientSecrets: [pw-123]
    permissions: [User.Read.All, GroupMember.Read.All, RoleManagement.Read.Directory, AdministrativeUnit.Read.All, User.ReadWrite.All, User.RevokeSessions.All, User.DeleteRestore.All, Group.ReadWrite.All, RoleManagement.ReadWrite.Directory]
users:
  - userPrincipalName: adele@contoso.com
    displayName: Adele
  - userPrincipalName: alex@contoso.com
    displayName: Alex
    manager: adele@contoso.com
"#,
    )
    .unwrap();
    let (_server, url) = spawn(&["--seed", seed.to_str().unwrap()]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{url}/contoso.com/oauth2/v2.0/token"))
        .body("grant_type=client_credentials&client_id=app-1&client_secret=pw-123&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token: Value = r.json().await.unwrap();
    let r = http
        .get(format!(
            "{url}/v1.0/users/alex@contoso.com/manager?$select=userPrincipalName"
        ))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["userPrincipalName"], "adele@contoso.com");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn synthetic_tenant_and_bad_seed() {
    let (_server, url) = spawn(&["--synthetic", "30,3,40", "--addr", "127.0.0.1:0"]);
    let r = reqwest::Client::new()
        .get(format!("{url}/_emulator/state"))
        .send()
        .await
        .unwrap();
    let state: Value = r.json().await.unwrap();
    assert_eq!(state["users"].as_array().unwrap().len(), 30);
    assert_eq!(state["groups"].as_array().unwrap().len(), 3);

    let out = crate::cli_support::entraform()
        .args(["emulator", "--seed", "/nonexistent/seed.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read seed file"));
}

#[tokio::test]
async fn ctrl_c_prints_metrics_and_dumps_state() {
    let dir = crate::scratch::Scratch::new("emulator-dump");
    let out = dir.join("state.json");
    let mut child = crate::cli_support::entraform()
        .args([
            "emulator",
            "--synthetic",
            "5,1,3",
            "--dump-state",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_string();
    let r = reqwest::Client::new()
        .get(format!("{url}/v1.0/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("\"unauthorized\": 1"), "{stderr}");
    let state: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(state["users"].as_array().unwrap().len(), 5);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A token for the synthetic tenant's app from the server's token endpoint.
async fn synthetic_token(http: &reqwest::Client, url: &str) -> String {
    let state: Value = http
        .get(format!("{url}/_emulator/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tenant = state["tenant"]["id"].as_str().unwrap().to_string();
    let r = http
        .post(format!("{url}/{tenant}/oauth2/v2.0/token"))
        .body(format!(
            "grant_type=client_credentials&client_id={}&client_secret={}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
            graph_emulator::SYNTHETIC_CLIENT_ID,
            graph_emulator::SYNTHETIC_CLIENT_SECRET
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_string()
}

/// Issue #12 item 3: one authenticated request with a deeply nested `$filter`
/// (or `not` chain) used to overflow the parser's stack and abort the whole
/// server. The real binary, so a crash is a dead process, not a dead test run.
#[tokio::test]
async fn deeply_nested_filters_get_400_and_the_server_keeps_answering() {
    let (mut server, url) = spawn(&["--synthetic", "5,1,3"]);
    let http = reqwest::Client::new();
    let token = synthetic_token(&http, &url).await;
    let deep_parens = format!("{}id eq 'x'{}", "(".repeat(3000), ")".repeat(3000));
    let not_chain = format!("{}accountEnabled eq true", "not ".repeat(3000));
    for filter in [deep_parens, not_chain] {
        // Spaces as `+` keep the 3,000-level `not` chain under the 16 KiB URL bound.
        let enc = graph_emulator::util::percent_encode(&filter).replace("%20", "+");
        let r = http
            .get(format!("{url}/v1.0/users?$filter={enc}&$count=true"))
            .header("ConsistencyLevel", "eventual")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("the server must answer: {}", e.without_url()));
        assert_eq!(r.status(), 400);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "Request_BadRequest", "{v}");
        assert_eq!(
            v["error"]["message"],
            "Recursion depth exceeded allowed limit."
        );
        assert!(v["error"]["innerError"]["request-id"].is_string());
        // The next request is served.
        let r = http
            .get(format!("{url}/v1.0/users?$top=1"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("still serving");
        assert_eq!(r.status(), 200);
    }
    // Inside `$batch` the URL is not bounded by the request line: 20,000 levels.
    let deep = format!("{}id eq 'x'{}", "(".repeat(20_000), ")".repeat(20_000));
    let r = http
        .post(format!("{url}/v1.0/$batch"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"requests": [
            {"id": "1", "method": "GET", "url": format!("/users?$filter={deep}")},
            {"id": "2", "method": "GET", "url": "/users?$top=1"}
        ]}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("the server must answer: {}", e.without_url()));
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let status = |id: &str| {
        v["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .map(|x| x["status"].clone())
    };
    assert_eq!(status("1"), Some(Value::from(400)), "{v}");
    assert_eq!(status("2"), Some(Value::from(200)), "{v}");
    assert!(
        server.0.try_wait().unwrap().is_none(),
        "the emulator process must still run"
    );
}

#[test]
fn a_non_loopback_address_needs_allow_remote() {
    let mut child = crate::cli_support::entraform()
        .args(["emulator", "--synthetic", "3,1,1", "--addr", "0.0.0.0:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // It must refuse at once; a server that started instead is stopped and fails the test.
    let mut exited = false;
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            exited = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    if !exited {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        exited,
        "the emulator started serving on 0.0.0.0 without --allow-remote"
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-remote"), "{stderr}");
    assert!(out.stdout.is_empty(), "no URL printed");
}

#[tokio::test]
async fn allow_remote_listens_on_every_interface() {
    let (_server, url) = spawn(&[
        "--synthetic",
        "3,1,1",
        "--addr",
        "0.0.0.0:0",
        "--allow-remote",
    ]);
    assert!(url.starts_with("http://0.0.0.0:"), "{url}");
    let port = url.rsplit(':').next().unwrap();
    let r = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/_emulator/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// The random `$batch` order's seed is printed at start, and the environment
/// variable replays it; `--shuffle-seed` fixes it without printing.
#[test]
fn the_batch_shuffle_seed_is_printed_and_replayable() {
    let first_stderr_line = |envs: &[(&str, &str)], args: &[&str]| -> String {
        let mut cmd = crate::cli_support::entraform();
        cmd.args(["emulator", "--synthetic", "3,1,1"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut out = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut out)
            .unwrap();
        let mut err = String::new();
        BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut err)
            .unwrap();
        let _ = child.kill();
        let _ = child.wait();
        err
    };
    let line = first_stderr_line(&[], &[]);
    assert!(
        line.contains("$batch items run in a random order, seed "),
        "{line}"
    );
    let line = first_stderr_line(&[(graph_emulator::SHUFFLE_SEED_ENV, "4242")], &[]);
    assert!(line.contains("seed 4242"), "{line}");
    assert!(
        line.contains("ENTRAFORM_EMULATOR_SHUFFLE_SEED=4242"),
        "{line}"
    );
    let line = first_stderr_line(&[], &["--shuffle-seed", "7"]);
    assert!(line.starts_with("Graph endpoint:"), "{line}");
}
