//! The state directory's copy of the tenant's users and groups, with the
//! Graph delta links that continue from it (incremental reads).
//!
//! One JSON file, `DIR/live-snapshot.json`, written atomically (a temporary
//! file, then a rename) and readable only by its owner (it holds directory
//! data). It holds no credential: a delta link is a change-tracking position,
//! useless without a token for the same tenant.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::snapshot::{LiveGroup, LiveUser};

/// The snapshot's file name inside the state directory.
pub const SNAPSHOT_FILE: &str = "live-snapshot.json";

/// Bumped when the file's meaning changes; another version means a full read.
const FORMAT: u32 = 1;

/// Which tenant, through which Graph and as which app, a snapshot was read
/// from: a snapshot is only continued by the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantKey {
    /// The Graph version root (`https://graph.microsoft.com/v1.0`).
    pub graph_root: String,
    /// The tenant id or domain signed in to.
    pub tenant_id: String,
    /// The application (client) id signed in as.
    pub client_id: String,
}

/// Why a read was (or was not) incremental.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadMode {
    /// No state directory: a full read, nothing kept.
    #[default]
    Full,
    /// Changes since the snapshot, from Graph's delta links.
    Incremental,
    /// A full read that starts a new snapshot, for the reason given.
    Resync(ResyncReason),
}

/// Why a full read replaced the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResyncReason {
    /// The state directory holds no snapshot yet.
    NoSnapshot,
    /// The snapshot could not be read or parsed (the log says why).
    Unreadable,
    /// Written by another entraform version, or for another tenant, Graph or app.
    Mismatch,
    /// The last full read is older than the configured age.
    TooOld,
    /// A full read was asked for.
    Forced,
    /// Graph no longer knows the delta link (`syncStateNotFound`, 410 Gone).
    DeltaExpired,
    /// Graph reported an object both removed and present in one round.
    Ambiguous,
}

impl std::fmt::Display for ResyncReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ResyncReason::NoSnapshot => "no snapshot in the state directory yet",
            ResyncReason::Unreadable => "the snapshot could not be read",
            ResyncReason::Mismatch => {
                "the snapshot is for another tenant, Graph endpoint, app or entraform version"
            }
            ResyncReason::TooOld => "the last full read is older than --full-read-after",
            ResyncReason::Forced => "--full-read was given",
            ResyncReason::DeltaExpired => "Microsoft Graph expired the delta links",
            ResyncReason::Ambiguous => {
                "Microsoft Graph reported an object both removed and present in one round"
            }
        })
    }
}

/// A snapshot as stored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    format: u32,
    /// Where it was read from.
    pub tenant: TenantKey,
    /// When the last full read happened (Unix seconds).
    pub full_read_at: u64,
    /// `@odata.deltaLink` of the users round.
    pub users_delta_link: String,
    /// `@odata.deltaLink` of the groups round.
    pub groups_delta_link: String,
    /// Users as of the links.
    pub users: Vec<LiveUser>,
    /// Groups with members as of the links.
    pub groups: Vec<LiveGroup>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotOut<'a> {
    format: u32,
    tenant: &'a TenantKey,
    full_read_at: u64,
    users_delta_link: &'a str,
    groups_delta_link: &'a str,
    users: &'a [LiveUser],
    groups: &'a [LiveGroup],
}

/// What to store.
pub struct ToSave<'a> {
    /// Where it was read from.
    pub tenant: &'a TenantKey,
    /// When the last full read happened (Unix seconds).
    pub full_read_at: u64,
    /// `@odata.deltaLink` of the users round.
    pub users_delta_link: &'a str,
    /// `@odata.deltaLink` of the groups round.
    pub groups_delta_link: &'a str,
    /// Users.
    pub users: &'a [LiveUser],
    /// Groups with members.
    pub groups: &'a [LiveGroup],
}

/// A snapshot that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the snapshot {}: {source}", path.display())]
pub struct SaveError {
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

/// The snapshot in `dir` if it may be continued: same format and tenant, last
/// full read at most `max_age_secs` before `now`. Otherwise why not.
pub fn load(
    dir: &Path,
    key: &TenantKey,
    max_age_secs: u64,
    now: u64,
) -> Result<Snapshot, ResyncReason> {
    let path = dir.join(SNAPSHOT_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ResyncReason::NoSnapshot);
        }
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read the snapshot; reading the whole tenant");
            return Err(ResyncReason::Unreadable);
        }
    };
    let snap: Snapshot = serde_json::from_slice(&bytes).map_err(|e| {
        tracing::warn!(path = %path.display(), error = %e, "the snapshot is damaged; reading the whole tenant");
        ResyncReason::Unreadable
    })?;
    // The links are followed with the tenant's token: they must lead to the same Graph.
    let ours = |link: &str| crate::graph::paging::relative_to_root(link, &key.graph_root).is_some();
    if snap.format != FORMAT
        || &snap.tenant != key
        || !ours(&snap.users_delta_link)
        || !ours(&snap.groups_delta_link)
    {
        return Err(ResyncReason::Mismatch);
    }
    // A full read "in the future" (the clock went back) counts as too old.
    if snap.full_read_at > now || now - snap.full_read_at > max_age_secs {
        return Err(ResyncReason::TooOld);
    }
    Ok(snap)
}

/// A temporary file name next to the snapshot that nobody can guess in advance.
fn temp_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    format!(
        "{SNAPSHOT_FILE}.{}.{:016x}.tmp",
        std::process::id(),
        h.finish()
    )
}

/// Write the snapshot atomically, readable by its owner only. The state
/// directory is created (mode 0700) if missing; the temporary file is created
/// exclusively (never through an existing file or link) with mode 0600.
pub fn save(dir: &Path, s: &ToSave<'_>) -> Result<(), SaveError> {
    let path = dir.join(SNAPSHOT_FILE);
    let tmp = dir.join(temp_name());
    let err = |source| SaveError {
        path: path.clone(),
        source,
    };
    if !dir.is_dir() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(err)?;
    }
    let out = SnapshotOut {
        format: FORMAT,
        tenant: s.tenant,
        full_read_at: s.full_read_at,
        users_delta_link: s.users_delta_link,
        groups_delta_link: s.groups_delta_link,
        users: s.users,
        groups: s.groups,
    };
    let write = || -> std::io::Result<()> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let file = opts.open(&tmp)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        serde_json::to_writer(&mut w, &out)?;
        // No fsync: after a crash a damaged file only costs a full read.
        w.flush()?;
        drop(w);
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ObjectId, Upn};

    fn key() -> TenantKey {
        TenantKey {
            graph_root: "https://graph.microsoft.com/v1.0".into(),
            tenant_id: "t".into(),
            client_id: "c".into(),
        }
    }

    #[test]
    fn round_trip_and_refusals() {
        let dir = std::env::temp_dir().join(format!("entraform-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            load(&dir, &key(), 60, 1000).err(),
            Some(ResyncReason::NoSnapshot)
        );
        let mut u = LiveUser::new(ObjectId("1".into()), Upn::new_unchecked("a@x"));
        u.job_title = Some("Dev".into());
        let k = key();
        save(
            &dir,
            &ToSave {
                tenant: &k,
                full_read_at: 1000,
                users_delta_link: "https://graph.microsoft.com/v1.0/users/delta?$deltatoken=u",
                groups_delta_link: "https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=g",
                users: std::slice::from_ref(&u),
                groups: &[],
            },
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(SNAPSHOT_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
        }
        let s = load(&dir, &key(), 60, 1050).unwrap();
        assert_eq!(s.users, vec![u]);
        assert!(s.users_delta_link.ends_with("=u"));
        assert_eq!(
            load(&dir, &key(), 60, 1061).err(),
            Some(ResyncReason::TooOld)
        );
        let other = TenantKey {
            tenant_id: "other".into(),
            ..key()
        };
        assert_eq!(
            load(&dir, &other, 60, 1050).err(),
            Some(ResyncReason::Mismatch)
        );
        // A link to another host is never followed with this tenant's token.
        let text = std::fs::read_to_string(dir.join(SNAPSHOT_FILE)).unwrap();
        std::fs::write(
            dir.join(SNAPSHOT_FILE),
            text.replace(
                "https://graph.microsoft.com/v1.0/users",
                "https://evil.example/v1.0/users",
            ),
        )
        .unwrap();
        assert_eq!(
            load(&dir, &key(), 60, 1050).err(),
            Some(ResyncReason::Mismatch)
        );
        std::fs::write(dir.join(SNAPSHOT_FILE), "{ not json").unwrap();
        assert_eq!(
            load(&dir, &key(), 60, 1050).err(),
            Some(ResyncReason::Unreadable)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
