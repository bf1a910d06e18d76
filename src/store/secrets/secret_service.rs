//! The Secret Service (GNOME Keyring, KWallet, KeePassXC) over D-Bus: the Linux store.

use super::os_keyring::OsKeyring;
use super::Backend;
use crate::error::Result;
use std::time::Duration;

pub fn open(timeout: Duration) -> Result<OsKeyring> {
    OsKeyring::connect(Backend::SecretService, timeout, || {
        Ok(dbus_secret_service_keyring_store::Store::new()?)
    })
}
