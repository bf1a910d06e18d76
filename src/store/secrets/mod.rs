//! Where an opt-in's secrets live: one small trait, [`Secrets`], and one file per backend
//! (the Secret Service, the Linux kernel keyring, the macOS Keychain, the Windows Credential
//! Manager, and sealed files: file.rs, with its key in file_key.rs and its sealing in
//! sealed.rs). A backend only stores, reads and deletes named secrets; the journal, the locks
//! and the access-token cache in front of it are the store's (store/local.rs).
//!
//! Secrets are one entry each (Windows' Credential Manager holds at most 2,560 bytes per
//! credential, and UPS access tokens are long JWTs, so nothing is bundled; a longer one is
//! split over entries there, see split_entries.rs), under service `idm-auth` and user
//! `<opt-in id>/<kind>`, stored as bytes. There is never a plain-text
//! fallback.

#[cfg(target_os = "windows")]
mod credential_manager;
pub mod file;
pub(crate) mod file_key;
#[cfg(target_os = "linux")]
pub mod kernel_keyring;
#[cfg(target_os = "macos")]
mod keychain;
pub mod memory;
mod os_keyring;
mod sealed;
#[cfg(target_os = "linux")]
mod secret_service;
// On every OS: the splitting of long secrets is plain logic, unit-tested everywhere.
mod split_entries;

use crate::error::{Error, Result};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

pub const SERVICE: &str = "idm-auth";

/// How long a keyring call may take unless `IDM_AUTH_KEYRING_TIMEOUT` says otherwise: a
/// Secret Service waiting on an unlock prompt or a wedged D-Bus must not hang a script.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// One secret store. Implementations must be safe to call from several threads, must never
/// print or log a value, and `delete` of what is not there is not an error (clear is
/// idempotent).
pub trait Secrets: Send + Sync {
    /// The name `list --json` shows in its store/keyring field: "secret-service", ...
    fn name(&self) -> &'static str;
    fn set(&self, id: &str, kind: SecretKind, value: &SecretString) -> Result<()>;
    /// The secret, or None when there is no such entry.
    fn get(&self, id: &str, kind: SecretKind) -> Result<Option<SecretString>>;
    /// Idempotent.
    fn delete(&self, id: &str, kind: SecretKind) -> Result<()>;
}

/// Delete every secret of opt-in `id`.
pub fn delete_all(secrets: &dyn Secrets, id: &str) -> Result<()> {
    for kind in SecretKind::ALL {
        secrets.delete(id, kind)?;
    }
    Ok(())
}

pub use crate::opt_in::Backend;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    AccessToken,
    RefreshToken,
    ClientSecret,
}

impl SecretKind {
    pub const ALL: [SecretKind; 3] = [
        SecretKind::AccessToken,
        SecretKind::RefreshToken,
        SecretKind::ClientSecret,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            SecretKind::AccessToken => "access-token",
            SecretKind::RefreshToken => "refresh-token",
            SecretKind::ClientSecret => "client-secret",
        }
    }
}

/// The entry's user name in the OS store: `<opt-in id>/<kind>`.
pub fn user_of(id: &str, kind: SecretKind) -> String {
    format!("{id}/{}", kind.slug())
}

/// Connect to the store `backend`, each call bounded by `timeout`.
pub fn open(backend: Backend, timeout: Duration) -> Result<Arc<dyn Secrets>> {
    match backend {
        #[cfg(target_os = "linux")]
        Backend::SecretService => Ok(Arc::new(secret_service::open(timeout)?)),
        #[cfg(target_os = "linux")]
        Backend::KernelKeyring => Ok(Arc::new(kernel_keyring::KernelKeyring)),
        #[cfg(target_os = "macos")]
        Backend::Keychain => Ok(Arc::new(keychain::open(timeout)?)),
        #[cfg(target_os = "windows")]
        Backend::CredentialManager => Ok(Arc::new(credential_manager::open(timeout)?)),
        #[allow(unreachable_patterns)]
        _ => Err(Error::Keyring(format!(
            "the {} does not exist on this OS",
            backend.describe()
        ))),
    }
}

/// The store for new secrets: the platform's own, and on Linux the kernel keyring when no
/// Secret Service answers. The note says so, for the admin.
pub fn open_default(timeout: Duration) -> Result<(Backend, Arc<dyn Secrets>, Option<String>)> {
    #[cfg(target_os = "linux")]
    {
        match open(Backend::SecretService, timeout) {
            Ok(s) => Ok((Backend::SecretService, s, None)),
            Err(ss_err) if kernel_keyring::probe() => {
                let _ = ss_err;
                Ok((
                    Backend::KernelKeyring,
                    Arc::new(kernel_keyring::KernelKeyring),
                    Some("no Secret Service answered on D-Bus, so the secrets go to the Linux kernel keyring (per-user, in memory; lost on reboot). Install and start gnome-keyring, or use `--store file` (see the README's Servers section), to keep them across reboots.".into()),
                ))
            }
            Err(ss_err) => Err(Error::Keyring(format!(
                "no usable OS keyring: {ss_err}. Install and start a Secret Service (e.g. `apt-get install gnome-keyring` and log in to a desktop session, or run `gnome-keyring-daemon --unlock` in this session); idm-auth never stores tokens in a plain file"
            ))),
        }
    }
    #[cfg(target_os = "macos")]
    {
        open(Backend::Keychain, timeout).map(|s| (Backend::Keychain, s, None))
    }
    #[cfg(target_os = "windows")]
    {
        open(Backend::CredentialManager, timeout).map(|s| (Backend::CredentialManager, s, None))
    }
}

/// Make sure the store takes a write: a locked collection or a wedged Secret Service must
/// fail before anyone signs in, not after UPS has spent the one-time code.
pub fn check_writable(secrets: &dyn Secrets) -> Result<()> {
    let probe = format!("probe{}", std::process::id());
    secrets.set(
        &probe,
        SecretKind::AccessToken,
        &SecretString::from("probe"),
    )?;
    secrets.delete(&probe, SecretKind::AccessToken)
}

/// The secret's bytes as text; the bytes are wiped either way.
pub fn text(kind: SecretKind, bytes: Vec<u8>) -> Result<SecretString> {
    use secrecy::zeroize::Zeroize;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(SecretString::from(s)),
        Err(e) => {
            e.into_bytes().zeroize();
            Err(Error::Keyring(format!(
                "the stored {} is not text",
                kind.slug()
            )))
        }
    }
}
