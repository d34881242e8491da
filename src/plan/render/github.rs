//! GitHub Actions workflow commands for a plan (`plan --format github`): its
//! errors as `::error` annotations on the repo's files, as `validate --format
//! github` prints diagnostics, so a pull request shows them inline.

use super::common::blocking_gates;
use crate::desired::render::{escape_data, escape_property};
use crate::plan::Plan;

/// One line per error (with `file`, `line`, `col` when the error has an
/// origin), per gate that blocks the plan, and per notice; then the summary
/// as a notice. An empty plan prints only the summary.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    let mut line = |cmd: &str, props: Vec<String>, msg: &str| {
        out.push_str(&format!(
            "::{cmd} {}::{}\n",
            props.join(","),
            escape_data(msg)
        ));
    };
    let title = |code: &str| format!("title={}", escape_property(&format!("entraform: {code}")));
    for e in &plan.errors {
        let mut props = Vec::new();
        if let Some(o) = &e.origin {
            props.push(format!("file={}", escape_property(&o.file)));
            props.push(format!("line={}", o.line));
            props.push(format!("col={}", o.column));
        }
        props.push(title(e.code.as_str()));
        line("error", props, &e.message);
    }
    for g in blocking_gates(plan) {
        line(
            "error",
            vec![title(g.gate.id())],
            &format!("{} (override: {})", g.message, g.gate.flag()),
        );
    }
    for n in &plan.notices {
        line(
            "notice",
            vec![title(n.code.as_str())],
            &format!("{}: {}", n.object, n.message),
        );
    }
    let mut summary = plan.summary.to_string();
    if !plan.errors.is_empty() {
        summary.push_str(&format!(
            " The plan has {} error{} and cannot be applied.",
            plan.errors.len(),
            if plan.errors.len() == 1 { "" } else { "s" }
        ));
    }
    line("notice", vec![title("plan")], &summary);
    out
}
