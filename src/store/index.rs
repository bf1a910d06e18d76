//! The metadata index: one JSON file in the XDG data dir holding every opt-in's non-secret
//! facts. `list` reads only this file. Every change is a read-modify-write under an exclusive
//! cross-process lock, written to a temporary file (mode 0600) and renamed over the old one,
//! so a reader sees either the old or the new index, never half of one.
//!
//! Beside the rows the file keeps a small journal of operations in flight (`pending`): the
//! keyring cannot be listed through keyring-core on every platform, so secrets that have no
//! row yet (an authorize between storing secrets and adding its row) or no row any more (a
//! clear between removing its row and deleting secrets) are written down here first. If the
//! process dies in between, the next command finds the entry and finishes the job.
//!
//! A damaged file is never replaced: it is left where it is, a copy is kept aside, and every
//! command says so until someone repairs or removes it.

use crate::error::{Error, Result};
use crate::opt_in::{Backend, OptIn};
use crate::store::private_fs;
use crate::store::timestamp::{exact, exact_opt};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::{self, File, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub(super) const FORMAT_VERSION: u32 = 1;

/// Opt-in ids are short hex strings; they name lock files, so nothing else is accepted.
const MAX_ID_LEN: usize = 32;

/// The largest index read: 2,000 opt-ins take about 1 MB, so a file past this is not one of
/// ours, and reading it whole would cost its size in memory.
const MAX_INDEX_BYTES: u64 = 16 * 1024 * 1024;

/// How an opt-in ([`OptIn`], the domain's) is written down: one JSON object a row in the
/// index file, and the same in a Vault record and between a refresher and its parent. The
/// keys and the time stamps' shape are those of every index written so far
/// (index_format.rs checks them against index_sample_v1.json, written by the old code).
#[derive(Serialize, Deserialize)]
#[serde(remote = "OptIn")]
pub(crate) struct Row {
    id: String,
    label: String,
    #[serde(default)]
    profile: Option<String>,
    environment: String,
    base_url: String,
    client_id: String,
    redirect_uri: String,
    #[serde(deserialize_with = "exact")]
    created_at: DateTime<Utc>,
    #[serde(default, deserialize_with = "exact_opt")]
    refreshed_at: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "exact")]
    expires_at: DateTime<Utc>,
    #[serde(default, deserialize_with = "exact_opt")]
    refresh_expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    refresh_count: u64,
    #[serde(default)]
    invalid_reason: Option<String>,
    #[serde(rename = "keyring")]
    secrets_in: Backend,
    #[serde(default)]
    has_client_secret: bool,
}

/// An opt-in read in [`Row`]'s format.
pub struct RowIn(pub OptIn);

impl<'de> Deserialize<'de> for RowIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<RowIn, D::Error> {
        Row::deserialize(d).map(RowIn)
    }
}

/// An opt-in to write in [`Row`]'s format.
pub struct RowOut<'a>(pub &'a OptIn);

impl Serialize for RowOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        Row::serialize(self.0, s)
    }
}

/// An operation that was started and has not finished: written before its first keyring
/// write, removed in the same index write that completes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub id: String,
    pub keyring: Backend,
    pub action: Action,
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// `authorize` is storing the secrets of a row it has not added yet.
    Authorize,
    /// `clear` removed the row and is deleting its secrets.
    Clear,
    /// `token` sent the row's refresh token to UPS and has not stored the answer yet.
    Refresh,
}

/// Everything the index file holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contents {
    /// Newest first.
    pub rows: Vec<OptIn>,
    pub pending: Vec<Pending>,
}

impl Contents {
    /// Whether `id` names a row or a pending operation (so a new opt-in must not take it).
    pub fn knows(&self, id: &str) -> bool {
        self.rows.iter().any(|r| r.id == id) || self.pending.iter().any(|p| p.id == id)
    }

    pub fn pending_for(&self, id: &str, action: Action) -> Option<&Pending> {
        self.pending
            .iter()
            .find(|p| p.id == id && p.action == action)
    }
}

#[derive(Deserialize)]
struct IndexFile {
    version: u32,
    opt_ins: Vec<RowIn>,
    #[serde(default)]
    pending: Vec<Pending>,
}

/// Whether `id` has the shape of an opt-in id (letters and digits, at most 32): only such ids
/// name files and locks here and keys in Vault.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Why the bytes of an index file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not an index at all, or a broken one: where it broke, never what it held.
    Damaged(String),
    /// A well-formed index of another format version.
    Version(u32),
}

/// Read an index file's bytes. Pure, so it can be fuzzed; the error names a position or a
/// rule, never a value from the file.
pub fn parse(bytes: &[u8]) -> Result<Contents, ParseError> {
    // One UTF-8 check of the whole file: reading from a `str` spares serde_json checking
    // every string again (a tenth of `list --json`'s work).
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ParseError::Damaged(format!("not UTF-8 text from byte {}", e.valid_up_to()))
    })?;
    let file: IndexFile = serde_json::from_str(text)
        .map_err(|e| ParseError::Damaged(format!("line {}, column {}", e.line(), e.column())))?;
    if file.version != FORMAT_VERSION {
        return Err(ParseError::Version(file.version));
    }
    let mut rows: Vec<OptIn> = file.opt_ins.into_iter().map(|r| r.0).collect();
    let ids = rows
        .iter()
        .map(|r| &r.id)
        .chain(file.pending.iter().map(|p| &p.id));
    for id in ids {
        if !is_valid_id(id) {
            return Err(ParseError::Damaged("an opt-in id is not valid".into()));
        }
    }
    let mut seen = std::collections::HashSet::new();
    if !rows.iter().all(|r| seen.insert(r.id.as_str())) {
        return Err(ParseError::Damaged("an opt-in id appears twice".into()));
    }
    rows.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    Ok(Contents {
        rows,
        pending: file.pending,
    })
}

/// The bytes of an index file holding `contents`; `parse` reads them back unchanged. One
/// opt-in a line and no other white space: as easy to mend by hand as an indented file (a
/// parse error's line number names the opt-in), and a fifth fewer bytes for every `token`
/// and `list` to read.
pub fn encode(contents: &Contents) -> serde_json::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(64 + contents.rows.len() * 512);
    bytes.extend_from_slice(format!("{{\"version\":{FORMAT_VERSION},\"opt_ins\":[").as_bytes());
    for (i, row) in contents.rows.iter().enumerate() {
        bytes.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
        serde_json::to_writer(&mut bytes, &RowOut(row))?;
    }
    bytes.extend_from_slice(if contents.rows.is_empty() {
        b"]"
    } else {
        b"\n]"
    });
    if !contents.pending.is_empty() {
        bytes.extend_from_slice(b",\n\"pending\":");
        serde_json::to_writer(&mut bytes, &contents.pending)?;
    }
    bytes.extend_from_slice(b"}\n");
    Ok(bytes)
}

/// The data directory and the files in it.
#[derive(Debug, Clone)]
pub struct Index {
    dir: PathBuf,
    /// The directories that hold `dir` (`$XDG_DATA_HOME`, and ours for a nested index),
    /// checked as `dir` is: whoever can rename entries in one of them can swap our files.
    /// Empty when the caller chose `dir` itself (the demo's temporary directory, unit tests).
    trusted: Vec<PathBuf>,
}

impl Index {
    /// `$XDG_DATA_HOME/idm-auth` (or the platform's data dir).
    pub fn default_location() -> Result<Index> {
        let base = dirs::data_dir().ok_or_else(|| {
            Error::Config("cannot find a data directory: set HOME or XDG_DATA_HOME".into())
        })?;
        Ok(Index {
            dir: base.join("idm-auth"),
            trusted: vec![base],
        })
    }

    pub fn at(dir: PathBuf) -> Index {
        Index {
            dir,
            trusted: Vec::new(),
        }
    }

    /// An index of its own in `sub` (a relative path) of this one's directory, trusted only
    /// while this directory, every one on the way and `sub` itself are: the Vault store's
    /// copy of a listing gets the same checks as the index.
    pub fn nested(&self, sub: &Path) -> Index {
        let dir = self.dir.join(sub);
        let mut trusted = self.trusted.clone();
        trusted.extend(
            dir.ancestors()
                .skip(1)
                .take_while(|a| a.starts_with(&self.dir))
                .map(Path::to_path_buf)
                .collect::<Vec<_>>()
                .into_iter()
                .rev(),
        );
        Index { dir, trusted }
    }

    /// The data directory and ours must belong to this user and be writable by nobody else.
    fn check_trusted(&self) -> Result<()> {
        for dir in &self.trusted {
            private_fs::check_dir(dir)?;
        }
        private_fs::check_dir(&self.dir)
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join("index.json")
    }

    /// The opt-ins as stored, newest first. A missing file is an empty index.
    pub fn load(&self) -> Result<Vec<OptIn>> {
        self.load_all().map(|c| c.rows)
    }

    /// The rows and the operations in flight. A missing file is an empty index; a damaged
    /// one is an error that leaves the file as it is and keeps a copy aside.
    pub fn load_all(&self) -> Result<Contents> {
        self.check_trusted()?;
        let path = self.path();
        let mut file = match private_fs::open_read(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Contents::default()),
            Err(e) => return Err(Error::index(&path, format!("cannot read the index: {e}"))),
        };
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size > MAX_INDEX_BYTES {
            return Err(self.oversized(&mut file, size));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        (&mut file)
            .take(MAX_INDEX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::index(&path, format!("cannot read the index: {e}")))?;
        if bytes.len() as u64 > MAX_INDEX_BYTES {
            return Err(self.oversized(&mut file, bytes.len() as u64));
        }
        parse(&bytes).map_err(|e| match e {
            ParseError::Version(v) => Error::index(
                &path,
                format!("the index has format {v} but this idm-auth reads format {FORMAT_VERSION}"),
            ),
            ParseError::Damaged(where_) => {
                let kept = match self.keep_aside(&bytes) {
                    Ok(copy) => format!("a copy is kept at {}", copy.display()),
                    Err(e) => format!("no copy could be kept aside ({e})"),
                };
                Error::index(
                    &path,
                    format!(
                        "the index file is damaged ({where_}); it was left as it is and {kept}. \
Repair it by hand, or move it away to start afresh (its opt-ins then need `idm-auth authorize` \
again; their secrets stay in the keyring)"
                    ),
                )
            }
        })
    }

    /// The index file's bytes for `token`'s quick read (`index_scan::pick`), when they can be
    /// read without trouble; None sends the caller to the full read, which reports whatever
    /// the trouble is.
    pub(super) fn bytes_for_quick_read(&self) -> Option<Vec<u8>> {
        self.check_trusted().ok()?;
        let file = private_fs::open_read(&self.path()).ok()?;
        let size = file.metadata().ok()?.len();
        let mut bytes = Vec::with_capacity(size.min(MAX_INDEX_BYTES) as usize);
        file.take(MAX_INDEX_BYTES + 1)
            .read_to_end(&mut bytes)
            .ok()?;
        (bytes.len() as u64 <= MAX_INDEX_BYTES).then_some(bytes)
    }

    /// An index too large to be ours is damage: left in place, copied aside (streamed, so the
    /// copy costs no memory), never read.
    fn oversized(&self, file: &mut File, size: u64) -> Error {
        use std::io::Seek;
        let copy = self
            .dir
            .join(format!("index.json.damaged-oversized-{size}"));
        let kept =
            file.seek(std::io::SeekFrom::Start(0)).and_then(|_| {
                match private_fs::options()
                    .write(true)
                    .create_new(true)
                    .open(&copy)
                {
                    Ok(mut out) => std::io::copy(file, &mut out).and_then(|_| out.sync_all()),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
                    Err(e) => Err(e),
                }
            });
        let kept = match kept {
            Ok(()) => format!("a copy is kept at {}", copy.display()),
            Err(e) => format!("no copy could be kept aside ({e})"),
        };
        Error::index(
            self.path(),
            format!(
                "the index file is damaged: it holds {size} bytes, more than any index ({MAX_INDEX_BYTES}); \
it was left as it is and {kept}. Move it away to start afresh"
            ),
        )
    }

    /// Copy a damaged index to `index.json.damaged-<hash>` (once per distinct content), so
    /// whatever happens to the original later, its contents survive.
    fn keep_aside(&self, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let digest = Sha256::digest(bytes);
        let tag: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        let copy = self.dir.join(format!("index.json.damaged-{tag}"));
        if copy.exists() {
            return Ok(copy);
        }
        let mut file = private_fs::options()
            .write(true)
            .create_new(true)
            .open(&copy)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        Ok(copy)
    }

    /// Read, change and write back the rows while holding the cross-process lock.
    pub fn update<T>(&self, change: impl FnOnce(&mut Vec<OptIn>) -> Result<T>) -> Result<T> {
        self.update_all(|contents| change(&mut contents.rows))
    }

    /// Read, change and write back the whole index while holding the cross-process lock.
    pub fn update_all<T>(&self, change: impl FnOnce(&mut Contents) -> Result<T>) -> Result<T> {
        let _lock = self.lock("index")?;
        let mut contents = self.load_all()?;
        let out = change(&mut contents)?;
        self.write(&contents)?;
        Ok(out)
    }

    /// An exclusive lock on `<dir>/locks/<name>.lock`, released when the guard drops.
    pub fn lock(&self, name: &str) -> Result<File> {
        let (file, path) = self.lock_file(name)?;
        file.lock()
            .map_err(|e| Error::index(&path, format!("cannot take the lock: {e}")))?;
        Ok(file)
    }

    /// The lock `name` if nobody holds it right now; None while another process does.
    pub fn try_lock(&self, name: &str) -> Result<Option<File>> {
        let (file, path) = self.lock_file(name)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(file)),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => {
                Err(Error::index(&path, format!("cannot take the lock: {e}")))
            }
        }
    }

    fn lock_file(&self, name: &str) -> Result<(File, PathBuf)> {
        let dir = self.dir.join("locks");
        self.ensure_dir(&self.dir)?;
        self.ensure_dir(&dir)?;
        let path = dir.join(format!("{name}.lock"));
        let file = private_fs::open_or_create(&path)
            .map_err(|e| Error::index(&path, format!("cannot open the lock file: {e}")))?;
        Ok((file, path))
    }

    /// Remove a per-opt-in lock file once the opt-in is gone.
    pub fn remove_lock(&self, name: &str) {
        let _ = fs::remove_file(self.dir.join("locks").join(format!("{name}.lock")));
    }

    /// Create `dir` as 0700, and take back group and other access if it exists with them.
    fn ensure_dir(&self, dir: &Path) -> Result<()> {
        self.check_trusted()?;
        private_fs::check_dir(dir)?;
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(|e| Error::index(dir, format!("cannot create the directory: {e}")))?;
        private_fs::check_dir(dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = fs::metadata(dir)
                .map_err(|e| Error::index(dir, format!("cannot read the directory: {e}")))?;
            if meta.permissions().mode() & 0o077 != 0 {
                fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| {
                    Error::index(dir, format!("cannot make the directory private: {e}"))
                })?;
            }
        }
        Ok(())
    }

    fn write(&self, contents: &Contents) -> Result<()> {
        self.ensure_dir(&self.dir)?;
        let path = self.path();
        let bytes = encode(contents)
            .map_err(|e| Error::index(&path, format!("cannot encode the index: {e}")))?;
        let (mut f, tmp) = private_fs::create_temp(&self.dir, "index.json")
            .map_err(|e| Error::index(&path, format!("cannot write the index: {e}")))?;
        let result = (|| -> std::io::Result<()> {
            f.write_all(&bytes)?;
            f.sync_all()?;
            rename_replacing(&tmp, &path)?;
            private_fs::sync_dir(&self.dir)
        })();
        result.map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::index(&path, format!("cannot write the index: {e}"))
        })
    }
}

/// Put `from` in place of `to`, atomically. On Windows std's rename is MoveFileEx with
/// MOVEFILE_REPLACE_EXISTING, which is refused ("Access denied") while another process has
/// `to` open at that very instant (another `token` reading the index, under Wine too), so
/// there it is tried again for up to a second; readers hold the file for microseconds.
fn rename_replacing(from: &Path, to: &Path) -> std::io::Result<()> {
    #[cfg(windows)]
    {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        loop {
            match fs::rename(from, to) {
                Err(e)
                    if e.kind() == std::io::ErrorKind::PermissionDenied
                        && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(5))
                }
                done => return done,
            }
        }
    }
    #[cfg(not(windows))]
    fs::rename(from, to)
}

#[cfg(test)]
impl OptIn {
    /// A CIE opt-in made at `at` whose tokens both end then: the unit tests' one fixture,
    /// each changing what it is about.
    pub(crate) fn sample(id: &str, at: DateTime<Utc>) -> OptIn {
        OptIn {
            id: id.into(),
            label: String::new(),
            profile: None,
            environment: "cie".into(),
            base_url: "https://wwwcie.ups.com".into(),
            client_id: "client".into(),
            redirect_uri: "http://127.0.0.1:8765/callback".into(),
            created_at: at,
            refreshed_at: None,
            expires_at: at,
            refresh_expires_at: Some(at),
            refresh_count: 0,
            invalid_reason: None,
            secrets_in: Backend::SecretService,
            has_client_secret: false,
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use chrono::TimeZone;

    pub(in crate::store) fn row(id: &str, secs: i64) -> OptIn {
        let t = Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap();
        OptIn {
            label: format!("label {id}"),
            ..OptIn::sample(id, t)
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

    /// `token`'s quick read (what keeps it as fast as a `cat`) is handed the index file's
    /// bytes as written; with no file it sends the caller to the full read.
    #[test]
    fn the_quick_read_gets_the_index_files_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::at(dir.path().join("idm-auth"));
        assert_eq!(index.bytes_for_quick_read(), None);
        index
            .update(|rows| {
                rows.push(row("a", 0));
                Ok(())
            })
            .unwrap();
        assert_eq!(
            index.bytes_for_quick_read(),
            Some(fs::read(index.path()).unwrap())
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_index_is_0600_and_a_lax_data_dir_is_made_private_again() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("idm-auth");
        fs::create_dir(&data).unwrap();
        fs::set_permissions(&data, fs::Permissions::from_mode(0o755)).unwrap();
        let index = Index::at(data.clone());
        index
            .update(|rows| {
                rows.push(row("a", 0));
                Ok(())
            })
            .unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&index.path()), 0o600);
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("locks")), 0o700);
    }

    #[test]
    fn a_damaged_index_is_reported_left_in_place_and_copied_aside_once() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::at(dir.path().to_path_buf());
        let damaged = b"{\"version\":1,\"opt_ins\":[{\"id\"";
        fs::write(index.path(), damaged).unwrap();
        let err = index.load().unwrap_err().to_string();
        assert!(err.contains("damaged (line 1, column"), "{err}");
        assert!(index.update(|_| Ok(())).is_err());
        assert_eq!(fs::read(index.path()).unwrap(), damaged);
        let copies: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains("index.json.damaged-"))
            .collect();
        assert_eq!(copies.len(), 1, "one copy however often it is read");
        assert_eq!(fs::read(&copies[0]).unwrap(), damaged);
        assert!(err.contains(&copies[0].display().to_string()), "{err}");
    }

    #[test]
    fn ids_that_could_name_other_files_or_repeat_are_damage() {
        let file = |ids: &[&str]| {
            let rows: Vec<_> = ids.iter().map(|id| row(id, 0)).collect();
            encode(&Contents {
                rows,
                pending: Vec::new(),
            })
            .unwrap()
        };
        assert!(parse(&file(&["ab12", "cd34"])).is_ok());
        for bad in [
            &["../x"][..],
            &[""],
            &["a/b"],
            &["ab", "ab"],
            &["ab", "cd", "ab"],
        ] {
            assert!(
                matches!(parse(&file(bad)), Err(ParseError::Damaged(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse(br#"{"version":2,"opt_ins":[]}"#),
            Err(ParseError::Version(2))
        );
    }

    #[test]
    fn the_file_holds_one_opt_in_a_line_so_an_error_names_the_row() {
        let contents = Contents {
            rows: vec![row("ab12", 0), row("cd34", 0), row("ef56", 0)],
            pending: Vec::new(),
        };
        let text = String::from_utf8(encode(&contents).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(lines[2].starts_with(r#"{"id":"cd34","#), "{text}");
        assert_eq!(parse(text.as_bytes()).unwrap().rows.len(), 3);
        let broken = text.replacen(r#""id":"cd34","#, r#""id":"cd34""#, 1);
        match parse(broken.as_bytes()) {
            Err(ParseError::Damaged(at)) => assert!(at.starts_with("line 3,"), "{at}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pending_operations_survive_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::at(dir.path().to_path_buf());
        let pending = Pending {
            id: "abcd".into(),
            keyring: Backend::SecretService,
            action: Action::Clear,
            since: Utc.timestamp_opt(1_800_000_000, 0).unwrap(),
        };
        index
            .update_all(|c| {
                c.pending.push(pending.clone());
                Ok(())
            })
            .unwrap();
        let contents = index.load_all().unwrap();
        assert_eq!(contents.pending, [pending]);
        assert!(contents.knows("abcd"));
        assert!(contents.pending_for("abcd", Action::Clear).is_some());
        assert!(contents.pending_for("abcd", Action::Refresh).is_none());
    }

    #[test]
    fn knows_names_rows_and_pending_ids_only() {
        let contents = Contents {
            rows: vec![row("ab12", 0)],
            pending: vec![Pending {
                id: "cd34".into(),
                keyring: Backend::SecretService,
                action: Action::Authorize,
                since: Utc.timestamp_opt(1_800_000_000, 0).unwrap(),
            }],
        };
        assert!(contents.knows("ab12"));
        assert!(contents.knows("cd34"));
        assert!(!contents.knows("ef56"));
    }

    #[test]
    fn an_id_of_32_characters_is_the_longest_accepted() {
        let file = |id: &str| {
            encode(&Contents {
                rows: vec![row(id, 0)],
                pending: Vec::new(),
            })
            .unwrap()
        };
        assert!(parse(&file(&"a".repeat(32))).is_ok());
        assert!(matches!(
            parse(&file(&"a".repeat(33))),
            Err(ParseError::Damaged(_))
        ));
    }

    #[test]
    fn an_index_of_16_mib_is_read_whole_and_one_byte_more_is_oversized_damage() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::at(dir.path().to_path_buf());
        let largest = 16 * 1024 * 1024;
        // A valid index whose last byte is the 16 MiB-th: read whole, or it would not parse.
        let json = br#"{"version":1,"opt_ins":[]}"#;
        let mut bytes = vec![b' '; largest - json.len()];
        bytes.extend_from_slice(json);
        fs::write(index.path(), &bytes).unwrap();
        assert!(index.load_all().unwrap().rows.is_empty());
        // `token`'s quick read gets the same bytes whole, and none past the bound.
        assert!(index.bytes_for_quick_read() == Some(bytes));
        fs::write(index.path(), vec![b' '; largest + 1]).unwrap();
        assert!(index.bytes_for_quick_read().is_none());
        let error = index.load_all().unwrap_err().to_string();
        assert!(error.contains("it holds 16777217 bytes"), "{error}");
        let copy = dir.path().join("index.json.damaged-oversized-16777217");
        assert!(
            error.contains(&format!("a copy is kept at {}", copy.display())),
            "{error}"
        );
        assert_eq!(fs::metadata(&copy).unwrap().len(), 16777217);
        // Met again, the copy made the first time still stands.
        let again = index.load_all().unwrap_err().to_string();
        assert!(again.contains("a copy is kept at"), "{again}");
    }

    /// Only a directory open to group or others is changed: a private one keeps its mode,
    /// special bits included.
    #[cfg(unix)]
    #[test]
    fn a_private_directory_is_left_as_it_is() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let index = Index::at(dir.path().join("idm-auth"));
        fs::create_dir(dir.path().join("idm-auth")).unwrap();
        fs::set_permissions(&index.dir, fs::Permissions::from_mode(0o2700)).unwrap();
        index.ensure_dir(&index.dir).unwrap();
        let mode = fs::metadata(&index.dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o2700);
    }

    #[test]
    fn a_held_lock_is_not_handed_out_twice_and_its_file_goes_with_the_opt_in() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::at(dir.path().to_path_buf());
        let held = index.try_lock("ab12").unwrap().expect("a free lock");
        assert!(
            index.try_lock("ab12").unwrap().is_none(),
            "handed out twice"
        );
        drop(held);
        let blocking = index.lock("ab12").unwrap();
        assert!(index.try_lock("ab12").unwrap().is_none(), "lock() holds it");
        drop(blocking);
        assert!(index.try_lock("ab12").unwrap().is_some());
        let file = dir.path().join("locks").join("ab12.lock");
        assert!(file.exists());
        index.remove_lock("ab12");
        assert!(!file.exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_linked_index_and_an_open_data_directory_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let index = Index::at(dir.path().join("idm-auth"));
        fs::create_dir(dir.path().join("idm-auth")).unwrap();
        let elsewhere = dir.path().join("elsewhere.json");
        fs::write(&elsewhere, br#"{"version":1,"opt_ins":[]}"#).unwrap();
        std::os::unix::fs::symlink(&elsewhere, index.path()).unwrap();
        let error = index.load_all().unwrap_err().to_string();
        assert!(error.contains("it is a link"), "{error}");

        let base = dir.path().join("open");
        fs::create_dir(&base).unwrap();
        fs::set_permissions(&base, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        let index = Index {
            dir: base.join("idm-auth"),
            trusted: vec![base],
        };
        let error = index.load_all().unwrap_err().to_string();
        assert!(error.contains("can be written by other users"), "{error}");
    }
}
