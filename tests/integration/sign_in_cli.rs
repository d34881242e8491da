//! Signing in through the binary against the emulator's token endpoint, as in
//! production (no ready-made `ENTRAFORM_GRAPH_TOKEN`): a client secret, a
//! certificate (`AZURE_CLIENT_CERTIFICATE_PATH`) and a federated token file
//! (`AZURE_FEDERATED_TOKEN_FILE`); refused credentials reported in the identity
//! platform's words; a token that expires during an apply renewed once.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use graph_emulator::{BackgroundEmulator, EmulatorConfig, FederatedCredential, Seed};

use crate::cli_support::{NEW_HIRE, out, root, tempdir};
use crate::stall_proxy::{Stall, StallProxy};

/// SHA-256 thumbprint of tests/graph_fixtures/cert-and-key.pem (see its README).
const CERT_SHA256: &str = "E3D92F332E35B70E0B27EA66B6205E2EC3696C800521D6399502F24E71EECE48";
const ISSUER: &str = "https://gitlab.example.com";
const SUBJECT: &str = "project_path:contoso/directory:ref_type:branch:ref:main";
const AUDIENCE: &str = "api://AzureADTokenExchange";

/// The example tenant; with `registered`, its app also accepts the test
/// certificate and federated tokens from `ISSUER`/`SUBJECT`.
fn tenant(registered: bool) -> (BackgroundEmulator, String, String) {
    let mut seed = Seed::from_file(&root().join("examples/seed.yaml")).unwrap();
    let app = &mut seed.applications[0];
    if registered {
        app.certificate_thumbprints = vec![CERT_SHA256.into()];
        app.federated_credentials = vec![FederatedCredential {
            issuer: ISSUER.into(),
            subject: SUBJECT.into(),
            audience: AUDIENCE.into(),
        }];
    }
    let (id, secret) = (app.app_id.clone(), app.client_secrets[0].clone());
    let emu = BackgroundEmulator::start(seed, EmulatorConfig::default()).unwrap();
    (emu, id, secret)
}

/// The binary signing in as `client_id` with the credential in `envs`.
fn command(
    emu: &BackgroundEmulator,
    graph_url: &str,
    client_id: &str,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Command {
    let mut cmd = crate::cli_support::entraform();
    cmd.args(args).args(["--graph-url", graph_url]);
    cmd.env("AZURE_TENANT_ID", emu.tenant_id())
        .env("AZURE_CLIENT_ID", client_id);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd
}

fn plan(emu: &BackgroundEmulator, client_id: &str, envs: &[(&str, &str)]) -> Output {
    command(
        emu,
        emu.base_url(),
        client_id,
        &["plan", "examples/desired-state"],
        envs,
    )
    .output()
    .unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An (unsigned) token as a workload identity provider would mount it.
fn federated_token(subject: &str, exp: u64) -> String {
    let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#);
    let claims = serde_json::json!({
        "iss": ISSUER, "sub": subject, "aud": AUDIENCE,
        "iat": now(), "nbf": now(), "exp": exp,
    });
    let p = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{h}.{p}.c2lnbmF0dXJl")
}

#[test]
fn signs_in_with_a_secret_a_certificate_and_a_federated_token_file() {
    let (emu, app, secret) = tenant(true);
    let dir = tempdir("sign-in");
    let token_file = dir.join("federated-token");
    std::fs::write(&token_file, federated_token(SUBJECT, now() + 600)).unwrap();
    let cert = root().join("tests/graph_fixtures/cert-and-key.pem");
    let credentials: [(&str, &str); 3] = [
        ("AZURE_CLIENT_SECRET", &secret),
        ("AZURE_CLIENT_CERTIFICATE_PATH", cert.to_str().unwrap()),
        ("AZURE_FEDERATED_TOKEN_FILE", token_file.to_str().unwrap()),
    ];
    for (i, cred) in credentials.into_iter().enumerate() {
        let o = plan(&emu, &app, &[cred]);
        let text = out(&o);
        assert_eq!(o.status.code(), Some(0), "{}: {text}", cred.0);
        assert!(text.contains("Plan: 3 to create"), "{}: {text}", cred.0);
        let m = emu.metrics();
        assert_eq!(
            m.tokens_issued,
            i as u64 + 1,
            "{}: one token per run",
            cred.0
        );
        assert_eq!(m.unauthorized, 0, "{}", cred.0);
        if cred.0 == "AZURE_CLIENT_SECRET" {
            assert!(!text.contains(&secret));
        }
    }
}

#[test]
fn refused_credentials_are_reported_in_the_identity_platforms_words() {
    // The app registration accepts only its secret: no certificate, no federation.
    let (emu, app, secret) = tenant(false);
    let dir = tempdir("sign-in-refused");
    let cert = root().join("tests/graph_fixtures/cert-and-key.pem");
    let token_file = dir.join("federated-token");
    std::fs::write(&token_file, federated_token(SUBJECT, now() + 600)).unwrap();
    let wrong_secret = format!("{secret}-wrong");
    let cases: [((&str, &str), &str); 3] = [
        (("AZURE_CLIENT_SECRET", &wrong_secret), "AADSTS7000215"),
        (
            ("AZURE_CLIENT_CERTIFICATE_PATH", cert.to_str().unwrap()),
            "AADSTS700027",
        ),
        (
            ("AZURE_FEDERATED_TOKEN_FILE", token_file.to_str().unwrap()),
            "AADSTS70021",
        ),
    ];
    for (cred, code) in cases {
        let o = plan(&emu, &app, &[cred]);
        let text = out(&o);
        assert_eq!(o.status.code(), Some(1), "{}: {text}", cred.0);
        assert!(
            text.contains(&format!("could not sign in as client id {app} in tenant"))
                && text.contains("invalid_client")
                && text.contains(code),
            "{}: {text}",
            cred.0
        );
        assert!(!text.contains(&wrong_secret), "{text}");
        assert!(!text.contains("panicked"), "{text}");
    }
    // An expired federated token, even for a registered subject, is refused too.
    let (emu, app, _) = tenant(true);
    std::fs::write(&token_file, federated_token(SUBJECT, now() - 60)).unwrap();
    let o = plan(
        &emu,
        &app,
        &[("AZURE_FEDERATED_TOKEN_FILE", token_file.to_str().unwrap())],
    );
    let text = out(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("AADSTS700024"), "{text}");
    assert_eq!(emu.metrics().tokens_issued, 0);
}

#[test]
fn a_token_that_expires_mid_apply_is_renewed_once() {
    let (emu, app, secret) = tenant(false);
    // Hold the first write (the `$batch` carrying the new hire) until every token has expired.
    let proxy = StallProxy::start(
        emu.base_url(),
        r#""method":"POST","url":"/users""#,
        Stall::HoldRequest,
    );
    let mut child = command(
        &emu,
        &proxy.url(),
        &app,
        &["apply", "examples/desired-state", "--auto-approve"],
        &[("AZURE_CLIENT_SECRET", &secret), NEW_HIRE],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let start = std::time::Instant::now();
    while !proxy.tripped() {
        if child.try_wait().unwrap().is_some() {
            panic!(
                "apply ended early:\n{}",
                out(&child.wait_with_output().unwrap())
            );
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no write sent");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(emu.metrics().tokens_issued, 1);
    emu.expire_tokens();
    proxy.release();
    let o = child.wait_with_output().unwrap();
    let text = out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("31 done, 0 failed, 0 skipped"), "{text}");
    let m = emu.metrics();
    assert_eq!(m.unauthorized, 1, "the expired token was refused once");
    assert_eq!(m.tokens_issued, 2, "and renewed once");
}
