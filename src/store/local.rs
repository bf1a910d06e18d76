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

use super::secrets::file::FileSecrets;
use super::secrets::file_key::{self, KeySource};
use super::secrets::{self, delete_all, Backend, SecretKind, Secrets};
use super::{
    cache, fresh_id, Action, Contents, Credentials, Index, NewSecrets, OptIn, Pending, Refresh,
    Store, Token, MIN_VALIDITY,
};
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::opt_in::{Draft, Grant};
use crate::refresh::reasons::CutShort;
use crate::refresh::run::{self, Port, Wrote};
use crate::refresh::transitions::{ClaimSeen, Rules, Seen};
use chrono::Utc;
use secrecy::SecretString;
use std::fs::File;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub struct LocalStore {
    index: Index,
    backends: Backends,
    /// `--store file`: new opt-ins go to the file store instead of the OS keyring.
    file_store: bool,
    /// Where new secrets go, chosen once by `prepare_create`.
    fresh: OnceLock<(Backend, Arc<dyn Secrets>)>,
    /// The file store's key, as the store choice located it (None: not located).
    key: Option<KeySource>,
    /// What dates the journal's entries and judges expiries in a refresh (the context's).
    clock: Clock,
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
            key: None,
            clock: crate::clock::system(),
        }
    }

    /// Time as `clock` tells it (the context's), not this machine's.
    pub fn with_clock(self, clock: Clock) -> LocalStore {
        LocalStore { clock, ..self }
    }

    /// The file store's key is at `key` (else there is none to use).
    pub fn with_key(self, key: Option<KeySource>) -> LocalStore {
        LocalStore { key, ..self }
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
            key: None,
            clock: crate::clock::system(),
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
        // Without a located key, the message that says how to give one.
        let key = match &self.key {
            Some(key) => key.clone(),
            None => file_key::locate(|_| None, None)?,
        };
        Ok(Arc::new(FileSecrets::open(dir, &key)?))
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

    /// Store the rotated pair: refresh token first (the old one is spent), then the access
    /// token, then the row and the end of the refresh record in one index write. A failure
    /// to store the new refresh token is [`Wrote::Failed`] (nothing stored); any later one
    /// ends the refresh with its error (the new refresh token is stored, the journal's
    /// record stays, and the next run refreshes with it).
    fn store_rotated(
        &self,
        secrets: &dyn Secrets,
        row: &OptIn,
        grant: &Grant,
    ) -> Result<(Wrote, Option<OptIn>)> {
        if let Some(new_refresh) = &grant.refresh_token {
            if let Err(e) = self.put(secrets, &row.id, SecretKind::RefreshToken, new_refresh) {
                return Ok((Wrote::Failed(e), None));
            }
        }
        crate::abort_point::reached("refresh-new-refresh-token-stored");
        self.put(
            secrets,
            &row.id,
            SecretKind::AccessToken,
            &grant.access_token,
        )?;
        let fresh = self.index.update_all(|c| {
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
        })?;
        // Cached under the row the refresh wrote (we still hold the lock, so that row is
        // ours); a failure to cache only costs the next call a keyring read.
        if self.cached() {
            cache::put(&fresh, &grant.access_token, (self.clock)());
        }
        Ok((Wrote::Stored, Some(fresh)))
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
        let bytes = self.index.bytes_for_quick_read()?;
        super::index_scan::pick(&bytes, profile, id, accept)
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

    fn create(&self, draft: Draft, new: NewSecrets) -> Result<OptIn> {
        let (backend, secrets) = match self.fresh.get() {
            Some(chosen) => chosen.clone(),
            None => {
                self.prepare_create()?;
                self.fresh.get().cloned().ok_or_else(|| {
                    Error::Other("no secret store was chosen for the new opt-in".into())
                })?
            }
        };
        let row = draft.stored_as(fresh_id(&self.index.load_all()?)?, backend);
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
                since: (self.clock)(),
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
            .secrets(row.secrets_in)?
            .get(&row.id, SecretKind::AccessToken)?
            .ok_or_else(|| missing(row))?;
        if self.cached() {
            cache::put(row, &token, (self.clock)());
        }
        Ok(token)
    }

    fn rotate(&self, row: &OptIn, refresh: Refresh<'_>, refused: Option<&OptIn>) -> Result<Token> {
        let mut port = LocalRefresh {
            store: self,
            row: row.clone(),
            lock: None,
            interrupted: None,
            journalled: false,
        };
        let rules = Rules {
            // The lock serializes refreshers, so nobody waits on a claim here.
            claim_lifetime_ms: 0,
            poll_ms: 250,
            give_up_ms: 0,
            save_retry_ms: 0,
            min_validity_ms: MIN_VALIDITY.num_milliseconds(),
            flaw: None,
        };
        run::run(&mut port, rules, 0, refresh, refused, &*self.clock)
    }

    /// Check the keyring answers for the row, turn the row into a journal entry, delete its
    /// secrets, drop the entry.
    fn remove(&self, row: &OptIn) -> Result<()> {
        let secrets = self.secrets(row.secrets_in)?;
        // A locked or wedged keyring fails here, before the index changes.
        secrets.get(&row.id, SecretKind::AccessToken)?;
        let _owner = self.index.lock(&operation_lock(&row.id))?;
        self.index.update_all(|c| {
            c.rows.retain(|r| r.id != row.id);
            if c.pending_for(&row.id, Action::Clear).is_none() {
                c.pending.push(Pending {
                    id: row.id.clone(),
                    keyring: row.secrets_in,
                    action: Action::Clear,
                    since: (self.clock)(),
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
                row.secrets_in.describe()
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

    fn delete_profile_secret(&self, profile: &str) -> Result<()> {
        let (_, secrets, _) = self.choose_fresh()?;
        secrets.delete(&profile_secret_id(profile), SecretKind::ClientSecret)
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
            row.secrets_in.describe(),
            row.id
        ),
    }
}

/// A refresh as the local store runs it: its claim is the refresh lock (taken at the first
/// read, held to the end) plus the journal's refresh record. A record found under the lock
/// is one whose writer died, so its claim is judged gone at once.
struct LocalRefresh<'a> {
    store: &'a LocalStore,
    row: OptIn,
    lock: Option<File>,
    /// The refresh record found under the lock: a refresh cut short.
    interrupted: Option<chrono::DateTime<Utc>>,
    journalled: bool,
}

impl LocalRefresh<'_> {
    fn secrets(&self) -> Result<Arc<dyn Secrets>> {
        self.store.secrets(self.row.secrets_in)
    }

    /// Write the index: the refresh record ends unless `keep_record`, after `change`.
    fn settle_with(&self, keep_record: bool, change: impl FnOnce(&mut OptIn)) -> Wrote {
        let id = &self.row.id;
        let written = self.store.index.update_all(|c| {
            if !keep_record {
                settle(c, id);
            }
            if let Some(stored) = c.rows.iter_mut().find(|r| r.id == *id) {
                change(stored);
            }
            Ok(())
        });
        match written {
            Ok(()) => Wrote::Stored,
            Err(e) => Wrote::Failed(e),
        }
    }
}

impl Port for LocalRefresh<'_> {
    fn read(&mut self) -> Result<Option<Seen>> {
        if self.lock.is_none() {
            self.lock = Some(self.store.index.lock(&refresh_lock(&self.row.id))?);
        }
        // Another process may have refreshed while we waited for the lock.
        let contents = self.store.index.load_all()?;
        let Some(row) = contents.rows.iter().find(|r| r.id == self.row.id) else {
            return Ok(None);
        };
        self.row = row.clone();
        self.interrupted = contents
            .pending_for(&row.id, Action::Refresh)
            .map(|p| p.since);
        Ok(Some(Seen {
            version: 0,
            expires_at: row.expires_at.timestamp_millis(),
            refresh_expires_at: row.refresh_expires_at.map(|t| t.timestamp_millis()),
            invalid: row.invalid_reason.is_some(),
            claim: self.interrupted.map(|since| ClaimSeen {
                nonce: since.to_rfc3339(),
                lifetime_ms: 0,
                since: since.timestamp_millis(),
                holder_gone: true,
            }),
        }))
    }

    fn row(&self) -> &OptIn {
        &self.row
    }

    fn cut_short(&self) -> Option<CutShort> {
        self.interrupted.map(|since| CutShort {
            holder: None,
            since,
        })
    }

    /// The journal's refresh record, written before UPS sees the refresh token (a record
    /// left by a dead refresher stays: it explains a refusal).
    fn claim(&mut self, _cas: Option<u64>, _taken_over: bool) -> Result<Option<u64>> {
        // A store that cannot give the secrets (another key, a locked keyring) fails here,
        // before the journal changes.
        drop(self.credentials()?);
        if self.interrupted.is_none() && !self.journalled {
            self.store.index.update_all(|c| {
                c.pending.push(Pending {
                    id: self.row.id.clone(),
                    keyring: self.row.secrets_in,
                    action: Action::Refresh,
                    since: (self.store.clock)(),
                });
                Ok(())
            })?;
            self.journalled = true;
        }
        crate::abort_point::reached("refresh-journalled");
        Ok(Some(0))
    }

    fn credentials(&self) -> Result<Credentials> {
        self.store.credentials(&*self.secrets()?, &self.row)
    }

    fn serve(&mut self) -> Result<Token> {
        Ok(Token {
            token: self.store.access_token(&self.row)?,
            row: self.row.clone(),
            note: None,
        })
    }

    fn save_rotated(&mut self, _cas: Option<u64>, grant: &Grant) -> Result<(Wrote, Option<OptIn>)> {
        crate::abort_point::reached("refresh-rotated-at-ups");
        self.store
            .store_rotated(&*self.secrets()?, &self.row, grant)
    }

    fn release(&mut self, _cas: Option<u64>, cut_short: bool) -> Wrote {
        self.settle_with(cut_short, |_| {})
    }

    fn condemn(&mut self, _cas: Option<u64>, reason: &str) -> Wrote {
        self.settle_with(false, |stored| {
            stored.invalid_reason = Some(reason.to_string())
        })
    }
}
