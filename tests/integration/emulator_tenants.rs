//! `entraform emulator --tenant-seed NAME=FILE …`: several tenants on one
//! port, the token endpoint picking the tenant from its path, Graph serving
//! the tenant of the token's `tid`; and a many-tenant repo planned against it
//! with the per-tenant variable names the emulator prints (no `connection:`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use serde_json::Value;

use crate::cli_support::{entraform, out};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn seed(id: &str, domain: &str, app: &str, secret: &str, user: &str) -> String {
    format!(
        r#"tenant:
  id: {id}
  domains: [{domain}]
applications:
  - appId: {app}
    servicePrincipalId: {id}-sp
    clientSecrets: [{secret}]
    permissions: [User.Read.All, GroupMember.Read.All, RoleManagement.Read.Directory, AdministrativeUnit.Read.All]
users:
  - userPrincipalName: {user}@{domain}
    displayName: {user}
  - userPrincipalName: breakglass@{domain}
    displayName: Break Glass
roleAssignments:
  - principalId: breakglass@{domain}
    roleDefinitionId: Global Administrator
"#
    )
}

const A: &str = "aaaaaaaa-0000-4000-8000-00000000000a";
const B: &str = "bbbbbbbb-0000-4000-8000-00000000000b";

/// Start the binary with two tenants; the URL and the `export` lines it printed.
fn spawn(dir: &std::path::Path) -> (Server, String, Vec<(String, String)>) {
    std::fs::write(
        dir.join("a.yaml"),
        seed(A, "a.example", "app-a", "secret-a", "ann"),
    )
    .unwrap();
    std::fs::write(
        dir.join("b.yaml"),
        seed(B, "b.example", "app-b", "secret-b", "bob"),
    )
    .unwrap();
    let mut child = entraform()
        .current_dir(dir)
        .args([
            "emulator",
            "--tenant-seed",
            "north=a.yaml",
            "--tenant-seed",
            "south-2=b.yaml",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let url = lines.next().unwrap().unwrap();
    let mut env = Vec::new();
    for line in lines {
        let line = line.unwrap();
        if let Some((k, v)) = line
            .strip_prefix("export ")
            .and_then(|kv| kv.split_once('='))
        {
            env.push((k.to_string(), v.trim_matches('\'').to_string()));
        }
        if line.contains("ENTRAFORM_SOUTH_2_AZURE_CLIENT_SECRET") {
            break;
        }
    }
    (server, url, env)
}

async fn token(
    http: &reqwest::Client,
    url: &str,
    tenant: &str,
    app: &str,
    secret: &str,
) -> (u16, Value) {
    let r = http
        .post(format!("{url}/{tenant}/oauth2/v2.0/token"))
        .body(format!("grant_type=client_credentials&client_id={app}&client_secret={secret}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn upns(http: &reqwest::Client, url: &str, token: &str) -> Vec<String> {
    let v: Value = http
        .get(format!("{url}/v1.0/users?$select=userPrincipalName"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut u: Vec<String> = v["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userPrincipalName"].as_str().unwrap().to_string())
        .collect();
    u.sort();
    u
}

#[tokio::test]
async fn two_tenants_on_one_port_each_served_by_its_token() {
    let dir = crate::scratch::Scratch::new("emulator-tenants");
    let (_server, url, env) = spawn(&dir);
    let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("ENTRAFORM_GRAPH_URL").as_deref(), Some(url.as_str()));
    assert_eq!(get("ENTRAFORM_NORTH_AZURE_TENANT_ID").as_deref(), Some(A));
    assert_eq!(
        get("ENTRAFORM_SOUTH_2_AZURE_CLIENT_ID").as_deref(),
        Some("app-b")
    );
    let http = reqwest::Client::new();
    // The token endpoint's path picks the tenant (by id or domain).
    let (s, a) = token(&http, &url, A, "app-a", "secret-a").await;
    assert_eq!(s, 200, "{a}");
    let (s, b) = token(&http, &url, "b.example", "app-b", "secret-b").await;
    assert_eq!(s, 200, "{b}");
    // Tenant A's app does not exist in tenant B: AADSTS700016, as Entra answers.
    let (s, e) = token(&http, &url, B, "app-a", "secret-a").await;
    assert_eq!(
        (s, e["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{e}"
    );
    // Graph serves the tenant of the token's `tid`.
    let a = a["access_token"].as_str().unwrap();
    let b = b["access_token"].as_str().unwrap();
    assert_eq!(
        upns(&http, &url, a).await,
        ["ann@a.example", "breakglass@a.example"]
    );
    assert_eq!(
        upns(&http, &url, b).await,
        ["bob@b.example", "breakglass@b.example"]
    );
    // Control endpoints take ?tenant=.
    let state: Value = http
        .get(format!("{url}/_emulator/state?tenant={B}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["tenant"]["id"], B);
    let m: Value = http
        .get(format!("{url}/_emulator/metrics?tenant={A}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["tokensIssued"], 1, "{m}");
}

#[test]
fn a_repo_planned_with_the_printed_per_tenant_variables() {
    let dir = crate::scratch::Scratch::new("emulator-tenants-plan");
    let (_server, url, env) = spawn(&dir);
    let repo = dir.join("repo");
    for (name, domain, user) in [
        ("north", "a.example", "ann"),
        ("south-2", "b.example", "bob"),
    ] {
        let t = repo.join("tenants").join(name);
        std::fs::create_dir_all(&t).unwrap();
        std::fs::write(
            t.join("tenant.yaml"),
            format!("tenant:\n  domain: {domain}\n  scope: {{ users: all, exclude: [breakglass@{domain}] }}\n"),
        )
        .unwrap();
        std::fs::write(
            t.join("users.yaml"),
            format!(
                "users:\n  - upn: {user}@{domain}\n    displayName: {user}\n    jobTitle: Lead\n"
            ),
        )
        .unwrap();
    }
    let mut cmd = entraform();
    cmd.current_dir(&repo).args([
        "plan",
        "--all-tenants",
        "--graph-url",
        &url,
        "--format",
        "json",
    ]);
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    let tenants = doc["tenants"].as_array().unwrap();
    assert_eq!(tenants.len(), 2);
    for (t, name) in tenants.iter().zip(["north", "south-2"]) {
        assert_eq!(t["tenant"], name);
        assert_eq!(t["changes"], 1, "{t}");
        assert_eq!(t["output"]["summary"]["update"], 1, "{t}");
    }
}

#[test]
fn two_seeds_of_one_tenant_are_refused() {
    let dir = crate::scratch::Scratch::new("emulator-tenants-dup");
    std::fs::write(
        dir.join("a.yaml"),
        seed(A, "a.example", "app-a", "s", "ann"),
    )
    .unwrap();
    let o = entraform()
        .current_dir(&*dir)
        .args([
            "emulator",
            "--tenant-seed",
            "x=a.yaml",
            "--tenant-seed",
            "y=a.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains(&format!("two seeds have the tenant id {A}")),
        "{}",
        out(&o)
    );
}
