//! The import rules of `docs/architecture.md`, held against the code: every
//! `crate::…` path (in `use` lines and inline) and every `super::…` path that
//! leaves a top-level module, in every file under `src/`, must name a module
//! its layer may import; the top-level modules must not import each other in
//! a circle, nor the modules inside one of them. A failure names the file,
//! the line and the rule broken.

mod scan;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use scan::{Import, code_only, scan, scan_src, src_dir, tokens};

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
    // The read-only reports: their reads (graph) and pure builders (model; desired for the repo's roles).
    ("report", &["model", "desired", "graph"]),
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
            "report",
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
