//! Diagnostics as values: a stable code, a message, where, and how to fix it.

use serde::Serialize;

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
    SelfManager => "self-manager": "a user is declared as his own manager",
    ManagerCycle => "manager-cycle": "managers form a loop",
    UnknownGroup => "unknown-group": "a reference to a group that is not declared",
    UnknownRole => "unknown-role": "a role that is neither built in nor declared",
    Contradiction => "contradiction": "two declarations that cannot both hold",
    DynamicGroupMembers => "dynamic-group-members": "members declared for a dynamic group",
    InvalidCountryCode => "invalid-country-code": "not an ISO 3166-1 alpha-2 code where Graph needs one",
    LiteralPassword => "literal-password": "a password written in YAML",
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
            message: message.into(),
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
            message: message.into(),
            primary: None,
            related: Vec::new(),
            help: None,
        }
    }
    /// Add the label text of the primary location.
    pub fn label(mut self, text: impl Into<String>) -> Self {
        if let Some(p) = &mut self.primary {
            p.message = text.into();
        }
        self
    }
    /// Add a related location.
    pub fn related(mut self, loc: Loc, text: impl Into<String>) -> Self {
        self.related.push(Label {
            loc,
            message: text.into(),
        });
        self
    }
    /// Add a hint.
    pub fn help(mut self, text: impl Into<String>) -> Self {
        self.help = Some(text.into());
        self
    }
}
