//! Files and directories only their owner may read: saved plans, the journal,
//! the credentials file and the state directory hold directory data or secrets.
//!
//! Nothing here writes through a symbolic link: whole files are written to a
//! temporary file created exclusively and renamed into place (a rename
//! replaces a link, it never follows it), and append-only files are opened
//! with `O_NOFOLLOW`. On other systems than Unix the modes are not applied
//! (the platform's ACLs decide).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Mode of private files (owner read/write).
pub const FILE_MODE: u32 = 0o600;
/// Mode of private directories (owner only).
pub const DIR_MODE: u32 = 0o700;

/// Write `bytes` to `path` atomically with mode 0600: a new temporary file
/// next to it (created exclusively, never through an existing file or link),
/// flushed to disk, then renamed over `path`. A symbolic link at `path` is
/// replaced, not followed.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_name(path)?;
    let written = (|| {
        let mut f = create_new_private(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A new file at `path`, mode 0600, failing if anything (a file or a link) is there.
pub fn create_new_private(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, FILE_MODE);
    o.open(path)
}

/// Open `path` for appending, creating it with mode 0600 if missing. A
/// symbolic link is refused (`O_NOFOLLOW`), and so is anything but a regular
/// file; an existing file readable by others is narrowed to 0600.
pub fn open_private_append(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.append(true).create(true).read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(FILE_MODE).custom_flags(libc::O_NOFOLLOW);
    }
    let f = o.open(path).map_err(|e| refine_link_error(path, e))?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            f.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
        }
    }
    Ok(f)
}

/// Create `dir` (and missing parents) if it does not exist; the directory
/// itself gets mode 0700 (parents the default). An existing directory is left
/// as it is.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => return Ok(()),
        Ok(_) => {
            return Err(io::Error::other(format!(
                "{} exists and is not a directory",
                dir.display()
            )));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut b = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, DIR_MODE);
    match b.create(dir) {
        Ok(()) => Ok(()),
        // Created meanwhile by a concurrent run: fine if it is a directory.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// `dir/.name.<random>.tmp` next to `path`.
pub(crate) fn temp_name(path: &Path) -> io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other(format!("{} names no file", path.display())))?;
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".{:016x}.tmp", fastrand::u64(..)));
    Ok(path.with_file_name(tmp))
}

/// `ELOOP` from `O_NOFOLLOW` becomes a sentence.
fn refine_link_error(path: &Path, e: io::Error) -> io::Error {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return io::Error::other(format!(
            "{} is a symbolic link; refusing to write through it (name a regular file)",
            path.display()
        ));
    }
    let _ = path;
    e
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "entraform-private-{name}-{}-{:x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn whole_files_are_0600_and_replace_links_without_following_them() {
        let d = scratch("write");
        let target = d.join("outside.txt");
        std::fs::write(&target, "keep me").unwrap();
        let link = d.join("plan.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_private(&link, b"{}").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
        assert_eq!(std::fs::read_to_string(&link).unwrap(), "{}");
        assert!(!std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(mode(&link), 0o600);
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 2);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn append_refuses_links_and_narrows_the_mode() {
        let d = scratch("append");
        let target = d.join("victim");
        std::fs::write(&target, "").unwrap();
        let link = d.join("journal.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = open_private_append(&link).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        let dangling = d.join("dangling");
        std::os::unix::fs::symlink(d.join("nowhere"), &dangling).unwrap();
        assert!(open_private_append(&dangling).is_err());
        assert!(
            !d.join("nowhere").exists(),
            "nothing created through the link"
        );

        let f = d.join("journal2.jsonl");
        std::fs::write(&f, "old\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut h = open_private_append(&f).unwrap();
        writeln!(h, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "old\nnew\n");
        assert_eq!(mode(&f), 0o600);
        let fresh = d.join("fresh");
        open_private_append(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o600);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn directories_are_0700_when_created() {
        let d = scratch("dir");
        let state = d.join("a/b/state");
        create_private_dir(&state).unwrap();
        assert_eq!(mode(&state), 0o700);
        create_private_dir(&state).unwrap();
        std::fs::write(d.join("file"), "").unwrap();
        assert!(create_private_dir(&d.join("file")).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
