//! `entraform tenants`: list the tenants of a many-tenant repo (one name a
//! line, or `--json` for a CI matrix: `["contoso","fabrikam"]`).

use std::io::Write;
use std::path::PathBuf;

use super::Exit;
use crate::desired::tenancy;

/// Arguments of `entraform tenants`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The many-tenant repo (the folder that holds tenants/).
    #[arg(default_value = ".", env = "ENTRAFORM_DIR")]
    pub dir: PathBuf,

    /// Print a JSON array of the names (for `fromJSON` in a GitHub Actions matrix).
    #[arg(long, env = "ENTRAFORM_TENANTS_JSON")]
    pub json: bool,
}

/// Run `tenants`.
pub fn run(args: Args) -> anyhow::Result<Exit> {
    if !tenancy::is_many(&args.dir) {
        anyhow::bail!(
            "{} is not a many-tenant repo: it needs a tenants/ folder (tenants/<name>/tenant.yaml) and no tenant.yaml at its root",
            args.dir.display()
        );
    }
    let names = tenancy::list(&args.dir).map_err(anyhow::Error::msg)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&names)?)?;
    } else {
        for n in &names {
            writeln!(out, "{n}")?;
        }
    }
    Ok(Exit::Ok)
}
