//! Which files are the repo: the `files:` rule of `tenant.yaml`.
//!
//! ```yaml
//! files:
//!   include: ["**"]                 # the default: every YAML file
//!   exclude: [mkdocs.yml, docs, "**/*.openapi.yaml"]
//! ```
//!
//! A file is part of the directory repo when its name ends in `.yaml` or
//! `.yml`, no folder on its path (nor the file) is hidden (starts with `.`),
//! it matches an `include` pattern and no `exclude` pattern. `tenant.yaml`
//! (or `tenant.yml`) at the root, which holds the rule, always is.
//!
//! Patterns are paths relative to the repo root with `/` between folders: `*`
//! matches any characters but `/`, `?` one character but `/`, and `**` as a
//! whole segment any number of folders (none included). A pattern that
//! matches a folder matches everything below it: `docs` and `docs/**` are
//! the same. Excluded folders are not walked at all.

use super::limits::{MAX_FILE_PATTERNS, MAX_PATTERN_BYTES};

/// The names of the file that holds the rule, at the repo root, in order of preference.
pub const RULE_FILES: [&str; 2] = ["tenant.yaml", "tenant.yml"];

/// One compiled pattern: its segments, ending in `**` (a folder matches what is below it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    segments: Vec<String>,
}

impl Pattern {
    /// Compile `text`, or say why it is not a pattern.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        if text.len() > MAX_PATTERN_BYTES {
            return Err(format!(
                "a pattern is at most {MAX_PATTERN_BYTES} bytes long"
            ));
        }
        let trimmed = text.trim();
        let rel = trimmed
            .strip_prefix("./")
            .unwrap_or(trimmed)
            .trim_start_matches('/');
        if rel.is_empty() {
            return Err("an empty pattern matches nothing; remove it".into());
        }
        if rel.contains('\\') {
            return Err("write folders with `/`, not `\\`".into());
        }
        let mut segments: Vec<String> = Vec::new();
        for seg in rel.split('/') {
            match seg {
                "" | "." => continue,
                ".." => {
                    return Err("`..` leaves the repo: patterns are paths inside it".into());
                }
                "**" if segments.last().is_some_and(|s| s == "**") => continue,
                "**" => segments.push("**".into()),
                s if s.contains("**") => {
                    return Err(
                        "`**` stands for folders only as a whole segment (`docs/**`, `**/x.yaml`)"
                            .into(),
                    );
                }
                s => segments.push(s.to_string()),
            }
        }
        if segments.is_empty() {
            return Err("an empty pattern matches nothing; remove it".into());
        }
        if segments.last().is_none_or(|s| s != "**") {
            segments.push("**".into());
        }
        Ok(Pattern {
            text: text.to_string(),
            segments,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the `/`-separated relative path `rel` (a file, or a folder) matches.
    pub fn matches(&self, rel: &str) -> bool {
        let path: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
        segments_match(&self.segments, &path)
    }
}

/// Whether `pat` (segments, `**` for any folders) matches all of `path`:
/// dynamic programming over (pattern segment, path segment), O(|pat| · |path|) segment matches.
fn segments_match(pat: &[String], path: &[&str]) -> bool {
    let (p, n) = (pat.len(), path.len());
    // ok[i][j]: pat[i..] matches path[j..]; computed from the end.
    let mut ok = vec![vec![false; n + 1]; p + 1];
    ok[p][n] = true;
    for i in (0..p).rev() {
        for j in (0..=n).rev() {
            ok[i][j] = if pat[i] == "**" {
                ok[i + 1][j] || (j < n && ok[i][j + 1])
            } else {
                j < n && ok[i + 1][j + 1] && segment_match(&pat[i], path[j])
            };
        }
    }
    ok[0][0]
}

/// `*` and `?` within one segment, O(|pattern| · |name|).
fn segment_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = name.chars().collect();
    // ok[j]: p[..i] matches s[..j], row by row.
    let mut ok = vec![false; s.len() + 1];
    ok[0] = true;
    for pc in &p {
        let mut next = vec![false; s.len() + 1];
        match pc {
            '*' => {
                let mut any = false;
                for j in 0..=s.len() {
                    any |= ok[j];
                    next[j] = any;
                }
            }
            c => {
                for j in 1..=s.len() {
                    next[j] = ok[j - 1] && (*c == '?' || *c == s[j - 1]);
                }
            }
        }
        ok = next;
    }
    ok[s.len()]
}

/// The repo's include/exclude rule (default: every YAML file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileRule {
    /// When not empty, only files matching one of these are read.
    pub include: Vec<Pattern>,
    /// Files and folders matching one of these are left out (folders not walked).
    pub exclude: Vec<Pattern>,
}

impl FileRule {
    /// Whether the file at `rel` (relative to the repo root, `/`-separated) is part of the repo.
    pub fn wants_file(&self, rel: &str) -> bool {
        if RULE_FILES.contains(&rel) {
            return true;
        }
        (self.include.is_empty() || self.include.iter().any(|p| p.matches(rel)))
            && !self.exclude.iter().any(|p| p.matches(rel))
    }

    /// Whether the entry at `rel` (a file, a folder: then it is not walked, a
    /// link…) is left out by `exclude`. Never the rule file itself.
    pub fn excludes(&self, rel: &str) -> bool {
        !RULE_FILES.contains(&rel) && self.exclude.iter().any(|p| p.matches(rel))
    }

    /// The rule a parsed `tenant.yaml` holds, leniently: patterns that do not
    /// compile are left out here (the decoder reports them, with their place).
    pub fn from_documents(docs: &[super::yaml::Node<'_>]) -> FileRule {
        use super::yaml::Value;
        let mut rule = FileRule::default();
        let mut left = MAX_FILE_PATTERNS;
        for doc in docs {
            let Value::Map(top) = &doc.value else {
                continue;
            };
            let Some((_, files)) = top
                .iter()
                .find(|(k, _)| k.scalar().is_some_and(|s| s.text == "files"))
            else {
                continue;
            };
            let Value::Map(keys) = &files.value else {
                continue;
            };
            for (k, v) in keys.iter() {
                let list = match k.scalar().map(|s| &*s.text) {
                    Some("include") => &mut rule.include,
                    Some("exclude") => &mut rule.exclude,
                    _ => continue,
                };
                let Value::Seq(items) = &v.value else {
                    continue;
                };
                for item in items.iter() {
                    if left == 0 {
                        break;
                    }
                    if let Some(Ok(p)) = item.scalar().map(|s| Pattern::parse(&s.text)) {
                        list.push(p);
                        left -= 1;
                    }
                }
            }
        }
        rule
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Pattern {
        Pattern::parse(s).unwrap()
    }

    #[test]
    fn patterns_match_files_and_everything_below_a_folder() {
        assert!(p("mkdocs.yml").matches("mkdocs.yml"));
        assert!(!p("mkdocs.yml").matches("docs/mkdocs.yml"));
        assert!(p("**/mkdocs.yml").matches("docs/mkdocs.yml"));
        assert!(p("**/mkdocs.yml").matches("mkdocs.yml"));
        for folder in ["docs", "docs/", "docs/**", "./docs", "/docs"] {
            assert!(p(folder).matches("docs"), "{folder}");
            assert!(p(folder).matches("docs/a/b.yaml"), "{folder}");
            assert!(!p(folder).matches("docsite/a.yaml"), "{folder}");
        }
        assert!(p("users/*.yaml").matches("users/a.yaml"));
        assert!(!p("users/*.yaml").matches("users/x/a.yaml"));
        assert!(p("users/?.yaml").matches("users/a.yaml"));
        assert!(!p("users/?.yaml").matches("users/ab.yaml"));
        assert!(p("**/*.openapi.yaml").matches("api/v1/x.openapi.yaml"));
        assert!(p("a/**/z.yaml").matches("a/z.yaml"));
        assert!(p("a/**/z.yaml").matches("a/b/c/z.yaml"));
        assert!(!p("a/**/z.yaml").matches("b/z.yaml"));
    }

    #[test]
    fn bad_patterns_say_why() {
        for bad in ["", "  ", "../x", "a/**b", "a\\b", "/"] {
            assert!(Pattern::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Pattern::parse(&"a".repeat(MAX_PATTERN_BYTES + 1)).is_err());
    }

    #[test]
    fn the_rule_file_is_always_part_of_the_repo() {
        let rule = FileRule {
            include: vec![p("users")],
            exclude: vec![p("**")],
        };
        assert!(rule.wants_file("tenant.yaml"));
        assert!(!rule.wants_file("users/a.yaml"));
        let rule = FileRule {
            include: vec![p("users")],
            exclude: vec![p("users/old")],
        };
        assert!(rule.wants_file("users/a.yaml"));
        assert!(!rule.wants_file("groups.yaml"));
        assert!(!rule.wants_file("users/old/a.yaml"));
        assert!(rule.excludes("users/old"));
        assert!(!rule.excludes("users"));
        assert!(
            !FileRule {
                include: Vec::new(),
                exclude: vec![p("**")],
            }
            .excludes("tenant.yaml")
        );
        assert!(FileRule::default().wants_file("anything/at/all.yml"));
    }

    #[test]
    fn matching_costs_the_product_of_the_lengths_not_an_exponential() {
        let pat = p(&"*a".repeat(60));
        let name = "a".repeat(200) + "b";
        let start = std::time::Instant::now();
        assert!(!pat.matches(&name));
        let deep = p(&"**/a/".repeat(30));
        let path = "a/".repeat(200);
        assert!(deep.matches(&path));
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }
}
