//! Administrative units in the emulator over real HTTP: listing, members
//! (paged, typed), and the restricted-management rule (a tenant-scope app
//! gets `403 Authorization_RequestDenied` when it modifies a member of a
//! restricted management administrative unit); and the live reader reading
//! them, including the degraded read when the listing is forbidden.

use crate::emulator_client::client_at;
use crate::emulator_support;

use emulator_support::*;
use entraform::graph::{Credential, GraphClient};
use entraform::live::{ReadOptions, read_live};
use entraform::model::ObjectId;
use graph_emulator::{EmulatorConfig, FaultConfig, Seed};
use serde_json::json;

const EXEC: &str = "5d107bba-d8e2-4e13-b6ae-884be90e5d1a";
const OPEN: &str = "4d7ea995-bc0f-45c0-8c3e-132e93bf95f8";
const SECRET_GROUP: &str = "0b7c8b5e-5a4e-4d55-9a43-a1d6d1e0aaaa";

/// The small tenant plus a restricted unit holding Alex and a security group,
/// and an ordinary unit holding Adele.
fn seed_with_units() -> Seed {
    let mut v = serde_json::to_value(small_seed()).unwrap();
    // Secrets are never serialized: put the test secret back.
    v["applications"][0]["clientSecrets"] = json!([SECRET]);
    v["groups"].as_array_mut().unwrap().push(json!({
        "id": SECRET_GROUP, "displayName": "finance-data", "mailNickname": "finance-data",
        "members": [ADELE]
    }));
    v["administrativeUnits"] = json!([
        { "id": EXEC, "displayName": "Executives", "isMemberManagementRestricted": true,
          "members": ["AlexW@contoso.com", SECRET_GROUP] },
        { "id": OPEN, "displayName": "Seattle", "description": "Seattle office",
          "members": [ADELE] }
    ]);
    serde_json::from_value(v).unwrap()
}

async fn start_units() -> Env {
    start_with(seed_with_units(), EmulatorConfig::default()).await
}

#[tokio::test]
async fn lists_units_and_their_typed_members() {
    let env = start_units().await;
    let r = env.get("/directory/administrativeUnits").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let units = r.body["value"].as_array().unwrap();
    assert_eq!(units.len(), 2);
    let exec = units.iter().find(|u| u["id"] == EXEC).unwrap();
    assert_eq!(exec["displayName"], "Executives");
    assert_eq!(exec["isMemberManagementRestricted"], true);
    let open = units.iter().find(|u| u["id"] == OPEN).unwrap();
    assert_eq!(open["isMemberManagementRestricted"], false);
    assert!(
        r.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#directory/administrativeUnits")
    );

    // $select and the (undocumented but accepted) filter on the restricted flag.
    let r = env
        .get("/directory/administrativeUnits?$select=id,displayName,isMemberManagementRestricted&$filter=isMemberManagementRestricted eq true")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.body["value"].as_array().unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["id"], EXEC);
    assert!(
        v[0].get("description").is_none(),
        "only selected properties"
    );

    let r = env
        .get(&format!("/directory/administrativeUnits/{EXEC}"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["displayName"], "Executives");
    let r = env.get("/directory/administrativeUnits/nope").await;
    assert_graph_error(&r, 404, "Request_ResourceNotFound");

    // Members: typed, paged with $top.
    let r = env
        .get(&format!(
            "/directory/administrativeUnits/{EXEC}/members?$select=id&$top=1"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut page = r.body;
    loop {
        for m in page["value"].as_array().unwrap() {
            seen.push((
                m["@odata.type"].as_str().unwrap().to_string(),
                m["id"].as_str().unwrap().to_string(),
            ));
        }
        match page["@odata.nextLink"].as_str() {
            Some(next) => page = env.get(next).await.body,
            None => break,
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        vec![
            (
                "#microsoft.graph.group".to_string(),
                SECRET_GROUP.to_string()
            ),
            ("#microsoft.graph.user".to_string(), ALEX.to_string()),
        ]
    );
    let r = env
        .get(&format!(
            "/directory/administrativeUnits/{EXEC}/members/$ref"
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["value"].as_array().unwrap().len(), 2);
    assert!(r.body["value"][0]["@odata.id"].is_string());

    // The state dump keeps the units (a seed round trip).
    let state = env.emu.state();
    assert_eq!(state.administrative_units.len(), 2);
}

#[tokio::test]
async fn writes_to_restricted_members_are_denied_like_graph() {
    let env = start_units().await;
    let denied = |r: &Resp| {
        let msg = assert_graph_error(r, 403, "Authorization_RequestDenied");
        assert_eq!(msg, "Insufficient privileges to complete the operation.");
    };
    // The restricted user: properties, enable/disable, sessions, manager, delete.
    denied(
        &env.send(
            "PATCH",
            &format!("/users/{ALEX}"),
            json!({"jobTitle": "CEO"}),
        )
        .await,
    );
    denied(
        &env.send(
            "PATCH",
            "/users/AlexW@contoso.com",
            json!({"accountEnabled": false}),
        )
        .await,
    );
    denied(
        &env.send(
            "POST",
            &format!("/users/{ALEX}/revokeSignInSessions"),
            json!({}),
        )
        .await,
    );
    let mref = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/users/{MEGAN}")});
    denied(
        &env.send("PUT", &format!("/users/{ALEX}/manager/$ref"), mref.clone())
            .await,
    );
    denied(&env.delete(&format!("/users/{ALEX}/manager/$ref")).await);
    denied(&env.delete(&format!("/users/{ALEX}")).await);
    // Role assignments for the restricted user.
    denied(
        &env.send(
            "POST",
            "/roleManagement/directory/roleAssignments",
            json!({"roleDefinitionId": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
                   "principalId": ALEX, "directoryScopeId": "/"}),
        )
        .await,
    );
    // The restricted group: its properties and its members.
    denied(
        &env.send(
            "PATCH",
            &format!("/groups/{SECRET_GROUP}"),
            json!({"description": "x"}),
        )
        .await,
    );
    let bianca =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{BIANCA}")});
    denied(
        &env.send(
            "POST",
            &format!("/groups/{SECRET_GROUP}/members/$ref"),
            bianca.clone(),
        )
        .await,
    );
    denied(
        &env.delete(&format!("/groups/{SECRET_GROUP}/members/{ADELE}/$ref"))
            .await,
    );
    // Inside $batch too.
    let r = env
        .send(
            "POST",
            "/$batch",
            json!({"requests": [{"id": "1", "method": "PATCH", "url": format!("/users/{ALEX}"),
                "headers": {"Content-Type": "application/json"}, "body": {"jobTitle": "CEO"}}]}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["responses"][0]["status"], 403);

    // Nothing changed.
    let r = env.get(&format!("/users/{ALEX}?$select=jobTitle")).await;
    assert_eq!(r.body["jobTitle"], "Marketing Assistant");

    // Allowed: reading them, adding the restricted user to an ordinary group
    // (Graph allows it: the group changes, not the user), making him someone's
    // manager, and writes to members of an ordinary unit.
    assert_eq!(env.get(&format!("/users/{ALEX}")).await.status, 200);
    let alex =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{ALEX}")});
    let r = env
        .send("POST", &format!("/groups/{PLATFORM}/members/$ref"), alex)
        .await;
    // Alex is already a member of platform-engineers: Graph's duplicate error, not 403.
    assert_eq!(r.status, 400, "{}", r.body);
    let r = env
        .delete(&format!("/groups/{PLATFORM}/members/{ALEX}/$ref"))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let aref = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/users/{ALEX}")});
    let r = env
        .send("PUT", &format!("/users/{ADELE}/manager/$ref"), aref)
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = env
        .send(
            "PATCH",
            &format!("/users/{ADELE}"),
            json!({"jobTitle": "VP"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
}

fn client_for(env: &Env) -> GraphClient {
    client_at(
        env.emu.base_url(),
        &env.emu.tenant_id(),
        CLIENT_ID,
        Credential::Secret(SECRET.into()),
        true,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reader_knows_restricted_members() {
    let env = start_units().await;
    let live = read_live(&client_for(&env), &ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(
        live.restricted(&ObjectId(ALEX.into())),
        Some("Executives"),
        "a restricted user"
    );
    assert_eq!(
        live.restricted(&ObjectId(SECRET_GROUP.into())),
        Some("Executives"),
        "a restricted group"
    );
    assert_eq!(
        live.restricted(&ObjectId(ADELE.into())),
        None,
        "members of ordinary units are not restricted"
    );
    assert!(live.restricted_known());
    // One listing of units + one `$batch` holding the restricted unit's member listing.
    let m = env.emu.metrics();
    assert_eq!(
        m.by_route.get("GET /directory/administrativeUnits"),
        Some(&1),
        "{m:?}"
    );
    assert_eq!(
        m.batch_inner_by_route
            .get("GET /directory/administrativeUnits/{id}/members"),
        Some(&1),
        "{m:?}"
    );
    assert_eq!(live.stats().admin_unit_requests, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_unit_listing_degrades_to_unknown() {
    let faults = FaultConfig {
        deny_paths: vec!["/directory/administrativeUnits".into()],
        ..FaultConfig::default()
    };
    let env = start_with(
        seed_with_units(),
        EmulatorConfig {
            faults,
            ..EmulatorConfig::default()
        },
    )
    .await;
    let live = read_live(&client_for(&env), &ReadOptions::default())
        .await
        .expect("a 403 on administrative units does not fail the read");
    assert!(!live.restricted_known());
    assert_eq!(live.restricted(&ObjectId(ALEX.into())), None);
    let why = live.restricted_unknown_reason().unwrap();
    assert!(why.contains("AdministrativeUnit.Read.All"), "{why}");
    assert_eq!(live.users().len(), 4, "the rest of the tenant is read");
}

#[test]
fn unknown_members_and_keys_are_refused_in_seeds() {
    let bad: Result<Seed, _> = Seed::parse(
        "administrativeUnits:\n  - displayName: X\n    isMemberManagementRestricted: true\n    members: [nobody@contoso.com]\n",
    );
    let seed = bad.unwrap();
    assert!(graph_emulator::BackgroundEmulator::start(seed, EmulatorConfig::default()).is_err());
    let v: Result<Seed, _> =
        Seed::parse("administrativeUnits:\n  - displayName: X\n    restricted: true\n");
    assert!(v.is_err());
}
