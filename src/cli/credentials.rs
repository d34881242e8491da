//! The credentials ledger on disk (format: [`crate::apply::credentials`]):
//! `--credentials-out FILE` (with passwords), or, without it, the state
//! directory's `new-users.tsv` (without). Both are append-only, mode 0600,
//! never written through a symbolic link; `pending` lines reach the disk
//! (`fsync`) before the creates they announce are sent.

use std::collections::HashSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use secrecy::SecretString;

use crate::apply::credentials::{self as fmt, Ledger, Review, Settled};
use crate::model::Upn;

/// Name of the password-less ledger in the state directory.
pub const STATE_LEDGER: &str = "new-users.tsv";

/// A ledger larger than this is not one entraform wrote (and is not read into memory).
const MAX_LEDGER: u64 = 64 << 20;

/// How to reset a password, in words the operator can act on.
/// (Graph: "To update another user's password … update the passwordProfile
/// property of the user", learn.microsoft.com/graph/api/user-changepassword.)
pub const RESET_HINT: &str = "reset it in the Microsoft Entra admin center (Users → the user → Reset password), or with Graph: PATCH /users/{upn} with {\"passwordProfile\": {\"password\": \"…\", \"forceChangePasswordNextSignIn\": true}}";

/// An open ledger file.
pub struct LedgerFile {
    path: PathBuf,
    file: File,
    passwords: bool,
}

impl LedgerFile {
    /// Open `path` for appending (created 0600 if missing) and read what it holds.
    pub fn open(path: &Path, passwords: bool) -> anyhow::Result<(LedgerFile, Ledger)> {
        let file = crate::private_file::open_private_append(path)
            .with_context(|| format!("cannot open the credentials file {}", path.display()))?;
        let mut bytes = Vec::new();
        (&file)
            .take(MAX_LEDGER + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if bytes.len() as u64 > MAX_LEDGER {
            anyhow::bail!(
                "{} is larger than {} MiB: not a credentials file entraform keeps; name a new file",
                path.display(),
                MAX_LEDGER >> 20
            );
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            anyhow::anyhow!(
                "{} is not UTF-8 text (byte {}): not a credentials file entraform keeps; name a new file",
                path.display(),
                e.utf8_error().valid_up_to()
            )
        })?;
        let mut ledger = LedgerFile {
            path: path.to_path_buf(),
            file,
            passwords,
        };
        if text.is_empty() {
            let header = if passwords {
                fmt::HEADER
            } else {
                fmt::HEADER_NO_PASSWORDS
            };
            ledger
                .append(header, true)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok((ledger, fmt::parse(&text)))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether passwords are written here (`--credentials-out`), or only states.
    pub fn keeps_passwords(&self) -> bool {
        self.passwords
    }

    fn append(&mut self, text: &str, sync: bool) -> std::io::Result<()> {
        self.file.write_all(text.as_bytes())?;
        if sync {
            self.file.sync_data()?;
        }
        Ok(())
    }

    /// Record these users as `pending` and flush them to disk.
    pub fn pending(&mut self, users: &[(&Upn, &SecretString)]) -> std::io::Result<()> {
        let mut text = String::new();
        for (upn, pw) in users {
            let line = fmt::pending_line(upn, self.passwords.then_some(*pw))
                .map_err(std::io::Error::other)?;
            text.push_str(&line);
        }
        self.append(&text, true)
    }

    /// Record a Temporary Access Pass Graph issued, flushed to disk at once
    /// (Graph shows it only in that answer).
    pub fn temporary_access_pass(&mut self, upn: &Upn, pass: &SecretString) -> std::io::Result<()> {
        let line = fmt::tap_line(upn, pass).map_err(std::io::Error::other)?;
        self.append(&line, true)
    }

    /// Record a password `reset_password_after` set, flushed to disk at once.
    pub fn password_reset(&mut self, upn: &Upn, password: &SecretString) -> std::io::Result<()> {
        let line = fmt::reset_line(upn, password).map_err(std::io::Error::other)?;
        self.append(&line, true)
    }

    /// Record how a create ended (flushed to disk at [`LedgerFile::sync`]).
    pub fn settle(&mut self, upn: &Upn, how: Settled) -> std::io::Result<()> {
        self.append(&fmt::settled_line(upn, how), false)
    }

    /// Flush everything to disk.
    pub fn sync(&mut self) -> std::io::Result<()> {
        self.file.sync_data()
    }
}

/// Review a ledger read at the start of a run: lines that could not be read
/// are warned about, superseded creates are closed (`not-created`), and the
/// users whose password is unknown are returned and marked `listed` (each is
/// listed once).
pub fn review(
    file: &mut LedgerFile,
    ledger: &Ledger,
    creating: &HashSet<Upn>,
) -> anyhow::Result<Review> {
    for (line, why) in &ledger.problems {
        eprintln!(
            "warning: {}:{line}: {why}; line ignored",
            file.path.display()
        );
    }
    let r = fmt::review(ledger, creating, file.passwords);
    let write = |file: &mut LedgerFile| -> std::io::Result<()> {
        for upn in &r.superseded {
            file.settle(upn, Settled::NotCreated)?;
        }
        for upn in r.unconfirmed.iter().map(|(u, _)| u).chain(&r.not_kept) {
            file.settle(upn, Settled::Listed)?;
        }
        file.sync()
    };
    write(file).with_context(|| format!("cannot write {}", file.path.display()))?;
    Ok(r)
}

/// At most this many UPNs are named in one message.
const NAMED: usize = 50;

/// `a, b, c and 7 more`.
pub fn some_upns<'a>(upns: impl Iterator<Item = &'a Upn>) -> String {
    let all: Vec<&Upn> = upns.collect();
    let mut s = all
        .iter()
        .take(NAMED)
        .map(|u| u.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    if all.len() > NAMED {
        s.push_str(&format!(" and {} more", all.len() - NAMED));
    }
    s
}

/// Tell the operator whose password is unknown after an earlier run, and what to do.
pub fn report_review(path: &Path, r: &Review) {
    let (in_file, lost): (Vec<_>, Vec<_>) = r.unconfirmed.iter().partition(|(_, kept)| *kept);
    if !in_file.is_empty() {
        eprintln!(
            "warning: {} user(s) were created by an earlier run that stopped before Graph confirmed them: {}. \
             Their initial password is their `pending` line in {}; if a user cannot sign in with it, {RESET_HINT}.",
            in_file.len(),
            some_upns(in_file.iter().map(|(u, _)| u)),
            path.display()
        );
    }
    let unknown: Vec<&Upn> = lost.iter().map(|(u, _)| u).chain(&r.not_kept).collect();
    if !unknown.is_empty() {
        eprintln!(
            "warning: {} user(s) were created by an earlier run without --credentials-out, so their initial password is unknown: {}. \
             To hand them over, {RESET_HINT}.",
            unknown.len(),
            some_upns(unknown.into_iter())
        );
    }
}
