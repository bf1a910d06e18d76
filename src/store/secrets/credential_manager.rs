//! The Windows Credential Manager: the OS keyring of os_keyring.rs, with values longer than
//! one entry split over several (split_entries.rs).

pub fn open(timeout: std::time::Duration) -> crate::error::Result<super::os_keyring::OsKeyring> {
    super::os_keyring::OsKeyring::connect(super::Backend::CredentialManager, timeout, || {
        Ok(windows_native_keyring_store::Store::new()?)
    })
    .map(super::os_keyring::OsKeyring::split_long_values)
}
