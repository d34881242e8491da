//! Which files make up a directory repo, and reading them safely.
//!
//! A pull request controls every entry of the repo, so the walk trusts none:
//! it reads only regular files inside the repo root (a link is followed only
//! to a regular file inside the root; links to folders are never followed),
//! each up to [`MAX_FILE_BYTES`] and all together up to [`MAX_REPO_BYTES`],
//! without blocking on a FIFO or device. Every entry it refuses, and every
//! folder it cannot read, is an error diagnostic: a skipped file could hold
//! users that would otherwise be planned as absent.

use std::fs::{FileType, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

use super::diagnostic::{Code, Diagnostic, shown};
use super::file_rule::{FileRule, RULE_FILES};
use super::limits::{MAX_FILE_BYTES, MAX_REPO_BYTES};

/// A YAML file found by the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its path below the repo directory as walked (the link's own path for a link).
    pub path: PathBuf,
    /// Where its bytes are read from: `path`, or a link's resolved target inside the root.
    pub read_from: PathBuf,
}

/// The result of walking a repo: the files to read, sorted by path, and the entries refused.
#[derive(Debug, Default)]
pub struct Listing {
    /// Files to read.
    pub files: Vec<Candidate>,
    /// Refused entries and unreadable folders.
    pub diags: Vec<Diagnostic>,
}

/// The repo's files read as text, and every problem met.
#[derive(Debug, Default)]
pub struct RepoTexts {
    /// (path as walked, text), sorted by path.
    pub texts: Vec<(PathBuf, String)>,
    /// Refused, unreadable or oversized files and folders.
    pub diags: Vec<Diagnostic>,
}

/// How a path is shown in messages: `/` separators, no leading `./`, long names cut short.
pub fn display_name(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

fn quoted(path: &Path) -> String {
    shown(&display_name(path)).into_owned()
}

fn is_yaml_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// "a FIFO", "a socket", … for a file type that is neither a regular file nor a folder.
fn kind_name(ft: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_socket() {
            return "a socket";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
    }
    if ft.is_dir() {
        "a folder"
    } else if ft.is_symlink() {
        "a link"
    } else {
        "not a regular file"
    }
}

fn not_regular(path: &Path, what: &str) -> Diagnostic {
    Diagnostic::global(
        Code::NotARegularFile,
        format!("{} is {what}, not a regular file", quoted(path)),
    )
    .help(
        "entraform reads only regular files: replace it with the file itself, \
         or rename it so that it does not end in .yaml or .yml",
    )
}

fn outside(path: &Path, target: &Path, folder: bool) -> Diagnostic {
    let (what, extra) = if folder {
        ("folder", "; entraform does not follow it")
    } else {
        ("file", "; entraform does not read it")
    };
    Diagnostic::global(
        Code::PathOutsideRepo,
        format!(
            "{} is a link to a {what} outside the directory repo ({}){extra}",
            quoted(path),
            quoted(target)
        ),
    )
    .help(
        "entraform reads only files inside the repo: copy the file or folder into the repo \
         instead of linking to it, or remove the link",
    )
}

fn io_error(message: String) -> Diagnostic {
    Diagnostic::global(Code::IoError, message)
}

/// Walk `dir` (hidden entries skipped) and list the YAML files to read.
///
/// `Err` only when `dir` itself cannot be read; an unreadable sub-folder is a
/// diagnostic naming it, and the walk goes on so every problem is reported.
pub fn list(dir: &Path) -> std::io::Result<Listing> {
    list_with(dir, &FileRule::default())
}

/// `path` relative to `dir`, `/`-separated (what `files:` patterns match).
pub fn relative(dir: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(dir).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The file that holds the `files:` rule (`tenant.yaml`, else `tenant.yml`, at
/// the root of `dir`), when it is one the walk would read; its problems are
/// left to the walk, which reports them.
pub fn rule_file(dir: &Path) -> Option<Candidate> {
    let root = std::fs::canonicalize(dir).ok()?;
    RULE_FILES.iter().find_map(|name| {
        let path = dir.join(name);
        let meta = std::fs::symlink_metadata(&path).ok()?;
        if meta.file_type().is_symlink() {
            link(&root, path, &mut Vec::new())
        } else if meta.is_file() {
            Some(Candidate {
                read_from: path.clone(),
                path,
            })
        } else {
            None
        }
    })
}

/// Walk `dir` as [`list`] does, keeping only the files `rule` wants and
/// never entering a folder it excludes.
pub fn list_with(dir: &Path, rule: &FileRule) -> std::io::Result<Listing> {
    let root = std::fs::canonicalize(dir)?;
    let first = std::fs::read_dir(dir)?;
    let mut out = Listing::default();
    let mut pending = vec![(dir.to_path_buf(), Some(first))];
    while let Some((d, entries)) = pending.pop() {
        let entries = match entries.map_or_else(|| std::fs::read_dir(&d), Ok) {
            Ok(e) => e,
            Err(e) => {
                out.diags.push(
                    io_error(format!("cannot read folder {}: {e}", quoted(&d))).help(
                        "give entraform read access to every folder of the repo \
                         (users in a folder it cannot read would look absent), \
                         or hide the folder by starting its name with `.`",
                    ),
                );
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    out.diags
                        .push(io_error(format!("cannot list folder {}: {e}", quoted(&d))));
                    continue;
                }
            };
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            let rel = relative(dir, &path);
            // The entry's own type (lstat semantics): a link is seen as a link.
            let ft = match entry.file_type() {
                Ok(ft) => ft,
                Err(e) => {
                    out.diags
                        .push(io_error(format!("cannot read {}: {e}", quoted(&path))));
                    continue;
                }
            };
            // Left out by `files:` (whatever it is, a link or a FIFO too: it is not part
            // of the repo); an excluded folder is not walked.
            if rule.excludes(&rel) || (is_yaml_name(&path) && !rule.wants_file(&rel)) {
                tracing::debug!(entry = %rel, "left out by the files rule");
                continue;
            }
            if ft.is_dir() {
                pending.push((path, None));
            } else if ft.is_symlink() {
                if let Some(c) = link(&root, path, &mut out.diags) {
                    out.files.push(c);
                }
            } else if is_yaml_name(&path) {
                if ft.is_file() {
                    out.files.push(Candidate {
                        read_from: path.clone(),
                        path,
                    });
                } else {
                    out.diags.push(not_regular(&path, kind_name(ft)));
                }
            }
        }
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// A link found by the walk: the file to read, or nothing (with a diagnostic when it matters).
fn link(root: &Path, path: PathBuf, diags: &mut Vec<Diagnostic>) -> Option<Candidate> {
    let yaml = is_yaml_name(&path);
    let target = match std::fs::canonicalize(&path) {
        Ok(t) => t,
        Err(e) => {
            if yaml {
                diags.push(
                    io_error(format!(
                        "{} is a link that cannot be followed: {e}",
                        quoted(&path)
                    ))
                    .help("point the link at an existing file inside the repo, or remove it"),
                );
            }
            return None;
        }
    };
    let inside = target.starts_with(root);
    let meta: Metadata = match std::fs::metadata(&target) {
        Ok(m) => m,
        Err(e) => {
            if yaml {
                diags.push(io_error(format!("cannot read {}: {e}", quoted(&path))));
            }
            return None;
        }
    };
    if meta.is_dir() {
        // Links to folders are never followed (no loops, nothing read twice). One that
        // leaves the repo is an error: its files would silently be missing.
        if !inside {
            diags.push(outside(&path, &target, true));
        } else {
            tracing::debug!(link = %display_name(&path), "not following a link to a folder inside the repo");
        }
        return None;
    }
    if !yaml {
        return None;
    }
    if !inside {
        diags.push(outside(&path, &target, false));
        return None;
    }
    if !meta.is_file() {
        diags.push(not_regular(&path, kind_name(meta.file_type())));
        return None;
    }
    Some(Candidate {
        path,
        read_from: target,
    })
}

/// Why a file was not read.
enum Refusal {
    TooLarge(u64),
    NotRegular(FileType),
    Io(std::io::Error),
}

impl From<std::io::Error> for Refusal {
    fn from(e: std::io::Error) -> Self {
        Refusal::Io(e)
    }
}

/// Read a regular file of at most `limit` bytes.
///
/// TOCTOU: the walk checked the entry's type before, but the entry may change
/// between that check and this open. So the open itself refuses to follow a
/// link in the last component (`O_NOFOLLOW`) and cannot block on a FIFO or
/// device (`O_NONBLOCK`); the type and size are then checked again on the open
/// descriptor (`fstat`), which is what is read; and the read stops after
/// `limit + 1` bytes whatever the file does afterwards. Folders above the file
/// are ones the walk entered as real folders; a folder swapped for a link
/// during the run is not caught (that needs `openat2(RESOLVE_BENEATH)`), but
/// the threat here is the content of a checkout, not a concurrent local user.
fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, Refusal> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Refusal::NotRegular(meta.file_type()));
    }
    if meta.len() > limit {
        return Err(Refusal::TooLarge(meta.len()));
    }
    let capacity = usize::try_from(meta.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(Refusal::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

fn mib(bytes: u64) -> u64 {
    bytes / (1024 * 1024)
}

/// Read every listed file (in path order) under the size caps.
pub fn read_all(listing: Listing) -> RepoTexts {
    let mut out = RepoTexts {
        texts: Vec::with_capacity(listing.files.len()),
        diags: listing.diags,
    };
    let mut total: u64 = 0;
    let count = listing.files.len();
    for (i, c) in listing.files.into_iter().enumerate() {
        let left = MAX_REPO_BYTES - total;
        let limit = left.min(MAX_FILE_BYTES);
        let bytes = match read_regular(&c.read_from, limit) {
            Ok(b) => b,
            Err(Refusal::TooLarge(size)) if size > MAX_FILE_BYTES => {
                out.diags.push(
                    Diagnostic::global(
                        Code::FileTooLarge,
                        format!(
                            "{} is {size} bytes; entraform reads files of at most {MAX_FILE_BYTES} bytes ({} MiB)",
                            quoted(&c.path),
                            mib(MAX_FILE_BYTES)
                        ),
                    )
                    .help(
                        "split it into several files (e.g. users/a-m.yaml and users/n-z.yaml): \
                         entraform combines the lists of every file",
                    ),
                );
                continue;
            }
            Err(Refusal::TooLarge(_)) => {
                out.diags.push(
                    Diagnostic::global(
                        Code::FileTooLarge,
                        format!(
                            "the repo's YAML files come to more than {MAX_REPO_BYTES} bytes ({} MiB) at {}; \
                             it and the {} files after it were not read",
                            mib(MAX_REPO_BYTES),
                            quoted(&c.path),
                            count - i - 1
                        ),
                    )
                    .help(
                        "keep only the directory repo's YAML below the folder: move generated or \
                         other YAML out of it, or into a hidden folder (a name starting with `.`)",
                    ),
                );
                break;
            }
            Err(Refusal::NotRegular(ft)) => {
                out.diags.push(not_regular(&c.path, kind_name(ft)));
                continue;
            }
            Err(Refusal::Io(e)) => {
                out.diags
                    .push(io_error(format!("cannot read {}: {e}", quoted(&c.path))));
                continue;
            }
        };
        total += bytes.len() as u64;
        match String::from_utf8(bytes) {
            Ok(text) => out.texts.push((c.path, text)),
            Err(_) => out.diags.push(
                io_error(format!("{} is not UTF-8 text", quoted(&c.path)))
                    .help("save the file as UTF-8"),
            ),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("entraform-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn reads_only_regular_yaml_files_in_path_order() {
        let d = scratch("order");
        std::fs::create_dir_all(d.join("b/.hidden")).unwrap();
        std::fs::write(d.join("b/x.yml"), "a: 1\n").unwrap();
        std::fs::write(d.join("a.yaml"), "b: 2\n").unwrap();
        std::fs::write(d.join("notes.txt"), "x").unwrap();
        std::fs::write(d.join("b/.hidden/h.yaml"), "c: 3\n").unwrap();
        let read = read_all(list(&d).unwrap());
        let names: Vec<String> = read
            .texts
            .iter()
            .map(|(p, _)| display_name(p.strip_prefix(&d).unwrap()))
            .collect();
        assert_eq!(names, ["a.yaml", "b/x.yml"]);
        assert!(read.diags.is_empty(), "{:?}", read.diags);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[cfg(unix)]
    #[test]
    fn links_inside_are_read_links_outside_are_refused() {
        let d = scratch("links");
        let outside_file = d.join("outside.yaml");
        std::fs::write(&outside_file, "secret: 1\n").unwrap();
        let root = d.join("repo");
        std::fs::create_dir_all(root.join("real")).unwrap();
        std::fs::write(root.join("real/a.yaml"), "a: 1\n").unwrap();
        std::os::unix::fs::symlink("real/a.yaml", root.join("in.yaml")).unwrap();
        std::os::unix::fs::symlink(&outside_file, root.join("out.yaml")).unwrap();
        std::os::unix::fs::symlink("..", root.join("up")).unwrap();
        std::os::unix::fs::symlink(".", root.join("loop")).unwrap();
        let read = read_all(list(&root).unwrap());
        let names: Vec<String> = read
            .texts
            .iter()
            .map(|(p, _)| display_name(p.strip_prefix(&root).unwrap()))
            .collect();
        assert_eq!(names, ["in.yaml", "real/a.yaml"]);
        let codes: Vec<&str> = read.diags.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(
            codes,
            ["path-outside-repo", "path-outside-repo"],
            "{:?}",
            read.diags
        );
        assert!(read.texts.iter().all(|(_, t)| !t.contains("secret")));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_file_over_the_cap_is_not_read() {
        let d = scratch("big");
        let f = std::fs::File::create(d.join("big.yaml")).unwrap();
        f.set_len(MAX_FILE_BYTES + 1).unwrap();
        let read = read_all(list(&d).unwrap());
        assert!(read.texts.is_empty());
        assert_eq!(read.diags.len(), 1);
        assert_eq!(read.diags[0].code, Code::FileTooLarge);
        assert!(
            read.diags[0].message.contains("67108865 bytes"),
            "{}",
            read.diags[0].message
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
