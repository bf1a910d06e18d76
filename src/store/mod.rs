//! Where opt-ins are kept, behind one owner: the [`Store`]. Every step that touches a secret,
//! the access-token cache or the index goes through it, so a command only picks rows, calls
//! the store and renders the answer. Today's implementation is [`LocalStore`] (local.rs): the
//! index file with its journal and cross-process locks, a [`Secrets`] backend per row (one
//! file each under secrets/), and the kernel-keyring cache of access tokens in front of them.
//!
//! The contract every store keeps (a new one, e.g. rows and secrets in Vault, must too):
//! - **No orphan secrets, no secret-less rows.** Rows and secrets cannot change in one atomic
//!   step, so whatever could leave one without the other is recorded first (LocalStore:
//!   the index's journal, under a per-id lock) and finished or undone by `repaired_rows`
//!   after a crash, with a note for the admin.
//! - **One refresh at a time per opt-in, across processes.** `rotate` re-reads the row once
//!   it has the right to refresh (LocalStore: a lock file; Vault: check-and-set), returns
//!   the token another process got meanwhile instead of refreshing again, and stores the
//!   rotated pair before the row that announces it, so a reader never gets an older token
//!   than the row promises.
//! - **A spent refresh token is never kept as usable.** An answer lost after UPS saw the
//!   request, a refusal, or a rotated refresh token that could not be stored marks the row
//!   invalid with the reason (`list` shows it); a failure UPS did not act on changes nothing.
//! - **Secrets only as [`SecretString`]**, never in a message, log, argv or plain file.
//! - `remove` is idempotent; `rows` reads and never writes, needs no secret and no network.

pub mod cache;
pub mod index;
#[cfg(test)]
mod index_format;
mod index_scan;
mod local;
pub(crate) mod private_fs;
pub mod secrets;
mod timestamp;
pub mod vault;

use crate::error::{Error, Result};
pub use crate::opt_in::{Backend, Credentials, OptIn, Token};
use crate::opt_in::{Draft, MIN_VALIDITY};
pub use crate::refresh::run::Refresh;
use chrono::{DateTime, Utc};
pub use index::{Action, Contents, Index, Pending};
pub use local::LocalStore;
pub use secrecy::{ExposeSecret, SecretString};
pub use secrets::{SecretKind, Secrets};

/// The secrets of a new opt-in, as UPS issued them (plus the app's secret, if any).
pub struct NewSecrets {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub client_secret: Option<SecretString>,
}

/// The owner of opt-ins: rows, their secrets, and every change to either.
pub trait Store {
    /// Every row, newest first. Reads only: no repair, no secret, no network (`list`).
    fn rows(&self) -> Result<Vec<OptIn>>;
    /// Finish what interrupted operations left behind, then every row; one note per repair.
    fn repaired_rows(&self) -> Result<(Vec<OptIn>, Vec<String>)>;
    /// `token`'s shortcut: the row of exactly `id`, or else the newest row of `profile` that
    /// `accept` takes, when the store can tell without reading every row and nothing needs
    /// repair; None sends the caller to [`Store::repaired_rows`].
    fn quick_pick(
        &self,
        _profile: Option<&str>,
        _id: Option<&str>,
        _accept: &dyn Fn(&OptIn) -> bool,
    ) -> Option<OptIn> {
        None
    }
    /// Make sure a new opt-in could be stored now, before anyone signs in; notes for the
    /// admin (e.g. which fallback keeps the secrets).
    fn prepare_create(&self) -> Result<Vec<String>>;
    /// Store a new opt-in. The store picks its id and where its secrets go; returns the row
    /// as stored. Nothing half-stored remains on failure.
    fn create(&self, draft: Draft, secrets: NewSecrets) -> Result<OptIn>;
    /// The stored access token of `row` (whatever its expiry).
    fn access_token(&self, row: &OptIn) -> Result<SecretString>;
    /// Rotate the pair of `row` through `refresh`, one process at a time; see the contract.
    /// With `refused` (the row of a token UPS just answered with 401: `api`'s one forced
    /// refresh) it refreshes even while the stored token looks valid, unless that token is
    /// no longer the refused one (another process refreshed meanwhile): see
    /// [`OptIn::same_generation`].
    fn rotate(&self, row: &OptIn, refresh: Refresh<'_>, refused: Option<&OptIn>) -> Result<Token>;
    /// Delete an opt-in's row and secrets. Idempotent.
    fn remove(&self, row: &OptIn) -> Result<()>;
    /// The client secret kept for config profile `profile`.
    fn profile_secret(&self, profile: &str) -> Result<Option<SecretString>>;
    /// Keep the client secret of `profile`; returns where it went (for people) and a note.
    fn set_profile_secret(
        &self,
        profile: &str,
        secret: &SecretString,
    ) -> Result<(&'static str, Option<String>)>;
    /// Delete the client secret kept for `profile`, if any. Idempotent.
    fn delete_profile_secret(&self, profile: &str) -> Result<()>;

    /// A valid access token of `row`: the stored one while it has more than
    /// [`MIN_VALIDITY`] left, else a rotated one.
    fn valid_token(&self, row: &OptIn, now: DateTime<Utc>, refresh: Refresh<'_>) -> Result<Token> {
        if row.access_valid_for(now, MIN_VALIDITY) {
            return Ok(Token {
                token: self.access_token(row)?,
                row: row.clone(),
                note: None,
            });
        }
        if !row.status(now).is_usable() {
            return Err(row.unusable(now));
        }
        self.rotate(row, refresh, None)
    }
}

/// A short random id (32 bits, hex) that nothing in `taken` has. Short, because admins
/// type it; `create` still refuses a clash with an id written meanwhile by another process.
pub fn fresh_id(taken: &Contents) -> Result<String> {
    loop {
        let mut bytes = [0u8; 4];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| Error::Other(format!("no randomness from the OS: {e}")))?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        if !taken.knows(&id) {
            return Ok(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_hex() {
        let a = fresh_id(&Contents::default()).unwrap();
        assert_eq!(a.len(), 8);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, fresh_id(&Contents::default()).unwrap());
    }
}
