//! A started refresh finishes. Once a refresh token is sent to UPS, UPS spends it whatever
//! becomes of the caller, so the exchange and the saving of its answer must not die with
//! `token` or `exec` (`timeout 1 idm-auth token`, Ctrl-C, `systemctl stop`, a job runner's
//! `kill -9`). The refresh therefore runs in a process of its own: the same binary's hidden
//! `__refresh ID`, in a session of its own (setsid: no signal to the caller's process group
//! or terminal reaches it) with SIGINT, SIGTERM and SIGHUP ignored from before its first
//! instruction. It reads every secret from the store itself (no secret in its argv or
//! environment), runs the store's refresh, prints the access token on a pipe to the caller
//! and its notes and errors on another, and exits with the error's code. The caller waits,
//! relays both, and ends as the refresher did. If the caller is gone, the refresher still
//! saves the answer; the next `token` finds the new pair.
//!
//! Only a death of the refresher itself (or the machine) between UPS's answer and the
//! write can cost the opt-in, and the store then says so at the next run.
//!
//! Inline instead (same process): contexts built by tests around an in-memory store or
//! their own environment (the child would not see them), and Windows, whose build is only
//! checked under Wine, where a detached console-less child is not exercised yet.

use crate::cli::StoreName;
use crate::commands::refresh_at_ups;
use crate::context::Ctx;
use crate::error::{Error, ExitCode, Result};
use crate::opt_in::OptIn;
use crate::say;
use crate::store::index::{RowIn, RowOut};
use crate::store::{ExposeSecret, SecretString, Token};
use clap::Parser;
use std::ffi::OsString;
use std::process::{Command, Stdio};
use zeroize::Zeroize;

/// The hidden command's name: not one of `Cli`'s subcommands, so no help or completion
/// shows it.
const COMMAND: &str = "__refresh";

/// `idm-auth __refresh ID [--store S] [--profile P] [--quiet] [--refused-generation EXPIRY/COUNT]`,
/// as [`refresh_apart`] starts it.
#[derive(Parser)]
#[command(name = "idm-auth __refresh")]
struct Invocation {
    id: String,
    #[arg(long)]
    store: Option<StoreName>,
    #[arg(long)]
    profile: Option<String>,
    #[arg(long)]
    quiet: bool,
    /// The generation (expiry in RFC 3339, refresh count) of an access token UPS has
    /// refused: refreshed even while it looks valid (`api`'s one forced refresh).
    #[arg(long, value_name = "EXPIRY/COUNT")]
    refused_generation: Option<String>,
}

/// Whether `argv` starts the refresher.
pub fn invoked_as(argv: &[OsString]) -> bool {
    argv.get(1).is_some_and(|a| a == COMMAND)
}

/// Run the refresher's command line `argv`.
pub fn invoked(ctx: &Ctx, argv: &[OsString]) -> Result<()> {
    let invocation =
        Invocation::try_parse_from(argv.get(1..).unwrap_or_default()).map_err(|e| {
            Error::Other(format!(
                "a refresher's command line that idm-auth never writes: {e}"
            ))
        })?;
    crate::process_hygiene::keep_secrets_in_this_process();
    ctx.set_quiet(invocation.quiet);
    ctx.choose_store(invocation.store, invocation.profile.as_deref());
    run(
        ctx,
        &invocation.id,
        invocation.refused_generation.as_deref(),
    )
}

/// Whether a refresh for `ctx` runs in a detached process.
pub fn detaches(ctx: &Ctx) -> bool {
    cfg!(unix) && ctx.refreshes_apart()
}

/// `idm-auth __refresh ID`: refresh opt-in `id` (or take the token another process got
/// meanwhile), print its access token.
fn run(ctx: &Ctx, id: &str, refused_generation: Option<&str>) -> Result<()> {
    let store = ctx.store()?;
    let row = store
        .rows()?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| Error::NotFound(format!("no opt-in with id `{id}` on this machine")))?;
    let refused = refused_generation
        .map(|generation| refused_row(&row, generation))
        .transpose()?;
    let token = store.rotate(
        &row,
        &|row, credentials| refresh_at_ups(ctx, row, credentials),
        refused.as_ref(),
    )?;
    if let Some(note) = &token.note {
        say!(ctx, "note: {note}");
    }
    // The row as stored after the refresh (no secret in it) on the next line, so the caller
    // reports the new expiry (`token --json`) and knows the generation (`api`'s 401).
    let row = serde_json::to_string(&RowOut(&token.row))
        .map_err(|e| Error::Other(format!("cannot encode the opt-in's row: {e}")))?;
    ctx.print(&format!("{}\n{row}\n", token.token.expose_secret()))
}

/// `row` as of the generation `EXPIRY/COUNT` that `--refused-generation` names.
fn refused_row(row: &OptIn, generation: &str) -> Result<OptIn> {
    let bad = || {
        Error::Other(format!(
            "a refused generation idm-auth never writes: {generation}"
        ))
    };
    let (expires, count) = generation.rsplit_once('/').ok_or_else(bad)?;
    let mut refused = row.clone();
    refused.expires_at = chrono::DateTime::parse_from_rfc3339(expires)
        .map_err(|_| bad())?
        .to_utc();
    refused.refresh_count = count.parse().map_err(|_| bad())?;
    Ok(refused)
}

/// Refresh `row` in a detached refresher and wait for it; its words are relayed to our
/// stderr, its failure becomes ours. `refused`: `row`'s access token was refused by UPS
/// (see [`crate::refresh::run::run`]).
pub fn refresh_apart(ctx: &Ctx, row: &OptIn, refused: bool) -> Result<Token> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::Other(format!("cannot find idm-auth's own program: {e}")))?;
    let mut cmd = Command::new(exe);
    let (store, profile) = ctx.store_choice();
    cmd.arg(COMMAND).arg(&row.id);
    if let Some(name) = store.and_then(|s| clap::ValueEnum::to_possible_value(&s)) {
        cmd.arg("--store").arg(name.get_name());
    }
    if let Some(profile) = profile {
        cmd.arg("--profile").arg(profile);
    }
    if ctx.quiet() {
        cmd.arg("--quiet");
    }
    if refused {
        // RFC 3339 in full, so the expiry reads back to the nanosecond.
        cmd.arg("--refused-generation").arg(format!(
            "{}/{}",
            row.expires_at.to_rfc3339(),
            row.refresh_count
        ));
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    detach(&mut cmd);
    let child = cmd
        .spawn()
        .map_err(|e| Error::Other(format!("cannot start the refresher: {e}")))?;
    let pid = child.id();
    let mut out = child
        .wait_with_output()
        .map_err(|e| Error::Other(format!("lost the refresher (process {pid}): {e}")))?;
    ctx.write_err(&String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        let answer = String::from_utf8_lossy(&out.stdout).into_owned();
        out.stdout.zeroize();
        let (token, stored) = answer.split_once('\n').unwrap_or((&answer, ""));
        let token = SecretString::from(token.trim().to_string());
        let stored = serde_json::from_str::<RowIn>(stored.trim()).map(|r| r.0);
        let mut answer = answer;
        answer.zeroize();
        return match stored {
            Ok(stored) if !token.expose_secret().is_empty() && stored.id == row.id => Ok(Token {
                row: stored,
                token,
                note: None,
            }),
            _ => Err(Error::Other(format!(
                "the refresher (process {pid}) gave no token and row"
            ))),
        };
    }
    out.stdout.zeroize();
    match out.status.code() {
        Some(code) => Err(Error::Relayed(
            ExitCode::from_code(code).unwrap_or(ExitCode::Unexpected),
        )),
        None => Err(Error::Other(format!(
            "the refresher of opt-in {} (process {pid}) was killed{} before it finished; the next `idm-auth token` says what became of the refresh",
            row.id,
            signal_of(&out.status)
        ))),
    }
}

/// A session of its own, and the signals that stop a job ignored before it runs.
#[cfg(unix)]
fn detach(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec only async-signal-safe calls: setsid(2), signal(2).
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::signal(signal, libc::SIG_IGN);
            }
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn detach(_cmd: &mut Command) {}

#[cfg(unix)]
fn signal_of(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    status
        .signal()
        .map(|s| format!(" by signal {s}"))
        .unwrap_or_default()
}

#[cfg(not(unix))]
fn signal_of(_status: &std::process::ExitStatus) -> String {
    String::new()
}
