//! The emulator's sign-in reports over HTTP: `signInActivity` only when
//! selected, 500 a page with it, AuditLog.Read.All, the 403 of a tenant
//! without Entra ID P1; `userRegistrationDetails` paging, filters, disabled
//! users left out; the seed round trip.

use crate::emulator_support::*;
use graph_emulator::{EmulatorConfig, Seed};
use serde_json::{Value, json};

const REGISTRATION: &str = "/reports/authenticationMethods/userRegistrationDetails";
const NON_PREMIUM: &str = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";

fn seed(permissions: Value, premium: Option<bool>, users: usize) -> Seed {
    let mut list: Vec<Value> = (0..users)
        .map(|i| {
            json!({"userPrincipalName": format!("u{i:04}@contoso.com"), "displayName": format!("User {i}"),
                   "mailNickname": format!("u{i:04}"), "accountEnabled": true,
                   "signInActivity": {"lastSignInDateTime": "2026-01-01T00:00:00Z"}})
        })
        .collect();
    list.push(
        json!({"userPrincipalName": "off@contoso.com", "displayName": "Off",
                     "mailNickname": "off", "accountEnabled": false}),
    );
    let mut v = json!({
        "tenant": {"id": TENANT, "domains": ["contoso.com"]},
        "applications": [{"appId": CLIENT_ID, "displayName": "reports", "clientSecrets": [SECRET],
                          "permissions": permissions}],
        "users": list,
        "userRegistrationDetails": [
            {"user": "u0000@contoso.com", "isMfaRegistered": true, "methodsRegistered": ["fido2"]},
            {"user": "u0001@contoso.com", "methodsRegistered": ["email"]}
        ]
    });
    if let Some(p) = premium {
        v["entraIdPremium"] = json!(p);
    }
    serde_json::from_value(v).unwrap()
}

fn items(r: &Resp) -> &Vec<Value> {
    r.body["value"].as_array().expect("value")
}

#[tokio::test]
async fn sign_in_activity_only_when_selected_and_at_most_500_a_page() {
    let env = start_with(
        seed(json!(["User.Read.All", "AuditLog.Read.All"]), None, 600),
        EmulatorConfig::default(),
    )
    .await;
    let r = env.get("/users?$top=999").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(items(&r).len(), 601);
    assert!(items(&r).iter().all(|u| u.get("signInActivity").is_none()));

    let r = env.get("/users?$select=id,signInActivity&$top=999").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(items(&r).len(), 500, "a larger $top gives pages of 500");
    assert_eq!(
        items(&r)[0]["signInActivity"]["lastSignInDateTime"],
        "2026-01-01T00:00:00Z"
    );
    let next = r.body["@odata.nextLink"].as_str().expect("nextLink");
    let r = env.get(next).await;
    assert_eq!(items(&r).len(), 101);
    assert!(r.body.get("@odata.nextLink").is_none());

    // A user by id too.
    let id = items(&r)[0]["id"].as_str().unwrap().to_string();
    let r = env
        .get(&format!("/users/{id}?$select=signInActivity"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn sign_in_activity_and_the_registration_report_need_audit_log_read_all() {
    let env = start_with(
        seed(json!(["User.Read.All"]), None, 3),
        EmulatorConfig::default(),
    )
    .await;
    assert_eq!(env.get("/users?$select=id,displayName").await.status, 200);
    let r = env.get("/users?$select=id,signInActivity").await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    let id = items(&env.get("/users").await)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = env
        .get(&format!("/users/{id}?$select=SIGNINACTIVITY"))
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
    assert_graph_error(
        &env.get(REGISTRATION).await,
        403,
        "Authorization_RequestDenied",
    );
}

#[tokio::test]
async fn a_tenant_without_entra_id_p1_gets_graphs_403() {
    let env = start_with(
        seed(
            json!(["User.Read.All", "AuditLog.Read.All"]),
            Some(false),
            3,
        ),
        EmulatorConfig::default(),
    )
    .await;
    let msg = assert_graph_error(
        &env.get("/users?$select=displayName,signInActivity").await,
        403,
        NON_PREMIUM,
    );
    assert_eq!(
        msg,
        "Neither tenant is B2C or tenant doesn't have premium license"
    );
    assert_graph_error(&env.get(REGISTRATION).await, 403, NON_PREMIUM);
    // Users without signInActivity are still readable.
    assert_eq!(env.get("/users?$select=displayName").await.status, 200);
    // The seed keeps it.
    let state = env.emu.state();
    assert_eq!(state.entra_id_premium, Some(false));
    assert_eq!(state.user_registration_details.len(), 2);
}

#[tokio::test]
async fn the_registration_report_pages_filters_and_leaves_out_disabled_users() {
    let env = start_with(
        seed(json!(["AuditLog.Read.All"]), None, 150),
        EmulatorConfig::default(),
    )
    .await;
    let r = env.get(REGISTRATION).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails")
    );
    assert_eq!(items(&r).len(), 100, "100 a page");
    let next = r.body["@odata.nextLink"]
        .as_str()
        .expect("nextLink")
        .to_string();
    let r2 = env.get(&next).await;
    assert_eq!(
        items(&r2).len(),
        50,
        "150 enabled users; the disabled one is absent"
    );
    let all: Vec<&Value> = items(&r).iter().chain(items(&r2)).collect();
    assert!(
        all.iter()
            .all(|u| u["userPrincipalName"] != "off@contoso.com")
    );
    let u0 = all
        .iter()
        .find(|u| u["userPrincipalName"] == "u0000@contoso.com")
        .unwrap();
    assert_eq!(u0["isMfaRegistered"], true);
    assert_eq!(u0["methodsRegistered"], json!(["fido2"]));
    assert_eq!(u0["userType"], "member");

    let r = env
        .get(&format!("{REGISTRATION}?$filter=isMfaRegistered eq true"))
        .await;
    assert_eq!(items(&r).len(), 1, "{}", r.body);
    let r = env
        .get(&format!(
            "{REGISTRATION}?$filter=methodsRegistered/any(m:m eq 'email')"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(items(&r)[0]["userPrincipalName"], "u0001@contoso.com");
    let r = env
        .get(&format!(
            "{REGISTRATION}?$filter=startswith(userPrincipalName,'u014')"
        ))
        .await;
    assert_eq!(items(&r).len(), 10, "{}", r.body);
    let r = env
        .get(&format!("{REGISTRATION}?$orderby=userPrincipalName"))
        .await;
    assert_graph_error(&r, 400, "Request_UnsupportedQuery");
}

#[test]
fn a_seed_row_for_an_unknown_user_or_a_computed_property_is_refused() {
    let mut s = serde_json::to_value(seed(json!("all"), None, 1)).unwrap();
    s["userRegistrationDetails"] = json!([{"user": "nobody@contoso.com", "isMfaRegistered": true}]);
    let seed: Seed = serde_json::from_value(s.clone()).unwrap();
    let e = graph_emulator::BackgroundEmulator::start(seed, EmulatorConfig::default())
        .err()
        .expect("refused");
    assert!(
        e.to_string().contains("unknown user nobody@contoso.com"),
        "{e}"
    );
    s["userRegistrationDetails"] = json!([{"user": "u0000@contoso.com", "isAdmin": true}]);
    let seed: Seed = serde_json::from_value(s).unwrap();
    let e = graph_emulator::BackgroundEmulator::start(seed, EmulatorConfig::default())
        .err()
        .expect("refused");
    assert!(e.to_string().contains("computed property 'isAdmin'"), "{e}");
}

#[tokio::test]
async fn filtering_on_sign_in_activity_alone() {
    let mut s = seed(json!(["User.Read.All", "AuditLog.Read.All"]), None, 2);
    s.users[1].properties.insert(
        "signInActivity".into(),
        json!({"lastSignInDateTime": "2024-01-01T00:00:00Z"}),
    );
    let env = start_with(s, EmulatorConfig::default()).await;
    // Documented form (Entra, inactive accounts): no ConsistencyLevel needed.
    let r = env
        .get("/users?$filter=signInActivity/lastSignInDateTime le 2025-01-01T00:00:00Z&$select=userPrincipalName,signInActivity")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let upns: Vec<&str> = items(&r)
        .iter()
        .map(|u| u["userPrincipalName"].as_str().unwrap())
        .collect();
    assert_eq!(
        upns,
        ["u0001@contoso.com"],
        "users without sign-in activity do not match"
    );
    let r = env
        .get("/users?$filter=signInActivity/lastSignInDateTime ge 2025-01-01T00:00:00Z")
        .await;
    assert_eq!(items(&r).len(), 1, "{}", r.body);
    // Not with another property; not with gt.
    let r = env
        .get("/users?$filter=signInActivity/lastSignInDateTime le 2025-01-01T00:00:00Z and accountEnabled eq true")
        .await;
    assert_graph_error(&r, 400, "Request_UnsupportedQuery");
    let r = env
        .get("/users?$filter=signInActivity/lastSignInDateTime gt 2025-01-01T00:00:00Z")
        .await;
    assert_graph_error(&r, 400, "Request_UnsupportedQuery");
    let r = env
        .get("/users?$filter=signInActivity/nonsense le 2025-01-01")
        .await;
    assert_graph_error(&r, 400, "Request_UnsupportedQuery");

    // Filtering on it needs the permission, as selecting it does.
    let env = start_with(
        seed(json!(["User.Read.All"]), None, 2),
        EmulatorConfig::default(),
    )
    .await;
    let r = env
        .get("/users?$filter=signInActivity/lastSignInDateTime le 2025-01-01T00:00:00Z")
        .await;
    assert_graph_error(&r, 403, "Authorization_RequestDenied");
}
