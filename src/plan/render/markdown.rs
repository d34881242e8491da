//! Markdown for pull-request comments, within a size limit.

use super::RenderOptions;
use super::common::{
    Style, blocking_gates, by_object, clean, counts_by_kind, gate_limit, gate_status,
    kinds_summary, step_lines,
};
use crate::plan::Plan;

/// Room kept free for the "… N more" lines when summarising.
const RESERVE: usize = 400;

/// Render the plan as Markdown: the summary line first, a warning when the
/// plan is blocked or has errors, a table of operations by kind, one
/// collapsible section per object, the gates, notices and errors. When the
/// result would exceed `opts.max_markdown_chars` bytes, object sections are
/// dropped from the end (then notices, then errors) with a line saying how
/// many were left out; the output never exceeds the limit.
pub(super) fn render(plan: &Plan, opts: &RenderOptions) -> String {
    let max = opts.max_markdown_chars;
    let head = head(plan);
    let gates = gates(plan);
    let sections: Vec<String> = by_object(plan)
        .into_iter()
        .map(|(key, steps)| section(&key, &steps))
        .collect();
    let notices: Vec<String> = plan
        .notices
        .iter()
        .map(|n| {
            format!(
                "- `{}` **{}**: {}\n",
                n.code,
                escape_inline(&clean(&n.object)),
                one_line(&clean(&n.message))
            )
        })
        .collect();
    let errors: Vec<String> = plan
        .errors
        .iter()
        .map(|e| {
            let at = e.origin.as_ref().map_or_else(String::new, |o| {
                format!(" at `{}`", clean(&o.to_string()).replace('`', "'"))
            });
            format!("- `{}`{at}: {}\n", e.code, one_line(&clean(&e.message)))
        })
        .collect();

    let full = assemble(&head, &sections, &gates, &notices, &errors, None);
    if full.len() <= max {
        return full;
    }

    // Summarise: errors first, then object sections, then notices, each as far as it fits.
    let fixed = head.len() + gates.len() + RESERVE * 3;
    let mut budget = max.saturating_sub(fixed);
    let kept_errors = take_fitting(&errors, &mut budget);
    let kept_sections = take_fitting(&sections, &mut budget);
    let kept_notices = take_fitting(&notices, &mut budget);
    let mut errors_out: Vec<String> = errors[..kept_errors].to_vec();
    if kept_errors < errors.len() {
        let more = errors.len() - kept_errors;
        errors_out.push(format!(
            "- … {more} more error{} not shown; see the saved plan / CI artifact.\n",
            if more == 1 { "" } else { "s" }
        ));
    }
    let mut notices_out: Vec<String> = notices[..kept_notices].to_vec();
    if kept_notices < notices.len() {
        let more = notices.len() - kept_notices;
        notices_out.push(format!(
            "- … {more} more notice{} not shown; see the saved plan / CI artifact.\n",
            if more == 1 { "" } else { "s" }
        ));
    }
    let omitted = sections.len() - kept_sections;
    let out = assemble(
        &head,
        &sections[..kept_sections],
        &gates,
        &notices_out,
        &errors_out,
        Some(omitted),
    );
    if out.len() <= max {
        return out;
    }
    // Only reachable with a limit smaller than the fixed parts: cut at a character boundary.
    let mut cut = max.saturating_sub(1);
    while cut > 0 && !out.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut s = out[..cut].to_string();
    if max > 0 {
        s.push('\n');
    }
    s
}

fn take_fitting(items: &[String], budget: &mut usize) -> usize {
    let mut n = 0;
    for it in items {
        if it.len() > *budget {
            break;
        }
        *budget -= it.len();
        n += 1;
    }
    n
}

fn assemble(
    head: &str,
    sections: &[String],
    gates: &str,
    notices: &[String],
    errors: &[String],
    omitted: Option<usize>,
) -> String {
    let mut s = String::from(head);
    if !sections.is_empty() || omitted.is_some_and(|n| n > 0) {
        s.push_str("### Changes by object\n\n");
        for sec in sections {
            s.push_str(sec);
        }
        if let Some(n) = omitted.filter(|n| *n > 0) {
            s.push_str(&format!(
                "… {n} more object{} not shown; see the saved plan / CI artifact.\n\n",
                if n == 1 { "" } else { "s" }
            ));
        }
    }
    s.push_str(gates);
    if !notices.is_empty() {
        s.push_str("### Not changed\n\n");
        for n in notices {
            s.push_str(n);
        }
        s.push('\n');
    }
    if !errors.is_empty() {
        s.push_str("### Errors\n\n");
        for e in errors {
            s.push_str(e);
        }
        s.push('\n');
    }
    // Exactly one trailing newline.
    while s.ends_with("\n\n") {
        s.pop();
    }
    s
}

fn head(plan: &Plan) -> String {
    let mut s = format!("**{}**\n\n", plan.summary);
    let blocking = blocking_gates(plan);
    if !blocking.is_empty() {
        let names: Vec<String> = blocking
            .iter()
            .map(|g| format!("`{}` (override: `{}`)", g.gate.id(), g.gate.flag()))
            .collect();
        s.push_str(&format!(
            "> [!WARNING]\n> This plan is **blocked** by safety gate{}: {}.\n\n",
            if blocking.len() == 1 { "" } else { "s" },
            names.join(", ")
        ));
    }
    if !plan.errors.is_empty() {
        s.push_str(&format!(
            "> [!CAUTION]\n> This plan has **{} error{}** and cannot be applied; see [Errors](#errors).\n\n",
            plan.errors.len(),
            if plan.errors.len() == 1 { "" } else { "s" }
        ));
    }
    if plan.steps.is_empty() && plan.errors.is_empty() {
        s.push_str("No changes. The tenant matches the directory repo.\n\n");
        return s;
    }
    if plan.steps.is_empty() {
        // Never "No changes" for a plan with errors: what the repo asks is not known yet.
        s.push_str("No operations can be planned until the errors are fixed.\n\n");
        return s;
    }
    s.push_str("| Operation | Count |\n|:--|--:|\n");
    for (k, n) in counts_by_kind(plan) {
        s.push_str(&format!("| `{k}` | {n} |\n"));
    }
    let objects = by_object(plan).len();
    s.push_str(&format!(
        "| **total** | **{}** |\n\n{} object{} · {} wave{} · {} owned user{}\n\n",
        plan.steps.len(),
        objects,
        if objects == 1 { "" } else { "s" },
        plan.waves(),
        if plan.waves() == 1 { "" } else { "s" },
        plan.owned_users,
        if plan.owned_users == 1 { "" } else { "s" },
    ));
    s
}

fn section(key: &str, steps: &[&crate::plan::Step]) -> String {
    let style = Style { color: false };
    let body: Vec<String> = steps
        .iter()
        .flat_map(|s| step_lines(s, style, ""))
        .collect();
    let body = body.join("\n");
    let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
    format!(
        "<details><summary><code>{}</code> — {}</summary>\n\n{fence}diff\n{body}\n{fence}\n\n</details>\n\n",
        escape_html(key),
        escape_html(&kinds_summary(steps)),
    )
}

fn gates(plan: &Plan) -> String {
    let mut s = String::from(
        "### Safety gates\n\n| Gate | Value | Limit | Status | Details |\n|:--|--:|:--|:--|:--|\n",
    );
    for g in &plan.gates {
        let status = match gate_status(g) {
            "TRIPPED" => format!("⛔ **TRIPPED** — override with `{}`", g.gate.flag()),
            "overridden" => format!("⚠️ overridden by `{}`", g.gate.flag()),
            "ok" => "✅ ok".to_string(),
            other => format!("➖ {other}"),
        };
        s.push_str(&format!(
            "| `{}` | {} | {} | {status} | {} |\n",
            g.gate.id(),
            g.value,
            gate_limit(g),
            escape_cell(&clean(&g.message))
        ));
    }
    s.push('\n');
    s
}

fn longest_backtick_run(s: &str) -> usize {
    let mut best = 0;
    let mut cur = 0;
    for c in s.chars() {
        if c == '`' {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

fn escape_cell(s: &str) -> String {
    one_line(s).replace('|', "\\|")
}

fn escape_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '_' | '`' | '[' | ']' | '<' | '>' | '\\' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_in_the_body() {
        assert_eq!(longest_backtick_run("a ``` b `` c"), 3);
        assert_eq!(longest_backtick_run("none"), 0);
    }

    #[test]
    fn html_and_table_cells_are_escaped() {
        assert_eq!(escape_html("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
        assert_eq!(escape_cell("a | b\nc"), "a \\| b c");
        assert_eq!(escape_inline("group:a_b*"), "group:a\\_b\\*");
    }

    #[test]
    fn take_fitting_stops_at_the_first_item_that_does_not_fit() {
        let items = vec!["aaaa".to_string(), "bb".to_string(), "c".to_string()];
        let mut budget = 5;
        assert_eq!(take_fitting(&items, &mut budget), 1);
        assert_eq!(budget, 1);
    }
}
