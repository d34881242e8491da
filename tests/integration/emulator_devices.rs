//! The emulator's devices against Microsoft's reference (resources/device,
//! device-list, device-get, device-update, device-list-registeredowners,
//! user-list-owneddevices, user-list-registereddevices; docs/emulator.md,
//! *Devices*): seeded devices with owners, listing and paging, the
//! `deviceId` alternate key, `PATCH` with its permission and directory-role
//! rule for app-only callers, the Windows-only rule, `$batch`, and the
//! user-side listings that app-only tokens may not call.

use crate::emulator_support;

use emulator_support::*;
use graph_emulator::{EmulatorConfig, Seed};
use serde_json::{Value, json};

const SP: &str = "f8ca5a85-489a-49a0-b555-0a6d81e56f0d";
const LAPTOP: &str = "d0000000-0000-4000-8000-0000000000d1";
const PHONE: &str = "d0000000-0000-4000-8000-0000000000d2";
const DESKTOP: &str = "d0000000-0000-4000-8000-0000000000d3";
const LAPTOP_DEVICE_ID: &str = "4c299165-6e8f-4b45-a5ba-c5d250a707ff";
const CLOUD_DEVICE_ADMIN: &str = "Cloud Device Administrator";

/// The small seed, its app holding `role` (none: no directory role at all),
/// and three devices: Alex's Windows laptop (Megan a registered user too),
/// his iPhone, and Megan's desktop; the laptop is in the platform group.
fn seed(role: Option<&str>) -> Seed {
    let mut v = serde_json::to_value(small_seed()).unwrap();
    // Secrets are never serialized: put it back for the token endpoint.
    v["applications"][0]["clientSecrets"] = json!([SECRET]);
    let assignments = v["roleAssignments"].as_array_mut().unwrap();
    assignments.retain(|a| a["principalId"] != SP);
    if let Some(r) = role {
        assignments.push(json!({"principalId": SP, "roleDefinitionId": r}));
    }
    v["devices"] = json!([
        {"id": LAPTOP, "deviceId": LAPTOP_DEVICE_ID, "displayName": "LAPTOP-ALEX",
         "operatingSystem": "Windows", "operatingSystemVersion": "10.0.22631",
         "trustType": "AzureAd", "registeredOwners": ["AlexW@contoso.com"],
         "registeredUsers": [ALEX, "MeganB@contoso.com"]},
        {"id": PHONE, "displayName": "Alex's iPhone", "operatingSystem": "iOS",
         "registeredOwners": [ALEX], "registeredUsers": [ALEX]},
        {"id": DESKTOP, "displayName": "DESKTOP-MEGAN", "operatingSystem": "Windows",
         "accountEnabled": false, "registeredOwners": [MEGAN]}
    ]);
    v["groups"][0]["members"]
        .as_array_mut()
        .unwrap()
        .push(json!(LAPTOP));
    serde_json::from_value(v).expect("seed")
}

async fn env(role: Option<&str>, permissions: &[&str]) -> Env {
    let mut env = start_with(seed(role), EmulatorConfig::default()).await;
    env.token = env.emu.issue_token_with(CLIENT_ID, permissions);
    env
}

fn ids(v: &Value) -> Vec<&str> {
    v["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no value in {v}"))
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect()
}

fn device(env: &Env, id: &str) -> Value {
    let s = env.emu.state();
    let d = s
        .devices
        .iter()
        .find(|d| d.id.as_deref() == Some(id))
        .expect("device in the state");
    Value::Object(d.properties.clone())
}

#[tokio::test]
async fn devices_list_get_page_and_expand_their_owners() {
    let env = env(None, &["Device.Read.All"]).await;
    let r = env.get("/devices").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids(&r.body), [LAPTOP, PHONE, DESKTOP]);
    let laptop = &r.body["value"][0];
    assert_eq!(laptop["deviceId"], LAPTOP_DEVICE_ID);
    assert_eq!(laptop["accountEnabled"], true);
    assert_eq!(laptop["operatingSystem"], "Windows");
    assert!(laptop["extensionAttributes"]["extensionAttribute15"].is_null());
    assert!(
        laptop.get("isManagementRestricted").is_none(),
        "returned only on $select"
    );
    assert!(
        r.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#devices")
    );

    // $select and $top with a next link that reaches the rest.
    let r = env
        .get("/devices?$select=id,displayName,accountEnabled&$top=2")
        .await;
    assert_eq!(ids(&r.body), [LAPTOP, PHONE]);
    assert_eq!(
        r.body["value"][1],
        json!({"id": PHONE, "displayName": "Alex's iPhone", "accountEnabled": true})
    );
    let next = r.body["@odata.nextLink"].as_str().expect("nextLink");
    let r = env.get(next).await;
    assert_eq!(ids(&r.body), [DESKTOP]);
    assert!(r.body.get("@odata.nextLink").is_none());

    // The owners, expanded: one read for every device and its owner.
    let r = env
        .get("/devices?$select=id,accountEnabled&$expand=registeredOwners($select=id,userPrincipalName)")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["value"][0]["registeredOwners"],
        json!([{"@odata.type": "#microsoft.graph.user", "id": ALEX, "userPrincipalName": "AlexW@contoso.com"}])
    );
    assert_eq!(r.body["value"][2]["registeredOwners"][0]["id"], MEGAN);
    let r = env.get("/devices?$expand=registeredUsers").await;
    let users: Vec<&str> = r.body["value"][0]["registeredUsers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(users, [ALEX, MEGAN]);

    // `$count`: with ConsistencyLevel: eventual, as for users.
    let r = env.get_eventual("/devices/$count").await;
    assert_eq!((r.status, r.body.clone()), (200, json!(3)));
    let r = env.get("/devices/$count").await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = env.get_eventual("/devices?$count=true&$top=1").await;
    assert_eq!(r.body["@odata.count"], 3, "{}", r.body);

    // Documented options the emulator does not model: refused, not ignored.
    let r = env.get("/devices?$filter=accountEnabled eq false").await;
    assert_graph_error(&r, 400, "Request_UnsupportedQuery");
    let r = env.get("/devices?$expand=memberOf").await;
    assert_graph_error(&r, 400, "Request_UnsupportedQuery");
    let r = env.get("/devices?$select=colour").await;
    assert_graph_error(&r, 400, "Request_BadRequest");

    // One device, by id or by the deviceId alternate key.
    let r = env
        .get(&format!("/devices/{PHONE}?$select=displayName"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["displayName"], "Alex's iPhone");
    assert!(r.body.get("operatingSystem").is_none(), "{}", r.body);
    let r = env
        .get(&format!(
            "/devices/{PHONE}?$select=id&$expand=registeredOwners($select=id)"
        ))
        .await;
    assert_eq!(
        r.body["registeredOwners"],
        json!([{"@odata.type": "#microsoft.graph.user", "id": ALEX}]),
        "{}",
        r.body
    );
    let r = env.get(&format!("/devices/{PHONE}?$top=1")).await;
    assert_graph_error(&r, 400, "Request_BadRequest");
    let r = env
        .get(&format!("/devices(deviceId='{LAPTOP_DEVICE_ID}')"))
        .await;
    assert_eq!(r.body["id"], LAPTOP, "{}", r.body);
    let r = env
        .get(&format!("/devices/{LAPTOP}/registeredOwners"))
        .await;
    assert_eq!(ids(&r.body), [ALEX]);
    let r = env.get(&format!("/devices/{LAPTOP}/registeredUsers")).await;
    assert_eq!(ids(&r.body), [ALEX, MEGAN]);
    let r = env
        .get(&format!(
            "/devices(deviceId='{LAPTOP_DEVICE_ID}')/registeredOwners?$select=userPrincipalName"
        ))
        .await;
    assert_eq!(
        r.body["value"],
        json!([{"@odata.type": "#microsoft.graph.user", "userPrincipalName": "AlexW@contoso.com"}]),
        "{}",
        r.body
    );
    // Other methods on a device's paths: Graph's 405.
    let r = env
        .call(
            "DELETE",
            &format!("/devices/{LAPTOP}/registeredOwners"),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 405, "{}", r.body);

    // Unknown devices: Graph's 404.
    for path in [
        "/devices/d0000000-0000-4000-8000-0000000000ff".to_string(),
        "/devices(deviceId='nope')".to_string(),
        "/devices/nope/registeredOwners".to_string(),
    ] {
        let r = env.get(&path).await;
        let msg = assert_graph_error(&r, 404, "Request_ResourceNotFound");
        assert!(msg.contains("does not exist"), "{msg}");
    }

    // A device in a group is listed as a typed device.
    let mut env = env;
    env.token = env
        .emu
        .issue_token_with(CLIENT_ID, &["GroupMember.Read.All"]);
    let r = env.get(&format!("/groups/{PLATFORM}/members")).await;
    let laptop = r.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == LAPTOP)
        .expect("the laptop is a member");
    assert_eq!(laptop["@odata.type"], "#microsoft.graph.device");
    assert_eq!(laptop["displayName"], "LAPTOP-ALEX");
    let r = env
        .get(&format!(
            "/groups/{PLATFORM}/members/microsoft.graph.device?$select=id,operatingSystem"
        ))
        .await;
    assert_eq!(
        r.body["value"],
        json!([{"id": LAPTOP, "operatingSystem": "Windows"}]),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn device_reads_need_a_device_read_permission() {
    let env = env(None, &["User.Read.All", "Device.ReadWrite.All"]).await;
    assert_eq!(env.get("/devices").await.status, 200);
    let env = env_with(&["User.Read.All", "GroupMember.Read.All"]).await;
    for path in [
        "/devices".to_string(),
        format!("/devices/{LAPTOP}"),
        format!("/devices(deviceId='{LAPTOP_DEVICE_ID}')"),
        format!("/devices/{LAPTOP}/registeredOwners"),
        format!("/devices/{LAPTOP}/registeredUsers"),
    ] {
        let r = env.get(&path).await;
        let msg = assert_graph_error(&r, 403, "Authorization_RequestDenied");
        assert_eq!(msg, "Insufficient privileges to complete the operation.");
    }
}

async fn env_with(permissions: &[&str]) -> Env {
    env(None, permissions).await
}

#[tokio::test]
async fn owned_and_registered_devices_are_not_for_app_only_tokens() {
    // user-list-owneddevices / -registereddevices: Application "Not supported".
    let everything: Vec<String> = graph_emulator::permissions::all_permissions()
        .into_iter()
        .collect();
    let everything: Vec<&str> = everything.iter().map(String::as_str).collect();
    let mut env = env(Some("Global Administrator"), &everything).await;
    for rel in ["ownedDevices", "registeredDevices"] {
        for path in [
            format!("/users/{ALEX}/{rel}"),
            format!("/users/AlexW@contoso.com/{rel}/microsoft.graph.device"),
        ] {
            let r = env.get(&path).await;
            assert_graph_error(&r, 403, "Authorization_RequestDenied");
        }
    }
    // As a signed-in user ("in the portal"): the devices, typed.
    env.token = env.emu.issue_token_as(CLIENT_ID, ADELE);
    let r = env.get(&format!("/users/{ALEX}/ownedDevices")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(ids(&r.body), [LAPTOP, PHONE]);
    assert_eq!(r.body["value"][0]["@odata.type"], "#microsoft.graph.device");
    let r = env
        .get("/users/MeganB@contoso.com/registeredDevices?$select=id,displayName")
        .await;
    assert_eq!(
        r.body["value"],
        json!([{"@odata.type": "#microsoft.graph.device", "id": LAPTOP, "displayName": "LAPTOP-ALEX"}])
    );
    let r = env
        .get(&format!(
            "/users/{ALEX}/ownedDevices/graph.device?$select=operatingSystem&$top=1"
        ))
        .await;
    assert_eq!(
        r.body["value"],
        json!([{"operatingSystem": "Windows"}]),
        "{}",
        r.body
    );
    assert!(r.body["@odata.nextLink"].is_string());
    let r = env.get("/users/nobody@contoso.com/ownedDevices").await;
    assert_graph_error(&r, 404, "Request_ResourceNotFound");
}

#[tokio::test]
async fn disabling_a_device_needs_the_permission_and_a_device_role() {
    let disable = json!({"accountEnabled": false});
    // The permission without a directory role: Graph's 403, nothing written.
    let env = env(None, &["Device.ReadWrite.All"]).await;
    let r = env
        .send("PATCH", &format!("/devices/{LAPTOP}"), disable.clone())
        .await;
    let msg = assert_graph_error(&r, 403, "Authorization_RequestDenied");
    assert_eq!(msg, "Insufficient privileges to complete the operation.");
    assert_eq!(device(&env, LAPTOP)["accountEnabled"], true);
    // Extension attributes need no role (device-update, Example 2).
    let r = env
        .send(
            "PATCH",
            &format!("/devices/{PHONE}"),
            json!({"extensionAttributes": {"extensionAttribute1": "BYOD-Device"}}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        device(&env, PHONE)["extensionAttributes"]["extensionAttribute1"],
        "BYOD-Device"
    );

    // The role without the permission: 403 too.
    let env = env_role(&["User.Read.All"]).await;
    let r = env
        .send("PATCH", &format!("/devices/{LAPTOP}"), disable.clone())
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");

    // Both: 204 and the device is disabled, by id or by deviceId.
    let env = env_role(&["Device.ReadWrite.All"]).await;
    let r = env
        .send("PATCH", &format!("/devices/{LAPTOP}"), disable.clone())
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.body, Value::Null);
    assert_eq!(device(&env, LAPTOP)["accountEnabled"], false);
    let r = env
        .send(
            "PATCH",
            &format!("/devices(deviceId='{LAPTOP_DEVICE_ID}')"),
            json!({"accountEnabled": true}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(device(&env, LAPTOP)["accountEnabled"], true);

    // Not a Windows device: an app may change only the extension attributes.
    let r = env
        .send("PATCH", &format!("/devices/{PHONE}"), disable.clone())
        .await;
    let msg = assert_graph_error(&r, 400, "Request_BadRequest");
    assert_eq!(
        msg,
        "Properties other than ExtendedAttribute1..15 can be modified only on windows devices."
    );
    assert_eq!(device(&env, PHONE)["accountEnabled"], true);

    // Cloud Device Administrator can only enable or disable; basic properties
    // need Intune Administrator (or Windows 365 Administrator).
    let r = env
        .send(
            "PATCH",
            &format!("/devices/{LAPTOP}"),
            json!({"displayName": "X"}),
        )
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    let intune = env_with_role("Intune Administrator", &["Device.ReadWrite.All"]).await;
    let r = intune
        .send(
            "PATCH",
            &format!("/devices/{LAPTOP}"),
            json!({"displayName": "LAPTOP-42"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = intune
        .send("PATCH", &format!("/devices/{LAPTOP}"), disable.clone())
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    // Compliance is Intune's (or an MDM app's) to set.
    let r = intune
        .send(
            "PATCH",
            &format!("/devices/{LAPTOP}"),
            json!({"isCompliant": true}),
        )
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");

    // Bad bodies: Graph's 400s, nothing written.
    for (body, code) in [
        (json!({"deviceId": "x"}), "Request_BadRequest"),
        (json!({"trustType": "AzureAd"}), "Request_BadRequest"),
        (json!({"colour": "red"}), "Request_BadRequest"),
        (json!({"accountEnabled": "no"}), "Request_BadRequest"),
        (json!({"accountEnabled": null}), "Request_BadRequest"),
        (
            json!({"extensionAttributes": {"extensionAttribute16": "x"}}),
            "Request_BadRequest",
        ),
    ] {
        let r = env
            .send("PATCH", &format!("/devices/{LAPTOP}"), body.clone())
            .await;
        assert_graph_error(&r, 400, code);
    }
    assert_eq!(device(&env, LAPTOP)["accountEnabled"], true);
    let r = env
        .send(
            "PATCH",
            "/devices/d0000000-0000-4000-8000-0000000000ff",
            disable,
        )
        .await;
    assert_graph_error(&r, 404, "Request_ResourceNotFound");
}

async fn env_role(permissions: &[&str]) -> Env {
    env(Some(CLOUD_DEVICE_ADMIN), permissions).await
}

async fn env_with_role(role: &str, permissions: &[&str]) -> Env {
    env(Some(role), permissions).await
}

#[tokio::test]
async fn devices_work_inside_batch() {
    let env = env_role(&["Device.ReadWrite.All"]).await;
    let r = env
        .send(
            "POST",
            "/$batch",
            json!({"requests": [
                {"id": "1", "method": "GET", "url": "/devices?$select=id,accountEnabled&$expand=registeredOwners($select=id)"},
                {"id": "2", "method": "PATCH", "url": format!("/devices/{LAPTOP}"),
                 "headers": {"Content-Type": "application/json"}, "body": {"accountEnabled": false}},
                {"id": "3", "method": "PATCH", "url": format!("/devices/{PHONE}"),
                 "headers": {"Content-Type": "application/json"}, "body": {"accountEnabled": false}},
                {"id": "4", "method": "GET", "url": format!("/users/{ALEX}/ownedDevices")}
            ]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let status = |id: &str| {
        r.body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .map(|x| x["status"].as_u64().unwrap())
            .unwrap()
    };
    assert_eq!(
        (status("1"), status("2"), status("3"), status("4")),
        (200, 204, 400, 403)
    );
    assert_eq!(device(&env, LAPTOP)["accountEnabled"], false);
    assert_eq!(device(&env, PHONE)["accountEnabled"], true);
}

#[test]
fn seeds_with_bad_devices_are_refused_with_a_reason() {
    let with = |devices: Value| {
        let mut v = serde_json::to_value(small_seed()).unwrap();
        v["devices"] = devices;
        graph_emulator::BackgroundEmulator::start(
            serde_json::from_value(v).expect("seed parses"),
            EmulatorConfig::default(),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
    };
    for (devices, why) in [
        (json!([{"operatingSystem": "Windows"}]), "no displayName"),
        (
            json!([{"displayName": "x", "operatingSystem": "iOS", "registeredOwners": ["ghost@contoso.com"]}]),
            "unknown registered owner",
        ),
        (
            json!([{"displayName": "x", "operatingSystem": "iOS", "registeredOwners": [ALEX, MEGAN]}]),
            "at most one registered owner",
        ),
        (
            json!([{"id": ALEX, "displayName": "x", "operatingSystem": "iOS"}]),
            "duplicate",
        ),
        (
            json!([{"displayName": "x", "operatingSystem": "iOS", "serialNumber": "1"}]),
            "unknown property",
        ),
    ] {
        let e = with(devices.clone());
        assert!(e.contains(why), "{devices}: {e}");
    }
}

#[test]
fn devices_round_trip_through_the_dumped_state() {
    let s = seed(None);
    let t = graph_emulator::BackgroundEmulator::start(s, EmulatorConfig::default()).unwrap();
    let dumped = t.state();
    assert_eq!(dumped.devices.len(), 3);
    assert!(
        dumped.directory_objects.is_empty(),
        "devices are not dumped twice"
    );
    let again =
        graph_emulator::BackgroundEmulator::start(dumped.clone(), EmulatorConfig::default())
            .unwrap()
            .state();
    assert_eq!(again.devices, dumped.devices);
}

/// Request counts for a leaver step over a tenant of 253 devices: reading
/// every device with its owner is one request per 100 devices (`$expand`
/// caps a page at 100, as for users), and disabling 25 devices is two
/// `$batch` requests (at most 20 items each).
#[tokio::test]
async fn reading_every_owner_and_disabling_devices_costs_few_requests() {
    let mut v = serde_json::to_value(seed(Some(CLOUD_DEVICE_ADMIN))).unwrap();
    v["applications"][0]["clientSecrets"] = json!([SECRET]);
    v["devices"].as_array_mut().unwrap().extend(
        (0..250)
            .map(|i| {
                json!({"id": format!("e0000000-0000-4000-8000-{i:012}"), "displayName": format!("PC-{i}"),
                       "operatingSystem": "Windows", "registeredOwners": [if i % 2 == 0 { ALEX } else { MEGAN }]})
            }),
    );
    let mut env = start_with(
        serde_json::from_value(v).unwrap(),
        EmulatorConfig::default(),
    )
    .await;
    env.token = env
        .emu
        .issue_token_with(CLIENT_ID, &["Device.ReadWrite.All"]);
    env.emu.reset_metrics();
    let mut url = "/devices?$select=id,accountEnabled,operatingSystem&$top=999&$expand=registeredOwners($select=id)".to_string();
    let mut alex = Vec::new();
    loop {
        let r = env.get(&url).await;
        assert_eq!(r.status, 200, "{}", r.body);
        for d in r.body["value"].as_array().unwrap() {
            if d["registeredOwners"][0]["id"] == ALEX {
                alex.push(d["id"].as_str().unwrap().to_string());
            }
        }
        match r.body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(alex.len(), 125 + 2, "and the seed's laptop and phone");
    assert_eq!(env.emu.metrics().by_route.get("GET /devices"), Some(&3));
    for chunk in alex[2..27].chunks(20) {
        let requests: Vec<Value> = chunk
            .iter()
            .enumerate()
            .map(|(i, id)| {
                json!({"id": i.to_string(), "method": "PATCH", "url": format!("/devices/{id}"),
                       "headers": {"Content-Type": "application/json"}, "body": {"accountEnabled": false}})
            })
            .collect();
        let r = env
            .send("POST", "/$batch", json!({ "requests": requests }))
            .await;
        assert!(
            r.body["responses"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["status"] == 204),
            "{}",
            r.body
        );
    }
    let m = env.emu.metrics();
    assert_eq!(m.by_route.get("POST /$batch"), Some(&2));
    assert_eq!(m.batch_inner_by_route.get("PATCH /devices/{id}"), Some(&25));
    assert_eq!(m.total_requests, 5);
    let disabled = env
        .emu
        .state()
        .devices
        .iter()
        .filter(|d| d.properties["accountEnabled"] == false)
        .count();
    assert_eq!(disabled, 25 + 1, "and the seed's disabled desktop");
}
