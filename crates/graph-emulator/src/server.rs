//! The HTTP server: binding, the request pipeline (auth → latency → faults →
//! route → metrics), Graph's response headers, the token endpoint, the
//! `/_emulator` control endpoints, and the handles that start and stop it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body as AxBody, HttpBody};
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::auth::{self, TOKEN_LIFETIME_SECS, Tokens};
use super::batch;
use super::error::{EmulatorError, GraphError};
use super::faults::{FaultConfig, FaultState};
use super::http::{ApiRequest, ApiResponse, Body, ODATA_JSON, Urls};
use super::limits::{self, MAX_BODY, MAX_TARGET};
use super::metrics::Metrics;
use super::odata::Work;
use super::permissions;
use super::router;
use super::seed::Seed;
use super::shared::{Auth, InFlight, Shared, lock};
use super::state::Tenant;
use super::util::{Rng, parse_query};

/// Most body bytes read (and dropped) from a request over [`MAX_BODY`] before
/// answering 413, so that a client still sending gets the answer instead of a
/// reset connection; a longer body is cut off.
const DRAIN_LIMIT: usize = 16 * MAX_BODY;

/// Environment variable that fixes the seed of [`BatchOrder::Random`] (to
/// replay a run whose seed was printed).
pub const SHUFFLE_SEED_ENV: &str = "ENTRAFORM_EMULATOR_SHUFFLE_SEED";

/// The order in which the items of a `$batch` that do not depend on each
/// other run. Graph promises none: "Individual responses might appear in a
/// different order than the requests" and the `id` "allows the server to
/// process requests in the batch in the most efficient order" (Microsoft
/// Graph, *Combine multiple HTTP requests using JSON batching*,
/// concepts/json-batching.md), so a client must not depend on list order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOrder {
    /// List order (gentler than Graph; to tell an ordering bug from another one).
    Listed,
    /// An order drawn from this seed (the same seed, the same order).
    Seeded(u64),
    /// An order drawn from a seed picked at start (or read from
    /// `ENTRAFORM_EMULATOR_SHUFFLE_SEED`) and printed to stderr, so a failure
    /// can be replayed. The default.
    Random,
}

/// How to run an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Address to bind; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Faults to inject (all off by default).
    pub faults: FaultConfig,
    /// Seed for generated ids, request ids and tokens.
    pub id_seed: u64,
    /// Most users per list page when `$expand` is used (default
    /// [`REPORTED_EXPAND_PAGE_CAP`], 100, as Graph does: Microsoft's known
    /// issue 13635, "$expand on directory objects returns a maximum of 100
    /// objects"); 0 lets `$top` decide.
    pub expand_page_cap: usize,
    /// Split a group's `members@delta` across pages after this many entries,
    /// repeating the group object as Graph does for large groups (0, the default: never).
    pub delta_member_cap: usize,
    /// How long a delta token stays valid (Graph: 7 days for directory objects).
    pub delta_token_lifetime: Duration,
    /// The order of independent `$batch` items (default: random, seed printed).
    pub batch_order: BatchOrder,
    /// Delta rounds after a token answer as with `Prefer: return=minimal`:
    /// a changed object carries only `id` and its changed properties
    /// (`manager@delta` only when the manager changed), and the items of a
    /// page come in a shuffled order — the least Graph promises ("at least the
    /// properties that have been updated", "do not assume a specific
    /// sequence": concepts/delta-query-overview.md). Off by default (Graph's
    /// default repeats every selected property).
    pub delta_minimal: bool,
    /// Work one request may do, in filter clauses evaluated against objects
    /// (and manager levels expanded), shared by a `$batch`'s items (default
    /// [`limits::MAX_WORK`]); beyond it the request gets 400.
    pub max_work: u64,
    /// Allow binding a non-loopback address. The `/_emulator` control
    /// endpoints need no token, so anyone who can reach the port can change
    /// faults or read the tenant; off by default.
    pub allow_remote: bool,
}

/// Graph's lifetime of delta tokens for identity resources (7 days).
pub const DELTA_TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// Graph's page size for directory listings with `$expand` (known issue 13635).
pub const REPORTED_EXPAND_PAGE_CAP: usize = 100;

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            faults: FaultConfig::default(),
            id_seed: 0x5eed,
            expand_page_cap: REPORTED_EXPAND_PAGE_CAP,
            delta_member_cap: 0,
            delta_token_lifetime: DELTA_TOKEN_LIFETIME,
            batch_order: BatchOrder::Random,
            delta_minimal: false,
            max_work: limits::MAX_WORK,
            allow_remote: false,
        }
    }
}

/// A cheap, cloneable handle on a running emulator: URLs, metrics, state, faults.
#[derive(Clone)]
pub struct EmulatorHandle {
    shared: Arc<Shared>,
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.shared.urls.base
    }

    /// The Graph root to point a client at: `{base}/v1.0`.
    pub fn graph_url(&self) -> String {
        self.shared.urls.root()
    }

    /// The tenant id from the seed.
    pub fn tenant_id(&self) -> String {
        lock(&self.shared.tenant).info.id.clone()
    }

    /// The token endpoint for the tenant: `{base}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.base_url(), self.tenant_id())
    }

    /// The request counters so far.
    pub fn metrics(&self) -> Metrics {
        let mut m = self.shared.metrics().clone();
        m.faults = lock(&self.shared.faults).stats.clone();
        m
    }

    /// Zero the request counters.
    pub fn reset_metrics(&self) {
        *self.shared.metrics() = Metrics::default();
        lock(&self.shared.faults).stats = Default::default();
    }

    /// The current tenant in the seed format (no secrets).
    pub fn state(&self) -> Seed {
        lock(&self.shared.tenant).to_seed()
    }

    /// The fault configuration in force.
    pub fn faults(&self) -> FaultConfig {
        lock(&self.shared.faults).config().clone()
    }

    /// Switch faults on or off for this server.
    pub fn set_faults(&self, cfg: FaultConfig) {
        lock(&self.shared.faults).reconfigure(cfg);
    }

    /// Issue a bearer token for an app without going through the token
    /// endpoint, carrying the app's granted permissions (none for a client
    /// id the seed does not register: every Graph request is then refused).
    pub fn issue_token(&self, client_id: &str) -> String {
        self.shared.issue_token(client_id, None)
    }

    /// Issue a token whose `roles` are exactly `permissions`, as if the app
    /// had been granted only these (tests of the permission model).
    pub fn issue_token_with(&self, client_id: &str, permissions: &[&str]) -> String {
        let roles = permissions.iter().map(|p| p.to_string()).collect();
        self.shared.issue_token(client_id, Some(roles))
    }

    /// Issue a token whose caller (`oid`) is `principal` — e.g. a Global
    /// Administrator's object id, for tests that act "in the portal" as an
    /// admin — with every permission the emulator knows.
    pub fn issue_token_as(&self, client_id: &str, principal: &str) -> String {
        self.shared.issue_token_for(
            client_id,
            Some(permissions::all_permissions()),
            Some(principal),
        )
    }

    /// Client id and secret of the first app registration that has a secret
    /// (what `plan --emulator` needs to authenticate like a real client).
    pub fn client_credentials(&self) -> Option<(String, String)> {
        lock(&self.shared.tenant).apps.iter().find_map(|a| {
            a.client_secrets
                .first()
                .map(|s| (a.app_id.clone(), s.clone()))
        })
    }

    /// Make a token expire now (to test 401 handling).
    pub fn expire_token(&self, token: &str) {
        lock(&self.shared.tokens).expire(token);
    }

    /// Make every token issued so far expire now, also those a client fetched
    /// from the token endpoint itself (to test renewal during a long run).
    pub fn expire_tokens(&self) {
        lock(&self.shared.tokens).expire_all();
    }

    /// Invalidate every delta token handed out so far (`POST /_emulator/delta/expire`):
    /// their next use gets `400 syncStateNotFound`.
    pub fn expire_delta_tokens(&self) {
        lock(&self.shared.tenant).expire_delta_tokens();
    }

    /// Invalidate every delta token with a synchronization reset: their next use
    /// gets `410 Gone` (`POST /_emulator/delta/expire` with `{"status": 410}`).
    pub fn reset_delta_tokens_gone(&self) {
        lock(&self.shared.tenant).reset_delta_tokens_gone();
    }

    /// The seed `$batch` items are shuffled with (`None`: list order).
    pub fn shuffle_seed(&self) -> Option<u64> {
        self.shared.shuffle_seed
    }

    /// How many requests are being answered right now.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// Change the tenant directly, bypassing Graph (no faults, no metrics):
    /// for tests and benchmarks that simulate changes made elsewhere.
    pub fn with_tenant<R>(&self, f: impl FnOnce(&mut Tenant) -> R) -> R {
        f(&mut lock(&self.shared.tenant))
    }
}

/// An emulator running on the current tokio runtime.
pub struct Emulator {
    handle: EmulatorHandle,
    /// Every tenant served (the first is `handle`'s); one unless started with [`Emulator::serve_many`].
    tenants: Vec<EmulatorHandle>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl std::ops::Deref for Emulator {
    type Target = EmulatorHandle;
    fn deref(&self) -> &EmulatorHandle {
        &self.handle
    }
}

impl Emulator {
    /// Load the seed, bind `config.addr` and start serving in a task on the current runtime.
    pub async fn serve(seed: Seed, config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        Emulator::serve_many(vec![seed], config).await
    }

    /// Serve several tenants on one address, one seed each: the token endpoint
    /// `/{tenant}/oauth2/v2.0/token` signs in to the tenant its path names (id
    /// or domain), and a Graph request is served by the tenant whose id is the
    /// `tid` claim of its bearer token, as Graph serves the token's tenant (the
    /// `tid` claim "identifies the tenant that is being signed in to":
    /// entra-docs docs/identity-platform/access-token-claims-reference.md). Each
    /// tenant keeps its own tokens, metrics and faults; the `/_emulator`
    /// control endpoints take `?tenant=ID` (default: the first seed's tenant).
    /// With one seed this is [`Emulator::serve`], unchanged.
    pub async fn serve_many(
        seeds: Vec<Seed>,
        config: EmulatorConfig,
    ) -> Result<Emulator, EmulatorError> {
        if !config.allow_remote && !config.addr.ip().is_loopback() {
            return Err(EmulatorError::RemoteNotAllowed(config.addr));
        }
        if seeds.is_empty() {
            return Err(EmulatorError::Tenants("no seed given".into()));
        }
        let mut tenants = Vec::with_capacity(seeds.len());
        for (i, seed) in seeds.into_iter().enumerate() {
            // The first tenant keeps the configured id seed (single-seed runs
            // are unchanged); the others get their own generated ids.
            let id_seed = config.id_seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let tenant = Tenant::from_seed(seed, id_seed)?;
            if tenants
                .iter()
                .any(|t: &Tenant| t.info.id.eq_ignore_ascii_case(&tenant.info.id))
            {
                return Err(EmulatorError::Tenants(format!(
                    "two seeds have the tenant id {}; give each seed its own `tenant.id`",
                    tenant.info.id
                )));
            }
            tenants.push(tenant);
        }
        let listener = tokio::net::TcpListener::bind(config.addr).await?;
        let addr = listener.local_addr()?;
        let (shuffle_seed, announce) = match config.batch_order {
            BatchOrder::Listed => (None, false),
            BatchOrder::Seeded(s) => (Some(s), false),
            BatchOrder::Random => {
                let from_env = std::env::var(SHUFFLE_SEED_ENV)
                    .ok()
                    .and_then(|v| v.trim().parse::<u64>().ok());
                (
                    Some(from_env.unwrap_or_else(super::util::random_seed)),
                    true,
                )
            }
        };
        if let (Some(seed), true) = (shuffle_seed, announce) {
            // On stderr, not only in the log: a test that fails shows its
            // captured output, and the seed replays the same batch order.
            eprintln!(
                "entraform emulator on http://{addr}: $batch items run in a random order, seed {seed} ({SHUFFLE_SEED_ENV}={seed} replays it)"
            );
        }
        tracing::info!(?shuffle_seed, "emulator batch order");
        let all: Vec<Arc<Shared>> = tenants
            .into_iter()
            .enumerate()
            .map(|(i, tenant)| {
                Arc::new(Shared {
                    tenant: Mutex::new(tenant),
                    faults: Mutex::new(FaultState::new(config.faults.clone())),
                    metrics: Mutex::new(Metrics::default()),
                    tokens: Mutex::new(Tokens::default()),
                    rng: Mutex::new(Rng::new(config.id_seed ^ 0xA5A5 ^ (i as u64) << 32)),
                    urls: Urls {
                        base: format!("http://{addr}"),
                    },
                    expand_page_cap: config.expand_page_cap,
                    delta_member_cap: config.delta_member_cap,
                    delta_token_lifetime_secs: config.delta_token_lifetime.as_secs(),
                    shuffle_seed,
                    delta_minimal: config.delta_minimal,
                    in_flight: AtomicUsize::new(0),
                    max_work: config.max_work,
                })
            })
            .collect();
        let shared = all[0].clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let app_shared: Arc<[Arc<Shared>]> = all.clone().into();
        let app = axum::Router::new().fallback(move |req: Request| {
            let s = super::tenants::pick(&app_shared, &req);
            async move { handle(s, req).await }
        });
        let task = tokio::spawn(async move {
            let server = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = server.await {
                tracing::error!(error = %e, "emulator server stopped with an error");
            }
        });
        tracing::info!(url = %shared.urls.base, "emulator listening");
        Ok(Emulator {
            handle: EmulatorHandle { shared },
            tenants: all
                .into_iter()
                .map(|shared| EmulatorHandle { shared })
                .collect(),
            stop: Some(stop),
            task,
        })
    }

    /// A cloneable handle.
    pub fn handle(&self) -> EmulatorHandle {
        self.handle.clone()
    }

    /// A handle on every tenant served, in seed order (one for [`Emulator::serve`]).
    pub fn tenants(&self) -> Vec<EmulatorHandle> {
        self.tenants.clone()
    }

    /// Stop accepting requests and wait (at most 5 s, then abort) for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if tokio::time::timeout(Duration::from_secs(5), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

/// An emulator on its own thread and runtime, for synchronous callers
/// (tests, `plan --emulator`). Stops when dropped.
pub struct BackgroundEmulator {
    handle: EmulatorHandle,
    tenants: Vec<EmulatorHandle>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::ops::Deref for BackgroundEmulator {
    type Target = EmulatorHandle;
    fn deref(&self) -> &EmulatorHandle {
        &self.handle
    }
}

impl BackgroundEmulator {
    /// Start an emulator on a new thread; returns once it is listening.
    pub fn start(seed: Seed, config: EmulatorConfig) -> Result<BackgroundEmulator, EmulatorError> {
        BackgroundEmulator::start_many(vec![seed], config)
    }

    /// Start a many-tenant emulator ([`Emulator::serve_many`]) on a new thread.
    pub fn start_many(
        seeds: Vec<Seed>,
        config: EmulatorConfig,
    ) -> Result<BackgroundEmulator, EmulatorError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("entraform-emulator".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(EmulatorError::Io(e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    match Emulator::serve_many(seeds, config).await {
                        Ok(emu) => {
                            let _ = ready_tx.send(Ok((emu.handle(), emu.tenants())));
                            let _ = stop_rx.await;
                            emu.shutdown().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })?;
        let (handle, tenants) = ready_rx.recv().map_err(|_| EmulatorError::ThreadGone)??;
        Ok(BackgroundEmulator {
            handle,
            tenants,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// A cloneable handle.
    pub fn handle(&self) -> EmulatorHandle {
        self.handle.clone()
    }

    /// A handle on every tenant served, in seed order.
    pub fn tenants(&self) -> Vec<EmulatorHandle> {
        self.tenants.clone()
    }
}

impl Drop for BackgroundEmulator {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn to_http(resp: ApiResponse, rid: &str, crid: &str) -> Response {
    let (content_type, bytes, odata) = match resp.body {
        Body::Json(v) => {
            let ct = if resp.status >= 400 {
                "application/json"
            } else {
                ODATA_JSON
            };
            (
                Some(ct),
                serde_json::to_vec(&v).unwrap_or_default(),
                resp.status < 400,
            )
        }
        Body::Text(s) => (Some("text/plain"), s.into_bytes(), false),
        Body::Empty => (None, Vec::new(), false),
    };
    let mut r = Response::new(AxBody::from(bytes));
    *r.status_mut() =
        StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    let mut put = |k: &str, v: &str| {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::from_str(v)) {
            h.insert(k, v);
        }
    };
    if let Some(ct) = content_type {
        put("content-type", ct);
    }
    if odata {
        put("odata-version", "4.0");
    }
    put("request-id", rid);
    put("client-request-id", crid);
    put("cache-control", "no-cache");
    for (k, v) in &resp.headers {
        put(k, v);
    }
    r
}

/// Read a request body of at most [`MAX_BODY`] bytes. A longer one is read on
/// (and dropped) up to [`DRAIN_LIMIT`] so the client can read the 413, and
/// not at all when its declared length is beyond that. A body that breaks
/// off also gets 413: the client will not read the answer anyway.
async fn read_body(mut body: AxBody, declared: Option<usize>) -> Result<Vec<u8>, GraphError> {
    if declared.is_some_and(|n| n > DRAIN_LIMIT) {
        return Err(limits::body_too_large());
    }
    let mut buf = Vec::with_capacity(declared.unwrap_or(0).min(MAX_BODY));
    let mut total = 0usize;
    loop {
        let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
        match frame {
            None => break,
            Some(Err(_)) => return Err(limits::body_too_large()),
            Some(Ok(frame)) => {
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                total = total.saturating_add(data.len());
                if total <= MAX_BODY {
                    buf.extend_from_slice(&data);
                } else if total > DRAIN_LIMIT {
                    break;
                }
            }
        }
    }
    if total > MAX_BODY {
        return Err(limits::body_too_large());
    }
    Ok(buf)
}

async fn handle(shared: Arc<Shared>, req: Request) -> Response {
    let _in_flight = InFlight::enter(&shared.in_flight);
    let (parts, body) = req.into_parts();
    let method = parts.method.as_str().to_ascii_uppercase();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k.as_str().to_ascii_lowercase(),
                v.to_str().ok()?.to_string(),
            ))
        })
        .collect();
    let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let rid = shared.new_id();
    let crid = header("client-request-id").unwrap_or_else(|| rid.clone());
    let declared = header("content-length").and_then(|v| v.trim().parse::<usize>().ok());
    let bytes = match read_body(body, declared).await {
        Ok(b) => b,
        Err(e) => {
            tracing::debug!(%method, %path, "request body over the limit");
            return to_http(shared.error_response(&e, &rid, &crid), &rid, &crid);
        }
    };
    let target = path.len() + parts.uri.query().map_or(0, |q| q.len() + 1);
    if target > MAX_TARGET {
        let e = limits::target_too_long(target);
        return to_http(shared.error_response(&e, &rid, &crid), &rid, &crid);
    }
    tracing::debug!(%method, %path, "request");

    if let Some(rest) = path.strip_prefix("/_emulator/") {
        return to_http(control(&shared, &method, rest, &bytes), &rid, &crid);
    }
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if let [tenant, "oauth2", "v2.0", "token"] = segs.as_slice() {
        return to_http(
            token(&shared, &method, tenant, &bytes, &rid, &crid),
            &rid,
            &crid,
        );
    }
    if segs.first() != Some(&"v1.0") {
        let e = GraphError::new(
            404,
            "NotFound",
            format!("No route for '{path}' (the emulator serves /v1.0)."),
        );
        return to_http(shared.error_response(&e, &rid, &crid), &rid, &crid);
    }
    let api_path = path["/v1.0".len()..].to_string();
    let api_segments: Vec<String> = api_path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| super::util::percent_decode(s, false))
        .collect();
    let auth;
    {
        let tokens = lock(&shared.tokens);
        match tokens.check(header("authorization").as_deref()) {
            Ok(info) => {
                auth = Auth {
                    scope: format!(
                        "Tenant_Application/ReadWrite/{}/{}",
                        lock(&shared.tenant).info.id,
                        info.client_id
                    ),
                    roles: info.roles.clone(),
                    principal: info.principal.clone(),
                };
            }
            Err(e) => {
                drop(tokens);
                let mut m = shared.metrics();
                m.unauthorized += 1;
                m.record(&router::template(&method, &api_segments), 401);
                drop(m);
                return to_http(shared.error_response(&e, &rid, &crid), &rid, &crid);
            }
        }
    }
    let delay = lock(&shared.faults).latency();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let body = if bytes.is_empty() {
        None
    } else {
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => Some(v),
            Err(_) => {
                let e = GraphError::new(
                    400,
                    "BadRequest",
                    "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
                );
                shared
                    .metrics()
                    .record(&router::template(&method, &api_segments), 400);
                return to_http(shared.error_response(&e, &rid, &crid), &rid, &crid);
            }
        }
    };
    let api = ApiRequest {
        method: method.clone(),
        path: api_path,
        query: parse_query(&query),
        headers,
        body,
    };
    let is_batch = api.segments() == ["$batch"];
    // One budget for the request, shared by the items of a batch.
    let work = Work::new(shared.max_work);
    let (route, resp) = if is_batch && method == "POST" {
        let r = super::odata::check_option_names(&api.query)
            .and_then(|()| batch::run(&shared, &api, &auth, &rid, &crid, &work))
            .unwrap_or_else(|e| shared.error_response(&e, &rid, &crid));
        ("POST /$batch".to_string(), r)
    } else {
        shared.exec(&api, &auth, &rid, &crid, &work)
    };
    shared.metrics().record(&route, resp.status);
    to_http(resp, &rid, &crid)
}

fn token(
    shared: &Shared,
    method: &str,
    tenant: &str,
    body: &[u8],
    rid: &str,
    crid: &str,
) -> ApiResponse {
    shared.metrics().token_requests += 1;
    if method != "POST" {
        return ApiResponse::json(
            405,
            json!({ "error": "invalid_request", "error_description": "The token endpoint accepts only POST." }),
        );
    }
    let form = String::from_utf8_lossy(body);
    let result = auth::authenticate(&lock(&shared.tenant), tenant, &form);
    match result {
        Ok(client_id) => {
            let token = shared.issue_token(&client_id, None);
            shared.metrics().tokens_issued += 1;
            let mut r = ApiResponse::json(
                200,
                json!({
                    "token_type": "Bearer",
                    "expires_in": TOKEN_LIFETIME_SECS,
                    "ext_expires_in": TOKEN_LIFETIME_SECS,
                    "access_token": token,
                }),
            );
            r.headers.push((
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            ));
            r
        }
        Err(e) => {
            let mut r = ApiResponse::json(e.status, e.body(rid, crid));
            r.headers.push((
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            ));
            r
        }
    }
}

fn control(shared: &Shared, method: &str, rest: &str, body: &[u8]) -> ApiResponse {
    match (method, rest.trim_end_matches('/')) {
        ("GET", "state") => match serde_json::to_value(lock(&shared.tenant).to_seed()) {
            Ok(v) => ApiResponse::json(200, v),
            Err(e) => ApiResponse::json(500, json!({ "error": e.to_string() })),
        },
        ("GET", "metrics") => {
            let mut m = shared.metrics().clone();
            m.faults = lock(&shared.faults).stats.clone();
            ApiResponse::json(200, serde_json::to_value(m).unwrap_or(Value::Null))
        }
        ("DELETE", "metrics") => {
            *shared.metrics() = Metrics::default();
            lock(&shared.faults).stats = Default::default();
            ApiResponse::no_content()
        }
        ("POST", "delta/expire") => {
            let gone = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v["status"].as_u64())
                == Some(410);
            let mut t = lock(&shared.tenant);
            if gone {
                t.reset_delta_tokens_gone();
            } else {
                t.expire_delta_tokens();
            }
            ApiResponse::no_content()
        }
        ("GET", "faults") => ApiResponse::json(
            200,
            serde_json::to_value(lock(&shared.faults).config()).unwrap_or(Value::Null),
        ),
        ("POST", "faults") => match serde_json::from_slice::<FaultConfig>(body) {
            Ok(cfg) => {
                lock(&shared.faults).reconfigure(cfg.clone());
                ApiResponse::json(200, serde_json::to_value(cfg).unwrap_or(Value::Null))
            }
            Err(e) => ApiResponse::json(
                400,
                json!({ "error": format!("invalid fault configuration: {e}") }),
            ),
        },
        _ => ApiResponse::json(
            404,
            json!({ "error": format!("unknown control endpoint {method} /_emulator/{rest}") }),
        ),
    }
}
