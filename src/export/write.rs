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
