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
//! 4. A claim whose holder died is taken over once it has lapsed: after its lifetime as
//!    measured by the waiter's own clock since it first saw the claim (immune to clock
//!    skew), or at once when its wall-clock age is past its lifetime plus a generous
//!    margin. Only the holder of the current claim may mark the opt-in invalid, so a slow
//!    refresher never condemns a pair another machine has already replaced.
//!
//! If the holder died after UPS rotated, the stored refresh token is spent and the new one
//! is lost: the next refresher's UPS refusal is reported as exactly that (exit 8).
//!
//! Every record keeps one version only (old versions hold tokens) and demands check-and-set.
//! With Vault unreachable, a machine whose kernel-keyring cache still holds a valid access
//! token keeps serving it (the rows come from a local copy of the last listing, which holds
//! no secret, one copy per store); anything else is exit 9 at once.

use super::index::{Contents, Index, OptIn};
use super::secrets::Backend;
use super::vault_kv::{Kv, VaultSettings, Written};
use super::{
    cache, fresh_id, Credentials, NewSecrets, Refresh, SecretString, Store, Token, MIN_VALIDITY,
};
use crate::error::{Error, Result};
use crate::flow::Grant;
use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
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
/// Clocks of a fleet disagree: a claim older than its lifetime by this much on our wall
/// clock is taken over at once, a younger one only after a full lifetime of waiting.
const CLOCK_SKEW: chrono::Duration = chrono::Duration::seconds(120);

/// One opt-in as Vault holds it. No Debug: it holds secrets, which are wiped on drop.
#[derive(Clone, Serialize, Deserialize)]
struct Record {
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
    fn new(lifetime: Duration) -> Result<Claim> {
        let mut nonce = [0u8; 16];
        getrandom::getrandom(&mut nonce)
            .map_err(|e| Error::Other(format!("no randomness from the OS: {e}")))?;
        Ok(Claim {
            holder: format!("{} (process {})", host_name(), std::process::id()),
            nonce: nonce.iter().map(|b| format!("{b:02x}")).collect(),
            since: Utc::now(),
            lifetime_seconds: lifetime.as_secs(),
        })
    }

    fn lifetime(&self) -> Duration {
        Duration::from_secs(self.lifetime_seconds)
    }
}

/// A claim as one waiter has watched it.
struct Watched {
    nonce: String,
    first_seen: Instant,
}

pub struct VaultStore {
    kv: Kv,
    /// The last listing, rows only (no secret), for serving cached tokens through an outage.
    offline_rows: Index,
    /// Set when Vault could not be reached and the rows came from `offline_rows`.
    unreachable: OnceLock<String>,
}

impl VaultStore {
    /// The store behind `kv`; `data_dir` keeps this machine's copy of the last listing.
    pub fn new(kv: Kv, data_dir: &Path) -> VaultStore {
        VaultStore {
            offline_rows: Index::at(listing_dir(data_dir, kv.settings())),
            kv,
            unreachable: OnceLock::new(),
        }
    }

    fn key(id: &str) -> String {
        format!("{OPT_INS}/{id}")
    }

    fn read(&self, id: &str) -> Result<Option<(u64, Record)>> {
        let Some(found) = self.kv.read(&VaultStore::key(id))? else {
            return Ok(None);
        };
        let record = serde_json::from_value::<Record>(found.data).map_err(|_| self.damaged(id))?;
        if record.row.id != id {
            return Err(self.damaged(id));
        }
        Ok(Some((found.version, record)))
    }

    fn write(&self, record: &Record, cas: u64) -> Result<Written> {
        let data = serde_json::to_value(record)
            .map_err(|e| Error::Other(format!("cannot encode the record: {e}")))?;
        self.kv.write(&VaultStore::key(&record.row.id), &data, cas)
    }

    fn damaged(&self, id: &str) -> Error {
        Error::Keyring(format!(
            "the vault store at {} holds a record for opt-in {id} that is not an idm-auth opt-in; \
remove {}/{}/{} with the vault CLI, or repair it",
            self.kv.settings().addr,
            self.kv.settings().mount,
            self.kv.settings().prefix,
            VaultStore::key(id)
        ))
    }

    fn cleared(id: &str) -> Error {
        Error::NotFound(format!(
            "opt-in {id} was cleared (on this or another machine)"
        ))
    }

    /// Every opt-in in Vault, newest first.
    fn listed_rows(&self) -> Result<Vec<OptIn>> {
        let mut rows = Vec::new();
        for key in self.kv.list(OPT_INS)? {
            // A "folder" is not one of ours; a record cleared meanwhile is skipped.
            if key.ends_with('/') {
                continue;
            }
            if let Some((_, record)) = self.read(&key)? {
                rows.push(record.row.clone());
            }
        }
        rows.sort_by_key(|r| std::cmp::Reverse(r.created_at));
        Ok(rows)
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
    fn claim_lifetime() -> Duration {
        crate::flow::http_timeout() + CLAIM_SLACK
    }

    /// Whether a claim's holder must be taken as gone.
    fn lapsed(claim: &Claim, watched: &mut Option<Watched>, now: DateTime<Utc>) -> bool {
        let lifetime = chrono::Duration::from_std(claim.lifetime()).unwrap_or(CLOCK_SKEW);
        if claim.since + lifetime + CLOCK_SKEW < now {
            return true;
        }
        match watched {
            Some(w) if w.nonce == claim.nonce => w.first_seen.elapsed() >= claim.lifetime(),
            _ => {
                *watched = Some(Watched {
                    nonce: claim.nonce.clone(),
                    first_seen: Instant::now(),
                });
                false
            }
        }
    }

    /// Having won the claim (the record is at `version`), refresh at UPS and store the answer.
    fn refresh_claimed(
        &self,
        record: Record,
        version: u64,
        taken_over: Option<Claim>,
        refresh: Refresh<'_>,
    ) -> Result<Token> {
        let row = &record.row;
        let missing = || Error::Reauthorize {
            id: row.id.clone(),
            reason: "its refresh token is missing from the vault store".into(),
        };
        let credentials = Credentials {
            refresh_token: SecretString::from(record.refresh_token.clone().ok_or_else(missing)?),
            client_secret: match (&record.client_secret, row.has_client_secret) {
                (Some(s), _) => Some(SecretString::from(s.clone())),
                (None, true) => return Err(missing()),
                (None, false) => None,
            },
        };
        let started = Utc::now();
        let grant = match refresh(row, &credentials) {
            Ok(grant) => grant,
            Err(failure) if failure.answer_lost => {
                let reason = format!(
                    "the answer to its refresh at {} was lost: {}. UPS spends the old refresh token on every refresh it handles, so the one stored in Vault must be taken as spent, and the new one never arrived",
                    when(started),
                    failure.message
                );
                return self.invalidate(record, version, reason);
            }
            Err(failure) if failure.is_rejection() => {
                let reason = match &taken_over {
                    Some(claim) => format!(
                        "a refresh by {} at {} was cut short after it reached UPS, which spent the stored refresh token, and the new pair was lost (UPS now says: {})",
                        claim.holder,
                        when(claim.since),
                        failure.message
                    ),
                    None => format!("UPS refused to refresh it: {}", failure.message),
                };
                return self.invalidate(record, version, reason);
            }
            Err(failure) => {
                // UPS did not act on it: the stored refresh token still holds. Let go.
                let base_url = row.base_url.clone();
                let mut released = record;
                released.claim = None;
                let _ = self.write(&released, version);
                return Err(failure.into_error(&base_url));
            }
        };
        let rotated = rotated(record.clone(), &grant);
        let token = grant.access_token;
        match self.write(&rotated, version)? {
            Written::Stored(_) => {
                cache::put(&rotated.row, &token);
                Ok(Token {
                    row: rotated.row.clone(),
                    token,
                    note: taken_over.map(|claim| {
                        format!(
                            "a refresh of {} by {} at {} had been cut short; this one went through, so nothing was lost.",
                            row.id,
                            claim.holder,
                            when(claim.since)
                        )
                    }),
                })
            }
            // Our claim lapsed and another machine took over while UPS answered us: the
            // pair UPS gave us cannot be stored any more.
            Written::Lost => Err(Error::Reauthorize {
                id: row.id.clone(),
                reason: format!(
                    "UPS rotated its tokens at {}, but the refresh took longer than its claim in Vault ({} s) and another machine took over, so the new pair is lost",
                    when(grant.issued_at),
                    Self::claim_lifetime().as_secs()
                ),
            }),
        }
    }

    /// Mark the opt-in dead, but only while our claim is still the record's current version:
    /// a refresher whose refresh token is no longer the stored one condemns nothing.
    fn invalidate(&self, mut record: Record, version: u64, reason: String) -> Result<Token> {
        let id = record.row.id.clone();
        record.row.invalid_reason = Some(reason.clone());
        record.claim = None;
        match self.write(&record, version)? {
            Written::Stored(_) => Err(Error::Reauthorize { id, reason }),
            Written::Lost => {
                // Someone else wrote meanwhile: their result stands.
                let (_, current) = self.read(&id)?.ok_or_else(|| VaultStore::cleared(&id))?;
                let now = Utc::now();
                if current.row.access_valid_for(now, MIN_VALIDITY) {
                    return Ok(served(current));
                }
                Err(Error::Reauthorize { id, reason })
            }
        }
    }

    fn profile_key(profile: &str) -> String {
        let hex: String = profile.bytes().map(|b| format!("{b:02x}")).collect();
        format!("{PROFILES}/{hex}")
    }
}

/// Where this machine keeps its copy of one store's listing: a directory per Vault server,
/// namespace, mount and prefix, so that through an outage `token` never picks an opt-in (and
/// its cached access token) of another store this machine also uses.
fn listing_dir(data_dir: &Path, settings: &VaultSettings) -> PathBuf {
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
    data_dir.join("vault").join(name)
}

/// The stored access token, which the cache keeps for the next call.
fn served(mut record: Record) -> Token {
    let token = SecretString::from(std::mem::take(&mut record.access_token));
    cache::put(&record.row, &token);
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
        let rows = self.listed_rows()?;
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
        let probe = format!("{PROBES}/{}", Claim::new(Duration::ZERO)?.nonce);
        self.kv
            .write(&probe, &serde_json::json!({"probe": true}), 0)?;
        self.kv.destroy(&probe)?;
        Ok(Vec::new())
    }

    fn create(&self, mut row: OptIn, new: NewSecrets) -> Result<OptIn> {
        row.keyring = Backend::Vault;
        let mut record = Record {
            row,
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
        Ok(served(record).token)
    }

    fn rotate(&self, row: &OptIn, refresh: Refresh<'_>) -> Result<Token> {
        if let Some(why) = self.unreachable.get() {
            return Err(Error::Keyring(why.clone()));
        }
        let lifetime = Self::claim_lifetime();
        // Past a lapsed claim we take over, so the loop ends; this only bounds the unforeseen.
        let give_up = Instant::now() + lifetime * 3 + Duration::from_secs(30);
        let mut watched = None;
        loop {
            let (version, mut record) = self
                .read(&row.id)?
                .ok_or_else(|| VaultStore::cleared(&row.id))?;
            let now = Utc::now();
            if record.row.access_valid_for(now, MIN_VALIDITY) {
                return Ok(served(record));
            }
            if !record.row.status(now).is_usable() {
                return Err(record.row.unusable(now));
            }
            let taken_over = match &record.claim {
                Some(claim) if !VaultStore::lapsed(claim, &mut watched, now) => {
                    if Instant::now() > give_up {
                        return Err(Error::Keyring(format!(
                            "gave up waiting for the refresh of opt-in {} that {} holds in the vault store",
                            row.id, claim.holder
                        )));
                    }
                    std::thread::sleep(POLL);
                    continue;
                }
                lapsed => lapsed.clone(),
            };
            record.claim = Some(Claim::new(lifetime)?);
            match self.write(&record, version)? {
                Written::Stored(claimed) => {
                    return self.refresh_claimed(record, claimed, taken_over, refresh)
                }
                // Another machine claimed first: wait for its result.
                Written::Lost => continue,
            }
        }
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

fn when(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "a machine".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(since: DateTime<Utc>, nonce: &str) -> Claim {
        Claim {
            holder: "h".into(),
            nonce: nonce.into(),
            since,
            lifetime_seconds: 2,
        }
    }

    #[test]
    fn a_young_claim_lapses_after_its_lifetime_on_the_waiters_own_clock() {
        let now = Utc::now();
        // The holder's clock runs ahead: its claim looks as if it came from the future.
        let c = claim(now + chrono::Duration::seconds(600), "n1");
        let mut watched = None;
        assert!(!VaultStore::lapsed(&c, &mut watched, now));
        assert!(!VaultStore::lapsed(&c, &mut watched, now));
        std::thread::sleep(Duration::from_millis(2100));
        assert!(VaultStore::lapsed(&c, &mut watched, now));
        // A new claim starts a new watch.
        assert!(!VaultStore::lapsed(&claim(now, "n2"), &mut watched, now));
    }

    #[test]
    fn an_old_claim_lapses_at_once_but_only_past_the_skew_margin() {
        let now = Utc::now();
        let mut watched = None;
        let stale = claim(now - chrono::Duration::seconds(200), "n1");
        assert!(VaultStore::lapsed(&stale, &mut watched, now));
        let recent = claim(now - chrono::Duration::seconds(60), "n2");
        assert!(!VaultStore::lapsed(&recent, &mut watched, now));
    }
}
