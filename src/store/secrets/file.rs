//! The file store: secrets sealed at rest (sealed.rs) with a key kept apart from them
//! (file_key.rs), for headless servers where no Secret Service answers and the kernel
//! keyring would lose the tokens at every reboot. One file per secret,
//! `<data dir>/secrets/<id>.<kind>`, in a 0700 directory; every write is a new 0600 file
//! (`O_EXCL`, so no planted file or link is written through), flushed to disk, then renamed
//! over the old one, so a crash leaves the old secret or the new one, never half of one. The
//! callers hold the store's locks, as for every other backend.
//!
//! A death between sealing and renaming leaves `.<id>.<kind>.<random>.tmp`. For a refresh
//! token that file may hold the only copy of the pair UPS just rotated to, so reading a
//! refresh token first recovers such a file when it opens with the key and is newer than
//! the stored one (the refresh token is read only by the refresher, under the refresh
//! lock, so no writer is mid-way); older or unreadable ones are deleted. Deleting a secret
//! deletes its temporary files too, so `clear` leaves nothing of an opt-in behind.
//!
//! A `key-check` file, sealed with the first key that wrote here, is opened before anything
//! else: with another key, every command stops (exit 9) before it changes anything on disk.

use super::file_key::{self, KeySource};
use super::sealed::{SealingKey, Unsealed};
use super::{self as secrets, Backend, SecretKind, Secrets};
use crate::error::{Error, Result};
use crate::store::private_fs;
use secrecy::{ExposeSecret, SecretString};
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

/// The directory under the data dir that holds the sealed files.
pub const DIR_NAME: &str = "secrets";
const KEY_CHECK: &str = "key-check";
/// Far more than any token; a larger file is not one of ours.
const MAX_FILE_BYTES: u64 = 256 * 1024;

pub struct FileSecrets {
    dir: PathBuf,
    key: SealingKey,
    source: KeySource,
}

impl FileSecrets {
    /// The store under `data_dir`, with the key at `source` (store choice locates it: see
    /// `file_key::locate`). Fails (exit 9) when there is no usable key, or when it is not
    /// the key the store was written with.
    pub fn open(data_dir: &Path, source: &KeySource) -> Result<FileSecrets> {
        let material = file_key::load(source)?;
        FileSecrets::with_key(data_dir, &material, source.clone())
    }

    pub fn with_key(data_dir: &Path, material: &[u8], source: KeySource) -> Result<FileSecrets> {
        let store = FileSecrets {
            dir: data_dir.join(DIR_NAME),
            key: SealingKey::derive(material),
            source,
        };
        store.verify_key()?;
        Ok(store)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// With another key, stop before anything is written.
    fn verify_key(&self) -> Result<()> {
        match self.read(KEY_CHECK)? {
            None => Ok(()),
            Some(bytes) => self
                .key
                .open(KEY_CHECK, &bytes)
                .map(drop)
                .map_err(|why| self.unopened(KEY_CHECK, why)),
        }
    }

    /// The first write records which key this store belongs to. Another process may do the
    /// same at the same moment: O_EXCL lets one win, and the other checks the winner's key.
    fn ensure_key_check(&self) -> Result<()> {
        if self.dir.join(KEY_CHECK).exists() {
            return self.verify_key();
        }
        let sealed = self
            .key
            .seal(KEY_CHECK, b"idm-auth file store")
            .map_err(|e| self.failed(&e))?;
        let path = self.dir.join(KEY_CHECK);
        match private_fs::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .and_then(|mut f| {
                f.write_all(&sealed)?;
                f.sync_all()
            }) {
            Ok(()) => private_fs::sync_dir(&self.dir).map_err(|e| self.failed(&e.to_string())),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => self.verify_key(),
            Err(e) => {
                let _ = fs::remove_file(&path);
                Err(self.failed(&format!("cannot write {KEY_CHECK}: {e}")))
            }
        }
    }

    /// The bytes of `file`, None when it does not exist. Links are not followed.
    fn read(&self, file: &str) -> Result<Option<Vec<u8>>> {
        let path = self.dir.join(file);
        let mut handle = match private_fs::open_read(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.failed(&format!("cannot open {file}: {e}"))),
        };
        let meta = handle
            .metadata()
            .map_err(|e| self.failed(&format!("cannot read {file}: {e}")))?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(self.failed(&format!("{file} is not a sealed secret")));
        }
        let mut bytes = Vec::new();
        handle
            .read_to_end(&mut bytes)
            .map_err(|e| self.failed(&format!("cannot read {file}: {e}")))?;
        Ok(Some(bytes))
    }

    /// Create the directory 0700, and take group and other access back if it has them.
    fn ensure_dir(&self) -> Result<()> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&self.dir)
            .map_err(|e| self.failed(&format!("cannot create the directory: {e}")))?;
        // Ours, and nobody else's to plant links in.
        private_fs::check_dir(&self.dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = fs::symlink_metadata(&self.dir)
                .map_err(|e| self.failed(&format!("cannot read the directory: {e}")))?;
            if !meta.is_dir() {
                return Err(self.failed("it is not a directory"));
            }
            if meta.permissions().mode() & 0o077 != 0 {
                fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))
                    .map_err(|e| self.failed(&format!("cannot make it private: {e}")))?;
            }
        }
        Ok(())
    }

    /// The temporary files a write of `file` left (`.<file>.<random>.tmp`), oldest first.
    fn temporaries(&self, file: &str) -> Vec<(PathBuf, std::time::SystemTime)> {
        let prefix = format!(".{file}.");
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut found: Vec<(PathBuf, std::time::SystemTime)> = entries
            .filter_map(|entry| entry.ok())
            .filter(|entry| {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                name.strip_prefix(&prefix)
                    .and_then(|rest| rest.strip_suffix(".tmp"))
                    .is_some_and(|tag| tag.bytes().all(|b| b.is_ascii_hexdigit()))
            })
            .filter_map(|entry| {
                let meta = fs::symlink_metadata(entry.path()).ok()?;
                Some((entry.path(), meta.modified().ok()?))
            })
            .collect();
        found.sort_by_key(|(_, modified)| *modified);
        found
    }

    /// Put a sealed temporary file of `id`'s `kind` in place when it opens with the key and
    /// is newer than the stored file (a death between sealing and renaming); delete the rest.
    fn recover(&self, id: &str, kind: SecretKind) -> Result<()> {
        let file = file_name(id, kind);
        let stored = self.dir.join(&file);
        for (temp, modified) in self.temporaries(&file) {
            let stored_at = fs::symlink_metadata(&stored)
                .and_then(|m| m.modified())
                .ok();
            let newer = stored_at.is_none_or(|at| modified > at);
            let name = temp
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let opens = newer
                && self
                    .read(&name)?
                    .is_some_and(|bytes| self.key.open(&entry_name(id, kind), &bytes).is_ok());
            let done = if opens {
                fs::rename(&temp, &stored)
            } else {
                fs::remove_file(&temp)
            };
            done.and_then(|()| private_fs::sync_dir(&self.dir))
                .map_err(|e| self.failed(&format!("cannot recover {name}: {e}")))?;
        }
        Ok(())
    }

    fn failed(&self, why: &str) -> Error {
        Error::Keyring(format!(
            "the file store in {} failed: {why}",
            self.dir.display()
        ))
    }

    fn unopened(&self, file: &str, why: Unsealed) -> Error {
        let path = self.dir.join(file);
        Error::Keyring(match why {
            Unsealed::OtherKey => format!(
                "the file store's key {} is not the key {} was sealed with; nothing was changed. \
Use the key the store was made with (if it is lost, so are the tokens: move {} away and run `idm-auth authorize` again)",
                self.source,
                path.display(),
                self.dir.display()
            ),
            Unsealed::Changed | Unsealed::NotSealed => format!(
                "{} does not open with the file store's key: it was changed, damaged or copied from another entry; nothing was changed",
                path.display()
            ),
        })
    }
}

impl Secrets for FileSecrets {
    fn name(&self) -> &'static str {
        Backend::File.name()
    }

    fn set(&self, id: &str, kind: SecretKind, value: &SecretString) -> Result<()> {
        let name = entry_name(id, kind);
        self.ensure_dir()?;
        self.ensure_key_check()?;
        let sealed = self
            .key
            .seal(&name, value.expose_secret().as_bytes())
            .map_err(|e| self.failed(&e))?;
        write_atomically(&self.dir, &file_name(id, kind), &sealed)
            .map_err(|e| self.failed(&format!("cannot write {name}: {e}")))
    }

    fn get(&self, id: &str, kind: SecretKind) -> Result<Option<SecretString>> {
        let file = file_name(id, kind);
        if kind == SecretKind::RefreshToken {
            self.recover(id, kind)?;
        }
        let Some(bytes) = self.read(&file)? else {
            return Ok(None);
        };
        let plain = self
            .key
            .open(&entry_name(id, kind), &bytes)
            .map_err(|why| self.unopened(&file, why))?;
        secrets::text(kind, plain.to_vec()).map(Some)
    }

    /// Deleting what is not there is not an error: clear must be idempotent.
    fn delete(&self, id: &str, kind: SecretKind) -> Result<()> {
        let file = file_name(id, kind);
        for (temp, _) in self.temporaries(&file) {
            match fs::remove_file(&temp) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(self.failed(&format!("cannot delete {}: {e}", temp.display())))
                }
            }
        }
        match fs::remove_file(self.dir.join(&file)) {
            Ok(()) => private_fs::sync_dir(&self.dir)
                .map_err(|e| self.failed(&format!("cannot flush the directory: {e}"))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.failed(&format!("cannot delete {file}: {e}"))),
        }
    }
}

/// The name sealed into a file: binds its bytes to one entry, so they open nowhere else.
fn entry_name(id: &str, kind: SecretKind) -> String {
    secrets::user_of(id, kind)
}

/// `<id>.<kind>`. Opt-in ids are short alphanumeric strings (index.rs); anything else (a
/// profile's client secret) is written in hex, so no name can leave the directory.
fn file_name(id: &str, kind: SecretKind) -> String {
    if !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        format!("{id}.{}", kind.slug())
    } else {
        let hex: String = id.bytes().map(|b| format!("{b:02x}")).collect();
        format!("x{hex}.{}", kind.slug())
    }
}

fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let (mut file, temp) = private_fs::create_temp(dir, name)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    crate::abort_point::reached("file-sealed-not-renamed");
    let renamed = written.and_then(|()| fs::rename(&temp, dir.join(name)));
    if renamed.is_err() {
        let _ = fs::remove_file(&temp);
    }
    renamed.and_then(|()| private_fs::sync_dir(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ExitCode;

    fn source() -> KeySource {
        KeySource {
            path: "/test/key".into(),
            via: file_key::KEY_FILE_VAR,
        }
    }

    fn store(data: &Path, material: &[u8]) -> Result<FileSecrets> {
        FileSecrets::with_key(data, material, source())
    }

    fn read(files: &FileSecrets, id: &str, kind: SecretKind) -> Option<String> {
        files
            .get(id, kind)
            .unwrap()
            .map(|s| s.expose_secret().to_string())
    }

    const KEY: &[u8] = b"a key of thirty-two bytes or more";

    #[test]
    fn secrets_round_trip_and_delete_is_idempotent() {
        let data = tempfile::tempdir().unwrap();
        let files = store(data.path(), KEY).unwrap();
        assert_eq!(read(&files, "a1", SecretKind::RefreshToken), None);
        files
            .set(
                "a1",
                SecretKind::RefreshToken,
                &SecretString::from("refresh-1"),
            )
            .unwrap();
        files
            .set(
                "a1",
                SecretKind::RefreshToken,
                &SecretString::from("refresh-2"),
            )
            .unwrap();
        files
            .set(
                "a1",
                SecretKind::AccessToken,
                &SecretString::from("access-1"),
            )
            .unwrap();
        assert_eq!(
            read(&files, "a1", SecretKind::RefreshToken).as_deref(),
            Some("refresh-2")
        );
        // A second process with the same key sees the same secrets.
        let again = store(data.path(), KEY).unwrap();
        assert_eq!(
            read(&again, "a1", SecretKind::AccessToken).as_deref(),
            Some("access-1")
        );
        files.delete("a1", SecretKind::RefreshToken).unwrap();
        files.delete("a1", SecretKind::RefreshToken).unwrap();
        assert_eq!(read(&files, "a1", SecretKind::RefreshToken), None);
        // No temporary file is left behind.
        let mut names: Vec<String> = fs::read_dir(files.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a1.access-token", "key-check"]);
    }

    #[cfg(unix)]
    #[test]
    fn the_directory_is_0700_and_every_file_0600_whatever_the_umask() {
        use std::os::unix::fs::PermissionsExt;
        let data = tempfile::tempdir().unwrap();
        let files = store(data.path(), KEY).unwrap();
        files
            .set("a1", SecretKind::AccessToken, &SecretString::from("x"))
            .unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(files.dir()), 0o700);
        for entry in fs::read_dir(files.dir()).unwrap() {
            assert_eq!(mode(&entry.unwrap().path()), 0o600);
        }
    }

    #[test]
    fn no_secret_is_in_any_file_in_plain_text() {
        let data = tempfile::tempdir().unwrap();
        let files = store(data.path(), KEY).unwrap();
        let secret = "eyJhbGciOiJSUzI1NiJ9.plain-text-marker";
        files
            .set("a1", SecretKind::AccessToken, &SecretString::from(secret))
            .unwrap();
        for entry in fs::read_dir(files.dir()).unwrap() {
            let bytes = fs::read(entry.unwrap().path()).unwrap();
            assert!(!bytes.windows(17).any(|w| w == b"plain-text-marker"));
        }
    }

    #[test]
    fn another_key_is_exit_9_and_changes_nothing() {
        let data = tempfile::tempdir().unwrap();
        store(data.path(), KEY)
            .unwrap()
            .set("a1", SecretKind::RefreshToken, &SecretString::from("r"))
            .unwrap();
        let before = snapshot(&data.path().join(DIR_NAME));
        let error = store(data.path(), b"another key, also thirty-two bytes")
            .err()
            .unwrap();
        assert_eq!(error.exit_code(), ExitCode::Keyring);
        assert!(error.to_string().contains("/test/key"), "{error}");
        assert_eq!(snapshot(&data.path().join(DIR_NAME)), before);
    }

    #[test]
    fn a_file_copied_over_another_entry_does_not_open() {
        let data = tempfile::tempdir().unwrap();
        let files = store(data.path(), KEY).unwrap();
        files
            .set("a1", SecretKind::RefreshToken, &SecretString::from("one"))
            .unwrap();
        files
            .set("b2", SecretKind::RefreshToken, &SecretString::from("two"))
            .unwrap();
        fs::copy(
            files.dir().join("a1.refresh-token"),
            files.dir().join("b2.refresh-token"),
        )
        .unwrap();
        let error = files.get("b2", SecretKind::RefreshToken).unwrap_err();
        assert_eq!(error.exit_code(), ExitCode::Keyring);
        assert!(error.to_string().contains("copied"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_planted_in_place_of_a_secret_is_not_followed() {
        let data = tempfile::tempdir().unwrap();
        let files = store(data.path(), KEY).unwrap();
        files
            .set("a1", SecretKind::AccessToken, &SecretString::from("x"))
            .unwrap();
        let target = data.path().join("elsewhere");
        fs::write(&target, b"not a secret").unwrap();
        std::os::unix::fs::symlink(&target, files.dir().join("b2.access-token")).unwrap();
        assert!(files.get("b2", SecretKind::AccessToken).is_err());
        // Writing replaces the link itself; the file it pointed at is untouched.
        files
            .set("b2", SecretKind::AccessToken, &SecretString::from("y"))
            .unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"not a secret");
    }

    #[test]
    fn names_that_are_not_opt_in_ids_stay_inside_the_directory() {
        let data = tempfile::tempdir().unwrap();
        let files = store(data.path(), KEY).unwrap();
        let id = "profile:../../x";
        files
            .set(id, SecretKind::ClientSecret, &SecretString::from("s"))
            .unwrap();
        assert_eq!(
            read(&files, id, SecretKind::ClientSecret).as_deref(),
            Some("s")
        );
        let names: Vec<String> = fs::read_dir(data.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, [DIR_NAME]);
    }

    fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut all: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().into_string().unwrap(),
                    fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        all.sort();
        all
    }
}
