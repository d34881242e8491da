//! Reading a directory repo from disk: find the files, parse, decode, validate.

use std::path::{Path, PathBuf};

use super::decode::{Decoder, RawRepo};
use super::diagnostic::{Code, DiagList, Diagnostic};
use super::file_rule::{FileRule, RULE_FILES};
use super::limits::MAX_DIAGNOSTICS;
use super::source::{FileId, Loc, Pos, SourceFile, SourceMap, Span};
use super::state::DesiredState;
use super::yaml::SyntaxErrorKind;
use super::{files, validate, yaml};

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
    // Hashed file by file: the same bytes as one buffer of the whole repo, without that copy.
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for (name, text) in files {
        ctx.update(name.as_bytes());
        ctx.update(&[0]);
        ctx.update(text.as_bytes());
        ctx.update(&[0]);
    }
    ctx.finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `*.yaml` / `*.yml` files below `dir` that the loader reads (hidden entries
/// skipped, links only to regular files inside `dir`), sorted by path; entries it
/// refuses are left out here and reported by [`load_dir`].
pub fn find_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    Ok(files::list_with(dir, &file_rule(dir))?
        .files
        .into_iter()
        .map(|c| c.path)
        .collect())
}

fn display_name(path: &Path) -> String {
    files::display_name(path)
}

/// The `files:` rule of the repo at `dir`, read from its `tenant.yaml` before
/// the walk (leniently: the decoder reports what is wrong with it, in place).
pub fn file_rule(dir: &Path) -> FileRule {
    files::rule_file(dir).map_or_else(FileRule::default, rule_in)
}

/// The `files:` rule that `candidate` (the root `tenant.yaml`) holds.
fn rule_in(candidate: files::Candidate) -> FileRule {
    let read = files::read_all(files::Listing {
        files: vec![candidate],
        diags: Vec::new(),
    });
    let Some((_, text)) = read.texts.first() else {
        return FileRule::default();
    };
    match yaml::parse(text) {
        Ok(docs) => FileRule::from_documents(&docs),
        Err(_) => FileRule::default(),
    }
}

/// Where the files of a load come from: the repo directory, and its `tenant.yaml`.
struct RepoContext {
    dir: PathBuf,
    rule_file: Option<PathBuf>,
}

/// Load and validate every YAML file under `dir` that its `files:` rule
/// keeps, under the rules and caps of [`files`].
pub fn load_dir(dir: &Path) -> Loaded {
    let mut sources = SourceMap::default();
    let candidate = files::rule_file(dir);
    let context = RepoContext {
        dir: dir.to_path_buf(),
        rule_file: candidate.as_ref().map(|c| c.path.clone()),
    };
    let rule = candidate.map_or_else(FileRule::default, rule_in);
    let mut listing = match files::list_with(dir, &rule) {
        Ok(l) => l,
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
    // A tenant of a many-tenant repo (`tenants/<name>/`) adds the shared
    // fragments its tenant.yaml includes, read under the same rules and caps.
    super::tenancy::add_includes(dir, &mut listing);
    let read = files::read_all(listing);
    load_texts_in(read.texts, &mut sources, read.diags, Some(&context))
}

/// Load from in-memory files (path, text); used by `load_dir` and by tests.
///
/// `diags` are problems met before (files refused); at most
/// [`MAX_DIAGNOSTICS`] diagnostics are listed in all, the rest counted.
pub fn load_texts(
    texts: Vec<(PathBuf, String)>,
    sources: &mut SourceMap,
    diags: Vec<Diagnostic>,
) -> Loaded {
    load_texts_in(texts, sources, diags, None)
}

/// [`load_texts`] for files of the repo in `context` (in memory: paths are
/// relative to the root, and `tenant.yaml` is the one that may hold `files:`).
fn load_texts_in(
    texts: Vec<(PathBuf, String)>,
    sources: &mut SourceMap,
    diags: Vec<Diagnostic>,
    context: Option<&RepoContext>,
) -> Loaded {
    let mut texts = texts;
    // Sorting by path makes every result (which duplicate is "second", origins) independent of input order.
    texts.sort_by(|a, b| a.0.cmp(&b.0));
    let places: Vec<FilePlace> = texts
        .iter()
        .map(|(path, _)| match context {
            Some(c) => FilePlace {
                rel: files::relative(&c.dir, path),
                rule_file: c.rule_file.as_deref() == Some(path.as_path()),
            },
            None => {
                let rel = files::relative(Path::new(""), path);
                FilePlace {
                    rule_file: RULE_FILES.contains(&rel.as_str()),
                    rel,
                }
            }
        })
        .collect();
    let ids: Vec<FileId> = texts
        .into_iter()
        .map(|(path, text)| sources.add(SourceFile::new(display_name(&path), path, text)))
        .collect();
    let mut list = DiagList::default();
    for d in diags {
        list.push(d);
    }
    let decoded = decode_all(&ids, &places, sources, list.count());
    // Each file's records stay in their own vectors (no repo-wide copy); validation consumes them.
    let mut parts: Vec<RawRepo> = Vec::with_capacity(decoded.len());
    let mut redactions: Vec<(FileId, Vec<Span>)> = Vec::new();
    for (id, file) in ids.into_iter().zip(decoded) {
        parts.push(file.raw);
        list.absorb(file.diags);
        if !file.redactions.is_empty() {
            redactions.push((id, file.redactions.iter().map(|r| r.span).collect()));
        }
    }
    // Validation reads group members from the texts as decoded (byte ranges
    // of them, see `MemberList`); the literal passwords are masked after it.
    let result = validate::validate_list(parts, sources, list);
    for (id, spans) in redactions {
        if let Some(f) = sources.get_mut(id) {
            f.redact_all(&spans);
        }
    }
    Loaded {
        sources: std::mem::take(sources),
        result,
    }
}

/// What one file decodes to.
#[derive(Default)]
struct DecodedFile {
    raw: RawRepo,
    diags: DiagList,
    redactions: Vec<Loc>,
}

/// Where a file is in the repo (for the decoder).
#[derive(Clone)]
struct FilePlace {
    /// Relative to the repo root, `/`-separated.
    rel: String,
    /// The root `tenant.yaml`, which may hold the `files:` rule.
    rule_file: bool,
}

/// Parse and decode one file, keeping at most `cap` diagnostics; its YAML tree is dropped as soon as it is decoded.
fn decode_file(id: FileId, place: &FilePlace, sources: &SourceMap, cap: usize) -> DecodedFile {
    let mut out = DecodedFile {
        diags: DiagList::new(cap),
        ..DecodedFile::default()
    };
    let Some(file) = sources.get(id) else {
        return out;
    };
    match yaml::parse(&file.text) {
        Ok(docs) => {
            let mut dec = Decoder::new(id, &mut out.diags)
                .in_repo(Some(place.rel.clone()), place.rule_file)
                .with_text(&file.text);
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
            let loc = Loc {
                file: id,
                span: Span { start, end },
            };
            let d = match e.kind {
                SyntaxErrorKind::Syntax => Diagnostic::error(
                    Code::YamlSyntax,
                    loc,
                    format!("invalid YAML: {}", e.message),
                )
                .label("the parser stopped here")
                .help("check indentation, unclosed brackets or quotes, and `key: value` spacing above this point"),
                SyntaxErrorKind::TooDeep => Diagnostic::error(Code::NestingTooDeep, loc, e.message)
                    .label("nested too deep")
                    .help("the format needs a handful of levels (a user's `groups:` list is the deepest); \
                           flatten this value"),
                SyntaxErrorKind::AliasLimit => Diagnostic::error(Code::AliasLimit, loc, e.message)
                    .label("alias limit reached here")
                    .help("reuse anchors less (an alias repeats its anchor's whole value), or write the values out \
                           and split the file; see \"What entraform reads, and limits\" in docs/format.md"),
            };
            out.diags.push(d);
        }
    }
    out
}

/// Parse and decode files on all cores (results in file order); parsing dominates load time.
///
/// `before` diagnostics are already listed. A worker whose own files have
/// filled the list decodes the rest of its chunk keeping none: every file after
/// them would be left out of the list anyway, whatever the other chunks hold, so
/// the result is the same on any number of cores and memory stays bounded.
fn decode_all(
    ids: &[FileId],
    places: &[FilePlace],
    sources: &SourceMap,
    before: u64,
) -> Vec<DecodedFile> {
    let jobs: Vec<(FileId, FilePlace)> = ids.iter().copied().zip(places.iter().cloned()).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len().max(1));
    let chunk_of = move |c: &[(FileId, FilePlace)]| {
        let mut listed = before;
        c.iter()
            .map(|(id, place)| {
                let cap = if listed >= MAX_DIAGNOSTICS as u64 {
                    0
                } else {
                    MAX_DIAGNOSTICS
                };
                let file = decode_file(*id, place, sources, cap);
                listed += file.diags.kept.len() as u64;
                file
            })
            .collect::<Vec<_>>()
    };
    if threads <= 1 {
        return chunk_of(&jobs);
    }
    let chunk = jobs.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|c| s.spawn(move || chunk_of(c)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_hashes_the_files_as_one_buffer_of_names_and_texts() {
        // Saved plans record this digest: hashing file by file must give what one
        // buffer of `name NUL text NUL …` in path order gave.
        let dir = Path::new("/repo");
        let mut sources = SourceMap::default();
        for (name, text) in [
            ("users/b.yaml", "users: []\n"),
            ("tenant.yaml", "tenant: {domain: contoso.com}\n"),
        ] {
            let path = dir.join(name);
            sources.add(SourceFile::new(name.into(), path, text.into()));
        }
        let expected = crate::digest::sha256_hex(
            b"tenant.yaml\0tenant: {domain: contoso.com}\n\0users/b.yaml\0users: []\n\0",
        );
        assert_eq!(digest(dir, &sources), expected);
    }

    #[test]
    fn members_after_a_masked_non_ascii_password_read_as_written() {
        // Members are byte ranges of the text as decoded; masking a password
        // ("ééé" is 6 bytes, "***" 3) must not shift what they read.
        let text = "tenant: {domain: contoso.com}\nusers:\n  - upn: ann@contoso.com\n    \
                    password: \"ééé-Secret-1\"\ngroups:\n  - name: g\n    members:\n      \
                    - ann@contoso.com\n      - bad..name@contoso.com\n";
        let mut sources = SourceMap::default();
        let loaded = load_texts(
            vec![(PathBuf::from("tenant.yaml"), text.to_string())],
            &mut sources,
            Vec::new(),
        );
        let Err(diags) = loaded.result else {
            panic!("a literal password and an invalid UPN are errors")
        };
        let upn = diags
            .iter()
            .find(|d| d.code == Code::InvalidUpn)
            .expect("the invalid member is reported");
        assert!(
            upn.message
                .starts_with("`bad..name@contoso.com` is not a valid user principal name"),
            "{}",
            upn.message
        );
        let loc = upn.primary.as_ref().expect("located").loc;
        assert_eq!((loc.span.start.line, loc.span.start.col), (9, 8));
        // The password is masked in the text kept for snippets.
        let kept = &loaded.sources.files()[0].text;
        assert!(
            kept.contains("password: **************\n") && !kept.contains("Secret"),
            "{kept}"
        );
    }
}
