//! Secrets in the OS keyring, one entry per secret, stored as bytes (Windows' Credential
//! Manager holds at most 2,560 bytes per credential, and UPS access tokens are long JWTs, so
//! nothing is bundled). Service name `idm-auth`; the entry's user is `<opt-in id>/<kind>`.
//!
//! On Linux the Secret Service is the store. Where none answers, the kernel keyring
//! (keyutils) is used instead, and the admin is told. There is never a plain-text fallback.
//! Every call runs with a deadline, because a Secret Service waiting on an unlock prompt or a
//! wedged D-Bus would otherwise hang a script forever.

use crate::error::{Error, Result};
use keyring_core::{CredentialStore, Entry};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

pub const SERVICE: &str = "idm-auth";

/// Which OS store holds an opt-in's secrets; recorded in the index so later commands go
/// straight to the same place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    SecretService,
    KernelKeyring,
    Keychain,
    CredentialManager,
}

impl Backend {
    /// For people: "the Secret Service", ...
    pub fn describe(self) -> &'static str {
        match self {
            Backend::SecretService => "Secret Service",
            Backend::KernelKeyring => "Linux kernel keyring",
            Backend::Keychain => "macOS Keychain",
            Backend::CredentialManager => "Windows Credential Manager",
        }
    }

    /// For the index and `list --json`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::SecretService => "secret-service",
            Backend::KernelKeyring => "kernel-keyring",
            Backend::Keychain => "keychain",
            Backend::CredentialManager => "credential-manager",
        }
    }
}

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
    pub(crate) fn slug(self) -> &'static str {
        match self {
            SecretKind::AccessToken => "access-token",
            SecretKind::RefreshToken => "refresh-token",
            SecretKind::ClientSecret => "client-secret",
        }
    }
}

/// A connection to one OS store.
#[derive(Clone)]
pub struct Keyring {
    backend: Backend,
    store: Store,
    timeout: Duration,
}

#[derive(Clone)]
enum Store {
    /// A keyring-rs store (Secret Service, Keychain, Credential Manager).
    Core(Arc<CredentialStore>),
    #[cfg(target_os = "linux")]
    Kernel,
}

fn timeout_from_env() -> Duration {
    std::env::var("IDM_AUTH_KEYRING_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(20))
}

/// Run a keyring call on its own thread and give up after `timeout`. A call that hangs is
/// left behind; the process exits soon after with the error.
fn bounded<T: Send + 'static>(
    timeout: Duration,
    what: &str,
    f: impl FnOnce() -> keyring_core::Result<T> + Send + 'static,
) -> Result<keyring_core::Result<T>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(timeout).map_err(|_| {
        Error::Keyring(format!(
            "the OS keyring did not answer within {} s while {what}; is it locked or waiting for an unlock prompt?",
            timeout.as_secs()
        ))
    })
}

fn unusable(backend: Backend, e: &keyring_core::Error) -> Error {
    // libdbus gives up on a silent Secret Service by itself, sometimes before our own
    // deadline: tell the admin the same thing either way.
    if e.to_string().contains("Did not receive a reply") {
        return Error::Keyring(format!(
            "the {} did not answer; is it locked or waiting for an unlock prompt?",
            backend.describe()
        ));
    }
    let fix = match backend {
        Backend::SecretService => {
            " (unlock the login keyring, or install and start a Secret Service such as gnome-keyring)"
        }
        _ => "",
    };
    Error::Keyring(format!("the {} failed: {e}{fix}", backend.describe()))
}

impl Keyring {
    /// The store for new opt-ins: the platform's own, and on Linux the kernel keyring when
    /// no Secret Service answers. The returned note says so, for the admin.
    pub fn open_default() -> Result<(Keyring, Option<String>)> {
        #[cfg(target_os = "linux")]
        {
            match Keyring::open(Backend::SecretService) {
                Ok(k) => Ok((k, None)),
                Err(ss_err) => match Keyring::open(Backend::KernelKeyring) {
                    Ok(k) if k.probe() => Ok((
                        k,
                        Some(
                            "no Secret Service answered on D-Bus, so the secrets go to the Linux kernel keyring (per-user, in memory; lost on reboot). Install and start gnome-keyring to keep them across reboots.".into(),
                        ),
                    )),
                    _ => Err(Error::Keyring(format!(
                        "no usable OS keyring: {ss_err}. Install and start a Secret Service (e.g. `apt-get install gnome-keyring` and log in to a desktop session, or run `gnome-keyring-daemon --unlock` in this session); idm-auth never stores tokens in a plain file"
                    ))),
                },
            }
        }
        #[cfg(target_os = "macos")]
        {
            Keyring::open(Backend::Keychain).map(|k| (k, None))
        }
        #[cfg(windows)]
        {
            Keyring::open(Backend::CredentialManager).map(|k| (k, None))
        }
    }

    pub fn open(backend: Backend) -> Result<Keyring> {
        let timeout = timeout_from_env();
        let store: keyring_core::Result<Store> =
            bounded(timeout, "connecting", move || new_store(backend))?;
        let store = store.map_err(|e| unusable(backend, &e))?;
        Ok(Keyring {
            backend,
            store,
            timeout,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The kernel keyring can exist yet refuse writes (e.g. a container's seccomp policy).
    #[cfg(target_os = "linux")]
    fn probe(&self) -> bool {
        let probe = format!("probe-{}", std::process::id());
        let ok = self.set_raw(&probe, b"probe").is_ok();
        let _ = self.delete_raw(&probe);
        ok
    }

    fn entry(
        store: &Arc<CredentialStore>,
        backend: Backend,
        user: &str,
    ) -> keyring_core::Result<Entry> {
        let label = format!("idm-auth {user}");
        let mut modifiers = HashMap::new();
        if backend == Backend::SecretService {
            modifiers.insert("label", label.as_str());
        }
        Entry::new_in_store_with_modifiers(store, SERVICE, user, &modifiers)
    }

    fn set_bytes(&self, user: &str, value: &[u8]) -> keyring_core::Result<()> {
        match &self.store {
            Store::Core(store) => Keyring::entry(store, self.backend, user)?.set_secret(value),
            #[cfg(target_os = "linux")]
            Store::Kernel => super::kernel_keyring::set(SERVICE, user, value),
        }
    }

    fn get_bytes(&self, user: &str) -> keyring_core::Result<Vec<u8>> {
        match &self.store {
            Store::Core(store) => Keyring::entry(store, self.backend, user)?.get_secret(),
            #[cfg(target_os = "linux")]
            Store::Kernel => super::kernel_keyring::get(SERVICE, user),
        }
    }

    fn delete_bytes(&self, user: &str) -> keyring_core::Result<()> {
        match &self.store {
            Store::Core(store) => Keyring::entry(store, self.backend, user)?.delete_credential(),
            #[cfg(target_os = "linux")]
            Store::Kernel => super::kernel_keyring::delete(SERVICE, user),
        }
    }

    fn call<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce(Keyring) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<keyring_core::Result<T>> {
        let me = self.clone();
        bounded(self.timeout, what, move || f(me))
    }

    fn set_raw(&self, user: &str, value: &[u8]) -> Result<()> {
        let user = user.to_string();
        let value = value.to_vec();
        self.call("storing a secret", move |k| k.set_bytes(&user, &value))?
            .map_err(|e| unusable(self.backend, &e))
    }

    fn delete_raw(&self, user: &str) -> Result<()> {
        let user = user.to_string();
        match self.call("deleting a secret", move |k| k.delete_bytes(&user))? {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(unusable(self.backend, &e)),
        }
    }

    pub fn set(&self, id: &str, kind: SecretKind, value: &str) -> Result<()> {
        // The cached copy goes first, so no moment exists where it outlives the stored one.
        if kind == SecretKind::AccessToken {
            super::cache::forget(id);
        }
        self.set_raw(&user_of(id, kind), value.as_bytes())
    }

    /// The secret, or None when there is no such entry.
    pub fn get(&self, id: &str, kind: SecretKind) -> Result<Option<String>> {
        let user = user_of(id, kind);
        match self.call("reading a secret", move |k| k.get_bytes(&user))? {
            Ok(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| Error::Keyring(format!("the stored {} is not text", kind.slug()))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(unusable(self.backend, &e)),
        }
    }

    /// Deleting what is not there is not an error: clear must be idempotent.
    pub fn delete(&self, id: &str, kind: SecretKind) -> Result<()> {
        if kind == SecretKind::AccessToken {
            super::cache::forget(id);
        }
        self.delete_raw(&user_of(id, kind))
    }

    pub fn delete_all(&self, id: &str) -> Result<()> {
        for kind in SecretKind::ALL {
            self.delete(id, kind)?;
        }
        Ok(())
    }
}

fn user_of(id: &str, kind: SecretKind) -> String {
    format!("{id}/{}", kind.slug())
}

fn new_store(backend: Backend) -> keyring_core::Result<Store> {
    let core = |store: Arc<CredentialStore>| Ok(Store::Core(store));
    match backend {
        #[cfg(target_os = "linux")]
        Backend::SecretService => core(dbus_secret_service_keyring_store::Store::new()?),
        #[cfg(target_os = "linux")]
        Backend::KernelKeyring => Ok(Store::Kernel),
        #[cfg(target_os = "macos")]
        Backend::Keychain => core(apple_native_keyring_store::keychain::Store::new()?),
        #[cfg(windows)]
        Backend::CredentialManager => core(windows_native_keyring_store::Store::new()?),
        #[allow(unreachable_patterns)]
        _ => Err(keyring_core::Error::NotSupportedByStore(format!(
            "the {} does not exist on this OS",
            backend.name()
        ))),
    }
}
