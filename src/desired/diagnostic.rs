//! Diagnostics as values: a stable code, a message, where, and how to fix it.

use std::borrow::Cow;

use serde::Serialize;

use super::limits::{MAX_DIAGNOSTICS, MAX_MESSAGE_CHARS, MAX_SHOWN_VALUE_CHARS};
use super::source::Loc;

macro_rules! codes {
    ($($variant:ident => $name:literal: $summary:literal,)*) => {
        /// Stable, kebab-case identifier of a kind of problem (used in JSON output and docs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $(#[doc = $summary] $variant,)* }

        impl Code {
            /// Every code, for documentation and tests.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
            /// The stable kebab-case name.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }
            /// A one-line explanation of the code.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }
        }
    };
}

codes! {
    IoError => "io-error": "a file or directory could not be read",
    YamlSyntax => "yaml-syntax": "the file is not valid YAML",
    WrongType => "wrong-type": "a value has the wrong type (e.g. a list where a string is expected)",
    UnknownKey => "unknown-key": "a key that the format does not know (often a typo)",
    MissingKey => "missing-key": "a required key is missing",
    DuplicateKey => "duplicate-key": "the same key appears twice in one mapping",
    InvalidValue => "invalid-value": "a value outside what the key accepts",
    TooLong => "too-long": "a string longer than Graph stores for this property",
    MissingTenant => "missing-tenant": "no file declares the `tenant:` block",
    DuplicateTenant => "duplicate-tenant": "more than one `tenant:` block",
    InvalidUpn => "invalid-upn": "a user principal name that Entra would reject",
    UnknownDomain => "unknown-domain": "a UPN whose domain the tenant does not list",
    DuplicateUpn => "duplicate-upn": "two users declared with the same UPN (case-insensitive)",
    DuplicateGroup => "duplicate-group": "two groups declared with the same name (case-insensitive)",
    DuplicateRole => "duplicate-role": "the same role declared twice",
    DuplicateHolding => "duplicate-holding": "the same eligibility or active assignment declared twice with different end dates or justifications",
    SelfManager => "self-manager": "a user is declared as his own manager",
    ManagerCycle => "manager-cycle": "managers form a loop",
    UnknownGroup => "unknown-group": "a reference to a group that is not declared",
    UnknownRole => "unknown-role": "a role that is neither built in nor declared",
    Contradiction => "contradiction": "two declarations that cannot both hold",
    DynamicGroupMembers => "dynamic-group-members": "members declared for a dynamic group",
    InvalidCountryCode => "invalid-country-code": "not an ISO 3166-1 alpha-2 code where Graph needs one",
    LiteralPassword => "literal-password": "a password written in YAML",
    FileTooLarge => "file-too-large": "a file, or all files together, larger than entraform reads",
    NotARegularFile => "not-a-regular-file": "a YAML file name on a FIFO, socket or device instead of a regular file",
    PathOutsideRepo => "path-outside-repo": "a link that leads out of the directory repo",
    AliasLimit => "alias-limit": "YAML anchors and aliases that would copy more than entraform builds",
    NestingTooDeep => "nesting-too-deep": "lists and mappings nested deeper than entraform reads",
    TooManyProblems => "too-many-problems": "more problems than one run lists; the rest are counted",
    NotADirectoryFile => "not-a-directory-file": "a YAML file whose top-level keys are none of entraform's (another tool's file)",
    LicenseNeedsUsageLocation => "license-needs-usage-location": "a licence for a user without `usageLocation` (Graph refuses to assign it)",
    InvalidInvite => "invalid-invite": "an `invite:` block Graph would refuse (an invalid address, a redirect URL that is not https://) or whose guest UPN cannot be derived",
    InviteUpnMismatch => "invite-upn-mismatch": "an invited guest's `upn` that is not the `#EXT#` UPN Graph gives the invited address",
    LiteralSecret => "literal-secret": "a client secret or other credential written in a `connection:` block instead of the name of the variable that holds it",
}

/// A value as a message repeats it: whole when short, else its first characters
/// and its length (`abc… (10000000 characters)`), so a huge value is never echoed.
pub fn shown(value: &str) -> Cow<'_, str> {
    match value.char_indices().nth(MAX_SHOWN_VALUE_CHARS) {
        None => Cow::Borrowed(value),
        Some((cut, _)) => Cow::Owned(format!(
            "{}… ({} characters)",
            &value[..cut],
            value.chars().count()
        )),
    }
}

/// Cut a message, label or hint to [`MAX_MESSAGE_CHARS`]: a backstop for any text
/// that repeats a value without [`shown`].
fn bounded(text: String) -> String {
    if text.len() <= MAX_MESSAGE_CHARS {
        return text;
    }
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        None => text,
        Some((cut, _)) => format!(
            "{}… (cut: {} characters in all)",
            &text[..cut],
            text.chars().count()
        ),
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The repo cannot be planned.
    Error,
    /// Suspicious but usable.
    Warning,
}

/// A labelled location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Where.
    pub loc: Loc,
    /// What is there (may be empty).
    pub message: String,
}

/// One problem found in the desired state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The main location (absent only for repo-wide problems such as a missing tenant block).
    pub primary: Option<Label>,
    /// Other places involved (the first declaration of a duplicate, the rest of a cycle).
    pub related: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at a location.
    pub fn error(code: Code, loc: Loc, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: bounded(message.into()),
            primary: Some(Label {
                loc,
                message: String::new(),
            }),
            related: Vec::new(),
            help: None,
        }
    }
    /// An error about the whole repo.
    pub fn global(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: bounded(message.into()),
            primary: None,
            related: Vec::new(),
            help: None,
        }
    }
    /// Add the label text of the primary location.
    pub fn label(mut self, text: impl Into<String>) -> Self {
        if let Some(p) = &mut self.primary {
            p.message = bounded(text.into());
        }
        self
    }
    /// Add a related location.
    pub fn related(mut self, loc: Loc, text: impl Into<String>) -> Self {
        self.related.push(Label {
            loc,
            message: bounded(text.into()),
        });
        self
    }
    /// Add a hint.
    pub fn help(mut self, text: impl Into<String>) -> Self {
        self.help = Some(bounded(text.into()));
        self
    }
}

/// Diagnostics collected up to a cap, the rest only counted: a hostile file can
/// hold millions of mistakes, and each diagnostic costs memory and output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiagList {
    /// The diagnostics kept, in the order pushed.
    pub kept: Vec<Diagnostic>,
    cap: usize,
    /// How many were left out.
    pub dropped: u64,
    /// How many of those were errors.
    pub dropped_errors: u64,
}

impl Default for DiagList {
    fn default() -> Self {
        DiagList::new(MAX_DIAGNOSTICS)
    }
}

impl DiagList {
    /// An empty list that keeps at most `cap` diagnostics.
    pub fn new(cap: usize) -> Self {
        DiagList {
            kept: Vec::new(),
            cap,
            dropped: 0,
            dropped_errors: 0,
        }
    }

    /// Keep `d`, or count it once the list is full.
    pub fn push(&mut self, d: Diagnostic) {
        if self.kept.len() < self.cap {
            self.kept.push(d);
        } else {
            self.dropped += 1;
            self.dropped_errors += u64::from(d.severity == Severity::Error);
        }
    }

    /// Diagnostics pushed so far, kept or not.
    pub fn count(&self) -> u64 {
        self.kept.len() as u64 + self.dropped
    }

    /// Push every diagnostic of `other` and add the ones it left out.
    pub fn absorb(&mut self, other: DiagList) {
        for d in other.kept {
            self.push(d);
        }
        self.dropped += other.dropped;
        self.dropped_errors += other.dropped_errors;
    }

    /// The repo-wide note on what was left out, if anything was.
    pub fn summary(&self) -> Option<Diagnostic> {
        (self.dropped > 0).then(|| {
            let mut d = Diagnostic::global(
                Code::TooManyProblems,
                format!(
                    "{} more problems ({} of them errors) were found and are not listed: \
                     entraform lists at most {MAX_DIAGNOSTICS} per run",
                    self.dropped, self.dropped_errors
                ),
            )
            .help("fix the problems listed and run again; many problems often share one cause");
            if self.dropped_errors == 0 {
                d.severity = Severity::Warning;
            }
            d
        })
    }
}
