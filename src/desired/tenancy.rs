//! Many tenants in one repo: the `tenants/<name>/` layout, the shared
//! fragments a tenant pulls in with `include:`, and its `connection:` block.
//!
//! ```text
//! repo/
//!   common/groups/*.yaml          shared fragments (any folder outside tenants/)
//!   tenants/contoso/tenant.yaml   include: [../../common/groups]
//!   tenants/contoso/users.yaml
//!   tenants/fabrikam/tenant.yaml
//! ```
//!
//! A repo is a many-tenant repo when `tenants/` is a real folder at its root
//! and there is no `tenant.yaml` beside it; each tenant is then loaded like a
//! single-tenant repo rooted at `tenants/<name>/`, plus its includes. An
//! include is a path relative to the tenant's `tenant.yaml` that must stay
//! inside the repo root and outside `tenants/`; the included files are read
//! under the same rules as the repo's own (regular files only, links only to
//! files inside the included folder, the size caps counted over everything).

use std::path::{Path, PathBuf};

use super::diagnostic::{Code, Diagnostic, shown};
use super::file_rule::{FileRule, RULE_FILES};
use super::files::{self, Candidate, Listing};
use super::yaml::{self, Value};

/// The folder that holds one folder per tenant.
pub const TENANTS_DIR: &str = "tenants";
/// Most paths one `include:` lists.
pub const MAX_INCLUDES: usize = 64;
/// Most tenants one repo lists (GitHub's matrix takes 256 jobs, GitLab's 200).
pub const MAX_TENANTS: usize = 1000;
/// Longest tenant folder name (a Kubernetes CronJob name is at most 52 characters).
pub const MAX_TENANT_NAME: usize = 40;

/// Keys of `connection:` that name where the sign-in comes from.
pub const CONNECTION_KEYS: &[&str] = &[
    "tenant_id",
    "client_id",
    "tenant_id_env",
    "client_id_env",
    "client_secret_env",
    "client_certificate_path_env",
    "federated_token_file_env",
];
/// Keys that would hold a credential itself: always refused (`literal-secret`).
pub const SECRET_KEYS: &[&str] = &[
    "client_secret",
    "client_certificate",
    "client_certificate_password",
    "federated_token",
];
/// Every key `connection:` accepts without an `unknown-key` error (the secret
/// ones are then refused with a clearer `literal-secret`).
pub const CONNECTION_KEYS_ALL: &[&str] = &[
    "tenant_id",
    "client_id",
    "tenant_id_env",
    "client_id_env",
    "client_secret_env",
    "client_certificate_path_env",
    "federated_token_file_env",
    "client_secret",
    "client_certificate",
    "client_certificate_password",
    "federated_token",
];

/// Whether `name` may name a tenant folder: 1 to [`MAX_TENANT_NAME`] of
/// `a-z`, `0-9`, `-`, starting with a letter or digit (it becomes a job
/// name, a state folder and an environment-variable suffix).
pub fn tenant_name(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if name.is_empty() || name.len() > MAX_TENANT_NAME {
        return Err(format!(
            "a tenant name has 1 to {MAX_TENANT_NAME} characters"
        ));
    }
    if !name.chars().all(ok_char) || name.starts_with('-') {
        return Err(
            "a tenant name is lower-case letters, digits and `-`, starting with a letter or digit"
                .into(),
        );
    }
    Ok(())
}

/// Whether `value` is an environment variable name (`[A-Za-z_][A-Za-z0-9_]*`,
/// at most 128 characters). The value itself is never echoed: it may be a secret.
pub fn env_name(value: &str) -> Result<(), String> {
    let mut chars = value.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok
        || value.len() > 128
        || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(
            "it is not a variable name (letters, digits and `_`, at most 128 characters)".into(),
        );
    }
    Ok(())
}

/// The root-relative folders of an `include:` path written in
/// `tenants/<name>/tenant.yaml`, or why it is refused (absolute, out of the
/// repo, into `tenants/`, backslashes).
pub fn include_path(text: &str) -> Result<Vec<String>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("the path is empty".into());
    }
    if t.starts_with('/') || t.contains('\\') || t.contains(':') {
        return Err("write a relative path with `/` (relative to this tenant.yaml)".into());
    }
    // Start at tenants/<name>: the name does not matter, only the depth.
    let mut at: Vec<String> = vec![TENANTS_DIR.into(), "<tenant>".into()];
    for seg in t.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if at.pop().is_none() {
                    return Err("it leads out of the repo".into());
                }
            }
            s if s.starts_with('.') => {
                return Err("hidden folders and files are not read".into());
            }
            s => at.push(s.to_string()),
        }
    }
    if at.first().is_some_and(|s| s == TENANTS_DIR) {
        return Err(
            "it points into tenants/: shared fragments live outside it (e.g. common/)".into(),
        );
    }
    if at.is_empty() {
        return Err("it names the whole repo; name a folder or file in it".into());
    }
    Ok(at)
}

/// Whether the repo at `root` holds many tenants: `tenants/` is a real
/// folder and there is no `tenant.yaml` at the root.
pub fn is_many(root: &Path) -> bool {
    let folder = std::fs::symlink_metadata(root.join(TENANTS_DIR)).is_ok_and(|m| m.is_dir());
    folder
        && RULE_FILES
            .iter()
            .all(|f| std::fs::symlink_metadata(root.join(f)).is_err())
}

/// The tenants of the repo at `root`: the folders of `tenants/` that hold a
/// `tenant.yaml`, sorted; problems (bad names, links) are errors in words.
pub fn list(root: &Path) -> Result<Vec<String>, String> {
    let dir = root.join(TENANTS_DIR);
    let entries = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", files::display_name(&dir)))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", files::display_name(&dir)))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let ft = entry
            .file_type()
            .map_err(|e| format!("cannot read {}: {e}", files::display_name(&entry.path())))?;
        if !ft.is_dir() {
            if ft.is_symlink() {
                return Err(format!(
                    "{}/{} is a link; a tenant is a real folder (links are not followed)",
                    TENANTS_DIR,
                    shown(&name)
                ));
            }
            continue;
        }
        let has_rule = RULE_FILES
            .iter()
            .any(|f| std::fs::symlink_metadata(entry.path().join(f)).is_ok_and(|m| m.is_file()));
        if !has_rule {
            continue;
        }
        tenant_name(&name)
            .map_err(|why| format!("{TENANTS_DIR}/{}: {why}; rename the folder", shown(&name)))?;
        names.push(name);
        if names.len() > MAX_TENANTS {
            return Err(format!(
                "{TENANTS_DIR}/ holds more than {MAX_TENANTS} tenants; split the repo"
            ));
        }
    }
    names.sort();
    Ok(names)
}

/// The folder of tenant `name` in the repo at `root`, once the name is checked.
pub fn tenant_dir(root: &Path, name: &str) -> Result<PathBuf, String> {
    tenant_name(name).map_err(|why| format!("`{}` is not a tenant: {why}", shown(name)))?;
    let dir = root.join(TENANTS_DIR).join(name);
    let is_tenant = std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir())
        && RULE_FILES
            .iter()
            .any(|f| std::fs::symlink_metadata(dir.join(f)).is_ok_and(|m| m.is_file()));
    if !is_tenant {
        return Err(format!(
            "there is no tenant `{name}`: {} is not a folder with a tenant.yaml (`entraform tenants` lists them)",
            files::display_name(&dir)
        ));
    }
    Ok(dir)
}

/// Where one tenant signs in, as its `connection:` block names it (values
/// checked by the decoder; only the names of variables, never a secret).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// The tenant id or domain, written out.
    pub tenant_id: Option<String>,
    /// The application (client) id, written out.
    pub client_id: Option<String>,
    /// The variable holding the tenant id.
    pub tenant_id_env: Option<String>,
    /// The variable holding the client id.
    pub client_id_env: Option<String>,
    /// The variable holding the client secret.
    pub client_secret_env: Option<String>,
    /// The variable holding the certificate path.
    pub client_certificate_path_env: Option<String>,
    /// The variable holding the federated token file path.
    pub federated_token_file_env: Option<String>,
}

/// The scalars of one top-level block of `tenant.yaml`.
#[derive(Default)]
struct Block {
    /// `key: value` pairs of a mapping block.
    pairs: Vec<(String, String)>,
    /// Items of a list block.
    items: Vec<String>,
}

/// The top-level `key:` blocks of the `tenant.yaml` in `dir` (leniently: the
/// decoder reports what is wrong with it when the repo is loaded).
fn rule_doc_strings(dir: &Path, key: &str) -> Vec<Block> {
    let Some(candidate) = files::rule_file(dir) else {
        return Vec::new();
    };
    let read = files::read_all(Listing {
        files: vec![candidate],
        diags: Vec::new(),
    });
    let Some((_, text)) = read.texts.first() else {
        return Vec::new();
    };
    let Ok(docs) = yaml::parse(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for doc in &docs {
        let Value::Map(entries) = &doc.value else {
            continue;
        };
        for (k, v) in entries.iter() {
            if k.scalar().map(|s| &*s.text) != Some(key) {
                continue;
            }
            let mut block = Block::default();
            match &v.value {
                Value::Map(m) => {
                    for (ik, iv) in m.iter() {
                        if let (Some(a), Some(b)) = (ik.scalar(), iv.scalar()) {
                            block.pairs.push((a.text.to_string(), b.text.to_string()));
                        }
                    }
                }
                Value::Seq(s) => {
                    for item in s.iter() {
                        if let Some(x) = item.scalar() {
                            block.items.push(x.text.to_string());
                        }
                    }
                }
                _ => {}
            }
            out.push(block);
        }
    }
    out
}

/// The `connection:` block of the `tenant.yaml` in `dir` (empty when absent).
/// Values the decoder refuses (a literal secret, a bad variable name) are
/// left out here, so a refused value is never used.
pub fn connection(dir: &Path) -> Connection {
    let mut c = Connection::default();
    for block in rule_doc_strings(dir, "connection") {
        for (k, v) in block.pairs {
            let env_ok = env_name(&v).is_ok();
            let slot = match k.as_str() {
                "tenant_id" => &mut c.tenant_id,
                "client_id" => &mut c.client_id,
                "tenant_id_env" if env_ok => &mut c.tenant_id_env,
                "client_id_env" if env_ok => &mut c.client_id_env,
                "client_secret_env" if env_ok => &mut c.client_secret_env,
                "client_certificate_path_env" if env_ok => &mut c.client_certificate_path_env,
                "federated_token_file_env" if env_ok => &mut c.federated_token_file_env,
                _ => continue,
            };
            *slot = Some(v);
        }
    }
    c
}

/// The `include:` and `connection:` blocks of the `tenant.yaml` in `dir`,
/// written again from what they hold (only accepted paths and variable
/// names): what `export --tenant` keeps when it replaces that file.
pub fn kept_blocks(dir: &Path) -> String {
    let quote = |v: &str| serde_json::to_string(v).unwrap_or_default();
    let includes: Vec<String> = rule_doc_strings(dir, "include")
        .into_iter()
        .flat_map(|b| b.items)
        .filter(|i| include_path(i).is_ok())
        .take(MAX_INCLUDES)
        .map(|i| quote(&i))
        .collect();
    let mut out = String::new();
    if !includes.is_empty() {
        out.push_str("# Kept from the tenant.yaml this export replaced.\n");
        out.push_str(&format!("include: [{}]\n", includes.join(", ")));
    }
    let c = connection(dir);
    let pairs = [
        ("tenant_id", &c.tenant_id),
        ("client_id", &c.client_id),
        ("tenant_id_env", &c.tenant_id_env),
        ("client_id_env", &c.client_id_env),
        ("client_secret_env", &c.client_secret_env),
        (
            "client_certificate_path_env",
            &c.client_certificate_path_env,
        ),
        ("federated_token_file_env", &c.federated_token_file_env),
    ];
    if pairs.iter().any(|(_, v)| v.is_some()) {
        if includes.is_empty() {
            out.push_str("# Kept from the tenant.yaml this export replaced.\n");
        }
        out.push_str("connection:\n");
        for (k, v) in pairs {
            if let Some(v) = v {
                out.push_str(&format!("  {k}: {}\n", quote(v)));
            }
        }
    }
    out
}

/// Whether `dir` is `<root>/tenants/<name>` (so `include:` may be honoured),
/// giving the root.
fn layout_root(dir: &Path) -> Option<PathBuf> {
    let name = dir.file_name()?.to_str()?;
    let parent = dir.parent()?;
    (tenant_name(name).is_ok() && parent.file_name()?.to_str()? == TENANTS_DIR)
        .then(|| parent.parent().map(Path::to_path_buf).unwrap_or_default())
}

fn include_error(message: String) -> Diagnostic {
    Diagnostic::global(Code::PathOutsideRepo, message).help(
        "include folders or files of the repo outside tenants/ (e.g. `../../common/groups`); \
         real folders and files only, no links out of the repo",
    )
}

/// Add the files that the `include:` list of `dir`'s `tenant.yaml` names to
/// `listing` (sorted, without duplicates), or a diagnostic for each path
/// refused. Outside the `tenants/<name>/` layout an `include:` is an error.
pub fn add_includes(dir: &Path, listing: &mut Listing) {
    let includes: Vec<String> = rule_doc_strings(dir, "include")
        .into_iter()
        .flat_map(|b| b.items)
        .take(MAX_INCLUDES)
        .collect();
    if includes.is_empty() {
        return;
    }
    let Some(root) = layout_root(dir) else {
        listing.diags.push(include_error(
            "`include:` is read only in tenants/<name>/tenant.yaml of a many-tenant repo".into(),
        ));
        return;
    };
    let Ok(canon_root) = std::fs::canonicalize(if root.as_os_str().is_empty() {
        Path::new(".")
    } else {
        &root
    }) else {
        return;
    };
    let mut seen: std::collections::BTreeSet<PathBuf> = listing
        .files
        .iter()
        .filter_map(|c| std::fs::canonicalize(&c.read_from).ok())
        .collect();
    for text in includes {
        // The decoder reports a refused path in place; it is skipped here.
        let Ok(segments) = include_path(&text) else {
            continue;
        };
        // Walked as written below the tenant (`tenants/a/../../common`), so the
        // names in messages and in a saved plan's digest do not depend on the
        // current folder.
        let path = dir.join(text.trim());
        // Every folder on the way is a real folder: a link anywhere is refused.
        let mut at = root.clone();
        let mut linked = None;
        for seg in &segments {
            at = at.join(seg);
            if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
                linked = Some(at.clone());
                break;
            }
        }
        if let Some(l) = linked {
            listing.diags.push(include_error(format!(
                "`{}` in {}/tenant.yaml goes through the link {}; entraform does not follow links in includes",
                shown(&text),
                files::display_name(dir),
                files::display_name(&l)
            )));
            continue;
        }
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                listing.diags.push(
                    Diagnostic::global(
                        Code::IoError,
                        format!(
                            "`{}` in {}/tenant.yaml cannot be included: {e}",
                            shown(&text),
                            files::display_name(dir)
                        ),
                    )
                    .help("fix the path (relative to the tenant's tenant.yaml) or remove it"),
                );
                continue;
            }
        };
        match std::fs::canonicalize(&path) {
            Ok(c) if c.starts_with(&canon_root) => {}
            _ => {
                listing.diags.push(include_error(format!(
                    "`{}` in {}/tenant.yaml leads out of the repo",
                    shown(&text),
                    files::display_name(dir)
                )));
                continue;
            }
        }
        let found: Vec<Candidate> = if meta.is_dir() {
            match files::list_with(&path, &FileRule::default()) {
                Ok(l) => {
                    listing.diags.extend(l.diags);
                    l.files
                }
                Err(e) => {
                    listing.diags.push(Diagnostic::global(
                        Code::IoError,
                        format!("cannot read folder {}: {e}", files::display_name(&path)),
                    ));
                    continue;
                }
            }
        } else if meta.is_file() {
            vec![Candidate {
                read_from: path.clone(),
                path: path.clone(),
            }]
        } else {
            listing.diags.push(
                Diagnostic::global(
                    Code::NotARegularFile,
                    format!(
                        "`{}` in {}/tenant.yaml is not a regular file or folder",
                        shown(&text),
                        files::display_name(dir)
                    ),
                )
                .help("include real folders or YAML files only"),
            );
            continue;
        };
        for c in found {
            let key = std::fs::canonicalize(&c.read_from).unwrap_or_else(|_| c.read_from.clone());
            if seen.insert(key) {
                listing.files.push(c);
            }
        }
    }
    listing.files.sort_by(|a, b| a.path.cmp(&b.path));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_paths_stay_in_the_repo_and_out_of_tenants() {
        assert_eq!(
            include_path("../../common/groups").unwrap(),
            ["common", "groups"]
        );
        assert_eq!(include_path("../../x.yaml").unwrap(), ["x.yaml"]);
        for bad in [
            "../../../etc",
            "/etc/passwd",
            "../other",
            "users.yaml",
            "../..",
            "../../.git",
            "..\\..\\x",
            "",
        ] {
            assert!(include_path(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn env_names_and_tenant_names() {
        assert!(env_name("CONTOSO_CLIENT_SECRET").is_ok());
        assert!(env_name("_x1").is_ok());
        for bad in ["", "1ABC", "Xy7~q8Q.abc", "a-b", "A B"] {
            assert!(env_name(bad).is_err(), "{bad}");
        }
        assert!(tenant_name("contoso-eu").is_ok());
        for bad in ["", "-a", "A", "a/b", "..", "a_b", &"a".repeat(41)] {
            assert!(tenant_name(bad).is_err(), "{bad}");
        }
    }
}
