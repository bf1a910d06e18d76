//! The Linux kernel keyring: the last-resort secret store for machines without a Secret
//! Service (servers, containers), and the home of the access-token cache (cache.rs). Keys
//! live in the user keyring (`@u`): in kernel memory, per user, gone on reboot or when the
//! user's last process ends. Each key is made readable by its owner's other processes (the
//! later `idm-auth token` calls), not by other users.
//!
//! Written against `linux-keyutils` directly because the keyring-rs kernel store keeps keys in
//! the session keyring, which processes started outside a login session (cron, containers)
//! cannot read back.

use super::{text, user_of, SecretKind, Secrets, SERVICE};
use keyring_core::Error;
use linux_keyutils::{
    Key, KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission,
};
use secrecy::{ExposeSecret, SecretString};

fn ring() -> keyring_core::Result<KeyRing> {
    KeyRing::from_special_id(KeyRingIdentifier::User, true).map_err(denied)
}

fn denied(e: KeyError) -> Error {
    match e {
        KeyError::KeyDoesNotExist => Error::NoEntry,
        other => Error::NoStorageAccess(format!("{other:?}").into()),
    }
}

fn description(service: &str, user: &str) -> String {
    format!("{service}:{user}")
}

pub fn set(service: &str, user: &str, secret: &[u8]) -> keyring_core::Result<()> {
    add(service, user, secret).map(|_| ())
}

/// Like `set`, but the kernel drops the key by itself after `seconds`.
pub fn set_expiring(
    service: &str,
    user: &str,
    secret: &[u8],
    seconds: usize,
) -> keyring_core::Result<()> {
    add(service, user, secret)?
        .set_timeout(seconds)
        .map_err(denied)
}

/// Add the key, or replace the payload of the one with this description in one step.
fn add(service: &str, user: &str, secret: &[u8]) -> keyring_core::Result<Key> {
    let key = ring()?
        .add_key(&description(service, user), secret)
        .map_err(denied)?;
    let perms = KeyPermissionsBuilder::builder()
        .posessor(Permission::ALL)
        .user(
            Permission::VIEW
                | Permission::READ
                | Permission::WRITE
                | Permission::SEARCH
                | Permission::SETATTR,
        )
        .build();
    key.set_perms(perms).map_err(denied)?;
    Ok(key)
}

pub fn get(service: &str, user: &str) -> keyring_core::Result<Vec<u8>> {
    let key = ring()?
        .search(&description(service, user))
        .map_err(denied)?;
    key.read_to_vec().map_err(denied)
}

pub fn delete(service: &str, user: &str) -> keyring_core::Result<()> {
    let ring = ring()?;
    let key = ring.search(&description(service, user)).map_err(denied)?;
    key.invalidate().map_err(denied)
}

/// The kernel keyring as a secret store (the user keyring, service `idm-auth`).
pub struct KernelKeyring;

impl Secrets for KernelKeyring {
    fn name(&self) -> &'static str {
        super::Backend::KernelKeyring.name()
    }

    fn set(&self, id: &str, kind: SecretKind, value: &SecretString) -> crate::error::Result<()> {
        set(
            SERVICE,
            &user_of(id, kind),
            value.expose_secret().as_bytes(),
        )
        .map_err(failed)
    }

    fn get(&self, id: &str, kind: SecretKind) -> crate::error::Result<Option<SecretString>> {
        match get(SERVICE, &user_of(id, kind)) {
            Ok(bytes) => text(kind, bytes).map(Some),
            Err(Error::NoEntry) => Ok(None),
            Err(e) => Err(failed(e)),
        }
    }

    fn delete(&self, id: &str, kind: SecretKind) -> crate::error::Result<()> {
        match delete(SERVICE, &user_of(id, kind)) {
            Ok(()) | Err(Error::NoEntry) => Ok(()),
            Err(e) => Err(failed(e)),
        }
    }
}

fn failed(e: Error) -> crate::error::Error {
    crate::error::Error::Keyring(format!(
        "the {} failed: {e}",
        super::Backend::KernelKeyring.describe()
    ))
}

/// The kernel keyring can exist yet refuse writes (e.g. a container's seccomp policy).
pub fn probe() -> bool {
    let probe = format!("probe-{}", std::process::id());
    let ok = set(SERVICE, &probe, b"probe").is_ok();
    let _ = delete(SERVICE, &probe);
    ok
}
