//! The emulator's authentication-methods list and per-type deletes against
//! Microsoft's reference (authentication-list-methods, *-delete pages) and the
//! default-method refusal reported from live tenants (docs/emulator.md,
//! *Authentication methods*).

use crate::cli_support::{Tenant, tenant_from};
use graph_emulator::Seed;
use serde_json::Value;

const ANN: &str = "0e000000-0000-4000-8000-000000000001";
const MOBILE: &str = "3179e48a-750b-4051-897c-87b9720928f7";
const ALT: &str = "b6332ec1-7057-4abe-9331-3d72feddfe41";
const AUTHN: &str = "0a000000-0000-4000-8000-0000000000a1";
const KEY: &str = "0a000000-0000-4000-8000-0000000000f2";

fn tenant(permissions: &str) -> Tenant {
    let y = format!(
        "tenant:\n  domains: [contoso.com]\napplications:\n  - appId: 11111111-1111-4111-8111-111111111111\n    permissions: {permissions}\nusers:\n  - {{ id: {ANN}, userPrincipalName: ann@contoso.com, displayName: Ann, mailNickname: ann }}\nauthenticationMethods:\n  - {{ user: ann@contoso.com, type: phone, phoneType: mobile, phoneNumber: '+1 2065555555', default: true }}\n  - {{ user: {ANN}, type: phone, phoneType: alternateMobile, phoneNumber: '+1 2065555556' }}\n  - {{ user: {ANN}, type: microsoftAuthenticator, id: {AUTHN}, displayName: iPhone }}\n  - {{ user: {ANN}, type: fido2, id: {KEY}, displayName: Red key }}\n"
    );
    tenant_from(Seed::parse(&y).expect("seed"))
}

fn call(t: &Tenant, method: &str, path: &str) -> (u16, Value) {
    crate::cli_support::graph_call(t, &t.token, method, path, None)
}

fn types(t: &Tenant) -> Vec<String> {
    let (s, v) = call(t, "GET", &format!("/users/{ANN}/authentication/methods"));
    assert_eq!(s, 200, "{v}");
    v["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            format!(
                "{}:{}",
                m["@odata.type"].as_str().unwrap(),
                m["id"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn list_shows_password_and_seeded_methods_and_deletes_keep_the_default_last() {
    let t = tenant("all");
    let listed = types(&t);
    assert_eq!(listed.len(), 5, "{listed:?}");
    assert!(listed[0].starts_with("#microsoft.graph.passwordAuthenticationMethod:28c10230"));
    assert!(listed.contains(&format!("#microsoft.graph.fido2AuthenticationMethod:{KEY}")));
    let del = |seg: &str, id: &str| {
        call(
            &t,
            "DELETE",
            &format!("/users/{ANN}/authentication/{seg}/{id}"),
        )
    };
    // The default (mobile phone) cannot go while other methods exist.
    let (s, v) = del("phoneMethods", MOBILE);
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("badRequest")),
        "{v}"
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Cannot delete default method")
    );
    // A method under the wrong type's path is not found.
    assert_eq!(del("fido2Methods", AUTHN).0, 404);
    assert_eq!(del("microsoftAuthenticatorMethods", AUTHN).0, 204);
    assert_eq!(del("fido2Methods", KEY).0, 204);
    assert_eq!(del("fido2Methods", KEY).0, 404, "deleted twice");
    assert_eq!(del("phoneMethods", ALT).0, 204);
    // Last one besides the password: the default may go now.
    assert_eq!(del("phoneMethods", MOBILE).0, 204);
    assert_eq!(types(&t).len(), 1, "only the password method is left");
    // The password method has no DELETE route.
    let (s, _) = call(
        &t,
        "DELETE",
        &format!(
            "/users/{ANN}/authentication/passwordMethods/28c10230-6103-485e-b985-444c60001490"
        ),
    );
    assert_ne!(s, 204);
}

#[test]
fn deletes_need_the_write_permission() {
    let t = tenant("[User.Read.All, UserAuthenticationMethod.Read.All]");
    assert_eq!(types(&t).len(), 5);
    let (s, v) = call(
        &t,
        "DELETE",
        &format!("/users/{ANN}/authentication/microsoftAuthenticatorMethods/{AUTHN}"),
    );
    assert_eq!(s, 403, "{v}");
    assert_eq!(types(&t).len(), 5, "nothing deleted");
}

#[test]
fn seeded_methods_round_trip_through_the_seed_form() {
    let t = tenant("all");
    let seed = t.emu.state();
    assert_eq!(seed.authentication_methods.len(), 4);
    assert!(
        seed.authentication_methods
            .iter()
            .any(|m| m.default && m.kind == "phone")
    );
}
