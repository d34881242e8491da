//! `entraform schema`: print the JSON Schema of the desired-state files.

use super::Exit;

/// Arguments of `entraform schema`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Run `schema`.
pub fn run(_args: Args) -> anyhow::Result<Exit> {
    anyhow::bail!("schema is being built")
}
