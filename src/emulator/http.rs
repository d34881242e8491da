//! Transport-neutral request/response types for Graph calls (so top-level
//! HTTP requests and `$batch` items run through the same code), helpers for
//! Graph's JSON shapes, and keyset paging.

use serde_json::{Map, Value, json};

use super::error::{GraphError, GraphResult};
use super::util::{hex, percent_decode, percent_encode, unhex};

/// Content type Graph puts on OData JSON responses.
pub const ODATA_JSON: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// One Graph request (top-level or inside `$batch`), relative to `/v1.0`.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    /// Upper-case method.
    pub method: String,
    /// Path after `/v1.0`, e.g. `/users/abc/manager/$ref` (still percent-encoded).
    pub path: String,
    /// Decoded query parameters in order.
    pub query: Vec<(String, String)>,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Parsed JSON body, if any.
    pub body: Option<Value>,
}

impl ApiRequest {
    /// A header value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `ConsistencyLevel: eventual` was sent.
    pub fn eventual(&self) -> bool {
        self.header("consistencylevel")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("eventual"))
    }

    /// Decoded path segments.
    pub fn segments(&self) -> Vec<String> {
        self.path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_decode(s, false))
            .collect()
    }

    /// Whether the method reads only.
    pub fn is_read(&self) -> bool {
        self.method == "GET" || self.method == "HEAD"
    }

    /// The JSON body as an object, or Graph's error for a missing/invalid one.
    pub fn body_object(&self) -> GraphResult<&Map<String, Value>> {
        self.body.as_ref().and_then(Value::as_object).ok_or_else(|| {
            GraphError::new(
                400,
                "BadRequest",
                "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
            )
        })
    }
}

/// A response body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No body (204).
    Empty,
    /// OData JSON.
    Json(Value),
    /// `text/plain` (e.g. `/users/$count`).
    Text(String),
}

/// A Graph response before it is written to the wire.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Body,
}

impl ApiResponse {
    /// A JSON response.
    pub fn json(status: u16, v: Value) -> Self {
        ApiResponse {
            status,
            headers: Vec::new(),
            body: Body::Json(v),
        }
    }

    /// 204 No Content.
    pub fn no_content() -> Self {
        ApiResponse {
            status: 204,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    /// A plain-text response.
    pub fn text(status: u16, s: String) -> Self {
        ApiResponse {
            status,
            headers: Vec::new(),
            body: Body::Text(s),
        }
    }

    /// The response for a Graph error (ids and date filled in by the caller).
    pub fn error(e: &GraphError, request_id: &str, client_request_id: &str, date: &str) -> Self {
        ApiResponse {
            status: e.status,
            headers: e.headers().to_vec(),
            body: Body::Json(e.body(request_id, client_request_id, date)),
        }
    }
}

/// URLs the emulator writes into responses (`@odata.context`, `nextLink`, `@odata.id`).
#[derive(Debug, Clone)]
pub struct Urls {
    /// `http://127.0.0.1:port`
    pub base: String,
}

impl Urls {
    /// `{base}/v1.0`
    pub fn root(&self) -> String {
        format!("{}/v1.0", self.base)
    }

    /// `{base}/v1.0/$metadata#{fragment}`
    pub fn context(&self, fragment: &str) -> String {
        format!("{}/v1.0/$metadata#{fragment}", self.base)
    }

    /// A collection context with an optional select list: `users` or `users(a,b)`.
    pub fn collection_context(&self, set: &str, select: Option<&[&str]>) -> String {
        match select {
            Some(s) => self.context(&format!("{set}({})", s.join(","))),
            None => self.context(set),
        }
    }

    /// A next-page link: the same path and options plus `$skiptoken`.
    pub fn next_link(&self, path: &str, passthrough: &[(String, String)], token: &str) -> String {
        let mut q: Vec<String> = passthrough
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        q.push(format!("$skiptoken={token}"));
        format!("{}{}?{}", self.root(), path, q.join("&"))
    }

    /// `@odata.id` of a directory object in a `$ref` listing.
    pub fn directory_object_ref(&self, id: &str, type_suffix: &str) -> String {
        format!(
            "{}/directoryObjects/{id}/Microsoft.DirectoryServices.{type_suffix}",
            self.root()
        )
    }
}

/// Extract an object id from an `@odata.id` URL (`…/directoryObjects/{id}`, `…/users/{id}`, `…/users('{id}')`).
pub fn id_from_odata_id(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    let last = percent_decode(last, false);
    let id = if let Some(open) = last.find('(') {
        last[open + 1..]
            .trim_end_matches(')')
            .trim_matches('\'')
            .to_string()
    } else {
        last
    };
    (!id.is_empty()).then_some(id)
}

/// The `@odata.id` reference in a `$ref` body.
pub fn ref_body_id(req: &ApiRequest) -> GraphResult<String> {
    let body = req.body_object()?;
    body.get("@odata.id")
        .and_then(Value::as_str)
        .and_then(id_from_odata_id)
        .ok_or_else(|| {
            GraphError::bad_request(
                "Invalid request body: an '@odata.id' reference to a directory object is required.",
            )
        })
}

/// Encode a keyset position (order tag, sort key, id) as an opaque token.
pub fn encode_token(tag: &str, key: &str, id: &str) -> String {
    hex(format!("{tag}\u{1}{key}\u{1}{id}").as_bytes())
}

/// Decode a keyset token for the given order tag.
pub fn decode_token(token: &str, tag: &str) -> GraphResult<(String, String)> {
    let bad = || GraphError::bad_request("Invalid or expired $skiptoken value.");
    let bytes = unhex(token).ok_or_else(bad)?;
    let s = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut parts = s.split('\u{1}');
    let (t, k, i) = (parts.next(), parts.next(), parts.next());
    match (t, k, i) {
        (Some(t), Some(k), Some(i)) if t == tag => Ok((k.to_string(), i.to_string())),
        _ => Err(bad()),
    }
}

/// Take up to `size` items matching `pred` from a keyset iterator; also
/// returns the position to continue from if more may follow.
pub fn take_page<I, F>(iter: I, size: usize, mut pred: F) -> (Vec<String>, Option<(String, String)>)
where
    I: Iterator<Item = (String, String)>,
    F: FnMut(&str) -> bool,
{
    let mut out = Vec::with_capacity(size.min(1024));
    let mut last: Option<(String, String)> = None;
    for (key, id) in iter {
        if !pred(&id) {
            continue;
        }
        if out.len() == size {
            return (out, last);
        }
        out.push(id.clone());
        last = Some((key, id));
    }
    (out, None)
}

/// Build a collection response body.
pub fn collection(
    context: String,
    count: Option<usize>,
    next: Option<String>,
    value: Vec<Value>,
) -> Value {
    let mut m = Map::new();
    m.insert("@odata.context".into(), json!(context));
    if let Some(c) = count {
        m.insert("@odata.count".into(), json!(c));
    }
    if let Some(n) = next {
        m.insert("@odata.nextLink".into(), json!(n));
    }
    m.insert("value".into(), Value::Array(value));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odata_ids() {
        assert_eq!(
            id_from_odata_id("https://graph.microsoft.com/v1.0/directoryObjects/abc").as_deref(),
            Some("abc")
        );
        assert_eq!(
            id_from_odata_id("https://graph.microsoft.com/v1.0/users('x@y.com')").as_deref(),
            Some("x@y.com")
        );
    }

    #[test]
    fn tokens_round_trip() {
        let t = encode_token("name", "adele vance", "id-1");
        assert_eq!(
            decode_token(&t, "name").unwrap(),
            ("adele vance".into(), "id-1".into())
        );
        assert!(decode_token(&t, "id").is_err());
    }

    #[test]
    fn paging_stops_with_position() {
        let items = (0..5).map(|i| (i.to_string(), format!("id{i}")));
        let (page, next) = take_page(items, 2, |id| id != "id1");
        assert_eq!(page, vec!["id0", "id2"]);
        assert_eq!(next, Some(("2".to_string(), "id2".to_string())));
    }
}
