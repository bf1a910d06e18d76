//! The adapter every keyring-core store shares (the Secret Service, the Keychain, the
//! Credential Manager): each call runs on its own thread with a deadline, because a Secret
//! Service waiting on an unlock prompt or a wedged D-Bus would otherwise hang a script
//! forever, and a failure is worded for the admin.

use super::split_entries::{self as split, Entries};
use super::{text, user_of, Backend, SecretKind, Secrets, SERVICE};
use crate::error::{Error, Result};
use keyring_core::{CredentialStore, Entry};
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// A connection to one keyring-core store.
pub struct OsKeyring {
    backend: Backend,
    store: Arc<CredentialStore>,
    timeout: Duration,
    /// Values longer than one entry holds go over several (the Credential Manager's).
    split_long: bool,
}

impl OsKeyring {
    /// Connect with `connect`, within `timeout`.
    pub fn connect(
        backend: Backend,
        timeout: Duration,
        connect: impl FnOnce() -> keyring_core::Result<Arc<CredentialStore>> + Send + 'static,
    ) -> Result<OsKeyring> {
        let store = bounded(timeout, "connecting", connect)?.map_err(|e| unusable(backend, &e))?;
        Ok(OsKeyring {
            backend,
            store,
            timeout,
            split_long: false,
        })
    }

    /// Split values longer than one entry holds over several (split_entries.rs).
    #[cfg_attr(not(target_os = "windows"), allow(dead_code))]
    pub fn split_long_values(self) -> OsKeyring {
        OsKeyring {
            split_long: true,
            ..self
        }
    }

    fn call<T: Send + 'static>(
        &self,
        what: &str,
        user: String,
        f: impl FnOnce(&StoreEntries, &str, bool) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<keyring_core::Result<T>> {
        let entries = StoreEntries {
            store: self.store.clone(),
            backend: self.backend,
        };
        let split_long = self.split_long;
        bounded(self.timeout, what, move || f(&entries, &user, split_long))
    }
}

/// The store's entries by user name.
struct StoreEntries {
    store: Arc<CredentialStore>,
    backend: Backend,
}

impl Entries for StoreEntries {
    fn set(&self, name: &str, value: &[u8]) -> keyring_core::Result<()> {
        entry(&self.store, self.backend, name)?.set_secret(value)
    }
    fn get(&self, name: &str) -> keyring_core::Result<Vec<u8>> {
        entry(&self.store, self.backend, name)?.get_secret()
    }
    fn delete(&self, name: &str) -> keyring_core::Result<()> {
        entry(&self.store, self.backend, name)?.delete_credential()
    }
}

impl Secrets for OsKeyring {
    fn name(&self) -> &'static str {
        self.backend.name()
    }

    fn set(&self, id: &str, kind: SecretKind, value: &SecretString) -> Result<()> {
        let value = value.expose_secret().as_bytes().to_vec();
        self.call(
            "storing a secret",
            user_of(id, kind),
            move |e, user, split_long| {
                if split_long {
                    split::set(e, user, &value)
                } else {
                    e.set(user, &value)
                }
            },
        )?
        .map_err(|e| unusable(self.backend, &e))
    }

    fn get(&self, id: &str, kind: SecretKind) -> Result<Option<SecretString>> {
        let got = self.call(
            "reading a secret",
            user_of(id, kind),
            |e, user, split_long| {
                if split_long {
                    split::get(e, user)
                } else {
                    e.get(user)
                }
            },
        )?;
        match got {
            Ok(bytes) => text(kind, bytes).map(Some),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(unusable(self.backend, &e)),
        }
    }

    fn delete(&self, id: &str, kind: SecretKind) -> Result<()> {
        let deleted = self.call(
            "deleting a secret",
            user_of(id, kind),
            |e, user, split_long| {
                if split_long {
                    split::delete(e, user)
                } else {
                    e.delete(user)
                }
            },
        )?;
        match deleted {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(unusable(self.backend, &e)),
        }
    }
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
