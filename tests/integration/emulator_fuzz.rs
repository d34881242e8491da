//! Property-based fuzzing of the emulator over HTTP (issue #12; `cargo fuzz`
//! needs a nightly toolchain, proptest runs in `cargo test`): random and
//! adversarial query options (`$filter`, `$expand`, `$select`, `$orderby`,
//! `$top`, `$search`, unknown options; deep nesting, huge literals, odd
//! unicode, raw and broken percent-encoding) and JSON bodies (random values
//! of the right names and wrong types, deep nesting, bytes that are not
//! JSON, `$batch` envelopes of all that). Every request gets an answer, never
//! a 5xx, an error in Graph's envelope or a success, and the server keeps
//! serving. A fixed budget of cases keeps it to seconds.

use std::sync::OnceLock;
use std::time::Duration;

use graph_emulator::{BackgroundEmulator, EmulatorConfig};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

use crate::emulator_support::*;

/// One emulator for all cases (on its own thread and runtime) and a token.
struct Target {
    emu: BackgroundEmulator,
    token: String,
}

fn target() -> &'static Target {
    static T: OnceLock<Target> = OnceLock::new();
    T.get_or_init(|| {
        let emu =
            BackgroundEmulator::start(small_seed(), EmulatorConfig::default()).expect("emulator");
        let token = emu.issue_token(CLIENT_ID);
        Target { emu, token }
    })
}

/// A test's client side: a runtime and an HTTP client on it.
struct Client {
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
}

fn client() -> Client {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let http = rt.block_on(async {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client")
    });
    Client { rt, http }
}

/// Send one request and check the answer: no 5xx, Graph's envelope on errors.
fn check(
    c: &Client,
    method: &str,
    path_and_query: &str,
    body: Option<Vec<u8>>,
    headers: &[(&str, &str)],
) -> Result<(), TestCaseError> {
    let t = target();
    let url = format!("{}{path_and_query}", t.emu.graph_url());
    let what = format!(
        "{method} {}",
        path_and_query.chars().take(300).collect::<String>()
    );
    let answer = c.rt.block_on(async {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut rb = c.http.request(m, &url).bearer_auth(&t.token);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(b) = body {
            rb = rb.header("Content-Type", "application/json").body(b);
        }
        let r = match rb.send().await {
            Ok(r) => r,
            // A URL the client library cannot send is not the server's fault.
            Err(e) if e.is_builder() => return Ok(None),
            Err(e) => {
                return Err(TestCaseError::fail(format!(
                    "{what}: no answer: {}",
                    e.without_url()
                )));
            }
        };
        let status = r.status().as_u16();
        let text = r
            .text()
            .await
            .map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
        Ok::<_, TestCaseError>(Some((status, text)))
    })?;
    let Some((status, text)) = answer else {
        return Err(TestCaseError::reject("not sendable"));
    };
    prop_assert!(status < 500, "{what}: status {status}: {text}");
    if status >= 400 {
        envelope(&what, status, &text)?;
    } else if path_and_query.starts_with("/$batch") && status == 200 {
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("{what}: batch answer not JSON: {e}")))?;
        for item in v["responses"].as_array().into_iter().flatten() {
            let s = item["status"].as_u64().unwrap_or(0) as u16;
            prop_assert!((200..500).contains(&s), "{what}: item {item}");
            if s >= 400 {
                envelope(&what, s, &item["body"].to_string())?;
            }
        }
    }
    // Still serving.
    let alive = c.rt.block_on(async {
        c.http
            .get(format!("{}/users?$top=1&$select=id", t.emu.graph_url()))
            .bearer_auth(&t.token)
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    prop_assert_eq!(
        alive.ok(),
        Some(200),
        "{}: the server stopped answering",
        what
    );
    Ok(())
}

fn envelope(what: &str, status: u16, text: &str) -> Result<(), TestCaseError> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        TestCaseError::fail(format!("{what}: {status} body not JSON ({e}): {text}"))
    })?;
    let e = &v["error"];
    prop_assert!(
        e["code"].as_str().is_some_and(|c| !c.is_empty()),
        "{}: {} without a code: {}",
        what,
        status,
        text
    );
    prop_assert!(e["message"].is_string(), "{}: no message: {}", what, text);
    prop_assert!(
        e["innerError"]["request-id"].is_string() && e["innerError"]["date"].is_string(),
        "{}: no innerError: {}",
        what,
        text
    );
    Ok(())
}

const PROPS: &[&str] = &[
    "id",
    "displayName",
    "userPrincipalName",
    "mail",
    "accountEnabled",
    "jobTitle",
    "businessPhones",
    "createdDateTime",
    "groupTypes",
    "manager",
    "members",
    "aboutMe",
    "passwordProfile",
    "nope",
];

/// Text chosen to break things: quotes, parentheses, commas, percent signs
/// (valid, broken, NUL, invalid UTF-8 escapes), unicode, very long runs.
fn odd_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        2 => "[a-zA-Z0-9 '\"(),:;=$/&%+*-]{0,40}",
        1 => Just("%".to_string()),
        1 => Just("%zz%0".to_string()),
        1 => Just("%00%FF%FE%C3%28".to_string()),
        1 => Just("İıßẞ\u{202e}\u{0}\u{feff}😀".to_string()),
        1 => (1usize..20_000).prop_map(|n| "a".repeat(n)),
        1 => (1usize..3_000).prop_map(|n| "'".repeat(n)),
    ]
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        odd_text().prop_map(|s| format!("'{}'", s.replace('\'', "''"))),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
        Just("2021-03-01T00:00:00Z".to_string()),
        Just("9e999".to_string()),
    ]
}

fn prop_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(PROPS).prop_map(str::to_string),
        1 => odd_text(),
    ]
}

fn filter() -> impl Strategy<Value = String> {
    let op = proptest::sample::select(&["eq", "ne", "gt", "ge", "lt", "le", "has", "in"][..]);
    let leaf = prop_oneof![
        (prop_name(), op, literal()).prop_map(|(p, o, l)| format!("{p} {o} {l}")),
        (prop_name(), literal()).prop_map(|(p, l)| format!("startswith({p},{l})")),
        (prop_name(), literal()).prop_map(|(p, l)| format!("endswith({p}, {l})")),
        (prop_name(), literal()).prop_map(|(p, l)| format!("{p}/any(x:x eq {l})")),
        (prop_name(), proptest::collection::vec(literal(), 0..30))
            .prop_map(|(p, ls)| format!("{p} in ({})", ls.join(","))),
        odd_text(),
    ];
    let tree = leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..8).prop_map(|v| v.join(" and ")),
            proptest::collection::vec(inner.clone(), 2..8).prop_map(|v| v.join(" or ")),
            inner.clone().prop_map(|e| format!("not ({e})")),
            inner.prop_map(|e| format!("({e})")),
        ]
    });
    prop_oneof![
        6 => tree,
        // Deep and unbalanced nesting, long chains.
        1 => (0usize..5_000).prop_map(|n| format!("{}id eq 'x'{}", "(".repeat(n), ")".repeat(n))),
        1 => (0usize..5_000).prop_map(|n| format!("{}id eq 'x'", "(".repeat(n))),
        1 => (0usize..3_000).prop_map(|n| format!("{}accountEnabled eq true", "not ".repeat(n))),
        1 => (0usize..2_000).prop_map(|n| vec!["mail eq 'a'"; n.max(1)].join(" or ")),
    ]
}

fn option() -> impl Strategy<Value = (String, String)> {
    let named = |name: &'static str, value: BoxedStrategy<String>| {
        value.prop_map(move |v| (name.to_string(), v))
    };
    prop_oneof![
        3 => named("$filter", filter().boxed()),
        1 => named("$select", proptest::collection::vec(prop_name(), 0..12).prop_map(|v| v.join(",")).boxed()),
        1 => named("$select", (0usize..500).prop_map(|n| format!("{}id", "(".repeat(n))).boxed()),
        1 => named("$expand", prop_oneof![
            Just("manager".to_string()),
            (0usize..1500, prop_name()).prop_map(|(n, p)| format!("manager($levels={n};$select={p})")),
            (0usize..300).prop_map(|n| format!("manager{}", "($expand=manager".repeat(n))),
            odd_text(),
        ].boxed()),
        1 => named("$orderby", (prop_name(), prop_oneof![Just(""), Just(" desc"), Just(" asc"), Just(",x")])
            .prop_map(|(p, d)| format!("{p}{d}")).boxed()),
        1 => named("$top", prop_oneof![any::<i64>().prop_map(|n| n.to_string()), odd_text()].boxed()),
        1 => named("$count", prop_oneof![Just("true".to_string()), odd_text()].boxed()),
        1 => named("$search", prop_oneof![
            proptest::collection::vec((prop_name(), odd_text()), 1..20).prop_map(|v| v
                .iter()
                .map(|(p, t)| format!("\"{p}:{t}\""))
                .collect::<Vec<_>>()
                .join(" OR ")),
            odd_text(),
        ].boxed()),
        1 => named("$skiptoken", odd_text().boxed()),
        1 => (odd_text(), odd_text()).prop_map(|(k, v)| (format!("${k}"), v)),
    ]
}

/// Encode a query value: properly, or leaving `%`-sequences and odd bytes for the server to decode.
fn encode(v: &str, raw: bool) -> String {
    if raw {
        v.replace(['&', '#', ' '], "+")
    } else {
        graph_emulator::util::percent_encode(v)
    }
}

fn query() -> impl Strategy<Value = String> {
    (
        proptest::sample::select(
            &[
                "/users",
                "/groups",
                "/users/delta",
                "/groups/delta",
                "/users/87d349ed-44d7-43e1-9a83-5f2406dee5bd",
                "/users/87d349ed-44d7-43e1-9a83-5f2406dee5bd/memberOf",
                "/groups/c2f798fd-f95d-4623-8824-63aec21fffff/members",
                "/directory/deletedItems/microsoft.graph.user",
                "/roleManagement/directory/roleAssignments",
                "/directoryRoles",
            ][..],
        ),
        proptest::collection::vec((option(), any::<bool>()), 0..5),
    )
        .prop_map(|(path, opts)| {
            let q: Vec<String> = opts
                .iter()
                .map(|((k, v), raw)| format!("{}={}", encode(k, *raw), encode(v, *raw)))
                .collect();
            if q.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{}", q.join("&"))
            }
        })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        odd_text().prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((prop_name(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A body: an object of real property names with random values, a random
/// value, a reference, deep nesting, or bytes that are not JSON.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let object = proptest::collection::vec((prop_name(), json_value()), 0..10).prop_map(|kv| {
        serde_json::to_vec(&Value::Object(kv.into_iter().collect())).unwrap_or_default()
    });
    prop_oneof![
        4 => object,
        1 => json_value().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        1 => odd_text().prop_map(|u| serde_json::to_vec(&json!({"@odata.id": u})).unwrap_or_default()),
        1 => (0usize..50_000).prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes()),
        1 => (0usize..5_000).prop_map(|n| format!("{}1", "{\"a\":".repeat(n)).into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..200),
    ]
}

fn write() -> impl Strategy<Value = (&'static str, &'static str)> {
    proptest::sample::select(
        &[
            ("POST", "/users"),
            ("PATCH", "/users/7d54cb02-aaa3-4016-9f9c-a4b49422dd9b"),
            ("POST", "/groups"),
            ("PATCH", "/groups/c2f798fd-f95d-4623-8824-63aec21fffff"),
            (
                "POST",
                "/groups/c2f798fd-f95d-4623-8824-63aec21fffff/members/$ref",
            ),
            (
                "PUT",
                "/users/343a3f95-377c-47a9-b697-480487bfcdf7/manager/$ref",
            ),
            ("POST", "/roleManagement/directory/roleAssignments"),
        ][..],
    )
}

fn batch() -> impl Strategy<Value = Vec<u8>> {
    let item = (
        odd_text(),
        prop_oneof![
            query().prop_map(|q| ("GET".to_string(), q, None)),
            (write(), json_value()).prop_map(|((m, p), b)| (m.to_string(), p.to_string(), Some(b))),
        ],
        proptest::collection::vec(odd_text(), 0..3),
    )
        .prop_map(|(id, (method, url, body), deps)| {
            let mut it = json!({"id": id, "method": method, "url": url, "dependsOn": deps});
            if let Some(b) = body {
                it["body"] = b;
                it["headers"] = json!({"Content-Type": "application/json"});
            }
            it
        });
    proptest::collection::vec(item, 0..24)
        .prop_map(|items| serde_json::to_vec(&json!({ "requests": items })).unwrap_or_default())
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 200,
        ..Config::default()
    })
}

#[test]
fn random_query_options_never_break_the_server() {
    let c = client();
    runner(160)
        .run(&(query(), any::<bool>()), |(q, eventual)| {
            let headers: &[(&str, &str)] = if eventual {
                &[("ConsistencyLevel", "eventual")]
            } else {
                &[]
            };
            check(&c, "GET", &q, None, headers)
        })
        .unwrap();
}

#[test]
fn random_bodies_never_break_the_server() {
    let c = client();
    runner(160)
        .run(&(write(), body()), |((method, path), b)| {
            check(&c, method, path, Some(b), &[])
        })
        .unwrap();
}

#[test]
fn random_batches_never_break_the_server() {
    let c = client();
    runner(64)
        .run(&batch(), |b| check(&c, "POST", "/$batch", Some(b), &[]))
        .unwrap();
}
