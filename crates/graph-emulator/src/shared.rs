//! What every request of one server shares (the tenant, faults, metrics,
//! tokens, limits) and the one way a Graph request runs against it
//! ([`Shared::exec`]: faults, the permission check, the route): used by the
//! HTTP pipeline (`server.rs`) and by `$batch` items (`batch.rs`) alike, so
//! neither imports the other.

use std::collections::BTreeSet;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::auth::{TOKEN_LIFETIME_SECS, Tokens};
use super::ctx::Ctx;
use super::error::GraphError;
use super::faults::{FaultState, resource_units};
use super::http::{ApiRequest, ApiResponse, Urls};
use super::limits;
use super::metrics::Metrics;
use super::odata::Work;
use super::permissions;
use super::router;
use super::seed::Grants;
use super::state::Tenant;
use super::util::{Rng, inner_error_date, now_secs};

/// State shared by all requests of one server.
pub struct Shared {
    pub(crate) tenant: Mutex<Tenant>,
    pub(crate) faults: Mutex<FaultState>,
    pub(crate) metrics: Mutex<Metrics>,
    pub(crate) tokens: Mutex<Tokens>,
    pub(crate) rng: Mutex<Rng>,
    pub(crate) urls: Urls,
    pub(crate) expand_page_cap: usize,
    pub(crate) delta_member_cap: usize,
    pub(crate) delta_token_lifetime_secs: u64,
    /// Seed of the `$batch` (and minimal-delta) shuffles; `None`: list order.
    pub(crate) shuffle_seed: Option<u64>,
    pub(crate) delta_minimal: bool,
    /// Requests being answered now (for tests of shutdown).
    pub(crate) in_flight: AtomicUsize,
    pub(crate) max_work: u64,
}

/// Counts a request as in flight while it lives.
pub(crate) struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    pub(crate) fn enter(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::SeqCst);
        InFlight(n)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Lock a mutex, recovering it when a panicking request poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// The metrics counters, locked.
    pub fn metrics(&self) -> MutexGuard<'_, Metrics> {
        lock(&self.metrics)
    }

    /// A token for `client_id` with the app's granted permissions (`roles`),
    /// or with exactly `roles` when given.
    pub(crate) fn issue_token(&self, client_id: &str, roles: Option<BTreeSet<String>>) -> String {
        self.issue_token_for(client_id, roles, None)
    }

    /// As [`Shared::issue_token`], with `oid` = `principal` when given.
    pub(crate) fn issue_token_for(
        &self,
        client_id: &str,
        roles: Option<BTreeSet<String>>,
        principal: Option<&str>,
    ) -> String {
        let (tenant_id, object_id, granted) = {
            let t = lock(&self.tenant);
            let app = t.apps.iter().find(|a| a.app_id == client_id);
            let granted: BTreeSet<String> = match app.and_then(|a| a.permissions.as_ref()) {
                Some(Grants::All) => permissions::all_permissions(),
                Some(Grants::List(l)) => l.iter().cloned().collect(),
                None => BTreeSet::new(),
            };
            (
                t.info.id.clone(),
                app.and_then(|a| a.service_principal_id.clone()),
                granted,
            )
        };
        let object_id = principal.map(str::to_string).or(object_id);
        let mut rng = lock(&self.rng);
        lock(&self.tokens).issue(
            &mut rng,
            client_id,
            &tenant_id,
            object_id.as_deref(),
            roles.unwrap_or(granted),
            Duration::from_secs(TOKEN_LIFETIME_SECS),
        )
    }

    pub(crate) fn new_id(&self) -> String {
        lock(&self.rng).guid()
    }

    /// The seed `$batch` items are shuffled with (`None`: list order).
    pub fn shuffle_seed(&self) -> Option<u64> {
        self.shuffle_seed
    }

    /// An error response with this request's ids.
    pub fn error_response(&self, e: &GraphError, rid: &str, crid: &str) -> ApiResponse {
        ApiResponse::error(e, rid, crid, &inner_error_date(now_secs()))
    }

    /// Run one Graph request (not `$batch`): throttling/5xx faults, the
    /// permission check (`permissions.rs`), the route, then the
    /// commit-then-fail fault. Returns the route template and the response.
    pub fn exec(
        &self,
        req: &ApiRequest,
        auth: &Auth,
        rid: &str,
        crid: &str,
        work: &Work,
    ) -> (String, ApiResponse) {
        let scope = auth.scope.as_str();
        let route = router::template(&req.method, &req.segments());
        let has = |o: &str| {
            req.query
                .iter()
                .any(|(k, _)| k.trim().eq_ignore_ascii_case(o))
        };
        let units = resource_units(has("$select"), has("$expand"));
        let mut t = lock(&self.tenant);
        let users = t.users.len();
        let admitted = {
            let mut f = lock(&self.faults);
            if super::faults::denied(f.config(), &req.path) {
                Err(GraphError::denied())
            } else {
                f.admit(units, !req.is_read(), users, scope)
            }
        };
        let ctx = Ctx {
            urls: &self.urls,
            faults: &self.faults,
            expand_page_cap: self.expand_page_cap,
            delta_member_cap: self.delta_member_cap,
            delta_token_lifetime_secs: self.delta_token_lifetime_secs,
            shuffle_seed: self.shuffle_seed,
            delta_minimal: self.delta_minimal,
            work,
        };
        // Out of budget (an earlier item of the batch spent it, or this one
        // did): what was computed is cut short, so it is not answered.
        let segs = req.segments();
        let seg_refs: Vec<&str> = segs.iter().map(String::as_str).collect();
        let caller = permissions::Caller {
            roles: &auth.roles,
            principal: auth.principal.as_deref(),
        };
        let lookup = permissions::lookup(&req.method, &seg_refs);
        let result = admitted.and_then(|()| {
            match &lookup {
                permissions::Lookup::Found(ep) => {
                    permissions::check(&t, &caller, req, ep, &seg_refs)?;
                }
                permissions::Lookup::WrongMethod => return Err(GraphError::method_not_allowed()),
                // Fail closed: no write runs without a table entry.
                permissions::Lookup::Unknown if !req.is_read() => {
                    tracing::warn!(method = %req.method, path = %req.path, "no permission entry for this request: refused");
                    return Err(GraphError::denied());
                }
                permissions::Lookup::Unknown => {}
            }
            if work.exhausted() {
                return Err(limits::too_much_work());
            }
            let r = router::route(&ctx, &mut t, req);
            if work.exhausted() {
                return Err(limits::too_much_work());
            }
            match (r, &lookup) {
                // A read the router serves but the table does not know: refused.
                (Ok(resp), permissions::Lookup::Unknown) if resp.status < 400 => {
                    tracing::warn!(method = %req.method, path = %req.path, "no permission entry for this request: refused");
                    Err(GraphError::denied())
                }
                (r, _) => r,
            }
        });
        drop(t);
        // Commit then fail: the write was applied, the answer says otherwise.
        let result = match result {
            Ok(resp) if !req.is_read() && resp.status < 400 => {
                match lock(&self.faults).commit_then_fail() {
                    Some(e) => Err(e),
                    None => Ok(resp),
                }
            }
            other => other,
        };
        let mut resp = match result {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(route = %route, status = e.status, code = %e.code, "graph error");
                self.error_response(&e, rid, crid)
            }
        };
        resp.headers
            .push(("x-ms-resource-unit".into(), units.to_string()));
        (route, resp)
    }
}

/// Who a request comes from, as its bearer token says.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    /// The throttling scope (`Tenant_Application/ReadWrite/{tenant}/{app}`).
    pub scope: String,
    /// The token's `roles`: granted application permissions.
    pub roles: BTreeSet<String>,
    /// The token's `oid`: the calling service principal.
    pub principal: Option<String>,
}
