//! A cache of access tokens in the Linux kernel keyring, in front of the Secret Service, so
//! that `idm-auth token` on a valid token costs a few system calls instead of a D-Bus
//! connection and a Secret Service session (about 10 ms). The cache is as safe as the
//! keyring behind it: kernel memory, readable by the same user only, gone at reboot or when
//! the user's last process ends, and each entry expires with its token. Never a file.
//!
//! Why it can never hand out a token older than the Secret Service's: an entry holds the
//! token together with the generation of the index row it belongs to (created, refresh
//! count, expiry), and is served only when that generation equals the row just read from
//! the index. Secrets are written before the row (store/local.rs), so when the index shows a
//! generation the Secret Service already holds that generation's token or a newer one, and
//! an entry is only ever filled with what the Secret Service returned after its row was
//! read. Writing or deleting an access token removes the entry first (local.rs), so
//! `clear` and a refresh also drop it.
//!
//! Every failure is a miss: where the kernel keyring is unusable (a seccomp policy, the
//! per-user key quota full) the Secret Service answers as before, silently.

use crate::opt_in::{Backend, OptIn};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

/// Entries carry their own service name, apart from the kernel-keyring store's secrets.
#[cfg(target_os = "linux")]
const SERVICE: &str = "idm-auth-cache";

/// The cached access token of `row`, if the cache holds one of exactly its generation.
pub fn get(row: &OptIn) -> Option<SecretString> {
    if !cacheable(row) {
        return None;
    }
    let text = SecretString::from(String::from_utf8(read(&row.id)?).ok()?);
    let (stamp, token) = text.expose_secret().split_once('\n')?;
    (stamp == generation(row) && !token.is_empty()).then(|| SecretString::from(token))
}

/// Remember `token` as the access token of `row`'s generation until the token expires
/// (counted from `now`).
pub fn put(row: &OptIn, token: &SecretString, now: DateTime<Utc>) {
    if !cacheable(row) {
        return;
    }
    let Ok(seconds) = usize::try_from((row.expires_at - now).num_seconds()) else {
        return;
    };
    if seconds > 0 {
        write(
            &row.id,
            SecretString::from(format!("{}\n{}", generation(row), token.expose_secret()))
                .expose_secret()
                .as_bytes(),
            seconds,
        );
    }
}

/// Secrets already in the kernel keyring are as quick to read as the cache.
fn cacheable(row: &OptIn) -> bool {
    row.secrets_in != Backend::KernelKeyring
}

/// Changes whenever the row's access token can have changed: a refresh moves the expiry and
/// the count, and a cleared and re-made opt-in has a new creation time.
fn generation(row: &OptIn) -> String {
    let nanos = |t: DateTime<Utc>| t.timestamp_nanos_opt().unwrap_or(i64::MIN);
    format!(
        "{} {} {}",
        nanos(row.created_at),
        row.refresh_count,
        nanos(row.expires_at)
    )
}

#[cfg(target_os = "linux")]
fn user(id: &str) -> String {
    format!("{id}/access-token")
}

#[cfg(target_os = "linux")]
fn read(id: &str) -> Option<Vec<u8>> {
    super::secrets::kernel_keyring::get(SERVICE, &user(id)).ok()
}

#[cfg(target_os = "linux")]
fn write(id: &str, payload: &[u8], seconds: usize) {
    let _ = super::secrets::kernel_keyring::set_expiring(SERVICE, &user(id), payload, seconds);
}

/// Drop the entry of opt-in `id`, whatever its generation.
#[cfg(target_os = "linux")]
pub fn forget(id: &str) {
    let _ = super::secrets::kernel_keyring::delete(SERVICE, &user(id));
}

// Elsewhere the platform store is the only store.
#[cfg(not(target_os = "linux"))]
fn read(_id: &str) -> Option<Vec<u8>> {
    None
}

#[cfg(not(target_os = "linux"))]
fn write(_id: &str, _payload: &[u8], _seconds: usize) {}

#[cfg(not(target_os = "linux"))]
pub fn forget(_id: &str) {}
