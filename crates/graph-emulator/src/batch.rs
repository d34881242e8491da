//! `POST /$batch`: up to 20 requests with relative URLs, per-item status,
//! headers and body, `dependsOn` ordering (dependents of a failed request get
//! 424), and per-item throttling.
//!
//! Items that do not depend on each other run in an order Graph does not
//! promise ("Individual responses might appear in a different order than the
//! requests", concepts/json-batching.md): with a shuffle seed the emulator
//! draws one (from the seed and the batch's content, so the same batch under
//! the same seed runs the same way) and answers in the order it ran them.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::error::GraphError;
use super::http::{ApiRequest, ApiResponse, Body};
use super::odata::Work;
use super::shared::{Auth, Shared};
use super::util::{Rng, parse_query};

/// Most requests one batch may hold.
pub const MAX_BATCH: usize = 20;

struct Item {
    id: String,
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn bad(message: impl Into<String>) -> GraphError {
    GraphError::new(400, "BadRequest", message)
}

fn parse_items(body: Option<&Value>) -> Result<Vec<Item>, GraphError> {
    let requests = body
        .and_then(|b| b.get("requests"))
        .and_then(Value::as_array)
        .ok_or_else(|| bad("Invalid batch payload format: a 'requests' array is required."))?;
    if requests.len() > MAX_BATCH {
        return Err(bad(format!(
            "The number of requests in the batch ({}) exceeds the limit of {MAX_BATCH}.",
            requests.len()
        )));
    }
    let mut items = Vec::with_capacity(requests.len());
    let mut ids = HashSet::new();
    for r in requests {
        let field = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
        let id = field("id").ok_or_else(|| {
            bad("Invalid batch payload format: every request needs a string 'id'.")
        })?;
        if !ids.insert(id.to_lowercase()) {
            return Err(bad(format!(
                "Invalid batch payload format: duplicate request id '{id}'."
            )));
        }
        let method = field("method")
            .ok_or_else(|| {
                bad(format!(
                    "Invalid batch payload format: request '{id}' has no 'method'."
                ))
            })?
            .to_uppercase();
        let url = field("url").ok_or_else(|| {
            bad(format!(
                "Invalid batch payload format: request '{id}' has no 'url'."
            ))
        })?;
        let headers: Vec<(String, String)> = r
            .get("headers")
            .and_then(Value::as_object)
            .map(|h| {
                h.iter()
                    .map(|(k, v)| (k.to_lowercase(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let body = r.get("body").filter(|b| !b.is_null()).cloned();
        if body.is_some() && !headers.iter().any(|(k, _)| k == "content-type") {
            return Err(bad(format!(
                "Invalid batch payload format: request '{id}' has a body but no Content-Type header."
            )));
        }
        let depends_on = r
            .get("dependsOn")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        items.push(Item {
            id,
            method,
            url,
            headers,
            body,
            depends_on,
        });
    }
    for it in &items {
        for d in &it.depends_on {
            if !ids.contains(&d.to_lowercase()) || d.eq_ignore_ascii_case(&it.id) {
                return Err(bad(format!(
                    "Invalid batch payload format: request '{}' depends on unknown request '{d}'.",
                    it.id
                )));
            }
        }
    }
    if has_cycle(&items) {
        return Err(bad(
            "Invalid batch payload format: dependsOn forms a cycle.",
        ));
    }
    Ok(items)
}

/// Whether `dependsOn` forms a cycle (checked before any item runs).
fn has_cycle(items: &[Item]) -> bool {
    let mut done = vec![false; items.len()];
    let mut left = items.len();
    loop {
        let ready: Vec<usize> = (0..items.len())
            .filter(|&i| !done[i] && deps_done(&items[i], items, &done))
            .collect();
        if ready.is_empty() {
            return left > 0;
        }
        for i in ready {
            done[i] = true;
            left -= 1;
        }
    }
}

fn deps_done(it: &Item, items: &[Item], done: &[bool]) -> bool {
    it.depends_on.iter().all(|d| {
        items
            .iter()
            .position(|x| x.id.eq_ignore_ascii_case(d))
            .is_some_and(|j| done[j])
    })
}

/// The order to try items in: list order, or a permutation drawn from the
/// seed mixed with the batch's content (FNV-1a of ids, methods and URLs).
fn try_order(items: &[Item], seed: Option<u64>) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    let Some(seed) = seed else {
        return order;
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for it in items {
        for b in it
            .id
            .bytes()
            .chain(it.method.bytes())
            .chain(it.url.bytes())
            .chain([0])
        {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    let mut rng = Rng::new(seed ^ h);
    for i in (1..order.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        order.swap(i, j);
    }
    order
}

fn item_request(it: &Item) -> Result<ApiRequest, GraphError> {
    if it.url.contains("://") {
        return Err(bad(
            "Batch request URLs must be relative to the version root, e.g. '/users'.",
        ));
    }
    let rel = it.url.trim_start_matches('/');
    let (path, query) = rel.split_once('?').unwrap_or((rel, ""));
    if let Some(version) = version_segment(path) {
        return Err(GraphError::new(
            400,
            "BadRequest",
            format!("Resource not found for the segment '{version}'."),
        ));
    }
    Ok(ApiRequest {
        method: it.method.clone(),
        path: format!("/{path}"),
        query: parse_query(query),
        headers: it.headers.clone(),
        body: it.body.clone(),
    })
}

/// The first segment of an item URL when it is a Graph version (`v1.0`,
/// `beta`). Graph does not strip it: item URLs are relative to the version
/// root (concepts/json-batching.md), so `/v1.0/users` names a resource
/// `v1.0` and that item alone fails with 400 "Resource not found for the
/// segment 'v1.0'." (microsoftgraph/msgraph-sdk-javascript issues #1178 and
/// #1998, where Microsoft's JavaScript client sent such URLs; the message
/// comes back per item, microsoftgraph/msgraph-sdk-dotnet issue #1119).
fn version_segment(path: &str) -> Option<&str> {
    let first = path.split('/').next()?;
    ["v1.0", "beta"]
        .iter()
        .any(|v| first.eq_ignore_ascii_case(v))
        .then_some(first)
}

fn item_json(id: &str, resp: ApiResponse) -> Value {
    let mut headers = Map::new();
    headers.insert("Cache-Control".into(), json!("no-cache"));
    match &resp.body {
        Body::Json(_) if resp.status < 400 => {
            headers.insert("OData-Version".into(), json!("4.0"));
            headers.insert("Content-Type".into(), json!(super::http::ODATA_JSON));
        }
        Body::Json(_) => {
            headers.insert("Content-Type".into(), json!("application/json"));
        }
        Body::Text(_) => {
            headers.insert("Content-Type".into(), json!("text/plain"));
        }
        Body::Empty => {}
    }
    for (k, v) in resp.headers {
        headers.insert(k, json!(v));
    }
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("status".into(), json!(resp.status));
    m.insert("headers".into(), Value::Object(headers));
    match resp.body {
        Body::Json(v) => {
            m.insert("body".into(), v);
        }
        Body::Text(s) => {
            m.insert("body".into(), json!(s));
        }
        Body::Empty => {}
    }
    Value::Object(m)
}

/// Run a batch; structural problems fail the whole batch with 400.
pub fn run(
    shared: &Shared,
    outer: &ApiRequest,
    auth: &Auth,
    request_id: &str,
    client_request_id: &str,
    work: &Work,
) -> Result<ApiResponse, GraphError> {
    let items = parse_items(outer.body.as_ref())?;
    let mut status: HashMap<String, u16> = HashMap::new();
    let mut out = Vec::with_capacity(items.len());
    let mut pending = try_order(&items, shared.shuffle_seed());
    // Each step runs the first pending item (in the drawn order) whose
    // dependencies have all run; `parse_items` refused cycles, so one is ready.
    while !pending.is_empty() {
        let Some(pos) = pending.iter().position(|&i| {
            items[i]
                .depends_on
                .iter()
                .all(|d| status.contains_key(&d.to_lowercase()))
        }) else {
            return Err(bad(
                "Invalid batch payload format: dependsOn forms a cycle.",
            ));
        };
        let it = &items[pending.remove(pos)];
        let failed_dep = it
            .depends_on
            .iter()
            .find(|d| status.get(&d.to_lowercase()).is_some_and(|s| *s >= 400));
        let resp = match (failed_dep, item_request(it)) {
            (Some(d), _) => {
                let e = GraphError::new(
                    424,
                    "FailedDependency",
                    format!("The request depends on request '{d}', which failed."),
                );
                shared.error_response(&e, request_id, client_request_id)
            }
            (None, Err(e)) => shared.error_response(&e, request_id, client_request_id),
            (None, Ok(req)) if req.segments().first().map(String::as_str) == Some("$batch") => {
                shared.error_response(
                    &bad("A batch cannot contain a batch."),
                    request_id,
                    client_request_id,
                )
            }
            (None, Ok(mut req)) => {
                // The item is addressed to the same host as the batch.
                if req.header("host").is_none()
                    && let Some(h) = outer.header("host")
                {
                    req.headers.push(("host".into(), h.to_string()));
                }
                let (route, resp) = shared.exec(&req, auth, request_id, client_request_id, work);
                shared.metrics().record_inner(&route, resp.status);
                resp
            }
        };
        status.insert(it.id.to_lowercase(), resp.status);
        out.push(item_json(&it.id, resp));
    }
    Ok(ApiResponse::json(200, json!({ "responses": out })))
}
