//! Renderers: a [`Plan`] as text for terminals, Markdown for pull-request
//! comments, versioned JSON for machines, and DOT for the dependency graph.
//!
//! Every renderer is a pure function of the plan and the options: the same
//! plan always renders to byte-identical output (no clock, no hash-map
//! order, no environment lookups). Whether to colour is the caller's
//! decision (`--color`, a TTY, `NO_COLOR`); the renderers only obey
//! [`RenderOptions::color`].

mod common;
mod dot;
pub mod github;
pub(crate) mod json;
mod markdown;
mod text;

use super::Plan;

/// The output formats of `entraform plan --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanFormat {
    /// Terraform-like text for terminals: `+ ~ - !` per operation, grouped by object.
    Text,
    /// Markdown for pull-request comments, kept under GitHub's comment size limit.
    Markdown,
    /// Versioned JSON (`docs/plan-format.md`).
    Json,
    /// Graphviz DOT of the dependency graph, one rank per wave.
    Dot,
}

impl PlanFormat {
    /// Every format, in documentation order.
    pub const ALL: [PlanFormat; 4] = [
        PlanFormat::Text,
        PlanFormat::Markdown,
        PlanFormat::Json,
        PlanFormat::Dot,
    ];

    /// The name used on the command line (`text`, `markdown`, `json`, `dot`).
    pub fn name(self) -> &'static str {
        match self {
            PlanFormat::Text => "text",
            PlanFormat::Markdown => "markdown",
            PlanFormat::Json => "json",
            PlanFormat::Dot => "dot",
        }
    }

    /// The usual file extension of a saved rendering (`txt`, `md`, `json`, `dot`).
    pub fn extension(self) -> &'static str {
        match self {
            PlanFormat::Text => "txt",
            PlanFormat::Markdown => "md",
            PlanFormat::Json => "json",
            PlanFormat::Dot => "dot",
        }
    }
}

impl std::str::FromStr for PlanFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "text" | "txt" => Ok(PlanFormat::Text),
            "markdown" | "md" => Ok(PlanFormat::Markdown),
            "json" => Ok(PlanFormat::Json),
            "dot" => Ok(PlanFormat::Dot),
            other => Err(format!(
                "unknown plan format `{other}`; use text, markdown, json or dot"
            )),
        }
    }
}

impl std::fmt::Display for PlanFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Default for [`RenderOptions::max_markdown_chars`]: under GitHub's 65,536-character
/// comment limit, with room for a heading a CI step may add.
pub const DEFAULT_MAX_MARKDOWN_CHARS: usize = 65_000;

/// How to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colours in text output (green `+`, yellow `~`, red `-`). Ignored by
    /// the other formats. Off by default.
    pub color: bool,
    /// Largest Markdown output, in bytes (so also in characters). A longer
    /// rendering is summarised: the summary, tables, gates and errors stay,
    /// and object sections are dropped from the end with a note saying how
    /// many were left out.
    pub max_markdown_chars: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            max_markdown_chars: DEFAULT_MAX_MARKDOWN_CHARS,
        }
    }
}

/// Render `plan` in `format`. Deterministic: the same plan and options give
/// byte-identical output. Every format ends with a newline.
pub fn render(plan: &Plan, format: PlanFormat, opts: &RenderOptions) -> String {
    match format {
        PlanFormat::Text => text::render(plan, opts),
        PlanFormat::Markdown => markdown::render(plan, opts),
        PlanFormat::Json => json::render(plan),
        PlanFormat::Dot => dot::render(plan),
    }
}
