//! What the simulated UPS did, token by token, for soak runs to judge a fleet afterwards
//! (`GET /_simulator/history`): every access token issued (when, until when, and when a
//! refresh of its opt-in replaced it) and every refresh answered (rotated, or refused and
//! why, with the opt-in when the refresh token was one UPS had spent). Tokens appear only as
//! fingerprints (the first 16 hex digits of their SHA-256), never by value.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Past this many records the history stops growing (and says so): a simulator left
/// running must not eat memory.
const MAX_RECORDS: usize = 500_000;

/// A token's fingerprint, as `sha256sum` prints its first 16 digits.
pub(crate) fn fingerprint(token: &str) -> String {
    Sha256::digest(token.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Issued {
    pub fingerprint: String,
    pub family: u64,
    pub issued_ms: u64,
    pub expires_ms: u64,
    /// When the next access token of the same opt-in was issued.
    pub replaced_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Refreshed {
    pub at_ms: u64,
    /// None when the refresh token was never one of this simulator's.
    pub family: Option<u64>,
    /// `rotated`, or UPS's refusal message.
    pub outcome: String,
    /// For a rotation: until when the access token it replaced was valid.
    pub replaced_expires_ms: Option<u64>,
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct History {
    pub issued: Vec<Issued>,
    pub refreshes: Vec<Refreshed>,
    pub truncated: bool,
    /// The latest entry of `issued` of each opt-in.
    #[serde(skip)]
    latest: HashMap<u64, usize>,
    /// Refresh tokens UPS has spent (by fingerprint), and their opt-in.
    #[serde(skip)]
    spent: HashMap<String, u64>,
}

impl History {
    fn full(&mut self) -> bool {
        self.truncated = self.issued.len() + self.refreshes.len() >= MAX_RECORDS;
        self.truncated
    }

    /// A new access token of opt-in `family`, which replaces the one before it.
    pub(crate) fn issued(&mut self, family: u64, access_token: &str, now: u64, expires_ms: u64) {
        if self.full() {
            return;
        }
        if let Some(&i) = self.latest.get(&family) {
            self.issued[i].replaced_ms = Some(now);
        }
        self.latest.insert(family, self.issued.len());
        self.issued.push(Issued {
            fingerprint: fingerprint(access_token),
            family,
            issued_ms: now,
            expires_ms,
            replaced_ms: None,
        });
    }

    /// A refresh that spent `old` (call before the new pair is issued).
    pub(crate) fn rotated(&mut self, family: u64, old: &str, now: u64) {
        if self.full() {
            return;
        }
        self.spent.insert(fingerprint(old), family);
        let replaced_expires_ms = self.latest.get(&family).map(|&i| self.issued[i].expires_ms);
        self.refreshes.push(Refreshed {
            at_ms: now,
            family: Some(family),
            outcome: "rotated".into(),
            replaced_expires_ms,
        });
    }

    /// A refresh UPS refused, with its message.
    pub(crate) fn refused(&mut self, family: Option<u64>, old: &str, now: u64, why: &str) {
        if self.full() {
            return;
        }
        let family = family.or_else(|| self.spent.get(&fingerprint(old)).copied());
        self.refreshes.push(Refreshed {
            at_ms: now,
            family,
            outcome: why.into(),
            replaced_expires_ms: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_marks_the_old_token_replaced_and_a_spent_token_is_traced_to_its_opt_in() {
        let mut h = History::default();
        h.issued(1, "access-1", 1_000, 61_000);
        h.rotated(1, "refresh-1", 50_000);
        h.issued(1, "access-2", 50_000, 110_000);
        h.refused(None, "refresh-1", 51_000, "spent");
        h.refused(None, "never-issued", 52_000, "unknown");
        assert_eq!(h.issued[0].replaced_ms, Some(50_000));
        assert_eq!(h.issued[1].replaced_ms, None);
        assert_eq!(h.issued[0].fingerprint, fingerprint("access-1"));
        assert_eq!(h.refreshes[0].replaced_expires_ms, Some(61_000));
        assert_eq!(h.refreshes[1].family, Some(1));
        assert_eq!(h.refreshes[2].family, None);
        let text = serde_json::to_string(&h).unwrap();
        assert!(
            !text.contains("access-1") && !text.contains("refresh-1"),
            "{text}"
        );
    }
}
