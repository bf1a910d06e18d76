//! `idm-auth check [--within DAYS] [--json]`: for cron and monitoring. Exit 0 when every
//! opt-in is usable and none ends within DAYS; 14 when one ends soon (an opt-in without a
//! client secret ends with its access token: `no_refresh`); 8 when one has ended (refresh
//! token expired, or a `no_refresh` one's access token) or was refused by UPS; 12 when there
//! are none. One line per problem on stderr, even with `--quiet`; the all-clear line is the
//! only talk `--quiet` silences. Reads the index only: no keyring, no network.

use crate::cli::CheckArgs;
use crate::commands::of_profile;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::opt_in::{OptIn, Status};
use crate::public_client;
use crate::say;
use chrono::{DateTime, Duration, Local, SecondsFormat, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    ExpiresSoon,
    Expired,
    Invalid,
    /// Made without a client secret: no refresh, it ends with its access token.
    NoRefresh,
}

#[derive(Serialize)]
struct Finding<'a> {
    id: &'a str,
    label: &'a str,
    profile: Option<&'a str>,
    environment: &'a str,
    status: Status,
    problem: Problem,
    refresh_expires_at: Option<String>,
    /// Days until the opt-in ends (negative: since it ended).
    days_left: i64,
}

#[derive(Serialize)]
struct Report<'a> {
    ok: bool,
    within_days: u32,
    checked: usize,
    problems: Vec<Finding<'a>>,
}

/// What is wrong with one opt-in, if anything.
pub fn problem_of(ctx: &Ctx, row: &OptIn, now: DateTime<Utc>, within: Duration) -> Option<Problem> {
    let public_refresh = public_client::refresh_allowed(ctx);
    match row.status_shown(now, public_refresh) {
        Status::Invalid => Some(Problem::Invalid),
        Status::RefreshExpired => Some(Problem::Expired),
        // Ended, or still good until its access token expires: no refresh either way.
        Status::Ended => Some(Problem::NoRefresh),
        Status::Active | Status::AccessExpired if !row.refreshable(public_refresh) => {
            Some(Problem::NoRefresh)
        }
        Status::Active | Status::AccessExpired => match row.refresh_expires_at {
            Some(end) if end - within <= now => Some(Problem::ExpiresSoon),
            _ => None,
        },
    }
}

fn describe(row: &OptIn, problem: Problem, now: DateTime<Utc>) -> String {
    let who = if row.label.is_empty() {
        row.id.clone()
    } else {
        format!("{} ({})", row.id, row.label)
    };
    let when = |t: DateTime<Utc>| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string();
    match (problem, row.refresh_expires_at) {
        (Problem::Invalid, _) => format!(
            "{who}: invalid: {}",
            row.invalid_reason.as_deref().unwrap_or("UPS refused it")
        ),
        (Problem::Expired, Some(end)) => format!("{who}: the opt-in ended on {}", when(end)),
        (Problem::Expired, None) => {
            format!("{who}: the access token expired and there is no refresh token")
        }
        (Problem::ExpiresSoon, Some(end)) => format!(
            "{who}: the opt-in ends in {} d, on {}",
            (end - now).num_days(),
            when(end)
        ),
        (Problem::ExpiresSoon, None) => format!("{who}: the opt-in ends soon"),
        (Problem::NoRefresh, _) => format!("{who}: {}", public_client::check_line(row, now)),
    }
}

pub fn run(ctx: &Ctx, args: &CheckArgs, profile: Option<&str>) -> Result<()> {
    let rows = of_profile(ctx.store()?.rows()?, profile);
    let now = ctx.now();
    let within = Duration::days(i64::from(args.within));
    let found: Vec<(&OptIn, Problem)> = rows
        .iter()
        .filter_map(|r| problem_of(ctx, r, now, within).map(|p| (r, p)))
        .collect();
    // The problems are check's answer: said even with --quiet, which silences only the
    // all-clear line (so cron, which mails any output, stays silent while all is well).
    for (row, problem) in &found {
        ctx.tell(format_args!("{}", describe(row, *problem, now)));
    }
    if args.json {
        let view = public_client::view(ctx);
        ctx.print_json(&Report {
            ok: !rows.is_empty() && found.is_empty(),
            within_days: args.within,
            checked: rows.len(),
            problems: found
                .iter()
                .map(|(row, problem)| {
                    // An opt-in that gets no refresh ends with its access token, whatever
                    // end UPS named for the refresh token it will not use.
                    let end = match problem {
                        Problem::NoRefresh => None,
                        _ => row.refresh_expires_at,
                    };
                    Finding {
                        id: &row.id,
                        label: &row.label,
                        profile: row.profile.as_deref(),
                        environment: &row.environment,
                        status: view.status(row),
                        problem: *problem,
                        refresh_expires_at: end
                            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
                        days_left: (end.unwrap_or(row.expires_at) - now).num_days(),
                    }
                })
                .collect(),
        })?;
    }
    if rows.is_empty() {
        return Err(Error::NotFound(
            "no opt-ins to check: run `idm-auth authorize` first".into(),
        ));
    }
    let dead = found
        .iter()
        .filter(|(row, p)| match p {
            Problem::ExpiresSoon => false,
            Problem::NoRefresh => !row.access_valid_for(now, Duration::zero()),
            _ => true,
        })
        .count();
    let soon = found.len() - dead;
    if dead > 0 {
        return Err(Error::Unusable(format!(
            "{dead} of {} opt-ins can no longer be used",
            rows.len()
        )));
    }
    if soon > 0 {
        return Err(Error::RenewSoon(format!(
            "{soon} of {} opt-ins end within {} days",
            rows.len(),
            args.within
        )));
    }
    say!(
        ctx,
        "All {} opt-ins are usable for more than {} days.",
        rows.len(),
        args.within
    );
    Ok(())
}
