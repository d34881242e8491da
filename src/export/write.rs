//! Writing an exported repo to disk without ever following a symbolic link.
//!
//! `--out` itself is the operator's choice and may be a link to a directory;
//! below it, a sub-folder or a file that is a symbolic link is refused with an
//! error naming it (a planted `users -> /etc` link must not turn `export
//! --force` into a write elsewhere). Each file is written to a new temporary
//! file in its folder (created exclusively) and renamed over the target: a
//! rename replaces a directory entry and never follows it.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use super::ExportedFile;

/// Why the exported files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// A folder or file on the way is a symbolic link.
    #[error(
        "refusing to write {}: {} is a symbolic link{}; export never writes through links (remove the link, or choose another --out)",
        file.display(),
        link.display(),
        target.as_ref().map(|t| format!(" to {}", t.display())).unwrap_or_default()
    )]
    Link {
        /// The file being written.
        file: PathBuf,
        /// The link found on the way.
        link: PathBuf,
        /// Where it points, when readable.
        target: Option<PathBuf>,
    },
    /// Something that is not a folder stands where a folder is needed, or a
    /// folder (or device…) where a file is to be written.
    #[error("refusing to write {}: {} exists and is not a {expected}", file.display(), found.display())]
    WrongKind {
        /// The file being written.
        file: PathBuf,
        /// What is in the way.
        found: PathBuf,
        /// `folder` or `regular file`.
        expected: &'static str,
    },
    /// An exported path that is not a plain relative path (never produced by [`super::export`]).
    #[error("refusing to write `{0}`: not a plain relative path")]
    BadPath(String),
    /// Files export would overwrite that an export did not write.
    #[error(
        "refusing to overwrite {} that `entraform export` did not write (no export header): {}; move {} away, or choose another --out",
        if files.len() == 1 { "a file" } else { "files" },
        files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "),
        if files.len() == 1 { "it" } else { "them" }
    )]
    Clash {
        /// The files in the way.
        files: Vec<PathBuf>,
    },
    /// Reading or writing failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What [`replace_export`] did besides writing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// Files of an earlier export that this one does not write: removed.
    pub removed: Vec<PathBuf>,
    /// YAML files that no export wrote, left in place (they are part of the repo).
    pub kept: Vec<PathBuf>,
}

/// Most entries [`replace_export`] looks at below `--out` (a directory repo
/// has a few hundred files; a home directory given by mistake is not walked forever).
pub const MAX_SCANNED_ENTRIES: usize = 100_000;

/// Write `files` below `out` as a complete replacement of an earlier export:
/// files an export wrote (they start with [`super::HEADER`]) that this one
/// does not write are removed, with the folders they leave empty; a file this
/// export would overwrite that no export wrote is refused, naming it, before
/// anything is written. Other files are kept. Nothing is written, read or
/// removed through a symbolic link.
pub fn replace_export(out: &Path, files: &[ExportedFile]) -> Result<Replaced, WriteError> {
    let writing: std::collections::HashSet<PathBuf> =
        files.iter().map(|f| PathBuf::from(&f.path)).collect();
    let existing = if out.exists() {
        // A link on the way is refused first, naming it (before any other judgement).
        let root = out.canonicalize().map_err(io(out))?;
        for f in files {
            write_one(out, &root, f, false)?;
        }
        existing_yaml(out)?
    } else {
        Vec::new()
    };
    let mut clash = Vec::new();
    let mut stale = Vec::new();
    let mut kept = Vec::new();
    for (rel, ours) in existing {
        match (writing.contains(&rel), ours) {
            (true, true) => {}
            (true, false) => clash.push(out.join(&rel)),
            (false, true) => stale.push(rel),
            (false, false) => kept.push(out.join(&rel)),
        }
    }
    if !clash.is_empty() {
        return Err(WriteError::Clash { files: clash });
    }
    write_files(out, files)?;
    let root = out.canonicalize().map_err(io(out))?;
    let mut removed = Vec::new();
    for rel in stale {
        remove_stale(&root, &rel)?;
        removed.push(out.join(&rel));
    }
    Ok(Replaced { removed, kept })
}

/// The YAML files below `out` (relative paths; hidden entries and links are
/// not entered), each with whether an export wrote it.
fn existing_yaml(out: &Path) -> Result<Vec<(PathBuf, bool)>, WriteError> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    let mut seen = 0usize;
    while let Some(rel) = pending.pop() {
        let dir = out.join(&rel);
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            seen += 1;
            if seen > MAX_SCANNED_ENTRIES {
                return Err(WriteError::Io {
                    path: out.to_path_buf(),
                    source: std::io::Error::other(format!(
                        "more than {MAX_SCANNED_ENTRIES} entries: not an exported repo; choose another --out"
                    )),
                });
            }
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let child = rel.join(&name);
            let ft = entry.file_type().map_err(io(&entry.path()))?;
            let yaml = matches!(
                Path::new(&name).extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml")
            );
            if ft.is_dir() {
                pending.push(child);
            } else if ft.is_file() && yaml {
                let ours = starts_with_header(&entry.path()).map_err(io(&entry.path()))?;
                found.push((child, ours));
            } else if yaml {
                // A link or a special file: never read, never removed.
                found.push((child, false));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Whether the regular file at `path` begins with export's header (read without following a link).
fn starts_with_header(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Ok(false);
    }
    let header = super::HEADER.as_bytes();
    let mut head = Vec::with_capacity(header.len());
    file.take(header.len() as u64).read_to_end(&mut head)?;
    Ok(head == header)
}

/// Remove the stale exported file `rel` below `root` (canonical), then the
/// folders it leaves empty up to `root`. Refused when a folder on the way is
/// now a link, or the file is no longer a regular file.
fn remove_stale(root: &Path, rel: &Path) -> Result<(), WriteError> {
    let target = root.join(rel);
    let parent = target.parent().unwrap_or(root).to_path_buf();
    let real_parent = parent.canonicalize().map_err(io(&parent))?;
    if real_parent != parent {
        return Err(link(&target, &parent));
    }
    match std::fs::symlink_metadata(&target) {
        Ok(m) if m.file_type().is_symlink() => return Err(link(&target, &target)),
        Ok(m) if m.is_file() => std::fs::remove_file(&target).map_err(io(&target))?,
        Ok(_) => {
            return Err(WriteError::WrongKind {
                file: target.clone(),
                found: target,
                expected: "regular file",
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&target)(e)),
    }
    // Folders emptied by the removal go too (remove_dir removes only an empty folder, never a link's target).
    let mut dir = parent;
    while dir != root && dir.starts_with(root) {
        if std::fs::remove_dir(&dir).is_err() {
            break;
        }
        if !dir.pop() {
            break;
        }
    }
    Ok(())
}

/// Write `files` below `out` (created if missing). Existing files of the same
/// name are replaced; nothing else is touched or deleted.
pub fn write_files(out: &Path, files: &[ExportedFile]) -> Result<(), WriteError> {
    std::fs::create_dir_all(out).map_err(io(out))?;
    let root = out.canonicalize().map_err(io(out))?;
    // Every target is checked before the first file is written, so a link
    // found late does not leave a half-written repo.
    for f in files {
        write_one(out, &root, f, false)?;
    }
    for f in files {
        write_one(out, &root, f, true)?;
    }
    Ok(())
}

/// Check (and with `write`, write) one file.
fn write_one(out: &Path, root: &Path, f: &ExportedFile, write: bool) -> Result<(), WriteError> {
    let rel = Path::new(&f.path);
    let parts: Vec<&std::ffi::OsStr> = rel
        .components()
        .map(|c| match c {
            Component::Normal(p) => Ok(p),
            _ => Err(WriteError::BadPath(f.path.clone())),
        })
        .collect::<Result<_, _>>()?;
    let Some((name, folders)) = parts.split_last() else {
        return Err(WriteError::BadPath(f.path.clone()));
    };
    let shown = out.join(rel);
    let mut dir = root.to_path_buf();
    for folder in folders {
        dir.push(folder);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_symlink() => return Err(link(&shown, &dir)),
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(WriteError::WrongKind {
                    file: shown,
                    found: dir,
                    expected: "folder",
                });
            }
            // Checking only: nothing below a missing folder can be in the way.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !write => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match std::fs::create_dir(&dir) {
                    Ok(()) => {}
                    // Created meanwhile by someone else: judge what is there now.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        let m = std::fs::symlink_metadata(&dir).map_err(io(&dir))?;
                        if m.file_type().is_symlink() {
                            return Err(link(&shown, &dir));
                        }
                        if !m.is_dir() {
                            return Err(WriteError::WrongKind {
                                file: shown,
                                found: dir,
                                expected: "folder",
                            });
                        }
                    }
                    Err(e) => return Err(io(&dir)(e)),
                }
            }
            Err(e) => return Err(io(&dir)(e)),
        }
    }
    let target = dir.join(name);
    match std::fs::symlink_metadata(&target) {
        Ok(m) if m.file_type().is_symlink() => return Err(link(&shown, &target)),
        Ok(m) if !m.is_file() => {
            return Err(WriteError::WrongKind {
                file: shown,
                found: target,
                expected: "regular file",
            });
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&target)(e)),
    }
    if !write {
        return Ok(());
    }
    let tmp = crate::private_file::temp_name(&target).map_err(io(&target))?;
    let written = (|| {
        let mut h = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        h.write_all(f.text.as_bytes())?;
        h.sync_all()?;
        drop(h);
        // The folder must still be the one checked above (not swapped for a link meanwhile).
        let landed = tmp
            .parent()
            .map(Path::canonicalize)
            .transpose()?
            .unwrap_or_default();
        if landed != dir {
            return Err(std::io::Error::other(format!(
                "{} changed while it was being written (a link was put in its place?)",
                dir.display()
            )));
        }
        std::fs::rename(&tmp, &target)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(&shown)(e));
    }
    Ok(())
}

fn link(file: &Path, link: &Path) -> WriteError {
    WriteError::Link {
        file: file.to_path_buf(),
        link: link.to_path_buf(),
        target: std::fs::read_link(link).ok(),
    }
}
