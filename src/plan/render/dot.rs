//! Graphviz DOT of the dependency graph.

use super::common::{Sign, headline};
use crate::plan::Plan;
use crate::plan::op::Op;

/// Render the plan's DAG: one node per step (kind, object and what it does,
/// coloured by action), an edge from each dependency, and one `rank=same`
/// group per wave so the waves read left to right.
pub(super) fn render(plan: &Plan) -> String {
    let mut s = String::from("digraph plan {\n");
    s.push_str("  rankdir=LR;\n");
    s.push_str(
        "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n",
    );
    s.push_str("  edge [color=\"#666666\"];\n");
    let mut steps: Vec<&crate::plan::Step> = plan.steps.iter().collect();
    steps.sort_by_key(|st| st.id);
    for st in &steps {
        let (fill, line) = colours(&st.op);
        let label = format!(
            "{} {}\n{}\n{}",
            Sign::of(&st.op).symbol(),
            st.op.kind(),
            st.op.object_key(),
            headline(&st.op)
        );
        s.push_str(&format!(
            "  s{} [label={}, fillcolor=\"{fill}\", color=\"{line}\", tooltip={}];\n",
            st.id,
            quote(&label),
            quote(&format!("step {} · wave {}", st.id, st.wave))
        ));
    }
    for wave in 0..plan.waves() {
        let ids: Vec<String> = steps
            .iter()
            .filter(|st| st.wave == wave)
            .map(|st| format!("s{};", st.id))
            .collect();
        if !ids.is_empty() {
            s.push_str(&format!(
                "  {{ rank=same; /* wave {wave} */ {} }}\n",
                ids.join(" ")
            ));
        }
    }
    for st in &steps {
        for d in &st.depends_on {
            s.push_str(&format!("  s{d} -> s{};\n", st.id));
        }
    }
    s.push_str("}\n");
    s
}

/// Fill and border colours by action.
fn colours(op: &Op) -> (&'static str, &'static str) {
    match Sign::of(op) {
        Sign::Add => ("#dcf5dc", "#2e7d32"),
        Sign::Change => ("#fff4cc", "#b8860b"),
        Sign::Remove => ("#fddede", "#c62828"),
        Sign::Revoke => ("#f3e0f7", "#7b1fa2"),
    }
}

/// A DOT double-quoted string: `"` and `\` escaped, newlines as `\n`.
fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            // Other control characters and bidi overrides from names: escaped, never raw.
            c if super::common::needs_escape(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn dot_strings_escape_quotes_backslashes_and_newlines() {
        assert_eq!(quote("a \"b\" \\ c\nd\r"), "\"a \\\"b\\\" \\\\ c\\nd\"");
    }
}
