//! The emulator's Temporary Access Pass endpoints (issue #17) against
//! Microsoft's reference (authentication-post-temporaryaccesspassmethods,
//! resources/temporaryaccesspassauthenticationmethod): the pass only in the
//! create answer, one pass per user, the API's lifetime bounds, the write
//! permission, no pass for a guest.

use crate::emulator_support::*;
use serde_json::{Value, json};

const PATH: &str = "/authentication/temporaryAccessPassMethods";

#[tokio::test]
async fn a_pass_is_shown_once_and_replaces_the_previous_one() {
    let env = start().await;
    let url = format!("/users/{ADELE}{PATH}");
    let first = env
        .send(
            "POST",
            &url,
            json!({"lifetimeInMinutes": 480, "isUsableOnce": true}),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(
        first.body["temporaryAccessPass"]
            .as_str()
            .is_some_and(|p| p.len() >= 8)
    );
    assert_eq!(first.body["isUsable"], true);
    assert_eq!(first.body["methodUsabilityReason"], "EnabledByPolicy");
    let second = env.send("POST", &url, json!({})).await;
    assert_eq!(second.status, 201, "{}", second.body);
    assert_eq!(second.body["lifetimeInMinutes"], 60, "the default lifetime");
    let list = env.get(&url).await;
    assert_eq!(list.status, 200);
    let items = list.body["value"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one pass per user: {}", list.body);
    assert_eq!(items[0]["id"], second.body["id"]);
    assert_eq!(items[0]["temporaryAccessPass"], Value::Null);
    // By UPN too.
    let by_upn = env.get(&format!("/users/AdeleV@contoso.com{PATH}")).await;
    assert_eq!(by_upn.body["value"][0]["id"], second.body["id"]);
}

#[tokio::test]
async fn lifetimes_outside_the_api_bounds_and_unknown_properties_are_refused() {
    let env = start().await;
    let url = format!("/users/{ADELE}{PATH}");
    for minutes in [9, 43_201, -1] {
        let r = env
            .send("POST", &url, json!({"lifetimeInMinutes": minutes}))
            .await;
        let m = assert_graph_error(&r, 400, "Request_BadRequest");
        assert!(m.contains("between 10 and 43200"), "{m}");
    }
    let r = env.send("POST", &url, json!({"lifetime": 60})).await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = env
        .send(
            "POST",
            &url,
            json!({"startDateTime": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["isUsable"], false);
    assert_eq!(r.body["methodUsabilityReason"], "NotYetValid");
    let r = env
        .send(
            "POST",
            "/users/00000000-0000-4000-8000-00000000dead/authentication/temporaryAccessPassMethods",
            json!({}),
        )
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn creating_a_pass_needs_a_write_permission() {
    let mut env = start().await;
    let app = env.emu.state().applications[0].app_id.clone();
    env.token = env
        .emu
        .issue_token_with(&app, &["User.Read.All", "UserAuthMethod-TAP.Read.All"]);
    let url = format!("/users/{ADELE}{PATH}");
    let r = env.send("POST", &url, json!({})).await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    assert_eq!(env.get(&url).await.status, 200, "reading is allowed");
    for write in [
        "UserAuthMethod-TAP.ReadWrite.All",
        "UserAuthenticationMethod.ReadWrite.All",
    ] {
        env.token = env.emu.issue_token_with(&app, &[write]);
        let r = env.send("POST", &url, json!({})).await;
        assert_eq!(r.status, 201, "{write}: {}", r.body);
    }
}

#[tokio::test]
async fn a_guest_gets_no_pass() {
    let mut env = start().await;
    env.grant(&[]);
    let guest = env
        .send(
            "POST",
            "/users",
            json!({"accountEnabled": true, "displayName": "Guest", "mailNickname": "guest",
                   "userPrincipalName": "guest_fabrikam.com#EXT#@contoso.com", "userType": "Guest",
                   "passwordProfile": {"password": "xWwvJ]6NMw+bWH-d"}}),
        )
        .await;
    assert_eq!(guest.status, 201, "{}", guest.body);
    let id = guest.body["id"].as_str().unwrap();
    let r = env
        .send("POST", &format!("/users/{id}{PATH}"), json!({}))
        .await;
    let m = assert_graph_error(&r, 400, "Request_BadRequest");
    assert!(m.contains("external guest user"), "{m}");
}
