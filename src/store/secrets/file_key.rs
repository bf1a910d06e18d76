//! Where the file store's key comes from, and the checks it must pass before it is used:
//! `IDM_AUTH_KEY_FILE`, else `$CREDENTIALS_DIRECTORY/idm-auth.key` (what systemd hands a
//! service with `LoadCredentialEncrypted=`, sealed by the TPM2 or the host key). At least 32
//! bytes; a key file that group or others can read is refused, as ssh refuses such a private
//! key, because whoever reads it reads every token. It must be a regular file (a FIFO would
//! hang every `token` on its read: the file is opened non-blocking and its type checked on
//! the opened descriptor), owned by the user or root, in a directory nobody else can write
//! (else they could swap the key for one of theirs and read what is sealed next).

use crate::error::{Error, Result};
use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use zeroize::Zeroizing;

pub const KEY_FILE_VAR: &str = "IDM_AUTH_KEY_FILE";
/// The credential name the unit files in contrib/systemd/ load.
pub const CREDENTIAL_NAME: &str = "idm-auth.key";
pub const MIN_KEY_BYTES: usize = 32;
/// Far more than any key; a larger file is not a key.
const MAX_KEY_BYTES: u64 = 64 * 1024;

/// Where the key was found, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySource {
    pub path: PathBuf,
    /// `IDM_AUTH_KEY_FILE`, the profile's `key_file` or `$CREDENTIALS_DIRECTORY`.
    pub via: &'static str,
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (from {})", self.path.display(), self.via)
    }
}

/// The key's location from the environment, or what to do when there is none.
pub fn locate(
    var: impl Fn(&str) -> Option<OsString>,
    profile_key_file: Option<&std::path::Path>,
) -> Result<KeySource> {
    if let Some(path) = var(KEY_FILE_VAR).filter(|p| !p.is_empty()) {
        return Ok(KeySource {
            path: path.into(),
            via: KEY_FILE_VAR,
        });
    }
    if let Some(path) = profile_key_file.filter(|p| !p.as_os_str().is_empty()) {
        return Ok(KeySource {
            path: path.to_path_buf(),
            via: "the profile's key_file",
        });
    }
    if let Some(dir) = var("CREDENTIALS_DIRECTORY").filter(|p| !p.is_empty()) {
        return Ok(KeySource {
            path: PathBuf::from(dir).join(CREDENTIAL_NAME),
            via: "$CREDENTIALS_DIRECTORY",
        });
    }
    Err(Error::Keyring(format!(
        "the file store has no key: set {KEY_FILE_VAR} (or `key_file` in the profile) to a file of at least {MIN_KEY_BYTES} random bytes \
(`umask 077; head -c 32 /dev/urandom > ~/.config/idm-auth/key`), or run idm-auth as a systemd service \
with `LoadCredentialEncrypted={CREDENTIAL_NAME}:...` (see the README's Servers section)"
    )))
}

/// Read the key material, refusing a file others can read or change, a short one, or a
/// non-file.
pub fn load(source: &KeySource) -> Result<Zeroizing<Vec<u8>>> {
    let refuse = |why: String| Error::Keyring(format!("the file store's key {source}: {why}"));
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Opening a FIFO for reading blocks until a writer comes; non-blocking, it opens at once
    // and the type check below refuses it.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let mut file = options
        .open(&source.path)
        .map_err(|e| refuse(e.to_string()))?;
    let meta = file.metadata().map_err(|e| refuse(e.to_string()))?;
    if !meta.is_file() {
        return Err(refuse("is not a regular file".into()));
    }
    #[cfg(unix)]
    check_unix(source, &file, &meta).map_err(refuse)?;
    let mut material = Zeroizing::new(Vec::new());
    (&mut file)
        .take(MAX_KEY_BYTES + 1)
        .read_to_end(&mut material)
        .map_err(|e| refuse(e.to_string()))?;
    if material.len() as u64 > MAX_KEY_BYTES {
        return Err(refuse(format!(
            "is larger than {MAX_KEY_BYTES} bytes, so it is not a key"
        )));
    }
    if material.len() < MIN_KEY_BYTES {
        return Err(refuse(format!(
            "holds {} bytes; a key needs at least {MIN_KEY_BYTES} random bytes (`head -c 32 /dev/urandom`)",
            material.len()
        )));
    }
    Ok(material)
}

/// Readable by its owner only, owned by the user or root, in a directory only they can
/// change. Checked on the opened file (its metadata, and the directory it really is in).
#[cfg(unix)]
fn check_unix(
    source: &KeySource,
    file: &std::fs::File,
    meta: &std::fs::Metadata,
) -> std::result::Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::io::AsRawFd;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "permissions {mode:04o} are too open: the key opens every token, so it must be readable by its owner only \
(`chmod 600 {}`)",
            source.path.display()
        ));
    }
    // SAFETY: geteuid and getegid cannot fail and touch no memory.
    let (me, my_group) = unsafe { (libc::geteuid(), libc::getegid()) };
    if !owner_trusted(meta.uid(), me) {
        return Err(format!(
            "it belongs to user {}, not to you (user {me}) or root: whoever owns it chooses the key",
            meta.uid()
        ));
    }
    let real = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .or_else(|_| std::fs::canonicalize(&source.path))
        .map_err(|e| format!("cannot tell which directory it is in ({e})"))?;
    let dir = real.parent().unwrap_or(&real);
    let dir_meta = std::fs::metadata(dir)
        .map_err(|e| format!("cannot read its directory {} ({e})", dir.display()))?;
    let dir_mode = dir_meta.mode();
    let others_write =
        dir_mode & 0o002 != 0 || (dir_mode & 0o020 != 0 && dir_meta.gid() != my_group);
    if others_write || !owner_trusted(dir_meta.uid(), me) {
        return Err(format!(
            "its directory {} can be changed by other users (owner {}, mode {:o}), who could swap the key for theirs; \
keep it in a directory of your own",
            dir.display(),
            dir_meta.uid(),
            dir_mode & 0o7777
        ));
    }
    Ok(())
}

/// Whether a key, or its directory, owned by `uid` can be trusted by user `me`: their own,
/// or root's (systemd's credentials are root's); whoever owns it chooses the key.
#[cfg(unix)]
fn owner_trusted(uid: u32, me: u32) -> bool {
    uid == me || uid == 0
}

// Two attributes, not cfg(all(test, unix)): cargo-mutants knows a test module by a plain
// cfg(test), and would otherwise mutate its helpers.
#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use crate::store::private_fs::tests::{require_root, OTHER};
    use std::os::unix::fs::PermissionsExt;

    fn key_file(dir: &std::path::Path, bytes: &[u8], mode: u32) -> KeySource {
        let path = dir.join("key");
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        KeySource {
            path,
            via: KEY_FILE_VAR,
        }
    }

    #[test]
    fn the_key_file_variable_wins_over_the_systemd_credential() {
        let both = |name: &str| match name {
            KEY_FILE_VAR => Some(OsString::from("/k")),
            "CREDENTIALS_DIRECTORY" => Some(OsString::from("/run/credentials/x.service")),
            _ => None,
        };
        assert_eq!(locate(both, None).unwrap().path, PathBuf::from("/k"));
        let systemd = |name: &str| {
            (name == "CREDENTIALS_DIRECTORY").then(|| OsString::from("/run/credentials/x.service"))
        };
        assert_eq!(
            locate(systemd, None).unwrap().path,
            PathBuf::from("/run/credentials/x.service/idm-auth.key")
        );
        // The profile's key_file comes after the variable, before systemd's; an empty one
        // counts as none.
        let profile = Some(std::path::Path::new("/etc/idm-auth/key"));
        assert_eq!(locate(both, profile).unwrap().path, PathBuf::from("/k"));
        let from_profile = locate(systemd, profile).unwrap();
        assert_eq!(from_profile.path, PathBuf::from("/etc/idm-auth/key"));
        assert_eq!(from_profile.via, "the profile's key_file");
        assert_eq!(
            locate(systemd, Some(std::path::Path::new("")))
                .unwrap()
                .path,
            PathBuf::from("/run/credentials/x.service/idm-auth.key")
        );
        let message = locate(|_| None, None).unwrap_err().to_string();
        assert!(message.contains(KEY_FILE_VAR), "{message}");
    }

    #[test]
    fn a_key_others_can_read_is_refused_naming_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let source = key_file(dir.path(), &[7u8; 32], 0o644);
        let error = load(&source).unwrap_err();
        assert_eq!(error.exit_code(), crate::error::ExitCode::Keyring);
        assert!(error.to_string().contains("0644"), "{error}");
        let source = key_file(dir.path(), &[7u8; 32], 0o640);
        assert!(load(&source).unwrap_err().to_string().contains("0640"));
        let source = key_file(dir.path(), &[7u8; 32], 0o400);
        assert_eq!(load(&source).unwrap().len(), 32);
    }

    #[test]
    fn a_fifo_is_refused_at_once_instead_of_hanging() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        let source = KeySource {
            path,
            via: KEY_FILE_VAR,
        };
        let error = load(&source).unwrap_err().to_string();
        assert!(error.contains("not a regular file"), "{error}");
    }

    #[test]
    fn a_key_in_a_directory_others_can_write_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
        let source = key_file(dir.path(), &[7u8; 32], 0o600);
        let error = load(&source).unwrap_err().to_string();
        assert!(error.contains("can be changed by other users"), "{error}");
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(load(&source).unwrap().len(), 32);
    }

    /// Run as another user (uid 1000 here), a key of their own or root's is trusted, and
    /// one of a third user is not: as root, who runs the tests, the two owners are one.
    #[test]
    fn a_key_of_ones_own_or_roots_is_trusted_and_no_one_elses() {
        assert!(owner_trusted(1000, 1000));
        assert!(owner_trusted(0, 1000));
        assert!(!owner_trusted(OTHER, 1000));
    }

    /// Whoever owns the key, or can change its directory, chooses it: another user's key
    /// file or directory is refused, and so is a directory another group can write; a
    /// directory only its own group can write, or another group only read, is fine.
    #[test]
    fn a_key_file_or_directory_another_user_controls_is_refused() {
        require_root();
        let tmp = tempfile::tempdir().unwrap();
        let in_dir = |name: &str, mode: u32, owner: Option<u32>, group: Option<u32>| {
            let dir = tmp.path().join(name);
            std::fs::create_dir(&dir).unwrap();
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
            std::os::unix::fs::chown(&dir, owner, group).unwrap();
            key_file(&dir, &[7u8; 32], 0o600)
        };
        let theirs = in_dir("key-theirs", 0o700, None, None);
        std::os::unix::fs::chown(&theirs.path, Some(OTHER), None).unwrap();
        let error = load(&theirs).unwrap_err().to_string();
        assert!(error.contains("it belongs to user 12345"), "{error}");
        for (name, mode, owner, group) in [
            ("dir-theirs", 0o755, Some(OTHER), None),
            ("dir-group-writable", 0o770, None, Some(OTHER)),
        ] {
            let error = load(&in_dir(name, mode, owner, group))
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("can be changed by other users"),
                "{name}: {error}"
            );
        }
        for (name, mode, group) in [("own-group", 0o770, None), ("readable", 0o750, Some(OTHER))] {
            let source = in_dir(name, mode, None, group);
            assert_eq!(
                load(&source).map(|k| k.len()).map_err(|e| e.to_string()),
                Ok(32),
                "{name}"
            );
        }
    }

    #[test]
    fn a_short_key_is_refused_with_its_length() {
        let dir = tempfile::tempdir().unwrap();
        let source = key_file(dir.path(), &[7u8; 31], 0o600);
        let error = load(&source).unwrap_err().to_string();
        assert!(error.contains("31 bytes"), "{error}");
    }

    #[test]
    fn a_key_of_the_largest_size_loads_and_one_byte_more_is_no_key() {
        let dir = tempfile::tempdir().unwrap();
        let largest = MAX_KEY_BYTES as usize;
        let source = key_file(dir.path(), &vec![7u8; largest], 0o600);
        assert_eq!(load(&source).unwrap().len(), 65536);
        let source = key_file(dir.path(), &vec![7u8; largest + 1], 0o600);
        let error = load(&source).unwrap_err().to_string();
        assert!(error.contains("larger than 65536 bytes"), "{error}");
    }
}
