//! `entraform validate`: load and check a directory repo.

use std::path::PathBuf;

use super::Exit;

/// Arguments of `entraform validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory repo to check (all *.yaml / *.yml files below it).
    #[arg(default_value = ".", env = "ENTRAFORM_DIR")]
    pub dir: PathBuf,
}

/// Run `validate`.
pub fn run(_args: Args, _color: bool) -> anyhow::Result<Exit> {
    anyhow::bail!("validate is being built")
}
