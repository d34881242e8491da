//! Versioned JSON (`docs/plan-format.md`).

use serde::Serialize;

use crate::plan::{GateResult, Notice, PLAN_FORMAT_VERSION, Plan, PlanError, Step, Summary};

/// The JSON document: the plan's fields behind a format version, in a fixed order
/// (also the `plan` of a saved plan file).
#[derive(Serialize)]
pub(crate) struct Document<'a> {
    format_version: u32,
    summary: &'a Summary,
    has_changes: bool,
    blocked: bool,
    waves: usize,
    owned_users: u64,
    steps: &'a [Step],
    notices: &'a [Notice],
    errors: &'a [PlanError],
    gates: &'a [GateResult],
}

/// The plan as its JSON document.
pub(crate) fn document(plan: &Plan) -> Document<'_> {
    Document {
        format_version: PLAN_FORMAT_VERSION,
        summary: &plan.summary,
        has_changes: plan.has_changes(),
        blocked: plan.is_blocked(),
        waves: plan.waves(),
        owned_users: plan.owned_users,
        steps: &plan.steps,
        notices: &plan.notices,
        errors: &plan.errors,
        gates: &plan.gates,
    }
}

/// Render the plan as pretty-printed JSON ending with a newline. Passwords
/// never appear: operations carry only the password policy.
pub(super) fn render(plan: &Plan) -> String {
    let doc = document(plan);
    match serde_json::to_string_pretty(&doc) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        // Every map key in a plan is a string, so this cannot happen; stay valid JSON anyway.
        Err(e) => format!(
            "{{\n  \"format_version\": {PLAN_FORMAT_VERSION},\n  \"error\": {}\n}}\n",
            serde_json::Value::String(format!("cannot serialise the plan: {e}"))
        ),
    }
}
