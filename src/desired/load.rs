//! Reading a directory repo from disk: find the files, parse, decode, validate.

use std::path::{Path, PathBuf};

use super::decode::{Decoder, RawRepo};
use super::diagnostic::{Code, Diagnostic};
use super::source::{Loc, Pos, SourceFile, SourceMap, Span};
use super::state::DesiredState;
use super::{validate, yaml};

/// The outcome of loading a repo: its sources (for rendering) and either the checked state or the problems.
#[derive(Debug)]
pub struct Loaded {
    /// Every file read, for snippets in diagnostics.
    pub sources: SourceMap,
    /// The checked state with any warnings, or every problem found.
    pub result: Result<(DesiredState, Vec<Diagnostic>), Vec<Diagnostic>>,
}

/// Find `*.yaml` / `*.yml` files below `dir`, skipping hidden entries, sorted by path.
pub fn find_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            let ft = entry.file_type()?;
            if ft.is_dir() {
                stack.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            ) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn display_name(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Load and validate every YAML file under `dir`.
pub fn load_dir(dir: &Path) -> Loaded {
    let mut sources = SourceMap::default();
    let files = match find_files(dir) {
        Ok(f) => f,
        Err(e) => {
            let d = Diagnostic::global(
                Code::IoError,
                format!("cannot read directory {}: {e}", dir.display()),
            )
            .help("pass the path of the directory repo (the folder that holds tenant.yaml)");
            return Loaded {
                sources,
                result: Err(vec![d]),
            };
        }
    };
    let mut texts = Vec::with_capacity(files.len());
    let mut diags = Vec::new();
    for path in files {
        match std::fs::read(&path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => texts.push((path, text)),
                Err(_) => diags.push(
                    Diagnostic::global(
                        Code::IoError,
                        format!("{} is not UTF-8 text", display_name(&path)),
                    )
                    .help("save the file as UTF-8"),
                ),
            },
            Err(e) => diags.push(Diagnostic::global(
                Code::IoError,
                format!("cannot read {}: {e}", display_name(&path)),
            )),
        }
    }
    load_texts(texts, &mut sources, diags)
}

/// Load from in-memory files (path, text); used by `load_dir` and by tests.
pub fn load_texts(
    texts: Vec<(PathBuf, String)>,
    sources: &mut SourceMap,
    mut diags: Vec<Diagnostic>,
) -> Loaded {
    let parsed: Vec<(PathBuf, String, Result<Vec<yaml::Node>, yaml::SyntaxError>)> =
        parse_all(texts);
    let mut raw = RawRepo::default();
    for (path, text, docs) in parsed {
        let id = sources.add(SourceFile::new(display_name(&path), path, text));
        match docs {
            Ok(docs) => {
                let mut dec = Decoder::new(id, &mut diags);
                for doc in &docs {
                    dec.document(doc, &mut raw);
                }
                let redactions = std::mem::take(&mut dec.redactions);
                if let Some(f) = sources.get_mut(id) {
                    for r in redactions {
                        f.redact(r.span);
                    }
                }
            }
            Err(e) => {
                let end = Pos {
                    index: e.pos.index + 1,
                    line: e.pos.line,
                    col: e.pos.col + 1,
                };
                diags.push(
                    Diagnostic::error(
                        Code::YamlSyntax,
                        Loc {
                            file: id,
                            span: Span { start: e.pos, end },
                        },
                        format!("invalid YAML: {}", e.message),
                    )
                    .label("the parser stopped here")
                    .help("check indentation, unclosed brackets or quotes, and `key: value` spacing above this point"),
                );
            }
        }
    }
    let result = validate::validate(raw, sources, diags);
    Loaded {
        sources: std::mem::take(sources),
        result,
    }
}

/// Parse files on all cores; parsing dominates load time for large repos.
fn parse_all(
    texts: Vec<(PathBuf, String)>,
) -> Vec<(PathBuf, String, Result<Vec<yaml::Node>, yaml::SyntaxError>)> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(texts.len().max(1));
    if threads <= 1 {
        return texts
            .into_iter()
            .map(|(p, t)| {
                let r = yaml::parse(&t);
                (p, t, r)
            })
            .collect();
    }
    let chunk = texts.len().div_ceil(threads);
    let mut chunks: Vec<Vec<(PathBuf, String)>> = Vec::new();
    let mut it = texts.into_iter().peekable();
    while it.peek().is_some() {
        chunks.push(it.by_ref().take(chunk).collect());
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| {
                s.spawn(move || {
                    c.into_iter()
                        .map(|(p, t)| {
                            let r = yaml::parse(&t);
                            (p, t, r)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}
