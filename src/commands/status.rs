//! `idm-auth status [ID] [--json]`: the opt-in `token` would use (or ID), as `gh auth
//! status` shows a login: whose it is, which UPS, where its tokens are, and how long each
//! part lasts. Reads the index only (no keyring, no network); exit 0 when it is usable, 8
//! when it has ended or is invalid, 12 when there is none.

use crate::cli::StatusArgs;
use crate::commands::{find, of_profile};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::opt_in::{OptIn, Status};
use crate::public_client;
use crate::render;
use chrono::{DateTime, Duration, Local, Utc};

pub fn run(ctx: &Ctx, args: &StatusArgs, profile: Option<&str>) -> Result<()> {
    let rows = of_profile(ctx.store()?.rows()?, profile);
    let view = public_client::view(ctx);
    let row = match &args.id {
        Some(id) => find(&rows, id)?,
        // As `token` picks: the newest usable one, else the newest, to say why it is not.
        None => rows
            .iter()
            .find(|r| view.status(r).is_usable())
            .or(rows.first())
            .ok_or_else(|| {
                Error::NotFound("no opt-ins on this machine: run `idm-auth authorize` first".into())
            })?,
    };
    let status = view.status(row);
    if args.json {
        ctx.print_json(&render::json_row(row, view))?;
    } else {
        ctx.print(&describe(row, status, view.now, view.public_refresh))?;
    }
    match status.is_usable() {
        true => Ok(()),
        false => Err(public_client::unusable(ctx, row, view.now)),
    }
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

/// "in 3 h 59 min", "in 59 d", "2 d ago".
fn from_now(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let span = (t - now).abs();
    let text = if span >= Duration::days(2) {
        format!("{} d", span.num_days())
    } else if span >= Duration::hours(1) {
        format!("{} h {} min", span.num_hours(), span.num_minutes() % 60)
    } else {
        format!("{} min", span.num_minutes())
    };
    match t > now {
        true => format!("in {text}"),
        false => format!("{text} ago"),
    }
}

fn describe(row: &OptIn, status: Status, now: DateTime<Utc>, public_refresh: bool) -> String {
    let label = match row.label.is_empty() {
        true => "(no label)".into(),
        false => render::one_line(&row.label).into_owned(),
    };
    let state = match (status, &row.invalid_reason) {
        (Status::Invalid, Some(reason)) => format!("invalid: {}", render::one_line(reason)),
        (Status::Active | Status::AccessExpired, _) => {
            format!(
                "{}: `idm-auth token` hands out its access token",
                status.describe()
            )
        }
        _ => format!("{}: run `idm-auth authorize` again", status.describe()),
    };
    let access = format!(
        "{} {} ({}), the lifetime UPS gave; refreshed {} times",
        if row.expires_at > now {
            "expires"
        } else {
            "expired"
        },
        local(row.expires_at),
        from_now(row.expires_at, now),
        row.refresh_count
    );
    let ends = match row.refresh_expires_at {
        _ if !row.refreshable(public_refresh) => format!(
            "{} with its access token: no client secret, so no refresh",
            local(row.expires_at)
        ),
        Some(end) => format!(
            "{} ({}), the refresh token's end; then the UPS.com user signs in again",
            local(end),
            from_now(end, now)
        ),
        None => "with its access token (UPS gave no refresh token)".into(),
    };
    let lines = [
        ("opt-in", format!("{} {label}", row.id)),
        ("status", state),
        (
            "UPS",
            format!(
                "{} ({}), client id {}",
                render::one_line(&row.environment),
                render::one_line(&row.base_url),
                render::one_line(&row.client_id)
            ),
        ),
        (
            "profile",
            row.profile
                .as_deref()
                .map_or("-".into(), |p| render::one_line(p).into_owned()),
        ),
        ("tokens in", row.secrets_in.describe().to_string()),
        ("made", local(row.created_at)),
        ("access token", access),
        ("opt-in ends", ends),
    ];
    lines
        .iter()
        .map(|(name, value)| format!("{name:<13} {value}\n"))
        .collect()
}
