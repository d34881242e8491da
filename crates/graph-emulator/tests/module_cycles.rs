//! The emulator's modules import each other one way: a test reads the
//! `super::`/`crate::` paths of every module under `src/` (test modules left
//! out) and fails on an import cycle other than the one recorded in
//! docs/decisions.md, naming the modules in it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The top-level module a file belongs to (`odata/filter.rs` → `odata`).
fn module_of(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .map(|c| c.as_os_str().to_string_lossy().to_string());
    first
        .unwrap_or_default()
        .trim_end_matches(".rs")
        .to_string()
}

/// The names right after `prefix` in `code`: `prefix name`, and each first
/// name of a `prefix{a, b::c}` group.
fn names_after(code: &str, prefix: &str, out: &mut BTreeSet<String>) {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices(prefix) {
        let rest = &code[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let Some(end) = group.find('}') else { continue };
            // Nested braces are one level deep at most in this crate's imports.
            for part in group[..end].split(',') {
                let name = ident(part.trim().trim_start_matches('{'));
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
}

/// Module → the modules it names, from the sources under `src`.
fn imports(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in fs::read_dir(&d).expect("src is readable") {
            let p = e.expect("a directory entry").path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(src).expect("under src").to_path_buf();
        let module = module_of(&rel);
        if module == "lib" {
            continue;
        }
        let text = fs::read_to_string(&f).expect("a source file is readable");
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or("");
        let mut names = BTreeSet::new();
        names_after(code, "crate::", &mut names);
        // In `odata/filter.rs`, `super::` is `odata` itself.
        if rel.components().count() == 1 {
            names_after(code, "super::", &mut names);
        }
        graph.entry(module).or_default().extend(names);
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for (m, deps) in graph.iter_mut() {
        deps.retain(|d| d != m && modules.contains(d));
    }
    graph
}

/// The strongly connected components with more than one module (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        w.on_stack.insert(v);
        let graph = w.graph;
        for d in graph.get(v).into_iter().flatten() {
            let d = d.as_str();
            if !w.index.contains_key(d) {
                visit(w, d);
                let l = w.low[d].min(w.low[v]);
                w.low.insert(v, l);
            } else if w.on_stack.contains(d) {
                let l = w.index[d].min(w.low[v]);
                w.low.insert(v, l);
            }
        }
        if w.low[v] == w.index[v] {
            let mut comp = Vec::new();
            while let Some(x) = w.stack.pop() {
                w.on_stack.remove(x);
                comp.push(x.to_string());
                if x == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                w.found.push(comp);
            }
        }
    }
    let mut w = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for m in graph.keys() {
        if !w.index.contains_key(m.as_str()) {
            visit(&mut w, m);
        }
    }
    w.found
}

#[test]
fn emulator_modules_have_no_import_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = imports(&src);
    assert!(graph.len() > 20, "the modules are read: {:?}", graph.keys());
    // The reader sees the imports it must: the router calls the handlers.
    assert!(graph["router"].contains("users") && graph["router"].contains("odata"));
    // The one cycle left, recorded in docs/decisions.md: the tenant holds the
    // PIM state and loads/dumps its seed records, and PIM reads the tenant
    // (with `seed` naming PIM's seed records). Any other cycle, or a larger
    // one, fails.
    let known: Vec<Vec<String>> = vec![
        ["pim", "render", "roles", "seed", "seed_objects", "state"]
            .map(String::from)
            .to_vec(),
    ];
    let found: Vec<Vec<String>> = cycles(&graph)
        .into_iter()
        .filter(|c| !known.contains(c))
        .collect();
    assert!(
        found.is_empty(),
        "import cycles among the emulator's modules (break them as docs/decisions.md describes): {found:?}"
    );
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(cycles(&g), vec![vec!["a", "b", "c"]]);
}
