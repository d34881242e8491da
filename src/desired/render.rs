//! Rendering diagnostics: one model, three outputs (human, JSON, GitHub annotations).

use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use serde_json::json;

use super::diagnostic::{Diagnostic, Label, Severity};
use super::limits::{MAX_SNIPPET_LINE_CHARS, MAX_SNIPPET_SPAN_LINES};
use super::source::{Loc, SourceFile, SourceMap};

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
///
/// Snippets show only the lines around each label, and a line longer than
/// [`MAX_SNIPPET_LINE_CHARS`] only as a window around the label: the cost and
/// the output of one diagnostic stay small even in a minified 10 MB file.
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
        // Snippets per file, in order of first appearance.
        let mut files: Vec<super::source::FileId> = Vec::new();
        for (l, _) in &labels {
            if !files.contains(&l.loc.file) {
                files.push(l.loc.file);
            }
        }
        let mut excerpts: Vec<(&SourceFile, Excerpt)> = Vec::new();
        for f in files {
            let Some(src) = sources.get(f) else { continue };
            let marks: Vec<Mark> = labels
                .iter()
                .filter(|(l, _)| l.loc.file == f)
                .map(|(l, kind)| Mark::new(src, l, *kind))
                .collect();
            excerpts.extend(excerpts_of(src, marks).into_iter().map(|e| (src, e)));
        }
        let mut group = Group::with_title(
            level(d.severity)
                .primary_title(d.message.as_str())
                .id(d.code.as_str()),
        );
        for (src, e) in &excerpts {
            let mut snippet = Snippet::source(e.text.as_str()).line_start(e.first_line as usize);
            match e.lead {
                // A line cut at the front: the renderer would count columns in the excerpt,
                // so the true position goes in an explicit origin line.
                Some((line, col)) => {
                    group = group.element(
                        Origin::path(src.name.as_str())
                            .line(line as usize)
                            .char_column(col as usize + 1),
                    );
                }
                None => snippet = snippet.path(src.name.as_str()),
            }
            for (range, kind, label) in &e.annotations {
                snippet = snippet.annotation((*kind).span(range.clone()).label(*label));
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

/// A label's place in its file, in lines (1-based) and character columns.
struct Mark<'d> {
    start: (u32, u32),
    end: (u32, u32),
    kind: AnnotationKind,
    label: &'d str,
}

impl<'d> Mark<'d> {
    fn new(src: &SourceFile, l: &'d Label, kind: AnnotationKind) -> Self {
        let last = src.line_count().max(1);
        let clamp = |line: u32| line.clamp(1, last);
        let s = l.loc.span;
        let start = (clamp(s.start.line), s.start.col);
        let mut end = (clamp(s.end.line), s.end.col).max(start);
        if end.0 - start.0 > MAX_SNIPPET_SPAN_LINES {
            // A long multi-line span (a whole user entry) is shown by its first line.
            end = (start.0, u32::MAX);
        }
        Mark {
            start,
            end,
            kind,
            label: l.message.as_str(),
        }
    }
}

/// Lines of one file shown as one snippet: the text and the annotations in it.
struct Excerpt<'d> {
    text: String,
    first_line: u32,
    /// Where the lead annotation is, when some line was cut at the front.
    lead: Option<(u32, u32)>,
    annotations: Vec<(Range<usize>, AnnotationKind, &'d str)>,
}

/// One shown line: where it starts in the excerpt and which columns of it are shown.
struct ShownLine {
    /// Byte offset in the excerpt of the first shown character.
    at: usize,
    /// Column of the first shown character.
    from_col: u32,
    /// Byte offset (from `at`) of each shown character, plus the end.
    char_bytes: Vec<usize>,
}

impl ShownLine {
    /// Excerpt offset of a column of this line (clamped to what is shown).
    fn offset(&self, col: u32) -> usize {
        let rel = col.saturating_sub(self.from_col) as usize;
        let last = self.char_bytes.last().copied().unwrap_or(0);
        self.at + self.char_bytes.get(rel).copied().unwrap_or(last)
    }
}

/// Labels closer than this many lines share one snippet (the renderer folds the gap).
const CLUSTER_GAP: u32 = 64;
/// Characters kept before a label when a long line is cut at the front.
const LEAD_CHARS: u32 = 64;

/// Group a file's labels into snippets of nearby lines; the primary label's snippet comes first.
fn excerpts_of<'d>(src: &SourceFile, mut marks: Vec<Mark<'d>>) -> Vec<Excerpt<'d>> {
    marks.sort_by_key(|m| (m.start, m.end));
    let mut clusters: Vec<Vec<Mark>> = Vec::new();
    for m in marks {
        match clusters.last_mut() {
            Some(c)
                if c.iter()
                    .map(|m| m.end.0)
                    .max()
                    .unwrap_or(0)
                    .saturating_add(CLUSTER_GAP)
                    >= m.start.0 =>
            {
                c.push(m)
            }
            _ => clusters.push(vec![m]),
        }
    }
    if let Some(i) = clusters
        .iter()
        .position(|c| c.iter().any(|m| m.kind == AnnotationKind::Primary))
    {
        let primary = clusters.remove(i);
        clusters.insert(0, primary);
    }
    clusters.into_iter().map(|c| excerpt(src, c)).collect()
}

fn excerpt<'d>(src: &SourceFile, marks: Vec<Mark<'d>>) -> Excerpt<'d> {
    let first = marks.iter().map(|m| m.start.0).min().unwrap_or(1);
    let last = marks.iter().map(|m| m.end.0).max().unwrap_or(first);
    let mut text = String::new();
    let mut lines: Vec<ShownLine> = Vec::new();
    let mut cut_front = false;
    for line in first..=last {
        if line > first {
            text.push('\n');
        }
        let range = src.line_bytes(line);
        let whole = &src.text[range.clone()];
        let anchor = marks
            .iter()
            .filter(|m| m.start.0 == line)
            .map(|m| m.start.1)
            .min();
        let from_col = match anchor {
            Some(a) if whole.len() > MAX_SNIPPET_LINE_CHARS && a > LEAD_CHARS => a - LEAD_CHARS,
            _ => 0,
        };
        let from = src.col_byte(line, from_col);
        if from > range.start {
            cut_front = true;
            text.push('…');
        }
        let at = text.len();
        let mut char_bytes = Vec::new();
        let mut more = false;
        for (n, (i, _)) in src.text[from..range.end].char_indices().enumerate() {
            if n == MAX_SNIPPET_LINE_CHARS {
                more = true;
                break;
            }
            char_bytes.push(i);
        }
        let shown_end = if more {
            char_bytes.last().map_or(from, |&i| {
                from + i
                    + src.text[from + i..]
                        .chars()
                        .next()
                        .map_or(0, char::len_utf8)
            })
        } else {
            range.end
        };
        text.push_str(&src.text[from..shown_end]);
        char_bytes.push(shown_end - from);
        if more {
            text.push('…');
        }
        lines.push(ShownLine {
            at,
            from_col,
            char_bytes,
        });
    }
    let offset = |(line, col): (u32, u32)| {
        lines
            .get((line - first) as usize)
            .map_or(text.len(), |l| l.offset(col))
    };
    let annotations = marks
        .iter()
        .map(|m| {
            let a = offset(m.start);
            let mut b = offset(m.end).max(a);
            if a == b {
                // An empty span still gets a caret: widen it to the next character.
                b = text[a..].chars().next().map_or(a, |c| a + c.len_utf8());
            }
            (a..b, m.kind, m.label)
        })
        .collect();
    let lead = cut_front.then(|| {
        marks
            .iter()
            .find(|m| m.kind == AnnotationKind::Primary)
            .or(marks.first())
            .map_or((first, 0), |m| m.start)
    });
    Excerpt {
        text,
        first_line: first,
        lead,
        annotations,
    }
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

/// A GitHub workflow command's message, escaped (`%`, CR, LF).
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A GitHub workflow command's property value, escaped (also `:` and `,`).
pub(crate) fn escape_property(s: &str) -> String {
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::desired::diagnostic::Code;
    use crate::desired::source::{FileId, Pos, Span};

    fn at(line: u32, col: u32, len: u32) -> Loc {
        Loc {
            file: FileId(0),
            span: Span {
                start: Pos {
                    index: 0,
                    line,
                    col,
                },
                end: Pos {
                    index: 0,
                    line,
                    col: col + len,
                },
            },
        }
    }

    #[test]
    fn a_label_far_into_a_huge_line_shows_a_window_and_its_true_position() {
        let long: String = (0..200_000)
            .map(|i| if i % 7 == 0 { 'é' } else { 'x' })
            .collect();
        let text = format!("users:\n  - {long}bogus: 1\n");
        let mut sources = SourceMap::default();
        sources.add(SourceFile::new(
            "u.yaml".into(),
            PathBuf::from("u.yaml"),
            text,
        ));
        let d = Diagnostic::error(Code::UnknownKey, at(2, 200_004, 5), "unknown key `bogus`")
            .label("not a known key")
            .related(at(1, 0, 5), "in this list");
        let out = human(&[d], &sources, false);
        assert!(out.contains("--> u.yaml:2:200005"), "{out}");
        assert!(
            out.contains("bogus") && out.contains("^^^^^ not a known key"),
            "{out}"
        );
        assert!(
            out.contains("1 | users:") && out.contains("----- in this list"),
            "{out}"
        );
        let longest = out.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(longest < 300, "a line of {longest} characters:\n{out}");
    }

    #[test]
    fn short_files_render_as_whole_lines() {
        let mut sources = SourceMap::default();
        let text = "users:\n  - upn: a\n    bogus: 1\n".to_string();
        sources.add(SourceFile::new(
            "u.yaml".into(),
            PathBuf::from("u.yaml"),
            text,
        ));
        let d = Diagnostic::error(Code::UnknownKey, at(3, 4, 5), "unknown key `bogus`")
            .label("not a known key");
        let out = human(&[d], &sources, false);
        assert!(out.contains(" --> u.yaml:3:5\n"), "{out}");
        assert!(out.contains("3 |     bogus: 1\n"), "{out}");
    }
}
