//! The `$filter` and `$search` languages: tokenising and parsing into an
//! [`Expr`] (bounded in depth and clauses), Graph's rules on which properties
//! and functions a resource allows ([`check_filter`]), and evaluation against
//! an object under a work budget ([`Work`]).

use serde_json::{Map, Value};

use crate::error::{GraphError, GraphResult};
use crate::limits::{self, MAX_CLAUSES, MAX_DEPTH};
use crate::schema::{FilterKind, canonical};

/// A literal in a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    /// `'text'`
    Str(String),
    /// `true`/`false`
    Bool(bool),
    /// `null`
    Null,
    /// A number or an unquoted date-time/guid token.
    Raw(String),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `ge`
    Ge,
    /// `gt`
    Gt,
    /// `le`
    Le,
    /// `lt`
    Lt,
}

impl Cmp {
    fn name(self) -> &'static str {
        match self {
            Cmp::Eq => "eq",
            Cmp::Ne => "ne",
            Cmp::Ge => "ge",
            Cmp::Gt => "gt",
            Cmp::Le => "le",
            Cmp::Lt => "lt",
        }
    }
}

/// A parsed `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `a and b and …` (n-ary, so a long chain of clauses is one level deep)
    And(Vec<Expr>),
    /// `a or b or …` (n-ary)
    Or(Vec<Expr>),
    /// `not a`
    Not(Box<Expr>),
    /// `prop op literal`
    Compare(String, Cmp, Lit),
    /// `prop in ('a','b')`
    In(String, Vec<Lit>),
    /// `startswith(prop,'x')`
    StartsWith(String, String),
    /// `endswith(prop,'x')`
    EndsWith(String, String),
    /// `prop/any(x:x eq 'v')`
    Any(String, Lit),
    /// A `$search` clause `"prop:term"`: some word of the value starts with the term.
    Search(String, String),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    LParen,
    RParen,
    Comma,
    Colon,
    Slash,
}

fn tokenize(s: &str) -> GraphResult<Vec<Tok>> {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            ':' => {
                out.push(Tok::Colon);
                i += 1
            }
            '/' => {
                out.push(Tok::Slash);
                i += 1
            }
            '\'' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(filter_syntax(s)),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            v.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            v.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(v));
            }
            _ => {
                let start = i;
                // A literal starting with a digit may be a date-time
                // (`2024-06-01T00:00:00Z`, unquoted in Graph's filters): its
                // colons belong to it.
                let stops = if c.is_ascii_digit() {
                    " \t\n\r(),/'"
                } else {
                    " \t\n\r(),:/'"
                };
                while i < chars.len() && !stops.contains(chars[i]) {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

fn filter_syntax(s: &str) -> GraphError {
    GraphError::bad_request(format!("Invalid filter clause: syntax error in '{s}'."))
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    src: &'a str,
    /// Current nesting (parentheses and `not`), bounded by [`MAX_DEPTH`].
    depth: usize,
    /// Clauses and `in` values so far, bounded by [`MAX_CLAUSES`].
    clauses: usize,
}

impl Parser<'_> {
    fn peek_kw(&self, kw: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn expect(&mut self, t: Tok) -> GraphResult<()> {
        if self.next() == Some(t) {
            Ok(())
        } else {
            Err(filter_syntax(self.src))
        }
    }
    /// One level deeper (a parenthesis or `not`); Graph's OData parser refuses
    /// deep expressions, and this parser recurses once per level.
    fn enter(&mut self) -> GraphResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(limits::too_deep());
        }
        Ok(())
    }
    fn clause(&mut self, n: usize) -> GraphResult<()> {
        self.clauses += n;
        if self.clauses > MAX_CLAUSES {
            return Err(limits::too_many_clauses("$filter", self.clauses));
        }
        Ok(())
    }
    fn or(&mut self) -> GraphResult<Expr> {
        let mut items = vec![self.and()?];
        while self.peek_kw("or") {
            self.pos += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            Expr::Or(items)
        })
    }
    fn and(&mut self) -> GraphResult<Expr> {
        let mut items = vec![self.unary()?];
        while self.peek_kw("and") {
            self.pos += 1;
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.swap_remove(0)
        } else {
            Expr::And(items)
        })
    }
    fn unary(&mut self) -> GraphResult<Expr> {
        if self.peek_kw("not") {
            self.pos += 1;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }
    fn literal(&mut self) -> GraphResult<Lit> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Lit::Str(s)),
            Some(Tok::Ident(s)) => Ok(match s.as_str() {
                "true" => Lit::Bool(true),
                "false" => Lit::Bool(false),
                "null" => Lit::Null,
                _ => Lit::Raw(s),
            }),
            _ => Err(filter_syntax(self.src)),
        }
    }
    fn primary(&mut self) -> GraphResult<Expr> {
        match self.next() {
            Some(Tok::LParen) => {
                self.enter()?;
                let e = self.or()?;
                self.expect(Tok::RParen)?;
                self.depth -= 1;
                Ok(e)
            }
            Some(Tok::Ident(name)) => {
                self.clause(1)?;
                let lname = name.to_ascii_lowercase();
                if (lname == "startswith" || lname == "endswith")
                    && self.toks.get(self.pos) == Some(&Tok::LParen)
                {
                    self.pos += 1;
                    let prop = match self.next() {
                        Some(Tok::Ident(p)) => p,
                        _ => return Err(filter_syntax(self.src)),
                    };
                    self.expect(Tok::Comma)?;
                    let val = match self.literal()? {
                        Lit::Str(s) => s,
                        _ => return Err(filter_syntax(self.src)),
                    };
                    self.expect(Tok::RParen)?;
                    return Ok(if lname == "startswith" {
                        Expr::StartsWith(prop, val)
                    } else {
                        Expr::EndsWith(prop, val)
                    });
                }
                let mut name = name;
                let path_step = matches!(
                    (self.toks.get(self.pos), self.toks.get(self.pos + 1)),
                    (Some(Tok::Slash), Some(Tok::Ident(sub))) if !sub.eq_ignore_ascii_case("any")
                );
                if path_step && let Some(Tok::Ident(sub)) = self.toks.get(self.pos + 1) {
                    // A property of a complex property: `signInActivity/lastSignInDateTime`.
                    name = format!("{name}/{sub}");
                    self.pos += 2;
                }
                if self.toks.get(self.pos) == Some(&Tok::Slash) {
                    // prop/any(x:x eq 'v')
                    self.pos += 1;
                    if !self.peek_kw("any") {
                        return Err(filter_syntax(self.src));
                    }
                    self.pos += 1;
                    self.expect(Tok::LParen)?;
                    let var = match self.next() {
                        Some(Tok::Ident(v)) => v,
                        _ => return Err(filter_syntax(self.src)),
                    };
                    self.expect(Tok::Colon)?;
                    if self.next() != Some(Tok::Ident(var)) || !self.peek_kw("eq") {
                        return Err(filter_syntax(self.src));
                    }
                    self.pos += 1;
                    let lit = self.literal()?;
                    self.expect(Tok::RParen)?;
                    return Ok(Expr::Any(name, lit));
                }
                if self.peek_kw("in") {
                    self.pos += 1;
                    self.expect(Tok::LParen)?;
                    let mut items = vec![self.literal()?];
                    while self.toks.get(self.pos) == Some(&Tok::Comma) {
                        self.pos += 1;
                        self.clause(1)?;
                        items.push(self.literal()?);
                    }
                    self.expect(Tok::RParen)?;
                    return Ok(Expr::In(name, items));
                }
                let op = match self.next() {
                    Some(Tok::Ident(op)) => match op.to_ascii_lowercase().as_str() {
                        "eq" => Cmp::Eq,
                        "ne" => Cmp::Ne,
                        "ge" => Cmp::Ge,
                        "gt" => Cmp::Gt,
                        "le" => Cmp::Le,
                        "lt" => Cmp::Lt,
                        _ => return Err(filter_syntax(self.src)),
                    },
                    _ => return Err(filter_syntax(self.src)),
                };
                let lit = self.literal()?;
                Ok(Expr::Compare(name, op, lit))
            }
            _ => Err(filter_syntax(self.src)),
        }
    }
}

/// Parse a `$filter` value.
pub fn parse_filter(s: &str) -> GraphResult<Expr> {
    let toks = tokenize(s)?;
    let mut p = Parser {
        toks,
        pos: 0,
        src: s,
        depth: 0,
        clauses: 0,
    };
    let e = p.or()?;
    if p.pos != p.toks.len() {
        return Err(filter_syntax(s));
    }
    Ok(e)
}

/// Check a filter against a resource's rules, returning it with canonical property names.
///
/// `kind_of` gives the filter kind of a canonical property (None: not filterable);
/// `props` is the resource's property list; `advanced` is the advanced-query mode.
pub fn check_filter(
    e: &Expr,
    props: &[&'static str],
    type_name: &str,
    resource: &str,
    kind_of: fn(&str) -> Option<FilterKind>,
    advanced: bool,
) -> GraphResult<Expr> {
    let prop = |name: &str| -> GraphResult<(String, FilterKind)> {
        if let Some((head, tail)) = name.split_once('/') {
            // A complex property's member: the table names the whole path.
            let h = canonical(props, head)
                .ok_or_else(|| GraphError::unknown_property(head, type_name))?;
            let path = format!("{h}/{tail}");
            let k = kind_of(&path).ok_or_else(|| unsupported_clause(h, resource))?;
            return Ok((path, k));
        }
        let p =
            canonical(props, name).ok_or_else(|| GraphError::unknown_property(name, type_name))?;
        let k = kind_of(p).ok_or_else(|| unsupported_clause(p, resource))?;
        Ok((p.to_string(), k))
    };
    let rec = |x: &Expr| check_filter(x, props, type_name, resource, kind_of, advanced);
    if !advanced {
        let clauses = match e {
            Expr::In(_, items) => items.len(),
            Expr::Or(..) => or_clauses(e),
            _ => 0,
        };
        if clauses > MAX_OR_CLAUSES {
            return Err(GraphError::unsupported_query(format!(
                "Too many child clauses specified in search filter expression containing 'OR' operators: {clauses}. Max allowed: {MAX_OR_CLAUSES}."
            )));
        }
    }
    Ok(match e {
        Expr::And(items) => Expr::And(items.iter().map(rec).collect::<GraphResult<_>>()?),
        Expr::Or(items) => Expr::Or(items.iter().map(rec).collect::<GraphResult<_>>()?),
        Expr::Not(a) => {
            if !advanced {
                return Err(GraphError::needs_advanced("Not"));
            }
            Expr::Not(Box::new(rec(a)?))
        }
        Expr::Compare(name, op, lit) => {
            let (p, k) = prop(name)?;
            let p = p.as_str();
            let ok_default = match (k, op) {
                // signInActivity's dates: eq, ne, ge, le without the advanced mode
                // (user-list v1.0, Example 11 note: "eq, ne, not, ge, le").
                (FilterKind::SignInDate, Cmp::Eq | Cmp::Ne | Cmp::Ge | Cmp::Le) => true,
                (FilterKind::SignInDate, _) => return Err(unsupported_clause(p, resource)),
                (FilterKind::Date, _) => false,
                (FilterKind::TextCollection, _) => return Err(unsupported_clause(p, resource)),
                (_, Cmp::Eq) => *lit != Lit::Null,
                (FilterKind::Text | FilterKind::Id, Cmp::Ge | Cmp::Le)
                    if p == "id" || p == "userPrincipalName" || p == "displayName" =>
                {
                    false
                }
                (_, Cmp::Ne) => false,
                _ => return Err(unsupported_clause(p, resource)),
            };
            if !ok_default && !advanced {
                return Err(GraphError::needs_advanced(op.name()));
            }
            Expr::Compare(p.to_string(), *op, lit.clone())
        }
        Expr::In(name, items) => {
            let (p, k) = prop(name)?;
            if matches!(
                k,
                FilterKind::Date | FilterKind::TextCollection | FilterKind::SignInDate
            ) {
                return Err(unsupported_clause(&p, resource));
            }
            Expr::In(p, items.clone())
        }
        Expr::StartsWith(name, v) => {
            let (p, k) = prop(name)?;
            if k != FilterKind::Text {
                return Err(unsupported_clause(&p, resource));
            }
            Expr::StartsWith(p, v.clone())
        }
        Expr::EndsWith(name, v) => {
            let (p, k) = prop(name)?;
            if k != FilterKind::Text {
                return Err(unsupported_clause(&p, resource));
            }
            if !advanced {
                return Err(GraphError::needs_advanced("endsWith"));
            }
            Expr::EndsWith(p, v.clone())
        }
        Expr::Any(name, lit) => {
            let (p, k) = prop(name)?;
            if k != FilterKind::TextCollection {
                return Err(unsupported_clause(&p, resource));
            }
            Expr::Any(p, lit.clone())
        }
        Expr::Search(p, t) => Expr::Search(p.clone(), t.clone()),
    })
}

/// Most `or` clauses (or `in` values) Graph accepts outside the advanced-query mode.
pub const MAX_OR_CLAUSES: usize = 15;

fn or_clauses(e: &Expr) -> usize {
    match e {
        Expr::Or(items) => items.iter().map(or_clauses).sum(),
        _ => 1,
    }
}

fn unsupported_clause(prop: &str, resource: &str) -> GraphError {
    GraphError::unsupported_query(format!(
        "Unsupported or invalid query filter clause specified for property '{prop}' of resource '{resource}'."
    ))
}

/// Case-insensitive comparison as Graph's directory compares strings,
/// without allocating when both sides are ASCII (the common case, and the
/// inner loop of every filtered listing).
fn ci_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    if a.is_ascii() && b.is_ascii() {
        a.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
    } else {
        a.to_lowercase().cmp(&b.to_lowercase())
    }
}

fn ci_starts_with(s: &str, prefix: &str) -> bool {
    if s.is_ascii() && prefix.is_ascii() {
        s.len() >= prefix.len()
            && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    } else {
        s.to_lowercase().starts_with(&prefix.to_lowercase())
    }
}

fn ci_ends_with(s: &str, suffix: &str) -> bool {
    if s.is_ascii() && suffix.is_ascii() {
        s.len() >= suffix.len()
            && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    } else {
        s.to_lowercase().ends_with(&suffix.to_lowercase())
    }
}

fn lit_matches(v: Option<&Value>, lit: &Lit) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    match (v, lit) {
        (None | Some(Value::Null), Lit::Null) => Some(Ordering::Equal),
        (None | Some(Value::Null), _) | (_, Lit::Null) => None,
        (Some(Value::String(s)), Lit::Str(l) | Lit::Raw(l)) => Some(ci_cmp(s, l)),
        (Some(Value::Bool(b)), Lit::Bool(l)) => Some(b.cmp(l)),
        (Some(Value::Number(n)), Lit::Raw(l)) => {
            let (a, b) = (n.as_f64()?, l.parse::<f64>().ok()?);
            a.partial_cmp(&b)
        }
        _ => None,
    }
}

/// Evaluate a checked filter against an object's id and JSON properties.
pub fn eval(e: &Expr, id: &str, obj: &Map<String, Value>) -> bool {
    eval_with(e, id, obj, &Work::unlimited())
}

/// [`eval`], spending one unit of `work` per clause evaluated; once the
/// request's budget is spent every object fails to match and the request
/// is answered with [`limits::too_much_work`].
pub fn eval_with(e: &Expr, id: &str, obj: &Map<String, Value>, work: &Work) -> bool {
    if work.exhausted() {
        return false;
    }
    let idv = Value::String(id.to_string());
    eval_in(e, &idv, obj, work)
}

fn field<'a>(p: &str, id: &'a Value, obj: &'a Map<String, Value>) -> Option<&'a Value> {
    if p == "id" {
        return Some(id);
    }
    match p.split_once('/') {
        Some((head, tail)) => obj.get(head).and_then(|v| v.get(tail)),
        None => obj.get(p),
    }
}

/// Whether `term` (lower-case) starts the value or one of its words.
fn search_matches(s: &str, term: &str) -> bool {
    if ci_starts_with(s, term) {
        return true;
    }
    if s.is_ascii() {
        s.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| !w.is_empty() && ci_starts_with(w, term))
    } else {
        let s = s.to_lowercase();
        s.split(|c: char| !c.is_alphanumeric())
            .any(|w| !w.is_empty() && w.starts_with(term))
    }
}

/// Work units of one node: a `$search` term splits the value into words, so
/// it counts as three comparisons (measured: about three times as slow).
fn cost(e: &Expr) -> u64 {
    match e {
        Expr::Search(..) => 3,
        _ => 1,
    }
}

fn eval_in(e: &Expr, id: &Value, obj: &Map<String, Value>, work: &Work) -> bool {
    use std::cmp::Ordering::*;
    if !work.spend(cost(e)) {
        return false;
    }
    match e {
        Expr::And(items) => items.iter().all(|x| eval_in(x, id, obj, work)),
        Expr::Or(items) => items.iter().any(|x| eval_in(x, id, obj, work)),
        Expr::Not(a) => !eval_in(a, id, obj, work),
        Expr::Compare(p, op, lit) => {
            let ord = lit_matches(field(p, id, obj), lit);
            match op {
                Cmp::Eq => ord == Some(Equal),
                Cmp::Ne => ord != Some(Equal),
                Cmp::Ge => matches!(ord, Some(Greater | Equal)),
                Cmp::Gt => ord == Some(Greater),
                Cmp::Le => matches!(ord, Some(Less | Equal)),
                Cmp::Lt => ord == Some(Less),
            }
        }
        Expr::In(p, items) => {
            let v = field(p, id, obj);
            work.spend(items.len() as u64) && items.iter().any(|l| lit_matches(v, l) == Some(Equal))
        }
        Expr::StartsWith(p, v) => field(p, id, obj)
            .and_then(Value::as_str)
            .is_some_and(|s| ci_starts_with(s, v)),
        Expr::EndsWith(p, v) => field(p, id, obj)
            .and_then(Value::as_str)
            .is_some_and(|s| ci_ends_with(s, v)),
        Expr::Any(p, lit) => field(p, id, obj)
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|v| lit_matches(Some(v), lit) == Some(Equal))),
        Expr::Search(p, term) => match field(p, id, obj) {
            Some(Value::String(v)) => search_matches(v, term),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .any(|v| search_matches(v, term)),
            _ => false,
        },
    }
}

/// A request's budget of filter work (clauses evaluated, manager levels
/// expanded), shared by the items of a `$batch`: the bound on the time one
/// request may hold the tenant.
#[derive(Debug)]
pub struct Work {
    left: std::cell::Cell<u64>,
    exhausted: std::cell::Cell<bool>,
}

impl Work {
    /// A budget of `units`.
    pub fn new(units: u64) -> Self {
        Work {
            left: std::cell::Cell::new(units),
            exhausted: std::cell::Cell::new(false),
        }
    }

    /// No bound (for callers outside a request).
    pub fn unlimited() -> Self {
        Self::new(u64::MAX)
    }

    /// Spend `n` units; `false` (and exhausted from now on) if they are not left.
    pub fn spend(&self, n: u64) -> bool {
        let left = self.left.get();
        if self.exhausted.get() || left < n {
            self.exhausted.set(true);
            return false;
        }
        self.left.set(left - n);
        true
    }

    /// Whether the budget ran out.
    pub fn exhausted(&self) -> bool {
        self.exhausted.get()
    }
}

/// Parse `$search` (`"prop:term" AND "prop:term" OR …`, AND binding tighter) for
/// a resource whose searchable properties are `searchable`.
pub fn parse_search(s: &str, searchable: &[&'static str], resource: &str) -> GraphResult<Expr> {
    let bad = || {
        GraphError::bad_request(format!(
            "Syntax error: the $search value '{s}' is not valid. Use \"property:value\" clauses joined by AND or OR."
        ))
    };
    let mut ors: Vec<Expr> = Vec::new();
    let mut ands: Vec<Expr> = Vec::new();
    let mut rest = s.trim();
    let mut clauses = 0usize;
    loop {
        clauses += 1;
        if clauses > MAX_CLAUSES {
            return Err(limits::too_many_clauses("$search", clauses));
        }
        let body = rest.strip_prefix('"').ok_or_else(bad)?;
        let end = body.find('"').ok_or_else(bad)?;
        let clause = &body[..end];
        rest = body[end + 1..].trim_start();
        let (prop, term) = clause.split_once(':').ok_or_else(bad)?;
        let p = canonical(searchable, prop.trim()).ok_or_else(|| {
            GraphError::unsupported_query(format!(
                "Unsupported property '{}' for $search on resource '{resource}'.",
                prop.trim()
            ))
        })?;
        ands.push(Expr::Search(p.to_string(), term.trim().to_lowercase()));
        if rest.is_empty() {
            break;
        }
        let (op, after) = rest.split_once(char::is_whitespace).ok_or_else(bad)?;
        rest = after.trim_start();
        match op {
            "AND" => {}
            "OR" => ors.push(join(std::mem::take(&mut ands), Expr::And)),
            _ => return Err(bad()),
        }
    }
    ors.push(join(ands, Expr::And));
    Ok(join(ors, Expr::Or))
}

/// One clause as itself, several joined n-ary.
fn join(mut items: Vec<Expr>, make: fn(Vec<Expr>) -> Expr) -> Expr {
    if items.len() == 1 {
        items.swap_remove(0)
    } else {
        make(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn parses_and_evaluates() {
        let e = parse_filter(
            "startswith(displayName,'a') and (accountEnabled eq true or userType in ('Guest','x')) and not (city eq 'O''Hare')",
        )
        .unwrap();
        let o = obj(
            json!({"displayName":"Adele","accountEnabled":false,"userType":"guest","city":"Paris"}),
        );
        assert!(eval(&e, "1", &o));
        let any = parse_filter("groupTypes/any(c:c eq 'Unified')").unwrap();
        assert!(eval(&any, "2", &obj(json!({"groupTypes":["Unified"]}))));
    }

    #[test]
    fn advanced_rules() {
        let props = crate::schema::USER_PROPERTIES;
        let kind = crate::schema::user_filter_kind;
        let e = parse_filter("endswith(mail,'@contoso.com')").unwrap();
        let err = check_filter(&e, props, "user", "User", kind, false).unwrap_err();
        assert_eq!(err.code, "Request_UnsupportedQuery");
        assert!(check_filter(&e, props, "user", "User", kind, true).is_ok());
        let e = parse_filter("aboutMe eq 'x'").unwrap();
        let err = check_filter(&e, props, "user", "User", kind, true).unwrap_err();
        assert!(err.message.contains("'aboutMe' of resource 'User'"));
    }

    #[test]
    fn search_clauses() {
        let props: &[&'static str] = &["displayName", "mail"];
        let e = parse_search(
            "\"displayName:wil\" OR \"mail:zzz\" AND \"displayName:x\"",
            props,
            "User",
        )
        .unwrap();
        assert!(eval(&e, "1", &obj(json!({"displayName": "Alex Wilber"}))));
        assert!(!eval(&e, "1", &obj(json!({"displayName": "Adele Vance"}))));
        assert!(parse_search("displayName:x", props, "User").is_err());
        assert_eq!(
            parse_search("\"city:x\"", props, "User").unwrap_err().code,
            "Request_UnsupportedQuery"
        );
    }

    #[test]
    fn at_most_fifteen_or_clauses_by_default() {
        let props = crate::schema::USER_PROPERTIES;
        let kind = crate::schema::user_filter_kind;
        let list = |n: usize| {
            (0..n)
                .map(|i| format!("'{i}'"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let ok = parse_filter(&format!("id in ({})", list(15))).unwrap();
        assert!(check_filter(&ok, props, "user", "User", kind, false).is_ok());
        let many = parse_filter(&format!("id in ({})", list(16))).unwrap();
        let err = check_filter(&many, props, "user", "User", kind, false).unwrap_err();
        assert!(err.message.contains("Max allowed: 15"));
        assert!(check_filter(&many, props, "user", "User", kind, true).is_ok());
        let ors = (0..16)
            .map(|i| format!("mail eq '{i}'"))
            .collect::<Vec<_>>()
            .join(" or ");
        let e = parse_filter(&ors).unwrap();
        assert!(check_filter(&e, props, "user", "User", kind, false).is_err());
    }

    #[test]
    fn nesting_and_clauses_are_bounded() {
        let nested = |n: usize| format!("{}id eq 'x'{}", "(".repeat(n), ")".repeat(n));
        assert!(parse_filter(&nested(MAX_DEPTH)).is_ok());
        let e = parse_filter(&nested(MAX_DEPTH + 1)).unwrap_err();
        assert_eq!(e.message, "Recursion depth exceeded allowed limit.");
        // Far beyond the limit: refused, not a stack overflow.
        assert!(parse_filter(&nested(1_000_000)).is_err());
        let nots = |n: usize| format!("{}accountEnabled eq true", "not ".repeat(n));
        assert!(parse_filter(&nots(MAX_DEPTH)).is_ok());
        assert!(parse_filter(&nots(100_000)).is_err());
        // A long chain is one flat level, not a deep tree.
        let chain = vec!["mail eq 'a'"; MAX_CLAUSES].join(" and ");
        match parse_filter(&chain).unwrap() {
            Expr::And(items) => assert_eq!(items.len(), MAX_CLAUSES),
            other => panic!("{other:?}"),
        }
        let too_many = vec!["mail eq 'a'"; MAX_CLAUSES + 1].join(" or ");
        assert_eq!(
            parse_filter(&too_many).unwrap_err().code,
            "Request_UnsupportedQuery"
        );
        let terms = vec!["\"mail:a\""; MAX_CLAUSES + 1].join(" OR ");
        assert!(parse_search(&terms, &["mail"], "User").is_err());
    }

    #[test]
    fn the_work_budget_stops_evaluation() {
        let e = parse_filter("mail eq 'a' or mail eq 'b' or mail eq 'c'").unwrap();
        let o = obj(json!({"mail": "c"}));
        let w = Work::new(3);
        assert!(
            !eval_with(&e, "1", &o, &w),
            "the third clause is over budget"
        );
        assert!(w.exhausted());
        assert!(eval_with(&e, "1", &o, &Work::new(4)));
    }
}
