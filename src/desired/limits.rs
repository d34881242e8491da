//! Hard limits on what the loader reads and builds.
//!
//! A directory repo is run on pull requests, so every file in it is hostile
//! input: these caps bound the memory, stack depth and time one `validate`
//! can take. Each is far above what a real repo of 100,000 users needs (the
//! benchmark's 100,000 users take 34.7 MB of YAML in 100 files, nest 5 levels
//! deep and need no aliases); docs/format.md lists them and docs/decisions.md
//! says why these numbers.

/// Largest file read, in bytes (64 MiB): 100,000 users in one file take about 35 MB.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Largest total of all files read, in bytes (256 MiB, about seven times the 100,000-user repo).
pub const MAX_REPO_BYTES: u64 = 256 * 1024 * 1024;

/// Deepest nesting of sequences and mappings in a YAML document.
///
/// The format needs 5 levels (file → `users` → a user → `groups` → an item),
/// a seed file about 6. The tree builder stops here, so every recursive walk of
/// a tree (conversion to JSON, clone, drop) stays this shallow.
pub const MAX_DEPTH: usize = 64;

/// Most alias uses (`*name`) in one file: one per user for 100,000 users is a tenth of it.
pub const MAX_ALIASES: u64 = 1_000_000;

/// Most nodes that anchors and aliases may copy in one file.
///
/// Every alias is a copy of its anchored node, and the builder keeps one copy
/// of each anchored node. 100,000 users that each reuse a ten-group list copy
/// 1.1 million nodes; a "billion laughs" file would copy 10^9 and stops here.
pub const MAX_ALIAS_NODES: u64 = 4_000_000;

/// Most diagnostics one run lists (per file and in all); the rest are counted in a
/// `too-many-problems` note. A 4 MB file of `- 1` lines under `users:` would
/// otherwise make a million of them (and gigabytes of output).
pub const MAX_DIAGNOSTICS: usize = 10_000;

/// Characters of a value that a diagnostic message repeats before cutting it short.
pub const MAX_SHOWN_VALUE_CHARS: usize = 80;

/// Characters of a diagnostic's message, label or hint kept (a backstop behind [`MAX_SHOWN_VALUE_CHARS`]).
pub const MAX_MESSAGE_CHARS: usize = 1_000;

/// Characters of one source line handed to the snippet renderer: longer lines are cut
/// to a window around the label (the renderer then shows a terminal-wide part of it).
pub const MAX_SNIPPET_LINE_CHARS: usize = 4096;

/// Lines of a multi-line span shown in a snippet; longer spans are shown by their first line.
pub const MAX_SNIPPET_SPAN_LINES: u32 = 8;

/// Most patterns in `files.include` and `files.exclude` together: every file
/// and folder of the walk is matched against each.
pub const MAX_FILE_PATTERNS: usize = 256;

/// Longest pattern in `files.include` / `files.exclude`, in bytes.
pub const MAX_PATTERN_BYTES: usize = 256;
