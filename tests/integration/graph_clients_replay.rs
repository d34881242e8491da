//! Microsoft's own Graph clients against the emulator, without their
//! packages: the exact requests `@microsoft/microsoft-graph-client` (npm)
//! and `msgraph-sdk` (PyPI) sent for the calls of issue #19 — `$count`
//! segments with and without casts (`microsoft.graph.user` from the
//! JavaScript client, `graph.user` from the Kiota-generated Python SDK),
//! transitive memberships with `$count`/`$orderby`/`$filter`/`$select`,
//! `checkMemberGroups`, `getMemberGroups`, `getMemberObjects`, `getByIds` and
//! `$batch` — were recorded once through a proxy in front of `entraform
//! emulator` (`tests/fixtures/clients/capture/`, see its README), while each
//! client parsed every answer. This test sends the same bytes again and
//! requires the same answers, so the emulator keeps serving those clients.

use std::path::PathBuf;

use graph_emulator::{BatchOrder, Emulator, EmulatorConfig, Seed};
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clients")
}

/// Volatile parts removed: request ids and dates (`innerError`),
/// `createdDateTime` (the seed leaves it to the load time), and the order of
/// `$batch` answers (Graph promises none; matched by `id`).
fn normalize(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("innerError");
            m.remove("createdDateTime");
            if let Some(Value::Array(items)) = m.get_mut("responses") {
                items.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
            }
            m.values_mut().for_each(normalize);
        }
        Value::Array(a) => a.iter_mut().for_each(normalize),
        _ => {}
    }
}

fn media(ct: Option<&str>) -> String {
    ct.unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

async fn replay(file: &str) {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join(file)).unwrap()).unwrap();
    let seed = Seed::from_file(&fixtures().join("seed.json")).unwrap();
    let app = seed.applications[0].app_id.clone();
    let emu = Emulator::serve(
        seed,
        EmulatorConfig {
            batch_order: BatchOrder::Listed,
            ..EmulatorConfig::default()
        },
    )
    .await
    .unwrap();
    let token = emu.issue_token(&app);
    let base = emu.base_url().to_string();
    let http = reqwest::Client::new();
    let requests = doc["requests"].as_array().unwrap();
    assert!(requests.len() >= 12, "{file}");
    let mut failures = Vec::new();
    for r in requests {
        let method = r["method"].as_str().unwrap();
        let path = r["path"].as_str().unwrap();
        let mut rb = http
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .bearer_auth(&token);
        for (k, v) in r["headers"].as_object().unwrap() {
            rb = rb.header(k.as_str(), v.as_str().unwrap());
        }
        if let Some(b) = r["body"].as_str() {
            rb = rb.body(b.replace("{emulator}", &base));
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let text = resp.text().await.unwrap().replace(&base, "{emulator}");
        let what = format!("{file}: {method} {path}");
        if u64::from(status) != r["status"].as_u64().unwrap() {
            failures.push(format!(
                "{what}: status {status}, recorded {}: {text}",
                r["status"]
            ));
            continue;
        }
        if media(ct.as_deref()) != media(r["response_content_type"].as_str()) {
            failures.push(format!("{what}: content type {ct:?}"));
        }
        let recorded = r["response"].as_str().unwrap();
        match (
            serde_json::from_str::<Value>(&text),
            serde_json::from_str::<Value>(recorded),
        ) {
            (Ok(mut got), Ok(mut want)) if media(ct.as_deref()) != "text/plain" => {
                normalize(&mut got);
                normalize(&mut want);
                if got != want {
                    failures.push(format!("{what}:\n  got  {got}\n  want {want}"));
                }
            }
            _ if text != recorded => failures.push(format!("{what}: {text:?} != {recorded:?}")),
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn the_javascript_client_s_requests_get_the_answers_it_parsed() {
    replay("javascript.json").await;
}

#[tokio::test]
async fn the_python_sdk_s_requests_get_the_answers_it_parsed() {
    replay("python.json").await;
}

/// What the recordings show about the clients, checked so a refreshed
/// recording that loses a case fails here rather than silently.
#[test]
fn the_recordings_cover_the_issue_s_calls() {
    let read = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(fixtures().join(f)).unwrap()).unwrap()
    };
    let js = read("javascript.json");
    let py = read("python.json");
    let paths = |d: &Value| -> Vec<String> {
        d["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["path"].as_str().unwrap().to_string())
            .collect()
    };
    let (js_paths, py_paths) = (paths(&js), paths(&py));
    for needle in [
        "/members/$count",
        "/transitiveMembers/$count",
        "/memberOf/$count",
        "/directReports/$count",
        "/transitiveMemberOf",
        "/checkMemberGroups",
        "/getMemberGroups",
        "/getMemberObjects",
        "/directoryObjects/getByIds",
        "/$batch",
    ] {
        assert!(
            js_paths.iter().any(|p| p.contains(needle)),
            "javascript: {needle}"
        );
        assert!(
            py_paths.iter().any(|p| p.contains(needle)),
            "python: {needle}"
        );
    }
    assert!(
        js_paths
            .iter()
            .any(|p| p.contains("/microsoft.graph.user/$count"))
    );
    assert!(
        py_paths.iter().any(|p| p.contains("/graph.user/$count")),
        "Kiota's alias"
    );
    // The JavaScript client keeps the version in batch item URLs (Graph then
    // answers each item 400, as the emulator does: see the recorded answer).
    let batch = js["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["path"] == "/v1.0/$batch")
        .unwrap();
    assert!(
        batch["body"]
            .as_str()
            .unwrap()
            .contains("\"url\":\"/v1.0/users/")
    );
    assert!(
        batch["response"]
            .as_str()
            .unwrap()
            .contains("Resource not found for the segment 'v1.0'.")
    );
}
