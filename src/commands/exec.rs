//! `idm-auth exec [ID] -- COMMAND ...`: run COMMAND with a valid access token in its
//! environment (UPS_ACCESS_TOKEN) and the UPS origin it belongs to (UPS_API_BASE). The token
//! never appears in any argv. On Unix the command replaces this process, so its exit status
//! and signals are the caller's to see, unchanged. Windows has no such replacing: idm-auth
//! waits for the command and hands its exit status, unchanged, to `run` (`ExitCode::Child`).
//!
//! The command gets one token, not what idm-auth holds: the variables in [`HELD_BACK`] (the
//! Vault token that reads and destroys every opt-in of the fleet, the file store's key, the
//! app's client secret) are removed from its environment.

use crate::cli::ExecArgs;
use crate::commands::usable_token;
use crate::context::Ctx;
use crate::error::{Error, ExitCode, Result};
use crate::store::ExposeSecret;
use std::process::Command;

/// The store keys and credentials idm-auth may be given through its environment. A command
/// that needs one is handed it under another name (see the README).
pub const HELD_BACK: [&str; 3] = ["VAULT_TOKEN", "IDM_AUTH_KEY_FILE", "IDM_AUTH_CLIENT_SECRET"];

/// Runs the command; on Windows, returns its exit status (on Unix, returns only if it
/// could not be started).
pub fn run(ctx: &Ctx, args: &ExecArgs, profile: Option<&str>) -> Result<ExitCode> {
    let token = usable_token(ctx, args.id.as_deref(), profile)?;
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| Error::Config("exec needs a command after `--`".into()))?;
    let mut command = Command::new(program);
    command
        .args(rest)
        .env("UPS_ACCESS_TOKEN", token.token.expose_secret())
        .env("UPS_API_BASE", &token.row.base_url);
    for name in HELD_BACK {
        command.env_remove(name);
    }
    let failed = |e: std::io::Error| Error::Exec {
        program: program.clone(),
        reason: e.to_string(),
        not_found: e.kind() == std::io::ErrorKind::NotFound,
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Only returns on failure.
        Err(failed(command.exec()))
    }
    #[cfg(not(unix))]
    {
        let status = command.status().map_err(failed)?;
        // Windows always has a code; a platform without exec or codes would need more.
        Ok(status.code().map_or(ExitCode::Unexpected, ExitCode::Child))
    }
}
