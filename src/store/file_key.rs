//! Where the file store's key comes from, and the checks it must pass before it is used:
//! `IDM_AUTH_KEY_FILE`, else `$CREDENTIALS_DIRECTORY/idm-auth.key` (what systemd hands a
//! service with `LoadCredentialEncrypted=`, sealed by the TPM2 or the host key). At least 32
//! bytes; a key file that group or others can read is refused, as ssh refuses such a private
//! key, because whoever reads it reads every token.

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
    /// `IDM_AUTH_KEY_FILE` or `$CREDENTIALS_DIRECTORY`.
    pub via: &'static str,
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (from {})", self.path.display(), self.via)
    }
}

/// The key's location from the environment, or what to do when there is none.
pub fn locate(var: impl Fn(&str) -> Option<OsString>) -> Result<KeySource> {
    if let Some(path) = var(KEY_FILE_VAR).filter(|p| !p.is_empty()) {
        return Ok(KeySource {
            path: path.into(),
            via: KEY_FILE_VAR,
        });
    }
    if let Some(dir) = var("CREDENTIALS_DIRECTORY").filter(|p| !p.is_empty()) {
        return Ok(KeySource {
            path: PathBuf::from(dir).join(CREDENTIAL_NAME),
            via: "$CREDENTIALS_DIRECTORY",
        });
    }
    Err(Error::Keyring(format!(
        "the file store has no key: set {KEY_FILE_VAR} to a file of at least {MIN_KEY_BYTES} random bytes \
(`umask 077; head -c 32 /dev/urandom > ~/.config/idm-auth/key`), or run idm-auth as a systemd service \
with `LoadCredentialEncrypted={CREDENTIAL_NAME}:...` (see the README's Servers section)"
    )))
}

/// Read the key material, refusing a file others can read, a short one, or a non-file.
pub fn load(source: &KeySource) -> Result<Zeroizing<Vec<u8>>> {
    let refuse = |why: String| Error::Keyring(format!("the file store's key {source}: {why}"));
    let mut file = std::fs::File::open(&source.path).map_err(|e| refuse(e.to_string()))?;
    let meta = file.metadata().map_err(|e| refuse(e.to_string()))?;
    if !meta.is_file() {
        return Err(refuse("is not a regular file".into()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(refuse(format!(
                "permissions {mode:04o} are too open: the key opens every token, so it must be readable by its owner only \
(`chmod 600 {}`)",
                source.path.display()
            )));
        }
    }
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
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
        assert_eq!(locate(both).unwrap().path, PathBuf::from("/k"));
        let systemd = |name: &str| {
            (name == "CREDENTIALS_DIRECTORY").then(|| OsString::from("/run/credentials/x.service"))
        };
        assert_eq!(
            locate(systemd).unwrap().path,
            PathBuf::from("/run/credentials/x.service/idm-auth.key")
        );
        let message = locate(|_| None).unwrap_err().to_string();
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
