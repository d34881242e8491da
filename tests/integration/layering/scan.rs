//! Reading `src/` for the layering test: comments and literals blanked out,
//! code cut into tokens, and every `crate::…` / `super::…` path resolved to
//! the module it names (`#[cfg(test)]` code told apart).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One `crate::<module>` reference found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Import {
    pub(super) file: String,
    pub(super) line: usize,
    /// The top-level module the file belongs to.
    pub(super) from: String,
    /// The top-level module (or root item) the path names.
    pub(super) to: String,
    /// The path as written up to the module named, for the message.
    pub(super) path: String,
    /// The absolute module path named, its first two segments
    /// (`crate::plan::gates::X` and, from `plan/op.rs`, `super::gates::X`: `[plan, gates]`).
    pub(super) target: Vec<String>,
    /// The file's second-level module (`plan/saved/load.rs`: `saved`); `None` for `plan/mod.rs`.
    pub(super) from_sub: Option<String>,
    /// Inside `#[cfg(test)]` code.
    pub(super) test: bool,
}

pub(super) fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

pub(super) fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
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
pub(super) fn code_only(text: &str) -> String {
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

pub(super) fn prev_is_ident(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

/// At `b[at]`: `#…#"` opens a raw string; the number of hashes.
pub(super) fn raw_string_start(b: &[char], at: usize) -> Option<usize> {
    let hashes = b[at.min(b.len())..]
        .iter()
        .take_while(|&&c| c == '#')
        .count();
    (b.get(at + hashes) == Some(&'"')).then_some(hashes)
}

/// A token of code: an identifier or one punctuation character (`::` is one).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Tok {
    pub(super) text: String,
    pub(super) line: usize,
}

pub(super) fn tokens(code: &str) -> Vec<Tok> {
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
pub(super) fn module_path(rel: &Path) -> Vec<String> {
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
pub(super) fn scan(
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
pub(super) fn use_paths(toks: &[Tok], at: usize) -> Vec<(Vec<String>, usize)> {
    let mut out = Vec::new();
    use_tree(toks, at, &mut Vec::new(), &mut out);
    out.dedup();
    out
}

/// One use-tree from `toks[i]` with `prefix` before it; the index after it.
pub(super) fn use_tree(
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
pub(super) fn scan_src(src: &Path) -> Vec<Import> {
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
