//! The adapter every keyring-core store shares (the Secret Service, the Keychain, the
//! Credential Manager): each call runs on its own thread with a deadline, because a Secret
//! Service waiting on an unlock prompt or a wedged D-Bus would otherwise hang a script
//! forever, and a failure is worded for the admin.

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
        })
    }

    fn call<T: Send + 'static>(
        &self,
        what: &str,
        user: String,
        f: impl FnOnce(Entry) -> keyring_core::Result<T> + Send + 'static,
    ) -> Result<keyring_core::Result<T>> {
        let store = self.store.clone();
        let backend = self.backend;
        bounded(self.timeout, what, move || {
            f(entry(&store, backend, &user)?)
        })
    }
}

impl Secrets for OsKeyring {
    fn name(&self) -> &'static str {
        self.backend.name()
    }

    fn set(&self, id: &str, kind: SecretKind, value: &SecretString) -> Result<()> {
        let value = value.expose_secret().as_bytes().to_vec();
        self.call("storing a secret", user_of(id, kind), move |e| {
            e.set_secret(&value)
        })?
        .map_err(|e| unusable(self.backend, &e))
    }

    fn get(&self, id: &str, kind: SecretKind) -> Result<Option<SecretString>> {
        match self.call("reading a secret", user_of(id, kind), |e| e.get_secret())? {
            Ok(bytes) => text(kind, bytes).map(Some),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(unusable(self.backend, &e)),
        }
    }

    fn delete(&self, id: &str, kind: SecretKind) -> Result<()> {
        match self.call("deleting a secret", user_of(id, kind), |e| {
            e.delete_credential()
        })? {
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
