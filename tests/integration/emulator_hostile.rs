//! Hostile input over HTTP (issue #12): every request is bounded — body size,
//! URL length, nesting and clauses of the query options, JSON depth, work per
//! request — and answered with Graph's error envelope, after which the server
//! keeps answering; bodies with wrong JSON types, references to foreign
//! hosts and unknown system query options fail as in Graph, also inside
//! `$batch`.

use crate::emulator_support;

use emulator_support::*;
use graph_emulator::EmulatorConfig;
use graph_emulator::limits::{MAX_BODY, MAX_CLAUSES, MAX_DEPTH, MAX_TARGET};
use graph_emulator::util::percent_encode;
use serde_json::{Value, json};

/// The server still answers an ordinary request.
async fn still_serving(env: &Env) {
    let r = env.get("/users?$top=1&$select=id").await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// POST a raw body (not necessarily JSON) as `application/json`.
async fn post_raw(env: &Env, path: &str, body: Vec<u8>) -> Resp {
    let r = env
        .http
        .post(env.url(path))
        .bearer_auth(&env.token)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the server answers");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    Resp {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

fn new_user(nick: &str) -> Value {
    json!({
        "accountEnabled": true, "displayName": nick, "mailNickname": nick,
        "userPrincipalName": format!("{nick}@contoso.com"),
        "passwordProfile": { "password": "Initial-Pass-123!" }
    })
}

/// The items of a `$batch` response by id.
fn item<'a>(r: &'a Resp, id: &str) -> &'a Value {
    r.body["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .find(|x| x["id"] == id)
        .unwrap_or_else(|| panic!("no item {id} in {}", r.body))
}

fn item_error(r: &Resp, id: &str, status: u16, code: &str) -> String {
    let it = item(r, id);
    assert_eq!(it["status"], status, "{it}");
    assert_eq!(it["body"]["error"]["code"], code, "{it}");
    assert!(it["body"]["error"]["innerError"]["request-id"].is_string());
    it["body"]["error"]["message"]
        .as_str()
        .expect("message")
        .to_string()
}

#[tokio::test]
async fn a_body_over_the_limit_gets_413_not_400() {
    let env = start().await;
    let before = env.emu.state().users.len();
    let mut user = new_user("big");
    user["aboutMe"] = json!("x".repeat(MAX_BODY));
    let r = env.send("POST", "/users", user).await;
    let msg = assert_graph_error(&r, 413, "RequestEntityTooLarge");
    assert!(msg.contains("exceeds the maximum limit"), "{msg}");
    // A batch whose body is over the limit: the whole request is refused.
    let mut item = new_user("big2");
    item["aboutMe"] = json!("y".repeat(MAX_BODY));
    let r = env
        .send(
            "POST",
            "/$batch",
            json!({"requests": [{"id": "1", "method": "POST", "url": "/users",
                   "headers": {"Content-Type": "application/json"}, "body": item}]}),
        )
        .await;
    assert_graph_error(&r, 413, "RequestEntityTooLarge");
    assert_eq!(env.emu.state().users.len(), before, "nothing was created");
    // Just under the limit is read (and refused for what it says, not its size).
    let r = post_raw(&env, "/users", vec![b' '; MAX_BODY - 10]).await;
    assert_eq!(r.status, 400, "{}", r.body);
    still_serving(&env).await;
}

#[tokio::test]
async fn a_url_over_the_limit_gets_400() {
    let env = start().await;
    let long = format!("/users?$filter=displayName eq '{}'", "a".repeat(MAX_TARGET));
    let r = env.get(&long).await;
    let msg = assert_graph_error(&r, 400, "BadRequest");
    assert!(msg.contains("Request Too Long"), "{msg}");
    still_serving(&env).await;
}

#[tokio::test]
async fn deep_json_bodies_get_400() {
    let env = start().await;
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes();
    for path in ["/users", "/$batch", "/groups"] {
        let r = post_raw(&env, path, deep(100_000)).await;
        let msg = assert_graph_error(&r, 400, "BadRequest");
        assert!(
            msg.starts_with("Unable to read JSON request payload"),
            "{msg}"
        );
    }
    // Deep inside a property value, and inside a batch item's body.
    let nested = format!(
        r#"{{"displayName": "x", "aboutMe": {}{}}}"#,
        "{\"a\":".repeat(200),
        "1".to_string() + &"}".repeat(200)
    );
    let r = post_raw(&env, "/users", nested.into_bytes()).await;
    assert_graph_error(&r, 400, "BadRequest");
    let batch = format!(
        r#"{{"requests":[{{"id":"1","method":"POST","url":"/users","headers":{{"Content-Type":"application/json"}},"body":{}1{}}}]}}"#,
        "[".repeat(300),
        "]".repeat(300)
    );
    let r = post_raw(&env, "/$batch", batch.into_bytes()).await;
    assert_graph_error(&r, 400, "BadRequest");
    still_serving(&env).await;
}

fn nested_parens(n: usize) -> String {
    format!("{}id eq 'x'{}", "(".repeat(n), ")".repeat(n))
}

#[tokio::test]
async fn query_options_are_bounded_in_depth_and_clauses() {
    let env = start().await;
    let eventual = |q: &str| format!("/users?$count=true&{q}");
    let get = |q: String| {
        let env = &env;
        async move { env.get_eventual(&eventual(&q)).await }
    };
    // At the limit: answered; one level deeper: Graph's OData error.
    let r = get(format!(
        "$filter={}",
        percent_encode(&nested_parens(MAX_DEPTH))
    ))
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for q in [
        format!("$filter={}", percent_encode(&nested_parens(MAX_DEPTH + 1))),
        format!(
            "$filter={}",
            percent_encode(&format!(
                "{}accountEnabled eq true",
                "not ".repeat(MAX_DEPTH + 1)
            ))
        ),
        format!(
            "$expand={}",
            percent_encode(&format!("manager{}", "(".repeat(MAX_DEPTH + 1)))
        ),
        format!("$select={}", "(".repeat(MAX_DEPTH + 1)),
        format!("$orderby={}displayName", "(".repeat(MAX_DEPTH + 1)),
    ] {
        let r = get(q).await;
        let msg = assert_graph_error(&r, 400, "Request_BadRequest");
        assert_eq!(msg, "Recursion depth exceeded allowed limit.");
    }
    // Clauses: at the limit answered (advanced mode lifts the 15-`or` rule).
    let ors = |n: usize| {
        (0..n)
            .map(|i| format!("mail eq '{i}'"))
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let r = get(format!("$filter={}", percent_encode(&ors(MAX_CLAUSES)))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = get(format!("$filter={}", percent_encode(&ors(MAX_CLAUSES + 1)))).await;
    let msg = assert_graph_error(&r, 400, "Request_UnsupportedQuery");
    assert!(msg.contains("at most 500"), "{msg}");
    let ids = (0..=MAX_CLAUSES)
        .map(|i| format!("'{i}'"))
        .collect::<Vec<_>>()
        .join(",");
    let r = get(format!(
        "$filter={}",
        percent_encode(&format!("id in ({ids})"))
    ))
    .await;
    assert_graph_error(&r, 400, "Request_UnsupportedQuery");
    let terms = (0..=MAX_CLAUSES)
        .map(|i| format!("\"mail:a{i}\""))
        .collect::<Vec<_>>()
        .join(" OR ");
    let r = get(format!("$search={}", percent_encode(&terms))).await;
    let msg = assert_graph_error(&r, 400, "Request_UnsupportedQuery");
    assert!(msg.contains("$search"), "{msg}");
    // A long chain of clauses is flat, not deep: 400 `and`s are answered.
    let ands = (0..400)
        .map(|i| format!("mail ne '{i}'"))
        .collect::<Vec<_>>()
        .join(" and ");
    let r = get(format!("$filter={}", percent_encode(&ands))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["@odata.count"], 4);
    still_serving(&env).await;
}

/// One budget of filter work per request, shared by the items of a batch:
/// once spent, the rest of the request gets 400; the next request has a
/// fresh budget.
#[tokio::test]
async fn the_work_budget_bounds_one_request() {
    let env = start_with(
        small_seed(),
        EmulatorConfig {
            max_work: 100,
            ..EmulatorConfig::default()
        },
    )
    .await;
    let filter = percent_encode("startswith(displayName,'A') or startswith(displayName,'B')");
    // 4 users × 3 nodes each: within the budget.
    let r = env.get(&format!("/users?$filter={filter}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids_of(&r.body), vec![ALEX, BIANCA, ADELE].sorted());
    let requests: Vec<Value> = (0..20)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": format!("/users?$filter={filter}")}))
        .collect();
    let r = env
        .send("POST", "/$batch", json!({ "requests": requests }))
        .await;
    assert_eq!(r.status, 200);
    let statuses: Vec<u64> = r.body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["status"].as_u64().unwrap())
        .collect();
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!((1..20).contains(&ok), "{statuses:?}");
    for x in r.body["responses"].as_array().unwrap() {
        if x["status"] == 400 {
            assert_eq!(x["body"]["error"]["code"], "Request_UnsupportedQuery");
        }
    }
    // A fresh request has a fresh budget.
    let r = env.get(&format!("/users?$filter={filter}")).await;
    assert_eq!(r.status, 200);
}

trait Sorted {
    fn sorted(self) -> Self;
}
impl Sorted for Vec<&str> {
    fn sorted(mut self) -> Self {
        self.sort();
        self
    }
}

fn ids_of(v: &Value) -> Vec<&str> {
    let mut ids: Vec<&str> = v["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn unknown_system_query_options_are_refused() {
    let env = start().await;
    for path in [
        "/users?$foo=1",
        "/users?%24foo=1",
        "/users?$select=id&$Expand2=x",
        "/groups?$skipToken2=1",
        "/users/delta?$bogus=true",
    ] {
        let r = env.get(path).await;
        let msg = assert_graph_error(&r, 400, "Request_BadRequest");
        assert!(
            msg.starts_with("Unrecognized query argument specified: '"),
            "{msg}"
        );
    }
    // Writes too, and inside a batch.
    let r = env
        .send(
            "PATCH",
            &format!("/users/{ADELE}?$foo=1"),
            json!({"jobTitle": "x"}),
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = env
        .send(
            "POST",
            "/$batch",
            json!({"requests": [{"id": "1", "method": "GET", "url": "/users?$nope=1"}]}),
        )
        .await;
    item_error(&r, "1", 400, "Request_BadRequest");
    // Known options in any case, and parameters without `$` (custom options), are fine.
    assert_eq!(env.get("/users?$SELECT=id&$Top=1").await.status, 200);
    assert_eq!(env.get("/users?foo=1").await.status, 200);
}

#[tokio::test]
async fn wrong_json_types_get_graphs_reader_errors() {
    let env = start().await;
    let before = env.emu.state();
    let cases: Vec<(&str, String, Value, &str)> = vec![
        (
            "POST",
            "/users".into(),
            {
                let mut u = new_user("t1");
                u["jobTitle"] = json!(123);
                u
            },
            "Cannot convert the literal '123' to the expected type 'Edm.String'.",
        ),
        (
            "PATCH",
            format!("/users/{ADELE}"),
            json!({"accountEnabled": "yes"}),
            "Cannot convert the literal 'yes' to the expected type 'Edm.Boolean'.",
        ),
        (
            "PATCH",
            format!("/users/{ADELE}"),
            json!({"businessPhones": "x"}),
            "An unexpected 'PrimitiveValue' node was found when reading from the JSON reader. A 'StartArray' node was expected.",
        ),
        (
            "PATCH",
            format!("/users/{ADELE}"),
            json!({"businessPhones": ["ok", 5]}),
            "Cannot convert the literal '5' to the expected type 'Edm.String'.",
        ),
        (
            "PATCH",
            format!("/users/{ADELE}"),
            json!({"department": {"name": "x"}}),
            "An unexpected 'StartObject' node was found when reading from the JSON reader. A 'PrimitiveValue' node was expected.",
        ),
        (
            "PATCH",
            format!("/users/{ADELE}"),
            json!({"employeeHireDate": "2021-03-01"}),
            "Cannot convert the literal '2021-03-01' to the expected type 'Edm.DateTimeOffset'.",
        ),
        (
            "PATCH",
            format!("/users/{ADELE}"),
            json!({"passwordProfile": "secret"}),
            "An unexpected 'PrimitiveValue' node was found when reading from the JSON reader. A 'StartObject' node was expected.",
        ),
        (
            "POST",
            "/users".into(),
            {
                let mut u = new_user("t2");
                u["passwordProfile"] = json!({"password": 12345678});
                u
            },
            "Cannot convert the literal '12345678' to the expected type 'Edm.String'.",
        ),
        (
            "POST",
            "/groups".into(),
            json!({"displayName": "g", "mailEnabled": false, "mailNickname": "g", "securityEnabled": "true"}),
            "Cannot convert the literal 'true' to the expected type 'Edm.Boolean'.",
        ),
        (
            "PATCH",
            format!("/groups/{PLATFORM}"),
            json!({"groupTypes": "Unified"}),
            "An unexpected 'PrimitiveValue' node was found when reading from the JSON reader. A 'StartArray' node was expected.",
        ),
        (
            "PATCH",
            format!("/groups/{PLATFORM}"),
            json!({"description": false}),
            "Cannot convert the literal 'False' to the expected type 'Edm.String'.",
        ),
    ];
    for (i, (method, path, body, message)) in cases.iter().enumerate() {
        let r = env.send(method, path, body.clone()).await;
        let msg = assert_graph_error(&r, 400, "Request_BadRequest");
        assert_eq!(&msg, message, "{method} {path} {body}");
        // The same inside a batch.
        let r = env
            .send(
                "POST",
                "/$batch",
                json!({"requests": [{"id": i.to_string(), "method": method, "url": path,
                       "headers": {"Content-Type": "application/json"}, "body": body}]}),
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(
            &item_error(&r, &i.to_string(), 400, "Request_BadRequest"),
            message
        );
    }
    assert_eq!(env.emu.state(), before, "no write was applied");
    // Right types pass.
    let r = env
        .send(
            "PATCH",
            &format!("/users/{ADELE}"),
            json!({"businessPhones": [], "jobTitle": null}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    // A well-typed employeeHireDate (a DateTimeOffset with time and zone) is
    // read, then refused: no app-only token may update it (user-update, Note).
    let r = env
        .send(
            "PATCH",
            &format!("/users/{ADELE}"),
            json!({"employeeHireDate": "2021-03-01T00:00:00Z"}),
        )
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
}

#[tokio::test]
async fn references_must_point_at_a_graph_directory_object() {
    let env = start().await;
    let own = env.emu.graph_url();
    let bad_refs = [
        format!("https://evil.example/v1.0/directoryObjects/{MEGAN}"),
        format!("http://graph.microsoft.com/v1.0/directoryObjects/{MEGAN}"),
        format!("https://graph.microsoft.com/directoryObjects/{MEGAN}"),
        format!("https://graph.microsoft.com/v1.0/applications/{MEGAN}"),
        format!("https://graph.microsoft.com/v1.0/directoryObjects/{MEGAN}/extra/segments"),
        format!("{own}/../v1.0/directoryObjects/{MEGAN}"),
        format!("directoryObjects/{MEGAN}"),
        MEGAN.to_string(),
    ];
    for url in &bad_refs {
        let r = env
            .send(
                "POST",
                &format!("/groups/{PLATFORM}/members/$ref"),
                json!({ "@odata.id": url }),
            )
            .await;
        let msg = assert_graph_error(&r, 400, "Request_BadRequest");
        assert_eq!(msg, "Invalid URL format specified in payload.", "{url}");
        let r = env
            .call(
                "PUT",
                &format!("/users/{BIANCA}/manager/$ref"),
                Some(json!({ "@odata.id": url })),
                &[],
            )
            .await;
        assert_graph_error(&r, 400, "Request_BadRequest");
        let r = env
            .send(
                "PATCH",
                &format!("/groups/{PLATFORM}"),
                json!({ "members@odata.bind": [url] }),
            )
            .await;
        let msg = assert_graph_error(&r, 400, "Request_BadRequest");
        assert_eq!(
            msg,
            "Invalid URL format specified in @odata.bind for members"
        );
        let r = env
            .send(
                "POST",
                "/$batch",
                json!({"requests": [{"id": "1", "method": "POST",
                       "url": format!("/groups/{PLATFORM}/members/$ref"),
                       "headers": {"Content-Type": "application/json"},
                       "body": { "@odata.id": url }}]}),
            )
            .await;
        item_error(&r, "1", 400, "Request_BadRequest");
    }
    let members = |env: &Env| {
        env.emu
            .state()
            .groups
            .iter()
            .find(|g| g.id.as_deref() == Some(PLATFORM))
            .unwrap()
            .members
            .clone()
    };
    assert_eq!(members(&env).len(), 2, "nothing was added");
    // What Graph accepts: its hosts (any cloud), v1.0 or beta, the entity sets
    // of directory objects, and the emulator's own root.
    let good = [
        format!("https://graph.microsoft.com/v1.0/directoryObjects/{MEGAN}"),
        format!("https://graph.microsoft.us/beta/users/{ADELE}"),
        format!("{own}/groups('{DYNAMIC}')"),
    ];
    for url in &good {
        let r = env
            .send(
                "POST",
                &format!("/groups/{PLATFORM}/members/$ref"),
                json!({ "@odata.id": url }),
            )
            .await;
        assert_eq!(r.status, 204, "{url}: {}", r.body);
    }
    assert_eq!(members(&env).len(), 5);
    // The emulator's own host is also the name a client reached it by (the
    // `Host` header), inside a batch too: here `localhost` for `127.0.0.1`.
    let via_localhost = own.replace("127.0.0.1", "localhost");
    let r = env
        .http
        .post(format!("{via_localhost}/$batch"))
        .bearer_auth(&env.token)
        .json(&json!({"requests": [{"id": "1", "method": "PUT",
               "url": format!("/users/{BIANCA}/manager/$ref"),
               "headers": {"Content-Type": "application/json"},
               "body": { "@odata.id": format!("{via_localhost}/users/{ADELE}") }}]}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["responses"][0]["status"], 204, "{v}");
}

#[tokio::test]
async fn oversized_and_cyclic_batches_run_nothing() {
    let env = start().await;
    let before = env.emu.state().users.len();
    let create = |id: &str, nick: &str, deps: &[&str]| {
        json!({"id": id, "method": "POST", "url": "/users", "dependsOn": deps,
               "headers": {"Content-Type": "application/json"}, "body": new_user(nick)})
    };
    let many: Vec<Value> = (0..21)
        .map(|i| create(&i.to_string(), &format!("m{i}"), &[]))
        .collect();
    let r = env
        .send("POST", "/$batch", json!({ "requests": many }))
        .await;
    let msg = assert_graph_error(&r, 400, "BadRequest");
    assert!(msg.contains("limit of 20"), "{msg}");
    // A cycle is refused before any item runs (the independent one included).
    let r = env
        .send(
            "POST",
            "/$batch",
            json!({"requests": [
                create("a", "ca", &["b"]),
                create("b", "cb", &["c"]),
                create("c", "cc", &["a"]),
                create("free", "cfree", &[])
            ]}),
        )
        .await;
    let msg = assert_graph_error(&r, 400, "BadRequest");
    assert!(msg.contains("cycle"), "{msg}");
    assert_eq!(env.emu.state().users.len(), before, "nothing was created");
}

/// Delta tokens are opaque but not secret: one edited by hand (positions at
/// the end of the number range, an unknown group to resume) gets an answer,
/// never a crash.
#[tokio::test]
async fn edited_delta_tokens_are_answered() {
    use graph_emulator::util::{hex, unhex};
    let env = start().await;
    let mut link = "/groups/delta?$select=displayName,members".to_string();
    let delta_link = loop {
        let r = env.get(&link).await;
        assert_eq!(r.status, 200);
        match r.body["@odata.nextLink"].as_str() {
            Some(n) => link = n.to_string(),
            None => break r.body["@odata.deltaLink"].as_str().unwrap().to_string(),
        }
    };
    let (base, token) = delta_link.split_once("$deltatoken=").unwrap();
    let mut t: Value = serde_json::from_slice(&unhex(token).unwrap()).unwrap();
    for (field, value) in [
        ("since", json!(u64::MAX)),
        ("end", json!(u64::MAX)),
        ("after", json!("\u{10ffff}")),
        ("resume_after_member", json!("nobody")),
        ("select", json!(["nope", "((((", "members"])),
    ] {
        let original = t[field].clone();
        t[field] = value;
        let edited = hex(t.to_string().as_bytes());
        for (key, path) in [
            ("$deltatoken", format!("{base}$deltatoken={edited}")),
            ("$skiptoken", format!("{base}$skiptoken={edited}")),
        ] {
            let r = env.get(&path).await;
            assert!(
                r.status == 200 || (r.status == 400 && r.body["error"]["code"].is_string()),
                "{field} in {key}: {} {}",
                r.status,
                r.body
            );
        }
        t[field] = original;
    }
    still_serving(&env).await;
}
