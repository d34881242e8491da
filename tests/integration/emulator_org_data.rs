//! The emulator's `employeeOrgData` (a user's division and cost centre) as
//! Graph keeps it: written as a whole object that replaces the stored one, a
//! member left out set to `null`, returned only on `$select`, `null` clearing
//! it, and a member or a JSON type the resource does not have refused.
//! Sources: resources/employeeorgdata.md and user-update (see
//! `graph_emulator::prop_types::employee_org_data`).

use crate::emulator_support;

use emulator_support::*;
use serde_json::{Value, json};

async fn org_data(env: &Env, id: &str) -> Value {
    let r = env
        .get(&format!("/users/{id}?$select=id,employeeOrgData"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["employeeOrgData"].clone()
}

#[tokio::test]
async fn org_data_is_replaced_whole_and_omitted_members_become_null() {
    let env = start().await;
    let path = format!("/users/{ADELE}");
    let r = env
        .send(
            "PATCH",
            &path,
            json!({"employeeOrgData": {"division": "Engineering", "costCenter": "4711"}}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        org_data(&env, ADELE).await,
        json!({"division": "Engineering", "costCenter": "4711"})
    );
    // Not a default property: a read without `$select` does not return it.
    let plain = env.get(&path).await;
    assert_eq!(plain.status, 200);
    assert!(
        plain.body.get("employeeOrgData").is_none(),
        "{}",
        plain.body
    );

    // Only the cost centre sent: the division is not kept but set to null.
    let r = env
        .send(
            "PATCH",
            &path,
            json!({"employeeOrgData": {"costCenter": "42"}}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        org_data(&env, ADELE).await,
        json!({"division": null, "costCenter": "42"})
    );

    // null clears the object.
    let r = env
        .send("PATCH", &path, json!({"employeeOrgData": null}))
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(org_data(&env, ADELE).await, Value::Null);

    // On create, the same shape.
    let r = env
        .send(
            "POST",
            "/users",
            json!({
                "accountEnabled": true,
                "displayName": "Org Data",
                "mailNickname": "orgdata",
                "userPrincipalName": "orgdata@contoso.com",
                "passwordProfile": {"password": "Xy7!abcdefgh"},
                "employeeOrgData": {"division": "Sales"}
            }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().unwrap_or_default().to_string();
    assert_eq!(
        org_data(&env, &id).await,
        json!({"division": "Sales", "costCenter": null})
    );
}

#[tokio::test]
async fn org_data_members_are_checked() {
    let env = start().await;
    let path = format!("/users/{ADELE}");
    let cases = [
        (
            json!({"employeeOrgData": {"division": "A", "region": "EU"}}),
            "The property 'region' does not exist on type 'microsoft.graph.employeeOrgData'. Make sure to only use property names that are defined by the type.",
        ),
        (
            json!({"employeeOrgData": {"costCenter": 4711}}),
            "Cannot convert the literal '4711' to the expected type 'Edm.String'.",
        ),
        (
            json!({"employeeOrgData": "Engineering"}),
            "An unexpected 'PrimitiveValue' node was found when reading from the JSON reader. A 'StartObject' node was expected.",
        ),
    ];
    for (body, message) in cases {
        let r = env.send("PATCH", &path, body.clone()).await;
        let msg = assert_graph_error(&r, 400, "Request_BadRequest");
        assert_eq!(msg, message, "{body}");
    }
    // Nothing was stored by the refused writes.
    assert_eq!(org_data(&env, ADELE).await, Value::Null);
}
