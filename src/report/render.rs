//! One set of renderers for every report: text (terminal), Markdown (a PR
//! or issue comment), JSON (machines, `version` 1) and CSV (spreadsheets).
//!
//! Every value comes from the tenant and is treated as hostile: control
//! characters never reach a terminal, a Markdown cell cannot break its table,
//! and a CSV cell is quoted (RFC 4180) and, when it starts with `=`, `+`,
//! `-`, `@`, a tab or a carriage return, prefixed with `'` so a spreadsheet
//! shows it as text instead of running it as a formula (OWASP "CSV
//! Injection").

use serde_json::{Map, Value, json};

use super::{Cell, Report};

/// `--format` of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for a terminal.
    Text,
    /// A Markdown table.
    Markdown,
    /// One JSON document.
    Json,
    /// Comma-separated values with a header row.
    Csv,
}

/// Render `r` in `format` (ends with a newline).
pub fn render(r: &Report, format: Format) -> String {
    match format {
        Format::Text => text(r),
        Format::Markdown => markdown(r),
        Format::Json => json(r),
        Format::Csv => csv(r),
    }
}

/// A value for a terminal: control characters (newlines, escapes) become
/// `\u{…}` text.
fn printable(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_unicode().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

fn text(r: &Report) -> String {
    let mut out = format!(
        "{}\n{}\n\n",
        printable(&r.title),
        printable(&format!("{} at {}", r.kind, r.generated_at))
    );
    if r.rows.is_empty() {
        out.push_str("Nothing to report.\n");
    } else {
        let cells: Vec<Vec<String>> = r
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|c| match c {
                        Cell::Empty => "-".to_string(),
                        c => printable(&c.plain()),
                    })
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = r
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cells
                    .iter()
                    .map(|row| row.get(i).map_or(0, |s| s.chars().count()))
                    .chain([c.title.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |vals: Vec<&str>| {
            let mut l = String::new();
            for (i, v) in vals.iter().enumerate() {
                if i + 1 == vals.len() {
                    l.push_str(v);
                } else {
                    let pad = widths[i].saturating_sub(v.chars().count());
                    l.push_str(v);
                    l.push_str(&" ".repeat(pad + 2));
                }
            }
            l.trim_end().to_string() + "\n"
        };
        out.push_str(&line(r.columns.iter().map(|c| c.title).collect()));
        for row in &cells {
            out.push_str(&line(row.iter().map(String::as_str).collect()));
        }
    }
    if !r.notes.is_empty() {
        out.push('\n');
        for n in &r.notes {
            out.push_str(&format!("note: {}\n", printable(n)));
        }
    }
    out
}

/// A Markdown table cell: one line, pipes and HTML/Markdown specials escaped.
fn md_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '~' | '&' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn markdown(r: &Report) -> String {
    let mut out = format!(
        "### {}\n\n`{}` at {}\n\n",
        md_cell(&r.title),
        r.kind,
        r.generated_at
    );
    if r.rows.is_empty() {
        out.push_str("Nothing to report.\n");
    } else {
        let titles: Vec<&str> = r.columns.iter().map(|c| c.title).collect();
        out.push_str(&format!("| {} |\n", titles.join(" | ")));
        out.push_str(&format!("|{}\n", "---|".repeat(titles.len())));
        for row in &r.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|c| match c {
                    Cell::Empty => "—".to_string(),
                    c => md_cell(&c.plain()),
                })
                .collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
    if !r.notes.is_empty() {
        out.push('\n');
        for n in &r.notes {
            out.push_str(&format!("- {}\n", md_cell(n)));
        }
    }
    out
}

fn json(r: &Report) -> String {
    let rows: Vec<Value> = r
        .rows
        .iter()
        .map(|row| {
            let mut m = Map::new();
            for (c, cell) in r.columns.iter().zip(row) {
                let v = match cell {
                    Cell::Text(s) => json!(s),
                    Cell::Int(n) => json!(n),
                    Cell::Bool(b) => json!(b),
                    Cell::Empty => Value::Null,
                };
                m.insert(c.key.to_string(), v);
            }
            Value::Object(m)
        })
        .collect();
    let doc = json!({
        "version": 1,
        "report": r.kind,
        "title": r.title,
        "generatedAt": r.generated_at,
        "columns": r.columns.iter().map(|c| json!({"key": c.key, "title": c.title})).collect::<Vec<_>>(),
        "rows": rows,
        "notes": r.notes,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// A CSV field: quoted, quotes doubled, a formula-like start neutralised.
pub fn csv_field(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Int(n) => n.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Text(s) => {
            let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
            let body = if risky { format!("'{s}") } else { s.clone() };
            format!("\"{}\"", body.replace('"', "\"\""))
        }
    }
}

fn csv(r: &Report) -> String {
    let mut out = r
        .columns
        .iter()
        .map(|c| c.key)
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    for row in &r.rows {
        out.push_str(&row.iter().map(csv_field).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::Column;
    use super::*;

    const COLS: &[Column] = &[
        Column {
            key: "name",
            title: "Name",
        },
        Column {
            key: "days",
            title: "Days",
        },
    ];

    fn report(values: &[&str]) -> Report {
        Report {
            kind: "test",
            title: "Test".into(),
            generated_at: "2026-01-01T00:00:00Z".into(),
            columns: COLS,
            rows: values
                .iter()
                .map(|v| vec![Cell::text(*v), Cell::Int(3)])
                .collect(),
            notes: vec![],
        }
    }

    #[test]
    fn csv_quotes_and_neutralises_formulas() {
        let r = report(&[
            "plain",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2+3",
            "@SUM(A1)",
            "\tTab",
            "\rCR",
            "mid=dle",
        ]);
        let out = csv(&r);
        let lines: Vec<&str> = out.split("\r\n").collect();
        assert_eq!(lines[0], "name,days");
        assert_eq!(lines[1], "\"plain\",3");
        assert_eq!(lines[2], "\"a,b\",3");
        assert_eq!(lines[3], "\"say \"\"hi\"\"\",3");
        assert_eq!(lines[4], "\"two\nlines\",3");
        assert_eq!(lines[5], "\"'=HYPERLINK(\"\"http://x\"\")\",3");
        assert_eq!(lines[6], "\"'+1\",3");
        assert_eq!(lines[7], "\"'-2+3\",3");
        assert_eq!(lines[8], "\"'@SUM(A1)\",3");
        assert_eq!(lines[9], "\"'\tTab\",3");
        assert_eq!(lines[10], "\"'\rCR\",3", "a CR inside quotes stays data");
        assert_eq!(lines[11], "\"mid=dle\",3");
    }

    #[test]
    fn text_and_markdown_keep_hostile_values_on_one_line() {
        let r = report(&["evil\n\u{1b}[31mred | x"]);
        let t = text(&r);
        assert!(!t.contains('\u{1b}'), "{t}");
        assert!(t.contains("evil\\u{a}\\u{1b}[31mred | x"), "{t}");
        let m = markdown(&r);
        assert!(m.contains("| evil  \\[31mred \\| x | 3 |"), "{m}");
    }

    #[test]
    fn json_keeps_types() {
        let r = report(&["a"]);
        let v: Value = serde_json::from_str(&json(&r)).unwrap();
        assert_eq!(v["rows"][0], json!({"name": "a", "days": 3}));
        assert_eq!(v["version"], 1);
    }
}
