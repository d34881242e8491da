//! A spanned YAML tree built from saphyr's event parser.
//!
//! We keep every scalar's raw text and style (so `postalCode: 02134` stays
//! `"02134"` and `null` can be told from a missing key) and a position on every
//! node. An alias shares its anchor's sequence or mapping (`Rc`), so it costs
//! no memory; what walkers of the tree see is still a full copy, so alias uses
//! and the nodes they add are bounded by [`super::limits`], as is nesting depth.

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::limits::{MAX_ALIAS_NODES, MAX_ALIASES, MAX_DEPTH};
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
    /// A sequence (shared with the aliases of its anchor).
    Seq(Rc<Vec<Node<'a>>>),
    /// A mapping, in document order, duplicates kept (the decoder reports them);
    /// shared with the aliases of its anchor.
    Map(Rc<Vec<(Node<'a>, Node<'a>)>>),
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

/// Why parsing stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// The text is not YAML (or not YAML we accept, such as a list used as a key).
    Syntax,
    /// Lists and mappings nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Aliases would stand for more than [`MAX_ALIAS_NODES`] nodes, or are used more
    /// than [`MAX_ALIASES`] times.
    AliasLimit,
}

/// A YAML syntax error, or a limit reached, with its position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at line {}, column {}", .pos.line, .pos.col + 1)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub pos: Pos,
    /// The parser's explanation.
    pub message: String,
    /// What kind of problem it is.
    pub kind: SyntaxErrorKind,
}

impl SyntaxError {
    fn new(pos: Pos, kind: SyntaxErrorKind, message: impl Into<String>) -> Self {
        SyntaxError {
            pos,
            message: message.into(),
            kind,
        }
    }
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

/// A sequence or mapping being built, with the size of what it holds so far.
struct Frame<'a> {
    span: Span,
    anchor: usize,
    /// Nodes below this one (aliases counted at their copied size).
    size: u64,
    /// Levels of sequences and mappings below this one.
    height: usize,
    body: Body<'a>,
}

enum Body<'a> {
    Seq(Vec<Node<'a>>),
    Map(Vec<(Node<'a>, Node<'a>)>, Option<Node<'a>>),
}

/// A finished node with its size (nodes, itself included) and height (collection levels).
struct Built<'a> {
    node: Node<'a>,
    size: u64,
    height: usize,
    anchor: usize,
}

/// An anchored node kept for its aliases.
struct Anchored<'a> {
    node: Node<'a>,
    size: u64,
    height: usize,
}

/// The limits [`parse_with`] enforces; [`parse`] uses the defaults of [`super::limits`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Deepest nesting of sequences and mappings.
    pub depth: usize,
    /// Most alias uses.
    pub aliases: u64,
    /// Most nodes that aliases may stand for, together.
    pub alias_nodes: u64,
}

impl Default for ParseLimits {
    fn default() -> Self {
        ParseLimits {
            depth: MAX_DEPTH,
            aliases: MAX_ALIASES,
            alias_nodes: MAX_ALIAS_NODES,
        }
    }
}

/// What aliases have added to the tree so far in one file.
struct AliasBudget {
    limits: ParseLimits,
    uses: u64,
    added: u64,
}

impl AliasBudget {
    /// Account for an alias at `at` that adds `size` nodes; an error once a limit is passed.
    fn alias(&mut self, size: u64, at: Pos) -> Result<(), SyntaxError> {
        self.uses += 1;
        let max = self.limits.aliases;
        if self.uses > max {
            return Err(SyntaxError::new(
                at,
                SyntaxErrorKind::AliasLimit,
                format!("this file uses aliases more than {max} times"),
            ));
        }
        self.added = self.added.saturating_add(size);
        let max = self.limits.alias_nodes;
        if self.added > max {
            return Err(SyntaxError::new(
                at,
                SyntaxErrorKind::AliasLimit,
                format!(
                    "with this alias, the aliases of this file stand for more than {max} values \
                     (an alias repeats its anchor's whole value, aliases inside it included)"
                ),
            ));
        }
        Ok(())
    }
}

fn too_deep(at: Pos, max: usize) -> SyntaxError {
    SyntaxError::new(
        at,
        SyntaxErrorKind::TooDeep,
        format!("lists and mappings are nested more than {max} levels deep here"),
    )
}

/// Parse a file into its documents (one root node per `---` document; empty documents skipped).
///
/// Bounded: nesting stops at [`MAX_DEPTH`] levels and aliases at [`MAX_ALIASES`]
/// uses and [`MAX_ALIAS_NODES`] nodes stood for, each with an error at
/// the place the limit is reached, so no input can exhaust the stack or memory.
pub fn parse(text: &str) -> Result<Vec<Node<'_>>, SyntaxError> {
    parse_with(text, ParseLimits::default())
}

/// [`parse`] with other limits (tests use small ones).
pub fn parse_with(text: &str, limits: ParseLimits) -> Result<Vec<Node<'_>>, SyntaxError> {
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Anchored> = HashMap::new();
    let mut budget = AliasBudget {
        limits,
        uses: 0,
        added: 0,
    };
    let mut cursor = TextCursor::new(text);
    for event in Parser::new_from_str(text) {
        let (event, sp) = event.map_err(|e| {
            // saphyr's scanner counts flow levels in a u8 and may look that far ahead
            // before the parser yields the start event past MAX_DEPTH.
            if e.info() == "recursion limit exceeded" {
                too_deep(pos(*e.marker()), limits.depth)
            } else {
                SyntaxError::new(pos(*e.marker()), SyntaxErrorKind::Syntax, e.info())
            }
        })?;
        let finished: Option<Built> = match event {
            Event::Scalar(value, style, anchor, tag) => {
                let forced_str = tag.as_deref().is_some_and(is_str_tag);
                let text = cursor.borrow(value, span(sp), style != ScalarStyle::Plain);
                let style = match style {
                    ScalarStyle::Plain if !forced_str => Style::Plain,
                    _ => Style::Quoted,
                };
                let node = Node {
                    span: span(sp),
                    value: Value::Scalar(Scalar { text, style }),
                };
                Some(Built {
                    node,
                    size: 1,
                    height: 0,
                    anchor,
                })
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() >= limits.depth {
                    return Err(too_deep(pos(sp.start), limits.depth));
                }
                let body = if matches!(event, Event::SequenceStart(..)) {
                    Body::Seq(Vec::new())
                } else {
                    Body::Map(Vec::new(), None)
                };
                stack.push(Frame {
                    span: span(sp),
                    anchor,
                    size: 0,
                    height: 0,
                    body,
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => stack.pop().map(|f| {
                let mut s = f.span;
                // Growth by doubling leaves up to half of each list unused (a group's 100
                // members in room for 128); the tree of a 20 MB file holds 500,000 of them.
                let value = match f.body {
                    Body::Seq(mut items) => {
                        s.end = items.last().map_or(pos(sp.end), |n| n.span.end);
                        items.shrink_to_fit();
                        Value::Seq(Rc::new(items))
                    }
                    Body::Map(mut entries, _) => {
                        s.end = entries.last().map_or(pos(sp.end), |(_, v)| v.span.end);
                        entries.shrink_to_fit();
                        Value::Map(Rc::new(entries))
                    }
                };
                Built {
                    node: Node { span: s, value },
                    size: f.size.saturating_add(1),
                    height: f.height + 1,
                    anchor: f.anchor,
                }
            }),
            Event::Alias(id) => {
                let at = pos(sp.start);
                let Some(a) = anchors.get(&id) else {
                    return Err(SyntaxError::new(
                        at,
                        SyntaxErrorKind::Syntax,
                        "alias to an unknown anchor",
                    ));
                };
                if stack.len() + a.height > limits.depth {
                    return Err(too_deep(at, limits.depth));
                }
                budget.alias(a.size, at)?;
                Some(Built {
                    node: Node {
                        span: span(sp),
                        value: a.node.value.clone(),
                    },
                    size: a.size,
                    height: a.height,
                    anchor: 0,
                })
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => None,
        };
        if let Some(b) = finished {
            if b.anchor != 0 {
                // Cheap: the clone shares the node's sequence or mapping.
                anchors.insert(
                    b.anchor,
                    Anchored {
                        node: b.node.clone(),
                        size: b.size,
                        height: b.height,
                    },
                );
            }
            let node = b.node;
            match stack.last_mut() {
                Some(frame) => {
                    frame.size = frame.size.saturating_add(b.size);
                    frame.height = frame.height.max(b.height);
                    match &mut frame.body {
                        Body::Seq(items) => items.push(node),
                        Body::Map(entries, pending) => match pending.take() {
                            Some(key) => entries.push((key, node)),
                            None => *pending = Some(node),
                        },
                    }
                }
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

/// Finds a scalar's text in the file, so the tree can borrow it.
///
/// saphyr's scanner hands every scalar over as a new `String` (of at least 32
/// bytes); kept in the tree, those were most of a large file's tree (tens of MB for
/// a 20 MB `groups.yaml`). Where the file holds the same characters at the
/// scalar's span (plain scalars, and quoted ones without escapes) the tree borrows
/// them and the copy is freed at once. Spans count characters; the cursor turns
/// them into byte offsets moving forward only, so a file costs one pass.
struct TextCursor<'a> {
    text: &'a str,
    /// Byte offset = character index (no multi-byte character in the file).
    ascii: bool,
    /// A character index and its byte offset, at or before the next scalar.
    chars: usize,
    bytes: usize,
}

impl<'a> TextCursor<'a> {
    fn new(text: &'a str) -> Self {
        TextCursor {
            text,
            ascii: text.is_ascii(),
            chars: 0,
            bytes: 0,
        }
    }

    /// Byte offset of character index `ci`, moving the cursor there (`None` behind it or past the end).
    fn byte_at(&mut self, ci: usize) -> Option<usize> {
        if self.ascii {
            return (ci <= self.text.len()).then_some(ci);
        }
        if ci < self.chars {
            return None;
        }
        let rest = self.text.get(self.bytes..)?;
        let step = ci - self.chars;
        let off = if step == 0 {
            0
        } else {
            match rest.char_indices().nth(step) {
                Some((i, _)) => i,
                None if rest.chars().count() == step => rest.len(),
                None => return None,
            }
        };
        self.chars = ci;
        self.bytes += off;
        Some(self.bytes)
    }

    /// `value` borrowed from the file when the file holds it at `span` (inside the
    /// quotes for a quoted scalar); otherwise `value` itself, trimmed to its length.
    fn borrow(&mut self, value: Cow<'a, str>, span: Span, quoted: bool) -> Cow<'a, str> {
        let Cow::Owned(mut owned) = value else {
            return value;
        };
        let (start, end) = (span.start.index as usize, span.end.index as usize);
        let (start, end) = if quoted {
            (start + 1, end.saturating_sub(1))
        } else {
            (start, end)
        };
        if start <= end
            && let Some(a) = self.byte_at(start)
            && let Some(b) = self.byte_at(end)
            && let Some(found) = self.text.get(a..b)
            && found == owned
        {
            return Cow::Borrowed(found);
        }
        owned.shrink_to_fit();
        Cow::Owned(owned)
    }
}

fn is_str_tag(tag: &saphyr_parser::Tag) -> bool {
    tag.suffix == "str" || tag.suffix.ends_with(":str")
}

/// A node holding a non-empty sequence or mapping (one whose drop would recurse).
fn has_children(n: &Node) -> bool {
    match &n.value {
        Value::Seq(items) => !items.is_empty(),
        Value::Map(entries) => !entries.is_empty(),
        Value::Scalar(_) => false,
    }
}

/// Move the values of the children of `value` that have children themselves to `work`,
/// leaving an empty scalar in their place (the rest drop where they are, without
/// recursion). A collection still shared with an alias is left to its last owner.
fn detach<'a>(value: &mut Value<'a>, work: &mut Vec<Node<'a>>) {
    let mut take = |n: &mut Node<'a>| {
        if has_children(n) {
            let empty = Value::Scalar(Scalar {
                text: Cow::Borrowed(""),
                style: Style::Plain,
            });
            work.push(Node {
                span: n.span,
                value: std::mem::replace(&mut n.value, empty),
            });
        }
    };
    match value {
        Value::Seq(items) => {
            if let Some(items) = Rc::get_mut(items) {
                items.iter_mut().for_each(&mut take);
            }
        }
        Value::Map(entries) => {
            if let Some(entries) = Rc::get_mut(entries) {
                for (k, v) in entries.iter_mut() {
                    take(k);
                    take(v);
                }
            }
        }
        Value::Scalar(_) => {}
    }
}

impl Drop for Node<'_> {
    /// Drops without recursion. Trees from [`parse`] are at most [`MAX_DEPTH`] deep, but
    /// `Node` has public fields and a tree built by hand may be deeper: dropping a
    /// nested `Vec<Node>` the default way recurses once per level and can overflow the
    /// stack, so nested collections go to a work list and are dropped one at a time.
    fn drop(&mut self) {
        let mut work = Vec::new();
        detach(&mut self.value, &mut work);
        while let Some(mut n) = work.pop() {
            detach(&mut n.value, &mut work);
        }
    }
}

/// Interpret a node as JSON with the YAML 1.2 core schema (used for YAML seed files and schema tests).
///
/// An error for a list or mapping used as a key, and for a tree nested deeper than
/// [`MAX_DEPTH`] (only a tree built by hand can be: [`parse`] stops there).
pub fn node_to_json(node: &Node) -> Result<serde_json::Value, SyntaxError> {
    json_at(node, 0)
}

fn json_at(node: &Node, depth: usize) -> Result<serde_json::Value, SyntaxError> {
    use serde_json::Value as J;
    if depth > MAX_DEPTH {
        return Err(too_deep(node.span.start, MAX_DEPTH));
    }
    Ok(match &node.value {
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
        Value::Seq(items) => J::Array(
            items
                .iter()
                .map(|n| json_at(n, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => {
            let mut object = serde_json::Map::with_capacity(entries.len());
            for (k, v) in entries.iter() {
                let Some(key) = k.scalar() else {
                    return Err(SyntaxError::new(
                        k.span.start,
                        SyntaxErrorKind::Syntax,
                        format!("a mapping key must be a plain value, not {}", k.kind_name()),
                    ));
                };
                object.insert(key.text.to_string(), json_at(v, depth + 1)?);
            }
            J::Object(object)
        }
    })
}

/// Parse YAML text (its first document) into JSON; an empty text is `null`.
pub fn to_json(text: &str) -> Result<serde_json::Value, SyntaxError> {
    let docs = parse(text)?;
    docs.first()
        .map_or(Ok(serde_json::Value::Null), node_to_json)
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

    /// Every scalar of the tree, in document order.
    fn scalars<'a>(n: &'a Node<'a>, out: &mut Vec<&'a Scalar<'a>>) {
        match &n.value {
            Value::Scalar(s) => out.push(s),
            Value::Seq(items) => items.iter().for_each(|i| scalars(i, out)),
            Value::Map(entries) => entries.iter().for_each(|(k, v)| {
                scalars(k, out);
                scalars(v, out);
            }),
        }
    }

    #[test]
    fn scalars_borrow_the_file_text_where_it_holds_them() {
        // Plain, single- and double-quoted scalars after multi-byte characters
        // (spans count characters, slices take bytes), in block and flow style.
        let text = "ü: Zoë Ümlaut\nb: 'x y'\nc: \"00042\"\nd: [é1, 'ö 2', \"€3\"]\nupn: a@contoso.com\n\
                    e: 'it''s'\nf: \"tab\\there\"\ng: >\n  folded\n  text\n";
        let docs = parse(text).unwrap();
        let mut found = Vec::new();
        scalars(&docs[0], &mut found);
        let got: Vec<(&str, bool)> = found
            .iter()
            .map(|s| (&*s.text, matches!(s.text, Cow::Borrowed(_))))
            .collect();
        assert_eq!(
            got,
            [
                ("ü", true),
                ("Zoë Ümlaut", true),
                ("b", true),
                ("x y", true),
                ("c", true),
                ("00042", true),
                ("d", true),
                ("é1", true),
                ("ö 2", true),
                ("€3", true),
                ("upn", true),
                ("a@contoso.com", true),
                ("e", true),
                // Escapes and folding change the text: those stay copies.
                ("it's", false),
                ("f", true),
                ("tab\there", false),
                ("g", true),
                ("folded text\n", false),
            ]
        );
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
    fn nesting_stops_at_the_limit_with_its_position() {
        let ok = format!("{}x{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        for deep in [
            format!("{}x", "- ".repeat(40_000)),
            format!("{}x{}", "[".repeat(40_000), "]".repeat(40_000)),
            format!("{}x", "{a: ".repeat(40_000)),
        ] {
            let e = parse(&deep).unwrap_err();
            assert_eq!(e.kind, SyntaxErrorKind::TooDeep, "{e}");
            assert_eq!(e.pos.line, 1);
            assert!(e.pos.col > 0);
        }
    }

    #[test]
    fn an_alias_cannot_copy_a_subtree_past_the_depth_limit() {
        let inner = format!("{}x{}", "[".repeat(40), "]".repeat(40));
        let text = format!("a: &a {inner}\nb: {}*a{}\n", "[".repeat(30), "]".repeat(30));
        let e = parse(&text).unwrap_err();
        assert_eq!((e.kind, e.pos.line), (SyntaxErrorKind::TooDeep, 2));
    }

    #[test]
    fn billion_laughs_stops_at_the_alias_that_passes_the_budget() {
        let mut text = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            text.push_str(&format!(
                "{name}: &{name} [{}]\n",
                vec![format!("*{prev}"); 9].join(", ")
            ));
        }
        let e = parse(&text).unwrap_err();
        assert_eq!(e.kind, SyntaxErrorKind::AliasLimit, "{e}");
        // `f` stands for 597,871 values: the budget runs out at the sixth alias of the line of `g`.
        assert_eq!(e.pos.line, 7, "{e}");
    }

    #[test]
    fn anchors_reused_many_times_still_work() {
        let mut text =
            String::from("defaults: &d [team-a, team-b, team-c, team-d, team-e]\nusers:\n");
        for i in 0..20_000 {
            text.push_str(&format!("  - {{upn: u{i}, groups: *d}}\n"));
        }
        let docs = parse(&text).unwrap();
        let j = node_to_json(&docs[0]).unwrap();
        assert_eq!(j["users"][19_999]["groups"][4], "team-e");
    }

    #[test]
    fn too_many_alias_uses_is_an_error() {
        let limits = ParseLimits {
            aliases: 1000,
            ..ParseLimits::default()
        };
        let text = format!("a: &a x\nb: [{}]\n", "*a, ".repeat(1000));
        assert!(parse_with(&text, limits).is_ok());
        let text = format!("a: &a x\nb: [{}]\n", "*a, ".repeat(1001));
        let e = parse_with(&text, limits).unwrap_err();
        assert_eq!(
            (e.kind, e.pos.line, e.pos.col),
            (SyntaxErrorKind::AliasLimit, 2, 4 + 4 * 1000)
        );
        assert!(e.message.contains("more than 1000 times"), "{e}");
    }

    #[test]
    fn a_hand_built_deep_tree_drops_and_converts_without_overflow() {
        let mut node = Node {
            span: Span::default(),
            value: Value::Scalar(Scalar {
                text: "x".into(),
                style: Style::Plain,
            }),
        };
        for _ in 0..200_000 {
            node = Node {
                span: Span::default(),
                value: Value::Seq(Rc::new(vec![node])),
            };
        }
        let e = node_to_json(&node).unwrap_err();
        assert_eq!(e.kind, SyntaxErrorKind::TooDeep);
        drop(node);
    }

    #[test]
    fn a_list_as_a_key_is_an_error_in_json() {
        let e = to_json("? [a, b]\n: 1\n").unwrap_err();
        assert!(e.message.contains("mapping key"), "{e}");
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
