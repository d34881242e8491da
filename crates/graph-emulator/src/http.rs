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

/// Microsoft Graph's hosts in the global and national clouds (Microsoft's
/// *National cloud deployments* table), accepted over `https` in references.
pub const GRAPH_HOSTS: &[&str] = &[
    "graph.microsoft.com",
    "graph.microsoft.us",
    "dod-graph.microsoft.us",
    "microsoftgraph.chinacloudapi.cn",
];

/// Entity sets a directory-object reference may name.
const REF_SETS: &[&str] = &["directoryObjects", "users", "groups", "servicePrincipals"];

/// Whether a type cast may follow the key (`…/{id}/microsoft.graph.user`, or
/// the schema alias `…/{id}/graph.user`, see [`super::cast`]).
fn ref_cast_ok(c: &str) -> bool {
    use super::cast::{self, Cast};
    c.eq_ignore_ascii_case("microsoft.graph.directoryObject")
        || c.eq_ignore_ascii_case("graph.directoryObject")
        || matches!(
            cast::parse(c),
            Some(Cast::User | Cast::Group | Cast::ServicePrincipal)
        )
}

/// The object id in an `@odata.id` reference, if the URL is one Graph
/// accepts: `https://{Graph host}/{v1.0|beta}/{directoryObjects|users|groups|servicePrincipals}/{id}`
/// (or `…/users('{id}')`, optionally followed by a `microsoft.graph.*` cast),
/// or the same path on the emulator's own host (`own_hosts`, `http` or
/// `https`). Anything else — another host, no version segment, another entity
/// set, extra segments, a query — is refused. Graph's documented examples all
/// use this form (`https://graph.microsoft.com/v1.0/directoryObjects/{id}`,
/// `…/users/{id}`); a malformed one is answered "Invalid URL format specified
/// in payload." (microsoftgraph/msgraph-sdk-powershell issues #3150, #3177).
pub fn parse_odata_ref(url: &str, own_hosts: &[String]) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = rest.split_once('/')?;
    if path.contains(['?', '#']) || authority.contains('@') {
        return None;
    }
    let host = authority.to_ascii_lowercase();
    let graph_host = scheme == "https"
        && GRAPH_HOSTS
            .iter()
            .any(|h| host == *h || host.strip_suffix(":443") == Some(*h));
    let own_host = (scheme == "http" || scheme == "https")
        && own_hosts.iter().any(|h| h.eq_ignore_ascii_case(&host));
    if !graph_host && !own_host {
        return None;
    }
    let segs: Vec<&str> = path.split('/').collect();
    let (version, rest) = segs.split_first()?;
    if !matches!(*version, "v1.0" | "beta") {
        return None;
    }
    let (set, key, cast) = match rest {
        [set_key] => {
            // users('{id}') or users({id})
            let open = set_key.find('(')?;
            let inner = set_key[open + 1..].strip_suffix(')')?;
            let inner = inner
                .strip_prefix('\'')
                .and_then(|i| i.strip_suffix('\''))
                .unwrap_or(inner);
            (&set_key[..open], inner, None)
        }
        [set, key] => (*set, *key, None),
        [set, key, cast] => (*set, *key, Some(*cast)),
        _ => return None,
    };
    if !REF_SETS.iter().any(|s| s.eq_ignore_ascii_case(set)) {
        return None;
    }
    if cast.is_some_and(|c| !ref_cast_ok(c)) {
        return None;
    }
    let id = percent_decode(key, false);
    let id = id.trim();
    (!id.is_empty() && !id.contains(['/', '(', ')', '\''])).then(|| id.to_string())
}

/// The hosts (`host[:port]`) under which the emulator itself is reached: its
/// bound address, and the `Host` the request was sent to.
pub fn own_hosts(urls: &Urls, req: &ApiRequest) -> Vec<String> {
    let mut hosts = Vec::with_capacity(2);
    if let Some((_, authority)) = urls.base.split_once("://") {
        hosts.push(authority.trim_end_matches('/').to_string());
    }
    if let Some(h) = req.header("host") {
        hosts.push(h.trim().to_string());
    }
    hosts
}

/// Graph's 400 for a reference URL it does not accept, in a `$ref` body.
pub fn invalid_ref_url() -> GraphError {
    GraphError::bad_request("Invalid URL format specified in payload.")
}

/// The `@odata.id` reference in a `$ref` body.
pub fn ref_body_id(urls: &Urls, req: &ApiRequest) -> GraphResult<String> {
    let body = req.body_object()?;
    let url = body
        .get("@odata.id")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            GraphError::bad_request(
                "Invalid request body: an '@odata.id' reference to a directory object is required.",
            )
        })?;
    parse_odata_ref(url, &own_hosts(urls, req)).ok_or_else(invalid_ref_url)
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
    fn odata_refs_graph_accepts() {
        let own = vec!["127.0.0.1:4000".to_string()];
        let ok = |u: &str| parse_odata_ref(u, &own);
        for (url, id) in [
            (
                "https://graph.microsoft.com/v1.0/directoryObjects/abc",
                "abc",
            ),
            (
                "https://graph.microsoft.com/v1.0/users('x@y.com')",
                "x@y.com",
            ),
            ("https://GRAPH.microsoft.com:443/beta/groups/g1", "g1"),
            ("https://graph.microsoft.us/v1.0/servicePrincipals/s", "s"),
            ("https://dod-graph.microsoft.us/v1.0/users/u", "u"),
            ("https://microsoftgraph.chinacloudapi.cn/v1.0/users/u", "u"),
            ("http://127.0.0.1:4000/v1.0/directoryObjects/abc", "abc"),
            (
                "https://graph.microsoft.com/v1.0/directoryObjects/abc/microsoft.graph.user",
                "abc",
            ),
            (
                "https://graph.microsoft.com/v1.0/users/a%40b.com",
                "a@b.com",
            ),
        ] {
            assert_eq!(ok(url).as_deref(), Some(id), "{url}");
        }
        for url in [
            "https://evil.example/v1.0/directoryObjects/abc",
            "http://graph.microsoft.com/v1.0/directoryObjects/abc",
            "https://graph.microsoft.com/directoryObjects/abc",
            "https://graph.microsoft.com/v2.0/directoryObjects/abc",
            "https://graph.microsoft.com/v1.0/applications/abc",
            "https://graph.microsoft.com/v1.0/directoryObjects/abc/extra/x",
            "https://graph.microsoft.com/v1.0/directoryObjects/abc/Microsoft.DirectoryServices.User",
            "https://graph.microsoft.com/v1.0/directoryObjects/",
            "https://graph.microsoft.com/v1.0/directoryObjects/abc?x=1",
            "https://user@graph.microsoft.com/v1.0/directoryObjects/abc",
            "http://127.0.0.1:4001/v1.0/directoryObjects/abc",
            "directoryObjects/abc",
            "abc",
            "",
        ] {
            assert_eq!(ok(url), None, "{url}");
        }
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
