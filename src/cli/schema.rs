//! `entraform schema`: print the JSON Schema of the desired-state files.

use std::io::Write;

use super::Exit;

/// Arguments of `entraform schema`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Print the schema to stdout (save it as entraform.schema.json and point editors at it).
pub fn run(_args: Args) -> anyhow::Result<Exit> {
    let text = serde_json::to_string_pretty(&crate::desired::schema::schema())?;
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(Exit::Ok)
}
