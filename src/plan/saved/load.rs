//! Reading a saved plan back: bounded, strictly typed, checked for internal consistency.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{ABSENT, MAX_PLAN_FILE_BYTES, SAVED_PLAN_FORMAT_VERSION, Target};
use crate::plan::gates::{GateKind, GateOverrides, GateResult};
use crate::plan::op::{Notice, PlanError};
use crate::plan::{MAX_STEPS, PLAN_FORMAT_VERSION, Plan, Step, Summary};

/// A saved plan as read back by `apply` and `show`, checked for shape (not yet for currency).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedPlan {
    /// The entraform version that wrote it.
    pub entraform_version: String,
    /// The tenant it was made for.
    pub target: Target,
    /// The repo's tenant (`tenants/<name>/`) it was made for, in a many-tenant repo.
    pub tenant: Option<String>,
    /// Digest of the repo it was computed from.
    pub desired_digest: String,
    /// The overrides given to `plan`.
    pub gate_overrides: GateOverrides,
    /// Fingerprints of the live objects it touches.
    pub fingerprints: BTreeMap<String, String>,
    /// The moment it was computed for (`planned_at`; absent in older files).
    pub planned_at: Option<crate::model::clock::Moment>,
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
    #[serde(default)]
    tenant: Option<String>,
    desired_digest: String,
    gate_overrides: Vec<GateKind>,
    fingerprints: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "planned_at_de")]
    planned_at: Option<crate::model::clock::Moment>,
    plan: RawDocument,
}

fn planned_at_de<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<crate::model::clock::Moment>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => crate::model::clock::Moment::parse(&s)
            .map(Some)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("`planned_at` `{s}` is not an RFC 3339 timestamp"))
            }),
    }
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
        tenant: raw.tenant,
        desired_digest: raw.desired_digest,
        gate_overrides: GateOverrides(raw.gate_overrides.into_iter().collect()),
        fingerprints: raw.fingerprints,
        planned_at: raw.planned_at,
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
    if let Some(t) = &raw.tenant
        && (t.is_empty()
            || t.len() > 64
            || !t
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
    {
        return bad("`tenant` must be a tenant folder name (a-z, 0-9, `-`, at most 64)".into());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::saved::test_support::{sample, saved_text, target};

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
}
