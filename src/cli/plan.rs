//! `entraform plan`: compare the directory repo with the tenant and show the plan.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;

use super::connect::TenantArgs;
use super::{ColorChoice, Exit};
use crate::desired::{load::digest, load_dir};
use crate::plan::render::{PlanFormat, RenderOptions, render};
use crate::plan::saved::{SavedPlan, Target};
use crate::plan::{self, GateKind, GateOverrides};

/// Arguments of `entraform plan`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory repo (every *.yaml / *.yml file below it).
    #[arg(default_value = ".", env = "ENTRAFORM_DIR")]
    pub dir: PathBuf,

    /// Output format: text (terminal), markdown (PR comment), json (machines), dot (dependency
    /// graph), github (errors as GitHub Actions annotations on the repo's files).
    #[arg(long, value_enum, default_value_t = OutFormat::Text, env = "ENTRAFORM_PLAN_FORMAT")]
    pub format: OutFormat,

    /// Save the plan (JSON, with a digest of the repo and fingerprints of the live objects) for `apply`.
    #[arg(long, value_name = "FILE", env = "ENTRAFORM_PLAN_OUT")]
    pub out: Option<PathBuf>,

    /// Exit 0 when there are no changes, 2 when there are (1 error, 3 unsafe either way).
    #[arg(long, env = "ENTRAFORM_DETAILED_EXITCODE")]
    pub detailed_exitcode: bool,

    #[command(flatten)]
    pub tenant: TenantArgs,

    #[command(flatten)]
    pub state: super::state::StateArgs,

    #[command(flatten)]
    pub gates: GateFlags,
}

/// `--format` of plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    /// Terraform-like, coloured on a terminal.
    Text,
    /// For pull-request comments (fits GitHub's comment limit).
    Markdown,
    /// Versioned JSON (docs/plan-format.md).
    Json,
    /// Graphviz DOT of the dependency graph.
    Dot,
    /// GitHub Actions workflow commands: errors as `::error file=…,line=…,col=…::`, as `validate --format github`.
    Github,
}

impl OutFormat {
    /// `plan` in this format.
    pub fn render(self, plan: &plan::Plan, opts: &RenderOptions) -> String {
        let format = match self {
            OutFormat::Text => PlanFormat::Text,
            OutFormat::Markdown => PlanFormat::Markdown,
            OutFormat::Json => PlanFormat::Json,
            OutFormat::Dot => PlanFormat::Dot,
            OutFormat::Github => return crate::plan::render::github::render(plan),
        };
        render(plan, format, opts)
    }
}

/// Overrides of the safety gates (each one deliberate, after reviewing the plan).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GateFlags {
    /// Allow more deletions than `safety.max_deletes`.
    #[arg(long, env = "ENTRAFORM_ALLOW_MASS_DELETES")]
    pub allow_mass_deletes: bool,
    /// Allow more disables than `safety.max_disables`.
    #[arg(long, env = "ENTRAFORM_ALLOW_MASS_DISABLES")]
    pub allow_mass_disables: bool,
    /// Allow more operations than `safety.max_changes`.
    #[arg(long, env = "ENTRAFORM_ALLOW_MASS_CHANGES")]
    pub allow_mass_changes: bool,
    /// Allow disabling, deleting or removing roles of protected principals.
    #[arg(long, env = "ENTRAFORM_ALLOW_PROTECTED_CHANGES")]
    pub allow_protected_changes: bool,
    /// Allow a plan that leaves no enabled Global Administrator.
    #[arg(long, env = "ENTRAFORM_ALLOW_NO_GLOBAL_ADMIN")]
    pub allow_no_global_admin: bool,
    /// Allow removing a privileged role from the identity entraform runs as.
    #[arg(long, env = "ENTRAFORM_ALLOW_OWN_ROLE_REMOVAL")]
    pub allow_own_role_removal: bool,
}

impl GateFlags {
    /// The domain-level overrides.
    pub fn overrides(&self) -> GateOverrides {
        let pairs = [
            (self.allow_mass_deletes, GateKind::MaxDeletes),
            (self.allow_mass_disables, GateKind::MaxDisables),
            (self.allow_mass_changes, GateKind::MaxChanges),
            (self.allow_protected_changes, GateKind::ProtectedPrincipals),
            (self.allow_no_global_admin, GateKind::GlobalAdministrators),
            (self.allow_own_role_removal, GateKind::OwnPrivilegedRole),
        ];
        GateOverrides(
            pairs
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, g)| g)
                .collect(),
        )
    }
}

/// The tenant and Graph endpoint a connection signs in to (recorded in saved plans).
pub(super) fn target(conn: &super::connect::Connection) -> Target {
    Target {
        tenant_id: conn.client.auth().tenant_id.clone(),
        graph_root: conn.client.root().to_string(),
    }
}

/// Run `plan`.
pub fn run(args: Args, color: ColorChoice) -> anyhow::Result<Exit> {
    let mut loaded = load_dir(&args.dir);
    if super::checked(
        &loaded,
        &args.dir,
        color,
        "fix the errors above (see `entraform validate`)",
    )
    .is_none()
    {
        return Ok(Exit::Error);
    }
    // From here the repo's text serves only the saved plan's digest: take it now and
    // free the text (about 50 MB with its line index for 100,000 users) before the
    // tenant is read.
    let repo_digest = args
        .out
        .is_some()
        .then(|| digest(&args.dir, &loaded.sources));
    drop(std::mem::take(&mut loaded.sources));
    let Ok((desired, _)) = &loaded.result else {
        return Ok(Exit::Error);
    };
    let conn = args.tenant.connect()?;
    let live = conn.read(Some(&args.state))?;
    let plan = plan::build(desired, &live, &args.gates.overrides());
    let opts = RenderOptions {
        color: args.format == OutFormat::Text && color.enabled(std::io::stdout().is_terminal()),
        ..RenderOptions::default()
    };
    super::execute::warn_passwords(&plan.steps);
    let mut out = std::io::stdout().lock();
    out.write_all(args.format.render(&plan, &opts).as_bytes())?;
    if let (Some(path), Some(repo_digest)) = (&args.out, repo_digest) {
        // Written also when the plan has errors or is blocked: reviewers can read it
        // (`entraform show`), and apply refuses it.
        let saved = SavedPlan::new(
            &plan,
            &live,
            &target(&conn),
            repo_digest,
            &args.gates.overrides(),
        );
        let text = saved.to_json()?;
        crate::private_file::write_private(path, text.as_bytes())
            .with_context(|| format!("cannot write the plan to {}", path.display()))?;
        tracing::info!(path = %path.display(), "plan saved");
    }
    Ok(if !plan.errors.is_empty() {
        Exit::Error
    } else if plan.is_blocked() {
        Exit::Unsafe
    } else if args.detailed_exitcode && plan.has_changes() {
        Exit::Changes
    } else {
        Exit::Ok
    })
}
