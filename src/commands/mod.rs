//! One file per subcommand; each only orchestrates the collaborators (settings, flow,
//! callback listener, browser, store, render).

pub mod api;
pub mod authorize;
pub mod check;
pub mod clear;
pub mod config;
pub mod demo;
pub mod exec;
pub mod list;
pub mod profile;
pub mod refresher;
pub mod simulator;
pub mod status;
pub mod token;

use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::opt_in::{OptIn, MIN_VALIDITY};
use crate::public_client;
use crate::say;
use crate::store::{Credentials, ExposeSecret, Store, Token};
use crate::ups::oauth::{self, ClientConfig, Grant, UpsFailure};
use chrono::{DateTime, Utc};
use oauth2::{ClientSecret, RefreshToken};

/// The profile that narrows `list`, `token`, `exec`, `check` and `clear --all`: the flag, else
/// IDM_AUTH_PROFILE. (The config file's default profile does not hide other opt-ins.)
pub fn profile_filter(ctx: &Ctx, flag: Option<&str>) -> Option<String> {
    flag.map(str::to_owned)
        .or_else(|| ctx.var("IDM_AUTH_PROFILE"))
}

/// The rows of that profile (all rows without one).
pub fn of_profile(rows: Vec<OptIn>, profile: Option<&str>) -> Vec<OptIn> {
    match profile {
        Some(p) => rows
            .into_iter()
            .filter(|r| r.profile.as_deref() == Some(p))
            .collect(),
        None => rows,
    }
}

/// Find one opt-in by its id or an unambiguous prefix of it.
pub fn find<'a>(rows: &'a [OptIn], wanted: &str) -> Result<&'a OptIn> {
    if let Some(exact) = rows.iter().find(|r| r.id == wanted) {
        return Ok(exact);
    }
    let matches: Vec<&OptIn> = rows
        .iter()
        .filter(|r| !wanted.is_empty() && r.id.starts_with(wanted))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::NotFound(format!(
            "no opt-in with id `{wanted}` on this machine"
        ))),
        many => Err(Error::Config(format!(
            "`{wanted}` matches {} opt-ins ({}); give more of the id",
            many.len(),
            many.iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A valid access token of opt-in `id` (else the newest usable one of the rows), once the
/// store has finished what interrupted runs left behind.
pub fn usable_token(ctx: &Ctx, id: Option<&str>, profile: Option<&str>) -> Result<Token> {
    let store = ctx.store()?;
    let now = ctx.now();
    // Usually the one row wanted is found without reading the others (index_scan.rs);
    // otherwise every row, repaired, as `pick` needs them for its choice or its message.
    let row = match store.quick_pick(profile, id, &|r| takes(ctx, r, now)) {
        Some(row) => row,
        None => {
            let (rows, notes) = store.repaired_rows()?;
            for note in notes {
                say!(ctx, "note: {note}");
            }
            pick(ctx, &of_profile(rows, profile), id, now)?
        }
    };
    if public_client::ended(ctx, &row, now) {
        return Err(public_client::ended_error(&row));
    }
    let due = !row.access_valid_for(now, MIN_VALIDITY) && row.status(now).is_usable();
    let token = if due && refresher::detaches(ctx) {
        refresher::refresh_apart(ctx, &row, false)?
    } else {
        store.valid_token(&row, now, &|row, credentials| {
            refresh_at_ups(ctx, row, credentials)
        })?
    };
    if let Some(note) = &token.note {
        say!(ctx, "note: {note}");
    }
    Ok(token)
}

/// A new access token for the opt-in of `refused`, a token UPS has just answered with 401
/// although it looked valid: one forced refresh through the same path as `token`'s (one
/// process at a time, rotation stored), unless another process refreshed meanwhile, whose
/// token is handed out instead. `api`'s hook into the refresh.
pub fn refreshed_token(ctx: &Ctx, refused: &Token) -> Result<Token> {
    if refresher::detaches(ctx) {
        let token = refresher::refresh_apart(ctx, &refused.row, true)?;
        return Ok(token);
    }
    refreshed_token_in(ctx, ctx.store()?, refused)
}

/// [`refreshed_token`] on `store`, in this process (the demo keeps its own store).
pub fn refreshed_token_in(ctx: &Ctx, store: &dyn Store, refused: &Token) -> Result<Token> {
    let token = store.rotate(
        &refused.row,
        &|row, credentials| refresh_at_ups(ctx, row, credentials),
        Some(&refused.row),
    )?;
    if let Some(note) = &token.note {
        say!(ctx, "note: {note}");
    }
    Ok(token)
}

/// The opt-in `id`, or without one the newest usable one.
fn pick(ctx: &Ctx, rows: &[OptIn], id: Option<&str>, now: DateTime<Utc>) -> Result<OptIn> {
    match id {
        Some(id) => find(rows, id).cloned(),
        None => rows
            .iter()
            .find(|r| takes(ctx, r, now))
            .cloned()
            .ok_or_else(|| match rows.first() {
                None => Error::NotFound(
                    "no opt-ins on this machine: run `idm-auth authorize` first".into(),
                ),
                Some(newest) => public_client::unusable(ctx, newest, now),
            }),
    }
}

/// Whether `token` without an id may take `row`: usable now, and not a public client's
/// opt-in that can no longer be refreshed.
fn takes(ctx: &Ctx, row: &OptIn, now: DateTime<Utc>) -> bool {
    row.status(now).is_usable() && !public_client::ended(ctx, row, now)
}

/// Rotate the pair at the UPS the row belongs to.
pub(crate) fn refresh_at_ups(
    ctx: &Ctx,
    row: &OptIn,
    credentials: &Credentials,
) -> Result<Grant, UpsFailure> {
    let config = ClientConfig {
        base_url: row.base_url.clone(),
        client_id: row.client_id.clone(),
        client_secret: credentials
            .client_secret
            .as_ref()
            .map(|s| ClientSecret::new(s.expose_secret().to_string())),
        redirect_uri: row.redirect_uri.clone(),
    };
    let refresh_token = RefreshToken::new(credentials.refresh_token.expose_secret().to_string());
    oauth::refresh_with(&*ctx.ups()?, &config, &refresh_token, &|| ctx.now())
}
