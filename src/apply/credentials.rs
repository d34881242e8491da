//! The credentials ledger (pure part): the line format of `--credentials-out`
//! and of the state directory's password-less `new-users.tsv`, and what a later
//! run makes of it.
//!
//! One record per line, fields separated by a TAB, appended and never rewritten:
//!
//! ```text
//! upn<TAB>password<TAB>pending   written and flushed to disk before the create is sent
//! upn<TAB>confirmed              Graph created the user (with that password)
//! upn<TAB>not-created            Graph refused the create, or it was never sent:
//!                                that password was never used
//! upn<TAB>listed                 a later run listed this user as unconfirmed (once)
//! upn<TAB>pass<TAB>temporary-access-pass
//!                                a Temporary Access Pass Graph issued (onboarding);
//!                                not a create record: it leaves the UPN's state alone
//! upn<TAB>password<TAB>password-reset
//!                                a password set by `reset_password_after` (Graph took it)
//! ```
//!
//! Lines starting with `#` are comments. In `new-users.tsv` (kept when no
//! `--credentials-out` is given) the password field is empty. The last record
//! of a UPN is its state: a `pending` never followed by another record means the
//! run stopped (killed, or its `$batch` POST failed) before Graph confirmed the
//! user; whether the user exists is then read from the next plan.

use std::collections::HashSet;

use secrecy::{ExposeSecret, SecretString};

use crate::model::Upn;

/// The header written at the top of a new ledger.
pub const HEADER: &str = "# entraform credentials: new users' initial passwords (upn<TAB>password<TAB>pending, then upn<TAB>confirmed | not-created | listed).\n# Hand each password over securely, then delete this file.\n";

/// The header of the password-less ledger in the state directory.
pub const HEADER_NO_PASSWORDS: &str = "# entraform: users created without --credentials-out (upn<TAB><TAB>pending, then upn<TAB>confirmed | not-created | listed); no passwords here.\n";

/// How a create ended, as recorded after Graph's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Graph created the user.
    Confirmed,
    /// Graph did not create the user (refused, or not sent).
    NotCreated,
    /// Listed by a later run as unconfirmed.
    Listed,
}

impl Settled {
    fn word(self) -> &'static str {
        match self {
            Settled::Confirmed => "confirmed",
            Settled::NotCreated => "not-created",
            Settled::Listed => "listed",
        }
    }
}

/// Why a password cannot go into the ledger.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// A TAB or line break would break the line format.
    #[error(
        "the initial password of {0} contains a TAB or a line break, which the credentials file cannot hold"
    )]
    Unwritable(String),
}

/// The `pending` line of a new user (password empty when it is not kept).
pub fn pending_line(upn: &Upn, password: Option<&SecretString>) -> Result<String, LineError> {
    let pw = password.map_or("", |p| p.expose_secret());
    if pw.contains(['\t', '\n', '\r']) || upn.as_str().contains(['\t', '\n', '\r']) {
        return Err(LineError::Unwritable(upn.to_string()));
    }
    Ok(format!("{upn}\t{pw}\tpending\n"))
}

/// The line of a Temporary Access Pass Graph issued to `upn`.
pub fn tap_line(upn: &Upn, pass: &SecretString) -> Result<String, LineError> {
    let p = pass.expose_secret();
    if p.contains(['\t', '\n', '\r']) || upn.as_str().contains(['\t', '\n', '\r']) {
        return Err(LineError::Unwritable(upn.to_string()));
    }
    Ok(format!("{upn}\t{p}\ttemporary-access-pass\n"))
}

/// The line of a password `reset_password_after` set for `upn`.
pub fn reset_line(upn: &Upn, password: &SecretString) -> Result<String, LineError> {
    let p = password.expose_secret();
    if p.contains(['\t', '\n', '\r']) || upn.as_str().contains(['\t', '\n', '\r']) {
        return Err(LineError::Unwritable(upn.to_string()));
    }
    Ok(format!("{upn}\t{p}\tpassword-reset\n"))
}

/// The line recording how a create ended.
pub fn settled_line(upn: &Upn, how: Settled) -> String {
    format!("{upn}\t{}\n", how.word())
}

/// The last state of each UPN in a ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Sent (or about to be) and never confirmed; `true` when the password is in the file.
    Pending(bool),
    /// Settled.
    Settled(Settled),
}

/// A ledger read back: each UPN's last state, in order of first appearance,
/// and the lines that could not be read (1-based line number and why).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    /// UPN and last state.
    pub users: Vec<(Upn, State)>,
    /// Unreadable lines.
    pub problems: Vec<(usize, String)>,
}

/// Read a ledger's text. Never fails: unreadable lines are reported in [`Ledger::problems`].
pub fn parse(text: &str) -> Ledger {
    let mut ledger = Ledger::default();
    let mut index: std::collections::HashMap<Upn, usize> = std::collections::HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let state = match fields.as_slice() {
            // A pass issued to a user: no bearing on how its create ended.
            [_, _, "temporary-access-pass" | "password-reset"] => continue,
            [_, pw, "pending"] => State::Pending(!pw.is_empty()),
            [_, "confirmed"] => State::Settled(Settled::Confirmed),
            [_, "not-created"] => State::Settled(Settled::NotCreated),
            [_, "listed"] => State::Settled(Settled::Listed),
            _ => {
                ledger.problems.push((
                    n + 1,
                    "not a credentials record (expected `upn<TAB>password<TAB>pending` or `upn<TAB>confirmed|not-created|listed`)".into(),
                ));
                continue;
            }
        };
        let upn = Upn::new_unchecked(fields[0].trim());
        if upn.as_str().is_empty() || !upn.as_str().contains('@') {
            ledger
                .problems
                .push((n + 1, "the first field is not a UPN".into()));
            continue;
        }
        match index.get(&upn) {
            Some(&i) => ledger.users[i].1 = state,
            None => {
                index.insert(upn.clone(), ledger.users.len());
                ledger.users.push((upn, state));
            }
        }
    }
    ledger
}

/// What a new run makes of a ledger: whose password is unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Review {
    /// Created by an earlier run that stopped before Graph confirmed it (the
    /// plan does not create them again, so they exist), with whether the
    /// password is in the file.
    pub unconfirmed: Vec<(Upn, bool)>,
    /// Created, and confirmed, but the generated password was not kept (a
    /// password-less ledger: no `--credentials-out`).
    pub not_kept: Vec<Upn>,
    /// The earlier create never took effect (the plan creates them again).
    pub superseded: Vec<Upn>,
}

/// Sort a ledger's users: `pending` ones by whether this run's plan creates
/// them again; in a password-less ledger (`keeps_passwords` false), confirmed
/// ones have an unknown password.
pub fn review(ledger: &Ledger, creating: &HashSet<Upn>, keeps_passwords: bool) -> Review {
    let mut r = Review::default();
    for (upn, state) in &ledger.users {
        match state {
            State::Pending(_) if creating.contains(upn) => r.superseded.push(upn.clone()),
            State::Pending(has_password) => r.unconfirmed.push((upn.clone(), *has_password)),
            State::Settled(Settled::Confirmed) if !keeps_passwords => r.not_kept.push(upn.clone()),
            State::Settled(_) => {}
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upn(s: &str) -> Upn {
        Upn::new_unchecked(s)
    }

    #[test]
    fn lines_round_trip_and_the_last_record_wins() {
        let pw = SecretString::from("Xy7!abcdefghijkmnopq");
        let mut text = String::from(HEADER);
        text.push_str(&pending_line(&upn("a@contoso.com"), Some(&pw)).unwrap());
        text.push_str(&pending_line(&upn("b@contoso.com"), Some(&pw)).unwrap());
        text.push_str(&pending_line(&upn("c@contoso.com"), None).unwrap());
        text.push_str(&settled_line(&upn("A@Contoso.com"), Settled::Confirmed));
        text.push_str("garbage line\n");
        text.push_str("\tconfirmed\n");
        let l = parse(&text);
        assert_eq!(
            l.users,
            vec![
                (upn("a@contoso.com"), State::Settled(Settled::Confirmed)),
                (upn("b@contoso.com"), State::Pending(true)),
                (upn("c@contoso.com"), State::Pending(false)),
            ]
        );
        assert_eq!(
            l.problems.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            vec![7, 8]
        );
        let creating: HashSet<Upn> = [upn("c@contoso.com")].into_iter().collect();
        let r = review(&l, &creating, true);
        assert_eq!(r.unconfirmed, vec![(upn("b@contoso.com"), true)]);
        assert_eq!(r.superseded, vec![upn("c@contoso.com")]);
        assert!(r.not_kept.is_empty());
        // Without passwords in the file, a confirmed user's password is unknown.
        let r = review(&l, &HashSet::new(), false);
        assert_eq!(r.not_kept, vec![upn("a@contoso.com")]);
        assert_eq!(
            r.unconfirmed,
            vec![(upn("b@contoso.com"), true), (upn("c@contoso.com"), false)]
        );
    }

    #[test]
    fn passwords_that_would_break_the_format_are_refused() {
        for bad in ["a\tb", "a\nb", "a\rb"] {
            let pw = SecretString::from(bad);
            let e = pending_line(&upn("a@contoso.com"), Some(&pw)).unwrap_err();
            assert!(!e.to_string().contains(bad));
        }
    }
}
