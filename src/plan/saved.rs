//! Saved plans: the plan a reviewer approved, plus what it was computed from.
//!
//! A saved plan is a *commitment*, not a program. `apply` never runs the
//! steps written in the file: it computes the plan again from the repo and
//! the tenant as they are now, and runs it only when its steps equal the
//! saved ones (and every object they touch is as it was). Anyone who can
//! hand over or edit the file can therefore only make apply refuse, never
//! make it do something the repo and the tenant do not call for. The safety
//! gates are evaluated on the fresh plan against the tenant as it is now.
//!
//! Everything here is pure: reading the file is the caller's job
//! ([`load`] takes its bytes).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::gates::{GateKind, GateOverrides, GateResult};
use super::op::{Notice, Op, PlanError, UserRef};
use super::render::json::{Document, document};
use super::{MAX_STEPS, PLAN_FORMAT_VERSION, Plan, Step, Summary};
use crate::live::Live;
use crate::model::ObjectId;

/// Version of the saved-plan envelope (`docs/plan-format.md`, "Saved plans").
/// 2: fingerprints keyed by object id; tenant id, Graph root and gate overrides recorded.
pub const SAVED_PLAN_FORMAT_VERSION: u32 = 2;

/// Largest plan file `apply` and `show` read (256 MiB: a plan of a few million
/// operations; far above a 100,000-user tenant's adoption plan).
pub const MAX_PLAN_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn fp<T: Serialize>(v: &T) -> String {
    sha256_hex(&serde_json::to_vec(v).unwrap_or_default())
}

const ABSENT: &str = "absent";

/// Fingerprints of the live objects the plan's steps touch, keyed by object id:
/// `user:<id>`, `group:<id>`, `roles:<principal id>`; an object the plan
/// creates has no id yet and is keyed `upn:<upn>` or `group-name:<name>`
/// (lower case) and fingerprinted `absent`, so a plan is also stale when
/// someone created it meanwhile.
pub fn fingerprints(live: &Live, steps: &[Step]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let user = |out: &mut BTreeMap<String, String>, u: &UserRef| match &u.id {
        Some(id) => {
            let v = live.user(id).map_or_else(|| ABSENT.to_string(), fp);
            out.insert(format!("user:{id}"), v);
        }
        None => {
            let v = live
                .user_by_upn(u.upn.as_str())
                .map_or_else(|| ABSENT.to_string(), fp);
            out.insert(format!("upn:{}", u.upn.key()), v);
        }
    };
    let object = |out: &mut BTreeMap<String, String>, id: &ObjectId| {
        let v = live.user(id).map_or_else(|| ABSENT.to_string(), fp);
        out.insert(format!("user:{id}"), v);
    };
    for s in steps {
        match &s.op {
            Op::CreateUser { upn, .. } => {
                let v = live
                    .user_by_upn(upn.as_str())
                    .map_or_else(|| ABSENT.to_string(), fp);
                out.insert(format!("upn:{}", upn.key()), v);
            }
            Op::RestoreUser { user: u }
            | Op::UpdateUser { user: u, .. }
            | Op::EnableUser { user: u }
            | Op::DisableUser { user: u }
            | Op::RevokeSessions { user: u }
            | Op::DeleteUser { user: u }
            | Op::RemoveManager { user: u, .. } => user(&mut out, u),
            Op::SetManager {
                user: u, manager, ..
            } => {
                user(&mut out, u);
                user(&mut out, manager);
            }
            Op::CreateGroup { name, .. } => {
                let v = live
                    .groups_named(name)
                    .first()
                    .map_or_else(|| ABSENT.to_string(), fp);
                out.insert(format!("group-name:{}", name.to_lowercase()), v);
            }
            Op::UpdateGroup { group, .. }
            | Op::AddMember { group, .. }
            | Op::RemoveMember { group, .. } => {
                match &group.id {
                    Some(id) => {
                        let v = live.group(id).map_or_else(|| ABSENT.to_string(), fp);
                        out.insert(format!("group:{id}"), v);
                    }
                    None => {
                        let v = live
                            .groups_named(&group.name)
                            .first()
                            .map_or_else(|| ABSENT.to_string(), fp);
                        out.insert(format!("group-name:{}", group.name.to_lowercase()), v);
                    }
                }
                match &s.op {
                    Op::AddMember { member, .. } => user(&mut out, member),
                    Op::RemoveMember { member, .. } => object(&mut out, &member.id),
                    _ => {}
                }
            }
            Op::RemoveRole { principal, .. } => {
                object(&mut out, &principal.id);
                out.insert(
                    format!("roles:{}", principal.id),
                    fp(&live.assignments_of(&principal.id)),
                );
            }
            Op::AssignRole { principal, .. } => {
                user(&mut out, principal);
                if let Some(id) = &principal.id {
                    out.insert(format!("roles:{id}"), fp(&live.assignments_of(id)));
                }
            }
        }
    }
    out
}

/// Which tenant a plan was made for: apply refuses a plan made for another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The tenant id (or domain) signed in to.
    pub tenant_id: String,
    /// The Graph version root (`https://graph.microsoft.com/v1.0`).
    pub graph_root: String,
}

/// What `plan --out` writes: the plan as `plan --format json` prints it, in an envelope.
#[derive(Serialize)]
pub struct SavedPlan<'a> {
    /// Version of this envelope ([`SAVED_PLAN_FORMAT_VERSION`]).
    pub format_version: u32,
    /// The entraform version that wrote it.
    pub entraform_version: &'static str,
    /// The tenant signed in to.
    pub tenant_id: String,
    /// The Graph root used.
    pub graph_root: String,
    /// SHA-256 over the desired-state files (relative path and content, sorted by path).
    pub desired_digest: String,
    /// The `--allow-…` overrides given to `plan`, as gate ids; apply must be given them too.
    pub gate_overrides: Vec<GateKind>,
    /// Fingerprints of the live objects the plan touches.
    pub fingerprints: BTreeMap<String, String>,
    /// The plan (the same document as `plan --format json`).
    pub(crate) plan: Document<'a>,
}

impl<'a> SavedPlan<'a> {
    /// Wrap a plan with its provenance.
    pub fn new(
        plan: &'a Plan,
        live: &Live,
        target: &Target,
        desired_digest: String,
        overrides: &GateOverrides,
    ) -> Self {
        SavedPlan {
            format_version: SAVED_PLAN_FORMAT_VERSION,
            entraform_version: env!("CARGO_PKG_VERSION"),
            tenant_id: target.tenant_id.clone(),
            graph_root: target.graph_root.clone(),
            desired_digest,
            gate_overrides: overrides.0.iter().copied().collect(),
            fingerprints: fingerprints(live, &plan.steps),
            plan: document(plan),
        }
    }

    /// The file's text (pretty JSON ending with a newline).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }
}

/// A saved plan as read back by `apply` and `show`, checked for shape (not yet for currency).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedPlan {
    /// The entraform version that wrote it.
    pub entraform_version: String,
    /// The tenant it was made for.
    pub target: Target,
    /// Digest of the repo it was computed from.
    pub desired_digest: String,
    /// The overrides given to `plan`.
    pub gate_overrides: GateOverrides,
    /// Fingerprints of the live objects it touches.
    pub fingerprints: BTreeMap<String, String>,
    /// The plan as saved (steps, notices, errors, gates as evaluated then).
    pub plan: Plan,
}

/// Why a plan file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// Larger than [`MAX_PLAN_FILE_BYTES`].
    #[error(
        "the file is {size} bytes, more than the {MAX_PLAN_FILE_BYTES} a plan file may have; it is not a plan written by `entraform plan --out`"
    )]
    TooLarge {
        /// Its size.
        size: u64,
    },
    /// Not JSON, or a value of the wrong type or out of range.
    #[error(
        "{line}:{column}: {message}; the file is damaged or was edited by hand: plan again with `entraform plan --out`"
    )]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Written by another version of the envelope.
    #[error(
        "the plan file has format version {0}; this entraform reads version {SAVED_PLAN_FORMAT_VERSION}. Plan again with this version"
    )]
    Version(u32),
    /// Well-formed JSON whose parts do not fit together.
    #[error(
        "{0}; the file is damaged or was edited by hand: plan again with `entraform plan --out`"
    )]
    Invalid(String),
}

#[derive(Deserialize)]
struct VersionOnly {
    format_version: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvelope {
    format_version: u32,
    entraform_version: String,
    tenant_id: String,
    graph_root: String,
    desired_digest: String,
    gate_overrides: Vec<GateKind>,
    fingerprints: BTreeMap<String, String>,
    plan: RawDocument,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    format_version: u32,
    summary: Summary,
    has_changes: bool,
    blocked: bool,
    waves: usize,
    owned_users: u64,
    steps: Vec<Step>,
    notices: Vec<Notice>,
    errors: Vec<PlanError>,
    gates: Vec<GateResult>,
}

fn json_error(e: &serde_json::Error) -> LoadError {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    LoadError::Json {
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// A control character a terminal would interpret (escape sequences), written
/// raw or as a JSON escape; tab, newline and carriage return are allowed.
fn first_control(text: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'\\' if i + 1 < text.len() => {
                match text[i + 1] {
                    b'b' | b'f' => return Some(i),
                    b'u' if i + 5 < text.len() => {
                        let hex = std::str::from_utf8(&text[i + 2..i + 6]).ok();
                        let c = hex.and_then(|h| u32::from_str_radix(h, 16).ok());
                        if c.is_some_and(|c| {
                            (c < 0x20 && !matches!(c, 0x09 | 0x0a | 0x0d))
                                || (0x7f..=0x9f).contains(&c)
                        }) {
                            return Some(i);
                        }
                    }
                    _ => {}
                }
                i += 2;
            }
            // Raw C1 controls (U+0080..U+009F) in UTF-8, and a raw DEL.
            0xc2 if text.get(i + 1).is_some_and(|b| (0x80..=0x9f).contains(b)) => return Some(i),
            0x7f => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn position(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = offset
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, column)
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Read a saved plan from the bytes of its file: bounded, strictly typed, and
/// checked for internal consistency (step ids, waves, dependencies, counts,
/// gates), so a damaged or hand-edited file is refused with a clear reason.
pub fn load(text: &[u8]) -> Result<LoadedPlan, LoadError> {
    let size = text.len() as u64;
    if size > MAX_PLAN_FILE_BYTES {
        return Err(LoadError::TooLarge { size });
    }
    let version: VersionOnly = serde_json::from_slice(text).map_err(|e| json_error(&e))?;
    match version.format_version {
        Some(SAVED_PLAN_FORMAT_VERSION) => {}
        Some(v) => return Err(LoadError::Version(v)),
        None => {
            return Err(LoadError::Invalid(
                "no `format_version`: not a plan written by `entraform plan --out`".into(),
            ));
        }
    }
    if let Some(at) = first_control(text) {
        let (line, column) = position(text, at);
        return Err(LoadError::Json {
            line,
            column,
            message: "a control character (terminal escape) in a value".into(),
        });
    }
    let raw: RawEnvelope = serde_json::from_slice(text).map_err(|e| json_error(&e))?;
    debug_assert_eq!(raw.format_version, SAVED_PLAN_FORMAT_VERSION);
    check_envelope(&raw)?;
    let doc = raw.plan;
    check_document(&doc)?;
    Ok(LoadedPlan {
        entraform_version: raw.entraform_version,
        target: Target {
            tenant_id: raw.tenant_id,
            graph_root: raw.graph_root,
        },
        desired_digest: raw.desired_digest,
        gate_overrides: GateOverrides(raw.gate_overrides.into_iter().collect()),
        fingerprints: raw.fingerprints,
        plan: Plan {
            steps: doc.steps,
            notices: doc.notices,
            errors: doc.errors,
            gates: doc.gates,
            summary: doc.summary,
            owned_users: doc.owned_users,
        },
    })
}

fn check_envelope(raw: &RawEnvelope) -> Result<(), LoadError> {
    let bad = |m: String| Err(LoadError::Invalid(m));
    if raw.tenant_id.is_empty() || raw.tenant_id.len() > 256 {
        return bad("`tenant_id` must be a tenant id or domain (1 to 256 characters)".into());
    }
    if !(raw.graph_root.starts_with("https://") || raw.graph_root.starts_with("http://"))
        || raw.graph_root.len() > 2048
    {
        return bad("`graph_root` must be an http(s) URL".into());
    }
    if !is_sha256_hex(&raw.desired_digest) {
        return bad("`desired_digest` must be 64 lower-case hex digits (SHA-256)".into());
    }
    let mut seen = raw.gate_overrides.clone();
    seen.sort();
    seen.dedup();
    if seen.len() != raw.gate_overrides.len() {
        return bad("`gate_overrides` names a gate twice".into());
    }
    // At most one subject, one related user or group and one role set per step.
    let max_fps = raw.plan.steps.len().saturating_mul(3);
    if raw.fingerprints.len() > max_fps {
        return bad(format!(
            "{} fingerprints for {} steps (at most {max_fps})",
            raw.fingerprints.len(),
            raw.plan.steps.len()
        ));
    }
    for (k, v) in &raw.fingerprints {
        let known = ["user:", "upn:", "group:", "group-name:", "roles:"]
            .iter()
            .any(|p| k.starts_with(p));
        if !known || k.len() > 1024 {
            return bad(format!("unknown fingerprint key `{}`", truncate(k)));
        }
        if v != ABSENT && !is_sha256_hex(v) {
            return bad(format!(
                "fingerprint `{}` must be `absent` or 64 hex digits",
                truncate(k)
            ));
        }
    }
    Ok(())
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn check_document(doc: &RawDocument) -> Result<(), LoadError> {
    let bad = |m: String| Err(LoadError::Invalid(m));
    if doc.format_version != PLAN_FORMAT_VERSION {
        return bad(format!(
            "`plan.format_version` is {}; this entraform writes {PLAN_FORMAT_VERSION}",
            doc.format_version
        ));
    }
    if doc.steps.len() > MAX_STEPS {
        return bad(format!("{} steps (at most {MAX_STEPS})", doc.steps.len()));
    }
    for (i, s) in doc.steps.iter().enumerate() {
        let what = || format!("step {i} ({} {})", s.op.kind(), s.op.object_key());
        if s.id != i {
            return bad(format!(
                "{} has id {}; ids must be 0, 1, 2, … in order",
                what(),
                s.id
            ));
        }
        let mut wave = 0;
        for (k, d) in s.depends_on.iter().enumerate() {
            if *d >= i {
                return bad(format!(
                    "{} depends on step {d}; a step depends only on earlier steps",
                    what()
                ));
            }
            if k > 0 && s.depends_on[k - 1] >= *d {
                return bad(format!(
                    "{}: `depends_on` must be sorted without repeats",
                    what()
                ));
            }
            wave = wave.max(doc.steps[*d].wave + 1);
        }
        if s.wave != wave {
            return bad(format!(
                "{} is in wave {} but its dependencies put it in wave {wave}",
                what(),
                s.wave
            ));
        }
        if i > 0 && doc.steps[i - 1].wave > s.wave {
            return bad(format!("{} comes after a step of a later wave", what()));
        }
    }
    let waves = doc.steps.iter().map(|s| s.wave + 1).max().unwrap_or(0);
    if doc.waves != waves {
        return bad(format!(
            "`waves` is {} but the steps have {waves}",
            doc.waves
        ));
    }
    if doc.has_changes == doc.steps.is_empty() {
        return bad("`has_changes` does not match `steps`".into());
    }
    if doc.summary != Summary::of(&doc.steps) {
        return bad("`summary` does not match the steps' counts".into());
    }
    let kinds: Vec<GateKind> = doc.gates.iter().map(|g| g.gate).collect();
    if kinds != GateKind::ALL {
        return bad(format!(
            "`gates` must list every gate once, in the order {}",
            GateKind::ALL.map(GateKind::id).join(", ")
        ));
    }
    if let Some(g) = doc.gates.iter().find(|g| g.overridden && !g.tripped) {
        return bad(format!(
            "gate {} is overridden but not tripped",
            g.gate.id()
        ));
    }
    let blocked = doc.gates.iter().any(|g| g.tripped && !g.overridden);
    if doc.blocked != blocked {
        return bad("`blocked` does not match the gates".into());
    }
    Ok(())
}

/// Why a saved plan is not applied (the file itself was readable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Made for another tenant or Graph endpoint.
    #[error(
        "this plan was made for tenant `{saved_tenant}` at {saved_root}, not for tenant `{now_tenant}` at {now_root}; apply it with the same tenant and Graph endpoint, or plan again"
    )]
    Target {
        /// Tenant in the file.
        saved_tenant: String,
        /// Graph root in the file.
        saved_root: String,
        /// Tenant signed in to now.
        now_tenant: String,
        /// Graph root in use now.
        now_root: String,
    },
    /// The plan had errors when it was made.
    #[error(
        "this plan had {0} error(s) when it was made and cannot be applied; fix them and plan again"
    )]
    HadErrors(usize),
    /// A gate stopped the plan when it was made.
    #[error(
        "safety gate {} stopped this plan when it was made ({}); a blocked plan is never applied: plan again (with the override, if intended) and review",
        .0.id(), .1
    )]
    WasBlocked(GateKind, String),
    /// The repo changed since planning.
    #[error(
        "the directory repo changed since this plan was made (digest {saved} ≠ {now}); plan again and review"
    )]
    Repo {
        /// Digest in the plan.
        saved: String,
        /// Digest of the directory now.
        now: String,
    },
    /// Overrides the plan was made with but apply was not given.
    #[error(
        "this plan was made with {}; pass the same flag(s) to apply to confirm them",
        flags(.0)
    )]
    OverrideNotConfirmed(Vec<GateKind>),
    /// The fresh plan is empty: the saved one was already applied.
    #[error("already applied: the tenant already matches this plan; nothing to do")]
    AlreadyApplied,
    /// Some of the saved plan's operations are done, the others remain.
    #[error(
        "partly applied: {done} of the plan's {total} operations are already done; plan again and review what remains ({})",
        .objects.join(", ")
    )]
    PartlyApplied {
        /// Operations no longer needed.
        done: usize,
        /// Operations in the saved plan.
        total: usize,
        /// Objects of the remaining operations.
        objects: Vec<String>,
    },
    /// The fresh plan differs from the saved one.
    #[error(
        "this plan is not what the repo and the tenant call for now (the tenant changed since it was made, or the file was edited); these objects differ: {}. Plan again and review",
        .0.join(", ")
    )]
    Changed(Vec<String>),
    /// Same operations, but objects they touch changed since the plan was made.
    #[error(
        "the tenant changed since this plan was made; these objects it touches are different now: {}. Plan again and review",
        .0.join(", ")
    )]
    Touched(Vec<String>),
    /// Same operations, but the order was changed in the file.
    #[error(
        "the plan's waves or dependencies differ from the ones entraform computes; the file was edited: plan again"
    )]
    Reordered,
}

fn flags(gates: &[GateKind]) -> String {
    gates
        .iter()
        .map(|g| g.flag())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Refusal {
    /// `already applied` is not a failure: the outcome the plan was for holds.
    pub fn is_success(&self) -> bool {
        matches!(self, Refusal::AlreadyApplied)
    }
    /// Refusals that are a safety gate's doing (exit code 3).
    pub fn is_gate(&self) -> bool {
        matches!(
            self,
            Refusal::WasBlocked(..) | Refusal::OverrideNotConfirmed(_)
        )
    }
}

impl LoadedPlan {
    /// Checks that need no tenant read: target, recorded errors and gates, repo
    /// digest, and that every override the plan was made with is given again.
    /// Returns the overrides that count for the fresh plan: only those given to
    /// apply *and* recorded in the plan (what the reviewer saw).
    pub fn check_before_read(
        &self,
        now: &Target,
        desired_digest: &str,
        given: &GateOverrides,
    ) -> Result<GateOverrides, Refusal> {
        let root = |s: &str| s.trim_end_matches('/').to_string();
        if !self.target.tenant_id.eq_ignore_ascii_case(&now.tenant_id)
            || root(&self.target.graph_root) != root(&now.graph_root)
        {
            return Err(Refusal::Target {
                saved_tenant: self.target.tenant_id.clone(),
                saved_root: self.target.graph_root.clone(),
                now_tenant: now.tenant_id.clone(),
                now_root: now.graph_root.clone(),
            });
        }
        if !self.plan.errors.is_empty() {
            return Err(Refusal::HadErrors(self.plan.errors.len()));
        }
        if let Some(g) = self.plan.gates.iter().find(|g| g.tripped && !g.overridden) {
            return Err(Refusal::WasBlocked(g.gate, g.message.clone()));
        }
        if self.desired_digest != desired_digest {
            return Err(Refusal::Repo {
                saved: self.desired_digest.clone(),
                now: desired_digest.to_string(),
            });
        }
        let missing: Vec<GateKind> = self
            .gate_overrides
            .0
            .iter()
            .filter(|g| !given.allows(**g))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(Refusal::OverrideNotConfirmed(missing));
        }
        Ok(GateOverrides(
            self.gate_overrides
                .0
                .intersection(&given.0)
                .copied()
                .collect(),
        ))
    }

    /// Compare the fresh plan (computed now, from the same repo) with the saved
    /// one: its steps must be the same, and every object they touch must have
    /// the fingerprint recorded. Gates are the caller's next check, on `fresh`.
    pub fn check_fresh(&self, fresh: &Plan, live: &Live) -> Result<(), Refusal> {
        if fresh.steps != self.plan.steps {
            return Err(steps_differ(&self.plan.steps, &fresh.steps, live));
        }
        let now = fingerprints(live, &fresh.steps);
        let mut changed: Vec<&String> = self
            .fingerprints
            .iter()
            .filter(|(k, v)| now.get(*k) != Some(*v))
            .map(|(k, _)| k)
            .collect();
        changed.extend(now.keys().filter(|k| !self.fingerprints.contains_key(*k)));
        if changed.is_empty() {
            return Ok(());
        }
        let names = Names::of(&fresh.steps, live);
        let mut objects: Vec<String> = changed.iter().map(|k| names.describe(k)).collect();
        objects.sort();
        objects.dedup();
        Err(Refusal::Touched(objects))
    }
}

/// How the saved and the fresh steps differ, by object. Saved operations that
/// the fresh plan no longer has are "done" when the tenant already shows their
/// effect ([`op_done`]); anything else is a difference.
fn steps_differ(saved: &[Step], fresh: &[Step], live: &Live) -> Refusal {
    let mut count: HashMap<&Op, i64> = HashMap::new();
    for s in saved {
        *count.entry(&s.op).or_default() += 1;
    }
    for s in fresh {
        *count.entry(&s.op).or_default() -= 1;
    }
    let mut done = 0usize;
    let mut differ: Vec<String> = Vec::new();
    for (op, n) in &count {
        if *n > 0 && op_done(op, live) {
            done += *n as usize;
        } else if *n != 0 {
            differ.push(op.object_key());
        }
    }
    differ.sort();
    differ.dedup();
    if !differ.is_empty() {
        return Refusal::Changed(differ);
    }
    if done == 0 {
        return Refusal::Reordered;
    }
    if fresh.is_empty() {
        return Refusal::AlreadyApplied;
    }
    let mut remaining: Vec<String> = fresh.iter().map(|s| s.op.object_key()).collect();
    remaining.sort();
    remaining.dedup();
    Refusal::PartlyApplied {
        done,
        total: saved.len(),
        objects: remaining,
    }
}

/// Does the tenant already show this operation's effect? (Used only to tell an
/// applied plan from a changed or edited one; session revocation cannot be
/// observed and counts as done once the account is disabled or gone.)
pub fn op_done(op: &Op, live: &Live) -> bool {
    let user = |r: &UserRef| match &r.id {
        Some(id) => live.user(id),
        None => live.user_by_upn(r.upn.as_str()),
    };
    let group = |g: &super::op::GroupRef| match &g.id {
        Some(id) => live.group(id),
        None => live.groups_named(&g.name).first().copied(),
    };
    match op {
        Op::CreateUser { upn, .. } => live.user_by_upn(upn.as_str()).is_some(),
        Op::RestoreUser { user: u } => user(u).is_some(),
        Op::UpdateUser { user: u, changes } => user(u).is_some_and(|lu| {
            changes
                .iter()
                .all(|c| crate::diff::live_attr(lu, c.attr) == c.new)
        }),
        Op::EnableUser { user: u } => user(u).is_some_and(|lu| lu.account_enabled),
        Op::DisableUser { user: u } => user(u).is_some_and(|lu| !lu.account_enabled),
        Op::RevokeSessions { user: u } => user(u).is_none_or(|lu| !lu.account_enabled),
        Op::DeleteUser { user: u } => u.id.as_ref().is_some_and(|id| live.user(id).is_none()),
        Op::SetManager {
            user: u, manager, ..
        } => match (user(u), user(manager)) {
            (Some(lu), Some(m)) => lu.manager.as_ref() == Some(&m.id),
            _ => false,
        },
        Op::RemoveManager { user: u, .. } => user(u).is_some_and(|lu| lu.manager.is_none()),
        Op::CreateGroup { name, .. } => !live.groups_named(name).is_empty(),
        Op::UpdateGroup {
            group: g,
            new_description,
            ..
        } => group(g).is_some_and(|lg| {
            lg.description.as_deref().filter(|d| !d.is_empty()) == new_description.as_deref()
        }),
        Op::AddMember { group: g, member } => match (group(g), user(member)) {
            (Some(lg), Some(m)) => lg.has_member(&m.id),
            _ => false,
        },
        Op::RemoveMember { group: g, member } => {
            group(g).is_some_and(|lg| !lg.has_member(&member.id))
        }
        Op::AssignRole { role, principal } => user(principal).is_some_and(|p| {
            live.assignments_of(&p.id).iter().any(|a| {
                a.role_definition_id
                    .eq_ignore_ascii_case(&role.definition_id)
            })
        }),
        Op::RemoveRole { assignment_id, .. } => !live
            .role_assignments()
            .iter()
            .any(|a| &a.id == assignment_id),
    }
}

/// Names of the objects a plan's steps refer to, for messages (never an opaque id when a name is known).
struct Names {
    by_id: HashMap<String, String>,
}

impl Names {
    fn of(steps: &[Step], live: &Live) -> Names {
        let mut by_id: HashMap<String, String> = HashMap::new();
        fn note(by_id: &mut HashMap<String, String>, r: &UserRef) {
            if let Some(id) = &r.id {
                by_id.insert(id.0.clone(), r.upn.as_str().to_string());
            }
        }
        for s in steps {
            let mut user = |r: &UserRef| note(&mut by_id, r);
            match &s.op {
                Op::RestoreUser { user: u }
                | Op::UpdateUser { user: u, .. }
                | Op::EnableUser { user: u }
                | Op::DisableUser { user: u }
                | Op::RevokeSessions { user: u }
                | Op::DeleteUser { user: u }
                | Op::RemoveManager { user: u, .. }
                | Op::AssignRole { principal: u, .. } => user(u),
                Op::SetManager {
                    user: u, manager, ..
                } => {
                    user(u);
                    user(manager);
                }
                Op::AddMember { group, member } => {
                    user(member);
                    if let Some(id) = &group.id {
                        by_id.insert(id.0.clone(), format!("group:{}", group.name));
                    }
                }
                Op::UpdateGroup { group, .. } | Op::RemoveMember { group, .. } => {
                    if let Some(id) = &group.id {
                        by_id.insert(id.0.clone(), format!("group:{}", group.name));
                    }
                }
                Op::CreateUser { upn, .. } => {
                    by_id.insert(format!("upn:{}", upn.key()), upn.as_str().to_string());
                }
                Op::CreateGroup { name, .. } => {
                    by_id.insert(
                        format!("group-name:{}", name.to_lowercase()),
                        format!("group:{name}"),
                    );
                }
                Op::RemoveRole { .. } => {}
            }
            match &s.op {
                Op::AddMember { member: u, .. } | Op::AssignRole { principal: u, .. }
                    if u.id.is_none() =>
                {
                    by_id.insert(format!("upn:{}", u.upn.key()), u.upn.as_str().to_string());
                }
                _ => {}
            }
            match &s.op {
                Op::RemoveMember { member: p, .. } | Op::RemoveRole { principal: p, .. } => {
                    let name = p
                        .upn
                        .as_ref()
                        .map(|u| u.as_str().to_string())
                        .or_else(|| live.user(&p.id).map(|u| u.upn.as_str().to_string()));
                    if let Some(name) = name {
                        by_id.entry(p.id.0.clone()).or_insert(name);
                    }
                }
                _ => {}
            }
        }
        Names { by_id }
    }

    fn name(&self, id: &str) -> String {
        self.by_id
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("object {id}"))
    }

    /// A fingerprint key in words.
    fn describe(&self, key: &str) -> String {
        if let Some(name) = self.by_id.get(key) {
            name.clone()
        } else if let Some(id) = key.strip_prefix("user:") {
            self.name(id)
        } else if let Some(id) = key.strip_prefix("group:") {
            self.name(id)
        } else if let Some(id) = key.strip_prefix("roles:") {
            format!("the roles of {}", self.name(id))
        } else if let Some(upn) = key.strip_prefix("upn:") {
            upn.to_string()
        } else if let Some(name) = key.strip_prefix("group-name:") {
            format!("group:{name}")
        } else {
            key.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::LiveParts;
    use crate::model::Upn;
    use crate::plan::op::UserRef;

    fn live() -> Live {
        Live::from_parts(LiveParts::default())
    }

    fn step(id: usize, wave: usize, op: Op, depends_on: Vec<usize>) -> Step {
        Step {
            id,
            wave,
            op,
            depends_on,
        }
    }

    fn user(upn: &str, id: Option<&str>) -> UserRef {
        UserRef {
            upn: Upn::new_unchecked(upn),
            id: id.map(|i| ObjectId(i.into())),
        }
    }

    fn sample() -> Plan {
        let steps = vec![
            step(
                0,
                0,
                Op::DisableUser {
                    user: user("a@contoso.com", Some("id-a")),
                },
                vec![],
            ),
            step(
                1,
                1,
                Op::RevokeSessions {
                    user: user("a@contoso.com", Some("id-a")),
                },
                vec![0],
            ),
        ];
        let gates = GateKind::ALL
            .iter()
            .map(|g| GateResult {
                gate: *g,
                applies: true,
                value: 0,
                limit: Some(0),
                tripped: false,
                overridden: false,
                message: "ok".into(),
            })
            .collect();
        Plan {
            summary: Summary::of(&steps),
            steps,
            notices: vec![],
            errors: vec![],
            gates,
            owned_users: 1,
        }
    }

    fn target() -> Target {
        Target {
            tenant_id: "t".into(),
            graph_root: "https://graph.microsoft.com/v1.0".into(),
        }
    }

    fn saved_text(plan: &Plan) -> String {
        SavedPlan::new(
            plan,
            &live(),
            &target(),
            "0".repeat(64),
            &GateOverrides::default(),
        )
        .to_json()
        .unwrap()
    }

    #[test]
    fn a_saved_plan_reads_back_as_the_same_plan() {
        let plan = sample();
        let loaded = load(saved_text(&plan).as_bytes()).unwrap();
        assert_eq!(loaded.plan, plan);
        assert_eq!(loaded.target, target());
        assert!(loaded.fingerprints.contains_key("user:id-a"));
    }

    #[test]
    fn inconsistent_files_are_refused_with_the_reason() {
        let text = saved_text(&sample());
        let edit = |from: &str, to: &str| {
            assert!(text.contains(from), "{from}");
            load(text.replacen(from, to, 1).as_bytes())
                .unwrap_err()
                .to_string()
        };
        assert!(
            edit("\"wave\": 1", "\"wave\": 0")
                .contains("wave 0 but its dependencies put it in wave 1")
        );
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["plan"]["steps"][1]["depends_on"] = serde_json::json!([1]);
        let e = load(v.to_string().as_bytes()).unwrap_err().to_string();
        assert!(e.contains("depends on step 1"), "{e}");
        assert!(edit("\"waves\": 2", "\"waves\": 3").contains("`waves` is 3"));
        assert!(edit("\"blocked\": false", "\"blocked\": true").contains("`blocked`"));
        assert!(
            edit("\"gate\": \"max-changes\"", "\"gate\": \"max-deletes\"")
                .contains("every gate once")
        );
        assert!(edit("\"tenant_id\": \"t\"", "\"tenant_id\": \"\"").contains("tenant_id"));
        let e = edit("\"op\": \"disable_user\"", "\"op\": \"grant_everything\"");
        assert!(e.starts_with("8:") || e.contains("unknown variant"), "{e}");
        assert!(
            edit("\"format_version\": 2", "\"format_version\": 99").contains("format version 99")
        );
        assert!(edit("\"owned_users\": 1", "\"owned_users\": -1").contains("invalid value"));
        assert!(
            edit("\"owned_users\": 1", "\"owned_users\": 1, \"extra\": 1")
                .contains("unknown field `extra`")
        );
    }

    #[test]
    fn control_characters_are_found_raw_or_escaped() {
        assert_eq!(first_control(br#"{"a": "x\u001b[2J"}"#), Some(8));
        assert_eq!(first_control("{\"a\": \"\u{9b}\"}".as_bytes()), Some(7));
        assert_eq!(
            first_control(br#"{"a": "x\\u001b"}"#),
            None,
            "an escaped backslash"
        );
        assert_eq!(first_control(br#"{"a": "line\nnext\ttab"}"#), None);
        assert_eq!(first_control(br#"{"a": "\b"}"#), Some(7));
    }

    #[test]
    fn an_empty_fresh_plan_is_already_applied_only_when_the_effects_are_there() {
        let saved = sample();
        let mut parts = LiveParts::default();
        let mut a = crate::live::LiveUser::new(
            ObjectId("id-a".into()),
            Upn::new_unchecked("a@contoso.com"),
        );
        a.account_enabled = false;
        parts.users.push(a);
        let disabled = Live::from_parts(parts);
        assert_eq!(
            steps_differ(&saved.steps, &[], &disabled),
            Refusal::AlreadyApplied
        );
        // Still enabled: the saved steps were never done (an edited file, or a changed tenant).
        let mut parts = LiveParts::default();
        parts.users.push(crate::live::LiveUser::new(
            ObjectId("id-a".into()),
            Upn::new_unchecked("a@contoso.com"),
        ));
        let enabled = Live::from_parts(parts);
        assert_eq!(
            steps_differ(&saved.steps, &[], &enabled),
            Refusal::Changed(vec!["a@contoso.com".into()])
        );
    }
}
