//! Issue #20: the emulator is no gentler than Graph. `$batch` items without
//! `dependsOn` run in a seeded random order (Graph promises none), items with
//! it keep Graph's semantics (424 after a failed dependency); in the minimal
//! delta mode (and with `Prefer: return=minimal`) a round after a token
//! carries only `id` and what changed, `manager@delta` only when the manager
//! changed, in shuffled order; changes to properties not selected do not
//! show.

use crate::emulator_support;

use emulator_support::*;
use graph_emulator::{BatchOrder, EmulatorConfig};
use serde_json::{Map, Value, json};

fn with_order(order: BatchOrder) -> EmulatorConfig {
    EmulatorConfig {
        batch_order: order,
        ..EmulatorConfig::default()
    }
}

/// The ids of a batch response in the order answered.
fn answered(r: &Resp) -> Vec<String> {
    r.body["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

fn gets(n: usize) -> Value {
    let requests: Vec<Value> = (0..n)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": format!("/users/{ADELE}?$select=id")}))
        .collect();
    json!({ "requests": requests })
}

#[tokio::test]
async fn independent_batch_items_run_in_a_seeded_random_order() {
    let listed: Vec<String> = (0..20).map(|i| i.to_string()).collect();
    let order_with = |order: BatchOrder| async move {
        let env = start_with(small_seed(), with_order(order)).await;
        let r = env.send("POST", "/$batch", gets(20)).await;
        assert_eq!(r.status, 200);
        answered(&r)
    };
    let a = order_with(BatchOrder::Seeded(7)).await;
    assert_ne!(a, listed, "independent items do not run in list order");
    let mut sorted = a.clone();
    sorted.sort_by_key(|x| x.parse::<u32>().unwrap());
    assert_eq!(sorted, listed, "every item answered once");
    assert_eq!(
        a,
        order_with(BatchOrder::Seeded(7)).await,
        "same seed, same order"
    );
    assert_ne!(a, order_with(BatchOrder::Seeded(8)).await);
    assert_eq!(order_with(BatchOrder::Listed).await, listed);
    // The default draws a seed and reports it.
    let env = start().await;
    assert!(env.emu.shuffle_seed().is_some());
}

/// A client that writes and reads one object in a batch without `dependsOn`
/// sees the write or not, depending on the order Graph picks; with
/// `dependsOn` it always does.
#[tokio::test]
async fn a_client_depending_on_list_order_is_caught() {
    let batch = |depends: bool| {
        json!({"requests": [
            {"id": "w", "method": "PATCH", "url": format!("/users/{ADELE}"),
             "headers": {"Content-Type": "application/json"}, "body": {"jobTitle": "Changed"}},
            {"id": "r", "method": "GET", "url": format!("/users/{ADELE}?$select=jobTitle"),
             "dependsOn": if depends { json!(["w"]) } else { json!([]) }}
        ]})
    };
    let read = |r: &Resp| {
        r.body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == "r")
            .unwrap()["body"]["jobTitle"]
            .clone()
    };
    let mut stale = 0;
    for seed in 0..16 {
        let env = start_with(small_seed(), with_order(BatchOrder::Seeded(seed))).await;
        let r = env.send("POST", "/$batch", batch(false)).await;
        if read(&r) == "Retail Manager" {
            stale += 1;
        }
        let env = start_with(small_seed(), with_order(BatchOrder::Seeded(seed))).await;
        let r = env.send("POST", "/$batch", batch(true)).await;
        assert_eq!(
            read(&r),
            "Changed",
            "dependsOn orders the items (seed {seed})"
        );
        assert_eq!(answered(&r), ["w", "r"]);
    }
    assert!(
        (1..16).contains(&stale),
        "without dependsOn some orders read before the write: {stale} of 16"
    );
    // In list order the write always comes first: an order-dependent client would pass.
    let env = start_with(small_seed(), with_order(BatchOrder::Listed)).await;
    let r = env.send("POST", "/$batch", batch(false)).await;
    assert_eq!(read(&r), "Changed");
}

#[tokio::test]
async fn depends_on_chains_run_in_order_and_failures_cascade_as_424() {
    let env = start_with(small_seed(), with_order(BatchOrder::Seeded(3))).await;
    let get = |id: &str, url: String, deps: &[&str]| json!({"id": id, "method": "GET", "url": url, "dependsOn": deps});
    let r = env
        .send(
            "POST",
            "/$batch",
            json!({"requests": [
                get("c3", format!("/users/{ADELE}"), &["c2"]),
                get("c1", format!("/users/{ADELE}"), &[]),
                get("c2", format!("/users/{ALEX}"), &["c1"]),
                get("bad", "/users/nobody@contoso.com".into(), &[]),
                get("after-bad", format!("/users/{ADELE}"), &["bad"]),
                get("after-424", format!("/users/{ADELE}"), &["after-bad"]),
                get("free", format!("/users/{MEGAN}"), &[]),
            ]}),
        )
        .await;
    assert_eq!(r.status, 200);
    let order = answered(&r);
    let pos = |id: &str| order.iter().position(|x| x == id).unwrap();
    assert!(pos("c1") < pos("c2") && pos("c2") < pos("c3"), "{order:?}");
    assert!(pos("bad") < pos("after-bad") && pos("after-bad") < pos("after-424"));
    let status = |id: &str| {
        r.body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("bad"), 404);
    assert_eq!(status("after-bad"), 424);
    assert_eq!(
        status("after-424"),
        424,
        "a failed dependency fails its dependents too"
    );
    for id in ["c1", "c2", "c3", "free"] {
        assert_eq!(status(id), 200, "{id}");
    }
}

/// Follow a delta round to its end; the items and the delta link.
async fn round(env: &Env, first: &str, headers: &[(&str, &str)]) -> (Vec<Value>, String) {
    let mut items = Vec::new();
    let mut next = first.to_string();
    loop {
        let r = env.call("GET", &next, None, headers).await;
        assert_eq!(r.status, 200, "{}", r.body);
        items.extend(r.body["value"].as_array().unwrap().iter().cloned());
        if let Some(n) = r.body["@odata.nextLink"].as_str() {
            next = n.to_string();
        } else {
            let link = r.body["@odata.deltaLink"].as_str().unwrap().to_string();
            return (items, link);
        }
    }
}

fn by_id<'a>(items: &'a [Value], id: &str) -> Option<&'a Map<String, Value>> {
    items
        .iter()
        .find(|x| x["id"] == id)
        .and_then(Value::as_object)
}

fn keys(m: &Map<String, Value>) -> Vec<&str> {
    let mut k: Vec<&str> = m.keys().map(String::as_str).collect();
    k.sort();
    k
}

/// Changes of every kind the reader tracks, after a first round.
async fn changes(env: &Env) -> String {
    let (_, users_link) = round(
        env,
        "/users/delta?$select=displayName,jobTitle,city,accountEnabled,manager",
        &[],
    )
    .await;
    let patch = |id: &str, body: Value| {
        let path = format!("/users/{id}");
        async move { assert_eq!(env.send("PATCH", &path, body).await.status, 204) }
    };
    patch(ADELE, json!({"jobTitle": "Chief"})).await;
    patch(BIANCA, json!({"city": null, "accountEnabled": true})).await;
    // Not selected: the user does not show.
    patch(ALEX, json!({"mobilePhone": "+1 555 0100"})).await;
    let r = env
        .send(
            "POST",
            &format!("/users/{ALEX}/revokeSignInSessions"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200);
    // Only the manager.
    let r = env
        .call(
            "PUT",
            &format!("/users/{MEGAN}/manager/$ref"),
            Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/users/{ADELE}")})),
            &[],
        )
        .await;
    assert_eq!(r.status, 204);
    users_link
}

#[tokio::test]
async fn minimal_delta_items_carry_only_what_changed() {
    let env = start_with(
        small_seed(),
        EmulatorConfig {
            delta_minimal: true,
            ..EmulatorConfig::default()
        },
    )
    .await;
    let link = changes(&env).await;
    let r = env
        .send(
            "POST",
            "/users",
            json!({"accountEnabled": true, "displayName": "Nina New", "mailNickname": "nina",
                   "userPrincipalName": "nina@contoso.com", "jobTitle": "Intern",
                   "passwordProfile": {"password": "Initial-Pass-123!"}}),
        )
        .await;
    let nina = r.body["id"].as_str().unwrap().to_string();
    let (items, _) = round(&env, &link, &[]).await;
    assert_eq!(keys(by_id(&items, ADELE).unwrap()), ["id", "jobTitle"]);
    assert_eq!(by_id(&items, ADELE).unwrap()["jobTitle"], "Chief");
    let bianca = by_id(&items, BIANCA).unwrap();
    assert_eq!(keys(bianca), ["accountEnabled", "city", "id"]);
    assert_eq!(
        bianca["city"],
        Value::Null,
        "a cleared property comes as null"
    );
    let megan = by_id(&items, MEGAN).unwrap();
    assert_eq!(keys(megan), ["id", "manager@delta"]);
    assert_eq!(megan["manager@delta"][0]["id"], ADELE);
    assert!(
        by_id(&items, ALEX).is_none(),
        "changes not selected do not show"
    );
    // A new object comes whole.
    let new = by_id(&items, &nina).unwrap();
    assert_eq!(
        keys(new),
        ["accountEnabled", "city", "displayName", "id", "jobTitle"]
    );
    assert_eq!(items.len(), 4, "{items:?}");
}

/// Graph's `Prefer: return=minimal` gives the same shape without the mode;
/// without it every selected property comes back.
#[tokio::test]
async fn prefer_return_minimal_and_graphs_default() {
    let env = start().await;
    let link = changes(&env).await;
    let (minimal, _) = round(&env, &link, &[("Prefer", "return=minimal")]).await;
    assert_eq!(keys(by_id(&minimal, ADELE).unwrap()), ["id", "jobTitle"]);
    assert_eq!(
        keys(by_id(&minimal, MEGAN).unwrap()),
        ["id", "manager@delta"]
    );
    let (full, _) = round(&env, &link, &[]).await;
    let adele = by_id(&full, ADELE).unwrap();
    assert_eq!(
        keys(adele),
        ["accountEnabled", "city", "displayName", "id", "jobTitle"]
    );
    assert!(
        by_id(&full, ALEX).is_none(),
        "changes not selected do not show"
    );
    assert!(by_id(&full, MEGAN).unwrap().contains_key("displayName"));
}

#[tokio::test]
async fn minimal_group_items_and_shuffled_pages() {
    let env = start_with(
        small_seed(),
        EmulatorConfig {
            delta_minimal: true,
            batch_order: BatchOrder::Seeded(11),
            ..EmulatorConfig::default()
        },
    )
    .await;
    let (_, link) = round(
        &env,
        "/groups/delta?$select=displayName,description,members",
        &[],
    )
    .await;
    let r = env
        .send(
            "PATCH",
            &format!("/groups/{PLATFORM}"),
            json!({"description": "Runs the platform"}),
        )
        .await;
    assert_eq!(r.status, 204);
    let r = env
        .send(
            "POST",
            &format!("/groups/{PLATFORM}/members/$ref"),
            json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{MEGAN}")}),
        )
        .await;
    assert_eq!(r.status, 204);
    let (items, _) = round(&env, &link, &[]).await;
    let g = by_id(&items, PLATFORM).unwrap();
    assert_eq!(keys(g), ["description", "id", "members@delta"]);
    assert_eq!(
        g["members@delta"],
        json!([{"@odata.type": "#microsoft.graph.user", "id": MEGAN}])
    );

    // Many changed users on one page come in a shuffled (seeded) order.
    let (_, link) = round(&env, "/users/delta?$select=displayName", &[]).await;
    let mut ids = Vec::new();
    for i in 0..12 {
        let nick = format!("s{i:02}");
        let r = env
            .send(
                "POST",
                "/users",
                json!({"accountEnabled": true, "displayName": nick, "mailNickname": nick,
                       "userPrincipalName": format!("{nick}@contoso.com"),
                       "passwordProfile": {"password": "Initial-Pass-123!"}}),
            )
            .await;
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let (items, _) = round(&env, &link, &[]).await;
    let got: Vec<String> = items
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = got.clone();
    sorted.sort();
    ids.sort();
    assert_eq!(sorted, ids);
    assert_ne!(got, sorted, "not in id order");
}
