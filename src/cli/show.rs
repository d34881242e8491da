//! `entraform show`: render a saved plan (from `plan --out`) for a reviewer.
//!
//! The output is byte for byte what `plan` printed in the same format. `show`
//! reads only the file: it neither reads the tenant nor checks that the plan
//! is still current (that is `apply`'s job, which recomputes it).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use super::flags::OutFormat;
use super::{ColorChoice, Exit};
use crate::plan::render::RenderOptions;

/// Arguments of `entraform show`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The saved plan (written by `entraform plan --out`).
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,

    /// Output format: text (terminal), markdown (PR comment), json (machines), dot (dependency
    /// graph), github (errors as GitHub Actions annotations).
    #[arg(long, value_enum, default_value_t = OutFormat::Text, env = "ENTRAFORM_PLAN_FORMAT")]
    pub format: OutFormat,
}

/// Run `show`.
pub fn run(args: Args, color: ColorChoice) -> anyhow::Result<Exit> {
    let Some(saved) = super::saved::load_plan(&args.plan)? else {
        return Ok(Exit::Error);
    };
    let opts = RenderOptions {
        color: args.format == OutFormat::Text && color.enabled(std::io::stdout().is_terminal()),
        ..RenderOptions::default()
    };
    let mut out = std::io::stdout().lock();
    out.write_all(args.format.render(&saved.plan, &opts).as_bytes())?;
    Ok(Exit::Ok)
}
