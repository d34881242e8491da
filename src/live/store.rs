//! The state directory's copy of the tenant's users and groups, with the
//! Graph delta links that continue from it (incremental reads).
//!
//! Two JSON files, each written atomically (a temporary file, then a rename)
//! and readable only by their owner (they hold directory data):
//! `DIR/live-snapshot.json`, the users and groups, and
//! `DIR/live-snapshot.links.json`, the small part read first: tenant, delta
//! links, the last full read, and the id of the data file they continue. The
//! links are read first so the next round's requests go out while the data
//! file is parsed, and a round without changes rewrites only the links. The
//! data file is written before the links that point at it, so a crash in
//! between leaves ids that do not match: a full read. Neither file holds a
//! credential: a delta link is a change-tracking position, useless without a
//! token for the same tenant.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::live::{LiveGroup, LiveUser};

/// The snapshot's users and groups, inside the state directory.
pub const SNAPSHOT_FILE: &str = "live-snapshot.json";

/// The snapshot's tenant, delta links and data-file id, inside the state directory.
pub const LINKS_FILE: &str = "live-snapshot.links.json";

/// Bumped when the file's meaning changes; another version means a full read.
const FORMAT: u32 = 2;

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

pub use crate::model::read::{ReadMode, ResyncReason};

/// Where a snapshot continues from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Links {
    format: u32,
    /// Id of the data file these links continue.
    pub data_id: String,
    /// Where it was read from.
    pub tenant: TenantKey,
    /// When the last full read happened (Unix seconds).
    pub full_read_at: u64,
    /// `@odata.deltaLink` of the users round.
    pub users_delta_link: String,
    /// `@odata.deltaLink` of the groups round.
    pub groups_delta_link: String,
    /// The users round's `$select` (comma-joined) the delta link carries
    /// inside its opaque token: a version that manages more attributes must
    /// not continue a link that does not return them (a full read instead).
    /// Empty in files written before it was recorded.
    #[serde(default)]
    pub users_select: String,
}

/// The users round's `$select` as recorded in [`Links::users_select`].
pub fn users_select() -> String {
    crate::graph::dto::USER_SELECT.join(",")
}

/// A snapshot's users and groups as stored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Data {
    format: u32,
    id: String,
    /// Users as of the links.
    pub users: Vec<LiveUser>,
    /// Groups with members as of the links.
    pub groups: Vec<LiveGroup>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DataOut<'a> {
    format: u32,
    id: &'a str,
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
    /// The data file's id when it is unchanged (no changes in the round): only
    /// the links are rewritten. `None`: write `users` and `groups` anew.
    pub unchanged_data: Option<&'a str>,
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

fn read_file(path: &Path) -> Result<Vec<u8>, ResyncReason> {
    match std::fs::read(path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ResyncReason::NoSnapshot),
        Err(e) => {
            tracing::warn!(path = %path.display(), error = %e, "cannot read the snapshot; reading the whole tenant");
            Err(ResyncReason::Unreadable)
        }
    }
}

fn damaged(path: &Path, e: &serde_json::Error) -> ResyncReason {
    tracing::warn!(path = %path.display(), error = %e, "the snapshot is damaged; reading the whole tenant");
    ResyncReason::Unreadable
}

/// The snapshot's links in `dir` if they may be continued: same format and
/// tenant, links to the same Graph, last full read at most `max_age_secs`
/// before `now`. Otherwise why not.
pub fn load_links(
    dir: &Path,
    key: &TenantKey,
    max_age_secs: u64,
    now: u64,
) -> Result<Links, ResyncReason> {
    let path = dir.join(LINKS_FILE);
    let bytes = read_file(&path)?;
    let links: Links = serde_json::from_slice(&bytes).map_err(|e| damaged(&path, &e))?;
    // The links are followed with the tenant's token: they must lead to the same Graph.
    let ours = |link: &str| crate::graph::cloud::relative_to_root(link, &key.graph_root).is_some();
    if links.format != FORMAT
        || links.users_select != users_select()
        || &links.tenant != key
        || !ours(&links.users_delta_link)
        || !ours(&links.groups_delta_link)
    {
        return Err(ResyncReason::Mismatch);
    }
    // A full read "in the future" (the clock went back) counts as too old.
    if links.full_read_at > now || now - links.full_read_at > max_age_secs {
        return Err(ResyncReason::TooOld);
    }
    Ok(links)
}

/// The snapshot's users and groups, if the data file is the one `links` continue.
pub fn load_data(dir: &Path, links: &Links) -> Result<Data, ResyncReason> {
    let path = dir.join(SNAPSHOT_FILE);
    let bytes = read_file(&path).map_err(|_| ResyncReason::Unreadable)?;
    let data: Data = serde_json::from_slice(&bytes).map_err(|e| damaged(&path, &e))?;
    if data.format != FORMAT || data.id != links.data_id {
        tracing::warn!(path = %path.display(), "the snapshot's data and links do not belong together; reading the whole tenant");
        return Err(ResyncReason::Unreadable);
    }
    Ok(data)
}

/// A random-looking id (data-file ids, temporary file names).
fn fresh_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

/// Write `value` as JSON to `dir/name` atomically, readable by its owner
/// only: a temporary file created exclusively (never through an existing
/// file or link) with mode 0600, then a rename. No fsync: after a crash a
/// damaged or mismatched snapshot only costs a full read.
fn write_json(dir: &Path, name: &str, value: &impl Serialize) -> Result<(), SaveError> {
    let path = dir.join(name);
    let tmp = dir.join(format!("{name}.{}.tmp", fresh_id()));
    let write = || -> std::io::Result<()> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let file = opts.open(&tmp)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        serde_json::to_writer(&mut w, value)?;
        w.flush()?;
        drop(w);
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        SaveError { path, source }
    })
}

/// Write the snapshot: the data file (unless unchanged), then the links.
/// The state directory is created (mode 0700) if missing.
pub fn save(dir: &Path, s: &ToSave<'_>) -> Result<(), SaveError> {
    crate::private_file::create_private_dir(dir).map_err(|source| SaveError {
        path: dir.to_path_buf(),
        source,
    })?;
    let data_id = match s.unchanged_data {
        Some(id) => id.to_string(),
        None => {
            let id = fresh_id();
            let data = DataOut {
                format: FORMAT,
                id: &id,
                users: s.users,
                groups: s.groups,
            };
            write_json(dir, SNAPSHOT_FILE, &data)?;
            id
        }
    };
    let links = Links {
        format: FORMAT,
        data_id,
        tenant: s.tenant.clone(),
        full_read_at: s.full_read_at,
        users_delta_link: s.users_delta_link.to_string(),
        groups_delta_link: s.groups_delta_link.to_string(),
        users_select: users_select(),
    };
    write_json(dir, LINKS_FILE, &links)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::attrs::Attr;
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
        let load = |k: &TenantKey, now: u64| -> Result<Data, ResyncReason> {
            let links = load_links(&dir, k, 60, now)?;
            load_data(&dir, &links)
        };
        assert_eq!(load(&key(), 1000).err(), Some(ResyncReason::NoSnapshot));
        let mut u = LiveUser::new(ObjectId("1".into()), Upn::new_unchecked("a@x"));
        u.set(Attr::JobTitle, Some("Dev".into()));
        let k = key();
        let mut to_save = ToSave {
            tenant: &k,
            full_read_at: 1000,
            users_delta_link: "https://graph.microsoft.com/v1.0/users/delta?$deltatoken=u",
            groups_delta_link: "https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=g",
            unchanged_data: None,
            users: std::slice::from_ref(&u),
            groups: &[],
        };
        save(&dir, &to_save).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in [SNAPSHOT_FILE, LINKS_FILE] {
                let mode = std::fs::metadata(dir.join(f)).unwrap().permissions().mode();
                assert_eq!(mode & 0o077, 0, "{f} readable by others: {mode:o}");
            }
        }
        assert_eq!(load(&key(), 1050).unwrap().users, vec![u.clone()]);
        // A round without changes rewrites only the links.
        let links = load_links(&dir, &key(), 60, 1050).unwrap();
        let data_before = std::fs::read(dir.join(SNAPSHOT_FILE)).unwrap();
        to_save.users_delta_link = "https://graph.microsoft.com/v1.0/users/delta?$deltatoken=u2";
        to_save.unchanged_data = Some(&links.data_id);
        save(&dir, &to_save).unwrap();
        assert_eq!(std::fs::read(dir.join(SNAPSHOT_FILE)).unwrap(), data_before);
        let links = load_links(&dir, &key(), 60, 1050).unwrap();
        assert!(links.users_delta_link.ends_with("=u2"));
        assert_eq!(load(&key(), 1050).unwrap().users, vec![u]);

        assert_eq!(load(&key(), 1061).err(), Some(ResyncReason::TooOld));
        assert_eq!(
            load(&key(), 999).err(),
            Some(ResyncReason::TooOld),
            "clock went back"
        );
        let other = TenantKey {
            tenant_id: "other".into(),
            ..key()
        };
        assert_eq!(load(&other, 1050).err(), Some(ResyncReason::Mismatch));
        // A link to another host is never followed with this tenant's token.
        let text = std::fs::read_to_string(dir.join(LINKS_FILE)).unwrap();
        let evil = text.replace(
            "https://graph.microsoft.com/v1.0/users",
            "https://evil.example/v1.0/users",
        );
        std::fs::write(dir.join(LINKS_FILE), evil).unwrap();
        assert_eq!(load(&key(), 1050).err(), Some(ResyncReason::Mismatch));
        // Links written by a version that selected fewer user properties
        // (before faxNumber, userType, … were managed) are not continued.
        let fewer = text.replace(",faxNumber", "");
        assert_ne!(fewer, text);
        std::fs::write(dir.join(LINKS_FILE), fewer).unwrap();
        assert_eq!(load(&key(), 1050).err(), Some(ResyncReason::Mismatch));
        std::fs::write(dir.join(LINKS_FILE), &text).unwrap();
        // Data from another write (a crash between the two renames) or damaged.
        let other_data = std::fs::read_to_string(dir.join(SNAPSHOT_FILE))
            .unwrap()
            .replace(&links.data_id, "0000000000000000");
        std::fs::write(dir.join(SNAPSHOT_FILE), other_data).unwrap();
        assert_eq!(load(&key(), 1050).err(), Some(ResyncReason::Unreadable));
        std::fs::write(dir.join(SNAPSHOT_FILE), "{ not json").unwrap();
        assert_eq!(load(&key(), 1050).err(), Some(ResyncReason::Unreadable));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
