//! A spanned YAML tree built from saphyr's event parser.
//!
//! We keep every scalar's raw text and style (so `postalCode: 02134` stays
//! `"02134"` and `null` can be told from a missing key) and a position on every
//! node. Anchors and aliases are resolved by copying the anchored node.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::source::{Pos, Span};

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unquoted: subject to null/bool/number resolution.
    Plain,
    /// Single- or double-quoted, a literal/folded block, or tagged `!!str`: always a string.
    Quoted,
}

/// A scalar's raw text and style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar<'a> {
    /// The text after YAML escapes are processed (borrowed from the file when possible).
    pub text: Cow<'a, str>,
    /// Whether it was quoted.
    pub style: Style,
}

impl Scalar<'_> {
    /// YAML 1.2 core-schema null (`null`, `Null`, `NULL`, `~`, or empty), unquoted.
    pub fn is_null(&self) -> bool {
        self.style == Style::Plain && matches!(&*self.text, "" | "~" | "null" | "Null" | "NULL")
    }
    /// YAML 1.2 core-schema boolean, unquoted.
    pub fn as_bool(&self) -> Option<bool> {
        if self.style != Style::Plain {
            return None;
        }
        match &*self.text {
            "true" | "True" | "TRUE" => Some(true),
            "false" | "False" | "FALSE" => Some(false),
            _ => None,
        }
    }
    /// A decimal integer, unquoted.
    pub fn as_int(&self) -> Option<i64> {
        if self.style != Style::Plain {
            return None;
        }
        self.text.parse().ok()
    }
    /// A YAML 1.2 core-schema float, unquoted (integers excluded).
    pub fn as_float(&self) -> Option<f64> {
        if self.style != Style::Plain || self.as_int().is_some() {
            return None;
        }
        match &*self.text {
            ".inf" | ".Inf" | ".INF" | "+.inf" => Some(f64::INFINITY),
            "-.inf" | "-.Inf" | "-.INF" => Some(f64::NEG_INFINITY),
            ".nan" | ".NaN" | ".NAN" => Some(f64::NAN),
            t if t.bytes().any(|b| b.is_ascii_digit())
                && t.bytes()
                    .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) =>
            {
                t.parse().ok()
            }
            _ => None,
        }
    }
}

/// One node of the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    /// Where the node is in its file.
    pub span: Span,
    /// What it holds.
    pub value: Value<'a>,
}

/// The content of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// A scalar (string, number, bool or null before interpretation).
    Scalar(Scalar<'a>),
    /// A sequence.
    Seq(Vec<Node<'a>>),
    /// A mapping, in document order, duplicates kept (the decoder reports them).
    Map(Vec<(Node<'a>, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// The node's scalar, if it is one.
    pub fn scalar(&self) -> Option<&Scalar<'a>> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }
    /// True for a null scalar.
    pub fn is_null(&self) -> bool {
        self.scalar().is_some_and(Scalar::is_null)
    }
    /// A word for the node's kind, used in "expected X, found Y" messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Scalar(s) if s.is_null() => "null",
            Value::Scalar(s) if s.as_bool().is_some() => "a boolean",
            Value::Scalar(s) if s.as_int().is_some() => "a number",
            Value::Scalar(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at line {}, column {}", .pos.line, .pos.col + 1)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub pos: Pos,
    /// The parser's explanation.
    pub message: String,
}

/// Positions are stored as `u32` (files over 4 G characters are not YAML anyone writes by hand).
fn pos(m: saphyr_parser::Marker) -> Pos {
    let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
    Pos {
        index: n(m.index()),
        line: n(m.line()),
        col: n(m.col()),
    }
}

fn span(s: saphyr_parser::Span) -> Span {
    Span {
        start: pos(s.start),
        end: pos(s.end),
    }
}

enum Frame<'a> {
    Seq(Span, usize, Vec<Node<'a>>),
    Map(Span, usize, Vec<(Node<'a>, Node<'a>)>, Option<Node<'a>>),
}

/// Parse a file into its documents (one root node per `---` document; empty documents skipped).
pub fn parse(text: &str) -> Result<Vec<Node<'_>>, SyntaxError> {
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    for event in Parser::new_from_str(text) {
        let (event, sp) = event.map_err(|e| SyntaxError {
            pos: pos(*e.marker()),
            message: e.info().to_string(),
        })?;
        let finished: Option<(Node, usize)> = match event {
            Event::Scalar(value, style, anchor, tag) => {
                let forced_str = tag.as_deref().is_some_and(is_str_tag);
                let style = match style {
                    ScalarStyle::Plain if !forced_str => Style::Plain,
                    _ => Style::Quoted,
                };
                let node = Node {
                    span: span(sp),
                    value: Value::Scalar(Scalar { text: value, style }),
                };
                Some((node, anchor))
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq(span(sp), anchor, Vec::new()));
                None
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map(span(sp), anchor, Vec::new(), None));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq(mut s, anchor, items)) => {
                    s.end = items.last().map_or(pos(sp.end), |n| n.span.end);
                    Some((
                        Node {
                            span: s,
                            value: Value::Seq(items),
                        },
                        anchor,
                    ))
                }
                Some(Frame::Map(mut s, anchor, entries, _)) => {
                    s.end = entries.last().map_or(pos(sp.end), |(_, v)| v.span.end);
                    Some((
                        Node {
                            span: s,
                            value: Value::Map(entries),
                        },
                        anchor,
                    ))
                }
                None => None,
            },
            Event::Alias(id) => {
                let node = match anchors.get(&id) {
                    Some(n) => Node {
                        span: span(sp),
                        value: n.value.clone(),
                    },
                    None => {
                        return Err(SyntaxError {
                            pos: pos(sp.start),
                            message: "alias to an unknown anchor".into(),
                        });
                    }
                };
                Some((node, 0))
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => None,
        };
        if let Some((node, anchor)) = finished {
            if anchor != 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                Some(Frame::Seq(_, _, items)) => items.push(node),
                Some(Frame::Map(_, _, entries, pending)) => match pending.take() {
                    Some(key) => entries.push((key, node)),
                    None => *pending = Some(node),
                },
                None => {
                    if !node.is_null() || node.span.start != node.span.end {
                        docs.push(node);
                    }
                }
            }
        }
    }
    Ok(docs)
}

fn is_str_tag(tag: &saphyr_parser::Tag) -> bool {
    tag.suffix == "str" || tag.suffix.ends_with(":str")
}

/// Interpret a node as JSON with the YAML 1.2 core schema (used for YAML seed files and schema tests).
pub fn node_to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match &node.value {
        Value::Scalar(s) if s.is_null() => J::Null,
        Value::Scalar(s) => {
            if let Some(b) = s.as_bool() {
                J::Bool(b)
            } else if let Some(i) = s.as_int() {
                J::from(i)
            } else if let Some(f) = s.as_float().and_then(serde_json::Number::from_f64) {
                J::Number(f)
            } else {
                J::String(s.text.to_string())
            }
        }
        Value::Seq(items) => J::Array(items.iter().map(node_to_json).collect()),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = k
                        .scalar()
                        .map_or_else(|| format!("{:?}", k.value), |s| s.text.to_string());
                    (key, node_to_json(v))
                })
                .collect(),
        ),
    }
}

/// Parse YAML text (its first document) into JSON; an empty text is `null`.
pub fn to_json(text: &str) -> Result<serde_json::Value, SyntaxError> {
    let docs = parse(text)?;
    Ok(docs.first().map_or(serde_json::Value::Null, node_to_json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_raw_text_and_positions() {
        let docs = parse("a: 02134\nb: 'x'\nc:\n  - 1\n  - null\n").unwrap();
        let Value::Map(entries) = &docs[0].value else {
            panic!("not a map")
        };
        assert_eq!(entries[0].1.scalar().unwrap().text, "02134");
        assert_eq!(entries[1].1.scalar().unwrap().style, Style::Quoted);
        assert_eq!(entries[2].0.span.start.line, 3);
        let Value::Seq(items) = &entries[2].1.value else {
            panic!("not a seq")
        };
        assert!(items[1].is_null());
        assert_eq!(items[1].span.start.line, 5);
        assert_eq!(items[1].span.start.col, 4);
    }

    #[test]
    fn aliases_copy_the_anchored_node() {
        let j = to_json("a: &x [1, 2]\nb: *x\n").unwrap();
        assert_eq!(j["b"], serde_json::json!([1, 2]));
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.pos.line >= 1);
        assert!(!e.message.is_empty());
    }

    #[test]
    fn json_conversion_follows_core_schema() {
        let j = to_json("s: 'true'\nb: true\nn: ~\ni: 12\nf: 1.5\nt: hello\n").unwrap();
        assert_eq!(
            j,
            serde_json::json!({"s": "true", "b": true, "n": null, "i": 12, "f": 1.5, "t": "hello"})
        );
    }
}
