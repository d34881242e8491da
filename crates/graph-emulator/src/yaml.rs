//! YAML seed files: the first document of a YAML 1.2 text as JSON, with the
//! core schema (unquoted `null`/`~`, `true`/`false`, integers and floats are
//! typed; quoted or `!!str`-tagged scalars are strings).
//!
//! The emulator's own reader (it does not borrow entraform's loader, so the
//! two crates stay independent): built on saphyr's event parser, bounded in
//! nesting depth, alias uses and the nodes aliases copy, so a hostile seed
//! cannot exhaust the stack or memory.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Number, Value};

/// Deepest nesting of sequences and mappings (a seed needs about 6).
pub const MAX_DEPTH: usize = 64;
/// Most alias uses (`*name`) in one seed.
pub const MAX_ALIASES: u64 = 1_000_000;
/// Most nodes that aliases may copy in one seed (a "billion laughs" file stops here).
pub const MAX_ALIAS_NODES: u64 = 4_000_000;

/// Why a YAML seed could not be read, with the 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at line {line}, column {col}")]
pub struct YamlError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

fn err(m: saphyr_parser::Marker, message: impl Into<String>) -> YamlError {
    YamlError {
        line: m.line(),
        col: m.col() + 1,
        message: message.into(),
    }
}

/// A collection being built.
enum Frame {
    Seq(Vec<Value>, Option<usize>),
    Map(Map<String, Value>, Option<String>, usize, Option<usize>),
}

/// A finished node: its value, the nodes it holds (itself included) and its anchor.
struct Built {
    value: Value,
    nodes: u64,
    anchor: Option<usize>,
    /// A scalar's text as written (what a mapping key keeps).
    raw: Option<String>,
}

/// Parse YAML text (its first document) into JSON; an empty text is `null`.
pub fn to_json(text: &str) -> Result<Value, YamlError> {
    let mut stack: Vec<(Frame, u64)> = Vec::new();
    let mut anchors: HashMap<usize, (Value, u64)> = HashMap::new();
    let (mut alias_uses, mut alias_nodes) = (0u64, 0u64);
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            if e.info() == "recursion limit exceeded" {
                err(*e.marker(), too_deep())
            } else {
                err(*e.marker(), e.info())
            }
        })?;
        let built = match event {
            Event::Scalar(raw, style, anchor, tag) => {
                let quoted = style != ScalarStyle::Plain
                    || tag
                        .as_deref()
                        .is_some_and(|t| t.suffix == "str" || t.suffix.ends_with(":str"));
                Built {
                    value: if quoted {
                        Value::String(raw.to_string())
                    } else {
                        plain(&raw)
                    },
                    nodes: 1,
                    anchor: (anchor != 0).then_some(anchor),
                    raw: Some(raw.into_owned()),
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(err(span.start, too_deep()));
                }
                let anchor = (anchor != 0).then_some(anchor);
                let line = span.start.line();
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq(Vec::new(), anchor)
                } else {
                    Frame::Map(Map::new(), None, line, anchor)
                };
                stack.push((frame, 1));
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((frame, nodes)) = stack.pop() else {
                    continue;
                };
                match frame {
                    Frame::Seq(items, anchor) => Built {
                        value: Value::Array(items),
                        nodes,
                        anchor,
                        raw: None,
                    },
                    Frame::Map(map, _, _, anchor) => Built {
                        value: Value::Object(map),
                        nodes,
                        anchor,
                        raw: None,
                    },
                }
            }
            Event::Alias(id) => {
                let Some((value, nodes)) = anchors.get(&id) else {
                    return Err(err(span.start, "alias to an unknown anchor"));
                };
                alias_uses += 1;
                alias_nodes = alias_nodes.saturating_add(*nodes);
                if alias_uses > MAX_ALIASES || alias_nodes > MAX_ALIAS_NODES {
                    return Err(err(
                        span.start,
                        format!(
                            "aliases are used more than {MAX_ALIASES} times or copy more than {MAX_ALIAS_NODES} nodes"
                        ),
                    ));
                }
                if stack.len() + depth(value) > MAX_DEPTH {
                    return Err(err(span.start, too_deep()));
                }
                Built {
                    raw: match value {
                        Value::String(s) => Some(s.clone()),
                        Value::Null | Value::Bool(_) | Value::Number(_) => Some(value.to_string()),
                        Value::Array(_) | Value::Object(_) => None,
                    },
                    value: value.clone(),
                    nodes: *nodes,
                    anchor: None,
                }
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => continue,
        };
        if let Some(a) = built.anchor {
            anchors.insert(a, (built.value.clone(), built.nodes));
        }
        match stack.last_mut() {
            None => return Ok(built.value),
            Some((frame, nodes)) => {
                *nodes = nodes.saturating_add(built.nodes);
                match frame {
                    Frame::Seq(items, ..) => items.push(built.value),
                    Frame::Map(map, pending, line, _) => {
                        match pending.take() {
                            Some(key) => {
                                map.insert(key, built.value);
                            }
                            None => {
                                let Some(key) = built.raw else {
                                    return Err(YamlError {
                                    line: *line,
                                    col: 1,
                                    message: "a mapping key must be a plain value, not a list or mapping".into(),
                                });
                                };
                                *pending = Some(key);
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(Value::Null)
}

fn too_deep() -> String {
    format!("lists and mappings are nested more than {MAX_DEPTH} levels deep here")
}

/// Nesting depth of a value (bounded: values here are at most [`MAX_DEPTH`] deep).
fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// YAML 1.2 core schema for an unquoted scalar.
fn plain(t: &str) -> Value {
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(i) = t.parse::<i64>() {
        return Value::from(i);
    }
    let float = match t {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "-.inf" | "-.Inf" | "-.INF" | ".nan" | ".NaN"
        | ".NAN" => None, // not representable in JSON: kept as text
        _ if t.bytes().any(|b| b.is_ascii_digit())
            && t.bytes()
                .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) =>
        {
            t.parse::<f64>().ok().and_then(Number::from_f64)
        }
        _ => None,
    };
    float.map_or_else(|| Value::String(t.to_string()), Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn core_schema_scalars() {
        let v = to_json("a: 02134\nb: '7'\nc: ~\nd: true\ne: 1.5\nf: !!str 3\ng: x y\n").unwrap();
        assert_eq!(
            v,
            json!({"a": 2134, "b": "7", "c": null, "d": true, "e": 1.5, "f": "3", "g": "x y"})
        );
        assert_eq!(to_json("").unwrap(), Value::Null);
        assert_eq!(
            to_json("- 1\n- [a, {b: c}]\n").unwrap(),
            json!([1, ["a", {"b": "c"}]])
        );
    }

    #[test]
    fn aliases_copy_the_anchored_node() {
        assert_eq!(
            to_json("a: &x [1, 2]\nb: *x\n").unwrap(),
            json!({"a": [1, 2], "b": [1, 2]})
        );
        assert!(to_json("a: *nope\n").is_err());
    }

    #[test]
    fn hostile_input_is_bounded() {
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let e = to_json(&deep).unwrap_err();
        assert!(e.message.contains("nested"), "{e}");
        // Billion laughs: each level doubles the nodes the aliases copy.
        let mut laughs = String::from("a0: &a0 [x, x]\n");
        for i in 1..40 {
            laughs.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}]\n", p = i - 1));
        }
        let e = to_json(&laughs).unwrap_err();
        assert!(e.message.contains("aliases"), "{e}");
        let e = to_json("? [a]\n: 1\n").unwrap_err();
        assert!(e.message.contains("mapping key"), "{e}");
        assert!(to_json("a: [1,\n").unwrap_err().line >= 1);
    }
}
