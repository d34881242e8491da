//! `entraform report KIND`: read-only reports on the tenant (stale accounts,
//! MFA registration, deleted users, privileged roles, licences); never writes.
//!
//! The clock is read here, at the edge, and handed to the pure builders as
//! a value (`crate::report`); what each report needs and costs: docs/reports.md.

use std::io::Write;
use std::path::PathBuf;

use super::connect::TenantArgs;
use super::flags::ReportFormat;
use super::{ColorChoice, Exit};
use crate::desired::load_dir;
use crate::report::privileged::Declared;
use crate::report::{Report, deleted, licenses, mfa, privileged, read, render, stale};

/// What every report takes: its output format and the tenant (the same
/// sign-in flags as `plan`).
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Output format: text (terminal), markdown (comment), json (machines), csv (spreadsheets).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text, env = "ENTRAFORM_REPORT_FORMAT")]
    pub format: ReportFormat,

    #[command(flatten)]
    pub tenant: TenantArgs,

    /// `--now`: the moment the report is computed for (ages, days left), as for plans.
    #[command(flatten)]
    pub clock: super::flags::ClockArgs,
}

/// Arguments of `entraform report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which report.
    #[command(subcommand)]
    pub kind: Kind,
}

/// The reports.
#[derive(Debug, clap::Subcommand)]
pub enum Kind {
    /// Enabled users whose last sign-in is older than --days, or who never signed in
    /// (needs AuditLog.Read.All and Microsoft Entra ID P1 or P2).
    StaleAccounts {
        /// Report users without a sign-in in this many days.
        #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=36_500), env = "ENTRAFORM_REPORT_DAYS")]
        days: u32,
        #[command(flatten)]
        common: ReportArgs,
    },
    /// Enabled users without a registered strong authentication method
    /// (needs AuditLog.Read.All and Microsoft Entra ID P1 or P2).
    Mfa {
        #[command(flatten)]
        common: ReportArgs,
    },
    /// Soft-deleted users and the days left before Microsoft Graph purges them (needs User.Read.All).
    DeletedUsers {
        #[command(flatten)]
        common: ReportArgs,
    },
    /// Seats per SKU: purchased, assigned, available, held directly or through a group
    /// (needs Organization.Read.All and User.Read.All).
    Licenses {
        #[command(flatten)]
        common: ReportArgs,
    },
    /// Every principal holding a privileged directory role, active or eligible (PIM), and
    /// whether the repo declares it (needs RoleManagement.Read.Directory).
    Privileged {
        /// The directory repo to compare with (its `roles:`); without it nothing is compared.
        #[arg(long, value_name = "DIR", env = "ENTRAFORM_REPORT_REPO")]
        repo: Option<PathBuf>,
        #[command(flatten)]
        common: ReportArgs,
    },
}

/// Run a report on `rt`.
pub fn run(args: Args, color: ColorChoice, rt: &tokio::runtime::Runtime) -> anyhow::Result<Exit> {
    let (common, repo) = match &args.kind {
        Kind::StaleAccounts { common, .. }
        | Kind::Mfa { common }
        | Kind::DeletedUsers { common }
        | Kind::Licenses { common } => (common, None),
        Kind::Privileged { common, repo } => (common, repo.as_ref()),
    };
    // The repo first: a broken one is reported before anything is read.
    let declared = match repo {
        None => None,
        Some(dir) => {
            let loaded = load_dir(dir);
            match super::checked(&loaded, dir, color, "nothing was read") {
                Some(desired) => Some(Declared::from_desired(desired)),
                None => return Ok(Exit::Error),
            }
        }
    };
    let conn = common.tenant.connect(rt)?;
    let client = &conn.client;
    // The one clock reading of a report: `--now`, or the system time (at the CLI edge).
    let now = common.clock.now().0;
    let report: Report = match &args.kind {
        Kind::StaleAccounts { days, .. } => {
            let users = conn.rt.block_on(read::sign_in_users(client))?;
            stale::build(&users, now, *days)
        }
        Kind::Mfa { .. } => {
            let rows = conn.rt.block_on(read::registrations(client))?;
            mfa::build(&rows, now)
        }
        Kind::DeletedUsers { .. } => {
            let users = conn.rt.block_on(read::deleted_users(client))?;
            deleted::build(&users, now)
        }
        Kind::Licenses { .. } => {
            let (skus, users) = conn.rt.block_on(read::licenses(client))?;
            licenses::build(&skus, &users, now)
        }
        Kind::Privileged { .. } => {
            let data = conn.rt.block_on(read::roles(client))?;
            let mut r = privileged::build(&data.definitions, &data.grants, declared.as_ref(), now);
            if let Some(e) = data.eligibility_error {
                r.notes.push(format!(
                    "Eligible (PIM) assignments could not be read, only active ones are listed: {e}"
                ));
            }
            r
        }
    };
    tracing::info!(
        report = report.kind,
        rows = report.rows.len(),
        requests = client.counters().http_requests,
        "report read"
    );
    let mut out = std::io::stdout().lock();
    out.write_all(render::render(&report, common.format.format()).as_bytes())?;
    Ok(Exit::Ok)
}
