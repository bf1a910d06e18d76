//! The macOS Keychain.

use super::os_keyring::OsKeyring;
use super::Backend;
use crate::error::Result;
use std::time::Duration;

pub fn open(timeout: Duration) -> Result<OsKeyring> {
    OsKeyring::connect(Backend::Keychain, timeout, || {
        Ok(apple_native_keyring_store::keychain::Store::new()?)
    })
}
