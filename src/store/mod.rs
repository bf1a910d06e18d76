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
pub mod choice;
pub mod index;
mod index_scan;
mod local;
pub(crate) mod private_fs;
pub mod secrets;
mod timestamp;
pub mod vault;

use crate::error::{Error, Result};
use crate::ups::oauth::{Grant, UpsFailure};
use chrono::{DateTime, Duration, Utc};
pub use index::{Action, Contents, Index, OptIn, Pending};
pub use local::LocalStore;
pub use secrecy::{ExposeSecret, SecretString};
pub use secrets::{Backend, SecretKind, Secrets};
use serde::Serialize;

/// A token with less than this left is refreshed first.
pub const MIN_VALIDITY: Duration = Duration::seconds(60);

/// The secrets of a new opt-in, as UPS issued them (plus the app's secret, if any).
pub struct NewSecrets {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub client_secret: Option<SecretString>,
}

/// What a refresh needs from the store.
pub struct Credentials {
    pub refresh_token: SecretString,
    pub client_secret: Option<SecretString>,
}

/// Rotates the pair at UPS: called by [`Store::rotate`] at the one moment it may be.
pub type Refresh<'a> = &'a dyn Fn(&OptIn, &Credentials) -> Result<Grant, UpsFailure>;

/// A valid access token and the row it belongs to, as the store holds it now.
pub struct Token {
    pub row: OptIn,
    pub token: SecretString,
    /// Something the admin should know (an earlier refresh was cut short, ...).
    pub note: Option<String>,
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
    /// Store a new opt-in. The store picks `row.id` and `row.keyring`; returns the row as
    /// stored. Nothing half-stored remains on failure.
    fn create(&self, row: OptIn, secrets: NewSecrets) -> Result<OptIn>;
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

/// How usable an opt-in is right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    /// The access token has lapsed but the refresh token still works.
    AccessExpired,
    RefreshExpired,
    Invalid,
    /// Made without a client secret where no refresh is offered ([`crate::public_client`]),
    /// and its access token has expired. Only [`OptIn::status_shown`] says it.
    Ended,
}

impl Status {
    pub fn describe(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::AccessExpired => "access expired, refreshable",
            Status::RefreshExpired => "refresh expired",
            Status::Invalid => "invalid",
            Status::Ended => "ended (no refresh without a client secret)",
        }
    }

    pub fn is_usable(self) -> bool {
        matches!(self, Status::Active | Status::AccessExpired)
    }
}

impl OptIn {
    pub fn status(&self, now: DateTime<Utc>) -> Status {
        if self.invalid_reason.is_some() {
            Status::Invalid
        } else if self.expires_at > now {
            Status::Active
        } else if self.refresh_expires_at.is_some_and(|t| t > now) {
            Status::AccessExpired
        } else {
            Status::RefreshExpired
        }
    }

    /// Whether this opt-in gets refreshed: it keeps a client secret, or `public_refresh`
    /// says UPS refreshes this app without one (see [`crate::public_client`]).
    pub fn refreshable(&self, public_refresh: bool) -> bool {
        self.has_client_secret || public_refresh
    }

    /// The status people and scripts are shown: one that gets no refresh is `Ended`, not
    /// refreshable, once its access token has expired.
    pub fn status_shown(&self, now: DateTime<Utc>, public_refresh: bool) -> Status {
        match self.status(now) {
            Status::AccessExpired if !self.refreshable(public_refresh) => Status::Ended,
            status => status,
        }
    }

    /// Whether `other` holds the same generation of tokens as this row (same expiry, same
    /// refresh count): after a refresh, here or elsewhere, it no longer does.
    pub fn same_generation(&self, other: &OptIn) -> bool {
        self.expires_at == other.expires_at && self.refresh_count == other.refresh_count
    }

    /// True when the stored access token is good for at least `margin` more.
    pub fn access_valid_for(&self, now: DateTime<Utc>, margin: Duration) -> bool {
        self.invalid_reason.is_none() && self.expires_at - margin > now
    }

    /// Why this opt-in cannot give a token any more, as the error to return.
    pub fn unusable(&self, now: DateTime<Utc>) -> Error {
        let reason = match self.status(now) {
            Status::Invalid => self
                .invalid_reason
                .clone()
                .unwrap_or_else(|| "UPS refused it".into()),
            _ => match self.refresh_expires_at {
                Some(t) => format!("its refresh token expired at {}", t.to_rfc3339()),
                None => "its access token expired and UPS gave no refresh token".into(),
            },
        };
        Error::Reauthorize {
            id: self.id.clone(),
            reason,
        }
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
    use chrono::TimeZone;

    fn row(expires: i64, refresh_expires: Option<i64>, invalid: bool) -> OptIn {
        let t = |s| Utc.timestamp_opt(s, 0).unwrap();
        OptIn {
            expires_at: t(expires),
            refresh_expires_at: refresh_expires.map(t),
            invalid_reason: invalid.then(|| "refused".into()),
            ..OptIn::sample("a", t(0))
        }
    }

    #[test]
    fn status_follows_the_clock() {
        let now = Utc.timestamp_opt(1000, 0).unwrap();
        assert_eq!(row(2000, Some(9000), false).status(now), Status::Active);
        assert_eq!(
            row(500, Some(9000), false).status(now),
            Status::AccessExpired
        );
        assert_eq!(
            row(500, Some(900), false).status(now),
            Status::RefreshExpired
        );
        assert_eq!(row(500, None, false).status(now), Status::RefreshExpired);
        assert_eq!(row(2000, Some(9000), true).status(now), Status::Invalid);
        assert!(row(1100, None, false).access_valid_for(now, Duration::seconds(60)));
        assert!(!row(1030, None, false).access_valid_for(now, Duration::seconds(60)));
    }

    /// `api`'s forced refresh tells the refused generation from a newer one.
    #[test]
    fn a_refresh_makes_a_new_generation() {
        let stored = row(5000, Some(9000), false);
        assert!(stored.same_generation(&stored.clone()));
        let mut refreshed = stored.clone();
        refreshed.refresh_count = 1;
        assert!(!refreshed.same_generation(&stored));
        assert!(!row(6000, Some(9000), false).same_generation(&stored));
    }

    #[test]
    fn ids_are_distinct_hex() {
        let a = fresh_id(&Contents::default()).unwrap();
        assert_eq!(a.len(), 8);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, fresh_id(&Contents::default()).unwrap());
    }
}
