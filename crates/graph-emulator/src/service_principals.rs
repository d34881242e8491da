//! `/servicePrincipals`: the service principals of the seed's app
//! registrations, by object id or by the `appId` alternate key.

use serde_json::{Map, Value, json};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse};
use super::odata::Query;
use super::seed::AppRegistration;
use super::state::Tenant;

const PROPS: &[&str] = &[
    "id",
    "appId",
    "displayName",
    "servicePrincipalType",
    "accountEnabled",
];

fn full(app: &AppRegistration, id: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("appId".into(), json!(app.app_id));
    m.insert("displayName".into(), json!(app.display_name));
    m.insert("servicePrincipalType".into(), json!("Application"));
    m.insert("accountEnabled".into(), json!(true));
    m
}

/// `GET /servicePrincipals/{id}` or `GET /servicePrincipals(appId='{appId}')`.
pub fn get(ctx: &Ctx, t: &Tenant, req: &ApiRequest, key: SpKey<'_>) -> GraphResult<ApiResponse> {
    let q = Query::parse(&req.query, req.eventual())?;
    let sel = q.resolve_select(PROPS, "servicePrincipal")?;
    let (app, id) = t
        .apps
        .iter()
        .find_map(|a| {
            let sp = a.service_principal_id.as_deref()?;
            let hit = match key {
                SpKey::Id(id) => sp.eq_ignore_ascii_case(id),
                SpKey::AppId(app_id) => a.app_id.eq_ignore_ascii_case(app_id),
            };
            hit.then_some((a, sp))
        })
        .ok_or_else(|| {
            GraphError::not_found(match key {
                SpKey::Id(id) | SpKey::AppId(id) => id,
            })
        })?;
    let mut m = Map::new();
    let context = match &sel {
        Some(s) => format!("servicePrincipals({})/$entity", s.join(",")),
        None => "servicePrincipals/$entity".to_string(),
    };
    m.insert("@odata.context".into(), json!(ctx.urls.context(&context)));
    let all = full(app, id);
    match sel {
        Some(s) => {
            for p in s {
                m.insert(p.to_string(), all.get(p).cloned().unwrap_or(Value::Null));
            }
        }
        None => m.extend(all),
    }
    Ok(ApiResponse::json(200, Value::Object(m)))
}

/// How a service principal is addressed.
#[derive(Debug, Clone, Copy)]
pub enum SpKey<'a> {
    /// By object id.
    Id(&'a str),
    /// By `appId` alternate key.
    AppId(&'a str),
}

/// Parse `servicePrincipals(appId='...')` (also `servicePrincipals(appId="...")`).
pub fn parse_alternate_key(segment: &str) -> Option<&str> {
    let inner = segment
        .strip_prefix("servicePrincipals(")?
        .strip_suffix(')')?;
    let (k, v) = inner.split_once('=')?;
    k.trim()
        .eq_ignore_ascii_case("appId")
        .then(|| v.trim().trim_matches(['\'', '"']))
}
