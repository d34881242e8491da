//! What scripts call (issue #19), beyond the replayed documentation examples:
//! `$count` segments and their header rule, casts in both spellings, the
//! advanced-query rules, paging and sorting of transitive lists, roles and
//! units in `memberOf`, the limits of the membership functions and
//! `getByIds`, and `$batch` items whose URL carries the version.

use crate::emulator_support::*;

use graph_emulator::{EmulatorConfig, Seed};
use serde_json::{Value, json};

const OUTER: &str = "0a000000-0000-4000-8000-000000000001";
const INNER: &str = "0a000000-0000-4000-8000-000000000002";
const M365: &str = "0a000000-0000-4000-8000-000000000003";
const LAPTOP: &str = "0d000000-0000-4000-8000-00000000d001";
const UNIT: &str = "0e000000-0000-4000-8000-000000000001";

/// The small tenant plus nesting: OUTER ⊃ {INNER, Adele}, INNER ⊃ {Alex,
/// Bianca, a laptop}; INNER holds Helpdesk Administrator; Alex is in a unit;
/// a Microsoft 365 group with Megan.
fn seed() -> Seed {
    let mut v = serde_json::to_value(small_seed()).unwrap();
    v["applications"][0]["clientSecrets"] = json!([SECRET]);
    // What admins' scripts are typically granted: the relationship and
    // membership-function pages list Directory.Read.All for every route here.
    v["applications"][0]["permissions"] = json!(["Directory.Read.All"]);
    v["groups"].as_array_mut().unwrap().extend([
        json!({"id": OUTER, "displayName": "outer", "mailNickname": "outer", "members": [INNER, ADELE]}),
        json!({"id": INNER, "displayName": "inner", "mailNickname": "inner", "members": [ALEX, BIANCA, LAPTOP]}),
        json!({"id": M365, "displayName": "m365", "mailNickname": "m365", "groupTypes": ["Unified"],
               "mailEnabled": true, "securityEnabled": false, "members": [MEGAN]}),
    ]);
    v["directoryObjects"] = json!([{"id": LAPTOP, "type": "device", "displayName": "LAPTOP-42"}]);
    v["roleAssignments"]
        .as_array_mut()
        .unwrap()
        .push(json!({"principalId": INNER, "roleDefinitionId": "Helpdesk Administrator"}));
    v["administrativeUnits"] = json!([{"id": UNIT, "displayName": "Seattle", "members": [ALEX]}]);
    serde_json::from_value(v).unwrap()
}

async fn env() -> Env {
    start_with(seed(), EmulatorConfig::default()).await
}

fn ids(v: &Value) -> Vec<String> {
    v["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value in {v}"))
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

const EVENTUAL: &[(&str, &str)] = &[("ConsistencyLevel", "eventual")];

#[tokio::test]
async fn count_segments_need_the_header_and_follow_casts() {
    let env = env().await;
    let r = env
        .get(&format!("/groups/{OUTER}/transitiveMembers/$count"))
        .await;
    assert_eq!(
        assert_graph_error(&r, 400, "Request_BadRequest"),
        "$count is not currently supported."
    );
    for (path, n) in [
        (format!("/groups/{OUTER}/members/$count"), 2),
        (format!("/groups/{OUTER}/transitiveMembers/$count"), 5),
        (
            format!("/groups/{OUTER}/transitiveMembers/microsoft.graph.user/$count"),
            3,
        ),
        // Kiota-generated SDKs write the cast with the `graph` alias.
        (
            format!("/groups/{OUTER}/transitiveMembers/graph.user/$count"),
            3,
        ),
        (
            format!("/groups/{OUTER}/transitivemembers/microsoft.graph.device/$count"),
            1,
        ),
        (format!("/users/{ALEX}/memberOf/$count"), 4),
        (format!("/users/{ALEX}/memberOf/graph.group/$count"), 3),
        (format!("/users/{ALEX}/transitiveMemberOf/$count"), 6),
        (format!("/users/{ALEX}/directReports/$count"), 2),
        (
            "/users/AlexW@contoso.com/directReports/$count".to_string(),
            2,
        ),
    ] {
        let r = env.call("GET", &path, None, EVENTUAL).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(r.header("content-type"), Some("text/plain"), "{path}");
        assert_eq!(r.body, json!(n), "{path}");
    }
    // A filter narrows the count too.
    let r = env
        .call(
            "GET",
            &format!(
                "/groups/{OUTER}/transitiveMembers/$count?$filter=startswith(displayName,'b')"
            ),
            None,
            EVENTUAL,
        )
        .await;
    assert_eq!(r.body, json!(1), "{}", r.body);
}

#[tokio::test]
async fn member_of_lists_groups_roles_and_units_typed() {
    let env = env().await;
    let r = env.get(&format!("/users/{ALEX}/memberOf")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let types: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["@odata.type"].as_str().unwrap())
        .collect();
    for t in [
        "#microsoft.graph.group",
        "#microsoft.graph.administrativeUnit",
    ] {
        assert!(types.contains(&t), "{types:?}");
    }
    assert!(
        !types.contains(&"#microsoft.graph.directoryRole"),
        "the role is held by a group: not a direct membership"
    );
    let r = env.get(&format!("/users/{ALEX}/transitiveMemberOf")).await;
    let roles: Vec<&Value> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["@odata.type"] == "#microsoft.graph.directoryRole")
        .collect();
    assert_eq!(roles.len(), 1, "{}", r.body);
    assert_eq!(roles[0]["displayName"], "Helpdesk Administrator");
    assert_ne!(
        roles[0]["id"], roles[0]["roleTemplateId"],
        "the directoryRole's own id"
    );
    // Groups have memberOf too: the group above, and the role it holds.
    let r = env.get(&format!("/groups/{INNER}/memberOf")).await;
    assert_eq!(ids(&r.body).len(), 2, "{}", r.body);
    assert!(ids(&r.body).contains(&OUTER.to_string()));
    assert!(
        r.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["displayName"] == "Helpdesk Administrator")
    );
}

#[tokio::test]
async fn casts_and_filters_follow_the_advanced_query_rules() {
    let env = env().await;
    // A cast on a direct relationship works as scripts use it, untyped items, a typed context.
    let r = env
        .get(&format!(
            "/groups/{OUTER}/members/microsoft.graph.user?$select=displayName"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["@odata.context"],
        format!("{}/$metadata#users(displayName)", env.emu.graph_url())
    );
    assert_eq!(r.body["value"], json!([{"displayName": "Adele Vance"}]));
    // On a transitive one it needs ConsistencyLevel and $count=true.
    let path = format!("/groups/{OUTER}/transitiveMembers/microsoft.graph.user");
    let r = env.get(&path).await;
    assert_graph_error(&r, 400, "Request_UnsupportedQuery");
    let r = env
        .call(
            "GET",
            &format!("{path}?$count=true&$orderby=displayName desc"),
            None,
            EVENTUAL,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["@odata.count"], 3);
    let names: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bianca Pisani", "Alex Wilber", "Adele Vance"]);
    // $filter on a relationship is an advanced query.
    let r = env
        .get(&format!(
            "/users/{ALEX}/memberOf?$filter=displayName eq 'inner'"
        ))
        .await;
    assert_graph_error(&r, 400, "Request_UnsupportedQuery");
    let r = env
        .call(
            "GET",
            &format!("/users/{ALEX}/memberOf?$count=true&$filter=displayName eq 'inner'"),
            None,
            EVENTUAL,
        )
        .await;
    assert_eq!(ids(&r.body), [INNER]);
    // A group cannot be a member of a Microsoft 365 group: that cast is refused.
    let r = env
        .call(
            "GET",
            &format!("/groups/{M365}/transitiveMembers/microsoft.graph.group?$count=true"),
            None,
            EVENTUAL,
        )
        .await;
    assert_graph_error(&r, 400, "Request_UnsupportedQuery");
    // A type the relationship cannot hold, and a type Graph does not have.
    let r = env
        .get(&format!("/users/{ALEX}/memberOf/microsoft.graph.user"))
        .await;
    assert_graph_error(&r, 400, "Request_UnsupportedQuery");
    let r = env
        .get(&format!("/users/{ALEX}/memberOf/microsoft.graph.printer"))
        .await;
    assert_eq!(
        assert_graph_error(&r, 400, "BadRequest"),
        "Resource not found for the segment 'microsoft.graph.printer'."
    );
    // Read-only collections.
    let r = env
        .send(
            "POST",
            &format!("/groups/{OUTER}/transitiveMembers"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn transitive_lists_page_by_next_link() {
    let env = env().await;
    let mut next = format!(
        "{}/groups/{OUTER}/transitiveMembers?$top=2",
        env.emu.graph_url()
    );
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let r = env.get(&next).await;
        assert_eq!(r.status, 200, "{}", r.body);
        seen.extend(ids(&r.body));
        pages += 1;
        match r.body["@odata.nextLink"].as_str() {
            Some(n) => next = n.to_string(),
            None => break,
        }
    }
    let mut want = vec![ADELE, ALEX, BIANCA, INNER, LAPTOP];
    want.sort();
    assert_eq!(seen, want);
    assert_eq!(pages, 3);
    // The device is typed as one.
    let r = env.get(&format!("/groups/{INNER}/members")).await;
    assert!(
        r.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["@odata.type"] == "#microsoft.graph.device"
                && x["displayName"] == "LAPTOP-42"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn membership_functions_are_transitive_and_bounded() {
    let env = env().await;
    let r = env
        .send(
            "POST",
            "/users/AlexW@contoso.com/checkMemberGroups",
            json!({"groupIds": [OUTER, M365, INNER, OUTER]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["value"], json!([OUTER, INNER]));
    assert_eq!(
        r.body["@odata.context"],
        format!("{}/$metadata#Collection(Edm.String)", env.emu.graph_url())
    );
    let many: Vec<String> = (0..21).map(|i| format!("{i}")).collect();
    let r = env
        .send(
            "POST",
            &format!("/users/{ALEX}/checkMemberGroups"),
            json!({"groupIds": many}),
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = env
        .send(
            "POST",
            &format!("/directoryObjects/{ALEX}/getMemberObjects"),
            json!({"securityEnabledOnly": false}),
        )
        .await;
    let got = r.body["value"].as_array().unwrap();
    assert_eq!(got.len(), 6, "{}: groups, the role, the unit", r.body);
    assert!(got.contains(&json!(UNIT)));
    let r = env
        .send(
            "POST",
            &format!("/users/{ALEX}/getMemberGroups"),
            json!({"securityEnabledOnly": false}),
        )
        .await;
    assert_eq!(
        r.body["value"].as_array().unwrap().len(),
        5,
        "groups and the role, no unit"
    );
    let r = env
        .send("POST", &format!("/users/{ALEX}/getMemberGroups"), json!({}))
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = env
        .send(
            "POST",
            "/users/nobody@contoso.com/getMemberGroups",
            json!({"securityEnabledOnly": true}),
        )
        .await;
    assert_graph_error(&r, 404, "Request_ResourceNotFound");
}

#[tokio::test]
async fn get_by_ids_filters_types_and_refuses_too_much() {
    let env = env().await;
    let r = env
        .send(
            "POST",
            "/directoryObjects/getByIds",
            json!({"ids": [ALEX, INNER, LAPTOP, "00000000-0000-0000-0000-000000000000"], "types": ["User", "microsoft.graph.group"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids(&r.body), [ALEX, INNER]);
    assert_eq!(r.body["value"][0]["@odata.type"], "#microsoft.graph.user");
    let r = env
        .send(
            "POST",
            "/directoryObjects/getByIds",
            json!({"ids": [LAPTOP]}),
        )
        .await;
    assert_eq!(r.body["value"][0]["@odata.type"], "#microsoft.graph.device");
    let ids: Vec<String> = (0..1001).map(|i| format!("{i}")).collect();
    let r = env
        .send("POST", "/directoryObjects/getByIds", json!({"ids": ids}))
        .await;
    assert_eq!(
        assert_graph_error(&r, 400, "Request_BadRequest"),
        "Number of included identifiers cannot exceed '1000'."
    );
    let r = env
        .send(
            "POST",
            "/directoryObjects/getByIds?$select=id",
            json!({"ids": [ALEX]}),
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = env
        .send(
            "POST",
            "/directoryObjects/getByIds",
            json!({"ids": [ALEX], "types": ["printer"]}),
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    assert_eq!(env.get("/directoryObjects/getByIds").await.status, 405);
}

#[tokio::test]
async fn batch_items_with_a_version_prefix_fail_as_in_graph() {
    let env = env().await;
    let r = env
        .send(
            "POST",
            "/$batch",
            json!({"requests": [
                {"id": "1", "method": "GET", "url": format!("/v1.0/users/{ALEX}")},
                {"id": "2", "method": "GET", "url": format!("/users/{ALEX}")},
                {"id": "3", "method": "GET", "url": "beta/users"},
                {"id": "4", "method": "GET", "url": format!("/groups/{OUTER}/transitiveMembers/$count"),
                 "headers": {"ConsistencyLevel": "eventual"}}
            ]}),
        )
        .await;
    assert_eq!(r.status, 200, "the batch itself is well formed: {}", r.body);
    let item = |id: &str| {
        r.body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap()
            .clone()
    };
    for (id, seg) in [("1", "v1.0"), ("3", "beta")] {
        let it = item(id);
        assert_eq!(it["status"], 400, "{it}");
        assert_eq!(it["body"]["error"]["code"], "BadRequest");
        assert_eq!(
            it["body"]["error"]["message"],
            format!("Resource not found for the segment '{seg}'.")
        );
    }
    assert_eq!(item("2")["status"], 200);
    assert_eq!(item("4")["status"], 200);
    assert_eq!(item("4")["body"], "5", "a $count item's body is the text");
}

#[tokio::test]
async fn metrics_name_the_new_routes() {
    let env = env().await;
    env.call(
        "GET",
        &format!("/groups/{OUTER}/transitiveMembers/graph.user/$count"),
        None,
        EVENTUAL,
    )
    .await;
    env.send("POST", "/directoryObjects/getByIds", json!({"ids": [ALEX]}))
        .await;
    env.send(
        "POST",
        &format!("/users/{ALEX}/checkMemberGroups"),
        json!({"groupIds": []}),
    )
    .await;
    let m = env.emu.metrics();
    for route in [
        "GET /groups/{id}/transitiveMembers/microsoft.graph.user/$count",
        "POST /directoryObjects/getByIds",
        "POST /users/{id}/checkMemberGroups",
    ] {
        assert_eq!(m.by_route.get(route), Some(&1), "{route}: {:?}", m.by_route);
    }
}
