//! Source files and positions: what a diagnostic points at.

use std::path::PathBuf;

/// A position in a source file, as the YAML parser reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// Offset in characters from the start of the file.
    pub index: u32,
    /// Line, 1-based.
    pub line: u32,
    /// Column in characters, 0-based.
    pub col: u32,
}

/// A range of characters in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// First character.
    pub start: Pos,
    /// One past the last character.
    pub end: Pos,
}

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub usize);

/// A location a user can open: file id plus span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Loc {
    /// Which file.
    pub file: FileId,
    /// Where in it.
    pub span: Span,
}

/// Characters between two checkpoints of [`SourceFile`]'s character index.
const CHECKPOINT: usize = 1024;

/// One loaded YAML file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the repo directory, with `/` separators (stable across machines).
    pub name: String,
    /// Absolute or as-given path on disk.
    pub path: PathBuf,
    /// The text, with redacted ranges (literal passwords) replaced by `*`.
    pub text: String,
    /// Byte offset of each line's start: `u32` (files are capped at
    /// [`super::limits::MAX_FILE_BYTES`]), half the memory of `usize` on a
    /// 40 MB repo's 1.3 million lines.
    line_starts: Vec<u32>,
    /// Byte offset of every [`CHECKPOINT`]-th character; empty for ASCII text (byte = character).
    /// Positions are in characters, so this keeps every lookup O(CHECKPOINT) even on a
    /// 10 MB line, where scanning from the line start would make many diagnostics quadratic.
    checkpoints: Vec<usize>,
}

impl SourceFile {
    /// Wrap a file's text.
    pub fn new(name: String, path: PathBuf, text: String) -> Self {
        let mut f = SourceFile {
            name,
            path,
            text,
            line_starts: Vec::new(),
            checkpoints: Vec::new(),
        };
        f.index();
        f
    }

    fn index(&mut self) {
        let mut line_starts = vec![0];
        line_starts.extend(
            self.text
                .match_indices('\n')
                .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        line_starts.shrink_to_fit();
        self.line_starts = line_starts;
        self.checkpoints = if self.text.is_ascii() {
            Vec::new()
        } else {
            self.text
                .char_indices()
                .step_by(CHECKPOINT)
                .map(|(i, _)| i)
                .collect()
        };
    }

    /// Byte offset of the character at index `ci` (the text's length past the end).
    fn char_to_byte(&self, ci: usize) -> usize {
        if self.checkpoints.is_empty() {
            return ci.min(self.text.len());
        }
        let Some(&base) = self.checkpoints.get(ci / CHECKPOINT) else {
            return self.text.len();
        };
        self.text[base..]
            .char_indices()
            .nth(ci % CHECKPOINT)
            .map_or(self.text.len(), |(i, _)| base + i)
    }

    /// Index of the character that starts at byte `b` (a character boundary).
    fn byte_to_char(&self, b: usize) -> usize {
        if self.checkpoints.is_empty() {
            return b;
        }
        let k = self
            .checkpoints
            .partition_point(|&c| c <= b)
            .saturating_sub(1);
        let base = self.checkpoints.get(k).copied().unwrap_or(0);
        k * CHECKPOINT + self.text.get(base..b).map_or(0, |t| t.chars().count())
    }

    /// Byte offset where line `i` (0-based) starts.
    fn line_start(&self, i: usize) -> Option<usize> {
        self.line_starts.get(i).map(|&b| b as usize)
    }

    /// Number of lines (a final newline starts one more, empty, line).
    pub fn line_count(&self) -> u32 {
        u32::try_from(self.line_starts.len()).unwrap_or(u32::MAX)
    }

    /// Byte range of a line (1-based), without its newline; empty past the end.
    pub fn line_bytes(&self, line: u32) -> std::ops::Range<usize> {
        let i = (line as usize).saturating_sub(1);
        let Some(start) = self.line_start(i) else {
            return self.text.len()..self.text.len();
        };
        let end = self
            .line_start(i + 1)
            .map_or(self.text.len(), |next| next - 1);
        start..end.max(start)
    }

    /// Byte offset of character column `col` of `line` (1-based), not past the line's end.
    pub fn col_byte(&self, line: u32, col: u32) -> usize {
        let range = self.line_bytes(line);
        let at = self.char_to_byte(self.byte_to_char(range.start) + col as usize);
        at.clamp(range.start, range.end)
    }

    /// Byte offset of a position (line 1-based, column in characters).
    pub fn byte_offset(&self, pos: Pos) -> usize {
        let Some(start) = self.line_start((pos.line as usize).saturating_sub(1)) else {
            return self.text.len();
        };
        self.char_to_byte(self.byte_to_char(start) + pos.col as usize)
    }

    /// Move a position past the end of the text (a parser error at EOF) onto the last character.
    pub fn clamp(&self, pos: Pos) -> Pos {
        let lines = if self.text.ends_with('\n') {
            self.line_starts.len() - 1
        } else {
            self.line_starts.len()
        }
        .max(1);
        if pos.line as usize <= lines {
            return pos;
        }
        let start = self.line_start(lines - 1).unwrap_or(0);
        let last = self.text[start..].trim_end_matches('\n');
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        Pos {
            index: n(self.byte_to_char(self.text.len()).saturating_sub(1)),
            line: n(lines),
            col: n(last.chars().count().saturating_sub(1)),
        }
    }

    /// Byte range of a span, clamped to the text.
    pub fn byte_range(&self, span: Span) -> std::ops::Range<usize> {
        let a = self.byte_offset(span.start).min(self.text.len());
        let b = self.byte_offset(span.end).clamp(a, self.text.len());
        a..b
    }

    /// Replace the characters of `span` with `*` so a secret never reaches a snippet.
    pub fn redact(&mut self, span: Span) {
        self.redact_all(&[span]);
    }

    /// Replace the characters of every span with `*`, in one pass over the text
    /// (a file with many literal passwords must not cost one pass per password).
    pub fn redact_all(&mut self, spans: &[Span]) {
        let mut ranges: Vec<std::ops::Range<usize>> = spans
            .iter()
            .map(|s| self.byte_range(*s))
            .filter(|r| !r.is_empty())
            .collect();
        if ranges.is_empty() {
            return;
        }
        ranges.sort_by_key(|r| r.start);
        let mut text = String::with_capacity(self.text.len());
        let mut done = 0;
        for r in ranges {
            let start = r.start.max(done);
            if start >= r.end {
                continue;
            }
            text.push_str(&self.text[done..start]);
            // One `*` per character keeps every later position (counted in characters) valid.
            text.extend(
                self.text[start..r.end]
                    .chars()
                    .map(|c| if c == '\n' { '\n' } else { '*' }),
            );
            done = r.end;
        }
        text.push_str(&self.text[done..]);
        self.text = text;
        self.index();
    }
}

/// All files of one load, addressed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// Add a file and return its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() - 1)
    }
    /// The file behind an id.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0)
    }
    /// Mutable access (for redaction).
    pub fn get_mut(&mut self, id: FileId) -> Option<&mut SourceFile> {
        self.files.get_mut(id.0)
    }
    /// The display name of a file (`"?"` if unknown).
    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map_or("?", |f| f.name.as_str())
    }
    /// All files in load order.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("f.yaml".into(), PathBuf::from("f.yaml"), text.into())
    }

    /// Byte offset of (line, col) by scanning, as positions were found before the index.
    fn naive(text: &str, line: u32, col: u32) -> usize {
        let start: usize = text
            .split_inclusive('\n')
            .take(line as usize - 1)
            .map(str::len)
            .sum();
        text[start..]
            .char_indices()
            .nth(col as usize)
            .map_or(text.len(), |(i, _)| start + i)
    }

    #[test]
    fn positions_match_a_scan_on_long_non_ascii_lines() {
        let long: String = (0..5000).map(|i| ['a', 'é', '€', '𝄞'][i % 4]).collect();
        let text = format!("x: é\n{long}\n\nend: ü{long}");
        let f = file(&text);
        for line in 1..=4 {
            for col in [
                0, 1, 2, 3, 1023, 1024, 1025, 2047, 4096, 4999, 5000, 5001, 9000,
            ] {
                let pos = Pos {
                    index: 0,
                    line,
                    col,
                };
                assert_eq!(f.byte_offset(pos), naive(&text, line, col), "{line}:{col}");
                let range = f.line_bytes(line);
                assert_eq!(
                    f.col_byte(line, col),
                    naive(&text, line, col).clamp(range.start, range.end),
                    "{line}:{col}"
                );
            }
        }
    }

    #[test]
    fn redacting_many_spans_keeps_positions() {
        let text = "a: ü1\nb: €22\nc: 333\n";
        let mut f = file(text);
        let span = |line, c0, c1| Span {
            start: Pos {
                index: 0,
                line,
                col: c0,
            },
            end: Pos {
                index: 0,
                line,
                col: c1,
            },
        };
        f.redact_all(&[span(2, 3, 6), span(1, 3, 5), span(1, 4, 5)]);
        assert_eq!(f.text, "a: **\nb: ***\nc: 333\n");
        assert_eq!(
            f.byte_offset(Pos {
                index: 0,
                line: 3,
                col: 3
            }),
            16
        );
    }
}
