//! One quoting style for exported YAML: plain scalars where YAML reads them
//! back as the same string, double quotes everywhere else.

/// YAML 1.1 and 1.2 words that a reader may turn into a boolean or null.
const RESERVED: &[&str] = &[
    "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n",
];

/// Render `s` as a YAML scalar that every reader takes back as exactly `s`,
/// in block and in flow context: plain when that is safe, otherwise in double
/// quotes with escapes.
pub fn scalar(s: &str) -> String {
    if needs_quotes(s) {
        double_quoted(s)
    } else {
        s.to_string()
    }
}

/// A date `YYYY-MM-DD`, written plain (entraform reads it as a string).
fn is_plain_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

fn needs_quotes(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return true;
    };
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s)) {
        return true;
    }
    if is_plain_date(s) {
        return false;
    }
    // Numbers (1002, 02134, 1e3, 0x1F, .5, +1 425 …, -3) and anything else that starts like one.
    if first.is_ascii_digit() || matches!(first, '+' | '-' | '.') {
        return true;
    }
    // Indicators that mean something at the start of a plain scalar.
    if "?:,[]{}#&*!|>'\"%@` \t".contains(first) {
        return true;
    }
    if s.ends_with([' ', '\t', ':']) {
        return true;
    }
    // Comments, mapping separators, flow indicators (so the same text works inside `[…]`),
    // line breaks and control characters.
    s.contains(": ")
        || s.contains('#')
        || s.chars()
            .any(|c| matches!(c, ',' | '[' | ']' | '{' | '}' | '\t') || c.is_control())
        || s.contains('\u{feff}')
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || c == '\u{feff}' => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else {
                    out.push_str(&format!("\\u{n:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A flow list of scalars: `[a, "b, c"]`.
pub fn flow_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<String> = items.iter().map(|s| scalar(s.as_ref())).collect();
    format!("[{}]", inner.join(", "))
}

/// Text for a `# …` comment: one line, no control characters.
pub fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_where_safe() {
        for s in [
            "Amelia Hart",
            "amelia.hart@contoso.com",
            "Redmond HQ",
            "en-US",
            "US",
            "2015-06-01",
            "Chief Technology Officer",
            "R&D",
            "Müller",
            "dept-sales",
            "a:b",
            "x-1",
        ] {
            assert_eq!(scalar(s), s, "{s}");
        }
    }

    #[test]
    fn quoted_where_yaml_needs_it() {
        let cases = [
            ("", "\"\""),
            ("1002", "\"1002\""),
            ("02134", "\"02134\""),
            ("+1 425 555 0120", "\"+1 425 555 0120\""),
            ("true", "\"true\""),
            ("No", "\"No\""),
            ("null", "\"null\""),
            ("~", "\"~\""),
            ("1.5", "\"1.5\""),
            (".inf", "\".inf\""),
            ("-3", "\"-3\""),
            (
                "Engineering Manager, Platform",
                "\"Engineering Manager, Platform\"",
            ),
            ("key: value", "\"key: value\""),
            ("a #b", "\"a #b\""),
            (
                "x#EXT#@contoso.onmicrosoft.com",
                "\"x#EXT#@contoso.onmicrosoft.com\"",
            ),
            ("@home", "\"@home\""),
            ("*star", "\"*star\""),
            ("- item", "\"- item\""),
            ("[x]", "\"[x]\""),
            ("{x}", "\"{x}\""),
            ("'q'", "\"'q'\""),
            ("say \"hi\"", "say \"hi\""),
            (" lead", "\" lead\""),
            ("trail ", "\"trail \""),
            ("ends:", "\"ends:\""),
            ("two\nlines", "\"two\\nlines\""),
            ("back\\slash\tx", "\"back\\\\slash\\tx\""),
            ("bell\u{7}", "\"bell\\x07\""),
            ("%pct", "\"%pct\""),
            ("!tag", "\"!tag\""),
            ("|pipe", "\"|pipe\""),
            (">gt", "\">gt\""),
            ("?q", "\"?q\""),
            ("`tick", "\"`tick\""),
        ];
        for (s, want) in cases {
            assert_eq!(scalar(s), want, "{s:?}");
        }
    }

    /// Every case reads back as the same string, as a block value and inside a flow list.
    #[test]
    fn reads_back_unchanged() {
        let samples = [
            "Amelia Hart",
            "",
            "1002",
            "02134",
            "+1 425 555 0120",
            "true",
            "No",
            "null",
            "~",
            "1.5",
            ".inf",
            "-3",
            "a, b",
            "key: value",
            "a #b",
            "x#EXT#@c.com",
            "@home",
            "*s",
            "- item",
            "[x]",
            "{x}",
            "'q'",
            "say \"hi\"",
            " lead",
            "trail ",
            "ends:",
            "two\nlines",
            "back\\slash\tx",
            "bell\u{7}",
            "%p",
            "!t",
            "|p",
            ">g",
            "?q",
            "`t",
            "R&D",
            "Müller",
            "2015-06-01",
            "2015-06-01T08:00:00Z",
            "0x1F",
            "1e3",
            "a:b",
            "...",
            "---",
            "=",
            "<<",
            "yes",
            "OFF",
            "café: x",
            "\u{feff}bom",
        ];
        for s in samples {
            let doc = format!("k: {}\nl: {}\n", scalar(s), flow_list(&[s, s]));
            let json = crate::desired::yaml::to_json(&doc)
                .unwrap_or_else(|e| panic!("{s:?} → {doc:?}: {e:?}"));
            assert_eq!(json["k"], serde_json::json!(s), "{doc}");
            assert_eq!(json["l"], serde_json::json!([s, s]), "{doc}");
        }
    }

    #[test]
    fn lists_and_comments() {
        assert_eq!(flow_list(&["+1 425", "a"]), "[\"+1 425\", a]");
        assert_eq!(flow_list::<&str>(&[]), "[]");
        assert_eq!(comment_text("a\n  b\tc"), "a b c");
    }
}
