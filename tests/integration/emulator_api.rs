//! The emulator's Graph endpoints over real HTTP: users, managers, groups,
//! members, deleted items, roles, delta, `$batch`, auth, control endpoints.

use crate::emulator_support;

use emulator_support::*;
use serde_json::{Value, json};

fn ids(v: &Value) -> Vec<String> {
    v["value"]
        .as_array()
        .expect("value array")
        .iter()
        .map(|x| x["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn missing_or_bad_bearer_token_is_401() {
    let env = start().await;
    let r = env.http.get(env.url("/users")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("request-id").is_some());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "InvalidAuthenticationToken");
    assert_eq!(v["error"]["message"], "Access token is empty.");

    let r = env
        .http
        .get(env.url("/users"))
        .bearer_auth("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    env.emu.expire_token(&env.token);
    let r = env.get("/users").await;
    let msg = assert_graph_error(&r, 401, "InvalidAuthenticationToken");
    assert!(msg.contains("expired"));
    assert_eq!(env.emu.metrics().unauthorized, 3);
}

#[tokio::test]
async fn token_endpoint_rejects_bad_secret_and_scope() {
    let env = start().await;
    let post = |form: String| env.http.post(env.emu.token_url()).body(form).send();
    let r = post(format!(
        "client_id={CLIENT_ID}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_secret=wrong&grant_type=client_credentials"
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_client");
    assert_eq!(v["error_codes"][0], 7000215);
    let r = post(format!(
        "client_id={CLIENT_ID}&scope=https%3A%2F%2Ffoo.microsoft.com%2F.default&client_secret={SECRET}&grant_type=client_credentials"
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_scope");
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS70011")
    );
}

#[tokio::test]
async fn list_users_default_properties_and_headers() {
    let env = start().await;
    let r = env.get("/users").await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/json;odata.metadata=minimal")
    );
    assert_eq!(r.header("odata-version"), Some("4.0"));
    assert!(r.header("request-id").is_some());
    assert_eq!(r.header("client-request-id"), r.header("request-id"));
    assert_eq!(
        r.body["@odata.context"],
        format!("{}/$metadata#users", env.emu.graph_url())
    );
    let users = r.body["value"].as_array().unwrap();
    assert_eq!(users.len(), 4);
    let adele = users.iter().find(|u| u["id"] == ADELE).unwrap();
    let keys: Vec<&str> = adele
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "businessPhones",
        "displayName",
        "givenName",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
        "id",
    ] {
        assert!(keys.contains(&k), "{k} missing");
    }
    assert_eq!(keys.len(), 11);
    assert!(adele.get("passwordProfile").is_none());
}

#[tokio::test]
async fn client_request_id_is_echoed() {
    let env = start().await;
    let r = env
        .call("GET", "/users", None, &[("client-request-id", "abc-123")])
        .await;
    assert_eq!(r.header("client-request-id"), Some("abc-123"));
    assert_ne!(r.header("request-id"), Some("abc-123"));
}

#[tokio::test]
async fn select_top_and_paging() {
    let env = start().await;
    let r = env.get("/users?$select=id,DisplayName&$top=3").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["@odata.context"],
        format!("{}/$metadata#users(id,displayName)", env.emu.graph_url())
    );
    let first = ids(&r.body);
    assert_eq!(first.len(), 3);
    assert_eq!(r.body["value"][0].as_object().unwrap().len(), 2);
    let next = r.body["@odata.nextLink"].as_str().unwrap().to_string();
    assert!(next.contains("$skiptoken="));
    let r2 = env.get(&next).await;
    let second = ids(&r2.body);
    assert_eq!(second.len(), 1);
    assert!(r2.body.get("@odata.nextLink").is_none());
    assert!(!first.contains(&second[0]));
    assert_eq!(r2.body["value"][0].as_object().unwrap().len(), 2);
}

#[tokio::test]
async fn bad_top_and_unknown_select_are_graph_errors() {
    let env = start().await;
    let msg = assert_graph_error(
        &env.get("/users?$top=1000").await,
        400,
        "Request_UnsupportedQuery",
    );
    assert_eq!(
        msg,
        "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."
    );
    assert_graph_error(&env.get("/users?$top=abc").await, 400, "Request_BadRequest");
    let msg = assert_graph_error(
        &env.get("/users?$select=foo").await,
        400,
        "Request_BadRequest",
    );
    assert!(msg.contains("'foo'") && msg.contains("microsoft.graph.user"));
    assert_graph_error(&env.get("/users?$skip=2").await, 400, "Request_BadRequest");
}

#[tokio::test]
async fn filters_and_advanced_queries() {
    let env = start().await;
    let r = env.get("/users?$filter=startswith(displayName,'a')").await;
    assert_eq!(ids(&r.body).len(), 2);
    let r = env.get("/users?$filter=accountEnabled eq false").await;
    assert_eq!(ids(&r.body), vec![BIANCA]);
    let r = env
        .get("/users?$filter=department in ('Sales','Retail')")
        .await;
    assert_eq!(ids(&r.body).len(), 2);
    let r = env
        .get(&format!(
            "/users?$filter=id eq '{ALEX}' or userPrincipalName eq 'meganb@contoso.com'"
        ))
        .await;
    assert_eq!(ids(&r.body).len(), 2);

    let msg = assert_graph_error(
        &env.get("/users?$filter=endswith(mail,'@contoso.com')")
            .await,
        400,
        "Request_UnsupportedQuery",
    );
    assert!(msg.starts_with(
        "Operator 'endsWith' is not supported because the required parameters might be missing."
    ));
    assert_graph_error(
        &env.get("/users?$filter=department ne 'Sales'").await,
        400,
        "Request_UnsupportedQuery",
    );
    // With ConsistencyLevel + $count the same queries work and carry @odata.count.
    let r = env
        .get_eventual("/users?$filter=department ne 'Sales'&$count=true")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["@odata.count"], 3);
    let r = env
        .get_eventual(
            "/users?$filter=endswith(userPrincipalName,'@contoso.com')&$count=true&$top=1",
        )
        .await;
    assert_eq!(r.body["@odata.count"], 4);
    assert_eq!(ids(&r.body).len(), 1);
    // $count without the header is ignored, not an error.
    let r = env.get("/users?$count=true").await;
    assert_eq!(r.status, 200);
    assert!(r.body.get("@odata.count").is_none());
    let msg = assert_graph_error(
        &env.get("/users?$filter=aboutMe eq 'x'").await,
        400,
        "Request_UnsupportedQuery",
    );
    assert!(msg.contains("'aboutMe'"));
}

#[tokio::test]
async fn search_needs_consistency_level() {
    let env = start().await;
    let r = env.get("/users?$search=\"displayName:wil\"").await;
    let msg = assert_graph_error(&r, 400, "Request_UnsupportedQuery");
    assert!(msg.contains("ConsistencyLevel: eventual"));
    let r = env.get_eventual("/users?$search=\"displayName:wil\"").await;
    assert_eq!(ids(&r.body), vec![ALEX]);
    let r = env
        .get_eventual("/users?$search=\"displayName:a\" AND \"mail:adelev\"&$count=true")
        .await;
    assert_eq!(ids(&r.body), vec![ADELE]);
    assert_eq!(r.body["@odata.count"], 1);
    let r = env
        .get_eventual("/groups?$search=\"description:platform\"")
        .await;
    assert_eq!(ids(&r.body), vec![PLATFORM]);
    assert_graph_error(
        &env.get_eventual("/users?$search=\"city:x\"").await,
        400,
        "Request_UnsupportedQuery",
    );
}

#[tokio::test]
async fn count_segment() {
    let env = start().await;
    let msg = assert_graph_error(&env.get("/users/$count").await, 400, "Request_BadRequest");
    assert_eq!(msg, "$count is not currently supported.");
    let r = env.get_eventual("/users/$count").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    assert_eq!(r.body, json!(4));
}

#[tokio::test]
async fn orderby_display_name_both_ways_with_paging() {
    let env = start().await;
    let r = env
        .get("/users?$orderby=displayName&$select=displayName&$top=2")
        .await;
    let names: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Adele Vance", "Alex Wilber"]);
    let r = env.get(r.body["@odata.nextLink"].as_str().unwrap()).await;
    let names: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bianca Pisani", "Megan Bowen"]);
    let r = env
        .get("/users?$orderby=userPrincipalName desc&$select=userPrincipalName&$top=1")
        .await;
    assert_eq!(
        r.body["value"][0]["userPrincipalName"],
        "MeganB@contoso.com"
    );
    // $orderby with $filter needs the advanced mode.
    assert_graph_error(
        &env.get("/users?$filter=accountEnabled eq true&$orderby=displayName")
            .await,
        400,
        "Request_UnsupportedQuery",
    );
}

#[tokio::test]
async fn expand_manager_rules() {
    let env = start().await;
    let r = env
        .get("/users?$expand=manager&$select=id,displayName")
        .await;
    let bianca = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == BIANCA)
        .unwrap()
        .clone();
    assert_eq!(bianca["manager"]["id"], ALEX);
    assert_eq!(bianca["manager"]["@odata.type"], "#microsoft.graph.user");
    assert!(bianca["manager"].get("manager").is_none());
    // Nested $select needs $levels, and $levels needs the advanced mode.
    assert_graph_error(
        &env.get("/users?$expand=manager($select=id)").await,
        400,
        "Request_BadRequest",
    );
    assert_graph_error(
        &env.get("/users?$expand=manager($levels=max;$select=id)")
            .await,
        400,
        "Request_UnsupportedQuery",
    );
    let r = env
        .get_eventual(&format!("/users/{BIANCA}?$expand=manager($levels=max;$select=id,displayName)&$select=id,displayName&$count=true"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["manager"]["id"], ALEX);
    assert_eq!(r.body["manager"]["manager"]["id"], ADELE);
    assert_eq!(r.body["manager"]["manager"]["displayName"], "Adele Vance");
    assert!(r.body["manager"]["manager"].get("manager").is_none());
    assert_graph_error(
        &env.get("/users?$expand=memberOf").await,
        400,
        "Request_BadRequest",
    );
}

#[tokio::test]
async fn get_user_by_id_upn_and_unknown() {
    let env = start().await;
    let r = env.get(&format!("/users/{ADELE}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["@odata.context"],
        format!("{}/$metadata#users/$entity", env.emu.graph_url())
    );
    let r = env
        .get("/users/adelev@contoso.com?$select=displayName,city")
        .await;
    assert_eq!(r.body["displayName"], "Adele Vance");
    assert_eq!(r.body["city"], "Seattle");
    assert!(r.body.get("id").is_none());
    assert_eq!(
        r.body["@odata.context"],
        format!(
            "{}/$metadata#users(displayName,city)/$entity",
            env.emu.graph_url()
        )
    );
    let r = env.get("/users/nobody@contoso.com").await;
    let msg = assert_graph_error(&r, 404, "Request_ResourceNotFound");
    assert_eq!(
        msg,
        "Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present."
    );
    assert_graph_error(&env.get("/me").await, 400, "Request_BadRequest");
    let r = env.get("/nonsense").await;
    assert_graph_error(&r, 400, "BadRequest");
}

#[tokio::test]
async fn create_user_rules() {
    let env = start().await;
    let body = json!({
        "accountEnabled": true, "displayName": "Sawyer Miller", "mailNickname": "sawyer.miller",
        "userPrincipalName": "sawyer.miller@contoso.com",
        "passwordProfile": { "forceChangePasswordNextSignIn": true, "password": "xWwvJ]6NMw+bWH-d" }
    });
    let r = env.send("POST", "/users", body.clone()).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.body["@odata.context"],
        format!("{}/$metadata#users/$entity", env.emu.graph_url())
    );
    assert!(r.body["id"].is_string());
    assert_eq!(r.body["businessPhones"], json!([]));
    assert!(r.body.get("passwordProfile").is_none());
    let r = env.send("POST", "/users", body.clone()).await;
    let msg = assert_graph_error(&r, 400, "Request_BadRequest");
    assert_eq!(
        msg,
        "Another object with the same value for property userPrincipalName already exists."
    );
    assert_eq!(r.body["error"]["details"][0]["code"], "ObjectConflict");
    let mut missing = body.clone();
    missing.as_object_mut().unwrap().remove("mailNickname");
    missing["userPrincipalName"] = json!("x@contoso.com");
    let msg = assert_graph_error(
        &env.send("POST", "/users", missing).await,
        400,
        "Request_BadRequest",
    );
    assert!(msg.contains("'mailNickname'"));
    let mut weak = body.clone();
    weak["userPrincipalName"] = json!("y@contoso.com");
    weak["passwordProfile"]["password"] = json!("password");
    let msg = assert_graph_error(
        &env.send("POST", "/users", weak).await,
        400,
        "Request_BadRequest",
    );
    assert!(msg.contains("password complexity"));
    let mut domain = body.clone();
    domain["userPrincipalName"] = json!("z@fabrikam.com");
    let msg = assert_graph_error(
        &env.send("POST", "/users", domain).await,
        400,
        "Request_BadRequest",
    );
    assert!(msg.contains("verified domain"));
    let mut unknown = body;
    unknown["userPrincipalName"] = json!("w@contoso.com");
    unknown["favouriteColour"] = json!("red");
    assert_graph_error(
        &env.send("POST", "/users", unknown).await,
        400,
        "Request_BadRequest",
    );
}

#[tokio::test]
async fn patch_delete_restore_and_purge() {
    let env = start().await;
    let r = env
        .send(
            "PATCH",
            &format!("/users/{ADELE}"),
            json!({"jobTitle": "CEO", "accountEnabled": false}),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(r.body, Value::Null);
    let r = env
        .get(&format!("/users/{ADELE}?$select=jobTitle,accountEnabled"))
        .await;
    assert_eq!(r.body["jobTitle"], "CEO");
    assert_eq!(r.body["accountEnabled"], false);
    // Directory-synced users cannot be edited in the cloud.
    let r = env
        .send(
            "PATCH",
            &format!("/users/{MEGAN}"),
            json!({"jobTitle": "x"}),
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    // Delete is soft; the UPN is free again and the user is listed in deleted items.
    assert_eq!(env.delete(&format!("/users/{ALEX}")).await.status, 204);
    assert_graph_error(
        &env.get(&format!("/users/{ALEX}")).await,
        404,
        "Request_ResourceNotFound",
    );
    let r = env
        .get("/directory/deletedItems/microsoft.graph.user")
        .await;
    assert!(ids(&r.body).contains(&ALEX.to_string()));
    assert!(ids(&r.body).contains(&OLD.to_string()));
    // While deleted, Entra prefixes the UPN with the object id without dashes.
    let alex = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == ALEX)
        .unwrap()
        .clone();
    assert_eq!(
        alex["userPrincipalName"],
        format!("{}AlexW@contoso.com", ALEX.replace('-', ""))
    );
    let r = env.get(&format!("/directory/deletedItems/{ALEX}")).await;
    assert!(r.body["deletedDateTime"].is_string());
    // Alex's reports lost their manager, his memberships are gone.
    assert_graph_error(
        &env.get(&format!("/users/{BIANCA}/manager")).await,
        404,
        "Request_ResourceNotFound",
    );
    let members = env.get(&format!("/groups/{PLATFORM}/members")).await;
    assert_eq!(ids(&members.body), vec![BIANCA]);
    // Restore brings back the memberships.
    let r = env
        .call(
            "POST",
            &format!("/directory/deletedItems/{ALEX}/restore"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["@odata.type"], "#microsoft.graph.user");
    assert_eq!(
        r.body["@odata.context"],
        format!("{}/$metadata#directoryObjects/$entity", env.emu.graph_url())
    );
    assert_eq!(r.body["userPrincipalName"], "AlexW@contoso.com");
    assert_eq!(env.get("/users/AlexW@contoso.com").await.status, 200);
    assert_eq!(
        ids(&env.get(&format!("/groups/{PLATFORM}/members")).await.body).len(),
        2
    );
    assert_eq!(
        env.get(&format!("/users/{ALEX}/manager")).await.body["id"],
        ADELE
    );
    // Permanent delete.
    assert_eq!(
        env.delete(&format!("/directory/deletedItems/{OLD}"))
            .await
            .status,
        204
    );
    assert_graph_error(
        &env.delete(&format!("/directory/deletedItems/{OLD}")).await,
        404,
        "Request_ResourceNotFound",
    );
    assert_graph_error(
        &env.get("/directory/deletedItems").await,
        400,
        "Request_BadRequest",
    );
}

#[tokio::test]
async fn restore_conflicts_when_upn_reused() {
    let env = start().await;
    assert_eq!(env.delete(&format!("/users/{ADELE}")).await.status, 204);
    let body = json!({
        "accountEnabled": true, "displayName": "New Adele", "mailNickname": "AdeleV",
        "userPrincipalName": "AdeleV@contoso.com",
        "passwordProfile": { "password": "Abcdefgh1!" }
    });
    assert_eq!(env.send("POST", "/users", body).await.status, 201);
    let r = env
        .call(
            "POST",
            &format!("/directory/deletedItems/{ADELE}/restore"),
            None,
            &[],
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
}

#[tokio::test]
async fn manager_endpoints() {
    let mut env = start().await;
    let r = env.get(&format!("/users/{ALEX}/manager")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["id"], ADELE);
    assert_eq!(r.body["@odata.type"], "#microsoft.graph.user");
    let msg = assert_graph_error(
        &env.get(&format!("/users/{ADELE}/manager")).await,
        404,
        "Request_ResourceNotFound",
    );
    assert!(msg.starts_with("Resource 'manager' does not exist"));
    let r = env
        .send(
            "PUT",
            &format!("/users/{ADELE}/manager/$ref"),
            json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/users/{MEGAN}")}),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        env.get(&format!("/users/{ADELE}/manager")).await.body["id"],
        MEGAN
    );
    let reports = env.get(&format!("/users/{ALEX}/directReports")).await;
    assert_eq!(
        reports.body["@odata.context"],
        format!("{}/$metadata#directoryObjects", env.emu.graph_url())
    );
    let mut r_ids = ids(&reports.body);
    r_ids.sort();
    let mut want = vec![BIANCA.to_string(), MEGAN.to_string()];
    want.sort();
    assert_eq!(r_ids, want);
    assert_eq!(
        env.delete(&format!("/users/{ALEX}/manager/$ref"))
            .await
            .status,
        204
    );
    assert_graph_error(
        &env.delete(&format!("/users/{ALEX}/manager/$ref")).await,
        404,
        "Request_ResourceNotFound",
    );
    let r = env
        .send("PUT", &format!("/users/{ALEX}/manager/$ref"), json!({"@odata.id": "https://graph.microsoft.com/v1.0/users/00000000-0000-0000-0000-000000000000"}))
        .await;
    assert_graph_error(&r, 404, "Request_ResourceNotFound");
    // user-list-memberof: Directory.Read.All (GroupMember.Read.All is not listed).
    let refused = env.get(&format!("/users/{BIANCA}/memberOf")).await;
    assert_graph_error(&refused, 403, "Authorization_RequestDenied");
    env.grant(&["Directory.Read.All"]);
    let m = env.get(&format!("/users/{BIANCA}/memberOf")).await;
    assert_eq!(m.body["value"].as_array().unwrap().len(), 2);
    assert_eq!(m.body["value"][0]["@odata.type"], "#microsoft.graph.group");
}

#[tokio::test]
async fn revoke_sign_in_sessions() {
    let env = start().await;
    let r = env
        .call(
            "POST",
            &format!("/users/{ADELE}/revokeSignInSessions"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["value"], true);
    let r = env
        .get(&format!(
            "/users/{ADELE}?$select=signInSessionsValidFromDateTime"
        ))
        .await;
    assert!(r.body["signInSessionsValidFromDateTime"].is_string());
}

#[tokio::test]
async fn groups_crud_and_members() {
    let env = start().await;
    let r = env
        .get("/groups?$filter=displayName eq 'platform-engineers'")
        .await;
    assert_eq!(ids(&r.body), vec![PLATFORM]);
    let r = env
        .get("/groups?$filter=groupTypes/any(c:c eq 'DynamicMembership')")
        .await;
    assert_eq!(ids(&r.body), vec![DYNAMIC]);
    let r = env.get(&format!("/groups/{DYNAMIC}")).await;
    assert_eq!(
        r.body["membershipRule"],
        "(user.department -eq \"Engineering\")"
    );

    let r = env
        .send("POST", "/groups", json!({
            "displayName": "sales", "mailEnabled": false, "mailNickname": "sales", "securityEnabled": true,
            "members@odata.bind": [format!("https://graph.microsoft.com/v1.0/directoryObjects/{MEGAN}")]
        }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let sales = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        ids(&env.get(&format!("/groups/{sales}/members")).await.body),
        vec![MEGAN]
    );
    let missing = env
        .send(
            "POST",
            "/groups",
            json!({"displayName": "x", "mailEnabled": false, "securityEnabled": true}),
        )
        .await;
    assert!(assert_graph_error(&missing, 400, "Request_BadRequest").contains("mailNickname"));

    // $ref add, existing member, remove, non-member.
    let add = |id: &str| json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")});
    assert_eq!(
        env.send("POST", &format!("/groups/{sales}/members/$ref"), add(ADELE))
            .await
            .status,
        204
    );
    let r = env
        .send("POST", &format!("/groups/{sales}/members/$ref"), add(ADELE))
        .await;
    let msg = assert_graph_error(&r, 400, "Request_BadRequest");
    assert_eq!(
        msg,
        "One or more added object references already exist for the following modified properties: 'members'."
    );
    assert_graph_error(
        &env.send(
            "POST",
            &format!("/groups/{sales}/members/$ref"),
            add("00000000-0000-4000-8000-000000000000"),
        )
        .await,
        404,
        "Request_ResourceNotFound",
    );
    assert_eq!(
        env.delete(&format!("/groups/{sales}/members/{ADELE}/$ref"))
            .await
            .status,
        204
    );
    let r = env
        .delete(&format!("/groups/{sales}/members/{ADELE}/$ref"))
        .await;
    let msg = assert_graph_error(&r, 404, "Request_ResourceNotFound");
    assert!(msg.starts_with(&format!("Resource '{sales}' does not exist")));

    // $ref listing.
    let r = env.get(&format!("/groups/{PLATFORM}/members/$ref")).await;
    let refs: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["@odata.id"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), 2);
    assert!(refs.iter().all(
        |r| r.contains("/directoryObjects/") && r.ends_with("Microsoft.DirectoryServices.User")
    ));

    // PATCH with members@odata.bind: all or nothing, at most 20.
    let bind = |ids: &[&str]| json!({"members@odata.bind": ids.iter().map(|i| format!("https://graph.microsoft.com/v1.0/directoryObjects/{i}")).collect::<Vec<_>>()});
    let r = env
        .send("PATCH", &format!("/groups/{sales}"), bind(&[ADELE, MEGAN]))
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    assert_eq!(
        ids(&env.get(&format!("/groups/{sales}/members")).await.body),
        vec![MEGAN]
    );
    assert_eq!(
        env.send("PATCH", &format!("/groups/{sales}"), bind(&[ADELE, ALEX]))
            .await
            .status,
        204
    );
    assert_eq!(
        ids(&env.get(&format!("/groups/{sales}/members")).await.body).len(),
        3
    );
    let many: Vec<String> = (0..21)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect();
    let many_refs: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_graph_error(
        &env.send("PATCH", &format!("/groups/{sales}"), bind(&many_refs))
            .await,
        400,
        "Request_BadRequest",
    );
    assert_eq!(
        env.send(
            "PATCH",
            &format!("/groups/{sales}"),
            json!({"description": "Sales team"})
        )
        .await
        .status,
        204
    );
    assert_eq!(
        env.get(&format!("/groups/{sales}")).await.body["description"],
        "Sales team"
    );

    // Security groups are deleted for good.
    assert_eq!(env.delete(&format!("/groups/{sales}")).await.status, 204);
    assert_graph_error(
        &env.get(&format!("/groups/{sales}")).await,
        404,
        "Request_ResourceNotFound",
    );
    assert!(
        ids(&env
            .get("/directory/deletedItems/microsoft.graph.group")
            .await
            .body)
        .is_empty()
    );
}

#[tokio::test]
async fn dynamic_group_members_cannot_be_written() {
    let env = start().await;
    let add =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{MEGAN}")});
    let r = env
        .send("POST", &format!("/groups/{DYNAMIC}/members/$ref"), add)
        .await;
    let msg = assert_graph_error(&r, 403, "Authorization_RequestDenied");
    assert_eq!(msg, "Insufficient privileges to complete the operation.");
    assert_graph_error(
        &env.delete(&format!("/groups/{DYNAMIC}/members/{ALEX}/$ref"))
            .await,
        403,
        "Authorization_RequestDenied",
    );
    let bind = json!({"members@odata.bind": [format!("https://graph.microsoft.com/v1.0/directoryObjects/{MEGAN}")]});
    assert_graph_error(
        &env.send("PATCH", &format!("/groups/{DYNAMIC}"), bind).await,
        403,
        "Authorization_RequestDenied",
    );
    assert_eq!(
        env.get(&format!("/groups/{DYNAMIC}/members")).await.body["value"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn role_definitions_and_assignments() {
    let env = start().await;
    let r = env.get("/roleManagement/directory/roleDefinitions").await;
    assert_eq!(r.status, 200);
    let defs = r.body["value"].as_array().unwrap();
    assert!(defs.len() > 50);
    let ga = defs
        .iter()
        .find(|d| d["displayName"] == "Global Administrator")
        .unwrap();
    assert_eq!(ga["id"], "62e90394-69f5-4237-9190-012177145e10");
    assert_eq!(ga["templateId"], ga["id"]);
    assert_eq!(ga["isBuiltIn"], true);
    let r = env.get("/roleManagement/directory/roleDefinitions?$filter=displayName eq 'Helpdesk Administrator'").await;
    assert_eq!(ids(&r.body), vec!["729827e3-9c14-49f7-bb1b-9608f156bbb8"]);

    let r = env
        .get(&format!(
            "/roleManagement/directory/roleAssignments?$filter=principalId eq '{ADELE}'"
        ))
        .await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(
        r.body["value"][0]["roleDefinitionId"],
        "62e90394-69f5-4237-9190-012177145e10"
    );
    assert_eq!(r.body["value"][0]["directoryScopeId"], "/");

    let body = json!({
        "@odata.type": "#microsoft.graph.unifiedRoleAssignment",
        "roleDefinitionId": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "principalId": MEGAN, "directoryScopeId": "/"
    });
    let r = env
        .send(
            "POST",
            "/roleManagement/directory/roleAssignments",
            body.clone(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert!(id.ends_with("-1"));
    assert_graph_error(
        &env.send("POST", "/roleManagement/directory/roleAssignments", body)
            .await,
        400,
        "Request_BadRequest",
    );
    let r = env
        .get("/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq '729827e3-9c14-49f7-bb1b-9608f156bbb8'&$expand=principal")
        .await;
    assert_eq!(
        r.body["@odata.context"],
        format!(
            "{}/$metadata#roleManagement/directory/roleAssignments(principal())",
            env.emu.graph_url()
        )
    );
    assert_eq!(
        r.body["value"][0]["principal"]["@odata.type"],
        "#microsoft.graph.user"
    );
    assert_eq!(r.body["value"][0]["principal"]["id"], MEGAN);
    assert_eq!(
        env.delete(&format!("/roleManagement/directory/roleAssignments/{id}"))
            .await
            .status,
        204
    );
    assert_graph_error(
        &env.delete(&format!("/roleManagement/directory/roleAssignments/{id}"))
            .await,
        404,
        "Request_ResourceNotFound",
    );
}

#[tokio::test]
async fn batch_items_dependson_and_limits() {
    let env = start().await;
    let body = json!({ "requests": [
        { "id": "1", "method": "GET", "url": format!("/users/{ADELE}?$select=displayName") },
        { "id": "2", "method": "GET", "url": "users/nobody@contoso.com" },
        { "id": "3", "dependsOn": ["2"], "method": "DELETE", "url": format!("/users/{MEGAN}") },
        { "id": "4", "method": "PATCH", "url": format!("/users/{ADELE}"), "body": {"jobTitle": "Boss"},
          "headers": {"Content-Type": "application/json"} },
        { "id": "5", "dependsOn": ["4"], "method": "GET", "url": format!("/users/{ADELE}?$select=jobTitle") },
        { "id": "6", "method": "GET", "url": "users?$select=id&$filter=endswith(mail,'contoso.com')&$count=true",
          "headers": {"ConsistencyLevel": "eventual"} }
    ]});
    let r = env.send("POST", "/$batch", body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let responses = r.body["responses"].as_array().unwrap();
    let by_id = |id: &str| responses.iter().find(|x| x["id"] == id).unwrap().clone();
    assert_eq!(by_id("1")["status"], 200);
    assert_eq!(by_id("1")["body"]["displayName"], "Adele Vance");
    assert!(
        by_id("1")["headers"]["Content-Type"]
            .as_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(by_id("2")["status"], 404);
    assert_eq!(
        by_id("2")["body"]["error"]["code"],
        "Request_ResourceNotFound"
    );
    assert_eq!(by_id("3")["status"], 424);
    assert_eq!(by_id("4")["status"], 204);
    assert!(by_id("4").get("body").is_none());
    assert_eq!(by_id("5")["body"]["jobTitle"], "Boss");
    assert_eq!(by_id("6")["body"]["@odata.count"], 1);
    // Megan was not deleted because her request's dependency failed.
    assert_eq!(env.get(&format!("/users/{MEGAN}")).await.status, 200);
    let m = env.emu.metrics();
    assert_eq!(m.batch_inner_requests, 5);
    assert_eq!(m.by_route.get("POST /$batch"), Some(&1));
    assert_eq!(m.batch_inner_by_route.get("GET /users/{id}"), Some(&3));

    let reqs: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users"}))
        .collect();
    let r = env
        .send("POST", "/$batch", json!({ "requests": reqs }))
        .await;
    assert_graph_error(&r, 400, "BadRequest");
    let dup = json!({"requests": [{"id": "a", "method": "GET", "url": "/users"}, {"id": "A", "method": "GET", "url": "/users"}]});
    assert_graph_error(&env.send("POST", "/$batch", dup).await, 400, "BadRequest");
}

#[tokio::test]
async fn delta_rounds() {
    let env = start().await;
    // Initial round in pages of 2.
    let mut url = "/users/delta?$select=displayName".to_string();
    let mut seen = Vec::new();
    let delta_link = loop {
        let r = env
            .call("GET", &url, None, &[("Prefer", "odata.maxpagesize=2")])
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        seen.extend(ids(&r.body));
        if let Some(n) = r.body["@odata.nextLink"].as_str() {
            url = n.to_string();
        } else {
            break r.body["@odata.deltaLink"].as_str().unwrap().to_string();
        }
    };
    assert_eq!(seen.len(), 4);
    // No changes: empty value, a new deltaLink.
    let r = env.get(&delta_link).await;
    assert_eq!(r.body["value"], json!([]));
    assert!(r.body["@odata.deltaLink"].is_string());
    // Changes after the link: one update, one soft delete.
    env.send(
        "PATCH",
        &format!("/users/{ADELE}"),
        json!({"displayName": "Adele V."}),
    )
    .await;
    env.delete(&format!("/users/{BIANCA}")).await;
    let r = env.get(&delta_link).await;
    let value = r.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 2);
    let adele = value.iter().find(|v| v["id"] == ADELE).unwrap();
    assert_eq!(adele["displayName"], "Adele V.");
    assert_eq!(adele.as_object().unwrap().len(), 2);
    let bianca = value.iter().find(|v| v["id"] == BIANCA).unwrap();
    assert_eq!(bianca["@removed"]["reason"], "changed");
    let next_link = r.body["@odata.deltaLink"].as_str().unwrap().to_string();
    env.delete(&format!("/directory/deletedItems/{BIANCA}"))
        .await;
    let r = env.get(&next_link).await;
    assert_eq!(r.body["value"][0]["@removed"]["reason"], "deleted");

    // Groups: members@delta, then only membership changes.
    let r = env.get("/groups/delta?$select=displayName,members").await;
    let platform = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == PLATFORM)
        .unwrap()
        .clone();
    assert_eq!(
        platform["members@delta"].as_array().unwrap().len(),
        1,
        "{platform}"
    );
    let link = r.body["@odata.deltaLink"].as_str().unwrap().to_string();
    env.send(
        "POST",
        &format!("/groups/{PLATFORM}/members/$ref"),
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{MEGAN}")}),
    )
    .await;
    env.delete(&format!("/groups/{PLATFORM}/members/{ALEX}/$ref"))
        .await;
    let r = env.get(&link).await;
    let value = r.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    let md = value[0]["members@delta"].as_array().unwrap();
    assert_eq!(md.len(), 2);
    assert!(
        md.iter()
            .any(|m| m["id"] == MEGAN && m.get("@removed").is_none())
    );
    assert!(
        md.iter()
            .any(|m| m["id"] == ALEX && m["@removed"]["reason"] == "deleted")
    );
    assert_eq!(md[0]["@odata.type"], "#microsoft.graph.user");
}

#[tokio::test]
async fn state_and_metrics_endpoints() {
    let env = start().await;
    env.get("/users").await;
    env.get(&format!("/users/{ADELE}")).await;
    env.get(&format!("/users/{ALEX}")).await;
    let r = env
        .http
        .get(format!("{}/_emulator/metrics", env.emu.base_url()))
        .send()
        .await
        .unwrap();
    let m: Value = r.json().await.unwrap();
    assert_eq!(m["totalRequests"], 3);
    assert_eq!(m["byRoute"]["GET /users"], 1);
    assert_eq!(m["byRoute"]["GET /users/{id}"], 2);
    assert_eq!(m["tokenRequests"], 1);
    let r = env
        .http
        .get(format!("{}/_emulator/state", env.emu.base_url()))
        .send()
        .await
        .unwrap();
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["users"].as_array().unwrap().len(), 4);
    assert_eq!(s["deletedUsers"].as_array().unwrap().len(), 1);
    let text = s.to_string();
    assert!(!text.contains(SECRET), "secrets must not be dumped");
    assert!(s["applications"][0].get("clientSecrets").is_none());
    // The dump is a valid seed.
    let seed: graph_emulator::Seed = serde_json::from_value(s).unwrap();
    assert_eq!(seed.groups.len(), 2);
    env.http
        .delete(format!("{}/_emulator/metrics", env.emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(env.emu.metrics().total_requests, 0);
}

/// Shutdown (dropping a `BackgroundEmulator`) lets a request already being
/// answered finish, then releases the port: no wall-clock bound, the
/// behaviour itself is asserted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_emulator_from_sync_code() {
    let config = graph_emulator::EmulatorConfig {
        faults: graph_emulator::FaultConfig {
            latency_ms: 300,
            ..Default::default()
        },
        ..Default::default()
    };
    let emu = tokio::task::spawn_blocking(|| {
        graph_emulator::BackgroundEmulator::start(small_seed(), config).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        emu.client_credentials(),
        Some((CLIENT_ID.to_string(), SECRET.to_string()))
    );
    let token = emu.issue_token(CLIENT_ID);
    let url = emu.graph_url();
    let addr: std::net::SocketAddr = emu
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    // Keep the client (and its pooled keep-alive connection) alive across shutdown.
    let http = reqwest::Client::new();
    let in_flight = {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        tokio::spawn(async move {
            http.get(format!("{url}/users/{ADELE}"))
                .bearer_auth(&token)
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    // Wait until the server is answering it (inside its 300 ms latency).
    while emu.in_flight() == 0 {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    tokio::task::spawn_blocking(move || drop(emu))
        .await
        .unwrap();
    assert_eq!(
        in_flight
            .await
            .unwrap()
            .expect("the in-flight request finishes"),
        200
    );
    // The port is released: nothing answers there, and it can be bound again.
    assert!(
        http.get(format!("{url}/users"))
            .bearer_auth(&token)
            .send()
            .await
            .is_err()
    );
    std::net::TcpListener::bind(addr).expect("the port is free again");
}

#[tokio::test]
async fn large_member_lists_split_across_delta_pages() {
    let env = start_with(
        small_seed(),
        graph_emulator::EmulatorConfig {
            delta_member_cap: 1,
            ..Default::default()
        },
    )
    .await;
    let mut url = "/groups/delta?$select=displayName,members".to_string();
    let mut platform_items = 0;
    let mut members = Vec::new();
    loop {
        let r = env.get(&url).await;
        assert_eq!(r.status, 200, "{}", r.body);
        for g in r.body["value"].as_array().unwrap() {
            assert!(g["members@delta"].as_array().is_none_or(|m| m.len() <= 1));
            if g["id"] == PLATFORM {
                platform_items += 1;
                members.extend(ids(&json!({"value": g["members@delta"]})));
            }
        }
        match r.body["@odata.nextLink"].as_str() {
            Some(n) => url = n.to_string(),
            None => break,
        }
    }
    assert_eq!(platform_items, 2, "the group object is repeated");
    members.sort();
    let mut want = vec![ALEX.to_string(), BIANCA.to_string()];
    want.sort();
    assert_eq!(members, want);
}

#[tokio::test]
async fn single_entities_counts_and_wrong_methods() {
    let env = start().await;
    assert_eq!(env.get_eventual("/groups/$count").await.body, json!(2));
    let r = env
        .get("/roleManagement/directory/roleDefinitions/62e90394-69f5-4237-9190-012177145e10")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["displayName"], "Global Administrator");
    assert!(
        r.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("roleDefinitions/$entity")
    );
    let list = env
        .get(&format!(
            "/roleManagement/directory/roleAssignments?$filter=principalId eq '{ADELE}'"
        ))
        .await;
    let id = list.body["value"][0]["id"].as_str().unwrap().to_string();
    let r = env
        .get(&format!("/roleManagement/directory/roleAssignments/{id}"))
        .await;
    assert_eq!(r.body["principalId"], ADELE);
    assert_graph_error(
        &env.get("/roleManagement/directory/roleAssignments/nope-1")
            .await,
        404,
        "Request_ResourceNotFound",
    );
    let r = env.call("PUT", "/users", None, &[]).await;
    let msg = assert_graph_error(&r, 405, "Request_BadRequest");
    assert_eq!(
        msg,
        "Specified HTTP method is not allowed for the request target."
    );
    let r = env
        .call("GET", "/users?$filter=startswith(displayName", None, &[])
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = env
        .http
        .post(env.url("/users"))
        .bearer_auth(&env.token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "BadRequest");
}

const GA_TEMPLATE: &str = "62e90394-69f5-4237-9190-012177145e10";
const HELPDESK_TEMPLATE: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
const USER_ADMIN_TEMPLATE: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";

fn dir_obj(id: &str) -> Value {
    json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")})
}

/// Template ids of the roles `GET /directoryRoles` lists.
async fn listed_templates(env: &Env) -> Vec<String> {
    let r = env.get("/directoryRoles").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["roleTemplateId"].as_str().unwrap().to_string())
        .collect()
}

async fn principal_roles(env: &Env, principal: &str) -> Vec<(String, String)> {
    let r = env
        .get(&format!(
            "/roleManagement/directory/roleAssignments?$filter=principalId eq '{principal}'"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["roleDefinitionId"].as_str().unwrap().to_string(),
                a["directoryScopeId"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn directory_roles_list_only_activated_roles() {
    let env = start().await;
    let r = env.get("/directoryRoles").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["@odata.context"],
        format!("{}/$metadata#directoryRoles", env.emu.graph_url())
    );
    // The small seed assigns only Global Administrator.
    let roles = r.body["value"].as_array().unwrap();
    assert_eq!(roles.len(), 1, "{}", r.body);
    let ga = &roles[0];
    assert_eq!(ga["displayName"], "Global Administrator");
    assert_eq!(ga["roleTemplateId"], GA_TEMPLATE);
    assert!(ga["description"].is_string());
    assert!(ga["deletedDateTime"].is_null());
    let ga_id = ga["id"].as_str().unwrap().to_string();
    assert_ne!(ga_id, GA_TEMPLATE);
    assert_eq!(ga_id.len(), 36);

    // Stable: the same tenant gets the same object id in another server.
    let env2 = start().await;
    assert_eq!(
        env2.get("/directoryRoles").await.body["value"][0]["id"],
        ga_id.as_str()
    );

    // By object id and by the roleTemplateId alternate key (both spellings).
    for path in [
        format!("/directoryRoles/{ga_id}"),
        format!("/directoryRoles(roleTemplateId='{GA_TEMPLATE}')"),
        format!("/directoryRoles/roleTemplateId={GA_TEMPLATE}"),
    ] {
        let r = env.get(&path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(
            r.body["@odata.context"],
            format!("{}/$metadata#directoryRoles/$entity", env.emu.graph_url())
        );
        assert_eq!(r.body["id"], ga_id.as_str());
        assert_eq!(r.body["roleTemplateId"], GA_TEMPLATE);
    }
    let r = env
        .get(&format!(
            "/directoryRoles?$filter=roleTemplateId eq '{GA_TEMPLATE}'&$select=id,displayName"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["@odata.context"],
        format!(
            "{}/$metadata#directoryRoles(id,displayName)",
            env.emu.graph_url()
        )
    );
    assert_eq!(ids(&r.body), vec![ga_id.clone()]);
    assert!(r.body["value"][0].get("roleTemplateId").is_none());
    let r = env
        .get("/directoryRoles?$filter=displayName eq 'Directory Readers'")
        .await;
    assert_eq!(ids(&r.body), Vec::<String>::new());
    let r = env
        .get(&format!("/directoryRoles/{ga_id}?$select=displayName"))
        .await;
    assert_eq!(r.body["displayName"], "Global Administrator");
    assert!(r.body.get("roleTemplateId").is_none());

    // Members: typed directory objects.
    let r = env.get(&format!("/directoryRoles/{ga_id}/members")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["@odata.context"],
        format!("{}/$metadata#directoryObjects", env.emu.graph_url())
    );
    // Adele, and entraform's own service principal (the small seed makes it a
    // Global Administrator so it may act on Adele).
    assert_eq!(
        ids(&r.body),
        vec![ADELE, "f8ca5a85-489a-49a0-b555-0a6d81e56f0d"]
    );
    assert_eq!(r.body["value"][0]["@odata.type"], "#microsoft.graph.user");
    assert_eq!(
        r.body["value"][1]["@odata.type"],
        "#microsoft.graph.servicePrincipal"
    );
    let r = env
        .get(&format!(
            "/directoryRoles(roleTemplateId='{GA_TEMPLATE}')/members/$ref"
        ))
        .await;
    assert!(
        r.body["value"][0]["@odata.id"]
            .as_str()
            .unwrap()
            .ends_with(&format!(
                "/directoryObjects/{ADELE}/Microsoft.DirectoryServices.User"
            ))
    );

    // A role with no assignment is not activated: absent from the list, 404 by template.
    assert!(
        !listed_templates(&env)
            .await
            .contains(&HELPDESK_TEMPLATE.to_string())
    );
    assert_graph_error(
        &env.get(&format!(
            "/directoryRoles(roleTemplateId='{HELPDESK_TEMPLATE}')"
        ))
        .await,
        404,
        "Request_ResourceNotFound",
    );
    // A roleManagement assignment activates it.
    let r = env
        .send(
            "POST",
            "/roleManagement/directory/roleAssignments",
            json!({"roleDefinitionId": HELPDESK_TEMPLATE, "principalId": MEGAN, "directoryScopeId": "/"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let assignment = r.body["id"].as_str().unwrap().to_string();
    assert!(
        listed_templates(&env)
            .await
            .contains(&HELPDESK_TEMPLATE.to_string())
    );
    let r = env
        .get(&format!(
            "/directoryRoles(roleTemplateId='{HELPDESK_TEMPLATE}')/members"
        ))
        .await;
    assert_eq!(ids(&r.body), vec![MEGAN]);
    // ... and stays activated when its last assignment goes, as in Graph.
    assert_eq!(
        env.delete(&format!(
            "/roleManagement/directory/roleAssignments/{assignment}"
        ))
        .await
        .status,
        204
    );
    assert!(
        listed_templates(&env)
            .await
            .contains(&HELPDESK_TEMPLATE.to_string())
    );
    let r = env
        .get(&format!(
            "/directoryRoles(roleTemplateId='{HELPDESK_TEMPLATE}')/members"
        ))
        .await;
    assert_eq!(ids(&r.body), Vec::<String>::new());
}

#[tokio::test]
async fn directory_role_members_share_role_assignments() {
    let env = start().await;
    // Activate User Administrator, as Graph requires before members can be added.
    let r = env
        .send(
            "POST",
            "/directoryRoles",
            json!({"roleTemplateId": USER_ADMIN_TEMPLATE}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["roleTemplateId"], USER_ADMIN_TEMPLATE);
    assert_eq!(r.body["displayName"], "User Administrator");
    let role_id = r.body["id"].as_str().unwrap().to_string();
    assert_graph_error(
        &env.send(
            "POST",
            "/directoryRoles",
            json!({"roleTemplateId": USER_ADMIN_TEMPLATE}),
        )
        .await,
        400,
        "Request_BadRequest",
    );
    assert!(
        listed_templates(&env)
            .await
            .contains(&USER_ADMIN_TEMPLATE.to_string())
    );

    // Add by object id.
    let r = env
        .send(
            "POST",
            &format!("/directoryRoles/{role_id}/members/$ref"),
            dir_obj(ALEX),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.body, Value::Null);
    assert_eq!(
        principal_roles(&env, ALEX).await,
        vec![(USER_ADMIN_TEMPLATE.to_string(), "/".to_string())]
    );

    // Add by template id (a group and the app's service principal work too).
    let r = env
        .send(
            "POST",
            &format!("/directoryRoles(roleTemplateId='{USER_ADMIN_TEMPLATE}')/members/$ref"),
            dir_obj(MEGAN),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        principal_roles(&env, MEGAN).await,
        vec![(USER_ADMIN_TEMPLATE.to_string(), "/".to_string())]
    );
    let r = env.get(&format!("/directoryRoles/{role_id}/members")).await;
    let count = env
        .get_eventual(&format!("/directoryRoles/{role_id}/members/$count"))
        .await;
    assert_eq!(count.status, 200);
    assert_eq!(count.body, json!(2));
    let mut got = ids(&r.body);
    got.sort();
    let mut want = vec![ALEX.to_string(), MEGAN.to_string()];
    want.sort();
    assert_eq!(got, want);

    // Adding an existing member fails as Graph does, by either key.
    for path in [
        format!("/directoryRoles/{role_id}/members/$ref"),
        format!("/directoryRoles/roleTemplateId={USER_ADMIN_TEMPLATE}/members/$ref"),
    ] {
        let msg = assert_graph_error(
            &env.send("POST", &path, dir_obj(ALEX)).await,
            400,
            "Request_BadRequest",
        );
        assert_eq!(
            msg,
            "One or more added object references already exist for the following modified properties: 'members'."
        );
    }
    // A member added through roleManagement is a member here too, and is "already there".
    let r = env
        .send(
            "POST",
            "/roleManagement/directory/roleAssignments",
            json!({"roleDefinitionId": USER_ADMIN_TEMPLATE, "principalId": BIANCA, "directoryScopeId": "/"}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        env.send(
            "POST",
            &format!("/directoryRoles/{role_id}/members/$ref"),
            dir_obj(BIANCA)
        )
        .await
        .status,
        400
    );
    // An administrative-unit-scoped assignment is not a directoryRole member.
    let r = env
        .send(
            "POST",
            "/roleManagement/directory/roleAssignments",
            json!({"roleDefinitionId": USER_ADMIN_TEMPLATE, "principalId": ADELE,
                   "directoryScopeId": "/administrativeUnits/5d107bba-d8e2-4e13-b6ae-884be90e5d1a"}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert!(
        !ids(&env
            .get(&format!("/directoryRoles/{role_id}/members"))
            .await
            .body)
        .contains(&ADELE.to_string())
    );

    // Unknown principal → 404 naming it.
    let ghost = "00000000-0000-4000-8000-00000000dead";
    let msg = assert_graph_error(
        &env.send(
            "POST",
            &format!("/directoryRoles/{role_id}/members/$ref"),
            dir_obj(ghost),
        )
        .await,
        404,
        "Request_ResourceNotFound",
    );
    assert!(msg.contains(ghost), "{msg}");

    // Remove.
    assert_eq!(
        env.delete(&format!("/directoryRoles/{role_id}/members/{ALEX}/$ref"))
            .await
            .status,
        204
    );
    assert_eq!(
        principal_roles(&env, ALEX).await,
        Vec::<(String, String)>::new()
    );
    assert_graph_error(
        &env.delete(&format!("/directoryRoles/{role_id}/members/{ALEX}/$ref"))
            .await,
        404,
        "Request_ResourceNotFound",
    );
    assert_eq!(
        env.delete(&format!(
            "/directoryRoles(roleTemplateId='{USER_ADMIN_TEMPLATE}')/members/{BIANCA}/$ref"
        ))
        .await
        .status,
        204
    );
    assert_eq!(
        principal_roles(&env, BIANCA).await,
        Vec::<(String, String)>::new()
    );

    // Metrics name the routes by template.
    let m = env.emu.metrics();
    assert_eq!(m.by_route["POST /directoryRoles/{id}/members/$ref"], 4);
    assert_eq!(
        m.by_route["DELETE /directoryRoles(roleTemplateId={roleTemplateId})/members/{memberId}/$ref"],
        1
    );
    assert_eq!(m.by_route["GET /directoryRoles"], 1);
}

#[tokio::test]
async fn unknown_directory_roles_are_graph_404s() {
    let env = start().await;
    let unknown = "11111111-2222-4333-8444-555555555555";
    for (method, path, body) in [
        ("GET", format!("/directoryRoles/{unknown}"), None),
        ("GET", format!("/directoryRoles/{unknown}/members"), None),
        (
            "POST",
            format!("/directoryRoles/{unknown}/members/$ref"),
            Some(dir_obj(ALEX)),
        ),
        (
            "POST",
            format!("/directoryRoles(roleTemplateId='{unknown}')/members/$ref"),
            Some(dir_obj(ALEX)),
        ),
        (
            "DELETE",
            format!("/directoryRoles/{unknown}/members/{ADELE}/$ref"),
            None,
        ),
        // The template id is not the directoryRole's object id.
        ("GET", format!("/directoryRoles/{GA_TEMPLATE}"), None),
    ] {
        let r = env.call(method, &path, body, &[]).await;
        let msg = assert_graph_error(&r, 404, "Request_ResourceNotFound");
        assert!(
            msg.starts_with("Resource '") && msg.ends_with(
                "' does not exist or one of its queried reference-property objects are not present."
            ),
            "{path}: {msg}"
        );
    }
    // Not activated and not assigned: the object id of a real role is still 404.
    let r = env
        .send(
            "POST",
            &format!("/directoryRoles(roleTemplateId='{HELPDESK_TEMPLATE}')/members/$ref"),
            dir_obj(ALEX),
        )
        .await;
    assert_graph_error(&r, 404, "Request_ResourceNotFound");
    // Implicit user roles cannot be activated.
    let msg = assert_graph_error(
        &env.send(
            "POST",
            "/directoryRoles",
            json!({"roleTemplateId": "a0b1b346-4d3e-4e8b-98f8-753987be4970"}),
        )
        .await,
        400,
        "Request_BadRequest",
    );
    assert_eq!(msg, "Instantiating an implicit user role is not supported.");
    // Wrong method on a known path.
    assert_eq!(env.delete("/directoryRoles").await.status, 405);
    // Delta is not emulated: a clear 400, not a 404 for a role named "delta".
    assert_graph_error(
        &env.get("/directoryRoles/delta").await,
        400,
        "Request_UnsupportedQuery",
    );
    assert_eq!(env.emu.metrics().by_route["GET /directoryRoles/delta"], 1);
    assert_graph_error(
        &env.get("/directoryRoles/$count").await,
        400,
        "Request_UnsupportedQuery",
    );
}
