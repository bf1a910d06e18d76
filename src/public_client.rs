//! An opt-in made without a client secret (UPS's PKCE public-client form). UPS documents
//! /refresh with HTTP Basic only, so such an opt-in may get no refresh at all: it lasts until
//! its access token expires. `authorize` says so once, `check` reports it as `no_refresh`, and
//! `token` says so instead of trying, unless IDM_AUTH_PUBLIC_REFRESH=1 says that this app's
//! refreshes work without a secret.

use crate::context::Ctx;
use crate::error::Error;
use crate::opt_in::{OptIn, MIN_VALIDITY};
use crate::render::View;
use crate::say;
use chrono::{DateTime, Local, Utc};

/// Set to 1 to refresh public opt-ins anyway (for an app whose refreshes UPS accepts
/// without a secret).
pub const PUBLIC_REFRESH_ENV: &str = "IDM_AUTH_PUBLIC_REFRESH";

pub fn refresh_allowed(ctx: &Ctx) -> bool {
    ctx.var(PUBLIC_REFRESH_ENV)
        .is_some_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

/// How `list` and the other commands that show rows judge them here and now.
pub fn view(ctx: &Ctx) -> View {
    View {
        now: ctx.now(),
        public_refresh: refresh_allowed(ctx),
    }
}

/// Whether `row` gets no refresh here: no client secret, and no word that UPS refreshes it
/// without one.
pub fn no_refresh(ctx: &Ctx, row: &OptIn) -> bool {
    !row.refreshable(refresh_allowed(ctx))
}

/// Whether `row` is such an opt-in whose access token is (all but) spent: nothing to hand
/// out and nothing to refresh with. A usable-looking row only: other ends say themselves.
pub fn ended(ctx: &Ctx, row: &OptIn, now: DateTime<Utc>) -> bool {
    row.status(now).is_usable() && no_refresh(ctx, row) && !row.access_valid_for(now, MIN_VALIDITY)
}

/// Why a row cannot give a token: [`ended_error`] for an ended public opt-in, else what the
/// row says.
pub fn unusable(ctx: &Ctx, row: &OptIn, now: DateTime<Utc>) -> Error {
    if ended(ctx, row, now) {
        ended_error(row)
    } else {
        row.unusable(now)
    }
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
pub fn notice(ctx: &Ctx, row: &OptIn) {
    if !no_refresh(ctx, row) {
        return;
    }
    let minutes = (row.expires_at - row.created_at).num_minutes().max(0);
    say!(
        ctx,
        "note: no client secret was given, and UPS's document offers no refresh to a public client, so this opt-in lasts until its access token expires at {} ({minutes} min, the lifetime UPS gave). For unattended scripts, {KEEP_A_SECRET}.",
        local(row.expires_at)
    );
}
