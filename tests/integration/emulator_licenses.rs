//! The emulator's licence endpoints against Microsoft's reference
//! (user-assignlicense, subscribedsku-list, resources/user) and the errors
//! reported from live tenants (docs/emulator.md, *Licences*): each refusal
//! is a 400 `Request_BadRequest` with Graph's wording and changes nothing.

use crate::cli_support::graph_call as call;
use crate::cli_support::{Tenant, tenant_from};
use graph_emulator::Seed;
use serde_json::{Value, json};

const APP: &str = "11111111-1111-4111-8111-111111111111";
const ANN: &str = "0e000000-0000-4000-8000-000000000001";
const BOB: &str = "0e000000-0000-4000-8000-000000000002";
const NOLOC: &str = "0e000000-0000-4000-8000-000000000003";
const GROUP: &str = "0e000000-0000-4000-8000-0000000000e5";
const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
const E5: &str = "06ebc4ee-1bb5-47dd-8120-11324bc54e06";

/// E3 has one seat (ann holds it); bob holds E5 through a group; noloc has no usageLocation.
fn tenant() -> Tenant {
    let y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: {APP}\n    permissions: all\nusers:\n  - {{ id: {ANN}, userPrincipalName: ann@contoso.com, displayName: Ann, mailNickname: ann, usageLocation: US }}\n  - {{ id: {BOB}, userPrincipalName: bob@contoso.com, displayName: Bob, mailNickname: bob, usageLocation: US }}\n  - {{ id: {NOLOC}, userPrincipalName: noloc@contoso.com, displayName: NoLoc, mailNickname: noloc }}\ngroups:\n  - {{ id: {GROUP}, displayName: e5, mailNickname: e5, members: [{BOB}] }}\nsubscribedSkus:\n  - {{ skuId: {E3}, skuPartNumber: ENTERPRISEPACK, enabled: 1 }}\n  - {{ skuId: {E5}, skuPartNumber: SPE_E5, enabled: 3 }}\nlicenseAssignments:\n  - {{ principal: {ANN}, sku: ENTERPRISEPACK }}\n  - {{ principal: {GROUP}, sku: SPE_E5 }}\n"
    );
    tenant_from(Seed::parse(&y).expect("seed"))
}

fn assign(t: &Tenant, user: &str, add: &[&str], remove: &[&str]) -> (u16, Value) {
    let add: Vec<Value> = add
        .iter()
        .map(|s| json!({"skuId": s, "disabledPlans": []}))
        .collect();
    call(
        t,
        &t.token,
        "POST",
        &format!("/users/{user}/assignLicense"),
        Some(json!({"addLicenses": add, "removeLicenses": remove})),
    )
}

fn refused(r: (u16, Value), message: &str) {
    assert_eq!(r.0, 400, "{}", r.1);
    assert_eq!(r.1["error"]["code"], "Request_BadRequest", "{}", r.1);
    assert!(
        r.1["error"]["message"].as_str().unwrap().contains(message),
        "{}",
        r.1
    );
}

#[test]
fn skus_count_seats_by_any_path_and_accept_only_select() {
    let t = tenant();
    let (s, v) = call(&t, &t.token, "GET", "/subscribedSkus", None);
    assert_eq!(s, 200, "{v}");
    let used: Vec<(String, u64, u64)> = v["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["skuPartNumber"].as_str().unwrap().to_string(),
                s["consumedUnits"].as_u64().unwrap(),
                s["prepaidUnits"]["enabled"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        used,
        vec![("ENTERPRISEPACK".into(), 1, 1), ("SPE_E5".into(), 1, 3)]
    );
    let (s, v) = call(&t, &t.token, "GET", "/subscribedSkus?$select=skuId", None);
    assert_eq!((s, v["value"][0].as_object().unwrap().len()), (200, 1));
    let (s, _) = call(
        &t,
        &t.token,
        "GET",
        "/subscribedSkus?$filter=skuPartNumber%20eq%20'SPE_E5'",
        None,
    );
    assert_eq!(s, 400);
    // Organization.Read.All reads them; User.Read.All does not.
    let org = t.emu.issue_token_with(APP, &["Organization.Read.All"]);
    assert_eq!(call(&t, &org, "GET", "/subscribedSkus", None).0, 200);
    let user = t.emu.issue_token_with(APP, &["User.Read.All"]);
    assert_eq!(call(&t, &user, "GET", "/subscribedSkus", None).0, 403);
}

#[test]
fn assign_license_refusals_change_nothing() {
    let t = tenant();
    let before = t.emu.state();
    refused(
        assign(&t, NOLOC, &[E5], &[]),
        "License assignment cannot be done for user with invalid usage location.",
    );
    refused(
        assign(&t, BOB, &[], &[E5]),
        "User license is inherited from a group membership and it cannot be removed directly from the user.",
    );
    refused(
        assign(&t, BOB, &[E3], &[]),
        &format!("Subscription {E3} does not have any available licenses."),
    );
    refused(
        assign(&t, ANN, &["00000000-0000-0000-0000-00000000beef"], &[]),
        "does not correspond to a valid company License.",
    );
    // removeLicenses is required (an empty list is fine).
    let (s, _) = call(
        &t,
        &t.token,
        "POST",
        &format!("/users/{ANN}/assignLicense"),
        Some(json!({"addLicenses": []})),
    );
    assert_eq!(s, 400);
    // Licences are not PATCHable properties.
    let (s, _) = call(
        &t,
        &t.token,
        "PATCH",
        &format!("/users/{ANN}"),
        Some(json!({"assignedLicenses": []})),
    );
    assert_eq!(s, 400);
    // Without LicenseAssignment.ReadWrite.All (or a higher permission): 403.
    let read = t.emu.issue_token_with(APP, &["User.Read.All"]);
    let (s, _) = call(
        &t,
        &read,
        "POST",
        &format!("/users/{ANN}/assignLicense"),
        Some(json!({"addLicenses": [], "removeLicenses": [E3]})),
    );
    assert_eq!(s, 403);
    assert_eq!(t.emu.state(), before);
}

#[test]
fn a_user_holding_a_sku_takes_no_second_seat_and_states_show_each_path() {
    let t = tenant();
    // bob already holds E5 through the group: a direct E5 takes no new seat.
    let (s, v) = assign(&t, BOB, &[E5], &[]);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["assignedLicenses"].as_array().unwrap().len(), 1, "{v}");
    let (_, v) = call(
        &t,
        &t.token,
        "GET",
        &format!("/users/{BOB}?$select=licenseAssignmentStates,assignedLicenses"),
        None,
    );
    let by: Vec<Value> = v["licenseAssignmentStates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["assignedByGroup"].clone())
        .collect();
    assert_eq!(by, vec![Value::Null, json!(GROUP)], "{v}");
    let (_, skus) = call(&t, &t.token, "GET", "/subscribedSkus", None);
    assert_eq!(skus["value"][1]["consumedUnits"], 1);
    // Freeing ann's E3 seat lets bob have it.
    assert_eq!(assign(&t, ANN, &[], &[E3]).0, 200);
    assert_eq!(assign(&t, BOB, &[E3], &[]).0, 200);
}
