//! `entraform doctor`: check a tenant before the first plan, read-only.
//!
//! Signs in; reads the access token's claims (never prints the token):
//! who entraform is and the application permissions (`roles`) it was
//! granted; says for each kind of operation whether Graph would let it run
//! (docs/permissions.md, `plan::access::LEAST`); reads one page of each
//! listing the reader uses and reports status, latency and any Graph error
//! in words; and checks the service principal's directory roles against
//! Graph's sensitive-actions rule. Exit 0 when all is fine, 1 when something
//! is missing. `--format json` for CI.

use std::time::Instant;

use serde::Serialize;

use super::Exit;
use super::connect::TenantArgs;
use crate::graph::error::GraphError;
use crate::graph::{GraphClient, Request};
use crate::live::permissions::ReadStep;
use crate::live::{TokenClaims, first_requests, token_claims};
use crate::model::sensitive_actions::{self, Table, Target};
use crate::plan::access::{self, LEAST};

/// Arguments of `entraform doctor`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output: text for people, json for CI.
    #[arg(long, value_enum, default_value_t = Format::Text, env = "ENTRAFORM_DOCTOR_FORMAT")]
    pub format: Format,

    /// Check only what `plan` needs (a read-only app registration): the
    /// reads, not the permissions of the operations `apply` runs.
    #[arg(long, env = "ENTRAFORM_DOCTOR_READ_ONLY")]
    pub read_only: bool,

    #[command(flatten)]
    pub tenant: TenantArgs,

    /// With --tenant or --all-tenants: the many-tenant repo whose tenants/ folder names them.
    #[arg(
        long = "repo",
        value_name = "DIR",
        default_value = ".",
        env = "ENTRAFORM_DOCTOR_REPO"
    )]
    pub repo: std::path::PathBuf,

    #[command(flatten)]
    pub select: super::tenancy::SelectArgs,
}

impl super::tenancy::PerTenant for Args {
    const COMMAND: &'static str = "doctor";
    fn select(&self) -> &super::tenancy::SelectArgs {
        &self.select
    }
    fn root(&self) -> std::path::PathBuf {
        self.repo.clone()
    }
    fn narrow(&mut self, dir: std::path::PathBuf, name: &str, sign_in: super::tenancy::SignIn) {
        self.repo = dir;
        self.tenant.repo_tenant = Some(name.to_string());
        self.tenant.sign_in = Some(sign_in);
    }
    fn shared_paths(&self) -> Vec<(&'static str, std::path::PathBuf)> {
        Vec::new()
    }
    fn report(&self) -> super::fanout::Report {
        match self.format {
            Format::Json => super::fanout::Report::Json,
            Format::Text => super::fanout::Report::Text,
        }
    }
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Lines for a terminal.
    Text,
    /// One JSON document (`version` 1).
    Json,
}

/// One operation kind: allowed or not, and by which permission.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationCheck {
    /// The row of docs/permissions.md (`create_user`, `enable_user, disable_user`…).
    pub operation: String,
    /// Whether the granted permissions suffice.
    pub ok: bool,
    /// The granted permission(s) that allow it.
    pub via: Option<String>,
    /// What to grant otherwise (least privileged first).
    pub grant: Option<String>,
    /// The directory role it may need on users holding admin roles.
    pub role: String,
    /// Needed only when the repo opts in to a step (see [`OPT_IN_ROWS`]):
    /// missing, it is shown, not counted as a problem.
    pub opt_in: Option<String>,
}

/// Rows of docs/permissions.md an app needs only when the repo asks for them,
/// with when: the recommended grants leave them out.
pub const OPT_IN_ROWS: &[(&str, &str)] = &[
    (
        "remove_authentication_method",
        "only with the leaver step `remove_authentication_methods`; planning it also needs UserAuthenticationMethod.Read.All",
    ),
    (
        "disable_device",
        "only with the leaver step `disable_owned_devices`, with the Cloud Device Administrator role",
    ),
];

/// One listing the reader uses, first page.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadCheck {
    /// What is read.
    pub what: String,
    /// The request (method and path, no host).
    pub request: String,
    /// HTTP status (0: no answer).
    pub status: u16,
    /// Milliseconds.
    pub ms: u64,
    /// Whether it worked.
    pub ok: bool,
    /// Optional read (administrative units): a failure is a warning.
    pub optional: bool,
    /// Graph's error in words.
    pub error: Option<String>,
}

/// The service principal's directory roles and what they allow.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleCheck {
    /// Role names held at tenant scope.
    pub held: Vec<String>,
    /// Target roles on whose holders sensitive actions are allowed (`no admin role` first).
    pub sensitive_actions_on: Vec<String>,
    /// Target roles on whose holders they are refused, with the roles that would do.
    pub sensitive_actions_refused: Vec<String>,
    /// Same for revoking sessions (who can reset passwords).
    pub revoke_sessions_refused: Vec<String>,
    /// Users in the tenant Graph would not let entraform act on (sensitive actions), by UPN; at most 20.
    pub protected_users: Vec<String>,
    /// How many such users there are.
    pub protected_user_count: usize,
}

/// The whole check.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Format version.
    pub version: u32,
    /// The Graph endpoint.
    pub graph: String,
    /// What the token says (no secret).
    pub token: TokenClaims,
    /// Sign-in latency.
    pub sign_in_ms: u64,
    /// Per operation kind (empty with `--read-only`).
    pub operations: Vec<OperationCheck>,
    /// Per listing.
    pub reads: Vec<ReadCheck>,
    /// Directory roles (when role assignments could be read).
    pub roles: Option<RoleCheck>,
    /// Everything missing, one line each.
    pub problems: Vec<String>,
    /// No problem.
    pub ok: bool,
}

/// Run `doctor` on `rt`.
pub fn run(args: Args, rt: &tokio::runtime::Runtime) -> anyhow::Result<Exit> {
    let conn = args.tenant.connect(rt)?;
    let report = match conn.rt.block_on(check(&conn.client, args.read_only)) {
        Ok(r) => r,
        Err(e) => {
            // Sign-in failed: nothing else can be checked.
            let msg = format!("sign-in failed: {e}");
            match args.format {
                Format::Json => println!(
                    "{}",
                    serde_json::json!({"version": 1, "ok": false, "problems": [msg]})
                ),
                Format::Text => println!("entraform doctor\n\n  FAIL  {msg}\n\nResult: 1 problem."),
            }
            return Ok(Exit::Error);
        }
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Format::Text => print!("{}", text(&report)),
    }
    Ok(if report.ok { Exit::Ok } else { Exit::Error })
}

/// Sign in, read the token, try every listing, judge permissions and roles.
pub async fn check(client: &GraphClient, read_only: bool) -> Result<Report, GraphError> {
    let t0 = Instant::now();
    let token = client.access_token().await.map_err(GraphError::from)?;
    let sign_in_ms = t0.elapsed().as_millis() as u64;
    let claims = token_claims(token.expose()).unwrap_or_default();
    let granted: Vec<String> = claims.roles.clone().unwrap_or_default();
    let mut problems = Vec::new();
    if claims.roles.is_none() {
        problems.push(
            "the access token is not a JWT entraform can read: its permissions are unknown".into(),
        );
    }

    let mut operations = Vec::new();
    if !read_only {
        for row in LEAST {
            let rule = row.rule();
            let via = rule
                .iter()
                .find(|all| access::satisfied(&granted, &[all]))
                .map(|all| all.join(" + "));
            let ok = via.is_some();
            let grant = (!ok).then(|| access::describe(rule));
            let opt_in = OPT_IN_ROWS
                .iter()
                .find(|(r, _)| *r == row.row)
                .map(|(_, when)| when.to_string());
            if let (Some(g), None) = (&grant, &opt_in) {
                problems.push(format!("{}: grant {g}", row.row));
            }
            operations.push(OperationCheck {
                operation: row.row.to_string(),
                ok,
                via,
                grant,
                role: row.role.to_string(),
                opt_in,
            });
        }
    }

    let mut reads = Vec::new();
    let mut assignments: Option<serde_json::Value> = None;
    // Subscribed SKUs (read when the repo declares licences).
    let skus = (
        crate::live::permissions::SUBSCRIBED_SKUS,
        "/subscribedSkus?$select=skuId".to_string(),
    );
    for (step, path) in first_requests().into_iter().chain([skus]) {
        // Administrative units and PIM: the read goes on without them.
        let optional = step == crate::live::permissions::ADMIN_UNITS
            || step == crate::live::permissions::ROLE_SCHEDULES;
        let t = Instant::now();
        let result = client.send(&Request::get(path.clone())).await;
        let ms = t.elapsed().as_millis() as u64;
        let shown = path.split('?').next().unwrap_or(&path).to_string();
        let (status, error, body) = match result {
            Ok(r) => (r.status, None, r.value()),
            Err(e) => (status_of(&e), Some(in_words(&e, step)), None),
        };
        let ok = error.is_none();
        if step == crate::live::permissions::ROLE_ASSIGNMENTS {
            assignments = body;
        }
        if !ok {
            let line = format!(
                "reading {} (GET {shown}): HTTP {status}{}",
                step.what,
                if optional { " (optional)" } else { "" }
            );
            if !optional {
                problems.push(line);
            }
        }
        reads.push(ReadCheck {
            what: step.what.to_string(),
            request: format!("GET {shown}"),
            status,
            ms,
            ok,
            optional,
            error,
        });
    }

    let roles = assignments.map(|v| role_check(&v, claims.object_id.as_deref()));
    Ok(Report {
        version: 1,
        graph: client.root().to_string(),
        token: claims,
        sign_in_ms,
        operations,
        reads,
        roles,
        ok: problems.is_empty(),
        problems,
    })
}

fn status_of(e: &GraphError) -> u16 {
    match e {
        GraphError::Api(api) => api.status,
        _ => 0,
    }
}

/// Graph's error in words; a 403 names the permission the read needs.
fn in_words(e: &GraphError, step: ReadStep) -> String {
    match e {
        GraphError::Api(api) if api.status == 403 => format!(
            "{} {}: grant {}",
            api.code,
            api.message.trim(),
            step.needed()
        ),
        GraphError::Api(api) => format!("{} {}", api.code, api.message.trim()),
        other => other.to_string(),
    }
}

/// Target roles the sensitive-action tables name, in the order Graph lists them.
const TABLE_ROWS: &[&str] = &[
    sensitive_actions::role::AUTHENTICATION_ADMINISTRATOR,
    sensitive_actions::role::DIRECTORY_READERS,
    sensitive_actions::role::GLOBAL_ADMINISTRATOR,
    sensitive_actions::role::GROUPS_ADMINISTRATOR,
    sensitive_actions::role::GUEST_INVITER,
    sensitive_actions::role::HELPDESK_ADMINISTRATOR,
    sensitive_actions::role::MESSAGE_CENTER_READER,
    sensitive_actions::role::PASSWORD_ADMINISTRATOR,
    sensitive_actions::role::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
    sensitive_actions::role::PRIVILEGED_ROLE_ADMINISTRATOR,
    sensitive_actions::role::REPORTS_READER,
    sensitive_actions::role::USAGE_SUMMARY_REPORTS_READER,
    sensitive_actions::role::USER_ADMINISTRATOR,
];

fn role_name(id: &str) -> String {
    crate::model::builtin_roles::by_template_id(&id.to_ascii_lowercase())
        .map_or_else(|| format!("role {id}"), |r| r.display_name.to_string())
}

/// The principal's roles from the first page of tenant-scope role
/// assignments, and what they allow under Graph's two tables.
fn role_check(assignments: &serde_json::Value, me: Option<&str>) -> RoleCheck {
    let items: Vec<(&str, &str)> = assignments["value"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|a| Some((a["principalId"].as_str()?, a["roleDefinitionId"].as_str()?)))
                .collect()
        })
        .unwrap_or_default();
    let mine: Vec<String> = items
        .iter()
        .filter(|(p, _)| Some(*p) == me)
        .map(|(_, r)| r.to_ascii_lowercase())
        .collect();
    let judge = |table: Table, role: Option<&str>| {
        let target = Target {
            roles: role.map(|r| vec![r.to_string()]).unwrap_or_default(),
            ..Target::default()
        };
        (
            sensitive_actions::allowed(table, &mine, &target),
            sensitive_actions::required_roles(table, &target).unwrap_or_default(),
        )
    };
    let mut on = vec!["no admin role".to_string()];
    let mut refused = Vec::new();
    let mut revoke_refused = Vec::new();
    for r in TABLE_ROWS {
        let (ok, need) = judge(Table::SensitiveActions, Some(r));
        if ok {
            on.push(role_name(r));
        } else {
            refused.push(format!(
                "{} (needs {})",
                role_name(r),
                sensitive_actions::names(&need)
            ));
        }
        let (ok, need) = judge(Table::ResetPassword, Some(r));
        if !ok {
            revoke_refused.push(format!(
                "{} (needs {})",
                role_name(r),
                sensitive_actions::names(&need)
            ));
        }
    }
    // Principals (on this page) holding a role the service principal may not act on.
    let mut protected: Vec<String> = items
        .iter()
        .filter(|(p, r)| Some(*p) != me && !judge(Table::SensitiveActions, Some(r)).0)
        .map(|(p, _)| (*p).to_string())
        .collect();
    protected.sort();
    protected.dedup();
    let count = protected.len();
    protected.truncate(20);
    RoleCheck {
        held: mine.iter().map(|r| role_name(r)).collect(),
        sensitive_actions_on: on,
        sensitive_actions_refused: refused,
        revoke_sessions_refused: revoke_refused,
        protected_users: protected,
        protected_user_count: count,
    }
}

fn text(r: &Report) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let t = &r.token;
    let _ = writeln!(
        o,
        "entraform doctor: {} as app {} (service principal {}), tenant {}",
        r.graph,
        t.app_id.as_deref().unwrap_or("?"),
        t.object_id.as_deref().unwrap_or("unknown"),
        t.tenant_id.as_deref().unwrap_or("?")
    );
    let _ = writeln!(o, "\nSign-in: ok ({} ms)", r.sign_in_ms);
    match &t.roles {
        Some(roles) if roles.is_empty() => {
            let _ = writeln!(o, "Application permissions (token roles): none");
        }
        Some(roles) => {
            let _ = writeln!(
                o,
                "Application permissions (token roles): {}",
                roles.join(", ")
            );
        }
        None => {
            let _ = writeln!(o, "Application permissions: unknown (not a JWT)");
        }
    }
    if !r.operations.is_empty() {
        let _ = writeln!(o, "\nOperations (what apply may do):");
        let w = r
            .operations
            .iter()
            .map(|c| c.operation.len())
            .max()
            .unwrap_or(0);
        for c in &r.operations {
            let (status, detail) = match (c.ok, &c.opt_in) {
                (true, _) => ("ok     ", format!("via {}", c.via.as_deref().unwrap_or(""))),
                (false, Some(when)) => (
                    "opt-in ",
                    format!("grant {} ({when})", c.grant.as_deref().unwrap_or("")),
                ),
                (false, None) => (
                    "MISSING",
                    format!("grant {}", c.grant.as_deref().unwrap_or("")),
                ),
            };
            let _ = writeln!(o, "  {status}  {:<w$}  {detail}", c.operation);
        }
    }
    let _ = writeln!(o, "\nReads (one page of each listing plan uses):");
    let w = r.reads.iter().map(|c| c.what.len()).max().unwrap_or(0);
    for c in &r.reads {
        let status = match (c.ok, c.optional) {
            (true, _) => "ok  ",
            (false, true) => "warn",
            (false, false) => "FAIL",
        };
        let _ = writeln!(
            o,
            "  {status}  {:>3}  {:>5} ms  {:<w$}  {}",
            c.status, c.ms, c.what, c.request
        );
        if let Some(e) = &c.error {
            let _ = writeln!(o, "              {e}");
        }
    }
    if let Some(roles) = &r.roles {
        let _ = writeln!(
            o,
            "\nDirectory roles of the service principal: {}",
            if roles.held.is_empty() {
                "none".to_string()
            } else {
                roles.held.join(", ")
            }
        );
        let _ = writeln!(
            o,
            "  Sensitive actions (enable/disable, delete/restore, phones, other mails, UPN) allowed on users holding: {}",
            roles.sensitive_actions_on.join(", ")
        );
        if !roles.sensitive_actions_refused.is_empty() {
            let _ = writeln!(
                o,
                "  Refused on users holding: {}",
                roles.sensitive_actions_refused.join("; ")
            );
        }
        if !roles.revoke_sessions_refused.is_empty() {
            let _ = writeln!(
                o,
                "  Revoking sessions refused on users holding: {}",
                roles.revoke_sessions_refused.join("; ")
            );
        }
        if roles.protected_user_count > 0 {
            let _ = writeln!(
                o,
                "  {} principal(s) in the tenant hold such a role (keep them out of the repo's scope, or give the app a higher role): {}",
                roles.protected_user_count,
                roles.protected_users.join(", ")
            );
        }
    }
    if r.ok {
        let _ = writeln!(o, "\nResult: ok.");
    } else {
        let _ = writeln!(
            o,
            "\nResult: {} problem{}:",
            r.problems.len(),
            if r.problems.len() == 1 { "" } else { "s" }
        );
        for p in &r.problems {
            let _ = writeln!(o, "  - {p}");
        }
    }
    o
}
