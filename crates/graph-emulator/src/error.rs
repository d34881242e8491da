//! Errors: the library's own (`EmulatorError`), and Graph's wire errors
//! (`GraphError`), which become the `{"error":{code,message,innerError}}` envelope.

use serde_json::{Value, json};

/// Failure to start the emulator or to load its seed.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The seed file could not be read.
    #[error("cannot read seed file {path}: {source}")]
    ReadSeed {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The seed is not valid JSON/YAML or does not match the seed format.
    #[error("invalid seed: {0}")]
    InvalidSeed(String),
    /// Binding the listening socket or building the runtime failed.
    #[error("cannot start the emulator: {0}")]
    Io(#[from] std::io::Error),
    /// A non-loopback address without `allow_remote` (`--allow-remote`).
    #[error(
        "refusing to listen on {0}: the emulator's /_emulator control endpoints need no token, so it listens on loopback only; pass --allow-remote (EmulatorConfig.allow_remote) to listen on another address"
    )]
    RemoteNotAllowed(std::net::SocketAddr),
    /// Two seeds of a many-tenant emulator have the same tenant id (or no seed at all).
    #[error("cannot serve these tenants: {0}")]
    Tenants(String),
    /// The background server thread ended before reporting its address.
    #[error("the emulator thread stopped unexpectedly")]
    ThreadGone,
}

/// A Graph error response: HTTP status, Graph's `code` and `message`, optional extras.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphError {
    /// HTTP status code.
    pub status: u16,
    /// Graph's error code, e.g. `Request_ResourceNotFound`.
    pub code: &'static str,
    /// Human-readable message, as Graph words it.
    pub message: String,
    /// Rarely used parts, boxed to keep the error small.
    pub extra: Option<Box<ErrorExtra>>,
}

/// Optional parts of a Graph error.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorExtra {
    /// `details` array (e.g. `ObjectConflict` on a duplicate UPN).
    pub details: Option<Value>,
    /// Extra response headers (e.g. `Retry-After`).
    pub headers: Vec<(String, String)>,
    /// Extra members of `innerError` (the throttling response carries `code`/`status`).
    pub inner: Vec<(String, String)>,
}

impl GraphError {
    /// A new error with status, code and message.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code,
            message: message.into(),
            extra: None,
        }
    }

    fn extra_mut(&mut self) -> &mut ErrorExtra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// Extra response headers.
    pub fn headers(&self) -> &[(String, String)] {
        self.extra.as_ref().map_or(&[], |e| e.headers.as_slice())
    }

    /// Add members to `innerError`.
    pub fn with_inner(mut self, inner: Vec<(String, String)>) -> Self {
        self.extra_mut().inner = inner;
        self
    }

    /// 400 `Request_BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "Request_BadRequest", message)
    }

    /// 400 `Request_UnsupportedQuery`.
    pub fn unsupported_query(message: impl Into<String>) -> Self {
        Self::new(400, "Request_UnsupportedQuery", message)
    }

    /// 404 `Request_ResourceNotFound` naming the missing resource, worded as Graph does.
    pub fn not_found(resource: &str) -> Self {
        Self::new(
            404,
            "Request_ResourceNotFound",
            format!(
                "Resource '{resource}' does not exist or one of its queried reference-property objects are not present."
            ),
        )
    }

    /// 403 `Authorization_RequestDenied` (also what writing a dynamic group's members gets).
    pub fn denied() -> Self {
        Self::new(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    /// 400 for a property Graph's model does not have.
    pub fn unknown_property(name: &str, type_name: &str) -> Self {
        Self::bad_request(format!(
            "Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'."
        ))
    }

    /// 400 when an advanced query lacks `ConsistencyLevel: eventual` and `$count=true`.
    pub fn needs_advanced(operator: &str) -> Self {
        Self::unsupported_query(format!(
            "Operator '{operator}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information"
        ))
    }

    /// 400 `ObjectConflict` on a duplicate unique property (as in `error-duplicate-upn.json`).
    pub fn conflict(property: &str) -> Self {
        let mut e = Self::bad_request(format!(
            "Another object with the same value for property {property} already exists."
        ));
        e.extra_mut().details = Some(json!([{ "target": property, "code": "ObjectConflict" }]));
        e
    }

    /// 405 for a method the resource does not support.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        )
    }

    /// Add a response header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.extra_mut()
            .headers
            .push((name.to_string(), value.into()));
        self
    }

    /// The JSON envelope, with the request's ids and date filled in.
    pub fn body(&self, request_id: &str, client_request_id: &str, date: &str) -> Value {
        let mut inner = serde_json::Map::new();
        if let Some(x) = &self.extra {
            for (k, v) in &x.inner {
                inner.insert(k.clone(), Value::String(v.clone()));
            }
        }
        inner.insert("date".into(), Value::String(date.to_string()));
        inner.insert("request-id".into(), Value::String(request_id.to_string()));
        inner.insert(
            "client-request-id".into(),
            Value::String(client_request_id.to_string()),
        );
        let mut err = serde_json::Map::new();
        err.insert("code".into(), Value::String(self.code.to_string()));
        err.insert("message".into(), Value::String(self.message.clone()));
        err.insert("innerError".into(), Value::Object(inner));
        if let Some(d) = self.extra.as_ref().and_then(|x| x.details.as_ref()) {
            err.insert("details".into(), d.clone());
        }
        json!({ "error": Value::Object(err) })
    }
}

/// Result type of every Graph handler.
pub type GraphResult<T> = Result<T, GraphError>;
