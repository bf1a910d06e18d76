//! The pair that holds an opt-in: secrets in the OS keyring, metadata in the index file.
//! Secrets are written before the index row that makes them visible, and removed before the
//! row goes, so a crash leaves at worst a row whose secrets are missing (shown as invalid,
//! and `clear` removes it) rather than secrets that nothing points at.

pub mod cache;
pub mod index;
#[cfg(target_os = "linux")]
mod kernel_keyring;
pub mod keyring;
mod timestamp;

use crate::error::{Error, Result};
use chrono::{DateTime, Duration, Utc};
pub use index::{Index, OptIn};
pub use keyring::{Backend, Keyring, SecretKind};
use serde::Serialize;

/// How usable an opt-in is right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    /// The access token has lapsed but the refresh token still works.
    AccessExpired,
    RefreshExpired,
    Invalid,
}

impl Status {
    pub fn describe(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::AccessExpired => "access expired, refreshable",
            Status::RefreshExpired => "refresh expired",
            Status::Invalid => "invalid",
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

    /// True when the stored access token is good for at least `margin` more.
    pub fn access_valid_for(&self, now: DateTime<Utc>, margin: Duration) -> bool {
        self.invalid_reason.is_none() && self.expires_at - margin > now
    }
}

/// Store a new opt-in: secrets first, then the row. If anything fails, what was written is
/// removed again so nothing half-stored remains.
pub fn save_new(
    index: &Index,
    keyring: &Keyring,
    row: OptIn,
    secrets: &[(SecretKind, &str)],
) -> Result<()> {
    let id = row.id.clone();
    let result = (|| {
        for (kind, value) in secrets {
            keyring.set(&id, *kind, value)?;
        }
        index.update(|rows| {
            if rows.iter().any(|r| r.id == id) {
                return Err(Error::Other(format!("opt-in id {id} exists already")));
            }
            rows.push(row);
            Ok(())
        })
    })();
    if result.is_err() {
        let _ = keyring.delete_all(&id);
    }
    result
}

/// Remove an opt-in's secrets, then its row. Idempotent.
pub fn remove(index: &Index, row: &OptIn) -> Result<()> {
    Keyring::open(row.keyring)?.delete_all(&row.id)?;
    index.update(|rows| {
        rows.retain(|r| r.id != row.id);
        Ok(())
    })?;
    index.remove_lock(&lock_name(&row.id));
    Ok(())
}

/// The lock that serializes refreshes of one opt-in across processes.
pub fn lock_name(id: &str) -> String {
    format!("refresh-{id}")
}

/// A short random id (32 bits, hex) that none of `taken` has. Short, because admins type
/// it; `save_new` still refuses a clash with a row written meanwhile by another process.
pub fn fresh_id(taken: &[OptIn]) -> Result<String> {
    loop {
        let mut bytes = [0u8; 4];
        getrandom::getrandom(&mut bytes)
            .map_err(|e| Error::Other(format!("no randomness from the OS: {e}")))?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        if !taken.iter().any(|r| r.id == id) {
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
            id: "a".into(),
            label: String::new(),
            profile: None,
            environment: "cie".into(),
            base_url: String::new(),
            client_id: String::new(),
            redirect_uri: String::new(),
            created_at: t(0),
            refreshed_at: None,
            expires_at: t(expires),
            refresh_expires_at: refresh_expires.map(t),
            refresh_count: 0,
            invalid_reason: invalid.then(|| "refused".into()),
            keyring: Backend::SecretService,
            has_client_secret: false,
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

    #[test]
    fn ids_are_distinct_hex() {
        let a = fresh_id(&[]).unwrap();
        assert_eq!(a.len(), 8);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, fresh_id(&[]).unwrap());
    }
}
