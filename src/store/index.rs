//! The metadata index: one JSON file in the XDG data dir holding every opt-in's non-secret
//! facts. `list` reads only this file. Every change is a read-modify-write under an exclusive
//! cross-process lock, written to a temporary file (mode 0600) and renamed over the old one,
//! so a reader sees either the old or the new index, never half of one.

use crate::error::{Error, Result};
use crate::store::keyring::Backend;
use crate::store::timestamp::{exact, exact_opt};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

const FORMAT_VERSION: u32 = 1;

/// One opt-in of one UPS.com user, minus its secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptIn {
    pub id: String,
    pub label: String,
    /// The config profile it was made with, if any.
    #[serde(default)]
    pub profile: Option<String>,
    pub environment: String,
    pub base_url: String,
    pub client_id: String,
    pub redirect_uri: String,
    #[serde(deserialize_with = "exact")]
    pub created_at: DateTime<Utc>,
    #[serde(default, deserialize_with = "exact_opt")]
    pub refreshed_at: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "exact")]
    pub expires_at: DateTime<Utc>,
    #[serde(default, deserialize_with = "exact_opt")]
    pub refresh_expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub refresh_count: u64,
    /// Set when UPS refused a refresh: the opt-in is dead and must be made again.
    #[serde(default)]
    pub invalid_reason: Option<String>,
    pub keyring: Backend,
    /// Whether a client secret was stored beside the tokens (confidential client).
    #[serde(default)]
    pub has_client_secret: bool,
}

#[derive(Serialize, Deserialize)]
struct IndexFile {
    version: u32,
    opt_ins: Vec<OptIn>,
}

/// The data directory and the files in it.
#[derive(Debug, Clone)]
pub struct Index {
    dir: PathBuf,
}

impl Index {
    /// `$XDG_DATA_HOME/idm-auth` (or the platform's data dir).
    pub fn default_location() -> Result<Index> {
        let base = dirs::data_dir().ok_or_else(|| {
            Error::Config("cannot find a data directory: set HOME or XDG_DATA_HOME".into())
        })?;
        Ok(Index::at(base.join("idm-auth")))
    }

    pub fn at(dir: PathBuf) -> Index {
        Index { dir }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join("index.json")
    }

    /// The opt-ins as stored, newest first. A missing file is an empty index.
    pub fn load(&self) -> Result<Vec<OptIn>> {
        let path = self.path();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::index(&path, format!("cannot read the index: {e}"))),
        };
        let file: IndexFile = serde_json::from_slice(&bytes).map_err(|e| {
            Error::index(
                &path,
                format!(
                    "the index is damaged (line {}, column {}); it was left as it is",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        if file.version != FORMAT_VERSION {
            return Err(Error::index(
                &path,
                format!(
                    "the index has format {} but this idm-auth reads format {FORMAT_VERSION}",
                    file.version
                ),
            ));
        }
        let mut rows = file.opt_ins;
        rows.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(rows)
    }

    /// Read, change and write back the index while holding the cross-process lock.
    pub fn update<T>(&self, change: impl FnOnce(&mut Vec<OptIn>) -> Result<T>) -> Result<T> {
        let _lock = self.lock("index")?;
        let mut rows = self.load()?;
        let out = change(&mut rows)?;
        self.write(&rows)?;
        Ok(out)
    }

    /// An exclusive lock on `<dir>/locks/<name>.lock`, released when the guard drops.
    pub fn lock(&self, name: &str) -> Result<File> {
        let dir = self.dir.join("locks");
        self.ensure_dir(&dir)?;
        let path = dir.join(format!("{name}.lock"));
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::index(&path, format!("cannot open the lock file: {e}")))?;
        file.lock()
            .map_err(|e| Error::index(&path, format!("cannot take the lock: {e}")))?;
        Ok(file)
    }

    /// Remove a per-opt-in lock file once the opt-in is gone.
    pub fn remove_lock(&self, name: &str) {
        let _ = fs::remove_file(self.dir.join("locks").join(format!("{name}.lock")));
    }

    fn ensure_dir(&self, dir: &Path) -> Result<()> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(|e| Error::index(dir, format!("cannot create the directory: {e}")))
    }

    fn write(&self, rows: &[OptIn]) -> Result<()> {
        self.ensure_dir(&self.dir)?;
        let path = self.path();
        let tmp = self
            .dir
            .join(format!(".index.json.{}.tmp", std::process::id()));
        let file = IndexFile {
            version: FORMAT_VERSION,
            opt_ins: rows.to_vec(),
        };
        let mut bytes = serde_json::to_vec_pretty(&file)
            .map_err(|e| Error::index(&path, format!("cannot encode the index: {e}")))?;
        bytes.push(b'\n');
        let result = (|| -> std::io::Result<()> {
            let mut f = private_options()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            // Make the rename itself durable.
            File::open(&self.dir)?.sync_all()
        })();
        result.map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::index(&path, format!("cannot write the index: {e}"))
        })
    }
}

fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(id: &str, secs: i64) -> OptIn {
        let t = Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap();
        OptIn {
            id: id.into(),
            label: format!("label {id}"),
            profile: None,
            environment: "cie".into(),
            base_url: "https://wwwcie.ups.com".into(),
            client_id: "client".into(),
            redirect_uri: "http://127.0.0.1:8765/callback".into(),
            created_at: t,
            refreshed_at: None,
            expires_at: t,
            refresh_expires_at: Some(t),
            refresh_count: 0,
            invalid_reason: None,
            keyring: Backend::SecretService,
            has_client_secret: false,
        }
    }

    #[test]
    fn missing_file_is_an_empty_index_and_rows_come_back_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::at(dir.path().join("idm-auth"));
        assert!(index.load().unwrap().is_empty());
        index
            .update(|rows| {
                rows.push(row("old", 0));
                rows.push(row("new", 10));
                Ok(())
            })
            .unwrap();
        let ids: Vec<_> = index.load().unwrap().into_iter().map(|r| r.id).collect();
        assert_eq!(ids, ["new", "old"]);
    }

    #[cfg(unix)]
    #[test]
    fn index_is_private_even_under_a_permissive_umask() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let index = Index::at(dir.path().join("idm-auth"));
        index
            .update(|rows| {
                rows.push(row("a", 0));
                Ok(())
            })
            .unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&index.path()), 0o600);
        assert_eq!(mode(&dir.path().join("idm-auth")), 0o700);
    }

    #[test]
    fn a_damaged_index_is_reported_and_left_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::at(dir.path().to_path_buf());
        fs::write(index.path(), b"{\"version\":1,\"opt_ins\":[{\"id\"").unwrap();
        let err = index.load().unwrap_err();
        assert!(err.to_string().contains("damaged"), "{err}");
        assert!(index.update(|_| Ok(())).is_err());
        assert_eq!(
            fs::read(index.path()).unwrap(),
            b"{\"version\":1,\"opt_ins\":[{\"id\""
        );
    }
}
