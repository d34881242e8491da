//! `entraform snapshot`: write an emulator seed from the live tenant (or an
//! emulator), to rehearse changes against a copy of it with
//! `entraform emulator --seed` or `plan --emulator`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::Exit;
use super::connect::TenantArgs;
use crate::export::seed::{SeedApp, SeedOptions, seed_from_live};

/// Arguments of `entraform snapshot`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The seed file to write (JSON, mode 0600; never through a symbolic link).
    #[arg(long, value_name = "FILE", env = "ENTRAFORM_SNAPSHOT_OUT")]
    pub out: PathBuf,

    /// Replace people's names, mail addresses, phone numbers and street
    /// addresses (consistently; UPN domains kept), e.g. to attach the seed to a bug report.
    #[arg(long, alias = "anonymize", env = "ENTRAFORM_SNAPSHOT_ANONYMISE")]
    pub anonymise: bool,

    /// Replace an existing seed file (and its `.secret.env`).
    #[arg(long, env = "ENTRAFORM_SNAPSHOT_FORCE")]
    pub force: bool,

    #[command(flatten)]
    pub tenant: TenantArgs,
}

/// Where the seed app's credentials are written: `<seed>.secret.env`.
pub fn secret_path(seed: &Path) -> PathBuf {
    let mut name = seed.as_os_str().to_owned();
    name.push(".secret.env");
    PathBuf::from(name)
}

fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut b = [0u8; N];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| anyhow::anyhow!("the system's random number generator failed"))?;
    Ok(b)
}

/// A random (version 4) GUID.
fn random_guid() -> anyhow::Result<String> {
    let mut b = random_bytes::<16>()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

fn is_guid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn refuse_existing(path: &Path, force: bool) -> anyhow::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => anyhow::bail!("{} is a directory; give a file name", path.display()),
        Ok(_) if !force => anyhow::bail!(
            "{} exists; choose another --out or add --force to replace it",
            path.display()
        ),
        _ => Ok(()),
    }
}

/// Run `snapshot`.
pub fn run(args: Args, rt: &tokio::runtime::Runtime) -> anyhow::Result<Exit> {
    let secret_file = secret_path(&args.out);
    refuse_existing(&args.out, args.force)?;
    refuse_existing(&secret_file, args.force)?;
    let conn = args.tenant.connect(rt)?;
    // The same bulk read as `plan` (no state directory: the whole tenant).
    let live = conn.read(None)?;
    let live = conn.try_licenses(live);
    let tenant_id = conn.client.auth().tenant_id.clone();
    let tenant_id = if args.anonymise || !is_guid(&tenant_id) {
        random_guid()?
    } else {
        tenant_id
    };
    let client_id = random_guid()?;
    let secret = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
    let secret_sha256: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let opts = SeedOptions {
        tenant_id: tenant_id.clone(),
        app: SeedApp {
            app_id: client_id.clone(),
            secret_sha256,
            fallback_principal_id: random_guid()?,
        },
        anonymise: args.anonymise,
    };
    let out = seed_from_live(&live, &opts);
    let mut text = serde_json::to_string_pretty(&out.seed).context("cannot serialize the seed")?;
    text.push('\n');
    crate::private_file::write_private(&args.out, text.as_bytes())
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let env = format!(
        "# Credentials of the emulator-only app of {} (valid only against `entraform emulator --seed` of it).\nAZURE_TENANT_ID={tenant_id}\nAZURE_CLIENT_ID={client_id}\nAZURE_CLIENT_SECRET={secret}\n",
        args.out.display()
    );
    crate::private_file::write_private(&secret_file, env.as_bytes())
        .with_context(|| format!("cannot write {}", secret_file.display()))?;
    for n in &out.notes {
        eprintln!("note: {n}");
    }
    let s = &out.seed;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "Wrote {} ({} users, {} groups, {} role assignments, {} deleted users{}), read in {} requests.\nThe emulator-only app's client id and secret are in {} (mode 0600). Rehearse with `entraform emulator --seed {}` or `entraform plan DIR --emulator {}`.",
        args.out.display(),
        s.users.len(),
        s.groups.len(),
        s.role_assignments.len(),
        s.deleted_users.len(),
        if args.anonymise { "; anonymised" } else { "" },
        live.stats().requests.graph_requests(),
        secret_file.display(),
        args.out.display(),
        args.out.display(),
    );
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids() {
        let g = random_guid().unwrap();
        assert!(is_guid(&g), "{g}");
        assert_ne!(g, random_guid().unwrap());
        assert!(!is_guid("contoso.onmicrosoft.com"));
    }

    #[test]
    fn secret_file_is_beside_the_seed() {
        assert_eq!(
            secret_path(Path::new("/tmp/seed.json")),
            PathBuf::from("/tmp/seed.json.secret.env")
        );
    }
}
