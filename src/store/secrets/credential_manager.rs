//! The Windows Credential Manager.

use super::os_keyring::OsKeyring;
use super::Backend;
use crate::error::Result;
use std::time::Duration;

pub fn open(timeout: Duration) -> Result<OsKeyring> {
    OsKeyring::connect(Backend::CredentialManager, timeout, || {
        Ok(windows_native_keyring_store::Store::new()?)
    })
}
