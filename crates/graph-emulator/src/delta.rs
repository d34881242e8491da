//! Delta queries: `/users/delta` and `/groups/delta`, driven by the tenant's
//! change log. A round starts with no token (everything), pages with
//! `$skiptoken`, and ends with an `@odata.deltaLink` whose `$deltatoken`
//! returns only what changed after it. Tokens carry the tenant's change-tracking
//! generation and their issue time: one from another emulator instance, from
//! before [`Tenant::expire_delta_tokens`], or older than the configured lifetime
//! (Graph: 7 days for directory objects) gets `400 syncStateNotFound`.
//!
//! `manager` may be selected on `/users/delta`: it comes back as
//! `manager@delta` (the current manager, or the removed one with `@removed`).
//!
//! The change log records what each change touched (the whole object, some
//! properties, the manager), so a round after a token leaves out objects
//! whose changes are all to properties not tracked, and — with `Prefer:
//! return=minimal` or in the minimal mode (`EmulatorConfig::delta_minimal`) —
//! gives an updated object as `id` plus what changed, pages shuffled.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::ctx::Ctx;
use super::error::{GraphError, GraphResult};
use super::http::{ApiRequest, ApiResponse};
use super::odata::Query;
use super::render;
use super::schema::{GROUP_DEFAULT, GROUP_PROPERTIES, USER_DEFAULT, USER_PROPERTIES, canonical};
use super::state::{Changed, Kind, Object, Tenant};
use super::util::{Rng, hex, now_secs, unhex};

/// Objects per delta page unless `Prefer: odata.maxpagesize=N` asks otherwise.
pub const DELTA_PAGE: usize = 200;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Token {
    since: u64,
    end: u64,
    after: String,
    select: Option<Vec<String>>,
    members: bool,
    /// `owners` selected on groups (`owners@delta`).
    #[serde(default)]
    owners: bool,
    /// When set: the group `after` continues on this page with its members
    /// after this member id (by id, so changes between pages shift nothing).
    #[serde(default)]
    resume_after_member: Option<String>,
    /// The tenant's change-tracking generation when the round started.
    #[serde(default)]
    generation: u64,
    /// When the round's first request was answered (Unix seconds).
    #[serde(default)]
    issued: i64,
}

/// Graph's answer to an expired or unknown delta token (identity resources).
fn sync_state_not_found() -> GraphError {
    GraphError::new(
        400,
        "syncStateNotFound",
        "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
    )
}

fn encode(t: &Token) -> String {
    hex(serde_json::to_string(t).unwrap_or_default().as_bytes())
}

fn decode(s: &str, ctx: &Ctx, t: &Tenant) -> GraphResult<Token> {
    let tok: Token = unhex(s)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| GraphError::bad_request("Invalid or expired delta token."))?;
    let age = now_secs().saturating_sub(tok.issued);
    let lifetime = i64::try_from(ctx.delta_token_lifetime_secs).unwrap_or(i64::MAX);
    if tok.generation != t.delta_generation || age > lifetime {
        if t.delta_gone && tok.generation != t.delta_generation {
            return Err(GraphError::new(
                410,
                "resyncRequired",
                "The change-tracking state was reset; start a new delta round without a token.",
            ));
        }
        return Err(sync_state_not_found());
    }
    Ok(tok)
}

fn page_size(req: &ApiRequest) -> usize {
    req.header("prefer")
        .and_then(|p| {
            p.split(',').find_map(|part| {
                let (k, v) = part.split_once('=')?;
                (k.trim().eq_ignore_ascii_case("odata.maxpagesize"))
                    .then(|| v.trim().parse::<usize>().ok())
                    .flatten()
            })
        })
        .filter(|n| *n > 0)
        .unwrap_or(DELTA_PAGE)
}

/// Start or continue a round from the request's options.
fn round(
    ctx: &Ctx,
    req: &ApiRequest,
    t: &Tenant,
    props: &[&'static str],
    type_name: &str,
) -> GraphResult<(Token, Option<Vec<String>>)> {
    let q = Query::parse(&req.query, req.eventual())?;
    if q.filter.is_some() || q.orderby.is_some() || q.top.is_some() || q.search.is_some() {
        return Err(GraphError::unsupported_query(
            "The entraform emulator's delta supports only $select (and $expand=members on groups).",
        ));
    }
    let expand_members = match q.expand.as_deref() {
        None => false,
        Some(e) if e.trim().eq_ignore_ascii_case("members") && type_name == "group" => true,
        Some(e) => {
            return Err(GraphError::bad_request(format!(
                "Parsing OData Select and Expand failed: Could not find a property named '{e}' on type 'microsoft.graph.{type_name}'."
            )));
        }
    };
    // Validate $select names (members is a navigation property allowed on
    // groups delta, manager on users delta).
    let navigation: &[&str] = if type_name == "group" {
        &["members", "owners"]
    } else {
        &["manager"]
    };
    if let Some(sel) = &q.select {
        for s in sel {
            if canonical(props, s).is_none()
                && !navigation.iter().any(|n| s.eq_ignore_ascii_case(n))
            {
                return Err(GraphError::unknown_property(s, type_name));
            }
        }
    }
    // Properties Graph refuses in a delta `$select` (the emulator's list,
    // `FaultConfig::delta_refused_select`; Graph publishes none). Graph's
    // message: microsoftgraph/microsoft-graph-explorer-v4 issue #3189.
    if type_name == "user"
        && let Some(sel) = &q.select
    {
        let refused: Vec<String> = {
            let f = ctx.faults.lock().unwrap_or_else(|e| e.into_inner());
            sel.iter()
                .filter(|s| {
                    f.config()
                        .delta_refused_select
                        .iter()
                        .any(|r| r.eq_ignore_ascii_case(s))
                })
                .cloned()
                .collect()
        };
        if !refused.is_empty() {
            return Err(GraphError::new(
                400,
                "BadRequest",
                format!(
                    "Invalid request for delta query: for this entity set, $expand/$select is not supported for the following properties: {}",
                    refused.join(",")
                ),
            ));
        }
    }
    let shown_select = q.select.clone();
    if let Some(tok) = &q.skiptoken {
        return Ok((decode(tok, ctx, t)?, None));
    }
    let members = expand_members
        || q.select
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x.eq_ignore_ascii_case("members")));
    // Owners only when selected (owners@delta, as in Graph's group delta).
    let owners = type_name == "group"
        && q.select
            .as_ref()
            .is_some_and(|s| s.iter().any(|x| x.eq_ignore_ascii_case("owners")));
    let mut token = match &q.deltatoken {
        Some(tok) => {
            let mut d = decode(tok, ctx, t)?;
            d.end = t.seq;
            d.after = String::new();
            d.resume_after_member = None;
            d.issued = now_secs();
            d
        }
        None => Token {
            since: 0,
            end: t.seq,
            after: String::new(),
            select: q.select.clone(),
            members,
            owners,
            resume_after_member: None,
            generation: t.delta_generation,
            issued: now_secs(),
        },
    };
    if q.deltatoken.is_none() {
        token.select = q.select;
    }
    Ok((token, shown_select))
}

/// What changed in one object since a token.
#[derive(Debug, Default)]
struct Changes {
    /// Created, restored or removed.
    whole: bool,
    /// Properties set (canonical names).
    props: BTreeSet<String>,
    /// The manager link (users).
    manager: bool,
    /// Memberships (groups).
    members: bool,
    /// Ownerships (groups).
    owners: bool,
}

impl Changes {
    /// Whether the change shows in a round tracking the properties
    /// `tracked` (the selection, or the default set): Graph leaves out objects
    /// whose changes are all to properties not selected ("If a change occurs
    /// to a property that is not selected, the resource for which that
    /// property changed does not appear", concepts/delta-query-overview.md).
    fn shows(&self, tracked: &[&str], manager: bool, members: bool) -> bool {
        self.whole
            || (manager && self.manager)
            || (members && self.members)
            || self.owners
            || self.props.iter().any(|p| tracked.contains(&p.as_str()))
    }
}

/// The objects of a type changed after the token, with what changed.
fn candidates(t: &Tenant, kind: Kind, tok: &Token) -> BTreeMap<String, Changes> {
    let mut ids: BTreeMap<String, Changes> = BTreeMap::new();
    for (_, c) in t.change_log.range(tok.since.saturating_add(1)..) {
        if c.kind != kind {
            continue;
        }
        let e = ids.entry(c.id.clone()).or_default();
        match &c.what {
            Changed::Whole => e.whole = true,
            Changed::Props(p) => e.props.extend(p.iter().cloned()),
            Changed::Manager => e.manager = true,
        }
    }
    if kind == Kind::Group {
        let start = t.member_log.partition_point(|e| e.seq <= tok.since);
        for e in &t.member_log[start..] {
            ids.entry(e.group.clone()).or_default().members = true;
        }
        if tok.owners {
            let start = t.owner_log.partition_point(|e| e.seq <= tok.since);
            for e in &t.owner_log[start..] {
                ids.entry(e.group.clone()).or_default().owners = true;
            }
        }
    }
    ids
}

/// Whether this request gets minimal items: the emulator's minimal mode, or
/// Graph's `Prefer: return=minimal` ("return only the object properties that
/// have changed since the last round", api-reference/v1.0/api/user-delta.md).
fn wants_minimal(ctx: &Ctx, req: &ApiRequest) -> bool {
    ctx.delta_minimal
        || req.header("prefer").is_some_and(|p| {
            p.split(',')
                .any(|x| x.trim().eq_ignore_ascii_case("return=minimal"))
        })
}

/// In the minimal mode, the items of a page in a shuffled order (Graph: "Do
/// not assume a specific sequence of the responses returned from a delta
/// query", concepts/delta-query-overview.md), drawn from the shuffle seed and
/// the page's position so a replay gives the same order.
fn shuffle_page(ctx: &Ctx, tok: &Token, value: &mut [Value]) {
    if !ctx.delta_minimal || value.len() < 2 {
        return;
    }
    let mut h: u64 = ctx.shuffle_seed.unwrap_or(0x5eed) ^ tok.since.rotate_left(17);
    for b in tok.after.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut rng = Rng::new(h);
    for i in (1..value.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        value.swap(i, j);
    }
}

/// `id` and the changed properties among those tracked (a removed value
/// as `null`).
fn changed_only(obj: &Object, tracked: &[&str], c: &Changes) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(obj.id));
    for p in &c.props {
        if tracked.contains(&p.as_str()) && p != "passwordProfile" {
            m.insert(p.clone(), obj.props.get(p).cloned().unwrap_or(Value::Null));
        }
    }
    m
}

fn removed(t: &Tenant, id: &str) -> Value {
    let reason = if t.deleted.contains_key(id) {
        "changed"
    } else {
        "deleted"
    };
    json!({ "id": id, "@removed": { "reason": reason } })
}

fn finish(
    ctx: &Ctx,
    set: &str,
    shown_select: Option<Vec<String>>,
    tok: &Token,
    value: Vec<Value>,
    last: Option<(String, Option<String>)>,
) -> ApiResponse {
    let context = match &shown_select {
        Some(s) => ctx.urls.context(&format!("{set}({})", s.join(","))),
        None => ctx.urls.context(set),
    };
    let mut m = Map::new();
    m.insert("@odata.context".into(), json!(context));
    match last {
        Some((after, resume_after_member)) => {
            let next = Token {
                after,
                resume_after_member,
                ..tok.clone()
            };
            m.insert(
                "@odata.nextLink".into(),
                json!(format!(
                    "{}/{set}/delta?$skiptoken={}",
                    ctx.urls.root(),
                    encode(&next)
                )),
            );
        }
        None => {
            let next = Token {
                since: tok.end,
                end: tok.end,
                after: String::new(),
                select: tok.select.clone(),
                members: tok.members,
                owners: tok.owners,
                resume_after_member: None,
                generation: tok.generation,
                issued: tok.issued,
            };
            m.insert(
                "@odata.deltaLink".into(),
                json!(format!(
                    "{}/{set}/delta?$deltatoken={}",
                    ctx.urls.root(),
                    encode(&next)
                )),
            );
        }
    }
    m.insert("value".into(), Value::Array(value));
    ApiResponse::json(200, Value::Object(m))
}

/// `GET /users/delta`
pub fn users(ctx: &Ctx, t: &Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let (tok, shown) = round(ctx, req, t, USER_PROPERTIES, "user")?;
    let size = page_size(req);
    let with_manager = tok
        .select
        .as_ref()
        .is_some_and(|s| s.iter().any(|x| x.eq_ignore_ascii_case("manager")));
    let sel: Option<Vec<&'static str>> = tok.select.as_ref().map(|s| {
        let mut v: Vec<&'static str> = s
            .iter()
            .filter_map(|n| canonical(USER_PROPERTIES, n))
            .collect();
        if !v.contains(&"id") {
            v.push("id");
        }
        v
    });
    let minimal = tok.since > 0 && wants_minimal(ctx, req);
    let tracked: Vec<&str> = sel.clone().unwrap_or_else(|| USER_DEFAULT.to_vec());
    let render_one = |id: &str, changes: Option<&Changes>| -> Value {
        match t.users.get(id) {
            Some(u) => {
                let partial = changes.filter(|c| minimal && !c.whole);
                let mut m = match partial {
                    Some(c) => changed_only(u, &tracked, c),
                    None => render::user(u, sel.as_deref()),
                };
                // In the minimal mode manager@delta comes only when it changed.
                let manager = with_manager && partial.is_none_or(|c| c.manager);
                if manager && let Some(d) = manager_delta(t, id, tok.since) {
                    m.insert("manager@delta".into(), d);
                }
                Value::Object(m)
            }
            None => removed(t, id),
        }
    };
    let (mut value, last) = if tok.since == 0 {
        take(
            t.users
                .range::<String, _>(bounds(&tok.after))
                .map(|(k, _)| k),
            size,
            |id| render_one(id, None),
        )
    } else {
        let ids = candidates(t, Kind::User, &tok);
        let shown = ids
            .range::<String, _>(bounds(&tok.after))
            .filter(|(id, c)| !t.users.contains_key(*id) || c.shows(&tracked, with_manager, false));
        take(shown.map(|(id, _)| id), size, |id| {
            render_one(id, ids.get(id))
        })
    };
    shuffle_page(ctx, &tok, &mut value);
    Ok(finish(
        ctx,
        "users",
        shown,
        &tok,
        value,
        last.map(|id| (id, None)),
    ))
}

/// A user's `manager@delta`: the current manager; else, in a round after a
/// token, the manager removed since it (with `@removed`); else nothing.
fn manager_delta(t: &Tenant, id: &str, since: u64) -> Option<Value> {
    let entry = |mid: &str| {
        let ty = t.kind_of(mid).unwrap_or(Kind::User).odata_type();
        json!({ "@odata.type": ty, "id": mid })
    };
    if let Some(mid) = t.manager.get(id) {
        return Some(json!([entry(mid)]));
    }
    let (seq, old) = t.manager_removed.get(id)?;
    (since > 0 && *seq > since).then(|| {
        let mut e = entry(old);
        e["@removed"] = json!({ "reason": "deleted" });
        json!([e])
    })
}

/// Range bounds "after this id" (everything when empty).
fn bounds(after: &str) -> (std::ops::Bound<String>, std::ops::Bound<String>) {
    use std::ops::Bound::{Excluded, Unbounded};
    if after.is_empty() {
        (Unbounded, Unbounded)
    } else {
        (Excluded(after.to_string()), Unbounded)
    }
}

/// Render up to `size` ids; if more follow, also the last id shown (the next page starts after it).
fn take<'a>(
    ids: impl Iterator<Item = &'a String>,
    size: usize,
    mut render: impl FnMut(&str) -> Value,
) -> (Vec<Value>, Option<String>) {
    let mut value = Vec::new();
    let mut last_shown: Option<&String> = None;
    for id in ids {
        if value.len() == size {
            return (value, last_shown.cloned());
        }
        value.push(render(id));
        last_shown = Some(id);
    }
    (value, None)
}

/// `GET /groups/delta`
pub fn groups(ctx: &Ctx, t: &Tenant, req: &ApiRequest) -> GraphResult<ApiResponse> {
    let (tok, shown_ctx) = round(ctx, req, t, GROUP_PROPERTIES, "group")?;
    let size = page_size(req);
    let sel: Option<Vec<&'static str>> = tok.select.as_ref().map(|s| {
        let mut v: Vec<&'static str> = s
            .iter()
            .filter_map(|n| canonical(GROUP_PROPERTIES, n))
            .collect();
        if !v.contains(&"id") {
            v.push("id");
        }
        v
    });
    let start = t.member_log.partition_point(|e| e.seq <= tok.since);
    let mut events: BTreeMap<&str, BTreeMap<&str, bool>> = BTreeMap::new();
    if tok.since > 0 {
        for e in &t.member_log[start..] {
            events
                .entry(&e.group)
                .or_default()
                .insert(&e.member, e.added);
        }
    }
    let mut owner_events: BTreeMap<&str, BTreeMap<&str, bool>> = BTreeMap::new();
    if tok.since > 0 && tok.owners {
        let start = t.owner_log.partition_point(|e| e.seq <= tok.since);
        for e in &t.owner_log[start..] {
            owner_events
                .entry(&e.group)
                .or_default()
                .insert(&e.member, e.added);
        }
    }
    let member_entry = |mid: &str, added: bool| -> Value {
        let ty = t.kind_of(mid).unwrap_or(Kind::User).odata_type();
        if added {
            json!({ "@odata.type": ty, "id": mid })
        } else {
            json!({ "@odata.type": ty, "id": mid, "@removed": { "reason": "deleted" } })
        }
    };
    let cap = ctx.delta_member_cap;
    let minimal = tok.since > 0 && wants_minimal(ctx, req);
    let tracked: Vec<&str> = sel.clone().unwrap_or_else(|| GROUP_DEFAULT.to_vec());
    let changes = if tok.since == 0 {
        BTreeMap::new()
    } else {
        candidates(t, Kind::Group, &tok)
    };
    // One group item with its members after `after` (all when `None`), and
    // the last member shown when the rest follows on the next page.
    let render_from = |id: &str, after: Option<&str>| -> (Value, Option<String>) {
        let Some(g) = t.groups.get(id) else {
            return (removed(t, id), None);
        };
        let partial = changes.get(id).filter(|c| minimal && !c.whole);
        let mut m = match (partial, after) {
            // A continuation of a split group carries its members only.
            (Some(_), Some(_)) => Map::from_iter([("id".to_string(), json!(id))]),
            (Some(c), None) => changed_only(&g.obj, &tracked, c),
            (None, _) => render::group(&g.obj, sel.as_deref()),
        };
        let mut resume = None;
        if tok.members {
            // Sorted by member id in both cases.
            let entries: Vec<(&str, bool)> = if tok.since == 0 {
                g.members.iter().map(|mid| (mid.as_str(), true)).collect()
            } else {
                events
                    .get(id)
                    .map(|ev| ev.iter().map(|(mid, added)| (*mid, *added)).collect())
                    .unwrap_or_default()
            };
            let from = after.map_or(0, |a| entries.partition_point(|(mid, _)| *mid <= a));
            let end = if cap > 0 {
                (from + cap).min(entries.len())
            } else {
                entries.len()
            };
            if end < entries.len() && end > from {
                resume = Some(entries[end - 1].0.to_string());
            }
            if end > from {
                m.insert(
                    "members@delta".into(),
                    Value::Array(
                        entries[from..end]
                            .iter()
                            .map(|(mid, added)| member_entry(mid, *added))
                            .collect(),
                    ),
                );
            }
        }
        // owners@delta: every owner in a first round, the changes after a token
        // (not split across pages: a group has at most 100 owners).
        if tok.owners && after.is_none() {
            let entries: Vec<(&str, bool)> = if tok.since == 0 {
                t.owners
                    .get(id)
                    .map(|o| o.iter().map(|oid| (oid.as_str(), true)).collect())
                    .unwrap_or_default()
            } else {
                owner_events
                    .get(id)
                    .map(|ev| ev.iter().map(|(oid, added)| (*oid, *added)).collect())
                    .unwrap_or_default()
            };
            if !entries.is_empty() {
                m.insert(
                    "owners@delta".into(),
                    Value::Array(
                        entries
                            .iter()
                            .map(|(oid, added)| member_entry(oid, *added))
                            .collect(),
                    ),
                );
            }
        }
        (Value::Object(m), resume)
    };
    let ids: Box<dyn Iterator<Item = &String>> = if tok.since == 0 {
        Box::new(
            t.groups
                .range::<String, _>(bounds(&tok.after))
                .map(|(k, _)| k),
        )
    } else {
        Box::new(
            changes
                .range::<String, _>(bounds(&tok.after))
                .filter(|(id, c)| {
                    !t.groups.contains_key(*id) || c.shows(&tracked, false, tok.members)
                })
                .map(|(id, _)| id),
        )
    };
    let mut value = Vec::new();
    let mut last: Option<(String, Option<String>)> = None;
    let mut shown: Option<String> = None;
    let mut split = false;
    if let Some(after_member) = &tok.resume_after_member {
        let (v, resume) = render_from(&tok.after, Some(after_member));
        value.push(v);
        if let Some(r) = resume {
            last = Some((tok.after.clone(), Some(r)));
            split = true;
        }
        shown = Some(tok.after.clone());
    }
    if !split {
        for id in ids {
            if value.len() == size {
                last = shown.map(|s| (s, None));
                break;
            }
            let (v, resume) = render_from(id, None);
            value.push(v);
            shown = Some(id.clone());
            if let Some(r) = resume {
                last = Some((id.clone(), Some(r)));
                break;
            }
        }
    }
    shuffle_page(ctx, &tok, &mut value);
    Ok(finish(ctx, "groups", shown_ctx, &tok, value, last))
}
