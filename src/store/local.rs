//! The store of this machine: rows in the index file, secrets in an OS keyring (the backend
//! each row names), the kernel-keyring cache of access tokens in front of them.
//!
//! Rows and secrets cannot change in one atomic step, so every change that could leave
//! secrets with no row to reach them is written down in the index's journal first (see
//! index.rs): `create` records its new id before storing secrets and turns the record into
//! the row at the end; `remove` turns the row into a record before deleting secrets and drops
//! the record at the end; `rotate` records the refresh before UPS sees the refresh token and
//! drops the record in the write that stores the answer. Whoever runs such an operation holds
//! its per-id lock throughout, so a later command that finds a record whose lock is free
//! knows its owner died, deletes the secrets (idempotent) and says so; a refresh record is
//! settled by the next `rotate`, which can then say exactly why UPS refuses the stored token.

use super::file::FileSecrets;
use super::secrets::{self, delete_all, Backend, SecretKind, Secrets};
use super::{
    cache, fresh_id, Action, Contents, Credentials, Index, NewSecrets, OptIn, Pending, Refresh,
    Store, Token, MIN_VALIDITY,
};
use crate::error::{Error, Result};
use crate::flow::Grant;
use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::SecretString;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub struct LocalStore {
    index: Index,
    backends: Backends,
    /// `--store file`: new opt-ins go to the file store instead of the OS keyring.
    file_store: bool,
    /// Where new secrets go, chosen once by `prepare_create`.
    fresh: OnceLock<(Backend, Arc<dyn Secrets>)>,
}

/// Where the secrets of a row are reached.
enum Backends {
    /// The OS keyrings, each call bounded by this deadline; the kernel-keyring cache in front.
    Os(Duration),
    /// One given store for every row, no cache (tests, in memory).
    Given(Backend, Arc<dyn Secrets>),
}

impl LocalStore {
    /// The index in `index`, secrets in the OS keyrings (calls bounded by `keyring_timeout`).
    /// Connects to nothing until a secret is needed.
    pub fn new(index: Index, keyring_timeout: Duration) -> LocalStore {
        LocalStore {
            index,
            backends: Backends::Os(keyring_timeout),
            file_store: false,
            fresh: OnceLock::new(),
        }
    }

    /// Like `new`, but new opt-ins (and profile secrets) go to the file store in the data dir.
    pub fn with_file_store(index: Index, keyring_timeout: Duration) -> LocalStore {
        LocalStore {
            file_store: true,
            ..LocalStore::new(index, keyring_timeout)
        }
    }

    /// Every secret in `secrets`, recorded as `backend` in the rows; no cache.
    pub fn with_secrets(index: Index, backend: Backend, secrets: Arc<dyn Secrets>) -> LocalStore {
        LocalStore {
            index,
            backends: Backends::Given(backend, secrets),
            file_store: false,
            fresh: OnceLock::new(),
        }
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    fn secrets(&self, backend: Backend) -> Result<Arc<dyn Secrets>> {
        match &self.backends {
            Backends::Os(_) if backend == Backend::File => self.file_secrets(),
            Backends::Os(timeout) => secrets::open(backend, *timeout),
            Backends::Given(_, s) => Ok(s.clone()),
        }
    }

    /// The file store lives beside the index, in the same private data dir.
    fn file_secrets(&self) -> Result<Arc<dyn Secrets>> {
        let path = self.index.path();
        let dir = path.parent().unwrap_or(&path);
        Ok(Arc::new(FileSecrets::open(dir)?))
    }

    fn cached(&self) -> bool {
        matches!(self.backends, Backends::Os(_))
    }

    /// The store new secrets go to, and the note that says why when it is a fallback.
    fn choose_fresh(&self) -> Result<(Backend, Arc<dyn Secrets>, Option<String>)> {
        match &self.backends {
            Backends::Os(_) if self.file_store => Ok((Backend::File, self.file_secrets()?, None)),
            Backends::Os(timeout) => secrets::open_default(*timeout),
            Backends::Given(b, s) => Ok((*b, s.clone(), None)),
        }
    }

    /// Store a secret; a new access token first drops the cached copy, so no moment exists
    /// where the cache outlives the stored one.
    fn put(
        &self,
        secrets: &dyn Secrets,
        id: &str,
        kind: SecretKind,
        value: &SecretString,
    ) -> Result<()> {
        if kind == SecretKind::AccessToken {
            cache::forget(id);
        }
        secrets.set(id, kind, value)
    }

    fn wipe(&self, secrets: &dyn Secrets, id: &str) -> Result<()> {
        cache::forget(id);
        delete_all(secrets, id)
    }

    fn forget(&self, id: &str, action: Action) -> Result<()> {
        self.index.update_all(|c| {
            c.pending.retain(|p| !(p.id == id && p.action == action));
            Ok(())
        })
    }

    /// Finish one interrupted `create` or `remove`; returns whether there was anything to do.
    fn repair_one(&self, entry: &Pending) -> Result<bool> {
        // A held lock means the operation is still running in another process.
        let Some(_owner) = self.index.try_lock(&operation_lock(&entry.id))? else {
            return Ok(false);
        };
        // The owner may have finished between our read and our lock.
        if self
            .index
            .load_all()?
            .pending_for(&entry.id, entry.action)
            .is_none()
        {
            return Ok(false);
        }
        self.wipe(&*self.secrets(entry.keyring)?, &entry.id)?;
        self.forget(&entry.id, entry.action)?;
        self.index.remove_lock(&operation_lock(&entry.id));
        Ok(true)
    }

    /// The notes of every repair done (or that could not be done yet) for `contents`.
    fn repair(&self, contents: &Contents) -> Vec<String> {
        let mut notes = Vec::new();
        for entry in &contents.pending {
            let what = match entry.action {
                Action::Authorize => "an interrupted `idm-auth authorize`",
                Action::Clear => "an interrupted `idm-auth clear`",
                // Refreshes are settled by `rotate` under the refresh lock.
                Action::Refresh => continue,
            };
            match self.repair_one(entry) {
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

    fn journal_refresh(&self, row: &OptIn, started: DateTime<Utc>) -> Result<()> {
        self.index.update_all(|c| {
            c.pending.push(Pending {
                id: row.id.clone(),
                keyring: row.keyring,
                action: Action::Refresh,
                since: started,
            });
            Ok(())
        })
    }

    /// Store the rotated pair: refresh token first (the old one is spent), then the access
    /// token, then the row and the end of the refresh record in one index write. Returns the
    /// row as written.
    fn store_rotated(&self, secrets: &dyn Secrets, row: &OptIn, grant: &Grant) -> Result<OptIn> {
        if let Some(new_refresh) = &grant.refresh_token {
            if let Err(e) = self.put(secrets, &row.id, SecretKind::RefreshToken, new_refresh) {
                let reason = format!(
                    "UPS rotated its tokens at {} but the {} failed to store the new refresh token, which is lost",
                    when(grant.issued_at),
                    row.keyring.describe()
                );
                let _ = self.invalidate(row, reason);
                return Err(Error::Keyring(format!(
                    "{e}; UPS had already rotated the tokens, so opt-in {} must be authorized again",
                    row.id
                )));
            }
        }
        crate::abort_point::reached("refresh-new-refresh-token-stored");
        self.put(
            secrets,
            &row.id,
            SecretKind::AccessToken,
            &grant.access_token,
        )?;
        self.index.update_all(|c| {
            settle(c, &row.id);
            let stored = c.rows.iter_mut().find(|r| r.id == row.id).ok_or_else(|| {
                Error::NotFound(format!("opt-in {} was cleared during the refresh", row.id))
            })?;
            stored.expires_at = grant.expires_at;
            if grant.refresh_expires_at.is_some() {
                stored.refresh_expires_at = grant.refresh_expires_at;
            }
            stored.refresh_count = grant.refresh_count.max(stored.refresh_count + 1);
            stored.refreshed_at = Some(grant.issued_at);
            Ok(stored.clone())
        })
    }

    /// Mark the opt-in dead with `reason` (shown by `list`) and end its refresh record; the
    /// error to return. If the index cannot be written, the admin still gets the reason.
    fn invalidate(&self, row: &OptIn, reason: String) -> Error {
        let marked = self.index.update_all(|c| {
            settle(c, &row.id);
            if let Some(stored) = c.rows.iter_mut().find(|r| r.id == row.id) {
                stored.invalid_reason = Some(reason.clone());
            }
            Ok(())
        });
        let reason = match marked {
            Ok(()) => reason,
            Err(e) => format!("{reason} (this could not be recorded in the index: {e})"),
        };
        Error::Reauthorize {
            id: row.id.clone(),
            reason,
        }
    }

    fn credentials(&self, secrets: &dyn Secrets, row: &OptIn) -> Result<Credentials> {
        let read = |kind| secrets.get(&row.id, kind)?.ok_or_else(|| missing(row));
        Ok(Credentials {
            refresh_token: read(SecretKind::RefreshToken)?,
            client_secret: if row.has_client_secret {
                Some(read(SecretKind::ClientSecret)?)
            } else {
                None
            },
        })
    }
}

impl Store for LocalStore {
    fn rows(&self) -> Result<Vec<OptIn>> {
        self.index.load()
    }

    fn quick_pick(
        &self,
        profile: Option<&str>,
        id: Option<&str>,
        accept: &dyn Fn(&OptIn) -> bool,
    ) -> Option<OptIn> {
        self.index.quick_pick(profile, id, accept)
    }

    fn repaired_rows(&self) -> Result<(Vec<OptIn>, Vec<String>)> {
        let contents = self.index.load_all()?;
        let notes = if contents.pending.is_empty() {
            Vec::new()
        } else {
            self.repair(&contents)
        };
        Ok((contents.rows, notes))
    }

    fn prepare_create(&self) -> Result<Vec<String>> {
        let (_, mut notes) = self.repaired_rows()?;
        let (backend, secrets, note) = self.choose_fresh()?;
        notes.extend(note);
        secrets::check_writable(&*secrets)?;
        let _ = self.fresh.set((backend, secrets));
        Ok(notes)
    }

    fn create(&self, mut row: OptIn, new: NewSecrets) -> Result<OptIn> {
        let (backend, secrets) = match self.fresh.get() {
            Some(chosen) => chosen.clone(),
            None => {
                self.prepare_create()?;
                self.fresh.get().cloned().ok_or_else(|| {
                    Error::Other("no secret store was chosen for the new opt-in".into())
                })?
            }
        };
        row.id = fresh_id(&self.index.load_all()?)?;
        row.keyring = backend;
        let id = row.id.clone();
        let owner = self.index.lock(&operation_lock(&id))?;
        let journalled = self.index.update_all(|c| {
            if c.knows(&id) {
                return Err(Error::Other(format!("opt-in id {id} exists already")));
            }
            c.pending.push(Pending {
                id: id.clone(),
                keyring: backend,
                action: Action::Authorize,
                since: Utc::now(),
            });
            Ok(())
        });
        let stored = journalled.and_then(|()| {
            crate::abort_point::reached("authorize-journalled");
            let values = [
                (SecretKind::AccessToken, Some(&new.access_token)),
                (SecretKind::RefreshToken, new.refresh_token.as_ref()),
                (SecretKind::ClientSecret, new.client_secret.as_ref()),
            ];
            for (kind, value) in values {
                if let Some(value) = value {
                    self.put(&*secrets, &id, kind, value)?;
                }
            }
            crate::abort_point::reached("authorize-secrets-stored");
            self.index.update_all(|c| {
                c.pending
                    .retain(|p| !(p.id == id && p.action == Action::Authorize));
                c.rows.push(row.clone());
                Ok(())
            })
        });
        // Undo now if we can; otherwise the journal entry stays for the next repair.
        if stored.is_err() && self.wipe(&*secrets, &id).is_ok() {
            let _ = self.forget(&id, Action::Authorize);
        }
        self.index.remove_lock(&operation_lock(&id));
        drop(owner);
        stored.map(|()| row)
    }

    /// The kernel-keyring cache when it holds this row's generation, else the row's store
    /// (and the cache is filled for the next call).
    fn access_token(&self, row: &OptIn) -> Result<SecretString> {
        if self.cached() {
            if let Some(token) = cache::get(row) {
                return Ok(token);
            }
        }
        let token = self
            .secrets(row.keyring)?
            .get(&row.id, SecretKind::AccessToken)?
            .ok_or_else(|| missing(row))?;
        if self.cached() {
            cache::put(row, &token);
        }
        Ok(token)
    }

    fn rotate(&self, row: &OptIn, refresh: Refresh<'_>) -> Result<Token> {
        let _guard = self.index.lock(&refresh_lock(&row.id))?;
        // Another process may have refreshed while we waited for the lock.
        let contents = self.index.load_all()?;
        let row = contents
            .rows
            .iter()
            .find(|r| r.id == row.id)
            .cloned()
            .ok_or_else(|| {
                Error::NotFound(format!("no opt-in with id `{}` on this machine", row.id))
            })?;
        let now = Utc::now();
        if row.access_valid_for(now, MIN_VALIDITY) {
            let token = self.access_token(&row)?;
            return Ok(Token {
                row,
                token,
                note: None,
            });
        }
        if !row.status(now).is_usable() {
            return Err(row.unusable(now));
        }
        // Whoever wrote a refresh record held this lock; holding it now, we know they died.
        let interrupted = contents
            .pending_for(&row.id, Action::Refresh)
            .map(|p| p.since);
        let secrets = self.secrets(row.keyring)?;
        let credentials = self.credentials(&*secrets, &row)?;
        let started = Utc::now();
        if interrupted.is_none() {
            self.journal_refresh(&row, started)?;
        }
        crate::abort_point::reached("refresh-journalled");
        let grant = match refresh(&row, &credentials) {
            Ok(grant) => grant,
            Err(failure) if failure.answer_lost => {
                let reason = format!(
                    "the answer to its refresh at {} was lost: {}. UPS spends the old refresh token on every refresh it handles, so the one stored here must be taken as spent, and the new one never arrived",
                    when(started),
                    failure.message
                );
                return Err(self.invalidate(&row, reason));
            }
            Err(failure) if failure.is_rejection() => {
                let reason = match interrupted {
                    Some(t) => format!(
                        "a refresh at {} was cut short after it reached UPS, which spent the stored refresh token (UPS now says: {})",
                        when(t),
                        failure.message
                    ),
                    None => format!("UPS refused to refresh it: {}", failure.message),
                };
                return Err(self.invalidate(&row, reason));
            }
            Err(failure) => {
                // UPS did not act on it (not reached, rate-limited, failing): the stored
                // refresh token still holds, unless an earlier cut-short refresh is still
                // unexplained.
                if interrupted.is_none() {
                    let _ = self.index.update_all(|c| {
                        settle(c, &row.id);
                        Ok(())
                    });
                }
                return Err(failure.into_error(&row.base_url));
            }
        };
        crate::abort_point::reached("refresh-rotated-at-ups");
        let fresh = self.store_rotated(&*secrets, &row, &grant)?;
        let token = grant.access_token;
        // Cached under the row the refresh wrote (we still hold the lock, so that row is
        // ours); a failure to cache only costs the next call a keyring read.
        if self.cached() {
            cache::put(&fresh, &token);
        }
        Ok(Token {
            row: fresh,
            token,
            note: interrupted.map(|t| {
                format!(
                    "a refresh of {} at {} had been cut short; this one went through, so nothing was lost.",
                    row.id,
                    when(t)
                )
            }),
        })
    }

    /// Check the keyring answers for the row, turn the row into a journal entry, delete its
    /// secrets, drop the entry.
    fn remove(&self, row: &OptIn) -> Result<()> {
        let secrets = self.secrets(row.keyring)?;
        // A locked or wedged keyring fails here, before the index changes.
        secrets.get(&row.id, SecretKind::AccessToken)?;
        let _owner = self.index.lock(&operation_lock(&row.id))?;
        self.index.update_all(|c| {
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
        self.wipe(&*secrets, &row.id).map_err(|e| {
            Error::Keyring(format!(
                "opt-in {} is off the index, but its secrets are still in the {}: {e}. \
The next `idm-auth authorize`, `token` or `clear` deletes them",
                row.id,
                row.keyring.describe()
            ))
        })?;
        crate::abort_point::reached("clear-secrets-deleted");
        self.forget(&row.id, Action::Clear)?;
        self.index.remove_lock(&refresh_lock(&row.id));
        self.index.remove_lock(&operation_lock(&row.id));
        Ok(())
    }

    fn profile_secret(&self, profile: &str) -> Result<Option<SecretString>> {
        let (_, secrets, _) = self.choose_fresh()?;
        secrets.get(&profile_secret_id(profile), SecretKind::ClientSecret)
    }

    fn set_profile_secret(
        &self,
        profile: &str,
        secret: &SecretString,
    ) -> Result<(&'static str, Option<String>)> {
        let (backend, secrets, note) = self.choose_fresh()?;
        secrets.set(
            &profile_secret_id(profile),
            SecretKind::ClientSecret,
            secret,
        )?;
        Ok((backend.describe(), note))
    }
}

/// End the refresh record of `id`.
fn settle(c: &mut Contents, id: &str) {
    c.pending
        .retain(|p| !(p.id == id && p.action == Action::Refresh));
}

/// The lock held by whoever runs a journalled `create` or `remove` on `id`.
fn operation_lock(id: &str) -> String {
    format!("op-{id}")
}

/// The lock that serializes refreshes of one opt-in across processes.
fn refresh_lock(id: &str) -> String {
    format!("refresh-{id}")
}

/// The keyring user under which a config profile's client secret is kept.
fn profile_secret_id(profile: &str) -> String {
    format!("profile:{profile}")
}

fn missing(row: &OptIn) -> Error {
    Error::Reauthorize {
        id: row.id.clone(),
        reason: format!(
            "its tokens are missing from the {}; `idm-auth clear {}` removes the row",
            row.keyring.describe(),
            row.id
        ),
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
