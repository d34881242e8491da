//! The devices' examples (`device-list.json`, `lifecycle-device-*.json`,
//! `lifecycle-list-owneddevices.json`, `lifecycle-list-registereddevices.json`),
//! replayed against a tenant that has the docs' devices: the page's
//! `7c06cd31-…` Windows device and its "Test device" (linux), both owned by
//! Adele, and an app holding `Device.ReadWrite.All` with the Cloud Device
//! Administrator role (device-update: needed for `accountEnabled`). A child
//! of `emulator_examples`, whose `Check` it uses.

use super::*;

/// The device of device-update's examples.
const DOC_DEVICE: &str = "7c06cd31-7c30-4f3b-a5c3-444cd8dd63ac";
/// The "Test device" of device-list's example.
const TEST_DEVICE: &str = "d0000000-0000-4000-8000-0000000000e1";
const SP: &str = "f8ca5a85-489a-49a0-b555-0a6d81e56f0d";

pub fn covers(name: &str) -> bool {
    name == "device-list.json"
        || name.starts_with("lifecycle-device-")
        || name == "lifecycle-list-owneddevices.json"
        || name == "lifecycle-list-registereddevices.json"
}

fn seed() -> Seed {
    let v = json!({
        "tenant": {"id": TENANT, "domains": ["contoso.com"]},
        "applications": [{"appId": CLIENT_ID, "displayName": "entraform-ci", "clientSecrets": [SECRET],
                          "servicePrincipalId": SP,
                          "permissions": ["Device.ReadWrite.All", "User.Read.All"]}],
        "users": [{"id": ADELE, "userPrincipalName": "AdeleV@contoso.com", "displayName": "Adele Vance",
                   "mailNickname": "AdeleV"}],
        "roleAssignments": [{"principalId": SP, "roleDefinitionId": "Cloud Device Administrator"}],
        "devices": [
            {"id": DOC_DEVICE, "displayName": "LAPTOP-ADELE", "operatingSystem": "Windows",
             "operatingSystemVersion": "10.0.22631", "registeredOwners": [ADELE], "registeredUsers": [ADELE]},
            {"id": TEST_DEVICE, "deviceId": "4c299165-6e8f-4b45-a5ba-c5d250a707ff", "displayName": "Test device",
             "operatingSystem": "linux", "operatingSystemVersion": "1", "accountEnabled": false,
             "registeredOwners": [ADELE], "registeredUsers": [ADELE]}
        ]
    });
    serde_json::from_value(v).unwrap()
}

pub async fn replay(name: &str, doc: &Value, failures: &RefCell<Vec<String>>) {
    let mut env = start_with(seed(), EmulatorConfig::default()).await;
    let check = Check {
        name,
        doc,
        graph_root: env.emu.graph_url(),
        failures,
    };
    let req = &doc["request"];
    let method = req["method"].as_str().unwrap_or("GET");
    let url = path_of(req["url"].as_str().unwrap_or(""));
    let body = req.get("body").filter(|b| !b.is_null()).cloned();
    let patch = |url: &str, body: Option<Value>| {
        let env = &env;
        let (url, method) = (url.to_string(), method.to_string());
        async move {
            env.call(&method, &url, body, &[("Content-Type", "application/json")])
                .await
        }
    };
    match name {
        "device-list.json" => {
            let r = env.get(&url).await;
            check.response(&r, &[]);
            assert!(
                r.body["value"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["displayName"] == "Test device" && d["operatingSystem"] == "linux"),
                "{name}: {}",
                r.body
            );
        }
        "lifecycle-device-disable.json" => {
            let r = patch(&url, body).await;
            check.response(&r, &[]);
            let d = env
                .get(&format!("/devices/{DOC_DEVICE}?$select=accountEnabled"))
                .await;
            assert_eq!(d.body["accountEnabled"], false, "{name}: {}", d.body);
        }
        "lifecycle-device-extensionattributes.json" => {
            let r = patch(&url, body).await;
            check.response(&r, &[]);
            let d = env
                .get(&format!(
                    "/devices/{DOC_DEVICE}?$select=extensionAttributes"
                ))
                .await;
            assert_eq!(
                d.body["extensionAttributes"]["extensionAttribute1"], "BYOD-Device",
                "{name}: {}",
                d.body
            );
        }
        // The docs call /me (delegated); the pages' application row says "Not
        // supported", so an app-only token is refused and a token issued as
        // the signed-in user (Adele) reads her devices.
        "lifecycle-list-owneddevices.json" | "lifecycle-list-registereddevices.json" => {
            let url = url.replacen("/me/", &format!("/users/{ADELE}/"), 1);
            let r = env.get(&url).await;
            assert_eq!(r.status, 403, "{name}: app-only: {}", r.body);
            env.token = env.emu.issue_token_as(CLIENT_ID, ADELE);
            let r = env.get(&url).await;
            check.response(&r, &[]);
            assert_eq!(
                r.body["value"].as_array().map(Vec::len),
                Some(2),
                "{name}: {}",
                r.body
            );
        }
        other => panic!("{other}: not a device example"),
    }
}
