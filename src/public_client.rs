//! An opt-in made without a client secret (UPS's PKCE public-client form). UPS documents
//! /refresh with HTTP Basic only, so such an opt-in may get no refresh at all: it lasts until
//! its access token expires. `authorize` says so once, `check` reports it as `no_refresh`, and
//! `token` says so instead of trying, unless IDM_AUTH_PUBLIC_REFRESH=1 says that this app's
//! refreshes work without a secret.

use crate::error::Error;
use crate::say;
use crate::store::OptIn;
use chrono::{DateTime, Duration, Local, Utc};

/// Set to 1 to refresh public opt-ins anyway (for an app whose refreshes UPS accepts
/// without a secret).
pub const PUBLIC_REFRESH_ENV: &str = "IDM_AUTH_PUBLIC_REFRESH";

fn refresh_allowed() -> bool {
    std::env::var(PUBLIC_REFRESH_ENV).is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

/// Whether `row` gets no refresh here: no client secret, and no word that UPS refreshes it
/// without one.
pub fn no_refresh(row: &OptIn) -> bool {
    !row.has_client_secret && !refresh_allowed()
}

/// Whether `row` is such an opt-in whose access token has less than `margin` left: nothing
/// to hand out and nothing to refresh with.
pub fn ended(row: &OptIn, now: DateTime<Utc>, margin: Duration) -> bool {
    no_refresh(row) && !row.access_valid_for(now, margin)
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

const KEEP_A_SECRET: &str = "keep the app's client secret in the keyring (`idm-auth config set-secret`, or IDM_AUTH_CLIENT_SECRET) and authorize again";

/// Why `token` hands out nothing for an opt-in that [`ended`].
pub fn ended_error(row: &OptIn) -> Error {
    Error::Reauthorize {
        id: row.id.clone(),
        reason: format!(
            "it was made without a client secret, and UPS's document offers no refresh to a public client, so it ended when its access token expired ({}); for unattended use, {KEEP_A_SECRET} (or set {PUBLIC_REFRESH_ENV}=1 if UPS refreshes this app without a secret)",
            local(row.expires_at)
        ),
    }
}

/// `check`'s line for a `no_refresh` opt-in (after the id and label).
pub fn check_line(row: &OptIn, now: DateTime<Utc>) -> String {
    let when = if row.expires_at > now {
        "ends when its access token expires"
    } else {
        "ended when its access token expired"
    };
    format!(
        "no refresh: made without a client secret, and UPS's document offers no refresh to a public client, so it {when} ({}); for unattended use, {KEEP_A_SECRET}",
        local(row.expires_at)
    )
}

/// `authorize`'s word, once, on an opt-in made without a client secret.
pub fn notice(row: &OptIn) {
    if !no_refresh(row) {
        return;
    }
    let minutes = (row.expires_at - row.created_at).num_minutes().max(0);
    say!(
        "note: no client secret was given, and UPS's document offers no refresh to a public client, so this opt-in lasts until its access token expires at {} ({minutes} min, the lifetime UPS gave). For unattended scripts, {KEEP_A_SECRET}.",
        local(row.expires_at)
    );
}
