//! Reading leavers' authentication methods for `remove_authentication_methods`:
//! `GET /users/{id}/authentication/methods` (authentication-list-methods) for
//! each user the leaver policy applies to, 20 per `$batch` — ⌈L/20⌉ requests
//! for L leavers, none when the policy does not have the step. Only the type,
//! id and phone type of each method are kept (never a number or a pass).
//! Graph refusing the read (403: `UserAuthenticationMethod.Read.All` missing)
//! is not an I/O failure but a value the plan reports ([`LiveAuthMethods::Unreadable`]).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::graph::{GraphClient, GraphError, Request};
use crate::model::ObjectId;
use crate::model::auth_methods::{AuthMethodKind, AuthMethodRef, LiveAuthMethods};

/// Most methods kept per user (a bound on hostile answers; Graph caps
/// registrations far below it).
const MAX_METHODS_PER_USER: usize = 200;

#[derive(Deserialize)]
struct ListDto {
    #[serde(default)]
    value: Vec<MethodDto>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

#[derive(Deserialize)]
struct MethodDto {
    #[serde(rename = "@odata.type", default)]
    odata_type: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(rename = "phoneType", default)]
    phone_type: Option<String>,
}

/// The removable methods in one list answer (the password and types v1.0
/// cannot delete are left out).
fn removable(list: ListDto) -> Vec<AuthMethodRef> {
    let mut out: Vec<AuthMethodRef> = list
        .value
        .into_iter()
        .filter_map(|m| {
            let kind = AuthMethodKind::from_odata_type(m.odata_type.as_deref()?)?;
            Some(AuthMethodRef {
                kind,
                id: m.id?,
                phone_type: if kind == AuthMethodKind::Phone {
                    m.phone_type
                } else {
                    None
                },
            })
        })
        .take(MAX_METHODS_PER_USER)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Read the methods of `users` (`$batch`ed, 20 per request). A 404 (the user
/// is gone) reads as no method; a 403 makes the whole read
/// [`LiveAuthMethods::Unreadable`]; any other failure is an error.
pub async fn read_auth_methods(
    client: &GraphClient,
    users: &[ObjectId],
) -> Result<LiveAuthMethods, GraphError> {
    let requests: Vec<Request> = users
        .iter()
        .map(|id| Request::get(format!("/users/{}/authentication/methods", id.0)))
        .collect();
    let answers = client.batch(requests).await?;
    let mut out: BTreeMap<ObjectId, Vec<AuthMethodRef>> = BTreeMap::new();
    for (id, answer) in users.iter().zip(answers) {
        let path = format!("/users/{}/authentication/methods", id.0);
        match answer {
            Ok(resp) => {
                let list: ListDto = resp.json("GET", &path)?;
                if list.next_link.is_some() {
                    return Err(GraphError::Decode {
                        method: "GET".into(),
                        path,
                        reason: "the list of authentication methods came back paged, which Graph does not document for this API; entraform does not read further pages".into(),
                    });
                }
                out.insert(id.clone(), removable(list));
            }
            Err(e) if e.status == 404 => {
                out.insert(id.clone(), Vec::new());
            }
            Err(e) if e.status == 403 => {
                return Ok(LiveAuthMethods::Unreadable(format!(
                    "Graph refused {} (HTTP 403: {}); reading needs UserAuthenticationMethod.Read.All",
                    e.path, e.code
                )));
            }
            Err(e) => return Err(GraphError::Api(e)),
        }
    }
    Ok(LiveAuthMethods::Read(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_and_unknown_types_stay_and_numbers_are_not_kept() {
        let list: ListDto = serde_json::from_value(serde_json::json!({
            "value": [
                {"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": "28c10230-6103-485e-b985-444c60001490"},
                {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": "3179e48a-750b-4051-897c-87b9720928f7", "phoneNumber": "+1 2065555555", "phoneType": "mobile"},
                {"@odata.type": "#microsoft.graph.platformCredentialAuthenticationMethod", "id": "p1"},
                {"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "id": "f1", "displayName": "key"}
            ]
        }))
        .unwrap();
        let got = removable(list);
        assert_eq!(
            got,
            vec![
                AuthMethodRef {
                    kind: AuthMethodKind::Phone,
                    id: "3179e48a-750b-4051-897c-87b9720928f7".into(),
                    phone_type: Some("mobile".into()),
                },
                AuthMethodRef {
                    kind: AuthMethodKind::Fido2,
                    id: "f1".into(),
                    phone_type: None,
                },
            ]
        );
    }
}
