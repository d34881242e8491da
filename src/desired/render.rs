//! Rendering diagnostics: one model, three outputs (human, JSON, GitHub annotations).

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde_json::json;

use super::diagnostic::{Diagnostic, Label, Severity};
use super::source::{Loc, SourceMap};

/// Output formats for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Source snippets with carets, for terminals.
    Human,
    /// One JSON document, for tools.
    Json,
    /// GitHub Actions workflow commands (`::error file=…::`), shown inline on PRs.
    Github,
}

/// Render diagnostics in the given format; `color` only affects `Human`.
pub fn render(diags: &[Diagnostic], sources: &SourceMap, format: Format, color: bool) -> String {
    match format {
        Format::Human => human(diags, sources, color),
        Format::Json => json(diags, sources),
        Format::Github => github(diags, sources),
    }
}

fn level(sev: Severity) -> Level<'static> {
    match sev {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    }
}

/// Render for a terminal, rustc style.
pub fn human(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let mut out = String::new();
    for d in diags {
        let mut labels: Vec<(&Label, AnnotationKind)> = Vec::new();
        if let Some(p) = &d.primary {
            labels.push((p, AnnotationKind::Primary));
        }
        labels.extend(d.related.iter().map(|l| (l, AnnotationKind::Context)));
        // One snippet per file, in order of first appearance.
        let mut files: Vec<super::source::FileId> = Vec::new();
        for (l, _) in &labels {
            if !files.contains(&l.loc.file) {
                files.push(l.loc.file);
            }
        }
        let mut group = Group::with_title(
            level(d.severity)
                .primary_title(d.message.as_str())
                .id(d.code.as_str()),
        );
        for f in files {
            let Some(src) = sources.get(f) else { continue };
            let mut snippet = Snippet::source(src.text.as_str()).path(src.name.as_str());
            for (l, kind) in labels.iter().filter(|(l, _)| l.loc.file == f) {
                let mut range = src.byte_range(l.loc.span);
                if range.is_empty() {
                    range.end = (range.start + 1).min(src.text.len());
                }
                snippet = snippet.annotation(kind.span(range).label(l.message.as_str()));
            }
            group = group.element(snippet);
        }
        if let Some(h) = &d.help {
            group = group.element(Level::HELP.message(h.as_str()));
        }
        out.push_str(&renderer.render(&[group]));
        out.push_str("\n\n");
    }
    out
}

fn position(sources: &SourceMap, loc: &Loc) -> serde_json::Value {
    json!({
        "file": sources.name(loc.file),
        "line": loc.span.start.line,
        "column": loc.span.start.col + 1,
        "end_line": loc.span.end.line,
        "end_column": loc.span.end.col + 1,
    })
}

/// Render as one JSON document: `{"version":1,"errors":N,"warnings":N,"diagnostics":[…]}`.
pub fn json(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let items: Vec<serde_json::Value> = diags
        .iter()
        .map(|d| {
            let mut v = json!({
                "code": d.code.as_str(),
                "severity": d.severity,
                "message": d.message,
                "help": d.help,
            });
            if let Some(p) = &d.primary {
                v["location"] = position(sources, &p.loc);
                v["label"] = json!(p.message);
            }
            v["related"] = d
                .related
                .iter()
                .map(|l| {
                    let mut r = position(sources, &l.loc);
                    r["message"] = json!(l.message);
                    r
                })
                .collect();
            v
        })
        .collect();
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let doc = json!({
        "version": 1,
        "errors": errors,
        "warnings": diags.len() - errors,
        "diagnostics": items,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Render as GitHub Actions workflow commands, one line per diagnostic.
pub fn github(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        let cmd = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = Vec::new();
        if let Some(p) = &d.primary {
            let s = p.loc.span;
            props.push(format!(
                "file={}",
                escape_property(sources.name(p.loc.file))
            ));
            props.push(format!("line={}", s.start.line));
            props.push(format!("col={}", s.start.col + 1));
            if s.end.line > s.start.line {
                props.push(format!("endLine={}", s.end.line));
            } else if s.end.col > s.start.col {
                props.push(format!("endColumn={}", s.end.col + 1));
            }
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("entraform: {}", d.code.as_str()))
        ));
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            msg.push_str("\nhelp: ");
            msg.push_str(h);
        }
        for r in &d.related {
            let s = r.loc.span;
            msg.push_str(&format!(
                "\nsee {}:{}:{}{}{}",
                sources.name(r.loc.file),
                s.start.line,
                s.start.col + 1,
                if r.message.is_empty() { "" } else { ": " },
                r.message
            ));
        }
        out.push_str(&format!(
            "::{cmd} {}::{}\n",
            props.join(","),
            escape_data(&msg)
        ));
    }
    out
}
