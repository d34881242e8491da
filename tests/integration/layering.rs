//! The import rules of `docs/architecture.md`, held against the code: every
//! `crate::…` path (in `use` lines and inline) and every `super::…` path that
//! leaves a top-level module, in every file under `src/`, must name a module
//! its layer may import, and the top-level modules must not import each other
//! in a circle. A failure names the file, the line and the rule broken.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which top-level modules each top-level module may import (production code).
/// Keep in step with the table in `docs/architecture.md`.
const RULES: &[(&str, &[&str])] = &[
    // Layer 0: the domain and two leaf helpers; they import nothing of the crate.
    ("model", &[]),
    ("digest", &[]),
    ("private_file", &[]),
    // Layer 1: reading YAML, talking to Graph, the state-directory lock.
    ("desired", &["model", "digest"]),
    ("graph", &["model"]),
    ("lock", &["private_file"]),
    // Layer 2: reading the tenant (I/O); the pure plan (diff, order, gates, render).
    ("live", &["model", "graph", "private_file"]),
    ("plan", &["model", "desired", "digest"]),
    // Layer 3: applying a plan, exporting a tenant, the drift report.
    ("apply", &["model", "plan", "graph", "private_file"]),
    (
        "export",
        &["model", "desired", "graph", "live", "private_file"],
    ),
    ("drift", &["model", "desired", "plan"]),
    // Layer 4: the command line wires everything together.
    (
        "cli",
        &[
            "model",
            "digest",
            "private_file",
            "desired",
            "graph",
            "lock",
            "live",
            "plan",
            "apply",
            "export",
            "drift",
        ],
    ),
];

/// What `#[cfg(test)]` code may import besides its module's rule (never a
/// module that imports it back: the cycle check covers test code too).
const TEST_ALSO: &[(&str, &[&str])] = &[
    // The export round trip: exported YAML diffs to nothing against its tenant.
    ("export", &["plan"]),
];

/// Crate-root items that are not modules (macros re-exported from `entra-data`).
const ROOT_ITEMS: &[&str] = &["graph_any"];

/// One `crate::<module>` reference found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Import {
    file: String,
    line: usize,
    /// The top-level module the file belongs to.
    from: String,
    /// The top-level module (or root item) the path names.
    to: String,
    /// The path as written up to the module named, for the message.
    path: String,
    /// The absolute module path named, its first two segments
    /// (`crate::plan::gates::X` and, from `plan/op.rs`, `super::gates::X`: `[plan, gates]`).
    target: Vec<String>,
    /// The file's second-level module (`plan/saved/load.rs`: `saved`); `None` for `plan/mod.rs`.
    from_sub: Option<String>,
    /// Inside `#[cfg(test)]` code.
    test: bool,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Blank out comments, string and char literals (keeping line breaks), so
/// that only code is left to scan.
fn code_only(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if (c == 'r' || (c == 'b' && next == Some('r')))
            && !prev_is_ident(&b, i)
            && raw_string_start(&b, i + usize::from(c == 'b') + 1).is_some()
        {
            let start = i + usize::from(c == 'b') + 1;
            let hashes = raw_string_start(&b, start).unwrap_or(0);
            let mut j = start + hashes + 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            for &ch in &b[i..j.min(b.len())] {
                out.push(blank(ch));
            }
            i = j;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 3..b.len()).find(|&j| b[j] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(e) => {
                    for _ in i..=e {
                        out.push(' ');
                    }
                    i = e + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

/// At `b[at]`: `#…#"` opens a raw string; the number of hashes.
fn raw_string_start(b: &[char], at: usize) -> Option<usize> {
    let hashes = b[at.min(b.len())..]
        .iter()
        .take_while(|&&c| c == '#')
        .count();
    (b.get(at + hashes) == Some(&'"')).then_some(hashes)
}

/// A token of code: an identifier or one punctuation character (`::` is one).
#[derive(Debug, Clone, PartialEq)]
struct Tok {
    text: String,
    line: usize,
}

fn tokens(code: &str) -> Vec<Tok> {
    let b: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push(Tok {
                text: b[start..i].iter().collect(),
                line,
            });
        } else if c == ':' && b.get(i + 1) == Some(&':') {
            out.push(Tok {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            out.push(Tok {
                text: c.to_string(),
                line,
            });
            i += 1;
        }
    }
    out
}

/// The module path of a file: `src/plan/diff/mod.rs` → `[plan, diff]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The crate-level references of one file. `test_file`: the whole file is
/// `#[cfg(test)]` (declared so by its parent); `test_children` collects the
/// child modules this file declares under `#[cfg(test)]`.
fn scan(
    rel: &Path,
    text: &str,
    test_file: bool,
    test_children: &mut BTreeSet<String>,
) -> Vec<Import> {
    let file = format!("src/{}", rel.display());
    let base = module_path(rel);
    let Some(from) = base.first().cloned() else {
        return Vec::new();
    };
    let toks = tokens(&code_only(text));
    let t = |i: usize| toks.get(i).map_or("", |t| t.text.as_str());
    let mut out = Vec::new();
    // Open scopes: (brace depth at which it closes, inline module name or None, test).
    let mut scopes: Vec<(usize, Option<String>, bool)> = Vec::new();
    let mut depth = 0usize;
    let mut pending_test = false;
    let mut i = 0;
    while i < toks.len() {
        let in_test = test_file || pending_test || scopes.iter().any(|s| s.2);
        match t(i) {
            "#" if t(i + 1) == "["
                && t(i + 2) == "cfg"
                && t(i + 3) == "("
                && t(i + 4) == "test"
                && t(i + 5) == ")" =>
            {
                pending_test = true;
                i += 6;
                continue;
            }
            "mod" if t(i + 2) == "{" || t(i + 2) == ";" => {
                let name = t(i + 1).to_string();
                if t(i + 2) == ";" {
                    if pending_test {
                        test_children.insert(name);
                    }
                    pending_test = false;
                    i += 3;
                } else {
                    depth += 1;
                    scopes.push((depth, Some(name), pending_test));
                    pending_test = false;
                    i += 3;
                }
                continue;
            }
            "{" => {
                depth += 1;
                if pending_test {
                    scopes.push((depth, None, true));
                    pending_test = false;
                }
            }
            "}" => {
                if scopes.last().is_some_and(|s| s.0 == depth) {
                    scopes.pop();
                }
                depth = depth.saturating_sub(1);
            }
            ";" => pending_test = false,
            "crate" if t(i + 1) == "::" && i.checked_sub(1).is_none_or(|p| t(p) != "$") => {
                for (target, line) in use_paths(&toks, i + 2) {
                    out.push(Import {
                        file: file.clone(),
                        line,
                        from: from.clone(),
                        to: target[0].clone(),
                        path: format!("crate::{}", target[0]),
                        target,
                        from_sub: base.get(1).cloned(),
                        test: in_test,
                    });
                }
            }
            "super" if t(i + 1) == "::" && i.checked_sub(1).is_none_or(|p| t(p) != "::") => {
                let mut ups = 0;
                let mut j = i;
                while t(j) == "super" && t(j + 1) == "::" {
                    ups += 1;
                    j += 2;
                }
                // Where this code stands: the file's module and the inline modules open here.
                let here: Vec<String> = base
                    .iter()
                    .cloned()
                    .chain(scopes.iter().filter_map(|s| s.1.clone()))
                    .collect();
                let up = &here[..here.len().saturating_sub(ups)];
                let mut named: Vec<(Vec<String>, usize)> = use_paths(&toks, j)
                    .into_iter()
                    .map(|(rest, line)| {
                        let mut target: Vec<String> = up.iter().cloned().chain(rest).collect();
                        target.truncate(2);
                        (target, line)
                    })
                    .filter(|(target, _)| !target.is_empty())
                    .collect();
                named.dedup();
                for (target, line) in named {
                    out.push(Import {
                        file: file.clone(),
                        line,
                        from: from.clone(),
                        to: target[0].clone(),
                        path: if up.is_empty() {
                            format!("{}{}", "super::".repeat(ups), target[0])
                        } else {
                            format!("{}…", "super::".repeat(ups))
                        },
                        target,
                        from_sub: base.get(1).cloned(),
                        test: in_test,
                    });
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The paths a use-tree at `toks[at]` names, each cut to its first two
/// segments: `a::X` names `[a, X]`; `{a::X, b::{Y, Z}}` names `[a, X]`,
/// `[b, Y]`, `[b, Z]`; `{self, a}` names `[]` and `[a]`.
fn use_paths(toks: &[Tok], at: usize) -> Vec<(Vec<String>, usize)> {
    let mut out = Vec::new();
    use_tree(toks, at, &mut Vec::new(), &mut out);
    out.dedup();
    out
}

/// One use-tree from `toks[i]` with `prefix` before it; the index after it.
fn use_tree(
    toks: &[Tok],
    mut i: usize,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, usize)>,
) -> usize {
    let Some(tok) = toks.get(i) else {
        return i;
    };
    if tok.text == "{" {
        i += 1;
        while let Some(t) = toks.get(i) {
            match t.text.as_str() {
                "}" => return i + 1,
                "," => i += 1,
                // `X as Y`: the alias names nothing.
                "as" => i += 2,
                _ => {
                    let next = use_tree(toks, i, prefix, out);
                    i = if next == i { i + 1 } else { next };
                }
            }
        }
        return i;
    }
    let named = tok.text.chars().all(|c| c.is_alphanumeric() || c == '_') && tok.text != "self";
    if named {
        prefix.push(tok.text.clone());
    }
    let next = if named && toks.get(i + 1).is_some_and(|t| t.text == "::") {
        use_tree(toks, i + 2, prefix, out)
    } else {
        let mut p = prefix.clone();
        p.truncate(2);
        out.push((p, tok.line));
        i + usize::from(named || tok.text == "self" || tok.text == "*")
    };
    if named {
        prefix.pop();
    }
    next
}

/// Every crate-level reference of every file under `src/`, the binary's
/// `main.rs` and the crate root `lib.rs` aside. Files a parent declares under
/// `#[cfg(test)]` (`#[cfg(test)] mod edge_tests;`) are test code throughout.
fn scan_src(src: &Path) -> Vec<Import> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut test_modules: BTreeSet<PathBuf> = BTreeSet::new();
    let mut out = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(src).expect("under src");
        if rel == Path::new("lib.rs") || rel == Path::new("main.rs") {
            continue;
        }
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let dir = if rel.file_name().is_some_and(|n| n == "mod.rs") {
            rel.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            rel.with_extension("")
        };
        let mut children = BTreeSet::new();
        out.extend(scan(rel, &text, false, &mut children));
        for c in children {
            test_modules.insert(dir.join(c));
        }
    }
    for imp in &mut out {
        let rel = Path::new(&imp.file["src/".len()..]).with_extension("");
        let rel = if rel.file_name().is_some_and(|n| n == "mod") {
            rel.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            rel
        };
        if test_modules.iter().any(|m| rel.starts_with(m)) {
            imp.test = true;
        }
    }
    out
}

/// Every broken rule, one message each: file, line, path, rule.
fn broken_rules(imports: &[Import], modules: &BTreeSet<String>) -> Vec<String> {
    let rules: BTreeMap<&str, &[&str]> = RULES.iter().copied().collect();
    let test_also: BTreeMap<&str, &[&str]> = TEST_ALSO.iter().copied().collect();
    let mut out = Vec::new();
    for m in modules {
        if !rules.contains_key(m.as_str()) {
            out.push(format!(
                "src/lib.rs: module `{m}` has no layer: add it to RULES in tests/integration/layering.rs and to docs/architecture.md"
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for imp in imports {
        if imp.to == imp.from
            || ROOT_ITEMS.contains(&imp.to.as_str())
            || !seen.insert((&imp.file, imp.line, &imp.to))
        {
            continue;
        }
        if !modules.contains(&imp.to) {
            out.push(format!(
                "{}:{}: `{}` is not a top-level module: name the module that defines it (crate-root re-exports hide the layer)",
                imp.file, imp.line, imp.path
            ));
            continue;
        }
        let allowed = rules.get(imp.from.as_str()).copied().unwrap_or(&[]);
        let test_ok = imp.test
            && test_also
                .get(imp.from.as_str())
                .is_some_and(|a| a.contains(&imp.to.as_str()));
        if !allowed.contains(&imp.to.as_str()) && !test_ok {
            out.push(format!(
                "{}:{}: `{}`: {} may not import {} (rule: {} imports only {})",
                imp.file,
                imp.line,
                imp.path,
                imp.from,
                imp.to,
                imp.from,
                if allowed.is_empty() {
                    "nothing of the crate".to_string()
                } else {
                    allowed.join(", ")
                }
            ));
        }
    }
    out
}

/// A circle of top-level modules in these imports (test code included), if any.
fn find_cycle(imports: &[Import]) -> Option<Vec<String>> {
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for imp in imports {
        if imp.to != imp.from {
            edges.entry(&imp.from).or_default().insert(&imp.to);
        }
    }
    fn visit<'a>(
        n: &'a str,
        edges: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = stack.iter().position(|s| *s == n) {
            let mut c: Vec<String> = stack[pos..].iter().map(|s| s.to_string()).collect();
            c.push(n.to_string());
            return Some(c);
        }
        if !done.insert(n) {
            return None;
        }
        stack.push(n);
        for next in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    for n in edges.keys() {
        if let Some(c) = visit(n, &edges, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

/// The imports between two second-level modules of one top-level module
/// (`plan::op` → `plan::effect`), as edges `plan::op` → `plan::effect`. A
/// module's own `mod.rs` (which declares and re-exports its children) is left
/// out: a child naming its parent, or the parent its child, is no circle.
fn sibling_edges(imports: &[Import], is_module: impl Fn(&str, &str) -> bool) -> Vec<Import> {
    imports
        .iter()
        .filter_map(|imp| {
            let from_sub = imp.from_sub.as_deref()?;
            let to_sub = imp.target.get(1)?;
            (imp.to == imp.from && to_sub != from_sub && is_module(&imp.to, to_sub)).then(|| {
                Import {
                    from: format!("{}::{from_sub}", imp.from),
                    to: format!("{}::{to_sub}", imp.to),
                    ..imp.clone()
                }
            })
        })
        .collect()
}

/// Is `src/<top>/<sub>.rs` or `src/<top>/<sub>/mod.rs` a file?
fn is_src_module(top: &str, sub: &str) -> bool {
    let dir = src_dir().join(top);
    dir.join(format!("{sub}.rs")).is_file() || dir.join(sub).join("mod.rs").is_file()
}

/// The top-level modules `src/lib.rs` declares.
fn declared_modules(lib: &str) -> BTreeSet<String> {
    let toks = tokens(&code_only(lib));
    toks.windows(3)
        .filter(|w| w[0].text == "mod" && w[2].text == ";")
        .map(|w| w[1].text.clone())
        .collect()
}

fn product() -> (Vec<Import>, BTreeSet<String>) {
    let src = src_dir();
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("read src/lib.rs");
    (scan_src(&src), declared_modules(&lib))
}

#[test]
fn every_import_follows_the_layer_rules() {
    let (imports, modules) = product();
    assert!(
        imports.len() > 100 && modules.len() >= RULES.len(),
        "the scan found {} imports in {} modules: it is not reading src/",
        imports.len(),
        modules.len()
    );
    let broken = broken_rules(&imports, &modules);
    assert!(
        broken.is_empty(),
        "{} import(s) break the layer rules of docs/architecture.md:\n{}",
        broken.len(),
        broken.join("\n")
    );
}

#[test]
fn no_top_level_modules_import_each_other_in_a_circle() {
    let (imports, _) = product();
    if let Some(cycle) = find_cycle(&imports) {
        let mut lines = Vec::new();
        for pair in cycle.windows(2) {
            if let Some(imp) = imports
                .iter()
                .find(|i| i.from == pair[0] && i.to == pair[1])
            {
                lines.push(format!(
                    "  {} -> {} ({}:{})",
                    pair[0], pair[1], imp.file, imp.line
                ));
            }
        }
        panic!("import cycle {}:\n{}", cycle.join(" -> "), lines.join("\n"));
    }
}

/// Inside a top-level module too, no two of its modules import each other in
/// a circle (`plan::op` ↔ `plan::effect`, `graph::auth` ↔ `graph::transport`).
#[test]
fn no_modules_inside_one_import_each_other_in_a_circle() {
    let (imports, _) = product();
    let edges = sibling_edges(&imports, is_src_module);
    assert!(
        edges.len() > 50,
        "{} edges between sibling modules: the scan is not reading src/",
        edges.len()
    );
    if let Some(cycle) = find_cycle(&edges) {
        let mut lines = Vec::new();
        for pair in cycle.windows(2) {
            if let Some(imp) = edges.iter().find(|i| i.from == pair[0] && i.to == pair[1]) {
                lines.push(format!(
                    "  {} -> {} ({}:{})",
                    pair[0], pair[1], imp.file, imp.line
                ));
            }
        }
        panic!("import cycle {}:\n{}", cycle.join(" -> "), lines.join("\n"));
    }
}

#[test]
fn the_rules_themselves_form_no_circle() {
    let imports: Vec<Import> = RULES
        .iter()
        .chain(TEST_ALSO)
        .flat_map(|(from, tos)| {
            tos.iter()
                .map(|to| edge("tests/integration/layering.rs", from, to))
        })
        .collect();
    assert_eq!(find_cycle(&imports), None);
}

#[test]
fn the_architecture_doc_lists_every_rule() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/architecture.md"))
            .expect("read docs/architecture.md");
    for (module, allowed) in RULES {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{module}` |")))
            .unwrap_or_else(|| panic!("docs/architecture.md has no rule row for `{module}`"));
        let listed: BTreeSet<&str> = row
            .split('|')
            .nth(3)
            .unwrap_or("")
            .split(',')
            .map(|s| s.trim().trim_matches('`'))
            .filter(|s| !s.is_empty() && *s != "—")
            .collect();
        let want: BTreeSet<&str> = allowed.iter().copied().collect();
        assert_eq!(
            listed, want,
            "docs/architecture.md's row for `{module}` differs from RULES"
        );
    }
}

/// The checker itself: an upward import, a `super::` path leaving its module,
/// a group import and a cycle are each caught and named; comments, strings
/// and test-only allowances are not mistaken for imports.
#[test]
fn the_checker_names_the_file_the_line_and_the_rule() {
    let mut children = BTreeSet::new();
    let model = scan(
        Path::new("model/op.rs"),
        "//! see crate::plan\nuse crate::{model::ids::X, plan::Step};\nfn f() { let s = \"crate::apply\"; let c = '\"'; let q = '\\''; super::super::graph::g(); }\n",
        false,
        &mut children,
    );
    let desired = scan(
        Path::new("desired/load.rs"),
        "use super::state::S;\n#[cfg(test)]\nmod tests {\n    use super::*;\n    fn t() { crate::plan::x(); }\n}\nfn g<'a>(x: &'a str) { r#\"crate::cli\"#; crate::model::f(x); }\n",
        false,
        &mut children,
    );
    let export = scan(
        Path::new("export/mod.rs"),
        "#[cfg(test)]\nmod edge_tests;\n#[cfg(test)]\nfn t() { crate::plan::diff::diff(); }\n",
        false,
        &mut children,
    );
    assert!(children.contains("edge_tests"));
    let found: Vec<(usize, &str, bool)> = model
        .iter()
        .chain(&desired)
        .chain(&export)
        .map(|i| (i.line, i.to.as_str(), i.test))
        .collect();
    assert_eq!(
        found,
        [
            (2, "model", false),
            (2, "plan", false),
            (3, "graph", false),
            (1, "desired", false),
            (4, "desired", true),
            (5, "plan", true),
            (7, "model", false),
            (4, "plan", true),
        ]
    );
    let modules: BTreeSet<String> = RULES.iter().map(|r| r.0.to_string()).collect();
    let all: Vec<Import> = model
        .iter()
        .chain(&desired)
        .chain(&export)
        .cloned()
        .collect();
    let broken = broken_rules(&all, &modules);
    assert_eq!(
        broken,
        [
            "src/model/op.rs:2: `crate::plan`: model may not import plan (rule: model imports only nothing of the crate)",
            "src/model/op.rs:3: `super::super::graph`: model may not import graph (rule: model imports only nothing of the crate)",
            "src/desired/load.rs:5: `crate::plan`: desired may not import plan (rule: desired imports only model, digest)",
        ]
    );
    let cycle = find_cycle(&[edge("a", "plan", "live"), edge("b", "live", "plan")]);
    assert_eq!(
        cycle,
        Some(vec!["live".to_string(), "plan".into(), "live".into()])
    );
    // Two modules of `graph` naming each other, through `super::` and `crate::`,
    // in a group, past their `mod.rs`.
    let mut none = BTreeSet::new();
    let auth = scan(
        Path::new("graph/auth/mod.rs"),
        "use super::{error::E, transport::{Call, Stop as S}};\nuse super::Thing;\n",
        false,
        &mut none,
    );
    let transport = scan(
        Path::new("graph/transport.rs"),
        "use crate::graph::auth::Token;\nuse crate::graph::GraphClient;\n",
        false,
        &mut none,
    );
    let targets: Vec<Vec<String>> = auth.iter().map(|i| i.target.clone()).collect();
    assert_eq!(
        targets,
        [
            ["graph", "error"],
            ["graph", "transport"],
            ["graph", "Thing"]
        ]
    );
    let all: Vec<Import> = auth.into_iter().chain(transport).collect();
    let siblings = sibling_edges(&all, |_, sub| {
        ["auth", "transport", "error", "client"].contains(&sub)
    });
    assert_eq!(
        find_cycle(&siblings),
        Some(vec![
            "graph::auth".to_string(),
            "graph::transport".into(),
            "graph::auth".into()
        ])
    );
}

/// An edge `from` → `to` between modules, for the checker's own tests.
fn edge(file: &str, from: &str, to: &str) -> Import {
    Import {
        file: file.into(),
        line: 1,
        from: from.into(),
        to: to.into(),
        path: String::new(),
        target: vec![to.into()],
        from_sub: None,
        test: false,
    }
}
