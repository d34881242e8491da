//! Reading a saved plan file (`plan --out`) for `apply` and `show`.

use std::io::Read;
use std::path::Path;

use anyhow::Context;

use crate::plan::saved::{self, LoadError, LoadedPlan, MAX_PLAN_FILE_BYTES};

/// Read a plan file, at most [`MAX_PLAN_FILE_BYTES`] of it.
fn read_plan_file(path: &Path) -> anyhow::Result<Result<LoadedPlan, LoadError>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read the plan {}", path.display()))?;
    // Refuse a huge file before reading it (the read below is bounded too: special files).
    if let Ok(meta) = file.metadata()
        && meta.len() > MAX_PLAN_FILE_BYTES
    {
        return Ok(Err(LoadError::TooLarge { size: meta.len() }));
    }
    let mut bytes = Vec::new();
    file.take(MAX_PLAN_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read the plan {}", path.display()))?;
    Ok(saved::load(&bytes))
}

/// Load a saved plan, or print why it cannot be read (`file:line:column: …`).
pub fn load_plan(path: &Path) -> anyhow::Result<Option<LoadedPlan>> {
    Ok(match read_plan_file(path)? {
        Ok(p) => Some(p),
        Err(e @ LoadError::Json { .. }) => {
            eprintln!("error: {}:{e}", path.display());
            None
        }
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            None
        }
    })
}
