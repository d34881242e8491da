//! The emulator as faithful to Graph as Microsoft's SDKs need it (issue #15):
//! permission enforcement per endpoint (fail closed, per `$batch` item),
//! sensitive actions on privileged users, the `graph.` type-cast alias on
//! every cast route, `$levels` refused on the users list, group owners
//! (endpoints, binds, `owners@delta`), the commit-then-fail fault and
//! refused delta `$select` properties.

use crate::emulator_support;

use emulator_support::*;
use graph_emulator::{EmulatorConfig, FaultConfig, Seed};
use serde_json::{Value, json};

/// entraform's service principal in the small seed (holds Global Administrator there).
const SP: &str = "f8ca5a85-489a-49a0-b555-0a6d81e56f0d";
const UNIT: &str = "a0000000-0000-4000-8000-00000000a001";
const HIDDEN: &str = "a0000000-0000-4000-8000-00000000a002";

/// The small seed plus an administrative unit (and a hidden-membership one)
/// and an owner on the platform group.
fn seed() -> Seed {
    let mut v = serde_json::to_value(small_seed()).unwrap();
    v["applications"][0]["clientSecrets"] = json!([SECRET]);
    v["groups"][0]["owners"] = json!([ALEX]);
    v["administrativeUnits"] = json!([
        { "id": UNIT, "displayName": "Sales", "members": [BIANCA] },
        { "id": HIDDEN, "displayName": "Board", "visibility": "HiddenMembership", "members": [MEGAN] }
    ]);
    serde_json::from_value(v).unwrap()
}

async fn env() -> Env {
    start_with(seed(), EmulatorConfig::default()).await
}

fn ids(body: &Value) -> Vec<String> {
    let mut v: Vec<String> = body["value"]
        .as_array()
        .unwrap_or_else(|| panic!("a collection: {body}"))
        .iter()
        .map(|x| x["id"].as_str().unwrap_or("").to_string())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn the_graph_alias_works_on_every_cast_route() {
    let mut env = env().await;
    // memberOf needs Directory.Read.All (user-list-memberof); the rest the documented grants.
    env.grant(&["Directory.Read.All"]);
    let routes = [
        (
            format!("/groups/{PLATFORM}/members"),
            "user",
            vec![ALEX, BIANCA],
        ),
        (format!("/groups/{PLATFORM}/owners"), "user", vec![ALEX]),
        (
            format!("/users/{ALEX}/directReports"),
            "user",
            vec![BIANCA, MEGAN],
        ),
        (
            format!("/users/{BIANCA}/memberOf"),
            "group",
            vec![PLATFORM, DYNAMIC],
        ),
        ("/directory/deletedItems".to_string(), "user", vec![OLD]),
        (
            format!("/directory/administrativeUnits/{UNIT}/members"),
            "user",
            vec![BIANCA],
        ),
    ];
    for (base, ty, want) in routes {
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        want.sort();
        let long = env.get(&format!("{base}/microsoft.graph.{ty}")).await;
        let alias = env.get(&format!("{base}/graph.{ty}")).await;
        assert_eq!(
            long.status, 200,
            "{base}/microsoft.graph.{ty}: {}",
            long.body
        );
        assert_eq!(alias.status, 200, "{base}/graph.{ty}: {}", alias.body);
        assert_eq!(ids(&long.body), want, "{base}");
        assert_eq!(ids(&alias.body), want, "{base} (alias)");
        // The cast names the type's entity set, as Graph's example 4 of group-list-members.
        let set = if ty == "user" { "users" } else { "groups" };
        assert!(
            alias.body["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with(&format!("$metadata#{set}")),
            "{base}: {}",
            alias.body
        );
        // A cast to a type the relationship may hold but does not: an empty
        // page (directReports holds users and contacts, memberOf groups, roles
        // and units; members devices too).
        if !base.contains("deletedItems") {
            let absent = if base.ends_with("directReports") {
                "orgContact"
            } else if base.ends_with("memberOf") {
                "directoryRole"
            } else {
                "device"
            };
            let none = env.get(&format!("{base}/graph.{absent}")).await;
            assert_eq!(none.status, 200, "{base}/graph.{absent}: {}", none.body);
            assert_eq!(ids(&none.body), Vec::<String>::new());
        }
    }
    // $select applies to the cast type's properties.
    let r = env
        .get(&format!(
            "/groups/{PLATFORM}/members/graph.user?$select=id,jobTitle"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body["value"][0].get("jobTitle").is_some());
    assert!(r.body["value"][0].get("@odata.type").is_none());
    // The delta function and $ref bodies take the alias too.
    assert_eq!(env.get("/users/graph.delta()?$select=id").await.status, 200);
    let r = env
        .send(
            "POST",
            &format!("/groups/{PLATFORM}/members/$ref"),
            json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{MEGAN}/graph.user")}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
}

#[tokio::test]
async fn levels_on_the_users_list_are_refused() {
    let env = env().await;
    let r = env
        .get_eventual("/users?$expand=manager($levels=max;$select=id)&$count=true")
        .await;
    let msg = assert_graph_error(&r, 400, "Request_Unsupported");
    assert_eq!(
        msg,
        "Transitive manager's list is only supported on a single user, send the $expand request on /users/{id} endpoint"
    );
    // On one user it is served.
    let r = env
        .get_eventual(&format!(
            "/users/{BIANCA}?$expand=manager($levels=max;$select=id)&$count=true"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["manager"]["manager"]["id"], ADELE);
    // Plain $expand=manager on the list stays served.
    assert_eq!(env.get("/users?$expand=manager").await.status, 200);
}

#[tokio::test]
async fn permissions_are_enforced_per_request_and_per_batch_item() {
    let mut env = env().await;
    let users = format!("/users/{BIANCA}");
    // Nothing granted: Graph's 403 on reads and writes.
    env.token = env.emu.issue_token_with(CLIENT_ID, &[]);
    let msg = assert_graph_error(&env.get("/users").await, 403, "Authorization_RequestDenied");
    assert_eq!(msg, "Insufficient privileges to complete the operation.");
    // The token carries no roles claim at all (as Entra's for an app granted nothing).
    let claims = env.token.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&graph_emulator::util::b64_decode(claims).unwrap()).unwrap();
    assert!(claims.get("roles").is_none(), "{claims}");
    // Only User.Read.All: users may be read, not written; groups not read.
    env.token = env.emu.issue_token_with(CLIENT_ID, &["User.Read.All"]);
    assert_eq!(env.get(&users).await.status, 200);
    let patch = json!({"jobTitle": "Lead"});
    assert_graph_error(
        &env.send("PATCH", &users, patch.clone()).await,
        403,
        "Authorization_RequestDenied",
    );
    assert_graph_error(
        &env.get("/groups").await,
        403,
        "Authorization_RequestDenied",
    );
    assert_eq!(
        env.emu
            .state()
            .users
            .iter()
            .filter(|u| u.properties.get("jobTitle") == Some(&json!("Lead")))
            .count(),
        0
    );
    // Inside $batch each item is checked on its own; the batch itself needs nothing.
    let r = env
        .send(
            "POST",
            "/$batch",
            json!({"requests": [
                {"id": "read", "method": "GET", "url": users},
                {"id": "write", "method": "PATCH", "url": users, "headers": {"Content-Type": "application/json"}, "body": patch},
                {"id": "groups", "method": "GET", "url": "/groups"}
            ]}),
        )
        .await;
    assert_eq!(r.status, 200);
    let status = |id: &str| {
        r.body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .map(|x| x["status"].as_u64().unwrap())
    };
    assert_eq!(
        (status("read"), status("write"), status("groups")),
        (Some(200), Some(403), Some(403))
    );
    // A permission granted: the write goes through.
    env.token = env
        .emu
        .issue_token_with(CLIENT_ID, &["User.Read.All", "User.ReadUpdate.All"]);
    assert_eq!(env.send("PATCH", &users, patch).await.status, 204);
    // A property with its own permission: phones need User-Phone.ReadWrite.All.
    let phone = json!({"mobilePhone": "+1 425 555 0100"});
    assert_graph_error(
        &env.send("PATCH", &users, phone.clone()).await,
        403,
        "Authorization_RequestDenied",
    );
    env.token = env
        .emu
        .issue_token_with(CLIENT_ID, &["User-Phone.ReadWrite.All"]);
    assert_eq!(env.send("PATCH", &users, phone).await.status, 204);
    // No application may update employeeHireDate, whatever it is granted.
    env.grant(&["Directory.ReadWrite.All"]);
    assert_graph_error(
        &env.send(
            "PATCH",
            &users,
            json!({"employeeHireDate": "2021-03-01T00:00:00Z"}),
        )
        .await,
        403,
        "Authorization_RequestDenied",
    );
    // PATCH /groups: properties need Group.ReadWrite.All, a members bind GroupMember.ReadWrite.All.
    let group = format!("/groups/{PLATFORM}");
    env.token = env
        .emu
        .issue_token_with(CLIENT_ID, &["GroupMember.ReadWrite.All"]);
    assert_graph_error(
        &env.send("PATCH", &group, json!({"description": "x"})).await,
        403,
        "Authorization_RequestDenied",
    );
    let bind = json!({"members@odata.bind": [format!("https://graph.microsoft.com/v1.0/directoryObjects/{MEGAN}")]});
    assert_eq!(env.send("PATCH", &group, bind).await.status, 204);
    env.token = env
        .emu
        .issue_token_with(CLIENT_ID, &["Group.ReadWrite.All"]);
    assert_eq!(
        env.send("PATCH", &group, json!({"description": "x"}))
            .await
            .status,
        204
    );
    // Hidden membership: Member.Read.Hidden as well.
    env.token = env
        .emu
        .issue_token_with(CLIENT_ID, &["AdministrativeUnit.Read.All"]);
    let hidden = format!("/directory/administrativeUnits/{HIDDEN}/members");
    assert_graph_error(&env.get(&hidden).await, 403, "Authorization_RequestDenied");
    assert_eq!(
        env.get(&format!("/directory/administrativeUnits/{UNIT}/members"))
            .await
            .status,
        200
    );
    env.token = env.emu.issue_token_with(
        CLIENT_ID,
        &["AdministrativeUnit.Read.All", "Member.Read.Hidden"],
    );
    assert_eq!(env.get(&hidden).await.status, 200);
}

/// One request per route the emulator serves (every arm of `router::route`
/// and `directory_roles::route`), for the fail-closed check below.
fn every_route() -> Vec<(&'static str, String, Option<Value>)> {
    let r = |u: &str| json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{u}")});
    let ga = "62e90394-69f5-4237-9190-012177145e10";
    let helpdesk = "729827e3-9c14-49f7-bb1b-9608f156bbb8";
    vec![
        ("GET", "/users".into(), None),
        ("GET", "/users/$count".into(), None),
        ("GET", "/users/delta".into(), None),
        ("GET", format!("/users/{BIANCA}"), None),
        ("GET", format!("/users/{BIANCA}/manager"), None),
        ("GET", format!("/users/{ALEX}/directReports"), None),
        (
            "GET",
            format!("/users/{ALEX}/directReports/graph.user"),
            None,
        ),
        ("GET", format!("/users/{BIANCA}/memberOf"), None),
        ("GET", format!("/users/{BIANCA}/memberOf/graph.group"), None),
        ("GET", "/groups".into(), None),
        ("GET", "/groups/$count".into(), None),
        ("GET", "/groups/delta".into(), None),
        ("GET", format!("/groups/{PLATFORM}"), None),
        ("GET", format!("/groups/{PLATFORM}/members"), None),
        ("GET", format!("/groups/{PLATFORM}/members/$ref"), None),
        (
            "GET",
            format!("/groups/{PLATFORM}/members/graph.user"),
            None,
        ),
        ("GET", format!("/groups/{PLATFORM}/owners"), None),
        ("GET", format!("/groups/{PLATFORM}/owners/$ref"), None),
        ("GET", format!("/groups/{PLATFORM}/owners/graph.user"), None),
        ("GET", "/directory/deletedItems/graph.user".into(), None),
        ("GET", format!("/directory/deletedItems/{OLD}"), None),
        ("GET", "/directory/administrativeUnits".into(), None),
        (
            "GET",
            format!("/directory/administrativeUnits/{UNIT}"),
            None,
        ),
        (
            "GET",
            format!("/directory/administrativeUnits/{UNIT}/members"),
            None,
        ),
        (
            "GET",
            format!("/directory/administrativeUnits/{UNIT}/members/$ref"),
            None,
        ),
        (
            "GET",
            format!("/directory/administrativeUnits/{UNIT}/members/graph.user"),
            None,
        ),
        (
            "GET",
            "/roleManagement/directory/roleDefinitions".into(),
            None,
        ),
        (
            "GET",
            format!("/roleManagement/directory/roleDefinitions/{ga}"),
            None,
        ),
        (
            "GET",
            "/roleManagement/directory/roleAssignments".into(),
            None,
        ),
        ("GET", "/directoryRoles".into(), None),
        (
            "GET",
            format!("/directoryRoles(roleTemplateId='{ga}')"),
            None,
        ),
        (
            "GET",
            format!("/directoryRoles(roleTemplateId='{ga}')/members"),
            None,
        ),
        (
            "GET",
            format!("/directoryRoles(roleTemplateId='{ga}')/members/$ref"),
            None,
        ),
        (
            "GET",
            format!("/servicePrincipals(appId='{CLIENT_ID}')"),
            None,
        ),
        ("GET", format!("/servicePrincipals/{SP}"), None),
        // writes
        (
            "PATCH",
            format!("/users/{ALEX}"),
            Some(json!({"jobTitle": "x"})),
        ),
        (
            "PUT",
            format!("/users/{BIANCA}/manager/$ref"),
            Some(r(ADELE)),
        ),
        ("DELETE", format!("/users/{BIANCA}/manager/$ref"), None),
        (
            "POST",
            format!("/users/{BIANCA}/revokeSignInSessions"),
            None,
        ),
        (
            "PATCH",
            format!("/groups/{PLATFORM}"),
            Some(json!({"description": "x"})),
        ),
        (
            "POST",
            format!("/groups/{PLATFORM}/members/$ref"),
            Some(r(MEGAN)),
        ),
        (
            "DELETE",
            format!("/groups/{PLATFORM}/members/{MEGAN}/$ref"),
            None,
        ),
        (
            "POST",
            format!("/groups/{PLATFORM}/owners/$ref"),
            Some(r(BIANCA)),
        ),
        (
            "DELETE",
            format!("/groups/{PLATFORM}/owners/{BIANCA}/$ref"),
            None,
        ),
        (
            "POST",
            "/roleManagement/directory/roleAssignments".into(),
            Some(
                json!({"roleDefinitionId": helpdesk, "principalId": MEGAN, "directoryScopeId": "/"}),
            ),
        ),
        (
            "POST",
            "/directoryRoles".into(),
            Some(json!({"roleTemplateId": "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"})),
        ),
        (
            "POST",
            format!("/directoryRoles(roleTemplateId='{helpdesk}')/members/$ref"),
            Some(r(BIANCA)),
        ),
        (
            "DELETE",
            format!("/directoryRoles(roleTemplateId='{helpdesk}')/members/{BIANCA}/$ref"),
            None,
        ),
        (
            "POST",
            "/users".into(),
            Some(
                json!({"accountEnabled": true, "displayName": "N", "mailNickname": "n",
                        "userPrincipalName": "n@contoso.com", "passwordProfile": {"password": "Abcdefgh1!"}}),
            ),
        ),
        (
            "POST",
            "/groups".into(),
            Some(
                json!({"displayName": "g", "mailNickname": "g", "mailEnabled": false, "securityEnabled": true,
                        "owners@odata.bind": [format!("https://graph.microsoft.com/v1.0/servicePrincipals/{SP}")]}),
            ),
        ),
        ("DELETE", format!("/users/{MEGAN}"), None),
        (
            "POST",
            format!("/directory/deletedItems/{OLD}/restore"),
            None,
        ),
        ("DELETE", "/groups/DELETE-LAST".into(), None),
    ]
}

#[tokio::test]
async fn every_routed_endpoint_has_a_permission_entry_and_fails_closed_without_it() {
    let mut env = env().await;
    let everything: Vec<String> = graph_emulator::permissions::all_permissions()
        .into_iter()
        .collect();
    let everything: Vec<&str> = everything.iter().map(String::as_str).collect();
    for (method, path, body) in every_route() {
        let path = if path.contains("DELETE-LAST") {
            // A group created for the purpose (the last request).
            let id = env
                .emu
                .state()
                .groups
                .iter()
                .find(|g| g.properties["displayName"] == "g")
                .and_then(|g| g.id.clone())
                .expect("the group created above");
            format!("/groups/{id}")
        } else {
            path
        };
        // Without any permission: refused before anything runs.
        env.token = env.emu.issue_token_with(CLIENT_ID, &[]);
        let before = env.emu.state();
        let r = env
            .call(
                method,
                &path,
                body.clone(),
                &[("ConsistencyLevel", "eventual")],
            )
            .await;
        assert_eq!(
            r.status, 403,
            "{method} {path} without permissions: {}",
            r.body
        );
        assert_eq!(env.emu.state(), before, "{method} {path}: nothing written");
        // With every permission the table knows: routed and served.
        env.token = env.emu.issue_token_with(CLIENT_ID, &everything);
        let r = env
            .call(method, &path, body, &[("ConsistencyLevel", "eventual")])
            .await;
        assert!(
            (200..300).contains(&r.status),
            "{method} {path} with every permission: {} {}",
            r.status,
            r.body
        );
    }
    // A path the table does not know is refused too (fail closed), or not routed.
    let r = env.send("POST", "/users/x/changePassword", json!({})).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = env.get("/printers").await;
    assert_graph_error(&r, 400, "BadRequest");
    // A known path with another method: Graph's 405.
    assert_eq!(env.call("PUT", "/users", None, &[]).await.status, 405);
}

#[tokio::test]
async fn sensitive_actions_on_privileged_users_need_a_directory_role() {
    // Adele holds Global Administrator. An app whose service principal holds
    // only User Administrator may not disable, delete or revoke her sessions;
    // Bianca (no role) it may. With Global Administrator it may.
    let mut v = serde_json::to_value(seed()).unwrap();
    v["applications"][0]["clientSecrets"] = json!([SECRET]);
    v["roleAssignments"][1]["roleDefinitionId"] = json!("User Administrator");
    let mut env = start_with(
        serde_json::from_value(v).unwrap(),
        EmulatorConfig::default(),
    )
    .await;
    env.grant(&[]);
    let adele = format!("/users/{ADELE}");
    for (method, path, body) in [
        (
            "PATCH",
            adele.clone(),
            Some(json!({"accountEnabled": false})),
        ),
        (
            "PATCH",
            adele.clone(),
            Some(json!({"mobilePhone": "+1 425 555 0101"})),
        ),
        ("POST", format!("{adele}/revokeSignInSessions"), None),
        ("DELETE", adele.clone(), None),
    ] {
        let r = env.call(method, &path, body, &[]).await;
        assert_graph_error(&r, 403, "Authorization_RequestDenied");
    }
    // Not sensitive: a job title.
    assert_eq!(
        env.send("PATCH", &adele, json!({"jobTitle": "CEO"}))
            .await
            .status,
        204
    );
    // A plain user: allowed with the permission alone.
    let bianca = format!("/users/{BIANCA}");
    assert_eq!(
        env.send("PATCH", &bianca, json!({"accountEnabled": false}))
            .await
            .status,
        204
    );
    assert_eq!(
        env.call("POST", &format!("{bianca}/revokeSignInSessions"), None, &[])
            .await
            .status,
        200
    );
    // A password needs User Administrator at least, even for a plain user.
    let pw = json!({"passwordProfile": {"password": "Xy7!abcdefgh", "forceChangePasswordNextSignIn": true}});
    assert_eq!(env.send("PATCH", &bianca, pw.clone()).await.status, 204);
    // Acting as a principal without roles: the password is refused.
    let plain = env.emu.issue_token_as(CLIENT_ID, MEGAN);
    let saved = std::mem::replace(&mut env.token, plain);
    assert_graph_error(
        &env.send("PATCH", &bianca, pw).await,
        403,
        "Authorization_RequestDenied",
    );
    env.token = saved;
    // As a Global Administrator (Adele herself): allowed.
    env.token = env.emu.issue_token_as(CLIENT_ID, ADELE);
    assert_eq!(
        env.send(
            "PATCH",
            &format!("/users/{ALEX}"),
            json!({"accountEnabled": false})
        )
        .await
        .status,
        204
    );
}

#[tokio::test]
async fn group_owners_are_stored_bound_listed_and_tracked() {
    let env = env().await;
    let owners = format!("/groups/{PLATFORM}/owners");
    assert_eq!(ids(&env.get(&owners).await.body), vec![ALEX.to_string()]);
    let add = |u: &str| json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/users/{u}")});
    assert_eq!(
        env.send("POST", &format!("{owners}/$ref"), add(BIANCA))
            .await
            .status,
        204
    );
    let msg = assert_graph_error(
        &env.send("POST", &format!("{owners}/$ref"), add(BIANCA))
            .await,
        400,
        "Request_BadRequest",
    );
    assert!(
        msg.contains("already exist") && msg.contains("'owners'"),
        "{msg}"
    );
    // The service principal may own a group.
    let sp =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/servicePrincipals/{SP}")});
    assert_eq!(
        env.send("POST", &format!("{owners}/$ref"), sp).await.status,
        204
    );
    let r = env.get(&owners).await;
    let types: Vec<&str> = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["@odata.type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"#microsoft.graph.servicePrincipal"),
        "{types:?}"
    );
    // Removing down to the last owner, then the last is refused (Graph's wording).
    for id in [ALEX, BIANCA] {
        assert_eq!(env.delete(&format!("{owners}/{id}/$ref")).await.status, 204);
    }
    let msg = assert_graph_error(
        &env.delete(&format!("{owners}/{SP}/$ref")).await,
        400,
        "Request_BadRequest",
    );
    assert_eq!(
        msg,
        "The group must have at least one owner, hence this owner cannot be removed."
    );
    assert_graph_error(
        &env.delete(&format!("{owners}/{ALEX}/$ref")).await,
        404,
        "Request_ResourceNotFound",
    );
    // Bound at creation, with the members: at most 20 relationships together.
    let bind = |ids: &[&str]| -> Vec<String> {
        ids.iter()
            .map(|u| format!("https://graph.microsoft.com/v1.0/users/{u}"))
            .collect()
    };
    let r = env
        .send(
            "POST",
            "/groups",
            json!({"displayName": "owned", "mailNickname": "owned", "mailEnabled": false, "securityEnabled": true,
                   "owners@odata.bind": bind(&[ADELE, MEGAN]), "members@odata.bind": bind(&[BIANCA])}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let gid = r.body["id"].as_str().unwrap().to_string();
    let mut want = vec![ADELE.to_string(), MEGAN.to_string()];
    want.sort();
    assert_eq!(
        ids(&env.get(&format!("/groups/{gid}/owners")).await.body),
        want
    );
    let many: Vec<&str> = [ADELE, MEGAN, ALEX, BIANCA]
        .iter()
        .cycle()
        .take(21)
        .copied()
        .collect();
    let r = env
        .send(
            "POST",
            "/groups",
            json!({"displayName": "too", "mailNickname": "too", "mailEnabled": false, "securityEnabled": true,
                   "owners@odata.bind": bind(&many[..11]), "members@odata.bind": bind(&many[11..])}),
        )
        .await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    // owners@delta: every owner in a first round, the changes after a token.
    let first = env.get("/groups/delta?$select=displayName,owners").await;
    assert_eq!(first.status, 200, "{}", first.body);
    let item = first.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == gid)
        .unwrap()
        .clone();
    assert_eq!(item["owners@delta"].as_array().unwrap().len(), 2, "{item}");
    let link = first.body["@odata.deltaLink"].as_str().unwrap().to_string();
    assert_eq!(
        env.delete(&format!("/groups/{gid}/owners/{MEGAN}/$ref"))
            .await
            .status,
        204
    );
    let next = env.get(&link).await;
    let item = next.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == gid)
        .unwrap()
        .clone();
    assert_eq!(item["owners@delta"][0]["id"], MEGAN, "{item}");
    assert_eq!(item["owners@delta"][0]["@removed"]["reason"], "deleted");
    // The dumped state keeps owners (a valid seed).
    let state = env.emu.state();
    let g = state
        .groups
        .iter()
        .find(|g| g.id.as_deref() == Some(gid.as_str()))
        .unwrap();
    assert_eq!(g.owners, vec![ADELE.to_string()]);
}

#[tokio::test]
async fn writes_can_commit_and_then_fail() {
    let env = env().await;
    env.emu.set_faults(FaultConfig {
        seed: 3,
        commit_then_fail_rate: 1.0,
        ..FaultConfig::default()
    });
    // The write is applied, the answer is a 5xx.
    let r = env
        .send(
            "PATCH",
            &format!("/users/{BIANCA}"),
            json!({"jobTitle": "Committed"}),
        )
        .await;
    assert!(
        [500, 503, 504].contains(&r.status),
        "{} {}",
        r.status,
        r.body
    );
    // Reads are untouched, and show the write.
    let r = env.get(&format!("/users/{BIANCA}?$select=jobTitle")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["jobTitle"], "Committed");
    // The same inside $batch, item by item; a refused write is not affected.
    let r = env
        .send(
            "POST",
            "/$batch",
            json!({"requests": [
                {"id": "1", "method": "PATCH", "url": format!("/users/{ALEX}"),
                 "headers": {"Content-Type": "application/json"}, "body": {"jobTitle": "Also committed"}},
                {"id": "2", "method": "PATCH", "url": "/users/nobody@contoso.com",
                 "headers": {"Content-Type": "application/json"}, "body": {"jobTitle": "x"}}
            ]}),
        )
        .await;
    assert_eq!(r.status, 200);
    let items = r.body["responses"].as_array().unwrap();
    let status = |id: &str| {
        items.iter().find(|x| x["id"] == id).unwrap()["status"]
            .as_u64()
            .unwrap()
    };
    assert!([500, 503, 504].contains(&status("1")), "{items:?}");
    assert_eq!(status("2"), 404);
    let r = env.get(&format!("/users/{ALEX}?$select=jobTitle")).await;
    assert_eq!(r.body["jobTitle"], "Also committed");
    assert_eq!(env.emu.metrics().faults.commit_then_fail, 2);
}

#[tokio::test]
async fn delta_can_refuse_named_select_properties() {
    let env = env().await;
    env.emu.set_faults(FaultConfig {
        delta_refused_select: vec!["employeeHireDate".into()],
        ..FaultConfig::default()
    });
    let r = env
        .get("/users/delta?$select=displayName,employeeHireDate")
        .await;
    let msg = assert_graph_error(&r, 400, "BadRequest");
    assert_eq!(
        msg,
        "Invalid request for delta query: for this entity set, $expand/$select is not supported for the following properties: employeeHireDate"
    );
    assert_eq!(
        env.get("/users/delta?$select=displayName").await.status,
        200
    );
    assert_eq!(
        env.get("/users?$select=displayName,employeeHireDate")
            .await
            .status,
        200
    );
}
