//! `idm-auth token [ID]`: a valid access token on stdout and nothing else. The hot path reads
//! the index and the kernel-keyring cache (store/cache.rs), else the OS keyring. When the
//! token has less than a minute left it is refreshed under a per-opt-in cross-process lock:
//! lock, re-read, refresh only if still needed, store the rotated pair, unlock. So parallel
//! scripts cause one refresh, not a burnt refresh-token family.

use crate::cli::TokenArgs;
use crate::commands::{find, of_profile, ups_error};
use crate::error::{Error, Result};
use crate::flow::{self, ClientConfig, Grant};
use crate::output::print;
use crate::public_client;
use crate::say;
use crate::store::{self, cache, Action, Index, Keyring, OptIn, Pending, SecretKind, Status};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use oauth2::{ClientSecret, RefreshToken};

/// A token with less than this left is refreshed first.
const MIN_VALIDITY: Duration = Duration::seconds(60);

pub fn run(args: &TokenArgs, profile: Option<&str>, index: &Index) -> Result<()> {
    let (_, token) = fetch(index, args.id.as_deref(), profile)?;
    print(&format!("{token}\n"))
}

/// The opt-in a bare `idm-auth token` means: the newest usable one.
fn pick(rows: &[OptIn], id: Option<&str>) -> Result<OptIn> {
    let now = Utc::now();
    match id {
        Some(id) => find(rows, id).cloned(),
        None => rows
            .iter()
            .find(|r| r.status(now).is_usable() && !public_client::ended(r, now, MIN_VALIDITY))
            .cloned()
            .ok_or_else(|| match rows.first() {
                None => Error::NotFound(
                    "no opt-ins on this machine: run `idm-auth authorize` first".into(),
                ),
                Some(newest) => reauthorize(newest, now),
            }),
    }
}

fn reauthorize(row: &OptIn, now: chrono::DateTime<Utc>) -> Error {
    if row.status(now).is_usable() && public_client::ended(row, now, MIN_VALIDITY) {
        return public_client::ended_error(row);
    }
    let reason = match row.status(now) {
        Status::Invalid => row
            .invalid_reason
            .clone()
            .unwrap_or_else(|| "UPS refused it".into()),
        _ => match row.refresh_expires_at {
            Some(t) => format!("its refresh token expired at {}", t.to_rfc3339()),
            None => "its access token expired and UPS gave no refresh token".into(),
        },
    };
    Error::Reauthorize {
        id: row.id.clone(),
        reason,
    }
}

/// A valid access token for the opt-in `id` (or the newest usable one of the profile), with
/// the opt-in it belongs to.
pub fn fetch(index: &Index, id: Option<&str>, profile: Option<&str>) -> Result<(OptIn, String)> {
    let contents = index.load_all()?;
    if !contents.pending.is_empty() {
        for note in store::repair(index, &contents) {
            say!("note: {note}");
        }
    }
    let row = pick(&of_profile(contents.rows, profile), id)?;
    let token = fetch_for(index, row.clone())?;
    Ok((row, token))
}

fn fetch_for(index: &Index, row: OptIn) -> Result<String> {
    let now = Utc::now();
    if row.access_valid_for(now, MIN_VALIDITY) {
        return read_access(&row);
    }
    if !row.status(now).is_usable() || public_client::ended(&row, now, MIN_VALIDITY) {
        return Err(reauthorize(&row, now));
    }
    let _guard = index.lock(&store::lock_name(&row.id))?;
    // Another process may have refreshed while we waited for the lock.
    let contents = index.load_all()?;
    let row = find(&contents.rows, &row.id)?.clone();
    let now = Utc::now();
    if row.access_valid_for(now, MIN_VALIDITY) {
        return read_access(&row);
    }
    if !row.status(now).is_usable() {
        return Err(reauthorize(&row, now));
    }
    // Whoever wrote a refresh record held this lock; holding it now, we know they died.
    let interrupted = contents
        .pending_for(&row.id, Action::Refresh)
        .map(|p| p.since);
    let (fresh, token) = refresh(index, &Keyring::open(row.keyring)?, &row, interrupted)?;
    // Cache it under the row the refresh wrote (we still hold the lock, so that row is ours);
    // a failure to cache only costs the next call a keyring read.
    cache::put(&fresh, &token);
    Ok(token)
}

/// The hot path: the kernel-keyring cache when it holds this row's generation, else the
/// OS keyring (and the cache is filled for the next call).
fn read_access(row: &OptIn) -> Result<String> {
    if let Some(token) = cache::get(row) {
        return Ok(token);
    }
    let token = Keyring::open(row.keyring)?
        .get(&row.id, SecretKind::AccessToken)?
        .ok_or_else(|| missing(row))?;
    cache::put(row, &token);
    Ok(token)
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

/// Rotate the pair at UPS and store it. A refresh record goes into the index before UPS
/// sees the refresh token and leaves it in the write that stores the answer, so a refresh
/// cut short by a crash is known to the next `token`, which can then say exactly why UPS
/// refuses the stored token. `interrupted` is when such an earlier refresh started.
fn refresh(
    index: &Index,
    keyring: &Keyring,
    row: &OptIn,
    interrupted: Option<DateTime<Utc>>,
) -> Result<(OptIn, String)> {
    let refresh_token = keyring
        .get(&row.id, SecretKind::RefreshToken)?
        .ok_or_else(|| missing(row))?;
    let client_secret = if row.has_client_secret {
        Some(ClientSecret::new(
            keyring
                .get(&row.id, SecretKind::ClientSecret)?
                .ok_or_else(|| missing(row))?,
        ))
    } else {
        None
    };
    let config = ClientConfig {
        base_url: row.base_url.clone(),
        client_id: row.client_id.clone(),
        client_secret,
        redirect_uri: row.redirect_uri.clone(),
    };
    let started = Utc::now();
    if interrupted.is_none() {
        record_refresh(index, row, started)?;
    }
    crate::abort_point::reached("refresh-journalled");
    let grant = match flow::refresh(&config, &RefreshToken::new(refresh_token)) {
        Ok(grant) => grant,
        Err(failure) if failure.answer_lost => {
            let reason = format!(
                "the answer to its refresh at {} was lost: {}. UPS spends the old refresh token on every refresh it handles, so the one stored here must be taken as spent, and the new one never arrived",
                when(started),
                failure.message
            );
            return Err(invalidate(index, row, reason));
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
            return Err(invalidate(index, row, reason));
        }
        Err(failure) => {
            // UPS did not act on it (not reached, rate-limited, failing): the stored refresh
            // token still holds, unless an earlier cut-short refresh is still unexplained.
            if interrupted.is_none() {
                let _ = settle_refresh(index, &row.id);
            }
            return Err(ups_error(failure, &row.base_url));
        }
    };
    crate::abort_point::reached("refresh-rotated-at-ups");
    let fresh = store_rotated(index, keyring, row, &grant)?;
    if let Some(t) = interrupted {
        say!(
            "note: a refresh of {} at {} had been cut short; this one went through, so nothing was lost.",
            row.id,
            when(t)
        );
    }
    Ok((fresh, grant.access_token.secret().clone()))
}

fn record_refresh(index: &Index, row: &OptIn, started: DateTime<Utc>) -> Result<()> {
    index.update_all(|c| {
        c.pending.push(Pending {
            id: row.id.clone(),
            keyring: row.keyring,
            action: Action::Refresh,
            since: started,
        });
        Ok(())
    })
}

fn settle_refresh(index: &Index, id: &str) -> Result<()> {
    index.update_all(|c| {
        c.pending
            .retain(|p| !(p.id == id && p.action == Action::Refresh));
        Ok(())
    })
}

/// Store the rotated pair: refresh token first (the old one is spent), then the access
/// token, then the row and the end of the refresh record in one index write. Returns the row
/// as written.
fn store_rotated(index: &Index, keyring: &Keyring, row: &OptIn, grant: &Grant) -> Result<OptIn> {
    if let Some(new_refresh) = &grant.refresh_token {
        if let Err(e) = keyring.set(&row.id, SecretKind::RefreshToken, new_refresh.secret()) {
            let reason = format!(
                "UPS rotated its tokens at {} but the {} failed to store the new refresh token, which is lost",
                when(grant.issued_at),
                row.keyring.describe()
            );
            let _ = invalidate(index, row, reason);
            return Err(Error::Keyring(format!(
                "{e}; UPS had already rotated the tokens, so opt-in {} must be authorized again",
                row.id
            )));
        }
    }
    crate::abort_point::reached("refresh-new-refresh-token-stored");
    keyring.set(
        &row.id,
        SecretKind::AccessToken,
        grant.access_token.secret(),
    )?;
    index.update_all(|c| {
        c.pending
            .retain(|p| !(p.id == row.id && p.action == Action::Refresh));
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
fn invalidate(index: &Index, row: &OptIn, reason: String) -> Error {
    let marked = index.update_all(|c| {
        c.pending
            .retain(|p| !(p.id == row.id && p.action == Action::Refresh));
        if let Some(stored) = c.rows.iter_mut().find(|r| r.id == row.id) {
            stored.invalid_reason = Some(reason.clone());
        }
        Ok(())
    });
    if let Err(e) = marked {
        say!("note: this could not be recorded in the index: {e}");
    }
    Error::Reauthorize {
        id: row.id.clone(),
        reason,
    }
}
