//! Read-only reports on a tenant (`entraform report KIND`): the questions
//! admins ask every week, each answered from a few bulk Graph listings.
//!
//! Each report has a pure builder (data + `now` → rows, no I/O:
//! [`stale`], [`mfa`], [`deleted`], [`privileged`], [`licenses`]), a reader that fetches
//! its data through the Graph client ([`read`]), and one set of renderers for
//! every report ([`render`]: text, Markdown, JSON, CSV). What each shows, the
//! permission and licence it needs, and its request formula: docs/reports.md.

pub mod deleted;
pub mod licenses;
pub mod mfa;
pub mod privileged;
pub mod read;
pub mod render;
pub mod stale;
pub mod time;

use serde::Serialize;

/// One cell of a report row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    /// Text (a name, a date, a list joined with ", ").
    Text(String),
    /// A whole number (days).
    Int(i64),
    /// Yes / no.
    Bool(bool),
    /// No value (never signed in, unknown).
    Empty,
}

impl Cell {
    /// Text cell from anything string-like.
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// Text cell, or empty for `None`.
    pub fn opt(s: Option<impl Into<String>>) -> Cell {
        s.map_or(Cell::Empty, |s| Cell::Text(s.into()))
    }

    /// The cell as plain text ("" when empty).
    pub fn plain(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Bool(true) => "yes".into(),
            Cell::Bool(false) => "no".into(),
            Cell::Empty => String::new(),
        }
    }
}

/// A column: its JSON/CSV key and its heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Key in JSON objects and the CSV header (camelCase).
    pub key: &'static str,
    /// Heading for text and Markdown.
    pub title: &'static str,
}

/// A built report, ready for any renderer.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The report's name (`stale-accounts`).
    pub kind: &'static str,
    /// One line saying what the rows are.
    pub title: String,
    /// When it was made (the `now` the builder was given), ISO 8601.
    pub generated_at: String,
    /// Columns, in order.
    pub columns: &'static [Column],
    /// Rows, each with one cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// What the reader should know (limits of the data, what was not read).
    pub notes: Vec<String>,
}
