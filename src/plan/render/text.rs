//! Terraform-like text for terminals.

use super::RenderOptions;
use super::common::{
    BOLD, DIM, GREEN, RED, Style, YELLOW, blocking_gates, by_object, clean, gate_limit,
    gate_status, step_lines,
};
use crate::plan::Plan;

/// Render the plan as text: objects with their operations, then notices,
/// errors, the safety gates, the wave count and the summary line (last).
pub(super) fn render(plan: &Plan, opts: &RenderOptions) -> String {
    let style = Style { color: opts.color };
    let mut out: Vec<String> = Vec::new();

    let objects = by_object(plan);
    let errors = plan.errors.len();
    if objects.is_empty() && errors == 0 {
        out.push("No changes. The tenant matches the directory repo.".to_string());
        out.push(String::new());
    } else if objects.is_empty() {
        // Never "No changes" for a plan with errors: what the repo asks is not known yet.
        out.push(style.paint(
            RED,
            &format!(
                "The plan has {errors} error{} (listed below) and cannot be applied; fix {} and plan again.",
                plural(errors),
                if errors == 1 { "it" } else { "them" }
            ),
        ));
        out.push(String::new());
    } else {
        let would = if errors == 0 {
            "entraform will perform"
        } else {
            "Once the errors below are fixed, entraform would perform at least"
        };
        out.push(format!(
            "{would} {} operation{} on {} object{}:",
            plan.steps.len(),
            plural(plan.steps.len()),
            objects.len(),
            plural(objects.len())
        ));
        out.push(String::new());
        for (key, steps) in &objects {
            out.push(style.paint(BOLD, &format!("# {key}")));
            for s in steps {
                out.extend(step_lines(s, style, "  "));
            }
            out.push(String::new());
        }
    }

    // The lifecycle's notices (offboarding counts, upcoming dates) describe
    // planned or future steps: their own heading, before the others.
    let (lifecycle, others): (Vec<_>, Vec<_>) =
        plan.notices.iter().partition(|n| is_lifecycle(n.code));
    if !lifecycle.is_empty() {
        out.push(style.paint(BOLD, "Lifecycle (offboarding, dates ahead):"));
        for n in &lifecycle {
            out.push(format!(
                "  {} [{}] {}",
                clean(&n.object),
                n.code,
                clean(&n.message)
            ));
        }
        out.push(String::new());
    }
    if !others.is_empty() {
        out.push(style.paint(BOLD, "Not changed (no operation is planned for these):"));
        for n in &others {
            out.push(format!(
                "  {} [{}] {}",
                clean(&n.object),
                n.code,
                clean(&n.message)
            ));
        }
        out.push(String::new());
    }

    if !plan.errors.is_empty() {
        out.push(style.paint(
            RED,
            &format!(
                "Errors ({}): the plan cannot be applied until they are fixed.",
                plan.errors.len()
            ),
        ));
        for e in &plan.errors {
            let at = e.origin.as_ref().map_or_else(
                || "(no location)".to_string(),
                |o| clean(&o.to_string()).into_owned(),
            );
            out.push(format!("  error[{}] {at}: {}", e.code, clean(&e.message)));
        }
        out.push(String::new());
    }

    out.push(style.paint(BOLD, "Safety gates:"));
    let id_w = plan
        .gates
        .iter()
        .map(|g| g.gate.id().len())
        .max()
        .unwrap_or(0);
    let val_w = plan
        .gates
        .iter()
        .map(|g| g.value.to_string().len())
        .max()
        .unwrap_or(0);
    let lim_w = plan
        .gates
        .iter()
        .map(|g| gate_limit(g).len())
        .max()
        .unwrap_or(0);
    for g in &plan.gates {
        let status = gate_status(g);
        let status = match status {
            "TRIPPED" => style.paint(RED, &format!("TRIPPED (override: {})", g.gate.flag())),
            "overridden" => style.paint(YELLOW, &format!("overridden by {}", g.gate.flag())),
            "ok" => style.paint(GREEN, "ok"),
            other => style.paint(DIM, other),
        };
        out.push(format!(
            "  {:<id_w$}  {:>val_w$}  {:<lim_w$}  {status}",
            g.gate.id(),
            g.value,
            gate_limit(g),
        ));
        out.push(format!("      {}", style.paint(DIM, &clean(&g.message))));
    }
    // Seats are not an overridable gate (Graph refuses a licence without a
    // free seat), but they stop the plan like one: their own line here.
    for e in plan
        .errors
        .iter()
        .filter(|e| e.code == crate::plan::ErrorCode::SeatShortfall)
    {
        out.push(format!(
            "  license-seats  {}",
            style.paint(RED, "TRIPPED (no override: Graph refuses the licence)")
        ));
        out.push(format!("      {}", style.paint(DIM, &clean(&e.message))));
    }
    out.push(String::new());

    let blocking = blocking_gates(plan);
    if !blocking.is_empty() {
        let names: Vec<String> = blocking
            .iter()
            .map(|g| format!("{} ({})", g.gate.id(), g.gate.flag()))
            .collect();
        out.push(style.paint(
            RED,
            &format!(
                "Blocked by safety gate{}: {}. Review the plan, then re-run with the flag if it is intended.",
                plural(blocking.len()),
                names.join(", ")
            ),
        ));
    }
    let waves = plan.waves();
    if waves > 0 {
        out.push(format!(
            "{waves} wave{}: apply runs the operations of a wave concurrently, one wave after the other.",
            plural(waves)
        ));
    }
    if errors > 0 {
        out.push(style.paint(
            RED,
            &format!(
                "The plan has {errors} error{}: nothing can be applied until {} fixed.",
                plural(errors),
                if errors == 1 { "it is" } else { "they are" }
            ),
        ));
    }
    out.push(style.paint(BOLD, &plan.summary.to_string()));
    let mut s = out.join("\n");
    s.push('\n');
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Notices of the lifecycle rules (tenant.lifecycle), shown under their own heading.
fn is_lifecycle(code: crate::plan::NoticeCode) -> bool {
    use crate::plan::NoticeCode as C;
    matches!(
        code,
        C::Offboarding
            | C::Upcoming
            | C::HireDatePending
            | C::DepartedUser
            | C::LeaverOverridesDeclared
    )
}
