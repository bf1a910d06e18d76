//! The pair that holds an opt-in: secrets in the OS keyring, metadata in the index file.
//!
//! The two cannot change in one atomic step, so every change that could leave secrets with
//! no row to reach them is written down in the index's journal first (see index.rs):
//! `authorize` records its new id before storing secrets and turns the record into the row
//! at the end; `clear` turns the row into a record before deleting secrets and drops the
//! record at the end. Whoever runs such an operation holds its per-id lock throughout, so a
//! later command that finds a record whose lock is free knows its owner died, deletes the
//! secrets (idempotent) and says so. The index and the keyring therefore agree after any
//! crash, once the next `authorize`, `token` or `clear` has run.

pub mod cache;
pub mod file;
mod file_key;
pub mod index;
#[cfg(target_os = "linux")]
mod kernel_keyring;
pub mod keyring;
mod private_fs;
mod sealed;
mod timestamp;
pub mod vault_kv;

use crate::error::{Error, Result};
use chrono::{DateTime, Duration, Utc};
pub use index::{Action, Contents, Index, OptIn, Pending};
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

/// The lock held by whoever runs a journalled operation on `id`.
fn operation_lock(id: &str) -> String {
    format!("op-{id}")
}

/// The lock that serializes refreshes of one opt-in across processes.
pub fn lock_name(id: &str) -> String {
    format!("refresh-{id}")
}

/// Make sure the keyring takes a write before anyone signs in: a locked collection or a
/// wedged Secret Service must fail now, not after UPS has spent the one-time code.
pub fn check_writable(keyring: &Keyring) -> Result<()> {
    let probe = format!("probe{}", std::process::id());
    keyring.set(&probe, SecretKind::AccessToken, "probe")?;
    keyring.delete(&probe, SecretKind::AccessToken)
}

/// Store a new opt-in: journal its id, store the secrets, then turn the journal entry into
/// the row. If anything fails, what was written is removed again so nothing half-stored
/// remains; if the process dies instead, `repair` removes it later.
pub fn save_new(
    index: &Index,
    keyring: &Keyring,
    row: OptIn,
    secrets: &[(SecretKind, &str)],
) -> Result<()> {
    let id = row.id.clone();
    let owner = index.lock(&operation_lock(&id))?;
    let journalled = index.update_all(|c| {
        if c.knows(&id) {
            return Err(Error::Other(format!("opt-in id {id} exists already")));
        }
        c.pending.push(Pending {
            id: id.clone(),
            keyring: keyring.backend(),
            action: Action::Authorize,
            since: Utc::now(),
        });
        Ok(())
    });
    let result = journalled.and_then(|()| {
        crate::abort_point::reached("authorize-journalled");
        for (kind, value) in secrets {
            keyring.set(&id, *kind, value)?;
        }
        crate::abort_point::reached("authorize-secrets-stored");
        index.update_all(|c| {
            c.pending
                .retain(|p| !(p.id == id && p.action == Action::Authorize));
            c.rows.push(row);
            Ok(())
        })
    });
    // Undo now if we can; otherwise the journal entry stays for `repair`.
    if result.is_err() && keyring.delete_all(&id).is_ok() {
        let _ = forget(index, &id, Action::Authorize);
    }
    index.remove_lock(&operation_lock(&id));
    drop(owner);
    result
}

/// Remove an opt-in: check the keyring answers for it, turn the row into a journal entry,
/// delete its secrets, drop the entry. Idempotent.
pub fn remove(index: &Index, row: &OptIn) -> Result<()> {
    let keyring = Keyring::open(row.keyring)?;
    // A locked or wedged keyring fails here, before the index changes.
    keyring.get(&row.id, SecretKind::AccessToken)?;
    let _owner = index.lock(&operation_lock(&row.id))?;
    index.update_all(|c| {
        c.rows.retain(|r| r.id != row.id);
        if c.pending_for(&row.id, Action::Clear).is_none() {
            c.pending.push(Pending {
                id: row.id.clone(),
                keyring: row.keyring,
                action: Action::Clear,
                since: Utc::now(),
            });
        }
        Ok(())
    })?;
    crate::abort_point::reached("clear-journalled");
    keyring.delete_all(&row.id).map_err(|e| {
        Error::Keyring(format!(
            "opt-in {} is off the index, but its secrets are still in the {}: {e}. \
The next `idm-auth authorize`, `token` or `clear` deletes them",
            row.id,
            row.keyring.describe()
        ))
    })?;
    crate::abort_point::reached("clear-secrets-deleted");
    forget(index, &row.id, Action::Clear)?;
    index.remove_lock(&lock_name(&row.id));
    index.remove_lock(&operation_lock(&row.id));
    Ok(())
}

fn forget(index: &Index, id: &str, action: Action) -> Result<()> {
    index.update_all(|c| {
        c.pending.retain(|p| !(p.id == id && p.action == action));
        Ok(())
    })
}

/// Finish what interrupted `authorize` and `clear` runs left behind: delete the secrets of
/// every journal entry whose owner is gone. Returns one line per repair, for the admin. A
/// repair that cannot be done now (keyring unavailable) is left for the next command.
pub fn repair(index: &Index, contents: &Contents) -> Vec<String> {
    let mut notes = Vec::new();
    for entry in &contents.pending {
        let what = match entry.action {
            Action::Authorize => "an interrupted `idm-auth authorize`",
            Action::Clear => "an interrupted `idm-auth clear`",
            // Refreshes are settled by `token` under the refresh lock.
            Action::Refresh => continue,
        };
        match repair_one(index, entry) {
            Ok(true) => notes.push(format!(
                "removed the secrets that {what} left in the {} (opt-in {})",
                entry.keyring.describe(),
                entry.id
            )),
            Ok(false) => {}
            Err(e) => notes.push(format!(
                "{what} left secrets of opt-in {} in the {}, which could not be removed yet: {e}",
                entry.id,
                entry.keyring.describe()
            )),
        }
    }
    notes
}

/// Returns whether there was anything to do.
fn repair_one(index: &Index, entry: &Pending) -> Result<bool> {
    // A held lock means the operation is still running in another process.
    let Some(_owner) = index.try_lock(&operation_lock(&entry.id))? else {
        return Ok(false);
    };
    // The owner may have finished between our read and our lock.
    if index
        .load_all()?
        .pending_for(&entry.id, entry.action)
        .is_none()
    {
        return Ok(false);
    }
    Keyring::open(entry.keyring)?.delete_all(&entry.id)?;
    forget(index, &entry.id, entry.action)?;
    index.remove_lock(&operation_lock(&entry.id));
    Ok(true)
}

/// A short random id (32 bits, hex) that nothing in `taken` has. Short, because admins
/// type it; `save_new` still refuses a clash with an id written meanwhile by another process.
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
        let a = fresh_id(&Contents::default()).unwrap();
        assert_eq!(a.len(), 8);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, fresh_id(&Contents::default()).unwrap());
    }
}
