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
    let mut child = Command::new(env!("CARGO_BIN_EXE_entraform"))
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

    let out = Command::new(env!("CARGO_BIN_EXE_entraform"))
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_entraform"))
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
