//! The audience of a GitHub Actions OIDC token (issue #15 §5): the binary
//! asks GitHub's token endpoint for the federated credential's audience —
//! the cloud's default, or `--federated-audience` / `AZURE_FEDERATED_AUDIENCE`
//! — and Entra (here the emulator) accepts the token only when it matches
//! the credential registered on the app.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use graph_emulator::{BackgroundEmulator, EmulatorConfig, FederatedCredential, Seed};

use crate::cli_support::{out, root};

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const SUBJECT: &str = "repo:contoso/directory:environment:production";
const USGOV: &str = "api://AzureADTokenExchangeUSGov";

/// A stand-in for GitHub's OIDC token endpoint: answers every request with a
/// token for the `audience` asked, and records the audiences asked for.
fn github_oidc() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/token?api-version=2.0",
        listener.local_addr().unwrap()
    );
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            // Skip the headers.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let audience = request_line
                .split_whitespace()
                .nth(1)
                .and_then(|target| target.split_once('?'))
                .and_then(|(_, q)| {
                    q.split('&')
                        .find_map(|kv| kv.strip_prefix("audience="))
                        .map(|a| a.replace("%3A", ":").replace("%2F", "/"))
                })
                .unwrap_or_default();
            seen.lock().unwrap().push(audience.clone());
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let claims = serde_json::json!({
                "iss": ISSUER, "sub": SUBJECT, "aud": audience, "exp": now + 600,
            });
            let jwt = format!(
                "{}.{}.c2ln",
                URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#),
                URL_SAFE_NO_PAD.encode(claims.to_string())
            );
            let body = serde_json::json!({ "value": jwt }).to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.flush();
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
        }
    });
    (url, asked)
}

#[test]
fn the_federated_audience_is_the_registered_one() {
    // The app trusts GitHub tokens for the US Government audience.
    let mut seed = Seed::from_file(&root().join("examples/seed.yaml")).unwrap();
    let app = seed.applications[0].app_id.clone();
    seed.applications[0].federated_credentials = vec![FederatedCredential {
        issuer: ISSUER.into(),
        subject: SUBJECT.into(),
        audience: USGOV.into(),
    }];
    let emu = BackgroundEmulator::start(seed, EmulatorConfig::default()).unwrap();
    let (oidc_url, asked) = github_oidc();
    let plan = |extra: &[&str], envs: &[(&str, &str)]| {
        let mut cmd = crate::cli_support::entraform();
        cmd.args([
            "plan",
            "examples/desired-state",
            "--graph-url",
            emu.base_url(),
        ])
        .args(extra);
        cmd.env("AZURE_TENANT_ID", emu.tenant_id())
            .env("AZURE_CLIENT_ID", &app)
            .env("ACTIONS_ID_TOKEN_REQUEST_URL", &oidc_url)
            .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ghs_request_token");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    // Without a setting, a custom endpoint uses the global audience: refused.
    let o = plan(&[], &[]);
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("AADSTS70021"), "{text}");
    assert!(!text.contains("ghs_request_token"), "{text}");
    // The flag, and the variable, ask for the registered audience: signed in.
    let o = plan(&["--federated-audience", USGOV], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let o = plan(&[], &[("AZURE_FEDERATED_AUDIENCE", USGOV)]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(
        *asked.lock().unwrap(),
        vec![
            "api://AzureADTokenExchange".to_string(),
            USGOV.into(),
            USGOV.into()
        ]
    );
}
