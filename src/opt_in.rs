//! The domain: an opt-in of one UPS.com user, what it is worth at a given time (its
//! [`Status`]), the draft of a new one, and the tokens UPS grants it. Plain values: how a
//! store writes them down is the store's (store/index.rs keeps the index file's format,
//! byte for byte as before), and how they reach UPS is ups's.

use crate::error::Error;
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// A token with less than this left is refreshed first.
pub const MIN_VALIDITY: Duration = Duration::seconds(60);

/// One opt-in of one UPS.com user, minus its secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct OptIn {
    /// Short hex, chosen by the store.
    pub id: String,
    pub label: String,
    /// The config profile it was made with, if any.
    pub profile: Option<String>,
    pub environment: String,
    pub base_url: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub created_at: DateTime<Utc>,
    pub refreshed_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub refresh_expires_at: Option<DateTime<Utc>>,
    pub refresh_count: u64,
    /// Set when UPS refused a refresh: the opt-in is dead and must be made again.
    pub invalid_reason: Option<String>,
    /// Where its secrets are kept: an OS keyring, the file store or Vault (the index
    /// file's key `keyring`, from when there were only keyrings).
    pub secrets_in: Backend,
    /// Whether a client secret was stored beside the tokens (confidential client).
    pub has_client_secret: bool,
}

/// A new opt-in as the sign-in made it, before a store gives it an id and a place for its
/// secrets ([`Draft::stored_as`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub label: String,
    pub profile: Option<String>,
    pub environment: String,
    pub base_url: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub refresh_expires_at: Option<DateTime<Utc>>,
    pub refresh_count: u64,
    pub has_client_secret: bool,
}

impl Draft {
    /// The opt-in once stored as `id`, its secrets in `secrets_in`.
    pub fn stored_as(self, id: String, secrets_in: Backend) -> OptIn {
        OptIn {
            id,
            label: self.label,
            profile: self.profile,
            environment: self.environment,
            base_url: self.base_url,
            client_id: self.client_id,
            redirect_uri: self.redirect_uri,
            created_at: self.created_at,
            refreshed_at: None,
            expires_at: self.expires_at,
            refresh_expires_at: self.refresh_expires_at,
            refresh_count: self.refresh_count,
            invalid_reason: None,
            secrets_in,
            has_client_secret: self.has_client_secret,
        }
    }
}

/// Tokens as UPS issued them, with their lifetimes turned into instants. The tokens are
/// kept in types that print as `[REDACTED]` and wipe their memory when dropped.
#[derive(Debug)]
pub struct Grant {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub refresh_expires_at: Option<DateTime<Utc>>,
    pub refresh_count: u64,
}

/// What a refresh needs from the store.
pub struct Credentials {
    pub refresh_token: SecretString,
    pub client_secret: Option<SecretString>,
}

/// A valid access token and the row it belongs to, as the store holds it now.
pub struct Token {
    pub row: OptIn,
    pub token: SecretString,
    /// Something the admin should know (an earlier refresh was cut short, ...).
    pub note: Option<String>,
}

/// Which store holds an opt-in's secrets; recorded with the opt-in so later commands go
/// straight to the same place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    SecretService,
    KernelKeyring,
    Keychain,
    CredentialManager,
    /// Sealed files under the data dir (store/secrets/file.rs).
    File,
    /// OpenBao / Vault: rows and secrets both (store/vault/).
    Vault,
}

impl Backend {
    /// For people: "the Secret Service", ...
    pub fn describe(self) -> &'static str {
        match self {
            Backend::SecretService => "Secret Service",
            Backend::KernelKeyring => "Linux kernel keyring",
            Backend::Keychain => "macOS Keychain",
            Backend::CredentialManager => "Windows Credential Manager",
            Backend::File => "file store",
            Backend::Vault => "vault store",
        }
    }

    /// For the index and `list --json`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::SecretService => "secret-service",
            Backend::KernelKeyring => "kernel-keyring",
            Backend::Keychain => "keychain",
            Backend::CredentialManager => "credential-manager",
            Backend::File => "file",
            Backend::Vault => "vault",
        }
    }

    /// The `--store` that holds it, for `list --json`: the OS keyrings are all `keyring`.
    pub fn store(self) -> &'static str {
        match self {
            Backend::File => "file",
            Backend::Vault => "vault",
            _ => "keyring",
        }
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
}
