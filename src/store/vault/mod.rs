//! The fleet store: every opt-in is one record in OpenBao / Vault KV version 2 (its row, its
//! tokens, and a refresh claim when one is in flight), so every machine with access sees
//! the same opt-ins, and `clear` on one clears them for all. Copying tokens between machines
//! cannot work, because UPS rotates the refresh token on every refresh; here Vault's
//! check-and-set decides which machine refreshes:
//!
//! 1. Read the record and its version. More than a minute left: use the access token.
//! 2. Otherwise write a claim (holder, nonce, lifetime) with `cas=version`. One writer wins;
//!    the others see the claim and wait for the record to move, then read the result.
//! 3. The winner calls UPS (whose HTTP time-out is well inside the claim's lifetime) and
//!    writes the rotated pair with `cas` = its claim's version, dropping the claim.
//! 4. A claim whose holder died is taken over once it has lapsed: when the record has not
//!    moved for the claim's lifetime as timed by the waiter's own monotonic clock since it
//!    first saw that claim (no wall clock of another machine is ever compared with ours).
//!    Only the holder of the current claim may mark the opt-in invalid, so a slow
//!    refresher never condemns a pair another machine has already replaced.
//!
//! The decisions are [`crate::refresh::transitions`]'s, shared with the local store; this
//! file only says how a Vault record is read, claimed and written ([`VaultRefresh`]).
//!
//! If the holder died after UPS rotated, the stored refresh token is spent and the new one
//! is lost: the next refresher's UPS refusal is reported as exactly that (exit 8).
//!
//! Every record keeps one version only (old versions hold tokens) and demands check-and-set.
//! With Vault unreachable, a machine whose kernel-keyring cache still holds a valid access
//! token keeps serving it (the rows come from a local copy of the last listing, which holds
//! no secret, one copy per store, checked as the index is); anything else is exit 9 at once.
//!
//! Whatever is in Vault is untrusted: anyone with write access to the prefix (or a newer
//! idm-auth) may leave a record this version cannot read, under any key. Such a record is
//! skipped with a note naming it, so it costs nobody else their opt-ins; only keys shaped
//! like opt-in ids are read at all.

pub mod kv;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::opt_in::{Backend, Draft, Grant, OptIn};
use crate::refresh::reasons::CutShort;
use crate::refresh::run::{self, Port, Wrote};
use crate::refresh::transitions::{ClaimSeen, Rules, Seen, MAX_CLAIM_LIFETIME_MS};
use crate::store::index::{is_valid_id, Contents, Index};
use crate::store::{
    cache, fresh_id, Credentials, NewSecrets, Refresh, SecretString, Store, Token, MIN_VALIDITY,
};
use crate::talk::Talk;
use chrono::{DateTime, Utc};
use kv::{Kv, VaultSettings, Written};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;
use zeroize::Zeroize;

const OPT_INS: &str = "optins";
const PROFILES: &str = "profiles";
const PROBES: &str = "probes";
/// Every old version holds tokens.
const KEEP_VERSIONS: u32 = 1;
/// How often a waiter looks whether the refresh it waits for is done.
const POLL: Duration = Duration::from_millis(250);
/// Beyond the UPS time-out, what a claim's holder may need to write the result.
const CLAIM_SLACK: Duration = Duration::from_secs(15);
/// How long a save Vault could not take (restarting, sealed) is tried again: inside the
/// claim's slack, so no waiter takes over meanwhile.
const SAVE_RETRY: Duration = Duration::from_secs(10);
/// One request to UPS's time-out unless the store is told (`with_ups_timeout`): the
/// default of `IDM_AUTH_HTTP_TIMEOUT`.
const DEFAULT_UPS_TIMEOUT: Duration = Duration::from_secs(30);

/// One opt-in as Vault holds it. No Debug: it holds secrets, which are wiped on drop.
#[derive(Clone, Serialize, Deserialize)]
struct Record {
    #[serde(with = "super::index::Row")]
    row: OptIn,
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    claim: Option<Claim>,
}

impl Drop for Record {
    fn drop(&mut self) {
        self.access_token.zeroize();
        self.refresh_token.zeroize();
        self.client_secret.zeroize();
    }
}

/// "I am refreshing this opt-in": written with check-and-set, so only one machine holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Claim {
    /// host and process, for messages.
    holder: String,
    nonce: String,
    since: DateTime<Utc>,
    lifetime_seconds: u64,
}

impl Claim {
    /// Ours, on `host`, from `since`, for `lifetime`.
    fn new(host: &str, since: DateTime<Utc>, lifetime: Duration) -> Result<Claim> {
        Ok(Claim {
            holder: format!("{host} (process {})", std::process::id()),
            nonce: nonce()?,
            since,
            lifetime_seconds: lifetime.as_secs(),
        })
    }

    fn seen(&self) -> ClaimSeen {
        ClaimSeen {
            nonce: self.nonce.clone(),
            lifetime_ms: self.lifetime_seconds.saturating_mul(1000),
            since: self.since.timestamp_millis(),
            holder_gone: false,
        }
    }
}

/// 128 random bits, in hex.
fn nonce() -> Result<String> {
    let mut nonce = [0u8; 16];
    getrandom::getrandom(&mut nonce)
        .map_err(|e| Error::Other(format!("no randomness from the OS: {e}")))?;
    Ok(nonce.iter().map(|b| format!("{b:02x}")).collect())
}

pub struct VaultStore {
    kv: Kv,
    /// The last listing, rows only (no secret), for serving cached tokens through an outage.
    offline_rows: Index,
    /// Set when Vault could not be reached and the rows came from `offline_rows`.
    unreachable: OnceLock<String>,
    /// Where a note on a record skipped goes.
    talk: Talk,
    /// What dates claims and judges expiries (the context's).
    clock: Clock,
    /// How long one request to UPS may take: a claim lasts that long and a little more.
    ups_timeout: Duration,
    /// This machine's name, for the claims (messages only).
    host: String,
}

impl VaultStore {
    /// The store behind `kv`; `index`'s directory keeps this machine's copy of the last
    /// listing, under the same checks as the index. It goes by this machine's clock and
    /// name and UPS's default time-out until told otherwise (`with_*`).
    pub fn new(kv: Kv, index: &Index, talk: Talk) -> VaultStore {
        VaultStore {
            offline_rows: index.nested(&listing_dir(kv.settings())),
            kv,
            unreachable: OnceLock::new(),
            talk,
            clock: crate::clock::system(),
            ups_timeout: DEFAULT_UPS_TIMEOUT,
            host: host_name(|_| None),
        }
    }

    /// Time as `clock` tells it (the context's).
    pub fn with_clock(self, clock: Clock) -> VaultStore {
        VaultStore { clock, ..self }
    }

    /// One request to UPS may take `timeout` (`IDM_AUTH_HTTP_TIMEOUT`): claims last longer.
    pub fn with_ups_timeout(self, timeout: Duration) -> VaultStore {
        VaultStore {
            ups_timeout: timeout,
            ..self
        }
    }

    /// This machine is called `host` in the claims it writes.
    pub fn with_host(self, host: String) -> VaultStore {
        VaultStore { host, ..self }
    }

    fn key(id: &str) -> String {
        format!("{OPT_INS}/{id}")
    }

    fn read(&self, id: &str) -> Result<Option<(u64, Record)>> {
        match self.read_checked(id)? {
            Ok(found) => Ok(found),
            Err(()) => Err(self.damaged(id)),
        }
    }

    /// The record of `id`; the inner Err when what is stored there is not an opt-in this
    /// version can read (or `id` is no opt-in id), so that a listing can skip it.
    #[allow(clippy::type_complexity)]
    fn read_checked(&self, id: &str) -> Result<std::result::Result<Option<(u64, Record)>, ()>> {
        if !is_valid_id(id) {
            return Ok(Err(()));
        }
        let Some(found) = self.kv.read(&VaultStore::key(id))? else {
            return Ok(Ok(None));
        };
        match serde_json::from_value::<Record>(found.data) {
            Ok(record) if record.row.id == id => Ok(Ok(Some((found.version, record)))),
            _ => Ok(Err(())),
        }
    }

    fn write(&self, record: &Record, cas: u64) -> Result<Written> {
        let data = serde_json::to_value(record)
            .map_err(|e| Error::Other(format!("cannot encode the record: {e}")))?;
        self.kv.write(&VaultStore::key(&record.row.id), &data, cas)
    }

    fn damaged(&self, id: &str) -> Error {
        Error::Keyring(self.not_an_opt_in(id))
    }

    /// What is wrong with the record under key `id`, naming it (escaped: it came from Vault).
    fn not_an_opt_in(&self, id: &str) -> String {
        let settings = self.kv.settings();
        let key = crate::render::one_line(id);
        format!(
            "the vault store at {} holds a record under {}/{}/{OPT_INS}/{key} that is not an idm-auth opt-in this version can read; \
remove it with the vault CLI, or repair it",
            settings.addr, settings.mount, settings.prefix,
        )
    }

    fn cleared(id: &str) -> Error {
        Error::NotFound(format!(
            "opt-in {id} was cleared (on this or another machine)"
        ))
    }

    /// Every opt-in in Vault, newest first, and a note for each record skipped because it is
    /// not one this version can read.
    fn listed_rows(&self) -> Result<(Vec<OptIn>, Vec<String>)> {
        let mut rows = Vec::new();
        let mut skipped = Vec::new();
        for key in self.kv.list(OPT_INS)? {
            // A "folder" is not one of ours; a record cleared meanwhile is skipped.
            if key.ends_with('/') {
                continue;
            }
            match self.read_checked(&key)? {
                Ok(Some((_, record))) => rows.push(record.row.clone()),
                Ok(None) => {}
                Err(()) => skipped.push(format!("skipped: {}", self.not_an_opt_in(&key))),
            }
        }
        rows.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        Ok((rows, skipped))
    }

    /// Keep the listing for an outage; a failure costs only that fallback.
    fn remember(&self, rows: &[OptIn]) {
        if self.offline_rows.load().ok().as_deref() == Some(rows) {
            return;
        }
        let _ = self.offline_rows.update_all(|c| {
            *c = Contents {
                rows: rows.to_vec(),
                pending: Vec::new(),
            };
            Ok(())
        });
    }

    /// The claim's lifetime: the UPS time-out plus the time to write the answer.
    fn claim_lifetime(&self) -> Duration {
        self.ups_timeout + CLAIM_SLACK
    }

    /// The numbers a Vault refresher works by, for claims of `lifetime`.
    fn rules(lifetime: Duration) -> Rules {
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Rules {
            claim_lifetime_ms: millis(lifetime),
            poll_ms: millis(POLL),
            // Past a lapsed claim we take over, so waiting ends; this bounds the unforeseen.
            // Longer than the longest lifetime a claim is given credit for, or a claim with
            // a huge one would make every waiter give up before it lapses, for ever.
            give_up_ms: millis(lifetime * 3 + Duration::from_secs(30))
                .max(MAX_CLAIM_LIFETIME_MS + millis(lifetime)),
            save_retry_ms: millis(SAVE_RETRY),
            min_validity_ms: MIN_VALIDITY.num_milliseconds(),
            flaw: None,
        }
    }

    fn profile_key(profile: &str) -> String {
        let hex: String = profile.bytes().map(|b| format!("{b:02x}")).collect();
        format!("{PROFILES}/{hex}")
    }
}

/// Where this machine keeps its copy of one store's listing, under the data directory: a
/// directory per Vault server, namespace, mount and prefix, so that through an outage `token`
/// never picks an opt-in (and its cached access token) of another store this machine also
/// uses.
fn listing_dir(settings: &VaultSettings) -> PathBuf {
    let namespace = settings.namespace.as_deref().unwrap_or_default();
    let store = [
        settings.addr.as_str(),
        namespace,
        &settings.mount,
        &settings.prefix,
    ]
    .join("\0");
    let digest = Sha256::digest(store.as_bytes());
    let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Path::new("vault").join(name)
}

/// The stored access token, which the cache keeps for the next call.
fn served(mut record: Record, now: DateTime<Utc>) -> Token {
    let token = SecretString::from(std::mem::take(&mut record.access_token));
    cache::put(&record.row, &token, now);
    Token {
        row: record.row.clone(),
        token,
        note: None,
    }
}

/// The record after UPS's answer: new pair, row moved on, claim gone.
fn rotated(mut record: Record, grant: &Grant) -> Record {
    if let Some(new_refresh) = &grant.refresh_token {
        record.refresh_token = Some(new_refresh.expose_secret().to_string());
    }
    record.access_token = grant.access_token.expose_secret().to_string();
    let row = &mut record.row;
    row.expires_at = grant.expires_at;
    if grant.refresh_expires_at.is_some() {
        row.refresh_expires_at = grant.refresh_expires_at;
    }
    row.refresh_count = grant.refresh_count.max(row.refresh_count + 1);
    row.refreshed_at = Some(grant.issued_at);
    record.claim = None;
    record
}

impl Store for VaultStore {
    fn rows(&self) -> Result<Vec<OptIn>> {
        let (rows, skipped) = self.listed_rows()?;
        // `list` and `check` take rows without notes; the skipped records are told here.
        for note in skipped {
            self.talk.say(format_args!("note: {note}"));
        }
        self.remember(&rows);
        Ok(rows)
    }

    /// Vault changes a record in one write, so nothing is ever half-done; with Vault
    /// unreachable, the last listing stands in so that cached tokens can still be served.
    fn repaired_rows(&self) -> Result<(Vec<OptIn>, Vec<String>)> {
        match self.rows() {
            Ok(rows) => Ok((rows, Vec::new())),
            Err(e) if self.kv.was_unreachable() => match self.offline_rows.load() {
                Ok(rows) if !rows.is_empty() => {
                    let _ = self.unreachable.set(e.to_string());
                    Ok((rows, Vec::new()))
                }
                _ => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// A write that Vault refuses (a read-only policy, a bad token) or cannot take (down,
    /// sealed) fails here, before anyone signs in.
    fn prepare_create(&self) -> Result<Vec<String>> {
        let probe = format!("{PROBES}/{}", nonce()?);
        self.kv
            .write(&probe, &serde_json::json!({"probe": true}), 0)?;
        self.kv.destroy(&probe)?;
        Ok(Vec::new())
    }

    fn create(&self, draft: Draft, new: NewSecrets) -> Result<OptIn> {
        let mut record = Record {
            // The id is chosen below.
            row: draft.stored_as(String::new(), Backend::Vault),
            access_token: new.access_token.expose_secret().to_string(),
            refresh_token: new.refresh_token.map(|s| s.expose_secret().to_string()),
            client_secret: new.client_secret.map(|s| s.expose_secret().to_string()),
            claim: None,
        };
        // Ids are short; check-and-set at version 0 refuses one that exists already.
        for _ in 0..16 {
            record.row.id = fresh_id(&Contents::default())?;
            let key = VaultStore::key(&record.row.id);
            self.kv.limit_history(&key, KEEP_VERSIONS)?;
            match self.write(&record, 0) {
                Ok(Written::Stored(_)) => return Ok(record.row.clone()),
                Ok(Written::Lost) => continue,
                Err(e) => {
                    let _ = self.kv.destroy(&key);
                    return Err(e);
                }
            }
        }
        Err(Error::Other("no free opt-in id after 16 tries".into()))
    }

    fn access_token(&self, row: &OptIn) -> Result<SecretString> {
        if let Some(token) = cache::get(row) {
            return Ok(token);
        }
        if let Some(why) = self.unreachable.get() {
            return Err(Error::Keyring(format!(
                "{why}; this machine holds no cached access token of opt-in {} that is still valid",
                row.id
            )));
        }
        let (_, record) = self
            .read(&row.id)?
            .ok_or_else(|| VaultStore::cleared(&row.id))?;
        Ok(served(record, (self.clock)()).token)
    }

    fn rotate(&self, row: &OptIn, refresh: Refresh<'_>, refused: Option<&OptIn>) -> Result<Token> {
        if let Some(why) = self.unreachable.get() {
            return Err(Error::Keyring(why.clone()));
        }
        let lifetime = self.claim_lifetime();
        let rules = VaultStore::rules(lifetime);
        let mut port = VaultRefresh {
            store: self,
            row: row.clone(),
            record: None,
            lifetime,
        };
        run::run(
            &mut port,
            rules,
            lifetime.as_secs(),
            refresh,
            refused,
            &*self.clock,
        )
    }

    fn remove(&self, row: &OptIn) -> Result<()> {
        cache::forget(&row.id);
        self.kv.destroy(&VaultStore::key(&row.id))?;
        cache::forget(&row.id);
        Ok(())
    }

    fn profile_secret(&self, profile: &str) -> Result<Option<SecretString>> {
        Ok(self
            .kv
            .read(&VaultStore::profile_key(profile))?
            .and_then(|found| {
                found
                    .data
                    .get("client_secret")
                    .and_then(|v| v.as_str())
                    .map(|s| SecretString::from(s.to_string()))
            }))
    }

    fn set_profile_secret(
        &self,
        profile: &str,
        secret: &SecretString,
    ) -> Result<(&'static str, Option<String>)> {
        let key = VaultStore::profile_key(profile);
        let data = serde_json::json!({"client_secret": secret.expose_secret()});
        for _ in 0..4 {
            let version = self.kv.read(&key)?.map_or(0, |found| found.version);
            if version == 0 {
                self.kv.limit_history(&key, KEEP_VERSIONS)?;
            }
            if let Written::Stored(_) = self.kv.write(&key, &data, version)? {
                return Ok((Backend::Vault.describe(), None));
            }
        }
        Err(Error::Keyring(
            "the client secret changed in Vault while it was being written; run it again".into(),
        ))
    }

    fn delete_profile_secret(&self, profile: &str) -> Result<()> {
        self.kv.destroy(&VaultStore::profile_key(profile))
    }
}

/// A refresh as the Vault store runs it: the claim lives in the record, every write
/// carries check-and-set on the version our claim (or read) produced.
struct VaultRefresh<'a> {
    store: &'a VaultStore,
    row: OptIn,
    /// The record as last read or written, and its version.
    record: Option<(u64, Record)>,
    lifetime: Duration,
}

impl VaultRefresh<'_> {
    /// The record last read, with `change` applied, written over `cas`.
    fn write(
        &mut self,
        cas: Option<u64>,
        change: impl FnOnce(&mut Record),
    ) -> Result<(Written, Record)> {
        let Some(cas) = cas else {
            return Err(Error::Other(
                "a write to Vault without check-and-set (a bug)".into(),
            ));
        };
        let Some((_, record)) = &self.record else {
            return Err(Error::Other("a write before any read (a bug)".into()));
        };
        let mut record = record.clone();
        change(&mut record);
        let written = self.store.write(&record, cas)?;
        Ok((written, record))
    }

    fn wrote(&mut self, outcome: Result<(Written, Record)>) -> Wrote {
        match outcome {
            Ok((Written::Stored(version), record)) => {
                self.record = Some((version, record));
                Wrote::Stored
            }
            Ok((Written::Lost, _)) => Wrote::Lost,
            Err(e) => Wrote::Failed(e),
        }
    }
}

impl Port for VaultRefresh<'_> {
    fn read(&mut self) -> Result<Option<Seen>> {
        let Some((version, record)) = self.store.read(&self.row.id)? else {
            return Ok(None);
        };
        let row = &record.row;
        let seen = Seen {
            version,
            expires_at: row.expires_at.timestamp_millis(),
            refresh_expires_at: row.refresh_expires_at.map(|t| t.timestamp_millis()),
            invalid: row.invalid_reason.is_some(),
            claim: record.claim.as_ref().map(Claim::seen),
        };
        self.row = row.clone();
        self.record = Some((version, record));
        Ok(Some(seen))
    }

    fn row(&self) -> &OptIn {
        &self.row
    }

    fn cut_short(&self) -> Option<CutShort> {
        let claim = self.record.as_ref()?.1.claim.as_ref()?;
        Some(CutShort {
            holder: Some(claim.holder.clone()),
            since: claim.since,
        })
    }

    fn claim(&mut self, cas: Option<u64>, _taken_over: bool) -> Result<Option<u64>> {
        let store = self.store;
        let claim = Claim::new(&store.host, (store.clock)(), self.lifetime)?;
        match self.write(cas, |r| r.claim = Some(claim))? {
            (Written::Stored(version), record) => {
                self.record = Some((version, record));
                Ok(Some(version))
            }
            (Written::Lost, _) => Ok(None),
        }
    }

    fn credentials(&self) -> Result<Credentials> {
        let missing = || Error::Reauthorize {
            id: self.row.id.clone(),
            reason: "its refresh token is missing from the vault store".into(),
        };
        let (_, record) = self.record.as_ref().ok_or_else(missing)?;
        Ok(Credentials {
            refresh_token: SecretString::from(record.refresh_token.clone().ok_or_else(missing)?),
            client_secret: match (&record.client_secret, self.row.has_client_secret) {
                (Some(s), _) => Some(SecretString::from(s.clone())),
                (None, true) => return Err(missing()),
                (None, false) => None,
            },
        })
    }

    fn serve(&mut self) -> Result<Token> {
        let (_, record) = self
            .record
            .take()
            .ok_or_else(|| VaultStore::cleared(&self.row.id))?;
        Ok(served(record, (self.store.clock)()))
    }

    fn save_rotated(&mut self, cas: Option<u64>, grant: &Grant) -> Result<(Wrote, Option<OptIn>)> {
        crate::abort_point::reached("refresh-rotated-at-ups");
        let outcome = self.write(cas, |r| {
            let fresh = rotated(r.clone(), grant);
            *r = fresh;
        });
        let wrote = self.wrote(outcome);
        let row = match (&wrote, &self.record) {
            (Wrote::Stored, Some((_, record))) => {
                cache::put(&record.row, &grant.access_token, (self.store.clock)());
                Some(record.row.clone())
            }
            _ => None,
        };
        Ok((wrote, row))
    }

    fn release(&mut self, cas: Option<u64>, _cut_short: bool) -> Wrote {
        // Vault keeps no record of a cut-short refresh besides a claim, which would stall
        // the others for its lifetime: the next refresher finds out from UPS.
        let outcome = self.write(cas, |r| r.claim = None);
        self.wrote(outcome)
    }

    fn condemn(&mut self, cas: Option<u64>, reason: &str) -> Wrote {
        let outcome = self.write(cas, |r| {
            r.row.invalid_reason = Some(reason.to_string());
            r.claim = None;
        });
        self.wrote(outcome)
    }
}

/// This machine's name: the kernel's, else what the environment (`var`) calls it.
pub fn host_name(var: impl Fn(&str) -> Option<String>) -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| var("COMPUTERNAME"))
        .or_else(|| var("HOSTNAME"))
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "a machine".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refresh::transitions::{Action, Clocks, Observed, Refresher};

    #[test]
    fn a_waiter_outlasts_the_longest_claim_it_gives_credit_to() {
        // A claim written with a huge lifetime lapses after the clamped one: before the
        // waiter gives up, so nobody starves.
        let rules = VaultStore::rules(Duration::from_secs(16));
        let (r, _) = Refresher::start(rules, 0);
        let claim = Claim {
            holder: "h".into(),
            nonce: "n".into(),
            since: DateTime::UNIX_EPOCH,
            lifetime_seconds: u64::MAX,
        };
        let seen = Seen {
            version: 7,
            expires_at: 0,
            refresh_expires_at: Some(i64::MAX),
            invalid: false,
            claim: Some(claim.seen()),
        };
        let at = |mono| Clocks { wall: 1, mono };
        let (r, a) = r.step(at(0), Observed::Read(seen.clone()));
        assert!(matches!(a, Action::Wait { .. }), "{a:?}");
        let (r, _) = r.step(at(1), Observed::Waited);
        // Well past three of our own lifetimes, still waiting.
        let (r, a) = r.step(at(100_000), Observed::Read(seen.clone()));
        assert!(matches!(a, Action::Wait { .. }), "{a:?}");
        let (r, _) = r.step(at(100_001), Observed::Waited);
        let (_, a) = r.step(at(MAX_CLAIM_LIFETIME_MS), Observed::Read(seen));
        assert!(matches!(a, Action::Claim { .. }), "{a:?}");
    }
}
