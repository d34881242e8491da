//! Reading a directory repo from disk: find the files, parse, decode, validate.

use std::path::{Path, PathBuf};

use super::decode::{Decoder, RawRepo};
use super::diagnostic::{Code, Diagnostic};
use super::source::{FileId, Loc, Pos, SourceFile, SourceMap, Span};
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

/// SHA-256 over the repo's files (path relative to `dir` and content, in path order): what a saved plan was computed from.
pub fn digest(dir: &Path, sources: &SourceMap) -> String {
    let mut files: Vec<(String, &str)> = sources
        .files()
        .iter()
        .map(|f| {
            let rel = f.path.strip_prefix(dir).unwrap_or(&f.path);
            (rel.to_string_lossy().replace('\\', "/"), f.text.as_str())
        })
        .collect();
    files.sort();
    let mut bytes = Vec::new();
    for (name, text) in files {
        bytes.extend_from_slice(name.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(text.as_bytes());
        bytes.push(0);
    }
    crate::plan::saved::sha256_hex(&bytes)
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
    let mut texts = texts;
    // Sorting by path makes every result (which duplicate is "second", origins) independent of input order.
    texts.sort_by(|a, b| a.0.cmp(&b.0));
    let ids: Vec<FileId> = texts
        .into_iter()
        .map(|(path, text)| sources.add(SourceFile::new(display_name(&path), path, text)))
        .collect();
    let decoded = decode_all(&ids, sources);
    // Each file's records stay in their own vectors (no repo-wide copy); validation consumes them.
    let mut parts: Vec<RawRepo> = Vec::with_capacity(decoded.len());
    for (id, file) in ids.into_iter().zip(decoded) {
        parts.push(file.raw);
        diags.extend(file.diags);
        if let Some(f) = sources.get_mut(id) {
            for r in file.redactions {
                f.redact(r.span);
            }
        }
    }
    let result = validate::validate(parts, sources, diags);
    Loaded {
        sources: std::mem::take(sources),
        result,
    }
}

/// What one file decodes to.
#[derive(Default)]
struct DecodedFile {
    raw: RawRepo,
    diags: Vec<Diagnostic>,
    redactions: Vec<Loc>,
}

/// Parse and decode one file; its YAML tree is dropped as soon as it is decoded.
fn decode_file(id: FileId, sources: &SourceMap) -> DecodedFile {
    let mut out = DecodedFile::default();
    let Some(file) = sources.get(id) else {
        return out;
    };
    match yaml::parse(&file.text) {
        Ok(docs) => {
            let mut dec = Decoder::new(id, &mut out.diags);
            for doc in &docs {
                dec.document(doc, &mut out.raw);
            }
            out.redactions = std::mem::take(&mut dec.redactions);
        }
        Err(e) => {
            let start = file.clamp(e.pos);
            let end = Pos {
                index: start.index + 1,
                line: start.line,
                col: start.col + 1,
            };
            out.diags.push(
                Diagnostic::error(
                    Code::YamlSyntax,
                    Loc {
                        file: id,
                        span: Span { start, end },
                    },
                    format!("invalid YAML: {}", e.message),
                )
                .label("the parser stopped here")
                .help("check indentation, unclosed brackets or quotes, and `key: value` spacing above this point"),
            );
        }
    }
    out
}

/// Parse and decode files on all cores (results in file order); parsing dominates load time.
fn decode_all(ids: &[FileId], sources: &SourceMap) -> Vec<DecodedFile> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(ids.len().max(1));
    if threads <= 1 {
        return ids.iter().map(|id| decode_file(*id, sources)).collect();
    }
    let chunk = ids.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = ids
            .chunks(chunk)
            .map(|c| {
                s.spawn(move || {
                    c.iter()
                        .map(|id| decode_file(*id, sources))
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
