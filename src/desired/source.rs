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

/// One loaded YAML file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path relative to the repo directory, with `/` separators (stable across machines).
    pub name: String,
    /// Absolute or as-given path on disk.
    pub path: PathBuf,
    /// The text, with redacted ranges (literal passwords) replaced by `*`.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// Wrap a file's text.
    pub fn new(name: String, path: PathBuf, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile {
            name,
            path,
            text,
            line_starts,
        }
    }

    /// Byte offset of a position (line 1-based, column in characters).
    pub fn byte_offset(&self, pos: Pos) -> usize {
        let Some(&start) = self.line_starts.get((pos.line as usize).saturating_sub(1)) else {
            return self.text.len();
        };
        let line = &self.text[start..];
        let within = line
            .char_indices()
            .nth(pos.col as usize)
            .map_or(line.len(), |(i, _)| i);
        start + within
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
        let start = self.line_starts.get(lines - 1).copied().unwrap_or(0);
        let last = self.text[start..].trim_end_matches('\n');
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        Pos {
            index: n(self.text.chars().count().saturating_sub(1)),
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
        let range = self.byte_range(span);
        let masked: String = self.text[range.clone()]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { '*' })
            .collect();
        // Byte lengths may differ for non-ASCII input; positions are tracked in
        // characters, and one char → one '*' keeps every later position valid.
        self.text.replace_range(range, &masked);
        let mut line_starts = vec![0];
        line_starts.extend(self.text.match_indices('\n').map(|(i, _)| i + 1));
        self.line_starts = line_starts;
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
